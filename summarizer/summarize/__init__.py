"""Summaries: extractive (the offline default) and abstractive (an optional local model whose
output must pass the faithfulness gate).

:class:`Summarizer` is the facade the bot uses (anything with its ``run`` satisfies
:class:`SummaryBackend`): with no abstractive model it returns the extractive briefing; with one,
it generates, checks the result with :func:`check_faithfulness` against the title and text, and
falls back to the extractive briefing, with ``Summary.note`` giving the reason (also logged), when
generation raises, returns nothing, or fails the gate. Blocking: call it from a worker thread.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Protocol

import numpy as np

from summarizer.summarize.abstractive import AbstractiveSummarizer
from summarizer.summarize.extractive import ExtractiveSummarizer, clean_sentence
from summarizer.summarize.faithfulness import check_faithfulness
from summarizer.types import Document, Sentence, Summary

__all__ = ["AbstractiveSummarizer", "ExtractiveSummarizer", "Summarizer", "SummaryBackend", "check_faithfulness",
           "clean_sentence"]

log = logging.getLogger(__name__)

Gate = Callable[[str, str], list[str]]


class SummaryBackend(Protocol):
    def run(self, doc: Document) -> Summary: ...


class Summarizer:
    """Abstractive when configured and faithful, extractive otherwise (see the module doc)."""

    def __init__(self, extractive: ExtractiveSummarizer, abstractive: AbstractiveSummarizer | None = None, *,
                 gate: Gate = check_faithfulness) -> None:
        self.extractive = extractive
        self.abstractive = abstractive
        self.gate = gate

    def run(self, doc: Document, sentences: Sequence[Sentence] | None = None, *,
            embeddings: np.ndarray | None = None) -> Summary:
        if self.abstractive is None:
            return self.extractive.run(doc, sentences, embeddings=embeddings)
        try:
            text = self.abstractive.run(doc)
        except Exception as exc:  # noqa: BLE001 - any model failure means: use the extractive briefing
            log.warning("abstractive summary of %s failed, using extractive: %s", doc.id, exc, exc_info=True)
            return self._fallback(doc, f"abstractive summary failed ({type(exc).__name__}: {exc})", sentences,
                                  embeddings)
        return self._judge(doc, text, sentences, embeddings)

    def run_many(self, docs: Sequence[Document]) -> list[Summary]:
        """``run`` for several documents; the abstractive model sees them in shared batches."""
        if self.abstractive is None or not docs:
            return [self.extractive.run(d) for d in docs]
        try:
            texts = self.abstractive.run_many(docs)
        except Exception as exc:  # noqa: BLE001
            log.warning("abstractive summaries of %d documents failed, using extractive: %s", len(docs), exc,
                        exc_info=True)
            return [self._fallback(d, f"abstractive summary failed ({type(exc).__name__}: {exc})") for d in docs]
        return [self._judge(d, t) for d, t in zip(docs, texts, strict=True)]

    def _judge(self, doc: Document, text: str, sentences: Sequence[Sentence] | None = None,
               embeddings: np.ndarray | None = None) -> Summary:
        text = " ".join(text.split())
        if not text:
            log.info("abstractive summary of %s is empty, using extractive", doc.id)
            return self._fallback(doc, "abstractive summary was empty", sentences, embeddings)
        source = f"{doc.title}\n\n{doc.text}" if doc.title else doc.text
        problems = self.gate(text, source)
        if problems:
            log.info("abstractive summary of %s rejected: %s", doc.id, "; ".join(problems))
            shown = "; ".join(problems[:3]) + (f" (+{len(problems) - 3} more)" if len(problems) > 3 else "")
            return self._fallback(doc, f"abstractive summary rejected: {shown}", sentences, embeddings)
        return Summary(text=text, sentences=(), method="abstractive")

    def _fallback(self, doc: Document, reason: str, sentences: Sequence[Sentence] | None = None,
                  embeddings: np.ndarray | None = None) -> Summary:
        summary = self.extractive.run(doc, sentences, embeddings=embeddings)
        note = f"{reason}; {summary.note}" if summary.note else reason
        return replace(summary, note=note)
