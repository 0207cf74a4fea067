"""The events judging consumes, each mapped to its use case."""

from __future__ import annotations

from kaleidoscope_shared.bus.consumer import Handler
from kaleidoscope_shared.contracts import (
    ContestAmended,
    ContestAnnounced,
    EntrySubmitted,
    EntryUpdated,
    EntryWithdrawn,
    Event,
    SubmissionsClosed,
)

from ..service_layer.entries import (
    amend_contest,
    close_submissions,
    record_contest,
    record_entry,
    withdraw_entry,
)

HANDLERS: dict[type[Event], Handler] = {
    ContestAnnounced: record_contest,
    ContestAmended: amend_contest,
    EntrySubmitted: record_entry,
    EntryUpdated: record_entry,
    EntryWithdrawn: withdraw_entry,
    SubmissionsClosed: close_submissions,
}
