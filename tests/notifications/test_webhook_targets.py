"""The webhook channel never calls the platform's own network unless configured to."""

from __future__ import annotations

import ipaddress
import uuid

import pytest

from notifications.channels import ChannelError, MessageRecipient, OutgoingMessage
from notifications.channels.webhook import (
    TargetPolicy,
    UnsafeWebhookTarget,
    WebhookChannel,
    generate_secret,
    validate_webhook_url,
)
from notifications.channels.webhook.targets import IPAddress

NON_PUBLIC = [
    "https://10.0.0.5/hook",
    "https://127.0.0.1:8443/hook",
    "https://169.254.169.254/latest/meta-data",
    "https://[::1]/hook",
    "https://[::ffff:10.1.2.3]/hook",
    "https://192.168.1.10/hook",
    "https://[fe80::1]/hook",
    "https://[::127.0.0.1]/hook",  # IPv4-compatible
    "https://[64:ff9b::7f00:1]/hook",  # NAT64 of 127.0.0.1
    "https://[64:ff9b::a9fe:a9fe]/latest/meta-data",  # NAT64 of 169.254.169.254
    "https://[64:ff9b:1::a00:5]/hook",  # local-use NAT64 of 10.0.0.5
    "https://[2002:7f00:1::1]/hook",  # 6to4 of 127.0.0.1
]


async def test_an_ipv6_address_carrying_a_public_ipv4_one_is_accepted() -> None:
    await validate_webhook_url("https://[64:ff9b::5db8:d822]/hook", TargetPolicy())  # NAT64 of 93.184.216.34
    await validate_webhook_url("https://[2606:4700::1111]/hook", TargetPolicy())


@pytest.mark.parametrize("url", NON_PUBLIC)
async def test_non_public_targets_are_refused_at_save(url: str) -> None:
    with pytest.raises(UnsafeWebhookTarget, match="non-public"):
        await validate_webhook_url(url, TargetPolicy())


@pytest.mark.parametrize("url", ["https://10.0.0.5/hook", "https://127.0.0.1/hook", "https://[::1]/hook"])
async def test_the_webhook_channel_refuses_non_public_targets_at_send_without_connecting(url: str) -> None:
    channel = WebhookChannel({"secret": generate_secret()})
    with pytest.raises(ChannelError, match="non-public") as failure:
        await channel.send(_message(url))
    assert failure.value.permanent


async def test_allowed_networks_reopen_exactly_the_configured_ranges() -> None:
    policy = TargetPolicy.from_config(["10.20.0.0/16", "::1/128", "127.0.0.0/8", "169.254.0.0/16"])
    for url in ("https://10.20.3.4/h", "https://[::1]/h", "https://127.0.0.2/h", "https://169.254.1.1/h"):
        await validate_webhook_url(url, policy)
    with pytest.raises(UnsafeWebhookTarget):
        await validate_webhook_url("https://10.21.0.1/h", policy)


async def test_a_public_name_that_resolves_to_a_private_address_is_refused() -> None:
    async def rebinding_resolver(host: str, port: int) -> list[IPAddress]:
        return [ipaddress.ip_address("93.184.216.34"), ipaddress.ip_address("10.0.0.7")]

    with pytest.raises(UnsafeWebhookTarget, match=r"10\.0\.0\.7"):
        await validate_webhook_url("https://hooks.library.example/x", TargetPolicy(), rebinding_resolver)


async def test_a_public_address_is_accepted() -> None:
    async def public(host: str, port: int) -> list[IPAddress]:
        return [ipaddress.ip_address("93.184.216.34")]

    target = await validate_webhook_url("https://hooks.library.example/x", TargetPolicy(), public)
    assert target.host == "hooks.library.example" and target.port == 443


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://93.184.216.34/h", "must use https"),
        ("ftp://93.184.216.34/h", "must use https"),
        ("https://user:pw@93.184.216.34/h", "credentials"),
        ("https:///h", "no host"),
    ],
)
async def test_malformed_or_plain_text_urls_are_refused(url: str, reason: str) -> None:
    with pytest.raises(UnsafeWebhookTarget, match=reason):
        await validate_webhook_url(url, TargetPolicy())


def _message(url: str) -> OutgoingMessage:
    return OutgoingMessage(
        delivery_id=uuid.uuid4(), recipient=MessageRecipient(address=url), subject="s", text="t"
    )
