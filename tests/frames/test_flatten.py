"""Raw answers -> tables: the seed's example, stable schemas, statuses, malformed answers."""

from __future__ import annotations

import copy
import doctest
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest

import ocrframe._frames.extraction as frames
import ocrframe._frames.flatten as flatten
import ocrframe._frames.schemas as schemas
import ocrframe.services as services
from ocrframe._frames import SCHEMAS, TABLES, Extraction, empty_frame
from ocrframe._records import DocumentRecord
from ocrframe.services import _capsolver_answers, _docai_answers, _reading


def _docai(
    result: Any, *, status: Any = "1", file_id: str = "F1", code: Any = 200
) -> dict[str, Any]:
    return {
        "code": code,
        "message": None,
        "costTime": None,
        "data": {"fileId": file_id, "recognizeStatus": status, "result": result},
        "requestId": "R1",
        "currentTimeMillis": 1696859401185,
    }


def _cell(key: Any, value: Any, page: Any = 1) -> dict[str, Any]:
    return {"pageNumber": page, "key": key, "value": value}


# --- the seed's example ------------------------------------------------------------------------


def test_seed_example_exact(seed_answer: dict[str, Any]) -> None:
    ex = Extraction.from_responses({"invoice.pdf": seed_answer}, service="docai", model="M1")
    assert len(ex.documents) == 1
    doc = ex.documents.iloc[0]
    assert doc["status"] == "ok"
    assert doc["file_id"] == "2310091711378393918074800"
    assert doc["request_id"] == "da69edd3cb1d47b4a68db9303d280000"
    assert doc["recognize_status"] == "1"
    assert pd.isna(doc["error_code"]) and pd.isna(doc["error_message"])

    assert len(ex.fields) == 7
    assert len(ex.items) == 15
    assert ex.items.groupby("item").size().tolist() == [5, 5, 5]
    assert len(ex.taxes) == 2 and ex.taxes["tax"].tolist() == [1, 1]
    for table in (ex.fields, ex.items, ex.taxes):
        assert table["page"].tolist() == [1] * len(table)
        assert set(table["source"]) == {"invoice.pdf"}
        assert set(table["file_id"]) == {"2310091711378393918074800"}

    fields = ex.fields.set_index("key")
    gross = fields.loc["grossAmount", "number"]
    assert isinstance(gross, Decimal) and gross == Decimal("154.06")
    assert fields.loc["grossAmount", "value"] == "154.06"
    assert fields.loc["invoiceDate", "date"] == date(2019, 2, 11)
    assert fields.loc["dueDate", "date"] == date(2019, 2, 26)
    assert pd.isna(fields.loc["invoiceNumber", "number"])
    assert pd.isna(fields.loc["paymentTerms", "date"])

    taxes = ex.taxes.set_index("key")
    assert taxes.loc["taxPercentage", "number"] == Decimal("6.25")
    assert taxes.loc["taxValue", "number"] == Decimal("9.06")
    # The line totals add up exactly, with no binary float on the way.
    incl = ex.items[ex.items["key"] == "totalPriceInclTax"]["number"].sum()
    assert incl == Decimal("145.00")


def test_wide_views_of_seed_example(seed_answer: dict[str, Any]) -> None:
    ex = Extraction.from_responses({"invoice.pdf": seed_answer})
    wide = ex.items_wide()
    assert list(wide.columns) == [
        "source", "file_id", "item", "page",
        "totalPriceInclTax", "unitPrice", "quantity", "description", "totalPriceExclTax",
    ]  # fmt: skip
    assert len(wide) == 3
    assert wide["item"].tolist() == [1, 2, 3]  # counted from 1, like pages
    assert wide["description"].tolist() == [
        "Front and rear brake cables",
        "New set of pedal arms",
        "Labor 3hrs",
    ]
    # Each key column shows the decimals it was written with: "1" and "100.00".
    assert str(wide["quantity"].dtype) == "decimal128(38, 0)[pyarrow]"
    assert str(wide["unitPrice"].dtype) == "decimal128(38, 2)[pyarrow]"
    assert str(wide["description"].dtype) == "string[pyarrow]"
    assert wide["unitPrice"].tolist() == [Decimal("100"), Decimal("15"), Decimal("5")]
    taxes = ex.taxes_wide()
    assert list(taxes.columns) == ["source", "file_id", "tax", "page", "taxValue", "taxPercentage"]
    assert taxes["taxPercentage"].tolist() == [Decimal("6.25")]


def test_wide_keys_are_whatever_the_model_returned() -> None:
    answer = _docai(
        {
            "itemList": [
                [_cell("sku", "A-1"), _cell("shipDate", "11/02/2019"), _cell("weight", "1,5")],
                [_cell("sku", "B-2"), _cell("colour", "red"), _cell("shipDate", "Feb 12, 2019")],
                [_cell("sku", "C-3"), _cell("weight", "n/a"), _cell("page", "back")],
            ]
        }
    )
    wide = Extraction.from_responses([answer]).items_wide()
    assert list(wide.columns) == [
        "source", "file_id", "item", "page", "sku", "shipDate", "weight", "colour", "key:page",
    ]  # fmt: skip
    assert str(wide["shipDate"].dtype) == "date32[day][pyarrow]"
    assert wide["shipDate"].tolist()[:2] == [date(2019, 2, 11), date(2019, 2, 12)]
    assert pd.isna(wide["shipDate"].iloc[2])
    # One value of "weight" does not parse: the column stays strings, as received.
    assert str(wide["weight"].dtype) == "string[pyarrow]"
    assert wide["weight"].tolist()[0] == "1,5"
    assert wide["colour"].isna().tolist() == [True, False, True]


def test_wide_duplicate_keys_first_wins_and_is_recorded() -> None:
    answer = _docai({"itemList": [[_cell("amount", "1.00"), _cell("amount", "2.00")]]})
    ex = Extraction.from_responses({"a.pdf": answer})
    assert ex.items["value"].tolist() == ["1.00", "2.00"]  # long: both rows kept
    wide = ex.items_wide()
    assert wide["amount"].tolist() == [Decimal("1.00")]
    assert wide.attrs["duplicate_keys"] == [
        {"source": "a.pdf", "file_id": "F1", "item": 1, "key": "amount", "value": "2.00"}
    ]
    doc = ex.documents.iloc[0]
    assert doc["status"] == "ok"
    assert doc["error_code"] == "malformed_answer"
    assert "itemList[0][1].key: 'amount' repeated" in doc["error_message"]


def test_wide_page_is_smallest_page_of_the_item() -> None:
    answer = _docai(
        {"itemList": [[_cell("a", "x", 3), _cell("b", "y", 2)], [_cell("a", "z", None)]]}
    )
    wide = Extraction.from_responses([answer]).items_wide()
    assert wide["page"].tolist()[0] == 2
    assert pd.isna(wide["page"].iloc[1])


# --- schemas -----------------------------------------------------------------------------------


def _dtypes(ex: Extraction) -> dict[str, list[tuple[str, str]]]:
    # The scale of a number column follows its values (154.06 shows as 154.06): compared apart.
    return {
        name: [
            (c, "decimal" if str(t).startswith("decimal128(38,") else str(t))
            for c, t in getattr(ex, name).dtypes.items()
        ]
        for name in TABLES
    }


def test_empty_and_full_tables_have_same_columns_and_dtypes(
    seed_answer: dict[str, Any], capsolver_answer: dict[str, Any]
) -> None:
    empty = Extraction.from_responses([])
    full = Extraction.from_responses({"a.pdf": seed_answer, "b.png": capsolver_answer})
    assert _dtypes(empty) == _dtypes(full) == _dtypes(Extraction.empty())
    for name in TABLES:
        assert list(getattr(full, name).columns) == SCHEMAS[name].names
        assert _dtypes(full)[name] == _dtypes(Extraction.empty())[name]
        assert list(empty_frame(name).columns) == SCHEMAS[name].names
    assert str(full.fields["number"].dtype) == "decimal128(38, 2)[pyarrow]"
    assert str(empty.fields["number"].dtype) == "decimal128(38, 0)[pyarrow]"
    assert str(full.fields["date"].dtype) == "date32[day][pyarrow]"
    assert str(full.documents["submitted_at"].dtype) == "timestamp[us, tz=UTC][pyarrow]"


def test_expected_columns_per_design() -> None:
    assert SCHEMAS["documents"].names == [
        "source", "sha256", "bytes", "service", "model", "page", "pages", "status", "file_id",
        "task_id", "request_id", "recognize_status", "error_code", "error_message", "attempts",
        "cached", "submitted_at", "elapsed_s", "read_locally", "warnings",
    ]  # fmt: skip
    assert SCHEMAS["fields"].names == [
        "source",
        "file_id",
        "page",
        "key",
        "value",
        "number",
        "date",
    ]
    assert SCHEMAS["items"].names[:3] == ["source", "file_id", "item"]
    assert SCHEMAS["taxes"].names[:3] == ["source", "file_id", "tax"]
    assert SCHEMAS["texts"].names == ["source", "page", "task_id", "module", "text"]


# --- inputs and statuses -----------------------------------------------------------------------


def test_document_records_fill_the_documents_table(seed_answer: dict[str, Any]) -> None:
    when = datetime(2026, 11, 21, 16, 0, tzinfo=UTC)
    records = [
        DocumentRecord(
            source="dir/a.pdf",
            service="docai",
            model="M1",
            sha256="ab" * 32,
            bytes=1234,
            pages=2,
            response=seed_answer,
            attempts=2,
            cached=True,
            submitted_at=when,
            elapsed_s=0.5,
        ),
        DocumentRecord(
            source="dir/b.pdf",
            service="docai",
            model="M1",
            error_code="corrupt",
            error_message="not a PDF",
            attempts=0,
        ),
    ]
    ex = Extraction.from_records(records)
    docs = ex.documents
    assert docs["source"].tolist() == ["dir/a.pdf", "dir/b.pdf"]
    assert docs["status"].tolist() == ["ok", "failed"]
    a, b = docs.iloc[0], docs.iloc[1]
    assert (a["sha256"], a["bytes"], a["pages"], a["attempts"]) == ("ab" * 32, 1234, 2, 2)
    assert bool(a["cached"]) is True
    assert a["submitted_at"] == pd.Timestamp(when) and a["elapsed_s"] == 0.5
    assert (b["error_code"], b["error_message"]) == ("corrupt", "not a PDF")
    assert pd.isna(b["file_id"])
    assert len(ex.fields) == 7 and set(ex.fields["source"]) == {"dir/a.pdf"}


@pytest.mark.parametrize(
    ("status", "expected", "code"),
    [("1", "ok", None), ("2", "pending", None), ("0", "failed", "recognition_failed")],
)
def test_recognize_status(status: str, expected: str, code: str | None) -> None:
    answer = _docai({"fieldList": [_cell("k", "v")]}, status=status)
    doc = Extraction.from_responses([answer]).documents.iloc[0]
    assert doc["status"] == expected
    assert doc["recognize_status"] == status
    assert (None if pd.isna(doc["error_code"]) else doc["error_code"]) == code


def test_async_submission_answer_is_pending() -> None:
    answer = {"code": 200, "message": None, "data": {"fileId": "F9", "recognizeStatus": "2"},
              "requestId": "R9"}  # fmt: skip
    ex = Extraction.from_responses({"a.pdf": answer})
    doc = ex.documents.iloc[0]
    assert (doc["status"], doc["file_id"], doc["request_id"]) == ("pending", "F9", "R9")
    assert pd.isna(doc["error_code"])
    assert ex.fields.empty


def test_identify_result_list_shape() -> None:
    answer = {"code": 200, "data": [{"fileId": "F2", "recognizeStatus": "1",
              "result": {"fieldList": [_cell("k", "1")]}}], "requestId": "R2"}  # fmt: skip
    ex = Extraction.from_responses([answer])
    assert ex.documents["file_id"].tolist() == ["F2"]
    assert ex.fields["file_id"].tolist() == ["F2"]
    assert pd.isna(ex.documents["error_code"].iloc[0])


def test_service_error_envelope() -> None:
    answer = {"code": 401, "message": "token invalid", "data": None, "requestId": "R3"}
    doc = Extraction.from_responses([answer]).documents.iloc[0]
    assert (doc["status"], doc["error_code"], doc["error_message"]) == (
        "failed",
        "401",
        "token invalid",
    )
    assert doc["request_id"] == "R3"


def test_bare_data_and_bare_result_are_read(seed_answer: dict[str, Any]) -> None:
    data = seed_answer["data"]
    ex = Extraction.from_responses({"d": data, "r": data["result"]})
    assert ex.documents["status"].tolist() == ["ok", "ok"]
    assert ex.fields.groupby("source").size().to_dict() == {"d": 7, "r": 7}
    assert ex.documents["error_code"].isna().all()


def test_capsolver_answers(capsolver_answer: dict[str, Any]) -> None:
    failed = {"errorId": 1, "errorCode": "ERROR_INVALID_IMAGE", "errorDescription": "bad image",
              "taskId": "T2"}  # fmt: skip
    processing = {"errorId": 0, "status": "processing", "taskId": "T3"}
    records = [
        DocumentRecord(source="scan.pdf", service="capsolver", model="common", page=1,
                       pages=2, response=capsolver_answer),
        DocumentRecord(source="scan.pdf", service="capsolver", model="common", page=2,
                       pages=2, response=failed),
        DocumentRecord(source="c.png", service="capsolver", model="queueit", response=processing),
    ]  # fmt: skip
    ex = Extraction.from_responses(records)
    docs = ex.documents
    # In the documented order: by source, then page.
    assert docs["source"].tolist() == ["c.png", "scan.pdf", "scan.pdf"]
    assert docs["status"].tolist() == ["pending", "ok", "failed"]
    assert docs["page"].tolist()[1:] == [1, 2]
    assert docs["task_id"].tolist() == ["T3", capsolver_answer["taskId"], "T2"]
    assert docs["error_code"].tolist()[2] == "ERROR_INVALID_IMAGE"
    assert docs["error_message"].tolist()[2] == "bad image"
    texts = ex.texts
    assert texts.to_dict("records") == [
        {"source": "scan.pdf", "page": 1, "task_id": capsolver_answer["taskId"],
         "module": "common", "text": "44795sds"}
    ]  # fmt: skip


def test_raw_capsolver_answer_detected_without_service(capsolver_answer: dict[str, Any]) -> None:
    ex = Extraction.from_responses([capsolver_answer], model="common")
    assert ex.documents["service"].tolist() == ["capsolver"]
    assert ex.texts["text"].tolist() == ["44795sds"]
    assert ex.texts["source"].tolist() == ["#0"]


def test_no_answer_without_error_is_failed() -> None:
    ex = Extraction.from_records([DocumentRecord(source="x.pdf", service="docai")])
    doc = ex.documents.iloc[0]
    assert (doc["status"], doc["error_code"]) == ("failed", "no_answer")


def test_secrets_do_not_reach_error_messages() -> None:
    from ocrframe.errors import register_secret

    register_secret("sk-test-secret-123456")
    answer = {"code": 401, "message": "key sk-test-secret-123456 denied", "requestId": "R"}
    doc = Extraction.from_responses([answer]).documents.iloc[0]
    assert "sk-test-secret-123456" not in doc["error_message"]


# --- malformed answers -------------------------------------------------------------------------


MALFORMED_CASES: list[tuple[str, Any, int, str | None]] = [
    # (name, result, expected field rows, expected note fragment or None for no note)
    ("fieldList null", {"fieldList": None}, 0, None),
    ("fieldList missing", {"itemList": []}, 0, None),
    ("fieldList not a list", {"fieldList": {"key": "a"}}, 0, "data.result.fieldList: not a list"),
    ("cell not an object", {"fieldList": ["oops", _cell("a", "1")]}, 1, "[0]: not an object"),
    ("cell without key", {"fieldList": [{"pageNumber": 1, "value": "1"}]}, 1, "[0].key: missing"),
    ("page missing", {"fieldList": [{"key": "a", "value": "1"}]}, 1, "[0].pageNumber: missing"),
    ("page zero", {"fieldList": [_cell("a", "1", 0)]}, 1, "pageNumber: not a positive integer (0)"),
    ("page negative", {"fieldList": [_cell("a", "1", -2)]}, 1, "not a positive integer (-2)"),
    ("page text", {"fieldList": [_cell("a", "1", "one")]}, 1, "not a positive integer ('one')"),
    ("page float", {"fieldList": [_cell("a", "1", 1.5)]}, 1, "not a positive integer (1.5)"),
    ("page bool", {"fieldList": [_cell("a", "1", True)]}, 1, "not a positive integer (True)"),
    ("value number", {"fieldList": [_cell("a", 154.06)]}, 1, "value: not a string (float)"),
    ("value null", {"fieldList": [_cell("a", None)]}, 1, None),
    ("result not object", ["x"], 0, "data.result: not an object"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "result", "rows", "note"), MALFORMED_CASES)
def test_malformed_answers_never_raise(name: str, result: Any, rows: int, note: str | None) -> None:
    ex = Extraction.from_responses({"a.pdf": _docai(result)})
    doc = ex.documents.iloc[0]
    assert doc["status"] == "ok", name
    assert len(ex.fields) == rows, name
    if note is None:
        assert pd.isna(doc["error_code"]), name
    else:
        assert doc["error_code"] == "malformed_answer", name
        assert note in doc["error_message"], (name, doc["error_message"])


def test_malformed_cells_keep_what_can_be_read() -> None:
    result = {
        "fieldList": [
            _cell("grossAmount", 154.06),
            _cell("count", 3),
            _cell("big", 1e20),
            _cell("small", 1.5e-7),
            _cell("flag", True),
            _cell("n", None),
            {"pageNumber": "2", "key": "p", "value": "x"},
            {"pageNumber": 0, "key": "z", "value": "2019-02-11"},
            {"value": "orphan"},
        ]
    }
    f = Extraction.from_responses([_docai(result)]).fields
    assert f["value"].tolist()[:5] == ["154.06", "3", "100000000000000000000", "0.00000015", "true"]
    assert f["number"].tolist()[:4] == [Decimal("154.06"), 3, Decimal("1e20"), Decimal("1.5e-7")]
    assert pd.isna(f["value"].iloc[5])
    assert f["page"].tolist()[6] == 2  # a digit string is read as the page
    assert pd.isna(f["page"].iloc[7]) and f["date"].iloc[7] == date(2019, 2, 11)
    assert pd.isna(f["key"].iloc[8]) and f["value"].iloc[8] == "orphan"


def test_items_that_are_not_lists() -> None:
    result = {
        "itemList": [
            "junk",
            {"pageNumber": 1, "key": "description", "value": "single"},
            [_cell("description", "ok line")],
            None,
            42,
        ],
        "taxList": {"not": "a list"},
    }
    ex = Extraction.from_responses({"a.pdf": _docai(result)})
    assert ex.items["item"].tolist() == [2, 3]  # itemList[1] and [2]: lines 2 and 3
    assert ex.items["value"].tolist() == ["single", "ok line"]
    doc = ex.documents.iloc[0]
    assert doc["status"] == "ok" and doc["error_code"] == "malformed_answer"
    message = doc["error_message"]
    assert "data.result.itemList[0]: not a list (str)" in message
    assert "itemList[1]: a single object" in message
    assert "itemList[4]: not a list (int)" in message
    assert "data.result.taxList: not a list (dict)" in message


@pytest.mark.parametrize(
    "answer",
    [
        {"hello": "world"},
        {"code": 200},
        {"code": 200, "data": "text"},
        {"code": 200, "data": {"fileId": "F", "recognizeStatus": "7"}},
        {"code": 200, "data": {"fileId": "F"}},
        [1, 2, 3],
        "not json",
        {"errorId": 0, "status": "weird"},
    ],
)
def test_unknown_shapes_are_failed_documents(answer: Any) -> None:
    ex = Extraction.from_responses({"x": answer})
    doc = ex.documents.iloc[0]
    assert doc["status"] == "failed"
    assert doc["error_code"] == "malformed_answer"
    assert isinstance(doc["error_message"], str) and doc["error_message"]


def test_recognize_status_missing_but_result_present_is_read() -> None:
    answer = {"code": 200, "data": {"fileId": "F", "result": {"fieldList": [_cell("a", "1")]}}}
    ex = Extraction.from_responses([answer])
    doc = ex.documents.iloc[0]
    assert doc["status"] == "ok" and doc["error_code"] == "malformed_answer"
    assert "data.recognizeStatus: missing" in doc["error_message"]
    assert len(ex.fields) == 1


def test_failed_recognition_still_reads_partial_result() -> None:
    ex = Extraction.from_responses([_docai({"fieldList": [_cell("a", "1")]}, status="0")])
    assert ex.documents["status"].tolist() == ["failed"]
    assert len(ex.fields) == 1


def test_notes_are_capped() -> None:
    result = {"fieldList": [{"key": f"k{i}", "value": "1"} for i in range(20)]}
    message = Extraction.from_responses([_docai(result)]).documents["error_message"].iloc[0]
    assert message.endswith("(+15 more)")


def test_random_mutations_never_raise(seed_answer: dict[str, Any]) -> None:
    import random

    rng = random.Random(3)
    junk: list[Any] = [None, 0, -1, "", "x", 1.5, [], {}, [[]], {"a": 1}, True]
    answers = []
    for _ in range(300):
        answer = copy.deepcopy(seed_answer)
        # Walk to a random container inside the answer and replace one of its members.
        node: Any = answer
        for _ in range(rng.randint(1, 6)):
            if isinstance(node, dict) and node:
                k = rng.choice(list(node))
                if rng.random() < 0.3 or not isinstance(node[k], dict | list):
                    node[k] = rng.choice(junk)
                    break
                node = node[k]
            elif isinstance(node, list) and node:
                i = rng.randrange(len(node))
                if rng.random() < 0.3 or not isinstance(node[i], dict | list):
                    node[i] = rng.choice(junk)
                    break
                node = node[i]
            else:
                break
        answers.append(answer)
    ex = Extraction.from_responses(answers)
    assert len(ex.documents) == 300
    assert set(ex.documents["status"]) <= {"ok", "failed", "pending"}


# --- concat and equality -----------------------------------------------------------------------


def test_concat_and_equals(seed_answer: dict[str, Any], capsolver_answer: dict[str, Any]) -> None:
    a = Extraction.from_responses({"a.pdf": seed_answer})
    b = Extraction.from_responses({"b.png": capsolver_answer})
    both = Extraction.from_responses({"a.pdf": seed_answer, "b.png": capsolver_answer})
    assert Extraction.concat([a, b]).equals(both)
    # Content, not the order rows were put together in.
    assert Extraction.concat([b, a]).equals(both)
    assert Extraction.concat([b, a]).documents["source"].tolist() == ["a.pdf", "b.png"]
    assert Extraction.concat([]).equals(Extraction.empty())
    assert not a.equals(b)
    assert not a.equals("a")
    changed = Extraction.from_responses({"a.pdf": seed_answer})
    changed.fields.loc[0, "value"] = "other"
    assert not changed.equals(a)


def test_to_arrow_uses_the_schemas(seed_answer: dict[str, Any]) -> None:
    arrow = Extraction.from_responses([seed_answer]).to_arrow()
    for name in TABLES:
        assert arrow[name].schema.equals(SCHEMAS[name])
    assert arrow["fields"].column("number").type == pa.decimal128(38, 10)


def test_docstring_examples() -> None:
    readers = (services, _reading, _docai_answers, _capsolver_answers)
    for module in (frames, flatten, schemas, *readers):
        assert doctest.testmod(module).failed == 0, module.__name__


def test_bulk_typing_agrees_with_the_scalar_parsers() -> None:
    from ocrframe._values import parse_date, parse_number

    texts = [
        "154.06", "-8.79", "007", "0.1234567891", "1.50000000000000", "0.12345678901",
        "2019-02-11", "2019-02-30", "2019-13-01", "11/02/2019", "Feb 11, 2019", "1,234.56",
        "(8.79)", "6.25%", "Labor 3hrs", "", "US-001", "1" * 28, "1" * 29,
    ]  # fmt: skip
    answer = _docai({"fieldList": [_cell(f"k{i}", t) for i, t in enumerate(texts)]})
    for dayfirst in (True, False):
        f = Extraction.from_responses([answer], dayfirst=dayfirst).fields
        for text, number, day in zip(texts, f["number"], f["date"], strict=True):
            expected_number = parse_number(text)
            expected_date = (
                None if expected_number is not None else parse_date(text, dayfirst=dayfirst)
            )
            assert (None if pd.isna(number) else number) == expected_number, text
            assert (None if pd.isna(day) else day) == expected_date, text


def test_dayfirst_option_reaches_the_tables() -> None:
    answer = _docai({"fieldList": [_cell("invoiceDate", "02/11/2019")]})
    assert Extraction.from_responses([answer]).fields["date"].iloc[0] == date(2019, 11, 2)
    us = Extraction.from_responses([answer], dayfirst=False)
    assert us.fields["date"].iloc[0] == date(2019, 2, 11)


def test_mixed_records_and_raw_answers(seed_answer: dict[str, Any]) -> None:
    rec = DocumentRecord(source="r.pdf", service="docai", response=seed_answer)
    ex = Extraction.from_responses([rec, seed_answer], model="M")
    assert ex.documents["source"].tolist() == ["#1", "r.pdf"]
    assert ex.documents["model"].tolist()[0] == "M"


def test_an_answer_that_breaks_the_reader_is_rolled_back(
    monkeypatch: pytest.MonkeyPatch, seed_answer: dict[str, Any]
) -> None:
    def boom(*args: Any) -> Any:
        raise RuntimeError("unexpected")

    monkeypatch.setattr(_docai_answers, "_fix_cell", boom)
    bad = _docai({"itemList": [[_cell("a", "1"), _cell("b", "2", page=0)]]})
    ex = Extraction.from_responses({"good.pdf": seed_answer, "bad.pdf": bad, "good2": seed_answer})
    docs = ex.documents
    assert docs["source"].tolist() == ["bad.pdf", "good.pdf", "good2"]
    assert docs["status"].tolist() == ["failed", "ok", "ok"]
    assert docs["error_code"].tolist()[0] == "malformed_answer"
    assert "unreadable answer (RuntimeError)" in docs["error_message"].iloc[0]
    # The bad answer's first, already-read cell is dropped, and the columns stay aligned.
    assert ex.items.groupby("source").size().to_dict() == {"good.pdf": 15, "good2": 15}
