"""Layout (:mod:`ocrframe.engine.layout`): words -> lines -> phrases, label tokens, text model."""

from __future__ import annotations

from ocrframe.engine.layout import (
    extract_text_lines,
    gapped_text,
    group_lines,
    label_token,
    line_phrases,
)
from ocrframe.engine.types import Page, Word
from tests.engine_invoice.pagemaker import make_page


def test_phrases_split_at_a_column_sized_gap() -> None:
    page = make_page([(40, [(40, "Invoice Number:"), (300, "INV 12"), (340, "far")])])
    (line,) = group_lines(page)
    assert [p.text for p in line_phrases(line)] == ["Invoice Number:", "INV 12 far"]
    assert line_phrases(line)[0].tokens == ["invoice", "number"]
    # a wider gap factor joins what a narrow one splits
    assert len(line_phrases(line, 20.0)) == 1
    assert gapped_text(line.words) == "Invoice Number: | INV 12 far"


def test_glued_label_and_value_are_two_words() -> None:
    page = Page(
        1, 600, 800, [Word("Date:31/12/2017", 40, 40, 115, 50), Word("n°562", 200, 40, 225, 50)]
    )
    (line,) = group_lines(page)
    assert [w.text for w in line.words] == ["Date:", "31/12/2017", "n°", "562"]


def test_abbreviation_glued_to_its_number_is_two_words() -> None:
    # OCR that reads a narrow line may drop the space after an abbreviation's full stop
    page = Page(
        1,
        600,
        800,
        [
            Word("VAT.7", 40, 40, 80, 50),
            Word("%", 85, 40, 95, 50),
            Word("4.291,32", 300, 40, 360, 50),
        ],
    )
    (line,) = group_lines(page)
    assert [w.text for w in line.words] == ["VAT.", "7", "%", "4.291,32"]
    # an amount, a dotted date and a version stay whole
    for text in ("4.291,32", "21.10.2024", "v1.2", "z.B."):
        (one,) = group_lines(Page(1, 600, 800, [Word(text, 40, 40, 90, 50)]))
        assert [w.text for w in one.words] == [text]


def test_label_tokens_fold_case_accents_and_marks() -> None:
    assert label_token("Rechnungsempfänger:") == "rechnungsempfanger"
    assert label_token("N°") == "no" and label_token("Nº") == "no"
    # a compound naming a kind of invoice reads as its title word
    assert label_token("Schlussrechnung") == "rechnung"
    assert label_token("(Total)") == "total"


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


def test_a_skewed_receipt_of_short_lines_is_straightened_by_the_ocr_s_slope() -> None:
    # a narrow receipt turned by about 3 degrees: each line is a label and an amount, too few
    # words for the words' own centres to tell the slope, so only the OCR's measure straightens
    slope = 0.05
    words = []
    for row, (label, amount) in enumerate(
        (("SUBTOTAL", "10.00"), ("TAX", "0.60"), ("TOTAL", "10.60"))
    ):
        for x, text in ((20, label), (300, amount)):
            y = 100 + row * 16 + slope * x
            words.append(Word(text, x, y, x + 60, y + 10))
    expected = ["SUBTOTAL 10.00", "TAX 0.60", "TOTAL 10.60"]
    assert [ln.text for ln in group_lines(Page(1, 400, 600, words))] != expected
    straight = group_lines(Page(1, 400, 600, words, origin="ocr", skew=slope))
    assert [ln.text for ln in straight] == expected
