"""Content types come from the bytes, whatever the client declares."""

from __future__ import annotations

import io
import zipfile

import pytest
from openpyxl import Workbook

from submissions.adapters.content_types import (
    DOCX,
    JPEG,
    ODT,
    PDF,
    PNG,
    TEXT,
    UNKNOWN,
    XLSX,
    detect_media_type,
    require_allowed_media_type,
)
from submissions.domain import AttachmentRules
from submissions.domain.errors import UnsupportedAttachmentType


def zipped(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def xlsx() -> bytes:
    buffer = io.BytesIO()
    Workbook().save(buffer)
    return buffer.getvalue()


SAMPLES = {
    "pdf": (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", PDF),
    "png": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", PNG),
    "jpeg": (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", JPEG),
    "docx": (zipped({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"}), DOCX),
    "xlsx": (xlsx(), XLSX),
    "odt": (zipped({"mimetype": ODT.encode(), "content.xml": b"<office:document-content/>"}), ODT),
    "utf-8 text": ("Рюкзачок знаний — проект\r\n\tдля семей\n".encode(), TEXT),
    "plain zip": (zipped({"readme.txt": b"hello"}), UNKNOWN),
    "broken zip": (b"PK\x03\x04" + b"\x00" * 40, UNKNOWN),
    "latin-1 text": ("Caf\xe9".encode("latin-1"), UNKNOWN),
    "binary with NUL": (b"hello\x00world", UNKNOWN),
    "empty": (b"", UNKNOWN),
}


@pytest.mark.parametrize("sample", SAMPLES, ids=str)
def test_the_media_type_is_detected_from_the_content(sample: str) -> None:
    data, expected = SAMPLES[sample]
    file = io.BytesIO(data)
    assert detect_media_type(file) == expected
    assert file.tell() == 0


def test_a_renamed_executable_claiming_to_be_a_pdf_is_refused_with_415() -> None:
    windows_executable = io.BytesIO(b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 100)
    allowed = AttachmentRules().allowed_media_types
    with pytest.raises(UnsupportedAttachmentType, match="declared as application/pdf") as err:
        require_allowed_media_type(windows_executable, allowed, declared="application/pdf")
    assert err.value.status == 415
    assert err.value.extensions()["detected_type"] == UNKNOWN


def test_an_allowed_file_returns_its_detected_type_not_the_declared_one() -> None:
    png = io.BytesIO(SAMPLES["png"][0])
    assert require_allowed_media_type(png, {PNG, PDF}, declared="application/pdf") == PNG


def test_a_spreadsheet_is_refused_where_only_documents_are_accepted() -> None:
    with pytest.raises(UnsupportedAttachmentType, match=XLSX):
        require_allowed_media_type(io.BytesIO(xlsx()), {PDF, DOCX})


def test_the_allowed_media_types_always_read_in_one_order() -> None:
    # A set's order depends on the order it was built in: what the API returns must not.
    types = sorted(AttachmentRules().allowed_media_types)
    built_both_ways = [AttachmentRules(allowed_media_types=frozenset(o)) for o in (types, types[::-1])]
    assert [r.model_dump(mode="json")["allowed_media_types"] for r in built_both_ways] == [types, types]
