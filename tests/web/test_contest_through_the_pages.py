"""One small contest through the pages only (the organiser's steps through the API until the console
exists): participants submit, edit and withdraw; jurors sign in from their e-mails on a phone, read an
entry's file and score; the hall screen reveals each score when its defence ends; the results and a
diploma's verification page show the winner."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kaleidoscope_cli.stack import Stack

from ..polling import wait_until
from .conftest import DESKTOP, HALL, PHONE, look
from .contest_kit import NOMINATION, Organiser, link_in

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]


@pytest.fixture
def stack(tmp_path: Path, redis_url: str, namespace: str) -> Iterator[Stack]:
    fast = {"NOTIFICATIONS_RETRY_BASE_DELAY_S": "0.2", "JUDGING_SCOREBOARD_POLL_S": "0.2"}
    started = Stack(tmp_path / "data", redis_url, namespace=namespace, extra_env=fast).start(timeout=180)
    try:
        yield started
    finally:
        started.stop()


def look_both_ways(page: Any, name: str, sizes: tuple[tuple[str, dict[str, int]], ...] = ()) -> None:
    """The page in Russian and English, at phone and desktop size (or `sizes`): screenshots and axe-core."""
    size = page.viewport_size
    for language in ("ru", "en"):
        page.context.add_cookies([{"name": "lang", "value": language, "url": page.url}])
        page.reload()
        for label, viewport in sizes or (("phone", PHONE), ("desktop", DESKTOP)):
            page.set_viewport_size(viewport)
            look(page, f"{name}-{language}-{label}")
    page.context.clear_cookies(name="lang")  # back to the browser's own language
    page.set_viewport_size(size)
    page.reload()


def fill_author(page: Any, index: int, name: str, library: str, territory: str, email: str) -> None:
    page.fill(f"#authors-{index}-full_name", name)
    page.fill(f"#authors-{index}-position", "библиотекарь")
    page.fill(f"#authors-{index}-library", library)
    page.select_option(f"#authors-{index}-territory_code", territory)
    page.fill(f"#authors-{index}-email", email)


def submit_entry(page: Any, web: str, contest_id: str, title: str, library: str, email: str) -> str:
    """A one-author entry through the form; its private link."""
    page.goto(f"{web}/contests/{contest_id}/submit")
    page.select_option("#nomination_code", NOMINATION)
    page.fill("#title", title)
    page.fill("#annotation", "Проект для читателей всех возрастов.")
    fill_author(page, 0, "Петрова Ольга Ивановна", library, "belovo", email)
    page.check("#consent")
    page.click("#send")
    page.wait_for_url(re.compile(r"/entries/[0-9a-f-]+/submitted$"))
    return str(page.input_value("#private-link"))


def test_a_small_contest_runs_through_the_pages(stack: Stack, browser: Any, tmp_path: Path) -> None:
    web = stack.url("web")
    organiser = Organiser(stack.url("submissions"), stack.url("judging"))
    contest_id = organiser.open_contest()
    attachment = tmp_path / "презентация.pdf"
    attachment.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")

    # --- a librarian on an office PC submits with two co-authors and a file -------------------------
    desk = browser.new_context(viewport=DESKTOP, locale="ru-RU")
    page = desk.new_page()
    page.goto(f"{web}/contests/{contest_id}")
    assert "Библиотечный калейдоскоп" in page.title()
    look_both_ways(page, "contest")
    page.get_by_role("link", name="Подать заявку").click()
    page.wait_for_url(f"{web}/contests/{contest_id}/submit")
    page.get_by_role("button", name="Добавить ещё одного автора").click()
    page.get_by_role("button", name="Добавить ещё одного автора").click()
    page.select_option("#nomination_code", NOMINATION)
    page.fill("#annotation", "Квест по истории города для школьников.")
    fill_author(
        page, 0, "Иванова Анна Петровна", "ЦБС г. Анжеро-Судженска", "anzhero-sudzhensk", "anna@example.org"
    )
    fill_author(page, 1, "Смирнова Мария Олеговна", "ЦБС г. Анжеро-Судженска", "anzhero-sudzhensk", "")
    fill_author(page, 2, "Кузнецов Павел Ильич", "ЦБС г. Анжеро-Судженска", "anzhero-sudzhensk", "")
    page.set_input_files("#files", str(attachment))
    page.get_by_role("button", name="Удалить презентация.pdf").wait_for()
    page.check("#consent")
    page.click("#send")  # no title yet: refused beside the field, nothing typed is lost
    assert page.locator("#title-error").inner_text().strip().endswith("Укажите название проекта.")
    assert page.input_value("#annotation") == "Квест по истории города для школьников."
    assert page.input_value("#authors-2-full_name") == "Кузнецов Павел Ильич"
    look_both_ways(page, "submission-form-with-errors")
    page.fill("#title", "Квест «Тайны старой Анжерки»")
    page.click("#send")
    page.wait_for_url(re.compile(r"/entries/[0-9a-f-]+/submitted$"))
    private_link = page.input_value("#private-link")
    assert private_link.startswith(f"{web}/entries/")
    look(page, "confirmation-ru-desktop")
    page.get_by_role("link", name="Открыть мою заявку").click()
    assert page.inner_text("h1") == "«Квест „Тайны старой Анжерки“»"  # a quotation inside a title: „…“
    assert "презентация.pdf" in page.inner_text("main")
    look_both_ways(page, "entry")
    page.get_by_role("link", name="Изменить заявку").click()
    page.fill("#title", "Квест «Тайны старой Анжерки» для школьников")
    page.click("#send")
    page.wait_for_url(private_link.split("?")[0])
    assert "Изменения сохранены" in page.inner_text("main")
    assert "Изменена" in page.inner_text(".timeline")

    # the private link opens the entry in another browser; a wrong one says nothing of the entry
    other = browser.new_context(viewport=PHONE, locale="en-GB")
    stranger = other.new_page()
    assert stranger.goto(private_link.replace("token=", "token=x")).status == 404
    assert stranger.goto(private_link).status == 200
    assert "Тайны старой Анжерки" in stranger.inner_text("h1")

    # --- another participant, on a phone in English, submits and withdraws -----------------------
    phone = other.new_page()
    withdrawn_link = submit_entry(
        phone, web, contest_id, "Библиотека под открытым небом", "Беловская ЦБС", "olga@example.org"
    )
    look(phone, "confirmation-en-phone")
    phone.goto(withdrawn_link)
    phone.get_by_role("link", name="Withdraw the entry").click()
    phone.get_by_role("button", name="Withdraw the entry").click()
    assert phone.locator("#reason-error").is_visible()
    look_both_ways(phone, "withdraw-with-errors")
    phone.fill("#reason", "Проект не готов")
    phone.get_by_role("button", name="Withdraw the entry").click()
    assert "Withdrawn" in phone.inner_text(".timeline")
    submit_entry(phone, web, contest_id, "Читаем вместе", "Тисульская ЦБС", "ivan@example.org")
    other.close()

    # --- the jury: stage 1, on phones, signed in from the links in their e-mails ----------------------
    run_the_jury(stack, browser, organiser, contest_id)

    # --- once the contest has ended, the participant downloads the entry's letters and diplomas ------
    page.goto(private_link.split("?")[0])
    wait_until(
        lambda: page.reload() and "Письма и дипломы" in page.inner_text("main"), 90, "the entry's documents"
    )
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("Диплом победителя")).first.click()
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF")
    look_both_ways(page, "entry-with-documents")
    desk.close()


REVIEW = [
    {
        "name": "Актуальность",
        "description": "Насколько проект нужен читателям",
        "weight": 2,
        "scale_min": 0,
        "scale_max": 5,
    },
    {"name": "Оригинальность", "weight": 1, "scale_min": 0, "scale_max": 5},
]
FINAL = [{"name": "Защита проекта", "weight": 1, "scale_min": 0, "scale_max": 10}]
JURY = [
    # same library as the first entry's authors: conflicted with it, by the contest's rule
    {"name": "Орлова Нина Викторовна", "library": "ЦБС г. Анжеро-Судженска", "email": "orlova@example.org"},
    {"name": "Белов Игорь Сергеевич", "library": "Областная библиотека", "email": "belov@example.org"},
    {"name": "Крылова Анна Андреевна", "library": "Областная библиотека", "email": "krylova@example.org"},
]


def declare(organiser: Organiser, contest_id: str) -> tuple[str, str]:
    judging = organiser.judging
    for juror in JURY:
        organiser.call(
            judging,
            "POST",
            f"/contests/{contest_id}/jurors",
            json={**juror, "position": "член жюри", "territory_code": "belovo"},
        )
    review = organiser.call(
        judging,
        "POST",
        f"/contests/{contest_id}/stages",
        json={
            "name": "Заочный этап",
            "kind": "review",
            "criteria": REVIEW,
            "advancement": {"rule": "top_per_nomination", "n": 2},
            "tie_breaks": ["higher_median", "earlier_submission"],
            "assignment": {"mode": "every_juror"},
        },
    )
    final = organiser.call(
        judging,
        "POST",
        f"/contests/{contest_id}/stages",
        json={
            "name": "Финал",
            "kind": "final",
            "criteria": FINAL,
            "advancement": {"rule": "places_per_nomination", "k": 1},
            "tie_breaks": ["higher_median", "chair_decision"],
            "assignment": {"mode": "every_juror"},
        },
    )
    return review["id"], final["id"]


def sign_in_on_a_phone(browser: Any, messages: Path, email: str) -> Any:
    link = link_in(messages, email, r"http://127\.0\.0\.1:\d+/jury/sign-in\?\S+")
    page = browser.new_context(viewport=PHONE, locale="ru-RU", is_mobile=True, has_touch=True).new_page()
    page.goto(link)
    assert "ticket=" not in page.url, "the ticket leaves the address bar"
    return page


def score_on_the_page(page: Any, marks: dict[str, int]) -> None:
    for name, value in marks.items():
        page.locator(f'input[data-criterion="{name}"][value="{value}"]').check(force=True)
    page.get_by_role("button", name=re.compile("Сохранить")).click()
    try:
        page.get_by_text("Оценка сохранена").first.wait_for(timeout=15_000)
    except Exception as error:
        raise AssertionError(
            f"the score was not saved at {page.url}: {page.inner_text('main')[:1500]}"
        ) from error


def run_the_jury(stack: Stack, browser: Any, organiser: Organiser, contest_id: str) -> None:
    web, messages = stack.url("web"), stack.data_dir / "messages"
    review_id, final_id = declare(organiser, contest_id)
    organiser.call(organiser.submissions, "POST", f"/contests/{contest_id}/close")
    visitor = browser.new_context(viewport=DESKTOP, locale="ru-RU").new_page()
    visitor.goto(f"{web}/contests/{contest_id}/submit")
    assert "Приём заявок закрыт" in visitor.inner_text("h1")
    look_both_ways(visitor, "submissions-closed")
    visitor.goto(f"{web}/contests/{contest_id}/results")
    look_both_ways(visitor, "results-pending")
    organiser.open_stage(contest_id, review_id)
    titles = {
        e["title"]: e["id"]
        for e in organiser.call(organiser.judging, "GET", f"/contests/{contest_id}/entries")
        if not e["withdrawn"]
    }
    quest = next(i for t, i in titles.items() if t.startswith("Квест"))
    jurors = {j["email"]: sign_in_on_a_phone(browser, messages, j["email"]) for j in JURY}

    conflicted = jurors["orlova@example.org"]
    look_both_ways(conflicted, "jury-home")
    conflicted.get_by_role("link", name="Заочный этап").first.click()
    look_both_ways(conflicted, "jury-stage")
    assert "Квест" not in conflicted.inner_text("main"), "a conflicted juror never sees the entry"
    stage_url = conflicted.url
    assert conflicted.goto(f"{stage_url}/entries/{quest}").status == 404

    for email, page in jurors.items():
        page.goto(f"{web}/jury/{contest_id}/stages/{review_id}")
        for _title, entry_id in sorted(titles.items()):
            if email == "orlova@example.org" and entry_id == quest:
                continue
            page.goto(f"{web}/jury/{contest_id}/stages/{review_id}/entries/{entry_id}")
            if entry_id == quest and email == "belov@example.org":
                look_both_ways(page, "jury-entry")
                with page.expect_download() as download:
                    page.get_by_role("link", name="Скачать").first.click()
                assert download.value.suggested_filename == "презентация.pdf"
                assert Path(download.value.path()).read_bytes().startswith(b"%PDF")
            good = 5 if entry_id == quest else 3
            score_on_the_page(page, {"Актуальность": good, "Оригинальность": good - 1})
    look_both_ways(jurors["krylova@example.org"], "jury-entry-scored")
    organiser.call(organiser.judging, "POST", f"/contests/{contest_id}/stages/{review_id}/close")

    # --- the public final: the hall screen shows each score only once its defence has ended -------------
    organiser.open_stage(contest_id, final_id)
    base = f"/contests/{contest_id}/stages/{final_id}"
    finalists = organiser.call(organiser.judging, "GET", base)["running_order"] or sorted(titles.values())
    organiser.call(organiser.judging, "PUT", f"{base}/running-order", json={"entry_ids": finalists})
    hall = browser.new_context(viewport=HALL, locale="ru-RU").new_page()
    hall.goto(f"{web}/contests/{contest_id}/hall")
    projector = (("1920", HALL), ("1280", {"width": 1280, "height": 720}))
    look_both_ways(hall, "hall-before", projector)
    for position, entry_id in enumerate(finalists):
        organiser.call(organiser.judging, "POST", f"{base}/defence/start", json={"entry_id": entry_id})
        line = hall.locator(f'li.hall-line[data-entry="{entry_id}"]')
        expect_soon(lambda line=line: "state-defending" in (line.get_attribute("class") or ""), 2)
        for email, page in jurors.items():
            if email == "orlova@example.org" and entry_id == quest:
                continue
            page.goto(f"{web}/jury/{contest_id}/stages/{final_id}/entries/{entry_id}")
            score_on_the_page(page, {"Защита проекта": 9 if entry_id == quest else 6})
        assert line.get_attribute("data-score") is None, "no score is shown before the defence ends"
        ended = time.monotonic()
        organiser.call(organiser.judging, "POST", f"{base}/defence/end")
        expect_soon(lambda line=line: line.get_attribute("data-score") is not None, 1.0)
        reveal = time.monotonic() - ended
        assert reveal <= 1.0, f"the score reached the hall {reveal:.2f}s after the defence ended"
        if position == 0:
            look_both_ways(hall, "hall-after-first-defence", projector)
    organiser.call(organiser.judging, "POST", f"{base}/close")
    expect_soon(lambda: "Победитель" in hall.inner_text("body"), 5)
    look_both_ways(hall, "hall-closed", projector)

    # --- results, the participant's documents, and a diploma's verification page -------------------
    wait_until(
        lambda: organiser.submissions.get(f"/contests/{contest_id}").json()["status"] == "results",
        60,
        "the contest's results to reach submissions",
    )
    visitor.goto(f"{web}/contests/{contest_id}/results")
    assert "Тайны старой Анжерки" in visitor.inner_text("main")
    assert "Победитель" in visitor.inner_text("main")
    look_both_ways(visitor, "results")
    diploma = wait_until(
        lambda: (
            next(iter((stack.data_dir / "documents").rglob("*.pdf")), None)
            if (stack.data_dir / "documents").exists()
            else None
        ),
        90,
        "the documents to be drawn",
    )
    verify_url = wait_until(
        lambda: winner_verification_url(stack.data_dir / "documents"), 90, "a winner's diploma"
    )
    assert verify_url.startswith(f"{web}/verify/"), verify_url
    visitor.goto(verify_url)
    assert "Документ подлинный" in visitor.inner_text("main")
    assert "Иванова Анна Петровна" in visitor.inner_text("main")
    look_both_ways(visitor, "verify")
    assert diploma is not None
    visitor.goto(f"{web}/verify/NOT-A-CODE")
    assert "Документ не найден" in visitor.inner_text("main")
    look_both_ways(visitor, "verify-not-found")
    visitor.goto(f"{web}/verify")
    look_both_ways(visitor, "verify-form")
    assert visitor.goto(f"{web}/entries/{uuid.uuid4()}").status == 404
    look_both_ways(visitor, "not-found")
    visitor.goto(f"{web}/")
    look_both_ways(visitor, "home")
    visitor.goto(f"{web}/jury/sign-in")
    look_both_ways(visitor, "jury-sign-in")


def winner_verification_url(documents: Path) -> str | None:
    """The verification address printed on a winner's diploma (read from the PDF's text)."""
    from pypdf import PdfReader

    for path in documents.rglob("*.pdf"):
        text = " ".join(page.extract_text() or "" for page in PdfReader(path).pages)
        if "Иванова" in text and ("победител" in text.lower()):
            match = re.search(r"http://127\.0\.0\.1:\d+/verify/[A-Za-z0-9-]+", text.replace("\n", ""))
            if match:
                return match.group(0)
    return None


def expect_soon(condition: Any, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout}s")
        time.sleep(0.02)
