"""Fetcher against real loopback servers, with the SSRF guard on.

The test server listens on 127.0.0.2 and the policy allows only 127.0.0.2/32, so
everything else on loopback (127.0.0.1, ::1, localhost) is refused, as it would
be in production. A tripwire refuses any outgoing connection to a non-loopback
address, so a regression in the guard can never reach 10.0.0.1 and friends.
"""

from __future__ import annotations

import asyncio
import gzip
import socket
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from typing import Any
from urllib.parse import quote

import aiohappyeyeballs
import aiohttp.connector
import pytest
from aiohttp import web

import bot.ingest.fetch as fetch_module
from bot.errors import BlockedAddressError, FetchError, InvalidURLError, TooLargeError, TooManyRedirectsError
from bot.ingest.fetch import DEFAULT_ACCEPT, Fetcher, parse_retry_after
from bot.ingest.netguard import AddressPolicy
from bot.settings import Settings

HOST = "127.0.0.2"
CAP = 64 * 1024
FEED = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'
LAST_MODIFIED = "Wed, 21 Oct 2015 07:28:00 GMT"


# --- safety net: record every connection attempt, refuse non-loopback ones -------


@pytest.fixture(autouse=True)
def connect_log(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    attempts: list[tuple[str, int]] = []
    real = aiohappyeyeballs.start_connection

    async def guarded(addr_infos: list[Any], **kwargs: Any) -> socket.socket:
        for info in addr_infos:
            host, port = info[4][0], info[4][1]
            attempts.append((host, port))
            if not (host.startswith("127.") or host == "::1"):
                raise OSError(f"tripwire: test tried to connect to {host}:{port}")
        return await real(addr_infos, **kwargs)

    monkeypatch.setattr(aiohttp.connector.aiohappyeyeballs, "start_connection", guarded)
    return attempts


# --- test server --------------------------------------------------------------------


@dataclass
class Server:
    port: int
    stop: asyncio.Event
    stats: dict[str, Any] = field(default_factory=dict)

    def url(self, path: str) -> str:
        return f"http://{HOST}:{self.port}{path}"


def _bomb() -> bytes:
    """~50 MB of zeros, gzip-compressed (about 50 KB)."""
    comp = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = bytes(1024 * 1024)
    return b"".join(comp.compress(zeros) for _ in range(50)) + comp.flush()


@pytest.fixture(scope="module")
def bomb() -> bytes:
    return _bomb()


TEXT = b"".join(b"line %d of a perfectly ordinary feed body\n" % i for i in range(4000))  # ~170 KB


def build_app(stats: dict[str, Any], stop: asyncio.Event, bomb: bytes) -> web.Application:
    routes = web.RouteTableDef()
    stats.update(bodies_sent=0, headers=None, in_flight=0, max_in_flight=0, stream_written=0)

    @routes.get("/plain")
    async def plain(request: web.Request) -> web.Response:
        return web.Response(
            body=FEED,
            headers={
                "Content-Type": 'Application/RSS+XML; Charset="UTF-8"',
                "ETag": '"v1"',
                "Last-Modified": LAST_MODIFIED,
            },
        )

    @routes.get("/headers")
    async def headers(request: web.Request) -> web.Response:
        stats["headers"] = dict(request.headers)
        return web.Response(text="ok")

    @routes.get("/cond")
    async def cond(request: web.Request) -> web.Response:
        if request.headers.get("If-None-Match") == '"v1"':
            return web.Response(status=304, headers={"ETag": '"v1"'})
        if request.headers.get("If-Modified-Since") == LAST_MODIFIED:
            return web.Response(status=304)  # no validators in the 304
        stats["bodies_sent"] += 1
        return web.Response(body=FEED, headers={"ETag": '"v1"', "Last-Modified": LAST_MODIFIED})

    @routes.get("/r/{n}")
    async def redirect_chain(request: web.Request) -> web.Response:
        n = int(request.match_info["n"])
        if n == 0:
            return web.Response(text="end of chain")
        # Alternate absolute and relative Locations.
        location = f"http://{HOST}:{request.url.port}/r/{n - 1}" if n % 2 else f"{n - 1}"
        raise web.HTTPFound(location)

    @routes.get("/loop/{x}")
    async def loop(request: web.Request) -> web.Response:
        raise web.HTTPMovedPermanently("/loop/b" if request.match_info["x"] == "a" else "/loop/a")

    @routes.get("/to")
    async def redirect_to(request: web.Request) -> web.Response:
        raise web.HTTPFound(request.query["u"])

    @routes.get("/big-cl")
    async def big_cl(request: web.Request) -> web.Response:
        return web.Response(body=b"x" * (CAP + 1))

    @routes.get("/stream")
    async def stream(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse()
        resp.enable_chunked_encoding()
        await resp.prepare(request)
        try:
            for _ in range(1024):  # up to 16 MB, unless the client hangs up first
                await resp.write(b"y" * 16384)
                stats["stream_written"] += 16384
        except (ConnectionError, RuntimeError):
            pass
        return resp

    @routes.get("/bomb")
    async def bomb_route(request: web.Request) -> web.Response:
        return web.Response(body=bomb, headers={"Content-Encoding": "gzip", "Content-Type": "text/plain"})

    @routes.get("/gzip")
    async def gzip_route(request: web.Request) -> web.Response:
        return web.Response(body=gzip.compress(TEXT), headers={"Content-Encoding": "gzip"})

    @routes.get("/gzip2")
    async def gzip_members(request: web.Request) -> web.Response:
        body = gzip.compress(TEXT[:1000]) + gzip.compress(TEXT[1000:2000])
        return web.Response(body=body, headers={"Content-Encoding": "gzip"})

    @routes.get("/deflate")
    async def deflate(request: web.Request) -> web.Response:
        return web.Response(body=zlib.compress(TEXT), headers={"Content-Encoding": "deflate"})

    @routes.get("/rawdeflate")
    async def rawdeflate(request: web.Request) -> web.Response:
        comp = zlib.compressobj(6, zlib.DEFLATED, -15)
        return web.Response(body=comp.compress(TEXT) + comp.flush(), headers={"Content-Encoding": "deflate"})

    @routes.get("/truncated-gzip")
    async def truncated(request: web.Request) -> web.Response:
        return web.Response(body=gzip.compress(TEXT)[:500], headers={"Content-Encoding": "gzip"})

    @routes.get("/corrupt-gzip")
    async def corrupt(request: web.Request) -> web.Response:
        return web.Response(body=b"\x1f\x8b\x08\x00garbage-garbage", headers={"Content-Encoding": "gzip"})

    @routes.get("/brotli")
    async def brotli(request: web.Request) -> web.Response:
        return web.Response(body=b"\x0b\x02\x80hi\x03", headers={"Content-Encoding": "br"})

    @routes.get("/binary")
    async def binary(request: web.Request) -> web.Response:
        return web.Response(
            body=b"\xff\xfe\x00\x80 not utf-8 \xc3\x28", headers={"Content-Type": "text/html; charset=utf-8"}
        )

    @routes.get("/slow")
    async def slow(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "text/plain"})
        await resp.prepare(request)
        await resp.write(b"first bytes...")
        await stop.wait()  # stall until the test is over
        return resp

    @routes.get("/status/{code}")
    async def status(request: web.Request) -> web.Response:
        headers = {}
        if "ra" in request.query:
            headers["Retry-After"] = request.query["ra"]
        return web.Response(status=int(request.match_info["code"]), text="no", headers=headers)

    @routes.get("/hold")
    async def hold(request: web.Request) -> web.Response:
        stats["in_flight"] += 1
        stats["max_in_flight"] = max(stats["max_in_flight"], stats["in_flight"])
        if stats["in_flight"] >= 2:
            stats["release"].set()
        await stats["release"].wait()
        stats["in_flight"] -= 1
        return web.Response(text="held")

    app = web.Application()
    app.add_routes(routes)
    return app


@pytest.fixture
async def server(bomb: bytes) -> AsyncIterator[Server]:
    stop = asyncio.Event()
    stats: dict[str, Any] = {}
    app = build_app(stats, stop, bomb)
    stats["release"] = asyncio.Event()
    runner = web.AppRunner(app, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, HOST, 0)
    await site.start()
    port = runner.addresses[0][1]
    yield Server(port=port, stop=stop, stats=stats)
    stop.set()
    await runner.cleanup()


def make_fetcher(**kwargs: Any) -> Fetcher:
    settings = Settings(
        _env_file=None,
        fetch_allow_private=False,
        fetch_allowed_networks=[f"{HOST}/32"],
        fetch_max_bytes=CAP,
        fetch_connect_timeout_s=2,
        fetch_read_timeout_s=5,
        fetch_total_timeout_s=10,
        fetch_contact="ops@example.org",
    )
    return Fetcher(settings, **kwargs)


@pytest.fixture
async def fetcher() -> AsyncIterator[Fetcher]:
    async with make_fetcher() as f:
        yield f


# --- plain fetching --------------------------------------------------------------------


async def test_plain_200(server: Server, fetcher: Fetcher) -> None:
    result = await fetcher.fetch(server.url("/plain"))
    assert result.status == 200
    assert result.body == FEED
    assert result.url == result.final_url == server.url("/plain")
    assert result.content_type == "application/rss+xml"
    assert result.charset == "utf-8"
    assert result.etag == '"v1"'
    assert result.last_modified == LAST_MODIFIED
    assert result.not_modified is False


async def test_request_headers(server: Server, fetcher: Fetcher) -> None:
    await fetcher.fetch(server.url("/headers"))
    sent = server.stats["headers"]
    assert sent["User-Agent"].startswith("Briefbot/")
    assert "ops@example.org" in sent["User-Agent"]
    assert sent["Accept-Encoding"] == "gzip, deflate"
    assert sent["Accept"] == DEFAULT_ACCEPT
    assert "If-None-Match" not in sent and "Cookie" not in sent

    await fetcher.fetch(server.url("/headers"), accept="text/html", etag='"e"', last_modified=LAST_MODIFIED)
    sent = server.stats["headers"]
    assert sent["Accept"] == "text/html"
    assert sent["If-None-Match"] == '"e"'
    assert sent["If-Modified-Since"] == LAST_MODIFIED


async def test_undecodable_bytes_are_returned_as_bytes(server: Server, fetcher: Fetcher) -> None:
    result = await fetcher.fetch(server.url("/binary"))
    assert result.body == b"\xff\xfe\x00\x80 not utf-8 \xc3\x28"
    assert (result.content_type, result.charset) == ("text/html", "utf-8")


# --- conditional GET -----------------------------------------------------------------


async def test_conditional_get_with_etag(server: Server, fetcher: Fetcher) -> None:
    first = await fetcher.fetch(server.url("/cond"))
    assert first.status == 200 and first.body == FEED
    assert server.stats["bodies_sent"] == 1

    second = await fetcher.fetch(server.url("/cond"), etag=first.etag, last_modified=first.last_modified)
    assert second.not_modified is True
    assert second.status == 304
    assert second.body == b""
    assert second.etag == '"v1"'
    assert second.last_modified == LAST_MODIFIED  # kept: the 304 carried none
    assert server.stats["bodies_sent"] == 1  # no second body transferred


async def test_conditional_get_with_last_modified_keeps_validators(server: Server, fetcher: Fetcher) -> None:
    result = await fetcher.fetch(server.url("/cond"), etag='"stale"', last_modified=LAST_MODIFIED)
    assert result.not_modified is True
    assert result.etag == '"stale"'
    assert result.last_modified == LAST_MODIFIED
    assert server.stats["bodies_sent"] == 0


# --- redirects -------------------------------------------------------------------------


async def test_redirect_chain(server: Server, fetcher: Fetcher) -> None:
    result = await fetcher.fetch(server.url("/r/3"))
    assert result.body == b"end of chain"
    assert result.url == server.url("/r/3")
    assert result.final_url == server.url("/r/0")


async def test_five_redirects_allowed_six_refused(server: Server, fetcher: Fetcher) -> None:
    assert (await fetcher.fetch(server.url("/r/5"))).final_url == server.url("/r/0")
    with pytest.raises(TooManyRedirectsError) as info:
        await fetcher.fetch(server.url("/r/6"))
    assert "more than 5 redirects" in str(info.value)


async def test_max_redirects_zero(server: Server) -> None:
    async with make_fetcher(max_redirects=0) as f:
        with pytest.raises(TooManyRedirectsError):
            await f.fetch(server.url("/r/1"))


async def test_redirect_loop(server: Server, fetcher: Fetcher) -> None:
    with pytest.raises(TooManyRedirectsError, match="loop"):
        await fetcher.fetch(server.url("/loop/a"))


async def test_redirect_to_unsupported_scheme(server: Server, fetcher: Fetcher) -> None:
    with pytest.raises(InvalidURLError, match="scheme"):
        await fetcher.fetch(server.url("/to?u=file:///etc/passwd"))


# --- size caps and decompression ------------------------------------------------------------


async def test_content_length_over_cap(server: Server, fetcher: Fetcher) -> None:
    with pytest.raises(TooLargeError, match=str(CAP + 1)):
        await fetcher.fetch(server.url("/big-cl"))


async def test_streamed_body_over_cap(server: Server, fetcher: Fetcher) -> None:
    with pytest.raises(TooLargeError):
        await fetcher.fetch(server.url("/stream"))


class _CountingZlib:
    """Stands in for the zlib module in bot.ingest.fetch and counts inflated bytes."""

    def __init__(self) -> None:
        self.inflated = 0
        self.MAX_WBITS = zlib.MAX_WBITS
        self.error = zlib.error

    def decompressobj(self, wbits: int = zlib.MAX_WBITS) -> Any:
        counter, inner = self, zlib.decompressobj(wbits)

        class Counting:
            def decompress(self, data: bytes, max_length: int = 0) -> bytes:
                out = inner.decompress(data, max_length)
                counter.inflated += len(out)
                return out

            def __getattr__(self, name: str) -> Any:
                return getattr(inner, name)

        return Counting()


async def test_gzip_bomb_is_stopped_early(
    server: Server, bomb: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert len(bomb) < 1024 * 1024  # Content-Length alone does not give it away
    counting = _CountingZlib()
    monkeypatch.setattr(fetch_module, "zlib", counting)
    async with make_fetcher(max_bytes=1024 * 1024) as f:
        with pytest.raises(TooLargeError, match="decompressed"):
            await f.fetch(server.url("/bomb"))
    assert 1024 * 1024 < counting.inflated <= 1024 * 1024 + 1  # not 50 MB


async def test_gzip_body_is_decompressed(server: Server) -> None:
    async with make_fetcher(max_bytes=1024 * 1024) as f:
        for path in ("/gzip", "/deflate", "/rawdeflate"):
            result = await f.fetch(server.url(path))
            assert result.body == TEXT, path
        assert (await f.fetch(server.url("/gzip2"))).body == TEXT[:2000]


async def test_decompressed_size_is_capped(server: Server, fetcher: Fetcher) -> None:
    # /gzip is small on the wire but ~170 KB decoded, over the 64 KB cap.
    with pytest.raises(TooLargeError):
        await fetcher.fetch(server.url("/gzip"))


@pytest.mark.parametrize("path", ["/truncated-gzip", "/corrupt-gzip", "/brotli"])
async def test_bad_encodings(server: Server, path: str) -> None:
    async with make_fetcher(max_bytes=1024 * 1024) as f:
        with pytest.raises(FetchError) as info:
            await f.fetch(server.url(path))
    assert not isinstance(info.value, TooLargeError)
    assert info.value.status is None


# --- timeouts and connection errors -----------------------------------------------------


async def test_slow_body_times_out(server: Server) -> None:
    async with make_fetcher(read_timeout=0.3) as f:
        with pytest.raises(FetchError, match="timed out"):
            await f.fetch(server.url("/slow"))


async def test_connect_timeout() -> None:
    # A listener that never accepts, with its (length-1) accept queue already full:
    # Linux drops further SYNs, so connecting hangs until the connect timeout.
    with socket.socket() as lsock:
        lsock.bind((HOST, 0))
        lsock.listen(0)
        port = lsock.getsockname()[1]
        fillers = [socket.socket() for _ in range(3)]
        try:
            for sock in fillers:
                sock.setblocking(False)
                sock.connect_ex((HOST, port))
            async with make_fetcher(connect_timeout=0.3, read_timeout=1) as f:
                with pytest.raises(FetchError, match="timed out") as info:
                    await f.fetch(f"http://{HOST}:{port}/")
        finally:
            for sock in fillers:
                sock.close()
    if "reading" in str(info.value):
        pytest.skip("this kernel completed the connection; cannot simulate a connect timeout")
    assert "timed out connecting" in str(info.value)


async def test_connection_refused(fetcher: Fetcher) -> None:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port = sock.getsockname()[1]
    with pytest.raises(FetchError, match="could not connect") as info:
        await fetcher.fetch(f"http://{HOST}:{port}/")
    assert type(info.value) is FetchError


async def test_unresolvable_host(fetcher: Fetcher) -> None:
    with pytest.raises(FetchError) as info:
        await fetcher.fetch("http://does-not-exist.invalid/")
    assert not isinstance(info.value, BlockedAddressError)


# --- HTTP errors ---------------------------------------------------------------------------


@pytest.mark.parametrize(("code", "text"), [(404, "HTTP 404 Not Found"), (500, "HTTP 500 Internal Server Error")])
async def test_http_errors(server: Server, fetcher: Fetcher, code: int, text: str) -> None:
    with pytest.raises(FetchError) as info:
        await fetcher.fetch(server.url(f"/status/{code}"))
    assert info.value.status == code
    assert str(info.value) == text
    assert info.value.retry_after is None


async def test_429_retry_after_seconds(server: Server, fetcher: Fetcher) -> None:
    with pytest.raises(FetchError) as info:
        await fetcher.fetch(server.url("/status/429?ra=120"))
    assert info.value.status == 429
    assert info.value.retry_after == 120


async def test_429_retry_after_http_date(server: Server, fetcher: Fetcher) -> None:
    when = format_datetime(datetime.now(timezone.utc) + timedelta(hours=1), usegmt=True)
    with pytest.raises(FetchError) as info:
        await fetcher.fetch(server.url("/status/429?ra=" + quote(when)))
    assert info.value.status == 429
    assert 3590 <= info.value.retry_after <= 3600


async def test_503_without_retry_after(server: Server, fetcher: Fetcher) -> None:
    with pytest.raises(FetchError) as info:
        await fetcher.fetch(server.url("/status/503"))
    assert (info.value.status, info.value.retry_after) == (503, None)


def test_parse_retry_after() -> None:
    now = datetime(2024, 1, 1, tzinfo=timezone.utc)
    assert parse_retry_after("120") == 120
    assert parse_retry_after(" 0 ") == 0
    assert parse_retry_after("999999999") == 86400
    assert parse_retry_after("Mon, 01 Jan 2024 00:10:00 GMT", now=now) == 600
    assert parse_retry_after("Sun, 31 Dec 2023 00:00:00 GMT", now=now) == 0
    assert parse_retry_after("Fri, 01 Jan 2100 00:00:00 GMT", now=now) == 86400
    for bad in (None, "", "soon", "-5", "1.5"):
        assert parse_retry_after(bad) is None


# --- concurrency ---------------------------------------------------------------------------


async def test_per_host_limit(server: Server) -> None:
    async with make_fetcher(per_host=2) as f:
        results = await asyncio.gather(*(f.fetch(server.url("/hold")) for _ in range(6)))
    assert all(r.body == b"held" for r in results)
    assert server.stats["max_in_flight"] == 2


# --- SSRF -----------------------------------------------------------------------------------


@dataclass
class Listener:
    port: int
    accepted: int = 0
    has_v6: bool = False


@pytest.fixture
async def listener() -> AsyncIterator[Listener]:
    """Counts connections to 127.0.0.1:PORT (and [::1]:PORT when IPv6 loopback works)."""
    state = Listener(port=0)

    def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        state.accepted += 1
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\nConnection: close\r\n\r\nLEAKED")
        writer.close()

    v4 = await asyncio.start_server(on_connect, "127.0.0.1", 0)
    state.port = v4.sockets[0].getsockname()[1]
    servers = [v4]
    try:
        servers.append(await asyncio.start_server(on_connect, "::1", state.port))
        state.has_v6 = True
    except OSError:
        pass
    yield state
    for srv in servers:
        srv.close()
        await srv.wait_closed()


def _ipv6_urls(listener: Listener) -> list[str]:
    return [f"http://[::1]:{listener.port}/", f"http://[::ffff:127.0.0.1]:{listener.port}/"]


async def test_loopback_and_metadata_are_refused(
    listener: Listener, fetcher: Fetcher, connect_log: list[tuple[str, int]]
) -> None:
    urls = [
        f"http://127.0.0.1:{listener.port}/",
        f"http://localhost:{listener.port}/",
        f"http://2130706433:{listener.port}/",  # 127.0.0.1, in decimal
        f"http://0x7f000001:{listener.port}/",  # and in hex
        f"http://127.1:{listener.port}/",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/",
        "http://[fe80::1]/",
        *_ipv6_urls(listener),
    ]
    for url in urls:
        with pytest.raises(BlockedAddressError):
            await fetcher.fetch(url)
    assert listener.accepted == 0
    assert connect_log == []


async def test_blocked_error_messages(listener: Listener, fetcher: Fetcher) -> None:
    with pytest.raises(BlockedAddressError) as info:
        await fetcher.fetch(f"http://localhost:{listener.port}/feed")
    assert "localhost" in str(info.value) and "127.0.0.1" in str(info.value) and "loopback" in str(info.value)
    with pytest.raises(BlockedAddressError, match=r"169\.254\.169\.254.*link-local"):
        await fetcher.fetch("http://169.254.169.254/")


async def test_allowed_test_host_works_but_redirects_out_are_refused(
    server: Server, listener: Listener, fetcher: Fetcher, connect_log: list[tuple[str, int]]
) -> None:
    assert (await fetcher.fetch(server.url("/plain"))).body == FEED
    targets = [
        "http://10.0.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        f"http://127.0.0.1:{listener.port}/",
        f"http://localhost:{listener.port}/",
        f"http://[::1]:{listener.port}/",
        f"http://2130706433:{listener.port}/",
    ]
    for target in targets:
        with pytest.raises(BlockedAddressError):
            await fetcher.fetch(server.url(f"/to?u={target}"))
    assert listener.accepted == 0
    assert {host for host, _ in connect_log} == {HOST}


async def test_allow_private_lets_loopback_through(listener: Listener) -> None:
    async with make_fetcher(policy=AddressPolicy(allow_private=True)) as f:
        result = await f.fetch(f"http://127.0.0.1:{listener.port}/")
    assert result.body == b"LEAKED"
    assert listener.accepted == 1


async def test_invalid_urls(fetcher: Fetcher) -> None:
    for url in ("ftp://example.com/", "http://user:pw@example.com/", "not a url", "http:///x"):
        with pytest.raises(InvalidURLError):
            await fetcher.fetch(url)


# --- lifecycle ------------------------------------------------------------------------------


async def test_close_is_idempotent_and_final(server: Server) -> None:
    f = make_fetcher()
    assert (await f.fetch(server.url("/plain"))).status == 200
    await f.close()
    await f.close()
    with pytest.raises(RuntimeError):
        await f.fetch(server.url("/plain"))


def test_connector_uses_settings_limits() -> None:
    async def build() -> tuple[int, int]:
        async with make_fetcher(concurrency=7, per_host=3) as f:
            connector = f._get_session().connector
            assert connector is not None
            return connector.limit, connector.limit_per_host

    assert asyncio.run(build()) == (7, 3)
