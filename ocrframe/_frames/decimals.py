"""Exact decimals shown as people write them: the scale of a column chosen from its values.

The ``number`` columns are stored as ``decimal128(38, 10)`` (the dataset's fixed schema), which
pandas prints as ``19.0000000000``. Shown, a ``number`` column gets the largest number of decimals
its values were *written* with (:func:`display_scale`: ``"154.06"`` and ``"19"`` give 2, so
``154.06`` and ``19.00``; ``"100.00"`` keeps its cents), and never fewer than every value needs to
stay exact (:func:`fitted_scale`, for columns with no strings behind them). Nothing is rounded, so
casting back to ``decimal128(38, 10)`` gives the stored values again, and the scale depends on the
values only: the same rows give the same dtype, whatever order they arrived in.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = [
    "display_scale",
    "fit_scale",
    "fit_table",
    "fitted_scale",
    "show_numbers",
    "with_scale",
    "written_places",
]

_TRAILING_DECIMALS = re.compile(r"[.,](\d+)\D*$")

# A pyarrow Array or ChunkedArray (pyarrow ships no type hints).
Column = Any


def _exact_at(values: Column, scale: int) -> bool:
    try:
        pc.cast(values, pa.decimal128(values.type.precision, scale), safe=True)
    except pa.ArrowInvalid:
        return False
    return True


def fitted_scale(values: Column) -> int:
    """The smallest scale at which every value of a decimal column is exact.

    >>> from decimal import Decimal
    >>> fitted_scale(pa.array([Decimal("154.06"), Decimal("19"), None], pa.decimal128(38, 10)))
    2
    >>> fitted_scale(pa.array([], pa.decimal128(38, 10)))
    0
    """
    low, high = 0, values.type.scale
    if values.null_count == len(values):
        return 0
    # Exact at s implies exact at s + 1: a binary search needs ~4 casts for scale 10.
    while low < high:
        middle = (low + high) // 2
        if _exact_at(values, middle):
            high = middle
        else:
            low = middle + 1
    return low


def fit_scale(values: Column) -> Column:
    """A decimal column at its :func:`fitted_scale` (same precision); other columns unchanged.

    >>> from decimal import Decimal
    >>> fit_scale(pa.array([Decimal("154.06")], pa.decimal128(38, 10))).type
    Decimal128Type(decimal128(38, 2))
    """
    if not pa.types.is_decimal(values.type):
        return values
    scale = fitted_scale(values)
    if scale == values.type.scale:
        return values
    fitted: Column = pc.cast(values, pa.decimal128(values.type.precision, scale))
    return fitted


def fit_table(table: pa.Table) -> pa.Table:
    """Every decimal column of ``table`` at its :func:`fitted_scale`.

    >>> from decimal import Decimal
    >>> t = pa.table({"n": pa.array([Decimal("1.5")], pa.decimal128(38, 10)), "s": ["a"]})
    >>> fit_table(t).schema.field("n").type
    Decimal128Type(decimal128(38, 1))
    """
    for i, column in enumerate(table.columns):
        if pa.types.is_decimal(column.type):
            fitted = fit_scale(column)
            if fitted.type != column.type:
                table = table.set_column(i, table.field(i).with_type(fitted.type), fitted)
    return table


def written_places(text: str | None, number: Decimal) -> int:
    """How many decimals ``text`` wrote ``number`` with ("19.00" -> 2, "1,234" -> 0, "26" -> 0).

    The last ``.`` or ``,`` is a decimal mark when the digits read with it give the number back
    (so the thousands separator of "1,234" is not one).

    >>> written_places("19.00", Decimal(19)), written_places("1,234", Decimal(1234))
    (2, 0)
    >>> written_places("1.234,56 €", Decimal("1234.56"))
    2
    """
    if not text:
        exponent = number.normalize().as_tuple().exponent
        return max(0, -exponent) if isinstance(exponent, int) else 0
    match = _TRAILING_DECIMALS.search(text)
    if match is None:
        return 0
    digits = "".join(ch for ch in text if ch.isdigit())
    places = len(match.group(1))
    return places if Decimal(digits).scaleb(-places) == abs(number) else 0


def display_scale(values: Column, numbers: Column) -> int:
    """The scale to show a ``number`` column at: the most decimals its ``value`` strings wrote,
    and at least its :func:`fitted_scale` (never more than the column holds).

    >>> vals = pa.array(["100.00", "15", None])
    >>> nums = pa.array([Decimal(100), Decimal(15), None], pa.decimal128(38, 10))
    >>> display_scale(vals, nums)
    2
    """
    numbers = pa.chunked_array([numbers]) if isinstance(numbers, pa.Array) else numbers
    values = pa.chunked_array([values]) if isinstance(values, pa.Array) else values
    valid = pc.is_valid(numbers)
    written = 0
    if pc.any(valid).as_py():
        kept_values = values.filter(valid)
        kept_numbers = numbers.filter(valid)
        encoded = pc.dictionary_encode(kept_values).combine_chunks()
        indices = encoded.indices.to_numpy(zero_copy_only=False)
        # One representative row per distinct string: a column repeats its amounts.
        _, first = np.unique(indices, return_index=True)
        picked = pa.array(first)
        texts = kept_values.take(picked).to_pylist()
        amounts = kept_numbers.take(picked).to_pylist()
        written = max(written_places(t, n) for t, n in zip(texts, amounts, strict=True))
    return int(min(max(written, fitted_scale(numbers)), numbers.type.scale))


def with_scale(numbers: Column, scale: int) -> Column:
    """A decimal column cast to ``scale`` (same precision); exact when ``scale`` is at least its
    :func:`fitted_scale`."""
    if numbers.type.scale == scale:
        return numbers
    cast: Column = pc.cast(numbers, pa.decimal128(numbers.type.precision, scale))
    return cast


def show_numbers(table: pa.Table) -> pa.Table:
    """A long table (``value`` + ``number``) with ``number`` at its :func:`display_scale`."""
    if "number" not in table.column_names or "value" not in table.column_names:
        return fit_table(table)
    at = table.schema.get_field_index("number")
    numbers = table.column(at)
    shown = with_scale(numbers, display_scale(table.column("value"), numbers))
    return table.set_column(at, table.field(at).with_type(shown.type), shown)
