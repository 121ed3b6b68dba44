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
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient
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
    while not stop.is_set():
        log.info("analysing the jobs of the work queue")
        try:
            await QueueWorker(url, batcher, batch_size=analysis.batch_size).run(stop)
        except Exception as exc:  # the jobs it held are taken again once their beats stop
            log.warning("the work queue failed (%s: %s); joining it again in %.0f s", exc.__class__.__name__, exc,
                        retry_s)
            try:
                await asyncio.wait_for(stop.wait(), timeout=retry_s)
            except TimeoutError:
                pass


async def enqueue_waiting(limit: int = SWEEP_LIMIT) -> int:
    """Give a job to each unanalysed article that no analyser holds and that has none queued: those
    stored before the queue existed, and those whose job ended without analysing them (a failed
    batch, a claim that was still held by a worker later found gone)."""
    now = utcnow()
    free = Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_TTL)
    ids = await (Article.filter(free, analyzed_at__isnull=True).order_by("id").limit(limit)
                 .values_list("id", flat=True))
    return await enqueue_analysis(connections.get("default"), ids)


async def queue_depths(conn: BaseDBAsyncClient) -> dict[str, int]:
    """Jobs per kind and state (``analyse queued``, ``analyse running``); empty on SQLite."""
    if conn.capabilities.dialect != "postgres":
        return {}
    rows = await conn.execute_query_dict(
        "SELECT entrypoint, status::text AS status, count(*) AS n FROM pgqueuer "
        "WHERE status IN ('queued', 'picked') GROUP BY entrypoint, status")
    out: dict[str, int] = {}
    for row in rows:
        state = "running" if row["status"] == "picked" else "queued"
        out[f"{row['entrypoint']} jobs {state}"] = int(row["n"])
    return out


class QueueWorker:
    """Takes ``analyse`` jobs until ``stop`` and hands each article to ``analyse`` (which batches
    the jobs that arrive together). ``batch_size`` jobs are taken at a time and at most twice that
    many are held, so the analyser always has the next batch while the last one is stored."""

    def __init__(self, url: str, analyse: Callable[[int], Any], *, batch_size: int = 16,
                 heartbeat_timeout: timedelta = HEARTBEAT_TIMEOUT, sweep_s: float = SWEEP_S) -> None:
        self._sweep_s = sweep_s
        self._url = url
        self._analyse = analyse
        self._batch_size = batch_size
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

            @qm.entrypoint(ANALYSE, on_failure="delete")
            async def analyse(job: Job) -> None:
                await self._analyse(int(job.payload or b"0"))

            stopper = asyncio.create_task(stop.wait())
            stopper.add_done_callback(lambda _: qm.shutdown.set())
            sweeper = asyncio.create_task(self._sweep(stop))
            try:
                await qm.run(batch_size=self._batch_size, max_concurrent_tasks=2 * self._batch_size,
                             dequeue_timeout=timedelta(seconds=30), heartbeat_timeout=self._heartbeat_timeout)
            finally:
                stopper.cancel()
                sweeper.cancel()
                await asyncio.gather(stopper, sweeper, return_exceptions=True)
        finally:
            await conn.close()

    async def _sweep(self, stop: asyncio.Event) -> None:
        """At start and every ``SWEEP_S``: a job for every waiting article that has none."""
        while not stop.is_set():
            try:
                if added := await enqueue_waiting():
                    log.info("%d waiting article(s) had no analysis job: queued", added)
            except Exception:  # the database is away: the next sweep tries again
                log.warning("could not look for articles without a job", exc_info=True)
            try:
                await asyncio.wait_for(stop.wait(), timeout=self._sweep_s)
            except TimeoutError:
                pass
