"""The events judging consumes, each mapped to its use case."""

from __future__ import annotations

from kaleidoscope_shared.bus.consumer import Handler
from kaleidoscope_shared.contracts import EntrySubmitted, EntryUpdated, EntryWithdrawn, Event

from ..service_layer.entries import record_entry, withdraw_entry

HANDLERS: dict[type[Event], Handler] = {
    EntrySubmitted: record_entry,
    EntryUpdated: record_entry,
    EntryWithdrawn: withdraw_entry,
}
