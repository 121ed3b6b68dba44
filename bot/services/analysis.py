"""Article -> analysis -> story: runs the summarizer on new articles and stores what it found
(summary, embedding, actors and mentions, statements), then joins each article to a story."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from tortoise.exceptions import DBConnectionError, IntegrityError, TransactionManagementError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from bot.ingest.pipeline import utcnow
from bot.services.actors import ActorStore
from bot.storage.bounds import FieldTooLong, cut, fit, fit_instance, fitted
from bot.storage.models import Article, ArticleSighting, Mention, PipelineEvent, Statement, Story
from bot.workers.analyser import ArticleAnalyzer
from summarizer.stories import StoryCandidate, StoryClusterer, StoryState
from summarizer.types import Analysis, Document

log = logging.getLogger(__name__)

# A claim older than this is taken to belong to an analyser that died; its article is claimed again.
CLAIM_TTL = timedelta(minutes=15)
# Failures of the database itself: the pass stops and is tried again, no article is blamed.
_DATABASE_DOWN = (DBConnectionError, TransactionManagementError, ConnectionError)


def claim_token(owner: int | None) -> str:
    """A new claim's token (32 characters at most); ``w{owner}.`` opens it when a registered worker
    claims, so that its claims are handed on as soon as it is seen gone (bot/workers/reaper.py)."""
    return f"{owner_prefix(owner)}{uuid.uuid4().hex[:20]}" if owner is not None else uuid.uuid4().hex


def owner_prefix(owner: int) -> str:
    return f"w{owner}."


class _ClaimLost(Exception):
    """Another analyser finished this article first (its claim went stale and was taken over)."""


@dataclass(frozen=True, slots=True)
class AnalysedArticle:
    article_id: int
    title: str | None
    url: str
    summary: str
    actors: tuple[str, ...]
    statements: int
    story_id: int | None
    story_joined: bool
    deliverable: bool
    error: str | None = None


def vector_bytes(vector: Sequence[float] | np.ndarray) -> bytes:
    return np.asarray(vector, dtype=np.float32).tobytes()


def vector_of(data: bytes | None) -> np.ndarray | None:
    return np.frombuffer(data, dtype=np.float32) if data else None


class AnalysisService:
    """Analyses pending articles in batches. Model work runs in one worker thread at a time (which
    waits for the analyser's process when ``analyzer`` is a :class:`~bot.workers.analyser.AnalyserProcess`)."""

    def __init__(self, analyzer: ArticleAnalyzer, clusterer: StoryClusterer, actors: ActorStore, *, batch_size: int = 16,
                 in_flight: int = 1, clock: Callable[[], datetime] = utcnow) -> None:
        self._analyzer = analyzer
        self._in_flight = in_flight  # batches handed to the analyser at once (>1 only if it queues calls)
        self.owner: int | None = None  # this process's worker id, once registered: its claims name it
        self._clusterer = clusterer
        self._actors = actors
        self._batch_size = batch_size
        self._clock = clock
        self._lock = asyncio.Lock()
        self._one_by_one = asyncio.Lock()
        self.wakeup = asyncio.Event()  # set when new articles are stored: the loop runs at once

    @property
    def batch_size(self) -> int:
        return self._batch_size

    def warm_up(self) -> None:
        """Load the analyser's models (blocking: call it in a thread)."""
        self._analyzer.warm_up()

    def notify(self) -> None:
        """New articles are waiting (called by ingestion)."""
        self.wakeup.set()

    async def run_forever(self, stop: asyncio.Event, wakeup: asyncio.Event,
                          on_done: Callable[[list[AnalysedArticle]], object] | None = None,
                          *, idle_s: float = 30.0) -> None:
        """Analyse pending articles whenever ``wakeup`` is set (or every ``idle_s``) until ``stop``."""
        while not stop.is_set():
            wakeup.clear()  # before the pass: a notice that arrives during it starts the next one at once
            try:
                done = await self.process_pending(limit=self._batch_size * 4)
            except Exception:  # the database or a model failed: log, wait, try again
                log.exception("analysis pass failed")
                done = []
            if done and on_done is not None:
                try:
                    result = on_done(done)
                    if asyncio.iscoroutine(result):
                        await result
                except Exception:  # a reporting edge failed: the articles are stored, the loop goes on
                    log.exception("analysis report handler failed")
            if done:
                continue  # more may be waiting
            waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(wakeup.wait())]
            await asyncio.wait(waiters, timeout=idle_s, return_when=asyncio.FIRST_COMPLETED)
            for w in waiters:
                w.cancel()

    async def pending(self) -> int:
        return await Article.filter(analyzed_at__isnull=True).count()

    async def process_pending(self, limit: int = 500) -> list[AnalysedArticle]:
        """Analyse up to ``limit`` unanalysed articles, oldest first, each claimed before it is
        analysed (several processes may share the database: each article is analysed once).

        With ``in_flight`` above 1 the next batches are claimed and handed to the analyser before
        this one is stored, so an analyser in its own process never waits for the database."""
        done: list[AnalysedArticle] = []
        async with self._lock:
            queued: list[tuple[list[Article], asyncio.Task[list[Analysis | BaseException]]]] = []
            claimed = 0
            try:
                while True:
                    while len(queued) < self._in_flight and claimed < limit:
                        batch = await self._claim(min(self._batch_size, limit - claimed))
                        if not batch:
                            break
                        claimed += len(batch)
                        queued.append((batch, asyncio.create_task(self._analyse(batch))))
                    if not queued:
                        break
                    batch, analysing = queued[0]
                    done.extend(await self._store_all(batch, await analysing))
                    queued.pop(0)
            except BaseException:
                for batch, analysing in queued:
                    analysing.cancel()
                    await self._release(batch)
                raise
        return done

    async def analyse_ids(self, ids: list[int]) -> list[AnalysedArticle]:
        """Analyse these articles as one batch, each under a claim (the jobs of the work queue,
        bot/workers/queue.py); those analysed already or held by another analyser are left out.
        What fails the whole batch (the database away) is raised, with the claims given back."""
        batch: list[Article] = []
        try:
            batch = await self._claim(len(ids), ids=ids)
            return await self._store_all(batch, await self._analyse(batch)) if batch else []
        except BaseException:
            if batch:
                await self._release(batch)
            raise

    async def _release(self, batch: list[Article]) -> None:
        """Give back the claims of a batch whose pass failed, so the next pass takes them at once."""
        try:
            await Article.filter(claim_token=batch[0].claim_token, analyzed_at__isnull=True).update(
                claimed_at=None, claim_token=None)
        except Exception:  # the database is down: the claims go stale after CLAIM_TTL instead
            log.warning("could not release %d analysis claims", len(batch), exc_info=True)

    async def _claim(self, size: int, *, ids: list[int] | None = None, attempts: int = 5) -> list[Article]:
        """Up to ``size`` unanalysed articles (of ``ids`` when given), claimed for this analyser by a
        conditional update: an article another analyser claimed meanwhile is left to it."""
        for _ in range(attempts):
            now = self._clock()
            free = Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_TTL)
            waiting = Article.filter(free, analyzed_at__isnull=True)
            if ids is not None:
                waiting = waiting.filter(id__in=ids)
            ids = await waiting.order_by("id").limit(size).values_list("id", flat=True)
            if not ids:
                return []
            token = claim_token(self.owner)
            taken = await Article.filter(free, id__in=ids, analyzed_at__isnull=True).update(
                claimed_at=now, claim_token=token)
            if taken:
                return list(await Article.filter(claim_token=token, analyzed_at__isnull=True)
                            .order_by("id").select_related("source"))
        return []  # others keep winning the race: they are analysing, this pass has nothing to do

    async def _analyse(self, batch: list[Article]) -> list[Analysis | BaseException]:
        docs = [_document(a) for a in batch]
        try:
            return list(await asyncio.to_thread(self._analyzer.run_many, docs))
        except Exception:  # one bad article must not block the rest: retry one by one
            log.exception("batch analysis failed; analysing the %d articles one by one", len(docs))
            # one batch at a time: an article that kills the analyser's process fails alone, not
            # beside an article of another batch that was in the process with it
            async with self._one_by_one:
                return [await self._one(d) for d in docs]

    async def _store_all(self, batch: list[Article], analyses: list[Analysis | BaseException]) -> list[AnalysedArticle]:
        out = []
        for article, analysis in zip(batch, analyses, strict=True):
            result = await self._finish(article, analysis)
            if result is not None:
                out.append(result)
        return out

    async def _finish(self, article: Article, analysis: Analysis | BaseException) -> AnalysedArticle | None:
        """Store one article's analysis, or why it failed; a failure is this article's alone."""
        try:
            try:
                if isinstance(analysis, BaseException):
                    return await self._record_error(article, analysis)
                return await self._store(article, analysis)
            except _ClaimLost:
                raise
            except _DATABASE_DOWN:
                raise  # not this article's fault: the pass fails and is tried again
            except IntegrityError:
                if not await Article.exists(id=article.id):
                    log.info("article %s was removed (its source was) while it was analysed", article.id)
                    return None
                log.exception("storing the analysis of article %s failed", article.id)
                return await self._record_error(article, RuntimeError("a database constraint failed"), "storing")
            except Exception as exc:  # storing failed for this article only: record why, go on with the rest
                log.exception("storing the analysis of article %s failed", article.id)
                return await self._record_error(article, exc, "storing")
        except _ClaimLost:
            log.info("article %s was analysed by another process meanwhile", article.id)
            return None

    async def _one(self, doc: Document) -> Analysis | BaseException:
        try:
            return await asyncio.to_thread(self._analyzer.run, doc)
        except Exception as exc:
            log.exception("analysis of article %s failed", doc.id)
            return exc

    async def _record_error(self, article: Article, exc: BaseException, stage: str | None = None) -> AnalysedArticle:
        """Record why ``article`` failed (``/why`` shows it); it is not tried again."""
        reason = f"{exc.__class__.__name__}: {exc}"
        error = fit(Article, analysis_error=f"{stage}: {reason}" if stage else reason)["analysis_error"]
        async with in_transaction():
            await self._take(article, analysis_error=error)
            await PipelineEvent.create(**fit(PipelineEvent, url_key=article.url_key, url=article.url,
                                             source_id=article.source_id, article_id=article.id, stage="analyze",
                                             outcome="failed", detail=error))
        return AnalysedArticle(article.id, article.title, article.url, "", (), 0, None, False, article.deliverable,
                               error=error)

    async def _take(self, article: Article, **values: object) -> None:
        """Mark ``article`` analysed if this analyser's claim still holds (else ``_ClaimLost``)."""
        now = self._clock()
        taken = await Article.filter(id=article.id, claim_token=article.claim_token, analyzed_at__isnull=True).update(
            analyzed_at=now, **values)
        if not taken:
            if not await Article.exists(id=article.id):
                raise IntegrityError(f"article {article.id} is gone")
            raise _ClaimLost(article.id)
        article.analyzed_at = now

    async def _store(self, article: Article, analysis: Analysis) -> AnalysedArticle:
        published = article.published_at or article.fetched_at
        actor_ids = await self._actors.resolve_all(analysis.actors)
        candidate = StoryCandidate(
            article_id=str(article.id), title=article.title or "", lead=analysis.summary.text,
            embedding=np.asarray(analysis.embedding, dtype=np.float32), published=published,
            actors=tuple(a.name for a in analysis.actors if a.type in ("PERSON", "ORG", "GPE")),
            source=str(article.source_id),
        )
        mentions = [fitted(Mention, actor_id=actor_ids[a.name], article_id=article.id, start=m.start, end=m.end,
                           published_at=published)
                    for a in analysis.actors for m in a.mentions]
        statements, refused = _statement_rows(article, analysis, actor_ids, published)
        async with in_transaction():
            # the claim first: a second analyser of the same article stops here and stores nothing
            await self._take(article)
            await Mention.bulk_create(mentions)
            await Statement.bulk_create(statements)
            if analysis.embedding:
                story, decision_reason, joined = await self._assign_story(article, candidate)
                story_event = fitted(PipelineEvent, url_key=article.url_key, url=article.url,
                                     source_id=article.source_id, article_id=article.id, stage="story",
                                     outcome="joined" if joined else "new", detail=f"story {story.id}: {decision_reason}")
            else:  # the encoder failed for this article: no story to join (noted in `errors`)
                story, joined = None, False
                story_event = fitted(PipelineEvent, url_key=article.url_key, url=article.url,
                                     source_id=article.source_id, article_id=article.id, stage="story",
                                     outcome="skipped", detail="no embedding: the article joins no story")
            article.summary = analysis.summary.text
            article.summary_method = analysis.summary.method
            article.embedding = vector_bytes(analysis.embedding) if analysis.embedding else None
            article.analysis_error = None
            article.story_id = story.id if story else None
            if analysis.language and not article.language:
                article.language = analysis.language
            fields = ["summary", "summary_method", "embedding", "analysis_error", "story_id", "language"]
            fit_instance(article, fields)
            await article.save(update_fields=fields)
            notes = [cut(n, 1000) for n in (*analysis.errors, refused, analysis.summary.note) if n]
            await PipelineEvent.bulk_create([
                fitted(PipelineEvent, url_key=article.url_key, url=article.url, source_id=article.source_id,
                       article_id=article.id, stage="analyze",
                       outcome="partial" if analysis.errors else analysis.summary.method,
                       detail=f"{len(analysis.actors)} actors, {len(statements)} statements"
                              + "".join(f"; {n}" for n in notes)),
                story_event,
            ])
        return AnalysedArticle(article.id, article.title, article.url, article.summary or "",
                               tuple(a.name for a in analysis.actors), len(statements),
                               story.id if story else None, joined, article.deliverable)

    async def _assign_story(self, article: Article, candidate: StoryCandidate) -> tuple[Story, str, bool]:
        since = candidate.published - self._clusterer.window
        rows = await Story.filter(last_seen_at__gte=since).order_by("-last_seen_at").limit(500)
        states = [_state(row) for row in rows if row.centroid]
        decision = self._clusterer.assign(candidate, states)
        if decision.story_id is None:
            state = StoryState.start("new", candidate)
            story = await Story.create(**fit(
                Story, title=article.title or candidate.lead[:200] or "(untitled)",
                first_seen_at=candidate.published, last_seen_at=candidate.published, sources_count=1,
                articles_count=1, briefing=candidate.lead, centroid=vector_bytes(state.centroid),
                actor_counts=dict(state.actor_counts),
            ))
            return story, decision.reason, False
        # the story's row, locked: another process joining an article to it waits for this one to
        # commit, so its counts include this article (PostgreSQL; SQLite has one writer already)
        row = await Story.filter(id=int(decision.story_id)).select_for_update().get()
        state = self._clusterer.update(_state(row), candidate)
        row.centroid = vector_bytes(state.centroid)
        row.actor_counts = dict(state.actor_counts)
        row.first_seen_at = min(row.first_seen_at, candidate.published)
        row.last_seen_at = max(row.last_seen_at, candidate.published)
        row.articles_count = await Article.filter(story_id=row.id).count() + 1
        sources = set(await ArticleSighting.filter(article__story_id=row.id).values_list("source_id", flat=True))
        sources.add(article.source_id)
        row.sources_count = len(sources)
        fit_instance(row, ["actor_counts"])
        await row.save(update_fields=["centroid", "actor_counts", "first_seen_at", "last_seen_at", "articles_count",
                                      "sources_count", "updated_at"])
        return row, decision.reason, True


def _statement_rows(article: Article, analysis: Analysis, actor_ids: dict[str, int],
                    published: datetime) -> tuple[list[Statement], str | None]:
    """The statements as rows; one that cannot be stored exactly (a quote longer than its column) is
    left out and said in the returned note."""
    rows: list[Statement] = []
    refused: list[str] = []
    for s in analysis.statements:
        try:
            rows.append(fitted(Statement, article_id=article.id,
                               actor_id=actor_ids.get(s.speaker) if s.speaker else None,
                               speaker=s.speaker or s.speaker_role,  # "a senior official": shown as written
                               cue=s.cue, text=s.text, start=s.span.start, end=s.span.end, kind=s.kind,
                               published_at=published))
        except FieldTooLong as exc:
            refused.append(f"statement at {s.span.start} not stored: {exc}")
    return rows, "; ".join(refused) or None


def _document(article: Article) -> Document:
    source = article.source
    return Document(id=str(article.id), text=article.text, title=article.title, published=article.published_at,
                    source=(source.title or source.url) if source else None, url=article.url)


def _state(row: Story) -> StoryState:
    centroid = vector_of(row.centroid)
    assert centroid is not None
    return StoryState(story_id=str(row.id), centroid=centroid, actor_counts=dict(row.actor_counts or {}),
                      first_seen=row.first_seen_at, last_seen=row.last_seen_at, member_count=row.articles_count,
                      title=row.title)
