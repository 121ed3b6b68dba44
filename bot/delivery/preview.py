"""What a subscription will post: its next digest (the stories waiting for it, or when none wait
the latest stories that match its topic), a preview of its next post, and a test send that posts
one real briefing to its channel now, outside the outbox (it counts toward no cap and the router
never repeats it)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime

from bot.delivery.deliverer import Sender
from bot.presenters.delivery import present_delivery
from bot.presenters.message import Reply
from bot.services.briefs import BriefService
from bot.services.subscriptions import SubscriptionService
from bot.services.views import ArticleLink, StoryBrief
from bot.storage.models import Delivery, Subscription

_SAMPLE_AT = datetime(2025, 1, 1, 8, 0, tzinfo=UTC)
SAMPLE = StoryBrief(
    story_id=0, title="Sample story: nothing on this topic yet",
    briefing="When a story on this topic arrives, its briefing appears here: a few sentences from the "
             "outlets that report it, with the outlets linked below.",
    first_seen_at=_SAMPLE_AT, last_seen_at=_SAMPLE_AT, sources_count=1,
    links=(ArticleLink(0, "https://example.com/", "Sample article", "Example outlet", _SAMPLE_AT),),
    actors=(), statement=None)


@dataclass(frozen=True, slots=True)
class NextPost:
    subscription: Subscription
    story: StoryBrief
    sample: bool  # no story matches yet: the sample stands in


@dataclass(frozen=True, slots=True)
class TestSent:
    subscription: Subscription
    message_id: int
    sample: bool


async def digest_preview(subs: SubscriptionService, briefs: BriefService, guild_id: int,
                         ref: str) -> tuple[Subscription, list[StoryBrief], bool]:
    """(subscription, stories, waiting): ``waiting`` is False when the stories are only a preview
    of what matches now (nothing is queued for the digest yet)."""
    sub = await subs.find(guild_id, ref)
    ids = await Delivery.filter(subscription_id=sub.id, status="digest").order_by("id").values_list("story_id", flat=True)
    stories = [s for s in [await briefs.story(guild_id, i) for i in ids] if s is not None]
    if stories:
        return sub, stories, True
    topic = " ".join([sub.topic, *(sub.keywords or [])])
    result = await briefs.latest(guild_id, topic=topic, limit=10)  # the last day, else the latest
    return sub, list(result.stories), False


async def next_post(briefs: BriefService, guild_id: int, sub: Subscription) -> NextPost:
    """The story a preview or a test send shows: the most recent one matching the topic, or the
    sample when none does."""
    topic = " ".join([sub.topic, *(sub.keywords or [])])
    result = await briefs.latest(guild_id, topic=topic, limit=1)
    if result.stories:
        return NextPost(sub, result.stories[0], False)
    return NextPost(sub, SAMPLE, True)


def post_reply(post: NextPost, *, test: bool, ref: str) -> Reply:
    """The message as the subscription posts it (its style and role ping), marked as a test."""
    sub = post.subscription
    return present_delivery(post.story, reason=post.story.reason or f"topic {sub.topic}", ref=ref, style=sub.style,
                            role_id=sub.mention_role_id, test=test)


def preview_reply(post: NextPost) -> Reply:
    """The next post as an ephemeral preview shows it: the same look, pinging nobody."""
    return replace(post_reply(post, test=False, ref="preview"), ping_roles=())


async def send_test(sender: Sender, briefs: BriefService, subs: SubscriptionService, guild_id: int, ref: str, *,
                    nonce: str) -> TestSent:
    """Post one real briefing to the subscription's channel now, marked as a test; ``nonce`` makes a
    retried call post once."""
    sub = await subs.find(guild_id, ref)
    post = await next_post(briefs, guild_id, sub)
    message_id = await sender.post(sub.channel_id, post_reply(post, test=True, ref=f"test {sub.id}"), nonce=nonce,
                                   title=f"Test post: {post.story.title}", topic=sub.topic)
    return TestSent(sub, message_id, post.sample)
