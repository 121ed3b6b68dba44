"""SSRF guard: which addresses Briefbot may contact, checked when it connects.

Two places enforce the policy:

* :class:`GuardedResolver` filters every address DNS returns before aiohttp
  connects to it, so a host name that resolves (or re-resolves) to a private
  address is never contacted;
* :func:`check_url` validates a URL before each request hop. aiohttp does not
  use the resolver for IP-literal hosts, so those are checked here, as are
  legacy numeric IPv4 spellings such as ``http://2130706433/``.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver
from yarl import URL

from bot.errors import BlockedAddressError, InvalidURLError
from bot.ingest.allowlist import AllowedNetwork, parse_allowed

if TYPE_CHECKING:
    from bot.settings import Settings

log = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_SHARED = ipaddress.IPv4Network("100.64.0.0/10")  # carrier-grade NAT
ALLOWED_SCHEMES = frozenset({"http", "https"})


def _why_blocked(addr: IPAddress) -> str | None:
    """The reason ``addr`` must not be contacted, or None when it is a public address."""
    if isinstance(addr, ipaddress.IPv6Address):
        # Forms that carry an IPv4 address: judge the IPv4 address they reach.
        if addr.ipv4_mapped is not None:
            return _why_blocked(addr.ipv4_mapped)
        if addr in _NAT64:
            return _why_blocked(ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF))
        if addr.sixtofour is not None and (why := _why_blocked(addr.sixtofour)):
            return f"6to4 {why}"
        if addr.teredo is not None:
            return "Teredo"
        if addr.is_site_local:
            return "site-local"
    checks = (
        ("unspecified", addr.is_unspecified),
        ("loopback", addr.is_loopback),
        ("link-local", addr.is_link_local),
        ("multicast", addr.is_multicast),
        ("private", addr.is_private),
        ("reserved", addr.is_reserved),
        ("shared (CGNAT)", isinstance(addr, ipaddress.IPv4Address) and addr in _SHARED),
        ("non-global", not addr.is_global),
    )
    for name, hit in checks:
        if hit:
            return name
    return None


def _parse_ip(ip: str | IPAddress) -> IPAddress:
    if isinstance(ip, ipaddress.IPv4Address | ipaddress.IPv6Address):
        return ip
    try:
        return ipaddress.ip_address(ip.strip("[]"))
    except ValueError:
        raise BlockedAddressError(f"{ip!r} is not an IP address") from None


@dataclass(frozen=True)
class AddressPolicy:
    """Which IP addresses may be contacted.

    Public addresses always may. Loopback, private, link-local, multicast,
    reserved and similar addresses (also when embedded in IPv6 forms) may not,
    unless ``allow_private`` is set, the address is in ``allowed_networks`` (any
    port), or the address and port are in ``allowed_ports`` (that port only).
    """

    allow_private: bool = False
    allowed_networks: tuple[IPNetwork, ...] = ()
    allowed_ports: tuple[tuple[IPNetwork, int], ...] = ()

    def __post_init__(self) -> None:
        nets = tuple(
            n if isinstance(n, IPNetwork) else ipaddress.ip_network(n, strict=False)
            for n in self.allowed_networks
        )
        object.__setattr__(self, "allowed_networks", nets)

    @classmethod
    def from_entries(cls, entries: list[AllowedNetwork], *, allow_private: bool = False) -> AddressPolicy:
        return cls(
            allow_private=allow_private,
            allowed_networks=tuple(e.network for e in entries if e.port is None),
            allowed_ports=tuple((e.network, e.port) for e in entries if e.port is not None),
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> AddressPolicy:
        return cls.from_entries(
            [parse_allowed(n) for n in settings.fetch_allowed_networks], allow_private=settings.fetch_allow_private
        )

    def _in_allowed(self, addr: IPAddress, port: int | None) -> bool:
        candidates: list[IPAddress] = [addr]
        if isinstance(addr, ipaddress.IPv6Address):
            if addr.scope_id:
                candidates.append(ipaddress.IPv6Address(str(addr).split("%", 1)[0]))
            if addr.ipv4_mapped is not None:
                candidates.append(addr.ipv4_mapped)
        if any(c in net for c in candidates for net in self.allowed_networks):
            return True
        return port is not None and any(c in net and port == p for c in candidates for net, p in self.allowed_ports)

    def reason(self, ip: str | IPAddress, port: int | None = None) -> str | None:
        """Why ``ip`` (on ``port``, when known) is refused under this policy, or None when it is allowed.

        A port-limited entry allows its network only when the port is known and matches.
        """
        addr = _parse_ip(ip)
        if self.allow_private or self._in_allowed(addr, port):
            return None
        return _why_blocked(addr)

    def is_allowed(self, ip: str | IPAddress, port: int | None = None) -> bool:
        try:
            return self.reason(ip, port) is None
        except BlockedAddressError:
            return False

    def check(self, ip: str | IPAddress, *, host: str | None = None, port: int | None = None) -> None:
        """Raise :class:`BlockedAddressError` unless ``ip`` (on ``port``) may be contacted."""
        why = self.reason(ip, port)
        if why is not None:
            target = f"{host} ({ip})" if host and host != str(ip) else str(ip)
            on_port = f" on port {port}" if port is not None and self.allowed_ports else ""
            raise BlockedAddressError(f"refusing to contact {target}{on_port}: {why} address")


class BlockedResolutionError(OSError):
    """Every address a host resolved to is refused by the policy.

    An ``OSError`` so aiohttp wraps it (in ``ClientConnectorDNSError``) rather than
    crashing; the fetcher finds it in the exception chain and raises
    :class:`BlockedAddressError` with the same message.
    """

    def __init__(self, host: str, refused: list[tuple[str, str]]):
        shown = ", ".join(f"{ip} ({why})" for ip, why in refused[:4])
        super().__init__(f"refusing to contact {host}: it resolves only to blocked addresses: {shown}")
        self.host = host
        self.refused = refused

    def __str__(self) -> str:
        return str(self.args[0])


class GuardedResolver(AbstractResolver):
    """Resolves with aiohttp's ThreadedResolver, then drops addresses the policy refuses."""

    def __init__(self, policy: AddressPolicy, resolver: AbstractResolver | None = None):
        self.policy = policy
        self._resolver = resolver

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        if self._resolver is None:
            self._resolver = ThreadedResolver()
        results = await self._resolver.resolve(host, port, family)
        kept: list[ResolveResult] = []
        refused: list[tuple[str, str]] = []
        for res in results:
            ip = res["host"]
            why = self.policy.reason(ip, res["port"] or port or None) if _is_ip(ip) else "unparsable"
            if why is None:
                kept.append(res)
            else:
                refused.append((ip, why))
        if refused:
            log.debug("dropping blocked addresses for %s: %s", host, refused)
        if not kept:
            raise BlockedResolutionError(host, refused)
        return kept

    async def close(self) -> None:
        if self._resolver is not None:
            await self._resolver.close()


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _legacy_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """The address of a non-canonical numeric IPv4 host (``2130706433``, ``0x7f.1``, ``127.1``)."""
    if not host or not all(c in "0123456789abcdefxABCDEFX." for c in host):
        return None
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None


def check_url(url: str | URL, policy: AddressPolicy) -> URL:
    """Parse and validate a URL about to be requested; return it without its fragment.

    Raises :class:`InvalidURLError` for non-http(s) schemes, missing hosts and
    embedded credentials, and :class:`BlockedAddressError` for IP-literal hosts
    the policy refuses. Host names are checked later, by :class:`GuardedResolver`.
    """
    try:
        parsed = url if isinstance(url, URL) else URL(url)
        scheme, host = parsed.scheme.lower(), parsed.host
        has_userinfo = parsed.raw_user is not None or parsed.raw_password is not None
        parsed.port  # noqa: B018 - raises ValueError for an out-of-range port
    except (ValueError, TypeError) as exc:
        raise InvalidURLError(f"not a valid URL: {str(url)[:200]!r}") from exc
    shown = str(url)[:200]
    if scheme not in ALLOWED_SCHEMES:
        raise InvalidURLError(f"unsupported URL scheme {scheme or '(none)'!r}: {shown}")
    if not host:
        raise InvalidURLError(f"URL has no host: {shown}")
    if has_userinfo:
        raise InvalidURLError("URLs with credentials (user:password@) are not supported")
    bare = host.rstrip(".")
    port = parsed.port  # the scheme's default when the URL names none
    if _is_ip(bare):
        policy.check(bare, port=port)
    elif (legacy := _legacy_ipv4(bare)) is not None:
        policy.check(legacy, host=host, port=port)
        raise InvalidURLError(f"non-canonical IPv4 host {host!r}; write it as {legacy}")
    return parsed.with_fragment(None)


__all__ = [
    "AddressPolicy",
    "BlockedResolutionError",
    "GuardedResolver",
    "check_url",
]
