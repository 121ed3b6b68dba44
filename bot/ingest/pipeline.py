"""Source -> articles: fetch, parse, extract, dedupe and store, recording each decision."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from tortoise.transactions import in_transaction

from bot.errors import BriefbotError, FetchError, ParseError
from bot.ingest.extract import html_to_text
from bot.ingest.fetch import Fetcher
from bot.ingest.parse import discover_feeds, looks_like_html
from bot.ingest.store import ArticleStore, Candidate, Stored, chunked, known_item_keys, sighted_url_keys
from bot.ingest.types import ExtractedPage, FeedItem, FetchResult, ParsedFeed
from bot.ingest.urls import content_hash, normalize_url
from bot.ingest.workers import CpuPool
from bot.settings import Settings
from bot.storage.bounds import cut, fit_instance, limit_of
from bot.storage.jobs import enqueue_polls
from bot.storage.models import Article, ArticleSighting, Source

log = logging.getLogger(__name__)

FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/rdf+xml, "
    "application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, text/html;q=0.7, */*;q=0.5"
)
PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"
HELD_BACK_POLL_S = 60  # the next poll of a source whose items did not all fit in this one
_HEALTH_FIELDS = ("failure_count", "last_polled_at", "last_success_at", "next_poll_at", "claimed_by")


def utcnow() -> datetime:
    return datetime.now(UTC)


def key_of(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


def url_key(url: str) -> str:
    """The dedupe key of a URL: the hash of its normalised form (of the raw text if it has none)."""
    try:
        return key_of(normalize_url(url))
    except BriefbotError:
        return key_of(url)


@dataclass(slots=True)
class NewArticle:
    id: int
    title: str | None
    url: str
    deliverable: bool
    extraction: str


@dataclass(slots=True)
class PollReport:
    """What one poll of one source did."""

    source_id: int
    url: str
    ok: bool = True
    not_modified: bool = False
    error: str | None = None
    disabled: bool = False
    new: list[NewArticle] = field(default_factory=list)
    duplicates: int = 0
    seen: int = 0
    failed: int = 0  # items that could not be stored (each has a failed event)
    held_back: int = 0  # new items left for the next poll (over MAX_NEW_ITEMS_PER_POLL)


@dataclass(slots=True)
class Classified:
    """What a URL turned out to be when first fetched."""

    kind: str  # "feed" or "page"
    url: str  # what to poll from now on
    site_url: str | None
    title: str | None
    fetched: FetchResult
    feed: ParsedFeed | None


class Ingestor:
    """Turns sources into deduplicated articles. Stateless apart from its collaborators."""

    def __init__(
        self,
        settings: Settings,
        fetcher: Fetcher,
        pool: CpuPool,
        *,
        clock: Callable[[], datetime] = utcnow,
        rng: random.Random | None = None,
    ) -> None:
        self._settings = settings
        self._fetcher = fetcher
        self._pool = pool
        self._clock = clock
        self._rng = rng or random.Random()
        self._store = ArticleStore(clock)

    # -- classification -------------------------------------------------------------------

    async def classify(self, url: str) -> Classified:
        """Fetch ``url`` and decide whether it is a feed, a page with a feed, or a plain page."""
        fetched = await self._fetcher.fetch(url, accept=FEED_ACCEPT)
        return await self.classify_body(fetched)

    async def classify_body(self, fetched: FetchResult, *, discover: bool = True) -> Classified:
        if not looks_like_html(fetched.body, fetched.content_type):
            feed = await self._pool.parse_feed(fetched.body, fetched.final_url, fetched.content_type)
            return Classified("feed", fetched.final_url, feed.link, feed.title, fetched, feed)
        for candidate in discover_feeds(fetched.body, fetched.final_url) if discover else []:
            try:
                feed_fetch = await self._fetcher.fetch(candidate, accept=FEED_ACCEPT)
                feed = await self._pool.parse_feed(feed_fetch.body, feed_fetch.final_url, feed_fetch.content_type)
            except BriefbotError as exc:
                log.info("discovered feed %s unusable: %s", candidate, exc)
                continue
            return Classified("feed", feed_fetch.final_url, fetched.final_url, feed.title, feed_fetch, feed)
        page = await self._pool.extract_page(fetched.body, fetched.final_url)
        title = page.title if page else None
        return Classified("page", fetched.final_url, fetched.final_url, title, fetched, None)

    # -- polling ----------------------------------------------------------------------------

    async def poll(
        self, source: Source, *, prefetched: Classified | None = None, fetch_pages: bool | None = None
    ) -> PollReport:
        """Poll one source. Never raises for the source's own faults: they go to its health."""
        report = PollReport(source_id=source.id, url=source.url)
        pages = self._settings.fetch_pages if fetch_pages is None else fetch_pages
        try:
            if prefetched is not None:
                fetched, feed = prefetched.fetched, prefetched.feed
            else:
                fetched = await self._fetcher.fetch(
                    source.url, etag=source.etag, last_modified=source.last_modified, accept=FEED_ACCEPT
                )
                feed = None
            if fetched.not_modified:
                report.not_modified = True
            elif source.kind == "page" or (feed is None and looks_like_html(fetched.body, fetched.content_type)):
                await self._ingest_page_source(source, fetched, report)
            else:
                if feed is None:
                    feed = await self._pool.parse_feed(fetched.body, fetched.final_url, fetched.content_type)
                await self._ingest_feed(source, feed, report, pages)
                if feed.title and not source.title:
                    source.title = feed.title
        except (BriefbotError, asyncio.TimeoutError) as exc:
            retry_after = exc.retry_after if isinstance(exc, FetchError) else None
            await self._record_failure(source, str(exc) or exc.__class__.__name__, retry_after, report)
            return report
        except Exception as exc:  # a bug or an unexpected library error: keep the other sources going
            log.exception("poll of source %s failed unexpectedly", source.id)
            await self._record_failure(source, f"internal error: {exc.__class__.__name__}", None, report)
            return report
        await self._record_success(source, fetched, report)
        return report

    async def _ingest_feed(self, source: Source, feed: ParsedFeed, report: PollReport, pages: bool) -> None:
        items: dict[str, FeedItem] = {}  # by item key, first occurrence wins
        for item in feed.items:
            if item.link or item.guid:
                items.setdefault(key_of(item.guid or item.link or ""), item)
        if feed.warning and not items:
            raise ParseError(f"malformed feed: {feed.warning}")
        known = await known_item_keys(source.id, list(items))
        # Feeds list newest first; newest first here too. On a source's first poll only the newest
        # `backfill_items` are deliverable; beyond `max_new_items_per_poll`, items wait for the next poll.
        unseen = sorted(((k, it) for k, it in items.items() if k not in known),
                        key=lambda pair: _sort_key(pair[1]), reverse=True)
        fresh, again = await self._fresh(source, unseen, self._settings.max_new_items_per_poll)
        report.seen = len(items) - len(unseen) + again
        report.held_back = len(unseen) - again - len(fresh)
        backfill = self._settings.backfill_items if not (source.primed or known) else 0
        await asyncio.gather(*(
            self._ingest_item(source, key, it, deliverable=source.primed or rank < backfill, report=report,
                              pages=pages)
            for rank, (key, it) in enumerate(fresh)
        ))

    @staticmethod
    async def _fresh(
        source: Source, unseen: list[tuple[str, FeedItem]], cap: int
    ) -> tuple[list[tuple[str, _Item]], int]:
        """Up to ``cap`` of ``unseen`` that are new to the source, and how many of those looked at were not.

        An item seen before under another GUID or tracking suffix is not new: its URL leads to an article
        this source found already. Only as many items are looked at as it takes to find ``cap`` new ones.
        """
        fresh: list[tuple[str, _Item]] = []
        again = 0
        for part in chunked(unseen):
            if len(fresh) >= cap:
                break
            candidates = [(key, _Item.of(item, _link_of(source, key, item))) for key, item in part]
            sighted = await sighted_url_keys(source.id, [it.url_key for _, it in candidates])
            for key, it in candidates:
                if it.url_key in sighted:
                    again += 1
                elif len(fresh) < cap:
                    fresh.append((key, it))
        return fresh, again

    async def _ingest_item(
        self, source: Source, item_key: str, it: _Item, *, deliverable: bool, report: PollReport, pages: bool
    ) -> None:
        """Fetch, extract and store one item. Its failure is recorded for it alone: the feed goes on."""
        try:
            found = await self._store.twin(it.url_key, None)
            if found is not None:
                await self._store.duplicate(source, item_key, it.url_key, it.link, found)
                report.duplicates += 1
                return
            page: ExtractedPage | None = None
            events: list[tuple[str, str, str]] = []
            if pages and _is_http(it.link):
                try:
                    fetched = await self._fetcher.fetch(it.link, accept=PAGE_ACCEPT)
                    events.append(("fetch", "ok", f"HTTP {fetched.status}, {len(fetched.body)} bytes"))
                    if looks_like_html(fetched.body, fetched.content_type):
                        page = await self._pool.extract_page(fetched.body, fetched.final_url)
                        if page is None:
                            events.append(("extract", "empty", "no main text found in the page"))
                except BriefbotError as exc:
                    events.append(("fetch", "failed", str(exc)))
            candidate = _candidate(source, item_key, it, page, deliverable, events)
            self._count(report, candidate, await self._store.store(candidate))
        except Exception as exc:  # one item's fault (or a library's bug on it): record it, the rest go on
            if isinstance(exc, BriefbotError):
                log.info("item %s of source %s not stored: %s", it.link, source.id, exc)
            else:
                log.exception("item %s of source %s failed unexpectedly", it.link, source.id)
            report.failed += 1
            await self._store.failed(source, it.url_key, it.link, f"{exc.__class__.__name__}: {exc}")

    @staticmethod
    def _count(report: PollReport, candidate: Candidate, stored: Stored) -> None:
        if stored.outcome == "new":
            report.new.append(NewArticle(stored.article_id, candidate.title, candidate.url, candidate.deliverable,
                                         candidate.extraction))
        else:
            report.duplicates += 1

    async def _ingest_page_source(self, source: Source, fetched: FetchResult, report: PollReport) -> None:
        page = await self._pool.extract_page(fetched.body, fetched.final_url)
        if page is None:
            raise ParseError("the page has no article text Briefbot could extract")
        link = fetched.final_url
        if not _is_http(link) and _is_http(page.canonical_url):
            link = page.canonical_url  # a saved page file: its canonical URL names the article
        item = FeedItem(guid=None, link=link, title=page.title, summary=None, content=None,
                        published=page.published, author=page.author)
        item_key = key_of(link)
        if await ArticleSighting.exists(source_id=source.id, item_key=item_key):
            report.seen = 1
            return
        events = [("fetch", "ok", f"HTTP {fetched.status}, {len(fetched.body)} bytes")]
        candidate = _candidate(source, item_key, _Item.of(item, link), page, source.primed, events)
        self._count(report, candidate, await self._store.store(candidate))

    # -- health ------------------------------------------------------------------------------

    def _jittered(self, seconds: float) -> timedelta:
        j = self._settings.poll_jitter
        return timedelta(seconds=seconds * (1 + self._rng.uniform(-j, j)))

    async def _record_success(self, source: Source, fetched: FetchResult, report: PollReport) -> None:
        now = self._clock()
        source.claimed_by = None  # the poll is done: the claim ends with it
        source.last_polled_at = now
        source.last_success_at = now
        source.failure_count = 0
        if report.held_back:
            # Items wait for the next poll: soon, and a full fetch (a 304 would hide them). The source
            # stays unprimed until its backlog is read, so the backlog is never delivered as news.
            source.etag = source.last_modified = None
            source.next_poll_at = now + self._jittered(min(source.interval_s, HELD_BACK_POLL_S))
        else:
            source.etag = _validator(Source, "etag", fetched.etag)
            source.last_modified = _validator(Source, "last_modified", fetched.last_modified)
            source.primed = True
            source.next_poll_at = now + self._jittered(source.interval_s)
        fit_instance(source, ["title"])
        await _save_and_schedule(source, [*_HEALTH_FIELDS, "etag", "last_modified", "primed", "title"])

    async def _record_failure(
        self, source: Source, error: str, retry_after: float | None, report: PollReport
    ) -> None:
        now = self._clock()
        source.claimed_by = None
        source.failure_count += 1
        source.last_error = error
        source.last_error_at = now
        source.last_polled_at = now
        backoff = min(source.interval_s * 2 ** (source.failure_count - 1), self._settings.max_backoff_s)
        wait = max(backoff, retry_after or 0)
        source.next_poll_at = now + self._jittered(wait)
        if source.failure_count >= self._settings.max_failures and source.disabled_at is None:
            source.disabled_at = now
            source.disabled_reason = f"{source.failure_count} failures in a row; last: {error}"
            report.disabled = True
            log.warning("source %s disabled: %s", source.id, source.disabled_reason)
        fit_instance(source, ["last_error", "disabled_reason"])
        await _save_and_schedule(source, [*_HEALTH_FIELDS, "last_error", "last_error_at", "disabled_at",
                                          "disabled_reason"])
        report.ok = False
        report.error = error
        log.info("source %s failed (%d in a row): %s", source.id, source.failure_count, error)


async def _save_and_schedule(source: Source, fields: list[str]) -> None:
    """Store a polled source's health and next poll time; on PostgreSQL its next poll's job
    commits with them (bot/workers/polling.py)."""
    async with in_transaction() as conn:
        await source.save(update_fields=fields, using_db=conn)
        if source.scheduled and source.disabled_at is None:
            await enqueue_polls(conn, [(source.id, source.next_poll_at)])


@dataclass(frozen=True, slots=True)
class _Item:
    """A feed item with the URL it is stored under and that URL's key."""

    item: FeedItem
    link: str
    url_key: str

    @classmethod
    def of(cls, item: FeedItem, link: str) -> _Item:
        return cls(item, link, url_key(link))


def _link_of(source: Source, item_key: str, item: FeedItem) -> str:
    """The item's link, else its GUID when that is a URL, else a URN of its key."""
    link = item.link or (item.guid if _is_http(item.guid) else None)
    # No page to fetch: the feed's own text is all there is, keyed by the GUID.
    return link or f"urn:briefbot:{source.id}:{item_key}"


def _candidate(source: Source, item_key: str, it: _Item, page: ExtractedPage | None, deliverable: bool,
               events: list[tuple[str, str, str]]) -> Candidate:
    item = it.item
    text, extraction = "", "title-only"
    if page is not None and page.text.strip():
        text, extraction = page.text, "page"
    else:
        for raw, kind in ((item.content, "feed-content"), (item.summary, "feed-summary")):
            if raw and (plain := html_to_text(raw)).strip():
                text, extraction = plain, kind
                break
    text = cut(text, limit_of(Article, "text") or len(text))
    events.append(("extract", extraction, f"{len(text)} characters"))
    title = (page.title if page and page.title else None) or item.title
    return Candidate(
        source=source, item_key=item_key, url_key=it.url_key, url=it.link, title=title, text=text,
        extraction=extraction, content_hash=content_hash(title, text),
        dedupe_by_content=bool(text.strip() or (title or "").strip()),
        guid=item.guid, author=(page.author if page and page.author else item.author) or None,
        published_at=(page.published if page and page.published else item.published),
        language=page.language if page else None,
        canonical_url=page.canonical_url if page else None,
        deliverable=deliverable, events=events,
    )


def _validator(model: type[Source], name: str, value: str | None) -> str | None:
    """An HTTP validator to send back next time, or None when it is too long to keep whole."""
    limit = limit_of(model, name)
    return value if value and limit is not None and len(value) <= limit else None


def _is_http(value: str | None) -> bool:
    return bool(value) and value.lower().startswith(("http://", "https://"))  # type: ignore[union-attr]


def _sort_key(item: FeedItem) -> float:
    return item.published.timestamp() if item.published else 0.0
