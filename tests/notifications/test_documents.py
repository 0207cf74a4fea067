"""Diplomas and letters: correct Cyrillic in the PDF text, and a verification code that detects forgery."""

from __future__ import annotations

import dataclasses
import io

import pytest
from notifications.documents import DocumentFields, issue_document, verification_code, verify_code
from notifications.domain import DocumentKind
from notify_testkit import SIGNING_KEY
from pypdf import PdfReader


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
