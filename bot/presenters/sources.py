"""/source: the list with health, add, remove and OPML import results."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.presenters.common import every, plural, stamp
from bot.presenters.message import (
    CONTENT_LIMIT,
    EMBED_TOTAL_LIMIT,
    Embed,
    Reply,
    escape_truncate,
    fit_embeds,
    link,
    one_line,
    pack_fields,
    pack_lines,
    truncate,
    truncate_markdown,
    url_text,
)

if TYPE_CHECKING:
    from bot.ingest.pipeline import PollReport
    from bot.services.sources import AddedSource, SourceHealth
    from bot.services.views import OpmlImport
    from bot.storage.models import Source

ADD_HINT = "Add one with `/source add url`."
_ORDER = {"disabled": 0, "failing": 1, "new": 2, "ok": 3}


def present_sources(rows: Sequence[SourceHealth]) -> Reply:
    """One line per source, the ones that need attention first."""
    if not rows:
        return Reply(content=f"This server has no sources yet. {ADD_HINT}")
    counts = Counter(r.status for r in rows)
    summary = ", ".join(f"{counts[s]} {s}" for s in ("ok", "new", "failing", "disabled") if counts[s])
    ordered = sorted(rows, key=lambda r: (_ORDER.get(r.status, 9), r.id))
    lines = [_source_line(r) for r in ordered]
    title = f"Sources ({len(rows)})"
    fields, shown = pack_fields("id · status · source · articles · health", lines,
                                budget=EMBED_TOTAL_LIMIT - len(title) - 50, cont="(cont.)",
                                more=lambda k: f"… and {k} more sources")
    content = f"{plural(len(rows), 'source')}: {summary}."
    if shown < len(rows):
        content += f" Showing {shown}, and {len(rows) - shown} more."
    embed = Embed(title=title, fields=tuple(fields))
    return Reply(content=content, embeds=fit_embeds([embed]))


def _source_line(r: SourceHealth) -> str:
    parts = [f"**{r.id}** {r.status}", link(truncate(one_line(r.title or "") or r.url, 80), r.url),
             plural(r.articles, "article")]
    parts.append(f"last success {stamp(r.last_success_at, 'R')}" if r.last_success_at else "no success yet")
    if r.disabled_reason:
        parts.append(f"disabled: {escape_truncate(one_line(r.disabled_reason), 120)}")
    if r.last_error and (r.failure_count or not r.disabled_reason):
        failures = f" ({r.failure_count}×)" if r.failure_count > 1 else ""
        parts.append(f"last error{failures}: {escape_truncate(one_line(r.last_error), 120)}")
    return " · ".join(parts)


def present_source_added(added: AddedSource) -> Reply:
    s, poll = added.source, added.first_poll
    name = truncate(one_line(s.title or "") or s.url, 120)
    lines = [f"Added source **{s.id}**: {link(name, s.site_url or s.url)} ({s.kind}, {every(s.interval_s)})."]
    if s.site_url and s.site_url != s.url:
        lines.append(f"Feed: {url_text(s.url)}")
    if not poll.ok:
        lines.append(f"First poll failed: {escape_truncate(one_line(poll.error or 'unknown error'), 300)}")
        if poll.disabled:
            lines.append("The source is disabled; `/source enable` turns it back on.")
    elif poll.not_modified:
        lines.append("First poll: nothing changed.")
    else:
        lines.append(f"First poll: {poll_counts(poll)}. "
                     "From now on, new articles are picked up as they appear.")
    head = "\n".join(lines)
    items = [f"• {link(truncate(one_line(a.title or '') or a.url, 120), a.url)}" for a in poll.new]
    if items:
        listed, _ = pack_lines(items, CONTENT_LIMIT - len(head) - 1, more=lambda k: f"… and {k} more")
        head = f"{head}\n{listed}"
    return Reply(content=truncate_markdown(head, CONTENT_LIMIT))


def present_source_removed(source: Source) -> Reply:
    name = truncate(one_line(source.title or "") or source.url, 200)
    return Reply(content=f"Removed source **{source.id}**: {link(name, source.url)}.")


def present_source_enabled(source: Source) -> Reply:
    name = escape_truncate(one_line(source.title or "") or source.url, 120)
    return Reply(content=f"Source **{source.id}** ({name}) is enabled again; it is polled on the "
                         "next tick.", ephemeral=True)


def present_opml_import(result: OpmlImport) -> Reply:
    if not result.total:
        return Reply(content="The OPML file lists no feeds, so nothing was imported.")
    content = f"Imported {len(result.added)} of {plural(result.total, 'feed')}."
    if result.failed:
        content += f" {len(result.failed)} failed."
    skipped = result.total - len(result.added) - len(result.failed)
    if skipped > 0:
        content += f" {skipped} skipped."
    added = [f"**{sid}** {escape_truncate(one_line(name), 150)}" for sid, name in result.added]
    failed = [f"{url_text(url[:300])} — {escape_truncate(one_line(reason), 200)}" for url, reason in result.failed]
    budget = EMBED_TOTAL_LIMIT - 100
    failed_budget = min(sum(len(x) + 1 for x in failed) + 40, budget // 2) if added else budget
    failed_fields, _ = pack_fields(f"Failed ({len(failed)})", failed, budget=failed_budget, max_fields=12,
                                   cont="Failed (cont.)") if failed else ([], 0)
    used = sum(len(f.name) + len(f.value) for f in failed_fields)
    added_fields, _ = pack_fields(f"Added ({len(added)})", added, budget=budget - used, max_fields=12,
                                  cont="Added (cont.)") if added else ([], 0)
    fields = tuple(added_fields + failed_fields)
    if not fields:
        return Reply(content=content)
    return Reply(content=content, embeds=fit_embeds([Embed(title="OPML import", fields=fields)]))


def poll_counts(report: PollReport) -> str:
    """``3 new, 1 duplicate, 12 seen`` plus failed items and items left for the next poll."""
    text = f"{len(report.new)} new, {report.duplicates} duplicate, {report.seen} seen"
    if report.failed:
        text += f", {report.failed} failed (see /why)"
    if report.held_back:
        text += f", {report.held_back:,} more on the next polls"
    return text
