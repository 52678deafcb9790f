"""Extraction.show's pieces outside a kernel: finding the file, the values, the page images."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from PIL import Image

from ocrframe._frames import Extraction
from ocrframe._frames.show import MAX_SIDE, document_widget, locate, values_html
from ocrframe._inputs import sha256_hex
from ocrframe._records import DocumentRecord

ANSWER = {
    "code": 200,
    "data": {
        "fileId": "f1",
        "recognizeStatus": "1",
        "result": {
            "fieldList": [{"pageNumber": 1, "key": "grossAmount", "value": "154.06"}],
            "itemList": [[{"pageNumber": 1, "key": "description", "value": "<b>cables</b>"}]],
        },
    },
}


def _extraction(tmp_path: Path, content: bytes) -> Extraction:
    (tmp_path / "in").mkdir(exist_ok=True)
    (tmp_path / "in" / "a.pdf").write_bytes(content)
    record = DocumentRecord(
        source="a.pdf", service="docai", model="m", sha256=sha256_hex(content), response=ANSWER
    )
    return Extraction.from_records([record])


def _pages(n: int, size: tuple[int, int] = (2480, 3508)) -> Any:
    return lambda content, dpi: [Image.new("RGB", size, "white") for _ in range(n)]


def test_locate_under_a_folder_a_file_or_as_given(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "x.pdf").write_bytes(b"x")
    assert locate("sub/x.pdf", [tmp_path]) == tmp_path / "sub" / "x.pdf"
    assert locate("x.pdf", [tmp_path / "sub" / "x.pdf"]) == tmp_path / "sub" / "x.pdf"
    assert locate("y.pdf", [tmp_path]) is None


def test_values_are_escaped_and_in_order(tmp_path: Path) -> None:
    ex = _extraction(tmp_path, b"%PDF-1.4 a")
    text = values_html(ex, "a.pdf")
    assert text.index("Fields") < text.index("Line items") < text.index("Checks")
    assert "154.06" in text and "&lt;b&gt;cables&lt;/b&gt;" in text and "<b>cables" not in text
    assert "no document" in values_html(ex, "other.pdf")


def test_pages_beside_the_values_and_shrunk_for_the_screen(tmp_path: Path) -> None:
    content = b"%PDF-1.4 a"
    ex = _extraction(tmp_path, content)
    view = document_widget(ex, "a.pdf", [tmp_path / "in"], render=_pages(2))
    pages, values = view.children
    assert len(pages.children) == 2
    image = Image.open(io.BytesIO(pages.children[0].children[1].value))
    assert max(image.size) == MAX_SIDE
    assert "grossAmount" in values.children[0].value


def test_a_missing_or_changed_file_is_said_so(tmp_path: Path) -> None:
    ex = _extraction(tmp_path, b"%PDF-1.4 a")
    missing = document_widget(ex, "a.pdf", [tmp_path / "elsewhere"], render=_pages(1))
    assert "was not found" in missing.children[1].children[0].value
    assert not missing.children[0].children
    (tmp_path / "in" / "a.pdf").write_bytes(b"%PDF-1.4 changed")
    changed = document_widget(ex, "a.pdf", [tmp_path / "in"], render=_pages(1))
    assert "has changed since it was read" in changed.children[1].children[0].value

    def refuse(content: bytes, dpi: int) -> list[Any]:
        raise ValueError("cannot read")

    broken = document_widget(ex, "a.pdf", [tmp_path / "in"], render=refuse)
    assert "cannot be shown (cannot read)" in broken.children[1].children[0].value
