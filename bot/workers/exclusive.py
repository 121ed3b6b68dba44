"""One process at a time for work that is not split between processes (routing analysed articles
to the outbox: bot/workers/delivering.py). On PostgreSQL the role's process holds an advisory
lock on a connection of its own; the others stand by and take over within ``retry_s`` when it
stops, is killed, or loses its connection (the lock goes with the session). A process that loses
the lock stops the work at once, before another can start it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from bot.storage.db import asyncpg_dsn

log = logging.getLogger(__name__)

CHECK_S = 2.0  # how often the holder checks that its lock's connection is alive, and others retry


async def exclusive(url: str, key: int, name: str, stop: asyncio.Event,
                    work: Callable[[asyncio.Event], Awaitable[None]], *, retry_s: float = CHECK_S) -> None:
    """Run ``work(inner_stop)`` while this process holds lock ``key``, until ``stop``; stand by
    while another holds it. ``inner_stop`` is set when ``stop`` is, or when the lock is lost."""
    import asyncpg

    standing_by = False
    while not stop.is_set():
        conn = None
        try:
            conn = await asyncpg.connect(asyncpg_dsn(url))
            if await conn.fetchval("SELECT pg_try_advisory_lock($1)", key):
                log.info("%s: this process holds the %s lock", name, name)
                standing_by = False
                await _hold(conn, stop, work, retry_s)
                continue
            if not standing_by:
                log.info("%s: another process holds the %s lock; standing by", name, name)
                standing_by = True
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            log.warning("%s: the lock's database connection failed (%s); trying again", name, exc)
        finally:
            if conn is not None:
                await _close(conn)
        try:
            await asyncio.wait_for(stop.wait(), timeout=retry_s)
        except TimeoutError:
            pass


async def _hold(conn, stop: asyncio.Event, work: Callable[[asyncio.Event], Awaitable[None]],  # type: ignore[no-untyped-def]
                check_s: float) -> None:
    inner = asyncio.Event()
    task = asyncio.create_task(work(inner))
    stopping = asyncio.ensure_future(stop.wait())
    try:
        while not task.done() and not stop.is_set():
            await asyncio.wait([task, stopping], timeout=check_s, return_when=asyncio.FIRST_COMPLETED)
            if not task.done() and not stop.is_set():
                # raises if the session, and so the lock, is gone
                await asyncio.wait_for(conn.fetchval("SELECT 1"), timeout=10 * check_s)
    except BaseException:
        inner.set()
        await asyncio.gather(task, return_exceptions=True)
        raise
    finally:
        stopping.cancel()
    inner.set()
    await task  # the work finishes its step (a post) and returns; its error, if any, is raised


async def _close(conn) -> None:  # type: ignore[no-untyped-def]
    try:
        await asyncio.wait_for(conn.close(), timeout=5)
    except Exception:
        conn.terminate()
