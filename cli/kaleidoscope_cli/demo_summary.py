"""The demo's closing summary: entries by nomination and territory, finalists, winners, messages, documents."""

from __future__ import annotations

from collections import Counter
from typing import Any

from .demo import DemoOutcome
from .demo_contest import DemoContest
from .demo_notifications import per_channel

# notifications' GET /documents lists at most this many.
LISTED_AT_MOST = 1000
DOCUMENT_NAMES = {
    "thank_you_letter": "thank-you letters",
    "participant_diploma": "participant's diplomas",
    "finalist_diploma": "finalist's diplomas",
    "winner_diploma": "winner's diplomas",
}


def summary(outcome: DemoOutcome, contest: DemoContest) -> list[str]:
    """The lines printed at the end of the demo."""
    return [
        *_entries(outcome, contest),
        *_finalists(outcome, contest),
        *_winners(outcome, contest),
        *_messages(outcome),
        *_documents(outcome),
    ]


def web_pages(web_url: str, outcome: DemoOutcome) -> list[str]:
    """The finished contest's pages on the web front, printed when the demo keeps running."""
    base = web_url.rstrip("/")
    contest = f"{base}/contests/{outcome.contest_id}"
    lines = [
        "",
        f"Kaleidoscope: {web_url}  (still running; Ctrl-C stops everything)",
        f"  the contest: {contest}",
        f"  its results: {contest}/results",
        f"  the hall:    {contest}/hall",
    ]
    if link := next((e["private_link"] for e in outcome.entries.values() if e.get("private_link")), None):
        lines.append(f"  a participant's private link: {link}")
    return lines


def _entries(outcome: DemoOutcome, contest: DemoContest) -> list[str]:
    stats = outcome.statistics
    lines = ["", f"Entries: {stats['summary_en']} ({stats['summary_ru']})"]
    titles = contest.nomination_titles
    lines += [f"  {titles.get(code, code)}: {n}" for code, n in stats["entries_by_nomination"].items()]
    names = contest.territory_names
    by_territory = sorted(stats["entries_by_territory"].items(), key=lambda item: (-item[1], item[0]))
    lines.append("  by territory: " + ", ".join(f"{names.get(code, code)} {n}" for code, n in by_territory))
    return lines


def _finalists(outcome: DemoOutcome, contest: DemoContest) -> list[str]:
    lines = ["", f"Finalists ({len(outcome.finalists)}):"]
    titles = contest.nomination_titles
    for result in outcome.finalists:
        entry = outcome.entries[result["entry_id"]]
        lines.append(
            f"  {titles[result['nomination_code']]:<26} «{entry['content']['title']}» "
            f"— {_authors(entry)}, score {result['aggregate']:.2f}"
        )
    return lines


def _winners(outcome: DemoOutcome, contest: DemoContest) -> list[str]:
    lines = ["", "Winners:"]
    titles = contest.nomination_titles
    for result in outcome.winners:
        entry = outcome.entries[result["entry_id"]]
        author = entry["content"]["authors"][0]
        lines.append(
            f"  {titles[result['nomination_code']]} (place {result['place']}): {author['full_name']}, "
            f"{author.get('library') or '—'}, «{entry['content']['title']}»"
        )
    return lines


def _messages(outcome: DemoOutcome) -> list[str]:
    lines = ["", f"Messages ({len(outcome.deliveries)}):"]
    for channel, statuses in sorted(per_channel(outcome.deliveries).items()):
        lines.append(f"  {channel}: " + ", ".join(f"{n} {status}" for status, n in sorted(statuses.items())))
    kinds = Counter(d.get("kind", d["event_type"]) for d in outcome.deliveries)
    lines.append("  by kind: " + ", ".join(f"{kind} {n}" for kind, n in kinds.most_common()))
    return lines


def _documents(outcome: DemoOutcome) -> list[str]:
    kinds = Counter(document["kind"] for document in outcome.documents)
    listed = ", ".join(f"{n} {DOCUMENT_NAMES.get(kind, kind)}" for kind, n in kinds.most_common())
    shown = f"the first {LISTED_AT_MOST} listed" if len(outcome.documents) >= LISTED_AT_MOST else "all"
    lines = ["", f"Letters and diplomas ({shown}): {listed}"]
    if outcome.documents_dir is not None and outcome.documents_dir.exists():
        pdfs = len(list(outcome.documents_dir.glob("*.pdf")))
        lines.append(f"  {outcome.documents_dir}  ({pdfs} PDF files)")
    if outcome.messages_dir is not None and outcome.messages_dir.exists():
        lines.append(f"  {outcome.messages_dir}  (each message as .eml, its documents beside it)")
    return lines


def _authors(entry: dict[str, Any]) -> str:
    return "; ".join(f"{a['full_name']} ({a.get('library') or '—'})" for a in entry["content"]["authors"])
