"""Line items checked by arithmetic (:mod:`ocrframe.engine.rowmath`): within a row, quantity x
unit price = amount; across rows, the amounts add up to the net or the gross. Invented pages and
rows; each rule has a case where the arithmetic must decide and one where it must not."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ocrframe.engine.invoice import extract_invoice
from ocrframe.engine.items import read_tables
from ocrframe.engine.layout import group_lines
from ocrframe.engine.rowmath import agreement, reconcile, settle_row
from tests.engine_invoice.pagemaker import TABLE_HEADER, Row, items, make_page

D = Decimal


def _row(**cells: str) -> list[dict[str, Any]]:
    return [{"pageNumber": 1, "key": k, "value": v} for k, v in cells.items()]


def _values(row: list[dict[str, Any]]) -> dict[str, str]:
    return {c["key"]: c["value"] for c in row}


def _table(rows: list[Row]) -> list[dict[str, str]]:
    found, _ = read_tables({1: group_lines(make_page([TABLE_HEADER, *rows]))})
    return [_values(row) for row in found]


# ---------------------------------------------------------------------------------------------
# agreement


def test_agreement_kinds() -> None:
    assert agreement(D(3), D("2.50"), D("7.50")) == "net"
    # a unit price rounded to the cent: 400 x 32.7612 printed as 32.76
    assert agreement(D(400), D("32.76"), D("13104.48")) == "net"
    assert agreement(D(150), D("49.29"), D("73.94")) == "unit"  # price per 100 pieces
    assert agreement(D(3), D("10.00"), D("28.00"), others=[D("-2.00")]) == "discount"
    assert agreement(D(4), D("25.00"), D("90.00"), percents=[D(10)]) == "discount"
    assert agreement(D(2), D("50.00"), D("119.00"), rate=D(19)) == "gross"
    # a credit note's negative quantity
    assert agreement(D(-1), D("60.00"), D("-60.00")) == "net"


def test_agreement_refuses_what_does_not_add_up() -> None:
    assert agreement(D(3), D("2.50"), D("7.60")) is None
    assert agreement(D(2), D("50.00"), D("119.00")) is None  # no rate: not a gross amount
    assert agreement(D(2), D("50.00"), D("119.00"), rate=D(7)) is None
    assert agreement(D(3), D("10.00"), D("28.00"), others=[D("1.00")]) is None


# ---------------------------------------------------------------------------------------------
# one row


def test_a_row_that_agrees_keeps_its_columns_reading() -> None:
    # another reading would agree too (1 x 12.00 = 12.00), but the columns' one already does
    reading = settle_row(
        {"quantity": ["2"], "unitPrice": ["6.00"], "_other": ["1"], "totalPriceExclTax": ["12.00"]}
    )
    assert reading.agrees == "net"
    assert reading.values == {"quantity": D(2), "unitPrice": D("6.00"), "totalPriceExclTax": D(12)}
    assert reading.alternatives == []


def test_a_price_spilled_into_the_amount_column_is_the_price() -> None:
    # the wide price printed under the amount's header: two numbers in one column, none under
    # the price's header
    reading = settle_row({"quantity": ["4"], "totalPriceExclTax": ["1.250,00", "5.000,00"]})
    assert reading.values == {
        "quantity": D(4),
        "unitPrice": D("1250.00"),
        "totalPriceExclTax": D("5000.00"),
    }


def test_two_cells_glued_into_one_word_are_split() -> None:
    # the text layer gave "1,0060,00" for the quantity "1,00" and the price "60,00"
    glued = {"quantity": ["1,0060,00"], "totalPriceExclTax": ["60,00"]}
    reading = settle_row(glued, ["description", "quantity", "unitPrice", "totalPriceExclTax"])
    assert reading.values == {"quantity": D(1), "unitPrice": D(60), "totalPriceExclTax": D(60)}
    # the halves in the order of their columns: a table whose price comes first
    reading = settle_row(glued, ["description", "unitPrice", "quantity", "totalPriceExclTax"])
    assert reading.values == {"quantity": D(60), "unitPrice": D(1), "totalPriceExclTax": D(60)}
    # a quantity glued to the price after it: "340,00" is 3 and 40,00
    reading = settle_row({"quantity": ["340,00"], "totalPriceExclTax": ["120,00"]})
    assert reading.values == {"quantity": D(3), "unitPrice": D(40), "totalPriceExclTax": D(120)}


def test_a_quantity_and_a_price_are_not_one_thousands_group() -> None:
    # "2 464,24" in one column is 2464.24 by its spacing, but the amount says 2 x 464,24
    reading = settle_row({"unitPrice": ["2", "464,24"], "totalPriceExclTax": ["928,48"]})
    assert reading.values == {
        "quantity": D(2),
        "unitPrice": D("464.24"),
        "totalPriceExclTax": D("928.48"),
    }


def test_a_tax_rate_under_the_price_header_is_not_the_price() -> None:
    rows = _table(
        [(215, [(40, "Desk lamp"), (305, "2"), (365, "19"), (430, "12.50"), (520, "25.00")])]
    )
    assert rows == [
        {
            "description": "Desk lamp",
            "quantity": "2",
            "unitPrice": "12.50",
            "totalPriceExclTax": "25.00",
        }
    ]


def test_an_amount_with_the_tax_added_is_the_gross_amount() -> None:
    rows = _table(
        [(215, [(40, "Desk lamp"), (305, "2"), (365, "50.00"), (440, "19%"), (520, "119.00")])]
    )
    assert rows[0]["totalPriceInclTax"] == "119.00"
    assert "totalPriceExclTax" not in rows[0]


def test_a_row_that_nothing_explains_stays_as_read() -> None:
    # a discount the page does not print: no reading of the row's numbers agrees
    reading = settle_row(
        {"quantity": ["3"], "unitPrice": ["30,00"], "totalPriceExclTax": ["85,00"]}
    )
    assert reading.agrees is None
    assert reading.values == {"quantity": D(3), "unitPrice": D(30), "totalPriceExclTax": D(85)}
    assert reading.alternatives == []
    # a price per 100 pieces agrees as it is: not "corrected"
    reading = settle_row(
        {"quantity": ["150"], "unitPrice": ["49,29"], "totalPriceExclTax": ["73,94"]}
    )
    assert reading.agrees == "unit"
    assert reading.values["totalPriceExclTax"] == D("73.94")


def test_a_row_without_two_of_its_numbers_is_not_completed_by_guessing() -> None:
    reading = settle_row({"quantity": ["1"], "totalPriceExclTax": ["1,00"], "taxRate": ["0%"]})
    assert reading.values == {"quantity": D(1), "totalPriceExclTax": D(1)}
    assert reading.agrees is None


def test_two_readings_that_agree_equally_are_both_kept() -> None:
    cells = {
        "quantity": ["2"],
        "unitPrice": ["6.00"],
        "_other": ["3"],
        "totalPriceExclTax": ["12.00", "18.00"],
    }
    reading = settle_row(cells)
    # 2 x 6 = 12 or 3 x 6 = 18: the columns' reading (2, 6, 18) stays, both are alternatives
    assert reading.values == {"quantity": D(2), "unitPrice": D(6), "totalPriceExclTax": D(18)}
    assert sorted(a["totalPriceExclTax"] for a in reading.alternatives) == [D(12), D(18)]


# ---------------------------------------------------------------------------------------------
# across rows


def test_the_net_total_chooses_between_a_row_s_readings() -> None:
    first = _row(description="A", quantity="1", unitPrice="10.00", totalPriceExclTax="10.00")
    second = _row(description="B", quantity="2", unitPrice="6.00", totalPriceExclTax="18.00")
    alternatives = {
        id(second): [
            {"quantity": D(2), "unitPrice": D(6), "totalPriceExclTax": D(12)},
            {"quantity": D(3), "unitPrice": D(6), "totalPriceExclTax": D(18)},
        ]
    }
    rows = reconcile([first, second], alternatives, net=D(22), gross=D("26.18"))
    assert _values(rows[1]) == {
        "description": "B",
        "quantity": "2",
        "unitPrice": "6.00",
        "totalPriceExclTax": "12.00",
    }


def test_without_a_total_or_a_fitting_sum_the_rows_stay_as_read() -> None:
    def fresh() -> tuple[list[list[dict[str, Any]]], dict[int, Any]]:
        row = _row(description="B", quantity="2", unitPrice="6.00", totalPriceExclTax="18.00")
        alts = {
            id(row): [
                {"quantity": D(2), "unitPrice": D(6), "totalPriceExclTax": D(12)},
                {"quantity": D(3), "unitPrice": D(6), "totalPriceExclTax": D(18)},
            ]
        }
        return [row], alts

    for net, gross in ((None, None), (D(50), D("59.50"))):
        rows, alts = fresh()
        before = [_values(r) for r in rows]
        assert [_values(r) for r in reconcile(rows, alts, net=net, gross=gross)] == before


def test_amounts_that_add_up_to_the_gross_are_gross_amounts() -> None:
    rows = [
        _row(description="A", totalPriceExclTax="119.00"),
        _row(description="B", totalPriceExclTax="59.50"),
    ]
    reconcile(rows, {}, net=D(150), gross=D("178.50"))
    assert [next(iter(_values(r).keys() - {"description"})) for r in rows] == [
        "totalPriceInclTax",
        "totalPriceInclTax",
    ]
    # they add up to the net: net amounts, as read
    rows = [_row(description="A", totalPriceExclTax="100.00")]
    reconcile(rows, {}, net=D(100), gross=D(119))
    assert _values(rows[0])["totalPriceExclTax"] == "100.00"


def test_section_subtotals_read_as_rows_are_dropped_when_the_rest_adds_up() -> None:
    rows = [
        _row(description="A", quantity="1", unitPrice="10.00", totalPriceExclTax="10.00"),
        _row(description="B", quantity="2", unitPrice="5.00", totalPriceExclTax="10.00"),
        _row(description="Hardware", totalPriceExclTax="20.00"),
        _row(description="C", quantity="1", unitPrice="7.00", totalPriceExclTax="7.00"),
        _row(description="D", quantity="1", unitPrice="3.00", totalPriceExclTax="3.00"),
        _row(description="Services", totalPriceExclTax="10.00"),
    ]
    kept = reconcile(rows, {}, net=D(30), gross=D("35.70"))
    assert [_values(r)["description"] for r in kept] == ["A", "B", "C", "D"]
    # a section row with a quantity and a price is an item the invoice lists: kept
    rows = [
        _row(description="A", quantity="1", unitPrice="10.00", totalPriceExclTax="10.00"),
        _row(description="B", quantity="2", unitPrice="5.00", totalPriceExclTax="10.00"),
        _row(description="Hardware", quantity="1", unitPrice="20.00", totalPriceExclTax="20.00"),
    ]
    assert len(reconcile(rows, {}, net=D(20), gross=D("23.80"))) == 3


def test_a_last_row_that_sums_the_rows_above_is_a_total_not_a_row() -> None:
    rows = [
        _row(description="A", quantity="1", unitPrice="10.00", totalPriceExclTax="10.00"),
        _row(description="B", quantity="2", unitPrice="5.00", totalPriceExclTax="10.00"),
        _row(description="Summe Positionen", totalPriceExclTax="20.00"),
    ]
    assert len(reconcile(rows, {}, net=D(20), gross=D("23.80"))) == 2
    # the same rows without a total to check against: kept
    rows.append(_row(description="Summe Positionen", totalPriceExclTax="20.00"))
    assert len(reconcile(rows, {}, net=None, gross=None)) == 3


def test_the_page_s_totals_name_a_table_s_amounts_gross() -> None:
    page = make_page(
        [
            (60, [(40, "Invoice No."), (140, "A-17")]),
            (200, [(40, "Description"), (300, "Qty"), (360, "Unit Price"), (520, "Amount")]),
            (215, [(40, "Paper, box"), (305, "2"), (365, "10.00"), (520, "23.80")]),
            (229, [(40, "Toner"), (305, "1"), (365, "50.00"), (520, "59.50")]),
            (260, [(360, "Net total"), (520, "70.00")]),
            (274, [(360, "VAT 19%"), (520, "13.30")]),
            (288, [(360, "Total"), (520, "83.30")]),
        ]
    )
    assert [
        (r["description"], r.get("totalPriceInclTax")) for r in items(extract_invoice([page]))
    ] == [
        ("Paper, box", "23.80"),
        ("Toner", "59.50"),
    ]


def test_an_amount_with_a_space_in_its_thousands_stays_one_amount() -> None:
    # "1 050,00" under the amount: one amount, even though 1 x 50,00 would make the row agree
    reading = settle_row(
        {"quantity": ["1"], "unitPrice": ["50,00"], "totalPriceExclTax": ["1", "050,00"]}
    )
    assert reading.values["totalPriceExclTax"] == D("1050.00")
    assert reading.alternatives == []


def test_amounts_under_their_description_make_a_row_when_they_agree() -> None:
    # each row's name on one line (with an article code in the discount column), its numbers on
    # the next: quantity x price = amount says the numbers are a row, not a total
    rows = _table(
        [
            (215, [(40, "Support contract"), (440, "(RE)")]),
            (222, [(305, "2"), (365, "40.00"), (440, "20%"), (520, "80.00")]),
            (240, [(40, "Cable, 3 m"), (440, "(RE)")]),
            (247, [(305, "3"), (365, "5.00"), (440, "20%"), (520, "15.00")]),
        ]
    )
    assert [(r["description"], r["totalPriceExclTax"]) for r in rows] == [
        ("Support contract", "80.00"),
        ("Cable, 3 m", "15.00"),
    ]


def test_amounts_under_a_description_that_do_not_agree_end_the_table() -> None:
    rows = _table(
        [
            (215, [(40, "Desk lamp"), (305, "2"), (365, "12.50"), (440, "20%"), (520, "25.00")]),
            (260, [(40, "Shipping and handling"), (440, "(RE)")]),
            # no quantity x price: amounts of a totals block without its label, not a row
            (267, [(305, "2"), (365, "95.00"), (520, "31.50")]),
        ]
    )
    assert [r["description"] for r in rows] == ["Desk lamp"]


def test_a_description_starting_left_of_a_wide_title_keeps_its_first_word() -> None:
    page = make_page(
        [
            (
                200,
                [
                    (20, "#"),
                    (60, "Code"),
                    (160, "Name & Designation"),
                    (330, "Qty"),
                    (380, "Unit Price"),
                    (520, "Amount"),
                ],
            ),
            (
                215,
                [
                    (20, "1"),
                    (60, "A-77"),
                    (170, "WORKSHOP CHAIRS grey"),
                    (335, "2"),
                    (385, "70.00"),
                    (520, "140.00"),
                ],
            ),
        ]
    )
    found, _ = read_tables({1: group_lines(page)})
    # "WORKSHOP" starts 25 left of the title and runs under it
    assert _values(found[0])["description"] == "WORKSHOP CHAIRS grey"


def test_an_amount_a_line_below_its_row_is_the_row_s_when_it_agrees() -> None:
    rows = _table(
        [
            (215, [(40, "Installation, flat rate"), (305, "3"), (365, "45.00")]),
            (227, [(520, "135.00")]),
            (240, [(40, "Travel"), (305, "1"), (365, "30.00"), (520, "30.00")]),
        ]
    )
    assert [(r["description"], r.get("totalPriceExclTax")) for r in rows] == [
        ("Installation, flat rate", "135.00"),
        ("Travel", "30.00"),
    ]


def test_an_amount_below_a_row_that_it_does_not_fit_is_not_the_row_s() -> None:
    rows = _table(
        [
            (215, [(40, "Installation, flat rate"), (305, "3"), (365, "45.00")]),
            (227, [(520, "150.00")]),  # not 3 x 45.00: a total without its label
        ]
    )
    assert rows == [
        {"description": "Installation, flat rate", "quantity": "3", "unitPrice": "45.00"}
    ]
