"""Parsing of amounts and dates: what the services send and the common printed forms."""

from __future__ import annotations

import doctest
import random
from datetime import date
from decimal import Decimal

import pytest

import ocrframe._values as values
from ocrframe._values import parse_date, parse_number


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("154.06", "154.06"),
        ("6.25", "6.25"),
        ("1", "1"),
        ("-8.79", "-8.79"),
        ("+3", "3"),
        ("1,234.56", "1234.56"),
        ("1.234,56", "1234.56"),
        ("154,06 €", "154.06"),
        ("$ 1 234.56", "1234.56"),
        ("$1,234,567.89", "1234567.89"),
        ("1.234.567,89", "1234567.89"),
        ("1\u00a0234,50", "1234.50"),
        ("1\u202f234,50 EUR", "1234.50"),
        ("CHF 1'234.50", "1234.50"),
        ("(8.79)", "-8.79"),
        ("($8.79)", "-8.79"),
        ("8.79-", "-8.79"),
        ("- $8.79", "-8.79"),
        ("−8.79", "-8.79"),
        ("6.25%", "6.25"),
        ("6,25 %", "6.25"),
        ("EUR 12.00", "12.00"),
        ("12.00 USD", "12.00"),
        ("R$ 10,50", "10.50"),
        ("1,234", "1234"),
        ("0,125", "0.125"),
        ("1 234", "1234"),
        ("007", "7"),
        ("0.1234567891", "0.1234567891"),
        ("1.50000000000000", "1.5"),
    ],
)
def test_numbers_parse_exactly(text: str, expected: str) -> None:
    got = parse_number(text)
    assert isinstance(got, Decimal)
    assert got == Decimal(expected)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "  ",
        "Labor 3hrs",
        "US-001",
        "11.02.2019",
        "2019-02-11",
        "11/02/2019",
        "1e5",
        "12 34",
        "(8.79",
        "8.79)",
        "--8",
        "1,23,45",
        "1.234,56.7",
        "0.12345678901",  # 11 decimals: does not fit decimal128(38, 10) exactly
        "1" * 29,  # 29 integer digits: too large for the column
        "abc",
        "$",
        "%",
        "NaN",
        "Infinity",
    ],
)
def test_non_numbers_are_none(text: str) -> None:
    assert parse_number(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2019-02-11", date(2019, 2, 11)),
        ("2019-02-11T10:30:00Z", date(2019, 2, 11)),
        ("2019-02-11 10:30", date(2019, 2, 11)),
        ("2019/02/11", date(2019, 2, 11)),
        ("11/02/2019", date(2019, 2, 11)),
        ("11.02.2019", date(2019, 2, 11)),
        ("11-02-2019", date(2019, 2, 11)),
        ("25/12/2019", date(2019, 12, 25)),
        ("12/25/2019", date(2019, 12, 25)),
        ("11/02/19", date(2019, 2, 11)),
        ("11/02/85", date(1985, 2, 11)),
        ("Feb 11, 2019", date(2019, 2, 11)),
        ("Feb. 11, 2019", date(2019, 2, 11)),
        ("February 11th, 2019", date(2019, 2, 11)),
        ("Monday, February 11, 2019", date(2019, 2, 11)),
        ("11 Feb 2019", date(2019, 2, 11)),
        ("11-Feb-2019", date(2019, 2, 11)),
        ("11. Februar 2019", date(2019, 2, 11)),
        ("3. März 2019", date(2019, 3, 3)),
        ("11 février 2019", date(2019, 2, 11)),
        ("1er mars 2019", date(2019, 3, 1)),
        ("11 de febrero de 2019", date(2019, 2, 11)),
        ("2019年2月11日", date(2019, 2, 11)),
    ],
)
def test_dates(text: str, expected: date) -> None:
    assert parse_date(text) == expected


def test_dayfirst_rule() -> None:
    # Ambiguous: the option decides; the default is day first.
    assert parse_date("11/02/2019") == date(2019, 2, 11)
    assert parse_date("11/02/2019", dayfirst=False) == date(2019, 11, 2)
    # Unambiguous: a part greater than 12 is the day, whatever the option.
    assert parse_date("25/12/2019", dayfirst=False) == date(2019, 12, 25)
    assert parse_date("12/25/2019", dayfirst=True) == date(2019, 12, 25)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "2019",
        "154.06",
        "May 2019",
        "31/02/2019",
        "2019-13-01",
        "Labor 3hrs",
        "Feb 30, 2019",
        "11 Foo 2019",
        "invoice 11 Feb 2019",
        "1/2",
        "99/99/9999",
    ],
)
def test_non_dates_are_none(text: str) -> None:
    assert parse_date(text) is None


def test_never_raises_on_junk() -> None:
    rng = random.Random(7)
    alphabet = "0123456789.,-+()%$€ /'年月日FebMärzfévrierT:Z\u00a0"
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 20)))
        n = parse_number(text)
        d = parse_date(text)
        assert n is None or isinstance(n, Decimal)
        assert d is None or isinstance(d, date)
    for junk in (None, 5, 1.5, ["1"], {"a": 1}, b"12"):
        assert parse_number(junk) is None  # type: ignore[arg-type]
        assert parse_date(junk) is None  # type: ignore[arg-type]


def test_results_are_cached_by_string() -> None:
    text = "9\u00a0876,54 €"
    first = parse_number(text)
    assert values._number_cache[text] == first == Decimal("9876.54")
    parse_date("11/02/2019", dayfirst=False)
    assert values._date_cache[("11/02/2019", False)] == date(2019, 11, 2)


def test_docstring_examples() -> None:
    assert doctest.testmod(values).failed == 0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5 stycznia 2020", date(2020, 1, 5)),
        ("11 lutego 2019", date(2019, 2, 11)),
        ("1 września 2021", date(2021, 9, 1)),
        ("1 wrzesnia 2021", date(2021, 9, 1)),
        ("31 października 2022", date(2022, 10, 31)),
        ("12. Mrz 2020", date(2020, 3, 12)),
    ],
)
def test_polish_genitive_and_mrz_months(text: str, expected: date) -> None:
    # The table the embedded engine searches with too; these were the engine's alone before.
    assert parse_date(text) == expected


def test_month_table_is_read_only_and_folded_too() -> None:
    assert values.MONTHS["février"] == values.MONTHS["fevrier"] == 2
    assert values.MONTHS["października"] == values.MONTHS["pazdziernika"] == 10
    with pytest.raises(TypeError):
        values.MONTHS["x"] = 1  # type: ignore[index]
