"""Story briefings written by the configured language model across every outlet of a story, kept
only when they pass the grounding check.

The model sees the lead sentences of each article (each article gets an equal share of
``LLM_MAX_CONTEXT_CHARS``), numbered across the story with their outlets (``[n] (Outlet) sentence``).
Each sentence it writes is checked (summarizer.grounding); the kept ones become the briefing, each
with the sentences it cites. A briefing whose lead fails, or with nothing left, is not used: the
offline briefing stays, and the reasons are kept for `/why`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from bot.errors import LLMError
from bot.llm.answers import NOT_IN_SOURCES, plain_sentence
from bot.llm.client import LLMClient
from summarizer.grounding import SourceSentence, check, number_sentences, render_sources
from summarizer.sentences import split_sentences

log = logging.getLogger(__name__)

MAX_BRIEFING_TOKENS = 500
MAX_SENTENCES = 5  # kept sentences shown; a longer briefing is cut after its fifth
MAX_ARTICLES = 8  # articles shown to the model (the caller puts one per outlet first)
_PROMPT_ROOM = 1_500  # characters of the context kept for the instructions and the answer's framing
_SYSTEM = (
    "You write short news briefings from numbered source sentences taken from several outlets' reports "
    "of one story. Write two to four sentences: first what happened, then what the outlets add or say "
    "differently. End every sentence with the [n] numbers of the source sentences it relies on, like [2] "
    "or [1][4]. Put words in quotation marks only when they are copied word for word from a cited "
    "sentence. Use only numbers, dates and names that appear in the sentences you cite. Write nothing "
    f"else. If the sources say nothing you can brief, reply exactly: {NOT_IN_SOURCES}"
)


@dataclass(frozen=True, slots=True)
class BriefingSource:
    article_id: int
    outlet: str
    text: str


@dataclass(frozen=True, slots=True)
class WrittenSentence:
    text: str  # without markers
    cites: tuple[tuple[int, int, int], ...]  # (article id, start, end) of each cited sentence


@dataclass(frozen=True, slots=True)
class LLMBriefing:
    sentences: tuple[WrittenSentence, ...]  # empty: not used, the offline briefing stays
    model: str  # the model that wrote it, or "offline"
    dropped: tuple[str, ...] = ()  # why sentences (or the whole briefing) were not used


class LLMBriefings:
    def __init__(self, client: LLMClient, *, max_context_chars: int = 12_000) -> None:
        self._client = client
        self._max_context_chars = max_context_chars

    @property
    def model(self) -> str:
        return self._client.model

    async def run(self, articles: Sequence[BriefingSource]) -> LLMBriefing:
        """The model's checked briefing of ``articles`` (one story, several outlets), or an unused
        one (``model == "offline"``) with the reasons."""
        articles = list(articles)[:MAX_ARTICLES]
        sources = await asyncio.to_thread(self._sources, articles)
        lines, shown = render_sources(sources, self._max_context_chars)
        if shown == 0:
            return _offline("no source sentence to show the model")
        messages = [{"role": "system", "content": _SYSTEM},
                    {"role": "user", "content": f"Sources:\n{lines}\n\nWrite the briefing."}]
        try:
            done = await self._client.complete(messages, max_tokens=MAX_BRIEFING_TOKENS)
        except LLMError as exc:
            return _offline(f"llm failed: {exc}")
        if done.text.strip().strip(".").upper() == NOT_IN_SOURCES:
            return _offline(f"{done.model} found nothing to brief")
        grounded = await asyncio.to_thread(check, done.text, sources[:shown])
        reasons = tuple(grounded.reasons())
        if not grounded.kept or not grounded.lead_kept:
            return _offline(*(reasons or ("llm briefing empty",)))
        kept = tuple(
            WrittenSentence(plain_sentence(v.text),
                            tuple((int(sources[n - 1].document_id), sources[n - 1].start, sources[n - 1].end)
                                  for n in dict.fromkeys(v.citations)))
            for v in grounded.kept[:MAX_SENTENCES])
        if reasons:
            log.info("llm briefing: %s", "; ".join(reasons))
        return LLMBriefing(kept, done.model, reasons)

    def _sources(self, articles: Sequence[BriefingSource]) -> tuple[SourceSentence, ...]:
        """Each article's sentences in order, up to an equal share of the context each."""
        share = max(200, (self._max_context_chars - _PROMPT_ROOM) // max(1, len(articles)))
        picked: list[tuple[str, str, str, int, int]] = []
        for a in articles:
            used = 0
            for s in split_sentences(a.text[: share + 2_000]):  # offsets stay the article's
                used += len(s.text) + len(a.outlet) + 10  # the line's marker and outlet
                if used > share:
                    break
                picked.append((str(a.article_id), a.outlet, s.text, s.start, s.end))
        return number_sentences(picked)


def _offline(*reasons: str) -> LLMBriefing:
    log.info("llm briefing not used: %s", "; ".join(reasons))
    return LLMBriefing((), "offline", reasons)
