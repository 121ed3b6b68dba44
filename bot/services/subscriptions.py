"""Subscriptions: a channel follows a topic, in real time or as hourly/daily digests."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from tortoise.exceptions import IntegrityError

from bot.errors import AlreadyExistsError, InvalidInputError, LimitError, NotFoundError
from bot.ingest.pipeline import utcnow
from bot.services.ids import record_id
from bot.storage.models import Delivery, Subscription

MODES = ("realtime", "hourly", "daily")
STYLES = ("card", "compact", "plain")
MAX_TOPIC_CHARS = 200
MAX_KEYWORDS = 20
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


@dataclass(frozen=True, slots=True)
class SubscriptionView:
    id: int
    channel_id: int
    topic: str
    keywords: tuple[str, ...]
    mode: str
    time_of_day: str | None
    timezone: str
    min_sources: int
    cap_per_hour: int
    paused_reason: str | None
    style: str
    mention_role_id: int | None
    delivered_24h: int
    delivered_7d: int
    last_delivered_at: datetime | None
    waiting: int  # stories waiting for the next digest


def parse_keywords(text: str | Sequence[str] | None) -> tuple[str, ...]:
    """``nuclear, +iran, -football`` -> ("nuclear", "+iran", "-football")."""
    if text is None:
        return ()
    parts = text.split(",") if isinstance(text, str) else list(text)
    out = tuple(dict.fromkeys(" ".join(p.split())[:60] for p in parts if p.strip() and p.strip() not in "+-"))
    if len(out) > MAX_KEYWORDS:
        raise InvalidInputError(f"at most {MAX_KEYWORDS} keywords")
    return out


def parse_time_of_day(text: str | None) -> str:
    value = (text or "08:00").strip()
    m = _TIME.match(value)
    if not m:
        raise InvalidInputError("give the digest time as HH:MM, e.g. 08:00 or 18:30")
    return f"{int(m.group(1)):02d}:{m.group(2)}"


@functools.cache
def _zones() -> tuple[str, ...]:
    return tuple(sorted(available_timezones()))  # read once: it scans the time zone database


def parse_timezone(text: str | None) -> str:
    name = (text or "UTC").strip()
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        close = [z for z in _zones() if name.casefold() in z.casefold()][:3]
        hint = f" (did you mean {', '.join(sorted(close))}?)" if close else ""
        raise InvalidInputError(f"unknown time zone {name[:60]!r}; use a name like Europe/Berlin{hint}") from None
    return name


def next_digest_at(mode: str, now: datetime, *, time_of_day: str | None, timezone: str) -> datetime:
    """The next digest moment after ``now`` (UTC): the top of the next hour, or the next
    ``time_of_day`` in ``timezone`` (daylight saving time included)."""
    if mode == "hourly":
        return now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    zone = ZoneInfo(timezone)
    local = now.astimezone(zone)
    hour, minute = (int(x) for x in (time_of_day or "08:00").split(":"))
    at = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if at <= local:
        at = (local + timedelta(days=1)).replace(hour=hour, minute=minute, second=0, microsecond=0)
    return at.astimezone(now.tzinfo)


class SubscriptionService:
    def __init__(self, *, clock: Callable[[], datetime] = utcnow, max_per_guild: int = 50) -> None:
        self._clock = clock
        self._max = max_per_guild

    async def subscribe(self, guild_id: int, channel_id: int, topic: str, *, mode: str | None = None,
                        keywords: str | Sequence[str] | None = None, min_sources: int | None = None,
                        time_of_day: str | None = None, timezone: str | None = None,
                        cap_per_hour: int | None = None, style: str | None = None,
                        mention_role_id: int | None = None, no_mention: bool = False,
                        created_by: int = 0) -> Subscription:
        """Follow ``topic`` in a channel. Subscribing again to the same topic there resumes it when
        paused and changes only the settings given (the others keep their values).

        ``mention_role_id``: a role to ping on each new story (the Discord edge checks that the
        bot may mention it; the guild's own id, @everyone, is refused here); ``no_mention`` stops
        the ping."""
        topic = " ".join(topic.split())
        if not topic:
            raise InvalidInputError("name a topic, e.g. Iran Israel tensions")
        if len(topic) > MAX_TOPIC_CHARS:
            raise InvalidInputError(f"keep the topic under {MAX_TOPIC_CHARS} characters")
        existing = await Subscription.get_or_none(channel_id=channel_id, topic__iexact=topic)
        if existing is not None and existing.guild_id != guild_id:
            raise NotFoundError("that channel is not in this server")
        mode = (mode or (existing.mode if existing else "realtime")).lower()
        if mode not in MODES:
            raise InvalidInputError("mode is realtime, hourly or daily")
        if min_sources is not None and not 1 <= min_sources <= 20:
            raise InvalidInputError("min_sources is between 1 and 20")
        if cap_per_hour is not None and not 1 <= cap_per_hour <= 60:
            raise InvalidInputError("the cap is between 1 and 60 stories per hour")
        if style is not None and style.lower() not in STYLES:
            raise InvalidInputError("style is card, compact or plain")
        if mention_role_id is not None and (mention_role_id == guild_id or not 0 < mention_role_id < 2**63):
            raise InvalidInputError("@everyone and @here are never pinged; name a role to ping instead")
        fields: dict[str, object] = {"mode": mode, "paused_reason": None, "paused_at": None}
        if style is not None:
            fields["style"] = style.lower()
        if mention_role_id is not None:
            fields["mention_role_id"] = mention_role_id
        if no_mention:
            fields["mention_role_id"] = None
        if keywords is not None:
            fields["keywords"] = list(parse_keywords(keywords))
        if min_sources is not None:
            fields["min_sources"] = min_sources
        if cap_per_hour is not None:
            fields["cap_per_hour"] = cap_per_hour
        if timezone is not None or existing is None:
            fields["timezone"] = parse_timezone(timezone)
        if mode == "daily":
            fields["time_of_day"] = parse_time_of_day(time_of_day or (existing.time_of_day if existing else None))
        if existing is not None:
            existing.update_from_dict(fields)
            await existing.save()
            return existing
        if await Subscription.filter(guild_id=guild_id).count() >= self._max:
            raise LimitError(f"this server has {self._max} subscriptions, the most allowed; remove one first")
        try:
            return await Subscription.create(guild_id=guild_id, channel_id=channel_id, topic=topic,
                                             created_by=created_by, **fields)
        except IntegrityError:
            raise AlreadyExistsError(f"this channel already follows {topic!r}") from None

    async def unsubscribe(self, guild_id: int, ref: str, *, channel_id: int | None = None) -> Subscription:
        """Remove a subscription by id, or by topic (in ``channel_id`` when given)."""
        sub = await self.find(guild_id, ref, channel_id=channel_id)
        await sub.delete()
        return sub

    async def find(self, guild_id: int, ref: str, *, channel_id: int | None = None) -> Subscription:
        ref = " ".join(ref.split())
        sub = None
        sid = record_id(Subscription, ref)
        if sid is not None:
            sub = await Subscription.get_or_none(id=sid, guild_id=guild_id)
        if sub is None:
            query = Subscription.filter(guild_id=guild_id, topic__iexact=ref)
            if channel_id is not None:
                query = query.filter(channel_id=channel_id)
            matches = await query.order_by("id")
            if len(matches) > 1:
                raise InvalidInputError(f"{len(matches)} channels follow {ref!r}; give the id from /subscriptions")
            sub = matches[0] if matches else None
        if sub is None:
            raise NotFoundError(f"no subscription {ref[:80]!r} in this server; /subscriptions lists them")
        return sub

    async def list(self, guild_id: int) -> list[SubscriptionView]:
        now = self._clock()
        subs = await Subscription.filter(guild_id=guild_id).order_by("channel_id", "id")
        out = []
        for s in subs:
            sent = Delivery.filter(subscription_id=s.id, status="sent")
            last = await sent.order_by("-sent_at").first().values_list("sent_at", flat=True)
            out.append(SubscriptionView(
                id=s.id, channel_id=s.channel_id, topic=s.topic, keywords=tuple(s.keywords or ()), mode=s.mode,
                time_of_day=s.time_of_day, timezone=s.timezone, min_sources=s.min_sources,
                cap_per_hour=s.cap_per_hour, paused_reason=s.paused_reason, style=s.style,
                mention_role_id=s.mention_role_id,
                delivered_24h=await sent.filter(sent_at__gte=now - timedelta(hours=24)).count(),
                delivered_7d=await sent.filter(sent_at__gte=now - timedelta(days=7)).count(),
                last_delivered_at=last,  # type: ignore[arg-type]
                waiting=await Delivery.filter(subscription_id=s.id, status="digest").count(),
            ))
        return out
