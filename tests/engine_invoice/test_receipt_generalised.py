"""Receipt rules found on generated receipts (tools/synth/receipts.py), on literal invented
lines: the company behind a shop introduced ("Owned by ..."), a registration in a bracket after
the legal form, a name the printer wrapped, and tills in German, French and Dutch or paid by
card."""

from __future__ import annotations

from decimal import Decimal

from ocrframe.engine.invoice import extract_invoice
from ocrframe.engine.layout import group_lines
from ocrframe.engine.normalize import find_currency_marks
from ocrframe.engine.receipt import header_phrases, is_receipt, receipt_seller, receipt_total
from ocrframe.engine.types import Page, Word
from tests.engine_invoice.pagemaker import make_page, values


def _words(y: float, text: str, x: float, size: float, char: float) -> list[Word]:
    """The words of ``text`` from ``x`` at ``y``, each character ``char`` wide."""
    out = []
    for word in text.split():
        out.append(Word(word, x, y, x + char * len(word), y + size))
        x += char * (len(word) + 1)
    return out


def test_the_words_that_introduce_the_company_are_not_its_name() -> None:
    cases = {
        "Owned by PINE RIDGE FOODS SDN BHD": "PINE RIDGE FOODS SDN BHD",
        "Operated by Kestrel Retail Ltd": "Kestrel Retail Ltd",
        "Magasin exploité par Lunor Commerce SAS": "Lunor Commerce SAS",
        "Betrieben von Haldor Handel GmbH": "Haldor Handel GmbH",
        "A member of Veldmark Groep B.V.": "Veldmark Groep B.V.",
        "Een vestiging van Tumelo Retail N.V.": "Tumelo Retail N.V.",
    }
    for line, name in cases.items():
        assert receipt_seller([["CORNER PANTRY"], [line], ["12 Mill Road"]]) == name
    # an introducer on a line of its own is no name, and does not part brand and company
    lines = [["CORNER PANTRY"], ["Managed by"], ["ORVELLO PTE LTD"], ["TEL 6123 4567"]]
    assert receipt_seller(lines) == "ORVELLO PTE LTD"
    # "of" inside a name is part of it
    assert receipt_seller([["HOUSE OF TEAK SDN BHD"], ["LOT 5"]]) == "HOUSE OF TEAK SDN BHD"


def test_a_registration_bracket_after_the_legal_form_is_not_part_of_the_name() -> None:
    assert receipt_seller([["Lunor Commerce SASU (RCS Lyon"], ["512 300 118)"]]) == (
        "Lunor Commerce SASU"
    )
    assert receipt_seller([["Veldmark B.V. (KvK 3401 2211)"], ["Kerkstraat 4"]]) == (
        "Veldmark B.V."
    )
    # OCR's full-width brackets
    assert receipt_seller([["NUSARA SDN BHD \uff08123456-X\uff09"], ["LOT 5"]]) == "NUSARA SDN BHD"
    # a closed bracket of words after the form (a branch) stays
    assert receipt_seller([["ORCHID MART SDN BHD (KEPONG)"], ["LOT 5"]]) == (
        "ORCHID MART SDN BHD (KEPONG)"
    )


def test_a_name_the_printer_wrapped_is_one_name() -> None:
    # a 300 px wide print: the big name's second line would not have fitted on the first
    words = (
        _words(10, "KAVERO GOLDEN FOOD", 0, 40, 16)
        + _words(60, "CORNER S/B", 60, 40, 16)
        + _words(110, "JLN MERANTI 5", 0, 20, 10)
        + _words(140, "TOTAL 12.00", 0, 20, 10)
        + [Word("12.00", 250, 170, 300, 190)]
    )
    lines = group_lines(Page(1, 400, 600, words))
    assert receipt_seller(header_phrases(lines)) == "KAVERO GOLDEN FOOD CORNER S/B"


def test_a_short_brand_over_a_company_of_the_same_size_is_not_wrapped() -> None:
    words = (
        _words(10, "KAVERO", 100, 40, 16)
        + _words(60, "ORVELLO TRADING S/B", 0, 40, 16)
        + _words(110, "JLN MERANTI 5", 0, 20, 10)
        + [Word("12.00", 250, 170, 300, 190)]
    )
    lines = group_lines(Page(1, 400, 600, words))
    assert receipt_seller(header_phrases(lines)) == "ORVELLO TRADING S/B"


def test_tills_in_german_french_and_dutch() -> None:
    german = [
        ["Zwischensumme", "14,20"],
        ["Rabatt", "-1,70"],
        ["SUMME", "12,50 €"],
        ["BAR", "20,00"],
        ["Rückgeld", "7,50"],
        ["enth. MwSt 7%", "0,82"],
    ]
    assert is_receipt(german) and receipt_total(german) == Decimal("12.50")
    french = [
        ["Sous-total", "8,40"],
        ["TOTAL TTC", "8,40"],
        ["ESPECES", "10,00"],
        ["RENDU", "1,60"],
    ]
    assert is_receipt(french) and receipt_total(french) == Decimal("8.40")
    dutch = [
        ["Subtotaal", "6,93"],
        ["Afronding", "0,02"],
        ["TE BETALEN", "6,95"],
        ["Contant", "10,00"],
        ["Wisselgeld", "3,05"],
    ]
    assert is_receipt(dutch) and receipt_total(dutch) == Decimal("6.95")


def test_a_card_payment_makes_a_receipt_prose_about_cards_does_not() -> None:
    assert is_receipt([["TOTAL", "9.90"], ["VISA", "9.90"], ["THANK YOU"]])
    assert is_receipt([["Summe", "4,30"], ["EC-Karte", "4,30"]])
    invoice = [
        ["Invoice 2041"],
        ["Total", "1,200.00"],
        ["Payment by credit card or bank transfer within 30 days"],
    ]
    assert not is_receipt(invoice)


def test_an_amount_with_its_mark_after_it_or_alone_on_the_next_line() -> None:
    lines = [["TOTAL TTC", "73,67 EUR"], ["Espèces", "100,00"], ["Rendu monnaie", "26,33"]]
    assert is_receipt(lines) and receipt_total(lines) == Decimal("73.67")
    # a skewed scan parts a label from its amount: the amount alone on the next line
    skewed = [["NETT TOTAL", "135.12"], ["MASTERCARD"], ["135.12"], ["Have a nice day!"]]
    assert is_receipt(skewed) and receipt_total(skewed) == Decimal("135.12")
    # a description over a row that holds more than an amount is not a label with an amount
    assert not is_receipt([["Total", "5.00"], ["VISA"], ["2 x 2.50", "5.00"]])


def test_a_line_that_restates_the_brand_or_is_introduced_is_a_name_of_its_own() -> None:
    assert receipt_seller([["CAFE NUPA"], ["CAFE NUPA GMBH"], ["Hauptstraße 5"]]) == (
        "CAFE NUPA GMBH"
    )
    lines = [
        ["Boulangerie Kelmar"],
        ["Magasin exploité par Boulangerie Kelmar"],
        ["SAS"],
        ["54 avenue Nubel"],
    ]
    assert receipt_seller(lines) == "Boulangerie Kelmar SAS"
    lines = [["Drite Fleuriste"], ["Propriétaire : Drite Fleuriste SASU"], ["96 bd Lopelka"]]
    assert receipt_seller(lines) == "Drite Fleuriste SASU"


def test_a_bracket_of_the_legal_form_wraps_with_it_a_street_does_not() -> None:
    words = (
        _words(10, "Senlo Bioladen UG", 0, 40, 16)
        + _words(60, "(haftungsbeschränkt)", 0, 40, 16)
        + _words(110, "Zanverstraße 17", 0, 20, 10)
        + [Word("12,00", 250, 170, 300, 190)]
    )
    lines = group_lines(Page(1, 400, 600, words))
    assert receipt_seller(header_phrases(lines)) == "Senlo Bioladen UG (haftungsbeschränkt)"
    words = (
        _words(10, "IJZERWAREN DENCHAVER", 0, 20, 14)
        + _words(40, "Vertystraat 225", 0, 20, 14)
        + [Word("12,00", 250, 170, 300, 190)]
    )
    lines = group_lines(Page(1, 400, 600, words))
    assert header_phrases(lines)[:2] == [["IJZERWAREN DENCHAVER"], ["Vertystraat 225"]]


def test_a_slip_titled_a_receipt_is_read_as_one_without_a_till_word() -> None:
    page = make_page(
        [
            (20, [(60, "KORVEN FEINKOST GMBH")]),
            (35, [(60, "Lindenweg 4, 50667 Holmstadt")]),
            (55, [(100, "KASSENBON")]),
            (75, [(60, "12.03.2024 10:15")]),
            (100, [(60, "Oliven 200g"), (250, "4,30")]),
            (120, [(60, "Summe"), (250, "4,30")]),
        ],
        width=320,
    )
    got = values(extract_invoice([page]))
    assert got["documentType"] == "receipt"
    assert got["sellerName"] == "KORVEN FEINKOST GMBH"
    assert got["grossAmount"] == "4.30"


def test_dollars_of_other_countries_and_the_ringgit_beside_its_amount() -> None:
    assert find_currency_marks("GRAND TOTAL S$132.00") == [("SGD", True)]
    assert find_currency_marks("Total HK$ 80.00") == [("HKD", True)]
    assert find_currency_marks("TOTAL US$ 5.00") == [("USD", True)]
    assert find_currency_marks("TOTAL RM12.30") == [("MYR", True)]
    assert find_currency_marks("TOTAL $5.00") == [("USD", True)]
    # letters before the mark make it a word ("FORM 12", "ARM 3")
    assert find_currency_marks("FORM 12 ARM 3") == []
