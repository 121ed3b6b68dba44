"""The message styles a subscription may choose besides the card (an embed): ``compact``, one line
per story (title, outlets, link), and ``plain``, text without embeds (for channels where embeds are
off, and for screen readers). Every text here stays within Discord's 2,000 characters, feed text
escaped as everywhere else."""

from __future__ import annotations

from collections.abc import Sequence

from bot.presenters.common import outlet_link, role_mention, source_links, statement_line, written_by
from bot.presenters.message import CONTENT_LIMIT, escape_truncate, join_with_more, link, one_line, pack_lines
from bot.services.subscriptions import STYLES
from bot.services.views import StoryBrief

_TITLE_CHARS = 200
_OUTLETS_CHARS = 300


def ping(role_id: int | None) -> str:
    """The role mention that opens a message whose subscription pings a role."""
    return f"{role_mention(role_id)} " if role_id else ""


def compact_line(story: StoryBrief) -> str:
    """``**[Title](url)** · Outlet A · Outlet B +2``: one line, the title linking to the first outlet."""
    title = escape_truncate(one_line(story.title) or "(untitled story)", _TITLE_CHARS)
    head = f"**{link(title, story.links[0].url)}**" if story.links else f"**{title}**"
    total = max(story.sources_count, len(story.links))
    outlets = join_with_more([outlet_link(a, limit=60) for a in story.links], _OUTLETS_CHARS, " · ",
                             total - len(story.links))
    return f"{head} · {outlets}" if outlets else head


def compact_story(story: StoryBrief, *, ref: str, role_id: int | None, lead: str = "") -> str:
    return f"{ping(role_id)}{lead}{compact_line(story)}\n-# {ref}"


def plain_story(story: StoryBrief, *, reason: str | None, ref: str, role_id: int | None, head: str) -> str:
    """A story as text: heading, title, briefing, sources, the strongest statement and why it
    matched; the briefing gets the room the rest leaves."""
    title = escape_truncate(one_line(story.title) or "(untitled story)", _TITLE_CHARS)
    total = max(story.sources_count, len(story.links))
    sources = join_with_more(source_links(story), _OUTLETS_CHARS, " · ", total - len(story.links))
    lines_after = [f"Sources ({total}): {sources}" if sources else f"{total} sources"]
    if story.statement is not None:
        lines_after.append("Strongest statement: " + statement_line(story.statement, speaker=True, limit=250,
                                                                     date=False))
    why = escape_truncate(one_line(reason or ""), 200)
    if why:
        lines_after.append(f"Why: {why}")
    lines_after.append(f"-# Story {story.story_id}{written_by(story)} · {ref}")
    top = f"{ping(role_id)}**{head}** · {title}"
    rest = "\n".join(lines_after)
    room = CONTENT_LIMIT - len(top) - len(rest) - 2
    briefing = escape_truncate(story.briefing.strip(), max(0, room)) if room > 40 else ""
    return "\n".join(part for part in (top, briefing, rest) if part)


def compact_digest(head: str, stories: Sequence[StoryBrief], *, ref: str, role_id: int | None) -> str:
    """A digest as lines, one per story, as many as fit; the rest counted."""
    top = f"{ping(role_id)}{head}"
    tail = f"-# {ref}"
    body, _ = pack_lines([f"• {compact_line(s)}" for s in stories], CONTENT_LIMIT - len(top) - len(tail) - 2,
                         more=lambda k: f"… and {k} more: /brief lists them")
    return f"{top}\n{body}\n{tail}" if body else f"{top}\n{tail}"


__all__ = ["STYLES", "compact_digest", "compact_line", "compact_story", "ping", "plain_story"]
