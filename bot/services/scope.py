"""Guild scoping and small helpers shared by the read services.

A server sees the articles its own sources found (through ``ArticleSighting``), the stories
those articles belong to, and the actors and statements in them: never another server's.
Guild 0 is the command line and console.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from tortoise.expressions import Subquery

from bot.errors import InvalidInputError
from bot.services.views import ArticleLink
from bot.storage.models import ArticleSighting, Source


async def guild_source_ids(guild_id: int) -> list[int]:
    return list(await Source.filter(guild_id=guild_id).values_list("id", flat=True))


def visible_article_ids(source_ids: Iterable[int]) -> Subquery:
    """A subquery of the ids of the articles the given sources found."""
    return Subquery(ArticleSighting.filter(source_id__in=list(source_ids)).values("article_id"))


def outlet_name(title: str | None, url: str) -> str:
    if title and title.strip():
        return title.strip()
    host = urlsplit(url).hostname or url
    return host.removeprefix("www.")


async def article_links(article_ids: Iterable[int], source_ids: Iterable[int]) -> dict[int, ArticleLink]:
    """The link of each article as this guild knows it (its own source's name as the outlet)."""
    ids = list(dict.fromkeys(article_ids))
    if not ids:
        return {}
    rows = await (ArticleSighting.filter(article_id__in=ids, source_id__in=list(source_ids))
                  .order_by("seen_at", "id")
                  .values("article_id", "source__title", "source__url", "article__url", "article__title",
                          "article__published_at", "article__fetched_at"))
    out: dict[int, ArticleLink] = {}
    for r in rows:
        aid = r["article_id"]
        if aid in out:
            continue
        out[aid] = ArticleLink(
            article_id=aid, url=r["article__url"], title=r["article__title"],
            outlet=outlet_name(r["source__title"], r["source__url"]),
            published_at=r["article__published_at"] or r["article__fetched_at"],
        )
    return out


_SPAN = re.compile(r"^\s*([0-9]+)\s*(m|min|mins|minutes?|h|hrs?|hours?|d|days?|w|weeks?)\s*$", re.IGNORECASE)
_UNIT_S = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
MAX_SINCE = timedelta(days=3650)


def parse_since(text: str | None, now: datetime, *, default: timedelta | None = None) -> datetime | None:
    """``24h``, ``3d``, ``2w``, ``90m``, ``today``, ``yesterday`` or a date (``2026-11-20``) -> a time
    at most ``MAX_SINCE`` back, in ``now``'s time zone. Anything else is an InvalidInputError."""
    if text is None or not text.strip():
        return now - default if default is not None else None
    value = text.strip().lower()
    if value == "today":
        return now.replace(hour=0, minute=0, second=0, microsecond=0)
    if value == "yesterday":
        return now.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=1)
    too_long = InvalidInputError(f"that time span is too long; use at most {MAX_SINCE.days}d")
    m = _SPAN.match(value)
    if m:
        digits = m.group(1).lstrip("0") or "0"
        if len(digits) > 12:  # compared as a number below; no more digits are worth reading
            raise too_long
        seconds = int(digits) * _UNIT_S[m.group(2)[0]]
        if seconds > MAX_SINCE.total_seconds():
            raise too_long
        return now - timedelta(seconds=seconds)
    try:
        moment = datetime.fromisoformat(value[:64])
    except ValueError:
        moment = None
    if moment is None or len(value) > 64:
        raise InvalidInputError(
            f"can't read the time {text.strip()[:40]!r}; use 24h, 3d, 2w, today or a date like 2026-11-20"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=now.tzinfo)
    if moment > now:  # aware times compare without converting, so any year is safe here
        raise InvalidInputError("that time is in the future")
    if now - moment > MAX_SINCE:
        raise InvalidInputError(f"that time is too far back; use at most {MAX_SINCE.days}d")
    return moment.astimezone(now.tzinfo) if now.tzinfo is not None else moment
