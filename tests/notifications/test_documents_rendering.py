"""Documents worthy of a frame, read back by two PDF engines: every kind drawn to PNG (kept under
test-output/documents/ to be looked at), names in every script a participant may write extracted exactly
and inked, a character no font has refused with a clear error, quotes nested by the language's rules,
justified text hyphenated, the QR code the verification URL's own, the signatories and the date of
the decision printed."""

from __future__ import annotations

import ctypes
import dataclasses
import io
import struct
import uuid
import zlib
from pathlib import Path

import pypdfium2 as pdfium  # type: ignore[import-untyped]
import pytest
import segno
from notify_testkit import SIGNING_KEY
from pypdf import PdfReader

from notifications.documents import DocumentFields, issue_document, normalise_code
from notifications.documents.fonts import UnsupportedCharacters, typeface
from notifications.documents.pdf import qr_box, qr_content
from notifications.documents.pdf_writer import POINTS_PER_MM, width_mm, wrap
from notifications.documents.texts import hyphenator, quoted
from notifications.domain import DocumentKind

OUTPUT = Path(__file__).resolve().parents[2] / "test-output" / "documents"
VERIFY_URL = "https://kaleidoscope.example/verify/{code}"
SIGNATORIES = (
    ("Т. В. Гордеева", "Директор ГАУК «Кузбасская областная научная библиотека им. В. Д. Фёдорова»"),
    ("О. А. Семенова", "Председатель жюри"),
)


@pytest.fixture
def fields(winner_diploma_fields: DocumentFields) -> DocumentFields:
    """conftest's winner's diploma, with a quotation in its title, signatories and a mention."""
    return dataclasses.replace(
        winner_diploma_fields,
        document_id=uuid.UUID("00000000-0000-4000-8000-0000000000d2"),
        project_title="Квест «Тайны старой Анжерки»",
        signatories=SIGNATORIES,
        mention="за бережное сохранение памяти малой родины",
    )


def _of_kind(fields: DocumentFields, kind: DocumentKind, **changes: object) -> DocumentFields:
    place = 1 if kind is DocumentKind.WINNER_DIPLOMA else None
    return dataclasses.replace(fields, kind=kind, place=place, **changes)  # type: ignore[arg-type]


def _pypdf_text(pdf: bytes) -> str:
    return " ".join(PdfReader(io.BytesIO(pdf)).pages[0].extract_text().split())


def _pdfium(pdf: bytes, scale: float = 1) -> tuple[str, pdfium.PdfBitmap]:
    page = pdfium.PdfDocument(pdf)[0]
    text = " ".join(page.get_textpage().get_text_range().split())
    return text, page.render(scale=scale, grayscale=True)


def _ink(bitmap: pdfium.PdfBitmap) -> int:
    return sum(1 for value in bytes(bitmap.buffer) if value < 128)


def _png(path: Path, bitmap: pdfium.PdfBitmap) -> None:
    """The bitmap (RGB, from `rev_byteorder=True`) as a PNG file."""
    width, height, stride, channels = bitmap.width, bitmap.height, bitmap.stride, bitmap.n_channels
    data = bytes(bitmap.buffer)
    rows = b"".join(b"\0" + data[y * stride : y * stride + width * channels] for y in range(height))

    def chunk(tag: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body))

    header = struct.pack(">IIBBBBB", width, height, 8, {1: 0, 3: 2, 4: 6}[channels], 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows, 6))
        + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize("language", ["ru", "en"])
@pytest.mark.parametrize("kind", list(DocumentKind))
def test_every_kind_is_drawn_to_a_picture_with_its_signatories_date_and_contest(
    fields: DocumentFields, kind: DocumentKind, language: str
) -> None:
    document = issue_document(_of_kind(fields, kind, language=language), SIGNING_KEY, verify_url=VERIFY_URL)
    page = pdfium.PdfDocument(document.pdf)[0]
    OUTPUT.mkdir(parents=True, exist_ok=True)
    picture = OUTPUT / f"{kind.value}-{language}.png"
    _png(picture, page.render(scale=1.6, rev_byteorder=True))
    print(f"drawn: {picture}")
    text = _pypdf_text(document.pdf)
    assert (page.get_width() > page.get_height()) is (kind is not DocumentKind.THANK_YOU_LETTER)
    assert "Т. В. Гордеева" in text and "Председатель жюри" in text and "О. А. Семенова" in text
    assert "Межведомственный конкурс лучших профессиональных практик «Библиотечный калейдоскоп»" in text
    assert ("28 сентября 2025 г." if language == "ru" else "28 September 2025") in text
    assert document.code in text and VERIFY_URL.format(code=document.code) in text
    project = "«Квест „Тайны старой Анжерки“»" if language == "ru" else "“Квест ‘Тайны старой Анжерки’”"
    assert project in text
    if kind is DocumentKind.SPECIAL_MENTION_DIPLOMA:
        assert "за бережное сохранение памяти малой родины" in text


def test_the_body_fills_the_page_without_an_empty_band(fields: DocumentFields) -> None:
    """Between the header and the foot no band of more than a sixth of the page's height is blank."""
    for kind in (DocumentKind.PARTICIPANT_DIPLOMA, DocumentKind.THANK_YOU_LETTER):
        bitmap = _pdfium(issue_document(_of_kind(fields, kind), SIGNING_KEY).pdf)[1]
        width, height, stride, data = bitmap.width, bitmap.height, bitmap.stride, bytes(bitmap.buffer)
        inner = range(int(width * 0.12), int(width * 0.88))  # inside the frame
        inked = [any(data[y * stride + x] < 160 for x in inner) for y in range(height)]
        longest = run = 0
        for row in inked[int(height * 0.06) : int(height * 0.94)]:
            run = 0 if row else run + 1
            longest = max(longest, run)
        assert longest < height / 6, (kind, longest, height)


def test_the_winners_project_is_set_like_the_other_kinds(fields: DocumentFields) -> None:
    """The project's title is bold on every diploma, the winner's too (its font is the bold one)."""
    for kind in (DocumentKind.WINNER_DIPLOMA, DocumentKind.PARTICIPANT_DIPLOMA):
        page = pdfium.PdfDocument(issue_document(_of_kind(fields, kind), SIGNING_KEY).pdf)[0]
        textpage = page.get_textpage()
        full = textpage.get_text_range()
        at = full.index("Анжерки")
        fonts = {_font_name(textpage, at + i) for i in range(5)}
        assert len(fonts) == 1 and next(iter(fonts)).endswith("+PTSerif-Bold"), (kind, fonts)


def _font_name(textpage: pdfium.PdfTextPage, index: int) -> str:
    buffer = ctypes.create_string_buffer(200)
    length = pdfium.raw.FPDFText_GetFontInfo(textpage.raw, index, buffer, 200, None)
    return buffer.raw[: max(length - 1, 0)].decode()


NAMES = [
    "Заводискер Оксана Юрьевна",
    "Ґудзь Ярослава Їжакевич-Євтушенко",
    "Әбдіқадыр Ғалымжан Құрманұлы Өмірзақ Ұлжан Үсенқызы Һ",
    "Җәлил Гөлшат Зәйнәп Нуриәхмәтова",
    "Zoë Ångström-Łukasiewicz Ștefan Țiriac Øyvind Đorđević Ĳsbrand",
    "Αθηνά Παπαδοπούλου",
    "Иванов 1º‚ Пётр ¨",
    "Yıldız ⁄ Öztürk",
]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("kind", [DocumentKind.WINNER_DIPLOMA, DocumentKind.THANK_YOU_LETTER])
def test_a_name_in_any_script_extracts_exactly_and_is_inked(
    fields: DocumentFields, name: str, kind: DocumentKind
) -> None:
    document = issue_document(_of_kind(fields, kind, recipient_name=name), SIGNING_KEY)
    assert name in _pypdf_text(document.pdf)
    text, bitmap = _pdfium(document.pdf)
    assert name in text
    nameless = issue_document(_of_kind(fields, kind, recipient_name="."), SIGNING_KEY).pdf
    letters = sum(1 for c in name if not c.isspace())
    assert _ink(bitmap) > _ink(_pdfium(nameless)[1]) + 12 * letters  # every letter puts ink down


def test_characters_drawn_only_as_parts_of_other_glyphs_get_their_own_width(fields: DocumentFields) -> None:
    """º, ‚ and ¨ are components of composite glyphs in PT Serif (ё holds ¨): drawn on their own they
    advance by their own width, so the text after them is not pulled over them."""
    face = typeface("B")
    name = "Петров ¨º‚ Иван"
    document = issue_document(
        _of_kind(fields, DocumentKind.PARTICIPANT_DIPLOMA, recipient_name=name), SIGNING_KEY
    )
    page = pdfium.PdfDocument(document.pdf)[0]
    textpage = page.get_textpage()
    full = textpage.get_text_range()
    start = full.index(name)
    left = textpage.get_charbox(start)[0]
    right = textpage.get_charbox(start + len(name) - 1)[2]
    expected = width_mm(name, face, 26) * POINTS_PER_MM
    assert right - left == pytest.approx(expected, rel=0.03)


@pytest.mark.parametrize("name", ["李小龍", "Иванов ㅎ", "عبد الله"])
def test_a_character_no_font_has_refuses_the_document_with_a_clear_error(
    fields: DocumentFields, name: str
) -> None:
    with pytest.raises(UnsupportedCharacters) as refused:
        issue_document(dataclasses.replace(fields, recipient_name=name), SIGNING_KEY)
    message = str(refused.value)
    assert "recipient_name" in message and f"U+{ord(name[-1]):04X}" in message
    assert "cannot be printed" in message


@pytest.mark.parametrize(
    ("typed", "ru", "en"),
    [
        ("Квест «Тайны старой Анжерки»", "«Квест „Тайны старой Анжерки“»", "“Квест ‘Тайны старой Анжерки’”"),
        ('Квест "Тайны" и «Клад»', "«Квест „Тайны“ и „Клад“»", "“Квест ‘Тайны’ и ‘Клад’”"),
        ("«Рюкзачок знаний»", "«Рюкзачок знаний»", "“Рюкзачок знаний”"),
        ("Рюкзачок знаний", "«Рюкзачок знаний»", "“Рюкзачок знаний”"),
    ],
)
def test_quotes_nest_by_the_languages_rules(typed: str, ru: str, en: str) -> None:
    assert quoted(typed, "ru") == ru
    assert quoted(typed, "en") == en


def test_justified_text_is_hyphenated_so_its_lines_are_full() -> None:
    face = typeface("")
    paragraph = (
        "Ваш профессионализм, творческий подход и стремление сделать библиотеку ближе к читателю "
        "вносят значимый вклад в развитие библиотечного дела и просветительской деятельности региона."
    )
    width = 120.0
    lines = wrap(paragraph, face, 13, width, hyphenator("ru"))
    assert any(line.endswith("-") for line in lines)
    assert all(width_mm(line, face, 13) > 0.95 * width for line in lines[:-1]), lines
    assert "".join(
        line.removesuffix("-") if line.endswith("-") else line + " " for line in lines
    ).strip() == (paragraph)


def test_the_qr_code_reads_as_the_verification_url(fields: DocumentFields) -> None:
    """A QR reader (ZXing) finds on the rendered page the page's own verification URL, its code
    written compactly, which the verification page accepts (`normalise_code`)."""
    import zxingcpp  # type: ignore[import-untyped]

    for kind in (DocumentKind.WINNER_DIPLOMA, DocumentKind.THANK_YOU_LETTER):
        document = issue_document(_of_kind(fields, kind), SIGNING_KEY, verify_url=VERIFY_URL)
        bitmap = _pdfium(document.pdf, 3.0)[1]  # 216 dpi, grey: a phone's camera sees less
        found = zxingcpp.read_barcodes(bitmap.to_numpy())
        assert [r.format for r in found] == [zxingcpp.BarcodeFormat.QRCode], found
        read = found[0].text
        prefix = VERIFY_URL.format(code="")
        assert read.startswith(prefix), read
        assert read == prefix + normalise_code(document.code)
        assert normalise_code(read.removeprefix(prefix)) == normalise_code(document.code)


def test_the_compact_code_makes_the_demos_qr_code_a_version_smaller(fields: DocumentFields) -> None:
    url = "http://127.0.0.1:8000/verify/{code}"
    document = issue_document(fields, SIGNING_KEY, verify_url=url)
    whole = url.format(code=document.code)
    assert segno.make_qr(whole, error="m", mask=0).version == 4
    assert segno.make_qr(qr_content(whole, document.code), error="m", mask=0).version == 3
    # a URL that does not end with the code is encoded as it is
    assert qr_content("https://x/verify?code=A", "B") == "https://x/verify?code=A"


def test_the_qr_code_is_the_verification_urls(fields: DocumentFields) -> None:
    """The modules drawn at the QR code's place are segno's encoding of the page's own URL."""
    for kind in (DocumentKind.WINNER_DIPLOMA, DocumentKind.THANK_YOU_LETTER):
        document = issue_document(_of_kind(fields, kind), SIGNING_KEY, verify_url=VERIFY_URL)
        url = VERIFY_URL.format(code=document.code)
        matrix = segno.make_qr(qr_content(url, document.code), error="m", mask=0).matrix
        scale = 4.0
        bitmap = _pdfium(document.pdf, scale)[1]
        x, y, size = qr_box(kind)
        data, stride = bytes(bitmap.buffer), bitmap.stride
        dots = scale * 72 / 25.4  # pixels per millimetre
        step = size / len(matrix)
        seen = [
            [
                int(
                    data[int((y + (row + 0.5) * step) * dots) * stride + int((x + (col + 0.5) * step) * dots)]
                    < 128
                )
                for col in range(len(matrix))
            ]
            for row in range(len(matrix))
        ]
        assert seen == [list(row) for row in matrix]


def test_codes_issued_before_signatories_and_mentions_still_verify(fields: DocumentFields) -> None:
    """The signed form of a document without the fields added later is the one it always had."""
    plain = dataclasses.replace(fields, signatories=(), mention="")
    assert b"signatories" not in plain.canonical() and b"mention" not in plain.canonical()
    assert b'"signatories":[["' in fields.canonical() and b'"mention":"' in fields.canonical()
