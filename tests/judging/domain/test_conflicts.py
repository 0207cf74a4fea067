from datetime import UTC, datetime

import pytest

from judging.domain import (
    Author,
    ConflictPolicy,
    ConflictRule,
    ConflictSource,
    DeclaredConflict,
    Entry,
    Juror,
    automatic_conflicts,
    library_key,
)

SUBMITTED = datetime(2024, 3, 1, tzinfo=UTC)


def entry(*authors: Author, entry_id: str = "e1") -> Entry:
    return Entry(entry_id, "service-guide", tuple(authors), SUBMITTED)


JUROR = Juror("j1", "Irina Petrova", "lead librarian", "Central Library of Belovo", "belovo")


def test_same_library_is_a_conflict_regardless_of_case_and_spacing():
    policy = ConflictPolicy(rules=frozenset({ConflictRule.SAME_LIBRARY}))
    conflicts = policy.conflicts_between(JUROR, entry(Author("A", "central  library of BELOVO", "kemerovo")))
    assert [c.source for c in conflicts] == [ConflictSource.SAME_LIBRARY]
    assert "same library as author A" in conflicts[0].reason


@pytest.mark.parametrize(
    "typed",
    [
        "Central\u200b Library of Belovo",  # a zero-width space
        "Cen\u00adtral Library of Belovo",  # a soft hyphen
        "\u200eCentral Library of Belovo\u200f",  # direction marks
        "Ｃｅｎｔｒａｌ Library of Belovo",  # full-width letters
        "“Central Library of Belovo”",
    ],
)
def test_invisible_characters_quotes_or_wide_letters_do_not_hide_the_same_library(typed: str):
    assert ConflictPolicy().is_conflicted(JUROR, entry(Author("A", typed, "x")))


def test_ё_and_е_and_russian_quotes_name_the_same_library():
    juror = Juror("j3", "Ирина", "библиотекарь", "МБУК «Централизованная библиотечная система»", "belovo")
    author = Author("A", 'мбук "централизованная библиотечная систeма"'.replace("e", "е"), "x")
    assert ConflictPolicy().is_conflicted(juror, entry(author))
    assert ConflictPolicy().is_conflicted(
        Juror("j4", "Пётр", "", "Библиотека им. Алёшина", ""),
        entry(Author("B", "Библиотека им. Алешина", "x")),
    )


def test_same_territory_counts_only_when_the_contest_switches_it_on():
    author = Author("A", "Another library", "belovo")
    assert not ConflictPolicy(rules=frozenset({ConflictRule.SAME_LIBRARY})).is_conflicted(
        JUROR, entry(author)
    )
    both = ConflictPolicy(rules=frozenset(ConflictRule))
    assert [c.source for c in both.conflicts_between(JUROR, entry(author))] == [ConflictSource.SAME_TERRITORY]


def test_any_author_of_a_joint_entry_can_cause_the_conflict():
    joint = entry(Author("A", "Other", "x"), Author("B", "Central Library of Belovo", "y"))
    assert ConflictPolicy().is_conflicted(JUROR, joint)


def test_blank_library_never_matches():
    juror = Juror("j2", "No Library")
    assert not ConflictPolicy().is_conflicted(juror, entry(Author("A", "", "x")))


def test_recusal_and_organiser_conflict_are_reported_with_their_reasons():
    policy = ConflictPolicy(rules=frozenset()).with_declared(
        [
            DeclaredConflict("j1", "e1", ConflictSource.DECLARED_BY_JUROR, "I mentored the author"),
            DeclaredConflict("j1", "e1", ConflictSource.SET_BY_ORGANISER, "relative of the author"),
        ]
    )
    conflicts = policy.conflicts_between(JUROR, entry(Author("A", "Other", "x")))
    assert [(c.source, c.reason) for c in conflicts] == [
        (ConflictSource.DECLARED_BY_JUROR, "I mentored the author"),
        (ConflictSource.SET_BY_ORGANISER, "relative of the author"),
    ]
    assert not policy.is_conflicted(JUROR, entry(Author("A", "Other", "x"), entry_id="e2"))


def test_a_declared_conflict_cannot_claim_to_come_from_an_automatic_rule():
    with pytest.raises(ValueError, match="juror or the organiser"):
        DeclaredConflict("j1", "e1", ConflictSource.SAME_LIBRARY, "")


@pytest.mark.parametrize(
    ("juror_library", "author_library"),
    [
        (
            "МБУК «ЦБС г. Белово»",
            'Муниципальное бюджетное учреждение культуры "Централизованная библиотечная система города Белово"',
        ),
        ("Библиотека им. В.Д. Фёдорова", "библиотека  имени В. Д. Федорова"),
        ("„Библиотека № 5“", "Библиотека №5"),
        ("ЦРБ Кемеровского р-на", "Центральная районная библиотека Кемеровского района"),
        ("ЦГБ пос. Яя", "Центральная городская библиотека посёлка Яя"),
    ],
)
def test_common_abbreviations_and_punctuation_do_not_hide_the_same_library(
    juror_library: str, author_library: str
):
    assert library_key(juror_library) == library_key(author_library)
    juror = Juror("j1", "Irina", library=juror_library)
    policy = ConflictPolicy(rules=frozenset({ConflictRule.SAME_LIBRARY}))
    assert policy.is_conflicted(juror, entry(Author("A", author_library, "kemerovo")))


@pytest.mark.parametrize(
    ("one", "other"),
    [("Library 3", "Library 31"), ("ЦБС г. Белово", "ЦБС г. Березовский"), ("МБУК ЦБС", "МАУК ЦБС")],
)
def test_different_libraries_stay_different(one: str, other: str):
    assert library_key(one) != library_key(other)


def test_automatic_conflicts_are_found_for_every_juror_and_entry_under_the_contest_rules():
    entries = [
        entry(Author("A", "ЦБС г. Белово", "belovo"), entry_id="e1"),
        entry(Author("B", "Other library", "belovo"), entry_id="e2"),
        entry(Author("C", "Третья", "yaya"), entry_id="e3"),
        Entry("e4", "service-guide", (Author("D", "цбс города белово", "x"),), SUBMITTED, withdrawn=True),
    ]
    jurors = [
        Juror("j1", "Irina", library="«ЦБС города Белово»", territory_code="belovo"),
        Juror("j2", "Oleg"),
    ]
    library_only = [
        (j.juror_id, e.entry_id, c.source)
        for j, e, c in automatic_conflicts({ConflictRule.SAME_LIBRARY}, jurors, entries)
    ]
    assert library_only == [("j1", "e1", ConflictSource.SAME_LIBRARY)], (
        "withdrawn entries and blank libraries never"
    )
    both = {
        (j.juror_id, e.entry_id, c.source)
        for j, e, c in automatic_conflicts(set(ConflictRule), jurors, entries)
    }
    assert both == {
        ("j1", "e1", ConflictSource.SAME_LIBRARY),
        ("j1", "e1", ConflictSource.SAME_TERRITORY),
        ("j1", "e2", ConflictSource.SAME_TERRITORY),
    }
