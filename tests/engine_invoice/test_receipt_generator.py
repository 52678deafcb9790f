"""The receipt generator (tools/synth/receipts.py): seeded, its truth printed and consistent,
its names invented; and a guard on the reader over generated receipts read as word pages (the
print's own word boxes, no OCR: milliseconds a receipt)."""

from __future__ import annotations

import json
import random
import re
from decimal import Decimal
from pathlib import Path

import pytest

from benchmarks._realdata import REALDATA
from benchmarks.bench_accuracy import RECEIPT_FIELDS, Score, score_document
from ocrframe.engine.invoice import extract_invoice
from ocrframe.engine.types import Page, Word
from tools.synth.receipts import (
    COUNTRIES,
    expected_values,
    format_amount,
    make_receipt,
    printed,
    random_spec,
    specs,
)


def _word_page(
    ink_size: tuple[int, int], words: list[tuple[str, float, float, float, float]]
) -> Page:
    return Page(1, ink_size[0], ink_size[1], [Word(t, *box) for t, *box in words], origin="ocr")


def test_same_seed_same_receipts_and_truth(tmp_path: Path) -> None:
    first = [(expected_values(s), seed) for s, seed in specs(20, 11)]
    again = [(expected_values(s), seed) for s, seed in specs(20, 11)]
    assert first == again
    other = [expected_values(s) for s, _ in specs(20, 12)]
    assert [e for e, _ in first] != other
    spec, seed = specs(1, 11)[0]
    a = make_receipt(spec, tmp_path / "a.jpg", seed=seed)
    b = make_receipt(spec, tmp_path / "b.jpg", seed=seed)
    assert (tmp_path / "a.jpg").read_bytes() == (tmp_path / "b.jpg").read_bytes()
    assert {k: v for k, v in a.items() if k != "_source_file"} == {
        k: v for k, v in b.items() if k != "_source_file"
    }
    stored = json.loads((tmp_path / "a.jpg.expected.json").read_text("utf-8"))
    assert stored["document_type"] == "receipt" and stored["total"] == float(spec.total)


def test_every_country_and_the_arithmetic_of_the_totals() -> None:
    rng = random.Random(3)
    seen = set()
    for _ in range(300):
        spec = random_spec(rng)
        seen.add(spec.country)
        base = spec.subtotal - spec.discount + spec.service
        assert spec.before_rounding == (base if spec.tax_included else base + spec.tax)
        assert abs(spec.total - spec.before_rounding) <= Decimal("0.025")
        if spec.cash_rounding:
            assert (spec.total * 20) % 1 == 0  # a multiple of 0.05
        assert spec.tendered >= spec.total
    assert seen == set(COUNTRIES)
    with pytest.raises(ValueError, match="unknown country"):
        random_spec(rng, country="XX")


def test_the_truth_is_printed() -> None:
    for spec, seed in specs(60, 21):
        _, words = printed(spec, seed)
        text = " ".join(w[0] for w in words)
        # the seller's name is printed whole (it may wrap: words in order, any spacing)
        assert re.search(r"\s+".join(map(re.escape, spec.seller_name.split())), text), spec
        assert format_amount(spec.total, spec) in text
        day, month = spec.issued.day, spec.issued.month
        assert str(day) in text and (str(month) in text or str(spec.issued.year) in text)


def test_names_are_invented_not_taken_from_the_real_receipts() -> None:
    folder = REALDATA / "receipts"
    if not folder.is_dir():
        pytest.skip("real receipts not available")
    real = {
        re.sub(r"\s+", "", json.loads(p.read_text("utf-8")).get("seller_name", "")).casefold()
        for p in folder.glob("*.expected.json")
    }
    generated = {
        re.sub(r"\s+", "", name).casefold()
        for spec, _ in specs(2000, 1)
        for name in (spec.seller_name, spec.brand or "")
    }
    assert real and not real & generated


def test_bench_scores_generated_receipts_on_their_fields_only() -> None:
    spec, _ = specs(1, 5)[0]
    truth = expected_values(spec)
    result = {"fieldList": [{"key": "grossAmount", "value": str(spec.total)}]}
    score = score_document(truth, result, "r", RECEIPT_FIELDS)
    assert set(score.fields) <= set(RECEIPT_FIELDS) and score.fields["total"] == [1, 1]
    assert score.lines_expected == 0  # the receipt's items are in its truth, not scored here


def test_reader_on_generated_receipts_as_word_pages() -> None:
    """A floor under the reader on 60 generated receipts without OCR (seed fixed)."""
    total = Score()
    for spec, seed in specs(60, 5000):
        ink, words = printed(spec, seed)
        result = extract_invoice([_word_page(ink.size, words)])
        total.add(score_document(expected_values(spec), result, spec.country, RECEIPT_FIELDS))
    # measured 2026-12-02: main 8181cb6 total 40/60, date 39/60, seller 41/60, type 40/60; with
    # introducers, wrapped names and tills in four languages 56, 56, 55, 58 of 60; with amounts
    # marked after them or on the next line, restated brands, slips titled receipts 60, 59, 58, 60
    floors = {"total": 0.9, "issue_date": 0.9, "seller_name": 0.9, "document_type": 0.95}
    for key, floor in floors.items():
        accuracy = total.field_accuracy(key)
        assert accuracy is not None and accuracy >= floor, (key, accuracy, total.failures)
