"""Answers written by the configured language model, shown only when they pass the grounding check.

The model sees the story's shortlisted sentences, numbered across its articles with their outlets
(``[n] (Outlet) sentence``), and the question. What it writes is checked sentence by sentence
(summarizer.grounding); the sentences that pass become the answer, their ``[n]`` renumbered to the
citations shown. When the model fails, says nothing that passes, or loses its first sentence, the
offline answerer answers instead; a model that says the sources don't say it gives a refusal.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.errors import LLMError
from bot.llm.client import LLMClient
from summarizer.answers import REFUSAL, Answerer
from summarizer.grounding import SourceSentence, Verdict, check, number_sentences, render_sources
from summarizer.types import Answer, Citation, Document

log = logging.getLogger(__name__)

NOT_IN_SOURCES = "NOT IN SOURCES"
MAX_ANSWER_TOKENS = 400
_SYSTEM = (
    "You answer questions about news stories using only the numbered source sentences you are given. "
    "Answer in one to three short sentences. End every sentence with the [n] numbers of the source "
    "sentences it relies on, like [2] or [1][4]. Put words in quotation marks only when they are copied "
    "word for word from a cited sentence. Use only numbers, dates and names that appear in the sentences "
    f"you cite. If the sources do not answer the question, reply exactly: {NOT_IN_SOURCES}"
)
_MARKER = re.compile(r"\[(\d{1,6})\]")


@dataclass(frozen=True, slots=True)
class LLMAnswer:
    answer: Answer
    model: str  # the model that wrote it, or "offline"
    dropped: tuple[str, ...] = ()  # why sentences (or the whole answer) were not used


class LLMAnswers:
    def __init__(self, client: LLMClient, answerer: Answerer, *, max_context_chars: int = 12_000) -> None:
        self._client = client
        self._answerer = answerer
        self._max_context_chars = max_context_chars

    async def run(self, question: str, documents: Sequence[Document], outlets: Mapping[str, str],
                  history: Sequence[tuple[str, str]] = ()) -> LLMAnswer:
        """The model's checked answer, or the offline one (``model == "offline"``) with the reasons."""
        picked = await asyncio.to_thread(self._answerer.shortlist, question, documents, tuple(history))
        sources = number_sentences((c.document_id, outlets.get(c.document_id, ""), c.text, c.start, c.end)
                                   for c in picked)
        lines, shown = render_sources(sources, self._max_context_chars)
        if shown == 0:
            return await self._offline(question, documents, history, "no source sentence to show the model")
        messages = [{"role": "system", "content": _SYSTEM},
                    {"role": "user", "content": f"Sources:\n{lines}\n\nQuestion: {' '.join(question.split())}"}]
        try:
            done = await self._client.complete(messages, max_tokens=MAX_ANSWER_TOKENS)
        except LLMError as exc:
            return await self._offline(question, documents, history, f"llm failed: {exc}")
        if done.text.strip().strip(".").upper() == NOT_IN_SOURCES:
            return LLMAnswer(Answer(False, REFUSAL), done.model)
        grounded = check(done.text, sources[:shown])
        reasons = tuple(grounded.reasons())
        if not grounded.kept or not grounded.lead_kept:
            why = reasons or ("llm answer empty",)
            return await self._offline(question, documents, history, *why)
        if reasons:
            log.info("llm answer to %r: %s", question[:80], "; ".join(reasons))
        return LLMAnswer(_answer(grounded.kept, sources), done.model, reasons)

    async def _offline(self, question: str, documents: Sequence[Document], history: Sequence[tuple[str, str]],
                       *reasons: str) -> LLMAnswer:
        log.info("llm answer to %r not used, answering offline: %s", question[:80], "; ".join(reasons))
        answer = await asyncio.to_thread(self._answerer.run, question, documents, tuple(history))
        return LLMAnswer(answer, "offline", reasons)


def _answer(kept: Sequence[Verdict], sources: Sequence[SourceSentence]) -> Answer:
    """The kept sentences as an answer: citations in order of first use, markers renumbered."""
    numbers: dict[int, int] = {}
    parts: list[str] = []
    for verdict in kept:
        for n in verdict.citations:
            numbers.setdefault(n, len(numbers) + 1)
        marks = "".join(f"[{numbers[n]}]" for n in dict.fromkeys(verdict.citations))
        text = " ".join(_MARKER.sub("", verdict.text).split())
        if text and text.rstrip("\"'”’)")[-1:] not in (".", "!", "?", "…"):
            text += "."  # the stop went with the markers ("... [1].")
        parts.append(f"{text} {marks}")
    citations = tuple(Citation(sources[n - 1].document_id, sources[n - 1].start, sources[n - 1].end,
                               sources[n - 1].text) for n in numbers)
    return Answer(True, " ".join(parts), citations)
