"""The demo's letters as a person receives them, while the system that sent them is still running:
every link in every e-mail and in every PDF attached opens a page (200) on the web front the stack
started on free ports; every header is folded as the standards ask and reads back; From names the
organisers, Reply-To is the contest's contact; attachments are named in the recipient's language; the
final letter names exactly the documents it carries; the final is dated after the run; the documents
print the contest's full title and its signatories; the jury's special mention reaches the authors of
the entry it names, with the jury's special diploma."""

from __future__ import annotations

import email
import io
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.header import decode_header, make_header
from email.message import EmailMessage, Message
from email.policy import compat32, default
from pathlib import Path

import httpx
import pytest
from pypdf import PdfReader

from kaleidoscope_cli.demo import DemoOutcome, run_demo
from kaleidoscope_cli.demo_client import Endpoints
from kaleidoscope_cli.demo_contest import seed_contest
from kaleidoscope_cli.scenario import Scenario
from kaleidoscope_cli.stack import Stack
from kaleidoscope_shared.settings import DEVELOPMENT_ORGANISER_TOKEN
from notifications.templates.document_titles import DOCUMENT_TITLES

pytestmark = pytest.mark.slow
# What the demo's contest sets for its documents (scenarios/contest.json, library_kaleidoscope.json).
FULL_TITLE = "Межведомственный конкурс лучших профессиональных практик «Библиотечный калейдоскоп»"
SIGNATORIES = (
    ("С. О. Каменев", "Председатель правления НБП «Кузбасские библиотеки»"),
    ("М. В. Соколова", "Председатель жюри конкурса"),
)
MENTIONED = "Ясная речь: библиотека для читателей с нарушениями слуха"
MENTION = "за последовательную работу по созданию доступной среды в библиотеке"
URL = re.compile(r"https?://[^\s<>\"')]+")
FAST_BUS = {
    f"{service}_{name}": value
    for service in ("SUBMISSIONS", "JUDGING", "NOTIFICATIONS")
    for name, value in {
        "RECLAIM_IDLE_MS": "1000",
        "RECLAIM_INTERVAL_S": "0.3",
        "CONSUMER_BLOCK_MS": "200",
    }.items()
}


ENCODED_WORD = re.compile(rb"=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=")


def assert_well_folded(raw: bytes) -> None:
    """Every line of the message at most 78 octets, every encoded word at most 75 characters (as in
    tests/notifications/test_email_headers.py)."""
    for line in raw.split(b"\r\n"):
        assert len(line) <= 78, line
        for word in ENCODED_WORD.findall(line):
            assert len(word) <= 75, word


def rfc2047_display_name(mail: Message, header: str) -> str:
    """The display name as RFC 2047 § 6.2 reads it: whitespace between two encoded words dropped."""
    value = str(mail[header])
    phrase = value.rpartition("<")[0].strip() if value.rstrip().endswith(">") else ""
    return str(make_header(decode_header(phrase))) if phrase else ""


@dataclass
class Letter:
    path: Path
    raw: bytes
    mail: EmailMessage

    def text(self) -> str:
        return str(self.mail.get_body(("plain",)).get_content())  # type: ignore[union-attr]

    def html(self) -> str:
        body = self.mail.get_body(("html",))
        return str(body.get_content()) if body is not None and body.get_content_type() == "text/html" else ""

    def pdfs(self) -> list[tuple[str, bytes]]:
        return [
            (str(part.get_filename()), part.get_content())
            for part in self.mail.iter_attachments()
            if part.get_content_type() == "application/pdf"
        ]


@dataclass
class DemoLetters:
    outcome: DemoOutcome
    letters: list[Letter]
    opened: dict[str, int]
    """Every link found, and the status its page answered with (redirects followed)."""
    web_url: str


def _pdf_text(pdf: bytes) -> str:
    text = " ".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages)
    return text


def _words(text: str) -> str:
    """The text with every run of white space (line breaks, the no-break space after an initial)
    read as one space."""
    return " ".join(text.split())


def _links(text: str) -> list[str]:
    return [m.group(0).rstrip(".,;:»") for m in URL.finditer(text)]


@pytest.fixture(scope="module")
def demo_letters(tmp_path_factory: pytest.TempPathFactory, redis_url: str) -> Iterator[DemoLetters]:
    data_dir = tmp_path_factory.mktemp("demo-letters") / "data"
    stack = Stack(
        data_dir,
        redis_url,
        namespace=f"letters-{uuid.uuid4().hex[:8]}",
        log_to_files=True,
        extra_env=FAST_BUS,
    ).start()
    try:
        endpoints = Endpoints(
            stack.url("submissions"),
            stack.url("judging"),
            stack.url("notifications"),
            DEVELOPMENT_ORGANISER_TOKEN,
        )
        outcome = run_demo(
            endpoints, seed_contest(datetime.now(UTC), Scenario.load()), lambda _: None, data_dir=data_dir
        )
        assert outcome.messages_dir is not None
        letters = []
        for path in sorted(outcome.messages_dir.glob("*.eml")):
            raw = path.read_bytes()
            mail = email.message_from_bytes(raw, _class=EmailMessage, policy=default)  # type: ignore[arg-type]
            letters.append(Letter(path, raw, mail))
        links: set[str] = set()
        for letter in letters:
            links.update(_links(letter.text()) + _links(letter.html()))
            for _, pdf in letter.pdfs():
                links.update(_links(_pdf_text(pdf)))
        with httpx.Client(follow_redirects=True, timeout=30) as client:
            opened = {link: client.get(link).status_code for link in sorted(links)}
    finally:
        stack.stop()
    yield DemoLetters(outcome, letters, opened, stack.web_url)


def test_every_link_in_every_letter_and_document_opens_a_page_of_the_running_web_front(
    demo_letters: DemoLetters,
) -> None:
    opened = demo_letters.opened
    assert any("/verify/" in link for link in opened), "the documents' verification addresses were found"
    assert any("/entries/" in link for link in opened), "the participants' private links were found"
    assert all(link.startswith(demo_letters.web_url) for link in opened), sorted(opened)
    assert {link: status for link, status in opened.items() if status != 200} == {}


def test_every_header_of_every_letter_is_folded_and_reads_back(demo_letters: DemoLetters) -> None:
    assert len(demo_letters.letters) > 50
    for letter in demo_letters.letters:
        assert_well_folded(letter.raw)
        assert not letter.mail.defects and all(not part.defects for part in letter.mail.walk())
        rfc = email.message_from_bytes(letter.raw, policy=compat32)
        assert rfc2047_display_name(rfc, "From") == "Оргкомитет конкурса «Библиотечный калейдоскоп»"
        assert letter.mail["Reply-To"].addresses[0].addr_spec == "konkurs@example.org"
        assert rfc2047_display_name(rfc, "To").strip(), letter.path.name


def test_documents_are_named_in_russian_and_the_letter_names_exactly_those_attached(
    demo_letters: DemoLetters,
) -> None:
    titles = {title: kind for kind, title in DOCUMENT_TITLES["ru"].items()}
    carrying = [letter for letter in demo_letters.letters if letter.pdfs()]
    assert len(carrying) >= 34
    for letter in carrying:
        attached = set()
        for filename, _ in letter.pdfs():
            # «… — Заводискер О. Ю.pdf»: the last initial's dot is the extension's
            title, dash, person = filename.removesuffix("pdf").partition(" — ")
            assert dash and title in titles and re.fullmatch(r"\S+( \w\.(-\w\.)?){1,2}", person), filename
            assert not filename.endswith("..pdf"), filename
            attached.add(titles[title])
        text = letter.text().lower()
        named = {kind for title, kind in titles.items() if title.lower() in text}
        assert named == attached, (letter.path.name, named, attached)


def test_the_invitations_to_the_final_name_a_date_after_this_run(demo_letters: DemoLetters) -> None:
    invitations = [letter for letter in demo_letters.letters if "Дата и время:" in letter.text()]
    assert invitations
    year = datetime.now(UTC).year
    for letter in invitations:
        line = next(line for line in letter.text().splitlines() if line.startswith("Дата и время:"))
        assert re.search(rf"\b({year}|{year + 1}) г\.", line), line


def test_every_document_prints_the_full_title_and_the_signatories(demo_letters: DemoLetters) -> None:
    documents = [pdf for letter in demo_letters.letters for pdf in letter.pdfs()]
    kinds = {DOCUMENT_TITLES["ru"][kind]: kind for kind in DOCUMENT_TITLES["ru"]}
    drawn = {kinds[filename.partition(" — ")[0]] for filename, _ in documents}
    assert {"thank_you_letter", "participant_diploma", "finalist_diploma", "winner_diploma"} <= drawn
    for filename, pdf in documents:
        text = _words(_pdf_text(pdf))
        assert FULL_TITLE in text, filename
        for name, position in SIGNATORIES:
            assert name in text and position in text, (filename, name, position)


def test_the_special_mention_reaches_every_author_of_its_entry_with_the_jurys_special_diploma(
    demo_letters: DemoLetters,
) -> None:
    """The final's special mention (demo data): each author of the entry it names gets the jury's
    letter when it is declared and the jury's special diploma at the end, whose links open."""
    entry = next(e for e in demo_letters.outcome.entries.values() if e["content"]["title"] == MENTIONED)
    assert entry["id"] in {f["entry_id"] for f in demo_letters.outcome.finalists}
    authors = {a["email"] for a in entry["content"]["authors"]}
    special = DOCUMENT_TITLES["ru"]["special_mention_diploma"]
    assert len(authors) == 2
    for address in authors:
        mine = [
            letter for letter in demo_letters.letters if letter.mail["To"].addresses[0].addr_spec == address
        ]
        told = [letter for letter in mine if str(letter.mail["Subject"]).startswith(special)]
        assert len(told) == 1 and MENTION in _words(told[0].text()), address
        diplomas = [pdf for letter in mine for name, pdf in letter.pdfs() if name.startswith(f"{special} — ")]
        assert len(diplomas) == 1, address
        text = _words(_pdf_text(diplomas[0]))
        assert MENTION in text and FULL_TITLE in text
        links = _links(_pdf_text(diplomas[0]))
        assert links and all(demo_letters.opened[link] == 200 for link in links), links
