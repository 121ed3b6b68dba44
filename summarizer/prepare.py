"""What the analyzer does to a text before analysing it, never changing its length (offsets into
the prepared text index the text as given): lone surrogates become U+FFFD (see
:mod:`summarizer.textclean`), HTML markup becomes spaces, and the language is guessed.

Every step is linear in the text. Comments and script-like elements are found opener by opener,
with one search for the closer from there: a lazy ``<!--.*?-->`` regex rescanned the rest of the
text for every opener without a closer (quadratic: 64,000 characters of ``<!--`` took 5 s). No
closer after an opener means none after a later opener either, so the search stops there.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence

from summarizer.textclean import scrub

_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)\b[^<>]{0,2000}?>|<![^<>]{0,500}>")
_BLOCK_TAGS = {"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "table",
               "section", "article", "header", "footer", "blockquote", "figure", "figcaption", "title"}
_COMMENT = ("<!--", "-->")
_DROP_OPEN = re.compile(r"<(script|style|noscript)\b", re.I)
_DROP_CLOSE = {name: re.compile(rf"</{name}\s*>", re.I) for name in ("script", "style", "noscript")}
_EN_STOPWORDS = frozenset(
    "the of and to in a is that for on was with as by at from his her it be are has have said were will "
    "not he she they this an but its their after who which had been would".split()
)

Span = tuple[int, int]


def prepare_text(text: str) -> str:
    """The text the components analyse: scrubbed, and with markup blanked when it is HTML."""
    text = scrub(text)
    return blank_html(text) if looks_like_html(text) else text


def looks_like_html(text: str) -> bool:
    head = text[:5000]
    comments = _comments(head)
    markup = len(comments) + len(_tags_outside(head, comments))
    return markup >= 3 and ("</" in head or "<br" in head.lower() or "<!doctype" in head.lower())


def blank_html(text: str) -> str:
    """``text`` with markup replaced by spaces (block tags by a blank line), same length."""
    text = _blank_spans(text, _dropped_elements(text))
    comments = _comments(text)
    parts: list[str] = []
    last = 0
    for match in _tags_outside(text, comments):
        start, end = match.span()
        name = (match.group(2) or "").lower() if match.lastindex else ""
        blank = "\n\n" + " " * (end - start - 2) if name in _BLOCK_TAGS and end - start >= 2 else " " * (end - start)
        parts += [text[last:start], blank]
        last = end
    parts.append(text[last:])
    return _blank_spans("".join(parts), comments)


def is_english(text: str) -> bool:
    words = re.findall(r"[a-zA-Z']+", text[:20000].lower())
    if len(words) < 8:
        return bool(words)  # too short to tell: assume English
    return sum(w in _EN_STOPWORDS for w in words) / len(words) >= 0.12


def _tags_outside(text: str, comments: Sequence[Span]) -> list[re.Match[str]]:
    """Tags and declarations that do not start inside a comment. A tag holds no "<", so none starts
    before a comment and ends inside it: these and the comments are what one leftmost scan for
    "tag or comment" finds."""
    starts = [start for start, _ in comments]
    out = []
    for match in _TAG.finditer(text):
        i = bisect_right(starts, match.start()) - 1
        if i < 0 or match.start() >= comments[i][1]:
            out.append(match)
    return out


def _dropped_elements(text: str) -> list[Span]:
    """``<script ...>...</script>`` (and style, noscript) spans, leftmost first, without overlaps."""
    spans: list[Span] = []
    unclosed: set[str] = set()
    pos = 0
    while (opener := _DROP_OPEN.search(text, pos)) is not None:
        name = opener.group(1).lower()
        closer = None if name in unclosed else _DROP_CLOSE[name].search(text, opener.end())
        if closer is None:
            unclosed.add(name)
            pos = opener.start() + 1
            continue
        spans.append((opener.start(), closer.end()))
        pos = closer.end()
    return spans


def _comments(text: str) -> list[Span]:
    """``<!-- ... -->`` spans, leftmost first."""
    spans: list[Span] = []
    opening, closing = _COMMENT
    pos = 0
    while (start := text.find(opening, pos)) >= 0:
        end = text.find(closing, start + len(opening))
        if end < 0:
            break
        spans.append((start, end + len(closing)))
        pos = end + len(closing)
    return spans


def _blank_spans(text: str, spans: Sequence[Span]) -> str:
    if not spans:
        return text
    parts: list[str] = []
    last = 0
    for start, end in spans:
        parts += [text[last:start], " " * (end - start)]
        last = end
    parts.append(text[last:])
    return "".join(parts)


__all__ = ["blank_html", "is_english", "looks_like_html", "prepare_text"]
