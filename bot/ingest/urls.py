"""URL checks, URL normalisation for dedupe, and content hashing.

Pure functions, no I/O.

``normalize_url`` does its own work with :mod:`urllib.parse` rather than calling
``courlan.normalize_url`` / ``courlan.clean_url``: checked against courlan 1.4,
those keep the fragment, do not IDNA-encode the host, keep HubSpot's ``_hsenc``,
re-encode the query (``%20`` becomes ``+``), and their tracker pattern also drops
parameters that often carry meaning on news sites (``source``, ``uid``, ``session``,
``campaign``...). The tracker list below is explicit instead.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from urllib.parse import SplitResult, unquote, urlsplit, urlunsplit

from bot.errors import InvalidURLError

MAX_URL_LENGTH = 2048

_SCHEMES = ("http", "https")
_DEFAULT_PORTS = {"http": 80, "https": 443}

# Query parameters that only track the click, never select content. Compared lower-case.
_TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "gclsrc",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "twclid",
        "ttclid",
        "igshid",
        "igsh",
        "mc_cid",
        "mc_eid",
        "_hsenc",
        "_hsmi",
        "__hssc",
        "__hstc",
        "__hsfp",
        "hsctatracking",
        "ref_src",
        "ref_url",
        "_ga",
        "_gl",
        "mkt_tok",
        "oly_anon_id",
        "oly_enc_id",
        "vero_id",
        "vero_conv",
        "wickedid",
        "rb_clickid",
        "s_cid",
        "ocid",
        "cmpid",
        "icid",
        "spm",
        "share_source",
        "sr_share",
        "li_fat_id",
        "ncid",
        "guccounter",
        "guce_referrer",
        "guce_referrer_sig",
        "xtor",  # AT Internet (Piano) campaigns
    }
)
# Prefixes of tracking parameter families (utm_source, utm_medium, pk_campaign, ...; at_medium,
# at_campaign, at_ts: AT Internet / Piano Analytics, whose feeds stamp each poll).
_TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "matomo_", "itm_", "stm_", "hsa_", "_branch", "trk_", "at_")

_WS_RE = re.compile(r"\s+")
_PCT_RE = re.compile(r"%[0-9a-fA-F]{2}")
_CONTROL_RE = re.compile(r"[\x00-\x20\x7f]")

# Below this many characters of normalised text, the title is hashed too.
SHORT_TEXT_CHARS = 200


def _is_tracking(key: str) -> bool:
    k = unquote(key).strip().lower()
    return k in _TRACKING_PARAMS or k.startswith(_TRACKING_PREFIXES)


def _split(url: str) -> SplitResult:
    if not isinstance(url, str):
        raise InvalidURLError("That is not a URL.")
    try:
        return urlsplit(url.strip())
    except ValueError as exc:  # e.g. an unbalanced "[" in the host
        raise InvalidURLError(f"That URL is malformed: {exc}.") from None


def _hostname(parts: SplitResult) -> str:
    try:
        return parts.hostname or ""
    except ValueError:
        return ""


def _idna_host(host: str) -> str:
    """Lower-case, IDNA-encode (UTS 46, then IDNA 2003 as a fallback); never raises."""
    host = host.strip().rstrip(".").lower()
    if not host or host.isascii():
        return host
    if host.startswith("[") or ":" in host:  # IPv6 literal
        return host
    try:
        import idna

        return idna.encode(host, uts46=True).decode("ascii")
    except Exception:  # noqa: BLE001 - idna raises several unrelated types
        pass
    try:
        return host.encode("idna").decode("ascii")
    except (UnicodeError, ValueError):
        return host


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 section 5.2.4, for an absolute path."""
    if "." not in path:
        return path
    out: list[str] = []
    for seg in path.split("/"):
        if seg == "..":
            if len(out) > 1:
                out.pop()
        elif seg != ".":
            out.append(seg)
    if path.endswith(("/.", "/..")):
        out.append("")
    return "/".join(out) or "/"


def _upper_pct(s: str) -> str:
    return _PCT_RE.sub(lambda m: m.group(0).upper(), s)


def normalize_url(url: str) -> str:
    """Normalise ``url`` for dedupe.

    https for http, lower-case IDNA host without credentials, default port dropped,
    fragment dropped, tracking parameters removed, remaining parameters sorted by
    name (stable, so repeated names keep their order), dot segments resolved, path
    case kept, empty path made "/". Raises :class:`InvalidURLError` only for
    non-http(s) or host-less URLs.
    """
    parts = _split(url)
    scheme = parts.scheme.lower()
    if not scheme:
        raise InvalidURLError("That URL has no scheme; it must start with http:// or https://.")
    if scheme not in _SCHEMES:
        raise InvalidURLError(f"Only http:// and https:// URLs are supported, not {scheme}:.")
    host = _hostname(parts)
    if not host:
        raise InvalidURLError("That URL has no host name.")

    host = _idna_host(host)
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
        raw = parts.netloc.rsplit("@", 1)[-1]
        tail = raw.rsplit("]", 1)[-1] if raw.startswith("[") else raw
        if ":" in tail:
            host = f"{host}:{tail.rsplit(':', 1)[1].lower()}"
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        host = f"{host}:{port}"

    path = _upper_pct(_remove_dot_segments(parts.path or "/"))
    if not path.startswith("/"):
        path = "/" + path

    pairs = [p for p in parts.query.split("&") if p and not _is_tracking(p.split("=", 1)[0])]
    pairs.sort(key=lambda p: unquote(p.split("=", 1)[0]))
    query = _upper_pct("&".join(pairs))

    return urlunsplit(("https", host, path, query, ""))


def validate_source_url(url: str) -> str:
    """Check a URL a user gave as a source; return it stripped or raise :class:`InvalidURLError`."""
    if not isinstance(url, str):
        raise InvalidURLError("That is not a URL.")
    url = url.strip()
    if not url:
        raise InvalidURLError("The URL is empty.")
    if len(url) > MAX_URL_LENGTH:
        raise InvalidURLError(f"That URL is too long (over {MAX_URL_LENGTH} characters).")
    if _CONTROL_RE.search(url):
        raise InvalidURLError("That URL contains spaces or control characters.")
    parts = _split(url)
    scheme = parts.scheme.lower()
    if scheme not in _SCHEMES:
        if not scheme or "." in scheme:
            raise InvalidURLError("That URL has no scheme; it must start with http:// or https://.")
        raise InvalidURLError(f"Only http:// and https:// URLs are supported, not {scheme}://.")
    if not _hostname(parts):
        raise InvalidURLError("That URL has no host name.")
    if "@" in parts.netloc:
        raise InvalidURLError("URLs with a user name or password are not accepted.")
    try:
        parts.port  # noqa: B018 - validates the port
    except ValueError:
        raise InvalidURLError("That URL has an invalid port.") from None
    return url


def _normalise_text(s: str) -> str:
    return _WS_RE.sub(" ", unicodedata.normalize("NFKC", s).casefold()).strip()


def content_hash(title: str | None, text: str) -> str:
    """sha256 hex of the normalised text (NFKC, casefold, whitespace collapsed).

    When the normalised text is shorter than ``SHORT_TEXT_CHARS`` the normalised
    title is hashed with it, so two short teasers with different headlines differ.
    """
    body = _normalise_text(text or "")
    if len(body) < SHORT_TEXT_CHARS:
        body = _normalise_text(title or "") + "\n" + body
    return hashlib.sha256(body.encode("utf-8", "surrogatepass")).hexdigest()
