"""The pace of requests to Discord. Its global limit (50 requests/s) is per bot token, so every
process of one bot must share one budget: with PostgreSQL the processes take their slots from one
row (``rate_budgets``, on the database's clock, so hosts' clocks need not agree); with SQLite there
is one process, which paces itself. Every request attempt takes a slot as it is sent (the client's
``http_trace``, bot/discord/sender.py), so discord.py's retries, and the requests it held while
waiting out a 429, are paced too; discord.py handles the per-route buckets and waits out any 429
(a global one included) in each process."""

from __future__ import annotations

import asyncio
import logging

from tortoise import connections

from bot.storage.db import is_postgres

log = logging.getLogger(__name__)

# Slots are a little more than 1/per_s apart: N requests a second then never make N + 1 in any one
# second at Discord, even when one request takes a slot's length longer than another to get there.
SLACK = 1.05

_TAKE_SLOT = """
INSERT INTO rate_budgets (name, next_at)
VALUES ($1, extract(epoch from clock_timestamp())::float8 + $2)
ON CONFLICT (name) DO UPDATE
SET next_at = GREATEST(rate_budgets.next_at, extract(epoch from clock_timestamp())::float8) + $2
RETURNING next_at - $2 - extract(epoch from clock_timestamp())::float8 AS delay
"""


class Pace:
    """Spaces this process's calls ``SLACK / per_s`` apart."""

    def __init__(self, per_s: float) -> None:
        self._interval = SLACK / per_s
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        loop = asyncio.get_running_loop()
        async with self._lock:
            now = loop.time()
            at = max(now, self._next)
            self._next = at + self._interval
        if at > now:
            await asyncio.sleep(at - now)


class SharedPace:
    """Spaces the calls of every process on one PostgreSQL database ``SLACK / per_s`` apart: each
    call takes the next free slot with one atomic statement, then waits for it. When the database
    cannot be reached the process paces itself meanwhile."""

    def __init__(self, per_s: float, name: str = "discord") -> None:
        self._interval = SLACK / per_s
        self._name = name
        self._own = Pace(per_s)

    async def wait(self) -> None:
        try:
            conn = connections.get("default")
            rows = await conn.execute_query_dict(_TAKE_SLOT, [self._name, self._interval])
            delay = float(rows[0]["delay"])
        except Exception:
            log.warning("the shared request pace is unavailable; pacing this process alone", exc_info=True)
            await self._own.wait()
            return
        if delay > 0:
            await asyncio.sleep(delay)


def pace_for(database_url: str, per_s: float) -> Pace | SharedPace:
    """The pace for a bot on ``database_url``: shared between processes on PostgreSQL."""
    return SharedPace(per_s) if is_postgres(database_url) else Pace(per_s)
