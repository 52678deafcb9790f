"""Beyond one machine: the same extraction on a Dask cluster (the ``dask`` extra).

:func:`extract` lists the inputs on the client, cuts them into partitions and submits one task
per partition to a :class:`distributed.Client`. Each task runs ocrframe's own batch engine
(:func:`ocrframe.extract`: concurrency, rate limit, retries, the worker's local cache; the embedded
engine is loaded once per worker process) on its partition's files, which the worker reads itself:
only paths go through the scheduler. The task writes its part of the Parquet dataset at ``out``;
the call returns the dataset as an :class:`~ocrframe.Extraction` (read when first used) with a
:class:`ClusterSummary` of the whole run. :func:`tables` gives the dataset as Dask DataFrames.

How it keeps its promises:

- **Exactly once.** A part is named after its content: the options' key (service, model, host and
  every option that changes an answer) and a hash of the sorted ``(source, sha256)`` of the files
  it holds. Its five table files are written under a dot-prefixed temporary name (which readers
  ignore), then moved into place, ``documents`` last. A task that Dask runs again (a worker died,
  a task was retried) writes the same name and so replaces what a first attempt may have left.
- **The dataset is the cluster-wide ledger.** Before submitting, the client reads the
  ``documents`` key columns; a file the dataset holds as ``ok`` for the same content and options
  is skipped by the worker that owns it (it hashes the file to be sure). Each worker still uses its
  own cache, so a task re-run on the same machine sends nothing already answered. After the tasks,
  the client removes from older parts the rows a new part supersedes (a ``failed`` row redone, an
  answer under other options), so every file ends exactly once in ``documents``.
- **Global limits.** ``concurrency`` is a budget of leases of one :class:`distributed.Semaphore`
  for the whole run: a partition task takes up to its share of leases (at least one, waiting for
  it) and runs the batch engine with that many requests in flight, so the requests in flight
  across the cluster never exceed ``concurrency``. ``rate_limit`` is split the same way: a task
  holding ``k`` of ``concurrency`` leases sends at most ``rate_limit * k / concurrency`` requests
  per second, evenly spaced (:class:`PacedTransport`: no burst when a task starts). On the
  in-process embedded engine the engine's own limiter takes the share.
- A bad key or an empty balance stops each partition at its first refusal (the files not sent are
  ``failed`` with ``run_aborted``, as on one machine); the error is raised at the end with the
  dataset as its ``extraction``.

>>> from distributed import Client, LocalCluster  # doctest: +SKIP
>>> with LocalCluster(n_workers=2, threads_per_worker=1) as cluster, Client(cluster):
...     ex = ocrframe.dask.extract("invoices/", model="invoice", out="out/invoices")
"""

from __future__ import annotations

try:
    import distributed
    import fsspec
except ImportError as _missing:  # pragma: no cover - exercised only without the extra
    raise ImportError(
        "ocrframe.dask needs Dask's distributed scheduler, which is not installed "
        f"({_missing}); install the extra: pip install 'ocrframe[dask]'"
    ) from _missing

import asyncio
import contextlib
import glob
import hashlib
import json
import math
import os
import time
import uuid
import warnings
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NamedTuple, cast

import httpx
import pyarrow as pa
import pyarrow.parquet as pq

import ocrframe.errors as _errors
from ocrframe._batch import DatasetExtraction, RunSummary, host_of, key_options, make_options
from ocrframe._frames import SCHEMAS, TABLES, Extraction
from ocrframe._frames.dataset import _without
from ocrframe._inputs import PathArg, iter_inputs, sha256_hex
from ocrframe.errors import ConfigurationError, OcrframeError
from ocrframe.services._http import default_transport

__all__ = [
    "DEFAULT_PARTITION_SIZE",
    "ClusterSummary",
    "PacedTransport",
    "Tables",
    "connect",
    "extract",
    "parse_address",
    "read_dataset",
    "read_ledger",
    "tables",
]

#: Files per partition (one task each). Small enough that the last tasks do not keep most of the
#: cluster idle, large enough that a task's fixed costs (a client, a part file) are spread thin.
DEFAULT_PARTITION_SIZE = 100
#: Failed units listed in a ClusterSummary (the documents table has every one).
MAX_FAILURES = 1000

_OPTION_NAMES = frozenset(make_options.__kwdefaults__ or ())
_PREFIX = "part-"
_SUFFIX = ".parquet"
# (source, sha256 or "", page or "") identifies a document, as the single-machine writer does.
_DocKey = tuple[str, str, str]


@dataclass(slots=True)
class ClusterSummary(RunSummary):
    """What one cluster run did, over every partition: a :class:`ocrframe._batch.RunSummary` plus
    ``skipped`` (files the dataset already held as ``ok`` for the same content and options: not
    read by the engine, not sent, not written again) and ``partitions`` (tasks submitted)."""

    skipped: int = 0
    partitions: int = 0


class Tables(NamedTuple):
    """The dataset's five tables as lazy :class:`dask.dataframe.DataFrame` objects."""

    documents: Any
    fields: Any
    items: Any
    taxes: Any
    texts: Any


class _Secret:
    """An API key on its way to the workers: its repr never shows it (task reprs, logs)."""

    __slots__ = ("value",)

    def __init__(self, value: str) -> None:
        self.value = value

    def __repr__(self) -> str:
        return "_Secret('***')"


@dataclass(frozen=True, slots=True)
class _Job:
    """What every partition task of one run needs (small: it travels with each task)."""

    out: str
    option_key: str
    options: dict[str, Any]
    api_key: _Secret | None
    base_url: str | None
    embedded: bool
    cache: bool | str
    concurrency: int
    share: int
    rate_limit: float | None
    semaphore: Any


@dataclass(frozen=True, slots=True)
class _Partition:
    index: int
    #: (absolute path, source) of each file, in listing order.
    files: tuple[tuple[str, str], ...]
    #: source -> sha256s the dataset holds as ``ok`` under the same options.
    known_ok: dict[str, frozenset[str]]


@dataclass(slots=True)
class _PartResult:
    index: int
    files: int
    part: str | None = None
    rows: list[tuple[_DocKey, str]] = field(default_factory=list)
    summary: RunSummary = field(default_factory=RunSummary)
    skipped: int = 0
    fatal: dict[str, Any] | None = None


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
    return f"{_PREFIX}{option}-{digest.hexdigest()[:24]}{_SUFFIX}"


def option_of_part(name: str) -> str | None:
    """The options' key in a part name written by :func:`part_name` (None for other parts).

    >>> option_of_part("part-0123456789ab-" + "f" * 24 + ".parquet")
    '0123456789ab'
    >>> option_of_part("part-20261121T160000Z-1a2b3c4d-00000.parquet") is None
    True
    """
    stem = name[len(_PREFIX) : -len(_SUFFIX)]
    head, _, tail = stem.partition("-")
    hexdigits = set("0123456789abcdef")
    if len(head) == 12 and len(tail) == 24 and set(head + tail) <= hexdigits:
        return head
    return None


def supersede(
    existing: Iterable[tuple[_DocKey, str, str]], new: Iterable[tuple[_DocKey, str, str]]
) -> dict[str, set[_DocKey]]:
    """Which rows must leave which part so that each document is there once.

    ``existing`` and ``new``: ``(key, status, part name)``. For a key held more than once the row
    kept is an ``ok`` one, a new one before an older one, then the greater part name. Returns
    part name -> keys whose rows go.

    >>> supersede([(("a", "1", ""), "failed", "p1")], [(("a", "1", ""), "ok", "p2")])
    {'p1': {('a', '1', '')}}
    >>> supersede([(("a", "1", ""), "ok", "p1")], [(("a", "1", ""), "failed", "p2")])
    {'p2': {('a', '1', '')}}
    """
    best: dict[_DocKey, tuple[tuple[bool, bool, str], str]] = {}
    losers: dict[str, set[_DocKey]] = {}
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


def _chunks(items: Sequence[tuple[str, str]], size: int) -> list[tuple[tuple[str, str], ...]]:
    return [tuple(items[i : i + size]) for i in range(0, len(items), size)]


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
    return name.endswith(_SUFFIX) and not name.startswith((".", "_"))


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


def read_ledger(out: str) -> list[tuple[_DocKey, str, str]]:
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
    rows: list[tuple[_DocKey, str, str]] = []
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


def _remove(fs: Any, root: str, part: str, keys: set[_DocKey]) -> None:
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


# --------------------------------------------------------------------------- the worker's side


class PacedTransport(httpx.AsyncBaseTransport):
    """Sends at most ``rate`` requests per second through ``inner``, evenly spaced, no burst.

    A task's share of the cluster's ``rate_limit``: a limiter that started with a full bucket
    would let every new partition task send its whole share at once, and the cluster's rate would
    grow with the number of tasks started per second. Spaced requests keep the sum of the shares
    at any moment, plus at most one request per task.
    """

    def __init__(self, inner: httpx.AsyncBaseTransport, rate: float) -> None:
        self._inner = inner
        self._interval = 1.0 / rate
        self._next = 0.0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        # No await between reading and moving the next slot: one event loop, no lock needed.
        now = time.monotonic()
        wait = self._next - now
        self._next = max(now, self._next) + self._interval
        if wait > 0:
            await asyncio.sleep(wait)
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


def _hash_file(path: str) -> str | None:
    try:
        with open(path, "rb") as handle:
            return sha256_hex(handle.read())
    except OSError:
        return None


def _with_sources(tables: dict[str, pa.Table], sources: dict[str, str]) -> dict[str, pa.Table]:
    """The tables with ``source`` as the client listed each file (not as the worker named it)."""
    renamed = {}
    for name, table in tables.items():
        index = table.schema.get_field_index("source")
        column = [sources.get(s, s) for s in table.column("source").to_pylist()]
        renamed[name] = table.set_column(
            index, table.schema.field(index), pa.array(column, type=table.schema.field(index).type)
        )
    return renamed


def _run_partition(job: _Job, partition: _Partition) -> _PartResult:
    """One task: the batch engine on one partition's files, then its part of the dataset."""
    import ocrframe

    result = _PartResult(index=partition.index, files=len(partition.files))
    todo: list[tuple[str, str]] = []
    for path, source in partition.files:
        known = partition.known_ok.get(source)
        if known and _hash_file(path) in known:
            result.skipped += 1
        else:
            todo.append((path, source))
    if not todo:
        return result
    semaphore = job.semaphore
    semaphore.acquire()
    leases = 1
    try:
        while leases < job.share and semaphore.acquire(timeout=0):
            leases += 1
        listed = list(iter_inputs([path for path, _ in todo]))
        sources = {item.source: source for item, (_, source) in zip(listed, todo, strict=True)}
        options = dict(job.options)
        share = job.rate_limit * leases / job.concurrency if job.rate_limit else None
        rate: float | None = None
        if share is not None and job.embedded:
            rate = share  # in-process: the engine's own limiter (it starts with a full bucket)
        elif share is not None:
            options["transport"] = PacedTransport(default_transport(leases + 2), share)
        try:
            extraction = ocrframe.extract(
                [path for path, _ in todo],
                **options,
                concurrency=leases,
                rate_limit=rate,
                api_key=job.api_key.value if job.api_key is not None else None,
                base_url=job.base_url,
                cache=job.cache,
                progress=False,
            )
        except OcrframeError as exc:
            partial = getattr(exc, "extraction", None)
            if not exc.fatal_for_run or not isinstance(partial, Extraction):
                raise
            extraction = partial
            result.fatal = {
                "type": type(exc).__name__,
                "message": exc.message,
                "service": getattr(exc, "service", options.get("service", "docai")),
                "code": exc.code,
            }
    finally:
        for _ in range(leases):
            semaphore.release()
    arrow = _with_sources(extraction.to_arrow(), sources)
    docs = arrow["documents"].to_pydict()
    result.summary = _summary_of(docs)
    name = part_name(job.option_key, zip(docs["source"], docs["sha256"], strict=True))
    arrow = {
        t: arrow[t].replace_schema_metadata(_metadata(t, arrow["documents"], job.option_key))
        for t in TABLES
    }
    fs, root = _filesystem(job.out)
    _write_atomically(fs, root, name, arrow)
    result.part = name
    result.rows = [
        ((str(src), sha or "", "" if page is None else str(page)), str(status))
        for src, sha, page, status in zip(
            docs["source"], docs["sha256"], docs["page"], docs["status"], strict=True
        )
    ]
    return result


def _summary_of(docs: dict[str, list[Any]]) -> RunSummary:
    summary = RunSummary()
    for status, code, message, source, page, cached, attempts in zip(
        docs["status"],
        docs["error_code"],
        docs["error_message"],
        docs["source"],
        docs["page"],
        docs["cached"],
        docs["attempts"],
        strict=True,
    ):
        if status == "ok":
            summary.ok += 1
        elif status == "pending":
            summary.pending += 1
        else:
            summary.failed += 1
            if len(summary.failures) < MAX_FAILURES:
                where = source if page is None else f"{source} p{page}"
                summary.failures.append((where, str(code or ""), str(message or "")))
        if cached is True:
            summary.cached += 1
        summary.requests += attempts or 0
    return summary


# --------------------------------------------------------------------------- the client's side


def _expand(paths: PathArg | Sequence[PathArg]) -> PathArg | Sequence[PathArg]:
    """A glob (a string naming nothing that exists, with ``*``, ``?`` or ``[``) becomes its
    matches; anything else is passed on as given."""
    if isinstance(paths, str) and not os.path.lexists(paths) and glob.has_magic(paths):
        matches = sorted(glob.glob(paths, recursive=True))
        if not matches:
            raise ConfigurationError(f"no file matches {paths!r}")
        return list(matches)
    return paths


def _resolve_service(
    service: str, api_key: str | None, base_url: str | None
) -> tuple[str | None, str | None, bool, str]:
    """The key, the base URL (both read from the environment here, at the edge, so that workers
    need none), whether the embedded engine answers, and the host naming who answers."""
    from ocrframe.services.capsolver import AsyncCapSolverClient
    from ocrframe.services.docai import AsyncDocAIClient

    cls: Any = AsyncDocAIClient if service == "docai" else AsyncCapSolverClient
    key = api_key if api_key is not None else os.environ.get(cls.key_env) or None
    url = base_url if base_url is not None else os.environ.get(cls.url_env) or None
    embedded = key is None and url is None
    host = host_of(url or cls.default_url, embedded=embedded)
    return key, url, embedded, host


def extract(
    paths: PathArg | Sequence[PathArg],
    *,
    out: str | os.PathLike[str],
    client: Any = None,
    partition_size: int = DEFAULT_PARTITION_SIZE,
    api_key: str | None = None,
    base_url: str | None = None,
    cache: bool | str | os.PathLike[str] = True,
    progress: bool = True,
    **options: Any,
) -> DatasetExtraction:
    """Recognise every file under ``paths`` on a Dask cluster into the Parquet dataset ``out``.

    ``paths``: a folder (searched recursively), a file, a list of them, or a glob, on a filesystem
    every worker sees (the client lists the files; the workers read them). ``out``: a folder or an
    fsspec URL every worker can write to. ``client``: a :class:`distributed.Client` (default: the
    current one). ``partition_size`` files make one task. ``options`` are those of
    :func:`ocrframe.extract` (``service``, ``model``, ``pages``, ``concurrency``,
    ``rate_limit``, ``retries``, ...); ``concurrency`` and ``rate_limit`` hold for the whole
    cluster. ``cache`` is each worker's own (``True``: its default place). ``progress``: a bar
    over the files, advanced as partitions finish.

    Returns the whole dataset (read when first used) with ``.summary``, a
    :class:`ClusterSummary` of this run. Running the same call again sends nothing for files the
    dataset holds as ``ok``.

    >>> ex = ocrframe.dask.extract("scans/", model="invoice", out="out/scans")  # doctest: +SKIP
    >>> ex.summary.ok, ex.documents.status.value_counts()  # doctest: +SKIP
    """
    unknown = sorted(set(options) - _OPTION_NAMES)
    if unknown:
        raise ConfigurationError(
            f"unknown option(s) {', '.join(unknown)} for ocrframe.dask.extract"
        )
    if options.get("dry_run"):
        raise ConfigurationError(
            "dry_run is not for a cluster: ocrframe.extract(paths, dry_run=True) on this machine "
            "says what would be sent"
        )
    settings = make_options(**options)
    if (
        isinstance(partition_size, bool)
        or not isinstance(partition_size, int)
        or partition_size < 1
    ):
        raise ConfigurationError(
            f"partition_size must be a whole number above 0, not {partition_size!r}"
        )
    if not isinstance(out, str | os.PathLike):
        raise ConfigurationError(f"out must be a folder path or URL, not {out!r}")
    out_text = os.fspath(out)
    if out_text.startswith("file://"):
        out_text = out_text.removeprefix("file://")
    if "://" not in out_text:
        out_text = os.path.abspath(out_text)
        if os.path.exists(out_text) and not os.path.isdir(out_text):
            raise ConfigurationError(f"out must be a folder for the Parquet dataset: {out_text}")
    if not isinstance(cache, bool | str | os.PathLike):
        raise ConfigurationError(f"cache must be True, False or a path, not {cache!r}")
    key, url, embedded, host = _resolve_service(settings.service, api_key, base_url)
    model = settings.model
    if model is None and settings.service == "docai":
        if not embedded:
            raise ConfigurationError(
                "model is required for DocAI: give the modelId (see `ocrframe models`)"
            )
        model = "invoice"
    option = option_key(settings.service, model, key_options(settings, host, rendered=False))
    expanded = _expand(paths)
    if client is None:
        try:
            client = distributed.get_client()
        except ValueError as exc:
            raise ConfigurationError(
                "no Dask client: pass client=, or create one first "
                "(distributed.Client(address) or distributed.Client(LocalCluster()))"
            ) from exc
    items = [
        (os.path.abspath(item.path), item.source)
        for item in iter_inputs(expanded, include_hidden=settings.include_hidden)
    ]
    ledger = read_ledger(out_text)
    ok_here: dict[str, set[str]] = {}
    for (source, sha, _page), status, part in ledger:
        if status == "ok" and option_of_part(part) == option:
            ok_here.setdefault(source, set()).add(sha)
    chunks = _chunks(items, partition_size)
    partitions = [
        _Partition(
            index=i,
            files=chunk,
            known_ok={s: frozenset(ok_here[s]) for _, s in chunk if s in ok_here},
        )
        for i, chunk in enumerate(chunks)
    ]
    run = uuid.uuid4().hex[:12]
    slots = settings.concurrency
    threads = max(1, sum(client.nthreads().values()))
    # Bound to the client given (which need not be the default one); on the workers it binds to
    # the worker's own connection when unpickled.
    semaphore = distributed.Semaphore(  # type: ignore[no-untyped-call]
        max_leases=slots, name=f"ocrframe-{run}", scheduler_rpc=client.scheduler, loop=client.loop
    )
    job = _Job(
        out=out_text,
        option_key=option,
        options={
            name: getattr(settings, name)
            for name in _OPTION_NAMES
            # What the job passes on its own (the worker's share, its cache, no bar, no out).
            if name not in ("concurrency", "rate_limit", "pages", "cache", "out", "progress")
        }
        | {"model": model, "pages": list(settings.pages) if settings.pages else None},
        api_key=_Secret(key) if key is not None else None,
        base_url=url,
        embedded=embedded,
        cache=os.fspath(cache) if not isinstance(cache, bool) else cache,
        concurrency=slots,
        share=max(1, math.ceil(slots / max(1, min(threads, len(partitions))))),
        rate_limit=settings.rate_limit,
        semaphore=semaphore,
    )
    summary = ClusterSummary(partitions=len(partitions))
    results: list[_PartResult] = []
    try:
        futures = [
            client.submit(_run_partition, job, p, key=f"ocrframe-partition-{run}-{p.index:05d}")
            for p in partitions
        ]
        bar: Any = None
        if progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=len(items), unit="doc", desc=f"ocrframe {settings.service} (dask)")
        try:
            done = distributed.as_completed(futures, loop=client.loop)  # type: ignore[no-untyped-call]
            for future in done:
                result = cast(_PartResult, future.result())
                results.append(result)
                if bar is not None:
                    bar.update(result.files)
        finally:
            if bar is not None:
                bar.close()
    finally:
        _close_quietly(semaphore)
    new_parts = {r.part for r in results if r.part is not None}
    fs, root = _filesystem(out_text)
    losers = supersede(
        [row for row in ledger if row[2] not in new_parts],
        [(key, status, r.part) for r in results if r.part for key, status in r.rows],
    )
    for part, keys in losers.items():
        _remove(fs, root, part, keys)
    fatal: dict[str, Any] | None = None
    for r in sorted(results, key=lambda r: r.index):
        _add(summary, r.summary)
        summary.skipped += r.skipped
        fatal = fatal or r.fatal
    extraction = _ClusterExtraction(out_text, summary)
    if fatal is not None:
        cls: Any = getattr(_errors, fatal["type"], _errors.RunAbortedError)
        error = cls(fatal["message"], service=fatal["service"], code=fatal["code"])
        summary.aborted = error
        error.extraction = extraction
        raise error
    return extraction


def _add(total: RunSummary, part: RunSummary) -> None:
    total.ok += part.ok
    total.failed += part.failed
    total.pending += part.pending
    total.cached += part.cached
    total.requests += part.requests
    room = MAX_FAILURES - len(total.failures)
    total.failures.extend(part.failures[: max(room, 0)])


def parse_address(address: str) -> tuple[str | None, int | None]:
    """A scheduler's address, or ``local:N`` (a local cluster of N worker processes).

    >>> parse_address("local:2"), parse_address("tcp://10.0.0.5:8786")
    ((None, 2), ('tcp://10.0.0.5:8786', None))
    """
    if address.startswith("local:"):
        count = address.removeprefix("local:")
        if not count.isdigit() or int(count) < 1:
            raise ConfigurationError(f"local:N needs a number of worker processes, not {address!r}")
        return None, int(count)
    if not address.strip():
        raise ConfigurationError("a Dask scheduler address (tcp://host:8786) or local:N is needed")
    return address, None


def _close_quietly(semaphore: Any) -> None:
    """Close the run's semaphore, expecting leases that a killed worker still held.

    A worker that died mid-partition never releases its leases; the scheduler warns about them
    when the semaphore closes (an error where warnings are errors, sent back over the RPC). They
    are expected after a kill and expire with the lease timeout, so that warning is not news.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message="Closing semaphore .* unreleased leases", category=RuntimeWarning
        )
        try:
            semaphore.close()
        except RuntimeWarning as exc:
            if "unreleased leases" not in str(exc):
                raise


@contextlib.contextmanager
def connect(address: str) -> Iterator[Any]:
    """A :class:`distributed.Client` of the scheduler at ``address``, or, for ``local:N``, of a
    new local cluster of N worker processes (one thread each; its dashboard on a free port),
    closed on exit.

    >>> with ocrframe.dask.connect("local:2") as client:  # doctest: +SKIP
    ...     ocrframe.dask.extract("scans/", out="out/scans", client=client)
    """
    scheduler, workers = parse_address(address)
    api: Any = distributed  # untyped
    with contextlib.ExitStack() as stack:
        if workers is not None:
            target = stack.enter_context(
                api.LocalCluster(
                    n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0"
                )
            )
        else:
            target = scheduler
        yield stack.enter_context(api.Client(target))


def tables(out: str | os.PathLike[str]) -> Tables:
    """The dataset at ``out`` as Dask DataFrames, one per table (lazy: nothing is read yet).

    >>> t = ocrframe.dask.tables("out/scans")  # doctest: +SKIP
    >>> t.items[t.items.key == "totalPriceExclTax"].number.count().compute()  # doctest: +SKIP
    """
    import dask.dataframe as dd

    root = os.fspath(out).rstrip("/")
    frames = [dd.read_parquet(f"{root}/{name}/*{_SUFFIX}") for name in TABLES]
    return Tables(*frames)
