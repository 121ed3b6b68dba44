"""Matched stories -> the delivery outbox. Runs over analysed articles not yet routed; every
decision is a row keyed so that running it twice (after a crash) changes nothing."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from bot.ingest.pipeline import utcnow
from bot.services.analysis import vector_of
from bot.services.briefs import parse_topic
from bot.services.subscriptions import next_digest_at
from bot.storage.jobs import enqueue_deliveries
from bot.storage.models import (
    Article,
    ArticleSighting,
    Delivery,
    DeliveryUpdate,
    Mention,
    Notice,
    PipelineEvent,
    Source,
    Subscription,
)
from summarizer.topics import Topic, TopicMatcher

log = logging.getLogger(__name__)


def delivery_key(story_id: int, channel_id: int) -> str:
    return f"{story_id}:{channel_id}"


@dataclass(slots=True)
class RouteReport:
    articles: int = 0
    deliveries: int = 0
    folded: int = 0  # over a channel's hourly cap: sent with the next digest
    updates: int = 0
    notices: int = 0
    channels: set[int] = field(default_factory=set)


class Router:
    def __init__(self, topics: TopicMatcher, *, clock: Callable[[], datetime] = utcnow) -> None:
        self._topics = topics
        self._clock = clock

    async def route_pending(self, limit: int = 200) -> RouteReport:
        report = RouteReport()
        articles = await (Article.filter(analyzed_at__not_isnull=True, routed_at__isnull=True)
                          .order_by("id").limit(limit))
        if articles:
            # paused ones too: their stories wait in the outbox until the channel is resumed
            subs = await Subscription.all().order_by("id")
            for article in articles:
                await self._route(article, subs, report)
                report.articles += 1
        report.notices += await self.disabled_source_notices()
        return report

    async def _route(self, article: Article, subs: list[Subscription], report: RouteReport) -> None:
        now = self._clock()
        if article.story_id is None or not subs:
            await Article.filter(id=article.id).update(routed_at=now)
            return
        guilds_of = dict(await ArticleSighting.filter(article_id=article.id)
                         .values_list("source_id", "source__guild_id"))
        guilds = set(guilds_of.values())
        relevant = [s for s in subs if s.guild_id in guilds]
        matches: dict[int, tuple[bool, float, str]] = {}
        if relevant and article.deliverable:
            actors = await (Mention.filter(article_id=article.id).distinct()
                            .values_list("actor__name", flat=True))
            topics = [_topic(s) for s in relevant]
            vector = vector_of(article.embedding)
            found = await asyncio.to_thread(self._topics.match_many, topics, title=article.title or "",
                                            text=article.text[:20000], actors=list(actors), embedding=vector)
            matches = {s.id: (m.matched, m.score, m.reason) for s, m in zip(relevant, found, strict=True)}
        sources_by_guild = await self._story_sources(article.story_id)
        events = []
        for sub in relevant:
            key = delivery_key(article.story_id, sub.channel_id)
            existing = await Delivery.get_or_none(idempotency_key=key)
            if existing is not None:
                grown = len(sources_by_guild.get(sub.guild_id, ())) > existing.sources_count
                if existing.status == "sent" and grown and await self._adds_a_source(article, sub.guild_id, existing):
                    try:
                        async with in_transaction() as conn:  # the channel's job commits with the row
                            await DeliveryUpdate.create(delivery_id=existing.id, article_id=article.id, using_db=conn)
                            await enqueue_deliveries(conn, [sub.channel_id])
                        report.updates += 1
                        report.channels.add(sub.channel_id)
                    except IntegrityError:
                        pass
                continue
            matched, score, reason = matches.get(sub.id, (False, 0.0, ""))
            if not matched:
                continue
            count = len(sources_by_guild.get(sub.guild_id, ()))
            if count < sub.min_sources:
                events.append((sub.guild_id, "topic", "held",
                               f"{sub.topic}: {count} of {sub.min_sources} sources so far"))
                continue
            status, due = await self._schedule(sub, now)
            try:
                async with in_transaction() as conn:  # the channel's job commits with the row
                    await Delivery.create(story_id=article.story_id, subscription_id=sub.id, guild_id=sub.guild_id,
                                          channel_id=sub.channel_id, idempotency_key=key, status=status, due_at=due,
                                          reason=reason, sources_count=count, using_db=conn)
                    if status == "pending":  # a digest's channel gets its job when the digest is due
                        await enqueue_deliveries(conn, [sub.channel_id])
            except IntegrityError:
                continue
            report.deliveries += 1
            report.channels.add(sub.channel_id)
            if status == "digest" and sub.mode == "realtime":
                report.folded += 1
            events.append((sub.guild_id, "topic", "matched", f"{sub.topic} -> channel {sub.channel_id}: {reason}"
                                               + (" (over the hourly cap: next digest)" if status == "digest"
                                                  and sub.mode == "realtime" else "")))
        async with in_transaction():
            if events:
                source_of = {guild: source for source, guild in guilds_of.items()}  # shown only to that guild
                await PipelineEvent.bulk_create([
                    PipelineEvent(url_key=article.url_key, url=article.url, source_id=source_of[guild],
                                  article_id=article.id, stage=stage, outcome=outcome, detail=detail[:2000])
                    for guild, stage, outcome, detail in events])
            await Article.filter(id=article.id).update(routed_at=now)

    async def _schedule(self, sub: Subscription, now: datetime) -> tuple[str, datetime]:
        if sub.mode != "realtime":
            return "digest", next_digest_at(sub.mode, now, time_of_day=sub.time_of_day, timezone=sub.timezone)
        recent = await Delivery.filter(channel_id=sub.channel_id, created_at__gte=now - timedelta(hours=1),
                                       status__in=["pending", "sending", "sent"], digest_key__isnull=True).count()
        if recent >= sub.cap_per_hour:
            return "digest", next_digest_at("hourly", now, time_of_day=None, timezone="UTC")
        return "pending", now

    async def _story_sources(self, story_id: int) -> dict[int, set[int]]:
        rows = await (ArticleSighting.filter(article__story_id=story_id)
                      .values_list("source_id", "source__guild_id"))
        out: dict[int, set[int]] = defaultdict(set)
        for source_id, guild_id in rows:
            out[guild_id].add(source_id)
        return out

    async def _adds_a_source(self, article: Article, guild_id: int, delivery: Delivery) -> bool:
        """Whether ``article`` brings an outlet the story did not have in this guild before."""
        mine = set(await ArticleSighting.filter(article_id=article.id, source__guild_id=guild_id)
                   .values_list("source_id", flat=True))
        before = set(await ArticleSighting.filter(article__story_id=delivery.story_id, source__guild_id=guild_id)
                     .exclude(article_id=article.id).values_list("source_id", flat=True))
        return bool(mine - before)

    async def disabled_source_notices(self) -> int:
        """Tell the channels a disabled source fed, once per disabling."""
        sources = await Source.filter(disabled_at__not_isnull=True, disabled_notified_at__isnull=True).limit(50)
        made = 0
        for source in sources:
            assert source.disabled_at is not None
            channels = set(await Delivery.filter(story__articles__sightings__source_id=source.id,
                                                 guild_id=source.guild_id).values_list("channel_id", flat=True))
            name = source.title or source.url
            text = (f"The source {name} was disabled after repeated failures ({source.disabled_reason or 'errors'}). "
                    f"Stories from it stop until an admin re-enables it with /source enable {source.id}.")
            async with in_transaction() as conn:
                for channel in sorted(channels):
                    key = f"source-off:{source.id}:{int(source.disabled_at.timestamp())}:{channel}"
                    _, created = await Notice.get_or_create(key=key, defaults={
                        "guild_id": source.guild_id, "channel_id": channel, "text": text}, using_db=conn)
                    made += created
                await enqueue_deliveries(conn, channels)
                source.disabled_notified_at = self._clock()
                await source.save(update_fields=["disabled_notified_at"])
        return made


def _topic(sub: Subscription) -> Topic:
    parsed = parse_topic(sub.topic)
    return Topic(parsed.phrase, tuple(parsed.keywords) + tuple(sub.keywords or ()))
