"""JSON Lines batch work for `briefbot analyze` and `briefbot ask` (a stable interface that
other tools call). Bad lines are reported with their line number and skipped; the rest go on.

Hostile input is normal here: each line is read with a length cap, decoded on its own (a line
that is not UTF-8 is one bad line), parsed with its nesting bounded, and lone surrogates in its
strings become U+FFFD (one code point for one, so offsets into the text stay valid). When a
batch fails, its records are retried one at a time, so one bad document costs only its own line.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from summarizer.types import Analysis, Answer, Document

log = logging.getLogger(__name__)

# A line holds one document of at most summarizer.analyzer.MAX_CHARS (2,000,000) characters;
# written with \uXXXX escapes of astral characters that is up to 12 bytes each.
MAX_LINE_BYTES = 32 * 1024 * 1024
# Past this many times the cap of one endless line (no newline at all: /dev/zero), stop reading.
SKIP_LINES = 8
_CHUNK = 1024 * 1024
_SURROGATE = re.compile("[\ud800-\udfff]")
_REASON_CHARS = 300


class InputAborted(Exception):
    """The input cannot be read any further (an endless line); ``str`` is a user line."""


@dataclass(slots=True)
class BadLine:
    line: int
    reason: str


@dataclass(slots=True)
class BatchReport:
    written: int = 0
    bad: list[BadLine] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Numbered:
    """A good record and the input line it came from."""

    line: int
    record: dict[str, Any]


def read_lines(stream: IO[bytes], *, max_line_bytes: int = MAX_LINE_BYTES) -> Iterator[tuple[int, bytes | BadLine]]:
    """(line number, raw line or why it is bad) for each line, never holding more than
    ``max_line_bytes`` of it. Raises InputAborted for a line with no end in sight."""
    number, max_skip_bytes = 0, SKIP_LINES * max_line_bytes
    while True:
        raw = stream.readline(max_line_bytes + 1)
        if not raw:
            return
        number += 1
        if len(raw) <= max_line_bytes or raw.endswith(b"\n"):
            yield number, raw
            continue
        skipped = len(raw)
        while not raw.endswith(b"\n"):
            raw = stream.readline(_CHUNK)
            if not raw:
                break
            skipped += len(raw)
            if skipped > max_skip_bytes:
                raise InputAborted(f"line {number} is longer than {max_skip_bytes:,} bytes and has no end; "
                                   "stopped reading the input there")
        yield number, BadLine(number, f"longer than {max_line_bytes:,} bytes")


def clean_text(text: str) -> str:
    """``text`` with each lone surrogate replaced by U+FFFD (same length: offsets stay valid)."""
    return _SURROGATE.sub("\ufffd", text)


def parse_record(number: int, raw: bytes, required: tuple[str, ...], *,
                 max_chars: int | None = None) -> dict[str, Any] | BadLine | None:
    """One line as a record, the reason it is bad, or None for a blank line."""
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return BadLine(number, f"not UTF-8 (byte {exc.start + 1})")
    if not line.strip():
        return None
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        return BadLine(number, f"not JSON ({exc.msg} at column {exc.colno})")
    except RecursionError:
        return BadLine(number, "not usable JSON (nested too deeply)")
    if not isinstance(record, dict):
        return BadLine(number, "not a JSON object")
    missing = [k for k in required if not isinstance(record.get(k), str)]
    if missing:
        return BadLine(number, f"missing or non-string field(s): {', '.join(missing)}")
    if record.get("title") is not None and not isinstance(record["title"], str):
        return BadLine(number, "field 'title' must be a string")
    if max_chars is not None and len(record.get("text") or "") > max_chars:
        return BadLine(number, f"the text is {len(record['text']):,} characters; the limit is {max_chars:,}")
    for key in (*required, "title"):
        if isinstance(record.get(key), str):
            record[key] = clean_text(record[key])
    return record


def read_records(stream: IO[bytes], required: tuple[str, ...], *, max_chars: int | None = None,
                 max_line_bytes: int = MAX_LINE_BYTES) -> Iterator[Numbered | BadLine]:
    """Each non-blank line as a numbered record, or the reason it is bad."""
    for number, raw in read_lines(stream, max_line_bytes=max_line_bytes):
        if isinstance(raw, BadLine):
            yield raw
            continue
        parsed = parse_record(number, raw, required, max_chars=max_chars)
        if parsed is None:
            continue
        yield parsed if isinstance(parsed, BadLine) else Numbered(number, parsed)


def document_of(record: dict[str, Any]) -> Document:
    return Document(id=record["id"], text=record["text"], title=record.get("title"))


def analysis_record(doc_id: str, analysis: Analysis) -> dict[str, Any]:
    """The output line of `briefbot analyze` (offsets index the input text)."""
    return {
        "id": doc_id,
        "summary": analysis.summary.text,
        "summary_sentences": [{"text": s.text, "start": s.start, "end": s.end} for s in analysis.summary.sentences],
        "actors": [
            {"name": a.name, "type": a.type, "aliases": list(a.aliases), "mentions": [[m.start, m.end] for m in a.mentions]}
            for a in analysis.actors
        ],
        "statements": [
            {
                "speaker": st.speaker,
                "speaker_role": st.speaker_role,
                "speaker_span": [st.speaker_span.start, st.speaker_span.end] if st.speaker_span else None,
                "cue": st.cue,
                "text": st.text,
                "span": [st.span.start, st.span.end],
                "kind": st.kind,
            }
            for st in analysis.statements
        ],
    }


def answer_record(record_id: str, answer: Answer, model: str | None = None) -> dict[str, Any]:
    """The `briefbot ask` output line; "short" (the short answer's offsets and words) only when the
    reader found one; "model" only with a language model set up (its name, or "offline"). A refusal
    has no citations (the closest sentences a refusal may name in Discord are not the answer)."""
    cited = answer.citations if answer.answered else ()
    record: dict[str, Any] = {
        "id": record_id,
        "answered": answer.answered,
        "answer": answer.text,
        "citations": [{"start": c.start, "end": c.end, "text": c.text} for c in cited],
    }
    if answer.short is not None:
        record["short"] = {"start": answer.short.start, "end": answer.short.end, "text": answer.short.text}
    if model is not None:
        record["model"] = model
    return record


def failure_reason(exc: BaseException) -> str:
    """A one-line reason for a record that could not be processed."""
    from summarizer.analyzer import InputError  # loaded by then: the analyzer raised it

    text = " ".join(str(exc).split())
    if not isinstance(exc, InputError) or not text:  # an InputError's text is a user message
        text = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return text[:_REASON_CHARS]


def encode_line(record: dict[str, Any]) -> bytes:
    """One output line, UTF-8 (surrogates, should any slip through, are written as U+FFFD)."""
    return clean_text(json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")


def run_batches(
    records: Iterable[Numbered | BadLine],
    out: IO[bytes],
    process: Callable[[list[dict[str, Any]]], list[dict[str, Any]]],
    *,
    batch_size: int = 16,
    on_progress: Callable[[int], None] | None = None,
) -> BatchReport:
    """Feed good records to ``process`` in batches, write its output lines in input order. A
    batch that fails is retried one record at a time; a record that fails alone is a bad line."""
    report = BatchReport()
    batch: list[Numbered] = []

    def results(items: list[Numbered]) -> list[tuple[Numbered, bytes | BadLine]]:
        try:
            lines = process([n.record for n in items])
            if len(lines) != len(items):
                raise RuntimeError(f"{len(lines)} results for {len(items)} records")
            return [(n, encode_line(x)) for n, x in zip(items, lines, strict=True)]
        except Exception as exc:  # noqa: BLE001 - isolated below: each record gets its own try
            if len(items) > 1:
                log.debug("a batch of %d failed (%s); retrying one at a time", len(items), exc)
                return [pair for n in items for pair in results([n])]
            log.debug("line %d failed", items[0].line, exc_info=True)
            return [(items[0], BadLine(items[0].line, failure_reason(exc)))]

    def flush() -> None:
        if not batch:
            return
        for _, result in results(batch):
            if isinstance(result, BadLine):
                report.bad.append(result)
            else:
                out.write(result)
                report.written += 1
        out.flush()
        if on_progress:
            on_progress(len(batch))
        batch.clear()

    for record in records:
        if isinstance(record, BadLine):
            report.bad.append(record)
            if on_progress:
                on_progress(1)
            continue
        batch.append(record)
        if len(batch) >= batch_size:
            flush()
    flush()
    report.bad.sort(key=lambda b: b.line)
    return report
