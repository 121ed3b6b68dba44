"""Source -> articles: fetch, parse, extract, dedupe and store, recording each decision."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from bot.errors import BriefbotError, FetchError, ParseError
from bot.ingest.extract import html_to_text
from bot.ingest.fetch import Fetcher
from bot.ingest.parse import discover_feeds, looks_like_html
from bot.ingest.types import ExtractedPage, FeedItem, FetchResult, ParsedFeed
from bot.ingest.urls import content_hash, normalize_url
from bot.ingest.workers import CpuPool
from bot.settings import Settings
from bot.storage.models import Article, ArticleSighting, PipelineEvent, Source

log = logging.getLogger(__name__)

FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/rdf+xml, "
    "application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, text/html;q=0.7, */*;q=0.5"
)
PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"
MIN_HASHED_TEXT = 200  # shorter texts are too generic to dedupe by content
_HEALTH_FIELDS = ("failure_count", "last_polled_at", "last_success_at", "next_poll_at")


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
                    source.title = feed.title[:512]
        except (BriefbotError, asyncio.TimeoutError) as exc:
            retry_after = exc.retry_after if isinstance(exc, FetchError) else None
            await self._record_failure(source, str(exc) or exc.__class__.__name__, retry_after, report)
            return report
        except Exception as exc:  # a bug or an unexpected library error: keep the other sources going
            log.exception("poll of source %s failed unexpectedly", source.id)
            await self._record_failure(source, f"internal error: {exc.__class__.__name__}", None, report)
            return report
        await self._record_success(source, fetched)
        return report

    async def _ingest_feed(self, source: Source, feed: ParsedFeed, report: PollReport, pages: bool) -> None:
        items = [item for item in feed.items if item.link or item.guid]
        if feed.warning and not items:
            raise ParseError(f"malformed feed: {feed.warning}")
        keys = [key_of(item.guid or item.link or "") for item in items]
        known = set(
            await ArticleSighting.filter(source_id=source.id, item_key__in=keys).values_list("item_key", flat=True)
        )
        fresh = [(k, it) for k, it in zip(keys, items, strict=True) if k not in known]
        report.seen = len(items) - len(fresh)
        # Feeds list newest first; on the first run only the newest `backfill_items` are deliverable.
        order = sorted(range(len(fresh)), key=lambda i: _sort_key(fresh[i][1]), reverse=True)
        backfill = set(order[: self._settings.backfill_items])
        tasks = [
            self._ingest_item(source, k, it, deliverable=source.primed or i in backfill, report=report, pages=pages)
            for i, (k, it) in enumerate(fresh)
        ]
        await asyncio.gather(*tasks)

    async def _ingest_item(
        self, source: Source, item_key: str, item: FeedItem, *, deliverable: bool, report: PollReport, pages: bool
    ) -> None:
        link = item.link or (item.guid if _is_http(item.guid) else None)
        if link is None:
            # No page to fetch: the feed's own text is all there is, keyed by the GUID.
            link = f"urn:briefbot:{source.id}:{item_key}"
        ukey = url_key(link)
        existing = await Article.get_or_none(url_key=ukey).only("id")
        if existing is not None:
            await self._sight(source, existing.id, item_key)
            await _event(ukey, link, source, existing.id, "dedupe", "duplicate-url", "already stored")
            report.duplicates += 1
            return
        page: ExtractedPage | None = None
        events: list[tuple[str, str, str]] = []
        if pages and _is_http(link):
            try:
                fetched = await self._fetcher.fetch(link, accept=PAGE_ACCEPT)
                events.append(("fetch", "ok", f"HTTP {fetched.status}, {len(fetched.body)} bytes"))
                if looks_like_html(fetched.body, fetched.content_type):
                    page = await self._pool.extract_page(fetched.body, fetched.final_url)
                    if page is None:
                        events.append(("extract", "empty", "no main text found in the page"))
            except BriefbotError as exc:
                events.append(("fetch", "failed", str(exc)))
        await self._store(source, item_key, ukey, link, item, page, deliverable, events, report)

    async def _store(
        self,
        source: Source,
        item_key: str,
        ukey: str,
        link: str,
        item: FeedItem,
        page: ExtractedPage | None,
        deliverable: bool,
        events: list[tuple[str, str, str]],
        report: PollReport,
    ) -> None:
        if page is not None and page.text.strip():
            text, extraction = page.text, "page"
        elif item.content and html_to_text(item.content).strip():
            text, extraction = html_to_text(item.content), "feed-content"
        elif item.summary and html_to_text(item.summary).strip():
            text, extraction = html_to_text(item.summary), "feed-summary"
        else:
            text, extraction = "", "title-only"
        events.append(("extract", extraction, f"{len(text)} characters"))
        title = (page.title if page and page.title else None) or item.title
        chash = content_hash(title, text)
        if len(text) >= MIN_HASHED_TEXT:
            twin = await Article.get_or_none(content_hash=chash).only("id")
            if twin is not None:
                await self._sight(source, twin.id, item_key)
                await _event(ukey, link, source, twin.id, "dedupe", "duplicate-content", "same text as another URL")
                report.duplicates += 1
                return
        now = self._clock()
        try:
            async with in_transaction():
                article = await Article.create(
                    source_id=source.id,
                    url=link[:2048],
                    url_key=ukey,
                    canonical_url=(page.canonical_url[:2048] if page and page.canonical_url else None),
                    guid=(item.guid[:1024] if item.guid else None),
                    content_hash=chash,
                    title=(title[:1024] if title else None),
                    author=((page.author if page and page.author else item.author) or None),
                    published_at=(page.published if page and page.published else item.published),
                    language=(page.language[:16] if page and page.language else None),
                    text=text,
                    extraction=extraction,
                    fetched_at=now,
                    deliverable=deliverable,
                )
                await ArticleSighting.create(source_id=source.id, article_id=article.id, item_key=item_key, seen_at=now)
                await PipelineEvent.bulk_create(
                    [
                        PipelineEvent(url_key=ukey, url=link[:2048], source_id=source.id, article_id=article.id,
                                      stage=stage, outcome=outcome, detail=detail)
                        for stage, outcome, detail in [*events, ("dedupe", "new", "stored")]
                    ]
                )
        except IntegrityError:
            # Another source stored the same URL a moment ago: it is a duplicate now.
            twin = await Article.get_or_none(url_key=ukey).only("id")
            if twin is None:
                raise
            await self._sight(source, twin.id, item_key)
            report.duplicates += 1
            return
        report.new.append(NewArticle(article.id, article.title, link, deliverable, extraction))

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
        ukey = url_key(link)
        existing = await Article.get_or_none(url_key=ukey).only("id")
        if existing is not None:
            await self._sight(source, existing.id, item_key)
            report.duplicates += 1
            return
        events = [("fetch", "ok", f"HTTP {fetched.status}, {len(fetched.body)} bytes")]
        await self._store(source, item_key, ukey, link, item, page, source.primed, events, report)

    async def _sight(self, source: Source, article_id: int, item_key: str) -> None:
        try:
            await ArticleSighting.create(source_id=source.id, article_id=article_id, item_key=item_key, seen_at=self._clock())
        except IntegrityError:
            return  # seen already (a concurrent poll of the same source)
        # another source (maybe another server's) has it now: route it again for that source's
        # subscriptions (the outbox keys make a second routing harmless for the others), unless this
        # is the source's first poll, whose items are backlog, not news
        if source.primed:
            await Article.filter(id=article_id, routed_at__not_isnull=True).update(routed_at=None)

    # -- health ------------------------------------------------------------------------------

    def _jittered(self, seconds: float) -> timedelta:
        j = self._settings.poll_jitter
        return timedelta(seconds=seconds * (1 + self._rng.uniform(-j, j)))

    async def _record_success(self, source: Source, fetched: FetchResult) -> None:
        now = self._clock()
        source.etag = fetched.etag[:512] if fetched.etag else None
        source.last_modified = fetched.last_modified[:128] if fetched.last_modified else None
        source.last_polled_at = now
        source.last_success_at = now
        source.failure_count = 0
        source.primed = True
        source.next_poll_at = now + self._jittered(source.interval_s)
        await source.save(update_fields=[*_HEALTH_FIELDS, "etag", "last_modified", "primed", "title"])

    async def _record_failure(
        self, source: Source, error: str, retry_after: float | None, report: PollReport
    ) -> None:
        now = self._clock()
        source.failure_count += 1
        source.last_error = error[:2000]
        source.last_error_at = now
        source.last_polled_at = now
        backoff = min(source.interval_s * 2 ** (source.failure_count - 1), self._settings.max_backoff_s)
        wait = max(backoff, retry_after or 0)
        source.next_poll_at = now + self._jittered(wait)
        if source.failure_count >= self._settings.max_failures and source.disabled_at is None:
            source.disabled_at = now
            source.disabled_reason = f"{source.failure_count} failures in a row; last: {error}"[:2000]
            report.disabled = True
            log.warning("source %s disabled: %s", source.id, source.disabled_reason)
        await source.save(update_fields=[*_HEALTH_FIELDS, "last_error", "last_error_at", "disabled_at", "disabled_reason"])
        report.ok = False
        report.error = error
        log.info("source %s failed (%d in a row): %s", source.id, source.failure_count, error)


async def _event(ukey: str, url: str, source: Source | None, article_id: int | None, stage: str,
                 outcome: str, detail: str) -> None:
    await PipelineEvent.create(url_key=ukey, url=url[:2048], source_id=source.id if source else None,
                               article_id=article_id, stage=stage, outcome=outcome, detail=detail)


def _is_http(value: str | None) -> bool:
    return bool(value) and value.lower().startswith(("http://", "https://"))  # type: ignore[union-attr]


def _sort_key(item: FeedItem) -> float:
    return item.published.timestamp() if item.published else 0.0
