"""Amounts, dates and currency marks as the engine reads them (:mod:`ocrframe.engine.normalize`)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from ocrframe.engine.normalize import find_currency_marks, parse_amount, parse_date


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1.234,56", "1234.56"),
        ("1,234.56", "1234.56"),
        ("1 234,56 €", "1234.56"),
        ("$4.11", "4.11"),
        ("€ 2.321,00", "2321.00"),
        ("Rs 1939", "1939"),
        ("12,50-", "-12.50"),
    ],
)
def test_amounts(text: str, expected: str) -> None:
    assert parse_amount(text) == Decimal(expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("11.02.2019", date(2019, 2, 11)),
        ("11 février 2019", date(2019, 2, 11)),
        ("Feb 11, 2019", date(2019, 2, 11)),
        ("August 3, 2014", date(2014, 8, 3)),
        ("19 april 2014", date(2014, 4, 19)),
        ("7. Mai 2014", date(2014, 5, 7)),
        ("2019-02-11", date(2019, 2, 11)),
        ("03/20/2023", date(2023, 3, 20)),
        ("8-9-2022", date(2022, 9, 8)),
    ],
)
def test_dates(text: str, expected: date) -> None:
    assert parse_date(text) == expected


def test_currency_marks() -> None:
    codes = [code for code, _ in find_currency_marks("Total 12,00 zł, 5 € and £3 in US Dollars")]
    assert codes[:3] == ["PLN", "EUR", "GBP"] and "USD" in codes
