"""The Parquet dataset: one folder per table, part files with an explicit schema.

Layout of a dataset folder::

    out/
      documents/part-20261121T160000Z-1a2b3c4d-00000.parquet
      fields/part-20261121T160000Z-1a2b3c4d-00000.parquet
      items/...   taxes/...   texts/...

Every part exists in all five folders under the same name (possibly with no rows), so each folder
is a complete table for DuckDB (``read_parquet('out/items/*.parquet')``), Polars or Spark. Each file
carries the Arrow schema of :data:`ocrframe._frames.SCHEMAS` and key-value metadata
``ocrframe.version``, ``ocrframe.table``, ``ocrframe.service``, ``ocrframe.model`` (the services
and models of the documents in the part's first row group, comma-separated) and
``ocrframe.created_at`` (UTC, ISO 8601). Nothing else: no key, no option value.

**Adding a later run to the same folder** never duplicates a document. A document is identified by
``source`` + ``sha256`` (the file's content), + ``page`` for a CapSolver page image. When the folder
already holds that document:

- with status ``ok``: the new one is **skipped** (with its fields, items, taxes, texts);
- with status ``failed`` or ``pending``: the new one **replaces** it (the old rows are removed from
  their part files when the writer closes), so a re-run fills the gaps of an earlier one.

Within one writer the first occurrence wins. One writer at a time: a writer holds a lock on the
folder (``.ocrframe-writer.lock``, released by the system even if the process is killed), and a
second writer on the same folder fails at once with a :class:`~ocrframe.errors.ConfigurationError`
instead of doubling rows. A part is written under a hidden name (``.part-*.parquet.tmp``, which
pyarrow, pandas and ``*.parquet`` globs all skip) and renamed when complete, so readers never see
a half-written file; a run that dies loses at most its open part (the raw answers stay in the
cache), and the next writer removes what it left behind.
"""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ocrframe._frames.schemas import SCHEMAS, TABLES, Tables
from ocrframe.errors import ConfigurationError

__all__ = ["ParquetDatasetWriter", "read_tables", "remove_parts"]

_SUFFIX = ".parquet"
_TMP = ".parquet.tmp"
_LOCK = ".ocrframe-writer.lock"


def _lock(folder: Path) -> int | None:
    """Take the folder's writer lock (a file descriptor), or raise ConfigurationError at once."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX: no lock
        return None
    fd = os.open(folder / _LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise ConfigurationError(
            f"another run is writing to the dataset {folder} (it holds {_LOCK}); wait for it to "
            "finish, or write to another folder: two writers at once would double its rows"
        ) from None
    return fd


def _remove_leftovers(folder: Path) -> None:
    # Temporaries of a writer that died (this one holds the lock: none is in use), under the
    # hidden name or the visible one of earlier versions.
    for name in TABLES:
        table_folder = folder / name
        if table_folder.is_dir():
            for leftover in table_folder.glob("*.tmp"):
                leftover.unlink(missing_ok=True)


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("ocrframe")
    # Metadata is informative: never fail a write over it.
    except Exception:
        return "unknown"


def _parts(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob(f"*{_SUFFIX}") if p.is_file()) if folder.is_dir() else []


def _read_table(file: Path, table: str, columns: list[str] | None = None) -> pa.Table:
    schema = SCHEMAS[table]
    data = pq.read_table(file, columns=columns)
    if columns is None:
        for name in schema.names:
            # A column added since the part was written (documents.warnings) reads as null.
            if name not in data.column_names:
                data = data.append_column(name, pa.nulls(data.num_rows, schema.field(name).type))
        data = data.select(schema.names).cast(schema)
    return data.replace_schema_metadata(None)


def remove_parts(path: str | os.PathLike[str], *, keep: set[str]) -> int:
    """Remove the dataset's part files except those named in ``keep``; returns how many went.

    Only ``*.parquet`` files directly in the table folders are touched: anything else a user
    keeps in the dataset's folder stays.
    """
    removed = 0
    for name in TABLES:
        for file in _parts(Path(path) / name):
            if file.name not in keep:
                file.unlink()
                removed += 1
    return removed


def read_tables(path: str | os.PathLike[str]) -> dict[str, pa.Table]:
    """Every table of the dataset in folder ``path`` (a missing folder reads as empty).

    Parts are read in name order (their names start with the UTC time of the run that wrote them).
    """
    root = Path(path)
    tables: dict[str, pa.Table] = {}
    for name in TABLES:
        files = _parts(root / name)
        tables[name] = (
            pa.concat_tables([_read_table(f, name) for f in files])
            if files
            else SCHEMAS[name].empty_table()
        )
    return tables


def _key(source: Any, sha256: Any, page: Any) -> tuple[str, str, str]:
    """A document's identity: the file (source + content hash) and, for CapSolver, its page."""
    return (str(source), "" if sha256 is None else str(sha256), "" if page is None else str(page))


def _unit(source: str, page: str) -> str:
    return f"{source}\x1f{page}"


def _row_units(name: str, table: pa.Table) -> pa.ChunkedArray:
    """For each row, the unit (source + page of the document) it belongs to.

    ``documents`` and ``texts`` carry the document's page (set for CapSolver page images);
    the cells of ``fields`` / ``items`` / ``taxes`` belong to a DocAI document, whose page is
    null (their own ``page`` is the cell's page in the file).
    """
    source = table.column("source")
    page: Any = pa.scalar("")
    if name in ("documents", "texts"):
        page = pc.fill_null(pc.cast(table.column("page"), pa.string()), "")
    return pc.binary_join_element_wise(source, page, "\x1f")


def _without(name: str, table: pa.Table, units: set[str]) -> pa.Table:
    if not units or table.num_rows == 0:
        return table
    gone = pa.array(sorted(units), type=pa.string())
    return table.filter(pc.invert(pc.is_in(_row_units(name, table), value_set=gone)))


class ParquetDatasetWriter:
    """Write Extractions into a dataset folder chunk by chunk, with flat memory.

    ``append`` buffers rows and writes them as row groups once ``flush_rows`` cells or documents
    are waiting; every ``part_documents`` documents the part files are closed and a new part
    begins. Use it as a context manager (or call :meth:`close`). See the module docstring for how a
    document already present is treated.

    >>> import tempfile, ocrframe
    >>> with tempfile.TemporaryDirectory() as d:
    ...     with ParquetDatasetWriter(d) as w:
    ...         _ = w.append(ocrframe.Extraction.empty())
    ...     w.written
    0
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        flush_rows: int = 100_000,
        part_documents: int = 50_000,
        existing: bool = True,
    ) -> None:
        self.path = Path(path)
        self.flush_rows = max(1, flush_rows)
        self.part_documents = max(1, part_documents)
        #: Documents written, skipped (already present with status ok) and replaced so far.
        self.written = 0
        self.skipped = 0
        self.replaced = 0
        self._lock_fd: int | None = None
        self.path.mkdir(parents=True, exist_ok=True)
        self._lock_fd = _lock(self.path)
        _remove_leftovers(self.path)
        for name in TABLES:
            (self.path / name).mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        self._run = f"part-{stamp}-{uuid.uuid4().hex[:8]}"
        self._seq = 0
        #: The names of the part files this writer wrote (the same in every table folder).
        self.part_names: set[str] = set()
        # What the folder held when this writer opened it: key -> (status, part file name).
        # existing=False: the caller replaces the dataset (to_parquet's overwrite), nothing counts.
        self._existing: dict[tuple[str, str, str], tuple[str, str]] = {}
        self._replacing = not existing
        for file in _parts(self.path / "documents") if existing else []:
            cols = pq.read_table(file, columns=["source", "sha256", "page", "status"]).to_pydict()
            for src, sha, page, status in zip(
                cols["source"], cols["sha256"], cols["page"], cols["status"], strict=True
            ):
                self._existing[_key(src, sha, page)] = (str(status), file.name)
        self._seen: set[tuple[str, str, str]] = set()
        # Old part name -> units (source + page) whose rows must go (replaced by this run).
        self._drop: dict[str, set[str]] = {}
        self._buffer: dict[str, list[pa.Table]] = {name: [] for name in TABLES}
        self._buffered_rows = 0
        self._writers: dict[str, pq.ParquetWriter] = {}
        self._part_docs = 0
        self._closed = False

    # ------------------------------------------------------------------------------------------

    def append(self, extraction: Tables) -> int:
        """Add one chunk; returns how many of its documents will be written (not skipped)."""
        if self._closed:
            raise ValueError("ParquetDatasetWriter is closed")
        tables = extraction.to_arrow()
        docs = tables["documents"]
        cols = docs.select(["source", "sha256", "page"]).to_pydict()
        keep_mask: list[bool] = []
        kept: set[str] = set()
        dropped: set[str] = set()
        for src, sha, page in zip(cols["source"], cols["sha256"], cols["page"], strict=True):
            key = _key(src, sha, page)
            unit = _unit(key[0], key[2])
            keep = key not in self._seen
            old = self._existing.get(key)
            if keep and old is not None:
                if old[0] == "ok":
                    keep = False
                else:
                    self._drop.setdefault(old[1], set()).add(unit)
                    self.replaced += 1
            if keep:
                self._seen.add(key)
                kept.add(unit)
            else:
                dropped.add(unit)
                self.skipped += 1
            keep_mask.append(keep)
        if dropped:
            tables["documents"] = docs.filter(pa.array(keep_mask, type=pa.bool_()))
            # Child rows carry source (and page) only; a unit both kept and skipped in one chunk
            # (two contents under one name) keeps its rows: they cannot be told apart.
            for name in TABLES[1:]:
                tables[name] = _without(name, tables[name], dropped - kept)
        written = int(tables["documents"].num_rows)
        self.written += written
        for name in TABLES:
            if tables[name].num_rows:
                self._buffer[name].append(tables[name])
                self._buffered_rows += tables[name].num_rows
        self._part_docs += written
        if self._buffered_rows >= self.flush_rows or self._part_docs >= self.part_documents:
            self._flush()
        if self._part_docs >= self.part_documents:
            self._finish_part()
        return written

    def close(self) -> None:
        """Write what is buffered, complete the part, remove replaced rows from older parts."""
        if self._closed:
            return
        self._closed = True
        try:
            self._flush()
            self._finish_part()
            for old_name, sources in self._drop.items():
                self._remove_rows(old_name, sources)
            if not _parts(self.path / "documents") or (self._replacing and not self.part_names):
                # An empty dataset still gets one (empty) file per table, so readers find a
                # schema.
                self._open_part(SCHEMAS["documents"].empty_table())
                self._finish_part()
        finally:
            self._unlock()

    def __del__(self) -> None:
        # A writer dropped without close() (a crash between runs in a notebook) must not keep
        # the folder locked until the kernel exits.
        self._unlock()

    def _unlock(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # closing the descriptor releases the lock
            self._lock_fd = None

    def __enter__(self) -> ParquetDatasetWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # ------------------------------------------------------------------------------------------

    def _metadata(self, name: str, docs: pa.Table) -> dict[str, str]:
        def joined(column: str) -> str:
            values = pc.unique(docs.column(column).drop_null()).to_pylist()
            return ",".join(sorted(str(v) for v in values))

        return {
            "ocrframe.version": _version(),
            "ocrframe.table": name,
            "ocrframe.service": joined("service"),
            "ocrframe.model": joined("model"),
            "ocrframe.created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }

    def _file(self, name: str, seq: int, tmp: bool) -> Path:
        if tmp:  # hidden until complete: readers skip names starting with "."
            return self.path / name / f".{self._run}-{seq:05d}{_TMP}"
        return self.path / name / f"{self._run}-{seq:05d}{_SUFFIX}"

    def _open_part(self, docs: pa.Table) -> None:
        for name in TABLES:
            schema = SCHEMAS[name].with_metadata(self._metadata(name, docs))
            self._writers[name] = pq.ParquetWriter(self._file(name, self._seq, True), schema)

    def _flush(self) -> None:
        if not any(self._buffer.values()):
            return
        docs_parts = self._buffer["documents"]
        docs = pa.concat_tables(docs_parts) if docs_parts else SCHEMAS["documents"].empty_table()
        if not self._writers:
            self._open_part(docs)
        for name in TABLES:
            chunks = self._buffer[name]
            if chunks:
                self._writers[name].write_table(pa.concat_tables(chunks))
            self._buffer[name] = []
        self._buffered_rows = 0

    def _finish_part(self) -> None:
        if not self._writers:
            return
        for name in TABLES:
            self._writers[name].close()
            os.replace(self._file(name, self._seq, True), self._file(name, self._seq, False))
        self.part_names.add(self._file("documents", self._seq, False).name)
        self._writers = {}
        self._seq += 1
        self._part_docs = 0

    def _remove_rows(self, part_name: str, units: set[str]) -> None:
        for name in TABLES:
            file = self.path / name / part_name
            if not file.exists():
                continue
            old = pq.read_table(file)
            kept = _without(name, old, units)
            tmp = file.with_name(f".{file.name}.tmp")
            pq.write_table(kept, tmp)
            os.replace(tmp, file)
