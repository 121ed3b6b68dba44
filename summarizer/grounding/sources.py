"""Numbered source sentences, as a model is shown them: ``[n] (Outlet) sentence``, one per line,
numbered across every article of a story."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from summarizer.textclean import scrub

MAX_SENTENCE_CHARS = 600  # a longer "sentence" (a table, a run-on list) is cut for the prompt
MAX_OUTLET_CHARS = 60


@dataclass(frozen=True, slots=True)
class SourceSentence:
    number: int  # [n], from 1
    document_id: str
    outlet: str
    text: str  # the sentence as in the article (its span), for the checks and the citations
    start: int = 0  # offsets of ``text`` in its document
    end: int = 0


def number_sentences(sentences: Iterable[tuple[str, str, str, int, int]]) -> tuple[SourceSentence, ...]:
    """``(document_id, outlet, text, start, end)`` in reading order -> numbered sentences; empty
    ones are skipped (they would be numbers that say nothing)."""
    out: list[SourceSentence] = []
    for document_id, outlet, text, start, end in sentences:
        if text.strip():
            out.append(SourceSentence(len(out) + 1, document_id, outlet, text, start, end))
    return tuple(out)


def _line(s: SourceSentence) -> str:
    outlet = " ".join(scrub(s.outlet).split())[:MAX_OUTLET_CHARS] or "source"
    text = " ".join(scrub(s.text).split())[:MAX_SENTENCE_CHARS]
    return f"[{s.number}] ({outlet}) {text}"


def render_sources(sentences: Iterable[SourceSentence], max_chars: int) -> tuple[str, int]:
    """The prompt's source lines, stopping before ``max_chars`` would be passed; returns the text
    and how many sentences it holds (the model may cite only those)."""
    lines: list[str] = []
    used = 0
    for s in sentences:
        line = _line(s)
        if used + len(line) + 1 > max_chars:
            break
        lines.append(line)
        used += len(line) + 1
    return "\n".join(lines), len(lines)
