"""A file written atomically is the old content or the new one, and leaves nothing else behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from kaleidoscope_shared.files import write_atomically


def test_a_file_is_written_into_a_new_folder_and_replaced_whole(tmp_path: Path) -> None:
    target = tmp_path / "not" / "yet" / "there.pdf"
    write_atomically(target, b"first")
    write_atomically(target, b"second")
    assert target.read_bytes() == b"second"
    assert [p.name for p in target.parent.iterdir()] == ["there.pdf"]


def test_a_failed_write_keeps_the_old_content_and_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "letter.eml"
    write_atomically(target, b"old")

    def refuse(source: str, destination: Path) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("kaleidoscope_shared.files.os.replace", refuse)
    with pytest.raises(OSError, match="disk full"):
        write_atomically(target, b"new")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["letter.eml"]
