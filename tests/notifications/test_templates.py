"""Templates: every kind in both languages; overrides first; broken ones reported, never half-rendered."""

from __future__ import annotations

from pathlib import Path

import pytest

from notifications.domain import LANGUAGES, NotificationKind
from notifications.templates import TemplateCatalogue, TemplatesInvalid, sample_context


@pytest.fixture(scope="module")
def catalogue() -> TemplateCatalogue:
    return TemplateCatalogue.load(timezone="Asia/Novokuznetsk")


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", list(NotificationKind))
def test_every_kind_renders_in_both_languages(
    catalogue: TemplateCatalogue, kind: NotificationKind, language: str
) -> None:
    message = catalogue.preview(kind, language)
    assert message.subject and "\n" not in message.subject
    assert message.text.strip()
    greeting = "Уважаем" if language == "ru" else "Dear"
    assert greeting in message.text


def test_russian_texts_address_the_participant_formally(catalogue: TemplateCatalogue) -> None:
    message = catalogue.preview(NotificationKind.ENTRY_RECEIVED, "ru")
    assert message.subject == "Заявка принята: «Рюкзачок знаний»"
    assert message.text.startswith("Уважаемая Оксана Юрьевна!")
    assert "https://kaleidoscope.example/entries/0b7f6a52?token=Zm9vYmFy" in message.text


def test_final_invitation_gives_date_and_place_in_the_contests_time_zone(
    catalogue: TemplateCatalogue,
) -> None:
    text = catalogue.preview(NotificationKind.FINAL_INVITATION, "ru").text
    assert "28 сентября 2025 г., 10:00" in text
    assert "Кемеровская областная научная библиотека" in text


def test_html_is_autoescaped_and_text_is_not(catalogue: TemplateCatalogue) -> None:
    context = sample_context(NotificationKind.ENTRY_RECEIVED)
    context = {**context, "entry": {**context["entry"], "title": "<script>alert(1)</script> & Co"}}
    message = catalogue.render(NotificationKind.ENTRY_RECEIVED, "ru", context)
    assert message.html is not None
    assert "<script>" not in message.html and "&lt;script&gt;" in message.html
    assert "<script>alert(1)</script> & Co" in message.text


def test_a_missing_value_fails_the_whole_message_naming_the_variable(catalogue: TemplateCatalogue) -> None:
    context = {k: v for k, v in sample_context(NotificationKind.ENTRY_RECEIVED).items() if k != "entry"}
    with pytest.raises(TemplatesInvalid) as failure:
        catalogue.render(NotificationKind.ENTRY_RECEIVED, "ru", context)
    assert {p.part for p in failure.value.problems} == {"subject", "text", "html"}
    assert "'entry' is undefined" in str(failure.value)


def test_the_sandbox_refuses_unsafe_attribute_access(tmp_path: Path) -> None:
    _write(tmp_path, "ru/entry_updated/subject.j2", "{{ entry.__class__.__mro__ }}")
    with pytest.raises(TemplatesInvalid, match=r"sandbox|unsafe|undefined"):
        TemplateCatalogue.load(tmp_path)


def test_an_override_folder_is_searched_before_the_built_ins(tmp_path: Path) -> None:
    _write(tmp_path, "ru/entry_received/subject.j2", "Получили: {{ entry.title }}")
    catalogue = TemplateCatalogue.load(tmp_path)
    assert catalogue.preview("entry_received", "ru").subject == "Получили: Рюкзачок знаний"
    assert catalogue.preview("entry_received", "en").subject == "Entry received: “Рюкзачок знаний”"


def test_a_syntax_error_in_an_override_is_reported_at_load_with_file_and_line(tmp_path: Path) -> None:
    broken = _write(tmp_path, "ru/winner_congratulations/text.j2", "Поздравляем!\n{% if place %}\n{{ place }")
    with pytest.raises(TemplatesInvalid) as failure:
        TemplateCatalogue.load(tmp_path)
    [problem] = failure.value.problems
    assert problem.source == str(broken)
    assert problem.line is not None and problem.line >= 2
    assert problem.message.startswith("syntax error")
    assert (problem.kind, problem.language, problem.part) == ("winner_congratulations", "ru", "text")


def test_an_undefined_variable_in_an_override_is_reported_at_load_and_at_preview(tmp_path: Path) -> None:
    broken = _write(tmp_path, "en/juror_reminder/text.j2", "Hello\n{{ recipient.nickname }}\n")
    catalogue = TemplateCatalogue(tmp_path)
    problems = catalogue.validate()
    assert [(p.source, p.line) for p in problems] == [(str(broken), 2)]
    assert "nickname" in problems[0].message
    with pytest.raises(TemplatesInvalid, match="nickname"):
        catalogue.preview("juror_reminder", "en")


def test_a_misspelt_override_file_is_reported(tmp_path: Path) -> None:
    _write(tmp_path, "ru/entry_recieved/subject.j2", "Опечатка")
    with pytest.raises(TemplatesInvalid, match="no notification uses this file"):
        TemplateCatalogue.load(tmp_path)


def _write(root: Path, name: str, text: str) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
