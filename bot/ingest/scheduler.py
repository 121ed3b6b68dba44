"""Polls every source on its own interval. Each poll is its own task: a slow or broken
source never delays the others."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from tortoise.expressions import Q

from bot.ingest.pipeline import Ingestor, PollReport, utcnow
from bot.storage.models import Source

log = logging.getLogger(__name__)

OnReport = Callable[[PollReport], Awaitable[None] | None]
# A scheduled poll claims its source for this long (its next_poll_at moves on by it): another poller
# process leaves it alone meanwhile, and a poller that died mid-poll hands it on when it expires.
POLL_CLAIM = timedelta(minutes=10)


class Scheduler:
    def __init__(
        self,
        ingestor: Ingestor,
        *,
        concurrency: int = 32,
        tick_s: float = 5.0,
        clock: Callable[[], datetime] = utcnow,
        on_report: OnReport | None = None,
        owner: int | None = None,
    ) -> None:
        self._ingestor = ingestor
        self._owner = owner  # this process's worker id: its claims name it (bot/workers/reaper.py)
        self._limit = asyncio.Semaphore(concurrency)
        self._tick_s = tick_s
        self._clock = clock
        self._on_report = on_report
        self._in_flight: dict[int, asyncio.Task[PollReport]] = {}

    async def due_sources(self, *, all_sources: bool = False) -> list[Source]:
        query = Source.filter(scheduled=True, disabled_at__isnull=True)
        if not all_sources:
            query = query.filter(Q(next_poll_at__isnull=True) | Q(next_poll_at__lte=self._clock()))
        return [s for s in await query.order_by("next_poll_at", "id") if s.id not in self._in_flight]

    async def claim(self, sources: list[Source]) -> list[Source]:
        """The due ``sources`` this poller claimed: a conditional update on ``next_poll_at``, so
        that of several poller processes exactly one polls each source."""
        until = self._clock() + POLL_CLAIM
        mine = []
        for source in sources:
            due = Source.filter(id=source.id)
            due = due.filter(next_poll_at__isnull=True) if source.next_poll_at is None \
                else due.filter(next_poll_at=source.next_poll_at)
            if await due.update(next_poll_at=until, claimed_by=self._owner):
                source.next_poll_at = until
                mine.append(source)
        return mine

    def start_due(self, sources: list[Source]) -> list[asyncio.Task[PollReport]]:
        tasks = []
        for source in sources:
            task = asyncio.create_task(self._poll(source), name=f"poll-source-{source.id}")
            self._in_flight[source.id] = task
            task.add_done_callback(lambda _t, sid=source.id: self._in_flight.pop(sid, None))
            tasks.append(task)
        return tasks

    async def run_once(self, *, all_sources: bool = False) -> list[PollReport]:
        """Poll every due source (or every enabled one) and wait for all of them."""
        tasks = self.start_due(await self.due_sources(all_sources=all_sources))
        return list(await asyncio.gather(*tasks)) if tasks else []

    async def run_forever(self, stop: asyncio.Event) -> None:
        """Start due polls every tick until ``stop`` is set, then cancel the polls in flight.

        A cancelled poll loses nothing: an item is recorded as seen only together with its
        article, and the source's validators only after a complete poll."""
        try:
            while not stop.is_set():
                try:
                    self.start_due(await self.claim(await self.due_sources()))
                except Exception:  # the database may be briefly unavailable: try again next tick
                    log.exception("scheduler tick failed")
                try:
                    await asyncio.wait_for(stop.wait(), timeout=self._tick_s)
                except TimeoutError:
                    pass
        finally:
            pending = dict(self._in_flight)
            for task in pending.values():
                task.cancel()
            if pending:
                await asyncio.gather(*pending.values(), return_exceptions=True)
                try:  # their claims go back: the next start polls them at once
                    await Source.filter(id__in=list(pending)).update(next_poll_at=self._clock(), claimed_by=None)
                except Exception:
                    log.warning("could not hand back %d poll claims; they expire in %s", len(pending), POLL_CLAIM)

    async def _poll(self, source: Source) -> PollReport:
        async with self._limit:
            report = await self._ingestor.poll(source)
        if self._on_report is not None:
            try:
                result = self._on_report(report)
                if asyncio.iscoroutine(result):
                    await result
            except Exception:
                log.exception("poll report handler failed")
        return report
