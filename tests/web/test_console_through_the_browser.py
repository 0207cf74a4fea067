"""The seed contest run from the organiser's console, in a browser, on the real stack: sign in; create
the contest (three nominations, the territories its entries and jury come from) and publish it; entries
arrive through the submissions API; close submissions early; a jury of seven with a conflict added by
hand; stage 1 with the seed's rule, opened, scored by the jurors through judging's API, closed, its
results by title; the final with the seed's rule: its running order changed with an arrow, each defence
started and ended while the jurors score, prizes per place and a special mention, a tie only the chair
can break ordered on the tie page, the final closed. The public results page then shows the winners,
their prizes, the mention and each closed stage's audit head hash, and the console's delivery log the
messages sent. Every console page is looked at (axe-core, screenshots) in both languages at phone and
desktop size."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from kaleidoscope_cli.stack import Stack
from kaleidoscope_shared.settings import DEVELOPMENT_ORGANISER_TOKEN

from ..polling import wait_until
from .conftest import DESKTOP
from .console_kit import (
    CHAIR,
    CONFLICTED,
    CONTEST,
    ENTRY_TITLES,
    FINAL,
    FINAL_MARKS,
    JURY,
    REVIEW,
    REVIEW_MARKS,
    SCENARIO,
    Jurors,
    look_at_sizes,
    look_both_ways,
    marks_of,
    seed_entries,
    switch_language,
    territories,
    window,
)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]
ORGANISER = "Иванова Елена Петровна"


@pytest.fixture
def stack(tmp_path: Path, redis_url: str, namespace: str) -> Iterator[Stack]:
    fast = {
        "NOTIFICATIONS_RETRY_BASE_DELAY_S": "0.2",
        "JUDGING_SCOREBOARD_POLL_S": "0.2",
    }
    started = Stack(tmp_path / "data", redis_url, namespace=namespace, extra_env=fast).start(timeout=180)
    try:
        yield started
    finally:
        started.stop()


def submit(page: Any, button: str) -> None:
    """Press a form's button by its visible name and wait for the page it leads to."""
    with page.expect_navigation():
        page.get_by_role("button", name=button, exact=True).first.click()


def notice(page: Any) -> str:
    return str(page.locator("main").inner_text())


def test_an_organiser_runs_the_seed_contest_from_the_console(stack: Stack, browser: Any) -> None:
    web = stack.url("web")
    context = browser.new_context(viewport=DESKTOP, locale="ru-RU")
    context.set_default_timeout(15_000)
    page = context.new_page()

    # --- sign in ------------------------------------------------------------------------------------
    page.goto(f"{web}/console")
    assert "/console/sign-in" in page.url, "the console sends a visitor to the sign-in first"
    look_both_ways(page, "sign-in")
    page.fill("#name", ORGANISER)
    page.fill("#token", "not-the-token")
    submit(page, "Войти")
    assert "не токен организаторов" in page.locator("#token-error").inner_text()
    page.fill("#token", DEVELOPMENT_ORGANISER_TOKEN)
    submit(page, "Войти")
    assert page.url == f"{web}/console"
    look_both_ways(page, "home-empty")

    # --- the seed contest: created, checked, published ---------------------------------------------
    page.get_by_role("link", name="Новый конкурс").click()
    contest_id = create_the_contest(page)
    look_both_ways(page, "contest-draft")
    page.get_by_role("link", name="Изменить конкурс").click()
    look_both_ways(page, "contest-edit")
    page.fill("#contact", CONTEST["contact"] + ", konkurs@example.org")
    submit(page, "Сохранить конкурс")
    assert "Конкурс сохранён" in notice(page)
    submit(page, "Опубликовать конкурс")
    assert "Конкурс опубликован" in notice(page)
    look_both_ways(page, "contest-published")

    # --- entries arrive through the submissions API ------------------------------------------------
    entries = seed_entries()
    with httpx.Client(base_url=stack.url("submissions"), timeout=30) as submissions:
        for body in entries:
            response = submissions.post(f"/contests/{contest_id}/entries", json=body)
            assert response.status_code == 201, response.text
    page.goto(f"{web}/console/contests/{contest_id}/entries")
    listed = plain(page.inner_text("main"))
    for titles in ENTRY_TITLES.values():
        for title in titles:
            assert plain(title) in listed, title
    look_both_ways(page, "entries")
    page.get_by_role("link", name=re.compile("Рюкзачок знаний")).first.click()
    assert "Заводискер Оксана Юрьевна" in page.inner_text("main")
    look_both_ways(page, "entry")

    # --- submissions closed early ------------------------------------------------------------------
    page.goto(f"{web}/console/contests/{contest_id}")
    page.get_by_role("link", name="Закрыть приём…").click()
    look_both_ways(page, "close-confirmation")
    submit(page, "Да, закрыть приём сейчас")
    assert "Приём закрыт: в окончательном списке 8 работ" in notice(page)

    # --- the jury of seven, and a conflict added by hand -------------------------------------------
    jurors = Jurors(stack.url("judging"), contest_id)
    page.goto(f"{web}/console/contests/{contest_id}/jury")
    look_both_ways(page, "jury-empty")
    for n, juror in enumerate(JURY):
        page.fill("#name", juror["full_name"])
        page.fill("#position", juror["position"])
        page.fill("#library", juror["library"])
        page.select_option("#territory_code", juror["territory_code"])
        page.fill("#email", juror["email"])
        submit(page, "Добавить")
        assert juror["full_name"] in page.inner_text("h1")
        jurors.tokens[juror["full_name"]] = page.input_value("#juror-token")
        if n == 0:
            look_at_sizes(page, "juror-link")  # shown once: the answer to the form, no page to reload
        page.get_by_role("link", name="Вернуться к жюри").click()
    juror_name, entry_title = CONFLICTED
    wait_until(
        lambda: page.reload() or page.locator("#conflict-entry_id option", has_text=entry_title).count() == 1,
        60,
        "judging to learn the entries (the conflict form lists them)",
    )
    page.select_option("#conflict-juror_id", label=juror_name)
    page.select_option("#conflict-entry_id", label=entry_title)
    page.fill("#conflict-reason", "Председатель жюри консультировала авторов проекта")
    submit(page, "Добавить конфликт")
    assert "Конфликт записан" in notice(page)
    chair_card = page.locator(".juror-list li", has_text=juror_name)
    assert "консультировала авторов" in chair_card.inner_text()
    look_both_ways(page, "jury")
    chair_card.get_by_role("link", name=re.compile("Изменить")).click()
    look_both_ways(page, "juror-edit")
    page.goto(f"{web}/console/contests/{contest_id}/jury")
    chair_card.get_by_role("link", name=re.compile("Новая личная ссылка")).click()
    look_both_ways(page, "juror-new-link")
    page.goto(f"{web}/console/contests/{contest_id}/jury")

    # --- stage 1, with the seed's rule ---------------------------------------------------------------
    page.goto(f"{web}/console/contests/{contest_id}/stages")
    look_both_ways(page, "stages-empty")
    page.get_by_role("link", name="Объявить заочный этап").click()
    look_both_ways(page, "stage-form")
    declare(page, REVIEW, advance=REVIEW["advance_per_nomination"])
    assert "Этап объявлен" in notice(page)
    page.get_by_role("link", name=re.compile(REVIEW["name"])).click()
    review_url = page.url
    review_id = review_url.rsplit("/", 1)[-1]
    look_both_ways(page, "stage-declared")
    open_the_stage(page)
    look_both_ways(page, "stage-open")
    for juror in JURY:
        name = juror["full_name"]
        for title, entry_id in jurors.mine(name, review_id).items():
            jurors.score(name, review_id, entry_id, marks_of(REVIEW, REVIEW_MARKS[title]))
    page.reload()
    assert "Все назначенные листы получены" in notice(page)
    submit(page, "Закрыть этап")
    assert "Этап закрыт" in notice(page)
    results = page.locator("table.results-table tbody")
    assert "Рюкзачок знаний" in results.inner_text()
    assert "Сервис гид" in results.locator("tr", has_text="Рюкзачок знаний").inner_text(), "by the title"
    assert "0–10" in page.inner_text("main"), "a criterion's scale as typed (not 0.0–10.0)"
    assert "Заводискер Оксана Юрьевна" in results.inner_text()
    left_out = results.locator("tr", has_text="Буккроссинг на остановках")
    assert "Не прошла" in left_out.inner_text()
    assert "earlier submission" in results.locator("tr", has_text="Книга на дом").inner_text()
    look_both_ways(page, "stage-closed")

    # --- the final: declared, opened, its running order, the defences ------------------------------
    page.goto(f"{web}/console/contests/{contest_id}/final")
    look_both_ways(page, "final-undeclared")
    page.get_by_role("link", name="Объявить финал").first.click()
    declare(page, FINAL, advance=FINAL["places_per_nomination"], final=True)
    page.goto(f"{web}/console/contests/{contest_id}/final")
    look_both_ways(page, "final-declared")
    page.get_by_role("link", name="Правила и итоги этапа").click()
    final_id = page.url.rsplit("/", 1)[-1]
    open_the_stage(page)
    page.goto(f"{web}/console/contests/{contest_id}/final")
    order = running_order(page)
    assert sorted(order) == sorted(FINAL_MARKS), order
    last = page.locator("ol.running-order li").last
    submit_in(last, "выше")
    assert "Порядок выступлений сохранён" in notice(page)
    assert running_order(page) == [*order[:-2], order[-1], order[-2]]
    look_both_ways(page, "final-open")
    panels = {j["full_name"]: jurors.mine(j["full_name"], final_id) for j in JURY}
    assert CONFLICTED[1] not in panels[CHAIR["full_name"]], "the conflict holds in the final too"
    for position, title in enumerate(running_order(page)):
        submit_in(page.locator("ol.running-order li").nth(position), "Начать защиту")
        assert "Защита началась" in notice(page)
        if position == 0:
            look_both_ways(page, "final-defending")
        for name, mine in panels.items():
            if title in mine:
                jurors.score(name, final_id, mine[title], marks_of(FINAL, FINAL_MARKS[title]))
        submit_in(page.locator("ol.running-order li").nth(position), "Завершить защиту")
        assert "Защита окончена" in notice(page)

    # --- prizes per place and a special mention ----------------------------------------------------
    cash, sponsor = FINAL["prizes"]
    page.fill("#prize-0-place", "1")
    page.select_option("#prize-0-kind", "cash")
    page.fill("#prize-0-description", cash["description"])
    page.fill("#prize-0-amount", cash["amount"])
    page.fill("#prize-0-currency", cash["currency"])
    page.fill("#prize-1-place", "1")
    page.select_option("#prize-1-kind", "sponsor")
    page.fill("#prize-1-description", sponsor["description"])
    page.fill("#prize-1-sponsor", sponsor["sponsor"])
    page.select_option("#mention-0-entry_id", label="Экосубботник с книгой")
    page.fill("#mention-0-text", "За бережное отношение к природе родного края")
    submit(page, "Сохранить призы и отметки")
    assert "Призы и специальные отметки сохранены" in notice(page)
    recorded = page.locator("#awards-now").locator("..").inner_text()
    assert sponsor["sponsor"] in recorded and "За бережное отношение" in recorded

    # --- the close: a tie only the chair can break, ordered on the tie page --------------------------
    switch_language(page)
    submit(page, "Close the final and declare the winners")
    look_at_sizes(page, "tie")  # the answer to the close: shown in each language by closing again
    assert "Jurors" in page.locator("main thead").first.inner_text(), "judging's count of jurors"
    switch_language_back_and_close_again(page, web, contest_id)
    look_at_sizes(page, "tie")
    tie = page.locator("main").inner_text()
    assert "Красная книга Чебулинского района" in tie and "Видеолетопись Белово" in tie
    assert "Малышева Ксения Олеговна" in tie and "Степанова Олеся Игоревна" in tie
    chosen = "Видеолетопись Белово"
    page.get_by_label(f"Место по решению председателя для «{chosen}»").select_option("1")
    page.get_by_label("Место по решению председателя для «Красная книга Чебулинского района»").select_option(
        "2"
    )
    submit(page, "Записать решение председателя")
    assert "Решение председателя записано" in notice(page)
    submit(page, "Закрыть финал и объявить победителей")
    assert "Финал закрыт" in notice(page)
    look_both_ways(page, "final-closed")
    page.get_by_role("link", name="Правила и итоги этапа").click()
    final_results = page.locator("table.results-table tbody")
    winner_row = final_results.locator("tr", has_text=chosen)
    assert "1 место" in winner_row.inner_text()
    assert "chair" in winner_row.inner_text()
    look_both_ways(page, "final-results")

    # --- the public results: winners, prizes, the mention, the audit heads -------------------------
    with httpx.Client(base_url=stack.url("judging"), timeout=30) as judging:
        heads = judging.get(f"/contests/{contest_id}/audit/heads").json()
    assert len(heads) == 2, heads
    visitor = browser.new_context(viewport=DESKTOP, locale="ru-RU").new_page()
    wait_until(
        lambda: (
            visitor.goto(f"{web}/contests/{contest_id}/results") and "Победител" in visitor.inner_text("main")
        ),
        60,
        "the results to be published",
    )
    public = visitor.inner_text("main")
    for winner in ("Рюкзачок знаний", chosen, "Квест «Тайны старой Анжерки»"):
        assert plain(winner) in plain(public), winner
    assert plain(sponsor["sponsor"]) in plain(public)
    assert plain(cash["description"]) in plain(public)
    assert "За бережное отношение к природе родного края" in public
    for head in heads:
        assert head["audit_head_hash"] in public.replace("\n", "").replace(" ", ""), head
    visitor.context.close()

    # --- fairness and audit --------------------------------------------------------------------------
    page.goto(f"{web}/console/contests/{contest_id}/audit")
    audit = page.inner_text("main")
    assert ORGANISER in audit, "the audit log names the organiser who acted"
    look_both_ways(page, "audit")
    submit(page, "Проверить журнал")
    assert page.locator(".notice.ok").count() == 1, page.inner_text("main")
    look_both_ways(page, "audit-verification")

    # --- the delivery log ----------------------------------------------------------------------------
    page.goto(f"{web}/console/contests/{contest_id}/notifications")
    wait_until(
        lambda: (
            page.reload()
            or all(
                kind in page.inner_text("main")
                for kind in ("Поздравление победителю", "Особое упоминание", "Член жюри назначен")
            )
        ),
        90,
        "the winners', the mention's and the jurors' deliveries in the log",
    )
    look_both_ways(page, "notifications")
    page.get_by_role("link", name=re.compile("Шаблоны")).first.click()
    # each message's HTML in its sandboxed frame (a page of its own, framed by the console only), as the
    # plain text beside it says; a full-page screenshot leaves such a frame blank below the first screen
    page.wait_for_url(re.compile(r"/notifications/templates"))
    sections = page.locator("section.preview").all()
    assert len(sections) == 2
    for section in sections:
        greeting = section.locator("pre.message-text").inner_text().strip().splitlines()[0]
        shown = section.frame_locator("iframe.message-html").locator("body")
        assert greeting in shown.inner_text(), (greeting, shown.inner_text())
    look_both_ways(page, "templates")
    page.goto(f"{web}/console")
    look_both_ways(page, "home")
    jurors.close()
    context.close()


def create_the_contest(page: Any) -> str:
    """The seed contest typed into the form; its id."""
    page.fill("#title", CONTEST["title"])
    page.fill("#description", CONTEST["description"])
    page.fill("#contact", CONTEST["contact"])
    for i, nomination in enumerate(CONTEST["nominations"]):
        page.fill(f"#nominations-{i}-code", nomination["code"])
        page.fill(f"#nominations-{i}-title", nomination["title"])
        page.fill(f"#nominations-{i}-description", nomination["description"])
    page.fill("#nominations-0-title_en", "Service guide")
    wanted = territories()
    shown = page.locator("input[id^='territories-'][id$='-code']").count()
    while shown < len(wanted):
        submit(page, "Добавить территории")
        shown = page.locator("input[id^='territories-'][id$='-code']").count()
    for i, territory in enumerate(wanted):
        page.fill(f"#territories-{i}-code", territory["code"])
        page.fill(f"#territories-{i}-name", territory["name"])
        page.select_option(f"#territories-{i}-kind", territory["kind"])
    opens, closes = window()
    page.fill("#opens_date", opens)
    page.fill("#opens_time", "00:00")
    page.fill("#closes_date", closes)
    page.fill("#closes_time", "18:00")
    page.fill("#max_entries", str(CONTEST["rules"]["max_entries_per_author_per_nomination"]))
    for i, organiser in enumerate(CONTEST["organisers"]):
        page.fill(f"#organisers-{i}-name", organiser["name"])
    page.fill("#organisers-0-email", SCENARIO["organiser_email"])
    page.fill("#signatories-0-name", "Каменев Сергей Олегович")
    page.fill("#signatories-0-position", "председатель правления НБП «Кузбасские библиотеки»")
    submit(page, "Сохранить конкурс")
    assert "черновик" in notice(page), page.inner_text("main")[:2000]
    match = re.search(r"/console/contests/([0-9a-f-]{36})$", page.url)
    assert match, page.url
    return match.group(1)


def declare(page: Any, stage: dict[str, Any], advance: int, final: bool = False) -> None:
    """The seed's stage typed into the stage form."""
    page.fill("#name", stage["name"])
    for i, criterion in enumerate(stage["criteria"]):
        page.fill(f"#criterion-{i}-name", criterion["name"])
        page.fill(f"#criterion-{i}-weight", str(criterion["weight"]))
        page.fill(f"#criterion-{i}-scale_min", str(criterion["min"]))
        page.fill(f"#criterion-{i}-scale_max", str(criterion["max"]))
    page.select_option("#advancement_rule", "places_per_nomination" if final else "top_per_nomination")
    page.fill("#advancement_value", str(advance))
    for slot in range(1, 5):
        rules = stage["tie_breaks"]
        page.select_option(f"#tie_break_{slot}", rules[slot - 1] if slot <= len(rules) else "")
    if final:
        where = SCENARIO["final"]
        page.fill("#held_at", where["date"][:16].replace("2024-09-28", "2030-09-28"))
        page.fill("#venue", where["place"])
    submit(page, "Объявить этап")
    assert "/stages/new" not in page.url, page.inner_text("main")[:2000]


def open_the_stage(page: Any) -> None:
    """Open the stage from its page; stage 1 waits until judging knows submissions are closed."""

    def opened() -> bool:
        submit(page, "Открыть этап")
        return "Этап открыт" in notice(page)

    wait_until(opened, 60, "the stage to open", interval=0.5)


def plain(title: str) -> str:
    """A title without its quotation marks (the pages quote titles, and quotes within them)."""
    return re.sub("[«»„“]", "", title).strip()


def running_order(page: Any) -> list[str]:
    """The finalists' titles in the running order, as the seed spells them."""
    titles = {plain(t): t for t in FINAL_MARKS}
    return [titles[plain(t)] for t in page.locator("ol.running-order li .title").all_inner_texts()]


def submit_in(where: Any, button: str) -> None:
    """Press the button whose name holds `button` inside `where` and wait for the next page."""
    with where.page.expect_navigation():
        where.get_by_role("button", name=re.compile(re.escape(button))).first.click()


def switch_language_back_and_close_again(page: Any, web: str, contest_id: str) -> None:
    """From the tie page (an answer to a POST), back to the final page in Russian and close again."""
    page.goto(f"{web}/console/contests/{contest_id}/final")
    switch_language(page)
    submit(page, "Закрыть финал и объявить победителей")
