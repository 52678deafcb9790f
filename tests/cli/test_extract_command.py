"""`ocrframe extract` and `ocrframe models` through click's CliRunner (the embedded engine)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import ocrframe
from ocrframe.cli import main


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("OCRFRAME_CACHE_DIR", str(tmp_path / "cache"))
    return CliRunner()


def test_extract_summary_and_exit_status(tmp_path: Path, runner: CliRunner, make: Any) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.pdf").write_bytes(make.pdf("Total 12.50"))
    (folder / "b.pdf").write_bytes(make.pdf("Total 99.00"))
    args = ["extract", str(folder), "--model", "text", "--out", str(tmp_path / "out")]
    ok = runner.invoke(main, [*args, "--no-progress"])
    assert ok.exit_code == 0, ok.output
    assert "2 documents: 2 ok, 0 failed, 0 pending (0 from the cache" in ok.output
    assert f"dataset: {tmp_path / 'out'}" in ok.output
    assert len(ocrframe.read_parquet(tmp_path / "out").fields) == 2

    (folder / "broken.pdf").write_bytes(b"%PDF-1.4 nothing else")
    failed = runner.invoke(main, [*args, "--no-progress"])
    assert failed.exit_code == 1
    assert "3 documents: 2 ok, 1 failed, 0 pending (2 from the cache" in failed.output
    assert "failed: broken.pdf: corrupt:" in failed.output


@pytest.mark.parametrize(
    "extra",
    [
        ["--pages", "3-1"],
        ["--service", "capsolver", "--workspace", "w"],
        ["--concurrency", "0"],
        ["--cache", "x.sqlite3", "--no-cache"],
    ],
)
def test_usage_errors_exit_2(tmp_path: Path, runner: CliRunner, extra: list[str]) -> None:
    (tmp_path / "in").mkdir()
    result = runner.invoke(
        main, ["extract", str(tmp_path / "in"), "--out", str(tmp_path / "out"), *extra]
    )
    assert result.exit_code == 2, result.output


def test_extract_requires_out_and_an_existing_folder(tmp_path: Path, runner: CliRunner) -> None:
    assert runner.invoke(main, ["extract", str(tmp_path)]).exit_code == 2
    missing = runner.invoke(main, ["extract", str(tmp_path / "nope"), "--out", str(tmp_path)])
    assert missing.exit_code == 2


def test_models_lists_the_engines_models_without_a_key(runner: CliRunner) -> None:
    result = runner.invoke(main, ["models"])
    assert result.exit_code == 0, result.output
    ids = [line.split("\t")[0] for line in result.output.splitlines() if "\t" in line]
    assert {"invoice", "text"} <= set(ids)
    cap = runner.invoke(main, ["models", "--service", "capsolver"])
    assert cap.exit_code == 0 and "common" in cap.output


def _invoice_pdf(net: str, tax: str, gross: str) -> bytes:
    """A born-digital invoice whose totals the embedded engine reads (labels left, amounts
    right)."""
    import io

    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=(595, 842))
    y = 780
    for label, value in [
        ("Invoice number", "INV-1"),
        ("Invoice date", "2024-01-15"),
        ("Subtotal", net),
        ("Tax", tax),
        ("Total", gross),
    ]:
        page.drawString(60, y, label)
        page.drawRightString(500, y, value)
        y -= 24
    page.showPage()
    page.save()
    return buffer.getvalue()


def test_the_summary_counts_documents_that_fail_a_check(tmp_path: Path, runner: CliRunner) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "good.pdf").write_bytes(_invoice_pdf("100.00", "19.00", "119.00"))
    (folder / "bad.pdf").write_bytes(_invoice_pdf("100.00", "19.00", "120.00"))
    out = tmp_path / "out"
    result = runner.invoke(
        main, ["extract", str(folder), "--model", "invoice", "--out", str(out), "--no-progress"]
    )
    # Reading worked (exit 0); the arithmetic of one invoice does not hold, and the summary says so.
    assert result.exit_code == 0, result.output
    assert "1 documents failed a check" in result.output
    assert "check failed: bad.pdf: net_plus_tax_is_gross (difference 1.00)" in result.output
    checks = ocrframe.read_parquet(out).checks()
    failed = checks[checks["result"] == "fail"]
    assert failed[["source", "check"]].values.tolist() == [["bad.pdf", "net_plus_tax_is_gross"]]


def test_an_empty_input_says_so_and_exits_non_zero(tmp_path: Path, runner: CliRunner) -> None:
    folder = tmp_path / "empty"
    folder.mkdir()
    (folder / ".hidden.pdf").write_bytes(b"%PDF-1.4")
    result = runner.invoke(
        main, ["extract", str(folder), "--out", str(tmp_path / "out"), "--no-progress"]
    )
    assert result.exit_code == 1
    assert "no documents found in" in result.output
    assert "--include-hidden" in result.output


def test_pages_beyond_the_file_are_a_warning_in_the_summary(
    tmp_path: Path, runner: CliRunner, make: Any
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.pdf").write_bytes(make.pdf("Total 12.50", "Page two"))
    result = runner.invoke(
        main,
        ["extract", str(folder), "--model", "text", "--pages", "5", "--out",
         str(tmp_path / "out"), "--no-progress"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "1 documents with warnings" in result.output
    assert "warning: a.pdf: page 5 asked, the file has 2; nothing found" in result.output
