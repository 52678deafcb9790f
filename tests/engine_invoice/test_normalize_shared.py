"""The engine reads values through ocrframe._values; where printed text differs it says so."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from ocrframe import _values as values
from ocrframe.engine.normalize import find_amounts, find_dates, parse_amount, parse_date


@pytest.mark.parametrize(
    ("text", "engine", "service"),
    [
        # A lone separator before three digits groups thousands on a printed page; in a
        # service's answer "1.234" is 1.234 and "0,125" is 0.125.
        ("1.234", Decimal("1234"), Decimal("1.234")),
        ("0,125", Decimal("125"), Decimal("0.125")),
        # OCR writes the same mark for grouping and decimals; the engine still reads it.
        ("1,234,56", Decimal("1234.56"), None),
        # Where both agree they agree exactly.
        ("1.234,56 €", Decimal("1234.56"), Decimal("1234.56")),
        ("$1,234.56", Decimal("1234.56"), Decimal("1234.56")),
        ("1 234,56", Decimal("1234.56"), Decimal("1234.56")),
        ("154,06", Decimal("154.06"), Decimal("154.06")),
    ],
)
def test_amount_rules_engine_and_service(
    text: str, engine: Decimal, service: Decimal | None
) -> None:
    assert parse_amount(text) == engine
    assert values.parse_number(text) == service


def test_trailing_minus_and_negative_zero_as_before() -> None:
    assert parse_amount("12,50-") == Decimal("-12.50")
    (zero,) = find_amounts("-0")
    assert str(zero.value) == "0"  # not "-0": negated after parsing


def test_an_account_number_is_not_an_amount() -> None:
    # 29 digits do not fit the exact number column the shared parser keeps to.
    assert parse_amount("12345678901234567890123456789") is None
    assert parse_amount("1234567890123456789012345678") == Decimal("1234567890123456789012345678")


@pytest.mark.parametrize(
    ("text", "month_first", "expected"),
    [
        ("11/02/2019", False, date(2019, 2, 11)),
        ("11/02/2019", True, date(2019, 11, 2)),
        ("25/12/2019", True, date(2019, 12, 25)),  # a part above 12 is the day either way
        ("12/25/2019", False, date(2019, 12, 25)),
        ("11.02.19", False, date(2019, 2, 11)),
        ("2019-02/11", False, date(2019, 2, 11)),  # mixed separators: the engine's own rule
        ("5 stycznia 2020", False, date(2020, 1, 5)),
        ("1er mars 2020", False, date(2020, 3, 1)),
        ("Feb 11th, 2019", False, date(2019, 2, 11)),
    ],
)
def test_dates_in_text(text: str, month_first: bool, expected: date) -> None:
    assert parse_date(f"Date: {text} ", month_first=month_first) == expected


def test_dates_the_engine_does_not_take() -> None:
    assert find_dates("1-2-19") == []  # two-digit year after dashes: rarely a date on a page
    assert find_dates("01/02/1890") == []  # outside 1980-2100: a reference, not a date
    # Short Spanish/Italian/Portuguese abbreviations are words in running text.
    assert find_dates("set 12, 2019 out 3 2020") == []
    assert values.parse_date("12 set 2019") == date(2019, 9, 12)
