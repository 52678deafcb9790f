"""Line-item tables as printed pages lay them out (invented pages): two-line headers, header
words that name no known column, section rows that carry a quantity, descriptions broken after
a hyphen, compound column titles."""

from __future__ import annotations

from ocrframe.engine.items import read_tables
from ocrframe.engine.layout import group_lines
from tests.engine_invoice.pagemaker import Row, make_page


def _rows(rows: list[Row]) -> list[dict[str, str]]:
    found, _ = read_tables({1: group_lines(make_page(rows))})
    return [{c["key"]: c["value"] for c in row} for row in found]


def test_a_column_title_over_two_lines_is_one_column() -> None:
    # "Unit Price Excl." over "VAT": the unit price, not a tax column
    rows = _rows(
        [
            (190, [(330, "Unit Price Excl.")]),
            (
                200,
                [(40, "No."), (80, "Description"), (260, "Quantity"), (340, "VAT"),
                 (420, "VAT %"), (480, "Line Amount")],
            ),
            (
                215,
                [(40, "7"), (80, "Swivel chair, grey"), (280, "3"), (335, "191.00"),
                 (425, "19"), (485, "573.00")],
            ),
            (240, [(330, "Subtotal"), (485, "573.00")]),
        ]
    )
    assert rows == [
        {
            "description": "Swivel chair, grey",
            "quantity": "3",
            "unitPrice": "191.00",
            "taxRate": "19",
            "totalPriceExclTax": "573.00",
        }
    ]


def test_a_header_word_of_no_known_column_keeps_its_cells_out_of_the_description() -> None:
    rows = _rows(
        [
            (
                200,
                [(40, "Description"), (200, "Ship date"), (280, "Qty"), (340, "Price"),
                 (420, "Amount")],
            ),
            (215, [(40, "Paper, A4"), (200, "02/17/26"), (285, "2"), (340, "4.00"), (420, "8.00")]),
        ]
    )
    assert rows == [
        {"description": "Paper, A4", "quantity": "2", "unitPrice": "4.00",
         "totalPriceExclTax": "8.00"}
    ]


def test_a_section_row_with_a_quantity_and_a_price_is_a_row_and_the_table_goes_on() -> None:
    header: Row = (
        200,
        [(40, "Artikelbeschreibung"), (200, "Nettopreis"), (280, "Menge"), (420, "Nettobetrag")],
    )
    rows = _rows(
        [
            header,
            (215, [(40, "Drucker"), (200, "300,00"), (285, "2"), (420, "600,00")]),
            (230, [(40, "Zwischensumme Hardware"), (200, "600,00"), (285, "1"), (420, "600,00")]),
            (245, [(40, "Toner"), (200, "120,00"), (285, "3"), (420, "360,00")]),
            (270, [(300, "Gesamtbetrag"), (420, "1.560,00")]),
        ]
    )
    assert [(r["description"], r["unitPrice"], r["totalPriceExclTax"]) for r in rows] == [
        ("Drucker", "300.00", "600.00"),
        ("Zwischensumme Hardware", "600.00", "600.00"),
        ("Toner", "120.00", "360.00"),
    ]


def test_a_description_broken_after_a_hyphen_is_one_word_again() -> None:
    rows = _rows(
        [
            (200, [(40, "Description"), (280, "Qty"), (340, "Price"), (420, "Amount")]),
            (215, [(40, "BOLT-M10-"), (285, "25"), (340, "2.06"), (420, "51.50")]),
            (227, [(40, "A2-1000")]),
            (239, [(40, "Washer, steel"), (285, "5"), (340, "0.10"), (420, "0.50")]),
            (251, [(40, "zinc +/-")]),
            (263, [(40, "0.1 mm")]),
        ]
    )
    assert [r["description"] for r in rows] == [
        "BOLT-M10-A2-1000",
        "Washer, steel\nzinc +/-\n0.1 mm",
    ]
