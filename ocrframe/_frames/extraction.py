"""The :class:`Extraction`: the tables of one run as DataFrames, their wide views, and the
Parquet round trip (:meth:`Extraction.to_parquet`, :func:`read_parquet`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ocrframe._frames.dataset import ParquetDatasetWriter, read_tables
from ocrframe._frames.flatten import build_tables, records_from
from ocrframe._frames.schemas import SCHEMAS, TABLES, empty_frame, to_arrow, to_pandas
from ocrframe._records import DocumentRecord

__all__ = ["Extraction", "read_parquet"]

_i32 = pa.int32()


@dataclass(eq=False)
class Extraction:
    """The tables of one run: ``documents``, ``fields``, ``items``, ``taxes``, ``texts``.

    Build one with :meth:`from_responses` (or :func:`ocrframe.extract`); write it with
    :meth:`to_parquet`, read it back with :func:`ocrframe.read_parquet`.

    >>> ex = Extraction.from_responses({"a.pdf": {"code": 200, "data": {"fileId": "1",
    ...     "recognizeStatus": "1", "result": {"fieldList": [
    ...     {"pageNumber": 1, "key": "grossAmount", "value": "154.06"}]}}}})
    >>> ex.fields["number"].iloc[0]
    Decimal('154.0600000000')
    """

    documents: pd.DataFrame
    fields: pd.DataFrame
    items: pd.DataFrame
    taxes: pd.DataFrame
    texts: pd.DataFrame

    @classmethod
    def empty(cls) -> Extraction:
        """An Extraction with no rows (every table with its full schema).

        >>> len(Extraction.empty().documents)
        0
        """
        return cls(*(empty_frame(name) for name in TABLES))

    @classmethod
    def from_responses(
        cls,
        responses: Iterable[DocumentRecord | Mapping[str, Any]] | Mapping[str, Any],
        *,
        service: Literal["docai", "capsolver"] | None = None,
        model: str | None = None,
        dayfirst: bool = True,
    ) -> Extraction:
        """Tables from :class:`~ocrframe._records.DocumentRecord` objects or raw answers in hand.

        ``responses`` is an iterable of records, a mapping ``{source: raw_answer}`` or a list of raw
        answers (sources ``"#0"``, ``"#1"``, ...). For raw answers, ``service`` and ``model`` fill
        the documents table; without ``service`` an answer with ``errorId`` / ``solution`` is read
        as CapSolver, anything else as DocAI. ``dayfirst`` decides dates such as ``"11/02/2019"``
        where both of the first two parts are 12 or less (see :mod:`ocrframe._values`).

        >>> Extraction.from_responses([{"errorId": 0, "status": "ready",
        ...     "solution": {"text": "44795sds"}, "taskId": "t1"}]).texts["text"].tolist()
        ['44795sds']
        """
        return cls._from_arrow(
            build_tables(records_from(responses, service, model), dayfirst=dayfirst)
        )

    @classmethod
    def from_records(
        cls, records: Iterable[DocumentRecord], *, dayfirst: bool = True
    ) -> Extraction:
        """Tables from the batch engine's records (the same as :meth:`from_responses`).

        >>> Extraction.from_records([]).documents.empty
        True
        """
        return cls.from_responses(records, dayfirst=dayfirst)

    @classmethod
    def _from_arrow(cls, tables: Mapping[str, pa.Table]) -> Extraction:
        return cls(*(to_pandas(tables[name]) for name in TABLES))

    def to_arrow(self) -> dict[str, pa.Table]:
        """Every table as a :class:`pyarrow.Table` with its schema from :data:`SCHEMAS`.

        >>> Extraction.empty().to_arrow()["items"].schema.field("number").type
        Decimal128Type(decimal128(38, 10))
        """
        return {name: to_arrow(getattr(self, name), name) for name in TABLES}

    @classmethod
    def concat(cls, parts: Sequence[Extraction]) -> Extraction:
        """One Extraction holding the rows of ``parts``, in order.

        >>> Extraction.concat([Extraction.empty(), Extraction.empty()]).equals(Extraction.empty())
        True
        """
        arrows = [p.to_arrow() for p in parts]
        return cls._from_arrow(
            {
                name: pa.concat_tables([a[name] for a in arrows])
                if arrows
                else SCHEMAS[name].empty_table()
                for name in TABLES
            }
        )

    def equals(self, other: object) -> bool:
        """True when every table has the same columns, dtypes and values, row for row.

        >>> Extraction.empty().equals(Extraction.empty())
        True
        """
        if not isinstance(other, Extraction):
            return False
        for name in TABLES:
            mine, theirs = getattr(self, name), getattr(other, name)
            if list(mine.columns) != list(theirs.columns) or list(mine.dtypes) != list(
                theirs.dtypes
            ):
                return False
            if not to_arrow(mine, name).equals(to_arrow(theirs, name)):
                return False
        return True

    def to_parquet(self, path: str | Path) -> None:
        """Write (or add) the tables to the Parquet dataset in folder ``path``.

        One sub-folder per table (``documents/``, ``fields/``, ...). A document already in the
        dataset (same source and sha256) is not written twice: see
        :class:`ocrframe._frames.dataset.ParquetDatasetWriter` for the rule.

        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as d:
        ...     Extraction.empty().to_parquet(d)
        """
        with ParquetDatasetWriter(path) as writer:
            writer.append(self)

    def items_wide(self) -> pd.DataFrame:
        """One row per line item, one column per key the model returned, typed where possible.

        Index columns: ``source``, ``file_id``, ``item``, ``page`` (the smallest page of the item's
        cells). A key column is exact decimal when every non-null value parses as a number, else
        a date when every one parses as a date, else the raw strings. When a key appears twice in
        one item the first cell wins; the dropped cells are listed in
        ``.attrs["duplicate_keys"]`` (source, file_id, item, key, value). Cells without a key are
        left out. A key named like an index column gets the prefix ``key:``.

        >>> Extraction.empty().items_wide().columns.tolist()
        ['source', 'file_id', 'item', 'page']
        """
        return _wide(self.items, "item")

    def taxes_wide(self) -> pd.DataFrame:
        """One row per tax line, one column per key, typed as in :meth:`items_wide`.

        >>> Extraction.empty().taxes_wide().columns.tolist()
        ['source', 'file_id', 'tax', 'page']
        """
        return _wide(self.taxes, "tax")

    def __repr__(self) -> str:
        counts = ", ".join(f"{name}={len(getattr(self, name))}" for name in TABLES)
        return f"Extraction({counts})"


def _wide(long: pd.DataFrame, line: str) -> pd.DataFrame:
    ids = ["source", "file_id", line]
    table = to_arrow(long, "items" if line == "item" else "taxes")
    table = table.filter(pc.is_valid(table.column("key")))
    index_schema = pa.schema(
        [SCHEMAS["items" if line == "item" else "taxes"].field(n) for n in [*ids, "page"]]
    )
    if table.num_rows == 0:
        empty = to_pandas(index_schema.empty_table())
        empty.attrs["duplicate_keys"] = []
        return empty
    frame = pd.DataFrame(
        {
            "source": table.column("source").to_numpy(zero_copy_only=False),
            "file_id": table.column("file_id").to_numpy(zero_copy_only=False),
            line: table.column(line).to_numpy(zero_copy_only=False),
            "key": table.column("key").to_numpy(zero_copy_only=False),
        }
    )
    group = frame.groupby(ids, sort=False, dropna=False).ngroup().to_numpy()
    dup = frame.duplicated([*ids, "key"], keep="first").to_numpy()
    first_rows = np.unique(group, return_index=True)[1]
    n_groups = len(first_rows)
    page_min = (
        pd.Series(table.column("page").to_numpy(zero_copy_only=False), dtype="Float64")
        .groupby(group)
        .min()
        .to_numpy(dtype="float64", na_value=np.nan)
    )
    pages = pa.array(page_min, type=pa.float64(), from_pandas=True).cast(_i32)
    columns: dict[str, Any] = {
        "source": table.column("source").take(first_rows),
        "file_id": table.column("file_id").take(first_rows),
        line: table.column(line).take(first_rows),
        "page": pages,
    }
    schema_fields = list(index_schema)
    value = table.column("value")
    number = table.column("number")
    date_ = table.column("date")
    keys = frame["key"].to_numpy()
    for key in pd.unique(keys):
        mask = (keys == key) & ~dup
        rows = np.nonzero(mask)[0]
        positions = np.full(n_groups, -1, dtype=np.int64)
        positions[group[rows]] = rows
        take = pa.array(positions, mask=positions < 0)
        rows_a = pa.array(rows)
        present = value.take(rows_a)
        n_present = len(present) - present.null_count
        chosen = value
        if n_present and number.take(rows_a).null_count == present.null_count:
            chosen = number
        elif n_present and date_.take(rows_a).null_count == present.null_count:
            chosen = date_
        name = f"key:{key}" if key in columns or key in (*ids, "page") else str(key)
        columns[name] = chosen.take(take)
        schema_fields.append(pa.field(name, chosen.type))
    wide = to_pandas(pa.Table.from_pydict(columns, schema=pa.schema(schema_fields)))
    dropped = np.nonzero(dup)[0]
    wide.attrs["duplicate_keys"] = [
        {
            "source": table.column("source")[i].as_py(),
            "file_id": table.column("file_id")[i].as_py(),
            line: table.column(line)[i].as_py(),
            "key": table.column("key")[i].as_py(),
            "value": value[i].as_py(),
        }
        for i in dropped
    ]
    return wide


def read_parquet(path: str | os.PathLike[str]) -> Extraction:
    """Read a dataset written by :meth:`Extraction.to_parquet` or by ``extract(..., out=...)``.

    Parts are read in name order (their names start with the UTC time of the run that wrote them).
    A missing table folder reads as an empty table.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     Extraction.empty().to_parquet(d)
    ...     read_parquet(d).equals(Extraction.empty())
    True
    """
    return Extraction._from_arrow(read_tables(path))
