"""The :class:`Extraction`: the tables of one run as DataFrames, their wide views, and the
Parquet round trip (:meth:`Extraction.to_parquet`, :func:`read_parquet`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ocrframe._frames.dataset import ParquetDatasetWriter, read_tables, remove_parts
from ocrframe._frames.decimals import display_scale, show_numbers, with_scale
from ocrframe._frames.flatten import build_tables, records_from
from ocrframe._frames.schemas import (
    SCHEMAS,
    TABLES,
    TIMINGS,
    empty_frame,
    ordered,
    to_arrow,
    to_pandas,
)
from ocrframe._records import DocumentRecord, RunSummary
from ocrframe.errors import ConfigurationError

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
    Decimal('154.06')
    """

    documents: pd.DataFrame
    fields: pd.DataFrame
    items: pd.DataFrame
    taxes: pd.DataFrame
    texts: pd.DataFrame
    #: The folders or files the run was given: where :meth:`show` looks for a document's file.
    inputs: tuple[str, ...] = field(default=(), repr=False, kw_only=True)

    @property
    def summary(self) -> RunSummary:
        """What the run that made these tables did (:class:`~ocrframe.RunSummary`; empty when
        the tables were built otherwise)."""
        found = self.__dict__.get("_run_summary")
        if found is None:
            found = self.__dict__["_run_summary"] = RunSummary()
        return found

    @summary.setter
    def summary(self, value: RunSummary) -> None:
        self.__dict__["_run_summary"] = value

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
        return cls(*(to_pandas(show_numbers(ordered(name, tables[name]))) for name in TABLES))

    def to_arrow(self) -> dict[str, pa.Table]:
        """Every table as a :class:`pyarrow.Table` with its schema from :data:`SCHEMAS`.

        >>> Extraction.empty().to_arrow()["items"].schema.field("number").type
        Decimal128Type(decimal128(38, 10))
        """
        return {name: to_arrow(getattr(self, name), name) for name in TABLES}

    @classmethod
    def concat(cls, parts: Sequence[Extraction]) -> Extraction:
        """One Extraction holding the rows of ``parts`` (in the tables' documented order).

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

    def equals(self, other: object, *, timings: bool = False) -> bool:
        """True when both hold the same content: every table with the same columns and values.

        Rows are compared in the tables' documented order, whatever order they were built in.
        ``submitted_at`` and ``elapsed_s`` say when and for how long a file was sent, which
        differs on every run: they are compared only with ``timings=True``.

        >>> Extraction.empty().equals(Extraction.empty())
        True
        """
        if not isinstance(other, Extraction):
            return False
        for name in TABLES:
            mine, theirs = getattr(self, name), getattr(other, name)
            if list(mine.columns) != list(theirs.columns):
                return False
            a, b = ordered(name, to_arrow(mine, name)), ordered(name, to_arrow(theirs, name))
            if not timings and name == "documents":
                a, b = a.drop_columns(list(TIMINGS)), b.drop_columns(list(TIMINGS))
            if not a.equals(b):
                return False
        return True

    def to_parquet(
        self, path: str | Path, *, mode: Literal["overwrite", "append"] = "overwrite"
    ) -> None:
        """Write the tables to the Parquet dataset in folder ``path``.

        One sub-folder per table (``documents/``, ``fields/``, ...). ``mode="overwrite"`` (the
        default) replaces the dataset's tables with these, so that
        ``read_parquet(path).equals(ex)`` holds however often it runs; other files in the folder
        are left alone. ``mode="append"`` adds these rows to what is there, without writing a
        document twice: one already present (same source and sha256) is skipped when it is
        ``ok`` there and replaced when it is ``failed`` or ``pending`` (see
        :class:`ocrframe._frames.dataset.ParquetDatasetWriter`).

        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as d:
        ...     Extraction.empty().to_parquet(d)
        """
        if mode not in ("overwrite", "append"):
            raise ConfigurationError(f"mode must be 'overwrite' or 'append', not {mode!r}")
        if mode == "overwrite":
            # The new parts are complete before the old ones go: a failure leaves the old dataset.
            with ParquetDatasetWriter(path, existing=False) as writer:
                writer.append(self)
            remove_parts(path, keep=writer.part_names)
            return
        with ParquetDatasetWriter(path) as writer:
            writer.append(self)

    def checks(self) -> pd.DataFrame:
        """The arithmetic an accountant checks first, one row per document and check.

        For each ``ok`` DocAI document: line totals add up to the net (``lines_sum_to_net``),
        net + tax = gross (``net_plus_tax_is_gross``), tax = base × rate
        (``tax_is_base_times_rate``), amount due = gross − prepaid
        (``due_is_gross_minus_prepaid``). Columns: ``source``, ``file_id``, ``check``, ``reads``
        (the keys read, e.g. ``fields.netAmount``), ``expected``, ``found``, ``difference``
        (found − expected) and ``tolerance`` (exact decimals), ``result`` (``pass``, ``fail``,
        or ``missing`` when an amount was not read) and ``note``. The keys are found by role
        among whatever the model returned: see :mod:`ocrframe._frames.checks`.

        >>> ex = Extraction.from_responses({"a.pdf": {"code": 200, "data": {"fileId": "1",
        ...     "recognizeStatus": "1", "result": {"fieldList": [
        ...     {"pageNumber": 1, "key": "netAmount", "value": "100.00"},
        ...     {"pageNumber": 1, "key": "totalTax", "value": "19.00"},
        ...     {"pageNumber": 1, "key": "grossAmount", "value": "119.00"}]}}}})
        >>> ex.checks().set_index("check")["result"]["net_plus_tax_is_gross"]
        'pass'
        """
        from ocrframe._frames.checks import checks_table

        return to_pandas(checks_table(self.documents, self.fields, self.items, self.taxes))

    def show(self, source: str, *, folder: str | Path | None = None) -> Any:
        """One document at a glance, in a notebook: its pages beside the values read from them.

        The pages are rendered from the file itself (the service sends values only), found as
        ``source`` under ``folder``, else under what :func:`ocrframe.extract` was given. Beside
        them: the document's status and warnings, its fields, line items, tax lines and checks.
        Returns an ``ipywidgets`` box (the last expression of a cell shows it).

        >>> ex.show("invoice-en.pdf")  # doctest: +SKIP
        """
        from ocrframe._frames.show import document_widget

        given = [str(folder)] if folder is not None else list(self.inputs)
        return document_widget(self, source, given)

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
        scale = 0
        if n_present and number.take(rows_a).null_count == present.null_count:
            chosen = number
            # Shown with the decimals this key's values were written with (100.00, 2.5).
            scale = display_scale(present, number.take(rows_a))
        elif n_present and date_.take(rows_a).null_count == present.null_count:
            chosen = date_
        name = f"key:{key}" if key in columns or key in (*ids, "page") else str(key)
        column = chosen.take(take)
        if chosen is number:
            column = with_scale(column, scale)
        columns[name] = column
        schema_fields.append(pa.field(name, column.type))
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
