"""/brief: one embed per story."""

from __future__ import annotations

from bot.presenters.common import day, source_links, stamp, statement_line, when, written_by
from bot.presenters.message import (
    EMBED_DESCRIPTION_LIMIT,
    EMBED_TITLE_LIMIT,
    EMBED_TOTAL_LIMIT,
    EMBEDS_PER_MESSAGE,
    FIELD_VALUE_LIMIT,
    Embed,
    Field,
    Reply,
    escape_markdown,
    escape_truncate,
    fit_embeds,
    one_line,
    join_with_more,
    safe_url,
    truncate,
)
from bot.services.views import BriefResult, StoryBrief

MAX_ACTORS = 8
_MIN_DESCRIPTION = 150


def present_brief(result: BriefResult) -> Reply:
    topic = escape_truncate(one_line(result.topic or ""), 100)
    since = stamp(result.since)
    if not result.stories:
        head = f"No stories on **{topic}** since {since}." if topic else f"No new stories since {since}."
        suggestion = escape_truncate(one_line(result.suggestion or ""), 1500)
        return Reply(content=f"{head} {suggestion}".rstrip())
    shown = result.stories[:EMBEDS_PER_MESSAGE]
    content = f"Latest stories on **{topic}** since {since}" if topic else f"Latest stories since {since}"
    if result.note:
        content = escape_truncate(one_line(result.note), 300).rstrip(".")
    extra = len(result.stories) - len(shown)
    content += f" ({len(shown)} shown, and {extra} more)." if extra else "."
    budget = (EMBED_TOTAL_LIMIT - 20) // len(shown)
    return Reply(content=content, embeds=fit_embeds([story_embed(s, budget) for s in shown]))


def story_embed(story: StoryBrief, budget: int = EMBED_TOTAL_LIMIT) -> Embed:
    """One story within ``budget`` characters: its fields get shares of the budget and the
    briefing the rest; optional fields go first when the briefing would be squeezed."""
    title = escape_truncate(one_line(story.title) or "(untitled story)",
                            min(EMBED_TITLE_LIMIT, max(60, budget // 5)))
    footer = (f"Story {story.story_id} · first seen {when(story.first_seen_at)} · last seen {_last(story)}"
              f"{written_by(story)}")
    share = max(80, budget // 5)
    fields = [
        Field(f"Sources ({max(story.sources_count, len(story.links))})",
              _sources(story, min(FIELD_VALUE_LIMIT, share))),
    ]
    if story.statement is not None:
        fields.append(Field("Strongest statement", statement_line(
            story.statement, speaker=True, limit=max(60, min(300, share - 60)), date=False)))
    if story.actors:
        fields.append(Field("Key actors", _actors(story, min(FIELD_VALUE_LIMIT, max(60, budget // 8)))))
    if story.reason:
        reason = escape_truncate(one_line(story.reason), min(FIELD_VALUE_LIMIT, max(60, budget // 10)))
        fields.append(Field("Why it matched", reason))

    def room() -> int:
        used = len(title) + len(footer) + sum(len(f.name) + len(f.value) for f in fields)
        return min(EMBED_DESCRIPTION_LIMIT, budget - used)

    while room() < _MIN_DESCRIPTION and len(fields) > 1 and fields[-1].name != "Strongest statement":
        if fields.pop().name == "Why it matched" and story.reason:  # keep a short reason in the footer
            footer += f" · matched: {truncate(one_line(story.reason), 60)}"
    description = escape_truncate(story.briefing.strip(), max(0, room())) or None
    url = safe_url(story.links[0].url) if story.links else None
    return Embed(title=title, url=url, description=description, fields=tuple(fields), footer=footer)


def _last(story: StoryBrief) -> str:
    if day(story.first_seen_at) == day(story.last_seen_at):
        return when(story.last_seen_at)[11:]
    return when(story.last_seen_at)


def _sources(story: StoryBrief, limit: int) -> str:
    total = max(story.sources_count, len(story.links))
    unlinked = total - len(story.links)  # counted sources without a link here
    return join_with_more(source_links(story), limit, " · ", unlinked) or f"{total} sources"


def _actors(story: StoryBrief, limit: int) -> str:
    names = [escape_markdown(f"{truncate(one_line(a.name), 60)} ({a.type})") for a in story.actors[:MAX_ACTORS]]
    return join_with_more(names, limit, ", ", len(story.actors) - len(names))
