"""The client of an upload: the peer, or behind trusted proxies the nearest address they did not write."""

from __future__ import annotations

import pytest

from submissions.adapters.client_address import UNKNOWN_CLIENT, client_address, trusted_networks

TRUSTED = trusted_networks(["127.0.0.0/8", "::1", "10.0.0.0/8"])


@pytest.mark.parametrize(
    ("peer", "forwarded", "client"),
    [
        ("198.51.100.7", ["203.0.113.1"], "198.51.100.7"),  # an untrusted peer's header is ignored
        ("127.0.0.1", [], "127.0.0.1"),
        ("127.0.0.1", ["203.0.113.1"], "203.0.113.1"),
        ("127.0.0.1", ["203.0.113.9, 198.51.100.7"], "198.51.100.7"),  # what the client wrote is left of it
        ("10.0.0.5", ["198.51.100.7, 10.0.0.4"], "198.51.100.7"),  # web front behind the gateway
        ("10.0.0.5", ["198.51.100.7", "10.0.0.4"], "198.51.100.7"),  # the header given twice
        ("127.0.0.1", ["198.51.100.7:51234"], "198.51.100.7"),
        ("127.0.0.1", ["[2001:db8:1:2::5]:443"], "2001:db8:1:2::/64"),
        ("2001:db8:1:2:aaaa::1", [], "2001:db8:1:2::/64"),  # one /64 is one client
        ("::ffff:198.51.100.7", [], "198.51.100.7"),
        ("127.0.0.1", ["not-an-address"], "127.0.0.1"),
        ("127.0.0.1", ["10.0.0.1"], "10.0.0.1"),  # only proxies: the farthest one
        (None, ["203.0.113.1"], UNKNOWN_CLIENT),
    ],
)
def test_the_client_is_the_nearest_address_no_trusted_proxy_is_at(
    peer: str | None, forwarded: list[str], client: str
) -> None:
    assert client_address(peer, forwarded, TRUSTED) == client


def test_a_mistyped_proxy_is_refused() -> None:
    with pytest.raises(ValueError):
        trusted_networks(["10.0.0.0/33"])
