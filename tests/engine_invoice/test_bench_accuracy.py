"""The accuracy benchmark's own plumbing: the pages cache and the truth it scores against."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from benchmarks.bench_accuracy import load_expected, read_pages, score_document
from ocrframe.engine import pages as pages_module
from ocrframe.engine.types import Page, Word
from tools.synth.invoices import make_invoice, random_spec


def test_ocr_pages_are_cached_by_content_and_text_layers_read_afresh(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pdf = tmp_path / "a.pdf"
    make_invoice(random_spec(random.Random(7)), pdf)
    cache = tmp_path / "cache"
    fresh = read_pages(pdf)
    assert read_pages(pdf, cache) == fresh
    assert not cache.exists() or not list(cache.iterdir())  # a text layer is never kept
    # pages that came from OCR are kept, one entry per content, and read back equal
    calls: list[bytes] = []

    def ocr(content: bytes) -> list[Page]:
        calls.append(content)
        return [Page(1, 100, 100, [Word(content[:4].hex(), 1, 2, 3, 4)], origin="ocr")]

    monkeypatch.setattr(pages_module, "load_pages", ocr)
    scans = [tmp_path / "a.png", tmp_path / "b.png"]
    scans[0].write_bytes(b"scan one")
    scans[1].write_bytes(b"scan two")
    first = read_pages(scans[0], cache)
    assert read_pages(scans[0], cache) == first
    read_pages(scans[1], cache)
    assert len(list(cache.iterdir())) == 2
    assert len(calls) == 2  # the second read of the first scan came from the cache


def test_truth_of_stripped_einvoices_receipts_and_credit_notes(tmp_path: Path) -> None:
    folder = tmp_path / "einvoices"
    folder.mkdir()
    (folder / "x.pdf.expected.json").write_text(json.dumps({"total": 5, "_type_code": "381"}))
    truth = load_expected(folder / "x.stripped.pdf")
    assert truth["document_type"] == "credit note" and truth["total"] == 5
    receipts = tmp_path / "receipts"
    receipts.mkdir()
    (receipts / "001.jpg.expected.json").write_text(json.dumps({"total": 9.9, "currency": "MYR"}))
    truth = load_expected(receipts / "001.jpg")
    assert truth == {"total": 9.9, "document_type": "receipt"}


def test_document_type_is_scored_case_insensitively() -> None:
    result = {"fieldList": [{"pageNumber": 1, "key": "documentType", "value": "Receipt"}]}
    score = score_document({"document_type": "receipt", "total": 3}, result)
    assert score.fields["document_type"] == [1, 1]
    assert score.fields["total"] == [0, 1]
