"""Line items (:mod:`ocrframe.engine.items`): tables by their header's columns."""

from __future__ import annotations

from decimal import Decimal

from ocrframe.engine.invoice import extract_invoice
from ocrframe.engine.items import items_net_sum, read_tables
from ocrframe.engine.layout import group_lines
from tests.engine_invoice.pagemaker import TABLE_HEADER, fields, items, make_page, values


def test_read_tables_gives_rows_and_the_lines_it_used() -> None:
    page = make_page(
        [
            (60, [(40, "Invoice #"), (100, "77")]),
            TABLE_HEADER,
            (215, [(40, "Chair"), (305, "2"), (365, "70.00"), (440, "20%"), (520, "140.00")]),
            (275, [(360, "Total"), (520, "168.00")]),
        ]
    )
    lines = group_lines(page)
    rows, used = read_tables({1: lines})
    assert [{c["key"]: c["value"] for c in row} for row in rows] == [
        {
            "description": "Chair",
            "quantity": "2",
            "unitPrice": "70.00",
            "taxRate": "20",
            "totalPriceExclTax": "140.00",
        }
    ]
    # the header and the row are the table's; the number and the total are not
    assert [ln.text for ln in lines if id(ln) in used] == [lines[1].text, lines[2].text]
    assert items_net_sum(rows) == Decimal("140.00")


def test_items_net_sum_needs_every_row_s_amount() -> None:
    row = [{"pageNumber": 1, "key": "totalPriceExclTax", "value": "2.50"}]
    assert items_net_sum([row, row]) == Decimal("5.00")
    assert items_net_sum([row, [{"pageNumber": 1, "key": "description", "value": "x"}]]) is None
    assert items_net_sum([]) is None


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
