"""The audit log: append-only records chained by SHA-256, and a check that names the first broken row.

Each record's hash is sha256(previous hash + canonical content), where the content is the canonical
JSON of its sequence, kind and payload. Changing, dropping or reordering any row breaks the chain at
that row. A row rewritten and every later row re-hashed leaves a chain that is whole again: only a hash
published before the rewrite catches it. Each stage's close publishes one, a `PublishedHead` — "record
number N has hash H" (StageClosed carries H; the public heads carry both) — and `check_chain` checks
a log against any number of them. `export_line` / `parse_export` are the JSON lines a copy of the log
travels in, so that anyone can check it without the service.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
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


@dataclass(frozen=True, slots=True)
class PublishedHead:
    """A head published when a stage closed: record number `records` of the log has hash `hash`."""

    records: int
    hash: str

    def __post_init__(self) -> None:
        if self.records < 1:
            raise ValueError(f"A published head names record 1 or later, not {self.records}.")
        if not _HASH.fullmatch(self.hash):
            raise ValueError(f"A head hash is 64 lowercase hexadecimal digits, not {self.hash!r}.")

    @classmethod
    def parse(cls, text: str) -> PublishedHead:
        """`RECORDS:HASH` as the public heads print it, e.g. `42:9f2c…` (the hash in either case)."""
        records, colon, digest = text.strip().partition(":")
        if not colon or not records.strip().isdigit():
            raise ValueError(f"A head is RECORDS:HASH (the record number, a colon, its hash), not {text!r}.")
        return cls(int(records), digest.strip().lower())

    def __str__(self) -> str:
        return f"{self.records}:{self.hash}"


_HASH = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True, slots=True)
class HeadCheck:
    """One published head against the log: `first_broken` is None when the chain is whole up to record
    `head.records` and that record has the head's hash; otherwise the first row found broken on the way
    (a log re-hashed from an earlier row to its end shows only here, at `head.records`: the row it
    rewrote is that one or one before it, after the last head that passed), or the row after the
    log's last when the log is shorter than the head."""

    head: PublishedHead
    first_broken: int | None

    @property
    def passed(self) -> bool:
        return self.first_broken is None


@dataclass(frozen=True, slots=True)
class ChainCheck:
    """A log checked on its own and against published heads: the first broken row over all, if any."""

    records: int
    first_broken: int | None
    heads: tuple[HeadCheck, ...] = ()

    @property
    def intact(self) -> bool:
        return self.first_broken is None


def check_chain(
    records: Sequence[AuditRecord],
    heads: Iterable[PublishedHead] = (),
    expected_head_hash: str | None = None,
) -> ChainCheck:
    """The log checked as a chain and against each published head (see `first_broken_sequence`).

    A head (N, H) passes when records 1…N chain from the genesis hash and record N's hash is H: rows
    after N do not matter to it, so a head published when stage 1 closed still passes once stage 2
    has closed. `expected_head_hash` is the hash the last record must have (the stored head)."""
    records = list(records)
    checks = tuple(
        HeadCheck(
            head,
            len(records) + 1
            if head.records > len(records)
            else _first_broken(records[: head.records], head.hash),
        )
        for head in heads
    )
    last = expected_head_hash or next((c.head.hash for c in checks if c.head.records == len(records)), None)
    found = [_first_broken(records, last), *(c.first_broken for c in checks)]
    return ChainCheck(len(records), min((b for b in found if b is not None), default=None), checks)


def first_broken_sequence(
    records: Sequence[AuditRecord],
    expected_head_hash: str | None = None,
    heads: Iterable[PublishedHead] = (),
) -> int | None:
    """The sequence number of the first broken row, or None when the chain is whole.

    Rows are given in storage order. A row is broken when it does not match its own hash or is not
    at its position (edited, dropped, moved): the number returned is the position it holds. If every
    row matches its own hash, a row was rewritten and re-hashed: the link to the next row (which still
    holds the old hash) names it. Pass `expected_head_hash` (the hash the last record must have) to
    catch that in the last row too; any single altered row is then named exactly. A rewrite re-hashed
    to the end shows only against `heads` published before it (`check_chain`).
    """
    return check_chain(records, heads, expected_head_hash).first_broken


def _first_broken(records: Sequence[AuditRecord], expected_head_hash: str | None) -> int | None:
    """The chain check of `first_broken_sequence` with one expected hash, that of the last row."""
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


EXPORT_FIELDS = ("sequence", "kind", "payload", "previous_hash", "hash")
"""What each line of an exported log holds (besides what the exporter adds, e.g. `recorded_at`)."""


def export_line(record: AuditRecord, **more: Any) -> str:
    """One record as a line of JSON (no newline): its fields, the payload as the exact text hashed."""
    fields = {name: getattr(record, name) for name in EXPORT_FIELDS}
    return json.dumps({**more, **fields}, ensure_ascii=False, default=_to_json)


def parse_export(lines: Iterable[str]) -> list[AuditRecord]:
    """The records of an exported log, in the order of its lines (blank lines skipped); a line that is
    not a record is a ValueError naming it. Order and content are taken as they are: checking is
    `check_chain`'s job."""
    records = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as error:
            raise ValueError(f"Line {number} is not JSON: {error}.") from None
        if not isinstance(value, dict):
            raise ValueError(f"Line {number} is not a record (a JSON object).")
        sequence, texts = value.get("sequence"), [value.get(n) for n in EXPORT_FIELDS[1:]]
        if not isinstance(sequence, int) or isinstance(sequence, bool):
            raise ValueError(f"Line {number} lacks a record's integer sequence.")
        kind, payload, previous, digest = (t if isinstance(t, str) else None for t in texts)
        if kind is None or payload is None or previous is None or digest is None:
            raise ValueError(f"Line {number} lacks a record's texts: kind, payload, previous_hash and hash.")
        records.append(AuditRecord(sequence, kind, payload, previous, digest))
    return records


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
