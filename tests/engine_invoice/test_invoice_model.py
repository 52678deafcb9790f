"""The invoice model (:mod:`ocrframe.engine.invoice`) end to end on literal pages of words."""

from __future__ import annotations

from ocrframe.engine.invoice import extract_invoice, extract_text_lines
from ocrframe.engine.types import Page, Word
from tests.engine_invoice.pagemaker import make_page, values


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
