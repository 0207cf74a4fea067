"""What the demo feeds the services: the seed contest open now, a generated contest that is the same
every time, stage declarations from the scenario file, and a `demo --help` that explains the options."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from kaleidoscope_cli.demo_contest import generated_contest, seed_contest
from kaleidoscope_cli.demo_stages import JURORS_PER_ENTRY, stage_declaration
from kaleidoscope_cli.main import DEMO_MARKER, app, fresh_demo_dir
from kaleidoscope_cli.scenario import Scenario

NOW = datetime(2026, 5, 4, 10, tzinfo=UTC)


def test_the_seed_contest_is_open_now_with_its_34_entries_19_territories_and_the_scenario_jury() -> None:
    scenario = Scenario.load()
    demo = seed_contest(NOW, scenario)
    window = demo.contest["window"]
    assert datetime.fromisoformat(window["opens_at"]) < NOW < datetime.fromisoformat(window["closes_at"])
    assert len(demo.entries) == 34 and len(demo.contest["territories"]) == 19
    assert Counter(t["kind"] for t in demo.contest["territories"]) == {
        "city_district": 10,
        "municipal_district": 9,
    }
    assert not {"id", "submitted_at", "status", "published_at"} & {k for e in demo.entries for k in e}
    assert {"Рюкзачок знаний", "Красная книга Чебулинского района", "Творим историю вместе"} <= {
        e["title"] for e in demo.entries
    }
    assert [j["full_name"] for j in demo.jury] == [j["full_name"] for j in scenario.jury]
    assert all(a["email"] for e in demo.entries for a in e["authors"]), "every participant can be written to"
    assert demo.contest["organisers"][0]["email"] == scenario.data["organiser_email"]


def test_a_generated_contest_is_the_same_for_the_same_options_and_spans_every_nomination() -> None:
    scenario = Scenario.load()
    first = generated_contest(NOW, scenario, 500, 20)
    again = generated_contest(NOW + timedelta(hours=1), scenario, 500, 20)
    assert first.entries == again.entries and first.jury == again.jury
    assert len(first.entries) == 500 and len({e["title"] for e in first.entries}) == 500
    assert len(Counter(e["nomination_code"] for e in first.entries)) == 3
    assert len({e["authors"][0]["territory_code"] for e in first.entries}) == 19
    assert len(first.jury) == 20 and first.jury[:7] == scenario.jury
    assert len({j["full_name"] for j in first.jury}) == 20


def test_stage_declarations_come_from_the_scenario_and_a_big_jury_shares_the_review() -> None:
    scenario = Scenario.load()
    review = stage_declaration(scenario, "review", 7, 34)
    assert review["advancement"] == {"rule": "top_per_nomination", "n": 3}
    assert [c["name"] for c in review["criteria"]] == [
        c["name"] for c in scenario.stage("review")["criteria"]
    ]
    assert review["assignment"]["mode"] == "every_juror"
    shared = stage_declaration(scenario, "review", 20, 500)["assignment"]
    assert shared["mode"] == "jurors_per_entry" and shared["k"] == JURORS_PER_ENTRY
    assert shared["cap_per_juror"] * 20 >= 500 * JURORS_PER_ENTRY
    final = stage_declaration(scenario, "final", 20, 500)
    assert final["advancement"] == {"rule": "places_per_nomination", "k": 1}
    assert final["assignment"]["mode"] == "every_juror"


def test_the_final_is_dated_after_this_run_s_submission_window_at_the_scenario_s_hour() -> None:
    scenario = Scenario.load()
    closes_at = datetime.fromisoformat(seed_contest(NOW, scenario).contest["window"]["closes_at"])
    final = stage_declaration(scenario, "final", 7, 34, closes_at)
    held_at = datetime.fromisoformat(final["held_at"])
    assert closes_at < held_at < closes_at + timedelta(days=60)
    written = datetime.fromisoformat(scenario.data["final"]["date"])
    assert (held_at.timetz(), held_at.utcoffset()) == (written.timetz(), written.utcoffset())


def test_demo_help_explains_the_scenario_and_the_bigger_contest_options() -> None:
    result = CliRunner().invoke(app, ["demo", "--help"], env={"COLUMNS": "120"})
    assert result.exit_code == 0, result.output
    for option in ("--entries", "--jurors", "--data-dir", "--redis-url"):
        assert option in result.output
    assert "Library Kaleidoscope" in result.output and "library_kaleidoscope.json" in result.output


def test_a_demo_folder_is_emptied_before_the_next_run_and_a_foreign_one_refused(tmp_path: Path) -> None:
    fresh_demo_dir(tmp_path / "demo")
    (tmp_path / "demo" / "documents").mkdir()
    (tmp_path / "demo" / "documents" / "letter.pdf").write_bytes(b"%PDF")
    fresh_demo_dir(tmp_path / "demo")
    assert [p.name for p in (tmp_path / "demo").iterdir()] == [DEMO_MARKER]
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.odt").write_bytes(b"keep me")
    with pytest.raises(typer.Exit):
        fresh_demo_dir(tmp_path / "mine")
    assert (tmp_path / "mine" / "thesis.odt").read_bytes() == b"keep me"
