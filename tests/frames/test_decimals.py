"""Decimal scale chosen from the data (ocrframe._frames.decimals)."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pyarrow as pa
import pytest

from ocrframe._frames import Extraction
from ocrframe._frames.decimals import (
    display_scale,
    fit_scale,
    fit_table,
    fitted_scale,
    written_places,
)

STORED = pa.decimal128(38, 10)


def _column(*values: str | None) -> pa.Array:
    return pa.array([None if v is None else Decimal(v) for v in values], type=STORED)


@pytest.mark.parametrize(
    ("values", "scale"),
    [
        (("154.06", "19", None), 2),
        (("1", "2", "3"), 0),
        (("0.5", "7.25", "1253.46"), 2),
        (("0.0000000001",), 10),
        (("-8.79", "100"), 2),
        ((None, None), 0),
        ((), 0),
    ],
)
def test_the_scale_is_the_smallest_that_keeps_every_value(
    values: tuple[str | None, ...], scale: int
) -> None:
    assert fitted_scale(_column(*values)) == scale


def test_values_shown_as_written_and_still_exact() -> None:
    stored = _column("154.06", "19", "388928.24", None)
    fitted = fit_scale(stored)
    assert fitted.type == pa.decimal128(38, 2)
    shown = pd.Series(fitted.to_pandas(types_mapper=pd.ArrowDtype))
    assert [str(v) for v in shown.dropna()] == ["154.06", "19.00", "388928.24"]
    assert "154.06" in shown.to_string() and "0000" not in shown.to_string()
    # Nothing was rounded: back to the stored type, the same values.
    assert fitted.cast(STORED).equals(stored)


def test_a_chunked_column_and_a_table() -> None:
    chunked = pa.chunked_array([_column("1.5"), _column("2.25")])
    assert fit_scale(chunked).type == pa.decimal128(38, 2)
    table = pa.table({"n": _column("3.100"), "s": ["x"]})
    fitted = fit_table(table)
    assert fitted.schema.field("n").type == pa.decimal128(38, 1)
    assert fitted.column("s").equals(table.column("s"))


def test_non_decimal_columns_are_left_alone() -> None:
    strings = pa.array(["a"])
    assert fit_scale(strings) is strings


@pytest.mark.parametrize(
    ("text", "number", "places"),
    [
        ("19.00", "19", 2),
        ("154.06", "154.06", 2),
        ("1,234", "1234", 0),
        ("1.234,56 €", "1234.56", 2),
        ("(8.79)", "-8.79", 2),
        ("6.25%", "6.25", 2),
        ("26", "26", 0),
        ("0,125", "0.125", 3),
        (None, "2.50", 1),
    ],
)
def test_written_places(text: str | None, number: str, places: int) -> None:
    assert written_places(text, Decimal(number)) == places


def test_the_display_scale_follows_what_was_written() -> None:
    values = pa.array(["100.00", "15", "100.00", "abc", None])
    numbers = _column("100", "15", "100", None, None)
    assert display_scale(values, numbers) == 2
    # Never fewer decimals than a value needs to stay exact.
    assert display_scale(pa.array(["x"]), _column("0.125")) == 3


def _cell(key: str, value: str) -> dict[str, object]:
    return {"pageNumber": 1, "key": key, "value": value}


def test_tables_show_numbers_as_written() -> None:
    answer = {
        "code": 200,
        "data": {
            "fileId": "f",
            "recognizeStatus": "1",
            "result": {
                "fieldList": [_cell("grossAmount", "154.06"), _cell("rate", "19")],
                "itemList": [
                    [_cell("unitPrice", "100.00"), _cell("quantity", "0.125")],
                    [_cell("unitPrice", "15.00"), _cell("quantity", "2")],
                ],
            },
        },
    }
    ex = Extraction.from_responses({"a.pdf": answer})
    assert ex.fields["number"].astype(str).tolist() == ["154.06", "19.00"]
    wide = ex.items_wide()
    assert wide["unitPrice"].astype(str).tolist() == ["100.00", "15.00"]
    assert wide["quantity"].astype(str).tolist() == ["0.125", "2.000"]
    # Stored exactly as before.
    assert ex.to_arrow()["items"].schema.field("number").type == STORED
