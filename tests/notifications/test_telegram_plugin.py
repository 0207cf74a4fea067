"""The example third-party channel is discovered once its package is installed, and not before.

The package is really built and installed (uv, offline, into a temporary target folder); a fresh
interpreter with that folder on its path then discovers it and sends through it to a loopback
stand-in for the Bot API.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from notify_testkit import Received, loopback_receiver

REPO = Path(__file__).resolve().parents[2]
PLUGIN = REPO / "plugins" / "kaleidoscope-channel-telegram"

SCRIPT = """
import asyncio, json, sys, uuid
from notifications.channels import Attachment, MessageRecipient, OutgoingMessage, load_channels

async def main(api_base):
    loaded = load_channels({"telegram": {"token": "123:ABC", "api_base": api_base}}, enabled={"telegram"})
    result = {"failures": [f.error for f in loaded.failures], "loaded": sorted(loaded.channels)}
    if "telegram" in loaded.channels:
        message = OutgoingMessage(
            delivery_id=uuid.uuid4(),
            recipient=MessageRecipient(address="-100123", name="Малышева Ксения Олеговна"),
            subject="Приглашение в финал",
            text="Поздравляем!",
            attachments=(Attachment("diploma.pdf", "application/pdf", b"%PDF-1.4"),),
        )
        result["receipt"] = (await loaded["telegram"].send(message)).provider_id
        await loaded["telegram"].aclose()
    print(json.dumps(result))

asyncio.run(main(sys.argv[1]))
"""


def _uv() -> str:
    local = REPO / ".tools" / "bin" / "uv"
    found = str(local) if local.exists() else shutil.which("uv")
    if not found:
        pytest.fail("uv is needed to install the plugin: run `make install`")
    return found


def _install_plugin(site: Path, cache: Path) -> None:
    """Offline: hatchling comes from the dev environment (no build isolation), httpx is there too."""
    command = [_uv(), "pip", "install", "--offline", "--no-deps", "--no-build-isolation", "--quiet"]
    command += ["--python", sys.executable, "--target", str(site), str(PLUGIN)]
    env = {**os.environ, "UV_CACHE_DIR": str(cache)}
    subprocess.run(command, check=True, capture_output=True, timeout=120, env=env)


def _run_with(site: Path, api_base: str) -> dict[str, object]:
    env = {**os.environ, "PYTHONPATH": str(site)}
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, api_base],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(out.stdout)


def _bot_api(request: Received) -> tuple[int, bytes, str]:
    return 200, json.dumps({"ok": True, "result": {"message_id": 77}}).encode(), "application/json"


@pytest.mark.slow
def test_the_telegram_channel_is_discovered_after_install_and_not_before(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    with loopback_receiver(_bot_api) as bot_api:
        before = _run_with(site, bot_api.url)
        _install_plugin(site, cache=tmp_path / "uv-cache")
        after = _run_with(site, bot_api.url)

    assert before["loaded"] == [] and "no installed package" in str(before["failures"])
    assert after == {"failures": [], "loaded": ["telegram"], "receipt": "-100123:77"}
    paths = [r.path for r in bot_api.requests]
    assert paths == ["/bot123:ABC/sendMessage", "/bot123:ABC/sendDocument"]
    assert json.loads(bot_api.requests[0].body) == {
        "chat_id": "-100123",
        "text": "Приглашение в финал\n\nПоздравляем!",
    }
