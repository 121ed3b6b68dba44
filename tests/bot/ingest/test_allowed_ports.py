"""FETCH_ALLOWED_NETWORKS entries limited to a port: every hop (redirects too) is held to them."""

from __future__ import annotations

import ipaddress
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from bot.errors import BlockedAddressError
from bot.ingest.allowlist import AllowedNetwork, parse_allowed
from bot.ingest.fetch import Fetcher
from bot.ingest.netguard import AddressPolicy
from bot.ingest.pipeline import Ingestor
from bot.ingest.workers import CpuPool
from bot.settings import Settings
from bot.storage.models import Article, PipelineEvent, Source
from tests.support.content import Item, article_page, rss
from tests.support.feedserver import FeedServer


@pytest.mark.parametrize(
    ("entry", "network", "port"),
    [
        ("10.0.0.0/8", "10.0.0.0/8", None),
        ("127.0.0.1/32:8080", "127.0.0.1/32", 8080),
        ("127.0.0.1:8080", "127.0.0.1/32", 8080),
        (" [::1]/128:8080 ", "::1/128", 8080),
        ("[::1]:443", "::1/128", 443),
        ("[fd00::]/8", "fd00::/8", None),
        ("fd00::/8", "fd00::/8", None),
        ("::1", "::1/128", None),
    ],
)
def test_entries_parse(entry: str, network: str, port: int | None) -> None:
    assert parse_allowed(entry) == AllowedNetwork(ipaddress.ip_network(network), port)


@pytest.mark.parametrize("entry", ["127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:http", "[::1", "[::1]8080",
                                   "127.0.0.1/33", "example.org:80", ":8080", "10.0.0.0/8:"])
def test_malformed_entries_are_refused_in_settings(entry: str) -> None:
    with pytest.raises(ValidationError, match="FETCH_ALLOWED_NETWORKS|fetch_allowed_networks"):
        Settings(_env_file=None, fetch_allowed_networks=entry)


def test_a_port_entry_allows_that_port_only() -> None:
    policy = AddressPolicy.from_settings(
        Settings(_env_file=None, fetch_allowed_networks="127.0.0.1/32:8080, 10.1.0.0/16, [::1]:8443"))
    assert policy.is_allowed("127.0.0.1", 8080)
    assert not policy.is_allowed("127.0.0.1", 9999)
    assert not policy.is_allowed("127.0.0.1"), "an unknown port is not the allowed one"
    assert policy.is_allowed("::ffff:127.0.0.1", 8080)
    assert policy.is_allowed("10.1.2.3", 1) and policy.is_allowed("10.1.2.3"), "no port: every port"
    assert policy.is_allowed("::1", 8443) and not policy.is_allowed("::1", 8080)
    with pytest.raises(BlockedAddressError, match="port 9999"):
        policy.check("127.0.0.1", port=9999)


@pytest.fixture
async def two_servers() -> AsyncIterator[tuple[FeedServer, FeedServer]]:
    allowed, other = await FeedServer().start(), await FeedServer().start()
    yield allowed, other
    await allowed.close()
    await other.close()


def _settings(tmp_path, allowed: FeedServer) -> Settings:
    return Settings(_env_file=None, data_dir=tmp_path, fetch_allow_private=False,
                    fetch_allowed_networks=f"127.0.0.1/32:{allowed.port}",
                    fetch_connect_timeout_s=2, fetch_read_timeout_s=2, fetch_total_timeout_s=5)


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"], ids=["ip-literal", "resolved-name"])
async def test_fetch_reaches_the_allowed_port_and_no_other(two_servers, tmp_path, host: str) -> None:
    allowed, other = two_servers
    allowed.set("/ok", b"fine", content_type="text/plain")
    allowed.set("/hop", status=302, headers={"Location": f"http://{host}:{other.port}/secret"}, etag=False)
    other.set("/secret", b"internal", content_type="text/plain")
    async with Fetcher(_settings(tmp_path, allowed)) as fetcher:
        assert (await fetcher.fetch(f"http://{host}:{allowed.port}/ok")).body == b"fine"
        with pytest.raises(BlockedAddressError):
            await fetcher.fetch(f"http://{host}:{other.port}/secret")
        with pytest.raises(BlockedAddressError):
            await fetcher.fetch(f"http://{host}:{allowed.port}/hop")
    assert other.hits["/secret"] == 0


async def test_item_links_redirecting_to_another_local_port_are_not_fetched(db, two_servers, tmp_path) -> None:
    allowed, other = two_servers
    settings = _settings(tmp_path, allowed)
    other.set("/secret", article_page("Internal admin page", "secret"))
    allowed.set("/articles/a", status=302, headers={"Location": other.url("/secret")}, etag=False)
    entry = Item("a", "A story that redirects", allowed.url("/articles/a"), datetime(2026, 11, 20, tzinfo=UTC),
                 summary="The feed's own words about the story.")
    feed = allowed.set("/feed", rss("local", [entry]), content_type="application/rss+xml")
    with CpuPool(1) as pool:
        async with Fetcher(settings) as fetcher:
            source = await Source.create(url=feed, url_key="local", kind="feed", primed=True)
            report = await Ingestor(settings, fetcher, pool).poll(source)
    assert report.ok and len(report.new) == 1
    article = await Article.get()
    assert article.extraction == "feed-summary" and "admin" not in article.text.lower()
    assert other.hits["/secret"] == 0
    failed = await PipelineEvent.filter(stage="fetch", outcome="failed").values_list("detail", flat=True)
    assert len(failed) == 1 and "refusing to contact" in failed[0]
