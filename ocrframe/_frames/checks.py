"""The arithmetic an accountant checks first, as a tidy table: pure functions over the tables.

:func:`checks_table` takes an Extraction's ``documents``, ``fields``, ``items`` and ``taxes`` and
returns one row per DocAI document with status ``ok`` and per check:

================================  =========================================================
check                             expected  vs  found
================================  =========================================================
``lines_sum_to_net``              the sum of the line items' net totals  vs  the net amount
``net_plus_tax_is_gross``         net amount + total tax  vs  the gross amount
``tax_is_base_times_rate``        the sum over tax lines of base × rate / 100  vs  their tax
``due_is_gross_minus_prepaid``    gross amount − prepaid amount  vs  the amount due
================================  =========================================================

Keys are whatever the model returns, so each amount is found by its role: the first key of the
role's list (:data:`FIELD_ROLES`, :data:`ITEM_ROLES`, :data:`TAX_ROLES`) that the document has,
compared without case and punctuation (``netAmount``, ``net_amount`` and ``NET AMOUNT`` are one
name). The lists start with the names DocAI's documented answer and the embedded engine use
(``grossAmount``, ``totalTax``, ``totalPriceExclTax``, ``taxValue``, ``taxPercentage``, ...).
The ``reads`` column names the keys a row actually read (``fields.netAmount``,
``items.totalPriceExclTax``, ...), so a row can be traced to the cells behind it.

Rules:

- Everything is exact: :class:`~decimal.Decimal` arithmetic on the ``number`` column, never float.
  ``difference`` is ``found - expected``.
- ``result`` is ``"pass"`` when ``|difference| <= tolerance``, ``"fail"`` when it is larger and
  ``"missing"`` when an amount the check needs was not read (``note`` says which; expected or
  found may still be shown). The tolerance is 0 for sums and differences of printed amounts; for
  a tax it is half a unit of the last decimal of each tax amount read (each tax line is rounded
  once: 9.0625 printed as 9.06 passes).
- Rates are percentage points, as DocAI sends them (``"6.25"`` is 6.25 %).
- A field read twice (on two pages, say) counts once: its first cell.
- The base of a tax line is its own base amount when it has one; else the net totals of the line
  items with the same rate; else, for a document with a single tax line, the net amount (or the
  sum of the line items' net totals). A document with no tax lines but items with rates is
  checked rate by rate against the total tax.
- Without a prepaid amount the amount due is expected to be the gross amount; when it is not, the
  row is ``missing`` (the difference may be a prepayment that was not read), not ``fail``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pandas as pd
import pyarrow as pa

from ocrframe._frames.decimals import fitted_scale, with_scale, written_places

__all__ = [
    "CHECKS",
    "CHECK_SCHEMA",
    "FIELD_ROLES",
    "ITEM_ROLES",
    "TAX_ROLES",
    "checks_table",
    "normalise_key",
]

#: The checks, in the order of the rows of one document.
CHECKS: tuple[str, ...] = (
    "lines_sum_to_net",
    "net_plus_tax_is_gross",
    "tax_is_base_times_rate",
    "due_is_gross_minus_prepaid",
)

# Candidate key names per role, most specific first, in normalised form (see normalise_key).
FIELD_ROLES: dict[str, tuple[str, ...]] = {
    "net": (
        "netamount",
        "nettotal",
        "totalnet",
        "totalexcltax",
        "totalexclvat",
        "amountexcltax",
        "subtotal",
        "totalbeforetax",
    ),
    "gross": (
        "grossamount",
        "grosstotal",
        "totalgross",
        "totalincltax",
        "totalinclvat",
        "invoicetotal",
        "totalamount",
        "total",
    ),
    "tax": ("totaltax", "taxtotal", "totalvat", "vattotal", "taxamount", "vatamount", "tax", "vat"),
    "due": ("amountdue", "balancedue", "totaldue", "amountpayable", "amounttopay"),
    "prepaid": (
        "prepaidamount",
        "prepaid",
        "amountpaid",
        "paidamount",
        "alreadypaid",
        "prepayment",
        "advancepayment",
        "deposit",
    ),
}
ITEM_ROLES: dict[str, tuple[str, ...]] = {
    "net": (
        "totalpriceexcltax",
        "lineamountexcltax",
        "netamount",
        "linetotal",
        "lineamount",
        "totalprice",
        "amount",
        "total",
    ),
    "rate": ("taxrate", "taxpercentage", "vatrate", "vatpercentage", "rate"),
}
TAX_ROLES: dict[str, tuple[str, ...]] = {
    "value": ("taxvalue", "taxamount", "vatamount", "amount", "value", "tax", "vat"),
    "rate": ("taxpercentage", "taxrate", "vatrate", "vatpercentage", "percentage", "rate"),
    "base": ("taxableamount", "taxbase", "baseamount", "netamount", "base"),
}

_DECIMAL = pa.decimal128(38, 10)

#: The columns of :func:`checks_table` (``expected`` .. ``tolerance`` are exact decimals).
CHECK_SCHEMA = pa.schema(
    [
        ("source", pa.string()),
        ("file_id", pa.string()),
        ("check", pa.string()),
        ("reads", pa.string()),
        ("expected", _DECIMAL),
        ("found", _DECIMAL),
        ("difference", _DECIMAL),
        ("tolerance", _DECIMAL),
        ("result", pa.string()),
        ("note", pa.string()),
    ]
)

_NOT_ALNUM = re.compile(r"[^0-9a-z]+")


def normalise_key(key: str) -> str:
    """A key as the role lists spell it: lower case, letters and digits only.

    >>> normalise_key("totalPriceExclTax"), normalise_key("net_amount")
    ('totalpriceexcltax', 'netamount')
    """
    return _NOT_ALNUM.sub("", key.lower())


# (key as received, number, value as received)
_Cell = tuple[str, Decimal | None, str | None]


@dataclass
class _Doc:
    """The amounts of one document, by normalised key: (original key, number) per cell."""

    file_id: str | None = None
    fields: dict[str, _Cell] = field(default_factory=dict)
    # item index -> normalised key -> cell
    items: dict[int, dict[str, _Cell]] = field(default_factory=dict)
    taxes: dict[int, dict[str, _Cell]] = field(default_factory=dict)


def _pick(cells: dict[str, _Cell], names: Sequence[str]) -> tuple[str, Decimal] | None:
    """The first role name the cells have with a number: (original key, number)."""
    for name in names:
        hit = cells.get(name)
        if hit is not None and hit[1] is not None:
            return hit[0], hit[1]
    return None


def _value(cells: dict[str, _Cell], key: str) -> str | None:
    hit = cells.get(normalise_key(key))
    return None if hit is None else hit[2]


def _column(frame: pd.DataFrame, name: str) -> list[Any]:
    values: list[Any] = frame[name].tolist()
    # pandas gives pd.NA for missing Arrow values; the arithmetic below wants None.
    return [None if v is pd.NA else v for v in values]


def _cells(
    frame: pd.DataFrame, line: str | None
) -> Iterable[tuple[str, str | None, int, str, Any, Any]]:
    if frame.empty:
        return
    sources = _column(frame, "source")
    file_ids = _column(frame, "file_id")
    lines = _column(frame, line) if line else [0] * len(frame)
    keys = _column(frame, "key")
    numbers = _column(frame, "number")
    values = _column(frame, "value")
    for source, file_id, n, key, number, value in zip(
        sources, file_ids, lines, keys, numbers, values, strict=True
    ):
        if key is None or n is None:
            continue
        yield source, file_id, int(n), key, number, value


def _gather(
    fields: pd.DataFrame, items: pd.DataFrame, taxes: pd.DataFrame, sources: Iterable[str]
) -> tuple[dict[str, _Doc], int]:
    """The documents' cells by role, and the most decimals any of their amounts was written with."""
    docs = {source: _Doc() for source in sources}
    places = 0
    for source, file_id, _, key, number, value in _cells(fields, None):
        doc = docs.get(source)
        if doc is None:
            continue
        doc.file_id = doc.file_id or file_id
        if number is not None:
            places = max(places, written_places(value, number))
        # A field read twice counts once: its first cell.
        doc.fields.setdefault(normalise_key(key), (key, number, value))
    for frame, line, attr in ((items, "item", "items"), (taxes, "tax", "taxes")):
        for source, file_id, n, key, number, value in _cells(frame, line):
            doc = docs.get(source)
            if doc is None:
                continue
            doc.file_id = doc.file_id or file_id
            if number is not None:
                places = max(places, written_places(value, number))
            cell = (key, number, value)
            getattr(doc, attr).setdefault(n, {}).setdefault(normalise_key(key), cell)
    return docs, places


@dataclass
class _Row:
    check: str
    reads: list[str]
    expected: Decimal | None = None
    found: Decimal | None = None
    tolerance: Decimal = Decimal(0)
    missing: list[str] = field(default_factory=list)
    note: str | None = None

    def result(self) -> tuple[str, Decimal | None, str | None]:
        difference = (
            None if self.expected is None or self.found is None else self.found - self.expected
        )
        notes = [f"not read: {', '.join(self.missing)}"] if self.missing else []
        if self.note:
            notes.append(self.note)
        note = "; ".join(notes) or None
        if self.missing or difference is None:
            return "missing", difference, note
        return ("pass" if abs(difference) <= self.tolerance else "fail"), difference, note


def _half_unit(value: str | None, number: Decimal) -> Decimal:
    """Half a unit of the last decimal a value was written with (9.06 -> 0.005)."""
    return Decimal(5).scaleb(-written_places(value, number) - 1)


def _line_nets(doc: _Doc) -> tuple[list[tuple[str, Decimal]], int]:
    """The items' net totals (key, number) and how many items have none."""
    found: list[tuple[str, Decimal]] = []
    without = 0
    for cells in doc.items.values():
        hit = _pick(cells, ITEM_ROLES["net"])
        if hit is None:
            without += 1
        else:
            found.append(hit)
    return found, without


def _keys(prefix: str, hits: Iterable[tuple[str, Decimal]]) -> list[str]:
    return [f"{prefix}.{k}" for k in dict.fromkeys(k for k, _ in hits)]


def _check_lines(doc: _Doc) -> _Row:
    row = _Row("lines_sum_to_net", [])
    nets, without = _line_nets(doc)
    net = _pick(doc.fields, FIELD_ROLES["net"])
    if nets:
        row.reads += _keys("items", nets)
        row.expected = sum((n for _, n in nets), Decimal(0))
        if without:
            row.note = f"{without} of {len(doc.items)} line items have no net total"
    else:
        row.missing.append("line items' net totals")
    if net is not None:
        row.reads.append(f"fields.{net[0]}")
        row.found = net[1]
    else:
        row.missing.append("net amount")
    return row


def _tax_total(doc: _Doc) -> tuple[list[str], Decimal] | None:
    """The total tax: the field, else the sum of the tax lines' amounts."""
    total = _pick(doc.fields, FIELD_ROLES["tax"])
    if total is not None:
        return [f"fields.{total[0]}"], total[1]
    values = [hit for cells in doc.taxes.values() if (hit := _pick(cells, TAX_ROLES["value"]))]
    if values and len(values) == len(doc.taxes):
        return _keys("taxes", values), sum((v for _, v in values), Decimal(0))
    return None


def _check_gross(doc: _Doc) -> _Row:
    row = _Row("net_plus_tax_is_gross", [])
    net = _pick(doc.fields, FIELD_ROLES["net"])
    tax = _tax_total(doc)
    gross = _pick(doc.fields, FIELD_ROLES["gross"])
    if net is None:
        row.missing.append("net amount")
    else:
        row.reads.append(f"fields.{net[0]}")
    if tax is None:
        row.missing.append("total tax")
    else:
        row.reads += tax[0]
    if net is not None and tax is not None:
        row.expected = net[1] + tax[1]
    if gross is None:
        row.missing.append("gross amount")
    else:
        row.reads.append(f"fields.{gross[0]}")
        row.found = gross[1]
    return row


def _check_tax(doc: _Doc) -> _Row:
    row = _Row("tax_is_base_times_rate", [])
    nets, without = _line_nets(doc)
    item_rates: list[tuple[str, Decimal, str, Decimal]] = []  # rate key, rate, net key, net
    for cells in doc.items.values():
        rate = _pick(cells, ITEM_ROLES["rate"])
        net = _pick(cells, ITEM_ROLES["net"])
        if rate is not None and net is not None:
            item_rates.append((rate[0], rate[1], net[0], net[1]))
    doc_net = _pick(doc.fields, FIELD_ROLES["net"])
    # rate, base, tax amount (None: use the total) and the tax amount as written
    lines: list[tuple[Decimal, Decimal, Decimal | None, str | None]] = []
    if doc.taxes:
        for cells in doc.taxes.values():
            rate = _pick(cells, TAX_ROLES["rate"])
            if rate is None:
                row.missing.append("a tax line's rate")
                continue
            row.reads.append(f"taxes.{rate[0]}")
            value = _pick(cells, TAX_ROLES["value"])
            if value is not None:
                row.reads.append(f"taxes.{value[0]}")
            base = _pick(cells, TAX_ROLES["base"])
            same_rate = [r for r in item_rates if r[1] == rate[1]]
            if base is not None:
                row.reads.append(f"taxes.{base[0]}")
                amount = base[1]
            elif same_rate:
                row.reads += [f"items.{same_rate[0][0]}", f"items.{same_rate[0][2]}"]
                amount = sum((r[3] for r in same_rate), Decimal(0))
            elif len(doc.taxes) == 1 and doc_net is not None:
                row.reads.append(f"fields.{doc_net[0]}")
                amount = doc_net[1]
            elif len(doc.taxes) == 1 and nets and not without:
                row.reads += _keys("items", nets)
                amount = sum((n for _, n in nets), Decimal(0))
            else:
                row.missing.append(f"the base of the {rate[1]} % tax line")
                continue
            written = None if value is None else _value(cells, value[0])
            lines.append((rate[1], amount, None if value is None else value[1], written))
    elif item_rates:
        row.reads += [f"items.{item_rates[0][0]}", f"items.{item_rates[0][2]}"]
        bases: dict[Decimal, Decimal] = {}
        for _, rate_value, _, net_value in item_rates:
            bases[rate_value] = bases.get(rate_value, Decimal(0)) + net_value
        lines = [(rate_value, base, None, None) for rate_value, base in bases.items()]
    else:
        row.missing.append("tax rates")
    row.reads = list(dict.fromkeys(row.reads))
    if not lines or row.missing:
        return row
    row.expected = sum((base * rate / 100 for rate, base, _, _ in lines), Decimal(0))
    found = [(v, w) for _, _, v, w in lines if v is not None]
    if len(found) == len(lines):
        row.found = sum((v for v, _ in found), Decimal(0))
        row.tolerance = sum((_half_unit(w, v) for v, w in found), Decimal(0))
    else:
        total = _pick(doc.fields, FIELD_ROLES["tax"])
        if total is None:
            row.missing.append("tax amounts")
            return row
        row.reads.append(f"fields.{total[0]}")
        row.found = total[1]
        row.tolerance = _half_unit(_value(doc.fields, total[0]), total[1]) * len(lines)
    return row


def _check_due(doc: _Doc) -> _Row:
    row = _Row("due_is_gross_minus_prepaid", [])
    gross = _pick(doc.fields, FIELD_ROLES["gross"])
    prepaid = _pick(doc.fields, FIELD_ROLES["prepaid"])
    due = _pick(doc.fields, FIELD_ROLES["due"])
    if gross is None:
        row.missing.append("gross amount")
    else:
        row.reads.append(f"fields.{gross[0]}")
        row.expected = gross[1]
        if prepaid is not None:
            row.reads.append(f"fields.{prepaid[0]}")
            row.expected = gross[1] - prepaid[1]
    if due is None:
        row.missing.append("amount due")
    else:
        row.reads.append(f"fields.{due[0]}")
        row.found = due[1]
    if (
        prepaid is None
        and not row.missing
        and row.found is not None
        and row.expected is not None
        and row.found != row.expected
    ):
        row.missing.append("prepaid amount")
        row.note = "the difference may be a prepayment that was not read"
    return row


def _is_ok_docai(documents: pd.DataFrame) -> list[str]:
    if documents.empty:
        return []
    sources = _column(documents, "source")
    services = _column(documents, "service")
    statuses = _column(documents, "status")
    return [
        s
        for s, service, status in zip(sources, services, statuses, strict=True)
        if service == "docai" and status == "ok"
    ]


def checks_table(
    documents: pd.DataFrame, fields: pd.DataFrame, items: pd.DataFrame, taxes: pd.DataFrame
) -> pa.Table:
    """The checks of every ``ok`` DocAI document, as an Arrow table of :data:`CHECK_SCHEMA`.

    Rows are ordered by source, then in the order of :data:`CHECKS`. The amounts are shown with
    at least as many decimals as the amounts read were written with (``1.00``, not ``1``), and
    more where a product needs them (``9.0625``); the schema's types are those of the table
    returned after casting back (exact either way).
    """
    sources = sorted(dict.fromkeys(_is_ok_docai(documents)))
    docs, places = _gather(fields, items, taxes, sources)
    columns: dict[str, list[Any]] = {name: [] for name in CHECK_SCHEMA.names}
    for source in sources:
        doc = docs[source]
        for row in (_check_lines(doc), _check_gross(doc), _check_tax(doc), _check_due(doc)):
            result, difference, note = row.result()
            columns["source"].append(source)
            columns["file_id"].append(doc.file_id)
            columns["check"].append(row.check)
            columns["reads"].append(", ".join(row.reads) or None)
            columns["expected"].append(row.expected)
            columns["found"].append(row.found)
            columns["difference"].append(difference)
            columns["tolerance"].append(row.tolerance)
            columns["result"].append(result)
            columns["note"].append(note)
    table = pa.Table.from_pydict(
        {name: _fit_decimals(columns[name], CHECK_SCHEMA.field(name).type) for name in columns},
        schema=CHECK_SCHEMA,
    )
    for name in ("expected", "found", "difference", "tolerance"):
        at = table.schema.get_field_index(name)
        column = table.column(at)
        # The tolerance shows its own decimals (0.005); the amounts at least the written ones.
        least = 0 if name == "tolerance" else places
        shown = with_scale(column, min(max(fitted_scale(column), least), column.type.scale))
        table = table.set_column(at, table.field(at).with_type(shown.type), shown)
    return table


def _fit_decimals(values: list[Any], arrow_type: pa.DataType) -> pa.Array:
    if not pa.types.is_decimal(arrow_type):
        return pa.array(values, type=arrow_type)
    # base × rate / 100 may carry more decimals than the column holds: round half-even at its
    # last place (ten decimals; far below any tolerance).
    quantum = Decimal(1).scaleb(-arrow_type.scale)
    return pa.array([None if v is None else v.quantize(quantum) for v in values], type=arrow_type)
