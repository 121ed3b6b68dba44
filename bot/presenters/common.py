"""Formatting shared by the presenters: times, outlet links and statements."""

from __future__ import annotations

from datetime import datetime

from bot.presenters.message import escape_markdown, escape_truncate, link, one_line, truncate, utc
from bot.services.views import ArticleLink, StatementView, StoryBrief

QUOTE_LIMIT = 300


def plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def every(seconds: int) -> str:
    """A polling interval: ``every 30 s``, ``every 90 s``, ``every 10 min``, ``every 2 h``."""
    if seconds < 60 or seconds % 60:
        return f"every {seconds} s"
    minutes = seconds // 60
    return f"every {minutes // 60} h" if minutes % 60 == 0 else f"every {minutes} min"


def when(dt: datetime | None) -> str:
    """``2024-05-01 14:30 UTC`` (plain text, for footers)."""
    return utc(dt).strftime("%Y-%m-%d %H:%M UTC") if dt else "never"


def day(dt: datetime | None) -> str:
    return utc(dt).strftime("%Y-%m-%d") if dt else "undated"


def stamp(dt: datetime, style: str = "f") -> str:
    """A Discord timestamp (``<t:1714573800:f>``) that each reader sees in their own time zone;
    :func:`bot.presenters.text.render_text` shows it as UTC."""
    return f"<t:{int(utc(dt).timestamp())}:{style}>"


def role_mention(role_id: int) -> str:
    """``<@&id>``: shown as the role's name in Discord; it pings only where a reply allows it."""
    return f"<@&{role_id}>"


def outlet_link(article: ArticleLink, *, limit: int = 80) -> str:
    return link(truncate(one_line(article.outlet) or "source", limit), article.url)


def source_links(story: StoryBrief, *, limit: int = 60) -> list[str]:
    """The story's outlets as links, numbered ``[1] Outlet`` when its briefing (a model's) cites
    them by number."""
    links = [outlet_link(a, limit=limit) for a in story.links]
    if story.written_by:
        links = [f"{escape_markdown(f'[{k}]')} {text}" for k, text in enumerate(links, start=1)]
    return links


def written_by(story: StoryBrief) -> str:
    """`` · briefing by MODEL`` for a footer, when a language model wrote the briefing."""
    return f" · briefing by {truncate(one_line(story.written_by), 60)}" if story.written_by else ""


def article_link(article: ArticleLink, *, limit: int = 150) -> str:
    """``[outlet — title](url)``."""
    label = one_line(article.outlet) or "source"
    if article.title and one_line(article.title):
        label = f"{label} — {one_line(article.title)}"
    return link(truncate(label, limit), article.url)


def quoted(statement: StatementView, limit: int = QUOTE_LIMIT) -> str:
    """The statement's words, escaped: a direct quote in quotes, an indirect one as reported
    ("said that …")."""
    text = one_line(statement.text).strip("\"“”")
    if statement.kind == "direct":
        return f"“{escape_truncate(text, limit)}”"
    if text.lower().startswith("that "):
        text = text[5:]
    return f"said that {escape_truncate(text, limit)}"


def statement_line(statement: StatementView, *, speaker: bool, limit: int = QUOTE_LIMIT,
                   kind: bool = False, date: bool = True) -> str:
    """``“text” — Speaker, [outlet](url), 2024-05-01`` (indirect: ``Speaker said that …``)."""
    words = quoted(statement, limit)
    who = escape_markdown(truncate(one_line(statement.speaker or ""), 80))
    if statement.kind == "direct":
        head = f"{words} — {who}, " if speaker and who else f"{words} — "
    else:
        head = f"{who} {words} — " if speaker and who else f"{words[0].upper()}{words[1:]} — "
    tail = [outlet_link(statement.article)]
    if kind:
        tail.insert(0, statement.kind)
    when_ = statement.published_at or statement.article.published_at
    if date and when_:
        tail.append(day(when_))
    return head + ", ".join(tail)
