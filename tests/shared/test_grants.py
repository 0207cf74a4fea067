"""Grants: what one service signs, another checks; nothing else passes."""

from __future__ import annotations

import pytest

from kaleidoscope_shared.grants import ENTRY_DOCUMENTS, ENTRY_FILE, GrantRefused, check_grant, issue_grant

KEY = "k" * 40


def test_a_genuine_grant_is_accepted_for_its_scope_and_subject() -> None:
    grant = issue_grant(KEY, ENTRY_FILE, "entry:ab/cd", 60, now=1000)
    checked = check_grant(KEY, grant, ENTRY_FILE, "entry:ab/cd", now=1059)
    assert (checked.scope, checked.subject, checked.expires) == (ENTRY_FILE, "entry:ab/cd", 1060)


@pytest.mark.parametrize(
    ("key", "scope", "subject", "now"),
    [
        ("another key of forty characters.........", ENTRY_FILE, "entry:ab/cd", 1000),
        (KEY, ENTRY_DOCUMENTS, "entry:ab/cd", 1000),
        (KEY, ENTRY_FILE, "entry:ab/ce", 1000),
        (KEY, ENTRY_FILE, "entry:ab/cd", 1061),
    ],
    ids=["other key", "other scope", "other subject", "expired"],
)
def test_a_grant_is_refused_outside_what_it_says(key: str, scope: str, subject: str, now: float) -> None:
    grant = issue_grant(KEY, ENTRY_FILE, "entry:ab/cd", 60, now=1000)
    with pytest.raises(GrantRefused):
        check_grant(key, grant, scope, subject, now=now)


def test_an_edited_grant_is_refused() -> None:
    grant = issue_grant(KEY, ENTRY_FILE, "entry:ab/cd", 60, now=1000)
    scope, subject, expires, signature = grant.split(".")
    for forged in (f"{scope}.{subject}.{int(expires) + 3600}.{signature}", "not-a-grant", f"{grant}.x"):
        with pytest.raises(GrantRefused):
            check_grant(KEY, forged, ENTRY_FILE, now=1000)
