"""From an event to the exact messages to send: addressees × their preferred channels, each with a
delivery id that makes a redelivered event map onto the same deliveries."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping

from kaleidoscope_shared.contracts import Event

from .audiences import addressees_for
from .delivery import delivery_key
from .kinds import DEFAULT_LANGUAGE, Language
from .model import (
    Addressee,
    ContestView,
    JurorReminderDue,
    Person,
    Plan,
    PlannedMessage,
    Preferences,
    SkippedRecipient,
)

PreferenceLookup = Callable[[Person], Preferences] | Mapping[str, Preferences]


def plan_notifications(
    event_id: uuid.UUID,
    event: Event | JurorReminderDue,
    contest: ContestView,
    preferences: PreferenceLookup | None = None,
) -> Plan:
    """Every message `event` calls for. `preferences` maps a person's key to their `Preferences` (or is
    a function of the person); without an entry a person gets e-mail in their own language, Russian
    when unknown. People without an address for a channel are listed in `Plan.skipped`."""
    plan = Plan()
    for addressee in addressees_for(event, contest):
        prefs = _preferences_of(addressee.person, preferences)
        for channel in dict.fromkeys(prefs.channels):
            _add(plan, event_id, addressee, prefs, channel)
    return plan


def _add(plan: Plan, event_id: uuid.UUID, addressee: Addressee, prefs: Preferences, channel: str) -> None:
    person = addressee.person
    address = prefs.addresses.get(channel) or person.email
    if not address:
        plan.skipped.append(SkippedRecipient(person, channel, f"no address for channel {channel!r}"))
        return
    plan.messages.append(
        PlannedMessage(
            delivery_id=delivery_key(event_id, person.key, channel),
            source_event_id=event_id,
            kind=addressee.kind,
            person=person,
            language=_language(person, prefs),
            channel=channel,
            address=address,
            context=addressee.context,
            documents=addressee.documents,
        )
    )


def _preferences_of(person: Person, preferences: PreferenceLookup | None) -> Preferences:
    if preferences is None:
        return Preferences()
    if isinstance(preferences, Mapping):
        return preferences.get(person.key) or Preferences()
    return preferences(person)


def _language(person: Person, prefs: Preferences) -> Language:
    return prefs.language or person.language or DEFAULT_LANGUAGE
