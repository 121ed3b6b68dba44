"""What a subscription's next digest would hold: the stories waiting for it, or (when none wait)
the latest stories that match its topic."""

from __future__ import annotations

from bot.services.briefs import BriefService
from bot.services.subscriptions import SubscriptionService
from bot.services.views import StoryBrief
from bot.storage.models import Delivery, Subscription


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
