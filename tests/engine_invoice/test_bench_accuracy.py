"""The accuracy benchmark's own plumbing: the pages cache and the truth it scores against."""

from __future__ import annotations

import json
import random
from pathlib import Path

from benchmarks.bench_accuracy import load_expected, read_pages, score_document
from tools.synth.invoices import make_invoice, random_spec


def test_cached_pages_equal_fresh_ones_and_are_keyed_by_content(tmp_path: Path) -> None:
    pdf = tmp_path / "a.pdf"
    make_invoice(random_spec(random.Random(7)), pdf)
    cache = tmp_path / "cache"
    fresh = read_pages(pdf)
    first = read_pages(pdf, cache)
    stored = sorted(cache.iterdir())
    assert len(stored) == 1
    assert read_pages(pdf, cache) == first == fresh
    other = tmp_path / "b.pdf"
    make_invoice(random_spec(random.Random(8)), other)
    read_pages(other, cache)
    assert len(list(cache.iterdir())) == 2


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
