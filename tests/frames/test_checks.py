"""Extraction checks: the accountant's arithmetic on literal answers (ocrframe._frames.checks)."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import pandas as pd
import pytest

from ocrframe._frames import Extraction
from ocrframe._frames.checks import CHECKS, checks_table, normalise_key


def _cell(key: str, value: str, page: int = 1) -> dict[str, Any]:
    return {"pageNumber": page, "key": key, "value": value}


def _answer(
    fields: list[dict[str, Any]],
    items: list[list[dict[str, Any]]] | None = None,
    taxes: list[list[dict[str, Any]]] | None = None,
) -> dict[str, Any]:
    result = {"fieldList": fields, "itemList": items or [], "taxList": taxes or []}
    return {"code": 200, "data": {"fileId": "f1", "recognizeStatus": "1", "result": result}}


CLEAN = _answer(
    [
        _cell("netAmount", "145.00"),
        _cell("totalTax", "9.06"),
        _cell("grossAmount", "154.06"),
        _cell("amountDue", "154.06"),
    ],
    [
        [_cell("description", "cables"), _cell("totalPriceExclTax", "100.00")],
        [_cell("description", "pedal arms"), _cell("totalPriceExclTax", "30.00")],
        [_cell("description", "labour"), _cell("totalPriceExclTax", "15.00")],
    ],
    [[_cell("taxValue", "9.06"), _cell("taxPercentage", "6.25")]],
)


def _checks(answers: dict[str, dict[str, Any]]) -> pd.DataFrame:
    ex = Extraction.from_responses(answers)
    table = checks_table(ex.documents, ex.fields, ex.items, ex.taxes)
    frame: pd.DataFrame = table.to_pandas(types_mapper=pd.ArrowDtype)
    return frame


def _row(frame: pd.DataFrame, source: str, check: str) -> dict[str, Any]:
    rows = frame[(frame["source"] == source) & (frame["check"] == check)]
    assert len(rows) == 1
    return {str(k): (None if v is pd.NA else v) for k, v in rows.iloc[0].to_dict().items()}


def test_a_clean_invoice_passes_every_check() -> None:
    frame = _checks({"clean.pdf": CLEAN})
    assert frame["check"].tolist() == list(CHECKS)
    assert frame["result"].tolist() == ["pass"] * 4
    tax = _row(frame, "clean.pdf", "tax_is_base_times_rate")
    # 145.00 x 6.25 % = 9.0625, printed 9.06: within half a cent.
    assert tax["expected"] == Decimal("9.0625")
    assert tax["found"] == Decimal("9.06")
    assert tax["difference"] == Decimal("-0.0025")
    assert tax["tolerance"] == Decimal("0.005")
    assert tax["reads"] == "taxes.taxPercentage, taxes.taxValue, fields.netAmount"


def test_a_planted_mismatch_is_found_with_its_difference() -> None:
    planted = copy.deepcopy(CLEAN)
    planted["data"]["result"]["itemList"][1][1]["value"] = "31.00"
    frame = _checks({"clean.pdf": CLEAN, "planted.pdf": planted})
    assert (frame[frame["source"] == "clean.pdf"]["result"] == "pass").all()
    lines = _row(frame, "planted.pdf", "lines_sum_to_net")
    assert lines["result"] == "fail"
    assert (lines["expected"], lines["found"]) == (Decimal("146.00"), Decimal("145.00"))
    assert lines["difference"] == Decimal("-1.00")
    assert lines["reads"] == "items.totalPriceExclTax, fields.netAmount"
    # The other checks do not read the lines' totals.
    assert _row(frame, "planted.pdf", "net_plus_tax_is_gross")["result"] == "pass"


@pytest.mark.parametrize(
    ("key", "value", "check"),
    [
        ("grossAmount", "154.07", "net_plus_tax_is_gross"),
        ("totalTax", "9.16", "net_plus_tax_is_gross"),
        ("amountDue", "150.00", "due_is_gross_minus_prepaid"),
    ],
)
def test_each_field_mismatch_fails_its_check(key: str, value: str, check: str) -> None:
    planted = copy.deepcopy(CLEAN)
    for cell in planted["data"]["result"]["fieldList"]:
        if cell["key"] == key:
            cell["value"] = value
    if key == "amountDue":
        planted["data"]["result"]["fieldList"].append(_cell("prepaidAmount", "0.00"))
    frame = _checks({"x.pdf": planted})
    assert _row(frame, "x.pdf", check)["result"] == "fail"


def test_a_tax_off_by_more_than_rounding_fails() -> None:
    planted = copy.deepcopy(CLEAN)
    planted["data"]["result"]["taxList"][0][0]["value"] = "9.07"
    row = _row(_checks({"x.pdf": planted}), "x.pdf", "tax_is_base_times_rate")
    assert row["result"] == "fail"
    assert row["difference"] == Decimal("0.0075")


def test_the_prepaid_amount_is_taken_off_the_gross() -> None:
    answer = _answer(
        [
            _cell("grossAmount", "388,928.24"),
            _cell("prepaidAmount", "97,232.06"),
            _cell("amountDue", "291,696.18"),
        ]
    )
    row = _row(_checks({"x.pdf": answer}), "x.pdf", "due_is_gross_minus_prepaid")
    assert row["result"] == "pass"
    assert row["reads"] == "fields.grossAmount, fields.prepaidAmount, fields.amountDue"


def test_a_due_amount_below_the_gross_without_a_prepaid_amount_is_missing_not_failed() -> None:
    answer = _answer([_cell("grossAmount", "100.00"), _cell("amountDue", "60.00")])
    row = _row(_checks({"x.pdf": answer}), "x.pdf", "due_is_gross_minus_prepaid")
    assert row["result"] == "missing"
    assert row["difference"] == Decimal("-40.00")
    assert "prepaid amount" in row["note"]


def test_the_seed_example_reads_its_own_keys(seed_answer: dict[str, Any]) -> None:
    frame = _checks({"seed.pdf": seed_answer})
    results = dict(zip(frame["check"], frame["result"], strict=True))
    # The example has no netAmount and no amountDue: those checks say what is missing.
    assert results == {
        "lines_sum_to_net": "missing",
        "net_plus_tax_is_gross": "missing",
        "tax_is_base_times_rate": "pass",
        "due_is_gross_minus_prepaid": "missing",
    }
    assert "net amount" in _row(frame, "seed.pdf", "lines_sum_to_net")["note"]
    tax = _row(frame, "seed.pdf", "tax_is_base_times_rate")
    assert tax["expected"] == Decimal("9.0625")
    assert "items.totalPriceExclTax" in tax["reads"]


def test_rates_on_the_items_give_the_base_of_each_tax_line() -> None:
    answer = _answer(
        [_cell("totalTax", "26.00")],
        [
            [_cell("totalPriceExclTax", "100.00"), _cell("taxRate", "19%")],
            [_cell("totalPriceExclTax", "100.00"), _cell("taxRate", "7%")],
        ],
        [
            [_cell("taxValue", "19.00"), _cell("taxPercentage", "19")],
            [_cell("taxValue", "7.00"), _cell("taxPercentage", "7")],
        ],
    )
    row = _row(_checks({"x.pdf": answer}), "x.pdf", "tax_is_base_times_rate")
    assert (row["result"], row["expected"], row["found"]) == (
        "pass",
        Decimal("26"),
        Decimal("26.00"),
    )
    assert row["tolerance"] == Decimal("0.010")


def test_items_with_rates_and_no_tax_lines_are_checked_against_the_total_tax() -> None:
    answer = _answer(
        [_cell("totalTax", "20.00")],
        [
            [_cell("totalPriceExclTax", "100.00"), _cell("taxRate", "19")],
            [_cell("totalPriceExclTax", "100.00"), _cell("taxRate", "7")],
        ],
    )
    row = _row(_checks({"x.pdf": answer}), "x.pdf", "tax_is_base_times_rate")
    assert row["result"] == "fail"
    assert row["difference"] == Decimal("-6.00")


def test_keys_are_found_by_role_whatever_their_spelling() -> None:
    answer = _answer(
        [_cell("Net_Amount", "10.00"), _cell("TAX AMOUNT", "1.00"), _cell("invoice-total", "11")]
    )
    row = _row(_checks({"x.pdf": answer}), "x.pdf", "net_plus_tax_is_gross")
    assert row["result"] == "pass"
    assert row["reads"] == "fields.Net_Amount, fields.TAX AMOUNT, fields.invoice-total"
    assert normalise_key("TAX AMOUNT") == "taxamount"


def test_only_ok_docai_documents_get_rows_in_source_order(capsolver_answer: dict[str, Any]) -> None:
    failed = {"code": 500, "message": "boom"}
    frame = _checks({"b.pdf": CLEAN, "a.pdf": CLEAN, "c.pdf": failed, "d.png": capsolver_answer})
    assert frame["source"].unique().tolist() == ["a.pdf", "b.pdf"]
    assert len(frame) == 2 * len(CHECKS)


def test_no_documents_give_an_empty_table_with_the_columns() -> None:
    ex = Extraction.empty()
    table = checks_table(ex.documents, ex.fields, ex.items, ex.taxes)
    assert table.num_rows == 0
    assert "difference" in table.column_names
