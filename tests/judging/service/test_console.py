"""What the organiser's console asks of judging: a juror edited, removed (not after scoring) or given
a new link (the old one refused at once); every conflict listed, automatic ones with their reason;
reminders now and who is late; results and the tie refusal naming entries; awards read back and on
the public scoreboard; the audit log paged, its actor, and the heads published per closed stage; the
contest copy kept at its highest revision."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx
from redis.asyncio import Redis

from judging.adapters.tables import AuditRow, ContestCopy
from judging.bootstrap import bootstrap
from judging.settings import JudgingSettings
from kaleidoscope_shared.contracts import ContestAmended, Nomination, Territory
from kaleidoscope_shared.sealing import unseal

from ...polling import eventually
from .judging_kit import (
    FINAL,
    NOMINATIONS,
    ORGANISER,
    REVIEW,
    START,
    TERRITORIES,
    bearer,
    declare,
    publish,
    register_jury,
    score_everything,
)
from .test_closing import NO_SEPARATING_RULE, everyone_gives_the_same_marks
from .test_hall_screen import score
from .test_juror_sign_in import SIGN_IN, outbox_payloads, ticket_header
from .test_seed_contest_flow import close_resolving_ties


def juror_url(contest: uuid.UUID, juror: dict[str, Any]) -> str:
    return f"/contests/{contest}/jurors/{juror['id']}"


async def titles(client: httpx.AsyncClient, contest: uuid.UUID) -> dict[str, str]:
    return {e["id"]: e["title"] for e in (await client.get(f"/contests/{contest}/entries")).json()}


async def my_entry_titles(
    client: httpx.AsyncClient, contest: uuid.UUID, stage: dict[str, Any], juror: dict[str, Any]
) -> set[str]:
    mine = await client.get(f"/contests/{contest}/stages/{stage['id']}/my-entries", headers=bearer(juror))
    assert mine.status_code == 200, mine.text
    return {e["title"] for e in mine.json()}


# --- jurors: edit, remove, new link ---------------------------------------------------------------


async def test_editing_a_juror_changes_only_what_is_given_and_takes_away_newly_conflicted_entries(
    client: httpx.AsyncClient, small_contest: uuid.UUID
) -> None:
    contest = small_contest
    jurors = await register_jury(client, contest, 2)
    stage = await declare(client, contest, REVIEW)
    await client.post(f"/contests/{contest}/stages/{stage['id']}/open", headers=ORGANISER)
    assert "Practice 05" in await my_entry_titles(client, contest, stage, jurors[1])

    # Entry 5's author works at "Library 5": the same library, typed otherwise.
    changed = await client.patch(
        juror_url(contest, jurors[1]),
        json={"library": "  «LIBRARY   5» ", "position": "chair of the jury"},
        headers=ORGANISER,
    )
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert (body["library"], body["position"], body["name"], body["email"]) == (
        "  «LIBRARY   5» ",
        "chair of the jury",
        "Juror 1",
        "juror1@example.org",
    )
    assert body["entries_taken_away"] == 1
    assert "Practice 05" not in await my_entry_titles(client, contest, stage, jurors[1])
    listed = (await client.get(f"/contests/{contest}/jurors", headers=ORGANISER)).json()
    assert {j["id"]: j["library"] for j in listed}[jurors[1]["id"]] == "  «LIBRARY   5» "

    cleared = await client.patch(juror_url(contest, jurors[1]), json={"email": None}, headers=ORGANISER)
    assert cleared.status_code == 200 and cleared.json()["email"] is None

    blank = await client.patch(juror_url(contest, jurors[1]), json={"name": None}, headers=ORGANISER)
    assert blank.status_code == 422 and "name" in blank.json()["detail"]
    unknown = await client.patch(juror_url(contest, jurors[1]), json={"chair": True}, headers=ORGANISER)
    assert unknown.status_code == 422
    missing = await client.patch(
        f"/contests/{contest}/jurors/{uuid.uuid4()}", json={"name": "X"}, headers=ORGANISER
    )
    assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"


async def test_a_juror_who_has_scored_cannot_be_removed_and_one_who_has_not_is_gone(
    client: httpx.AsyncClient, small_contest: uuid.UUID
) -> None:
    contest = small_contest
    jurors = await register_jury(client, contest, 2)
    stage = await declare(client, contest, REVIEW)
    await client.post(f"/contests/{contest}/stages/{stage['id']}/open", headers=ORGANISER)
    entry = await client.get(
        f"/contests/{contest}/stages/{stage['id']}/my-entries", headers=bearer(jurors[0])
    )
    url = f"/contests/{contest}/stages/{stage['id']}/entries/{entry.json()[0]['id']}/my-score"
    marks = {"relevance": 5, "novelty": 5, "replicability": 5}
    assert (await client.put(url, json={"marks": marks}, headers=bearer(jurors[0]))).status_code == 200

    refused = await client.delete(juror_url(contest, jurors[0]), headers=ORGANISER)
    assert refused.status_code == 409, refused.text
    assert refused.json()["detail"].startswith("Juror Juror 0 has scored 1 entry")
    assert refused.json()["scored_entries"] == 1
    assert (await client.get("/jurors/me", headers=bearer(jurors[0]))).status_code == 200

    removed = await client.delete(juror_url(contest, jurors[1]), headers=ORGANISER)
    assert removed.status_code == 204
    listed = (await client.get(f"/contests/{contest}/jurors", headers=ORGANISER)).json()
    assert [j["id"] for j in listed] == [jurors[0]["id"]]
    assert (await client.get("/jurors/me", headers=bearer(jurors[1]))).status_code == 401
    progress = (
        await client.get(f"/contests/{contest}/stages/{stage['id']}/progress", headers=ORGANISER)
    ).json()
    assert [j["juror_id"] for j in progress["jurors"]] == [jurors[0]["id"]]
    again = await client.delete(juror_url(contest, jurors[1]), headers=ORGANISER)
    assert again.status_code == 404


async def test_a_new_link_refuses_the_old_token_and_link_at_once_and_is_sent_sealed(
    settings: JudgingSettings, client: httpx.AsyncClient, small_contest: uuid.UUID
) -> None:
    contest = small_contest
    [juror] = await register_jury(client, contest, 1)
    stage = await declare(client, contest, REVIEW)
    await client.post(f"/contests/{contest}/stages/{stage['id']}/open", headers=ORGANISER)
    [assigned] = await outbox_payloads(settings, "juror-assigned")
    key = settings.link_key.get_secret_value()
    old_ticket = unseal(assigned["sealed_personal_link"], key).removeprefix(SIGN_IN)
    assert (await client.get("/jurors/me", headers=ticket_header(old_ticket))).status_code == 200

    reissued = await client.post(f"{juror_url(contest, juror)}/link", headers=ORGANISER)
    assert reissued.status_code == 200, reissued.text
    body = reissued.json()
    assert body["id"] == juror["id"] and body["token"] != juror["token"]
    assert body["link"].startswith(SIGN_IN)

    old_token = await client.get("/jurors/me", headers=bearer(juror))
    assert old_token.status_code == 401
    old_link = await client.get("/jurors/me", headers=ticket_header(old_ticket))
    assert old_link.status_code == 401 and "new link" in old_link.json()["detail"]
    assert (
        await client.get(f"/contests/{contest}/my-stages", headers=ticket_header(old_ticket))
    ).status_code == 401

    assert (await client.get("/jurors/me", headers=bearer(body))).json()["id"] == juror["id"]
    new_ticket = body["link"].removeprefix(SIGN_IN)
    assert (await client.get("/jurors/me", headers=ticket_header(new_ticket))).status_code == 200

    [event] = await outbox_payloads(settings, "juror-link-reissued")
    assert (event["juror_id"], event["juror_email"], event["language"]) == (
        juror["id"],
        "juror0@example.org",
        "ru",
    )
    assert "ticket" not in json.dumps(event), "the link travels sealed"
    assert unseal(event["sealed_personal_link"], key) == body["link"]

    # Reissuing again voids the link just issued.
    await client.post(f"{juror_url(contest, juror)}/link", headers=ORGANISER)
    assert (await client.get("/jurors/me", headers=ticket_header(new_ticket))).status_code == 401


# --- conflicts --------------------------------------------------------------------------------------


async def amend(
    redis: Redis, namespace: str, contest: uuid.UUID, revision: int, title: str, rules: list[str]
) -> None:
    await publish(
        redis,
        namespace,
        ContestAmended(
            contest_id=contest,
            revision=revision,
            amended_at=datetime.now(UTC),
            changed=["title", "conflict_rules"],
            title=title,
            nominations=[Nomination(code=c, title=c.upper()) for c in NOMINATIONS],
            territories=[Territory(code=t, name=t, kind="city_district") for t in TERRITORIES],
            submissions_open_at=START - timedelta(days=30),
            submissions_close_at=START + timedelta(days=30),
            conflict_rules=rules,  # type: ignore[arg-type]
        ),
    )


async def contest_copy(settings: JudgingSettings, contest: uuid.UUID) -> ContestCopy:
    runtime = bootstrap(settings)
    try:
        async with runtime.sessions() as session:
            found = await session.get(ContestCopy, contest)
            assert found is not None
            return found
    finally:
        await runtime.close()


async def test_every_conflict_is_listed_automatic_ones_with_their_reason(
    settings: JudgingSettings,
    redis: Redis,
    namespace: str,
    client: httpx.AsyncClient,
    small_contest: uuid.UUID,
) -> None:
    contest = small_contest
    named = await titles(client, contest)
    by_title = {t: i for i, t in named.items()}
    [juror] = await register_jury(client, contest, 1)
    await client.patch(
        juror_url(contest, juror),
        json={"library": '"library  0"', "territory_code": TERRITORIES[2]},
        headers=ORGANISER,
    )
    ruled = await client.post(
        f"/contests/{contest}/conflicts",
        json={"juror_id": juror["id"], "entry_id": by_title["Practice 01"], "reason": "his sister's project"},
        headers=ORGANISER,
    )
    assert ruled.status_code == 201 and ruled.json()["source"] == "set_by_organiser", "POST keeps its shape"
    recused = await client.post(
        f"/contests/{contest}/recusals",
        json={"entry_id": by_title["Practice 04"], "reason": "I advised them"},
        headers=bearer(juror),
    )
    assert recused.status_code == 201

    listed = await client.get(f"/contests/{contest}/conflicts", headers=ORGANISER)
    assert listed.status_code == 200, listed.text
    rows = {(c["entry_title"], c["source"]): c for c in listed.json()}
    assert set(rows) == {
        ("Practice 00", "automatic"),
        ("Practice 01", "organiser"),
        ("Practice 04", "declared"),
    }, "same territory is not a rule of this contest (yet)"
    library = rows[("Practice 00", "automatic")]
    assert (library["juror_id"], library["juror_name"], library["rule"]) == (
        juror["id"],
        "Juror 0",
        "same_library",
    )
    assert "same library" in library["reason"] and "Author 0" in library["reason"]
    assert rows[("Practice 01", "organiser")]["reason"] == "his sister's project"
    assert rows[("Practice 04", "declared")]["reason"] == "I advised them"
    again = (await client.get(f"/contests/{contest}/conflicts", headers=ORGANISER)).json()
    assert [c["id"] for c in again] == [c["id"] for c in listed.json()], "automatic ids are stable"

    # The contest is amended to apply the same-territory rule too: entry 2's author is in TERRITORIES[2].
    await amend(redis, namespace, contest, 2, "Калейдоскоп", ["same_library", "same_territory"])

    async def territory_listed() -> bool:
        found = (await client.get(f"/contests/{contest}/conflicts", headers=ORGANISER)).json()
        return any(c["rule"] == "same_territory" and c["entry_title"] == "Practice 02" for c in found)

    await eventually(territory_listed, what="the amended rules to apply")
    territory = [
        c
        for c in (await client.get(f"/contests/{contest}/conflicts", headers=ORGANISER)).json()
        if c["rule"] == "same_territory"
    ]
    assert [(c["source"], c["entry_title"]) for c in territory] == [("automatic", "Practice 02")]
    assert "same territory" in territory[0]["reason"] and TERRITORIES[2] in territory[0]["reason"]


async def test_the_contest_copy_keeps_the_highest_revision_whatever_the_order(
    settings: JudgingSettings,
    redis: Redis,
    namespace: str,
    client: httpx.AsyncClient,
    small_contest: uuid.UUID,
) -> None:
    await amend(redis, namespace, small_contest, 3, "Третья редакция", ["same_library"])

    async def at_three() -> bool:
        return (await contest_copy(settings, small_contest)).revision == 3

    await eventually(at_three, what="revision 3")
    await amend(redis, namespace, small_contest, 2, "Вторая редакция", ["same_library", "same_territory"])
    sentinel = uuid.uuid4()  # an amendment of another contest, behind the stale one on the same stream
    await amend(redis, namespace, sentinel, 2, "Другой конкурс", ["same_library"])

    async def sentinel_applied() -> bool:
        runtime = bootstrap(settings)
        try:
            async with runtime.sessions() as session:
                return await session.get(ContestCopy, sentinel) is not None
        finally:
            await runtime.close()

    await eventually(sentinel_applied, what="the amendment behind the stale one")
    kept = await contest_copy(settings, small_contest)
    assert (kept.revision, kept.title) == (3, "Третья редакция"), "a stale amendment changes nothing"
    await amend(redis, namespace, small_contest, 4, "Четвёртая редакция", ["same_library"])

    async def at_four() -> bool:
        return (await contest_copy(settings, small_contest)).revision == 4

    await eventually(at_four, what="revision 4")
    copy = await contest_copy(settings, small_contest)
    assert (copy.title, copy.conflict_rules) == ("Четвёртая редакция", ["same_library"])
    assert copy.nominations["service-guide"] == "SERVICE-GUIDE"
    assert copy.submissions_closed, "an amendment leaves the rest of the copy alone"


# --- reminders and progress ------------------------------------------------------------------------


async def test_reminders_go_now_to_every_juror_with_entries_left_and_late_ones_are_shown(
    settings: JudgingSettings, client: httpx.AsyncClient, small_contest: uuid.UUID
) -> None:
    contest = small_contest
    jurors = await register_jury(client, contest, 3)
    soon = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    stage = await declare(client, contest, {**REVIEW, "deadline": soon})
    base = f"/contests/{contest}/stages/{stage['id']}"
    not_open = await client.post(f"{base}/reminders", headers=ORGANISER)
    assert not_open.status_code == 409 and "open" in not_open.json()["detail"]
    await client.post(f"{base}/open", headers=ORGANISER)
    await score_everything(client, contest, stage, [jurors[2]], seed=1)

    reminded = await client.post(f"{base}/reminders", headers=ORGANISER)
    assert reminded.status_code == 200, reminded.text
    assert sorted(reminded.json()["reminded"]) == sorted(j["id"] for j in jurors[:2])
    events = await outbox_payloads(settings, "juror-reminder-due")
    assert sorted(e["juror_id"] for e in events) == sorted(j["id"] for j in jurors[:2])
    key = settings.link_key.get_secret_value()
    assert all(unseal(e["sealed_personal_link"], key).startswith(SIGN_IN) for e in events)

    progress = (await client.get(f"{base}/progress", headers=ORGANISER)).json()
    assert [j["late"] for j in progress["jurors"]] == [False, False, False], "the deadline is ahead"
    assert {j["juror_name"] for j in progress["jurors"]} == {"Juror 0", "Juror 1", "Juror 2"}


async def test_a_juror_with_entries_left_after_the_deadline_is_late(
    client: httpx.AsyncClient, small_contest: uuid.UUID
) -> None:
    contest = small_contest
    jurors = await register_jury(client, contest, 2)
    past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    stage = await declare(client, contest, {**REVIEW, "deadline": past})
    base = f"/contests/{contest}/stages/{stage['id']}"
    await client.post(f"{base}/open", headers=ORGANISER)
    progress = (await client.get(f"{base}/progress", headers=ORGANISER)).json()
    assert {j["juror_id"]: j["late"] for j in progress["jurors"]} == {j["id"]: True for j in jurors}


# --- results, ties, awards --------------------------------------------------------------------------


async def test_the_tie_refusal_and_the_results_name_entries_by_title_and_authors(
    client: httpx.AsyncClient, small_contest: uuid.UUID
) -> None:
    contest = small_contest
    jurors = (await register_jury(client, contest, 4))[2:]
    stage = await declare(client, contest, NO_SEPARATING_RULE)
    base = f"/contests/{contest}/stages/{stage['id']}"
    await client.post(f"{base}/open", headers=ORGANISER)
    no_deadline = await client.post(f"{base}/reminders", headers=ORGANISER)
    assert no_deadline.status_code == 409 and "no deadline" in no_deadline.json()["detail"]
    await everyone_gives_the_same_marks(client, contest, stage, jurors)
    refused = await client.post(f"{base}/close", headers=ORGANISER)
    assert refused.status_code == 409
    tied = refused.json()["tied"]
    named = await titles(client, contest)
    assert len(tied) == 6 and all(t["title"] == named[t["entry_id"]] for t in tied)
    assert all(t["authors"] == [f"Author {int(t['title'][-2:])}"] for t in tied)
    assert all(t["aggregate"] == 7.0 and t["median"] == 7.0 and t["jurors"] == 2 for t in tied)
    assert {t["nomination_code"] for t in tied} == set(NOMINATIONS)

    groups = refused.json()["tied_entries"]
    order = [g[1] for g in groups] + [g[0] for g in groups]
    await client.put(f"{base}/chair-ordering", json={"entry_ids": order}, headers=ORGANISER)
    assert (await client.post(f"{base}/close", headers=ORGANISER)).status_code == 200
    results = (await client.get(f"{base}/results", headers=ORGANISER)).json()
    assert len(results) == 6
    for row in results:
        i = int(row["title"][-2:])
        assert row["title"] == named[row["entry_id"]]
        assert (row["authors"], row["library"]) == ([f"Author {i}"], f"Library {i % 17}")


AWARDS = {
    "places": [
        {
            "place": 1,
            "prizes": [
                {"kind": "cash", "description": "Премия", "amount": "50000", "currency": "RUB"},
                {"kind": "sponsor", "description": "Ноутбук", "sponsor": "ООО «Книжный мир»"},
            ],
        },
        {
            "place": 1,
            "nomination_code": "idea-generator",
            "prizes": [{"kind": "other", "description": "Поездка на форум"}],
        },
    ],
    "special_mentions": [],
}


async def test_awards_read_back_as_set_and_show_on_the_public_scoreboard_once_the_final_closes(
    client: httpx.AsyncClient, small_contest: uuid.UUID
) -> None:
    contest = small_contest
    jurors = await register_jury(client, contest, 3)
    review, final = await declare(client, contest, REVIEW), await declare(client, contest, FINAL)
    base = f"/contests/{contest}/stages/{final['id']}"
    unset = await client.get(f"{base}/awards", headers=ORGANISER)
    assert unset.json() == {"places": [], "special_mentions": []}
    review_awards = await client.get(f"/contests/{contest}/stages/{review['id']}/awards", headers=ORGANISER)
    assert review_awards.status_code == 404

    await client.post(f"/contests/{contest}/stages/{review['id']}/open", headers=ORGANISER)
    await score_everything(client, contest, review, jurors, seed=3)
    await close_resolving_ties(client, contest, review)
    opened = (await client.post(f"{base}/open", headers=ORGANISER)).json()
    mentioned = opened["running_order"][-1]
    awards = {**AWARDS, "special_mentions": [{"entry_id": mentioned, "text": "За смелость замысла"}]}
    assert (await client.put(f"{base}/awards", json=awards, headers=ORGANISER)).status_code == 200
    read = (await client.get(f"{base}/awards", headers=ORGANISER)).json()
    assert read["special_mentions"] == awards["special_mentions"]
    assert [p["place"] for p in read["places"]] == [1, 1]
    cash, sponsor = read["places"][0]["prizes"]
    assert (cash["kind"], cash["amount"], cash["currency"]) == ("cash", "50000", "RUB")
    assert (sponsor["kind"], sponsor["sponsor"]) == ("sponsor", "ООО «Книжный мир»")
    assert read["places"][1]["nomination_code"] == "idea-generator"

    board = (await client.get(f"{base}/scoreboard")).json()
    assert board["special_mentions"] is None and "prizes" not in board["entries"][0], "not before the close"
    for entry_id in opened["running_order"]:
        await client.post(f"{base}/defence/start", json={"entry_id": entry_id}, headers=ORGANISER)
    await client.post(f"{base}/defence/end", headers=ORGANISER)
    await score(client, contest, opened, jurors, opened["running_order"])
    await close_resolving_ties(client, contest, final)

    closed = (await client.get(f"{base}/scoreboard")).json()
    named = await titles(client, contest)
    assert closed["special_mentions"] == [
        {"entry_id": mentioned, "title": named[mentioned], "text": "За смелость замысла"}
    ]
    for line in closed["entries"]:
        if line["place"] != 1:
            assert line["prizes"] == []
        elif line["nomination_code"] == "idea-generator":
            assert [p["description"] for p in line["prizes"]] == ["Поездка на форум"]
        else:
            assert [(p["kind"], p["amount"], p["sponsor"]) for p in line["prizes"]] == [
                ("cash", "50000", None),
                ("sponsor", None, "ООО «Книжный мир»"),
            ]
        assert line["special_mention"] == ("За смелость замысла" if line["entry_id"] == mentioned else None)
    after = (await client.get(f"{base}/awards", headers=ORGANISER)).json()
    assert after == read, "readable after the close too"


# --- the audit log -----------------------------------------------------------------------------------


async def test_the_audit_log_pages_names_its_actors_and_publishes_each_closed_stages_head(
    settings: JudgingSettings, client: httpx.AsyncClient, small_contest: uuid.UUID
) -> None:
    contest = small_contest
    assert (await client.get(f"/contests/{contest}/audit/heads")).json() == []
    assert (await client.get(f"/contests/{uuid.uuid4()}/audit/heads")).status_code == 404
    as_anna = {**ORGANISER, "X-Kaleidoscope-Actor": quote("Анна Петровна Иванова")}
    response = await client.post(
        f"/contests/{contest}/jurors", json={"name": "Juror A", "library": "L"}, headers=as_anna
    )
    assert response.status_code == 201
    juror = response.json()
    stage = await declare(client, contest, REVIEW)  # no header: "organiser"
    base = f"/contests/{contest}/stages/{stage['id']}"
    await client.post(f"{base}/open", headers={**ORGANISER, "X-Kaleidoscope-Actor": "Boris"})
    await score_everything(client, contest, stage, [juror], seed=2)
    too_long = {**ORGANISER, "X-Kaleidoscope-Actor": "x" * 101}
    refused = await client.post(f"{base}/close", headers=too_long)
    assert refused.status_code == 422 and "X-Kaleidoscope-Actor" in refused.json()["detail"]
    closed = await client.post(f"{base}/close", headers={**ORGANISER, "X-Kaleidoscope-Actor": "Boris"})
    assert closed.status_code == 200, closed.text

    first = await client.get(f"/contests/{contest}/audit?limit=3", headers=ORGANISER)
    assert first.status_code == 200, first.text
    page = first.json()
    assert (page["offset"], page["limit"], len(page["items"])) == (0, 3, 3)
    everything = (await client.get(f"/contests/{contest}/audit?limit=500", headers=ORGANISER)).json()
    total = everything["total"]
    assert total == len(everything["items"]) and total > 5
    assert [r["sequence"] for r in everything["items"]] == list(range(1, total + 1))
    actors = {r["action"]: r["actor"] for r in everything["items"]}
    assert actors["juror_registered"] == "Анна Петровна Иванова"
    assert actors["stage_declared"] == "organiser"
    assert actors["stage_opened"] == "Boris" and actors["stage_closed"] == "Boris"
    assert actors["score_given"] == f"juror Juror A ({juror['id']})"
    registered = everything["items"][0]
    assert registered["details"]["name"] == "Juror A" and "actor" not in registered["details"]
    later = (await client.get(f"/contests/{contest}/audit?offset=3&limit=2", headers=ORGANISER)).json()
    assert [r["sequence"] for r in later["items"]] == [4, 5]
    assert (await client.get(f"/contests/{contest}/audit?limit=0", headers=ORGANISER)).status_code == 422

    heads = (await client.get(f"/contests/{contest}/audit/heads")).json()
    [head] = heads
    stage_closed = next(r for r in everything["items"] if r["action"] == "stage_closed")
    assert (head["stage_id"], head["stage_name"]) == (stage["id"], "review")
    assert (head["audit_head_hash"], head["records"]) == (stage_closed["hash"], stage_closed["sequence"])
    assert head["closed_at"] is not None
    verified = (await client.get(f"/contests/{contest}/audit/verification", headers=ORGANISER)).json()
    assert verified["intact"], "the actor in each record is covered by the chain"

    # The actor is hashed with the record: rewriting it breaks the chain.
    runtime = bootstrap(settings)
    try:
        async with runtime.sessions() as session, session.begin():
            row = await session.get(AuditRow, (contest, 1))
            assert row is not None
            row.payload = row.payload.replace("Анна Петровна Иванова", "Someone else")
    finally:
        await runtime.close()
    broken = (await client.get(f"/contests/{contest}/audit/verification", headers=ORGANISER)).json()
    assert broken["first_broken_sequence"] == 1
