"""The receipt reader on literal lines of phrases, and through the invoice model."""

from __future__ import annotations

from decimal import Decimal

from ocrframe.engine.invoice import extract_invoice
from ocrframe.engine.receipt import is_receipt, receipt_currency, receipt_seller, receipt_total
from tests.engine_invoice.pagemaker import make_page, values


def test_the_total_is_the_one_cash_minus_change_agrees_with() -> None:
    lines = [
        ["Total Sales (Inclusive GST) RM 52.08"],
        ["Rounding Adjustment RM", ".02"],
        ["Rounding RM 52.10"],
        ["CASH RM", "60.00"],
        ["CHANGE RM", "7.90"],
    ]
    assert is_receipt(lines)
    assert receipt_total(lines) == Decimal("52.10")


def test_without_change_a_rounded_total_beats_the_total_before_rounding() -> None:
    lines = [
        ["TOTAL INCL. GST", "RM 8.11"],
        ["ROUNDING ADJUSTMENT", "-RM 0.01"],
        ["TOTAL ROUNDED", "RM 8.10"],
        ["TOTAL INCLUDES 6% GST", "0.46"],
    ]
    assert receipt_total(lines) == Decimal("8.10")


def test_quantities_savings_and_amounts_before_tax_are_not_totals() -> None:
    lines = [
        ["Total Qty:", "7", "51.42"],
        ["Total Sales (Excluding GST)", "51.42"],
        ["Total GST", "3.08"],
        ["TOTAL SAVING: 0.00", "TOTAL", "54.50"],
        ["Cashier", "USER"],
    ]
    assert is_receipt(lines)
    assert receipt_total(lines) == Decimal("54.50")


def test_a_subtotal_counts_only_when_the_cash_agrees() -> None:
    lines = [["SUBTOTAL", "RM96.20"], ["CASH", "RM100.00"], ["YOUR CHANGE", "RM3.80"]]
    assert receipt_total(lines) == Decimal("96.20")
    assert receipt_currency(lines) == "MYR"
    assert receipt_total([["SUBTOTAL", "RM96.20"]]) is None


def test_an_invoice_is_not_a_receipt() -> None:
    lines = [
        ["Invoice no: 12"],
        ["Art der Referenz: Validated priced tender (50)"],
        ["Total", "100.00"],
    ]
    assert not is_receipt(lines)


def test_the_seller_is_the_name_above_the_address() -> None:
    assert (
        receipt_seller(
            [["A0311"], ["THANK YOU FOR SHOPPING"], ["NORTH STAR TRADING"], ["LOT 5, MAIN ROAD"]]
        )
        == "NORTH STAR TRADING"
    )
    assert (
        receipt_seller([["OLD TOWN"], ["OWNED BY: BLUE LEAF SDN BHD"], ["CO.NO. (112233-T)"]])
        == "BLUE LEAF SDN BHD"
    )
    assert (
        receipt_seller([["GREEN HILL MARKET"], ["SDN BHD (998877-X)"], ["NO 1, JALAN SATU"]])
        == "GREEN HILL MARKET SDN BHD"
    )


def test_a_receipt_through_the_invoice_model() -> None:
    page = make_page(
        [
            (20, [(60, "BLUE LEAF SDN. BHD.")]),
            (35, [(60, "12, JALAN DUA, 40000 SHAH ALAM")]),
            (60, [(60, "18-11-18 12:01")]),
            (80, [(60, "Cashier"), (200, "ANNA")]),
            (200, [(60, "Total"), (250, "RM 12.35")]),
            (215, [(60, "Rounding"), (250, "RM 0.05")]),
            (230, [(60, "Total Rounded"), (250, "RM 12.40")]),
            (245, [(60, "CASH"), (250, "RM 20.00")]),
            (260, [(60, "CHANGE"), (250, "RM 7.60")]),
        ],
        width=320,
    )
    got = values(extract_invoice([page]))
    assert got["documentType"] == "receipt"
    assert got["grossAmount"] == "12.40"
    assert got["invoiceDate"] == "2018-11-18"
    assert got["sellerName"] == "BLUE LEAF SDN. BHD."
    assert got["currency"] == "MYR"


def test_receipt_dates_with_two_digit_years() -> None:
    from ocrframe.engine.normalize import find_dates

    assert [str(f.value) for f in find_dates("18-11-18 12:01")] == ["2018-11-18"]
    assert [str(f.value) for f in find_dates("21/02/18")] == ["2018-02-21"]
    assert [str(f.value) for f in find_dates("03 MAR 2018")] == ["2018-03-03"]
    assert find_dates("1-2-19") == []  # a range or a code, rarely a date


def test_short_receipt_dates_with_a_month_name() -> None:
    from ocrframe.engine.normalize import find_dates

    assert [str(f.value) for f in find_dates("27-MAR-18 12:01")] == ["2018-03-27"]
    assert [str(f.value) for f in find_dates("Date 27-Mar-2018")] == ["2018-03-27"]
    assert find_dates("27 Mar 18:25") == []  # a day, a month and a time: no year
