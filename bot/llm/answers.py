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
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
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
_SENTENCE_DONE = re.compile(r"(?:\[\d{1,6}\])+[.!?;:]?(?=\s)")  # markers closing a sentence, then a space
STREAM_EDIT_S = 1.0  # a streamed answer is shown at most once per second


@dataclass(frozen=True, slots=True)
class LLMAnswer:
    answer: Answer
    model: str  # the model that wrote it, or "offline"
    dropped: tuple[str, ...] = ()  # why sentences (or the whole answer) were not used


class LLMAnswers:
    def __init__(self, client: LLMClient, answerer: Answerer, *, max_context_chars: int = 12_000,
                 stream: bool = True, monotonic: Callable[[], float] = time.monotonic) -> None:
        """``stream``: where the caller shows progress, the answer is streamed and its checked
        sentences shown as they come (at most once per ``STREAM_EDIT_S``)."""
        self._client = client
        self._answerer = answerer
        self._max_context_chars = max_context_chars
        self._stream = stream
        self._monotonic = monotonic

    @property
    def model(self) -> str:
        return self._client.model

    async def run(self, question: str, documents: Sequence[Document], outlets: Mapping[str, str],
                  history: Sequence[tuple[str, str]] = (), *,
                  on_progress: Callable[[Answer], Awaitable[None]] | None = None) -> LLMAnswer:
        """The model's checked answer, or the offline one (``model == "offline"``) with the reasons.
        ``on_progress`` (streaming on): the sentences checked so far, as they come; only ever
        sentences that passed the check, and only once the first one has."""
        picked = await asyncio.to_thread(self._answerer.shortlist, question, documents, tuple(history))
        sources = number_sentences((c.document_id, outlets.get(c.document_id, ""), c.text, c.start, c.end)
                                   for c in picked)
        lines, shown = render_sources(sources, self._max_context_chars)
        if shown == 0:
            return await self._offline(question, documents, history, "no source sentence to show the model")
        messages = [{"role": "system", "content": _SYSTEM},
                    {"role": "user", "content": f"Sources:\n{lines}\n\nQuestion: {' '.join(question.split())}"}]
        try:
            if on_progress is not None and self._stream:
                done = await self._client.stream(messages, self._shower(sources[:shown], on_progress),
                                                 max_tokens=MAX_ANSWER_TOKENS)
            else:
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

    def _shower(self, sources: Sequence[SourceSentence],
                on_progress: Callable[[Answer], Awaitable[None]]) -> Callable[[str], Awaitable[None]]:
        """What the stream calls with its text so far: the finished sentences are checked and, when
        the lead passed and more passed than were shown, shown (at most once per STREAM_EDIT_S)."""
        shown, last = 0, float("-inf")

        async def on_text(text: str) -> None:
            nonlocal shown, last
            ends = [m.end() for m in _SENTENCE_DONE.finditer(text)]
            if not ends or self._monotonic() - last < STREAM_EDIT_S:
                return
            grounded = check(text[: ends[-1]], sources)
            if not grounded.lead_kept or len(grounded.kept) <= shown:
                return
            shown, last = len(grounded.kept), self._monotonic()
            try:
                await on_progress(_answer(grounded.kept, sources))
            except Exception:  # showing progress failed: the answer goes on, and is shown when done
                log.warning("showing a streamed answer failed; showing it when done", exc_info=True)
                shown = 10 ** 9

        return on_text

    async def _offline(self, question: str, documents: Sequence[Document], history: Sequence[tuple[str, str]],
                       *reasons: str) -> LLMAnswer:
        log.info("llm answer to %r not used, answering offline: %s", question[:80], "; ".join(reasons))
        answer = await asyncio.to_thread(self._answerer.run, question, documents, tuple(history))
        return LLMAnswer(answer, "offline", reasons)


def plain_sentence(text: str) -> str:
    """A kept sentence without ``[n]`` markers, ending with its stop (which went with the markers in
    "... [1].")."""
    text = " ".join(_MARKER.sub("", text).split())
    if text and text.rstrip("\"'”’)")[-1:] not in (".", "!", "?", "…"):
        text += "."
    return text


def _answer(kept: Sequence[Verdict], sources: Sequence[SourceSentence]) -> Answer:
    """The kept sentences as an answer: citations in order of first use, markers renumbered."""
    numbers: dict[int, int] = {}
    parts: list[str] = []
    for verdict in kept:
        for n in verdict.citations:
            numbers.setdefault(n, len(numbers) + 1)
        marks = "".join(f"[{numbers[n]}]" for n in dict.fromkeys(verdict.citations))
        parts.append(f"{plain_sentence(verdict.text)} {marks}")
    citations = tuple(Citation(sources[n - 1].document_id, sources[n - 1].start, sources[n - 1].end,
                               sources[n - 1].text) for n in numbers)
    return Answer(True, " ".join(parts), citations)
