import dataclasses
import hashlib
import uuid
from datetime import UTC, datetime
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from judging.domain import AuditLog, canonical_json, first_broken_sequence, head_hash
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
