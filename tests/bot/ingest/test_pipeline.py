"""Ingestion end to end over loopback HTTP, on a real database."""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from aiohttp import web

from bot.ingest.fetch import Fetcher
from bot.ingest.pipeline import Ingestor
from bot.ingest.scheduler import Scheduler
from bot.ingest.workers import CpuPool
from bot.services.ingest import IngestService
from bot.services.sources import SourceService
from bot.settings import Settings
from bot.storage.models import Article, PipelineEvent, Source
from tests.support.content import Item, article_page, atom, items, json_feed, rss
from tests.support.feedserver import FeedServer, Gate


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class Env:
    settings: Settings
    server: FeedServer
    ingestor: Ingestor
    sources: SourceService
    ingest: IngestService
    scheduler: Scheduler
    clock: Clock

    def publish(self, prefix: str, entries: list[Item], fmt=rss) -> str:
        for e in entries:
            self.server.set(e.link.split(str(self.server.port), 1)[1], article_page(e.title, e.slug))
        return self.server.set(f"/feeds/{prefix}", fmt(f"{prefix} feed", entries),
                               content_type={rss: "application/rss+xml", atom: "application/atom+xml",
                                             json_feed: "application/feed+json"}[fmt])


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    srv = await FeedServer().start()
    yield srv
    await srv.close()


@pytest.fixture
async def env(db: str, settings: Settings, server: FeedServer) -> AsyncIterator[Env]:
    settings = settings.model_copy(update={"max_failures": 3, "fetch_max_bytes": 256 * 1024, "fetch_read_timeout_s": 1.0})
    clock = Clock()
    with CpuPool(1) as pool:
        async with Fetcher(settings) as fetcher:
            ingestor = Ingestor(settings, fetcher, pool, clock=clock)
            yield Env(settings, server, ingestor, SourceService(ingestor, default_interval_s=600),
                      IngestService(ingestor), Scheduler(ingestor, clock=clock), clock)


def base(server: FeedServer) -> str:
    return server.url("")


@pytest.mark.parametrize("fmt", [rss, atom, json_feed], ids=["rss", "atom", "jsonfeed"])
async def test_add_feed_stores_existing_items_without_delivery(env: Env, fmt) -> None:
    url = env.publish("wire", items(base(env.server), "wire", 3), fmt)
    added = await env.sources.add(url)
    assert added.source.kind == "feed"
    assert added.source.title == "wire feed"
    assert added.first_poll.ok and len(added.first_poll.new) == 3
    arts = await Article.all().order_by("id")
    assert {a.title for a in arts} == {f"Wire story number {i}" for i in range(3)}
    assert all(a.extraction == "page" and len(a.text) > 300 for a in arts)
    assert not any(a.deliverable for a in arts), "first run must not mark the backlog for delivery"
    assert all(a.published_at is not None and a.published_at.utcoffset() == timedelta(0) for a in arts)


async def test_new_items_after_first_poll_are_deliverable_and_old_ones_not_refetched(env: Env) -> None:
    entries = items(base(env.server), "desk", 3)
    url = env.publish("desk", entries)
    source = (await env.sources.add(url)).source
    newer = Item("desk-new", "Desk breaking story", f"{base(env.server)}/articles/desk-new",
                 datetime(2026, 11, 21, tzinfo=UTC))
    env.publish("desk", [newer, *entries])
    page_hits_before = env.server.hits["/articles/desk-0"]
    report = await env.ingestor.poll(await Source.get(id=source.id))
    assert [a.title for a in report.new] == ["Desk breaking story"]
    assert report.new[0].deliverable
    assert report.seen == 3
    assert env.server.hits["/articles/desk-0"] == page_hits_before
    assert await Article.all().count() == 4


async def test_conditional_get_second_poll_transfers_nothing(env: Env) -> None:
    url = env.publish("cond", items(base(env.server), "cond", 2))
    source = (await env.sources.add(url)).source
    sent = env.server.bytes_sent["/feeds/cond"]
    report = await env.ingestor.poll(await Source.get(id=source.id))
    assert report.ok and report.not_modified
    assert env.server.bytes_sent["/feeds/cond"] == sent
    assert env.server.requests[-1][1].get("If-None-Match")
    assert (await Source.get(id=source.id)).last_success_at == env.clock.now


async def test_backfill_setting_marks_newest_items_deliverable(env: Env) -> None:
    env.ingestor._settings = env.settings.model_copy(update={"backfill_items": 2})
    url = env.publish("bf", items(base(env.server), "bf", 4))
    await env.sources.add(url)
    deliverable = await Article.filter(deliverable=True).values_list("title", flat=True)
    assert sorted(deliverable) == ["Bf story number 0", "Bf story number 1"]


async def test_page_with_feed_link_is_discovered(env: Env) -> None:
    feed_url = env.publish("disc", items(base(env.server), "disc", 2), atom)
    page = env.server.set("/home", article_page("Outlet home", "home", feeds=[feed_url]))
    added = await env.sources.add(page)
    assert added.source.kind == "feed" and added.source.url == feed_url
    assert added.source.site_url == page
    assert len(added.first_poll.new) == 2


async def test_page_without_feed_is_one_article(env: Env) -> None:
    page = env.server.set("/standalone", article_page("A standalone report", "standalone"))
    added = await env.sources.add(page)
    assert added.source.kind == "page"
    art = await Article.get()
    assert art.title == "A standalone report" and art.extraction == "page"


async def test_dedupe_across_url_variants_and_sources(env: Env) -> None:
    entry = items(base(env.server), "same", 1)[0]
    url_a = env.publish("a", [entry])
    variant = Item(entry.slug, entry.title, entry.link.replace("http://127.0.0.1", "HTTP://127.0.0.1")
                   + "?utm_source=feed&utm_medium=rss#top", entry.published, guid="other-guid")
    url_b = env.server.set("/feeds/b", rss("b feed", [variant]), content_type="application/rss+xml")
    await env.sources.add(url_a)
    report = (await env.sources.add(url_b)).first_poll
    assert report.duplicates == 1 and not report.new
    assert await Article.all().count() == 1
    assert await PipelineEvent.filter(outcome="duplicate-url").count() == 1


async def test_dedupe_by_content_hash_under_another_url(env: Env) -> None:
    a = items(base(env.server), "orig", 1)[0]
    env.publish("orig", [a])
    moved = Item("orig-0", a.title, f"{base(env.server)}/mirror/orig-0", a.published, guid="mirror")
    env.server.set("/mirror/orig-0", article_page(a.title, a.slug))  # same text, other URL
    await env.sources.add(env.server.url("/feeds/orig"))
    mirror = env.server.set("/feeds/mirror", rss("mirror", [moved]), content_type="application/rss+xml")
    report = (await env.sources.add(mirror)).first_poll
    assert report.duplicates == 1
    assert await Article.all().count() == 1


async def test_page_failure_falls_back_to_feed_text(env: Env) -> None:
    entry = Item("gone", "Story whose page is gone", f"{base(env.server)}/articles/missing",
                 datetime(2026, 11, 20, tzinfo=UTC), summary="<p>The feed's own <b>summary</b> text.</p>")
    url = env.server.set("/feeds/gone", rss("gone", [entry]), content_type="application/rss+xml")
    await env.sources.add(url)
    art = await Article.get()
    assert art.extraction == "feed-summary"
    assert art.text == "The feed's own summary text."
    events = await PipelineEvent.filter(article_id=art.id).values_list("stage", "outcome")
    assert ("fetch", "failed") in events


# -- faults: each source is handled and the others still ingest in the same poll -------------


async def _stall(request: web.Request) -> web.StreamResponse:
    resp = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
    await resp.prepare(request)
    await resp.write(b"<?xml version='1.0'?><rss version='2.0'><channel>")
    await asyncio.get_running_loop().create_future()  # never finishes: the read timeout must fire
    return resp


def _fault_routes(server: FeedServer) -> dict[str, str]:
    bomb = gzip.compress(b"<rss>" + b" " * (50 * 1024 * 1024), compresslevel=9)
    gate = Gate()
    routes = {
        "timeout": server.handle("/f/timeout", gate.handler(b"", "text/xml")),
        "slow body": server.handle("/f/slow", _stall),
        "oversized": server.set("/f/big", b"<rss>" + b"x" * (400 * 1024), content_type="application/rss+xml"),
        "gzip bomb": server.set("/f/bomb", bomb, content_type="application/rss+xml", headers={"Content-Encoding": "gzip"}),
        "redirect loop": server.set("/f/loop", status=302, headers={"Location": "/f/loop2"}, etag=False),
        "500": server.set("/f/500", b"oops", status=500, etag=False),
        "404": server.set("/f/404", b"nope", status=404, etag=False),
        "429": server.set("/f/429", b"slow down", status=429, headers={"Retry-After": "7200"}, etag=False),
        "malformed xml": server.set("/f/bad", b"<rss><channel><item><title>a</tit", content_type="application/rss+xml"),
        "wrong type": server.set("/f/png", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, content_type="image/png"),
        "undecodable": server.set("/f/bytes", bytes(range(128, 256)) * 40, content_type="application/rss+xml"),
    }
    server.set("/f/loop2", status=302, headers={"Location": "/f/loop"}, etag=False)
    return routes


async def test_faults_are_recorded_and_backed_off_while_good_sources_ingest(env: Env) -> None:
    good_a = env.publish("good-a", items(base(env.server), "gooda", 2))
    good_b = env.publish("good-b", items(base(env.server), "goodb", 2), atom)
    faults = _fault_routes(env.server)
    ids = {}
    for name, url in {"good a": good_a, "good b": good_b, **faults}.items():
        ids[name] = (await Source.create(url=url, url_key=name, kind="feed", primed=True)).id
    reports = {r.source_id: r for r in await env.scheduler.run_once()}
    assert len(reports) == len(ids)
    for name in ("good a", "good b"):
        assert reports[ids[name]].ok and len(reports[ids[name]].new) == 2, name
    for name in faults:
        report = reports[ids[name]]
        source = await Source.get(id=ids[name])
        assert not report.ok, f"{name} should fail"
        assert source.failure_count == 1 and source.last_error, name
        assert source.next_poll_at > env.clock.now + timedelta(seconds=500), f"{name} not backed off"
    errors = {name: (await Source.get(id=ids[name])).last_error.lower() for name in faults}
    assert "timed out" in errors["timeout"] and "timed out" in errors["slow body"]
    assert "262144" in errors["oversized"] and "262144" in errors["gzip bomb"]
    assert "redirect" in errors["redirect loop"]
    assert "500" in errors["500"] and "404" in errors["404"] and "429" in errors["429"]
    retry = await Source.get(id=ids["429"])
    assert retry.next_poll_at >= env.clock.now + timedelta(seconds=7200 * 0.9)
    assert await Article.all().count() == 4


async def test_two_pollers_claim_each_due_source_once(env: Env) -> None:
    """Two poller processes (two schedulers on one database) both see the same due sources; each
    source is claimed, so polled, by exactly one of them, and is not due again until it is polled."""
    ids = [(await Source.create(url=env.publish(f"p{i}", items(base(env.server), f"p{i}", 1)), url_key=f"p{i}",
                                kind="feed", primed=True)).id for i in range(6)]
    first, second = Scheduler(env.ingestor, clock=env.clock), Scheduler(env.ingestor, clock=env.clock)
    seen = await asyncio.gather(first.due_sources(), second.due_sources())
    assert [len(s) for s in seen] == [6, 6]
    mine = await asyncio.gather(first.claim(seen[0]), second.claim(seen[1]))
    claimed = [s.id for s in mine[0]] + [s.id for s in mine[1]]
    assert sorted(claimed) == sorted(ids)  # each once, by one of them
    assert await first.due_sources() == [] and await second.due_sources() == []
    reports = await asyncio.gather(*first.start_due(mine[0]), *second.start_due(mine[1]))
    assert sorted(r.source_id for r in reports) == sorted(ids) and all(len(r.new) == 1 for r in reports)
    assert all(s.next_poll_at > env.clock.now + timedelta(seconds=500) for s in await Source.filter(id__in=ids))


async def test_source_is_disabled_after_repeated_failures(env: Env) -> None:
    url = env.server.set("/f/down", b"down", status=503, etag=False)
    source = await Source.create(url=url, url_key="down", kind="feed", primed=True)
    for _ in range(3):
        await env.scheduler.run_once(all_sources=False)
        env.clock.advance(10 * 24 * 3600)
    source = await Source.get(id=source.id)
    assert source.disabled_at is not None and source.failure_count == 3
    assert "3 failures in a row" in source.disabled_reason and "503" in source.disabled_reason
    assert await env.scheduler.due_sources(all_sources=True) == []


async def test_backoff_grows_exponentially(env: Env) -> None:
    env.ingestor._settings = env.settings.model_copy(update={"poll_jitter": 0.0, "max_failures": 10})
    url = env.server.set("/f/flaky", b"x", status=500, etag=False)
    source = await Source.create(url=url, url_key="flaky", kind="feed", primed=True, interval_s=600)
    waits = []
    for _ in range(3):
        await env.ingestor.poll(source)
        waits.append((source.next_poll_at - env.clock.now).total_seconds())
    assert waits == [600, 1200, 2400]


async def test_slow_source_does_not_delay_the_others(env: Env) -> None:
    gate = Gate()
    slow = env.server.handle("/f/gated", gate.handler(rss("slow", []), "application/rss+xml"))
    fast = env.publish("fast", items(base(env.server), "fast", 2))
    await Source.create(url=slow, url_key="slow", kind="feed", primed=True)
    fast_src = await Source.create(url=fast, url_key="fast", kind="feed", primed=True)
    tasks = env.scheduler.start_due(await env.scheduler.due_sources())
    await gate.entered.wait()
    fast_task = next(t for t in tasks if t.get_name() == f"poll-source-{fast_src.id}")
    report = await fast_task
    assert report.ok and len(report.new) == 2
    assert not all(t.done() for t in tasks), "the slow poll is still waiting on its server"
    assert await Article.all().count() == 2
    gate.release.set()
    for t in tasks:
        await t


# -- one-off ingest -------------------------------------------------------------------------


async def test_ingest_saved_feed_file_without_pages(env: Env, tmp_path) -> None:
    path = tmp_path / "saved.xml"
    path.write_bytes(rss("saved", items("https://news.example.com", "saved", 3)))
    report = await env.ingest.ingest(str(path), fetch_pages=False)
    assert len(report.new) == 3 and all(a.deliverable for a in report.new)
    assert {a.extraction for a in await Article.all()} == {"feed-summary"}
    assert not await Source.filter(scheduled=True).exists()


async def test_ingest_saved_page_uses_its_canonical_url(env: Env, tmp_path) -> None:
    path = tmp_path / "page.html"
    path.write_bytes(article_page("Saved report", "saved-page", canonical="https://news.example.com/saved-report"))
    report = await env.ingest.ingest(str(path))
    assert [a.url for a in report.new] == ["https://news.example.com/saved-report"]
