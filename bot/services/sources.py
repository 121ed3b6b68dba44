"""Managing sources: add (with feed discovery), list with health, remove, OPML in and out."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from xml.sax.saxutils import quoteattr

from lxml import etree
from tortoise.functions import Count
from tortoise.transactions import in_transaction

from bot.errors import AlreadyExistsError, BriefbotError, InvalidInputError, LimitError, NotFoundError, ParseError
from bot.ingest.pipeline import Classified, Ingestor, PollReport, url_key
from bot.ingest.urls import validate_source_url
from bot.services.ids import record_id
from bot.services.views import OpmlImport
from bot.storage.bounds import fit, limit_of
from bot.storage.jobs import enqueue_polls
from bot.storage.models import Article, ArticleSighting, Source

log = logging.getLogger(__name__)

MAX_OPML_BYTES = 1024 * 1024  # an OPML file (an attachment or a file on disk) is read up to this
MIN_INTERVAL_S, MAX_INTERVAL_S = 30, 7 * 24 * 3600


@dataclass(frozen=True, slots=True)
class SourceHealth:
    id: int
    url: str
    kind: str
    title: str | None
    interval_s: int
    last_success_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    failure_count: int
    disabled_reason: str | None
    articles: int

    @property
    def status(self) -> str:
        if self.disabled_reason:
            return "disabled"
        if self.failure_count:
            return "failing"
        return "ok" if self.last_success_at else "new"


@dataclass(frozen=True, slots=True)
class AddedSource:
    source: Source
    first_poll: PollReport


@dataclass(frozen=True, slots=True)
class OpmlEntry:
    url: str
    title: str | None


class SourceService:
    def __init__(self, ingestor: Ingestor, *, default_interval_s: int, max_per_guild: int = 500,
                 import_concurrency: int = 8, on_new_articles: Callable[[], None] | None = None) -> None:
        self._on_new = on_new_articles
        self._ingestor = ingestor
        self._interval = default_interval_s
        self._max_per_guild = max_per_guild
        self._import_concurrency = import_concurrency
        self._lock = asyncio.Lock()
        self._adding: dict[int, int] = {}  # guild -> adds between their limit check and their insert

    async def add(self, url: str, *, guild_id: int = 0, interval_s: int | None = None) -> AddedSource:
        """Validate, fetch and classify ``url``, store it, and run its first (priming) poll."""
        url = validate_source_url(url)
        if interval_s is not None and not MIN_INTERVAL_S <= interval_s <= MAX_INTERVAL_S:
            raise InvalidInputError(f"poll every {MIN_INTERVAL_S} s to {MAX_INTERVAL_S // 86400} days")
        async with self._slot(guild_id) as settle:
            source, classified = await self._create(url, guild_id=guild_id, interval_s=interval_s, settle=settle)
        report = await self._ingestor.poll(source, prefetched=classified)
        if report.new and self._on_new is not None:
            self._on_new()
        return AddedSource(source, report)

    @asynccontextmanager
    async def _slot(self, guild_id: int) -> AsyncIterator[Callable[[], None]]:
        """Hold one of the guild's places while a source is added: the count and the adds in
        flight are checked together, so concurrent adds (an OPML import) can't pass the limit.
        Yields ``settle``, called under the lock as the row is stored: from then on the stored row
        holds the place (counting both would refuse an add that fits)."""
        async with self._lock:
            taken = await Source.filter(guild_id=guild_id, scheduled=True).count() + self._adding.get(guild_id, 0)
            if taken >= self._max_per_guild:
                raise self._full()
            self._adding[guild_id] = self._adding.get(guild_id, 0) + 1
        held = True

        def settle() -> None:
            nonlocal held
            if held:
                held = False
                self._adding[guild_id] -= 1
                if not self._adding[guild_id]:
                    del self._adding[guild_id]

        try:
            yield settle
        finally:
            settle()

    def _full(self) -> LimitError:
        return LimitError(f"this server has {self._max_per_guild} sources, the most allowed; remove one first")

    async def _create(self, url: str, *, guild_id: int, interval_s: int | None,
                      settle: Callable[[], None]) -> tuple[Source, Classified]:
        if await Source.exists(guild_id=guild_id, url_key=url_key(url)):
            raise AlreadyExistsError(f"{url} is already a source")
        classified = await self._ingestor.classify(url)
        key = url_key(classified.url)
        if await Source.exists(guild_id=guild_id, url_key=key):
            raise AlreadyExistsError(f"{url} is already a source (as {classified.url})")
        site_url = classified.site_url
        if site_url is not None and len(site_url) > (limit_of(Source, "site_url") or 0):
            site_url = None  # a link cut short would point elsewhere: the feed's own link is optional
        values = fit(Source, guild_id=guild_id, url=classified.url, url_key=key, kind=classified.kind,
                     title=classified.title or None, site_url=site_url, interval_s=interval_s or self._interval)
        async with self._lock:
            source = await Source.create(**values)
            settle()
        # another process may have added sources meanwhile: the ones added first keep their place
        if await Source.filter(guild_id=guild_id, scheduled=True, id__lte=source.id).count() > self._max_per_guild:
            await source.delete()
            raise self._full()
        return source, classified

    async def import_opml(self, data: bytes, *, guild_id: int = 0,
                          on_progress: Callable[[int, int], object] | None = None) -> OpmlImport:
        """Add every feed an OPML file lists (a few at a time); failures are reported, not raised."""
        entries = parse_opml(data)
        if not entries:
            raise ParseError("the OPML file lists no feeds (no <outline xmlUrl=...>)")
        if len(entries) > self._max_per_guild:
            raise LimitError(f"the file lists {len(entries)} feeds; at most {self._max_per_guild} can be imported")
        gate = asyncio.Semaphore(self._import_concurrency)
        done = 0

        async def one(entry: OpmlEntry) -> AddedSource | BriefbotError:
            nonlocal done
            async with gate:
                try:
                    return await self.add(entry.url, guild_id=guild_id)
                except BriefbotError as exc:
                    return exc
                finally:
                    done += 1
                    if on_progress is not None:
                        on_progress(done, len(entries))

        results = await asyncio.gather(*(one(e) for e in entries))
        added, failed = [], []
        for entry, result in zip(entries, results, strict=True):
            if isinstance(result, BriefbotError):
                failed.append((entry.url, str(result)))
            else:
                added.append((result.source.id, result.source.title or result.source.url))
        return OpmlImport(tuple(added), tuple(failed), len(entries))

    async def health(self, *, guild_id: int = 0) -> list[SourceHealth]:
        sources = await (Source.filter(guild_id=guild_id, scheduled=True)
                         .annotate(article_count=Count("articles")).order_by("id"))
        out = []
        for s in sources:
            count = s.article_count  # type: ignore[attr-defined]
            out.append(
                SourceHealth(
                    id=s.id, url=s.url, kind=s.kind, title=s.title, interval_s=s.interval_s,
                    last_success_at=s.last_success_at, last_error=s.last_error, last_error_at=s.last_error_at,
                    failure_count=s.failure_count, disabled_reason=s.disabled_reason, articles=count,
                )
            )
        return out

    async def find(self, ref: str, *, guild_id: int = 0) -> Source:
        """A source by id or URL, within the guild."""
        ref = ref.strip()
        source = None
        sid = record_id(Source, ref)
        if sid is not None:
            source = await Source.get_or_none(id=sid, guild_id=guild_id)
        if source is None and "://" in ref:
            source = await Source.get_or_none(guild_id=guild_id, url_key=url_key(ref))
        if source is None:
            raise NotFoundError(f"no source {ref[:80]!r}; `source list` shows the ids")
        return source

    async def remove(self, ref: str, *, guild_id: int = 0) -> Source:
        """Remove a source. Articles other sources (maybe other servers') also found stay: they
        pass to one of those sources; only articles no one else saw go with it."""
        source = await self.find(ref, guild_id=guild_id)
        async with in_transaction():
            shared = await (ArticleSighting.filter(article__source_id=source.id).exclude(source_id=source.id)
                            .order_by("id").values_list("article_id", "source_id"))
            for article_id, other in dict(reversed(shared)).items():
                await Article.filter(id=article_id).update(source_id=other)
            await source.delete()
        return source

    async def enable(self, ref: str, *, guild_id: int = 0) -> Source:
        source = await self.find(ref, guild_id=guild_id)
        source.disabled_at = None
        source.disabled_reason = None
        source.disabled_notified_at = None
        source.failure_count = 0
        source.next_poll_at = None
        async with in_transaction() as conn:  # polled again at once: on PostgreSQL, by a poll job
            await source.save(using_db=conn)
            if source.scheduled:
                await enqueue_polls(conn, [(source.id, None)])
        return source

    async def export_opml(self, *, guild_id: int = 0, title: str = "Briefbot sources") -> str:
        sources = await Source.filter(guild_id=guild_id, scheduled=True).order_by("id")
        lines = [
            '<?xml version="1.0" encoding="UTF-8"?>',
            '<opml version="2.0">',
            f"  <head><title>{_escape(title)}</title></head>",
            "  <body>",
        ]
        for s in sources:
            name = quoteattr(s.title or s.url)
            attrs = f"text={name} title={name} type={quoteattr('rss' if s.kind == 'feed' else 'link')} xmlUrl={quoteattr(s.url)}"
            if s.site_url:
                attrs += f" htmlUrl={quoteattr(s.site_url)}"
            lines.append(f"    <outline {attrs}/>")
        lines += ["  </body>", "</opml>", ""]
        return "\n".join(lines)


def parse_opml(data: bytes) -> list[OpmlEntry]:
    """The feed URLs in an OPML document (nested outlines included), in order, deduplicated."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, recover=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise ParseError(f"not a valid OPML file: {exc.msg}") from exc
    if root.tag != "opml":
        raise ParseError("not an OPML file (the root element is not <opml>)")
    entries: list[OpmlEntry] = []
    seen: set[str] = set()
    for outline in root.iter("outline"):
        url = (outline.get("xmlUrl") or outline.get("xmlurl") or outline.get("url") or "").strip()
        if not url or url in seen:
            continue
        seen.add(url)
        entries.append(OpmlEntry(url, outline.get("title") or outline.get("text")))
    return entries


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
