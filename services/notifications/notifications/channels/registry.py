"""Finding and building channels from the `kaleidoscope.channels` entry-point group.

A plugin that cannot be imported or whose factory raises is reported with its name and the error;
the other channels are still built, so one broken package never silences every notification.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from .base import ENTRY_POINT_GROUP, Channel

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ChannelLoadFailure:
    name: str
    entry_point: str
    error: str


@dataclass(slots=True)
class LoadedChannels:
    channels: dict[str, Channel] = field(default_factory=dict)
    failures: list[ChannelLoadFailure] = field(default_factory=list)

    def __getitem__(self, name: str) -> Channel:
        return self.channels[name]


def available_channel_names() -> list[str]:
    """Names of every channel installed in this environment, without importing any of them."""
    return sorted({ep.name for ep in entry_points(group=ENTRY_POINT_GROUP)})


def load_channels(
    configs: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    enabled: Collection[str] | None = None,
) -> LoadedChannels:
    """Build every installed channel (or only those in `enabled`), passing each its entry of `configs`.

    Failures are returned, and logged, rather than raised. An `enabled` name that no package provides
    is a failure too, so a typo in configuration is visible at start-up.
    """
    configs = configs or {}
    result = LoadedChannels()
    seen: set[str] = set()
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if enabled is not None and ep.name not in enabled:
            continue
        if ep.name in seen:
            _fail(result, ep.name, ep.value, "another installed package already provides this channel")
            continue
        seen.add(ep.name)
        _load_one(result, ep, configs.get(ep.name, {}))
    for missing in sorted(set(enabled or ()) - seen):
        _fail(result, missing, "", f"no installed package provides channel {missing!r}")
    return result


def _load_one(result: LoadedChannels, ep: EntryPoint, config: Mapping[str, Any]) -> None:
    try:
        factory = ep.load()
    except Exception as exc:  # a plugin may fail in any way while importing
        _fail(result, ep.name, ep.value, f"cannot import: {type(exc).__name__}: {exc}")
        return
    try:
        channel = factory(config)
    except Exception as exc:
        _fail(result, ep.name, ep.value, f"cannot configure: {type(exc).__name__}: {exc}")
        return
    if not isinstance(channel, Channel):
        _fail(result, ep.name, ep.value, f"factory returned {type(channel).__name__}, not a Channel")
        return
    result.channels[ep.name] = channel


def _fail(result: LoadedChannels, name: str, value: str, error: str) -> None:
    log.error("channel %r (%s) was not loaded: %s", name, value, error)
    result.failures.append(ChannelLoadFailure(name=name, entry_point=value, error=error))
