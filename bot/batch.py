"""JSON Lines batch work for `briefbot analyze` and `briefbot ask` (a stable interface that
other tools call). Bad lines are reported with their line number and skipped; the rest go on."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from summarizer.types import Analysis, Answer, Document

log = logging.getLogger(__name__)


@dataclass(slots=True)
class BadLine:
    line: int
    reason: str


@dataclass(slots=True)
class BatchReport:
    written: int = 0
    bad: list[BadLine] = field(default_factory=list)


def read_records(stream: IO[str], required: tuple[str, ...]) -> Iterator[tuple[int, dict[str, Any] | BadLine]]:
    """(line number, record or the reason it is bad) for each non-blank line."""
    for number, raw in enumerate(stream, start=1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
        except json.JSONDecodeError as exc:
            yield number, BadLine(number, f"not JSON ({exc.msg} at column {exc.colno})")
            continue
        if not isinstance(record, dict):
            yield number, BadLine(number, "not a JSON object")
            continue
        missing = [k for k in required if not isinstance(record.get(k), str)]
        if missing:
            yield number, BadLine(number, f"missing or non-string field(s): {', '.join(missing)}")
            continue
        if "title" in record and record["title"] is not None and not isinstance(record["title"], str):
            yield number, BadLine(number, "field 'title' must be a string")
            continue
        yield number, record


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
                "speaker_span": [st.speaker_span.start, st.speaker_span.end] if st.speaker_span else None,
                "cue": st.cue,
                "text": st.text,
                "span": [st.span.start, st.span.end],
                "kind": st.kind,
            }
            for st in analysis.statements
        ],
    }


def answer_record(record_id: str, answer: Answer) -> dict[str, Any]:
    return {
        "id": record_id,
        "answered": answer.answered,
        "answer": answer.text,
        "citations": [{"start": c.start, "end": c.end, "text": c.text} for c in answer.citations],
    }


def run_batches(
    records: Iterable[tuple[int, dict[str, Any] | BadLine]],
    out: IO[str],
    process: Callable[[list[dict[str, Any]]], list[dict[str, Any]]],
    *,
    batch_size: int = 16,
    on_progress: Callable[[int], None] | None = None,
) -> BatchReport:
    """Feed good records to ``process`` in batches, write its output lines in input order."""
    report = BatchReport()
    batch: list[dict[str, Any]] = []

    def flush() -> None:
        if not batch:
            return
        for line in process(batch):
            out.write(json.dumps(line, ensure_ascii=False) + "\n")
            report.written += 1
        out.flush()
        if on_progress:
            on_progress(len(batch))
        batch.clear()

    for _, record in records:
        if isinstance(record, BadLine):
            report.bad.append(record)
            if on_progress:
                on_progress(1)
            continue
        batch.append(record)
        if len(batch) >= batch_size:
            flush()
    flush()
    return report
