"""Who hears what: recipients, languages and channels for each event."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

from notify_testkit import BACKPACK, COAUTHOR, MALYSHEVA, ORGANISER, RED_BOOK, ZAVODISKER

from kaleidoscope_shared.contracts import (
    Author,
    ContestFinished,
    EntryRef,
    EntryResult,
    EntrySubmitted,
    EntryWithdrawn,
    JurorAssigned,
    Placement,
    Prize,
    StageClosed,
    StageOpened,
    SubmissionsClosed,
    WinnerDeclared,
)
from notifications.domain import (
    ContestView,
    DocumentKind,
    JurorReminderDue,
    NotificationKind,
    Preferences,
    delivery_key,
    plan_notifications,
)
from notifications.templates import TemplateCatalogue

EVENT_ID = uuid.UUID("22222222-2222-4222-8222-222222222222")
NOW = datetime(2025, 9, 1, tzinfo=UTC)


def _submitted(entry_id: uuid.UUID) -> EntrySubmitted:
    author = Author(full_name="x", territory_code="t")
    return EntrySubmitted(
        entry_id=entry_id,
        contest_id=uuid.uuid4(),
        revision=1,
        nomination_code="service",
        title="x",
        authors=[author],
        submitted_at=NOW,
    )


def test_every_co_author_of_an_entry_is_told_it_was_received(contest: ContestView) -> None:
    plan = plan_notifications(EVENT_ID, _submitted(BACKPACK.entry_id), contest)
    assert {(m.person.name, m.kind, m.channel, m.language) for m in plan.messages} == {
        (ZAVODISKER.name, NotificationKind.ENTRY_RECEIVED, "email", "ru"),
        (COAUTHOR.name, NotificationKind.ENTRY_RECEIVED, "email", "ru"),
    }
    assert plan.messages[0].context["entry"]["private_link"] == BACKPACK.private_link


def test_preferences_choose_channels_and_language_and_each_gets_its_own_delivery_id(
    contest: ContestView,
) -> None:
    prefs = {
        ZAVODISKER.key: Preferences(
            channels=("email", "telegram"), language="en", addresses={"telegram": "-100"}
        ),
    }
    plan = plan_notifications(EVENT_ID, _submitted(BACKPACK.entry_id), contest, prefs)
    mine = {m.channel: m for m in plan.messages if m.person == ZAVODISKER}
    assert set(mine) == {"email", "telegram"}
    assert mine["telegram"].address == "-100" and mine["email"].address == ZAVODISKER.email
    assert {m.language for m in mine.values()} == {"en"}
    assert mine["email"].delivery_id == delivery_key(EVENT_ID, ZAVODISKER.key, "email")
    assert len({m.delivery_id for m in plan.messages}) == len(plan.messages)


def test_a_redelivered_event_plans_the_same_delivery_ids(contest: ContestView) -> None:
    first = plan_notifications(EVENT_ID, _submitted(BACKPACK.entry_id), contest)
    again = plan_notifications(EVENT_ID, _submitted(BACKPACK.entry_id), contest)
    assert [m.delivery_id for m in first.messages] == [m.delivery_id for m in again.messages]


def test_a_recipient_without_an_address_for_a_channel_is_skipped_with_a_reason(contest: ContestView) -> None:
    prefs = {MALYSHEVA.key: Preferences(channels=("telegram",))}
    no_email = replace(MALYSHEVA, email=None)
    entries = {**contest.entries, RED_BOOK.entry_id: replace(RED_BOOK, authors=(no_email,))}
    plan = plan_notifications(
        EVENT_ID, _submitted(RED_BOOK.entry_id), replace(contest, entries=entries), prefs
    )
    assert plan.messages == []
    assert [(s.person.name, s.channel) for s in plan.skipped] == [(MALYSHEVA.name, "telegram")]


def test_a_withdrawn_entrys_authors_are_told_with_the_reason(contest: ContestView) -> None:
    event = EntryWithdrawn(
        entry_id=RED_BOOK.entry_id, contest_id=uuid.uuid4(), revision=2, reason="дубль", withdrawn_at=NOW
    )
    [message] = plan_notifications(EVENT_ID, event, contest).messages
    assert (message.kind, message.person, message.context["reason"]) == (
        NotificationKind.ENTRY_WITHDRAWN,
        MALYSHEVA,
        "дубль",
    )


def test_organisers_get_submission_statistics(contest: ContestView) -> None:
    refs = [EntryRef(entry_id=e, revision=1) for e in contest.entries]
    event = SubmissionsClosed(contest_id=uuid.uuid4(), closed_at=NOW, closed_by="deadline", entries=refs)
    [message] = plan_notifications(EVENT_ID, event, contest).messages
    stats = message.context["statistics"]
    assert message.person == ORGANISER
    assert (stats["entries"], stats["authors"], stats["territories"]) == (2, 3, 2)
    assert stats["by_nomination"][0] == {"nomination": "Сервис гид", "entries": 1}


def test_a_juror_is_told_their_entries_and_deadline_in_their_language(contest: ContestView) -> None:
    event = JurorAssigned(
        contest_id=uuid.uuid4(),
        stage_id=uuid.uuid4(),
        stage_name="Заочный этап",
        juror_id=uuid.uuid4(),
        juror_name="Петров Сергей Иванович",
        juror_email="petrov@jury.example",
        entry_ids=list(contest.entries),
        deadline=NOW,
        language="en",
    )
    [message] = plan_notifications(EVENT_ID, event, contest).messages
    assert (message.kind, message.address, message.language) == (
        NotificationKind.JUROR_ASSIGNED,
        "petrov@jury.example",
        "en",
    )
    assert [e["title"] for e in message.context["entries"]] == [BACKPACK.title, RED_BOOK.title]
    assert message.context["personal_link"] is None


LINK = "http://127.0.0.1:8000/jury/sign-in?grant=juror-sign-in.j.1767225600.sig"


def test_the_jurors_personal_link_is_in_the_assignment_and_the_reminder_in_both_languages(
    contest: ContestView,
) -> None:
    catalogue = TemplateCatalogue.load()
    assigned = JurorAssigned(
        contest_id=uuid.uuid4(),
        stage_id=uuid.uuid4(),
        stage_name="Заочный этап",
        juror_id=uuid.uuid4(),
        juror_name="Петров Сергей Иванович",
        juror_email="petrov@jury.example",
        entry_ids=list(contest.entries),
        personal_link=LINK,
    )
    due = JurorReminderDue(
        uuid.uuid4(),
        uuid.uuid4(),
        "Петров Сергей Иванович",
        "petrov@jury.example",
        "Заочный этап",
        NOW,
        (RED_BOOK.entry_id,),
        personal_link=LINK,
    )
    for event_id, event in ((EVENT_ID, assigned), (due.reminder_id, due)):
        [message] = plan_notifications(event_id, event, contest).messages
        assert message.context["personal_link"] == LINK
        for language, words in (("ru", "Ваша личная страница"), ("en", "Your personal page")):
            text = catalogue.render(message.kind, language, message.context).text
            assert f"{words}" in text and LINK in text, text
        unlinked = {**message.context, "personal_link": None}
        assert "личная страница" not in catalogue.render(message.kind, "ru", unlinked).text


def test_a_juror_reminder_lists_the_entries_still_to_score(contest: ContestView) -> None:
    due = JurorReminderDue(
        uuid.uuid4(),
        uuid.uuid4(),
        "Петров Сергей Иванович",
        "petrov@jury.example",
        "Заочный этап",
        NOW,
        (RED_BOOK.entry_id,),
    )
    [message] = plan_notifications(due.reminder_id, due, contest).messages
    assert message.kind is NotificationKind.JUROR_REMINDER
    assert [e["title"] for e in message.context["entries"]] == [RED_BOOK.title]


def test_closing_the_review_invites_finalists_and_thanks_the_others(contest: ContestView) -> None:
    event = StageClosed(
        contest_id=uuid.uuid4(),
        stage_id=uuid.uuid4(),
        name="Заочный этап",
        kind="review",
        position=1,
        is_last=False,
        closed_at=NOW,
        audit_head_hash="h",
        final_place="Зал 1",
        results=[
            EntryResult(
                entry_id=RED_BOOK.entry_id,
                nomination_code="collection",
                aggregate=Decimal(9),
                rank=1,
                advanced=True,
                reason="top 9",
            ),
            EntryResult(
                entry_id=BACKPACK.entry_id,
                nomination_code="service",
                aggregate=Decimal(5),
                rank=12,
                advanced=False,
                reason="below",
            ),
        ],
    )
    kinds = {m.person.name: m.kind for m in plan_notifications(EVENT_ID, event, contest).messages}
    assert kinds == {
        MALYSHEVA.name: NotificationKind.FINAL_INVITATION,
        ZAVODISKER.name: NotificationKind.NON_FINALIST_THANKS,
        COAUTHOR.name: NotificationKind.NON_FINALIST_THANKS,
    }


def test_a_person_with_two_placed_entries_gets_one_message_per_channel(contest: ContestView) -> None:
    both = replace(RED_BOOK, authors=(MALYSHEVA, ZAVODISKER))
    contest = replace(contest, entries={**contest.entries, RED_BOOK.entry_id: both})
    cash = Prize(kind="cash", description="денежная премия", amount=Decimal(30000), currency="RUB")
    event = WinnerDeclared(
        contest_id=uuid.uuid4(),
        stage_id=uuid.uuid4(),
        nomination_code="service",
        declared_at=NOW,
        placements=[
            Placement(entry_id=BACKPACK.entry_id, place=1, prizes=[cash]),
            Placement(entry_id=RED_BOOK.entry_id, place=2),
        ],
    )
    messages = [m for m in plan_notifications(EVENT_ID, event, contest).messages if m.person == ZAVODISKER]
    assert len(messages) == 1
    assert [e["title"] for e in messages[0].context["entries"]] == [BACKPACK.title, RED_BOOK.title]


def test_at_the_end_participants_get_letters_and_diplomas_and_organisers_the_results(
    contest: ContestView,
) -> None:
    winner = replace(BACKPACK, finalist=True, place=1)
    finalist = replace(RED_BOOK, finalist=True)
    contest = replace(contest, entries={winner.entry_id: winner, finalist.entry_id: finalist})
    event = ContestFinished(
        contest_id=uuid.uuid4(),
        finished_at=NOW,
        participant_entry_ids=list(contest.entries),
        winner_entry_ids=[winner.entry_id],
    )
    plan = plan_notifications(EVENT_ID, event, contest)
    documents = {m.person.name: {d.kind for d in m.documents} for m in plan.messages}
    letter_and_diploma = {DocumentKind.THANK_YOU_LETTER, DocumentKind.PARTICIPANT_DIPLOMA}
    assert (
        documents[ZAVODISKER.name]
        == documents[COAUTHOR.name]
        == letter_and_diploma | {DocumentKind.WINNER_DIPLOMA}
    )
    assert documents[MALYSHEVA.name] == letter_and_diploma | {DocumentKind.FINALIST_DIPLOMA}
    [report] = [m for m in plan.messages if m.person == ORGANISER]
    assert report.kind is NotificationKind.CONTEST_FINISHED_ORGANISER
    assert report.context["results"]["winners"][0]["title"] == BACKPACK.title


def test_events_that_concern_no_one_plan_nothing(contest: ContestView) -> None:
    event = StageOpened(
        contest_id=uuid.uuid4(), stage_id=uuid.uuid4(), name="Финал", kind="final", position=2, entry_ids=[]
    )
    assert plan_notifications(EVENT_ID, event, contest).messages == []


def test_every_planned_context_renders_with_the_built_in_templates(contest: ContestView) -> None:
    """Planning and templates agree on variable names: a plan never yields an unrenderable message."""
    catalogue = TemplateCatalogue.load()
    refs = [EntryRef(entry_id=e, revision=1) for e in contest.entries]
    events = [
        _submitted(BACKPACK.entry_id),
        SubmissionsClosed(contest_id=uuid.uuid4(), closed_at=NOW, closed_by="deadline", entries=refs),
        ContestFinished(
            contest_id=uuid.uuid4(),
            finished_at=NOW,
            participant_entry_ids=list(contest.entries),
            winner_entry_ids=[],
        ),
    ]
    for event in events:
        for message in plan_notifications(EVENT_ID, event, contest).messages:
            for language in ("ru", "en"):
                assert catalogue.render(message.kind, language, message.context).subject
