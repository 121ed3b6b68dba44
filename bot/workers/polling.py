"""Polling shared by several poll processes on PostgreSQL: each due poll is a ``poll`` job.

A source's next poll is enqueued, due at its ``next_poll_at``, in the transaction that sets it:
when a poll ends (bot/ingest/pipeline.py) or the source is enabled again. The job's key names that
due time, so at most one job per source and due time is queued or running; a job for a time the
source has moved on from (the source was polled meanwhile by `briefbot ingest`, or removed, or
disabled) is stale and does nothing. A poller that dies mid-poll stops beating, and another takes
its job again; a poll run twice stores nothing twice (items are recorded as seen with their
article). Every minute each poller gives a job to any scheduled source that has none for its
next poll time (a source added before the queue existed, a first poll cut short, a next poll time
moved by hand).

SQLite has no queue: one process polls on its scheduler (bot/ingest/scheduler.py)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import timedelta

from tortoise import connections

from bot.ingest.pipeline import Ingestor, PollReport
from bot.storage.jobs import POLL, enqueue_missing_polls, enqueue_polls, poll_due_key
from bot.storage.models import Source
from bot.workers.queue import QueueWorker, run_queue

log = logging.getLogger(__name__)

SWEEP_S = 60.0
DUE_LATENESS = timedelta(seconds=5)  # a job that becomes due is noticed within this

async def poll_jobs(url: str, ingestor: Ingestor, stop: asyncio.Event, *, concurrency: int,
                    on_report: Callable[[PollReport], object] | None = None) -> None:
    """This process's share of the polls until ``stop``: ``concurrency`` at a time."""

    async def poll(payload: str) -> None:
        source_id, _, due = payload.partition(":")
        source = await Source.get_or_none(id=int(source_id))
        if source is None or not source.scheduled or source.disabled_at is not None:
            return  # removed or disabled since: enabling it again gives it a new job
        if poll_due_key(source.next_poll_at) != due:
            # stale: the source was polled since; its next poll has its own job (made sure of here,
            # at once, rather than by the next sweep)
            await enqueue_polls(connections.get("default"), [(source.id, source.next_poll_at)])
            return
        report = await ingestor.poll(source)
        if on_report is not None:
            try:
                on_report(report)
            except Exception:
                log.exception("poll report handler failed")

    worker = QueueWorker(url, POLL, poll, batch_size=max(1, concurrency // 2), concurrency=concurrency,
                         sweep=lambda: enqueue_missing_polls(connections.get("default")), sweep_s=SWEEP_S,
                         dequeue_timeout=DUE_LATENESS)
    await run_queue(worker, stop, "polling")
