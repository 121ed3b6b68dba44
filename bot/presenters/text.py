"""A Reply as plain terminal text, for the console."""

from __future__ import annotations

import re
import textwrap
from datetime import UTC, datetime

from bot.presenters.message import Embed, Reply

_MARKDOWN = re.compile(
    r"\\(?P<esc>[^0-9A-Za-z\s])"
    r"|\[(?P<label>(?:\\.|[^\]\\\n])+)\]\((?P<url>https?://[^\s()<>]+)\)"
    r"|<t:(?P<ts>-?\d+)(?::[tTdDfFR])?>"
    r"|<@&(?P<role>\d+)>"
    r"|(?P<strong>\*\*)"
    r"|(?P<code>`)"
)


def plain(markdown: str) -> str:
    """Markdown as Briefbot writes it, made plain: escapes undone, ``[label](url)`` as
    ``label <url>``, timestamps in UTC, role mentions as ``@role ID``, bold and code marks dropped."""
    def sub(m: re.Match[str]) -> str:
        if m.group("esc") is not None:
            return m.group("esc")
        if m.group("label") is not None:
            return f"{plain(m.group('label'))} <{m.group('url')}>"
        if m.group("ts") is not None:
            return datetime.fromtimestamp(int(m.group("ts")), UTC).strftime("%Y-%m-%d %H:%M UTC")
        if m.group("role") is not None:
            return f"@role {m.group('role')}"
        return ""

    return _MARKDOWN.sub(sub, markdown)


_NBSP = "\xa0"
_LINK_GAP = re.compile(r" (?=<https?://)")


def _wrap(text: str, width: int, indent: str = "") -> list[str]:
    """``text`` wrapped to ``width``, never between a label and its ``<url>``."""
    out: list[str] = []
    for line in _LINK_GAP.sub(_NBSP, text).split("\n"):
        lead = indent + line[: len(line) - len(line.lstrip())]
        wrapped = textwrap.wrap(line.strip(), width=max(20, width), initial_indent=lead, subsequent_indent=lead + "  ",
                                break_long_words=False, break_on_hyphens=False)
        out.extend(w.replace(_NBSP, " ") for w in wrapped or [""])
    return out


def _embed(embed: Embed, width: int) -> list[str]:
    lines: list[str] = []
    if embed.author:
        lines += _wrap(embed.author, width)
    if embed.title or embed.url:
        title = plain(embed.title or "")
        lines += _wrap(f"{title} <{embed.url}>" if embed.url else title, width)
        lines.append("-" * min(width, max(len(x) for x in lines[-1:] or [""])))
    if embed.description:
        lines += _wrap(plain(embed.description), width)
    for field in embed.fields:
        name, value = plain(field.name), plain(field.value)
        if lines and lines[-1]:
            lines.append("")
        if "\n" not in value and len(name) + len(value) + 2 <= width:
            lines.append(f"{name}: {value}")
        else:
            lines.append(f"{name}:")
            lines += _wrap(value, width, indent="  ")
    if embed.footer:
        if lines and lines[-1]:
            lines.append("")
        lines += _wrap(embed.footer, width)
    return lines


def render_text(reply: Reply, *, width: int = 100) -> str:
    """``reply`` as the console shows it."""
    blocks: list[list[str]] = []
    if reply.content:
        blocks.append(_wrap(plain(reply.content), width))
    blocks += [_embed(e, width) for e in reply.embeds]
    for f in reply.files:
        blocks.append([f"(attached: {f.filename}, {len(f.data)} bytes)"])
    buttons = " ".join(f"[{b.label}]" for b in reply.buttons if not b.disabled)
    if buttons:
        blocks.append([buttons])
    return "\n\n".join("\n".join(b).rstrip() for b in blocks if b) + "\n"
