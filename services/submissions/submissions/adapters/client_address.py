"""Who is asking, by address: the peer, or behind a trusted proxy the address that proxy saw.

The API is reached through proxies: the gateway (nginx, which appends the address it saw to
`X-Forwarded-For`) and the web front (which sends the visitor's address in the same header). A peer
that is not a trusted proxy is the client, whatever headers it sends. From a trusted peer, the header
is read from the right, past every trusted proxy; the first address that is not one is the client.
Anything left of it was written by someone untrusted and is never read: a client cannot pick its own
address by sending the header itself.

Addresses of one IPv6 /64 count as one client (a home or office gets a whole /64 and could otherwise
change address at will); an IPv4 address embedded in IPv6 (`::ffff:a.b.c.d`) is that IPv4 address.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Iterable

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

UNKNOWN_CLIENT = "unknown"
"""The client of a request whose peer address is not known (no ASGI `client`)."""


@functools.lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(proxy.strip(), strict=False) for proxy in proxies if proxy.strip())


def trusted_networks(proxies: Iterable[str]) -> tuple[Network, ...]:
    """The `trusted_proxies` setting (`["127.0.0.0/8", "::1", "10.0.0.0/8"]`) as networks; ValueError
    on anything that is not an address or a network."""
    return _networks(tuple(proxies))


def client_address(peer: str | None, forwarded_for: Iterable[str], trusted: tuple[Network, ...]) -> str:
    """The client's key (an IPv4 address or an IPv6 /64) for quotas and rate limits.

    `peer` is the connection's address (`request.client.host`); `forwarded_for` the values of every
    `X-Forwarded-For` header, in the order received."""
    nearest = _address(peer or "")
    if nearest is None:
        return UNKNOWN_CLIENT
    if _is_trusted(nearest, trusted):
        hops = [hop.strip() for value in forwarded_for for hop in value.split(",") if hop.strip()]
        for hop in reversed(hops):
            address = _address(hop)
            if address is None:
                break  # a proxy we trust wrote something else: the last address we could read stands
            nearest = address
            if not _is_trusted(address, trusted):
                break
    return _client_key(nearest)


def _is_trusted(address: Address, trusted: tuple[Network, ...]) -> bool:
    return any(address.version == network.version and address in network for network in trusted)


def _address(text: str) -> Address | None:
    """An address as proxies write it: bare, `[v6]:port` or `v4:port`; None if it is none of those."""
    text = text.strip()
    if text.startswith("["):
        text = text[1 : text.find("]")] if "]" in text else ""
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _client_key(address: Address) -> str:
    if isinstance(address, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)
