"""The audit log: append-only records chained by SHA-256, and a check that names the first broken row.

Each record's hash is sha256(previous hash + canonical content), where the content is the canonical
JSON of its sequence, kind and payload. Changing, dropping or reordering any row breaks the chain at
that row; the head hash (the last record's) travels in StageClosed.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

GENESIS_HASH = "0" * 64
"""The `previous_hash` of the first record."""


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One row of the audit log. `payload` is canonical JSON text, stored exactly as hashed."""

    sequence: int
    kind: str
    payload: str
    previous_hash: str
    hash: str


def canonical_json(value: Any) -> str:
    """JSON with sorted keys, no spaces, UTF-8 text; Decimal, UUID, datetime and enums as strings."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_to_json)


def _to_json(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, set | frozenset):
        return sorted(value)
    raise TypeError(
        f"Audit payloads hold JSON values, Decimal, UUID, dates and enums, not {type(value).__name__}."
    )


def record_hash(previous_hash: str, sequence: int, kind: str, payload: str) -> str:
    """The hash a record with these fields must carry."""
    content = canonical_json({"sequence": sequence, "kind": kind, "payload": payload})
    return hashlib.sha256((previous_hash + content).encode("utf-8")).hexdigest()


def next_record(head: AuditRecord | None, kind: str, payload: Mapping[str, Any]) -> AuditRecord:
    """The record that follows `head` (None for an empty log)."""
    sequence = 1 if head is None else head.sequence + 1
    previous = GENESIS_HASH if head is None else head.hash
    text = canonical_json(payload)
    return AuditRecord(sequence, kind, text, previous, record_hash(previous, sequence, kind, text))


def first_broken_sequence(
    records: Sequence[AuditRecord], expected_head_hash: str | None = None
) -> int | None:
    """The sequence number of the first broken row, or None when the chain is whole.

    Rows are given in storage order. A row is broken when it does not match its own hash or is not
    at its position (edited, dropped, moved): the number returned is the position it holds. If every
    row matches its own hash, a row was rewritten and re-hashed: the link to the next row (which still
    holds the old hash) names it. Pass `expected_head_hash` (the head StageClosed published) to catch
    that in the last row too; any single altered row is then named exactly.
    """
    for position, record in enumerate(records, start=1):
        if record.sequence != position or record.hash != record_hash(
            record.previous_hash, record.sequence, record.kind, record.payload
        ):
            return position
    held = [GENESIS_HASH, *(r.hash for r in records)]
    committed = [*(r.previous_hash for r in records), expected_head_hash]
    broken = {
        link for link, (h, c) in enumerate(zip(held, committed, strict=True)) if c is not None and h != c
    }
    if not broken:
        return None
    first = min(broken)
    # Link i joins row i to row i+1: both broken around row i+1 means row i+1 was rewritten whole.
    return first + 1 if first == 0 or first + 1 in broken else first


def head_hash(records: Sequence[AuditRecord]) -> str:
    """The hash of the last record (GENESIS_HASH for an empty log)."""
    return records[-1].hash if records else GENESIS_HASH


class AuditLog:
    """An in-memory append-only log (for tests and batch checks); the service stores the same rows."""

    def __init__(self, records: Sequence[AuditRecord] = ()) -> None:
        self._records = list(records)

    def append(self, kind: str, payload: Mapping[str, Any]) -> AuditRecord:
        """Append a record and return it."""
        record = next_record(self._records[-1] if self._records else None, kind, payload)
        self._records.append(record)
        return record

    @property
    def records(self) -> tuple[AuditRecord, ...]:
        """Every record, oldest first."""
        return tuple(self._records)

    @property
    def head_hash(self) -> str:
        """The hash of the last record."""
        return head_hash(self._records)
