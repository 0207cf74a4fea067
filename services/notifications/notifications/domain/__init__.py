"""The notifications domain: who hears what, delivery identity, retries. No I/O here."""

from .audiences import documents_for
from .delivery import (
    DeliveryState,
    DeliveryStatus,
    RetryPolicy,
    delivery_key,
    record_failure,
    record_success,
)
from .kinds import DEFAULT_LANGUAGE, LANGUAGES, DocumentKind, Language, NotificationKind
from .model import (
    ContestView,
    DocumentRequest,
    EntryView,
    JurorReminderDue,
    Person,
    Plan,
    PlannedMessage,
    Preferences,
    SkippedRecipient,
)
from .planning import plan_notifications

__all__ = [
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "ContestView",
    "DeliveryState",
    "DeliveryStatus",
    "DocumentKind",
    "DocumentRequest",
    "EntryView",
    "JurorReminderDue",
    "Language",
    "NotificationKind",
    "Person",
    "Plan",
    "PlannedMessage",
    "Preferences",
    "RetryPolicy",
    "SkippedRecipient",
    "delivery_key",
    "documents_for",
    "plan_notifications",
    "record_failure",
    "record_success",
]
