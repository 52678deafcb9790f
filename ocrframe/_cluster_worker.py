"""What a partition task runs on a Dask worker: ocrframe's own batch engine on its files.

Used by :mod:`ocrframe.dask` (the client's side); the task's data (:class:`_Job`,
:class:`_Partition`, :class:`_PartResult`) travels with each task and stays small: paths, not
bytes, and the API key wrapped so that no repr shows it.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import distributed
import httpx
import pyarrow as pa

from ocrframe._batch import RunSummary
from ocrframe._cluster_dataset import (
    DocKey,
    _filesystem,
    _metadata,
    _write_atomically,
    part_name,
)
from ocrframe._frames import TABLES, Extraction
from ocrframe._inputs import iter_inputs, sha256_hex
from ocrframe.errors import OcrframeError
from ocrframe.services._http import default_transport

#: Failed units listed in a ClusterSummary (the documents table has every one).
MAX_FAILURES = 1000

#: The name of the worker plugin that loads the embedded engine as a worker starts.
PRELOAD_PLUGIN = "ocrframe-embedded-engine"

_LOG = logging.getLogger("ocrframe.dask")


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


@dataclass(frozen=True, slots=True)
class TaskTiming:
    """Where one partition task spent its time, measured on its worker.

    ``started`` and ``ended`` are the worker's clock (seconds since the epoch); ``lease_wait_s``
    the wait for the first lease of the run's semaphore, ``run_s`` the batch engine on the files,
    ``write_s`` the part's five files; ``cpu_s`` the CPU time of the whole worker process over
    the task (its OCR threads included; a worker of several threads counts its other tasks too).
    A task whose files the dataset held already has zeros but for its clock.
    """

    index: int
    worker: str
    files: int
    started: float
    ended: float
    lease_wait_s: float = 0.0
    run_s: float = 0.0
    write_s: float = 0.0
    cpu_s: float = 0.0


@dataclass(slots=True)
class _PartResult:
    index: int
    files: int
    timing: TaskTiming | None = None
    part: str | None = None
    rows: list[tuple[DocKey, str]] = field(default_factory=list)
    summary: RunSummary = field(default_factory=RunSummary)
    skipped: int = 0
    fatal: dict[str, Any] | None = None


# --------------------------------------------------------------------------- the worker's side


class EnginePreload(distributed.WorkerPlugin):
    """Loads the embedded engine's OCR models on every worker as it starts (and on each worker
    that joins or restarts later), in the background, so that its first partition does not
    wait for them; one engine per thread of the worker, unless the worker's environment sets
    ``OCRFRAME_OCR_WORKERS``. :func:`ocrframe.dask.extract` registers it for runs on the
    embedded engine.

    It also undoes, for such a worker, the fixed malloc thresholds that Dask's nanny starts
    workers with (``MALLOC_TRIM_THRESHOLD_``, see :func:`_keep_freed_memory`): with them every
    array the OCR engine allocates above 128 KiB is a fresh ``mmap`` the kernel zeroes page by
    page, which costs half again the CPU of a page (BENCHMARKS.md, "Dask cluster").
    ``tuned_allocator`` says whether it did.

    ``configured`` is set on the worker once the number of engines is chosen (a partition task
    waits for it, so that no page starts a pool of another size), ``ready`` once they are loaded
    (or failed to load: the tasks then say why, as without the plugin).
    """

    name = PRELOAD_PLUGIN
    idempotent = True  # registered again by every run on the embedded engine: set up once

    def __init__(self) -> None:
        self.configured = threading.Event()
        self.ready = threading.Event()
        self.tuned_allocator = False

    def setup(self, worker: Any) -> None:
        self.tuned_allocator = _keep_freed_memory()
        # On the worker's event loop: the engine's import and models load on threads of their own.
        threads = getattr(getattr(worker, "state", None), "nthreads", None)
        threading.Thread(
            target=self._load, args=(threads,), name=PRELOAD_PLUGIN, daemon=True
        ).start()

    def _load(self, threads: int | None) -> None:
        from ocrframe._embedded import preload_engine

        try:
            loading = preload_engine(threads if isinstance(threads, int) and threads > 0 else None)
            self.configured.set()
            for loaded in loading:
                loaded.result()
        except Exception as exc:  # the first page meets the same error and reports it
            _LOG.warning("ocrframe: the embedded engine did not load on this worker: %s", exc)
        finally:
            self.configured.set()
            self.ready.set()

    def __getstate__(self) -> dict[str, Any]:
        return {}  # an Event does not pickle; each worker gets its own

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.configured, self.ready = threading.Event(), threading.Event()
        self.tuned_allocator = False


# glibc's mallopt parameters, and the ceiling its own dynamic mmap threshold climbs to on 64 bits.
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
_MMAP_CEILING = 32 * 1024 * 1024


def _keep_freed_memory() -> bool:
    """On glibc, when the environment fixed malloc's thresholds (Dask's nanny sets
    ``MALLOC_TRIM_THRESHOLD_=65536`` for its workers, which also freezes the mmap threshold at
    128 KiB), set them where glibc's own rule would let them climb: blocks up to 32 MiB come from
    the heap and are reused instead of mapped, zeroed and unmapped each time; the heap returns
    memory above 64 MiB of free top. Returns whether it changed anything (never on another C
    library, nor when the environment left glibc's defaults alone)."""
    if not any(name in os.environ for name in ("MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_")):
        return False
    name = ctypes.util.find_library("c")
    try:
        mallopt = ctypes.CDLL(name).mallopt if name else None
    except (OSError, AttributeError):  # no C library found, or one without mallopt
        return False
    if mallopt is None:
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, _MMAP_CEILING)) and bool(
        mallopt(_M_TRIM_THRESHOLD, 2 * _MMAP_CEILING)
    )


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


def _run_batch(
    job: _Job, todo: list[tuple[str, str]], leases: int, result: _PartResult
) -> Extraction:
    """The batch engine on the files to do, ``leases`` requests in flight; a run-ending refusal
    (a bad key, an empty balance) is noted in ``result`` and its partial extraction returned."""
    import ocrframe

    options = dict(job.options)
    share = job.rate_limit * leases / job.concurrency if job.rate_limit else None
    rate: float | None = None
    if share is not None and job.embedded:
        rate = share  # in-process: the engine's own limiter (it starts with a full bucket)
    elif share is not None:
        options["transport"] = PacedTransport(default_transport(leases + 2), share)
    try:
        return ocrframe.extract(
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
        result.fatal = {
            "type": type(exc).__name__,
            "message": exc.message,
            "service": getattr(exc, "service", options.get("service", "docai")),
            "code": exc.code,
        }
        return partial


def _run_partition(job: _Job, partition: _Partition) -> _PartResult:
    """One task: the batch engine on one partition's files, then its part of the dataset."""
    started, cpu = time.time(), time.process_time()
    clock = time.perf_counter()
    result = _PartResult(index=partition.index, files=len(partition.files))
    todo: list[tuple[str, str]] = []
    for path, source in partition.files:
        known = partition.known_ok.get(source)
        if known and _hash_file(path) in known:
            result.skipped += 1
        else:
            todo.append((path, source))
    if not todo:
        result.timing = TaskTiming(
            result.index, _worker_address(), result.files, started, time.time()
        )
        return result
    # As ocrframe.extract names them (relative to their folder), to put back the client's names.
    listed = iter_inputs([path for path, _ in todo])
    sources = {item.source: source for item, (_, source) in zip(listed, todo, strict=True)}
    if job.embedded:
        _engines_configured()
    semaphore = job.semaphore
    semaphore.acquire()
    lease_wait = time.perf_counter() - clock
    leases = 1
    try:
        while leases < job.share and semaphore.acquire(timeout=0):
            leases += 1
        clock = time.perf_counter()
        extraction = _run_batch(job, todo, leases, result)
        run = time.perf_counter() - clock
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
    clock = time.perf_counter()
    _write_atomically(fs, root, name, arrow)
    write = time.perf_counter() - clock
    result.part = name
    result.rows = [
        ((str(src), sha or "", "" if page is None else str(page)), str(status))
        for src, sha, page, status in zip(
            docs["source"], docs["sha256"], docs["page"], docs["status"], strict=True
        )
    ]
    result.timing = TaskTiming(
        result.index,
        _worker_address(),
        result.files,
        started,
        time.time(),
        lease_wait_s=lease_wait,
        run_s=run,
        write_s=write,
        cpu_s=time.process_time() - cpu,
    )
    return result


def _engines_configured() -> None:
    """Wait until this worker's preload plugin (if any) has chosen its number of engines."""
    try:
        plugin = distributed.get_worker().plugins.get(PRELOAD_PLUGIN)
    except ValueError:  # not on a worker
        return
    if isinstance(plugin, EnginePreload):
        plugin.configured.wait()


def _worker_address() -> str:
    try:
        return str(distributed.get_worker().address)
    except ValueError:  # called outside a worker (a test, a local run)
        return ""


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
