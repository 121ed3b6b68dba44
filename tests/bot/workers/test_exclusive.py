"""One process at a time for work that is not split (routing to the outbox) on PostgreSQL: a
second process stands by, and takes over when the first stops or its database session is gone
(the advisory lock goes with it)."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.workers.exclusive import exclusive
from bot.storage.db import asyncpg_dsn

KEY = 0x7465_7374


@pytest.mark.db
async def test_a_second_process_stands_by_and_takes_over_when_the_first_stops_or_is_cut_off(
        db_url: str, caplog: pytest.LogCaptureFixture) -> None:
    if db_url.startswith("sqlite://"):
        pytest.skip("SQLite has one process (make test-pg)")
    import asyncpg

    log: list[str] = []
    started = {name: asyncio.Event() for name in "abc"}
    stopped = {name: asyncio.Event() for name in "abc"}
    standing_by = asyncio.Event()

    def worker(name: str):  # type: ignore[no-untyped-def]
        async def work(until: asyncio.Event) -> None:
            log.append(f"{name} starts")
            started[name].set()
            await until.wait()
            log.append(f"{name} stops")
            stopped[name].set()
        return work

    class StandBy(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if "standing by" in record.getMessage():
                standing_by.set()

    caplog.set_level(logging.INFO, logger="bot.workers.exclusive")
    handler = StandBy()
    logging.getLogger("bot.workers.exclusive").addHandler(handler)
    stops = {name: asyncio.Event() for name in "abc"}
    tasks = {}
    admin = await asyncpg.connect(asyncpg_dsn(db_url))
    try:
        tasks["a"] = asyncio.create_task(exclusive(db_url, KEY, "test", stops["a"], worker("a"), retry_s=0.05))
        await asyncio.wait_for(started["a"].wait(), 30)
        tasks["b"] = asyncio.create_task(exclusive(db_url, KEY, "test", stops["b"], worker("b"), retry_s=0.05))
        await asyncio.wait_for(standing_by.wait(), 30)
        assert not started["b"].is_set(), "b stands by while a holds the lock"
        stops["a"].set()  # a stops cleanly: b takes over once a has stopped
        await asyncio.wait_for(started["b"].wait(), 30)
        await asyncio.wait_for(tasks["a"], 30)
        assert log == ["a starts", "a stops", "b starts"]
        # c stands by; then b's session is cut off (its machine lost, the database restarted):
        # b stops its work as soon as it finds its lock gone, and c takes over
        tasks["c"] = asyncio.create_task(exclusive(db_url, KEY, "test", stops["c"], worker("c"), retry_s=0.05))
        holder = await admin.fetchval("SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND objid = $1 "
                                      "AND granted", KEY)
        assert await admin.fetchval("SELECT pg_terminate_backend($1)", holder)
        await asyncio.wait_for(started["c"].wait(), 30)
        # b's next check of its connection (every 0.05 s) finds the lock gone
        await asyncio.wait_for(stopped["b"].wait(), 30)
        assert not tasks["b"].done(), "b stopped its work and stands by again"
    finally:
        for name in "abc":
            stops[name].set()
        await asyncio.wait_for(asyncio.gather(*tasks.values(), return_exceptions=True), 30)
        logging.getLogger("bot.workers.exclusive").removeHandler(handler)
        await admin.close()
    assert log.count("c starts") == 1 and log[-1] == "c stops"
