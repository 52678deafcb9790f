"""A guard on reading line items from the e-invoices' printed pages (the dev half, by their
text layer): a change that breaks reading real tables fails here. The full measurement, on
both halves, is ``benchmarks/bench_accuracy.py`` (BENCHMARKS.md)."""

from __future__ import annotations

from benchmarks._realdata import REALDATA, split
from benchmarks.bench_accuracy import einvoice_paths, run_set
from tests.engine_invoice.test_real_guards import needs_realdata


@needs_realdata
def test_line_items_of_the_einvoices_printed_pages_dev_half() -> None:
    paths = split(einvoice_paths(stripped=True))["dev"]
    assert len(paths) >= 20, f"the e-invoices are not at {REALDATA} (set OCRFRAME_REALDATA)"
    score = run_set(paths)
    # measured 2026-12-02 on this half: 42 of 77 lines (55 %); 0 before the table reader learnt
    # two-line titles, rows under their description and hyphenated descriptions
    assert score.lines_expected >= 70
    assert score.lines_matched / score.lines_expected >= 0.45, score.failures
