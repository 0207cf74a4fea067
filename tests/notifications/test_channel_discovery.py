"""Channels are found through the `kaleidoscope.channels` entry points; a broken plugin is reported."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from notifications.channels import available_channel_names, load_channels
from notifications.channels.console import ConsoleChannel

BUILT_IN = {"console", "email", "file", "webhook"}


def _fake_distribution(site: Path, name: str, entry_points: dict[str, str], modules: dict[str, str]) -> None:
    """An installed-looking distribution: a .dist-info with entry points, and its modules."""
    info = site / f"{name}-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    lines = "\n".join(f"{k} = {v}" for k, v in entry_points.items())
    (info / "entry_points.txt").write_text(f"[kaleidoscope.channels]\n{lines}\n")
    for module, source in modules.items():
        (site / f"{module}.py").write_text(textwrap.dedent(source))


@pytest.fixture
def broken_plugins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_distribution(
        tmp_path,
        "kaleidoscope_channel_broken",
        {"pigeon": "kaleidoscope_test_pigeon:PigeonChannel", "fax": "kaleidoscope_test_fax:FaxChannel"},
        {
            "kaleidoscope_test_pigeon": "import kaleidoscope_no_such_module\n",
            "kaleidoscope_test_fax": """
                from notifications.channels import Channel

                class FaxChannel(Channel):
                    name = "fax"

                    def __init__(self, config):
                        raise RuntimeError("fax modem not configured")

                    async def send(self, message):
                        raise NotImplementedError
            """,
        },
    )
    monkeypatch.syspath_prepend(str(tmp_path))


def test_built_in_channels_are_registered_as_entry_points() -> None:
    assert set(available_channel_names()) >= BUILT_IN


def test_built_in_channels_load_with_their_configuration(tmp_path: Path) -> None:
    loaded = load_channels(
        {"webhook": {"secret": "whsec_c2VjcmV0"}, "file": {"path": str(tmp_path)}}, enabled=BUILT_IN
    )
    assert loaded.failures == []
    assert set(loaded.channels) == BUILT_IN
    assert isinstance(loaded["console"], ConsoleChannel)


@pytest.mark.usefixtures("broken_plugins")
def test_broken_plugins_are_reported_by_name_and_the_others_still_load() -> None:
    loaded = load_channels({"webhook": {"secret": "whsec_c2VjcmV0"}})

    failures = {f.name: f.error for f in loaded.failures}
    assert set(failures) == {"pigeon", "fax"}
    assert "cannot import" in failures["pigeon"] and "kaleidoscope_no_such_module" in failures["pigeon"]
    assert "cannot configure" in failures["fax"] and "fax modem not configured" in failures["fax"]
    assert set(loaded.channels) >= BUILT_IN


def test_a_misconfigured_built_in_channel_is_reported_not_raised() -> None:
    loaded = load_channels({"email": {"prot": 25}}, enabled={"email", "console"})
    assert [f.name for f in loaded.failures] == ["email"]
    assert "prot" in loaded.failures[0].error
    assert set(loaded.channels) == {"console"}


def test_an_enabled_channel_that_no_package_provides_is_reported() -> None:
    loaded = load_channels(enabled={"console", "carrier-pigeon"})
    assert [(f.name, "no installed package" in f.error) for f in loaded.failures] == [
        ("carrier-pigeon", True)
    ]
    assert set(loaded.channels) == {"console"}
