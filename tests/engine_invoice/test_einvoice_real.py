"""Every real e-invoice is read exactly from its XML; its stripped copy goes to the page reader.

Ground truth is each ``X.pdf.expected.json`` (converted from the embedded XML by the people who
made the set, not by this code); the whole set is read, both halves: XML parsing is fast.
"""

from __future__ import annotations

import json
import os
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from benchmarks._realdata import REALDATA
from benchmarks.bench_accuracy import HEADER_FIELDS, LINE_CELLS, Score, score_document
from ocrframe._einvoice import READ_FROM, read_einvoice
from ocrframe.engine.app import _recognise

EINVOICES = REALDATA / "einvoices"

pytestmark = pytest.mark.skipif(
    not EINVOICES.is_dir() and not os.environ.get("CI"), reason="real e-invoices not available"
)


def _originals() -> list[Path]:
    assert EINVOICES.is_dir(), f"the real e-invoices are not at {EINVOICES} (OCRFRAME_REALDATA)"
    return sorted(p for p in EINVOICES.glob("*.pdf") if not p.name.endswith(".stripped.pdf"))


def _expected(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.with_name(path.name + ".expected.json").read_text())
    return data


def _number(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def test_every_field_the_xml_states_is_read_exactly() -> None:
    paths = _originals()
    assert len(paths) >= 40
    total = Score()
    for path in paths:
        expected = _expected(path)
        result = read_einvoice(path.read_bytes())
        assert result is not None, path.name
        total.add(score_document(expected, result, path.name))
        fields = {c["key"]: c["value"] for c in result["fieldList"]}
        assert fields["readFrom"] == READ_FROM
        assert fields["documentTypeCode"] == expected["_type_code"], path.name
        assert fields["einvoiceGuideline"] == expected["_profile"], path.name
        want = [
            (
                _number(t.get("tax_amount")),
                _number(t.get("rate_percent")),
                _number(t.get("basis_amount")),
                t.get("category"),
            )
            for t in expected["_raw"].get("taxes", [])
        ]
        got = [
            (
                _number(row.get("taxValue")),
                _number(row.get("taxPercentage")),
                _number(row.get("taxableAmount")),
                row.get("taxCategory"),
            )
            for row in ({c["key"]: c["value"] for c in tax} for tax in result["taxList"])
        ]
        assert got == want, path.name
    assert not total.failures, total.failures
    scored = {key for key, (_, n) in total.fields.items() if n}
    assert scored == set(HEADER_FIELDS), "every header field is scored somewhere in the set"
    assert {key for key, (_, n) in total.cells.items() if n} == set(LINE_CELLS)
    assert total.lines_matched == total.lines_expected > 100


def test_stripped_copies_fall_back_to_the_printed_page() -> None:
    stripped = sorted(EINVOICES.glob("*.stripped.pdf"))
    assert len(stripped) == len(_originals())
    for path in stripped:
        assert read_einvoice(path.read_bytes()) is None, path.name
    # one through the engine's model dispatch: the page reader answers, not the XML
    first = stripped[0]
    result, _ = _recognise(first.read_bytes(), "invoice", None, 150)
    fields = {c["key"]: c["value"] for c in result["fieldList"]}
    assert "readFrom" not in fields and "einvoiceError" not in fields
    assert fields, "the printed page gives some fields"


def test_the_engine_answers_an_e_invoice_from_its_xml() -> None:
    path = _originals()[0]
    result, ocr = _recognise(path.read_bytes(), "invoice", None, 150)
    assert result == read_einvoice(path.read_bytes())
    assert ocr and ocr[0]["pageNumber"] == 1 and ocr[0]["text"]
