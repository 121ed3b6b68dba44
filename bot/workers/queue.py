"""The work queue on PostgreSQL: PgQueuer (https://github.com/janbjorge/pgqueuer).

Each new article is an ``analyse`` job, enqueued in the transaction that stores the article, so
the job exists exactly when the article does. Analyser processes take jobs with ``FOR UPDATE SKIP
LOCKED`` and are woken by ``LISTEN/NOTIFY`` when one is enqueued; a job whose worker stops beating
(killed, frozen) is taken again by another after ``heartbeat_timeout``. Jobs are at-least-once: the
handler analyses an article only under its claim (bot/services/analysis.py), so a job run twice
stores one analysis.

SQLite has no queue: one process analyses what it finds unanalysed, as before."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from tortoise import connections
from tortoise.expressions import Q

from bot.ingest.pipeline import utcnow
from bot.services.analysis import CLAIM_TTL, AnalysedArticle, AnalysisService
from bot.storage.db import asyncpg_dsn, is_postgres
from bot.storage.jobs import ANALYSE, enqueue_analysis
from bot.storage.models import Article
from bot.workers.batcher import Batcher

log = logging.getLogger(__name__)

SWEEP_S = 60.0  # how often an analyser gives a job to any unanalysed article that has none
SWEEP_LIMIT = 5000
RETRY_S = 5.0  # a failed queue connection is tried again after this long
HEARTBEAT_TIMEOUT = timedelta(seconds=10)  # a job not beaten for this long is taken again (beats: every 5 s)


async def analyse_until(analysis: AnalysisService, url: str, stop: asyncio.Event, wakeup: asyncio.Event,
                        on_done: Callable[[list[AnalysedArticle]], object], *, idle_s: float,
                        retry_s: float = RETRY_S) -> None:
    """This process's analysis until ``stop``: jobs from the queue on PostgreSQL; on SQLite a pass
    over the unanalysed articles whenever ``wakeup`` is set, or every ``idle_s``. A queue that
    fails (the database restarted, its connection lost) is joined again after ``retry_s``."""
    if not is_postgres(url):
        await analysis.run_forever(stop, wakeup, on_done, idle_s=idle_s)
        return
    batcher = Batcher(analysis.analyse_ids, batch_size=analysis.batch_size, report=on_done)

    async def analyse(payload: str) -> None:
        await batcher(int(payload or 0))

    worker = QueueWorker(url, ANALYSE, analyse, batch_size=analysis.batch_size, sweep=enqueue_waiting)
    await run_queue(worker, stop, "analysis", retry_s=retry_s)


async def enqueue_waiting(limit: int = SWEEP_LIMIT) -> int:
    """Give a job to each unanalysed article that no analyser holds and that has none queued: those
    stored before the queue existed, and those whose job ended without analysing them (a failed
    batch, a claim that was still held by a worker later found gone)."""
    now = utcnow()
    free = Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_TTL)
    ids = await (Article.filter(free, analyzed_at__isnull=True).order_by("id").limit(limit)
                 .values_list("id", flat=True))
    return await enqueue_analysis(connections.get("default"), ids)


class QueueWorker:
    """Takes the ``kind`` jobs until ``stop`` and hands each one's payload to ``handle``.
    ``batch_size`` jobs are taken at a time and at most ``concurrency`` (at least twice that)
    are held, so a handler that batches (the analyser) always has the next batch while the last
    one is stored. ``sweep``, run at start and every ``sweep_s``, gives a job to any work that
    has none (returns how many it queued). A job due later (``execute_after``) is noticed by the
    next look at the queue, at most ``dequeue_timeout`` after it is due."""

    def __init__(self, url: str, kind: str, handle: Callable[[str], Awaitable[object]], *, batch_size: int = 16,
                 concurrency: int | None = None, sweep: Callable[[], Awaitable[int]] | None = None,
                 sweep_s: float = SWEEP_S, dequeue_timeout: timedelta = timedelta(seconds=30),
                 heartbeat_timeout: timedelta = HEARTBEAT_TIMEOUT) -> None:
        self._url = url
        self._kind = kind
        self._handle = handle
        self._batch_size = batch_size
        self._concurrency = max(concurrency or 0, 2 * batch_size)  # PgQueuer holds two batches at least
        self._sweep_fn = sweep
        self._sweep_s = sweep_s
        self._dequeue_timeout = dequeue_timeout
        self._heartbeat_timeout = heartbeat_timeout

    async def run(self, stop: asyncio.Event) -> None:
        import asyncpg
        from pgqueuer.db import AsyncpgDriver
        from pgqueuer.models import Job
        from pgqueuer.qm import QueueManager
        from pgqueuer.queries import Queries

        conn = await asyncpg.connect(asyncpg_dsn(self._url))
        try:
            qm = QueueManager(Queries(AsyncpgDriver(conn)))

            @qm.entrypoint(self._kind, on_failure="delete")
            async def handle(job: Job) -> None:
                await self._handle((job.payload or b"").decode())

            stopper = asyncio.create_task(stop.wait())
            stopper.add_done_callback(lambda _: qm.shutdown.set())
            sweeper = asyncio.create_task(self._sweep(stop)) if self._sweep_fn is not None else None
            try:
                await qm.run(batch_size=self._batch_size, max_concurrent_tasks=self._concurrency,
                             dequeue_timeout=self._dequeue_timeout, heartbeat_timeout=self._heartbeat_timeout)
            finally:
                waiting = [t for t in (stopper, sweeper) if t is not None]
                for task in waiting:
                    task.cancel()
                await asyncio.gather(*waiting, return_exceptions=True)
        finally:
            await conn.close()

    async def _sweep(self, stop: asyncio.Event) -> None:
        assert self._sweep_fn is not None
        while not stop.is_set():
            try:
                if added := await self._sweep_fn():
                    log.info("%d %s job(s) were missing: queued", added, self._kind)
            except Exception:  # the database is away: the next sweep tries again
                log.warning("could not look for %s work without a job", self._kind, exc_info=True)
            try:
                await asyncio.wait_for(stop.wait(), timeout=self._sweep_s)
            except TimeoutError:
                pass


async def run_queue(worker: QueueWorker, stop: asyncio.Event, what: str, *, retry_s: float = RETRY_S) -> None:
    """Run ``worker`` until ``stop``; a queue that fails (the database restarted, its connection
    lost) is joined again after ``retry_s``. The jobs it held are taken again once their beats stop."""
    while not stop.is_set():
        log.info("%s: taking the jobs of the work queue", what)
        try:
            await worker.run(stop)
        except Exception as exc:
            log.warning("the work queue failed (%s: %s); joining it again in %.0f s", exc.__class__.__name__, exc,
                        retry_s)
            try:
                await asyncio.wait_for(stop.wait(), timeout=retry_s)
            except TimeoutError:
                pass
