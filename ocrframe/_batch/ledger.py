"""The ledger of a run: one record per unit, counted, shown, and kept or streamed to Parquet.

Every unit submitted ends here exactly once (``ok``, ``failed`` or ``pending``). Without ``out``
the records become the tables at the end; with ``out`` they are written to the dataset in
chunks as they come (memory stays flat) and the result is the dataset, read when first used.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from typing import Any, Protocol, cast

from ocrframe._batch.options import BatchOptions, ProgressCallback
from ocrframe._frames import TABLES, Extraction, ParquetDatasetWriter, read_parquet, record_status
from ocrframe._output import progress_bar as tqdm_bar
from ocrframe._records import MAX_FAILURES, DocumentRecord, RunSummary

__all__ = [
    "MAX_FAILURES",
    "STREAM_CHUNK",
    "STREAM_FLUSH_ROWS",
    "CallbackBar",
    "DatasetExtraction",
    "Ledger",
    "ProgressBar",
    "progress_bar",
]

#: Row groups of a streamed dataset hold at most this many rows (cells or documents).
STREAM_FLUSH_ROWS = 10_000
#: Records are turned into tables and streamed this many at a time.
STREAM_CHUNK = 500
#: Seconds between two updates of the counts shown beside the progress bar.
POSTFIX_INTERVAL = 0.1


class ProgressBar(Protocol):
    """The part of a tqdm bar the ledger uses."""

    total: int | None

    def update(self, n: int = 1) -> object: ...
    def refresh(self) -> object: ...
    def set_postfix(self, **counts: Any) -> object: ...
    def close(self) -> object: ...


class CallbackBar:
    """The part of a tqdm bar the ledger uses, reporting ``(done, total)`` to a callback."""

    def __init__(self, callback: ProgressCallback, total: int | None) -> None:
        self.callback = callback
        self.total = total
        self.n = 0
        callback(0, total)

    def update(self, n: int = 1) -> None:
        """Count ``n`` more units done."""
        self.n += n
        self.callback(self.n, self.total)

    def refresh(self) -> None:
        """Report again (the total changed)."""
        self.callback(self.n, self.total)

    def set_postfix(self, **_: Any) -> None:
        """Counts are the caller's to show; the callback gets only done and total."""

    def close(self) -> None:
        """Nothing to release."""


def progress_bar(
    progress: bool | ProgressCallback, total: int | None, service: str
) -> ProgressBar | None:
    """The bar for ``progress=``: a tqdm bar, the callback's, or none."""
    if callable(progress):
        return CallbackBar(progress, total)
    if not progress:
        return None
    return cast(ProgressBar | None, tqdm_bar(total, f"ocrframe {service}"))


class Ledger:
    """Collects records; with ``out`` streams them to the Parquet dataset in chunks."""

    def __init__(self, options: BatchOptions, bar: ProgressBar | None) -> None:
        self.options = options
        self.summary = RunSummary()
        self._records: list[DocumentRecord] = []
        self._out = None if options.out is None else os.fspath(options.out)
        self._writer: ParquetDatasetWriter | None = None
        self._flush_lock = asyncio.Lock()
        self.bar = bar
        self._postfix_at = -POSTFIX_INTERVAL
        if self._out is not None:
            # Row groups of a bounded size: the writer's own buffer must not grow with the run.
            self._writer = ParquetDatasetWriter(self._out, flush_rows=STREAM_FLUSH_ROWS)

    async def add(self, record: DocumentRecord) -> None:
        """Account for one unit."""
        status = record_status(record)
        s = self.summary
        if status == "ok":
            s.ok += 1
        elif status == "pending":
            s.pending += 1
        else:
            s.failed += 1
            if len(s.failures) < MAX_FAILURES:
                where = record.source if record.page is None else f"{record.source} p{record.page}"
                s.failures.append((where, record.error_code or "", record.error_message or ""))
        if record.cached:
            s.cached += 1
        if self.bar is not None:
            self.bar.update(1)
            now = time.monotonic()
            # The counts change with every unit, the display only every POSTFIX_INTERVAL:
            # formatting them per unit was work nobody saw.
            if now - self._postfix_at >= POSTFIX_INTERVAL:
                self._postfix_at = now
                self._show_counts()
        self._records.append(record)
        if self._writer is not None and len(self._records) >= STREAM_CHUNK:
            await self._flush()

    def grow(self, more: int) -> None:
        """``more`` units beyond the files counted (a file split into pages)."""
        if self.bar is not None and more:
            self.bar.total = (self.bar.total or 0) + more
            self.bar.refresh()

    def _show_counts(self) -> None:
        s = self.summary
        if self.bar is not None:
            self.bar.set_postfix(
                ok=s.ok, failed=s.failed, cached=s.cached, pending=s.pending, refresh=False
            )

    async def _flush(self) -> None:
        if not self._records:
            return
        chunk, self._records = self._records, []
        async with self._flush_lock:
            # Building tables and writing Parquet is CPU and disk work: off the event loop.
            await asyncio.to_thread(self._write, chunk)

    def _write(self, chunk: list[DocumentRecord]) -> None:
        if self._writer is not None:
            extraction = Extraction.from_records(chunk)
            self.summary.tally(extraction)
            self._writer.append(extraction)

    async def finish(self) -> Extraction:
        """The result: the tables (or, with ``out``, the dataset) with this run's summary."""
        if self.bar is not None:
            self._show_counts()
        if self._writer is None or self._out is None:
            records, self._records = self._records, []
            extraction = await asyncio.to_thread(Extraction.from_records, records)
            await asyncio.to_thread(self.summary.tally, extraction)
            extraction.summary = self.summary
            return extraction
        await self._flush()
        await asyncio.to_thread(self._writer.close)
        self._writer = None
        return DatasetExtraction(self._out, self.summary)

    async def abandon(self) -> None:
        """On cancellation: keep what was finished (flush and close the dataset)."""
        if self._writer is not None:
            with contextlib.suppress(Exception):
                await self._flush()
                await asyncio.to_thread(self._writer.close)
            self._writer = None


class DatasetExtraction(Extraction):
    """What :func:`extract` returns with ``out=DIR``: the dataset, read when first used.

    Its tables are the whole dataset folder (earlier runs written there included), read with
    :func:`ocrframe.read_parquet` the first time a table is used, so that finishing a run of
    any size costs no memory. ``summary`` (a :class:`RunSummary`) says what this run did.
    """

    def __init__(self, path: str | os.PathLike[str], summary: RunSummary | None = None) -> None:
        # Deliberately not the dataclass __init__: the tables are attributes set on first use.
        self.path = os.fspath(path)
        self.summary = summary if summary is not None else RunSummary()

    def __getattr__(self, name: str) -> Any:
        # Called only for attributes not set yet, i.e. the tables before they are read.
        if name in TABLES:
            loaded = read_parquet(self.path)
            for table in TABLES:
                setattr(self, table, getattr(loaded, table))
            return getattr(self, name)
        raise AttributeError(name)

    def __repr__(self) -> str:
        # Never reads the dataset: asyncio and debuggers repr results they only pass along.
        if all(table in self.__dict__ for table in TABLES):
            return super().__repr__()
        return f"DatasetExtraction({self.path!r}, not read yet, {self.summary})"
