"""Submitting an entry: what is accepted as revision 1, and every rule that refuses one."""

from __future__ import annotations

import uuid

import pytest
from pydantic import ValidationError

from submissions.domain import (
    AttachmentRef,
    ContestRules,
    ContestStatus,
    Entry,
    FixedClock,
    submit_entry,
    withdraw_entry,
)
from submissions.domain.errors import (
    AttachmentTooLarge,
    ConsentRequired,
    ContestStateConflict,
    DuplicateEntry,
    EntryLimitReached,
    UnknownNomination,
    UnknownTerritory,
    UnsupportedAttachmentType,
)
from submissions.domain.rules import choose_slots
from submissions.domain.tokens import hash_entry_token

from .conftest import make_author, make_content, make_contest


def submitted(contest, clock, existing=(), **content) -> Entry:  # type: ignore[no-untyped-def]
    return submit_entry(contest, make_content(**content), existing=existing, clock=clock).entry


def test_a_valid_entry_is_accepted_as_revision_one(contest, clock) -> None:
    result = submit_entry(contest, make_content(), existing=[], clock=clock)
    assert result.entry.revision == 1
    assert result.entry.contest_id == contest.id
    assert result.entry.submitted_at == result.entry.updated_at == clock.now()


def test_only_the_hash_of_the_private_token_is_kept_on_the_entry(contest, clock) -> None:
    result = submit_entry(contest, make_content(), existing=[], clock=clock)
    assert result.entry.token_sha256 == hash_entry_token(result.token.plaintext)
    assert result.token.plaintext not in result.entry.model_dump_json()
    assert result.token.plaintext not in repr(result.token)


def test_an_unknown_nomination_is_refused_naming_the_allowed_codes(contest, clock) -> None:
    with pytest.raises(UnknownNomination, match="choose one of: idea-generator, service-guide") as err:
        submitted(contest, clock, nomination_code="best-poster")
    assert err.value.status == 422
    assert err.value.extensions()["allowed_codes"] == ["idea-generator", "service-guide"]


def test_an_author_from_a_territory_outside_the_contest_is_refused(contest, clock) -> None:
    stranger = make_author(territory_code="tomsk-city")
    with pytest.raises(UnknownTerritory, match="choose one of: belovo-city, chebulinsky-district") as err:
        submitted(contest, clock, authors=(make_author(), stranger))
    assert err.value.status == 422


def test_missing_consent_is_refused_when_the_contest_requires_it(contest, clock) -> None:
    with pytest.raises(ConsentRequired) as err:
        submitted(contest, clock, consent_to_personal_data=False)
    assert err.value.status == 422


def test_consent_is_not_asked_when_the_contest_does_not_require_it(clock) -> None:
    contest = make_contest(rules=ContestRules(consent_required=False))
    assert submitted(contest, clock, consent_to_personal_data=False).revision == 1


@pytest.mark.parametrize("link", ["javascript:alert(1)", "ftp://example.org/a", "file:///etc/passwd", "//x"])
def test_links_must_be_http_or_https(link: str) -> None:
    with pytest.raises(ValidationError, match="must be a web address starting with http"):
        make_content(links=(link,))


def test_a_draft_contest_takes_no_entries(clock) -> None:
    with pytest.raises(ContestStateConflict) as err:
        submitted(make_contest(status=ContestStatus.DRAFT), clock)
    assert err.value.status == 409


@pytest.mark.parametrize(
    "title, first_author, author",
    [
        ("Рюкзачок знаний", {}, {}),
        ("  «РЮКЗАЧОК   знаний»! ", {}, {}),
        ("Рюкзачок знаний", {}, {"full_name": "О. Ю. Заводискер", "email": " O.Zavodisker@Example.org"}),
        ("Рюкзачок знаний", {}, {"full_name": "Иванова Мария", "email": "o.zavodisker@example.org"}),
        (
            "Рюкзачок знаний",
            {"email": None},
            {
                "full_name": "заводискер  оксана юрьевна",
                "email": None,
                "library": "центральная детская библиотека ЦБС г. Белово",
                "position": "заведующая",
            },
        ),
    ],
)
def test_the_same_title_by_the_same_author_is_a_duplicate_of_the_first_entry_not_named_in_the_answer(
    contest, clock, title, first_author, author
) -> None:
    first = submitted(contest, clock, authors=(make_author(**first_author),))
    second_clock = FixedClock(clock.now().replace(hour=18))
    with pytest.raises(DuplicateEntry) as err:
        submitted(contest, second_clock, [first], title=title, authors=(make_author(**author),))
    assert err.value.status == 409
    assert err.value.existing_entry_id == first.id
    # the answer goes to anyone who submits: it must not name the other entry
    assert str(first.id) not in err.value.message
    assert str(first.id) not in str(err.value.extensions())


def test_namesakes_with_different_emails_are_different_authors(clock) -> None:
    """Two librarians of the same full name: neither the duplicate rule nor the limit joins them."""
    contest = make_contest(rules=ContestRules(max_entries_per_author_per_nomination=1))
    first = submitted(contest, clock)
    namesake = make_author(
        email="zavodisker.oksana@kem-library.example.org",
        library="Чебулинская межпоселенческая центральная библиотека",
        territory_code="chebulinsky-district",
    )
    second = submitted(contest, clock, [first], authors=(namesake,))
    assert second.content.authors[0].identity_key() != first.content.authors[0].identity_key()


def test_without_an_email_an_author_is_their_name_and_library(clock) -> None:
    """Namesakes without e-mails from different libraries are two people; in one library, one."""
    contest = make_contest(rules=ContestRules(max_entries_per_author_per_nomination=1))
    first = submitted(contest, clock, authors=(make_author(email=None),))
    elsewhere = make_author(email=None, library="Чебулинская центральная библиотека")
    second = submitted(contest, clock, [first], title="Другая практика", authors=(elsewhere,))
    same_library = make_author(email=None, full_name="ЗАВОДИСКЕР Оксана Юрьевна")
    with pytest.raises(EntryLimitReached):
        submitted(contest, clock, [first, second], title="Третья практика", authors=(same_library,))


def test_the_same_title_by_another_author_is_not_a_duplicate(contest, clock) -> None:
    first = submitted(contest, clock)
    other = make_author(full_name="Иванова Мария Петровна", email="m.ivanova@example.org")
    assert submitted(contest, clock, [first], authors=(other,)).revision == 1


def test_a_withdrawn_entry_does_not_block_submitting_it_again(contest, clock) -> None:
    first = withdraw_entry(contest, submitted(contest, clock), "нашла ошибку в аннотации", clock=clock)
    assert submitted(contest, clock, [first]).id != first.id


def test_an_author_may_not_exceed_the_entries_allowed_per_nomination(contest, clock) -> None:
    one = submitted(contest, clock, title="Первая практика")
    two = submitted(contest, clock, [one], title="Вторая практика")
    with pytest.raises(EntryLimitReached, match="already has 2 entries in nomination 'service-guide'") as err:
        submitted(contest, clock, [one, two], title="Третья практика")
    assert err.value.status == 409
    assert submitted(contest, clock, [one, two], title="Третья", nomination_code="idea-generator")


def test_the_limit_counts_an_author_found_by_email_among_co_authors(contest, clock) -> None:
    colleague = make_author(full_name="Иванова Мария Петровна", email="m.ivanova@example.org")
    one = submitted(contest, clock, title="Первая", authors=(colleague,))
    two = submitted(contest, clock, [one], title="Вторая", authors=(make_author(), colleague))
    renamed = make_author(full_name="Иванова-Петрова Мария", email="M.Ivanova@example.org")
    with pytest.raises(EntryLimitReached, match="Иванова-Петрова Мария"):
        submitted(contest, clock, [one, two], title="Третья", authors=(renamed,))


def attachment(media_type: str, size: int) -> AttachmentRef:
    return AttachmentRef(
        key=f"ab/{uuid.uuid4().hex}",
        filename="work.pdf",
        media_type=media_type,
        size_bytes=size,
        sha256="0" * 64,
    )


def test_an_attachment_of_a_type_the_contest_does_not_accept_is_refused(contest, clock) -> None:
    with pytest.raises(UnsupportedAttachmentType) as err:
        submitted(contest, clock, attachments=(attachment("application/x-msdownload", 10),))
    assert err.value.status == 415


def test_an_attachment_over_the_size_limit_is_refused(contest, clock) -> None:
    limit = contest.rules.attachments.max_size_bytes
    assert submitted(contest, clock, attachments=(attachment("application/pdf", limit),))
    with pytest.raises(AttachmentTooLarge) as err:
        submitted(contest, clock, title="Другая", attachments=(attachment("application/pdf", limit + 1),))
    assert err.value.status == 413


def test_each_author_gets_the_lowest_slot_no_live_entry_holds(contest) -> None:
    colleague = make_author(full_name="Иванова Мария Петровна", email="m.ivanova@example.org")
    content = make_content(authors=(make_author(), colleague, make_author(full_name="Заводискер О. Ю.")))
    me, her = make_author().identity_key(), colleague.identity_key()
    assert choose_slots(contest, content, {me: {2}}) == {me: 1, her: 1}
    assert choose_slots(contest, content, {me: {1}, her: {1, 5}}) == {me: 2, her: 2}


def test_no_slot_left_for_an_author_is_the_limit_problem(contest) -> None:
    with pytest.raises(EntryLimitReached, match="already has 2 entries in nomination 'service-guide'"):
        choose_slots(contest, make_content(), {make_author().identity_key(): {1, 2}})
