"""The live workers: each `briefbot run` process registers itself with its roles, beats every
``heartbeat_s`` with the jobs it did per role, and is marked stopped when it ends. One that stops
beating (killed, frozen, cut off) is shown as gone after ``GONE_AFTER_BEATS`` missed beats, and
the live ones hand its claimed work on at their next beat (bot/workers/reaper.py)."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta

from bot.ingest.pipeline import utcnow
from bot.storage.models import Worker
from bot.workers.reaper import reap_gone
from bot.workers.roles import describe

log = logging.getLogger(__name__)

GONE_AFTER_BEATS = 3
KEEP_STOPPED = timedelta(days=7)  # rows of workers that ended longer ago are removed


class WorkerRegistry:
    def __init__(self, roles: frozenset[str], *, heartbeat_s: float = 10.0, clock: Callable[[], datetime] = utcnow,
                 host: str | None = None, pid: int | None = None) -> None:
        self._roles = roles
        self._heartbeat_s = heartbeat_s
        self._clock = clock
        self._host = (host or socket.gethostname())[:255]
        self._pid = pid if pid is not None else os.getpid()
        self._done: Counter[str] = Counter()
        self._row: Worker | None = None

    @property
    def worker_id(self) -> int | None:
        """This process's row id once started (its claims carry it)."""
        return self._row.id if self._row is not None else None

    def count(self, role: str, n: int = 1) -> None:
        """``n`` more jobs done in ``role`` (written with the next beat)."""
        if n:
            self._done[role] += n

    async def start(self) -> Worker:
        now = self._clock()
        await Worker.filter(heartbeat_at__lt=now - KEEP_STOPPED).delete()
        self._row = await Worker.create(host=self._host, pid=self._pid, roles=describe(self._roles), started_at=now,
                                        heartbeat_at=now, done={})
        log.info("worker %s: pid %s on %s, roles %s", self._row.id, self._pid, self._host, describe(self._roles))
        return self._row

    async def beat(self) -> None:
        if self._row is None:
            return
        await Worker.filter(id=self._row.id).update(heartbeat_at=self._clock(), done=dict(self._done))

    async def run(self, stop: asyncio.Event) -> None:
        """Beat until ``stop``; a failed beat (the database away) is logged and tried again."""
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), timeout=self._heartbeat_s)
            except TimeoutError:
                pass
            try:
                await self.tick()
            except Exception:
                log.warning("worker heartbeat failed", exc_info=True)

    async def tick(self) -> None:
        """One beat, then the claims of workers gone meanwhile handed on."""
        await self.beat()
        await reap_gone(self._clock(), timedelta(seconds=self._heartbeat_s * GONE_AFTER_BEATS), me=self.worker_id)

    async def stop(self) -> None:
        if self._row is None:
            return
        now = self._clock()
        await Worker.filter(id=self._row.id).update(heartbeat_at=now, stopped_at=now, done=dict(self._done))
