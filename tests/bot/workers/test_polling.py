"""Due polls as jobs on PostgreSQL (bot/workers/polling.py): a source without a job gets one, two
pollers poll each due source once, each poll enqueues the source's next poll (due at its new
``next_poll_at``) with the row that sets it, and a job for a due time the source has moved on
from polls nothing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime

import pytest
from tortoise import connections

from bot.ingest.fetch import Fetcher
from bot.ingest.pipeline import Ingestor, PollReport
from bot.ingest.workers import CpuPool
from bot.settings import Settings
from bot.storage.jobs import enqueue_missing_polls, enqueue_polls, poll_due_key
from bot.storage.models import Source
from bot.workers.polling import poll_jobs
from tests.support.content import items, rss
from tests.support.feedserver import FeedServer

pytestmark = pytest.mark.db


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    srv = await FeedServer().start()
    yield srv
    await srv.close()


async def _poll_jobs() -> list[dict]:  # type: ignore[type-arg]
    return await connections.get("default").execute_query_dict(
        "SELECT dedupe_key, status::text AS status, execute_after > now() AS later FROM pgqueuer "
        "WHERE entrypoint = 'poll' ORDER BY id")


async def _run_pollers(db: str, settings: Settings, until: Callable[[list[PollReport]], Awaitable[bool]], *,
                       pollers: int = 1) -> list[PollReport]:
    """Run ``pollers`` poll workers (two polls at a time each) until ``until(reports)`` holds."""
    reports: list[PollReport] = []
    stop = asyncio.Event()
    with CpuPool(1) as pool:
        async with Fetcher(settings) as fetcher:
            ingestor = Ingestor(settings, fetcher, pool)
            tasks = [asyncio.create_task(poll_jobs(db, ingestor, stop, concurrency=2, on_report=reports.append))
                     for _ in range(pollers)]
            try:
                async def done() -> None:
                    while not await until(reports):
                        await asyncio.sleep(0.05)
                await asyncio.wait_for(done(), timeout=60)
            finally:
                stop.set()
                await asyncio.gather(*tasks)
    return reports


async def _nothing_due_or_running(reports: list[PollReport]) -> bool:
    """Some poll done, and no poll job due or running is left (only next polls, due later)."""
    left = await connections.get("default").execute_query_dict(
        "SELECT count(*) AS n FROM pgqueuer WHERE entrypoint = 'poll' "
        "AND (status = 'picked' OR (status = 'queued' AND execute_after <= now()))")
    return bool(reports) and not left[0]["n"]


async def test_two_pollers_poll_each_due_source_once_and_queue_its_next_poll(
        db: str, settings: Settings, server: FeedServer) -> None:
    if not db.startswith("postgres"):
        pytest.skip("the work queue needs PostgreSQL (make test-pg)")
    paths = [f"/feeds/s{i}" for i in range(6)]
    sources = [await Source.create(url=server.set(p, rss(f"s{i}", items(server.url(""), f"s{i}", 1)),
                                                  content_type="application/rss+xml"),
                                   url_key=f"s{i}", kind="feed", primed=True, interval_s=3600)
               for i, p in enumerate(paths)]
    gone = await Source.create(url=server.set("/feeds/off", b""), url_key="off", kind="feed",
                               disabled_at=datetime.now(UTC))
    conn = connections.get("default")
    assert await enqueue_missing_polls(conn) == len(sources), "every enabled source without a job gets one"
    assert await enqueue_missing_polls(conn) == 0

    async def all_polled(reports: list[PollReport]) -> bool:
        return len(reports) >= len(sources)

    reports = await _run_pollers(db, settings, all_polled, pollers=2)
    assert sorted(r.source_id for r in reports) == sorted(s.id for s in sources)
    assert all(server.hits[p] == 1 for p in paths), "each source fetched once"
    assert server.hits["/feeds/off"] == 0
    # each poll queued the source's next one, due at its new next_poll_at (an hour on)
    expected = sorted(f"poll:{s.id}:{poll_due_key(s.next_poll_at)}" for s in await Source.filter(kind="feed",
                                                                                              disabled_at=None))
    jobs = await _poll_jobs()
    assert sorted(j["dedupe_key"] for j in jobs) == expected
    assert all(j["status"] == "queued" and j["later"] for j in jobs)
    assert gone.id not in {int(j["dedupe_key"].split(":")[1]) for j in jobs}


async def test_a_stale_job_polls_nothing_and_hands_on_to_the_source_s_own_job(
        db: str, settings: Settings, server: FeedServer) -> None:
    if not db.startswith("postgres"):
        pytest.skip("the work queue needs PostgreSQL (make test-pg)")
    path = "/feeds/moved"
    source = await Source.create(url=server.set(path, rss("m", items(server.url(""), "m", 1)),
                                                content_type="application/rss+xml"),
                                 url_key="m", kind="feed", primed=True, interval_s=3600,
                                 next_poll_at=datetime(2026, 1, 1, tzinfo=UTC))
    conn = connections.get("default")
    assert await enqueue_polls(conn, [(source.id, datetime(2025, 12, 31, tzinfo=UTC))]) == 1  # stale
    # the stale job runs (nothing is fetched), then the job it queued for the source's own time
    await _run_pollers(db, settings, _nothing_due_or_running)
    assert server.hits[path] == 1, "the stale job fetched nothing; the source's own job polled it once"


async def test_of_a_stale_job_and_the_source_s_own_only_one_polls(db: str, settings: Settings,
                                                                   server: FeedServer) -> None:
    if not db.startswith("postgres"):
        pytest.skip("the work queue needs PostgreSQL (make test-pg)")
    path = "/feeds/twice"
    due = datetime(2026, 1, 1, tzinfo=UTC)
    source = await Source.create(url=server.set(path, rss("t", items(server.url(""), "t", 1)),
                                                content_type="application/rss+xml"),
                                 url_key="t", kind="feed", primed=True, interval_s=3600, next_poll_at=due)
    conn = connections.get("default")
    assert await enqueue_polls(conn, [(source.id, datetime(2025, 12, 31, tzinfo=UTC)), (source.id, due)]) == 2
    polled = await _run_pollers(db, settings, _nothing_due_or_running)
    assert server.hits[path] == 1 and len(polled) == 1
    assert [j["later"] for j in await _poll_jobs() if j["status"] == "queued"] == [True], "and its next poll"


async def test_the_sweep_names_a_due_time_as_the_poll_does(db: str) -> None:
    if not db.startswith("postgres"):
        pytest.skip("the work queue needs PostgreSQL (make test-pg)")
    odd = [datetime(2026, 12, 6, 11, 0, 0, 999999, tzinfo=UTC), datetime(2031, 5, 17, 3, 4, 5, 123456, tzinfo=UTC),
           datetime(1969, 12, 31, 23, 59, 59, 500, tzinfo=UTC), None]
    sources = [await Source.create(url=f"https://odd.example/{i}", url_key=f"odd{i}", kind="feed", next_poll_at=due)
               for i, due in enumerate(odd)]
    conn = connections.get("default")
    assert await enqueue_polls(conn, [(s.id, s.next_poll_at) for s in sources]) == len(odd)
    assert await enqueue_missing_polls(conn) == 0, "the sweep finds each source's job under the same key"
    await Source.filter(id=sources[0].id).update(next_poll_at=datetime(2027, 1, 1, tzinfo=UTC))
    assert await enqueue_missing_polls(conn) == 1, "a source whose next poll moved gets a job for the new time"
