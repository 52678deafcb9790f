"""``einvoice="local"``: e-invoices answered from their own XML, in front of a real server.

The server is ``ocrframe serve`` on loopback; its request log shows which files were sent.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import ocrframe
from ocrframe._batch import make_options
from ocrframe.errors import ConfigurationError
from tools.synth.einvoices import attach

IDENTIFY = "/api/identify/file/v2/identifyByEncodeString"


def _cii(number: str, total: str) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossIndustryInvoice
  xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
  xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
  xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100">
  <rsm:ExchangedDocumentContext><ram:GuidelineSpecifiedDocumentContextParameter>
    <ram:ID>urn:cen.eu:en16931:2017</ram:ID>
  </ram:GuidelineSpecifiedDocumentContextParameter></rsm:ExchangedDocumentContext>
  <rsm:ExchangedDocument><ram:ID>{number}</ram:ID><ram:TypeCode>380</ram:TypeCode>
    <ram:IssueDateTime><udt:DateTimeString format="102">20240301</udt:DateTimeString>
    </ram:IssueDateTime></rsm:ExchangedDocument>
  <rsm:SupplyChainTradeTransaction><ram:ApplicableHeaderTradeSettlement>
    <ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>
    <ram:SpecifiedTradeSettlementHeaderMonetarySummation>
      <ram:GrandTotalAmount>{total}</ram:GrandTotalAmount>
    </ram:SpecifiedTradeSettlementHeaderMonetarySummation>
  </ram:ApplicableHeaderTradeSettlement></rsm:SupplyChainTradeTransaction>
</rsm:CrossIndustryInvoice>""".encode()


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def folder(tmp_path: Path, make: Any) -> dict[str, Path]:
    """Two e-invoices, two plain PDFs and one whose attached XML is broken."""
    root = tmp_path / "in"
    root.mkdir()
    files = {
        "e1": attach(make.pdf("Invoice E-1"), {"factur-x.xml": _cii("E-1", "119.00")}),
        "e2": attach(make.pdf("Rechnung E-2"), {"factur-x.xml": _cii("E-2", "-5.50")}),
        "plain1": make.pdf("Invoice P-1"),
        "plain2": make.pdf("Invoice P-2"),
        "broken": attach(make.pdf("Invoice B-1"), {"factur-x.xml": _cii("B-1", "1.00")[:600]}),
    }
    paths = {}
    for name, data in files.items():
        paths[name] = root / f"{name}.pdf"
        paths[name].write_bytes(data)
    return paths


def _sent(server: Any) -> set[str]:
    log: list[dict[str, Any]] = server.request_log()
    return {e["sha256"] for e in log if e["path"] == IDENTIFY and e["sha256"]}


async def test_local_einvoices_are_not_sent_and_say_so(
    tmp_path: Path, folder: dict[str, Path], engine_server: Callable[..., Any]
) -> None:
    server = engine_server()
    shas = {name: _sha(path) for name, path in folder.items()}
    common: dict[str, Any] = {
        "service": "docai",
        "model": "invoice",
        "base_url": server.url,
        "cache": tmp_path / "cache.sqlite3",
        "progress": False,
    }

    ex = await ocrframe.extract_async(tmp_path / "in", einvoice="local", **common)
    assert _sent(server) == {shas["plain1"], shas["plain2"], shas["broken"]}
    docs = ex.documents.set_index("source")
    assert docs["status"].tolist() == ["ok"] * 5, docs["error_message"]
    assert docs.loc["e1.pdf", "read_locally"] == "einvoice-xml"
    assert docs.loc["e2.pdf", "read_locally"] == "einvoice-xml"
    sent_here = docs["read_locally"].isna()
    assert sent_here.to_dict() == {
        "e1.pdf": False,
        "e2.pdf": False,
        "plain1.pdf": True,
        "plain2.pdf": True,
        "broken.pdf": True,
    }
    assert docs["attempts"].to_dict() == {n: int(s) for n, s in sent_here.items()}
    assert docs["request_id"].isna().to_dict() == {n: not s for n, s in sent_here.items()}
    fields = ex.fields.pivot_table(index="source", columns="key", values="value", aggfunc="first")
    assert fields.loc["e1.pdf", "invoiceNumber"] == "E-1"
    assert fields.loc["e2.pdf", "grossAmount"] == "-5.50"
    assert fields.loc["e1.pdf", "readFrom"] == "einvoice-xml"
    # the broken attachment went to the service, which read the page and said why not the XML
    assert str(fields.loc["broken.pdf", "einvoiceError"]).startswith("attachment 'factur-x.xml'")

    # The default sends every file: the local answers in the cache do not stand in for the
    # service's (their key differs); the plain files are answered from the cache.
    server.clear_log()
    ex = await ocrframe.extract_async(tmp_path / "in", **common)
    assert _sent(server) == {shas["e1"], shas["e2"]}
    docs = ex.documents.set_index("source")
    assert docs["read_locally"].isna().all()
    assert docs.loc["plain1.pdf", "cached"]
    assert not docs.loc["e1.pdf", "cached"] and docs.loc["e1.pdf", "attempts"] == 1

    # Local again: nothing at all is sent.
    server.clear_log()
    ex = await ocrframe.extract_async(tmp_path / "in", einvoice="local", **common)
    assert _sent(server) == set()
    assert (ex.documents.set_index("source")["read_locally"].dropna().index.tolist()) == [
        "e1.pdf",
        "e2.pdf",
    ]


async def test_pages_without_the_first_send_the_e_invoices(
    tmp_path: Path, folder: dict[str, Path], engine_server: Callable[..., Any]
) -> None:
    server = engine_server()
    ex = await ocrframe.extract_async(
        tmp_path / "in",
        service="docai",
        model="invoice",
        base_url=server.url,
        pages="2-2",
        einvoice="local",
        cache=False,
        progress=False,
    )
    assert _sent(server) == {_sha(p) for p in folder.values()}
    assert ex.documents["read_locally"].isna().all()


def test_the_option_is_checked() -> None:
    assert make_options().einvoice == "remote"
    assert make_options(einvoice="local").einvoice == "local"
    with pytest.raises(ConfigurationError, match="einvoice must be 'remote' or 'local'"):
        make_options(einvoice="yes")
    with pytest.raises(ConfigurationError, match="einvoice is a DocAI option"):
        make_options(service="capsolver", einvoice="local")


def test_the_cli_flag(
    tmp_path: Path, folder: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from ocrframe.cli import main

    monkeypatch.setenv("OCRFRAME_CACHE_DIR", str(tmp_path / "cache"))
    args = ["extract", str(tmp_path / "in"), "--out", str(tmp_path / "out"), "--no-progress"]
    result = CliRunner().invoke(main, [*args, "--einvoice", "local"])
    assert result.exit_code == 0, result.output
    assert "5 documents: 5 ok" in result.output
    assert "2 read here from their embedded e-invoice (not sent)" in result.output
    docs = ocrframe.read_parquet(tmp_path / "out").documents
    assert sorted(docs.loc[docs["read_locally"].notna(), "source"]) == ["e1.pdf", "e2.pdf"]
    wrong = CliRunner().invoke(main, [*args, "--service", "capsolver", "--einvoice", "local"])
    assert wrong.exit_code == 2 and "einvoice is a DocAI option" in wrong.output


def test_a_local_answer_reads_like_the_services_and_says_it_is_local() -> None:
    from ocrframe.services import read
    from ocrframe.services.docai import local_answer

    result = {"fieldList": [{"pageNumber": 1, "key": "invoiceNumber", "value": "E-1"}]}
    reading = read("docai", local_answer(result, file_id="local-1", read_from="einvoice-xml"))
    assert (reading.status, reading.file_id, reading.request_id) == ("ok", "local-1", None)
    assert reading.read_locally == "einvoice-xml"
    assert reading.fields is not None and reading.fields.values == ["E-1"]
    answer = {"code": 200, "data": {"fileId": "f", "recognizeStatus": "1", "result": result}}
    assert read("docai", answer).read_locally is None
