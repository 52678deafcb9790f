"""The dataset as the cluster-wide ledger: part names, the ledger's reading, atomic writes.

Used by :mod:`ocrframe.dask`; nothing here needs the cluster. A part's name is derived from its
content (the options' digest and the sorted (source, sha256) of its documents), so a task that
Dask runs again replaces its part instead of adding one; the ledger is what the dataset holds.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, cast

import fsspec
import pyarrow as pa
import pyarrow.parquet as pq

from ocrframe._batch import DatasetExtraction
from ocrframe._frames import SCHEMAS, TABLES, Extraction
from ocrframe._frames.dataset import _without

PREFIX = "part-"
SUFFIX = ".parquet"
# (source, sha256 or "", page or "") identifies a document, as the single-machine writer does.
DocKey = tuple[str, str, str]

# --------------------------------------------------------------------------- pure helpers


def option_key(service: str, model: str | None, options: dict[str, Any]) -> str:
    """A short digest of everything that changes an answer: names the parts of one run's options.

    >>> option_key("docai", "invoice", {"host": "embedded", "pages": None}) == option_key(
    ...     "docai", "invoice", {"pages": None, "host": "embedded"})
    True
    """
    text = json.dumps(
        {"service": service, "model": model, "options": options},
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def part_name(option: str, contents: Iterable[tuple[str, str | None]]) -> str:
    """The part's file name: the options' key and a hash of its sorted ``(source, sha256)``.

    >>> part_name("abc", [("b.pdf", "2"), ("a.pdf", "1")]) == part_name("abc", [("a.pdf", "1"),
    ...     ("b.pdf", "2")])
    True
    """
    digest = hashlib.sha256()
    for source, sha in sorted({(s, h or "") for s, h in contents}):
        digest.update(f"{source}\x1f{sha}\x1e".encode())
    return f"{PREFIX}{option}-{digest.hexdigest()[:24]}{SUFFIX}"


def option_of_part(name: str) -> str | None:
    """The options' key in a part name written by :func:`part_name` (None for other parts).

    >>> option_of_part("part-0123456789ab-" + "f" * 24 + ".parquet")
    '0123456789ab'
    >>> option_of_part("part-20261121T160000Z-1a2b3c4d-00000.parquet") is None
    True
    """
    stem = name[len(PREFIX) : -len(SUFFIX)]
    head, _, tail = stem.partition("-")
    hexdigits = set("0123456789abcdef")
    if len(head) == 12 and len(tail) == 24 and set(head + tail) <= hexdigits:
        return head
    return None


def supersede(
    existing: Iterable[tuple[DocKey, str, str]], new: Iterable[tuple[DocKey, str, str]]
) -> dict[str, set[DocKey]]:
    """Which rows must leave which part so that each document is there once.

    ``existing`` and ``new``: ``(key, status, part name)``. For a key held more than once the row
    kept is an ``ok`` one, a new one before an older one, then the greater part name. Returns
    part name -> keys whose rows go.

    >>> supersede([(("a", "1", ""), "failed", "p1")], [(("a", "1", ""), "ok", "p2")])
    {'p1': {('a', '1', '')}}
    >>> supersede([(("a", "1", ""), "ok", "p1")], [(("a", "1", ""), "failed", "p2")])
    {'p2': {('a', '1', '')}}
    """
    best: dict[DocKey, tuple[tuple[bool, bool, str], str]] = {}
    losers: dict[str, set[DocKey]] = {}
    for is_new, rows in ((False, existing), (True, new)):
        for key, status, part in rows:
            rank = (status == "ok", is_new, part)
            held = best.get(key)
            if held is None:
                best[key] = (rank, part)
                continue
            loser = part if rank < held[0] else held[1]
            if rank > held[0]:
                best[key] = (rank, part)
            losers.setdefault(loser, set()).add(key)
    return losers


def _chunks(
    items: Sequence[tuple[str, str]], size: int, threads: int = 1
) -> list[tuple[tuple[str, str], ...]]:
    """Consecutive partitions of at most ``size`` items, in order.

    With ``threads`` above one (:mod:`ocrframe.dask` passes the cluster's threads on the embedded
    engine) the last partitions shrink, so that the workers finish together instead of one of
    them reading a whole partition while the others wait: each takes a ``2 * threads``-th of what
    is left, down to a quarter of ``size`` (so the tail adds few tasks and their fixed costs).
    Partitions follow from the items, ``size`` and ``threads`` alone: the same call on the same
    cluster cuts the same partitions.

    >>> [len(c) for c in _chunks([("a", "a")] * 8, 2, threads=2)]
    [2, 2, 1, 1, 1, 1]
    >>> [len(c) for c in _chunks([("a", "a")] * 8, 2, threads=1)]
    [2, 2, 2, 2]
    """
    if threads <= 1:
        return [tuple(items[i : i + size]) for i in range(0, len(items), size)]
    floor = -(-size // 4)
    chunks, start = [], 0
    while start < len(items):
        count = min(size, max(floor, -(-(len(items) - start) // (2 * threads))))
        chunks.append(tuple(items[start : start + count]))
        start += count
    return chunks


# --------------------------------------------------------------------------- the dataset


def _filesystem(out: str) -> tuple[Any, str]:
    fs, root = fsspec.core.url_to_fs(out)
    return fs, cast(str, root).rstrip("/")


def _documents_parts(fs: Any, root: str) -> list[str]:
    if not fs.exists(f"{root}/documents"):
        return []
    return sorted(p for p in fs.ls(f"{root}/documents", detail=False) if _is_part(p))


def _is_part(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return name.endswith(SUFFIX) and not name.startswith((".", "_"))


def _arrow_filesystem(fs: Any) -> Any:
    from fsspec.implementations.local import LocalFileSystem as LocalFS
    from pyarrow.fs import FSSpecHandler, LocalFileSystem, PyFileSystem

    return LocalFileSystem() if isinstance(fs, LocalFS) else PyFileSystem(FSSpecHandler(fs))


def read_dataset(out: str) -> Extraction:
    """The whole dataset at ``out`` (a folder or an fsspec URL), parts in name order."""
    import pyarrow.dataset as ds

    fs, root = _filesystem(out)
    tables: dict[str, pa.Table] = {}
    for table in TABLES:
        folder = f"{root}/{table}"
        parts = (
            sorted(p for p in fs.ls(folder, detail=False) if _is_part(p))
            if fs.exists(folder)
            else []
        )
        schema = SCHEMAS[table]
        if not parts:
            tables[table] = schema.empty_table()
            continue
        data = ds.dataset(parts, format="parquet", filesystem=_arrow_filesystem(fs)).to_table()
        tables[table] = data.select(schema.names).cast(schema).replace_schema_metadata(None)
    return Extraction._from_arrow(tables)


class _ClusterExtraction(DatasetExtraction):
    """The dataset a cluster run wrote, read when first used, also from an fsspec URL."""

    def __getattr__(self, name: str) -> Any:
        if name in TABLES:
            loaded = read_dataset(self.path)
            for table in TABLES:
                setattr(self, table, getattr(loaded, table))
            return getattr(self, name)
        raise AttributeError(name)


def read_ledger(out: str) -> list[tuple[DocKey, str, str]]:
    """Every ``documents`` row of the dataset at ``out``: ``(key, status, part name)``.

    The cluster-wide ledger check reads only these four columns, every part file at once in
    Arrow's own threads.
    """
    import pyarrow.dataset as ds

    fs, root = _filesystem(out)
    parts = _documents_parts(fs, root)
    if not parts:
        return []
    dataset = ds.dataset(parts, format="parquet", filesystem=_arrow_filesystem(fs))
    rows: list[tuple[DocKey, str, str]] = []
    columns = ["source", "sha256", "page", "status"]
    for tagged in dataset.scanner(columns=columns).scan_batches():
        name = tagged.fragment.path.rsplit("/", 1)[-1]
        cols = tagged.record_batch.to_pydict()
        rows.extend(
            ((str(src), sha or "", "" if page is None else str(page)), str(status), name)
            for src, sha, page, status in zip(
                cols["source"], cols["sha256"], cols["page"], cols["status"], strict=True
            )
        )
    return rows


def _write_atomically(fs: Any, root: str, name: str, tables: dict[str, pa.Table]) -> None:
    """Write one part (a file per table): temporary dot-names first, then moved, documents last."""
    token = uuid.uuid4().hex[:8]
    temps: dict[str, str] = {}
    for table in TABLES:
        folder = f"{root}/{table}"
        fs.makedirs(folder, exist_ok=True)
        temp = f"{folder}/.{name}.{token}.tmp"
        with fs.open(temp, "wb") as handle:
            pq.write_table(tables[table], handle)
        temps[table] = temp
    # documents last: once a file's row is there, its fields, items, taxes and texts are too.
    for table in (*TABLES[1:], TABLES[0]):
        fs.mv(temps[table], f"{root}/{table}/{name}")


def _metadata(table: str, docs: pa.Table, option: str) -> dict[str, str]:
    def joined(column: str) -> str:
        values = {str(v) for v in docs.column(column).to_pylist() if v is not None}
        return ",".join(sorted(values))

    return {
        "ocrframe.version": _version(),
        "ocrframe.table": table,
        "ocrframe.service": joined("service"),
        "ocrframe.model": joined("model"),
        "ocrframe.created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "ocrframe.options_key": option,
    }


def _version() -> str:
    from ocrframe import __version__

    return __version__


def _remove(fs: Any, root: str, part: str, keys: set[DocKey]) -> None:
    """Rewrite one part without the rows of ``keys`` (atomically, documents last)."""
    units = {f"{source}\x1f{page}" for source, _, page in keys}
    kept: dict[str, pa.Table] = {}
    for table in TABLES:
        path = f"{root}/{table}/{part}"
        if not fs.exists(path):
            kept[table] = SCHEMAS[table].empty_table()
            continue
        with fs.open(path, "rb") as handle:
            data = pq.read_table(handle)
        kept[table] = _without(table, data, units)
    _write_atomically(fs, root, part, kept)
