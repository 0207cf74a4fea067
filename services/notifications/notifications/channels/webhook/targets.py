"""Which webhook targets we may call: never the platform's own network unless configured.

A URL is judged by every address its host resolves to, because a public-looking name can point at
10.0.0.5. The same check runs when a URL is saved (`validate_webhook_url`) and again at every send,
where the request then goes to the checked address (so a DNS answer that changes in between —
rebinding — cannot redirect it).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], Awaitable[list[IPAddress]]]


class UnsafeWebhookTarget(ValueError):
    """The URL is malformed or points at an address we refuse to call."""


@dataclass(frozen=True, slots=True)
class TargetPolicy:
    """`allowed_networks` re-opens specific non-public ranges (e.g. an on-premises receiver, or
    127.0.0.0/8 in tests); `allow_http` permits plain-text http:// targets."""

    allowed_networks: tuple[IPNetwork, ...] = ()
    allow_http: bool = False

    @classmethod
    def from_config(cls, networks: Iterable[str] = (), *, allow_http: bool = False) -> TargetPolicy:
        return cls(tuple(ipaddress.ip_network(n, strict=False) for n in networks), allow_http)

    def permits(self, address: IPAddress) -> bool:
        address = _unmapped(address)
        if any(address in net for net in self.allowed_networks if net.version == address.version):
            return True
        if not address.is_global or address.is_multicast:
            return False
        # An IPv6 address may carry an IPv4 one that a gateway will reach (IPv4-compatible ::a.b.c.d,
        # NAT64 64:ff9b::/96 and 64:ff9b:1::/48, 6to4, Teredo): that one must be permitted too.
        return all(self.permits(inner) for inner in _embedded_ipv4(address))


@dataclass(frozen=True, slots=True)
class CheckedTarget:
    url: str
    scheme: str
    host: str
    port: int
    addresses: list[IPAddress] = field(default_factory=list)


async def system_resolver(host: str, port: int) -> list[IPAddress]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]


async def validate_webhook_url(
    url: str, policy: TargetPolicy, resolver: Resolver = system_resolver
) -> CheckedTarget:
    """Accept `url` only if its scheme is allowed and every address its host resolves to is public
    (or within `policy.allowed_networks`); raise `UnsafeWebhookTarget` saying why otherwise."""
    scheme, host, port = _parse(url, policy)
    try:
        addresses = await resolver(host, port)
    except OSError as exc:
        raise UnsafeWebhookTarget(f"cannot resolve webhook host {host!r}: {exc}") from exc
    if not addresses:
        raise UnsafeWebhookTarget(f"webhook host {host!r} resolves to no address")
    refused = [str(a) for a in addresses if not policy.permits(a)]
    if refused:
        raise UnsafeWebhookTarget(
            f"webhook host {host!r} resolves to non-public address(es) {', '.join(refused)}; "
            "add the network to the webhook channel's allowed_networks if this is intended"
        )
    return CheckedTarget(url=url, scheme=scheme, host=host, port=port, addresses=addresses)


def _parse(url: str, policy: TargetPolicy) -> tuple[str, str, int]:
    parts = urlsplit(url)
    allowed_schemes = {"https", "http"} if policy.allow_http else {"https"}
    if parts.scheme not in allowed_schemes:
        raise UnsafeWebhookTarget(f"webhook URL must use {' or '.join(sorted(allowed_schemes))}: {url!r}")
    if parts.username or parts.password:
        raise UnsafeWebhookTarget("webhook URL must not carry credentials; use the signing secret")
    if not parts.hostname:
        raise UnsafeWebhookTarget(f"webhook URL has no host: {url!r}")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise UnsafeWebhookTarget(f"webhook URL has an invalid port: {url!r}") from exc
    return parts.scheme, parts.hostname, port


_NAT64 = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("64:ff9b:1::/48"))
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")


def _embedded_ipv4(address: IPAddress) -> list[ipaddress.IPv4Address]:
    if not isinstance(address, ipaddress.IPv6Address):
        return []
    low32 = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    found: list[ipaddress.IPv4Address] = []
    if address in _IPV4_COMPATIBLE or any(address in net for net in _NAT64):
        found.append(low32)
    if address.sixtofour is not None:
        found.append(address.sixtofour)
    if address.teredo is not None:
        found.append(address.teredo[1])
    return found


def _unmapped(address: IPAddress) -> IPAddress:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address
