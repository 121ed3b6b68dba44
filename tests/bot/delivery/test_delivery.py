"""Subscriptions -> outbox -> channels, on a real database with the real models and a driven clock.
Discord is a recording fake here (the end-to-end tests use the stand-in): what matters is that
each story reaches each subscribed channel once, updates land in its thread, digests go out at
their time, and failures pause, retry or recover without a duplicate."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from bot.delivery.deliverer import Deliverer
from bot.delivery.router import Router
from bot.errors import ChannelGoneError, ForumTagRequiredError, MissingAccessError, TransientDeliveryError
from bot.language import Language
from bot.presenters.delivery import ref_pattern
from bot.presenters.message import Reply
from bot.services.actors import ActorStore
from bot.services.analysis import AnalysisService
from bot.services.asking import AskService
from bot.services.briefs import BriefService
from bot.services.subscriptions import SubscriptionService, next_digest_at
from bot.services.threads import ThreadService
from bot.services.why import WhyService
from bot.storage.models import Delivery, Notice, Source, Story, Subscription
from tests.bot.services.test_read_services import G1, G2, _store
from tests.summarizer.fixtures.story_pairs import JOIN

KH = JOIN[0]
QUAKE = JOIN[1]
CH, CH2, SYSTEM = 1001, 1002, 1999


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


@dataclass
class Posted:
    channel: int
    reply: Reply
    nonce: str
    id: int
    title: str = "Briefbot"  # the post's name where the channel is a forum
    topic: str | None = None

    @property
    def text(self) -> str:
        parts = [self.reply.content or ""]
        for e in self.reply.embeds:
            parts += [e.title or "", e.description or "", e.footer or ""] + [f.value for f in e.fields]
        return "\n".join(parts)


@dataclass
class FakeSender:
    posted: list[Posted] = field(default_factory=list)
    edits: list[tuple[int, int, Reply]] = field(default_factory=list)
    threads: dict[int, str] = field(default_factory=dict)
    gone: set[int] = field(default_factory=set)
    forbidden: set[int] = field(default_factory=set)
    tag_required: set[int] = field(default_factory=set)  # forums that need a tag none names the topic
    lose_next_response: int = 0  # posts that happen but whose response is lost
    fail_next: int = 0  # posts that fail with a 5xx before anything happens
    next_id: int = 5000

    def _check(self, channel: int) -> None:
        if channel in self.gone:
            raise ChannelGoneError("not found (10003: Unknown Channel)")
        if channel in self.forbidden:
            raise MissingAccessError("forbidden (50013: Missing Permissions)")
        if channel in self.tag_required:
            raise ForumTagRequiredError("A tag is required to create a forum post in this channel (40067)")

    async def post(self, channel_id: int, reply: Reply, *, nonce: str, title: str = "Briefbot",
                   topic: str | None = None) -> int:
        self._check(channel_id)
        assert title.strip()
        if self.fail_next:
            self.fail_next -= 1
            raise TransientDeliveryError("Discord error 503")
        self.next_id += 1
        self.posted.append(Posted(channel_id, reply, nonce, self.next_id, title, topic))
        if self.lose_next_response:
            self.lose_next_response -= 1
            raise TransientDeliveryError("connection problem: response lost")
        return self.next_id

    async def find(self, channel_id: int, ref: str) -> int | None:
        self._check(channel_id)
        hits = [p.id for p in self.posted if p.channel == channel_id and ref_pattern(ref).search(p.text)]
        return hits[-1] if hits else None

    async def edit(self, channel_id: int, message_id: int, reply: Reply) -> None:
        self._check(channel_id)
        self.edits.append((channel_id, message_id, reply))

    async def start_thread(self, channel_id: int, message_id: int, name: str) -> int:
        self._check(channel_id)
        assert len(name) <= 100
        self.threads.setdefault(message_id, name)  # Discord: one thread per message, id = message id
        return message_id

    async def system_channel(self, guild_id: int) -> int | None:
        return SYSTEM

    def top_level(self, channel: int) -> list[Posted]:
        return [p for p in self.posted if p.channel == channel]


@dataclass
class Rig:
    clock: Clock
    sender: FakeSender
    analysis: AnalysisService
    router: Router
    deliverer: Deliverer
    subs: SubscriptionService
    threads: ThreadService
    briefs: BriefService

    async def cycle(self) -> None:
        await self.analysis.process_pending()
        await self.router.route_pending()
        await self.deliverer.run_once()


@pytest.fixture
def rig(db: str, language: Language) -> Rig:
    clock = Clock(KH.a.published + timedelta(minutes=30))
    sender = FakeSender()
    briefs = BriefService(language.topics, clock=clock, default_since=timedelta(days=3))
    return Rig(
        clock=clock, sender=sender,
        analysis=AnalysisService(language.analyzer, language.clusterer, ActorStore(), batch_size=8, clock=clock),
        router=Router(language.topics, clock=clock),
        deliverer=Deliverer(sender, briefs, clock=clock),
        subs=SubscriptionService(clock=clock),
        threads=ThreadService(AskService(language.answerer, language.embedder, clock=clock)),
        briefs=briefs,
    )


async def test_a_story_is_delivered_once_with_a_thread_and_updated_in_place(rig: Rig) -> None:
    await rig.subs.subscribe(G1, CH, "Iran supreme leader")
    await _store(KH.a, G1)
    await _store(QUAKE.a, G1)  # not on the topic
    await rig.cycle()
    posts = rig.sender.top_level(CH)
    assert len(posts) == 1 and "Khamenei" in posts[0].text and posts[0].reply.content.startswith("New story")
    assert "topic Iran supreme leader" in posts[0].reply.content  # why it was posted
    assert (posts[0].title, posts[0].topic) == (KH.a.title, "Iran supreme leader")  # a forum post's name and tag
    assert posts[0].id in rig.sender.threads
    await rig.cycle()
    assert len(rig.sender.top_level(CH)) == 1  # nothing twice

    rig.clock.advance(hours=3)
    await _store(KH.b, G1)  # a second outlet reports the same story
    await rig.cycle()
    assert len(rig.sender.top_level(CH)) == 1  # no second top-level post
    assert rig.sender.edits and rig.sender.edits[-1][1] == posts[0].id
    edited = rig.sender.edits[-1][2]
    assert any(f.value.count("http") >= 2 for e in edited.embeds for f in e.fields if "Sources" in e.fields[0].name)
    update = rig.sender.top_level(posts[0].id)  # the thread's id is the message's
    assert len(update) == 1 and "**Update**" in update[0].text and "Gulf Daily" in update[0].text
    await rig.cycle()
    assert len(rig.sender.top_level(posts[0].id)) == 1

    trace = await WhyService(rig.router._topics, clock=rig.clock).trace(G1, "https://wireone.example/j1a")
    delivered = [s for s in trace.steps if s.stage == "delivery"]
    assert [s.outcome for s in delivered] == ["sent"] and f"/{CH}/{posts[0].id}" in delivered[0].detail
    assert any(s.stage == "topic" and s.outcome == "matched" for s in trace.steps)
    assert trace.topics and trace.topics[0].matched
    member_view = await WhyService(rig.router._topics, clock=rig.clock).trace(G1, "https://wireone.example/j1a",
                                                                             subscriptions=False)
    assert member_view.topics == () and {s.stage for s in member_view.steps}.isdisjoint({"topic", "delivery"})

    answer = await rig.threads.answer(G1, posts[0].id, "What did Khamenei say about earlier deals?")
    assert answer.answered and answer.citations
    assert answer.articles_considered == 2  # both outlets' articles
    follow = await rig.threads.answer(G1, posts[0].id, "What did he reject?")  # "he": the thread's context
    assert follow.answered and "negotiations" in follow.text
    refused = await rig.threads.answer(G1, posts[0].id, "What is the population of Lima?")
    assert not refused.answered


async def test_min_sources_holds_a_story_until_enough_outlets_report_it(rig: Rig) -> None:
    await rig.subs.subscribe(G1, CH, "Iran supreme leader", min_sources=2)
    await _store(KH.a, G1)
    await rig.cycle()
    assert rig.sender.posted == []
    rig.clock.advance(hours=3)
    await _store(KH.b, G1)
    await rig.cycle()
    assert len(rig.sender.top_level(CH)) == 1


async def test_daily_digest_goes_out_at_its_local_time_once(rig: Rig) -> None:
    rig.clock.now = datetime(2025, 3, 10, 5, 0, tzinfo=UTC)  # 06:00 in Berlin
    await rig.subs.subscribe(G1, CH, "Iran supreme leader", mode="daily", time_of_day="07:30",
                             timezone="Europe/Berlin", keywords="Malatya")
    await _store(KH.a, G1)
    await _store(QUAKE.a, G1)
    await rig.cycle()
    assert rig.sender.posted == []
    assert {d.status for d in await Delivery.all()} == {"digest"}
    rig.clock.now = datetime(2025, 3, 10, 6, 29, tzinfo=UTC)  # 07:29 Berlin
    await rig.deliverer.run_once()
    assert rig.sender.posted == []
    rig.clock.now = datetime(2025, 3, 10, 6, 30, tzinfo=UTC)  # 07:30 Berlin
    await rig.deliverer.run_once()
    await rig.deliverer.run_once()
    posts = rig.sender.top_level(CH)
    assert len(posts) == 1 and len(posts[0].reply.embeds) == 2 and posts[0].reply.content.startswith("Today on")
    assert posts[0].title == "Iran supreme leader: 2 stories"
    assert posts[0].id in rig.sender.threads


def test_next_digest_time_follows_the_time_zone_and_daylight_saving() -> None:
    now = datetime(2026, 3, 28, 12, 0, tzinfo=UTC)  # Berlin switches to summer time on the 29th
    assert next_digest_at("daily", now, time_of_day="08:00", timezone="Europe/Berlin") == \
        datetime(2026, 3, 29, 6, 0, tzinfo=UTC)
    assert next_digest_at("hourly", now, time_of_day=None, timezone="UTC") == datetime(2026, 3, 28, 13, 0, tzinfo=UTC)


async def test_over_the_hourly_cap_stories_fold_into_the_next_digest(rig: Rig) -> None:
    await rig.subs.subscribe(G1, CH, "Iran supreme leader", cap_per_hour=1, keywords="Malatya")
    await _store(KH.a, G1)
    await _store(QUAKE.a, G1)
    await rig.cycle()
    assert len(rig.sender.top_level(CH)) == 1
    assert await Delivery.filter(status="digest").count() == 1
    rig.clock.advance(hours=1)
    await rig.deliverer.run_once()
    posts = rig.sender.top_level(CH)
    assert len(posts) == 2 and posts[1].reply.content.startswith("This hour on")


async def test_a_lost_response_does_not_post_twice(rig: Rig) -> None:
    await rig.subs.subscribe(G1, CH, "Iran supreme leader")
    await _store(KH.a, G1)
    rig.sender.lose_next_response = 1
    await rig.cycle()
    assert len(rig.sender.top_level(CH)) == 1
    row = await Delivery.get()
    assert row.status == "pending" and row.attempts == 1 and row.next_attempt_at is not None
    rig.clock.advance(minutes=5)
    await rig.deliverer.run_once()
    assert len(rig.sender.top_level(CH)) == 1  # found by its ref, not posted again
    row = await Delivery.get()
    assert row.status == "sent" and row.message_id == rig.sender.posted[0].id and row.thread_id == row.message_id


async def test_5xx_is_retried_later_and_other_channels_keep_receiving(rig: Rig) -> None:
    await rig.subs.subscribe(G1, CH, "Iran supreme leader")
    await rig.subs.subscribe(G1, CH2, "Iran supreme leader")
    await _store(KH.a, G1)
    rig.sender.fail_next = 1
    await rig.cycle()
    assert len(rig.sender.posted) == 1  # one channel failed, the other got it
    rig.clock.advance(seconds=4)
    await rig.deliverer.run_once()
    assert len(rig.sender.posted) == 1  # backoff not over yet
    rig.clock.advance(seconds=10)
    await rig.deliverer.run_once()
    assert sorted(p.channel for p in rig.sender.posted) == [CH, CH2]


async def test_a_deleted_channel_pauses_its_subscriptions_and_tells_the_guild_once(rig: Rig) -> None:
    await rig.subs.subscribe(G1, CH, "Iran supreme leader")
    await rig.subs.subscribe(G1, CH2, "Iran supreme leader")
    rig.sender.gone.add(CH)
    await _store(KH.a, G1)
    await rig.cycle()
    await rig.cycle()
    assert [p.channel for p in rig.sender.posted if p.channel != SYSTEM] == [CH2]
    sub = await Subscription.get(channel_id=CH)
    assert sub.paused_at is not None and "deleted" in (sub.paused_reason or "")
    notices = [p for p in rig.sender.posted if "paused" in p.text]
    assert [p.channel for p in notices] == [SYSTEM]  # the channel itself is gone
    assert len(notices) == 1 and f"<#{CH}>" in notices[0].text
    # the admin fixes it and subscribes again: the waiting story arrives, once
    rig.sender.gone.clear()
    await rig.subs.subscribe(G1, CH, "Iran supreme leader")
    await rig.cycle()
    await rig.cycle()
    assert len(rig.sender.top_level(CH)) == 1


async def test_a_lost_permission_pauses_too(rig: Rig) -> None:
    await rig.subs.subscribe(G1, CH, "Iran supreme leader")
    rig.sender.forbidden.add(CH)
    await _store(KH.a, G1)
    await rig.cycle()
    sub = await Subscription.get(channel_id=CH)
    assert sub.paused_at is not None and "permission" in (sub.paused_reason or "")
    assert await Notice.filter(status="sent").count() == 1


async def test_a_forum_that_needs_a_tag_for_the_topic_pauses_with_that_reason(rig: Rig) -> None:
    await rig.subs.subscribe(G1, CH, "Iran supreme leader")
    rig.sender.tag_required.add(CH)  # a moderator made tags required after the subscription
    await _store(KH.a, G1)
    await rig.cycle()
    sub = await Subscription.get(channel_id=CH)
    assert sub.paused_at is not None and "requires a tag" in (sub.paused_reason or "")
    (notice,) = [p for p in rig.sender.posted if "paused" in p.text]
    assert "requires a tag on each post" in notice.text and notice.title == "Briefbot notice"


async def test_other_guilds_get_nothing_from_a_guilds_sources(rig: Rig) -> None:
    await rig.subs.subscribe(G2, CH2, "Iran supreme leader")
    await _store(KH.a, G1)
    await rig.cycle()
    assert rig.sender.posted == []


async def test_a_disabled_source_is_announced_once_to_the_channels_it_fed(rig: Rig) -> None:
    await rig.subs.subscribe(G1, CH, "Iran supreme leader")
    article = await _store(KH.a, G1)
    await rig.cycle()
    await Source.filter(id=article.source_id).update(disabled_at=rig.clock.now, disabled_reason="8 failures")
    await rig.cycle()
    await rig.cycle()
    notices = [p for p in rig.sender.top_level(CH) if "disabled" in p.text]
    assert len(notices) == 1 and "/source enable" in notices[0].text


async def test_subscription_input_is_checked(rig: Rig) -> None:
    from bot.errors import InvalidInputError

    with pytest.raises(InvalidInputError, match="time zone"):
        await rig.subs.subscribe(G1, CH, "x", mode="daily", timezone="Mars/Olympus")
    with pytest.raises(InvalidInputError, match="HH:MM"):
        await rig.subs.subscribe(G1, CH, "x", mode="daily", time_of_day="25:00")
    with pytest.raises(InvalidInputError, match="mode"):
        await rig.subs.subscribe(G1, CH, "x", mode="weekly")
    sub = await rig.subs.subscribe(G1, CH, "  Iran   talks ", keywords="nuclear, +iran, -football")
    assert sub.topic == "Iran talks" and sub.keywords == ["nuclear", "+iran", "-football"]
    again = await rig.subs.subscribe(G1, CH, "Iran talks", mode="hourly")
    assert again.id == sub.id and again.mode == "hourly"
    listed = await rig.subs.list(G1)
    assert [s.topic for s in listed] == ["Iran talks"] and await rig.subs.list(G2) == []
    removed = await rig.subs.unsubscribe(G1, "iran talks")
    assert removed.id == sub.id and await rig.subs.list(G1) == []


def test_a_reference_matches_only_itself() -> None:
    assert ref_pattern("ref b1").search("Story 3 · ref b1")
    assert not ref_pattern("ref b1").search("Story 3 · ref b12")
    assert ref_pattern("ref u7").search("**Update** …\n-# ref u7")


async def test_a_long_queue_for_a_paused_channel_does_not_hold_up_the_others(rig: Rig) -> None:
    paused = await rig.subs.subscribe(G1, CH, "Iran supreme leader")
    story = await Story.create(title="old", first_seen_at=rig.clock.now, last_seen_at=rig.clock.now)
    await Delivery.bulk_create([
        Delivery(story_id=story.id, subscription_id=paused.id, guild_id=G1, channel_id=CH, idempotency_key=f"q{i}",
                 status="pending", due_at=rig.clock.now) for i in range(600)])
    await Subscription.filter(id=paused.id).update(paused_at=rig.clock.now, paused_reason="lost a permission")
    await rig.subs.subscribe(G1, CH2, "Iran supreme leader")
    await _store(KH.a, G1)
    await rig.cycle()
    assert [p.channel for p in rig.sender.posted] == [CH2]


async def test_an_article_another_servers_source_finds_later_reaches_that_servers_channel(rig: Rig) -> None:
    from bot.ingest.store import ArticleStore

    await rig.subs.subscribe(G1, CH, "Iran supreme leader")
    await rig.subs.subscribe(G2, CH2, "Iran supreme leader")
    article = await _store(KH.a, G1)
    await rig.cycle()
    assert [p.channel for p in rig.sender.posted] == [CH]
    other, _ = await Source.get_or_create(guild_id=G2, url_key="g2-wire", defaults={"url": "https://w.example/f",
                                                                                    "title": "Wire Two", "primed": True})
    await ArticleStore(rig.clock).sight(other, article.id, "g2-item")  # a duplicate URL
    await rig.cycle()
    assert sorted(p.channel for p in rig.sender.posted) == [CH, CH2]
    await rig.cycle()
    assert len(rig.sender.posted) == 2


async def test_each_server_sees_a_shared_story_in_its_own_outlets_words(rig: Rig) -> None:
    from bot.services.briefs import BriefService

    await _store(KH.a, G1)
    await _store(KH.b, G2)
    await rig.cycle()
    one = await Delivery.all().count()
    assert one == 0  # nobody subscribed
    from bot.storage.models import Article

    story_id = (await Article.get(title=KH.a.title)).story_id
    assert story_id == (await Article.get(title=KH.b.title)).story_id  # one story, two servers
    briefs = BriefService(rig.router._topics, clock=rig.clock)
    g1, g2 = await briefs.story(G1, story_id), await briefs.story(G2, story_id)
    assert g1 is not None and g2 is not None
    assert g1.title == KH.a.title and [link.outlet for link in g1.links] == ["Wire One"]
    assert g2.title == KH.b.title and [link.outlet for link in g2.links] == ["Gulf Daily"]
    assert "Gulf" not in g1.briefing and g2.briefing != g1.briefing


async def test_removing_a_source_keeps_articles_another_server_also_found(rig: Rig) -> None:
    from bot.services.sources import SourceService
    from bot.storage.models import Article, ArticleSighting

    article = await _store(KH.a, G1)
    other = await Source.create(guild_id=G2, url="https://w2.example/f", url_key="g2w", title="Wire Two")
    await ArticleSighting.create(source=other, article=article, item_key="x", seen_at=rig.clock.now)
    service = SourceService(None, default_interval_s=600)  # type: ignore[arg-type]  # remove needs no fetching
    await service.remove(str(article.source_id), guild_id=G1)
    kept = await Article.get(id=article.id)
    assert kept.source_id == other.id and await ArticleSighting.filter(article_id=article.id).count() == 1


async def test_a_story_that_arrives_while_paused_is_delivered_on_resume(rig: Rig) -> None:
    await rig.subs.subscribe(G1, CH, "Iran supreme leader", keywords="Malatya")
    rig.sender.forbidden.add(CH)
    await _store(KH.a, G1)
    await rig.cycle()
    assert (await Subscription.get(channel_id=CH)).paused_at is not None
    await _store(QUAKE.a, G1)  # arrives while paused
    await rig.cycle()
    rig.sender.forbidden.clear()
    resumed = await rig.subs.subscribe(G1, CH, "iran supreme leader")  # settings kept
    assert resumed.keywords == ["Malatya"] and resumed.paused_at is None
    await rig.cycle()
    assert len([p for p in rig.sender.top_level(CH) if p.reply.content.startswith("New story")]) == 2


async def test_a_thread_that_cannot_be_started_does_not_undo_the_post(rig: Rig) -> None:
    await rig.subs.subscribe(G1, CH, "Iran supreme leader")

    async def no_threads(channel_id: int, message_id: int, name: str) -> int:
        raise MissingAccessError("forbidden (50013: Missing Permissions)")

    rig.sender.start_thread = no_threads  # type: ignore[method-assign]
    await _store(KH.a, G1)
    await rig.cycle()
    row = await Delivery.get()
    assert row.status == "sent" and row.message_id and row.thread_id is None
    assert (await Subscription.get(channel_id=CH)).paused_at is None
    await rig.cycle()
    assert len(rig.sender.top_level(CH)) == 1


async def test_a_subscription_posts_in_its_style_pings_its_role_on_new_stories_only(rig: Rig) -> None:
    role = 4242
    await rig.subs.subscribe(G1, CH, "Iran supreme leader", style="compact", mention_role_id=role)
    await _store(KH.a, G1)
    await rig.cycle()
    [post] = rig.sender.top_level(CH)
    assert not post.reply.embeds and post.reply.ping_roles == (role,)
    assert post.reply.content.startswith(f"<@&{role}> **[")  # type: ignore[union-attr]
    rig.clock.advance(hours=3)
    await _store(KH.b, G1)  # a second outlet: an edit in place and an Update in the thread, no ping
    await rig.cycle()
    assert rig.sender.edits and not rig.sender.edits[-1][2].embeds  # the edit keeps the style
    [update] = rig.sender.top_level(post.id)
    assert update.reply.ping_roles == ()
    await rig.subs.subscribe(G1, CH, "Iran supreme leader", no_mention=True)
    listed = await rig.subs.list(G1)
    assert [(s.style, s.mention_role_id) for s in listed] == [("compact", None)]


async def test_a_digest_pings_its_role_once(rig: Rig) -> None:
    rig.clock.now = datetime(2025, 3, 10, 5, 0, tzinfo=UTC)
    await rig.subs.subscribe(G1, CH, "Iran supreme leader", mode="hourly", keywords="Malatya", style="plain",
                             mention_role_id=77)
    await _store(KH.a, G1)
    await _store(QUAKE.a, G1)
    await rig.cycle()
    rig.clock.advance(hours=1)
    await rig.deliverer.run_once()
    [post] = rig.sender.top_level(CH)
    assert post.reply.ping_roles == (77,) and post.reply.content.count("<@&77>") == 1  # type: ignore[union-attr]
    assert not post.reply.embeds and post.reply.content.startswith("<@&77> This hour on")  # type: ignore[union-attr]


async def test_style_and_role_input_is_checked(rig: Rig) -> None:
    from bot.errors import InvalidInputError

    with pytest.raises(InvalidInputError, match="card, compact or plain"):
        await rig.subs.subscribe(G1, CH, "x", style="fancy")
    with pytest.raises(InvalidInputError, match="never pinged"):
        await rig.subs.subscribe(G1, CH, "x", mention_role_id=G1)  # the guild's id is its @everyone role
    sub = await rig.subs.subscribe(G1, CH, "x", style="PLAIN", mention_role_id=5)
    again = await rig.subs.subscribe(G1, CH, "x", mode="hourly")  # other settings keep their values
    assert (again.id, again.style, again.mention_role_id) == (sub.id, "plain", 5)


async def test_a_test_send_posts_once_outside_the_outbox(rig: Rig) -> None:
    from bot.delivery.preview import send_test

    sub = await rig.subs.subscribe(G1, CH, "Iran supreme leader", cap_per_hour=1, mention_role_id=31)
    sample = await send_test(rig.sender, rig.briefs, rig.subs, G1, "Iran supreme leader", nonce="t1")
    assert sample.sample and sample.subscription.id == sub.id  # nothing matches yet: the sample
    await _store(KH.a, G1)
    await rig.cycle()  # the real story is delivered as usual: the test took nothing from the cap
    real = await send_test(rig.sender, rig.briefs, rig.subs, G1, str(sub.id), nonce="t2")
    assert not real.sample
    posts = rig.sender.top_level(CH)
    heads = [(p.reply.content or "").split(" · ")[0] for p in posts]
    assert heads == ["<@&31> Test post", "<@&31> New story", "<@&31> Test post"]
    assert "Khamenei" in posts[-1].text and all(p.reply.ping_roles == (31,) for p in posts)
    assert await Delivery.all().count() == 1  # only the real story is in the outbox
    await rig.cycle()
    assert len(rig.sender.top_level(CH)) == 3  # nothing is sent again
