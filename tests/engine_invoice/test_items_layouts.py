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
                [
                    (40, "No."),
                    (80, "Description"),
                    (260, "Quantity"),
                    (340, "VAT"),
                    (420, "VAT %"),
                    (480, "Line Amount"),
                ],
            ),
            (
                215,
                [
                    (40, "7"),
                    (80, "Swivel chair, grey"),
                    (280, "3"),
                    (335, "191.00"),
                    (425, "19"),
                    (485, "573.00"),
                ],
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
                [
                    (40, "Description"),
                    (200, "Ship date"),
                    (280, "Qty"),
                    (340, "Price"),
                    (420, "Amount"),
                ],
            ),
            (215, [(40, "Paper, A4"), (200, "02/17/26"), (285, "2"), (340, "4.00"), (420, "8.00")]),
        ]
    )
    assert rows == [
        {
            "description": "Paper, A4",
            "quantity": "2",
            "unitPrice": "4.00",
            "totalPriceExclTax": "8.00",
        }
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


def test_a_row_whose_description_sits_above_its_amounts() -> None:
    # cells centred in a row of three lines: the name above the amounts, an article number
    # column titled only above the header line, a narrow "#" column with right-aligned numbers
    rows = _rows(
        [
            (196, [(240, "Item no.")]),
            (
                200,
                [
                    (30, "#"),
                    (60, "Line item description"),
                    (330, "Quantity"),
                    (380, "Unit"),
                    (420, "Unit price"),
                    (500, "Net"),
                ],
            ),
            (215, [(60, "HEX-BOLT-M8"), (240, "0595810")]),
            (221, [(36, "1"), (335, "25,00"), (380, "pcs"), (425, "2,06"), (500, "51,50")]),
            (227, [(60, "Hex bolt, zinc"), (240, "77112318")]),
            (245, [(60, "WASHER-M8"), (240, "0595811")]),
            (251, [(36, "2"), (335, "10,00"), (380, "pcs"), (425, "0,10"), (500, "1,00")]),
            (257, [(60, "Washer"), (240, "77112319")]),
            (290, [(380, "Total amount (net):"), (500, "52,50")]),
        ]
    )
    assert rows == [
        {
            "description": "HEX-BOLT-M8",
            "quantity": "25",
            "unitPrice": "2.06",
            "totalPriceExclTax": "51.50",
        },
        {
            "description": "WASHER-M8",
            "quantity": "10",
            "unitPrice": "0.10",
            "totalPriceExclTax": "1.00",
        },
    ]


def test_prose_above_a_line_of_totals_is_not_a_row() -> None:
    rows = _rows(
        [
            (200, [(40, "Description"), (280, "Qty"), (340, "Price"), (420, "Amount")]),
            (215, [(40, "Paper, A4"), (285, "2"), (340, "4.00"), (420, "8.00")]),
            (260, [(20, "Payments received after the due date bear interest at the legal rate")]),
            (266, [(340, "8.00"), (420, "9.60")]),
        ]
    )
    assert [r["description"] for r in rows] == ["Paper, A4"]


def test_a_row_of_summary_titles_with_rates_is_not_a_row() -> None:
    # "Net  VAT 5,5 %  VAT 20 %  Gross" over the totals: rates under the quantity and price
    # columns, but no amount in the row's own amount column
    rows = _rows(
        [
            (200, [(40, "Description"), (280, "Qty"), (340, "Price"), (420, "Amount")]),
            (215, [(40, "Paper, A4"), (285, "2"), (340, "4.00"), (420, "8.00")]),
            (
                240,
                [
                    (40, "Net"),
                    (120, "VAT"),
                    (280, "5,5 %"),
                    (300, "VAT"),
                    (340, "20 %"),
                    (420, "Gross"),
                ],
            ),
            (252, [(40, "8.00"), (120, "0.44"), (300, "1.20"), (420, "9.64")]),
        ]
    )
    assert [r["description"] for r in rows] == ["Paper, A4"]
