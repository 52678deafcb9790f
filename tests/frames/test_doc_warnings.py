"""Per-document warnings on literal answers (ocrframe._frames.warnings)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ocrframe._frames import Extraction
from ocrframe._frames.warnings import document_warnings, pages_beyond
from ocrframe._records import DocumentRecord


def _cell(key: str, value: str | None, page: int = 1) -> dict[str, Any]:
    return {"pageNumber": page, "key": key, "value": value}


def _answer(
    fields: list[dict[str, Any]], items: list[list[dict[str, Any]]] | None = None
) -> dict[str, Any]:
    result = {"fieldList": fields, "itemList": items or [], "taxList": []}
    return {"code": 200, "data": {"fileId": "f", "recognizeStatus": "1", "result": result}}


def _warnings(
    records: list[DocumentRecord], asked: Sequence[Sequence[int] | None] | None = None
) -> dict[str, list[str]]:
    tables = Extraction.from_records(records).to_arrow()
    found = document_warnings(tables, asked or [None] * len(records))
    return dict(zip(tables["documents"].column("source").to_pylist(), found, strict=True))


def _doc(source: str, answer: dict[str, Any], pages: int = 1) -> DocumentRecord:
    return DocumentRecord(
        source=source, service="docai", model="invoice", pages=pages, response=answer
    )


def test_pages_asked_beyond_the_file_are_named() -> None:
    assert pages_beyond([5], 2) == "page 5 asked, the file has 2"
    assert pages_beyond([1, 3, 4, 5, 7], 2) == "pages 3-5, 7 asked, the file has 2"
    assert pages_beyond(None, 2) is None
    assert pages_beyond([9], None) is None
    found = _warnings([_doc("a.pdf", _answer([]), pages=2)], asked=[[5]])
    assert found["a.pdf"] == ["page 5 asked, the file has 2", "nothing found"]


def test_an_ok_answer_with_nothing_in_it_says_so(capsolver_answer: dict[str, Any]) -> None:
    empty_text = dict(capsolver_answer, solution={"text": ""})
    found = _warnings(
        [
            _doc("empty.pdf", _answer([])),
            _doc("full.pdf", _answer([_cell("grossAmount", "1.00")])),
            DocumentRecord(
                source="c.png", service="capsolver", model="common", response=empty_text
            ),
            DocumentRecord(
                source="d.png", service="capsolver", model="common", response=capsolver_answer
            ),
        ]
    )
    assert found == {
        "empty.pdf": ["nothing found"],
        "full.pdf": [],
        "c.png": ["nothing found"],
        "d.png": [],
    }


def test_a_failed_document_gets_no_nothing_found() -> None:
    found = _warnings([_doc("x.pdf", {"code": 500, "message": "boom"})])
    assert found == {"x.pdf": []}


def test_a_column_empty_on_every_line_is_named() -> None:
    full = [
        [_cell("description", "a"), _cell("unitPrice", "1.00")],
        [_cell("description", "b"), _cell("unitPrice", "2.00")],
    ]
    # The scan's reader found no unit price on any line: the key is absent (or blank) there.
    absent = [[_cell("description", "a")], [_cell("description", "b")]]
    blank = [[_cell("description", "a"), _cell("quantity", "")], [_cell("description", "b")]]
    found = _warnings(
        [
            _doc("full.pdf", _answer([_cell("x", "1")], full)),
            _doc("scan.png", _answer([_cell("x", "1")], absent)),
            _doc("blank.png", _answer([_cell("x", "1")], blank)),
        ]
    )
    assert found["full.pdf"] == ["items: 'quantity' empty on every line (2 lines)"]
    assert found["scan.png"] == [
        "items: 'quantity' empty on every line (2 lines)",
        "items: 'unitPrice' empty on every line (2 lines)",
    ]
    assert found["blank.png"] == found["scan.png"]


def test_a_document_without_lines_gets_no_column_warning() -> None:
    found = _warnings(
        [
            _doc("lines.pdf", _answer([_cell("x", "1")], [[_cell("unitPrice", "1")]])),
            _doc("none.pdf", _answer([_cell("x", "1")])),
        ]
    )
    assert found == {"lines.pdf": [], "none.pdf": []}


def test_pages_and_fields_read_on_some_pages_but_not_others() -> None:
    answer = _answer(
        [
            _cell("invoiceNumber", "A-1", 1),
            _cell("invoiceNumber", "A-1", 2),
            _cell("grossAmount", "154.06", 1),
            _cell("grossAmount", "145.06", 3),
        ]
    )
    found = _warnings([_doc("a.pdf", answer, pages=4)])
    assert found["a.pdf"] == [
        "page 4 of 4: nothing read",
        "'invoiceNumber' on pages 1-2, not 3-4",
        "'grossAmount' on pages 1, 3, not 2, 4",
        "'grossAmount' differs between pages: 154.06 (page 1), 145.06 (page 3)",
    ]
    # Only the pages asked are expected to hold something.
    asked = _answer([_cell("invoiceNumber", "A-1", 1), _cell("invoiceNumber", "A-1", 2)])
    assert _warnings([_doc("a.pdf", asked, pages=4)], asked=[[1, 2]])["a.pdf"] == []
    assert _warnings([_doc("a.pdf", asked, pages=4)])["a.pdf"] == [
        "page 3 of 4: nothing read",
        "page 4 of 4: nothing read",
        "'invoiceNumber' on pages 1-2, not 3-4",
    ]
