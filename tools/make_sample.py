"""Write ``data/sample/``: the small set of documents a new user runs first, with expected values.

Run ``python -m tools.make_sample`` (or ``--out DIR``); the same seed gives the same files, byte
for byte. What it writes::

    data/sample/invoices/   for DocAI (model ``invoice``)
        invoice-en.pdf          born-digital, one page
        invoice-de.pdf          born-digital, several pages (a long list of line items)
        invoice-fr.pdf          born-digital, one page
        scan-en.png             a scanned-looking invoice (one page)
        scan-fr.jpg             a scanned-looking invoice (one page)
        scan-de.tif             a multi-page TIFF scan
    data/sample/captchas/   for CapSolver's ImageToTextTask (module ``common``)
        captcha-01.png ...      distorted captcha-style text and plain text images
    data/sample/expected/   what a perfect reader finds in each file
        invoices/invoice-en.pdf.expected.json ...
        captchas/captcha-01.png.expected.json ...

For invoices the expected values have the shape of ``tools.synth.invoices.expected_values``
(invoice_number, issue_date, total, lines, ...); for text images ``{"text": ..., "style": ...}``.
They live in their own tree, not beside the documents, so that pointing ocrframe at
``data/sample/invoices`` submits documents only (a JSON file would be reported as a failed,
unsupported file: every file submitted gets a row). The generators are the project's own
(``tools.synth.invoices``, ``tools.synth.captchas``); this script only picks a small, varied set
and keeps it under 5 MB so that the quick start finishes in a minute or two.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tools.synth import captchas, invoices

__all__ = ["DEFAULT_OUT", "SAMPLE_SEED", "InvoiceEntry", "expected_path", "make_sample"]

# Relative to the working directory, like every path a user types: `python -m tools.make_sample`
# runs from the repository's root (where `tools` is importable) and writes its data/sample.
DEFAULT_OUT = Path("data") / "sample"
SAMPLE_SEED = 20261121
MAX_BYTES = 5 * 1024 * 1024
_THRESHOLD = 150


@dataclass(frozen=True)
class InvoiceEntry:
    """One invoice of the sample: file name, language, layout, number of lines, scanned or not."""

    name: str
    language: str
    layout: str
    n_lines: int
    scanned: bool = False


# Varied on purpose: three languages, every layout, one long born-digital invoice that runs over
# several pages, scans in each image format the services take. Scans are short (OCR costs ~1 s per
# page on a small machine).
INVOICES: tuple[InvoiceEntry, ...] = (
    InvoiceEntry("invoice-en.pdf", "en", "classic", 4),
    InvoiceEntry("invoice-de.pdf", "de", "stacked", 40),
    InvoiceEntry("invoice-fr.pdf", "fr", "two-column", 3),
    InvoiceEntry("scan-en.png", "en", "totals-box", 3, scanned=True),
    InvoiceEntry("scan-fr.jpg", "fr", "classic", 2, scanned=True),
    InvoiceEntry("scan-de.tif", "de", "classic", 30, scanned=True),
)
CAPTCHA_STYLES: tuple[tuple[str, int], ...] = (("captcha", 3), ("clean", 3))


def expected_path(document: Path, root: Path = DEFAULT_OUT) -> Path:
    """Where the expected values of ``document`` (a file under ``root``) are kept.

    >>> expected_path(Path("data/sample/invoices/a.pdf"), Path("data/sample")).as_posix()
    'data/sample/expected/invoices/a.pdf.expected.json'
    """
    relative = document.relative_to(root)
    return root / "expected" / relative.parent / (relative.name + ".expected.json")


def _move_expected(document: Path, root: Path) -> None:
    beside = document.with_name(document.name + ".expected.json")
    target = expected_path(document, root)
    target.parent.mkdir(parents=True, exist_ok=True)
    beside.replace(target)


def _to_fax_tiff(path: Path) -> None:
    """Re-save a grey multi-page TIFF as black and white with CCITT Group 4 compression.

    That is what office scanners write for multi-page documents, and it is about 30 times smaller
    than the grey scan (whose noise does not compress).
    """
    from PIL import Image, ImageSequence

    with Image.open(path) as image:
        pages = [
            frame.convert("L").point(lambda v: 255 if v > _THRESHOLD else 0).convert("1")
            for frame in ImageSequence.Iterator(image)
        ]
    pages[0].save(path, save_all=True, append_images=pages[1:], compression="group4")


def make_sample(out: str | Path = DEFAULT_OUT, *, seed: int = SAMPLE_SEED) -> list[Path]:
    """Write the sample set into ``out`` (emptied first); return the paths of the documents.

    Example::

        make_sample("/tmp/sample")   # /tmp/sample/invoices/..., /tmp/sample/captchas/...
    """
    out = Path(out)
    for sub in ("invoices", "captchas", "expected"):
        if (out / sub).exists():
            shutil.rmtree(out / sub)
    rng = random.Random(seed)
    written: list[Path] = []
    for entry in INVOICES:
        spec = invoices.random_spec(
            rng, language=entry.language, layout=entry.layout, n_lines=entry.n_lines
        )
        path = out / "invoices" / entry.name
        invoices.make_invoice(spec, path, scanned=entry.scanned, seed=rng.randrange(2**31))
        if path.suffix == ".tif":
            _to_fax_tiff(path)
        _move_expected(path, out)
        written.append(path)
    number = 0
    for style, count in CAPTCHA_STYLES:
        for item in captchas.captcha_set(count, seed=rng.randrange(2**31), style=style):
            number += 1
            path = out / "captchas" / f"captcha-{number:02d}.png"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(item.png)
            expected = {"text": item.text, "style": item.style, "module": "common"}
            target = expected_path(path, out)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(expected, indent=1) + "\n", encoding="utf-8")
            written.append(path)
    total = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    if total > MAX_BYTES:
        raise RuntimeError(f"the sample came out at {total} bytes, over {MAX_BYTES}")
    return written


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m tools.make_sample [--out DIR] [--seed N]``."""
    parser = argparse.ArgumentParser(description="Write the sample documents of ocrframe.")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--seed", type=int, default=SAMPLE_SEED)
    args = parser.parse_args(argv)
    paths = make_sample(args.out, seed=args.seed)
    total = sum(p.stat().st_size for p in Path(args.out).rglob("*") if p.is_file())
    print(f"wrote {len(paths)} documents to {args.out} ({total / 1024:.0f} KiB in all)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
