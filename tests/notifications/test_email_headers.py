"""Every header the e-mail builder writes is folded as the standards ask (encoded words of at most 75
characters, lines of at most 78) and comes back, through Python's `email` package, as it was meant:
for a corpus of long and unusual names, internationalised addresses and attachment names."""

from __future__ import annotations

import email
import re
import uuid
from email.header import decode_header, make_header
from email.message import EmailMessage, Message
from email.policy import compat32, default

import pytest

from notifications.channels import Attachment, MessageRecipient, OutgoingMessage
from notifications.channels.mime import AddressNotSendable, build_email

ENCODED_WORD = re.compile(rb"=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=")

NAMES = [
    "Заводискер Оксана Юрьевна",
    "Константинопольская-Достоевская Александра Владимировна-Ивановна",
    "Некоммерческое библиотечное партнёрство «Кузбасские библиотеки» Кемеровской области — Кузбасса",
    "Оргкомитет конкурса «Межведомственный конкурс лучших профессиональных практик среди библиотек»",
    "Ёлкина Ъ Щ",
    'Smith, J. "Jack" <jr>',
    "O'Brien",
    "Jean-Baptiste Émile Dupont de Saint-Exupéry",
    "李小龍",
    "Αλέξανδρος Παπαδόπουλος",
    "Мухаммад ибн Муса аль-Хорезми оглы",
    "Иванов,Иван;Иванович:(тест)",
    "=?utf-8?b?0JA=?= не закодированное слово",
    "A" * 90,
    "Б" * 60,
    "😀 Эмодзи в имени 👩‍👩‍👧‍👦 семья",
    "Name\twith\ttabs  and   spaces",
]


def _build(name: str, address: str = "reader@example.org", *, utf8: bool = False, **fields: str) -> bytes:
    message = OutgoingMessage(
        delivery_id=uuid.UUID("55555555-5555-4555-8555-555555555555"),
        recipient=MessageRecipient(address, name, "ru"),
        subject=f"Поздравляем, {name}! Итоги конкурса «Библиотечный калейдоскоп» — " + "длинная тема " * 6,
        text="Текст.\n",
        attachments=(Attachment(f"Диплом победителя — {name}.pdf", "application/pdf", b"%PDF-1.7"),),
        sender_name=fields.get("sender_name", name),
        reply_to=fields.get("reply_to", "konkurs@example.org"),
        reply_to_name=fields.get("reply_to_name", name),
    )
    return build_email(message, sender="noreply@k.example", message_id_domain="k.example", utf8=utf8)


def _head(raw: bytes) -> bytes:
    return raw.split(b"\r\n\r\n", 1)[0]


def assert_well_folded(raw: bytes) -> None:
    """Every line of the message at most 78 octets, every encoded word at most 75 characters."""
    for line in raw.split(b"\r\n"):
        assert len(line) <= 78, line
        for word in ENCODED_WORD.findall(line):
            assert len(word) <= 75, word


def rfc2047_display_name(mail: Message, header: str) -> str:
    """The display name as RFC 2047 § 6.2 reads it: whitespace between two encoded words dropped."""
    value = str(mail[header])
    phrase = value.rpartition("<")[0].strip() if value.rstrip().endswith(">") else ""
    decoded = str(make_header(decode_header(phrase))) if phrase else ""
    if decoded.startswith('"') and decoded.endswith('"'):
        decoded = decoded[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    return decoded


def assert_reads_back(raw: bytes, name: str) -> None:
    expected = " ".join(name.split())
    rfc = email.message_from_bytes(raw, policy=compat32)
    modern = email.message_from_bytes(raw, _class=EmailMessage, policy=default)  # type: ignore[arg-type]
    for header in ("From", "To", "Reply-To"):
        assert rfc2047_display_name(rfc, header) == expected, header
        # the header registry keeps the folding whitespace between two encoded words of a phrase
        # (contrary to RFC 2047 § 6.2): the same letters, a space more where a word had to be cut
        modern_name = modern[header].addresses[0].display_name
        assert modern_name.replace(" ", "") == expected.replace(" ", ""), header
    assert modern["To"].addresses[0].addr_spec == "reader@example.org"
    assert modern["Reply-To"].addresses[0].addr_spec == "konkurs@example.org"
    assert " ".join(modern["Subject"].split()) == " ".join(
        f"Поздравляем, {name}! Итоги конкурса «Библиотечный калейдоскоп» — {'длинная тема ' * 6}".split()
    )
    [attachment] = list(modern.iter_attachments())
    assert attachment.get_filename() == " ".join(f"Диплом победителя — {name}.pdf".split())
    assert not modern.defects and all(not part.defects for part in modern.walk())


@pytest.mark.parametrize("name", NAMES)
def test_every_header_is_folded_and_reads_back_for_long_and_unusual_names(name: str) -> None:
    raw = _build(name)
    assert raw.isascii()
    assert_well_folded(raw)
    assert_reads_back(raw, name)


def test_a_long_russian_name_takes_several_encoded_words_each_ending_between_words() -> None:
    name = "Заводискер-Малышева Оксана Юрьевна Константиновна Ивановна"
    head = email.message_from_bytes(_build(name), policy=compat32)
    words = ENCODED_WORD.findall(str(head["To"]).encode())
    assert len(words) >= 3
    pieces = [str(make_header(decode_header(w.decode()))) for w in words]
    assert all(p.endswith(" ") for p in pieces[:-1]) and "".join(pieces) == name


def test_an_internationalised_domain_goes_out_in_punycode() -> None:
    raw = _build("Иван Петров", "ivan@почта.рф")
    assert b"<ivan@xn--80a1acny.xn--p1ai>" in _head(raw)
    assert raw.isascii()
    assert_well_folded(raw)


def test_a_non_ascii_local_part_is_refused_without_smtputf8_and_written_as_it_is_with_it() -> None:
    with pytest.raises(AddressNotSendable, match="SMTPUTF8"):
        _build("Иван Петров", "иван@почта.рф")
    raw = _build("Иван Петров", "иван@почта.рф", utf8=True)
    assert "<иван@xn--80a1acny.xn--p1ai>".encode() in _head(raw)
    assert_well_folded(raw)
    mail = email.message_from_bytes(raw, _class=EmailMessage, policy=default)  # type: ignore[arg-type]
    assert mail["To"].addresses[0].domain == "xn--80a1acny.xn--p1ai"


@pytest.mark.parametrize(
    "address", ["no-at-sign", "a b@example.org", "x@", "@example.org", "a@b\r\nBcc: c@d"]
)
def test_what_is_not_an_address_is_refused(address: str) -> None:
    with pytest.raises(AddressNotSendable):
        _build("X", address)


def test_without_reply_to_there_is_no_reply_to_header() -> None:
    raw = _build("Иван Петров", reply_to="")
    assert b"\r\nReply-To:" not in _head(raw)
