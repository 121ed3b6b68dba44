"""Feed parsing (RSS 0.9x/1.0/2.0, Atom 0.3/1.0, JSON Feed 1.0/1.1) and feed autodiscovery.

Pure functions: bytes in, typed values out. feedparser 6.0 has no JSON Feed
support, so JSON Feed is parsed here with :mod:`json`.
"""

from __future__ import annotations

import dataclasses
import io
import json
import re
import warnings
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser
import lxml.etree
import lxml.html

from bot.errors import ParseError
from bot.ingest import limits
from bot.ingest.extract import html_to_text
from bot.ingest.types import FeedItem, ParsedFeed

__all__ = ["discover_feeds", "looks_like_html", "parse_feed"]

FEED_TYPES = frozenset(
    {
        "application/rss+xml",
        "application/atom+xml",
        "application/feed+json",
        "application/json",
        "application/rdf+xml",
    }
)

_XML_TYPES = ("application/xml", "text/xml")
# Exceptions feedparser reports through ``bozo`` that say nothing about the document
# being malformed: we choose the media type ourselves, and an encoding override is
# feedparser recovering from a wrong label, not from broken markup.
_BENIGN_BOZO = (feedparser.NonXMLContentType, feedparser.CharacterEncodingOverride)

_SNIFF_BYTES = 2048
# Whitespace, XML declaration, comments, processing instructions and doctypes
# before the root element.
_PREAMBLE_ITEM_RE = re.compile(
    rb"\s+|<\?[^>]*\?>|<!--.*?-->|<!doctype\s[^>\[]*(?:\[.*?\])?\s*>",
    re.IGNORECASE | re.DOTALL,
)
_HTML_DOCTYPE_RE = re.compile(rb"<!doctype\s+html", re.IGNORECASE)
_FEED_ROOT_RE = re.compile(rb"\A<(?:[\w.-]+:)?(?:rss|feed|rdf)\b", re.IGNORECASE)
_HTML_ROOT_RE = re.compile(rb"\A<(?:html|head|body)\b", re.IGNORECASE)
_HTML_TAGS_RE = re.compile(rb"<(?:html|head|body|div|script|meta|title|p)\b", re.IGNORECASE)
_WS_RE = re.compile(r"\s+")
_DOCTYPE_SUBSET_RE = re.compile(rb"(<!DOCTYPE[^\[>]*\[)(.*?)(\]\s*>)", re.DOTALL)
_SAFE_ENTITY_RE = re.compile(
    rb"""<!ENTITY\s+([A-Za-z_][\w.-]*)\s+(?:"([^"&%<]{0,64}|&\#x?[0-9A-Fa-f]{1,8};)"|'([^'&%<]{0,64}|&\#x?[0-9A-Fa-f]{1,8};)')\s*>"""
)
_PROLOG_BYTES = 64 * 1024  # a DOCTYPE further in is not in the prolog
MAX_TITLE_CHARS = limits.MAX_TITLE_CHARS
# C0/C1 controls other than whitespace: illegal in XML 1.0, junk in a title.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

_KINDS = {"rss090": "rdf", "rss10": "rdf", "atom": "atom", "rss": "rss", "cdf": "rss"}


def _ascii_head(body: bytes, *, keep_doctype: list[bytes] | None = None) -> bytes:
    """The start of ``body`` as ASCII-compatible bytes, BOM and preamble removed.

    Doctypes met on the way are appended to ``keep_doctype`` when given.
    """
    head = body[: _SNIFF_BYTES * 2]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        head = head.decode("utf-16", "ignore").encode("utf-8", "ignore")
    elif head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    pos = 0
    for _ in range(64):
        match = _PREAMBLE_ITEM_RE.match(head, pos)
        if not match or match.end() == pos:
            break
        if keep_doctype is not None and match.group(0)[:2] == b"<!" and match.group(0)[:4] != b"<!--":
            keep_doctype.append(match.group(0))
        pos = match.end()
    return head[pos : pos + _SNIFF_BYTES]


def _media_type(content_type: str | None) -> tuple[str, str | None]:
    if not content_type:
        return "", None
    media, _, params = content_type.partition(";")
    charset = None
    for param in params.split(";"):
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset" and value.strip():
            charset = value.strip().strip("\"'")
    return media.strip().lower(), charset


def looks_like_html(body: bytes, content_type: str | None) -> bool:
    """True when ``body`` is an HTML page rather than a feed.

    The bytes decide first (a feed root element wins over a ``text/html`` label,
    since misconfigured servers send feeds as HTML); the media type only breaks ties.
    """
    doctypes: list[bytes] = []
    head = _ascii_head(body or b"", keep_doctype=doctypes)
    if _FEED_ROOT_RE.match(head) or head.startswith((b"{", b"[")):
        return False
    if _HTML_ROOT_RE.match(head) or any(_HTML_DOCTYPE_RE.match(d) for d in doctypes):
        return True
    media, _ = _media_type(content_type)
    if media in ("text/html", "application/xhtml+xml"):
        return True
    # No telling root: an HTML fragment starting with common tags.
    return bool(_HTML_TAGS_RE.match(head))


# ---------------------------------------------------------------- helpers


def _clean_line(text: str | None) -> str | None:
    if text is None:
        return None
    text = _WS_RE.sub(" ", _CONTROL_RE.sub("", str(text))).strip()
    return text or None


def _plain(value: str | None, detail: Any = None) -> str | None:
    """A single-line plain-text version of a title (markup removed when it is HTML)."""
    if not value or not isinstance(value, str):
        return None
    value = value[: MAX_TITLE_CHARS * 20]
    ctype = ""
    if detail is not None:
        try:
            ctype = (detail.get("type") or "").lower()
        except AttributeError:
            ctype = ""
    if "html" in ctype or ("<" in value and ">" in value and not ctype.startswith("text/plain")):
        value = html_to_text(value)
    return _clean_line(value)  # cut to MAX_TITLE_CHARS, with a marker, by _bounded


def _absolute(link: str | None, base: str | None) -> str | None:
    link = (link or "").strip()
    if not link:
        return None
    if base:
        try:
            link = urljoin(base, link)
        except ValueError:
            return link
    return link


def _struct_to_dt(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime(*tuple(value)[:6], tzinfo=UTC)
    except (TypeError, ValueError, OverflowError):
        return None


def _parse_date_string(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    try:
        dt = datetime.fromisoformat(text)
    except ValueError:
        dt = None
    if dt is not None:
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=UTC)
        return dt.astimezone(UTC)
    try:
        from feedparser.datetimes import _parse_date

        return _struct_to_dt(_parse_date(text))
    except Exception:  # noqa: BLE001 - third-party date parsers on arbitrary text
        return None


def _name(value: Any) -> str | None:
    if isinstance(value, str):
        return _clean_line(value)
    if isinstance(value, dict):
        return _clean_line(value.get("name") if isinstance(value.get("name"), str) else None)
    return None


# ---------------------------------------------------------------- JSON Feed


def _looks_like_json(head: bytes, media: str) -> bool:
    return head.startswith(b"{") or (("json" in media) and not head.startswith(b"<"))


def _parse_json_feed(body: bytes, url: str | None) -> ParsedFeed:
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = body.decode("utf-16")
        except UnicodeDecodeError:
            raise ParseError("The JSON is not valid UTF-8.") from None
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise ParseError("This is not a feed: the JSON is malformed.") from None
    if not isinstance(data, dict):
        raise ParseError("This JSON document is not a JSON Feed.")
    version = data.get("version")
    items_raw = data.get("items")
    is_jsonfeed = isinstance(version, str) and "jsonfeed.org/version/" in version
    if not is_jsonfeed and not isinstance(items_raw, list):
        raise ParseError("This JSON document is not a JSON Feed.")
    if not isinstance(items_raw, list):
        items_raw = []

    def s(obj: dict[str, Any], key: str) -> str | None:
        value = obj.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        return value.strip() if isinstance(value, str) and value.strip() else None

    base = url
    home = s(data, "home_page_url")
    feed_link = _absolute(home, base)
    items: list[FeedItem] = []
    for raw in items_raw:
        if not isinstance(raw, dict):
            continue
        guid = s(raw, "id")
        link = _absolute(s(raw, "url") or s(raw, "external_url"), base or feed_link)
        title = _clean_line(s(raw, "title"))
        if not (guid or link or title):
            continue
        html, txt = s(raw, "content_html"), s(raw, "content_text")
        authors = raw.get("authors")
        author = None
        if isinstance(authors, list):
            names = [n for n in (_name(a) for a in authors) if n]
            author = ", ".join(names) or None
        author = author or _name(raw.get("author"))
        items.append(
            FeedItem(
                guid=guid,
                link=link,
                title=title,
                summary=s(raw, "summary"),
                content=html or txt,
                published=_parse_date_string(raw.get("date_published"))
                or _parse_date_string(raw.get("date_modified")),
                author=author,
            )
        )
    return ParsedFeed(kind="json", title=_clean_line(s(data, "title")), link=feed_link, items=items)


# ---------------------------------------------------------------- XML feeds


def _longest_content(entry: Any) -> str | None:
    best = None
    for block in entry.get("content") or ():
        try:
            value = block.get("value")
        except AttributeError:
            continue
        if isinstance(value, str) and value.strip() and (best is None or len(value) > len(best)):
            best = value
    return best


def _entry_author(entry: Any) -> str | None:
    detail = entry.get("author_detail")
    if detail:
        name = _clean_line(detail.get("name"))
        if name:
            return name
    return _clean_line(entry.get("author"))


def _entry_link(entry: Any, base: str | None, kind: str) -> str | None:
    link = entry.get("link")
    if link and entry.get("guidislink"):
        # feedparser copied the guid/id into the link. RSS says a permalink guid is
        # the item's URL; take it only when it is an absolute http(s) URL. An Atom
        # id is an identifier, never a link.
        if kind == "atom" or urlsplit(link.strip()).scheme.lower() not in ("http", "https"):
            link = None
    if not link:
        # feedparser only promotes rel="alternate" links; fall back to the first
        # link that is not an enclosure or the feed itself.
        for candidate in entry.get("links") or ():
            rel = (candidate.get("rel") or "alternate").lower()
            if rel not in ("enclosure", "self", "replies", "edit", "license") and candidate.get("href"):
                link = candidate["href"]
                break
    link = _absolute(link, base)
    if link:
        scheme = urlsplit(link).scheme.lower()
        if scheme and scheme not in ("http", "https"):
            return None  # javascript:, mailto:, tag: ... are no use as an article link
    return link


def _feed_link(feed: Any, base: str | None, version: str) -> str | None:
    link = feed.get("link")
    if link and feed.get("guidislink") and version.startswith("atom"):
        link = None  # copied from the Atom feed <id>, an identifier, not a link
    if not link:
        # An atom:link rel="alternate" in RSS whose prefix is undeclared: the
        # lenient parser files it under "atom_link" instead of "links".
        stray = feed.get("atom_link")
        if isinstance(stray, dict) and (stray.get("rel") or "alternate") == "alternate":
            link = stray.get("href")
    link = _absolute(link, base)
    if link and urlsplit(link).scheme.lower() not in ("http", "https"):
        return None
    return link


def _root_kind(body: bytes) -> str | None:
    """The feed kind told by the root element alone (for documents feedparser gives no version)."""
    match = _FEED_ROOT_RE.match(_ascii_head(body))
    if not match:
        return None
    name = match.group(0).lower().rsplit(b":", 1)[-1].lstrip(b"<")
    return {b"rss": "rss", b"feed": "atom", b"rdf": "rdf"}.get(name)


def _kind(version: str, result: Any, root_kind: str | None = None) -> str:
    for prefix, kind in _KINDS.items():
        if version.startswith(prefix):
            return kind
    if root_kind:
        return root_kind
    namespaces = result.get("namespaces") or {}
    if any("purl.org/rss/1.0" in str(ns) for ns in namespaces.values()):
        return "rdf"
    if any("w3.org/2005/Atom" in str(ns) or "purl.org/atom" in str(ns) for ns in namespaces.values()):
        return "atom"
    return "rss"


def _feedparser_headers(content_type: str | None) -> dict[str, str]:
    """Headers for feedparser's RFC 3023 encoding rules.

    Always an XML media type: feedparser treats ``text/*`` without a charset as
    us-ascii, and headers without a content type as iso-8859-1; both are wrong for
    the modern web, where the XML declaration and BOM are the reliable signals.

    No ``content-location``: feedparser would resolve every guid/id against it
    ("abc123" becomes "https://host/path/abc123"), so guids would change with the
    URL the feed was fetched from and non-URL guids would turn into bogus links.
    Links are resolved against the feed URL here instead (after xml:base, which
    feedparser applies).
    """
    media, charset = _media_type(content_type)
    if not (media in _XML_TYPES or media.endswith("+xml")) or media.startswith("text/"):
        media = "application/xml"
    return {"content-type": f"{media}; charset={charset}" if charset else media}


def parse_feed(body: bytes, *, url: str | None = None, content_type: str | None = None) -> ParsedFeed:
    """Parse feed bytes. Raises :class:`ParseError` (only) when they are not a feed."""
    if isinstance(body, str):
        body = body.encode("utf-8")
    elif isinstance(body, (bytearray, memoryview)):
        body = bytes(body)
    if not isinstance(body, bytes):
        raise ParseError("Nothing to parse.")
    if not body.strip():
        raise ParseError("The response was empty.")
    try:
        head = _ascii_head(body)
        media, _ = _media_type(content_type)
        if _looks_like_json(head, media):
            return _bounded(_parse_json_feed(body, url))
        if looks_like_html(body, content_type):
            raise ParseError("This is an HTML page, not a feed.")
        return _bounded(_parse_xml_feed(body, url, content_type))
    except ParseError:
        raise
    except Exception as exc:  # noqa: BLE001 - never let parser bugs escape on hostile bytes
        raise ParseError(f"This feed could not be parsed ({type(exc).__name__}).") from exc


def _bounded_item(item: FeedItem) -> FeedItem:
    return dataclasses.replace(
        item,
        guid=limits.guid(item.guid),
        link=limits.url(item.link),
        title=limits.display(item.title, limits.MAX_TITLE_CHARS),
        summary=limits.display(item.summary, limits.MAX_TEXT_CHARS),
        content=limits.display(item.content, limits.MAX_TEXT_CHARS),
        author=limits.display(item.author, limits.MAX_AUTHOR_CHARS),
    )


def _bounded(feed: ParsedFeed) -> ParsedFeed:
    """``feed`` with every string clean and within its bound (see :mod:`bot.ingest.limits`)."""
    return ParsedFeed(
        kind=feed.kind,
        title=limits.display(feed.title, limits.MAX_TITLE_CHARS),
        link=limits.url(feed.link),
        items=[_bounded_item(item) for item in feed.items],
        warning=limits.display(feed.warning, limits.MAX_WARNING_CHARS),
    )


def _defuse_dtd(body: bytes) -> bytes:
    """Keep only harmless entity declarations in a DOCTYPE internal subset.

    Nested (``&a;&a;...``), parameter, external and long entities are dropped:
    expat would expand nested ones up to its amplification limit (hundreds of MB
    for a 5 MB body) and feedparser's lenient parser expands declared ones without
    any limit. References to dropped entities make the document ill-formed, which
    feedparser recovers from.
    """
    start = body.find(b"<!DOCTYPE", 0, _PROLOG_BYTES)
    if start < 0 or b"<!ENTITY" not in body:
        return body
    match = _DOCTYPE_SUBSET_RE.match(body, start)
    if not match:
        return body
    # One declaration a line: feedparser's own DOCTYPE rewriting only sees
    # declarations at the start of a line.
    safe = b"".join(b"\n" + m.group(0) for m in _SAFE_ENTITY_RE.finditer(match.group(2))) + b"\n"
    return body[: match.start(2)] + safe + body[match.end(2) :]


def _parse_xml_feed(body: bytes, url: str | None, content_type: str | None) -> ParsedFeed:
    body = _defuse_dtd(body)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # A stream, never the bytes themselves: feedparser.parse() treats a bytes
        # argument as a possible *file name* and would open a local file by that name.
        result = feedparser.parse(
            io.BytesIO(body),
            response_headers=_feedparser_headers(content_type),
            resolve_relative_uris=True,
            sanitize_html=True,
        )
    feed = result.get("feed") or {}
    entries = result.get("entries") or []
    version = result.get("version") or ""
    bozo_exc = result.get("bozo_exception") if result.get("bozo") else None
    warning = None
    if bozo_exc is not None and not isinstance(bozo_exc, _BENIGN_BOZO):
        warning = _clean_line(str(bozo_exc)) or type(bozo_exc).__name__
        warning = warning[:200]

    base = url
    feed_title = _plain(feed.get("title"), feed.get("title_detail"))
    feed_link = _feed_link(feed, base, version)

    root_kind = _root_kind(body)
    if not version and not entries and not feed_title and not root_kind:
        if warning:
            raise ParseError(f"This is not a feed (XML error: {warning}).")
        raise ParseError("This is not a feed.")
    if not version and not warning and not root_kind:
        warning = "unrecognised feed format"
    kind = _kind(version, result, root_kind)

    items: list[FeedItem] = []
    for entry in entries:
        guid = _clean_line(entry.get("id") or entry.get("guid"))
        link = _entry_link(entry, base, kind)
        title = _plain(entry.get("title"), entry.get("title_detail"))
        if not (guid or link or title):
            continue
        summary = entry.get("summary")
        items.append(
            FeedItem(
                guid=guid,
                link=link,
                title=title,
                summary=summary if isinstance(summary, str) and summary.strip() else None,
                content=_longest_content(entry),
                published=_struct_to_dt(entry.get("published_parsed"))
                or _struct_to_dt(entry.get("updated_parsed")),
                author=_entry_author(entry),
            )
        )
    return ParsedFeed(
        kind=kind,
        title=feed_title,
        link=feed_link,
        items=items,
        warning=warning,
    )


# ---------------------------------------------------------------- discovery


def discover_feeds(html: bytes | str, base_url: str) -> list[str]:
    """Feed URLs announced by ``<link rel="alternate" type=...>`` in document order, absolute, deduped."""
    if not html:
        return []
    try:
        if isinstance(html, str):
            html = html.encode("utf-8", "replace")
        doc = lxml.html.document_fromstring(html)
    except (ValueError, TypeError, lxml.etree.LxmlError):
        return []
    base = base_url
    for el in doc.iter("base"):
        href = (el.get("href") or "").strip()
        if href:
            try:
                base = urljoin(base_url, href)
            except ValueError:
                pass
            break
    found: list[str] = []
    seen: set[str] = set()
    for el in doc.iter("link", "{http://www.w3.org/1999/xhtml}link"):
        rels = (el.get("rel") or "").lower().split()
        if "alternate" not in rels:
            continue
        ctype = (el.get("type") or "").split(";", 1)[0].strip().lower()
        if ctype not in FEED_TYPES:
            continue
        href = (el.get("href") or "").strip()
        if not href:
            continue
        try:
            absolute = urljoin(base, href)
        except ValueError:
            continue
        if urlsplit(absolute).scheme.lower() not in ("http", "https"):
            continue
        if absolute not in seen:
            seen.add(absolute)
            found.append(absolute)
    return found
