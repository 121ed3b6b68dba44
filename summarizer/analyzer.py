"""One call that turns a document into its analysis: sentences, actors, statements, summary and
the title+lead embedding used for stories and topics.

Blocking (model work): callers in async code run it in a worker thread. Offsets in the result
always index ``Document.text`` as given, also when that text is HTML or holds lone surrogates:
the analysis reads a prepared copy of the same length (:func:`summarizer.prepare.prepare_text`:
tags blanked, surrogates replaced by U+FFFD), summary sentences then carry the prepared text of
their span, and every statement is checked against the original text again (a quote that crosses
markup or holds a surrogate is dropped).

Failures stay with the component and the document that raised them: when the actors, the
statements, the summary or the embedding of one document fail, the analysis comes back with that
part empty and ``Analysis.errors`` naming it (also logged); the other parts and the other
documents are unaffected. Only a document the analyzer refuses outright (over ``MAX_CHARS``, or
text that is not a ``str``) raises, with :class:`InputError`.

The work per document is bounded, whatever the text: every stage is linear in it (sentences,
statements, markup), the tagger reads at most ``summarizer.actors.ner.MAX_CHARS`` characters and
``MAX_PIECES`` word pieces, actors are grouped from at most
``summarizer.actors.canonical.MAX_MENTIONS`` mentions, and the summary and story text embed a
few short texts.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol, TypeVar

import numpy as np

from summarizer.embeddings import Embedder
from summarizer.prepare import blank_html, is_english, looks_like_html, prepare_text
from summarizer.sentences import split_sentences
from summarizer.statements import extract_statements
from summarizer.stories import embed_candidate_text
from summarizer.summarize import Summarizer
from summarizer.textclean import scrub
from summarizer.types import Actor, Analysis, Document, Sentence, Statement, Summary

log = logging.getLogger(__name__)

__all__ = ["MAX_CHARS", "ActorBackend", "Analyzer", "InputError", "blank_html", "is_english", "looks_like_html"]

MAX_CHARS = 2_000_000  # longer inputs are refused with a clear error
MAX_ERROR_CHARS = 300  # one entry of Analysis.errors

T = TypeVar("T")


class InputError(ValueError):
    """The document cannot be analysed (for example: too long). ``str`` is a user message."""


class ActorBackend(Protocol):
    def warm_up(self) -> None: ...

    def run(self, text: str) -> list[Actor]: ...


@dataclass(slots=True)
class _Work:
    """One document on its way through the analysis."""

    doc: Document  # as given
    prepared: Document  # same text length: what the components read
    english: bool = False
    sentences: list[Sentence] = field(default_factory=list)
    plan: list[str] = field(default_factory=list)  # the summary's texts to embed
    story_text: str = ""
    errors: list[str] = field(default_factory=list)

    def attempt(self, component: str, step: Callable[[], T], fallback: T) -> T:
        """``step()``, or ``fallback`` when it raises (noted in ``errors`` and logged)."""
        try:
            return step()
        except Exception as exc:  # noqa: BLE001 - one part of one document fails alone; the rest carry on
            log.exception("%s of document %r failed", component, self.doc.id)
            note = f"{component} failed: {type(exc).__name__}: {exc}"[:MAX_ERROR_CHARS]
            if note not in self.errors:
                self.errors.append(note)
            return fallback

    @property
    def analysed(self) -> bool:
        """Actors and statements are looked for (English text with something in it)."""
        return self.english and bool(self.prepared.text.strip())


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
            _check(doc)
        works = [_start(doc) for doc in docs]
        extractive = self.summarizer.extractive if self.summarizer.abstractive is None else None
        for work in works:
            if extractive is not None:
                work.plan = work.attempt("summary", lambda w=work: extractive.plan(w.prepared, w.sentences), [])
            work.story_text = work.attempt("embedding", lambda w=work: _story_text(w), work.prepared.title or "")
        encoded = self._encode(works)
        # one document at a time: batching the tagger over documents is no faster here and holds
        # every document's token states at once (about 15 MB each)
        return [self._finish(work, plan_vectors, embedding) for work, (plan_vectors, embedding) in
                zip(works, encoded, strict=True)]

    def _encode(self, works: Sequence[_Work]) -> list[tuple[np.ndarray | None, tuple[float, ...]]]:
        """Per document: its summary texts' vectors and its story embedding; one encoder batch for
        all documents, or one per document when the batch fails (then only that one's are lost)."""
        flat = [t for w in works for t in w.plan] + [w.story_text for w in works]
        try:
            vectors = self.embedder.encode(flat) if flat else np.zeros((0, 0), np.float32)
        except Exception:  # noqa: BLE001 - retried document by document below, to find the one that fails
            log.exception("encoding %d texts of %d documents failed; encoding them one by one", len(flat), len(works))
            return [self._encode_one(w) for w in works]
        out: list[tuple[np.ndarray | None, tuple[float, ...]]] = []
        offset = 0
        for i, work in enumerate(works):
            plan_vectors = vectors[offset : offset + len(work.plan)] if work.plan else None
            offset += len(work.plan)
            out.append((plan_vectors, _floats(vectors[len(flat) - len(works) + i])))
        return out

    def _encode_one(self, work: _Work) -> tuple[np.ndarray | None, tuple[float, ...]]:
        vectors = work.attempt("embedding", lambda: self.embedder.encode([*work.plan, work.story_text]), None)
        if vectors is None:
            work.plan = []
            return None, ()
        return (vectors[: len(work.plan)] if work.plan else None), _floats(vectors[-1])

    def _finish(self, work: _Work, plan_vectors: np.ndarray | None, embedding: tuple[float, ...]) -> Analysis:
        doc, prepared, sentences = work.doc, work.prepared, work.sentences
        actors: tuple[Actor, ...] = ()
        statements: tuple[Statement, ...] = ()
        if work.analysed:
            actors = work.attempt("actors", lambda: tuple(self.actors.run(prepared.text)), ())
            statements = work.attempt("statements", lambda: tuple(
                s for s in extract_statements(prepared.text, sentences, actors) if _verbatim(doc.text, s)), ())
        failed = Summary(text="", sentences=(), method="extractive", note="the summary failed")
        summary = work.attempt("summary", lambda: self._summary(work, plan_vectors), failed)
        return Analysis(document_id=doc.id, summary=summary, actors=actors, statements=statements,
                        embedding=embedding, language="en" if work.english else None, errors=tuple(work.errors))

    def _summary(self, work: _Work, plan_vectors: np.ndarray | None) -> Summary:
        if not work.prepared.text.strip():
            return Summary(text="", sentences=(), method="extractive", note="empty document")
        if self.summarizer.abstractive is None:
            return self.summarizer.extractive.run(work.prepared, work.sentences, encoded=plan_vectors)
        return self.summarizer.run(work.prepared, work.sentences)


def _check(doc: Document) -> None:
    if not isinstance(doc.text, str):
        raise InputError(f"document {doc.id!r} has no text (got {type(doc.text).__name__})")
    if len(doc.text) > MAX_CHARS:
        raise InputError(f"document {doc.id!r} is {len(doc.text):,} characters; the limit is {MAX_CHARS:,}")


def _start(doc: Document) -> _Work:
    title = scrub(doc.title) if isinstance(doc.title, str) else None
    work = _Work(doc, replace(doc, text=scrub(doc.text), title=title))
    work.prepared = work.attempt("markup", lambda: replace(work.prepared, text=prepare_text(doc.text)), work.prepared)
    work.english = work.attempt("language", lambda: is_english(work.prepared.text), False)
    work.sentences = work.attempt("sentences", lambda: split_sentences(work.prepared.text), [])
    return work


def _story_text(work: _Work) -> str:
    title = work.prepared.title
    lead_parts = [t for t in work.plan[:2] if t != title] or [s.text for s in work.sentences[:2]]
    return embed_candidate_text(title, " ".join(lead_parts))


def _floats(vector: np.ndarray) -> tuple[float, ...]:
    return tuple(float(x) for x in vector)


def _verbatim(original: str, statement: Statement) -> bool:
    """Direct quotes must equal the original text at their span; others must lie inside it."""
    if statement.span.end > len(original):
        return False
    if statement.kind == "direct" and original[statement.span.start : statement.span.end] != statement.text:
        log.warning("dropping a quote that does not match the original text at %s", statement.span)
        return False
    return original[statement.span.start : statement.span.end] == statement.text
