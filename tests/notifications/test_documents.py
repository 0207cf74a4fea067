"""Diplomas and letters: correct Cyrillic in the PDF text, and a verification code that detects forgery."""

from __future__ import annotations

import dataclasses
import io
from datetime import date

import pypdfium2 as pdfium  # type: ignore[import-untyped]
import pytest
from notify_testkit import BACKPACK, ORGANISERS, SIGNING_KEY, ZAVODISKER
from pypdf import PdfReader

from notifications.documents import (
    DocumentFields,
    document_fields,
    issue_document,
    verification_code,
    verify_code,
)
from notifications.domain import ContestView, DocumentKind, DocumentRequest


def _text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    return " ".join(reader.pages[0].extract_text().split())


@pytest.mark.parametrize("kind", list(DocumentKind))
def test_every_document_prints_the_participant_and_the_nomination_in_cyrillic(
    winner_diploma_fields: DocumentFields, kind: DocumentKind
) -> None:
    fields = dataclasses.replace(winner_diploma_fields, kind=kind)
    document = issue_document(fields, SIGNING_KEY)
    text = _text(document.pdf)
    assert "Заводискер Оксана Юрьевна" in text
    assert "Сервис гид" in text and "Рюкзачок знаний" in text
    assert document.code in text


def test_a_winners_diploma_names_the_place(winner_diploma_fields: DocumentFields) -> None:
    text = _text(issue_document(winner_diploma_fields, SIGNING_KEY).pdf)
    assert "ДИПЛОМ" in text and "ПОБЕДИТЕЛЯ" in text and "I место" in text
    assert "Кемерово, 28 сентября 2025 г." in text


def test_a_thank_you_letter_addresses_the_participant_formally(winner_diploma_fields: DocumentFields) -> None:
    letter = dataclasses.replace(winner_diploma_fields, kind=DocumentKind.THANK_YOU_LETTER, place=None)
    text = _text(issue_document(letter, SIGNING_KEY).pdf)
    assert "БЛАГОДАРСТВЕННОЕ ПИСЬМО" in text and "Уважаемая Оксана Юрьевна!" in text


def test_the_code_verifies_against_the_stored_fields(winner_diploma_fields: DocumentFields) -> None:
    code = verification_code(winner_diploma_fields, SIGNING_KEY)
    assert len(code) == 19 and code.count("-") == 3
    assert verify_code(winner_diploma_fields, code, SIGNING_KEY)
    assert verify_code(winner_diploma_fields, code.lower().replace("-", " "), SIGNING_KEY)


@pytest.mark.parametrize(
    "change",
    [{"recipient_name": "Заводискер Оксана Юрьевнa"}, {"place": 2}, {"nomination": "Генератор идей"}],
)
def test_an_altered_document_does_not_verify(
    winner_diploma_fields: DocumentFields, change: dict[str, object]
) -> None:
    code = verification_code(winner_diploma_fields, SIGNING_KEY)
    assert not verify_code(dataclasses.replace(winner_diploma_fields, **change), code, SIGNING_KEY)  # type: ignore[arg-type]


def test_a_code_from_another_key_does_not_verify_but_a_rotated_key_still_does(
    winner_diploma_fields: DocumentFields,
) -> None:
    old_key, new_key = b"o" * 32, b"n" * 32
    old_code = verification_code(winner_diploma_fields, old_key)
    assert not verify_code(winner_diploma_fields, old_code, new_key)
    assert verify_code(winner_diploma_fields, old_code, [new_key, old_key])


def test_a_winners_diploma_without_a_place_is_refused(winner_diploma_fields: DocumentFields) -> None:
    with pytest.raises(ValueError, match="place"):
        dataclasses.replace(winner_diploma_fields, place=None)


def test_a_planned_document_request_fills_the_fields_from_the_contest(contest: ContestView) -> None:
    winner = dataclasses.replace(BACKPACK, place=1)
    contest = dataclasses.replace(contest, entries={winner.entry_id: winner})
    request = DocumentRequest(DocumentKind.WINNER_DIPLOMA, winner.entry_id, ZAVODISKER.key)
    fields = document_fields(
        request, contest, issued_on=date(2025, 9, 28), organisers=ORGANISERS, city="Кемерово"
    )
    assert (fields.recipient_name, fields.library, fields.place) == (ZAVODISKER.name, ZAVODISKER.library, 1)
    assert fields.nomination == "Сервис гид"
    assert (
        fields.document_id
        == document_fields(request, contest, issued_on=date(2026, 1, 1), organisers=()).document_id
    )


def _rendered(pdf: bytes) -> tuple[str, int]:
    """PDFium's reading of the page (the engine of Chrome): its text, and how many pixels are ink."""
    document = pdfium.PdfDocument(pdf)
    page = document[0]
    text = page.get_textpage().get_text_range()
    bitmap = page.render(scale=1, grayscale=True)
    ink = sum(1 for value in bytes(bitmap.buffer) if value < 128)
    return " ".join(text.split()), ink


@pytest.mark.parametrize("kind", list(DocumentKind))
def test_another_pdf_engine_draws_the_glyphs_and_reads_the_same_text(
    winner_diploma_fields: DocumentFields, kind: DocumentKind
) -> None:
    fields = dataclasses.replace(winner_diploma_fields, kind=kind)
    text, ink = _rendered(issue_document(fields, SIGNING_KEY).pdf)
    assert "Заводискер Оксана Юрьевна" in text and "Рюкзачок знаний" in text
    nameless = issue_document(dataclasses.replace(fields, recipient_name="Я"), SIGNING_KEY).pdf
    assert ink > _rendered(nameless)[1] + 500  # the name is drawn, not only placed as text


def test_a_name_outside_the_usual_alphabets_gets_its_own_font_subset(
    winner_diploma_fields: DocumentFields,
) -> None:
    fields = dataclasses.replace(winner_diploma_fields, recipient_name="Zoë Ґрінченко-Ångström")
    pdf = issue_document(fields, SIGNING_KEY).pdf
    assert "Zoë Ґрінченко-Ångström" in _text(pdf)
    assert "Zoë Ґрінченко-Ångström" in _rendered(pdf)[0]
