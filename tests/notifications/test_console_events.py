"""What the organiser's console changes reaches people: a moved deadline is told to every active
entry's authors (in their language, in the contest's time, with the reason), the contest copy keeps
the newest revision, and a juror's new link is e-mailed to them. Through the real consumer, the
dispatcher and the file channel, on SQLite and PostgreSQL; the e-mails are read as sent."""

from __future__ import annotations

import email
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from service_kit import (
    NOW,
    SIDOROVA,
    ZAVODISKER,
    author,
    consumer_for,
    contest_announced,
    deliver,
    entry_submitted,
    settings_for,
    wrap,
)
from sqlmodel import select

from kaleidoscope_shared.contracts import (
    ContestAmended,
    ContestAnnounced,
    EntryWithdrawn,
    JurorLinkReissued,
    Organiser,
    Signatory,
)
from kaleidoscope_shared.sealing import seal
from notifications.adapters.tables import ContestCopy, DeliveryRow
from notifications.bootstrap import Notifications
from notifications.main import create_app

ORGANISER = {"authorization": "Bearer organiser-dev-token"}
OLD_DEADLINE = datetime(2025, 8, 31, 11, 0, tzinfo=UTC)
NEW_DEADLINE = datetime(2025, 9, 15, 11, 0, tzinfo=UTC)  # 18:00 in Novokuznetsk
REASON = "по просьбе библиотек, у которых в августе прошли выездные мероприятия"
TOKEN = "Tk9UX0FfUkVBTF9UT0tFTl9qdXJvcnNfbmV3X2xpbms"
MALYSHEVA = author("Malysheva Ksenia", "malysheva@chebula.example", language="en")
ZAVODISKER_AT, SIDOROVA_AT, MALYSHEVA_AT = (str(a.email) for a in (ZAVODISKER, SIDOROVA, MALYSHEVA))
GONE = author("Ушедший Автор Авторович", "gone@example.org")


@pytest.fixture
async def app(database_url: str, redis_url: str, namespace: str, tmp_path: Path) -> AsyncIterator[FastAPI]:
    app = create_app(settings_for(database_url, redis_url, namespace, tmp_path))
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test", headers=ORGANISER) as client:
        yield client


def service_of(app: FastAPI) -> Notifications:
    return app.state.notifications  # type: ignore[no-any-return]


def amended(
    announced: ContestAnnounced,
    revision: int,
    changed: list[str],
    *,
    close_at: datetime | None = None,
    previous: datetime | None = None,
    reason: str = "",
    **fields: object,
) -> ContestAmended:
    whole = announced.model_dump(exclude={"event_type"}) | fields
    if close_at is not None:
        whole["submissions_close_at"] = close_at
    return ContestAmended(
        **whole,
        revision=revision,
        amended_at=NOW,
        changed=changed,
        previous_submissions_close_at=previous,
        reason=reason,
    )


async def send_all(service: Notifications) -> None:
    await service.dispatcher(service.load_channels().channels).drain()


async def rows_of(service: Notifications, event_type: str) -> list[DeliveryRow]:
    async with service.runtime.sessions() as session:
        query = select(DeliveryRow).where(DeliveryRow.event_type == event_type)
        return list((await session.execute(query)).scalars())


def sent_mail(service: Notifications, delivery_id: uuid.UUID | str) -> tuple[EmailMessage, str]:
    path = Path(service.settings.messages_dir()) / f"{delivery_id}.eml"
    mail: EmailMessage = email.message_from_bytes(path.read_bytes(), _class=EmailMessage, policy=default)  # type: ignore[assignment]
    return mail, mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]


async def test_a_moved_deadline_is_told_once_to_every_active_entrys_author_in_their_language(
    app: FastAPI, client: httpx.AsyncClient, namespace: str
) -> None:
    service = service_of(app)
    contest, backpack, red_book, third, withdrawn = (uuid.uuid4() for _ in range(5))
    announced = contest_announced(contest).model_copy(update={"submissions_close_at": OLD_DEADLINE})
    setup = [
        announced,
        entry_submitted(contest, backpack, authors=[ZAVODISKER, SIDOROVA]),
        entry_submitted(
            contest, red_book, title="Красная книга", authors=[ZAVODISKER], nomination="collection"
        ),
        entry_submitted(contest, third, title="Chebula Stories", authors=[MALYSHEVA]),
        entry_submitted(contest, withdrawn, title="Отозванная", authors=[GONE]),
        EntryWithdrawn(entry_id=withdrawn, contest_id=contest, revision=2, withdrawn_at=NOW),
    ]
    await deliver(consumer_for(service), namespace, *[wrap(e) for e in setup])
    moved = amended(
        announced,
        2,
        ["submissions_close_at"],
        close_at=NEW_DEADLINE,
        previous=OLD_DEADLINE,
        reason=REASON,
    )
    await deliver(consumer_for(service), namespace, wrap(moved))
    await send_all(service)

    rows = {r.recipient: r for r in await rows_of(service, "contest-amended")}
    assert set(rows) == {ZAVODISKER_AT, SIDOROVA_AT, MALYSHEVA_AT}  # nobody withdrawn
    assert {r.kind for r in rows.values()} == {"deadline_changed"}
    assert {r.status for r in rows.values()} == {"sent"}
    assert (rows[MALYSHEVA_AT].language, rows[ZAVODISKER_AT].language) == ("en", "ru")

    mail, text = sent_mail(service, rows[ZAVODISKER_AT].id)  # two entries, one message
    assert mail["Subject"] == "Новый срок приёма заявок: до 15 сентября 2025 г., 18:00"
    assert "Уважаемая Оксана Юрьевна!" in text
    assert (
        "Срок приёма заявок на конкурс продлён: заявки принимаются до 15 сентября 2025 г., 18:00 "
        "(прежний срок — 31 августа 2025 г., 18:00)." in text
    )
    assert f"Причина: {REASON}" in text
    assert "— «Красная книга» (номинация «Информационная коллекция»);" in text
    assert "— «Рюкзачок знаний» (номинация «Сервис гид»)." in text
    assert "«Рюкзачок знаний»: https://kaleidoscope.example/e/1?t=secret" in text  # the link, opened

    _, english = sent_mail(service, rows[MALYSHEVA_AT].id)
    assert (
        "entries are accepted until 15 September 2025, 18:00 (previously 31 August 2025, 18:00)." in english
    )
    assert "Your entry “Chebula Stories” (nomination “Сервис гид”) is registered." in english

    shown = (await client.get(f"/deliveries/{rows[SIDOROVA_AT].id}")).json()
    assert "[private link]" in shown["text"] and "secret" not in shown["text"]


async def test_an_amendment_that_keeps_the_deadline_tells_nobody_and_updates_the_copy(
    app: FastAPI, namespace: str
) -> None:
    service = service_of(app)
    contest, entry = uuid.uuid4(), uuid.uuid4()
    announced = contest_announced(contest)
    retitled = amended(
        announced,
        2,
        ["title", "organisers", "signatories", "full_title"],
        title="Библиотечный калейдоскоп — 2025",
        full_title="Межведомственный конкурс «Библиотечный калейдоскоп» 2025 года",
        organisers=[Organiser(name="Петрова Анна Сергеевна", email="petrova@kuzbass.example")],
        signatories=[Signatory(name="Т. В. Гордеева", position="Директор")],
    )
    events = [announced, entry_submitted(contest, entry), retitled]
    await deliver(consumer_for(service), namespace, *[wrap(e) for e in events])
    assert await rows_of(service, "contest-amended") == []
    async with service.runtime.sessions() as session:
        copy = await session.get(ContestCopy, contest)
    assert copy is not None
    assert (copy.revision, copy.title) == (2, "Библиотечный калейдоскоп — 2025")
    assert [o["name"] for o in copy.organisers] == [
        "Петрова Анна Сергеевна",
        "Т. В. Гордеева",
        "Межведомственный конкурс «Библиотечный калейдоскоп» 2025 года",
    ]


async def test_the_copy_keeps_the_newest_revision_and_a_superseded_deadline_is_not_told(
    app: FastAPI, namespace: str
) -> None:
    """On different streams, revision 3 (the deadline moved again) and even the announcement may
    arrive before revision 2: the copy stays at 3, and only revision 3's deadline is told."""
    service = service_of(app)
    contest, entry = uuid.uuid4(), uuid.uuid4()
    announced = contest_announced(contest).model_copy(update={"submissions_close_at": OLD_DEADLINE})
    later = NEW_DEADLINE + timedelta(days=5)
    second = amended(announced, 2, ["submissions_close_at"], close_at=NEW_DEADLINE, previous=OLD_DEADLINE)
    third = amended(
        announced, 3, ["submissions_close_at", "title"], close_at=later, previous=NEW_DEADLINE, title="Третья"
    )
    consumer = consumer_for(service)
    await deliver(consumer, namespace, wrap(third), wrap(announced))
    await deliver(consumer, namespace, wrap(entry_submitted(contest, entry, authors=[ZAVODISKER])))
    await deliver(consumer, namespace, wrap(second))
    async with service.runtime.sessions() as session:
        copy = await session.get(ContestCopy, contest)
    assert copy is not None and (copy.revision, copy.title, copy.submissions_close_at) == (3, "Третья", later)
    await deliver(consumer, namespace, wrap(third.model_copy(update={"reason": "again"})))  # a new event
    told = await rows_of(service, "contest-amended")
    assert len(told) == 1 and "20 сентября 2025 г., 18:00" in told[0].subject


@pytest.mark.parametrize(
    ("language", "greeting", "line"),
    [
        ("ru", "Уважаемый Сергей Иванович!", "Прежняя ссылка больше не действует."),
        ("en", "Dear Петров Сергей Иванович,", "The old link no longer works."),
    ],
)
async def test_a_jurors_new_link_is_emailed_to_them_and_hidden_in_the_log(
    app: FastAPI, client: httpx.AsyncClient, namespace: str, language: str, greeting: str, line: str
) -> None:
    service = service_of(app)
    contest, juror = uuid.uuid4(), uuid.uuid4()
    link = f"http://127.0.0.1:8000/jury/sign-in?ticket={TOKEN}"
    reissued = JurorLinkReissued(
        contest_id=contest,
        juror_id=juror,
        juror_name="Петров Сергей Иванович",
        juror_email="Petrov@Jury.example",
        language=language,  # type: ignore[arg-type]
        reissued_at=NOW,
        sealed_personal_link=seal(link, service.settings.link_key.get_secret_value()),
    )
    consumer = consumer_for(service)
    await deliver(consumer, namespace, wrap(contest_announced(contest)))
    await deliver(consumer, namespace, wrap(reissued, producer="judging"))
    await send_all(service)
    [row] = await rows_of(service, "juror-link-reissued")
    assert (row.kind, row.recipient, row.status, row.language) == (
        "juror_link_reissued",
        "petrov@jury.example",
        "sent",
        language,
    )
    mail, text = sent_mail(service, row.id)
    assert text.startswith(greeting) and line in text and link in text
    assert mail["To"].addresses[0].addr_spec.lower() == "petrov@jury.example"
    shown = await client.get(f"/deliveries/{row.id}")
    assert TOKEN not in shown.text and "[private link]" in shown.json()["text"]
    assert TOKEN not in row.text  # stored sealed


async def test_a_jurors_new_link_for_a_contest_not_seen_yet_waits_for_it(
    app: FastAPI, namespace: str
) -> None:
    service = service_of(app)
    contest = uuid.uuid4()
    reissued = JurorLinkReissued(
        contest_id=contest,
        juror_id=uuid.uuid4(),
        juror_name="Петров Сергей Иванович",
        juror_email="petrov@jury.example",
        reissued_at=NOW,
        sealed_personal_link=seal(
            "http://x/jury/sign-in?ticket=t", service.settings.link_key.get_secret_value()
        ),
    )
    consumer, envelope = consumer_for(service), wrap(reissued, producer="judging")
    await deliver(consumer, namespace, envelope)
    assert await rows_of(service, "juror-link-reissued") == []  # retried later
    await deliver(consumer, namespace, wrap(contest_announced(contest)))
    await deliver(consumer, namespace, envelope)
    assert len(await rows_of(service, "juror-link-reissued")) == 1
