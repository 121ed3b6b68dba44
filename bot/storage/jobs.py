"""Jobs enqueued with the data they refer to (PostgreSQL; the queue itself, and why, is
bot/workers/queue.py): PgQueuer's schema, and the jobs of each kind:

- ``analyse``: a new article, in the transaction that stores it;
- ``poll``: a source's next poll, due at its ``next_poll_at``, in the transaction that sets it
  (the source added, enabled, or polled). The key names the due time, so a job for a time the
  source has moved on from is stale and does nothing (bot/workers/polling.py);
- ``deliver``: a channel with something to post, in the transaction that adds it to the outbox
  (bot/workers/delivering.py). One job per channel at a time keeps the channel's order.

And the queries over the queue: the sources without a job for their next poll (the pollers'
sweep), and the jobs per kind and state (`briefbot status`)."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

log = logging.getLogger(__name__)

ANALYSE = "analyse"
POLL = "poll"
DELIVER = "deliver"
JOB_KINDS = (ANALYSE, POLL, DELIVER)


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


async def _enqueue(conn: BaseDBAsyncClient, kind: str, payloads: Sequence[str], keys: Sequence[str],
                   after: Sequence[timedelta | None] | None = None) -> int:
    """Enqueue one ``kind`` job per payload on ``conn`` (in its transaction, if it is in one); a
    key whose job is still queued or running is skipped. Nothing on SQLite. How many were added."""
    if conn.capabilities.dialect != "postgres" or not payloads:
        return 0
    from pgqueuer.queries import Queries

    n = len(payloads)
    added = await Queries(_InTransaction(conn)).enqueue(  # type: ignore[arg-type]
        [kind] * n, [p.encode() for p in payloads], [0] * n, execute_after=list(after) if after else None,
        dedupe_key=list(keys), on_conflict="skip")
    return sum(1 for job in added if job is not None)


async def enqueue_analysis(conn: BaseDBAsyncClient, article_ids: Sequence[int]) -> int:
    """An ``analyse`` job per article; one whose job is still queued or running is skipped."""
    ids = list(article_ids)
    return await _enqueue(conn, ANALYSE, [str(i) for i in ids], [f"{ANALYSE}:{i}" for i in ids])


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)


def poll_due_key(due: datetime | None) -> str:
    """A poll job's name for the due time it was made for, in whole milliseconds (``new``: a source
    never polled); ``_POLL_DUE_KEY_SQL`` is the same in SQL."""
    return "new" if due is None else str((due - _EPOCH) // _MS)


# poll_due_key() of ``s.next_poll_at`` (PostgreSQL's extract() is exact: a numeric)
_POLL_DUE_KEY_SQL = "COALESCE(floor(extract(epoch FROM s.next_poll_at) * 1000)::bigint::text, 'new')"


async def enqueue_polls(conn: BaseDBAsyncClient, sources: Sequence[tuple[int, datetime | None]]) -> int:
    """A ``poll`` job per ``(source id, next_poll_at)``, run from that time on (at once when it is
    ``None`` or past). Its payload and key carry the due time."""
    now = datetime.now(UTC)
    payloads = [f"{sid}:{poll_due_key(due)}" for sid, due in sources]
    after = [max(timedelta(0), due - now) if due is not None else None for _, due in sources]
    return await _enqueue(conn, POLL, payloads, [f"{POLL}:{p}" for p in payloads], after)


async def enqueue_deliveries(conn: BaseDBAsyncClient, channel_ids: Iterable[int]) -> int:
    """A ``deliver`` job per channel; a channel whose job is still queued or running is skipped
    (that job, or the deliverers' next look for due work, finds the new rows)."""
    ids = sorted(set(channel_ids))
    return await _enqueue(conn, DELIVER, [str(i) for i in ids], [f"{DELIVER}:{i}" for i in ids])


_WITHOUT_JOB = f"""
SELECT s.id, s.next_poll_at FROM sources s
WHERE s.scheduled AND s.disabled_at IS NULL AND NOT EXISTS (
    SELECT 1 FROM pgqueuer q
    WHERE q.dedupe_key = '{POLL}:' || s.id || ':' || {_POLL_DUE_KEY_SQL} AND q.status IN ('queued', 'picked'))
ORDER BY s.id LIMIT $1
"""


async def enqueue_missing_polls(conn: BaseDBAsyncClient, batch: int = 5000) -> int:
    """A ``poll`` job for every scheduled, enabled source that has none queued or running for its
    next poll time (a job for another time is stale: it fetches nothing)."""
    added = 0
    while True:
        rows = await conn.execute_query_dict(_WITHOUT_JOB, [batch])
        added += await enqueue_polls(conn, [(r["id"], r["next_poll_at"]) for r in rows])
        if len(rows) < batch:
            return added


async def queue_depths(conn: BaseDBAsyncClient) -> dict[str, int]:
    """Jobs per kind and state (``analyse jobs queued``: due now; ``... running``; ``... scheduled``:
    due later, such as the sources' next polls); empty on SQLite."""
    if conn.capabilities.dialect != "postgres":
        return {}
    rows = await conn.execute_query_dict(
        "SELECT entrypoint, CASE WHEN status = 'picked' THEN 'running' WHEN execute_after > now() THEN 'scheduled' "
        "ELSE 'queued' END AS state, count(*) AS n FROM pgqueuer "
        "WHERE status IN ('queued', 'picked') GROUP BY 1, 2")
    return {f"{row['entrypoint']} jobs {row['state']}": int(row["n"]) for row in rows}
