"""/subscribe, /unsubscribe and /subscriptions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.presenters.common import plural, role_mention, stamp
from bot.presenters.message import (
    CONTENT_LIMIT,
    EMBED_TOTAL_LIMIT,
    Embed,
    Reply,
    escape_truncate,
    fit_embeds,
    one_line,
    pack_fields,
    truncate_markdown,
)

if TYPE_CHECKING:
    from bot.delivery.preview import TestSent
    from bot.services.subscriptions import SubscriptionView
    from bot.storage.models import Subscription


def channel_ref(channel_id: int) -> str:
    """A channel mention; channel 0 is the terminal console's own subscriptions."""
    return f"<#{channel_id}>" if channel_id else "the console"


def _schedule(mode: str, time_of_day: str | None, timezone: str) -> str:
    if mode == "daily":
        return f"a daily digest at {time_of_day} {timezone}"
    if mode == "hourly":
        return "an hourly digest"
    return "each story as it arrives"


def present_subscribed(sub: Subscription, preview: Reply | None = None, *, sample: bool = False) -> Reply:
    """The confirmation, followed by ``preview``: the next post as it will look (pinging nobody)."""
    confirmed = _subscribed(sub)
    if preview is None:
        return confirmed
    what = "a sample, as nothing matches yet" if sample else "the latest story that matches"
    head = f"{confirmed.content}\n\n**Preview** of the next post ({what}):"
    body = truncate_markdown(preview.content or "", CONTENT_LIMIT - len(head) - 1) if preview.content else ""
    return Reply(content=f"{head}\n{body}" if body else head, embeds=preview.embeds, ephemeral=True)


def present_test_sent(sent: TestSent) -> Reply:
    sub = sent.subscription
    what = "a sample story, as nothing matches the topic yet" if sent.sample else "the latest story that matches"
    return Reply(content=f"Posted a test to {channel_ref(sub.channel_id)} ({what}), as subscription {sub.id} "
                         "posts it. It counts toward no cap and is not sent again.", ephemeral=True)


def _subscribed(sub: Subscription) -> Reply:
    topic = escape_truncate(one_line(sub.topic), 200)
    extra = []
    if sub.keywords:
        extra.append("keywords " + escape_truncate(", ".join(sub.keywords), 300))
    if sub.min_sources > 1:
        extra.append(f"once {sub.min_sources} outlets report a story")
    if sub.mode == "realtime":
        extra.append(f"at most {sub.cap_per_hour} per hour (more go into an hourly digest)")
    if sub.style != "card":
        extra.append(f"{sub.style} style")
    if sub.mention_role_id:
        extra.append(f"pinging {role_mention(sub.mention_role_id)} on each new story")
    more = f" ({'; '.join(extra)})" if extra else ""
    return Reply(content=f"{channel_ref(sub.channel_id)} now follows **{topic}**: {_schedule(sub.mode, sub.time_of_day, sub.timezone)}"
                         f"{more}. Subscription {sub.id}.", ephemeral=True)


def present_unsubscribed(sub: Subscription) -> Reply:
    return Reply(content=f"{channel_ref(sub.channel_id)} no longer follows **{escape_truncate(one_line(sub.topic), 200)}**.",
                 ephemeral=True)


def present_subscriptions(rows: Sequence[SubscriptionView]) -> Reply:
    if not rows:
        return Reply(content="No subscriptions in this server. An admin can add one with /subscribe topic.",
                     ephemeral=True)
    lines = [_line(r) for r in rows]
    fields, shown = pack_fields("id · channel · topic · delivery · lately", lines,
                                budget=EMBED_TOTAL_LIMIT - 100, cont="(cont.)",
                                more=lambda k: f"… and {k} more subscriptions")
    content = f"{plural(len(rows), 'subscription')}."
    if shown < len(rows):
        content += f" Showing {shown}."
    return Reply(content=content, embeds=fit_embeds([Embed(title="Subscriptions", fields=tuple(fields))]),
                 ephemeral=True)


def _line(r: SubscriptionView) -> str:
    parts = [f"**{r.id}** {channel_ref(r.channel_id)}", f"**{escape_truncate(one_line(r.topic), 100)}**",
             _schedule(r.mode, r.time_of_day, r.timezone)]
    if r.keywords:
        parts.append("keywords " + escape_truncate(", ".join(r.keywords), 120))
    if r.min_sources > 1:
        parts.append(f"≥{r.min_sources} outlets")
    if r.style != "card":
        parts.append(f"{r.style} style")
    if r.mention_role_id:
        parts.append(f"pings {role_mention(r.mention_role_id)}")
    parts.append(f"{r.delivered_24h} in 24 h, {r.delivered_7d} in 7 days")
    if r.last_delivered_at:
        parts.append(f"last {stamp(r.last_delivered_at, 'R')}")
    if r.waiting:
        parts.append(f"{r.waiting} {'story' if r.waiting == 1 else 'stories'} waiting for the digest")
    if r.paused_reason:
        parts.append(f"PAUSED: {escape_truncate(one_line(r.paused_reason), 160)} (/subscribe again to resume)")
    return " · ".join(parts)
