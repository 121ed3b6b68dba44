"""Issue 10, defects 11 and 14: the per-server source limit holds under concurrent adds (an OPML
import), and ids the user types that no id column can hold are "not found", on SQLite and on
PostgreSQL (these are `db` tests)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from bot.errors import InvalidInputError, LimitError, NotFoundError
from bot.ingest.fetch import Fetcher
from bot.ingest.pipeline import Ingestor
from bot.ingest.workers import CpuPool
from bot.services.sources import SourceService
from bot.services.subscriptions import SubscriptionService
from bot.settings import Settings
from bot.storage.models import Source, Subscription
from tests.bot.test_cli import server  # noqa: F401 - fixture
from tests.support.content import items, rss
from tests.support.feedserver import FeedServer

LIMIT = 5
HOSTILE_IDS = ("9" * 30, str(2**31), str(2**63), str(2**64), str(2**64 + 1), "²", "٣", "0", "-1", "+3", " ", "1e3")


@pytest.fixture
async def ingestor(db: str, settings: Settings) -> AsyncIterator[Ingestor]:
    with CpuPool(1) as pool:
        async with Fetcher(settings) as fetcher:
            yield Ingestor(settings, fetcher, pool)


def feeds(server: FeedServer, n: int, prefix: str = "f") -> list[str]:
    return [server.set(f"/feeds/{prefix}{i}", rss(f"{prefix}{i} feed", items(server.url(""), f"{prefix}{i}", 1)),
                       content_type="application/rss+xml") for i in range(n)]


def opml(urls: list[str]) -> bytes:
    outlines = "".join(f'<outline text="f" xmlUrl="{u}"/>' for u in urls)
    return f'<?xml version="1.0"?><opml version="2.0"><body>{outlines}</body></opml>'.encode()


async def test_concurrent_adds_never_pass_the_server_limit(ingestor: Ingestor, server: FeedServer) -> None:
    """Eight adds at once with room for five: five are stored, three refused for the limit."""
    service = SourceService(ingestor, default_interval_s=600, max_per_guild=LIMIT)
    results = await asyncio.gather(*(service.add(u, guild_id=7) for u in feeds(server, 8)), return_exceptions=True)
    refused = [r for r in results if isinstance(r, BaseException)]
    assert all(isinstance(r, LimitError) and "the most allowed" in str(r) for r in refused), refused
    assert len(refused) == 3
    assert await Source.filter(guild_id=7, scheduled=True).count() == LIMIT


async def test_opml_import_stops_at_the_limit_and_says_which_feeds_were_refused(ingestor: Ingestor,
                                                                              server: FeedServer) -> None:
    service = SourceService(ingestor, default_interval_s=600, max_per_guild=LIMIT)
    for url in feeds(server, 3, "old"):
        await service.add(url, guild_id=7)
    result = await service.import_opml(opml(feeds(server, 5)), guild_id=7)
    assert result.total == 5 and len(result.added) == 2
    assert len(result.failed) == 3 and all("the most allowed" in reason for _, reason in result.failed)
    assert await Source.filter(guild_id=7, scheduled=True).count() == LIMIT
    assert await Source.filter(guild_id=8).count() == 0  # another server's room is its own
    await service.add(feeds(server, 1, "other")[0], guild_id=8)


async def test_opml_import_adds_a_few_feeds_at_a_time(ingestor: Ingestor, server: FeedServer) -> None:
    """Twelve feeds, at most four fetched at once: the fifth request waits until one finishes."""
    in_flight, most, released = 0, 0, asyncio.Event()
    body = rss("slow", items(server.url(""), "slow", 1))

    async def slow(request: web.Request) -> web.StreamResponse:
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)
        if most >= 4:
            released.set()
        await released.wait()
        in_flight -= 1
        return web.Response(body=body, content_type="application/rss+xml")

    urls = [server.handle(f"/slow/{i}", slow) for i in range(12)]
    service = SourceService(ingestor, default_interval_s=600, import_concurrency=4)
    result = await asyncio.wait_for(service.import_opml(opml(urls)), timeout=60)
    assert len(result.added) == 12 and most == 4


async def test_poll_interval_is_bounded(ingestor: Ingestor, server: FeedServer) -> None:
    service = SourceService(ingestor, default_interval_s=600)
    for seconds in (10**12, 2**31, 29, 0, -5):
        with pytest.raises(InvalidInputError, match="poll every"):
            await service.add(feeds(server, 1)[0], interval_s=seconds)
    assert await Source.all().count() == 0


@pytest.mark.parametrize("ref", HOSTILE_IDS)
async def test_source_ids_no_column_holds_are_not_found(ingestor: Ingestor, server: FeedServer, ref: str) -> None:
    service = SourceService(ingestor, default_interval_s=600)
    await service.add(feeds(server, 1)[0])
    for action in (service.find, service.remove, service.enable):
        with pytest.raises(NotFoundError, match="no source"):
            await action(ref)
    assert await Source.all().count() == 1


@pytest.mark.parametrize("ref", HOSTILE_IDS[:6])
async def test_subscription_ids_no_column_holds_are_not_found(db: str, ref: str) -> None:
    service = SubscriptionService()
    sub = await service.subscribe(1, 2, "rail strikes")
    with pytest.raises(NotFoundError, match="no subscription"):
        await service.unsubscribe(1, ref)
    assert await service.find(1, str(sub.id)) == sub
    assert await Subscription.all().count() == 1
