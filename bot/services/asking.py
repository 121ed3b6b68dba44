"""`/ask`: answers from a server's recent articles (or one story's), with numbered citations.

A story's question is answered from every article of the story in full (later updates included;
the answer may sit in paragraph 12). A story with more than ``MAX_STORY_ARTICLES`` articles is read
from its first article and its newest ones. When the answerer refuses but names the closest thing
the sources do say (a refusal that carries citations), those citations are kept, so the reply can
show them, marked as not the answer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta

import numpy as np

from bot.errors import InvalidInputError, NotFoundError
from bot.ingest.pipeline import utcnow
from bot.llm.answers import LLMAnswers
from bot.services.analysis import vector_of
from bot.services.scope import article_links, guild_source_ids, visible_article_ids
from bot.services.views import AnswerView, NumberedCitation, ShortAnswer
from bot.storage.models import Article
from summarizer.answers import Answerer
from summarizer.embeddings import Embedder
from summarizer.types import Answer, Document

MAX_QUESTION_CHARS = 500
MAX_STORY_ARTICLES = 50


class AskService:
    def __init__(self, answerer: Answerer, embedder: Embedder, *, clock: Callable[[], datetime] = utcnow,
                 days: int = 14, candidates: int = 2000, documents: int = 8, llm: LLMAnswers | None = None) -> None:
        """``llm``: answers written by the configured language model (checked against the sources,
        the offline answerer when they fail); None: the offline answerer alone."""
        self._llm = llm
        self._answerer = answerer
        self._embedder = embedder
        self._clock = clock
        self._days = days
        self._candidates = candidates
        self._documents = documents

    async def ask(self, guild_id: int, question: str, *, story_id: int | None = None,
                  story_ids: Sequence[int] = (), history: Sequence[tuple[str, str]] = (),
                  on_progress: Callable[[AnswerView], Awaitable[None]] | None = None) -> AnswerView:
        """Answer ``question`` from the server's recent articles, or from the given stories' (all
        their articles, later ones included). ``on_progress``: where a language model streams its
        answer, its checked sentences so far (``partial``), before the answer is returned."""
        question = " ".join(question.split())
        if not question:
            raise InvalidInputError("ask a question, e.g. what did Khamenei say about Israel?")
        if len(question) > MAX_QUESTION_CHARS:
            raise InvalidInputError(f"that question is too long; keep it under {MAX_QUESTION_CHARS} characters")
        sources = await guild_source_ids(guild_id)
        stories = [*story_ids, *([story_id] if story_id is not None else [])]
        if stories:
            ids = await self._story_articles(stories, sources)
            if not ids:
                raise NotFoundError("that story has no articles from this server's sources")
        else:
            ids = await self._retrieve(question, sources)
        rows = await Article.filter(id__in=list(ids)).values("id", "text", "title", "url", "published_at")
        order = {a: i for i, a in enumerate(ids)}
        rows.sort(key=lambda r: order[r["id"]])
        docs = [Document(id=str(r["id"]), text=r["text"], title=r["title"], url=r["url"],
                         published=r["published_at"]) for r in rows]
        if not docs:
            return AnswerView(question, False, "There are no recent articles to answer from yet.", (), 0)
        model: str | None = None
        if self._llm is not None:
            links = await article_links([int(d.id) for d in docs], sources)
            outlets = {str(i): link.outlet for i, link in links.items()}
            progress = _views(on_progress, question, sources, len(docs), self._llm.model) if on_progress else None
            written = await self._llm.run(question, docs, outlets, tuple(history), on_progress=progress)
            answer, model = written.answer, written.model
        else:
            answer = await asyncio.to_thread(self._answerer.run, question, docs, tuple(history))
        citations = await _numbered(answer, sources)
        if not answer.answered:  # any citations are the closest things the sources do say
            return AnswerView(question, False, answer.text, citations, len(docs), model=model)
        return AnswerView(question, True, answer.text, citations, len(docs), short=short_answer(answer, citations),
                          model=model)

    @staticmethod
    async def _story_articles(stories: Sequence[int], sources: list[int]) -> list[int]:
        """The stories' articles visible to the server, oldest first: all of them, or the first and
        the newest when there are more than ``MAX_STORY_ARTICLES``."""
        visible = Article.filter(story_id__in=list(stories), id__in=visible_article_ids(sources))
        newest = await visible.order_by("-id").limit(MAX_STORY_ARTICLES).values_list("id", flat=True)
        first = await visible.order_by("id").limit(1).values_list("id", flat=True)
        ids = sorted({*first, *newest})
        return ids if len(ids) <= MAX_STORY_ARTICLES else [ids[0], *ids[-(MAX_STORY_ARTICLES - 1):]]

    async def _retrieve(self, question: str, sources: list[int]) -> list[int]:
        """The recent articles closest to the question (title + lead embeddings)."""
        if not sources:
            return []
        since = self._clock() - timedelta(days=self._days)
        rows = await (Article.filter(id__in=visible_article_ids(sources), fetched_at__gte=since,
                                     embedding__not_isnull=True)
                      .order_by("-fetched_at").limit(self._candidates).values_list("id", "embedding"))
        if not rows:
            return []
        ids = [r[0] for r in rows]
        matrix = np.stack([vector_of(r[1]) for r in rows])  # type: ignore[misc]
        qvec = await asyncio.to_thread(self._embedder.encode_one, question)
        scores = matrix @ np.asarray(qvec, dtype=np.float32)
        best = np.argsort(-scores)[: self._documents]
        return [ids[i] for i in best]


def _views(on_progress: Callable[[AnswerView], Awaitable[None]], question: str, sources: list[int], considered: int,
           model: str) -> Callable[[Answer], Awaitable[None]]:
    """A streamed answer's progress, shown as partial answers."""
    async def progress(answer: Answer) -> None:
        await on_progress(AnswerView(question, True, answer.text, await _numbered(answer, sources), considered,
                                     model=model, partial=True))

    return progress


async def _numbered(answer: Answer, sources: list[int]) -> tuple[NumberedCitation, ...]:
    """The answer's citations numbered as in its text ([1], [2], ...), with their articles' links;
    one whose article the server cannot see is left out."""
    links = await article_links([int(c.document_id) for c in answer.citations], sources)
    return tuple(NumberedCitation(n, c.text, links[int(c.document_id)])
                 for n, c in enumerate(answer.citations, start=1) if int(c.document_id) in links)


def short_answer(answer: Answer, citations: Sequence[NumberedCitation]) -> ShortAnswer | None:
    """The short answer with the number of the citation it lies in (else of one in its article);
    None when the reader found none or its article is not among the shown citations."""
    short = answer.short
    if short is None or not short.text.strip():
        return None
    shown = {c.number for c in citations}
    same_article = [n for n, c in enumerate(answer.citations, start=1)
                    if n in shown and c.document_id == short.document_id]
    inside = [n for n in same_article
              if answer.citations[n - 1].start <= short.start and short.end <= answer.citations[n - 1].end]
    numbers = inside or same_article
    return ShortAnswer(short.text, numbers[0]) if numbers else None
