"""Line items checked by arithmetic: within a row, quantity x unit price = amount; across rows,
the amounts add up to the net (or the gross) total.

A table's columns say which number is which, but printed columns are not always where their
headers are: a wide amount spills under its neighbour's header, two numbers of neighbouring
cells come out glued into one word (``"1,0060,00"``, a quantity and a price joined into a
thousands group), a tax rate printed without its ``%`` sits under the price. The arithmetic of
a row does not depend on where its numbers stand, so it decides between such readings:

- :func:`agreement` says whether a quantity, a unit price and an amount agree, and how: the net
  amount (``q x p``), a price per 10/100/1000 units, a discount printed in the row (an amount or
  a percentage off), or a gross amount (``q x p x (1 + rate)``);
- :func:`settle_row` keeps the columns' reading when it agrees (or when there is nothing to
  check), and otherwise takes the reading of the row's numbers that agrees and changes the
  fewest cells; when two readings agree equally well it keeps the columns' reading and returns
  both as alternatives for the table's sum to decide;
- :func:`reconcile` uses the sum of a document's rows against its net and gross totals: it
  chooses among the alternatives of ambiguous rows, says whether the amount column holds net or
  gross amounts, and drops rows without a quantity or a price that sum the rows above them
  when the others add up to a total (section subtotals, a total whose label was not read).
  Without a total, or when nothing adds up, the rows stay as read.

Pure and deterministic; no I/O. Example::

    settle_row({"quantity": ["2"], "unitPrice": ["19"], "totalPriceExclTax": ["12,50", "25,00"]})
    # -> values {"quantity": 2, "unitPrice": 12.50, "totalPriceExclTax": 25.00}, ...
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import permutations, product
from typing import Any

from ocrframe.engine.normalize import (
    find_amounts,
    find_percentages,
    format_amount,
    format_percentage,
)

__all__ = ["AMOUNT_KEYS", "Alternatives", "RowReading", "agreement", "reconcile", "settle_row"]

AMOUNT_KEYS = ("totalPriceExclTax", "totalPriceInclTax")
# Other readings of a row that agree as well as the one given: the row's keys -> values.
Alternatives = list[dict[str, Decimal]]
# The columns whose numbers may be read as another role when the row's arithmetic says so; an
# index, a code or the description never are.
_POOL_KEYS = ("quantity", "unitPrice", *AMOUNT_KEYS, "taxRate", "_other")
_ROLES = ("quantity", "unitPrice", "amount")
_CENT = Decimal("0.01")
_PRICE_UNITS = (Decimal(10), Decimal(100), Decimal(1000))


def _close(value: Decimal, target: Decimal, quantity: Decimal) -> bool:
    """Whether ``value`` (computed) is ``target`` (printed) up to rounding: the amount to the
    cent, and a unit price printed to the cent may have been rounded by half a cent per unit."""
    slack = min(abs(quantity) * Decimal("0.005"), abs(target) * Decimal("0.01"))
    return abs(value - target) <= Decimal("0.011") + slack


def agreement(
    quantity: Decimal,
    price: Decimal,
    amount: Decimal,
    *,
    rate: Decimal | None = None,
    others: Iterable[Decimal] = (),
    percents: Iterable[Decimal] = (),
) -> str | None:
    """How a row's quantity, unit price and amount agree, or None when they do not.

    ``"net"``: amount = quantity x price; ``"unit"``: a price per 10, 100 or 1000 units;
    ``"discount"``: less one of ``others`` (a discount printed in the row) or one of
    ``percents`` off; ``"gross"``: plus ``rate`` percent of tax.

    >>> agreement(Decimal(3), Decimal("2.50"), Decimal("7.50"))
    'net'
    >>> agreement(Decimal(1), Decimal("100"), Decimal("119"), rate=Decimal(19))
    'gross'
    """
    product_ = quantity * price
    if _close(product_, amount, quantity):
        return "net"
    for unit in _PRICE_UNITS:
        if abs(quantity) >= 1 and _close(product_ / unit, amount, quantity / unit):
            return "unit"
    for other in others:
        if other and _close(product_ - abs(other), amount, quantity):
            return "discount"
    for pct in percents:
        if 0 < pct < 100 and _close(product_ * (1 - pct / 100), amount, quantity):
            return "discount"
    if rate is not None and rate > 0 and _close(product_ * (1 + rate / 100), amount, quantity):
        return "gross"
    return None


@dataclass(frozen=True)
class _Entry:
    """One number a row could mean: its column, its value, the row's words it is read from,
    and how far it is from how the columns read it (0: the column's own reading; 1: another
    reading of the same words). Both halves of one glued word share ``split``."""

    key: str
    value: Decimal
    words: frozenset[int]
    cost: int
    split: int | None = None
    head: bool = False  # the left half of a glued word


@dataclass
class RowReading:
    """A row's numbers by column (``values``), how they agree (``agrees``: a kind of
    :func:`agreement`, or None), other readings that agree as well (``alternatives``), and
    whether the number under the tax-rate header is one of them (``rate_taken``)."""

    values: dict[str, Decimal]
    agrees: str | None = None
    alternatives: Alternatives = field(default_factory=list)
    # the tax-rate column's number is one of the row's other cells: the column holds no rate
    rate_taken: bool = False


def _amounts(text: str) -> list[Decimal]:
    return [a.value for a in find_amounts(_blank_percentages(text)) if isinstance(a.value, Decimal)]


def _splits(word: str) -> list[tuple[Decimal, Decimal]]:
    """Readings of one word as two numbers glued together: two decimal amounts
    (``"1,0060,00"``), or a short whole number before an amount (``"3120,00"``: 3 and 120,00)."""
    out: list[tuple[Decimal, Decimal]] = []
    m = re.fullmatch(r"(-?\d+[.,]\d{2})(-?\d+[.,]\d{2})", word)
    if m:
        out.append((Decimal(m.group(1).replace(",", ".")), Decimal(m.group(2).replace(",", "."))))
    m = re.fullmatch(r"(\d{2,})([.,]\d{2})", word)
    if m:
        digits = m.group(1)
        for cut in range(1, min(3, len(digits) - 1) + 1):
            if digits[cut] == "0":
                continue  # an amount does not start with a zero
            head = Decimal(digits[:cut])
            tail = Decimal(digits[cut:] + m.group(2).replace(",", "."))
            out.append((head, tail))
    return out


def _pool(
    cells: dict[str, list[str]], *, other_readings: bool
) -> tuple[list[_Entry], dict[str, _Entry]]:
    """Every number of the row's numeric columns, and the columns' own reading (the last amount
    of each column, as a cell is read without arithmetic); with ``other_readings``, also the
    numbers of each word alone and of the glued words' halves."""
    pool: list[_Entry] = []
    current: dict[str, _Entry] = {}
    base = 0
    for key in _POOL_KEYS:
        words = cells.get(key)
        if not words:
            continue
        first = base
        base += len(words)
        text = " ".join(words)
        if key == "taxRate" and find_percentages(text):
            continue  # a rate printed as a rate is not a price
        starts = [0]
        for w in words[:-1]:
            starts.append(starts[-1] + len(w) + 1)
        joined: list[_Entry] = []
        for found in find_amounts(_blank_percentages(text)):
            if isinstance(found.value, Decimal):
                span = frozenset(
                    first + i
                    for i, s in enumerate(starts)
                    if s < found.end and found.start < s + len(words[i])
                )
                joined.append(_Entry(key, found.value, span, 0))
        pool += joined
        if joined and key not in ("_other", "taxRate"):
            current[key] = joined[-1]
        if not other_readings:
            continue
        for i, w in enumerate(words):
            # "050,00" is the tail of a thousands group, never a number of its own
            alone = [] if re.match(r"-?0\d", w) else _amounts(w)
            if len(alone) == 1 and not any(
                e.words == {first + i} and e.value == alone[0] for e in joined
            ):
                # a thousands group written with a space may be two numbers after all
                pool.append(_Entry(key, alone[0], frozenset({first + i}), 1))
            for head, tail in _splits(w):
                split = len(pool)
                pool.append(_Entry(key, head, frozenset({first + i}), 1, split, head=True))
                pool.append(_Entry(key, tail, frozenset({first + i}), 1, split))
    return pool, current


def _blank_percentages(text: str) -> str:
    """``text`` with each percentage blanked out (same length, so spans stay valid)."""
    for p in reversed(find_percentages(text)):
        text = text[: p.start] + " " * (p.end - p.start) + text[p.end :]
    return text


def settle_row(cells: dict[str, list[str]], order: Sequence[str] = ()) -> RowReading:
    """The numbers of a row whose words are grouped by column (``cells``: key -> words), chosen
    by the row's arithmetic (see the module docstring). Keys of ``values``: ``quantity``,
    ``unitPrice`` and the amount keys, each where the row has one; an amount that agrees only
    with the tax added is the gross amount (``totalPriceInclTax``). ``order``: the table's
    column keys left to right, which says which half of a glued word is which."""
    pool, current = _pool(cells, other_readings=False)
    rate = _rate(cells.get("taxRate", []))
    pcts = [
        Decimal(str(p.value))
        for key, words in cells.items()
        if key not in ("taxRate", "description")
        for p in find_percentages(" ".join(words))
    ]
    reading = RowReading({k: e.value for k, e in current.items()})
    q, p = current.get("quantity"), current.get("unitPrice")
    amount_keys = [k for k in AMOUNT_KEYS if k in current]
    if not amount_keys:
        return reading  # nothing to check a reading against
    if q is not None and p is not None:
        for key in amount_keys:  # the net amount first: a row with both agrees through it
            others = _discounts(pool, (q, p, current[key]))
            kind = agreement(
                q.value, p.value, current[key].value, rate=rate, others=others, percents=pcts
            )
            if kind is not None:
                reading.agrees = kind
                if kind == "gross" and amount_keys == ["totalPriceExclTax"]:
                    reading.values["totalPriceInclTax"] = reading.values.pop("totalPriceExclTax")
                return reading
    # the columns' reading does not agree (or lacks a cell): the row's numbers read every way
    pool, current = _pool(cells, other_readings=True)
    if q is None and p is None and all(e.split is None for e in pool):
        return reading  # nothing to check a reading against
    plain = [e for e in pool if e.split is None]
    if q is not None and p is not None:
        # a glued word is split only to fill a cell the row lacks: a row with every cell has
        # its numbers in the words as they are
        pool = plain
    qty_first = (
        "quantity" not in order
        or "unitPrice" not in order
        or order.index("quantity") < order.index("unitPrice")
    )
    found = _search(plain, current, rate, pcts, qty_first) or _search(
        pool, current, rate, pcts, qty_first
    )
    if not found:
        return reading
    best = min(cost for cost, _, _, _ in found)
    top: dict[tuple[Decimal, ...], tuple[dict[str, Decimal], bool]] = {}
    for cost, roles, kind, (q_key, p_key, a_key) in found:
        if cost == best:
            values = _as_values(roles, current, kind, a_key)
            top.setdefault(tuple(roles.values()), (values, "taxRate" in (q_key, p_key)))
    if len(top) == 1:
        values, rate_taken = next(iter(top.values()))
        kind = next(k for c, _, k, _ in found if c == best)
        return RowReading(values, kind, rate_taken=rate_taken)
    reading.alternatives = [values for values, _ in top.values()]
    return reading


def _rate(words: list[str]) -> Decimal | None:
    """A row's tax rate: a percentage, or a lone number under 100 in the rate column."""
    text = " ".join(words)
    rates = find_percentages(text)
    if rates:
        return Decimal(str(rates[0].value))
    nums = _amounts(text)
    return nums[0] if len(nums) == 1 and 0 <= nums[0] < 100 else None


def _as_values(
    roles: dict[str, Decimal], current: dict[str, _Entry], kind: str, column: str
) -> dict[str, Decimal]:
    """A reading's roles under the row's keys: the amount under the amount ``column`` it was
    read from, or as the gross one when it agrees only with the tax added and the row has no
    gross column; another amount column the row has, as read."""
    key = column
    if kind == "gross" and column == "totalPriceExclTax" and "totalPriceInclTax" not in current:
        key = "totalPriceInclTax"
    out = {"quantity": roles["quantity"], "unitPrice": roles["unitPrice"], key: roles["amount"]}
    for other in AMOUNT_KEYS:
        if other in current and other not in (column, key):
            out[other] = current[other].value
    return out


def _search(
    pool: list[_Entry],
    current: dict[str, _Entry],
    rate: Decimal | None,
    pcts: list[Decimal],
    qty_first: bool,
) -> list[tuple[float, dict[str, Decimal], str, tuple[str, str, str]]]:
    """Readings of the row's numbers as quantity, unit price and amount that agree, each with
    its cost (how far it is from the columns' reading), its kind of agreement and the columns
    its numbers come from."""
    if len(pool) > 14:
        return []  # a row of many numbers (a sub-table, a period): no reading is singled out
    amount = next((current[k] for k in AMOUNT_KEYS if k in current), None)
    was = (current.get("quantity"), current.get("unitPrice"), amount)
    out: list[tuple[float, dict[str, Decimal], str, tuple[str, str, str]]] = []
    for q, p, a in permutations(pool, 3):
        if q.value == 0 or p.value == 0:
            continue
        if a.key not in AMOUNT_KEYS or a.cost:
            continue  # the amount is one of the amount column's, as printed
        if not _disjoint((q, p, a)):
            continue
        kind = agreement(
            q.value, p.value, a.value, rate=rate, others=_discounts(pool, (q, p, a)), percents=pcts
        )
        if kind is None:
            continue
        # a missing cell filled costs 1/2, a present one read anew 1 (also when its own words are
        # read another way); other readings of the words used only to fill cells, 1 more
        cost = 0.0
        reread = False
        for e, w in zip((q, p, a), was, strict=True):
            if e is not w:
                cost += 0.5 if w is None else 1.0
                reread = reread or (w is not None and bool(e.words & w.words))
        if (q.cost or p.cost or a.cost) and not reread:
            cost += 1
        if q.value != q.value.to_integral_value():
            cost += 0.25  # a quantity is more often whole than a price
        if q.split is not None and q.split == p.split and q.head != qty_first:
            cost += 0.25  # a glued word's halves in the order of their columns
        if cost <= 2:
            roles = dict(zip(_ROLES, (q.value, p.value, a.value), strict=True))
            out.append((cost, roles, kind, (q.key, p.key, a.key)))
    return out


def _discounts(pool: list[_Entry], used: tuple[_Entry, ...]) -> list[Decimal]:
    """The row's numbers that may be a discount on it: those of a column of no known kind, and
    negative ones, besides the quantity, the price and the amount."""
    return [
        e.value
        for e in pool
        if e.cost == 0 and (e.key == "_other" or e.value < 0) and _disjoint((*used, e))
    ]


def _disjoint(entries: Sequence[_Entry]) -> bool:
    """Whether the entries are different numbers of the row: no word read twice, except as the
    two halves of one glued word, and a glued word's halves used both or neither."""
    for i, a in enumerate(entries):
        for b in entries[i + 1 :]:
            if a.words & b.words and not (a.split is not None and a.split == b.split):
                return False
    splits = [e.split for e in entries if e.split is not None]
    return all(splits.count(s) == 2 for s in splits)


def _row_amount(row: Sequence[dict[str, Any]]) -> tuple[str, Decimal] | None:
    for key in AMOUNT_KEYS:
        for cell in row:
            if cell["key"] == key:
                return key, Decimal(cell["value"])
    return None


def _same(a: Decimal, b: Decimal) -> bool:
    return abs(a - b) < _CENT


def _set_cells(row: list[dict[str, Any]], values: dict[str, Decimal]) -> None:
    page = row[0]["pageNumber"] if row else 1
    for key, value in values.items():
        text = format_amount(value) if key != "quantity" else format_percentage(value)
        cell = next((c for c in row if c["key"] == key), None)
        if cell is None:
            row.append({"pageNumber": page, "key": key, "value": text})
        else:
            cell["value"] = text


def reconcile(
    items: list[list[dict[str, Any]]],
    alternatives: dict[int, Alternatives],
    *,
    net: Decimal | None,
    gross: Decimal | None,
) -> list[list[dict[str, Any]]]:
    """The rows checked against the document's totals (see the module docstring); ``items``
    is changed in place and returned. ``alternatives`` maps ``id(row)`` to the readings its
    arithmetic allowed equally well (:attr:`RowReading.alternatives`)."""
    totals = [t for t in (net, gross) if t is not None]
    if not items or not totals:
        return items
    amounts = [_row_amount(row) for row in items]
    if any(a is None for a in amounts):
        return items
    values = [a[1] for a in amounts if a is not None]
    if not any(_same(sum(values, Decimal(0)), t) for t in totals):
        _choose_alternatives(items, alternatives, values, totals)
        amounts = [_row_amount(row) for row in items]
        values = [a[1] for a in amounts if a is not None]
    if not any(_same(sum(values, Decimal(0)), t) for t in totals):
        _drop_sum_rows(items, values, totals)
        amounts = [_row_amount(row) for row in items]
        values = [a[1] for a in amounts if a is not None]
    _name_amounts(items, amounts, values, net, gross)
    return items


def _choose_alternatives(
    items: list[list[dict[str, Any]]],
    alternatives: dict[int, Alternatives],
    values: list[Decimal],
    totals: list[Decimal],
) -> None:
    """The one combination of the ambiguous rows' readings whose amounts add up to a total."""
    rows = [i for i, row in enumerate(items) if id(row) in alternatives][:6]
    if not rows:
        return
    options = [alternatives[id(items[i])] for i in rows]
    fixed = sum((v for i, v in enumerate(values) if i not in rows), Decimal(0))
    fitting = []
    for combo in product(*options):
        total = fixed + sum((next(v[k] for k in AMOUNT_KEYS if k in v) for v in combo), Decimal(0))
        if any(_same(total, t) for t in totals):
            fitting.append(combo)
    if len(fitting) != 1:
        return  # none, or several: the sum does not single one out
    for i, chosen in zip(rows, fitting[0], strict=True):
        _set_cells(items[i], chosen)


def _drop_sum_rows(
    items: list[list[dict[str, Any]]], values: list[Decimal], totals: list[Decimal]
) -> None:
    """Rows without a quantity or a unit price whose amount is the sum of the rows above them
    (back to the previous such row, two rows at least), when the rows without them add up to a
    total: subtotals of sections, or a total line whose label was not read."""
    sums: list[int] = []
    start = 0
    for i, row in enumerate(items):
        if (
            i - start >= 2
            and not any(c["key"] in ("quantity", "unitPrice") for c in row)
            and _same(values[i], sum(values[start:i], Decimal(0)))
        ):
            sums.append(i)
            start = i + 1
    rest = sum((v for i, v in enumerate(values) if i not in sums), Decimal(0))
    if sums and any(_same(rest, t) for t in totals):
        for i in reversed(sums):
            items.pop(i)


def _name_amounts(
    items: list[list[dict[str, Any]]],
    amounts: list[tuple[str, Decimal] | None],
    values: list[Decimal],
    net: Decimal | None,
    gross: Decimal | None,
) -> None:
    """Rows whose one amount column adds up to the gross (and not the net) hold gross amounts,
    and the other way round; a table with both amount columns is left as its header says."""
    if net is None or gross is None or _same(net, gross):
        return
    keys = {a[0] for a in amounts if a is not None}
    if len(keys) != 1 or any(sum(c["key"] in AMOUNT_KEYS for c in row) != 1 for row in items):
        return
    total = sum(values, Decimal(0))
    (key,) = keys
    if key == "totalPriceExclTax" and _same(total, gross) and not _same(total, net):
        new = "totalPriceInclTax"
    elif key == "totalPriceInclTax" and _same(total, net) and not _same(total, gross):
        new = "totalPriceExclTax"
    else:
        return
    for row in items:
        for cell in row:
            if cell["key"] == key:
                cell["key"] = new
