"""The domain's state becomes the shared event contracts other services read."""

from __future__ import annotations

import pytest

from submissions.domain import edit_entry, submit_entry, withdraw_entry
from submissions.domain.entry import AttachmentRef
from submissions.domain.integration_events import entry_submitted, entry_updated, entry_withdrawn

from .conftest import make_content


def test_submitted_updated_and_withdrawn_events_carry_the_entry_revision(contest, clock) -> None:
    entry = submit_entry(contest, make_content(), existing=[], clock=clock).entry
    edited = edit_entry(contest, entry, make_content(annotation="новая"), existing=[entry], clock=clock)
    withdrawn = withdraw_entry(contest, edited, "причина", clock=clock)
    submitted = entry_submitted(entry, private_link="https://example.org/e/token")
    assert (submitted.revision, submitted.private_link) == (1, "https://example.org/e/token")
    assert entry_updated(edited).revision == 2
    assert entry_updated(edited).annotation == "новая"
    event = entry_withdrawn(withdrawn)
    assert (event.revision, event.reason) == (3, "причина")


def test_an_entry_that_was_not_withdrawn_has_no_withdrawal_event(contest, clock) -> None:
    entry = submit_entry(contest, make_content(), existing=[], clock=clock).entry
    with pytest.raises(ValueError, match="is not withdrawn"):
        entry_withdrawn(entry)


def test_submitted_and_updated_events_carry_the_links_and_the_files_a_juror_will_open(contest, clock) -> None:
    pdf = AttachmentRef(
        key="ab/" + "0" * 32,
        filename="практика.pdf",
        media_type="application/pdf",
        size_bytes=1234,
        sha256="f" * 64,
    )
    entry = submit_entry(contest, make_content(attachments=(pdf,)), existing=[], clock=clock).entry
    submitted = entry_submitted(entry)
    assert submitted.links == ["https://example.org/backpack"]
    assert [a.model_dump() for a in submitted.attachments] == [
        {"key": pdf.key, "filename": "практика.pdf", "media_type": "application/pdf", "size_bytes": 1234}
    ]
    changed = make_content(links=("https://example.org/new",), attachments=())
    edited = edit_entry(contest, entry, changed, existing=[entry], clock=clock)
    updated = entry_updated(edited)
    assert (updated.links, updated.attachments) == (["https://example.org/new"], [])


def test_each_author_is_written_to_in_the_language_they_chose(contest, clock) -> None:
    content = make_content()
    english = content.authors[0].model_copy(update={"language": "en"})
    entry = submit_entry(
        contest, content.model_copy(update={"authors": (english,)}), existing=[], clock=clock
    )
    assert [a.language for a in entry_submitted(entry.entry).authors] == ["en"]
    assert [
        a.language
        for a in entry_submitted(
            submit_entry(contest, make_content(title="Другая"), existing=[], clock=clock).entry
        ).authors
    ] == ["ru"]
