"""Entries of FETCH_ALLOWED_NETWORKS: a network, optionally limited to one port.

``10.0.0.0/8`` (every port), ``127.0.0.1/32:8080`` or ``127.0.0.1:8080`` (one port),
``[::1]/128:8080`` or ``[::1]:8080`` (IPv6 with a port: brackets), ``fd00::/8`` (IPv6, every port).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True, slots=True)
class AllowedNetwork:
    """A network Briefbot may contact although it is private; ``port`` None means every port."""

    network: IPNetwork
    port: int | None = None


def _port(text: str, entry: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise ValueError(f"not a port (1-65535) in {entry!r}")
    return int(text)


def _network(text: str, entry: str) -> IPNetwork:
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError as exc:
        raise ValueError(f"not a network: {entry!r}") from exc


def parse_allowed(entry: str) -> AllowedNetwork:
    """The network (and port) an entry names; ``ValueError`` with the entry when it is malformed."""
    text = entry.strip()
    if text.startswith("["):  # [::1]:8080, [::1]/128:8080, [fd00::]/8
        inner, close, rest = text[1:].partition("]")
        prefix, colon, port = rest.partition(":")
        if not close or (prefix and not prefix.startswith("/")):
            raise ValueError(f"not a network: {entry!r} (write IPv6 with a port as [::1]/128:8080)")
        return AllowedNetwork(_network(inner + prefix, entry), _port(port, entry) if colon else None)
    if text.count(":") == 1:  # IPv4 (or a host address) with a port
        net, _, port = text.partition(":")
        return AllowedNetwork(_network(net, entry), _port(port, entry))
    return AllowedNetwork(_network(text, entry))
