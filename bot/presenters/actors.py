"""/actor: an actor's profile, its mentions chart, and autocomplete choices."""

from __future__ import annotations

import io
from collections.abc import Sequence

from bot.presenters.common import plural, statement_line
from bot.presenters.message import (
    AUTOCOMPLETE_CHOICES,
    CHOICE_LIMIT,
    EMBED_TITLE_LIMIT,
    EMBED_TOTAL_LIMIT,
    FIELD_VALUE_LIMIT,
    Embed,
    Field,
    File,
    Reply,
    escape_markdown,
    escape_truncate,
    fit_embeds,
    one_line,
    join_with_more,
    pack_fields,
    truncate,
)
from bot.services.views import ActorProfile, DayCount

CHART_FILENAME = "mentions.png"
MAX_ALIASES = 15
MAX_CO_ACTORS = 10


def present_actor(profile: ActorProfile, chart: bytes | None) -> Reply:
    actor = profile.actor
    fields = [Field("Type", escape_truncate(actor.type or "unknown", 100), inline=True),
              Field("Mentioned lately", plural(profile.mentions_recent, "article")
                    + f" in the last {plural(profile.days, 'day')}", inline=True)]
    if profile.aliases:
        aliases = [escape_markdown(truncate(one_line(a), 100)) for a in profile.aliases[:MAX_ALIASES]]
        fields.append(Field("Aliases", join_with_more(aliases, FIELD_VALUE_LIMIT,
                                                      extra=len(profile.aliases) - len(aliases))))
    if profile.co_actors:
        co = [escape_markdown(f"{truncate(one_line(a.name), 60)} ({a.mentions})")
              for a in profile.co_actors[:MAX_CO_ACTORS]]
        fields.append(Field("Often beside", join_with_more(co, FIELD_VALUE_LIMIT,
                                                           extra=len(profile.co_actors) - len(co))))
    title = escape_truncate(one_line(actor.name) or "(unnamed)", EMBED_TITLE_LIMIT)
    used = len(title) + sum(len(f.name) + len(f.value) for f in fields)
    if profile.statements:
        per = max(120, min(300, 3000 // len(profile.statements)))
        lines = [statement_line(s, speaker=False, limit=per) for s in profile.statements]
        more, _ = pack_fields("Latest statements", lines, budget=EMBED_TOTAL_LIMIT - used - 100,
                              max_fields=25 - len(fields), more=lambda k: f"… and {k} more (see /statements)",
                              cont="More statements")
        fields += more
    else:
        fields.append(Field("Latest statements", "None recorded yet."))
    embed = Embed(title=title, fields=tuple(fields), image_filename=CHART_FILENAME if chart else None,
                  footer=f"Actor {actor.actor_id}")
    files = (File(CHART_FILENAME, chart, f"Articles mentioning {truncate(one_line(actor.name), 100)} per day"),) \
        if chart else ()
    return Reply(embeds=fit_embeds([embed]), files=files)


def mentions_chart(per_day: Sequence[DayCount], title: str) -> bytes:
    """A small PNG bar chart (600x250 px) of mentions per day."""
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    fig = Figure(figsize=(6, 2.5), dpi=100)
    ax = fig.subplots()
    days = [d.day for d in per_day]
    counts = [d.count for d in per_day]
    if days:
        ax.bar(days, counts, width=0.8, color="#3B82F6")
        locator = AutoDateLocator(minticks=2, maxticks=8)
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    else:
        ax.text(0.5, 0.5, "no data", ha="center", va="center", transform=ax.transAxes, color="#6B7280")
        ax.set_xticks([])
    ax.set_ylim(0, max([1, *counts]) * 1.15)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=4))
    ax.set_title(truncate(one_line(title), 80), fontsize=10)
    ax.set_ylabel("articles", fontsize=8)
    ax.tick_params(labelsize=8)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def actor_choices(names: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """Autocomplete choices from ``(name, type)`` pairs: ``("Name (TYPE)", name)``, at most 25,
    each at most 100 characters. A longer name's value is cut (no ellipsis) to a prefix of it."""
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    for name, kind in names:
        name = one_line(name)
        value = name[:CHOICE_LIMIT].rstrip()
        if not value or value in seen:
            continue
        seen.add(value)
        suffix = f" ({one_line(kind)[:20]})" if one_line(kind) else ""
        display = truncate(name, CHOICE_LIMIT - len(suffix)) + suffix
        out.append((display, value))
        if len(out) == AUTOCOMPLETE_CHOICES:
            break
    return out
