"""One call that turns a document into its analysis: sentences, actors, statements, summary and
the title+lead embedding used for stories and topics.

Blocking (model work): callers in async code run it in a worker thread. Offsets in the result
always index ``Document.text`` as given, also when that text is HTML: tags are blanked in place
(same length) for the analysis, summary sentences then carry the blanked text of their span, and
every statement is checked against the original text again (a quote that crosses markup is dropped).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import replace
from typing import Protocol

import numpy as np

from summarizer.embeddings import Embedder
from summarizer.sentences import split_sentences
from summarizer.statements import extract_statements
from summarizer.stories import embed_candidate_text
from summarizer.summarize import Summarizer
from summarizer.types import Actor, Analysis, Document, Statement, Summary

log = logging.getLogger(__name__)

MAX_CHARS = 2_000_000  # longer inputs are refused with a clear error
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)\b[^<>]{0,2000}?>|<!--.*?-->|<![^<>]{0,500}>", re.S)
_BLOCK_TAGS = {"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "table",
               "section", "article", "header", "footer", "blockquote", "figure", "figcaption", "title"}
_DROP_CONTENT = re.compile(r"<(script|style|noscript)\b.*?</\1\s*>", re.S | re.I)
_EN_STOPWORDS = frozenset(
    "the of and to in a is that for on was with as by at from his her it be are has have said were will "
    "not he she they this an but its their after who which had been would".split()
)


class InputError(ValueError):
    """The document cannot be analysed (for example: too long). ``str`` is a user message."""


class ActorBackend(Protocol):
    def warm_up(self) -> None: ...

    def run(self, text: str) -> list[Actor]: ...


def looks_like_html(text: str) -> bool:
    head = text[:5000]
    return len(_TAG.findall(head)) >= 3 and ("</" in head or "<br" in head.lower() or "<!doctype" in head.lower())


def blank_html(text: str) -> str:
    """``text`` with markup replaced by spaces (block tags by a blank line), same length."""

    def blank(match: re.Match[str]) -> str:
        raw = match.group(0)
        name = (match.group(2) or "").lower() if match.lastindex else ""
        if name in _BLOCK_TAGS and len(raw) >= 2:
            return "\n\n" + " " * (len(raw) - 2)
        return " " * len(raw)

    text = _DROP_CONTENT.sub(lambda m: " " * len(m.group(0)), text)
    return _TAG.sub(blank, text)


def is_english(text: str) -> bool:
    words = re.findall(r"[a-zA-Z']+", text[:20000].lower())
    if len(words) < 8:
        return bool(words)  # too short to tell: assume English
    return sum(w in _EN_STOPWORDS for w in words) / len(words) >= 0.12


class Analyzer:
    """Composes the summarizer components around one shared embedder."""

    def __init__(self, embedder: Embedder, actors: ActorBackend, summarizer: Summarizer) -> None:
        self.embedder = embedder
        self.actors = actors
        self.summarizer = summarizer

    def warm_up(self) -> None:
        self.embedder.warm_up()
        self.actors.warm_up()
        if self.summarizer.abstractive is not None:
            self.summarizer.abstractive.warm_up()

    def run(self, doc: Document) -> Analysis:
        return self.run_many([doc])[0]

    def run_many(self, docs: Sequence[Document]) -> list[Analysis]:
        for doc in docs:
            if len(doc.text) > MAX_CHARS:
                raise InputError(f"document {doc.id!r} is {len(doc.text):,} characters; the limit is {MAX_CHARS:,}")
        prepared = [self._prepare(doc) for doc in docs]
        story_texts = []
        results: list[tuple[Summary, tuple[Actor, ...], tuple[Statement, ...], str | None]] = []
        for doc, work in zip(docs, prepared, strict=True):
            sentences = split_sentences(work.text)
            english = is_english(work.text)
            actors: tuple[Actor, ...] = ()
            statements: tuple[Statement, ...] = ()
            if english and work.text.strip():
                actors = tuple(self.actors.run(work.text))
                found = extract_statements(work.text, sentences, actors)
                statements = tuple(s for s in found if _verbatim(doc.text, s))
            summary = self.summarizer.run(work, sentences) if work.text.strip() else Summary(
                text="", sentences=(), method="extractive", note="empty document")
            lead = " ".join(s.text for s in summary.sentences[:2]) or " ".join(s.text for s in sentences[:2])
            story_texts.append(embed_candidate_text(doc.title, lead))
            results.append((summary, actors, statements, "en" if english else None))
        vectors = self.embedder.encode(story_texts) if story_texts else np.zeros((0, 0), np.float32)
        return [
            Analysis(document_id=doc.id, summary=summary, actors=actors, statements=statements,
                     embedding=tuple(float(x) for x in vec), language=lang)
            for doc, (summary, actors, statements, lang), vec in zip(docs, results, vectors, strict=True)
        ]

    @staticmethod
    def _prepare(doc: Document) -> Document:
        if looks_like_html(doc.text):
            return replace(doc, text=blank_html(doc.text))
        return doc


def _verbatim(original: str, statement: Statement) -> bool:
    """Direct quotes must equal the original text at their span; others must lie inside it."""
    if statement.span.end > len(original):
        return False
    if statement.kind == "direct" and original[statement.span.start : statement.span.end] != statement.text:
        log.warning("dropping a quote that does not match the original text at %s", statement.span)
        return False
    return original[statement.span.start : statement.span.end] == statement.text
