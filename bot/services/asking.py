"""`/ask`: answers from a server's recent articles (or one story's), with numbered citations."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

import numpy as np

from bot.errors import InvalidInputError, NotFoundError
from bot.ingest.pipeline import utcnow
from bot.services.analysis import vector_of
from bot.services.scope import article_links, guild_source_ids, visible_article_ids
from bot.services.views import AnswerView, NumberedCitation
from bot.storage.models import Article
from summarizer.answers import Answerer
from summarizer.embeddings import Embedder
from summarizer.types import Document

MAX_QUESTION_CHARS = 500


class AskService:
    def __init__(self, answerer: Answerer, embedder: Embedder, *, clock: Callable[[], datetime] = utcnow,
                 days: int = 14, candidates: int = 2000, documents: int = 8) -> None:
        self._answerer = answerer
        self._embedder = embedder
        self._clock = clock
        self._days = days
        self._candidates = candidates
        self._documents = documents

    async def ask(self, guild_id: int, question: str, *, story_id: int | None = None,
                  story_ids: Sequence[int] = (), history: Sequence[tuple[str, str]] = ()) -> AnswerView:
        """Answer ``question`` from the server's recent articles, or from the given stories' (all
        their articles, later ones included)."""
        question = " ".join(question.split())
        if not question:
            raise InvalidInputError("ask a question, e.g. what did Khamenei say about Israel?")
        if len(question) > MAX_QUESTION_CHARS:
            raise InvalidInputError(f"that question is too long; keep it under {MAX_QUESTION_CHARS} characters")
        sources = await guild_source_ids(guild_id)
        stories = [*story_ids, *([story_id] if story_id is not None else [])]
        if stories:
            ids = list(await Article.filter(story_id__in=stories, id__in=visible_article_ids(sources))
                       .order_by("id").limit(50).values_list("id", flat=True))
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
        answer = await asyncio.to_thread(self._answerer.run, question, docs, tuple(history))
        if not answer.answered:
            return AnswerView(question, False, answer.text, (), len(docs))
        links = await article_links([int(c.document_id) for c in answer.citations], sources)
        citations = tuple(
            NumberedCitation(n, c.text, links[int(c.document_id)])
            for n, c in enumerate(answer.citations, start=1) if int(c.document_id) in links
        )
        return AnswerView(question, True, answer.text, citations, len(docs))

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
