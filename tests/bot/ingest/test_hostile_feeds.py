"""Hostile feeds through the Ingestor over loopback HTTP, on a real database (issue 10).

Each test reproduces one way a feed used to break a poll, pollute the store or grow it without end.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html import escape

import pytest

from bot.ingest import limits
from bot.ingest.fetch import Fetcher
from bot.ingest.parse import parse_feed
from bot.ingest.pipeline import Ingestor
from bot.ingest.workers import CpuPool
from bot.settings import Settings
from bot.storage.bounds import limit_of
from bot.storage.models import Article, ArticleSighting, PipelineEvent, Source
from tests.support.content import article_page, paragraphs
from tests.support.feedserver import FeedServer

HUGE = 10_000
WHEN = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


@dataclass
class Entry:
    """One feed item, every field free text (``None``: the field is left out)."""

    guid: str | None = None
    link: str | None = None
    title: str | None = None
    author: str | None = None
    summary: str | None = None
    content: str | None = None
    category: str | None = None
    date: str | None = WHEN.isoformat()


RSS_TAGS = {
    "guid": "<guid isPermaLink='false'>{}</guid>", "link": "<link>{}</link>", "title": "<title>{}</title>",
    "author": "<author>{}</author>", "summary": "<description>{}</description>",
    "content": "<content:encoded>{}</content:encoded>", "category": "<category>{}</category>",
    "date": "<pubDate>{}</pubDate>",
}
ATOM_TAGS = {
    "guid": "<id>{}</id>", "link": '<link rel="alternate" href="{}"/>', "title": "<title>{}</title>",
    "author": "<author><name>{}</name></author>", "summary": "<summary>{}</summary>",
    "content": '<content type="html">{}</content>', "category": '<category term="{}"/>', "date": "<updated>{}</updated>",
}


def _xml_entry(e: Entry, tags: dict[str, str]) -> str:
    return "".join(tags[name].format(escape(value)) for name, value in vars(e).items() if value is not None)


def rss(entries: list[Entry], title: str = "Hostile feed", link: str = "http://example.test/") -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
        f"<title>{escape(title)}</title><link>{escape(link)}</link><description>d</description>"
        + "".join(f"<item>{_xml_entry(e, RSS_TAGS)}</item>" for e in entries) + "</channel></rss>"
    ).encode()


def atom(entries: list[Entry], title: str = "Hostile feed", link: str = "http://example.test/") -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f'<title>{escape(title)}</title><link rel="alternate" href="{escape(link)}"/>'
        "<id>urn:test:feed</id><updated>2026-11-20T12:00:00Z</updated>"
        + "".join(f"<entry>{_xml_entry(e, ATOM_TAGS)}</entry>" for e in entries) + "</feed>"
    ).encode()


def json_feed(entries: list[Entry], title: str = "Hostile feed", link: str = "http://example.test/") -> bytes:
    def item(e: Entry) -> dict[str, object]:
        fields = {"id": e.guid, "url": e.link, "title": e.title, "summary": e.summary, "content_html": e.content,
                  "date_published": e.date, "authors": [{"name": e.author}] if e.author is not None else None,
                  "tags": [e.category] if e.category is not None else None}
        return {k: v for k, v in fields.items() if v is not None}

    return json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": title, "home_page_url": link,
                       "items": [item(e) for e in entries]}).encode()


FORMATS = {"rss": (rss, "application/rss+xml"), "atom": (atom, "application/atom+xml"),
           "jsonfeed": (json_feed, "application/feed+json")}


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Env:
    settings: Settings
    server: FeedServer
    ingestor: Ingestor
    clock: Clock

    def serve(self, path: str, body: bytes, content_type: str = "application/rss+xml") -> str:
        return self.server.set(path, body, content_type=content_type)

    async def source(self, url: str, *, primed: bool = True) -> Source:
        return await Source.create(url=url, url_key=url[-64:], kind="feed", primed=primed)

    async def poll(self, source: Source, *, pages: bool = False):
        return await self.ingestor.poll(await Source.get(id=source.id), fetch_pages=pages)


@pytest.fixture
async def env(db: str, settings: Settings) -> AsyncIterator[Env]:
    settings = settings.model_copy(update={"fetch_max_bytes": 16 * 1024 * 1024, "poll_jitter": 0.0})
    server = await FeedServer().start()
    clock = Clock()
    with CpuPool(1) as pool:
        async with Fetcher(settings) as fetcher:
            yield Env(settings, server, Ingestor(settings, fetcher, pool, clock=clock), clock)
    await server.close()


def text_of(seed: str) -> str:
    return " ".join(paragraphs(seed, 3))


# -- defect 3: one overlong field fails only its own item, never the poll ----------------------------


def _huge_entries(base: str) -> dict[str, Entry]:
    """One item per field holding 10,000 characters, each otherwise ordinary."""
    x = "x" * HUGE

    def ordinary(name: str, **huge: str) -> Entry:
        fields = {"guid": f"id-{name}", "link": f"{base}/articles/{name}", "title": f"Story with a long {name}",
                  "summary": f"The {name} of this item is long.", **huge}
        return Entry(**fields)

    return {
        "title": ordinary("title", title="Title " + "t" * HUGE),
        "author": ordinary("author", author="Author " + "a" * HUGE),
        "link": ordinary("link", link=f"{base}/articles/long?{x}"),
        "guid": ordinary("guid", guid="g" * HUGE),
        "summary": ordinary("summary", summary="Summary " + "s " * (HUGE // 2)),
        "content": ordinary("content", content="<p>" + "c " * (HUGE // 2) + "</p>"),
        "category": ordinary("category", category="k" * HUGE),
        "date": ordinary("date", date="Tue, " + "9" * HUGE),
    }


@pytest.mark.parametrize("fmt", list(FORMATS))
async def test_overlong_values_in_every_field_are_bounded_not_fatal(env: Env, fmt: str) -> None:
    build, ctype = FORMATS[fmt]
    entries = _huge_entries(env.server.url(""))
    plain = Entry(guid="plain", link=env.server.url("/articles/plain"), title="An ordinary story", summary="Ordinary.")
    body = build([plain, *entries.values()], title="T" * HUGE, link="http://e.test/" + "l" * HUGE)
    feed = env.serve(f"/feeds/huge-{fmt}", body, ctype)
    source = await env.source(feed)
    report = await env.poll(source)
    assert report.ok, report.error
    stored = await Source.get(id=source.id)
    assert stored.failure_count == 0 and stored.last_error is None
    articles = await Article.all()
    assert len(articles) == len(entries) + 1, sorted(a.title or "" for a in articles)
    for art in articles:
        for name in ("url", "guid", "title", "author", "canonical_url"):
            value = getattr(art, name)
            assert value is None or len(value) <= limit_of(Article, name), (name, len(value))
    by_title = {a.title: a for a in articles}
    author = by_title["Story with a long author"].author
    assert author is not None and author.startswith("Author aaa") and author.endswith("…")
    assert "x" * 100 not in by_title["Story with a long link"].url, "an unstorable link is not cut into another URL"


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_a_channel_title_and_link_too_long_are_bounded_at_parse(fmt: str) -> None:
    build, ctype = FORMATS[fmt]
    feed = parse_feed(build([], title="T" * HUGE, link="https://e.test/" + "l" * HUGE), url="https://e.test/feed",
                      content_type=ctype)
    assert feed.link is None, "a link no column holds is no link"
    assert feed.title is not None and len(feed.title) == limits.MAX_TITLE_CHARS and feed.title.endswith("…")


class _BrokenPages(CpuPool):
    """A pool whose extractor fails (as a library bug would) on one page."""

    async def extract_page(self, html: bytes, url: str):
        if "/articles/cursed" in url:
            raise RuntimeError("extractor bug")
        return await super().extract_page(html, url)


async def test_an_item_that_fails_records_its_failure_and_the_rest_of_the_feed_goes_on(
        db: str, settings: Settings) -> None:
    server = await FeedServer().start()
    try:
        for slug in ("fine-1", "cursed", "fine-2"):
            server.set(f"/articles/{slug}", article_page(f"Story {slug}", slug))
        feed = server.set("/feed", rss([Entry(guid=s, link=server.url(f"/articles/{s}"), title=f"Story {s}")
                                        for s in ("fine-1", "cursed", "fine-2")]), content_type="application/rss+xml")
        with _BrokenPages(1) as pool:
            async with Fetcher(settings) as fetcher:
                ingestor = Ingestor(settings, fetcher, pool)
                source = await Source.create(url=feed, url_key="f", kind="feed", primed=True)
                report = await ingestor.poll(source)
                assert report.ok and source.failure_count == 0
                assert sorted(a.title for a in report.new) == ["Story fine-1", "Story fine-2"]
                failed = await PipelineEvent.filter(outcome="failed", stage="store").values_list("url", "detail")
                assert failed == [(server.url("/articles/cursed"), "RuntimeError: extractor bug")]
                server.set("/feed", rss([Entry(guid=s, link=server.url(f"/articles/{s}"), title=f"Story {s}")
                                         for s in ("cursed", "fine-1", "fine-2")]), content_type="application/rss+xml")
                again = await ingestor.poll(await Source.get(id=source.id))
                assert again.ok and not again.new
                assert await PipelineEvent.filter(outcome="failed", stage="store").count() == 1, \
                    "the same failure again adds no row"
    finally:
        await server.close()


# -- defect 4: lone surrogates and NUL in a feed ----------------------------------------------------


async def test_lone_surrogates_and_nul_in_a_json_feed_are_replaced(env: Env) -> None:
    raw = (
        '{"version": "https://jsonfeed.org/version/1.1", "title": "Emoji \\ud83d feed",'
        ' "items": [{"id": "a\\ud83d\\u0000", "url": "' + env.server.url("/articles/s\\udc00") + '",'
        ' "title": "Half an emoji \\ud83d here", "authors": [{"name": "Ann \\ude00 Lee\\u0000"}],'
        ' "content_text": "' + ("Text with a broken pair \\ud83d and a NUL \\u0000 inside. " * 8) + '"},'
        ' {"id": "b", "url": "' + env.server.url("/articles/plain") + '", "title": "A clean story",'
        ' "content_text": "Nothing odd here."}]}'
    ).encode()
    source = await env.source(env.serve("/feeds/surrogates", raw, "application/feed+json"))
    report = await env.poll(source)
    assert report.ok, report.error
    assert len(report.new) == 2
    odd = await Article.get(guid__startswith="a")
    assert odd.title == "Half an emoji \ufffd here"
    assert odd.author == "Ann \ufffd Lee", "a control character is dropped from a one-line field"
    assert "broken pair \ufffd and a NUL \ufffd inside" in odd.text
    assert not any("\ud800" <= c <= "\udfff" or c == "\x00" for a in await Article.all()
                   for c in (a.title or "") + a.text + a.url + (a.guid or ""))


# -- defect 7: copies inside one poll -----------------------------------------------------------------


def _copies(base: str, prefix: str, n: int) -> list[Entry]:
    body = text_of("the same wire story")
    return [Entry(guid=f"{prefix}-{i}", link=f"{base}/{prefix}/{i}", title="Wire story", content=f"<p>{body}</p>")
            for i in range(n)]


async def test_same_text_under_ten_links_in_one_poll_is_one_article(env: Env) -> None:
    source = await env.source(env.serve("/feeds/copies", rss(_copies(env.server.url(""), "copy", 10))))
    report = await env.poll(source)
    assert report.ok and len(report.new) == 1 and report.duplicates == 9
    assert await Article.all().count() == 1
    assert await ArticleSighting.filter(source_id=source.id).count() == 1
    assert await PipelineEvent.filter(outcome="duplicate-content").count() == 0, "the source had found it already"


async def test_two_sources_polled_at_once_store_shared_text_once(env: Env) -> None:
    base = env.server.url("")
    a = await env.source(env.serve("/feeds/a", rss(_copies(base, "a", 10))))
    b = await env.source(env.serve("/feeds/b", rss(_copies(base, "b", 10))))
    reports = await asyncio.gather(env.poll(a), env.poll(b))
    assert all(r.ok for r in reports)
    assert sum(len(r.new) for r in reports) == 1
    assert await Article.all().count() == 1
    article = await Article.get()
    assert sorted(await ArticleSighting.filter(article_id=article.id).values_list("source_id", flat=True)) == \
        sorted([a.id, b.id]), "each source still sights the one article"


# -- defect 8: feeds that mint new links or GUIDs every poll -----------------------------------------


def _rotating(base: str, poll: int) -> dict[str, list[Entry]]:
    return {
        # a tracking suffix that changes every poll, no GUID
        "tracked": [Entry(link=f"{base}/articles/t{i}?at_ts={1_700_000_000 + poll}&id={i}", title=f"Tracked {i}",
                          summary=f"Short text {i}.") for i in range(3)],
        # GUID-only items whose GUID changes every poll, short texts
        "guid-only": [Entry(guid=f"tag:example.test,2026:{poll}-{i}", title=f"Guid only {i}",
                            summary=f"A short teaser number {i}.") for i in range(3)],
        # rotating GUIDs with stable links
        "rotating-guid": [Entry(guid=f"urn:uuid:{poll}-{i}", link=f"{base}/articles/r{i}", title=f"Rotating {i}",
                                summary=f"Brief {i}.") for i in range(3)],
    }


@pytest.mark.parametrize("pages", [False, True], ids=["feed-text", "pages"])
async def test_rotating_links_and_guids_add_nothing_after_the_first_poll(env: Env, pages: bool) -> None:
    base = env.server.url("")
    for i in range(3):
        env.server.set(f"/articles/t{i}", article_page(f"Tracked {i}", f"t{i}"))
        env.server.set(f"/articles/r{i}", article_page(f"Rotating {i}", f"r{i}"))
    sources = {}
    for name, entries in _rotating(base, 0).items():
        sources[name] = await env.source(env.serve(f"/feeds/{name}", rss(entries)))
    counts = []
    for poll in range(4):
        for name, entries in _rotating(base, poll).items():
            env.serve(f"/feeds/{name}", rss(entries))
            report = await env.poll(sources[name], pages=pages)
            assert report.ok, (name, report.error)
            if poll:
                assert not report.new, (name, poll, [a.url for a in report.new])
        counts.append((await Article.all().count(), await ArticleSighting.all().count(),
                       await PipelineEvent.all().count()))
    assert await Article.filter(deliverable=True).count() == 9
    if pages:
        assert env.server.hits["/articles/t0"] == env.server.hits["/articles/r0"] == 1, "pages fetched once"
    assert counts[0][:2] == (9, 9)
    assert counts[1:] == [counts[0]] * 3, f"rows grew while nothing was new: {counts}"


async def test_two_short_items_with_different_titles_stay_distinct(env: Env) -> None:
    entries = [Entry(guid=f"g{i}", title=title, summary="Developing story.")
               for i, title in enumerate(["Storm closes the harbour", "Council passes the budget"])]
    source = await env.source(env.serve("/feeds/teasers", rss(entries)))
    report = await env.poll(source)
    assert len(report.new) == 2 and await Article.all().count() == 2


# -- defect 9: large feeds ----------------------------------------------------------------------------


def _big_feed(base: str, n: int) -> bytes:
    items = "".join(f"<item><title>Item {i}</title><link>{base}/a/{i}</link></item>" for i in range(n))
    return ('<?xml version="1.0"?><rss version="2.0"><channel><title>Big</title>' + items
            + "</channel></rss>").encode()


async def test_a_fifty_thousand_item_feed_is_taken_in_capped_batches(env: Env) -> None:
    env.ingestor._settings = env.settings.model_copy(update={"max_new_items_per_poll": 300})
    url = env.serve("/feeds/big", _big_feed(env.server.url(""), 50_000))
    source = await env.source(url, primed=False)
    report = await env.poll(source)
    assert report.ok, report.error
    assert len(report.new) == 300 and report.held_back == 49_700
    assert {a.title for a in report.new} == {f"Item {i}" for i in range(300)}, "in the feed's order"
    stored = await Source.get(id=source.id)
    assert stored.etag is None, "held-back items need the full feed next time, not a 304"
    assert stored.next_poll_at <= env.clock.now + timedelta(seconds=60)
    assert not stored.primed, "the backlog is still being read: its items are not news"
    assert not any(a.deliverable for a in await Article.all())
    assert await Article.all().count() == 300


async def test_the_newest_items_go_first_when_a_poll_is_capped(env: Env) -> None:
    env.ingestor._settings = env.settings.model_copy(update={"max_new_items_per_poll": 3})
    ages = [5, 1, 7, 0, 3, 6, 2, 4]  # hours old, in feed order
    entries = [Entry(guid=f"g{age}", title=f"Story {age}h old", summary=f"Story from {age} hours ago.",
                     date=(WHEN - timedelta(hours=age)).isoformat()) for age in ages]
    source = await env.source(env.serve("/feeds/shuffled", rss(entries)))
    reports = [await env.poll(source) for _ in range(3)]
    assert [sorted(a.title for a in r.new) for r in reports] == [
        ["Story 0h old", "Story 1h old", "Story 2h old"],
        ["Story 3h old", "Story 4h old", "Story 5h old"],
        ["Story 6h old", "Story 7h old"]]
    assert [(r.seen, r.held_back) for r in reports] == [(0, 5), (3, 2), (6, 0)]
    assert (await Source.get(id=source.id)).etag is not None, "read in full: validators kept again"


def _poll_in_another_process(db_url: str, source_id: int, settings_json: str) -> int:
    """Poll one source from a fresh process (its own database connection); the number of new articles."""

    async def run() -> int:
        from bot.storage.db import open_database

        settings = Settings.model_validate_json(settings_json)
        async with open_database(db_url, migrate=False):
            with CpuPool(1) as pool:
                async with Fetcher(settings) as fetcher:
                    report = await Ingestor(settings, fetcher, pool).poll(await Source.get(id=source_id),
                                                                          fetch_pages=False)
        assert report.ok, report.error
        return len(report.new)

    return asyncio.run(run())


async def test_two_processes_storing_the_same_text_at_once_store_it_once(env: Env, db: str) -> None:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from aiohttp import web

    arrived, both = 0, asyncio.Event()
    bodies = {f"/feeds/{p}": rss(_copies(env.server.url(""), p, 10)) for p in ("p1", "p2")}

    async def together(request: web.Request) -> web.Response:
        nonlocal arrived
        arrived += 1
        if arrived == 2:
            both.set()
        await both.wait()  # both processes get their feed at the same moment
        return web.Response(body=bodies[request.path], content_type="application/rss+xml")

    sources = [await env.source(env.server.handle(path, together)) for path in bodies]
    loop = asyncio.get_running_loop()
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as procs:
        new = await asyncio.gather(*(loop.run_in_executor(procs, _poll_in_another_process, db, s.id,
                                                          env.settings.model_dump_json()) for s in sources))
    assert sum(new) == 1
    assert await Article.all().count() == 1
    assert await ArticleSighting.all().count() == 2
