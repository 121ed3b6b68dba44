"""The SSRF address policy, URL checks and the guarded resolver (no sockets opened)."""

from __future__ import annotations

import ipaddress
import socket

import pytest

from bot.errors import BlockedAddressError, InvalidURLError
from bot.ingest.netguard import AddressPolicy, BlockedResolutionError, GuardedResolver, check_url
from bot.settings import Settings

REFUSED = [
    "10.0.0.1",
    "172.16.0.1",
    "192.168.1.1",
    "169.254.169.254",
    "127.0.0.1",
    "127.0.0.2",
    "::1",
    "fe80::1",
    "fe80::1%eth0",
    "fc00::1",
    "fd12:3456::1",
    "fec0::1",
    "ff02::1",
    "0.0.0.0",
    "::",
    "224.0.0.1",
    "240.0.0.1",
    "255.255.255.255",
    "100.64.0.1",
    "::ffff:10.0.0.1",
    "::ffff:127.0.0.1",
    "::ffff:169.254.169.254",
    "64:ff9b::10.0.0.1",  # NAT64 of a private address
    "64:ff9b::127.0.0.1",
    "2002:0a00:0001::1",  # 6to4 of 10.0.0.1
    "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
    "::127.0.0.1",  # IPv4-compatible (deprecated)
]
ALLOWED = ["93.184.216.34", "8.8.8.8", "2606:2800:220:1::1", "64:ff9b::93.184.216.34", "::ffff:93.184.216.34"]


@pytest.mark.parametrize("ip", REFUSED)
def test_default_policy_refuses(ip: str) -> None:
    policy = AddressPolicy()
    assert not policy.is_allowed(ip)
    with pytest.raises(BlockedAddressError) as info:
        policy.check(ip)
    assert ip.split("%")[0] in str(info.value) or "::ffff:" in ip


@pytest.mark.parametrize("ip", ALLOWED)
def test_default_policy_allows_public(ip: str) -> None:
    policy = AddressPolicy()
    assert policy.is_allowed(ip)
    policy.check(ip)  # does not raise


def test_reason_names_the_kind_of_address() -> None:
    policy = AddressPolicy()
    assert policy.reason("127.0.0.1") == "loopback"
    assert policy.reason("10.0.0.1") == "private"
    assert policy.reason("169.254.169.254") == "link-local"
    assert policy.reason("ff02::1") == "multicast"
    assert policy.reason("0.0.0.0") == "unspecified"
    assert policy.reason("93.184.216.34") is None
    with pytest.raises(BlockedAddressError, match="loopback"):
        policy.check("127.0.0.1", host="localhost")


def test_garbage_is_refused() -> None:
    assert not AddressPolicy().is_allowed("not-an-ip")
    with pytest.raises(BlockedAddressError):
        AddressPolicy(allow_private=True).check("not-an-ip")


def test_allowed_networks_override() -> None:
    policy = AddressPolicy(allowed_networks=(ipaddress.ip_network("127.0.0.2/32"), "10.1.0.0/16"))
    assert policy.is_allowed("127.0.0.2")
    assert policy.is_allowed("::ffff:127.0.0.2")
    assert policy.is_allowed("10.1.2.3")
    assert not policy.is_allowed("127.0.0.1")
    assert not policy.is_allowed("10.0.0.1")
    assert not policy.is_allowed("169.254.169.254")
    assert policy.is_allowed("93.184.216.34")


def test_allow_private_allows_everything() -> None:
    policy = AddressPolicy(allow_private=True)
    for ip in REFUSED + ALLOWED:
        assert policy.is_allowed(ip), ip


def test_from_settings() -> None:
    settings = Settings(
        _env_file=None, fetch_allow_private=False, fetch_allowed_networks="127.0.0.2/32, 10.9.0.0/16"
    )
    policy = AddressPolicy.from_settings(settings)
    assert policy.allow_private is False
    assert policy.allowed_networks == (
        ipaddress.ip_network("127.0.0.2/32"),
        ipaddress.ip_network("10.9.0.0/16"),
    )
    assert AddressPolicy.from_settings(Settings(_env_file=None, fetch_allow_private=True)).allow_private


def test_policy_is_frozen() -> None:
    with pytest.raises(AttributeError):
        AddressPolicy().allow_private = True  # type: ignore[misc]


# --- check_url -------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/feed",
        "file:///etc/passwd",
        "gopher://example.com/",
        "javascript:alert(1)",
        "example.com/feed",
        "http:///feed",
        "http://user:secret@example.com/",
        "http://user@example.com/",
        "http://example.com:99999/",
        "http://[::1/",
    ],
)
def test_check_url_rejects_invalid(url: str) -> None:
    with pytest.raises(InvalidURLError):
        check_url(url, AddressPolicy())


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://127.0.0.1.:8080/",
        "http://[::1]:8080/",
        "http://[::ffff:127.0.0.1]/",
        "http://[fe80::1%25eth0]/",
        "http://169.254.169.254/latest/meta-data/",
        "https://10.0.0.1/",
        "http://0.0.0.0/",
        "http://2130706433/",  # 127.0.0.1 in decimal
        "http://0x7f000001/",  # in hex
        "http://0x7f.1/",
        "http://127.1/",
        "http://017700000001/",  # in octal
        "http://0xa9fea9fe/",  # 169.254.169.254
        "http://\uff11\uff12\uff17.\uff10.\uff10.\uff11/",  # full-width digits, IDNA-normalised
        "http://127\u30020\u30020\u30021/",  # ideographic full stops
    ],
)
def test_check_url_blocks_ip_literals(url: str) -> None:
    with pytest.raises(BlockedAddressError):
        check_url(url, AddressPolicy())


def test_check_url_passes_public_and_host_names() -> None:
    policy = AddressPolicy()
    assert str(check_url("https://93.184.216.34/a?b=c#frag", policy)) == "https://93.184.216.34/a?b=c"
    assert str(check_url("HTTP://Example.COM/Feed", policy)) == "http://example.com/Feed"
    # Host names are checked when they resolve, not here.
    assert check_url("http://localhost/", policy).host == "localhost"
    assert check_url("http://face.bad/", policy).host == "face.bad"


def test_check_url_non_canonical_public_ipv4_is_invalid() -> None:
    # aiohttp refuses legacy numeric hosts anyway; we say so clearly.
    with pytest.raises(InvalidURLError, match="93.184.216.34"):
        check_url("http://1572395042/", AddressPolicy())


def test_check_url_honours_allowed_networks() -> None:
    policy = AddressPolicy(allowed_networks=("127.0.0.2/32",))
    assert check_url("http://127.0.0.2:8080/x", policy).port == 8080
    with pytest.raises(BlockedAddressError):
        check_url("http://127.0.0.1:8080/x", policy)


# --- GuardedResolver ---------------------------------------------------------------


class _FakeResolver:
    def __init__(self, *hosts: str):
        self.hosts = hosts

    async def resolve(self, host: str, port: int = 0, family: int = socket.AF_INET) -> list[dict]:
        return [
            {
                "hostname": host,
                "host": h,
                "port": port,
                "family": socket.AF_INET6 if ":" in h else socket.AF_INET,
                "proto": 0,
                "flags": 0,
            }
            for h in self.hosts
        ]

    async def close(self) -> None:
        pass


async def test_resolver_filters_blocked_addresses() -> None:
    fake = _FakeResolver("10.0.0.1", "93.184.216.34", "::1", "2606:2800:220:1::1")
    resolver = GuardedResolver(AddressPolicy(), fake)  # type: ignore[arg-type]
    results = await resolver.resolve("example.com", 80, socket.AF_UNSPEC)
    assert [r["host"] for r in results] == ["93.184.216.34", "2606:2800:220:1::1"]


async def test_resolver_raises_when_nothing_is_left() -> None:
    resolver = GuardedResolver(AddressPolicy(), _FakeResolver("10.0.0.1", "169.254.169.254"))  # type: ignore[arg-type]
    with pytest.raises(BlockedResolutionError) as info:
        await resolver.resolve("internal.example", 80)
    err = info.value
    assert isinstance(err, OSError)
    assert err.host == "internal.example"
    assert "internal.example" in str(err) and "10.0.0.1" in str(err) and "169.254.169.254" in str(err)


async def test_resolver_allows_with_allowed_networks() -> None:
    policy = AddressPolicy(allowed_networks=("10.0.0.0/8",))
    resolver = GuardedResolver(policy, _FakeResolver("10.0.0.1", "169.254.169.254"))  # type: ignore[arg-type]
    assert [r["host"] for r in await resolver.resolve("internal.example", 80)] == ["10.0.0.1"]


async def test_real_resolver_refuses_localhost_and_decimal_ip() -> None:
    # The real getaddrinfo path (loopback only, no network): "localhost" and the
    # decimal spelling of 127.0.0.1 both resolve to loopback and are refused.
    resolver = GuardedResolver(AddressPolicy())
    for host in ("localhost", "2130706433"):
        with pytest.raises(BlockedResolutionError, match="loopback"):
            await resolver.resolve(host, 80, socket.AF_UNSPEC)
    await resolver.close()
