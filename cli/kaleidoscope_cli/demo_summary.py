"""The demo's closing summary: entries by nomination and territory, finalists, winners, messages, documents.

All of it in one language, Russian (the contest's own) or English, and every line at most WIDTH
characters, so that it reads in a terminal. In English the contest's Russian names (people, libraries,
projects, territories) are transliterated, and nominations and territories are named from their codes.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from .demo import DemoOutcome
from .demo_contest import DemoContest
from .demo_notifications import per_channel
from .words import (
    CHANNELS,
    DOCUMENT_NAMES,
    KINDS,
    LANGUAGES,
    OTHER,
    STATUSES,
    WIDTH,
    WORDS,
    Language,
    decimal,
    fit,
    quoted,
    say,
    transliterate,
)

__all__ = ["LANGUAGES", "WIDTH", "WORDS", "Language", "fit", "say", "summary", "transliterate", "web_pages"]

# notifications' GET /documents lists at most this many.
LISTED_AT_MOST = 1000


def summary(outcome: DemoOutcome, contest: DemoContest, language: Language = "ru") -> list[str]:
    """The lines printed at the end of the demo, in `language`, each at most WIDTH characters."""
    names = Names(contest, language)
    lines = [
        "",
        say(language, "summary", title=names.quoted(contest.contest["title"])),
        *_entries(outcome, names),
        *_finalists(outcome, names),
        *_winners(outcome, names),
        *_messages(outcome, language),
        *_documents(outcome, language),
    ]
    return [wrapped for line in lines for wrapped in fit(line)]


def web_pages(web_url: str, outcome: DemoOutcome, language: Language = "ru") -> list[str]:
    """The finished contest's pages on the web front, printed when the demo keeps running."""
    base = web_url.rstrip("/")
    contest = f"{base}/contests/{outcome.contest_id}"
    lines = [
        "",
        say(language, "still_running", url=web_url),
        "  " + say(language, "contest_page", url=contest),
        "  " + say(language, "results_page", url=f"{contest}/results"),
        "  " + say(language, "hall_page", url=f"{contest}/hall"),
    ]
    if link := next((e["private_link"] for e in outcome.entries.values() if e.get("private_link")), None):
        lines.append("  " + say(language, "private_link", url=link))
    return [wrapped for line in lines for wrapped in fit(line)]


class Names:
    """The contest's names in the summary's language."""

    def __init__(self, contest: DemoContest, language: Language) -> None:
        self.language = language
        self.nominations = contest.nomination_titles
        self.territories = contest.territory_names

    def text(self, value: str) -> str:
        return value if self.language == "ru" else transliterate(value)

    def quoted(self, title: str) -> str:
        return quoted(self.language, title)

    def nomination(self, code: str) -> str:
        if self.language == "ru":
            return self.nominations.get(code, code)
        return code.replace("-", " ").capitalize()

    def territory(self, code: str) -> str:
        if self.language == "ru":
            return self.territories.get(code, code)
        for suffix, word in (("-city", ""), ("-district", " district")):
            if code.endswith(suffix):
                return code.removesuffix(suffix).title() + word
        return transliterate(self.territories.get(code, code))

    def person(self, author: dict[str, Any]) -> str:
        return f"{self.text(author['full_name'])}, {self.text(author.get('library') or '—')}"


def _entries(outcome: DemoOutcome, names: Names) -> list[str]:
    stats, language = outcome.statistics, names.language
    lines = ["", say(language, "entries", text=stats[f"summary_{language}"])]
    lines += [f"  {names.nomination(code)}: {n}" for code, n in stats["entries_by_nomination"].items()]
    by_territory = sorted(stats["entries_by_territory"].items(), key=lambda item: (-item[1], item[0]))
    counted = ", ".join(f"{names.territory(code)} {n}" for code, n in by_territory)
    lines.append(f"  {say(language, 'by_territory')}: {counted}")
    return lines


def _finalists(outcome: DemoOutcome, names: Names) -> list[str]:
    language = names.language
    lines = ["", say(language, "finalists", n=len(outcome.finalists))]
    for result in outcome.finalists:
        entry = outcome.entries[result["entry_id"]]
        lines.append(
            f"  {names.nomination(result['nomination_code'])}: {names.quoted(entry['content']['title'])}, "
            f"{say(language, 'score')} {decimal(language, result['aggregate'])}"
        )
        lines += [f"    {names.person(author)}" for author in entry["content"]["authors"]]
    return lines


def _winners(outcome: DemoOutcome, names: Names) -> list[str]:
    language = names.language
    lines = ["", say(language, "winners")]
    for result in outcome.winners:
        entry = outcome.entries[result["entry_id"]]
        lines.append(
            f"  {names.nomination(result['nomination_code'])}, {say(language, 'place', n=result['place'])}: "
            f"{names.quoted(entry['content']['title'])}"
        )
        lines.append(f"    {names.person(entry['content']['authors'][0])}")
    return lines


def _messages(outcome: DemoOutcome, language: Language) -> list[str]:
    lines = ["", say(language, "messages", n=len(outcome.deliveries))]
    for channel, statuses in sorted(per_channel(outcome.deliveries).items()):
        counted = ", ".join(
            f"{STATUSES.get(status, OTHER)[language]}: {n}" for status, n in sorted(statuses.items())
        )
        lines.append(f"  {CHANNELS.get(channel, {}).get(language, channel)}: {counted}")
    kinds = Counter(d.get("kind", d["event_type"]) for d in outcome.deliveries)
    counted = ", ".join(f"{KINDS.get(kind, OTHER)[language]} {n}" for kind, n in kinds.most_common())
    lines.append(f"  {say(language, 'by_kind')}: {counted}")
    return lines


def _documents(outcome: DemoOutcome, language: Language) -> list[str]:
    kinds = Counter(document["kind"] for document in outcome.documents)
    listed = ", ".join(f"{DOCUMENT_NAMES.get(kind, OTHER)[language]}: {n}" for kind, n in kinds.most_common())
    heading = (
        say(language, "documents_first", n=LISTED_AT_MOST)
        if len(outcome.documents) >= LISTED_AT_MOST
        else say(language, "documents_all")
    )
    lines = ["", f"{heading}: {listed}"]
    if outcome.documents_dir is not None and outcome.documents_dir.exists():
        pdfs = len(list(outcome.documents_dir.glob("*.pdf")))
        lines.append(f"  {outcome.documents_dir}  ({say(language, 'pdfs', n=pdfs)})")
    if outcome.messages_dir is not None and outcome.messages_dir.exists():
        lines.append(f"  {outcome.messages_dir}  ({say(language, 'eml')})")
    return lines
