"""The receipt's seller name from the header lines (invented shops), the dates OCR misreads,
and the benchmark's name comparison (case and spacing normalised, as issue 10 defines it)."""

from __future__ import annotations

from datetime import date

import pytest

from benchmarks import bench_accuracy
from benchmarks.bench_accuracy import same_value
from ocrframe.engine.layout import group_lines
from ocrframe.engine.normalize import find_dates
from ocrframe.engine.receipt import header_phrases, receipt_seller
from ocrframe.engine.types import Page, Word


def test_a_name_over_three_lines_is_joined_by_its_suffix_words_and_its_bracket() -> None:
    lines = [
        ["BLUE HERON TIMBER"],
        ["ENTERPRISE (NORTH"],
        ["BAY) SDN BHD"],
        ["123456-X"],
        ["NO. 7, JALAN SATU"],
    ]
    assert receipt_seller(lines) == "BLUE HERON TIMBER ENTERPRISE (NORTH BAY) SDN BHD"


def test_a_brand_line_above_the_company_is_not_joined_to_it() -> None:
    lines = [["LITTLE LANTERN NOODLE RESTAURANT"], ["PINE RIDGE FOODS SDN BHD"], ["TEL: 03-1234"]]
    assert receipt_seller(lines) == "PINE RIDGE FOODS SDN BHD"


def test_a_country_mark_before_the_legal_form_still_continues_the_name() -> None:
    lines = [["SILVER CRANE HOLDINGS"], ["(M) SDN. BHD."], ["LOT 9, MAIN ROAD"]]
    assert receipt_seller(lines) == "SILVER CRANE HOLDINGS (M) SDN. BHD."


def test_ocr_digits_in_a_legal_form_are_read_as_its_letters() -> None:
    assert receipt_seller([["88 QUICK MART 5/B (123456-X)"], ["LOT 1"]]) == "88 QUICK MART S/B"
    assert receipt_seller([["AMBER LEAF 5DN 8HD"], ["LOT 1"]]) == "AMBER LEAF SDN BHD"
    # a number of the shop's own name is left alone
    assert receipt_seller([["7 STAR KEDAI RUNCIT"], ["LOT 1"]]) == "7 STAR KEDAI RUNCIT"


def test_ocr_digits_between_the_letters_of_a_name_are_read_as_letters() -> None:
    cases = {
        "HARB0UR BOOKS SDN BHD": "HARBOUR BOOKS SDN BHD",  # 0 for O
        "W1SMA TIMBER TRADING": "WISMA TIMBER TRADING",  # 1 for I
        "KEDAI RUNCIT BE5TARI": "KEDAI RUNCIT BESTARI",  # 5 for S
        "RO8IN CAFE": "ROBIN CAFE",  # 8 for B
        "Harb0ur Cafe": "Harbour Cafe",  # in lower case: 0 for o
        "Marb1e Bakery": "Marble Bakery",  # 1 for l
    }
    for printed, name in cases.items():
        assert receipt_seller([[printed], ["12 Jalan Mawar"]]) == name
    # numbers, codes, a number glued to a word, mixed case and digits like no letter stay
    for printed in (
        "3M CENTRE",
        "U13 MART",
        "1UTAMA TRADING",
        "7ELEVEN",
        "B2B SUPPLY",
        "G2000 STORE",
        "Ca5H Corner",
        "MAR7ET HALL",
        "Ro8in Cafe",
        "Ha1e Cafe",
    ):
        assert receipt_seller([[printed], ["12 Jalan Mawar"]]) == printed


def test_registration_numbers_are_not_part_of_the_name() -> None:
    assert receipt_seller([["RIVER STONE TRADING 002065464-X"], ["NO. 5"]]) == (
        "RIVER STONE TRADING"
    )
    assert receipt_seller([["OAK & IVY SDN BHD (CO.REG : 704427-T)"], ["NO. 5"]]) == (
        "OAK & IVY SDN BHD"
    )


def test_a_stamp_number_between_a_name_and_its_legal_form_does_not_part_them() -> None:
    lines = [["HAPPY GOAT CAFE"], ["A03115"], ["SDN BHD"], ["JALAN DUA"]]
    assert receipt_seller(lines) == "HAPPY GOAT CAFE SDN BHD"
    # a greeting does part them: the name is the one line with a legal form
    lines = [["HAPPY GOAT CAFE"], ["WELCOME"], ["PINE RIDGE FOODS SDN BHD"], ["JALAN DUA"]]
    assert receipt_seller(lines) == "PINE RIDGE FOODS SDN BHD"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("25/l2/2018", date(2018, 12, 25)),
        ("2S/12/2O18", date(2018, 12, 25)),
        ("DATE:25/12/201814:05", date(2018, 12, 25)),
        ("12 Mac 2018", date(2018, 3, 12)),
        ("3 OGOS 2018", date(2018, 8, 3)),
        ("25 Dis 18", date(2018, 12, 25)),
    ],
)
def test_dates_as_ocr_and_malay_receipts_print_them(text: str, expected: date) -> None:
    found = find_dates(text)
    assert found and found[0].value == expected


def test_words_are_not_mended_into_dates() -> None:
    assert find_dates("sold 12/ls/is") == []
    assert find_dates("tel 03-5512-3228") == []


def test_names_are_compared_for_case_and_spacing_only(monkeypatch: pytest.MonkeyPatch) -> None:
    assert same_value("seller_name", "MR. D. I. Y. SDN BHD", "Mr. D.I.Y. Sdn Bhd")
    assert same_value("seller_name", "NORTH STAR SHOP", "NORTHSTARSHOP")
    assert not same_value("seller_name", "NORTH STAR SHOP", "NORTH STAR SHOP.")
    assert not same_value("seller_name", "NORTH STAR SHOP", "NORTH STAR 5HOP")
    monkeypatch.setattr(bench_accuracy, "STRICT_NAMES", True)
    assert not same_value("seller_name", "NORTH STAR SHOP", "NORTHSTARSHOP")
    assert same_value("seller_name", "North  Star Shop", "NORTH STAR SHOP")


def test_a_stamp_across_the_name_line_is_not_part_of_the_name() -> None:
    # a tall handwritten number overlapping the printed name line: not glued to its words
    words = [
        Word("PINE", 100, 100, 140, 120),
        Word("RIDGE", 145, 100, 195, 120),
        Word("SDN", 200, 100, 230, 120),
        Word("A0311", 215, 70, 300, 118),
        Word("BHD", 235, 100, 265, 120),
        Word("NO.", 100, 130, 125, 150),
        Word("5,", 130, 130, 145, 150),
        Word("JALAN", 150, 130, 200, 150),
    ]
    lines = group_lines(Page(1, 400, 600, words))
    assert all("A0311" not in w.text or w.text == "A0311" for ln in lines for w in ln.words)
    assert receipt_seller(header_phrases(lines)) == "PINE RIDGE SDN BHD"


def test_the_slip_s_title_is_never_the_shop_even_glued_by_ocr() -> None:
    assert receipt_seller([["TAXINVOICE"], ["LUCKY LEAF"], ["NO. 5, JALAN DUA"]]) == ("LUCKY LEAF")
    assert receipt_seller([["REPRINT"], ["CASH SALES"], ["MOONLIGHT"], ["TEL 03-1234"]]) == (
        "MOONLIGHT"
    )


def test_address_words_count_only_as_whole_words() -> None:
    # "LOTUS", "REGAL", "ROADHOUSE" are names; "LOT 12", "REG.", "ROAD" start the address
    assert receipt_seller([["LOTUS GARDEN"], ["LOT 12, MAIN ROAD"]]) == "LOTUS GARDEN"
    assert receipt_seller([["REGAL ROADHOUSE"], ["88 HILL ROAD"]]) == "REGAL ROADHOUSE"


def test_small_print_on_the_name_line_stays_in_the_name() -> None:
    words = [
        Word("GRAND", 100, 100, 180, 140),
        Word("OAK", 190, 100, 250, 140),
        Word("SDN", 260, 120, 280, 135),
        Word("BHD", 285, 120, 305, 135),
        Word("NO.", 100, 150, 125, 165),
        Word("5", 130, 150, 140, 165),
    ]
    lines = group_lines(Page(1, 400, 600, words))
    assert receipt_seller(header_phrases(lines)) == "GRAND OAK SDN BHD"
