"""The neutral message model the presenters build, Discord's limits, and text helpers.

A :class:`Reply` is what the Discord cogs send and what the terminal console prints (through
:func:`bot.presenters.text.render_text`). Every presenter returns a reply that respects Discord's
documented limits (see the constants below).

Text that comes from feeds (titles, summaries, quotes, outlet and actor names) is always passed
through :func:`escape_markdown`, and links are made with :func:`link`. Text is never allowed to
ping: presenters do not strip ``@everyone`` or ``<@id>``; the Discord edge sends every message with
``allowed_mentions`` set to none (and escaping ``<`` keeps mention syntax from rendering at all),
except the roles a reply names in ``ping_roles`` (a subscription's opt-in role ping).

Markdown is rendered by Discord in embed titles, descriptions, field names and values and in
content; it is not rendered in footers and author names, which therefore hold plain text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import urlsplit

# Discord's documented limits.
CONTENT_LIMIT = 2000
EMBED_TITLE_LIMIT = 256
EMBED_DESCRIPTION_LIMIT = 4096
EMBED_FIELDS_LIMIT = 25
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
FOOTER_LIMIT = 2048
AUTHOR_LIMIT = 256
EMBED_TOTAL_LIMIT = 6000  # across all embeds of one message
EMBEDS_PER_MESSAGE = 10
FILES_PER_MESSAGE = 10
BUTTONS_PER_MESSAGE = 25  # 5 action rows of 5
AUTOCOMPLETE_CHOICES = 25
CHOICE_LIMIT = 100  # choice name and value
THREAD_NAME_LIMIT = 100
BUTTON_LABEL_LIMIT = 80
CUSTOM_ID_LIMIT = 100
URL_LIMIT = 2048
LINK_URL_LIMIT = 512  # longer URLs are not worth the room a masked link takes

COLOR = 0x3B82F6
ERROR_COLOR = 0xDC2626


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    value: str
    inline: bool = False


@dataclass(frozen=True, slots=True)
class Embed:
    title: str | None = None
    url: str | None = None
    description: str | None = None
    fields: tuple[Field, ...] = ()
    footer: str | None = None  # plain text
    author: str | None = None  # plain text
    color: int | None = COLOR
    timestamp: datetime | None = None
    image_filename: str | None = None  # an attached File shown as the image

    def to_dict(self) -> dict[str, Any]:
        """Discord's JSON embed object."""
        out: dict[str, Any] = {"type": "rich"}
        if self.title:
            out["title"] = self.title
        if self.url:
            out["url"] = self.url
        if self.description:
            out["description"] = self.description
        if self.fields:
            out["fields"] = [{"name": f.name, "value": f.value, "inline": f.inline} for f in self.fields]
        if self.footer:
            out["footer"] = {"text": self.footer}
        if self.author:
            out["author"] = {"name": self.author}
        if self.color is not None:
            out["color"] = self.color
        if self.timestamp is not None:
            out["timestamp"] = utc(self.timestamp).isoformat()
        if self.image_filename:
            out["image"] = {"url": f"attachment://{self.image_filename}"}
        return out

    def total_chars(self) -> int:
        """Characters as Discord counts them towards the 6000 per message."""
        return (len(self.title or "") + len(self.description or "") + len(self.footer or "")
                + len(self.author or "") + sum(len(f.name) + len(f.value) for f in self.fields))

    def is_empty(self) -> bool:
        return not (self.title or self.description or self.fields or self.footer or self.author
                    or self.image_filename)


@dataclass(frozen=True, slots=True)
class Button:
    custom_id: str
    label: str
    disabled: bool = False
    style: Literal["secondary", "primary"] = "secondary"

    def __post_init__(self) -> None:
        if not 0 < len(self.custom_id) <= CUSTOM_ID_LIMIT:
            raise ValueError(f"custom_id must be 1..{CUSTOM_ID_LIMIT} characters: {self.custom_id!r}")
        if not 0 < len(self.label) <= BUTTON_LABEL_LIMIT:
            raise ValueError(f"button label must be 1..{BUTTON_LABEL_LIMIT} characters")


@dataclass(frozen=True, slots=True)
class File:
    filename: str
    data: bytes
    description: str | None = None


@dataclass(frozen=True, slots=True)
class Reply:
    content: str | None = None
    embeds: tuple[Embed, ...] = ()
    files: tuple[File, ...] = ()
    buttons: tuple[Button, ...] = ()
    ephemeral: bool = False
    ping_roles: tuple[int, ...] = ()  # the only mentions that may ping (a subscription's role)

    def allowed_mentions(self) -> dict[str, Any]:
        """Discord's ``allowed_mentions`` for this message (what the Discord edge sends): nothing
        may ping but ``ping_roles``."""
        return {"parse": [], "roles": [str(r) for r in self.ping_roles]} if self.ping_roles else {"parse": []}


def utc(dt: datetime) -> datetime:
    """``dt`` in UTC; naive datetimes are taken to be UTC already."""
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


# --- text ----------------------------------------------------------------------------------------

_SPECIAL = re.compile(r"([\\*_~`|>#\-\[\]()<])")
_LEADING = re.compile(r"^(\s*)(\+|\d+\.)(?=\s)", re.MULTILINE)
_UNESCAPE = re.compile(r"\\([^0-9A-Za-z\s])")


def escape_markdown(text: str) -> str:
    """``text`` with Discord markdown escaped, so that it is shown exactly as written.

    Escapes ``\\ * _ ~ ` | > # - [ ] ( ) <`` everywhere (``<`` stops mentions, channel links,
    custom emoji and timestamps from rendering) and the list markers ``+`` and ``1.`` at the
    start of a line. Discord shows a backslash followed by any punctuation as the punctuation.
    """
    text = _SPECIAL.sub(r"\\\1", text)
    return _LEADING.sub(lambda m: m.group(1) + m.group(2)[:-1] + "\\" + m.group(2)[-1], text)


def unescape_markdown(text: str) -> str:
    """Undo :func:`escape_markdown` (a backslash before punctuation is dropped)."""
    return _UNESCAPE.sub(r"\1", text)


def one_line(text: str) -> str:
    """Whitespace (newlines included) collapsed to single spaces."""
    return " ".join(text.split())


def _drop_dangling_backslash(text: str) -> str:
    trailing = len(text) - len(text.rstrip("\\"))
    return text[:-1] if trailing % 2 else text


def truncate(text: str, limit: int, ellipsis: str = "…") -> str:
    """``text`` cut to at most ``limit`` characters, ending in ``ellipsis`` when cut.

    Cuts at a word boundary when there is one in the last fifth (or last 30 characters) of the
    allowed length, and never leaves a dangling escape backslash.
    """
    if limit <= 0:
        return ""
    if len(text) <= limit:
        return text
    if limit <= len(ellipsis):
        return text[:limit]
    room = limit - len(ellipsis)
    cut = text[:room]
    if not text[room].isspace():
        space = max(cut.rfind(" "), cut.rfind("\n"))
        if space >= room - max(30, room // 5) and space > 0:
            cut = cut[:space]
    cut = _drop_dangling_backslash(cut.rstrip())
    return cut + ellipsis


def escape_truncate(text: str, limit: int, ellipsis: str = "…") -> str:
    """``text`` escaped, and cut first if needed so that the escaped result fits ``limit``."""
    escaped = escape_markdown(text)
    raw_limit = min(limit, len(text))
    while len(escaped) > limit and raw_limit > 0:
        escaped = escape_markdown(truncate(text, raw_limit, ellipsis))
        raw_limit -= max(1, len(escaped) - limit)
    return escaped if len(escaped) <= limit else ""


_OPEN_LINK = re.compile(r"(?<!\\)(?:\\\\)*\[(?:\\.|[^\]\\])*(?:\](?:\([^)]*)?)?$")
_OPEN_ANGLE = re.compile(r"(?<!\\)(?:\\\\)*<[^>\s]*$")


def truncate_markdown(text: str, limit: int, ellipsis: str = "…") -> str:
    """Like :func:`truncate` for text that holds markdown: keeps whole lines when it can and never
    ends inside a masked link, a ``<…>`` or ``**bold**``."""
    if len(text) <= limit:
        return text
    lines = text.split("\n")
    kept: list[str] = []
    size = 0
    for line in lines:
        extra = len(line) + (1 if kept else 0)
        if size + extra + len(ellipsis) + 1 > limit:
            break
        kept.append(line)
        size += extra
    if kept and size >= limit // 2:
        return "\n".join(kept) + "\n" + ellipsis
    cut = truncate(text, limit, ellipsis="")[: max(0, limit - len(ellipsis))]
    while True:
        m = _OPEN_LINK.search(cut) or _OPEN_ANGLE.search(cut)
        if not m:
            break
        cut = cut[: m.start()].rstrip()
    if cut.count("**") % 2:
        cut = cut[: cut.rfind("**")] + cut[cut.rfind("**") + 2:]
    cut = _drop_dangling_backslash(cut.rstrip())
    return (cut + ellipsis)[:limit]


_UNSAFE_URL_CHARS = set(' ()<>\\"`{}|^')


def safe_url(url: str | None) -> str | None:
    """``url`` made safe to put in a masked link, or None unless it is an http(s) URL."""
    if not url:
        return None
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    head = len(parts.scheme) + 3 + len(parts.netloc)  # brackets are allowed in the host only (IPv6)
    out = "".join(
        "".join(f"%{b:02X}" for b in ch.encode())
        if ch in _UNSAFE_URL_CHARS or ch.isspace() or ord(ch) < 32 or ord(ch) == 127 or (i >= head and ch in "[]")
        else ch
        for i, ch in enumerate(url)
    )
    return out if len(out) <= URL_LIMIT else None


_PAIRED_BRACKETS = re.compile(r"(?:[^\[\]]|\[[^\[\]]*\])*")


def link(label: str, url: str | None) -> str:
    """A masked link ``[label](url)``; just the escaped label when the URL is not http(s) (or
    is over 512 characters)."""
    label = one_line(label) or one_line(url or "")
    if not _PAIRED_BRACKETS.fullmatch(label):  # Discord only parses labels with simple [pairs]
        label = label.replace("[", "(").replace("]", ")")
    target = safe_url(url)
    if target is None or len(target) > LINK_URL_LIMIT:
        return escape_markdown(label)
    return f"[{escape_markdown(label)}]({target})"


def url_text(url: str) -> str:
    """A URL shown as itself: ``<url>`` (clickable, no preview) or escaped text if not http(s)."""
    safe = safe_url(url)
    return f"<{safe}>" if safe else escape_markdown(one_line(url))


_SENTENCE_END = re.compile(r"""[.!?…]["'”’)\]]*\s+""")


def split_text(text: str, limit: int = CONTENT_LIMIT) -> list[str]:
    """``text`` in pieces of at most ``limit`` characters: cut at paragraph or sentence ends,
    else at whitespace, else hard (never inside a masked link when that can be avoided)."""
    if limit <= 0:
        raise ValueError("limit must be positive")
    pieces: list[str] = []
    text = text.strip()
    while len(text) > limit:
        cut = _split_point(text, limit)
        piece, text = text[:cut].rstrip(), text[cut:].lstrip()
        if piece:
            pieces.append(piece)
    if text:
        pieces.append(text)
    return pieces


def _split_point(text: str, limit: int) -> int:
    window = text[: limit + 1]
    half = limit // 2

    def ok(cut: int) -> bool:
        head = text[:cut].rstrip()
        return 0 < len(head) <= limit and not _OPEN_LINK.search(head) and not _OPEN_ANGLE.search(head) \
            and head.count("**") % 2 == 0

    paragraphs = [m.end() for m in re.finditer(r"\n\s*\n", window)]
    sentences = [m.end() for m in _SENTENCE_END.finditer(window)] + [m.end() for m in re.finditer(r"\n", window)]
    spaces = [m.end() for m in re.finditer(r"\s+", window)]
    for group, floor in ((paragraphs, half), (sentences, half), (spaces, half), (sentences, 1), (spaces, 1)):
        for cut in sorted(group, reverse=True):
            if cut >= floor and ok(cut):
                return cut
    return len(_drop_dangling_backslash(text[:limit])) or limit


# --- packing lines into limited room -------------------------------------------------------------

def more_line(k: int, what: str = "more") -> str:
    return f"… and {k} {what}"


def pack_lines(lines: Sequence[str], limit: int, *, more: Callable[[int], str] = more_line,
               sep: str = "\n") -> tuple[str, int]:
    """As many whole ``lines`` as fit ``limit`` joined by ``sep``, followed by ``more(k)`` when
    ``k`` lines were left out. Returns the text and how many lines it shows."""
    out: list[str] = []
    size = 0
    for line in lines:
        extra = len(line) + (len(sep) if out else 0)
        if size + extra > limit:
            break
        out.append(line)
        size += extra
    if not out and lines:  # the first line alone is too long: show part of it
        note = len(sep) + len(more(len(lines) - 1)) if len(lines) > 1 else 0
        first = truncate_markdown(lines[0], limit - note)
        if first:
            out, size = [first], len(first)
    shown = len(out)
    while shown < len(lines):
        note = more(len(lines) - shown)
        if size + len(note) + (len(sep) if out else 0) <= limit:
            out.append(note)
            break
        if not out:
            return truncate(note, limit), 0
        size -= len(out.pop()) + (len(sep) if out else 0)
        shown -= 1
    return sep.join(out), shown


def pack_fields(name: str, lines: Sequence[str], *, budget: int, max_fields: int = EMBED_FIELDS_LIMIT,
                more: Callable[[int], str] = more_line, cont: str | None = None) -> tuple[list[Field], int]:
    """``lines`` spread over fields of at most 1024 characters (the first named ``name``, the
    others ``cont``), all within ``budget`` characters (names included), the last field ending
    in ``more(k)`` when ``k`` lines did not fit. Returns the fields and how many lines they show."""
    cont_name = truncate(cont or f"{name} (cont.)", FIELD_NAME_LIMIT)
    first_name = truncate(name, FIELD_NAME_LIMIT)
    lines = [truncate_markdown(line, FIELD_VALUE_LIMIT - 60) for line in lines]
    chunks: list[list[str]] = []
    sizes: list[int] = []
    used = shown = 0
    for line in lines:
        fname = first_name if not chunks else cont_name
        if chunks and sizes[-1] + 1 + len(line) <= FIELD_VALUE_LIMIT and used + 1 + len(line) <= budget:
            chunks[-1].append(line)
            sizes[-1] += 1 + len(line)
            used += 1 + len(line)
        elif len(chunks) < max_fields and used + len(fname) + len(line) <= budget:
            chunks.append([line])
            sizes.append(len(line))
            used += len(fname) + len(line)
        else:
            break
        shown += 1
    while shown < len(lines) and chunks:
        note = more(len(lines) - shown)
        if sizes[-1] + 1 + len(note) <= FIELD_VALUE_LIMIT and used + 1 + len(note) <= budget:
            chunks[-1].append(note)
            break
        line = chunks[-1].pop()
        shown -= 1
        cost = len(line) + (1 if chunks[-1] else 0)
        sizes[-1] -= cost
        used -= cost
        if not chunks[-1]:
            chunks.pop()
            sizes.pop()
            used -= len(first_name if not chunks else cont_name)
    if shown < len(lines) and not chunks:
        note = more(len(lines))
        if len(first_name) + len(note) <= budget:
            chunks = [[note]]
    fields = [Field(first_name if i == 0 else cont_name, "\n".join(c)) for i, c in enumerate(chunks)]
    return fields, shown


def join_with_more(items: Sequence[str], limit: int, sep: str = ", ", extra: int = 0) -> str:
    """``items`` joined by ``sep``, as many as fit ``limit``, then ``+k more`` (counting ``extra``
    items that were not passed, too)."""
    reserve = len(f"{sep}+{extra + len(items)} more") if extra else 0
    text, shown = pack_lines(items, limit - reserve, sep=sep, more=lambda k: f"+{k + extra} more")
    if extra and shown == len(items):
        text = f"{text}{sep}+{extra} more" if text else f"+{extra} more"
    return text


# --- fitting embeds into one message --------------------------------------------------------------

def _clamp(embed: Embed) -> Embed:
    fields = tuple(
        Field(truncate_markdown(f.name.strip() or "—", FIELD_NAME_LIMIT),
              truncate_markdown(f.value.strip() or "—", FIELD_VALUE_LIMIT), f.inline)
        for f in embed.fields[:EMBED_FIELDS_LIMIT]
    )
    return replace(
        embed,
        title=truncate_markdown(embed.title, EMBED_TITLE_LIMIT) if embed.title else None,
        url=safe_url(embed.url),
        description=truncate_markdown(embed.description, EMBED_DESCRIPTION_LIMIT) if embed.description else None,
        fields=fields,
        footer=truncate(embed.footer, FOOTER_LIMIT) if embed.footer else None,
        author=truncate(embed.author, AUTHOR_LIMIT) if embed.author else None,
    )


def _total(embeds: Iterable[Embed]) -> int:
    return sum(e.total_chars() for e in embeds)


def _shrink(embed: Embed, over: int) -> Embed:
    """``embed`` made up to ``over`` characters smaller: its description first, then its fields
    from the end, then its footer and author; its title stays."""
    if embed.description and over > 0:
        room = len(embed.description) - over
        desc = truncate_markdown(embed.description, room) if room >= 40 else None
        over -= len(embed.description) - len(desc or "")
        embed = replace(embed, description=desc)
    fields = list(embed.fields)
    while fields and over > 0:
        last = fields[-1]
        room = len(last.value) - over
        if room >= 40:
            value = truncate_markdown(last.value, room)
            over -= len(last.value) - len(value)
            fields[-1] = replace(last, value=value)
        else:
            over -= len(last.name) + len(last.value)
            fields.pop()
    embed = replace(embed, fields=tuple(fields))
    for attr in ("footer", "author"):
        text = getattr(embed, attr)
        if over > 0 and text:
            new = truncate(text, len(text) - over) or None
            over -= len(text) - len(new or "")
            embed = replace(embed, **{attr: new})
    return embed


def fit_embeds(embeds: Sequence[Embed]) -> tuple[Embed, ...]:
    """``embeds`` made valid for one message: each within its own limits, at most 10, and 6000
    characters in all, trimming descriptions and fields of the last embeds first (then dropping
    the last embeds, should their titles alone be too much)."""
    out = [e for e in (_clamp(e) for e in embeds) if not e.is_empty()][:EMBEDS_PER_MESSAGE]
    for i in reversed(range(len(out))):
        over = _total(out) - EMBED_TOTAL_LIMIT
        if over <= 0:
            break
        out[i] = _shrink(out[i], over)
    out = [e for e in out if not e.is_empty()]
    while len(out) > 1 and _total(out) > EMBED_TOTAL_LIMIT:
        out.pop()
    over = _total(out) - EMBED_TOTAL_LIMIT
    if out and over > 0 and out[0].title:  # one embed of titles only cannot be over; kept for safety
        out[0] = replace(out[0], title=truncate_markdown(out[0].title, len(out[0].title) - over) or None)
    return tuple(e for e in out if not e.is_empty())
