"""The submissions domain: contests, entries and their rules. No I/O, no web, SQL or bus imports."""

from .clock import Clock, FixedClock, SystemClock, require_aware
from .contest import (
    AttachmentRules,
    ConflictRule,
    Contest,
    ContestRules,
    ContestStatus,
    Nomination,
    Organiser,
    SubmissionWindow,
    Territory,
    TerritoryKind,
)
from .deadline import (
    FinalEntry,
    SubmissionsClosure,
    close_submissions,
    final_entries,
    submissions_should_close,
)
from .entry import AttachmentRef, Author, Entry, EntryContent, EntryStatus
from .lifecycle import announce_results, publish_contest
from .rules import check_attachment
from .statistics import ContestStatistics, contest_statistics
from .submission import SubmittedEntry, edit_entry, submit_entry, verify_entry_token, withdraw_entry
from .tokens import EntryToken, hash_entry_token, new_entry_token, token_matches

__all__ = [
    "AttachmentRef",
    "AttachmentRules",
    "Author",
    "Clock",
    "ConflictRule",
    "Contest",
    "ContestRules",
    "ContestStatistics",
    "ContestStatus",
    "Entry",
    "EntryContent",
    "EntryStatus",
    "EntryToken",
    "FinalEntry",
    "FixedClock",
    "Nomination",
    "Organiser",
    "SubmissionWindow",
    "SubmissionsClosure",
    "SubmittedEntry",
    "SystemClock",
    "Territory",
    "TerritoryKind",
    "announce_results",
    "check_attachment",
    "close_submissions",
    "contest_statistics",
    "edit_entry",
    "final_entries",
    "hash_entry_token",
    "new_entry_token",
    "publish_contest",
    "require_aware",
    "submissions_should_close",
    "submit_entry",
    "token_matches",
    "verify_entry_token",
    "withdraw_entry",
]
