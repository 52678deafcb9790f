"""Parties (:mod:`ocrframe.engine.parties`): the seller's and the buyer's names."""

from __future__ import annotations

from ocrframe.engine.invoice import extract_invoice
from ocrframe.engine.parties import clean_name, plausible_name
from tests.engine_invoice.pagemaker import make_page, values


def test_a_plausible_name() -> None:
    assert plausible_name("Muster Werkzeuge GmbH") == "Muster Werkzeuge GmbH"
    assert plausible_name("Kunde") is None  # a label alone
    assert plausible_name("Nummer: 12") is None  # a key and its value
    assert plausible_name("www.example.com") is None
    assert plausible_name("12345 67890") is None
    assert plausible_name("lowercase words only") is None
    assert clean_name("Beispiel AG - Hauptstr. 1 - 12345 Musterstadt") == "Beispiel AG"


def test_a_key_value_header_with_values_far_right_and_party_blocks() -> None:
    page = make_page(
        [
            (40, [(60, "Teilrechnung (380) Nr. 4711 vom 02.03.2024")]),
            (60, [(60, "Währung:"), (300, "EUR")]),
            (100, [(60, "Verkäufer")]),
            (115, [(60, "Nummer:"), (300, "8877")]),
            (130, [(60, "Name:"), (300, "Beispiel Werkstatt AG")]),
            (145, [(60, "Ansprechpartner:"), (300, "Frau Kontakt")]),
            (190, [(60, "Käufer")]),
            (205, [(60, "Name:"), (300, "Kunde Handel GmbH")]),
            (400, [(230, "Bruttosumme"), (500, "119,00")]),
        ]
    )
    got = values(extract_invoice([page]))
    assert got["invoiceNumber"] == "4711"
    assert got["invoiceDate"] == "2024-03-02"
    assert got["sellerName"] == "Beispiel Werkstatt AG"
    assert got["buyerName"] == "Kunde Handel GmbH"
    assert got["grossAmount"] == "119.00"


def test_label_words_are_never_a_party_name() -> None:
    page = make_page(
        [
            (40, [(60, "Seller")]),
            (55, [(60, "Name")]),
            (70, [(60, "Invoice no: A-1")]),
        ]
    )
    assert "sellerName" not in values(extract_invoice([page]))


def test_a_seller_label_that_is_the_first_word_of_the_name() -> None:
    page = make_page(
        [
            (40, [(60, "Lieferant GmbH & Co. KG")]),
            (60, [(300, "Rechnungsnummer:"), (450, "77")]),
        ]
    )
    assert values(extract_invoice([page]))["sellerName"] == "Lieferant GmbH & Co. KG"


def test_the_name_under_a_recipient_heading_past_its_contact_line() -> None:
    page = make_page(
        [
            (40, [(60, "Beispiel Werkstatt GmbH"), (330, "Adresse du client")]),
            (54, [(330, "À l'attention de Marie Exemple")]),
            (68, [(330, "Atelier Modèle SARL")]),
            (82, [(330, "12 rue des Lilas")]),
            (96, [(330, "75002 Paris")]),
            (140, [(60, "Facture N° :"), (300, "FA-7")]),
        ]
    )
    got = values(extract_invoice([page]))
    assert got["buyerName"] == "Atelier Modèle SARL"
    assert got["sellerName"] == "Beispiel Werkstatt GmbH"


def test_an_unlabelled_address_window_gives_the_buyer() -> None:
    page = make_page(
        [
            (40, [(360, "Beispiel Werkstatt GmbH")]),
            (120, [(50, "Beispiel Werkstatt GmbH · Hauptstraße 1 · 10115 Berlin")]),
            (134, [(50, "Kunde Handel AG")]),
            (148, [(50, "Gartenweg 12")]),
            (162, [(50, "50667 Köln")]),
            (220, [(50, "Rechnung Nr. 4711")]),
        ]
    )
    got = values(extract_invoice([page]))
    assert got["buyerName"] == "Kunde Handel AG"
    assert got["sellerName"] == "Beispiel Werkstatt GmbH"


def test_an_address_line_is_never_the_buyer() -> None:
    page = make_page(
        [
            (40, [(60, "Invoice no: A-1")]),
            (80, [(60, "Bill to:")]),
            (94, [(60, "12 Main Street")]),
            (108, [(60, "Springfield, IL 62704")]),
            (150, [(60, "N° de client : REF0215")]),
        ]
    )
    assert "buyerName" not in values(extract_invoice([page]))


def test_two_address_blocks_side_by_side_recipient_left_sender_right() -> None:
    # no label and no legal form names either party: the letter's layout does
    page = make_page(
        [
            (40, [(60, "Invoice 552211")]),
            (110, [(60, "Example Trading Company"), (470, "Sample Works")]),
            (124, [(60, "21 Station Road"), (465, "Hofweg 12")]),
            (138, [(60, "Leeds LS1 4DY"), (460, "20095 Hamburg")]),
            (300, [(300, "Total"), (480, "10.00")]),
        ]
    )
    got = values(extract_invoice([page]))
    assert got["buyerName"] == "Example Trading Company"
    assert got["sellerName"] == "Sample Works"
