"""data/sample is what tools.make_sample writes: small, varied, with expected values."""

from __future__ import annotations

import json
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from PIL import Image

from ocrframe._documents import detect_kind
from tools.make_sample import MAX_BYTES, expected_path, make_sample

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "sample"


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_sample_is_reproduced_byte_for_byte(tmp_path: Path) -> None:
    make_sample(tmp_path)
    committed, fresh = _files(SAMPLE), _files(tmp_path)
    assert sorted(fresh) == sorted(committed)
    changed = [name for name in fresh if fresh[name] != committed[name]]
    assert changed == [], "data/sample is stale: run python -m tools.make_sample"


def test_sample_is_small() -> None:
    total = sum(len(b) for b in _files(SAMPLE).values())
    assert 0 < total <= MAX_BYTES


def test_invoice_folder_holds_every_kind_and_only_documents() -> None:
    kinds: dict[str, str | None] = {
        p.name: detect_kind(p.read_bytes()) for p in (SAMPLE / "invoices").iterdir()
    }
    assert None not in kinds.values(), kinds
    assert {"pdf", "png", "jpeg", "tiff"} <= set(kinds.values())
    pdf_pages = [
        len(pdfium.PdfDocument(SAMPLE / "invoices" / name))
        for name, kind in kinds.items()
        if kind == "pdf"
    ]
    assert max(pdf_pages) >= 2, "one born-digital invoice should run over several pages"
    tiffs = [name for name, kind in kinds.items() if kind == "tiff"]
    with Image.open(SAMPLE / "invoices" / tiffs[0]) as tiff:
        assert getattr(tiff, "n_frames", 1) >= 2  # n_frames: TIFF only


@pytest.mark.parametrize("folder", ["invoices", "captchas"])
def test_every_document_has_expected_values(folder: str) -> None:
    documents = sorted((SAMPLE / folder).iterdir())
    assert documents
    for document in documents:
        expected = json.loads(expected_path(document, SAMPLE).read_text(encoding="utf-8"))
        if folder == "invoices":
            assert expected["invoice_number"] and expected["lines"]
            assert expected["_source_file"] == document.name
        else:
            assert expected["text"].isalnum()
    names = {p.name for p in (SAMPLE / "expected" / folder).iterdir()}
    assert names == {d.name + ".expected.json" for d in documents}
