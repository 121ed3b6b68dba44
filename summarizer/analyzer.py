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
        splits = [split_sentences(work.text) for work in prepared]
        extractive = self.summarizer.extractive if self.summarizer.abstractive is None else None
        # one encoder batch for every document's summary candidates and story text
        plans = [extractive.plan(w, s) if extractive is not None else [] for w, s in zip(prepared, splits, strict=True)]
        story_texts = []
        for doc, plan, sentences in zip(docs, plans, splits, strict=True):
            lead_parts = [t for t in plan[:2] if t != doc.title] or [s.text for s in sentences[:2]]
            story_texts.append(embed_candidate_text(doc.title, " ".join(lead_parts)))
        flat = [t for plan in plans for t in plan] + story_texts
        vectors = self.embedder.encode(flat) if flat else np.zeros((0, 0), np.float32)
        english = [is_english(w.text) for w in prepared]
        tagged = [i for i, w in enumerate(prepared) if english[i] and w.text.strip()]
        # one document at a time: batching the tagger over documents is no faster here and holds
        # every document's token states at once (about 15 MB each)
        found_actors = {i: self.actors.run(prepared[i].text) for i in tagged}
        offset = 0
        out: list[Analysis] = []
        for i, (doc, work, sentences) in enumerate(zip(docs, prepared, splits, strict=True)):
            actors: tuple[Actor, ...] = ()
            statements: tuple[Statement, ...] = ()
            if i in found_actors:
                actors = tuple(found_actors[i])
                found = extract_statements(work.text, sentences, actors)
                statements = tuple(s for s in found if _verbatim(doc.text, s))
            encoded = vectors[offset : offset + len(plans[i])] if plans[i] else None
            offset += len(plans[i])
            if not work.text.strip():
                summary = Summary(text="", sentences=(), method="extractive", note="empty document")
            elif extractive is not None:
                summary = extractive.run(work, sentences, encoded=encoded)
            else:
                summary = self.summarizer.run(work, sentences)
            out.append(Analysis(document_id=doc.id, summary=summary, actors=actors, statements=statements,
                                embedding=tuple(float(x) for x in vectors[len(flat) - len(docs) + i]),
                                language="en" if english[i] else None))
        return out

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
