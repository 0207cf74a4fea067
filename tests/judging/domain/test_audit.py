import dataclasses
import hashlib
import json
import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from judging.domain import (
    AuditLog,
    AuditRecord,
    PublishedHead,
    canonical_json,
    check_chain,
    export_line,
    first_broken_sequence,
    head_hash,
    parse_export,
)
from judging.domain.audit import GENESIS_HASH, record_hash

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)
payloads = st.dictionaries(st.text(min_size=1, max_size=6), json_values, max_size=4)


def build_log(entries):
    log = AuditLog()
    for kind, payload in entries:
        log.append(kind, payload)
    return log


def test_records_chain_from_the_genesis_hash_and_the_head_is_the_last_hash():
    log = build_log([("score-recorded", {"juror": "j1", "entry": "e1", "marks": {"quality": 8}})] * 3)
    first, second, third = log.records
    assert first.previous_hash == GENESIS_HASH and second.previous_hash == first.hash
    assert [r.sequence for r in log.records] == [1, 2, 3]
    assert log.head_hash == head_hash(log.records) == third.hash
    assert first_broken_sequence(log.records) is None
    assert first_broken_sequence([]) is None


def test_payload_is_canonical_whatever_the_key_order():
    left = canonical_json({"b": 1, "a": {"d": Decimal("8.20"), "c": "Кемерово"}})
    right = canonical_json({"a": {"c": "Кемерово", "d": Decimal("8.20")}, "b": 1})
    assert left == right == '{"a":{"c":"Кемерово","d":"8.20"},"b":1}'
    assert canonical_json({"at": datetime(2024, 3, 1, tzinfo=UTC), "id": uuid.UUID(int=1)}) == (
        '{"at":"2024-03-01T00:00:00+00:00","id":"00000000-0000-0000-0000-000000000001"}'
    )


def test_hash_is_sha256_of_previous_hash_and_canonical_content():
    log = build_log([("stage-opened", {"stage": "review"})])
    record = log.records[0]
    content = '{"kind":"stage-opened","payload":"{\\"stage\\":\\"review\\"}","sequence":1}'
    assert record.hash == hashlib.sha256((GENESIS_HASH + content).encode()).hexdigest()
    assert record.hash == record_hash(GENESIS_HASH, 1, "stage-opened", record.payload)


TAMPERS = {
    "payload": lambda r: dataclasses.replace(r, payload=r.payload + " "),
    "kind": lambda r: dataclasses.replace(r, kind=r.kind + "!"),
    "sequence": lambda r: dataclasses.replace(r, sequence=r.sequence + 100),
    "previous_hash": lambda r: dataclasses.replace(r, previous_hash="f" * 64),
    "hash": lambda r: dataclasses.replace(r, hash="0" * 64),
    "rehashed payload": lambda r: dataclasses.replace(
        r, payload="{}", hash=record_hash(r.previous_hash, r.sequence, r.kind, "{}")
    ),
    "rehashed previous_hash": lambda r: dataclasses.replace(
        r, previous_hash="e" * 64, hash=record_hash("e" * 64, r.sequence, r.kind, r.payload)
    ),
}
# Without the published head, a re-hashed rewrite of the last row (or of the link into it) is
# indistinguishable from one of the row before: the head hash StageClosed carries settles it.
REWRITES_THAT_NEED_THE_HEAD = {"rehashed payload", "rehashed previous_hash"}


@settings(max_examples=150, deadline=None)
@given(
    entries=st.lists(
        st.tuples(st.sampled_from(["score", "recusal", "stage", "decision"]), payloads),
        min_size=1,
        max_size=12,
    ),
    data=st.data(),
)
def test_audit_chain_verify_detects_any_single_tampered_row_and_names_it(entries, data):
    records = list(build_log(entries).records)
    published_head = records[-1].hash
    index = data.draw(st.integers(0, len(records) - 1))
    tamper = data.draw(st.sampled_from(sorted(TAMPERS)))
    tampered = TAMPERS[tamper](records[index])
    if tampered == records[index]:  # e.g. re-hashing a payload that already was "{}"
        return
    records[index] = tampered
    assert first_broken_sequence(records, expected_head_hash=published_head) == index + 1
    if tamper not in REWRITES_THAT_NEED_THE_HEAD or index < len(records) - 1:
        assert first_broken_sequence(records) == index + 1


@settings(max_examples=100, deadline=None)
@given(entries=st.lists(st.tuples(st.just("score"), payloads), min_size=2, max_size=8), data=st.data())
def test_a_deleted_or_swapped_row_breaks_the_chain_where_it_happened(entries, data):
    records = list(build_log(entries).records)
    index = data.draw(st.integers(0, len(records) - 2))
    assert first_broken_sequence(records[:index] + records[index + 1 :]) == index + 1
    swapped = [*records[:index], records[index + 1], records[index], *records[index + 2 :]]
    assert first_broken_sequence(swapped) == index + 1


# --- published heads: "record number N has hash H" ------------------------------------------------------


def two_closed_stages() -> tuple[list[AuditRecord], PublishedHead, PublishedHead]:
    """A log in which stage 1 closed at record 5 and stage 2 at record 9, with records after each."""
    log = AuditLog()
    for n in range(4):
        log.append("score_recorded", {"stage": 1, "entry": f"e{n}", "marks": {"quality": 5 + n}})
    first = PublishedHead(log.append("stage_closed", {"stage": 1}).sequence, log.head_hash)
    for n in range(3):
        log.append("score_recorded", {"stage": 2, "entry": f"e{n}", "marks": {"quality": 7}})
    second = PublishedHead(log.append("stage_closed", {"stage": 2}).sequence, log.head_hash)
    for n in range(3):
        log.append("juror_registered", {"name": f"Юрий {n}"})
    return list(log.records), first, second


def rewritten_to_the_end(records: list[AuditRecord], sequence: int, payload: str) -> list[AuditRecord]:
    """Record `sequence` given another payload, it and every later record re-hashed: a whole chain."""
    out = records[: sequence - 1]
    previous = out[-1].hash if out else GENESIS_HASH
    for record in records[sequence - 1 :]:
        text = payload if record.sequence == sequence else record.payload
        digest = record_hash(previous, record.sequence, record.kind, text)
        out.append(AuditRecord(record.sequence, record.kind, text, previous, digest))
        previous = digest
    return out


def test_a_head_published_when_stage_1_closed_still_passes_after_later_records() -> None:
    records, first, second = two_closed_stages()
    assert (first.records, second.records, len(records)) == (5, 9, 12)
    assert first_broken_sequence(records, heads=[first]) is None
    check = check_chain(records, [first, second])
    assert check.intact and check.records == 12
    assert [(c.head, c.passed, c.first_broken) for c in check.heads] == [
        (first, True, None),
        (second, True, None),
    ]
    # `expected_head_hash` is the last record's hash: stage 1's head given there is (rightly) wrong
    assert first_broken_sequence(records, expected_head_hash=first.hash) == 12


def test_a_record_before_stage_1s_head_rewritten_and_rehashed_to_the_end_fails_at_that_head() -> None:
    records, first, second = two_closed_stages()
    forged = rewritten_to_the_end(records, 3, '{"entry":"e2","marks":{"quality":10},"stage":1}')
    assert first_broken_sequence(forged) is None, "re-hashed to the end, the chain alone is whole again"
    check = check_chain(forged, [first, second])
    assert check.first_broken == first.records == 5  # record 5 or one before it was rewritten
    assert [(c.passed, c.first_broken) for c in check.heads] == [(False, 5), (False, 9)]


def test_a_record_between_the_two_heads_rewritten_fails_only_the_second() -> None:
    records, first, second = two_closed_stages()
    forged = rewritten_to_the_end(records, 7, '{"entry":"e1","marks":{"quality":1},"stage":2}')
    check = check_chain(forged, [first, second])
    assert check.first_broken == second.records == 9
    assert [(c.passed, c.first_broken) for c in check.heads] == [(True, None), (False, 9)]
    # rewritten but not re-hashed onwards, the chain itself names the record exactly
    only_it = [*forged[:7], *records[7:]]
    assert check_chain(only_it, [first, second]).first_broken == 7


def test_a_log_cut_short_of_a_head_is_broken_after_its_last_record() -> None:
    records, first, second = two_closed_stages()
    check = check_chain(records[:7], [first, second])
    assert check.first_broken == 8 and [c.first_broken for c in check.heads] == [None, 8]


@settings(max_examples=100, deadline=None)
@given(
    size=st.integers(2, 15),
    data=st.data(),
)
def test_a_rewrite_rehashed_to_the_end_fails_exactly_the_heads_at_or_after_it(
    size: int, data: st.DataObject
) -> None:
    log = build_log([("score", {"n": n}) for n in range(size)])
    records = list(log.records)
    published = data.draw(st.lists(st.integers(1, size), min_size=1, max_size=4, unique=True))
    heads = [PublishedHead(n, records[n - 1].hash) for n in sorted(published)]
    assert check_chain(records, heads).intact
    rewritten = data.draw(st.integers(1, size))
    forged = rewritten_to_the_end(records, rewritten, '{"n":"forged"}')
    check = check_chain(forged, heads)
    assert [c.passed for c in check.heads] == [h.records < rewritten for h in heads]
    assert check.first_broken == min((h.records for h in heads if h.records >= rewritten), default=None)


def test_a_head_is_written_and_read_as_records_colon_hash() -> None:
    head = PublishedHead.parse(f" 42:{'AB' * 32} ")
    assert head == PublishedHead(42, "ab" * 32) and str(head) == f"42:{'ab' * 32}"
    for wrong in ("ab" * 32, f"x:{'ab' * 32}", f"0:{'ab' * 32}", "3:abc", f"-1:{'ab' * 32}"):
        with pytest.raises(ValueError):
            PublishedHead.parse(wrong)


def test_an_exported_log_reads_back_as_the_same_records_and_a_bad_line_is_named() -> None:
    records, first, _second = two_closed_stages()
    lines = [
        export_line(r, contest_id=uuid.UUID(int=7), recorded_at=datetime(2026, 3, 1, tzinfo=UTC))
        for r in records
    ]
    assert json.loads(lines[-1])["payload"] == '{"name":"Юрий 2"}' and "Юрий" in lines[-1]
    assert json.loads(lines[0])["contest_id"] == str(uuid.UUID(int=7))
    assert parse_export([*lines, ""]) == records
    assert check_chain(parse_export(lines), [first]).intact
    with pytest.raises(ValueError, match="Line 2 is not JSON"):
        parse_export([lines[0], "{", lines[1]])
    with pytest.raises(ValueError, match="Line 1 lacks"):
        parse_export(['{"sequence": "1", "kind": "k", "payload": "{}", "previous_hash": "0", "hash": "0"}'])
