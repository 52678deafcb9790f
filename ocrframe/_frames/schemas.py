"""The tables' schemas, defined once as Arrow schemas, and the DataFrames made from them.

Every DataFrame uses :class:`pandas.ArrowDtype` columns derived from :data:`SCHEMAS`, so an empty
table has exactly the columns of a full one, ``number`` is an exact decimal (stored as
``decimal128(38, 10)``, shown with the decimals its values were written with: see
:mod:`ocrframe._frames.decimals`) and ``date`` a ``date32``.

Every table is in one documented order, whatever order the answers arrived in (:data:`ORDER`,
applied by :func:`ordered`): by source, then page (documents, fields, texts) or line (items,
taxes), then the position in the answer.
"""

from __future__ import annotations

from typing import Protocol

import pandas as pd
import pyarrow as pa

from ocrframe._values import NUMBER_TYPE

__all__ = [
    "ORDER",
    "SCHEMAS",
    "TABLES",
    "TIMINGS",
    "Tables",
    "empty_frame",
    "ordered",
    "to_arrow",
    "to_pandas",
]

TABLES: tuple[str, ...] = ("documents", "fields", "items", "taxes", "texts")

_str = pa.string()
_i32 = pa.int32()

SCHEMAS: dict[str, pa.Schema] = {
    "documents": pa.schema(
        [
            ("source", _str),
            ("sha256", _str),
            ("bytes", pa.int64()),
            ("service", _str),
            ("model", _str),
            ("page", _i32),
            ("pages", _i32),
            ("status", _str),
            ("file_id", _str),
            ("task_id", _str),
            ("request_id", _str),
            ("recognize_status", _str),
            ("error_code", _str),
            ("error_message", _str),
            ("attempts", _i32),
            ("cached", pa.bool_()),
            ("submitted_at", pa.timestamp("us", tz="UTC")),
            ("elapsed_s", pa.float64()),
            ("read_locally", _str),
            ("warnings", pa.list_(_str)),
        ]
    ),
    "fields": pa.schema(
        [
            ("source", _str),
            ("file_id", _str),
            ("page", _i32),
            ("key", _str),
            ("value", _str),
            ("number", NUMBER_TYPE),
            ("date", pa.date32()),
        ]
    ),
    "items": pa.schema(
        [
            ("source", _str),
            ("file_id", _str),
            ("item", _i32),
            ("page", _i32),
            ("key", _str),
            ("value", _str),
            ("number", NUMBER_TYPE),
            ("date", pa.date32()),
        ]
    ),
    "taxes": pa.schema(
        [
            ("source", _str),
            ("file_id", _str),
            ("tax", _i32),
            ("page", _i32),
            ("key", _str),
            ("value", _str),
            ("number", NUMBER_TYPE),
            ("date", pa.date32()),
        ]
    ),
    "texts": pa.schema(
        [
            ("source", _str),
            ("page", _i32),
            ("task_id", _str),
            ("module", _str),
            ("text", _str),
        ]
    ),
}


#: The order of every table's rows: these columns, ascending (nulls last), then the position in
#: the answer (a stable sort keeps it). ``file_id`` and ``sha256`` only part rows of one source
#: that came from two different answers (a file changed under the same name).
ORDER: dict[str, tuple[str, ...]] = {
    "documents": ("source", "page", "sha256"),
    "fields": ("source", "file_id", "page"),
    "items": ("source", "file_id", "item"),
    "taxes": ("source", "file_id", "tax"),
    "texts": ("source", "page"),
}

#: Columns that say when and how long, not what was read: ``Extraction.equals`` leaves them out
#: unless asked.
TIMINGS: tuple[str, ...] = ("submitted_at", "elapsed_s")


def ordered(name: str, table: pa.Table) -> pa.Table:
    """``table`` (one of :data:`TABLES`) in the documented order :data:`ORDER`.

    Arrow's sort is stable, so rows equal on the order's columns keep their order: the position
    in the answer.

    >>> t = pa.table({"source": ["b", "a", "a"], "page": [1, 2, 1]})
    >>> ordered("texts", t).to_pydict()
    {'source': ['a', 'a', 'b'], 'page': [1, 2, 1]}
    """
    if table.num_rows < 2:
        return table
    keys = [(column, "ascending") for column in ORDER[name]]  # nulls last: the default
    return table.sort_by(keys)


class Tables(Protocol):
    """Anything that gives every table as Arrow (an :class:`~ocrframe.Extraction`)."""

    def to_arrow(self) -> dict[str, pa.Table]:
        """Every table as a :class:`pyarrow.Table` with its schema from :data:`SCHEMAS`."""
        ...


def _types_mapper(arrow_type: pa.DataType) -> pd.ArrowDtype:
    return pd.ArrowDtype(arrow_type)


def to_pandas(table: pa.Table) -> pd.DataFrame:
    """An Arrow table as a DataFrame of :class:`pandas.ArrowDtype` columns."""
    frame: pd.DataFrame = table.to_pandas(types_mapper=_types_mapper)
    return frame


def empty_frame(table: str) -> pd.DataFrame:
    """An empty DataFrame with the columns and dtypes of ``table`` (one of :data:`TABLES`).

    >>> list(empty_frame("texts").columns)
    ['source', 'page', 'task_id', 'module', 'text']
    """
    return to_pandas(SCHEMAS[table].empty_table())


def to_arrow(df: pd.DataFrame, table: str) -> pa.Table:
    """A DataFrame of ``table`` back to Arrow with its schema (columns in schema order)."""
    schema = SCHEMAS[table]
    return pa.Table.from_pandas(df[schema.names], schema=schema, preserve_index=False)
