"""Label hits (:mod:`ocrframe.engine.hits`): which words of a line are labels of which field."""

from __future__ import annotations

from ocrframe.engine.hits import COLUMN_INDEX, find_hits, line_hits, totals_label
from ocrframe.engine.layout import group_lines, line_phrases
from tests.engine_invoice.pagemaker import make_page


def hits_of(*phrases: tuple[float, str]) -> list[tuple[str, str]]:
    (line,) = group_lines(make_page([(40, list(phrases))]))
    return [
        (h.field, " ".join(w.text for w in h.phrase.words[h.start : h.end]))
        for h in line_hits(line)
    ]


def test_the_longest_label_wins() -> None:
    assert hits_of((40, "Due Date:"), (200, "12.03.2024")) == [("dueDate", "Due Date:")]
    assert hits_of((40, "Total HT"), (200, "10,00")) == [("netAmount", "Total HT")]


def test_labels_in_german_french_and_english() -> None:
    assert hits_of((40, "Rechnungsnummer:"), (200, "4711"))[0][0] == "invoiceNumber"
    assert hits_of((40, "Numéro de facture"), (200, "F-1"))[0][0] == "invoiceNumber"
    assert hits_of((40, "Facturé à :"))[0][0] == "buyerName"


def test_a_row_of_labels_gives_a_hit_for_each() -> None:
    fields = [f for f, _ in hits_of((40, "Invoice Date"), (200, "Due Date"), (360, "Total"))]
    assert fields == ["invoiceDate", "dueDate", "grossAmount"]


def test_a_label_word_inside_a_sentence_is_not_a_label() -> None:
    assert hits_of((40, "Thank you for paying the total on time")) == []
    # the value after "Name:" is a name even when it starts with a label word
    assert hits_of((40, "Name:"), (200, "Kunde & Co")) == [("_partyName", "Name:")]


def test_other_labels_consume_their_words() -> None:
    # "Order date" is not ours: its "date" must not be read as the invoice date
    assert hits_of((40, "Order date:"), (200, "01.02.2024")) == [("_other", "Order date:")]


def test_totals_labels_and_column_titles() -> None:
    (line,) = group_lines(make_page([(40, [(300, "Gesamtbetrag"), (480, "119,00")])]))
    assert totals_label(line) == "grossAmount"
    (header,) = group_lines(make_page([(40, [(40, "Description"), (300, "Qty"), (360, "Amount")])]))
    columns = [h.field for h in find_hits(line_phrases(header, 0.9), COLUMN_INDEX)]
    assert sorted(columns) == ["description", "quantity", "totalPriceExclTax"]
