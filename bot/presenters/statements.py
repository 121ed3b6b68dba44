"""/statements: one page of an actor's statements, with Newer/Older buttons."""

from __future__ import annotations

from bot.presenters.common import stamp, statement_line
from bot.presenters.message import (
    CUSTOM_ID_LIMIT,
    EMBED_DESCRIPTION_LIMIT,
    EMBED_TITLE_LIMIT,
    Button,
    Embed,
    Reply,
    escape_truncate,
    fit_embeds,
    one_line,
    pack_lines,
    utc,
)
from bot.services.views import StatementPage, StatementView

NEWER = "◀ Newer"
OLDER = "Older ▶"


def present_statements(page: StatementPage, *, custom_id_prefix: str) -> Reply:
    newer_id, older_id = f"{custom_id_prefix}:{page.page - 1}", f"{custom_id_prefix}:{page.page + 1}"
    if max(len(newer_id), len(older_id)) > CUSTOM_ID_LIMIT:
        raise ValueError(f"custom_id_prefix is too long: custom ids must be at most {CUSTOM_ID_LIMIT} characters")
    name = escape_truncate(one_line(page.actor.name) or "(unnamed)", 200)
    pages = max(page.pages, 1)
    buttons = (Button(newer_id, NEWER, disabled=page.page <= 0),
               Button(older_id, OLDER, disabled=page.page >= pages - 1))
    if not page.statements:
        if page.total and page.page > 0:
            return Reply(content=f"There is no page {page.page + 1}: **{name}** has {page.total} statements "
                                 f"on {pages} pages.", buttons=buttons)
        filters = _filters(page)
        return Reply(content=f"No statements by **{name}**{filters} found." if filters
                     else f"No statements by **{name}** recorded yet.")
    ordered = sorted(page.statements, key=_newest_first)
    per = max(150, min(1000, (EMBED_DESCRIPTION_LIMIT - 100) // len(ordered) - 90))
    lines = [statement_line(s, speaker=False, limit=per, kind=True) for s in ordered]
    description, _ = pack_lines(lines, EMBED_DESCRIPTION_LIMIT, sep="\n\n",
                                more=lambda k: f"… and {k} more on this page")
    filters = _filters_title(page)
    name_room = EMBED_TITLE_LIMIT - len("Statements by ") - len(filters)
    title = f"Statements by {escape_truncate(one_line(page.actor.name), name_room)}{filters}"
    embed = Embed(title=title, description=description, footer=f"Page {page.page + 1}/{pages} · total {page.total}")
    return Reply(embeds=fit_embeds([embed]), buttons=buttons)


def _newest_first(s: StatementView) -> tuple[bool, float]:
    when = s.published_at or s.article.published_at
    return (when is None, -utc(when).timestamp() if when else 0.0)


def _filters(page: StatementPage) -> str:
    out = ""
    if page.topic:
        out += f" on **{escape_truncate(one_line(page.topic), 100)}**"
    if page.since:
        out += f" since {stamp(page.since)}"
    return out


def _filters_title(page: StatementPage) -> str:
    out = f" on {escape_truncate(one_line(page.topic), 80)}" if page.topic else ""
    if page.since:
        out += f" since {utc(page.since):%Y-%m-%d}"
    return out

