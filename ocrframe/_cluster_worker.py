"""What a partition task runs on a Dask worker: ocrframe's own batch engine on its files.

Used by :mod:`ocrframe.dask` (the client's side); the task's data (:class:`_Job`,
:class:`_Partition`, :class:`_PartResult`) travels with each task and stays small: paths, not
bytes, and the API key wrapped so that no repr shows it.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

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
    rows: list[tuple[DocKey, str]] = field(default_factory=list)
    summary: RunSummary = field(default_factory=RunSummary)
    skipped: int = 0
    fatal: dict[str, Any] | None = None


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
