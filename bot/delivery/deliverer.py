"""The outbox -> Discord. Each row is sent once, whatever fails:

1. the row is marked ``sending`` (and its attempt counted) before anything is posted;
2. a row found ``sending`` again (a crash, a lost response) first looks for its message in the
   channel (by the ``ref`` in the message) before posting; posts also carry a nonce that Discord
   enforces, so a retry within minutes returns the first message instead of a second one;
3. the row becomes ``sent`` only with the Discord message id.

Deleted channels and lost permissions pause the channel's subscriptions and tell the guild once;
5xx and timeouts are retried with backoff; the rest of the channels keep receiving."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from bot.errors import ChannelGoneError, DeliveryError, MissingAccessError, TransientDeliveryError
from bot.ingest.pipeline import utcnow
from bot.presenters.delivery import (
    marker,
    present_delivery,
    present_digest,
    present_notice,
    present_update,
    thread_name,
)
from bot.presenters.message import EMBEDS_PER_MESSAGE, Reply
from bot.services.briefs import BriefService
from bot.services.scope import article_links, guild_source_ids
from bot.services.views import StoryBrief
from bot.storage.jobs import enqueue_deliveries
from bot.storage.models import Article, Delivery, DeliveryUpdate, Notice, StoryBriefing, Subscription

log = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(hours=1)
THREAD_GRACE = timedelta(seconds=30)  # a sent briefing's deliverer starts its thread within this
MAX_ATTEMPTS = 12  # about half a day of backoff: then the row is marked failed and left alone


class Sender(Protocol):
    """What delivery needs from Discord (bot/discord/sender.py; fakes in tests)."""

    async def post(self, channel_id: int, reply: Reply, *, nonce: str, title: str = "Briefbot",
                   topic: str | None = None) -> int:
        """The message's id. In a forum channel the reply starts a post named ``title``, tagged
        with the forum's tag for ``topic``; the post is its own thread, with the message's id."""
        ...

    async def find(self, channel_id: int, ref: str) -> int | None: ...

    async def edit(self, channel_id: int, message_id: int, reply: Reply) -> None: ...

    async def start_thread(self, channel_id: int, message_id: int, name: str) -> int: ...

    async def system_channel(self, guild_id: int) -> int | None: ...


@dataclass(slots=True)
class DeliverReport:
    sent: int = 0
    digests: int = 0
    updates: int = 0
    rebriefs: int = 0  # posted briefings edited to show the model's newer briefing
    notices: int = 0
    retried: int = 0
    paused_channels: set[int] = field(default_factory=set)

    @property
    def anything(self) -> bool:
        return bool(self.sent or self.digests or self.updates or self.rebriefs or self.notices)


def backoff(attempts: int, retry_after: float | None = None) -> timedelta:
    wait = timedelta(seconds=min(5 * 2 ** max(0, attempts - 1), MAX_BACKOFF.total_seconds()))
    return max(wait, timedelta(seconds=retry_after or 0))


class _All:
    """Every channel's (``_notices``)."""


# the stories a pass has built, by (guild, story): each task (a pass, a channel's job) has its own
_STORIES: ContextVar[dict[tuple[int, int], asyncio.Task[StoryBrief | None]] | None] = \
    ContextVar("delivery_stories", default=None)


class Deliverer:
    def __init__(self, sender: Sender, briefs: BriefService, *, clock: Callable[[], datetime] = utcnow,
                 concurrency: int = 4) -> None:
        self._sender = sender
        self._briefs = briefs
        self._clock = clock
        self._gate = asyncio.Semaphore(concurrency)

    async def _story(self, guild_id: int, story_id: int) -> StoryBrief | None:
        """A story as the guild sees it, built once per pass however many channels get it."""
        stories = _STORIES.get(None)
        if stories is None:
            return await self._briefs.story(guild_id, story_id)
        key = (guild_id, story_id)
        task = stories.get(key)
        if task is None:
            task = stories[key] = asyncio.ensure_future(self._briefs.story(guild_id, story_id))
        return await asyncio.shield(task)

    async def run_once(self) -> DeliverReport:
        """One pass over the whole outbox (one deliverer: SQLite, or the tests)."""
        report = DeliverReport()
        _STORIES.set({})
        await self._briefings(report)
        await self._digests(report)
        await self._threads(report)
        await self._updates(report)
        await self._rebriefs(report)
        await self._notices(report)
        return report

    async def run_channel(self, channel_id: int) -> DeliverReport:
        """What is due in one channel: its briefings, digests, updates in their threads and
        notices, in order (a ``deliver`` job: several deliverers share the channels)."""
        report = DeliverReport()
        _STORIES.set({})  # this task's own: jobs of other channels run beside it
        await self._briefings(report, channel_id)
        await self._digests(report, channel_id)
        await self._updates(report, channel_id)
        await self._notices(report, channel_id)
        return report

    async def run_shared(self) -> DeliverReport:
        """What belongs to no one channel: threads a crash left unstarted, posted briefings that the
        model rewrote, notices for a server's system channel (one deliverer at a time runs it)."""
        report = DeliverReport()
        _STORIES.set({})
        await self._threads(report)
        await self._rebriefs(report)
        await self._notices(report, None)
        return report

    async def due_channels(self, limit: int = 5000) -> set[int]:
        """The channels with something due now: a briefing, a digest, an update or a notice (the
        deliverers give each one a job; new rows get theirs as they are added)."""
        now = self._clock()
        retry_due = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
        found = set(await (Delivery.filter(status__in=["pending", "sending"], due_at__lte=now,
                                           subscription__paused_at__isnull=True).filter(retry_due)
                           .distinct().limit(limit).values_list("channel_id", flat=True)))
        found |= set(await (Delivery.filter(status="digest", due_at__lte=now, subscription__paused_at__isnull=True)
                            .distinct().limit(limit).values_list("channel_id", flat=True)))
        found |= set(await (DeliveryUpdate.filter(status__in=["pending", "sending"], delivery__status="sent")
                            .filter(retry_due).distinct().limit(limit).values_list("delivery__channel_id", flat=True)))
        found |= set(await (Notice.filter(status__in=["pending", "sending"], channel_id__not_isnull=True)
                            .distinct().limit(limit).values_list("channel_id", flat=True)))
        return found

    # ------------------------------------------------------------------ briefings

    async def _briefings(self, report: DeliverReport, channel_id: int | None = None) -> None:
        now = self._clock()
        mine = Delivery.filter(channel_id=channel_id) if channel_id is not None else Delivery.all()
        await mine.filter(status__in=["pending", "sending", "digest"], subscription_id__isnull=True) \
            .update(status="dropped")  # unsubscribed meanwhile
        # paused channels and rows waiting for a retry are left out in SQL, so that a long queue
        # of them never holds up the other channels
        rows = await (mine.filter(status__in=["pending", "sending"], due_at__lte=now,
                                  subscription__paused_at__isnull=True)
                      .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
                      .order_by("id").limit(500))
        by_channel: dict[int, list[Delivery]] = defaultdict(list)
        for d in rows:
            by_channel[d.channel_id].append(d)
        await asyncio.gather(*(self._channel(channel, items, report) for channel, items in by_channel.items()))

    async def _channel(self, channel_id: int, items: list[Delivery], report: DeliverReport) -> None:
        """One channel's deliveries, in order, one at a time (discord.py paces the route's bucket)."""
        async with self._gate:
            for d in items:
                try:
                    await self._briefing(d)
                    report.sent += 1
                except (ChannelGoneError, MissingAccessError) as exc:
                    await self._back_to_pending(d, str(exc), pause=True)
                    await self._pause_channel(d.guild_id, channel_id, exc)
                    report.paused_channels.add(channel_id)
                    return
                except (TransientDeliveryError, DeliveryError) as exc:
                    await self._back_to_pending(d, str(exc), retry_after=getattr(exc, "retry_after", None))
                    report.retried += 1
                    return  # keep this channel's order; others go on
                except Exception as exc:  # a bug or the database: this row waits, the others go on
                    log.exception("delivery %s to channel %s failed", d.id, channel_id)
                    await self._back_to_pending(d, f"{exc.__class__.__name__}: {exc}")
                    report.retried += 1
                    return

    async def _briefing(self, d: Delivery) -> None:
        d.status = "sending"
        d.attempts += 1
        await d.save(update_fields=["status", "attempts"])
        story = await self._story(d.guild_id, d.story_id)
        ref = marker("b", d.id)
        message_id = await self._sender.find(d.channel_id, ref) if d.attempts > 1 else None
        if message_id is None:
            if story is None:  # the story's articles are gone from this guild (sources removed)
                d.status = "dropped"
                await d.save(update_fields=["status"])
                return
            look = await _look(d)
            reply = present_delivery(story, reason=d.reason, ref=ref, style=look.style, role_id=look.role_id)
            message_id = await self._sender.post(d.channel_id, reply, nonce=f"b{d.id}", title=story.title,
                                                 topic=look.topic)
        d.message_id = message_id
        d.status = "sent"
        d.sent_at = self._clock()
        d.last_error = None
        if story is not None:
            d.sources_count, d.briefing_rev = story.sources_count, story.briefing_rev
        await d.save(update_fields=["message_id", "status", "sent_at", "last_error", "sources_count", "briefing_rev"])
        await self._thread_or_later(d, story.title if story else "Briefing")

    async def _thread_or_later(self, d: Delivery, title: str) -> None:
        """Start the thread; a failure leaves the sent row as it is (the ``_threads`` sweep retries)."""
        try:
            await self._thread(d, title)
        except DeliveryError as exc:
            log.warning("thread for message %s in channel %s not started yet: %s", d.message_id, d.channel_id, exc)

    async def _thread(self, d: Delivery, title: str) -> None:
        assert d.message_id is not None
        thread_id = await self._sender.start_thread(d.channel_id, d.message_id, thread_name(title))
        await Delivery.filter(message_id=d.message_id, channel_id=d.channel_id).update(thread_id=thread_id)
        d.thread_id = thread_id

    async def _threads(self, report: DeliverReport) -> None:
        """Sent briefings whose thread is missing (a crash between the post and the thread); not
        the ones just sent, whose deliverer is starting their thread."""
        rows = await Delivery.filter(status="sent", thread_id__isnull=True, message_id__not_isnull=True,
                                     sent_at__lt=self._clock() - THREAD_GRACE).limit(50)
        done: set[int] = set()
        for d in rows:
            if d.message_id in done:
                continue
            done.add(d.message_id)  # type: ignore[arg-type]
            story = await self._story(d.guild_id, d.story_id)
            try:
                await self._thread(d, story.title if story else "Briefing")
            except DeliveryError as exc:
                log.info("thread for message %s not started: %s", d.message_id, exc)

    # ------------------------------------------------------------------ digests

    async def _digests(self, report: DeliverReport, channel_id: int | None = None) -> None:
        now = self._clock()
        mine = Delivery.filter(channel_id=channel_id) if channel_id is not None else Delivery.all()
        rows = await (mine.filter(status="digest", due_at__lte=now, subscription__paused_at__isnull=True)
                      .select_related("subscription").order_by("subscription_id", "id").limit(1000))
        groups: dict[int, list[Delivery]] = defaultdict(list)
        for d in rows:
            if d.subscription is not None:
                groups[d.subscription.id].append(d)
        chunks = [items[i:i + EMBEDS_PER_MESSAGE] for items in groups.values()
                  for i in range(0, len(items), EMBEDS_PER_MESSAGE)]  # one message shows 10 stories
        for items in chunks:
            sub = items[0].subscription
            assert sub is not None
            try:
                await self._digest(sub, items)
                report.digests += 1
            except (ChannelGoneError, MissingAccessError) as exc:
                await self._pause_channel(sub.guild_id, sub.channel_id, exc)
                report.paused_channels.add(sub.channel_id)
            except DeliveryError as exc:
                later = self._clock() + backoff(max(d.attempts for d in items), getattr(exc, "retry_after", None))
                await Delivery.filter(id__in=[d.id for d in items]).update(due_at=later, last_error=str(exc)[:2000])
                report.retried += 1

    async def _digest(self, sub: Subscription, items: list[Delivery]) -> None:
        key = next((d.digest_key for d in items if d.digest_key), None)
        if key is None:  # fix the group before posting: a restart resends exactly this group
            key = f"g{sub.id}x{items[0].id}"
            await Delivery.filter(id__in=[d.id for d in items]).update(digest_key=key)
        else:
            items = await Delivery.filter(digest_key=key, status="digest").order_by("id")
        attempts = max(d.attempts for d in items) + 1
        await Delivery.filter(id__in=[d.id for d in items]).update(attempts=attempts)
        ref = marker("", key)
        message_id = await self._sender.find(sub.channel_id, ref) if attempts > 1 else None
        stories = []
        if message_id is None:
            for d in items:
                story = await self._story(d.guild_id, d.story_id)
                if story is not None:
                    stories.append(story)
            if not stories:
                await Delivery.filter(id__in=[d.id for d in items]).update(status="dropped")
                return
        title = f"{sub.topic}: {len(items)} stories" if len(items) > 1 else (stories[0].title if stories else sub.topic)
        if message_id is None:
            reply = present_digest(sub.topic, stories, ref=ref, hourly=sub.mode != "daily", style=sub.style,
                                   role_id=sub.mention_role_id)
            message_id = await self._sender.post(sub.channel_id, reply, nonce=key[:25], title=title, topic=sub.topic)
        await Delivery.filter(id__in=[d.id for d in items]).update(status="sent", message_id=message_id,
                                                                    sent_at=self._clock(), last_error=None)
        first = await Delivery.get(id=items[0].id)
        await self._thread_or_later(first, title)

    # ------------------------------------------------------------------ updates

    async def _updates(self, report: DeliverReport, channel_id: int | None = None) -> None:
        now = self._clock()
        mine = DeliveryUpdate.filter(delivery__channel_id=channel_id) if channel_id is not None \
            else DeliveryUpdate.all()
        rows = await (mine.filter(status__in=["pending", "sending"], delivery__status="sent")
                      .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
                      .select_related("delivery", "article").order_by("id").limit(200))
        for u in rows:
            d = u.delivery
            if d.message_id is None:
                continue
            try:
                await self._update(u, d, u.article)
                report.updates += 1
            except ChannelGoneError as exc:  # the thread or the message is gone: nothing to update
                u.status, u.last_error = "dropped", str(exc)[:2000]
                await u.save(update_fields=["status", "last_error"])
            except DeliveryError as exc:
                u.status = "pending"
                u.last_error = str(exc)[:2000]
                u.next_attempt_at = now + backoff(u.attempts, getattr(exc, "retry_after", None))
                await u.save(update_fields=["status", "last_error", "next_attempt_at"])
                report.retried += 1

    async def _update(self, u: DeliveryUpdate, d: Delivery, article: Article) -> None:
        u.status = "sending"
        u.attempts += 1
        await u.save(update_fields=["status", "attempts"])
        story = await self._story(d.guild_id, d.story_id)
        if story is None:
            u.status = "dropped"
            await u.save(update_fields=["status"])
            return
        if d.digest_key is None:  # a briefing of its own: refresh its sources count and links in place
            await self._edit_briefing(d, story)
        if d.thread_id is None:
            await self._thread(d, story.title)
        assert d.thread_id is not None
        ref = marker("u", u.id)
        message_id = await self._sender.find(d.thread_id, ref) if u.attempts > 1 else None
        if message_id is None:
            links = await article_links([article.id], await guild_source_ids(d.guild_id))
            link = links.get(article.id)
            if link is None:
                u.status = "dropped"
                await u.save(update_fields=["status"])
                return
            reply = present_update(link, article.summary or "", sources=story.sources_count, ref=ref)
            message_id = await self._sender.post(d.thread_id, reply, nonce=f"u{u.id}")
        u.status, u.message_id, u.sent_at, u.last_error = "sent", message_id, self._clock(), None
        await u.save(update_fields=["status", "message_id", "sent_at", "last_error"])
        d.sources_count = story.sources_count
        await d.save(update_fields=["sources_count"])

    # ------------------------------------------------------------------ briefings rewritten by the model

    async def _rebriefs(self, report: DeliverReport) -> None:
        """Edit the posted briefings of stories the model (re)wrote since they were posted; a
        rewrite counts as shown once no briefing of its story and server shows an older one."""
        for row in await StoryBriefing.filter(pending_edit=True).order_by("written_at").limit(100):
            mine = Delivery.filter(story_id=row.story_id, guild_id=row.guild_id,  # type: ignore[attr-defined]
                                   digest_key__isnull=True, briefing_rev__lt=row.rev)
            for d in await mine.filter(status="sent", message_id__not_isnull=True).order_by("id").limit(50):
                try:
                    await self._rebrief(d, row.rev, report)
                except (ChannelGoneError, MissingAccessError) as exc:  # gone or closed: nothing to edit
                    log.info("briefing %s in channel %s not edited: %s", d.message_id, d.channel_id, exc)
                    await Delivery.filter(id=d.id).update(briefing_rev=row.rev)
                except DeliveryError as exc:  # tried again on the next pass
                    log.info("briefing %s in channel %s not edited yet: %s", d.message_id, d.channel_id, exc)
                    report.retried += 1
            if not await mine.filter(status__in=["pending", "sending", "sent"]).exists():
                await StoryBriefing.filter(id=row.id, rev=row.rev).update(pending_edit=False)

    async def _rebrief(self, d: Delivery, rev: int, report: DeliverReport) -> None:
        story = await self._story(d.guild_id, d.story_id)
        if story is None or story.briefing_rev <= d.briefing_rev:  # nothing newer that this server sees
            await Delivery.filter(id=d.id).update(briefing_rev=rev)
            return
        await self._edit_briefing(d, story)
        report.rebriefs += 1

    async def _edit_briefing(self, d: Delivery, story: StoryBrief) -> None:
        """Show ``story`` as it is now in the posted briefing, and record the revision it shows (an
        edit pings nobody: the role's mention stays as posted)."""
        look = await _look(d)
        await self._sender.edit(d.channel_id, d.message_id,  # type: ignore[arg-type]
                                present_delivery(story, reason=d.reason, ref=marker("b", d.id), style=look.style,
                                                 role_id=look.role_id))
        d.briefing_rev = story.briefing_rev
        await Delivery.filter(id=d.id).update(briefing_rev=story.briefing_rev)

    # ------------------------------------------------------------------ failures and notices

    async def _back_to_pending(self, d: Delivery, error: str, *, pause: bool = False,
                               retry_after: float | None = None) -> None:
        d.status = "failed" if d.attempts >= MAX_ATTEMPTS and not pause else "pending"
        d.last_error = error[:2000]
        d.next_attempt_at = None if pause else self._clock() + backoff(d.attempts, retry_after)
        if d.status == "failed":
            log.error("delivery %s to channel %s failed %d times, giving up: %s", d.id, d.channel_id, d.attempts,
                      error)
        await d.save(update_fields=["status", "last_error", "next_attempt_at"])

    async def _pause_channel(self, guild_id: int, channel_id: int, exc: ChannelGoneError | MissingAccessError) -> None:
        now = self._clock()
        why = exc.reason
        subs = await Subscription.filter(channel_id=channel_id, paused_at__isnull=True)
        if not subs:
            return
        await Subscription.filter(id__in=[s.id for s in subs]).update(paused_at=now, paused_reason=f"{why}: {exc}"[:2000])
        topics = ", ".join(sorted({s.topic for s in subs}))
        # said in that channel if Briefbot still can, else in the server's system channel
        text = (f"Briefbot paused the subscriptions of <#{channel_id}> ({topics}) because {why}. "
                f"Fix it and run /subscribe again there to resume; nothing is lost meanwhile.")
        async with in_transaction() as conn:
            await Notice.get_or_create(key=f"paused:{channel_id}:{int(now.timestamp())}",
                                       defaults={"guild_id": guild_id, "channel_id": channel_id, "text": text},
                                       using_db=conn)
            await enqueue_deliveries(conn, [channel_id])
        log.warning("paused subscriptions of channel %s in guild %s: %s", channel_id, guild_id, exc)

    async def _notices(self, report: DeliverReport, channel_id: int | None | type[_All] = _All) -> None:
        """Notices to post: all of them, or those of one channel, or (``None``) those for a
        server's system channel."""
        mine = Notice.all() if channel_id is _All else Notice.filter(channel_id=channel_id) \
            if channel_id is not None else Notice.filter(channel_id__isnull=True)
        for n in await mine.filter(status__in=["pending", "sending"]).order_by("id").limit(50):
            if await self._notice(n) or (n.status == "pending" and n.channel_id is None and await self._notice(n)):
                report.notices += 1

    async def _notice(self, n: Notice) -> bool:
        """Post one notice; True when sent. On a closed channel it falls back to the system channel."""
        channel = n.channel_id or await self._sender.system_channel(n.guild_id)
        if channel is None:
            n.status, n.last_error = "dropped", "no channel to post in"
            await n.save(update_fields=["status", "last_error"])
            return False
        n.status, n.attempts = "sending", n.attempts + 1
        await n.save(update_fields=["status", "attempts"])
        ref = marker("n", n.id)
        try:
            message_id = await self._sender.find(channel, ref) if n.attempts > 1 else None
            if message_id is None:
                message_id = await self._sender.post(channel, present_notice(n.text, ref=ref), nonce=f"n{n.id}",
                                                     title="Briefbot notice")
        except (ChannelGoneError, MissingAccessError) as exc:
            if n.channel_id is not None:  # try the guild's system channel instead
                n.channel_id, n.status = None, "pending"
            else:
                n.status = "dropped"
            n.last_error = str(exc)[:2000]
            await n.save(update_fields=["channel_id", "status", "last_error"])
            return False
        except DeliveryError as exc:
            n.status, n.last_error = "pending", str(exc)[:2000]
            await n.save(update_fields=["status", "last_error"])
            return False
        n.status, n.message_id, n.sent_at = "sent", message_id, self._clock()
        await n.save(update_fields=["status", "message_id", "sent_at"])
        return True


@dataclass(frozen=True, slots=True)
class _Look:
    style: str = "card"
    role_id: int | None = None
    topic: str | None = None  # picks a forum's tag


async def _look(d: Delivery) -> _Look:
    """How the delivery's subscription posts: its style, role ping and topic (a card without a
    ping when the subscription is gone)."""
    sub = await Subscription.get_or_none(id=d.subscription_id) if d.subscription_id else None
    return _Look(sub.style, sub.mention_role_id, sub.topic) if sub is not None else _Look()
