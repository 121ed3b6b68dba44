"""What a parsed feed or extracted page may hand on: clean text, every field bounded.

Applied at the parse edge, so nothing downstream (hashing, URL keys, the database) meets a lone
surrogate, a NUL or a field too long for its column. The bounds match the storage columns
(bot/storage/models.py); display text is cut with a marker, a URL too long to store or of a scheme
other than http(s) is dropped (the item falls back to its GUID or its feed text), and a GUID too
long to store is replaced by its digest, which identifies it as well.
"""

from __future__ import annotations

import hashlib
import re

MAX_TITLE_CHARS = 1000
MAX_AUTHOR_CHARS = 512
MAX_URL_CHARS = 2048
MAX_GUID_CHARS = 1024
MAX_TEXT_CHARS = 2_000_000  # the summarizer's limit on one text
MAX_WARNING_CHARS = 200
MARKER = "…"

# Lone surrogates (JSON "\ud83d", XML character references) and NUL: no database stores them,
# and encoding them to UTF-8 raises. Each becomes U+FFFD, one code point for one.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_SCHEME = re.compile(r"\s*([A-Za-z][A-Za-z0-9+.-]*):")


def scrub(value: str) -> str:
    """``value`` with lone surrogates and NUL replaced by U+FFFD (same length)."""
    return _UNSTORABLE.sub("\ufffd", value)


def display(value: str | None, limit: int) -> str | None:
    """Clean display text cut to ``limit`` characters, ending with a marker when cut."""
    if value is None:
        return None
    value = scrub(value)
    if len(value) <= limit:
        return value
    return value[: limit - len(MARKER)].rstrip() + MARKER


def url(value: str | None) -> str | None:
    """A clean URL, or None when it is too long to store (or to request) or of a scheme other than
    http(s) (javascript:, data:, mailto: ... are no use as a link, and Discord refuses them)."""
    if value is None or len(value) > MAX_URL_CHARS:
        return None
    scheme = _SCHEME.match(value)
    if scheme and scheme.group(1).lower() not in ("http", "https"):
        return None
    return scrub(value)


def guid(value: str | None) -> str | None:
    """A clean GUID; one too long to store is replaced by its sha256 (stable, so still an identity)."""
    if value is None:
        return None
    value = scrub(value)
    if len(value) <= MAX_GUID_CHARS:
        return value
    return "sha256:" + hashlib.sha256(value.encode("utf-8")).hexdigest()
