"""Read queries shared by the edges (CLI, and later Discord)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.storage.models import Article, Source


@dataclass(frozen=True, slots=True)
class ArticleRow:
    id: int
    url: str
    title: str | None
    author: str | None
    published_at: datetime | None
    fetched_at: datetime
    language: str | None
    source: str
    extraction: str
    deliverable: bool
    text: str

    def as_json(self) -> dict[str, Any]:
        return jsonable(self)


async def has_scheduled_sources(guild_id: int = 0) -> bool:
    return await Source.exists(guild_id=guild_id, scheduled=True)


async def latest_articles(limit: int, *, guild_id: int | None = None) -> list[ArticleRow]:
    query = Article.all().select_related("source").order_by("-fetched_at", "-id").limit(limit)
    if guild_id is not None:
        query = query.filter(sightings__source__guild_id=guild_id).distinct()
    return [
        ArticleRow(
            id=a.id, url=a.url, title=a.title, author=a.author, published_at=a.published_at,
            fetched_at=a.fetched_at, language=a.language, source=a.source.title or a.source.url,
            extraction=a.extraction, deliverable=a.deliverable, text=a.text,
        )
        for a in await query
    ]


def jsonable(obj: Any) -> dict[str, Any]:
    """A dataclass as a JSON-ready dict (datetimes as ISO 8601)."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        out[f.name] = value.isoformat() if isinstance(value, datetime) else value
    return out
