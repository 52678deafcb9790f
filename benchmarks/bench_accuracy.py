"""Accuracy of the embedded engine's ``invoice`` model against documents with known values.

Three sets:

1. ``generated``: born-digital PDFs from :mod:`tools.synth.invoices` (seeded);
2. ``scanned``: scans of generated invoices (PNG / JPEG, rotation, blur, noise, JPEG artefacts),
   read through OCR;
3. ``real``: the invoices in ``/work/shared/realdata/invoice2data`` (PDFs through the text layer,
   PNGs through OCR; ``.txt`` dumps become pages of words with one fixed-size box per character).

Scoring rules (also in BENCHMARKS.md):

- only the keys present in each expected file are scored;
- amounts (``total``, ``net_total``, ``tax_total``, ``amount_due``) are compared as decimals
  (expected ``4.11`` == ``"4.11"``); dates and currency codes as strings;
- ``invoice_number`` exactly, after trimming whitespace;
- ``seller_name`` / ``buyer_name`` case-insensitively after collapsing whitespace;
- line items: a line is *matched* when an extracted item has the same description (case-folded,
  whitespace collapsed, newlines as spaces) and the same amount (``amount`` against
  ``totalPriceExclTax``, else ``totalPriceInclTax``; lines without an amount: ``unit_price``
  against ``unitPrice``; lines with neither: the description alone). Cells (description,
  quantity, unit_price, amount, tax_rate) are compared between the i-th expected line and the
  i-th extracted item.

Run::

    .venv/bin/python -m benchmarks.bench_accuracy [--generated 100] [--scanned 30] [--no-real]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from benchmarks._realdata import REAL_DIR
from ocrframe.engine.invoice import extract_invoice
from ocrframe.engine.types import Page, Word

# expected key -> DocAI field key
HEADER_FIELDS = {
    "invoice_number": "invoiceNumber",
    "issue_date": "invoiceDate",
    "due_date": "dueDate",
    "currency": "currency",
    "total": "grossAmount",
    "net_total": "netAmount",
    "tax_total": "totalTax",
    "amount_due": "amountDue",
    "seller_name": "sellerName",
    "buyer_name": "buyerName",
}
AMOUNT_FIELDS = {"total", "net_total", "tax_total", "amount_due"}
NAME_FIELDS = {"seller_name", "buyer_name"}
LINE_CELLS = {
    "description": ("description",),
    "quantity": ("quantity",),
    "unit_price": ("unitPrice",),
    "amount": ("totalPriceExclTax", "totalPriceInclTax"),
    "tax_rate": ("taxRate",),
}


def _decimal(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None


def _text(value: Any) -> str:
    return re.sub(r"\s+", " ", str(value)).strip().casefold()


def same_value(key: str, expected: Any, got: str | None) -> bool:
    """Whether ``got`` (an extracted string) equals ``expected`` under the rules of ``key``."""
    if got is None:
        return False
    if key in AMOUNT_FIELDS or key in ("quantity", "unit_price", "amount", "tax_rate"):
        a, b = _decimal(expected), _decimal(got)
        return a is not None and b is not None and a == b
    if key in NAME_FIELDS or key == "description":
        return _text(expected) == _text(got)
    return str(expected).strip() == got.strip()


@dataclass
class Score:
    """Counts for one set: per header field (right, scored) and line items."""

    fields: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    lines_matched: int = 0
    lines_expected: int = 0
    cells: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    documents: int = 0
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0
    pages: int = 0
    read_seconds: float = 0.0  # load_pages (text layer or OCR)
    # extraction time per page of each document (ms), reading the pages not included
    ms_per_page: list[float] = field(default_factory=list)

    def add(self, other: Score) -> None:
        """Fold ``other``'s counts into this one."""
        for k, (a, b) in other.fields.items():
            self.fields[k][0] += a
            self.fields[k][1] += b
        for k, (a, b) in other.cells.items():
            self.cells[k][0] += a
            self.cells[k][1] += b
        self.lines_matched += other.lines_matched
        self.lines_expected += other.lines_expected
        self.documents += other.documents
        self.failures += other.failures
        self.seconds += other.seconds
        self.pages += other.pages
        self.read_seconds += other.read_seconds
        self.ms_per_page += other.ms_per_page

    def field_accuracy(self, key: str) -> float | None:
        """Share of documents whose ``key`` was read exactly (None when never scored)."""
        right, scored = self.fields.get(key, [0, 0])
        return right / scored if scored else None


def score_document(expected: dict[str, Any], result: dict[str, Any], name: str = "") -> Score:
    """Score one extraction ``result`` (DocAI's result object) against ``expected``."""
    score = Score(documents=1)
    values: dict[str, str] = {}
    for f in result.get("fieldList", []):
        values.setdefault(f["key"], f["value"])
    for key, docai_key in HEADER_FIELDS.items():
        if key not in expected:
            continue
        ok = same_value(key, expected[key], values.get(docai_key))
        score.fields[key][1] += 1
        score.fields[key][0] += int(ok)
        if not ok:
            score.failures.append(
                f"{name}: {key} expected {expected[key]!r} got {values.get(docai_key)!r}"
            )
    items = [{c["key"]: c["value"] for c in row} for row in result.get("itemList", [])]
    lines = expected.get("lines") or []
    remaining = list(items)
    for line in lines:
        score.lines_expected += 1
        for k, item in enumerate(remaining):
            if not same_value("description", line.get("description", ""), item.get("description")):
                continue
            if "amount" in line:
                got = item.get("totalPriceExclTax") or item.get("totalPriceInclTax")
                if not same_value("amount", line["amount"], got):
                    continue
            elif "unit_price" in line and not same_value(
                "unit_price", line["unit_price"], item.get("unitPrice")
            ):
                continue
            score.lines_matched += 1
            del remaining[k]
            break
        else:
            score.failures.append(f"{name}: line not matched {line.get('description')!r}")
    for i, line in enumerate(lines):
        item = items[i] if i < len(items) else {}
        for cell, keys in LINE_CELLS.items():
            if cell not in line:
                continue
            got = next((item[k] for k in keys if k in item), None)
            score.cells[cell][1] += 1
            score.cells[cell][0] += int(same_value(cell, line[cell], got))
    return score


# ----------------------------------------------------------------------------------------------
# Reading documents


def pages_from_text(text: str, *, char_width: float = 6.0, line_height: float = 12.0) -> list[Page]:
    """A plain-text dump as one page of words, one fixed-size box per character.

    A monospaced dump keeps the layout in its columns, so the layout rules still apply.
    """
    words: list[Word] = []
    rows = text.splitlines()
    for row_index, row in enumerate(rows):
        for m in re.finditer(r"\S+", row):
            y0 = row_index * line_height + 2
            words.append(
                Word(
                    m.group(),
                    m.start() * char_width,
                    y0,
                    m.end() * char_width,
                    y0 + line_height - 4,
                )
            )
    width = max((len(r) for r in rows), default=1) * char_width
    return [Page(1, width, len(rows) * line_height, words, origin="text")]


def read_pages(path: Path) -> list[Page]:
    """Pages of words of any document: PDF / image through ``load_pages``, ``.txt`` as text."""
    if path.suffix.lower() == ".txt":
        return pages_from_text(path.read_text(encoding="utf-8"))
    from ocrframe.engine.pages import load_pages

    return load_pages(path.read_bytes())


def run_set(paths: Iterable[Path], *, verbose: bool = False) -> Score:
    """Extract and score every document in ``paths`` (each beside its ``.expected.json``)."""
    total = Score()
    for path in paths:
        expected = json.loads(path.with_name(path.name + ".expected.json").read_text("utf-8"))
        start = time.perf_counter()
        pages = read_pages(path)
        read = time.perf_counter() - start
        start = time.perf_counter()
        result = extract_invoice(pages)
        elapsed = time.perf_counter() - start
        s = score_document(expected, result, path.name)
        s.seconds = elapsed
        s.pages = len(pages)
        s.read_seconds = read
        s.ms_per_page = [1000 * elapsed / max(1, len(pages))]
        total.add(s)
    if verbose:
        for line in total.failures:
            print("  MISS", line, file=sys.stderr)
    return total


def generate_set(out: Path, count: int, seed: int, *, scanned: bool) -> list[Path]:
    """Write ``count`` generated invoices (born-digital PDFs, or one-page scans) into ``out``."""
    from tools.synth.invoices import make_invoice, random_spec

    rng = random.Random(seed)
    paths = []
    for i in range(count):
        spec = random_spec(rng, n_lines=rng.randint(1, 8) if scanned else None)
        suffix = rng.choice((".png", ".jpg")) if scanned else ".pdf"
        path = out / f"{'scan' if scanned else 'gen'}-{seed}-{i:04d}{suffix}"
        make_invoice(spec, path, scanned=scanned, seed=rng.randrange(2**31))
        paths.append(path)
    return paths


def real_paths(kinds: Sequence[str] = (".pdf", ".png", ".txt")) -> list[Path]:
    """The real invoices that have an expected file, PDFs and text first."""
    if not REAL_DIR.is_dir():
        return []
    return sorted(
        p
        for p in REAL_DIR.iterdir()
        if p.suffix.lower() in kinds and p.with_name(p.name + ".expected.json").exists()
    )


def report(name: str, score: Score) -> str:
    """A Markdown table of one set's accuracy."""
    per_page = sorted(score.ms_per_page)
    med = per_page[len(per_page) // 2] if per_page else 0.0
    overall = score.pages / max(1e-9, score.seconds + score.read_seconds)
    out = [
        f"**{name}**: {score.documents} documents, {score.pages} pages; extraction (words -> "
        f"result) median {med:.1f} ms per page, {score.seconds:.2f} s in all; reading the pages "
        f"{score.read_seconds:.1f} s; overall {overall:.1f} pages/s",
        "",
    ]
    out.append("| field | exact | scored |")
    out.append("|---|---:|---:|")
    for key in HEADER_FIELDS:
        right, scored = score.fields.get(key, [0, 0])
        if scored:
            out.append(f"| {key} | {100 * right / scored:.1f} % | {right}/{scored} |")
    if score.lines_expected:
        out.append(
            f"| line items matched (description + amount) | "
            f"{100 * score.lines_matched / score.lines_expected:.1f} % | "
            f"{score.lines_matched}/{score.lines_expected} |"
        )
    for cell, (right, scored) in score.cells.items():
        if scored:
            out.append(f"| line cell {cell} | {100 * right / scored:.1f} % | {right}/{scored} |")
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print Markdown tables."""
    parser = argparse.ArgumentParser(description="invoice model accuracy")
    parser.add_argument("--generated", type=int, default=100)
    parser.add_argument("--scanned", type=int, default=30)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--no-real", action="store_true")
    parser.add_argument("--verbose", "-v", action="store_true")
    parser.add_argument("--keep", help="write the generated sets here instead of a temp dir")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(args.keep) if args.keep else Path(tmp)
        if args.generated:
            paths = generate_set(root / "generated", args.generated, args.seed, scanned=False)
            score = run_set(paths, verbose=args.verbose)
            print(report(f"generated born-digital (seed {args.seed})", score), "\n")
        if args.scanned:
            paths = generate_set(root / "scanned", args.scanned, args.seed + 1, scanned=True)
            score = run_set(paths, verbose=args.verbose)
            print(report(f"generated scans (seed {args.seed + 1})", score), "\n")
        if not args.no_real:
            real = real_paths()
            text_layer = [p for p in real if p.suffix.lower() != ".png"]
            ocr = [p for p in real if p.suffix.lower() == ".png"]
            for label, subset in (("real PDFs + text", text_layer), ("real PNGs (OCR)", ocr)):
                if subset:
                    score = run_set(subset, verbose=args.verbose)
                    print(report(f"{label}: {REAL_DIR}", score), "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
