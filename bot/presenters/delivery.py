"""What subscriptions post: a briefing per story, digests, updates in threads, notices.

Every posted message carries a short reference (``ref b12``) in its footer or last line, so that
after a crash the bot can recognise a message it already posted but did not get to record."""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.presenters.briefs import story_embed
from bot.presenters.common import outlet_link
from bot.presenters.message import (
    CONTENT_LIMIT,
    EMBED_TOTAL_LIMIT,
    EMBEDS_PER_MESSAGE,
    FOOTER_LIMIT,
    THREAD_NAME_LIMIT,
    Embed,
    Reply,
    escape_markdown,
    escape_truncate,
    fit_embeds,
    one_line,
    truncate,
)
from bot.presenters.styles import compact_digest, compact_story, ping, plain_story
from bot.services.views import ArticleLink, StoryBrief


def marker(kind: str, ident: int | str) -> str:
    """The reference written into a posted message: ``ref b12`` (b briefing, g digest, u update, n notice)."""
    return f"ref {kind}{ident}"


def ref_pattern(ref: str) -> re.Pattern[str]:
    """Finds exactly ``ref`` in a message: ``ref b1`` must not match ``ref b12``."""
    return re.compile(rf"{re.escape(ref)}(?![0-9A-Za-z])")


def _with_ref(embed: Embed, ref: str) -> Embed:
    footer = truncate(f"{embed.footer} · {ref}" if embed.footer else ref, FOOTER_LIMIT)
    if not footer.endswith(ref):  # never cut the reference itself
        footer = truncate(embed.footer or "", FOOTER_LIMIT - len(ref) - 3) + f" · {ref}"
    return Embed(title=embed.title, url=embed.url, description=embed.description, fields=embed.fields,
                 footer=footer, author=embed.author, color=embed.color, timestamp=embed.timestamp,
                 image_filename=embed.image_filename)


def present_delivery(story: StoryBrief, *, reason: str | None, ref: str, style: str = "card",
                     role_id: int | None = None, test: bool = False) -> Reply:
    """A story's briefing as posted to a subscribed channel, in the subscription's style; the card's
    content says why it was posted. ``role_id``: the role the subscription pings (the only mention
    the message may make); ``test``: an admin's test send, marked as such."""
    pings = (role_id,) if role_id else ()
    head = "Test post" if test else "New story"
    if style == "compact":
        return Reply(content=compact_story(story, ref=ref, role_id=role_id, lead=f"{head} · " if test else ""),
                     ping_roles=pings)
    if style == "plain":
        return Reply(content=plain_story(story, reason=reason, ref=ref, role_id=role_id, head=head), ping_roles=pings)
    why = escape_truncate(one_line(reason or ""), 300)
    content = f"{ping(role_id)}{head} · {why}" if why else f"{ping(role_id)}{head}"
    embed = story_embed(StoryBrief(**{**_fields(story), "reason": None}), EMBED_TOTAL_LIMIT - len(ref) - 40)
    return Reply(content=truncate(content, CONTENT_LIMIT), embeds=fit_embeds([_with_ref(embed, ref)]),
                 ping_roles=pings)


def present_digest(topic: str, stories: Sequence[StoryBrief], *, ref: str, hourly: bool, style: str = "card",
                   role_id: int | None = None) -> Reply:
    """Several stories in one message (hourly/daily digests, and stories over a channel's cap); a
    subscription's role is pinged once for the lot."""
    pings = (role_id,) if role_id else ()
    label = "This hour" if hourly else "Today"
    head = f"{label} on **{escape_truncate(one_line(topic), 100)}**: {len(stories)} " \
           f"{'story' if len(stories) == 1 else 'stories'}"
    if style in ("compact", "plain"):
        return Reply(content=compact_digest(head + ".", stories, ref=ref, role_id=role_id), ping_roles=pings)
    shown = list(stories[:EMBEDS_PER_MESSAGE])
    content = ping(role_id) + head
    if len(stories) > len(shown):
        content += f" ({len(shown)} shown, and {len(stories) - len(shown)} more: /brief lists them)"
    budget = (EMBED_TOTAL_LIMIT - 40 - len(ref)) // max(1, len(shown))
    embeds = [story_embed(s, budget) for s in shown]
    if embeds:
        embeds[-1] = _with_ref(embeds[-1], ref)
    return Reply(content=content + ".", embeds=fit_embeds(embeds), ping_roles=pings)


def present_update(article: ArticleLink, adds: str, *, sources: int, ref: str) -> Reply:
    """The note posted in a story's thread when another outlet reports it."""
    head = f"**Update** · {outlet_link(article)} reports this story too (now {sources} sources)."
    body = escape_truncate(adds.strip(), CONTENT_LIMIT - len(head) - len(ref) - 10) if adds.strip() else ""
    text = f"{head}\n{body}\n-# {ref}" if body else f"{head}\n-# {ref}"
    return Reply(content=text)


_CHANNEL_MENTION = re.compile(r"(<#\d{1,20}>)")


def present_notice(text: str, *, ref: str) -> Reply:
    """A notice to a guild; ``<#id>`` channel mentions in ``text`` stay mentions, the rest is escaped."""
    parts = _CHANNEL_MENTION.split(one_line(text))
    body = "".join(p if _CHANNEL_MENTION.fullmatch(p) else escape_markdown(p) for p in parts)
    return Reply(content=f"{truncate(body, CONTENT_LIMIT - len(ref) - 10)}\n-# {ref}")


def thread_name(title: str) -> str:
    name = one_line(title) or "Briefing"
    return truncate(name, THREAD_NAME_LIMIT)


def _fields(story: StoryBrief) -> dict[str, object]:
    return {name: getattr(story, name) for name in story.__dataclass_fields__}
