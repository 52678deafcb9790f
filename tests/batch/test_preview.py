"""Dry runs: what would be sent, against a loopback server that must see no request at all."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

import ocrframe
from ocrframe._batch.preview import Preview
from tools.synth.einvoices import attach

# The smallest CII e-invoice the reader takes (an invoice number, a date, a total).
_CII = b"""<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossIndustryInvoice
  xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
  xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
  xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100">
  <rsm:ExchangedDocument><ram:ID>X-9</ram:ID><ram:TypeCode>380</ram:TypeCode>
    <ram:IssueDateTime><udt:DateTimeString format="102">20240301</udt:DateTimeString>
    </ram:IssueDateTime></rsm:ExchangedDocument>
  <rsm:SupplyChainTradeTransaction><ram:ApplicableHeaderTradeSettlement>
    <ram:SpecifiedTradeSettlementHeaderMonetarySummation>
      <ram:GrandTotalAmount>12.00</ram:GrandTotalAmount>
    </ram:SpecifiedTradeSettlementHeaderMonetarySummation>
  </ram:ApplicableHeaderTradeSettlement></rsm:SupplyChainTradeTransaction>
</rsm:CrossIndustryInvoice>"""


def _folder(tmp_path: Path, make: Any) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.pdf").write_bytes(make.pdf("Total 1.00", "Page two"))
    (folder / "b.png").write_bytes(make.png("hello"))
    (folder / "c.tif").write_bytes(make.tiff("one", "two", "three"))
    (folder / "empty.pdf").write_bytes(b"")
    return folder


def test_dry_run_sends_nothing_and_says_what_would_be_sent(
    tmp_path: Path, make: Any, engine_server: Callable[..., Any]
) -> None:
    folder = _folder(tmp_path, make)
    server = engine_server()
    cache = tmp_path / "cache.sqlite3"
    # a.pdf was answered before (a text layer: read without OCR): it is in the cache.
    ocrframe.extract(
        folder / "a.pdf", model="text", base_url=server.url, cache=cache, progress=False
    )
    server.clear_log()

    preview = ocrframe.extract(
        folder, model="text", base_url=server.url, cache=cache, dry_run=True, progress=False
    )
    assert server.request_log() == []
    assert isinstance(preview, Preview) and isinstance(preview, ocrframe.Extraction)
    files = preview.files.set_index("source")
    a_row = pd.Series(files.loc["a.pdf", ["kind", "pages", "cached", "action", "requests"]])
    assert a_row.tolist() == ["pdf", 2, True, "cached", 0]
    b_row = pd.Series(files.loc["b.png", ["kind", "pages", "action", "requests"]])
    assert b_row.tolist() == ["png", 1, "send", 1]
    assert files.loc["c.tif", "pages"] == 3
    empty_row = pd.Series(files.loc["empty.pdf", ["action", "error_code"]])
    assert empty_row.tolist() == ["fail", "empty"]
    assert files.loc["a.pdf", "bytes"] == (folder / "a.pdf").stat().st_size
    assert preview.requests == 2
    summary = preview.summary()
    assert "4 files" in summary and "1 answered before (cached)" in summary
    assert "2 requests would be sent" in summary
    assert preview.documents.empty  # nothing was read

    # CapSolver splits a multi-page file into page images: one request per page asked.
    caps = ocrframe.extract(
        folder,
        service="capsolver",
        model="common",
        pages="2-3",
        base_url=server.url,
        cache=cache,
        dry_run=True,
    )
    assert server.request_log() == []
    assert isinstance(caps, Preview)
    pages = caps.files[caps.files["source"] == "c.tif"]
    assert pages["page"].tolist() == [2, 3] and pages["requests"].tolist() == [1, 1]
    assert caps.files.set_index("source").loc["a.pdf", "action"] == "send"  # another service


def test_cli_dry_run_sends_nothing(
    tmp_path: Path, make: Any, engine_server: Callable[..., Any]
) -> None:
    folder = _folder(tmp_path, make)
    server = engine_server()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DOCAI_", "CAPSOLVER_"))}
    env["OCRFRAME_CACHE_DIR"] = str(tmp_path / "cache")
    command = [
        sys.executable,
        "-c",
        "from ocrframe.cli import main; main()",
        "extract",
        str(folder),
        "--model",
        "text",
        "--base-url",
        server.url,
        "--dry-run",
    ]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert server.request_log() == []
    assert "send   a.pdf (pdf, 2 pages," in done.stdout
    assert "fail   empty.pdf (empty:" in done.stdout
    assert "3 requests would be sent" in done.stdout
    assert not (tmp_path / "out").exists()


def test_dry_run_counts_e_invoices_read_here_as_not_sent(
    tmp_path: Path, make: Any, engine_server: Callable[..., Any]
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "e.pdf").write_bytes(attach(make.pdf("Invoice X-9"), {"factur-x.xml": _CII}))
    (folder / "plain.pdf").write_bytes(make.pdf("Invoice P-1"))
    server = engine_server()
    preview = ocrframe.extract(
        folder, model="text", base_url=server.url, einvoice="local", dry_run=True, cache=False
    )
    assert server.request_log() == []
    assert isinstance(preview, Preview)
    actions = dict(zip(preview.files["source"], preview.files["action"], strict=True))
    assert actions == {"e.pdf": "local", "plain.pdf": "send"}
    assert preview.requests == 1
    # What the dry run promised is what a run does: only the plain PDF reaches the server.
    ocrframe.extract(folder, model="text", base_url=server.url, einvoice="local", cache=False)
    assert len(server.request_log()) == 1
