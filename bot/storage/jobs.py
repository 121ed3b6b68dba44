"""Jobs enqueued with the data they refer to (PostgreSQL; the queue itself, and why, is
bot/workers/queue.py): PgQueuer's schema, and the ``analyse`` job a new article gets in the
transaction that stores it."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

log = logging.getLogger(__name__)

ANALYSE = "analyse"
JOB_KINDS = (ANALYSE,)


async def install(conn: Any) -> None:
    """Create PgQueuer's tables on an asyncpg connection, or bring them up to this version's
    (``briefbot db upgrade`` calls it, under the migration lock)."""
    from pgqueuer.db import AsyncpgDriver  # PgQueuer takes 0.3 s to import: only where it is used
    from pgqueuer.queries import Queries

    queries = Queries(AsyncpgDriver(conn))
    if not await queries.has_table(queries.qbe.settings.queue_table):
        await queries.install()
        log.info("work queue installed")
    else:
        await queries.upgrade()


class _InTransaction:
    """PgQueuer's driver over a tortoise connection: a job enqueued through it commits, or rolls
    back, with the rows written in the same transaction."""

    def __init__(self, conn: BaseDBAsyncClient) -> None:
        self._conn = conn

    async def fetch(self, query: str, *args: Any) -> list[dict[str, Any]]:
        return await self._conn.execute_query_dict(query, list(args))

    async def execute(self, query: str, *args: Any) -> str:
        await self._conn.execute_query(query, list(args))
        return ""


def _key(article_id: int) -> str:
    return f"{ANALYSE}:{article_id}"


async def enqueue_analysis(conn: BaseDBAsyncClient, article_ids: Sequence[int]) -> int:
    """Enqueue an ``analyse`` job per article on ``conn`` (in its transaction, if it is in one);
    an article whose job is still queued or running is skipped. Nothing on SQLite. Returns how
    many jobs were added."""
    if conn.capabilities.dialect != "postgres" or not article_ids:
        return 0
    from pgqueuer.queries import Queries

    ids = list(article_ids)
    added = await Queries(_InTransaction(conn)).enqueue(  # type: ignore[arg-type]
        [ANALYSE] * len(ids), [str(i).encode() for i in ids], [0] * len(ids),
        dedupe_key=[_key(i) for i in ids], on_conflict="skip")
    return sum(1 for job in added if job is not None)
