"""HTTP fetching for feeds and pages: one shared session, SSRF-guarded, size-capped.

``Fetcher.fetch`` follows redirects itself (validating every hop), sends
conditional-GET validators, caps the *decompressed* body size while streaming,
and turns every failure into a :mod:`bot.errors` exception.
"""

from __future__ import annotations

import asyncio
import logging
import zlib
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import TypeVar

import aiohttp
from yarl import URL

from bot.errors import (
    BlockedAddressError,
    BriefbotError,
    FetchError,
    InvalidURLError,
    TooLargeError,
    TooManyRedirectsError,
)
from bot.ingest.netguard import AddressPolicy, BlockedResolutionError, GuardedResolver, check_url
from bot.ingest.types import FetchResult
from bot.settings import Settings

log = logging.getLogger(__name__)

DEFAULT_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, "
    "application/rdf+xml;q=0.9, application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, "
    "text/html;q=0.8, application/xhtml+xml;q=0.8, */*;q=0.5"
)
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_RETRY_AFTER_S = 86400.0
_CHUNK = 64 * 1024
T = TypeVar("T")


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date), clamped to [0, 1 day]."""
    if not value or not value.strip():
        return None
    value = value.strip()
    if value.isdigit():
        seconds = float(value)
    else:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        seconds = (when - (now or datetime.now(timezone.utc))).total_seconds()
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_S)


def _parse_content_type(value: str | None) -> tuple[str, str | None]:
    """``("text/html", "utf-8")`` from ``"text/HTML; charset=\"UTF-8\""``."""
    if not value:
        return "", None
    media, *params = value.split(";")
    charset = None
    for param in params:
        key, _, val = param.partition("=")
        if key.strip().lower() == "charset":
            charset = val.strip().strip("\"'").lower() or None
    return media.strip().lower(), charset


class _Decoder:
    """Incremental Content-Encoding decoder that never produces more than ``limit`` bytes."""

    def __init__(self, encoding: str, limit: int, url: str):
        self._encoding = encoding
        self._limit = limit
        self._url = url
        self._size = 0
        self._fed = False
        self._z: zlib._Decompress | None = None
        if encoding in ("gzip", "x-gzip"):
            self._z = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            self._z = zlib.decompressobj(zlib.MAX_WBITS)
            self._deflate_sniffed = False
            self._pending = b""
        elif encoding not in ("", "identity"):
            raise FetchError(f"unsupported Content-Encoding {encoding!r} from {url}")

    def _grow(self, n: int) -> None:
        self._size += n
        if self._size > self._limit:
            raise TooLargeError(f"body of {self._url} is larger than {self._limit} bytes (decompressed)")

    def feed(self, data: bytes) -> bytes:
        if self._z is None:
            self._grow(len(data))
            return data
        self._fed = self._fed or bool(data)
        if self._encoding == "deflate" and not self._deflate_sniffed:
            # "deflate" should be zlib-wrapped, but some servers send raw deflate.
            data = self._pending + data
            if len(data) < 2:
                self._pending = data
                return b""
            self._deflate_sniffed = True
            if (data[0] & 0x0F) != 8 or ((data[0] << 8) | data[1]) % 31:
                self._z = zlib.decompressobj(-zlib.MAX_WBITS)
        out = bytearray()
        try:
            while data:
                # At most one byte past the cap, so an oversized body is detected
                # without ever inflating more than that.
                room = self._limit - self._size + 1
                chunk = self._z.decompress(data, room)
                self._grow(len(chunk))
                out += chunk
                data = self._z.unconsumed_tail
                if self._z.eof and self._z.unused_data[:2] == b"\x1f\x8b" and self._encoding != "deflate":
                    data = self._z.unused_data  # another gzip member follows
                    self._z = zlib.decompressobj(16 + zlib.MAX_WBITS)
        except zlib.error as exc:
            raise FetchError(f"corrupt {self._encoding} body from {self._url}: {exc}") from None
        return bytes(out)

    def finish(self) -> None:
        if self._encoding == "deflate" and not self._deflate_sniffed and self._pending:
            raise FetchError(f"truncated deflate body from {self._url}")
        if self._z is not None and self._fed and not self._z.eof:
            raise FetchError(f"truncated {self._encoding} body from {self._url}")


def _find_blocked(exc: BaseException) -> BlockedResolutionError | None:
    """The BlockedResolutionError somewhere in the chain aiohttp wrapped it in, if any."""
    todo: list[BaseException | None] = [exc]
    seen: set[int] = set()
    while todo:
        err = todo.pop()
        if err is None or id(err) in seen:
            continue
        seen.add(id(err))
        if isinstance(err, BlockedResolutionError):
            return err
        todo += [getattr(err, "os_error", None), err.__cause__, err.__context__]
    return None


def _translate(exc: Exception, url: URL) -> BriefbotError:
    """One user-facing error for an aiohttp / OS / timeout exception."""
    where = f"{url.host}:{url.port}" if url.port else str(url.host)
    if blocked := _find_blocked(exc):
        return BlockedAddressError(str(blocked))
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return FetchError(f"timed out connecting to {where}")
    if isinstance(exc, aiohttp.SocketTimeoutError):
        return FetchError(f"timed out reading from {where}")
    if isinstance(exc, asyncio.TimeoutError):
        return FetchError(f"timed out fetching {url}")
    if isinstance(exc, aiohttp.InvalidURL):
        return InvalidURLError(f"not a valid URL: {str(url)[:200]!r}")
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        return FetchError(f"could not resolve host {url.host}")
    if isinstance(exc, aiohttp.ClientConnectorCertificateError | aiohttp.ClientSSLError):
        return FetchError(f"TLS error talking to {where}")
    if isinstance(exc, aiohttp.ClientConnectorError):
        os_error = exc.os_error
        reason = os_error.strerror or str(os_error).partition("\n")[0][:200] or type(os_error).__name__
        return FetchError(f"could not connect to {where}: {reason}")
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return FetchError(f"{where} closed the connection")
    if isinstance(exc, aiohttp.ClientPayloadError):
        return FetchError(f"incomplete response body from {where}")
    if isinstance(exc, aiohttp.ClientResponseError):
        return FetchError(f"invalid HTTP response from {where}")
    return FetchError(f"fetching {url} failed: {type(exc).__name__}")


def _pick(value: T | None, default: T) -> T:
    return default if value is None else value


class Fetcher:
    """Fetches URLs over one shared, SSRF-guarded ``aiohttp.ClientSession``.

    Use ``async with Fetcher(settings) as f:`` or call :meth:`close` when done.
    Keyword arguments override the corresponding settings.
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        policy: AddressPolicy | None = None,
        user_agent: str | None = None,
        max_bytes: int | None = None,
        max_redirects: int | None = None,
        connect_timeout: float | None = None,
        read_timeout: float | None = None,
        total_timeout: float | None = None,
        concurrency: int | None = None,
        per_host: int | None = None,
        dns_cache_ttl: int = 60,
    ):
        s = settings or Settings()
        self.policy = policy or AddressPolicy.from_settings(s)
        self.user_agent = _pick(user_agent, s.user_agent)
        self.max_bytes: int = _pick(max_bytes, s.fetch_max_bytes)
        self.max_redirects: int = _pick(max_redirects, s.fetch_max_redirects)
        self._timeout = aiohttp.ClientTimeout(
            total=_pick(total_timeout, s.fetch_total_timeout_s),
            # sock_connect (not connect) so time spent queued for a pool slot
            # under the concurrency limits does not count as a connect timeout.
            sock_connect=_pick(connect_timeout, s.fetch_connect_timeout_s),
            sock_read=_pick(read_timeout, s.fetch_read_timeout_s),
        )
        self._limit = _pick(concurrency, s.fetch_concurrency)
        self._per_host = _pick(per_host, s.fetch_per_host)
        self._dns_cache_ttl = dns_cache_ttl
        self._session: aiohttp.ClientSession | None = None
        self._closed = False

    def _get_session(self) -> aiohttp.ClientSession:
        if self._closed:
            raise RuntimeError("Fetcher is closed")
        if self._session is None:
            connector = aiohttp.TCPConnector(
                resolver=GuardedResolver(self.policy),
                limit=self._limit,
                limit_per_host=self._per_host,
                ttl_dns_cache=self._dns_cache_ttl,
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                timeout=self._timeout,
                headers={
                    "User-Agent": self.user_agent,
                    "Accept": DEFAULT_ACCEPT,
                    "Accept-Encoding": "gzip, deflate",
                },
                auto_decompress=False,  # we decompress ourselves, under the size cap
                cookie_jar=aiohttp.DummyCookieJar(),  # no cookies shared between sites
                trust_env=False,  # never route through an environment proxy
            )
        return self._session

    async def __aenter__(self) -> Fetcher:
        self._get_session()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def close(self) -> None:
        self._closed = True
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        accept: str | None = None,
    ) -> FetchResult:
        """GET ``url`` following up to ``max_redirects`` redirects; see the module docstring."""
        session = self._get_session()
        headers: dict[str, str] = {}
        if accept:
            headers["Accept"] = accept
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified

        current = check_url(url, self.policy)
        seen = {current}
        for hop in range(self.max_redirects + 1):
            log.debug("GET %s (hop %d)", current, hop)
            try:
                async with session.get(current, headers=headers, allow_redirects=False) as resp:
                    if resp.status in REDIRECT_STATUSES and resp.headers.get("Location"):
                        target = self._redirect_target(current, resp.headers["Location"])
                    else:
                        return await self._result(url, current, resp, etag, last_modified)
            except BriefbotError:
                raise
            except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
                raise _translate(exc, current) from exc
            if target in seen:
                raise TooManyRedirectsError(f"redirect loop at {target} (from {url})")
            seen.add(target)
            current = target
        raise TooManyRedirectsError(f"more than {self.max_redirects} redirects from {url}")

    def _redirect_target(self, current: URL, location: str) -> URL:
        try:
            target = current.join(URL(location.strip()))
        except ValueError:
            raise InvalidURLError(f"bad redirect Location from {current}: {location[:200]!r}") from None
        log.debug("redirect %s -> %s", current, target)
        return check_url(target, self.policy)

    async def _result(
        self,
        url: str,
        final: URL,
        resp: aiohttp.ClientResponse,
        etag: str | None,
        last_modified: str | None,
    ) -> FetchResult:
        status = resp.status
        if status in (429, 503):
            retry_after = parse_retry_after(resp.headers.get("Retry-After"))
            raise FetchError(f"HTTP {status} {resp.reason or ''}".rstrip(), status=status, retry_after=retry_after)
        if status >= 400 or (300 <= status < 400 and status != 304):
            raise FetchError(f"HTTP {status} {resp.reason or ''}".rstrip(), status=status)
        content_type, charset = _parse_content_type(resp.headers.get("Content-Type"))
        new_etag = resp.headers.get("ETag")
        new_modified = resp.headers.get("Last-Modified")
        if status == 304:
            return FetchResult(
                url=url,
                final_url=str(final),
                status=status,
                body=b"",
                content_type=content_type,
                charset=charset,
                etag=new_etag or etag,
                last_modified=new_modified or last_modified,
                not_modified=True,
            )
        body = await self._read_body(resp, final)
        return FetchResult(
            url=url,
            final_url=str(final),
            status=status,
            body=body,
            content_type=content_type,
            charset=charset,
            etag=new_etag,
            last_modified=new_modified,
        )

    async def _read_body(self, resp: aiohttp.ClientResponse, url: URL) -> bytes:
        """The decoded body; neither the wire size nor the decoded size may exceed ``max_bytes``."""
        cap = self.max_bytes
        if resp.content_length is not None and resp.content_length > cap:
            raise TooLargeError(f"body of {url} is {resp.content_length} bytes, over the {cap} byte cap")
        encodings = [e.strip().lower() for e in resp.headers.get("Content-Encoding", "").split(",")]
        encodings = [e for e in encodings if e and e != "identity"]
        if len(encodings) > 1:
            raise FetchError(f"unsupported Content-Encoding {', '.join(encodings)!r} from {url}")
        decoder = _Decoder(encodings[0] if encodings else "", cap, str(url))
        parts: list[bytes] = []
        wire = 0
        async for chunk in resp.content.iter_chunked(_CHUNK):
            wire += len(chunk)
            if wire > cap:
                raise TooLargeError(f"body of {url} is larger than {cap} bytes")
            parts.append(decoder.feed(chunk))
        decoder.finish()
        return b"".join(parts)
