"""Versioned event contracts: the only thing Kaleidoscope's services share about each other."""

from .envelope import DEFAULT_NAMESPACE, Envelope, Event, stream_name
from .events import *  # noqa: F403
from .events import __all__ as _events_all
from .registry import ALL_EVENTS, UnknownEvent, event_class, parse_payload

__all__ = [
    "ALL_EVENTS",
    "DEFAULT_NAMESPACE",
    "Envelope",
    "Event",
    "UnknownEvent",
    "event_class",
    "parse_payload",
    "stream_name",
    *_events_all,
]
