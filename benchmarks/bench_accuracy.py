"""Accuracy of the embedded engine's ``invoice`` model against documents with known values.

Sets:

1. ``generated``: born-digital PDFs from :mod:`tools.synth.invoices` (seeded);
2. ``scanned``: scans of generated invoices (PNG / JPEG, rotation, blur, noise, JPEG artefacts),
   read through OCR;
3. ``receipts-generated``: scans of generated shop receipts from :mod:`tools.synth.receipts`
   (seeded; several countries, languages, papers and fonts), read through OCR and scored on
   total, issue date, seller name, currency (where printed) and document type only;
4. the real sets under ``shared/realdata`` (see :mod:`benchmarks._realdata`), each reported per
   half (``dev``: developed on; ``holdout``: never tuned on; fixed by a hash of the file name):

   - ``invoice2data``: vendor invoices (PDFs through the text layer, PNGs through OCR, ``.txt``
     dumps as pages of words with one fixed-size box per character);
   - ``einvoices-page``: ``einvoices/*.stripped.pdf``, the printed page alone (XML removed);
   - ``einvoices``: ``einvoices/*.pdf`` as the engine reads the file (its embedded XML where the
     engine reads one, else the page);
   - ``receipts``: scanned shop receipts through OCR (total, date, seller).

``documentType`` is scored where the truth says it: e-invoices by their type code (381 is a
credit note, the rest invoices), receipts are receipts; by kind, so any "... invoice" (a
factored or partial construction invoice) counts as an invoice.

OCR of a scan costs seconds, so ``--cache DIR`` keeps each file's pages of words in ``DIR``
(keyed by the file's sha256 and the OCR settings); without it every run reads from scratch.

Scoring rules (also in BENCHMARKS.md):

- only the keys present in each expected file are scored;
- amounts (``total``, ``net_total``, ``tax_total``, ``amount_due``) are compared as decimals
  (expected ``4.11`` == ``"4.11"``); dates and currency codes as strings;
- ``invoice_number`` exactly, after trimming whitespace;
- ``seller_name`` / ``buyer_name`` normalised for case and spacing, as issue 10 defines the
  comparison: case-folded, whitespace removed wherever it falls ("MR. D. I. Y." == "MR. D.I.Y.",
  "SANYUSTATIONERYSHOP" == "Sanyu Stationery Shop"); every other character, punctuation
  included, must agree. ``--strict-names`` scores them by the earlier, stricter rule (whitespace
  collapsed to one space, so a space more or less is a miss);
- line items: a line is *matched* when an extracted item has the same description (case-folded,
  whitespace collapsed, newlines as spaces) and the same amount (``amount`` against
  ``totalPriceExclTax``, else ``totalPriceInclTax``; lines without an amount: ``unit_price``
  against ``unitPrice``; lines with neither: the description alone). Cells (description,
  quantity, unit_price, amount, tax_rate) are compared between the i-th expected line and the
  i-th extracted item.

Run::

    .venv/bin/python -m benchmarks.bench_accuracy [--generated 100] [--scanned 30]
        [--receipts 60] [--receipt-seed 3100] [--no-real]
        [--sets invoice2data,einvoices-page,einvoices,receipts] [--half dev|holdout|both]
        [--cache /work/cache/reader] [--strict-names] [-v]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import pickle
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

from benchmarks._realdata import REAL_DIR, REALDATA, split
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
# what a generated receipt is scored on (its truth also holds tax and lines, left unscored: a
# receipt's tax and items are not what this set measures)
RECEIPT_FIELDS = ("total", "issue_date", "seller_name", "currency", "document_type")
# scored where the truth states it (load_expected adds it); kept apart from HEADER_FIELDS,
# which are the keys of the realdata ground truth itself
KIND_FIELDS = {"document_type": "documentType"}
SCORED_FIELDS = {**HEADER_FIELDS, **KIND_FIELDS}
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


def _name(value: Any) -> str:
    return re.sub(r"\s+", "", str(value)).casefold()


# the earlier name rule (whitespace collapsed, not removed), for --strict-names
STRICT_NAMES = False


def same_value(key: str, expected: Any, got: str | None) -> bool:
    """Whether ``got`` (an extracted string) equals ``expected`` under the rules of ``key``.

    >>> same_value("seller_name", "MR. D. I. Y. SDN BHD", "Mr. D.I.Y. Sdn  Bhd")
    True
    """
    if got is None:
        return False
    if key in AMOUNT_FIELDS or key in ("quantity", "unit_price", "amount", "tax_rate"):
        a, b = _decimal(expected), _decimal(got)
        return a is not None and b is not None and a == b
    if key == "document_type":
        # the kind of document: any "... invoice" (factored, partial construction) is an
        # invoice; a credit note and a receipt are their own kinds
        return _text(expected).split()[-1:] == _text(got).split()[-1:]
    if key in NAME_FIELDS and not STRICT_NAMES:
        return _name(expected) == _name(got)
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


def score_document(
    expected: dict[str, Any],
    result: dict[str, Any],
    name: str = "",
    only: Sequence[str] | None = None,
) -> Score:
    """Score one extraction ``result`` (DocAI's result object) against ``expected``.

    ``only``: score these keys alone (header fields; line items then not at all).
    """
    if only is not None:
        expected = {k: v for k, v in expected.items() if k in only}
    score = Score(documents=1)
    values: dict[str, str] = {}
    for f in result.get("fieldList", []):
        values.setdefault(f["key"], f["value"])
    for key, docai_key in SCORED_FIELDS.items():
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


def _ocr_settings() -> str:
    """What the words of a scan depend on besides its bytes: the OCR package and our settings."""
    from importlib.metadata import version

    from ocrframe.engine import ocr, pages

    knobs = {
        "rapidocr": version("rapidocr"),
        "onnxruntime": version("onnxruntime"),
        "max_side": pages.OCR_MAX_SIDE,
        "ocr": sorted(
            (k, repr(v))
            for k, v in vars(ocr).items()
            if k.isupper() or (k.startswith("_") and k[1:].isupper())
        ),
    }
    return json.dumps(knobs, sort_keys=True)


def read_pages(path: Path, cache: Path | None = None) -> list[Page]:
    """Pages of words of any document: PDF / image through ``load_pages``, ``.txt`` as text.

    With ``cache``, pages read through OCR are kept there under a key of the file's sha256 and
    the OCR settings, so a second run costs milliseconds (a scan costs seconds to OCR). Pages
    of a PDF's own text are read afresh every time: they cost milliseconds, and a cache would
    keep what an older text-layer reader made of them.
    """
    if path.suffix.lower() == ".txt":
        return pages_from_text(path.read_text(encoding="utf-8"))
    from ocrframe.engine.pages import load_pages

    content = path.read_bytes()
    if cache is None:
        return load_pages(content)
    key = hashlib.sha256(content + _ocr_settings().encode()).hexdigest()
    stored = cache / f"{key}.pages.pickle"
    if stored.exists():
        pages: list[Page] = pickle.loads(stored.read_bytes())
        if any(p.origin == "ocr" for p in pages):
            return pages
    pages = load_pages(content)
    if not any(p.origin == "ocr" for p in pages):
        return pages
    cache.mkdir(parents=True, exist_ok=True)
    tmp = stored.with_suffix(".tmp")
    tmp.write_bytes(pickle.dumps(pages))
    tmp.replace(stored)
    return pages


def load_expected(path: Path) -> dict[str, Any]:
    """The truth for ``path`` (``X.expected.json`` beside it, or beside ``X.pdf`` for
    ``X.stripped.pdf``), with ``document_type`` where the source states the kind of document
    (e-invoice type codes; receipts)."""
    original = path.with_name(path.name.replace(".stripped.pdf", ".pdf"))
    expected: dict[str, Any] = json.loads(
        original.with_name(original.name + ".expected.json").read_text("utf-8")
    )
    code = str(expected.get("_type_code", ""))
    if code:
        expected["document_type"] = "credit note" if code == "381" else "invoice"
    if path.parent.name == "receipts":
        expected["document_type"] = "receipt"
        # the labels assume MYR for every receipt; a reader should not guess an unprinted one
        expected.pop("currency", None)
    return expected


def extract_file(path: Path, cache: Path | None = None) -> tuple[dict[str, Any], int, float]:
    """The engine's ``invoice`` answer for one file: (result, pages, seconds reading pages).

    As the engine answers it: a PDF's embedded e-invoice XML where it has one
    (:func:`ocrframe.engine.einvoice.read_invoice`), else the printed page.
    """
    from ocrframe.engine.einvoice import read_invoice

    start = time.perf_counter()
    pages = read_pages(path, cache)
    read = time.perf_counter() - start
    if path.suffix.lower() == ".pdf":
        return read_invoice(path.read_bytes(), pages), len(pages), read
    return extract_invoice(pages), len(pages), read


def run_set(
    paths: Iterable[Path],
    *,
    verbose: bool = False,
    cache: Path | None = None,
    only: Sequence[str] | None = None,
) -> Score:
    """Extract and score every document in ``paths`` (each with its ``.expected.json``).

    ``only``: the keys to score (see :func:`score_document`); all by default.
    """
    total = Score()
    for path in paths:
        expected = load_expected(path)
        start = time.perf_counter()
        result, n_pages, read = extract_file(path, cache)
        elapsed = time.perf_counter() - start - read
        s = score_document(expected, result, path.name, only)
        s.seconds = elapsed
        s.pages = n_pages
        s.read_seconds = read
        s.ms_per_page = [1000 * elapsed / max(1, n_pages)]
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


def generate_receipts(out: Path, count: int, seed: int) -> list[Path]:
    """Write ``count`` generated receipt scans into ``out`` (same seed, same files)."""
    from tools.synth.receipts import generate

    return generate(out, count, seed)


def real_paths(kinds: Sequence[str] = (".pdf", ".png", ".txt")) -> list[Path]:
    """The invoice2data invoices that have an expected file."""
    if not REAL_DIR.is_dir():
        return []
    return sorted(
        p
        for p in REAL_DIR.iterdir()
        if p.suffix.lower() in kinds and p.with_name(p.name + ".expected.json").exists()
    )


def einvoice_paths(*, stripped: bool) -> list[Path]:
    """``einvoices/*.stripped.pdf`` (the printed page alone) or the original ``*.pdf`` files."""
    folder = REALDATA / "einvoices"
    if not folder.is_dir():
        return []
    out = []
    for p in sorted(folder.glob("*.pdf")):
        if p.name.endswith(".stripped.pdf") != stripped:
            continue
        original = p.with_name(p.name.replace(".stripped.pdf", ".pdf"))
        if original.with_name(original.name + ".expected.json").exists():
            out.append(p)
    return out


def receipt_paths() -> list[Path]:
    """The scanned receipts that have an expected file."""
    folder = REALDATA / "receipts"
    if not folder.is_dir():
        return []
    return sorted(
        p for p in folder.glob("*.jpg") if p.with_name(p.name + ".expected.json").exists()
    )


_WHAT = {
    "invoice2data": "realdata/invoice2data: PDFs and text dumps by their text, PNGs by OCR",
    "einvoices-page": "realdata/einvoices/*.stripped.pdf: the printed page alone",
    "einvoices": "realdata/einvoices/*.pdf: the files as they come, XML embedded",
    "receipts": "realdata/receipts/*.jpg: scans through OCR",
}


def real_sets() -> dict[str, list[Path]]:
    """Every real set by name (see the module docstring)."""
    return {
        "invoice2data": real_paths(),
        "einvoices-page": einvoice_paths(stripped=True),
        "einvoices": einvoice_paths(stripped=False),
        "receipts": receipt_paths(),
    }


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
    for key in SCORED_FIELDS:
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


def _cell(score: Score, key: str) -> str:
    right, scored = score.fields.get(key, [0, 0])
    return f"{100 * right / scored:.0f} % ({right}/{scored})" if scored else "-"


def report_halves(name: str, halves: dict[str, Score]) -> str:
    """A Markdown table of one real set: each field per half, with counts."""
    names = list(halves)
    out = [
        f"**{name}**: "
        + ", ".join(f"{h} {halves[h].documents} documents" for h in names)
        + "; reading the pages "
        + ", ".join(f"{h} {halves[h].read_seconds:.1f} s" for h in names)
        + "; extraction median "
        + ", ".join(
            f"{h} {sorted(halves[h].ms_per_page)[len(halves[h].ms_per_page) // 2]:.1f} ms/page"
            for h in names
            if halves[h].ms_per_page
        ),
        "",
        "| field | " + " | ".join(names) + " |",
        "|---|" + "---:|" * len(names),
    ]
    for key in SCORED_FIELDS:
        if any(halves[h].fields.get(key, [0, 0])[1] for h in names):
            out.append(f"| {key} | " + " | ".join(_cell(halves[h], key) for h in names) + " |")
    if any(halves[h].lines_expected for h in names):
        cells = []
        for h in names:
            sc = halves[h]
            cells.append(
                f"{100 * sc.lines_matched / sc.lines_expected:.0f} % "
                f"({sc.lines_matched}/{sc.lines_expected})"
                if sc.lines_expected
                else "-"
            )
        out.append("| line items matched | " + " | ".join(cells) + " |")
        # each cell of the i-th expected line against the i-th item read
        for cell in LINE_CELLS:
            if any(halves[h].cells.get(cell, [0, 0])[1] for h in names):
                counts = [halves[h].cells.get(cell, [0, 0]) for h in names]
                out.append(
                    f"| line cell {cell} | "
                    + " | ".join(f"{right}/{scored}" if scored else "-" for right, scored in counts)
                    + " |"
                )
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print Markdown tables."""
    parser = argparse.ArgumentParser(description="invoice model accuracy")
    parser.add_argument("--generated", type=int, default=100)
    parser.add_argument("--scanned", type=int, default=30)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--receipts", type=int, default=60, help="generated receipt scans (OCR: ~1-2 s each)"
    )
    parser.add_argument("--receipt-seed", type=int, default=3100)
    parser.add_argument("--no-real", action="store_true")
    parser.add_argument(
        "--sets",
        default="invoice2data,einvoices-page,einvoices,receipts",
        help="real sets to run, comma-separated",
    )
    parser.add_argument("--half", choices=("dev", "holdout", "both"), default="both")
    parser.add_argument("--cache", type=Path, help="keep pages of words here between runs")
    parser.add_argument("--json", type=Path, help="also write the counts here")
    parser.add_argument(
        "--strict-names",
        action="store_true",
        help="score names by the earlier rule: whitespace collapsed, not removed",
    )
    parser.add_argument("--verbose", "-v", action="store_true")
    parser.add_argument("--keep", help="write the generated sets here instead of a temp dir")
    args = parser.parse_args(argv)
    global STRICT_NAMES
    STRICT_NAMES = args.strict_names
    counts: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(args.keep) if args.keep else Path(tmp)
        if args.generated:
            paths = generate_set(root / "generated", args.generated, args.seed, scanned=False)
            score = run_set(paths, verbose=args.verbose)
            counts["generated"] = {"all": dict(score.fields)}
            print(report(f"generated born-digital (seed {args.seed})", score), "\n")
        if args.scanned:
            paths = generate_set(root / "scanned", args.scanned, args.seed + 1, scanned=True)
            score = run_set(paths, verbose=args.verbose, cache=args.cache)
            counts["scanned"] = {"all": dict(score.fields)}
            print(report(f"generated scans (seed {args.seed + 1})", score), "\n")
        if args.receipts:
            paths = generate_receipts(root / "genreceipts", args.receipts, args.receipt_seed)
            score = run_set(paths, verbose=args.verbose, cache=args.cache, only=RECEIPT_FIELDS)
            counts["receipts-generated"] = {"all": dict(score.fields)}
            title = f"generated receipt scans (tools.synth.receipts, seed {args.receipt_seed})"
            print(report(title, score), "\n")
    if not args.no_real:
        wanted = [w.strip() for w in args.sets.split(",") if w.strip()]
        available = real_sets()
        for name in wanted:
            if name not in available:
                parser.error(f"--sets: unknown set {name!r} (known: {', '.join(available)})")
            halves_paths = split(available[name])
            chosen = ("dev", "holdout") if args.half == "both" else (args.half,)
            halves: dict[str, Score] = {}
            for half in chosen:
                if args.verbose:
                    print(f"[{name} {half}]", file=sys.stderr)
                halves[half] = run_set(halves_paths[half], verbose=args.verbose, cache=args.cache)
            print(report_halves(f"{name} ({_WHAT[name]})", halves), "\n")
            counts[name] = {h: dict(sc.fields) for h, sc in halves.items()}
    if args.json:
        args.json.write_text(json.dumps(counts, indent=1, sort_keys=True), "utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
