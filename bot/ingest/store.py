"""Storing what a poll found: one article per URL and per text, a sighting per source and article.

Every value goes through ``bot.storage.bounds.fit``. A sighting or an event is written only when
something changed: an item seen again (under the same key, or under a new GUID or tracking suffix
that leads to an article the source found already) adds no row.

Two tasks or processes may store the same URL or text at once: the URL is unique in the schema,
and the text is checked after the insert, in the same transaction, behind a lock on the text
(PostgreSQL) or the database's single writer (SQLite), so the second one finds the first one's
article and rolls its own back.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from bot.storage.bounds import cut, fit, fitted, limit_of
from bot.storage.jobs import enqueue_analysis
from bot.storage.models import Article, ArticleSighting, PipelineEvent, Source

CHUNK = 1000  # keys in one IN (...) list: PostgreSQL takes at most 32,767 query arguments
DUPLICATE_DETAIL = {"duplicate-url": "already stored", "duplicate-content": "same text as another URL"}


def chunked(values: Sequence[str], size: int = CHUNK) -> Iterator[Sequence[str]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


async def known_item_keys(source_id: int, keys: Sequence[str]) -> set[str]:
    """The item keys among ``keys`` that this source has sighted."""
    found: set[str] = set()
    for part in chunked(keys):
        found.update(
            await ArticleSighting.filter(source_id=source_id, item_key__in=part).values_list("item_key", flat=True)
        )
    return found


async def sighted_url_keys(source_id: int, url_keys: Sequence[str]) -> set[str]:
    """The URL keys among ``url_keys`` whose article this source has sighted (under any item key)."""
    found: set[str] = set()
    for part in chunked(url_keys):
        found.update(
            await ArticleSighting.filter(source_id=source_id, article__url_key__in=part)
            .values_list("article__url_key", flat=True)
        )
    return found


@dataclass(slots=True)
class Candidate:
    """An item ready to store, and what happened to it on the way (``events``)."""

    source: Source
    item_key: str
    url_key: str
    url: str
    title: str | None
    text: str
    extraction: str
    content_hash: str
    dedupe_by_content: bool  # False when there is nothing to compare (no title, no text)
    guid: str | None
    author: str | None
    published_at: datetime | None
    language: str | None
    canonical_url: str | None
    deliverable: bool
    events: list[tuple[str, str, str]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Stored:
    article_id: int
    outcome: str  # "new", "duplicate-url" or "duplicate-content"


class _Twin(Exception):
    """Raised inside the storing transaction to roll it back: the text is stored already."""

    def __init__(self, article_id: int) -> None:
        super().__init__(article_id)
        self.article_id = article_id


async def _first_id(query: QuerySet[Article]) -> int | None:
    ids = await query.order_by("id").limit(1).values_list("id", flat=True)
    return int(ids[0]) if ids else None  # type: ignore[arg-type]


async def _lock_text(conn: BaseDBAsyncClient, content_hash: str) -> None:
    """Serialise storers of one text until the transaction ends (PostgreSQL; SQLite has one writer)."""
    if conn.capabilities.dialect == "postgres":
        await conn.execute_query("SELECT pg_advisory_xact_lock($1)", [int(content_hash[:15], 16)])


class ArticleStore:
    """Stores candidates; one at a time per source, so a poll's items never race for one sighting."""

    def __init__(self, clock: Callable[[], datetime]) -> None:
        self._clock = clock
        self._locks: dict[int, asyncio.Lock] = {}

    def _lock(self, source: Source) -> asyncio.Lock:
        return self._locks.setdefault(source.id, asyncio.Lock())

    async def twin(self, url_key: str, content_hash: str | None) -> Stored | None:
        """The stored article with this URL, or else with this text, if any."""
        by_url = await _first_id(Article.filter(url_key=url_key))
        if by_url is not None:
            return Stored(by_url, "duplicate-url")
        if content_hash is None:
            return None
        by_text = await _first_id(Article.filter(content_hash=content_hash))
        return None if by_text is None else Stored(by_text, "duplicate-content")

    async def store(self, c: Candidate) -> Stored:
        """Store ``c`` as a new article, or sight the article that has its URL or its text already."""
        async with self._lock(c.source):
            return await self._store(c)

    async def duplicate(self, source: Source, item_key: str, url_key: str, url: str, found: Stored) -> Stored:
        """Sight ``found`` for ``source``, with its dedupe event when the sighting is new."""
        async with self._lock(source):
            return await self._duplicate(source, item_key, url_key, url, found)

    async def sight(self, source: Source, article_id: int, item_key: str) -> bool:
        """Record that ``source`` found the article; False when it had found it already."""
        async with self._lock(source):
            return await self._sight(source, article_id, item_key)

    async def _store(self, c: Candidate) -> Stored:
        dedupe_hash = c.content_hash if c.dedupe_by_content else None
        if (found := await self.twin(c.url_key, dedupe_hash)) is not None:
            return await self._duplicate(c.source, c.item_key, c.url_key, c.url, found)
        now = self._clock()
        try:
            async with in_transaction() as conn:
                if dedupe_hash is not None:
                    await _lock_text(conn, dedupe_hash)
                # The insert comes first: on SQLite it takes the write lock, so the check below
                # sees every text another process stored before it.
                article = await Article.create(using_db=conn, **fit(
                    Article, source_id=c.source.id, url=c.url, url_key=c.url_key, canonical_url=c.canonical_url,
                    guid=c.guid, content_hash=c.content_hash, title=c.title, author=c.author,
                    published_at=c.published_at, language=c.language, text=c.text, extraction=c.extraction,
                    fetched_at=now, deliverable=c.deliverable,
                ))
                if dedupe_hash is not None:
                    others = Article.filter(content_hash=dedupe_hash, id__not=article.id).using_db(conn)
                    twin = await _first_id(others)
                    if twin is not None:
                        raise _Twin(twin)
                await ArticleSighting.create(using_db=conn, source_id=c.source.id, article_id=article.id,
                                             item_key=c.item_key, seen_at=now)
                await enqueue_analysis(conn, [article.id])  # its job commits with it (PostgreSQL)
                await PipelineEvent.bulk_create(
                    [self._event(c.source, c.url_key, c.url, article.id, stage, outcome, detail)
                     for stage, outcome, detail in [*c.events, ("dedupe", "new", "stored")]],
                    using_db=conn,
                )
        except _Twin as twin:
            return await self._duplicate(c.source, c.item_key, c.url_key, c.url,
                                        Stored(twin.article_id, "duplicate-content"))
        except IntegrityError:
            # Another task or process stored the same URL (or this item) a moment ago.
            found = await self.twin(c.url_key, dedupe_hash)
            if found is None:
                raise
            return await self._duplicate(c.source, c.item_key, c.url_key, c.url, found)
        return Stored(article.id, "new")

    async def _duplicate(self, source: Source, item_key: str, url_key: str, url: str, found: Stored) -> Stored:
        if await self._sight(source, found.article_id, item_key):
            await self._event(source, url_key, url, found.article_id, "dedupe", found.outcome,
                              DUPLICATE_DETAIL[found.outcome]).save()
        return found

    async def _sight(self, source: Source, article_id: int, item_key: str) -> bool:
        if await ArticleSighting.exists(source_id=source.id, article_id=article_id):
            return False
        try:
            await ArticleSighting.create(source_id=source.id, article_id=article_id, item_key=item_key,
                                         seen_at=self._clock())
        except IntegrityError:
            return False  # seen already (a concurrent poll of the same source)
        # another source (maybe another server's) has it now: route it again for that source's
        # subscriptions (the outbox keys make a second routing harmless for the others), unless this
        # is the source's first poll, whose items are backlog, not news
        if source.primed:
            await Article.filter(id=article_id, routed_at__not_isnull=True).update(routed_at=None)
        return True

    async def failed(self, source: Source, url_key: str, url: str, detail: str) -> None:
        """Record that an item could not be stored; the same failure of the same item adds no row."""
        event = self._event(source, url_key, url, None, "store", "failed", detail)
        if not await PipelineEvent.exists(url_key=url_key, source_id=source.id, stage="store", outcome="failed",
                                          detail=event.detail):
            await event.save()

    @staticmethod
    def _event(source: Source, url_key: str, url: str, article_id: int | None, stage: str, outcome: str,
               detail: str) -> PipelineEvent:
        # the URL is a record of what the item said: cut, not refused, when it is too long to keep
        return fitted(PipelineEvent, url_key=url_key, url=cut(url, limit_of(PipelineEvent, "url") or len(url)),
                      source_id=source.id, article_id=article_id, stage=stage, outcome=outcome, detail=detail)
