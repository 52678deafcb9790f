"""The invoice and text models on literal pages of words: layout rules, formats, absence."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from ocrframe.engine.invoice import extract_invoice, extract_text_lines, group_lines
from ocrframe.engine.normalize import find_currency_marks, parse_amount, parse_date
from ocrframe.engine.types import Page, Word

CHAR = 5.0  # width of one character in these literal pages
HEIGHT = 10.0

# A row: (y, [(x, "text of a phrase"), ...]); each phrase is split into words one space apart.
Row = tuple[float, Sequence[tuple[float, str]]]


def make_page(rows: Sequence[Row], number: int = 1, width: float = 600.0) -> Page:
    words: list[Word] = []
    for y, phrases in rows:
        for x, text in phrases:
            cursor = x
            for token in text.split():
                w = len(token) * CHAR
                words.append(Word(token, cursor, y, cursor + w, y + HEIGHT))
                cursor += w + CHAR
    return Page(number, width, 800.0, words)


def fields(result: dict[str, Any]) -> dict[str, tuple[str, int]]:
    out: dict[str, tuple[str, int]] = {}
    for f in result["fieldList"]:
        out.setdefault(f["key"], (f["value"], f["pageNumber"]))
    return out


def values(result: dict[str, Any]) -> dict[str, str]:
    return {k: v for k, (v, _) in fields(result).items()}


def items(result: dict[str, Any]) -> list[dict[str, Any]]:
    return [{c["key"]: c["value"] for c in row} for row in result["itemList"]]


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


TABLE_HEADER: Row = (
    200,
    [(40, "Description"), (300, "Qty"), (360, "Unit Price"), (440, "VAT %"), (520, "Amount")],
)


def test_table_rows_by_header_columns_with_a_two_line_description() -> None:
    page = make_page(
        [
            (60, [(40, "Invoice #"), (100, "77")]),
            TABLE_HEADER,
            (
                215,
                [(40, "Office chair"), (305, "2"), (365, "70.00"), (440, "20%"), (520, "140.00")],
            ),
            (229, [(40, "Serial no. 12345")]),
            (243, [(40, "Desk lamp"), (305, "1"), (365, "12.50"), (440, "20%"), (520, "12.50")]),
            (275, [(360, "Subtotal"), (520, "152.50")]),
            (289, [(360, "VAT 20%"), (520, "30.50")]),
            (303, [(360, "Total"), (520, "183.00")]),
        ]
    )
    result = extract_invoice([page])
    rows = items(result)
    assert rows == [
        {
            "description": "Office chair\nSerial no. 12345",
            "quantity": "2",
            "unitPrice": "70.00",
            "taxRate": "20",
            "totalPriceExclTax": "140.00",
        },
        {
            "description": "Desk lamp",
            "quantity": "1",
            "unitPrice": "12.50",
            "taxRate": "20",
            "totalPriceExclTax": "12.50",
        },
    ]
    got = values(result)
    assert got["netAmount"] == "152.50"
    assert got["totalTax"] == "30.50"
    assert got["grossAmount"] == "183.00"
    assert [{c["key"]: c["value"] for c in row} for row in result["taxList"]] == [
        {"taxValue": "30.50", "taxPercentage": "20"}
    ]


def test_items_continue_on_page_two_with_their_page_numbers() -> None:
    page1 = make_page(
        [
            (40, [(40, "Nordwind Logistik GmbH")]),
            (60, [(300, "Rechnungsnummer:"), (450, "RE-5")]),
            TABLE_HEADER,
            (215, [(40, "Item one"), (305, "1"), (365, "10.00"), (440, "19%"), (520, "10.00")]),
            (229, [(40, "Item two"), (305, "1"), (365, "20.00"), (440, "19%"), (520, "20.00")]),
        ],
        number=1,
    )
    page2 = make_page(
        [
            (60, [(40, "Nordwind Logistik GmbH")]),
            TABLE_HEADER,
            (215, [(40, "Item three"), (305, "3"), (365, "5.00"), (440, "19%"), (520, "15.00")]),
            (260, [(360, "Total"), (500, "45.00 EUR")]),
        ],
        number=2,
    )
    result = extract_invoice([page1, page2])
    pages = [(row[0]["value"], row[0]["pageNumber"]) for row in result["itemList"]]
    assert pages == [("Item one", 1), ("Item two", 1), ("Item three", 2)]
    assert all(cell["pageNumber"] == 2 for cell in result["itemList"][2])
    got = fields(result)
    assert got["invoiceNumber"] == ("RE-5", 1)
    assert got["grossAmount"] == ("45.00", 2)
    assert got["sellerName"] == ("Nordwind Logistik GmbH", 1)


def test_german_labels_and_formats() -> None:
    page = make_page(
        [
            (40, [(40, "Verkäufer:")]),
            (54, [(40, "Lindenhof Technik GmbH")]),
            (40, [(320, "Rechnungsempfänger:")]),
            (54, [(320, "Anna Becker")]),
            (120, [(40, "Rechnungs-Nr.:"), (200, "RE-2019-0042")]),
            (134, [(40, "Rechnungsdatum:"), (200, "11.02.2019")]),
            (148, [(40, "Fällig am:"), (200, "11. März 2019")]),
            (400, [(300, "Nettobetrag"), (480, "1.037,44 €")]),
            (414, [(300, "MwSt. 19 %"), (480, "197,11 €")]),
            (428, [(300, "Gesamtbetrag"), (480, "1.234,55 €")]),
            (460, [(40, "Zahlungsbedingungen: 14 Tage netto")]),
        ]
    )
    result = extract_invoice([page])
    got = values(result)
    assert got["invoiceNumber"] == "RE-2019-0042"
    assert got["invoiceDate"] == "2019-02-11"
    assert got["dueDate"] == "2019-03-11"
    assert got["netAmount"] == "1037.44"
    assert got["totalTax"] == "197.11"
    assert got["grossAmount"] == "1234.55"
    assert got["currency"] == "EUR"
    assert got["paymentTerms"] == "14 Tage netto"
    assert got["sellerName"] == "Lindenhof Technik GmbH"
    assert got["buyerName"] == "Anna Becker"
    assert result["taxList"] == [
        [
            {"pageNumber": 1, "key": "taxValue", "value": "197.11"},
            {"pageNumber": 1, "key": "taxPercentage", "value": "19"},
        ]
    ]


def test_french_labels_and_formats() -> None:
    page = make_page(
        [
            (40, [(40, "FACTURE")]),
            (80, [(40, "Numéro de facture :"), (220, "FA-2019-12")]),
            (94, [(40, "Date de facture :"), (220, "11 février 2019")]),
            (108, [(40, "Échéance :"), (220, "13/03/2019")]),
            (130, [(40, "Facturé à :")]),
            (144, [(40, "Atelier Dupont SARL")]),
            (400, [(300, "Total HT"), (460, "1 000,00 €")]),
            (414, [(300, "TVA 5,5 %"), (460, "55,00 €")]),
            (428, [(300, "Total TTC"), (460, "1 055,00 €")]),
            (442, [(300, "Net à payer"), (460, "1 055,00 €")]),
        ]
    )
    got = values(extract_invoice([page]))
    assert got["invoiceNumber"] == "FA-2019-12"
    assert got["invoiceDate"] == "2019-02-11"
    assert got["dueDate"] == "2019-03-13"
    assert got["netAmount"] == "1000.00"
    assert got["totalTax"] == "55.00"
    assert got["grossAmount"] == "1055.00"
    assert got["amountDue"] == "1055.00"
    assert got["buyerName"] == "Atelier Dupont SARL"


def test_values_that_are_not_there_stay_absent() -> None:
    page = make_page(
        [
            (40, [(40, "Invoice Number: 123456")]),
            (60, [(40, "Due Date:"), (200, "on receipt")]),
            (80, [(40, "Total:")]),
            (200, [(40, "Thank you for your business.")]),
        ]
    )
    result = extract_invoice([page])
    got = values(result)
    assert got == {"invoiceNumber": "123456", "documentType": "invoice"}
    assert result["itemList"] == [] and result["taxList"] == []
    assert extract_invoice([]) == {"fieldList": [], "itemList": [], "taxList": []}
    assert extract_invoice([Page(1, 600, 800, [])]) == {
        "fieldList": [],
        "itemList": [],
        "taxList": [],
    }


def test_credit_note_document_type() -> None:
    page = make_page([(40, [(40, "CREDIT NOTE")]), (60, [(40, "Credit note no: CN-9")])])
    got = values(extract_invoice([page]))
    assert got["documentType"] == "credit note"
    assert got["invoiceNumber"] == "CN-9"


def test_text_model_gives_lines_in_reading_order() -> None:
    page1 = make_page([(100, [(300, "right"), (40, "left")]), (50, [(40, "first line")])])
    page2 = make_page([(30, [(40, "page two")])], number=2)
    result = extract_text_lines([page1, page2])
    assert result == {
        "fieldList": [
            {"pageNumber": 1, "key": "line", "value": "first line"},
            {"pageNumber": 1, "key": "line", "value": "left right"},
            {"pageNumber": 2, "key": "line", "value": "page two"},
        ],
        "itemList": [],
        "taxList": [],
    }


def test_a_skewed_scan_still_gives_whole_lines() -> None:
    # a page turned by about 1.5 degrees: y grows by 0.026 per unit of x
    slope = 0.026
    words = []
    for row in range(6):
        for col, text in enumerate(("Label", "value", "far", "right")):
            x = 40 + col * 120
            y = 100 + row * 14 + slope * x
            words.append(Word(f"{text}{row}", x, y, x + 40, y + 10))
    lines = group_lines(Page(1, 600, 800, words))
    assert [ln.text for ln in lines] == [f"Label{r} value{r} far{r} right{r}" for r in range(6)]


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


def test_a_table_continues_on_a_page_without_its_header() -> None:
    page1 = make_page(
        [
            (60, [(300, "Invoice No:"), (450, "C-1")]),
            TABLE_HEADER,
            (215, [(40, "Item one"), (305, "1"), (365, "10.00"), (440, "20%"), (520, "10.00")]),
            (240, [(330, "Page 1 of 2")]),  # close below, its numbers under the price
        ],
        number=1,
    )
    page2 = make_page(
        [
            (40, [(40, "Invoice No: C-1")]),
            (80, [(40, "Item two"), (305, "2"), (365, "5.00"), (440, "20%"), (520, "10.00")]),
            (94, [(40, "Item three"), (305, "1"), (365, "1.50"), (440, "20%"), (520, "1.50")]),
            (130, [(360, "Total"), (500, "25.80 USD")]),
        ],
        number=2,
    )
    result = extract_invoice([page1, page2])
    rows = [(row[0]["value"], row[0]["pageNumber"]) for row in result["itemList"]]
    assert rows == [("Item one", 1), ("Item two", 2), ("Item three", 2)]
    assert fields(result)["grossAmount"] == ("25.80", 2)


def test_random_words_never_break_the_models() -> None:
    import random

    vocab = [
        "Invoice",
        "Total",
        "Tax",
        "12,50",
        "€",
        "$4.11",
        "Date:",
        "11.02.2019",
        "Description",
        "Qty",
        "Amount",
        "Rechnung",
        "MwSt",
        "19%",
        ":",
        "#",
        "n°5",
        "1.234,56",
        "Bill",
        "To:",
        "Subtotal",
        "Net",
        "Due",
        "Facture",
        "TVA",
        "TTC",
        "HT",
        "-",
        "x",
    ]
    rng = random.Random(0)
    for _ in range(40):
        words = []
        for _ in range(rng.randint(0, 150)):
            x, y = rng.uniform(-10, 600), rng.uniform(-10, 800)
            h, w = rng.choice([0.0, 0.5, 8.0, 10.0, 30.0]), rng.uniform(0, 80)
            words.append(Word(rng.choice(vocab), x, y, x + w, y + h))
        pages = [Page(1, 600, 800, words[::2]), Page(2, 600, 800, words[1::2])]
        result = extract_invoice(pages)
        assert set(result) == {"fieldList", "itemList", "taxList"}
        assert all(f["pageNumber"] in (1, 2) for f in result["fieldList"])
        assert len(extract_text_lines(pages)["fieldList"]) <= len(words)


def test_a_thousands_group_stays_with_its_amount() -> None:
    # "9 464,24" right-aligned under "Montant": the "9" sticks out left of the header
    page = make_page(
        [
            (200, [(40, "Désignation"), (300, "Qté"), (380, "Taux TVA"), (500, "Montant")]),
            (215, [(40, "Licence logiciel"), (305, "4"), (390, "20 %"), (470, "9 464,24")]),
        ]
    )
    assert items(extract_invoice([page])) == [
        {
            "description": "Licence logiciel",
            "quantity": "4",
            "taxRate": "20",
            "totalPriceExclTax": "9464.24",
        }
    ]
