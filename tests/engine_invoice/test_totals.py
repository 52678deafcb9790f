"""The totals chooser: candidates from labels, chosen by preference and arithmetic."""

from __future__ import annotations

from decimal import Decimal

from ocrframe.engine.totals import Candidate, choose_totals


def c(field: str, value: str, rank: int = 0, order: int = 0) -> Candidate:
    return Candidate(field, Decimal(value), 1, rank, order)


def values(chosen: dict[str, Candidate]) -> dict[str, str]:
    return {k: str(v.value) for k, v in chosen.items()}


def test_the_consistent_total_wins_over_a_later_subtotal() -> None:
    cands = [
        c("netAmount", "100.00", order=1),
        c("totalTax", "19.00", order=2),
        c("grossAmount", "119.00", order=3),
        c("grossAmount", "50.00", order=4),  # printed later, same label: a section total
    ]
    assert values(choose_totals(cands)) == {
        "netAmount": "100.00",
        "totalTax": "19.00",
        "grossAmount": "119.00",
    }


def test_a_zero_amount_due_after_a_prepayment_is_not_the_grand_total() -> None:
    cands = [
        c("grossAmount", "1190.00", rank=3, order=1),
        c("prepaidAmount", "1190.00", order=2),
        c("grossAmount", "0.00", rank=3, order=3),
        c("amountDue", "0.00", order=4),
        c("netAmount", "1000.00", order=0),
        c("totalTax", "190.00", order=0),
    ]
    chosen = values(choose_totals(cands))
    assert chosen["grossAmount"] == "1190.00" and chosen["amountDue"] == "0.00"
    assert "prepaidAmount" not in chosen


def test_net_and_tax_are_not_swapped_and_tax_lines_agree() -> None:
    cands = [
        c("totalTax", "100.00", rank=5, order=1),
        c("totalTax", "19.00", rank=5, order=0),
        c("netAmount", "100.00", order=2),
        c("grossAmount", "119.00", order=3),
    ]
    chosen = values(choose_totals(cands, tax_sum=Decimal("19.00")))
    assert chosen["totalTax"] == "19.00"


def test_without_arithmetic_the_most_specific_then_the_last_label_wins() -> None:
    cands = [c("grossAmount", "10.00", rank=2, order=0), c("grossAmount", "12.00", rank=2, order=1)]
    assert values(choose_totals(cands)) == {"grossAmount": "12.00"}
    cands.append(c("grossAmount", "9.00", rank=0, order=0))
    assert values(choose_totals(cands)) == {"grossAmount": "9.00"}
    assert choose_totals([]) == {}


def test_the_line_items_pick_the_net_among_subtotals() -> None:
    cands = [c("netAmount", "80.00", order=1), c("netAmount", "95.00", order=0)]
    assert values(choose_totals(cands, lines_sum=Decimal("95"))) == {"netAmount": "95.00"}


def test_line_items_with_gross_amounts_pick_the_gross() -> None:
    cands = [c("grossAmount", "119.00", order=1), c("grossAmount", "124.00", order=2)]
    assert values(choose_totals(cands)) == {"grossAmount": "124.00"}  # the last printed
    assert values(choose_totals(cands, lines_gross=Decimal("119"))) == {"grossAmount": "119.00"}
