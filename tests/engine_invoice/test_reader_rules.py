"""The printed-page reader on literal words: the generic rules that carry to unseen layouts.

Each page here is written from scratch (no real document's names or values).
"""

from __future__ import annotations

from ocrframe.engine.invoice import extract_invoice
from tests.engine_invoice.test_invoice_layout import make_page, values


def test_a_key_value_header_with_values_far_right_and_party_blocks() -> None:
    page = make_page(
        [
            (40, [(60, "Teilrechnung (380) Nr. 4711 vom 02.03.2024")]),
            (60, [(60, "Währung:"), (300, "EUR")]),
            (100, [(60, "Verkäufer")]),
            (115, [(60, "Nummer:"), (300, "8877")]),
            (130, [(60, "Name:"), (300, "Beispiel Werkstatt AG")]),
            (145, [(60, "Ansprechpartner:"), (300, "Frau Kontakt")]),
            (190, [(60, "Käufer")]),
            (205, [(60, "Name:"), (300, "Kunde Handel GmbH")]),
            (400, [(230, "Bruttosumme"), (500, "119,00")]),
        ]
    )
    got = values(extract_invoice([page]))
    assert got["invoiceNumber"] == "4711"
    assert got["invoiceDate"] == "2024-03-02"
    assert got["sellerName"] == "Beispiel Werkstatt AG"
    assert got["buyerName"] == "Kunde Handel GmbH"
    assert got["grossAmount"] == "119.00"


def test_the_number_of_a_referenced_invoice_is_not_this_ones() -> None:
    page = make_page(
        [
            (40, [(300, "FACTURE N° :"), (450, "F-0042")]),
            (55, [(300, "Date :"), (450, "31/01/2022")]),
            (300, [(60, "N° DE FACTURE ASSOCIÉE : F-0007")]),
        ]
    )
    assert values(extract_invoice([page]))["invoiceNumber"] == "F-0042"
    # the referenced number first on the page changes nothing
    page = make_page(
        [
            (40, [(60, "Original invoice no: R-1")]),
            (80, [(60, "Invoice no: R-2")]),
        ]
    )
    assert values(extract_invoice([page]))["invoiceNumber"] == "R-2"


def test_a_date_alone_under_the_title_is_the_issue_date() -> None:
    page = make_page(
        [
            (30, [(60, "Invoice 552211")]),
            (50, [(60, "February 17, 2026")]),
            (400, [(300, "Total"), (480, "10.00")]),
        ]
    )
    got = values(extract_invoice([page]))
    assert got["invoiceNumber"] == "552211" and got["invoiceDate"] == "2026-02-17"


def test_numbers_of_neighbouring_columns_are_never_one_amount() -> None:
    # "19" (a rate) and "285,00" (the tax) are in two columns: not 19285.00
    page = make_page(
        [
            (100, [(60, "Nettobetrag"), (400, "1.500,00")]),
            (115, [(60, "Umsatzsteuer"), (350, "19"), (420, "285,00")]),
            (130, [(60, "Gesamtbetrag"), (400, "1.785,00")]),
        ]
    )
    got = values(extract_invoice([page]))
    assert got["totalTax"] == "285.00"
    assert got["grossAmount"] == "1785.00" and got["netAmount"] == "1500.00"


def test_label_words_are_never_a_party_name() -> None:
    page = make_page(
        [
            (40, [(60, "Seller")]),
            (55, [(60, "Name")]),
            (70, [(60, "Invoice no: A-1")]),
        ]
    )
    assert "sellerName" not in values(extract_invoice([page]))


def test_a_seller_label_that_is_the_first_word_of_the_name() -> None:
    page = make_page(
        [
            (40, [(60, "Lieferant GmbH & Co. KG")]),
            (60, [(300, "Rechnungsnummer:"), (450, "77")]),
        ]
    )
    assert values(extract_invoice([page]))["sellerName"] == "Lieferant GmbH & Co. KG"


def test_a_zero_balance_after_a_prepayment_is_not_the_total() -> None:
    page = make_page(
        [
            (100, [(300, "Summe netto"), (480, "100,00")]),
            (115, [(300, "MwSt 19 %"), (480, "19,00")]),
            (130, [(300, "Gesamtbetrag"), (480, "119,00")]),
            (145, [(300, "Erhaltene Anzahlung"), (480, "119,00")]),
            (160, [(300, "Zahlbetrag"), (480, "0,00")]),
        ]
    )
    got = values(extract_invoice([page]))
    assert got["grossAmount"] == "119.00" and got["amountDue"] == "0.00"
    assert got["netAmount"] == "100.00" and got["totalTax"] == "19.00"


def test_a_negative_total_keeps_its_minus_sign() -> None:
    page = make_page(
        [
            (100, [(300, "TOTAL HT"), (400, "TOTAL TVA"), (500, "TOTAL TTC")]),
            (115, [(300, "-100,00"), (400, "0,00"), (500, "-100,00")]),
            (140, [(400, "Acompte :"), (500, "-10,00")]),
            (155, [(300, "NET A PAYER"), (500, "-90,00 EUR")]),
        ]
    )
    got = values(extract_invoice([page]))
    assert got["grossAmount"] == "-100.00" and got["netAmount"] == "-100.00"
    assert got["amountDue"] == "-90.00"


def test_a_title_with_a_second_word_before_its_number() -> None:
    page = make_page([(40, [(60, "Teilrechnung Bau (875) Nr. 5511 vom 06.06.2025")])])
    got = values(extract_invoice([page]))
    assert got["invoiceNumber"] == "5511" and got["invoiceDate"] == "2025-06-06"
