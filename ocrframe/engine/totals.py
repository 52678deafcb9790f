"""Choosing an invoice's totals among the amounts its labels point at, by arithmetic.

A page often prints several amounts under total-like labels: a subtotal and the grand total,
the total before and after a discount, the amount due after a prepayment (``Zahlbetrag 0,00``),
one tax line per rate and their sum. Each label gives a *candidate*; the reader prefers the most
specific label and, among equal ones, the last printed (the final total comes last), but that
preference alone is weak. What decides is whether the chosen amounts agree with each other:

- net + tax = gross;
- tax = the sum of the tax lines (one per rate) when they are printed;
- net = the sum of the line items when they are read (gross = their sum, when the items'
  amounts are gross);
- amount due = gross, or gross - prepaid when a prepayment is printed.

:func:`choose_totals` tries the few best candidates of each field together and keeps the
combination with the best preference plus agreement. Pure; no I/O.

Example::

    cands = [Candidate("grossAmount", Decimal("0.00"), 1, 0, 5),
             Candidate("grossAmount", Decimal("119.00"), 1, 0, 3),
             Candidate("netAmount", Decimal("100.00"), 1, 0, 1),
             Candidate("totalTax", Decimal("19.00"), 1, 0, 2)]
    choose_totals(cands)["grossAmount"].value   # Decimal("119.00")
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import product

__all__ = ["TOTAL_FIELDS", "Candidate", "choose_totals"]

# The fields chosen together; "prepaidAmount" is read to check the amount due, never returned
# as a field of its own.
TOTAL_FIELDS = ("grossAmount", "netAmount", "totalTax", "amountDue", "prepaidAmount")

_CENT = Decimal("0.01")
# How many of each field's best candidates are tried together (5 fields: 5**5 combinations at
# most, each a few additions).
_TOP = 4


@dataclass(frozen=True)
class Candidate:
    """One amount a label points at.

    ``rank`` is the label's place in its field's lexicon (lower: more specific); ``order`` the
    amount's place in reading order over the whole document (higher: printed later).
    """

    field: str
    value: Decimal
    page: int
    rank: int
    order: int


def _same(a: Decimal, b: Decimal) -> bool:
    return abs(a - b) < _CENT


def _ranked(cands: Sequence[Candidate]) -> list[Candidate]:
    """One candidate per distinct value, the preferred first: the most specific label, then the
    one printed last."""
    best: dict[Decimal, Candidate] = {}
    for c in sorted(cands, key=lambda c: (c.rank, -c.order)):
        key = c.value.quantize(_CENT)
        if key not in best:
            best[key] = c
    return list(best.values())[:_TOP]


def choose_totals(
    candidates: Sequence[Candidate],
    *,
    tax_sum: Decimal | None = None,
    lines_sum: Decimal | None = None,
    lines_gross: Decimal | None = None,
) -> dict[str, Candidate]:
    """The chosen candidate of each total field that has one (see the module docstring).

    ``tax_sum`` is the sum of the printed tax lines, ``lines_sum`` that of the line items' net
    amounts, ``lines_gross`` that of their gross amounts, each None when not read. A field is
    left out rather than filled with a candidate that contradicts the others when the
    contradiction is the only thing it brings.
    """
    by_field: dict[str, list[Candidate]] = {f: [] for f in TOTAL_FIELDS}
    for c in candidates:
        if c.field in by_field:
            by_field[c.field].append(c)
    # each field's options with what choosing them costs: its place in the preference order;
    # leaving out a field that has candidates costs more than its weakest candidate
    options: list[list[tuple[Candidate | None, float]]] = []
    for name in TOTAL_FIELDS:
        ranked = _ranked(by_field[name])
        opts: list[tuple[Candidate | None, float]] = [(c, -i) for i, c in enumerate(ranked)]
        opts.append((None, -(len(ranked) + 0.5) if ranked else 0.0))
        options.append(opts)
    nonzero_gross = any(c is not None and c.value != 0 for c, _ in options[0])
    gross_opts, net_opts, tax_opts, due_opts, prepaid_opts = options

    # the amount due and the prepayment depend only on the gross: their best pair per gross
    def due_part(gross: Decimal | None) -> tuple[float, Candidate | None, Candidate | None]:
        best_pair: tuple[float, Candidate | None, Candidate | None] | None = None
        for (due, due_cost), (pre, pre_cost) in product(due_opts, prepaid_opts):
            score = due_cost + pre_cost + _due_agreement(gross, _value(due), _value(pre))
            if best_pair is None or score > best_pair[0]:
                best_pair = (score, due, pre)
        assert best_pair is not None
        return best_pair

    due_parts: dict[int, tuple[float, Candidate | None, Candidate | None]] = {}
    best: tuple[float, tuple[Candidate | None, ...]] | None = None
    for (gross, g_cost), (net, n_cost), (tax, t_cost) in product(gross_opts, net_opts, tax_opts):
        score = g_cost + n_cost + t_cost
        score += _agreement(_value(gross), _value(net), _value(tax), tax_sum, lines_sum)
        if gross is not None and lines_gross is not None and _same(gross.value, lines_gross):
            score += 2
        if gross is not None and gross.value == 0 and nonzero_gross:
            score -= 3  # a zero grand total beside a non-zero one: a balance, not the total
        if id(gross) not in due_parts:
            due_parts[id(gross)] = due_part(_value(gross))
        due_score, due, pre = due_parts[id(gross)]
        score += due_score
        if best is None or score > best[0]:
            best = (score, (gross, net, tax, due, pre))
    if best is None:
        return {}
    return {c.field: c for c in best[1] if c is not None and c.field != "prepaidAmount"}


def _value(c: Candidate | None) -> Decimal | None:
    return c.value if c is not None else None


def _agreement(
    gross: Decimal | None,
    net: Decimal | None,
    tax: Decimal | None,
    tax_sum: Decimal | None,
    lines_sum: Decimal | None,
) -> float:
    """How well gross, net and tax agree with each other and with the tax and item lines."""
    score = 0.0
    if gross is not None and net is not None and tax is not None:
        score += 6 if _same(net + tax, gross) else -3
    elif gross is not None and net is not None:
        # no tax printed: a gross equal to the net, or above it
        score += 1 if gross >= net else -2
    if tax is not None and tax_sum is not None:
        score += 2 if _same(tax, tax_sum) else -1
    if net is not None and lines_sum is not None and _same(net, lines_sum):
        score += 2
    if tax is not None and gross is not None and abs(tax) > abs(gross) and gross != 0:
        score -= 4  # tax above the gross: swapped, or a rate read as an amount
    return score


def _due_agreement(gross: Decimal | None, due: Decimal | None, prepaid: Decimal | None) -> float:
    """How well the amount due agrees with the gross and a prepayment."""
    score = 0.0
    if due is not None and gross is not None:
        if _same(due, gross):
            score += 1 if prepaid is None or prepaid == 0 else -1
        elif prepaid is not None and _same(due, gross - prepaid):
            score += 3
    if prepaid is not None and (due is None or gross is None):
        score -= 1  # a prepayment only matters next to the totals it explains
    return score
