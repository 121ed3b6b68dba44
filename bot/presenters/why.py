"""/why: what Briefbot did with one article, step by step."""

from __future__ import annotations

from bot.presenters.common import plural
from bot.presenters.message import (
    EMBED_FIELDS_LIMIT,
    EMBED_TITLE_LIMIT,
    EMBED_TOTAL_LIMIT,
    FIELD_VALUE_LIMIT,
    Embed,
    Field,
    Reply,
    escape_markdown,
    escape_truncate,
    fit_embeds,
    one_line,
    pack_fields,
    pack_lines,
    safe_url,
    url_text,
    utc,
)
from bot.services.views import ArticleTrace, TraceStep

HEAD_STEPS = 2  # when the path is too long: the first steps, then the latest ones


def present_why(trace: ArticleTrace) -> Reply:
    if not trace.found:
        return Reply(content=f"Briefbot has not seen {url_text(trace.url[:1500])} from this server's sources.")
    art = trace.article
    title = escape_truncate(one_line((art.title if art else None) or "") or trace.url, EMBED_TITLE_LIMIT)
    parts: list[str] = []
    if trace.stopped_at:
        parts.append(f"**Stopped at:** {escape_truncate(one_line(trace.stopped_at), 400)}")
    if trace.summary:
        parts.append(escape_truncate(trace.summary.strip(), 1200 if len(trace.steps) > 10 else 2500))
    elif not trace.stopped_at:
        parts.append("No summary yet.")
    fields: list[Field] = []
    if art:
        fields.append(Field("Outlet", escape_truncate(one_line(art.outlet) or "unknown", 200), inline=True))
    if trace.story_id is not None:
        story = escape_truncate(one_line(trace.story_title or ""), 300)
        fields.append(Field("Story", f"{trace.story_id}: {story} ({plural(trace.story_sources, 'source')})".strip()))
    if trace.topics:
        topics = [f"{escape_truncate(one_line(t.topic), 80)}: {'matched' if t.matched else 'not matched'} "
                  f"({t.score:.2f}) — {escape_truncate(one_line(t.reason), 150)}" for t in trace.topics]
        fields.append(Field("Topics", pack_lines(topics, FIELD_VALUE_LIMIT)[0]))
    if trace.extras:
        extras = [f"{escape_truncate(one_line(k), 60)}: {escape_truncate(one_line(v), 200)}"
                  for k, v in trace.extras.items()]
        fields.append(Field("Details", pack_lines(extras, FIELD_VALUE_LIMIT)[0]))
    description = "\n\n".join(parts) or None
    used = len(title) + len(description or "") + sum(len(f.name) + len(f.value) for f in fields)
    fields += _path_fields(trace.steps, budget=EMBED_TOTAL_LIMIT - used - 100,
                           max_fields=EMBED_FIELDS_LIMIT - len(fields))
    embed = Embed(title=title, url=safe_url(art.url if art else trace.url), description=description,
                  fields=tuple(fields), footer=f"Article {art.article_id}" if art else None)
    return Reply(embeds=fit_embeds([embed]))


def step_lines(steps: tuple[TraceStep, ...]) -> list[str]:
    """``time stage: outcome — detail``, with the date shown when it changes."""
    out, last_day = [], None
    for s in steps:
        at = utc(s.at)
        stamp = at.strftime("%H:%M:%S") if at.date() == last_day else at.strftime("%Y-%m-%d %H:%M:%S")
        last_day = at.date()
        line = f"{stamp} **{escape_markdown(s.stage)}**: {escape_truncate(one_line(s.outcome), 80)}"
        if s.detail:
            line += f" — {escape_truncate(one_line(s.detail), 200)}"
        if s.source:
            line += f" ({escape_truncate(one_line(s.source), 60)})"
        out.append(line)
    return out


def _path_fields(steps: tuple[TraceStep, ...], *, budget: int, max_fields: int) -> list[Field]:
    if not steps:
        return [Field("Path", "No recorded steps.")]
    lines = step_lines(steps)
    fields, shown = pack_fields(f"Path ({len(lines)} steps)", lines, budget=budget, max_fields=max_fields,
                                cont="Path (cont.)")
    if shown == len(lines):
        return fields
    # Too long: the first steps, a gap line, and as many of the latest ones as fit.
    head = lines[:HEAD_STEPS]
    room = budget - sum(len(x) + 1 for x in head) - 60 - 30 * (budget // 900 + 1)  # gap line, field names
    tail: list[str] = []
    for line in reversed(lines[HEAD_STEPS:]):
        if room - len(line) - 1 < 0:
            break
        tail.insert(0, line)
        room -= len(line) + 1
    gap = f"… {len(lines) - len(head) - len(tail)} steps left out …"
    fields, _ = pack_fields(f"Path ({len(lines)} steps)", [*head, gap, *tail], budget=budget,
                            max_fields=max_fields, cont="Path (cont.)",
                            more=lambda k: f"… and {k} more steps")
    return fields

