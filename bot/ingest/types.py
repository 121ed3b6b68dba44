"""Typed values passed between the ingestion stages (fetch -> parse -> extract -> store)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class FetchResult:
    """One HTTP fetch. ``body`` is the decompressed body (empty when ``not_modified``)."""

    url: str  # the URL asked for
    final_url: str  # after redirects
    status: int
    body: bytes
    content_type: str  # media type only, lower case, e.g. "application/rss+xml"
    charset: str | None
    etag: str | None
    last_modified: str | None
    not_modified: bool = False


@dataclass(frozen=True, slots=True)
class FeedItem:
    """One entry of a feed, as the feed tells it."""

    guid: str | None
    link: str | None
    title: str | None
    summary: str | None  # plain-ish text or HTML from the feed's summary/description
    content: str | None  # the feed's full content (content:encoded, atom content), if any
    published: datetime | None  # timezone-aware UTC
    author: str | None


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """A parsed RSS / Atom / JSON Feed document."""

    kind: str  # "rss", "atom", "json" or "rdf"
    title: str | None
    link: str | None
    items: list[FeedItem] = field(default_factory=list)
    warning: str | None = None  # set when the parser recovered from malformed input


@dataclass(frozen=True, slots=True)
class ExtractedPage:
    """Main text and metadata of an article page."""

    text: str
    title: str | None
    author: str | None
    published: datetime | None  # timezone-aware UTC
    canonical_url: str | None
    language: str | None
