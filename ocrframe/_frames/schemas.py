"""The tables' schemas, defined once as Arrow schemas, and the DataFrames made from them.

Every DataFrame uses :class:`pandas.ArrowDtype` columns derived from :data:`SCHEMAS`, so an empty
table has exactly the columns and dtypes of a full one, ``number`` is an exact
``decimal128(38, 10)`` and ``date`` a ``date32``.
"""

from __future__ import annotations

from typing import Protocol

import pandas as pd
import pyarrow as pa

from ocrframe._values import NUMBER_TYPE

__all__ = ["SCHEMAS", "TABLES", "Tables", "empty_frame", "to_arrow", "to_pandas"]

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
