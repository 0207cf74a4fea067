"""The development channels: a folder of .eml/.json files, and a line on the console."""

from __future__ import annotations

import dataclasses
import email
import io
import json
import shutil
import uuid
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

import pytest

from notifications.channels import Attachment, ChannelError, MessageRecipient, OutgoingMessage
from notifications.channels.console import ConsoleChannel
from notifications.channels.file import FileChannel, _summary

MESSAGE = OutgoingMessage(
    delivery_id=uuid.UUID("33333333-3333-4333-8333-333333333333"),
    recipient=MessageRecipient("zavodisker@belovo-lib.example", "Заводискер Оксана Юрьевна"),
    subject="Конкурс завершён: благодарственное письмо и диплом",
    text="Уважаемая Оксана Юрьевна!",
    attachments=(Attachment("diploma.pdf", "application/pdf", b"%PDF-1.4 test"),),
    metadata={"kind": "contest_finished_participant"},
)


async def test_the_file_channel_writes_eml_json_and_the_attachments(tmp_path: Path) -> None:
    receipt = await FileChannel({"path": str(tmp_path)}).send(MESSAGE)
    stem = tmp_path / str(MESSAGE.delivery_id)
    assert receipt.provider_id == stem.with_suffix(".eml").name  # never the server's own path
    mail = email.message_from_bytes(
        stem.with_suffix(".eml").read_bytes(), _class=EmailMessage, policy=default
    )
    assert mail["Subject"] == MESSAGE.subject
    [attachment] = list(mail.iter_attachments())
    assert attachment.get_content() == b"%PDF-1.4 test"
    summary = json.loads(stem.with_suffix(".json").read_text(encoding="utf-8"))
    assert summary["recipient"]["name"] == "Заводискер Оксана Юрьевна"
    assert summary["attachments"][0]["size"] == 13
    assert tmp_path.joinpath(f"{MESSAGE.delivery_id}.diploma.pdf").read_bytes() == b"%PDF-1.4 test"


async def test_sending_the_same_delivery_twice_leaves_one_copy(tmp_path: Path) -> None:
    channel = FileChannel({"path": str(tmp_path)})
    await channel.send(MESSAGE)
    await channel.send(MESSAGE)
    assert _files_in(tmp_path) == [
        f"{MESSAGE.delivery_id}.diploma.pdf",
        f"{MESSAGE.delivery_id}.eml",
        f"{MESSAGE.delivery_id}.json",
    ]


def _files_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.is_file())


async def test_the_console_channel_prints_one_short_line() -> None:
    out = io.StringIO()
    await ConsoleChannel({}, stream=out).send(MESSAGE)
    [line] = out.getvalue().splitlines()
    assert "zavodisker@belovo-lib.example" in line and MESSAGE.subject in line and "+1 attachment" in line


async def test_a_stored_document_is_linked_beside_the_message_not_copied(tmp_path: Path) -> None:
    stored = tmp_path / "documents" / "diploma-stored.pdf"
    stored.parent.mkdir()
    stored.write_bytes(b"%PDF-1.4 stored")
    attachment = Attachment("diploma.pdf", "application/pdf", stored.read_bytes(), stored_at=str(stored))
    message = dataclasses.replace(MESSAGE, attachments=(attachment,))
    folder = tmp_path / "not" / "yet" / "there"
    channel = FileChannel({"path": str(folder)})
    await channel.send(message)
    shutil.rmtree(tmp_path / "not")  # removed while the worker runs: made again
    await channel.send(message)
    await channel.send(message)  # a resend: the same files, the same link
    beside = folder / f"{MESSAGE.delivery_id}.diploma.pdf"
    assert beside.stat().st_ino == stored.stat().st_ino and stored.stat().st_nlink == 2
    assert _files_in(folder) == [beside.name, f"{MESSAGE.delivery_id}.eml", f"{MESSAGE.delivery_id}.json"]


async def test_an_unwritable_folder_is_a_retryable_channel_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file-not-folder"
    blocker.write_text("x")
    with pytest.raises(ChannelError, match="cannot write to") as raised:
        await FileChannel({"path": str(blocker / "outbox")}).send(MESSAGE)
    assert raised.value.permanent is False


def test_the_summary_is_indented_json_with_the_text_as_written() -> None:
    summary = _summary(MESSAGE)
    assert summary == json.dumps(json.loads(summary), ensure_ascii=False, indent=2).encode()
    assert "Заводискер Оксана Юрьевна".encode() in summary
