"""Header values (:mod:`ocrframe.engine.fields`): where a label's value is, and its format."""

from __future__ import annotations

import pytest

from ocrframe.engine.fields import parse_kind, reads_month_first
from ocrframe.engine.invoice import extract_invoice
from ocrframe.engine.types import Page, Word
from tests.engine_invoice.pagemaker import make_page, values


@pytest.mark.parametrize(
    ("kind", "text", "expected"),
    [
        ("id", ": INV-2024-7", "INV-2024-7"),
        ("id", "Nr. 4711 vom 02.03.2024", "4711"),
        ("id", "02.03.2024", None),  # a date is not a number
        ("id", "Musterstraße", None),  # no digits
        ("date", "11. März 2019", "2019-03-11"),
        ("date", "see below", None),
        ("amount", "19 % | 285,00", "285.00"),
        ("amount", "-12,50 €", "-12.50"),
        ("amount", "2 pcs", "2.00"),
        ("name", "ACME Widgets Ltd", "ACME Widgets Ltd"),
        ("name", "12 34", None),
    ],
)
def test_parse_kind(kind: str, text: str, expected: str | None) -> None:
    parsed = parse_kind(kind, text, month_first=False)
    assert (parsed[0] if parsed else None) == expected


def test_month_first_only_when_the_document_says_so() -> None:
    def page(*texts: str) -> list[Page]:
        return [
            Page(1, 600, 800, [Word(t, 10 * i, 10, 10 * i + 8, 20) for i, t in enumerate(texts)])
        ]

    assert reads_month_first(page("03/20/2023"))
    assert not reads_month_first(page("20/03/2023"))
    assert reads_month_first(page("Total", "$12.00"))  # nothing tells: US dollars
    assert not reads_month_first(page("Total", "12,00", "€"))
    # two-digit years tell as well
    assert reads_month_first(page("7/13/20"))
    assert not reads_month_first(page("13/7/20"))
    # other countries' dollars are no US dollars; nor is a stray "$" beside ringgit
    assert not reads_month_first(page("TOTAL", "S$12.00", "CASH", "S$20.00"))
    assert not reads_month_first(page("A$", "9.90"))
    assert not reads_month_first(page("RM12.00", "RM3.00", "$"))
    # no currency printed: a US address's state and ZIP code tell, a postcode alone does not
    assert reads_month_first(page("Austin,", "TX", "78701", "04/10/17"))
    assert reads_month_first(page("Springfield", "IL", "62704-1234"))
    assert not reads_month_first(page("43300", "SERI", "KEMBANGAN", "04/10/17"))
    assert not reads_month_first(page("Paris", "75001", "04/10/17"))
    assert not reads_month_first(page("TX", "78701"))  # no city before the state


def test_value_right_of_its_label_on_the_same_line() -> None:
    page = make_page(
        [
            (40, [(40, "Acme Widgets Ltd"), (420, "INVOICE")]),
            (80, [(300, "Invoice Number:"), (480, "INV-1001")]),
            (95, [(300, "Invoice Date:"), (480, "Feb 11, 2019")]),
            (110, [(300, "Due Date:"), (480, "March 13, 2019")]),
            (400, [(300, "Total:"), (480, "$154.06")]),
        ]
    )
    got = values(extract_invoice([page]))
    assert got["invoiceNumber"] == "INV-1001"
    assert got["invoiceDate"] == "2019-02-11"
    assert got["dueDate"] == "2019-03-13"
    assert got["grossAmount"] == "154.06"
    assert got["currency"] == "USD"
    assert got["documentType"] == "invoice"


def test_value_below_its_label_aligned_with_it() -> None:
    page = make_page(
        [
            (100, [(40, "Invoice No."), (200, "Date"), (360, "Due Date")]),
            (114, [(40, "A-77"), (200, "19 April 2014"), (360, "August 3, 2014")]),
            (160, [(40, "Bill To:")]),
            (174, [(40, "Pino Bluebird")]),
            (400, [(40, "Net total"), (200, "Tax"), (360, "Total")]),
            (414, [(40, "100.00 EUR"), (200, "21.00 EUR"), (360, "121.00 EUR")]),
        ]
    )
    got = values(extract_invoice([page]))
    assert got["invoiceNumber"] == "A-77"
    assert got["invoiceDate"] == "2014-04-19"
    assert got["dueDate"] == "2014-08-03"
    assert got["buyerName"] == "Pino Bluebird"
    assert got["netAmount"] == "100.00"
    assert got["totalTax"] == "21.00"
    assert got["grossAmount"] == "121.00"
    assert got["currency"] == "EUR"


def test_a_bare_title_takes_only_a_lone_identifier() -> None:
    # "INVOICE" over an address: the street number is not the invoice number
    address = make_page([(40, [(40, "INVOICE")]), (54, [(40, "123 Main Street")])])
    assert "invoiceNumber" not in values(extract_invoice([address]))
    # ... but a lone identifier below or beside the title is
    below = make_page([(40, [(400, "INVOICE")]), (60, [(400, "#INV_77")])])
    assert values(extract_invoice([below]))["invoiceNumber"] == "INV_77"


def test_glued_number_sign_and_date_in_the_number_phrase() -> None:
    page = make_page([(40, [(40, "Facture n°562044387 du 02 Juillet 2015")])])
    got = values(extract_invoice([page]))
    assert got["invoiceNumber"] == "562044387"
    assert got["invoiceDate"] == "2015-07-02"


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


def test_a_title_with_a_second_word_before_its_number() -> None:
    page = make_page([(40, [(60, "Teilrechnung Bau (875) Nr. 5511 vom 06.06.2025")])])
    got = values(extract_invoice([page]))
    assert got["invoiceNumber"] == "5511" and got["invoiceDate"] == "2025-06-06"


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


def test_credit_note_document_type() -> None:
    page = make_page([(40, [(40, "CREDIT NOTE")]), (60, [(40, "Credit note no: CN-9")])])
    got = values(extract_invoice([page]))
    assert got["documentType"] == "credit note"
    assert got["invoiceNumber"] == "CN-9"


def test_text_dump_pages_keep_their_columns() -> None:
    from benchmarks.bench_accuracy import pages_from_text

    pages = pages_from_text(
        "Faktura nr: F 12/34        Data wystawienia: 2021-01-01\n\nRazem: 12,30 PLN\n"
    )
    got = values(extract_invoice(pages))
    assert got["invoiceNumber"] == "F 12/34"
    assert got["invoiceDate"] == "2021-01-01"
    assert got["grossAmount"] == "12.30"
    assert got["currency"] == "PLN"


def test_a_title_word_after_other_words_with_its_number_mark() -> None:
    page = make_page([(40, [(60, "Selbst ausgestellte Rechnung (389) Nr. 4711 vom 02.03.2024")])])
    got = values(extract_invoice([page]))
    assert got["invoiceNumber"] == "4711" and got["invoiceDate"] == "2024-03-02"
    # a title word after other words without a number mark is prose, not a label
    prose = make_page([(40, [(60, "Bitte begleichen Sie die Rechnung 4711 bald")])])
    assert "invoiceNumber" not in values(extract_invoice([prose]))


def test_an_identifier_that_holds_a_date_is_not_a_date() -> None:
    assert parse_kind("id", "FA-2023-12-01-7", month_first=False) == ("FA-2023-12-01-7", {})
    assert parse_kind("id", "2023-12-01", month_first=False) is None
    # the issue date after such a number is the one after it, not the one inside it
    page = make_page([(40, [(60, "Facture d'acompte (386) N° FA-2023-12-01-7 du 15/01/2024")])])
    got = values(extract_invoice([page]))
    assert got["invoiceNumber"] == "FA-2023-12-01-7" and got["invoiceDate"] == "2024-01-15"


@pytest.mark.parametrize(
    ("label", "number"),
    [
        ("Avoir N° :", "AV-0042"),
        ("N° facture :", "FA-0042"),
        ("Gutschrift Nr.", "G-0042"),
        ("Rechnungs-Nummer:", "R-0042"),
        ("Document number:", "D-0042"),
    ],
)
def test_number_labels_of_credit_notes_and_documents(label: str, number: str) -> None:
    page = make_page([(40, [(60, label), (300, number)]), (60, [(60, "Total"), (300, "10,00")])])
    assert values(extract_invoice([page]))["invoiceNumber"] == number


def test_the_document_type_is_the_largest_title_not_a_word_in_the_terms() -> None:
    title = Page(
        1,
        600,
        800,
        [
            Word("INVOICE", 40, 40, 140, 64),  # a large title beside small values
            Word("RE-7", 300, 52, 330, 60),
            Word("Jan", 400, 52, 420, 60),
            Word("4,", 425, 52, 435, 60),
            Word("2018", 440, 52, 470, 60),
            Word("Payment", 40, 300, 90, 311),
            Word("terms:", 95, 300, 130, 311),
            Word("Due", 135, 300, 160, 311),
            Word("on", 165, 300, 180, 311),
            Word("receipt", 185, 300, 230, 311),
        ],
    )
    assert values(extract_invoice([title]))["documentType"] == "invoice"
