"""The Parquet dataset: round trip, metadata, adding runs without duplicates, streaming, DuckDB."""

from __future__ import annotations

import copy
import doctest
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq
import pytest

import ocrframe._frames.dataset as parquet
from ocrframe._frames import SCHEMAS, TABLES, Extraction, ParquetDatasetWriter, read_parquet
from ocrframe._records import DocumentRecord
from ocrframe.errors import ConfigurationError


def _invoice(seed: dict[str, Any], n: int, *, status: str = "1") -> dict[str, Any]:
    """The seed answer with the first line total changed so that each invoice sums differently."""
    answer = copy.deepcopy(seed)
    answer["data"]["fileId"] = f"F{n}"
    answer["data"]["recognizeStatus"] = status
    answer["data"]["result"]["itemList"][0][0]["value"] = f"{100 + n}.{n % 100:02d}"
    return answer


def _records(seed: dict[str, Any], names: range, **kw: Any) -> list[DocumentRecord]:
    return [
        DocumentRecord(
            source=f"inv/{n:04d}.pdf",
            service="docai",
            model="M1",
            sha256=f"{n:064x}",
            bytes=1000 + n,
            response=_invoice(seed, n, **kw),
            submitted_at=datetime(2026, 11, 21, 16, 0, n % 60, tzinfo=UTC),
            elapsed_s=0.25,
        )
        for n in names
    ]


def _files(root: Path, table: str) -> list[Path]:
    return sorted((root / table).glob("*.parquet"))


def test_round_trip_with_unicode(
    tmp_path: Path, seed_answer: dict[str, Any], capsolver_answer: dict[str, Any]
) -> None:
    seed_answer["data"]["result"]["itemList"][0][3]["value"] = (
        "Bremszüge vorne & hinten — 前后刹车线 ✓"
    )
    capsolver_answer["solution"]["text"] = "Ünïcödé 文字 🚲"
    records = [
        *_records(seed_answer, range(2)),
        DocumentRecord(source="scans/é.png", service="capsolver", model="common", page=1,
                       response=capsolver_answer, cached=True),
        DocumentRecord(source="bad.pdf", service="docai", error_code="corrupt",
                       error_message="fichier endommagé"),
    ]  # fmt: skip
    ex = Extraction.from_responses(records)
    ex.to_parquet(tmp_path)
    back = read_parquet(tmp_path)
    assert back.equals(ex)
    for name in TABLES:
        assert [str(t) for t in getattr(back, name).dtypes] == [
            str(t) for t in getattr(ex, name).dtypes
        ]
    assert "前后刹车线" in back.items["value"].str.cat()
    assert back.texts["text"].tolist() == ["Ünïcödé 文字 🚲"]


def test_round_trip_empty(tmp_path: Path) -> None:
    Extraction.empty().to_parquet(tmp_path)
    for name in TABLES:
        files = _files(tmp_path, name)
        assert len(files) == 1
        assert pq.read_schema(files[0]).remove_metadata().equals(SCHEMAS[name])
    assert read_parquet(tmp_path).equals(Extraction.empty())
    # A folder that is not a dataset reads as empty tables with the full schemas.
    assert read_parquet(tmp_path / "nothing").equals(Extraction.empty())


def test_only_documents_and_no_cells(tmp_path: Path) -> None:
    ex = Extraction.from_records([DocumentRecord(source="x.pdf", service="docai")])
    ex.to_parquet(tmp_path)
    assert read_parquet(tmp_path).equals(ex)


def test_metadata_and_no_key(tmp_path: Path, seed_answer: dict[str, Any]) -> None:
    from ocrframe.errors import register_secret

    key = "sk-docai-secret-key-0001"
    register_secret(key)
    rec = DocumentRecord(
        source="a.pdf",
        service="docai",
        model="M1",
        response={"code": 401, "message": f"Bearer {key} rejected", "requestId": "R"},
        options={"pages": "1-1"},
    )
    Extraction.from_responses([*_records(seed_answer, range(1)), rec]).to_parquet(tmp_path)
    for name in TABLES:
        (file,) = _files(tmp_path, name)
        meta = {k.decode(): v.decode() for k, v in pq.read_schema(file).metadata.items()}
        assert set(meta) == {
            "ocrframe.version", "ocrframe.table", "ocrframe.service", "ocrframe.model",
            "ocrframe.created_at",
        }  # fmt: skip
        assert meta["ocrframe.table"] == name
        assert meta["ocrframe.service"] == "docai" and meta["ocrframe.model"] == "M1"
        assert meta["ocrframe.version"] == "0.1.0"
        assert datetime.fromisoformat(meta["ocrframe.created_at"]).tzinfo is not None
        assert key.encode() not in file.read_bytes()


def test_later_run_adds_without_duplicates(tmp_path: Path, seed_answer: dict[str, Any]) -> None:
    first = Extraction.from_records(_records(seed_answer, range(0, 3)))
    first.to_parquet(tmp_path)
    second = Extraction.from_records(_records(seed_answer, range(2, 5)))  # 2 already there
    with ParquetDatasetWriter(tmp_path) as writer:
        assert writer.append(second) == 2
    assert (writer.written, writer.skipped, writer.replaced) == (2, 1, 0)
    back = read_parquet(tmp_path)
    assert back.documents["source"].tolist() == [f"inv/{n:04d}.pdf" for n in range(5)]
    assert back.fields.groupby("source").size().tolist() == [7] * 5
    assert len(back.items) == 5 * 15
    # Same content again: nothing new at all, no new part.
    parts_before = _files(tmp_path, "documents")
    first.to_parquet(tmp_path, mode="append")
    assert _files(tmp_path, "documents") == parts_before
    assert read_parquet(tmp_path).equals(back)


def test_changed_file_is_a_new_document(tmp_path: Path, seed_answer: dict[str, Any]) -> None:
    Extraction.from_records(_records(seed_answer, range(1))).to_parquet(tmp_path)
    (rec,) = _records(seed_answer, range(1))
    rec.sha256 = "f" * 64  # same path, new content
    Extraction.from_records([rec]).to_parquet(tmp_path, mode="append")
    assert read_parquet(tmp_path).documents["sha256"].tolist() == ["0" * 64, "f" * 64]


def test_failed_or_pending_document_is_replaced(
    tmp_path: Path, seed_answer: dict[str, Any]
) -> None:
    pending = _records(seed_answer, range(2), status="2")
    failed = DocumentRecord(source="c.pdf", service="docai", sha256="c" * 64, error_code="timeout")
    Extraction.from_records([*pending, failed]).to_parquet(tmp_path)
    assert read_parquet(tmp_path).documents["status"].tolist() == ["failed", "pending", "pending"]

    done = _records(seed_answer, range(1))  # the first one is now recognised
    with ParquetDatasetWriter(tmp_path) as writer:
        writer.append(Extraction.from_records(done))
    assert writer.replaced == 1
    back = read_parquet(tmp_path)
    statuses = dict(zip(back.documents["source"], back.documents["status"], strict=True))
    assert statuses == {"inv/0000.pdf": "ok", "inv/0001.pdf": "pending", "c.pdf": "failed"}
    assert len(back.documents) == 3
    # The old (pending) rows of the replaced document are gone from every table.
    assert back.fields.groupby("source").size().to_dict() == {"inv/0000.pdf": 7, "inv/0001.pdf": 7}
    assert len(back.items[back.items["source"] == "inv/0000.pdf"]) == 15


def test_streaming_writer_parts_and_flat_chunks(
    tmp_path: Path, seed_answer: dict[str, Any]
) -> None:
    records = _records(seed_answer, range(25))
    chunks = [Extraction.from_records(records[i : i + 4]) for i in range(0, 25, 4)]
    with ParquetDatasetWriter(tmp_path, flush_rows=30, part_documents=10) as writer:
        for chunk in chunks:
            writer.append(chunk)
            # Nothing half-written is visible to readers while the run goes on.
            assert all(p.suffix == ".parquet" for p in (tmp_path / "items").glob("*.parquet"))
    parts = _files(tmp_path, "documents")
    assert len(parts) == 3  # 12 + 12 + 1 documents (a part closes once it reaches 10)
    for name in TABLES:
        assert [p.name for p in _files(tmp_path, name)] == [p.name for p in parts]
    assert not list(tmp_path.rglob("*.tmp"))
    assert pq.ParquetFile(_files(tmp_path, "items")[0]).num_row_groups > 1
    assert read_parquet(tmp_path).equals(Extraction.concat(chunks))


def test_writer_refuses_append_after_close(tmp_path: Path) -> None:
    writer = ParquetDatasetWriter(tmp_path)
    writer.close()
    writer.close()  # idempotent
    with pytest.raises(ValueError, match="closed"):
        writer.append(Extraction.empty())


def test_duckdb_sums_match_pandas(tmp_path: Path, seed_answer: dict[str, Any]) -> None:
    first = Extraction.from_records(_records(seed_answer, range(0, 6)))
    second = Extraction.from_records(_records(seed_answer, range(4, 12)))
    first.to_parquet(tmp_path)
    second.to_parquet(tmp_path, mode="append")
    ex = read_parquet(tmp_path)
    totals = ex.items[ex.items["key"] == "totalPriceInclTax"]
    by_pandas = {src: Decimal(v) for src, v in totals.groupby("source")["number"].sum().items()}
    relation = duckdb.sql(
        f"""
        SELECT source, sum(number) AS total
        FROM read_parquet('{tmp_path / "items"}/*.parquet')
        WHERE key = 'totalPriceInclTax'
        GROUP BY source ORDER BY source
        """
    )
    assert relation is not None
    rows = relation.fetchall()
    by_duckdb = {src: Decimal(total) for src, total in rows}
    assert len(by_duckdb) == 12
    assert by_duckdb == by_pandas
    assert by_duckdb["inv/0003.pdf"] == Decimal("148.03")  # 103.03 + 30.00 + 15.00
    counting = duckdb.sql(
        f"SELECT count(*) FROM read_parquet('{tmp_path / 'documents'}/*.parquet')"
    )
    assert counting is not None
    counted = counting.fetchall()
    assert counted == [(12,)]


def test_docstring_examples() -> None:
    assert doctest.testmod(parquet).failed == 0


def _captcha_pages(statuses: list[str], sha: str = "9" * 64) -> list[DocumentRecord]:
    out = []
    for page, status in enumerate(statuses, start=1):
        if status == "ok":
            response: dict[str, Any] = {"errorId": 0, "status": "ready", "taskId": f"T{page}",
                                        "solution": {"text": f"page {page}"}}  # fmt: skip
        else:
            response = {"errorId": 1, "errorCode": "ERROR_CAPTCHA_UNSOLVABLE", "taskId": f"T{page}"}
        out.append(
            DocumentRecord(
                source="scan.pdf",
                service="capsolver",
                model="common",
                sha256=sha,
                page=page,
                pages=len(statuses),
                response=response,
            )
        )
    return out


def test_capsolver_pages_are_separate_documents(tmp_path: Path) -> None:
    Extraction.from_records(_captcha_pages(["ok", "failed", "ok"])).to_parquet(tmp_path)
    back = read_parquet(tmp_path)
    assert back.documents["page"].tolist() == [1, 2, 3]
    assert back.texts["page"].tolist() == [1, 3]
    # A later run: page 2 now solved, pages 1 and 3 sent again (already ok: skipped).
    with ParquetDatasetWriter(tmp_path) as writer:
        writer.append(Extraction.from_records(_captcha_pages(["ok", "ok", "ok"])))
    assert (writer.written, writer.skipped, writer.replaced) == (1, 2, 1)
    back = read_parquet(tmp_path)
    docs = back.documents.sort_values("page")
    assert docs["page"].tolist() == [1, 2, 3]
    assert docs["status"].tolist() == ["ok", "ok", "ok"]
    assert sorted(back.texts["text"]) == ["page 1", "page 2", "page 3"]


def test_overwrite_is_the_default_and_round_trips_every_time(
    tmp_path: Path, seed_answer: dict[str, Any]
) -> None:
    first = Extraction.from_records(_records(seed_answer, range(0, 3)))
    first.to_parquet(tmp_path)
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    # A later run with other answers (a fresh cache, refresh=True): the dataset is that run.
    changed = copy.deepcopy(seed_answer)
    changed["data"]["result"]["fieldList"][0]["value"] = "Payment within 30 days"
    second = Extraction.from_records(_records(changed, range(1, 4)))
    for _ in range(2):
        second.to_parquet(tmp_path)
        assert read_parquet(tmp_path).equals(second)
        assert len(_files(tmp_path, "documents")) == 1
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "mine"
    Extraction.empty().to_parquet(tmp_path)
    assert read_parquet(tmp_path).equals(Extraction.empty())
    for name in TABLES:
        assert len(_files(tmp_path, name)) == 1  # an empty part: readers still find a schema


def test_append_adds_and_an_unknown_mode_is_refused(
    tmp_path: Path, seed_answer: dict[str, Any]
) -> None:
    Extraction.from_records(_records(seed_answer, range(0, 2))).to_parquet(tmp_path)
    Extraction.from_records(_records(seed_answer, range(2, 3))).to_parquet(tmp_path, mode="append")
    assert len(read_parquet(tmp_path).documents) == 3
    with pytest.raises(ConfigurationError, match="mode"):
        Extraction.empty().to_parquet(tmp_path, mode="replace")  # type: ignore[arg-type]


def test_a_dataset_written_before_the_warnings_column_still_reads(
    tmp_path: Path, seed_answer: dict[str, Any]
) -> None:
    ex = Extraction.from_records(_records(seed_answer, range(0, 2)))
    ex.to_parquet(tmp_path)
    (file,) = _files(tmp_path, "documents")
    pq.write_table(pq.read_table(file).drop_columns(["warnings"]), file)
    back = read_parquet(tmp_path)
    assert back.documents["warnings"].isna().all()
    assert back.fields.equals(ex.fields)
