"""The batch engine: a folder in, every file accounted for, nothing paid for twice.

:func:`extract_async` walks the inputs, reads and checks each file, asks the cache, submits what
is not cached (concurrency, rate limit, retries with backoff honouring Retry-After), polls DocAI
for what is still recognising, and writes a ledger: one ``documents`` row per submitted unit (a
file for DocAI, a page image for CapSolver), ``ok``, ``failed`` or ``pending``. :func:`extract` is
the same, blocking, and usable inside a running event loop (Jupyter).

The choices are small pure functions on plain data (:func:`plan_unit`, :func:`retry_wait`,
:func:`unit_status`, :func:`key_options`); the async loop around them stays thin.

Rules the loop keeps:

- Bad input never stops the batch: an empty, unreadable, over-size, unsupported or corrupt file,
  a broken link or a link loop each become a ``failed`` row with an ``error_code``
  (``empty``, ``unreadable``, ``too_large``, ``unsupported``, ``corrupt``, ``not_found``).
- Only what the clients classify as ``retryable`` is retried, at most ``retries`` attempts and
  ``retry_timeout`` seconds per unit; a Retry-After header sets the wait. DocAI's
  ``recognizeStatus`` ``"0"`` (recognition failed) counts as a retryable fault within that same
  budget, then the unit is ``failed`` with code ``recognition_failed``.
- DocAI ``recognizeStatus`` ``"2"`` (still recognising): in synchronous mode the engine polls
  identifyResult for it; with ``asynchronous=True`` every file is submitted with
  ``isAsynchronous=1`` and collected by polling identifyResult in batches. What is still running
  when ``poll_timeout`` passes is ``pending``; its fileId stays in the cache, and running again
  polls for it instead of submitting it again.
- A run-fatal error (bad key, no balance) stops new submissions at once; units already answered
  are kept (cache, ``out``), units not sent become ``failed`` with code ``run_aborted``, and the
  fatal error is raised after the ledger is complete, with the partial :class:`Extraction` as its
  ``extraction`` attribute.
- Identical content submitted twice in one run (two names, one file) is sent once.
- With ``einvoice="local"`` (DocAI), a PDF that carries a readable e-invoice (Factur-X, ZUGFeRD,
  XRechnung) is answered here from its XML and never sent; its row says ``read_locally``. Such
  answers are cached under a key of their own, so they never stand in for the service's.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import inspect
import os
import random
import time
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Literal, ParamSpec, TypeVar, cast
from urllib.parse import urlsplit

import httpx
import stamina

from ocrframe import limits
from ocrframe._cache import ResponseCache, key_function
from ocrframe._documents import MULTI_PAGE_KINDS, count_pages, page_pngs
from ocrframe._einvoice import READ_FROM, EInvoiceError, read_einvoice
from ocrframe._frames import TABLES, Extraction, record_status
from ocrframe._inputs import (
    InputFile,
    PageSpec,
    PathArg,
    format_pages,
    iter_inputs,
    parse_pages,
    read_input,
    sha256_hex,
)
from ocrframe._output import log_first_retry, logger, progress_bar, retries_to_debug
from ocrframe._records import DocumentRecord, Service, Status
from ocrframe._sync import run_sync
from ocrframe.errors import (
    ConfigurationError,
    InputFileError,
    OcrframeError,
    RetryableServiceError,
)
from ocrframe.services.docai import (
    file_id_of,
    local_answer,
    pending_answer,
    per_file_answers,
    recognition_status,
)

__all__ = [
    "DEFAULT_CONCURRENCY",
    "DEFAULT_MAX_FILE_BYTES",
    "DEFAULT_RETRIES",
    "DEFAULT_RETRY_TIMEOUT",
    "BatchOptions",
    "DatasetExtraction",
    "Outcome",
    "RunSummary",
    "extract",
    "extract_async",
    "first_wait",
    "key_options",
    "make_options",
    "plan_unit",
    "retry_wait",
    "unit_status",
]

#: Requests in flight at once. Modest: a paid API's rate limits are rarely published.
DEFAULT_CONCURRENCY = 8
#: Attempts per unit (the first try included).
DEFAULT_RETRIES = 6
#: Seconds a unit may spend on attempts and waits before it is given up.
DEFAULT_RETRY_TIMEOUT = 300.0
#: Files larger than this are refused before reading (DocAI does not publish a limit).
DEFAULT_MAX_FILE_BYTES = 50 * 1024 * 1024
#: identifyResult polling: first wait, longest wait, give up (-> pending) after.
DEFAULT_POLL_INTERVAL = 1.0
DEFAULT_POLL_MAX_INTERVAL = 15.0
DEFAULT_POLL_TIMEOUT = 300.0
#: fileIds per identifyResult request.
POLL_BATCH = 50
#: Rendering resolution of PDF pages sent to CapSolver.
CAPSOLVER_DPI = 200
#: error_code of the pages not sent once a file's file_timeout ran out.
FILE_TIMEOUT = "file_timeout"
#: Pages of one file rendered at once for CapSolver (each window is sent before the next).
PAGE_WINDOW = 4
#: Rows the Parquet writer buffers before writing a row group.
STREAM_FLUSH_ROWS = 10_000
#: Files up to this size are read and checked on the event loop itself, larger ones in a thread.
INLINE_READ_BYTES = 256 * 1024
#: Records per chunk appended to the Parquet dataset (bounds memory with ``out=``).
STREAM_CHUNK = 500
#: Seconds between updates of the progress bar's counts.
POSTFIX_INTERVAL = 0.1
#: Failed units listed in a RunSummary (the documents table has every one).
MAX_FAILURES = 1000
#: Longest Retry-After honoured as asked; a longer one is capped (the budget still applies).
MAX_RETRY_AFTER = 120.0

# Backoff between attempts when the service does not say: exponential from 0.5 s, capped, with up
# to 1 s of jitter so that many units failing together do not come back together.
_WAIT_INITIAL = 0.5
_WAIT_MAX = 30.0
_WAIT_JITTER = 1.0
_WAIT_EXP_BASE = 2.0

# error_code values of the engine's own (the flatteners use ``recognition_failed`` too).
RECOGNITION_FAILED = "recognition_failed"
RUN_ABORTED = "run_aborted"
INTERNAL_ERROR = "internal_error"

Action = Literal["cached", "poll", "submit"]

# Finding and parsing the XML takes a few milliseconds; past this size the hop to a thread
# is cheaper than holding the loop.
_LOCAL_INLINE_BYTES = 256 * 1024

#: Who reads a PDF's embedded e-invoice: ``"remote"`` (the service gets every file, the default)
#: or ``"local"`` (ocrframe reads the XML itself and sends only the other files).
EInvoiceReading = Literal["remote", "local"]
EINVOICE_CHOICES: tuple[str, ...] = ("remote", "local")

_P = ParamSpec("_P")
_T = TypeVar("_T")


# --------------------------------------------------------------------------- options


@dataclass(frozen=True, slots=True)
class BatchOptions:
    """Every setting of one run, validated (see :func:`make_options`)."""

    service: Service
    model: str | None
    pages: tuple[int, ...] | None = None
    workspace: str | None = None
    asynchronous: bool = False
    score: float | None = None
    case: bool | None = None
    concurrency: int = DEFAULT_CONCURRENCY
    rate_limit: float | None = None
    retries: int = DEFAULT_RETRIES
    retry_timeout: float | None = DEFAULT_RETRY_TIMEOUT
    request_timeout: float | None = None
    poll_interval: float = DEFAULT_POLL_INTERVAL
    poll_timeout: float = DEFAULT_POLL_TIMEOUT
    refresh: bool = False
    max_file_bytes: int | None = DEFAULT_MAX_FILE_BYTES
    file_timeout: float | None = limits.FILE_TIMEOUT_S
    include_hidden: bool = False
    einvoice: EInvoiceReading = "remote"
    dry_run: bool = False
    follow_symlinks: bool = False

    @property
    def pages_text(self) -> str | None:
        """The page selection as DocAI's ``legalPageNumbers``, or None."""
        return format_pages(self.pages) if self.pages is not None else None


def _positive(name: str, value: object, *, integer: bool = False, optional: bool = False) -> None:
    if value is None and optional:
        return
    kinds: tuple[type, ...] = (int,) if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds) or not cast(float, value) > 0:
        what = "a whole number" if integer else "a number"
        raise ConfigurationError(f"{name} must be {what} above 0, not {value!r}")


def make_options(
    *,
    service: str = "docai",
    model: str | None = None,
    pages: PageSpec | None = None,
    workspace: str | None = None,
    asynchronous: bool = False,
    score: float | None = None,
    case: bool | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    rate_limit: float | None = None,
    retries: int = DEFAULT_RETRIES,
    retry_timeout: float | None = DEFAULT_RETRY_TIMEOUT,
    request_timeout: float | None = None,
    poll_interval: float = DEFAULT_POLL_INTERVAL,
    poll_timeout: float = DEFAULT_POLL_TIMEOUT,
    refresh: bool = False,
    max_file_bytes: int | None = DEFAULT_MAX_FILE_BYTES,
    file_timeout: float | None = limits.FILE_TIMEOUT_S,
    include_hidden: bool = False,
    einvoice: str = "remote",
    dry_run: bool = False,
    follow_symlinks: bool = False,
) -> BatchOptions:
    """Validate a run's settings; raise :class:`ConfigurationError` / :class:`PageRangeError`.

    >>> make_options(service="capsolver", model="common", score=0.9).score
    0.9
    >>> make_options(service="fax")
    Traceback (most recent call last):
    ...
    ocrframe.errors.ConfigurationError: service must be 'docai' or 'capsolver', not 'fax'
    """
    if service not in ("docai", "capsolver"):
        raise ConfigurationError(f"service must be 'docai' or 'capsolver', not {service!r}")
    if model is not None and (not isinstance(model, str) or not model.strip()):
        raise ConfigurationError(f"model must be a non-empty string, not {model!r}")
    selected = tuple(parse_pages(pages)) if pages is not None else None
    given: dict[str, object] = {
        "workspace": workspace,
        "asynchronous": asynchronous or None,
        "score": score,
        "case": case,
    }
    foreign = ("workspace", "asynchronous") if service == "capsolver" else ("score", "case")
    for name in foreign:
        if given[name] is not None:
            owner, other = (
                ("DocAI", "CapSolver") if service == "capsolver" else ("CapSolver", "DocAI")
            )
            raise ConfigurationError(f"{name} is a {owner} option; {other} has no such thing")
    if workspace is not None and (not isinstance(workspace, str) or not workspace.strip()):
        raise ConfigurationError(f"workspace must be a non-empty string, not {workspace!r}")
    if not isinstance(asynchronous, bool):
        raise ConfigurationError(f"asynchronous must be True or False, not {asynchronous!r}")
    if score is not None and (
        isinstance(score, bool) or not isinstance(score, int | float) or not 0.8 <= score <= 1.0
    ):
        raise ConfigurationError(f"score must be between 0.8 and 1 (CapSolver), not {score!r}")
    if case is not None and not isinstance(case, bool):
        raise ConfigurationError(f"case must be True, False or None, not {case!r}")
    _positive("concurrency", concurrency, integer=True)
    _positive("rate_limit", rate_limit, optional=True)
    _positive("retries", retries, integer=True)
    _positive("retry_timeout", retry_timeout, optional=True)
    _positive("request_timeout", request_timeout, optional=True)
    _positive("poll_interval", poll_interval)
    _positive("poll_timeout", poll_timeout)
    _positive("max_file_bytes", max_file_bytes, integer=True, optional=True)
    _positive("file_timeout", file_timeout, optional=True)
    for name, flag in (
        ("refresh", refresh),
        ("include_hidden", include_hidden),
        ("dry_run", dry_run),
        ("follow_symlinks", follow_symlinks),
    ):
        if not isinstance(flag, bool):
            raise ConfigurationError(f"{name} must be True or False, not {flag!r}")
    if einvoice not in EINVOICE_CHOICES:
        raise ConfigurationError(f"einvoice must be 'remote' or 'local', not {einvoice!r}")
    if einvoice == "local" and service != "docai":
        raise ConfigurationError("einvoice is a DocAI option; CapSolver has no such thing")
    return BatchOptions(
        service=cast(Service, service),
        model=model,
        pages=selected,
        workspace=workspace,
        asynchronous=asynchronous,
        score=float(score) if score is not None else None,
        case=case,
        concurrency=concurrency,
        rate_limit=float(rate_limit) if rate_limit is not None else None,
        retries=retries,
        retry_timeout=float(retry_timeout) if retry_timeout is not None else None,
        request_timeout=float(request_timeout) if request_timeout is not None else None,
        poll_interval=float(poll_interval),
        poll_timeout=float(poll_timeout),
        refresh=refresh,
        max_file_bytes=max_file_bytes,
        file_timeout=float(file_timeout) if file_timeout is not None else None,
        include_hidden=include_hidden,
        einvoice=cast(EInvoiceReading, einvoice),
        dry_run=dry_run,
        follow_symlinks=follow_symlinks,
    )


# --------------------------------------------------------------------------- pure decisions


def plan_unit(*, cached: bool, pending_file_id: str | None, refresh: bool) -> Action:
    """What next for a unit: use the cached answer, poll a running submission, or submit.

    ``refresh`` ignores both the cache and a running submission: the user asked to pay again.

    >>> plan_unit(cached=True, pending_file_id=None, refresh=False)
    'cached'
    >>> plan_unit(cached=False, pending_file_id="f-1", refresh=False)
    'poll'
    >>> plan_unit(cached=True, pending_file_id=None, refresh=True)
    'submit'
    """
    if refresh:
        return "submit"
    if cached:
        return "cached"
    if pending_file_id is not None:
        return "poll"
    return "submit"


def retry_wait(exc: BaseException, *, stopping: bool = False) -> bool | float:
    """Retry or give up, and how long to wait: the ``on=`` hook handed to stamina.

    ``False``: give up (not retryable, run-fatal, or the run is stopping). ``True``: retry after
    the usual exponential backoff. A number: retry after that many seconds (the service's
    Retry-After, capped at :data:`MAX_RETRY_AFTER`).

    >>> retry_wait(RetryableServiceError("busy", service="docai", code="429", retry_after=3))
    3.0
    >>> retry_wait(RetryableServiceError("busy", service="docai", code="503"))
    True
    >>> retry_wait(ValueError("bug"))
    False
    """
    if stopping or not isinstance(exc, OcrframeError):
        return False
    if exc.fatal_for_run or not exc.retryable:
        return False
    after = exc.retry_after
    if after is None:
        return True
    return float(min(max(after, 0.0), MAX_RETRY_AFTER))


def first_wait(decision: bool | float) -> float:
    """Seconds to wait after a unit's first failed try, given :func:`retry_wait`'s decision.

    The service's Retry-After when it gave one, else stamina's first backoff (``_WAIT_INITIAL``
    plus up to ``_WAIT_JITTER`` of jitter); always 0 in stamina's testing mode.

    >>> first_wait(2.5) if not stamina.is_testing() else 2.5
    2.5
    """
    if stamina.is_testing():
        return 0.0
    if decision is True:
        return min(_WAIT_MAX, _WAIT_INITIAL + random.uniform(0, _WAIT_JITTER))
    return float(decision)


def unit_status(service: str, response: Mapping[str, Any] | None, error_code: str | None) -> Status:
    """The ``documents`` status of a unit from what is known of it.

    >>> unit_status("docai", {"code": 200, "data": {"fileId": "f", "recognizeStatus": "2"}}, None)
    'pending'
    >>> unit_status("capsolver", None, "corrupt")
    'failed'

    It is the ``status`` column's own rule (:func:`ocrframe._frames.record_status`), so the run
    summary counts exactly what the documents table shows: what the answer says when there is
    one (an error code around it does not change it), ``failed`` without one.
    """
    record = DocumentRecord(
        source="",
        service=cast(Service, service),
        model=None,
        response=dict(response) if response is not None else None,
        error_code=error_code,
    )
    return cast(Status, record_status(record))


def key_options(options: BatchOptions, host: str, *, rendered: bool) -> dict[str, Any]:
    """The options that change a unit's answer, for :func:`ocrframe._cache.cache_key`.

    Not the key, the concurrency or anything else that changes only how it is asked.

    >>> key_options(make_options(service="docai", model="m", pages="1-2"), "api.docai.pro",
    ...             rendered=False)
    {'host': 'api.docai.pro', 'pages': '1-2', 'workspace': None}
    """
    if options.service == "docai":
        return {"host": host, "pages": options.pages_text, "workspace": options.workspace}
    return {
        "host": host,
        "score": options.score,
        "case": options.case,
        # A page image rendered from a PDF depends on the rendering, not only on the file.
        "render_dpi": CAPSOLVER_DPI if rendered else None,
    }


def host_of(base_url: str, *, embedded: bool) -> str:
    """The part of a base URL that names who answers (``embedded`` for the in-process engine).

    >>> host_of("https://api.docai.pro/", embedded=False)
    'api.docai.pro'
    """
    return "embedded" if embedded else (urlsplit(base_url).netloc or base_url)


# --------------------------------------------------------------------------- run state


@dataclass(slots=True)
class Outcome:
    """How a unit ended: the answer (if any), the error (if any), attempts and timing."""

    response: dict[str, Any] | None = None
    error_code: str | None = None
    error_message: str | None = None
    attempts: int = 0
    cached: bool = False
    submitted_at: datetime | None = None
    elapsed_s: float | None = None
    # Recorded later, by the background task that polls for it (asynchronous DocAI).
    deferred: bool = False
    # Read here from the file's embedded e-invoice; nothing was sent.
    local: bool = False


@dataclass(slots=True)
class _Unit:
    item: InputFile
    key: str
    sha256: str
    size: int
    kind: str
    page: int | None
    pages: int
    content: bytes | None = None


@dataclass(slots=True)
class RunSummary:
    """What one run did: documents rows by status, answers from the cache, requests made, and
    the failed units (``(source, error_code, error_message)``, the first
    :data:`MAX_FAILURES`; the documents table has them all)."""

    ok: int = 0
    failed: int = 0
    pending: int = 0
    cached: int = 0
    requests: int = 0
    #: Files answered here from their embedded e-invoice, not sent (``einvoice="local"``).
    read_locally: int = 0
    failures: list[tuple[str, str, str]] = field(default_factory=list)
    aborted: OcrframeError | None = None
    #: Documents with at least one failed check (``Extraction.checks()``), and the first few
    #: failed checks as ``(source, check, difference)``.
    checks_failed: int = 0
    check_failures: list[tuple[str, str, str]] = field(default_factory=list)
    #: Documents with at least one warning (``documents.warnings``), and the first few as
    #: ``(source, warnings joined by "; ")``.
    warned: int = 0
    warnings: list[tuple[str, str]] = field(default_factory=list)

    def tally(self, extraction: Extraction) -> None:
        """Count the failed checks and the warnings of (a chunk of) this run's documents."""
        checks = extraction.checks()
        failed = checks[checks["result"] == "fail"]
        self.checks_failed += int(failed["source"].nunique())
        for row in failed.itertuples(index=False):
            if len(self.check_failures) >= MAX_FAILURES:
                break
            self.check_failures.append((str(row.source), str(row.check), str(row.difference)))
        docs = extraction.documents
        for source, found in zip(docs["source"], docs["warnings"], strict=True):
            if found is None or len(found) == 0:
                continue
            self.warned += 1
            if len(self.warnings) < MAX_FAILURES:
                self.warnings.append((str(source), "; ".join(str(w) for w in found)))

    @property
    def documents(self) -> int:
        """Rows this run added to ``documents``."""
        return self.ok + self.failed + self.pending


ProgressCallback = Callable[[int, "int | None"], None]


class _CallbackBar:
    """The part of a tqdm bar the ledger uses, reporting ``(done, total)`` to a callback."""

    def __init__(self, callback: ProgressCallback, total: int | None) -> None:
        self.callback = callback
        self.total = total
        self.n = 0
        callback(0, total)

    def update(self, n: int = 1) -> None:
        self.n += n
        self.callback(self.n, self.total)

    def refresh(self) -> None:
        self.callback(self.n, self.total)

    def set_postfix(self, **_: Any) -> None:
        """Counts are the caller's to show; the callback gets only done and total."""

    def close(self) -> None:
        """Nothing to release."""


class _Ledger:
    """Collects records; with ``out`` streams them to the Parquet dataset in chunks."""

    def __init__(self, options: BatchOptions, out: str | None, bar: Any) -> None:
        self.options = options
        self.summary = RunSummary()
        self._records: list[DocumentRecord] = []
        self._out = out
        self._writer: Any = None
        self._flush_lock = asyncio.Lock()
        self.bar = bar
        self._postfix_at = -POSTFIX_INTERVAL
        if out is not None:
            from ocrframe._frames import ParquetDatasetWriter

            # Row groups of a bounded size: the writer's own buffer must not grow with the run.
            self._writer = ParquetDatasetWriter(out, flush_rows=STREAM_FLUSH_ROWS)

    async def add(self, record: DocumentRecord) -> None:
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

    def _show_counts(self) -> None:
        s = self.summary
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
        extraction = Extraction.from_records(chunk)
        self.summary.tally(extraction)
        self._writer.append(extraction)

    async def finish(self) -> Extraction:
        if self.bar is not None:
            self._show_counts()
        if self._writer is None:
            records, self._records = self._records, []
            extraction = await asyncio.to_thread(Extraction.from_records, records)
            await asyncio.to_thread(self.summary.tally, extraction)
            return extraction
        await self._flush()
        await asyncio.to_thread(self._writer.close)
        self._writer = None
        return DatasetExtraction(cast(str, self._out), self.summary)

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
            from ocrframe._frames import read_parquet

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


# --------------------------------------------------------------------------- polling


class _Poller:
    """Collects DocAI results by identifyResult, in batches, with backoff, until a deadline."""

    def __init__(self, run: _Run) -> None:
        self._run = run
        self._waiting: dict[str, tuple[asyncio.Future[dict[str, Any] | None], float]] = {}
        self._wake = asyncio.Event()
        self._closed = False
        self._task: asyncio.Task[None] | None = None

    def track(self, file_id: str) -> asyncio.Future[dict[str, Any] | None]:
        """A future of the finished identifyResult item for ``file_id`` (None: deadline)."""
        existing = self._waiting.get(file_id)
        if existing is not None:
            return existing[0]
        future: asyncio.Future[dict[str, Any] | None] = asyncio.get_running_loop().create_future()
        deadline = time.monotonic() + self._run.options.poll_timeout
        self._waiting[file_id] = (future, deadline)
        self._wake.set()
        if self._task is None:
            self._task = asyncio.create_task(self._loop())
        return future

    async def close(self) -> None:
        self._closed = True
        self._wake.set()
        if self._task is not None:
            await self._task

    async def cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task

    async def _loop(self) -> None:
        interval = self._run.options.poll_interval
        while True:
            if self._run.stopped is not None:
                # Submitted and running: pending, collected by the next run.
                for future, _ in self._waiting.values():
                    if not future.done():
                        future.set_result(None)
                self._waiting.clear()
            if not self._waiting:
                if self._closed:
                    return
                self._wake.clear()
                await self._wake.wait()
                continue
            await asyncio.sleep(interval)
            finished = 0
            ids = list(self._waiting)
            for start in range(0, len(ids), POLL_BATCH):
                batch = [i for i in ids[start : start + POLL_BATCH] if i in self._waiting]
                if batch:
                    finished += await self._poll(batch)
            now = time.monotonic()
            for file_id, (future, deadline) in list(self._waiting.items()):
                if now >= deadline:
                    del self._waiting[file_id]
                    if not future.done():
                        future.set_result(None)
            # Back off while nothing finishes; start again from short waits when things do.
            interval = (
                self._run.options.poll_interval
                if finished
                else min(interval * 2, DEFAULT_POLL_MAX_INTERVAL)
            )

    async def _poll(self, batch: list[str]) -> int:
        run = self._run
        try:
            answer = await run.call_with_retries(
                lambda: run.client.identify_result(batch, model=cast(str, run.model)),
                attempts=None,
            )
        except OcrframeError as exc:
            if exc.fatal_for_run:
                # The loop resolves everything still waiting as pending at its next turn.
                run.abort(exc)
            # Anything else: those files stay waiting until their deadline; the next round tries.
            return 0
        finished = 0
        for file_id, envelope in per_file_answers(answer).items():
            if file_id not in self._waiting:
                continue
            if unit_status("docai", envelope, None) == "pending":
                continue
            future, _ = self._waiting.pop(file_id)
            if not future.done():
                future.set_result(envelope)
            finished += 1
        return finished


# --------------------------------------------------------------------------- the run


class _Run:
    def __init__(
        self,
        options: BatchOptions,
        client: Any,
        cache: ResponseCache | None,
        ledger: _Ledger,
    ) -> None:
        self.options = options
        self.client = client
        self.cache = cache
        self.ledger = ledger
        self.model = options.model
        self.host = host_of(client.base_url, embedded=bool(client.uses_embedded_engine))
        self.stopped: OcrframeError | None = None
        self.poller = _Poller(self)
        # Everything about a run's options that every unit needs, worked out once per run.
        self._keys = {
            rendered: key_function(
                service=options.service,
                model=self.model,
                options=key_options(options, self.host, rendered=rendered),
            )
            for rendered in (False, True)
        }
        # Answers read here from a file's own e-invoice: a key no service answer can have.
        self._local_key = key_function(
            service=options.service, model=self.model, options={"host": "local", "read": READ_FROM}
        )
        self._reads_einvoices = (
            options.service == "docai"
            and options.einvoice == "local"
            and (options.pages is None or 1 in options.pages)
        )
        self._record_opts = _record_options(options)
        self._inflight: dict[str, asyncio.Future[Outcome]] = {}
        self._background: set[asyncio.Task[None]] = set()
        # At most `concurrency` requests in flight. Twice as many workers prepare files, so that a
        # slot freed by an answer is taken at once by a unit already read, hashed and checked:
        # the reading and the bookkeeping stay off the path from one answer to the next request.
        self._slots = asyncio.Semaphore(options.concurrency)
        self._limiter: Any = None
        rate = options.rate_limit
        if rate is not None:
            from aiolimiter import AsyncLimiter

            # A bucket must hold at least one request: below 1/s, one request per 1/rate seconds.
            self._limiter = AsyncLimiter(rate, 1.0) if rate >= 1 else AsyncLimiter(1, 1.0 / rate)

    # -- plumbing --------------------------------------------------------------------------

    def abort(self, exc: OcrframeError) -> None:
        if self.stopped is None:
            self.stopped = exc
            self.ledger.summary.aborted = exc

    def _hook(self, exc: Exception) -> bool | float:
        # The run stopping ends every retry loop at once.
        return retry_wait(exc, stopping=self.stopped is not None)

    async def call_with_retries(
        self,
        call: Callable[[], Awaitable[dict[str, Any]]],
        *,
        attempts: list[int] | None,
        on_answer: Callable[[dict[str, Any]], Awaitable[dict[str, Any]]] | None = None,
    ) -> dict[str, Any]:
        """``call()`` under the rate limit, retried per :func:`retry_wait` within the budget.

        The first try goes straight; only a retryable failure enters stamina for the remaining
        attempts. Building stamina's retry state costs ~0.15 ms, and at concurrency 64 against a
        100 ms service every millisecond of CPU per request costs ~0.4 of the latency-bound
        throughput (the requests move in waves: L + C·cpu per wave). The waits are stamina's
        own: exponential from ``_WAIT_INITIAL`` with jitter, or the Retry-After; zero in
        stamina's testing mode.
        """

        async def once() -> dict[str, Any]:
            if self.stopped is not None:
                raise _Stopped(self._abort_message())
            async with self._slots:
                if self.stopped is not None:
                    raise _Stopped(self._abort_message())
                if attempts is not None:
                    attempts[0] += 1
                if self._limiter is not None:
                    async with self._limiter:
                        answer = await call()
                else:
                    answer = await call()
            # The slot is free: let the units waiting for slots send before this one's bookkeeping.
            # Answers come in bursts (up to `concurrency` at once); after one turn of the loop the
            # woken senders and the answered units' bookkeeping alternate, after a second every
            # sender of the burst has gone first. Measured (BENCHMARKS.md, batch engine): two
            # turns 0.883 of the latency bound, one 0.861, four 0.879.
            await asyncio.sleep(0)
            await asyncio.sleep(0)
            if on_answer is not None:
                answer = await on_answer(answer)
            return answer

        started = time.monotonic()
        try:
            return await once()
        except Exception as exc:
            wait = self._hook(exc)
            budget = self.options.retry_timeout
            if wait is False or self.options.retries < 2 or not stamina.is_active():
                raise
            if budget is not None and time.monotonic() - started >= budget:
                raise
            pause = first_wait(wait)
            log_first_retry(pause, exc)
        await asyncio.sleep(pause)
        remaining = None if budget is None else max(budget - (time.monotonic() - started), 1e-3)
        async for attempt in stamina.retry_context(
            on=self._hook,
            attempts=self.options.retries - 1,
            timeout=remaining,
            # Attempt n of this loop is attempt n + 1 of the unit: its backoff starts one step on.
            wait_initial=_WAIT_INITIAL * _WAIT_EXP_BASE,
            wait_max=_WAIT_MAX,
            wait_jitter=_WAIT_JITTER,
            wait_exp_base=_WAIT_EXP_BASE,
        ):
            with attempt:
                return await once()
        raise AssertionError("unreachable: stamina re-raises the last error")  # pragma: no cover

    # -- files -----------------------------------------------------------------------------

    def _prepare(
        self, item: InputFile
    ) -> tuple[bytes | None, str | None, str, int, InputFileError | None]:
        """Read, hash and check a file (blocking: run in a thread)."""
        try:
            content = read_input(item, max_bytes=self.options.max_file_bytes)
        except InputFileError as exc:
            return None, None, "", 0, exc
        sha = sha256_hex(content)
        try:
            kind, count = count_pages(content, source=item.source)
        except InputFileError as exc:
            return content, sha, "", 0, exc
        return content, sha, kind, count, None

    async def process(self, item: InputFile) -> None:
        """Account for one discovered file: one record per unit, whatever happens.

        Even once the run is stopping, files are read and hashed (nothing is sent), so that
        their rows carry the sha256 by which a later run's rows replace them in ``out``.
        """
        service = self.options.service
        if _small(item):
            # A thread hop costs more than reading a small file: the loop does it.
            content, sha, kind, count, problem = self._prepare(item)
        else:
            content, sha, kind, count, problem = await asyncio.to_thread(self._prepare, item)
        if problem is not None:
            await self._emit_failed(
                item,
                code=problem.code,
                message=problem.message,
                sha=sha,
                size=None if content is None else len(content),
            )
            return
        assert content is not None and sha is not None
        split = service == "capsolver" and kind in MULTI_PAGE_KINDS
        if split:
            numbers = [p for p in range(1, count + 1) if self._wanted(p)]
            if not numbers:
                await self._emit_failed(
                    item,
                    code="page_out_of_range",
                    message=f"none of the pages {self.options.pages_text} exists "
                    f"(the file has {count})",
                    sha=sha,
                    size=len(content),
                    pages=count,
                )
                return
        else:
            numbers = [0]
        key = self._keys[split and kind == "pdf"]
        units = [
            _Unit(
                item=item,
                key=key(sha, n if split else None),
                sha256=sha,
                size=len(content),
                kind=kind,
                page=n if split else None,
                pages=count,
                content=None if split else content,
            )
            for n in numbers
        ]
        bar = self.ledger.bar
        if len(units) > 1 and bar is not None:
            bar.total = (bar.total or 0) + len(units) - 1
            bar.refresh()
        # Pages are rendered a window at a time and each window is sent before the next is
        # drawn: a 35 KB PDF of 5,000 blank pages never holds more than a window of images.
        window = PAGE_WINDOW if split else len(units)
        budget = self.options.file_timeout
        deadline = None if budget is None else time.monotonic() + budget
        for start in range(0, len(units), window):
            chunk = units[start : start + window]
            late = deadline is not None and time.monotonic() > deadline
            if split and not late:
                await self._fill_page_images(chunk, content)
            for unit in chunk:
                if deadline is not None and time.monotonic() > deadline:
                    # Checked between pages, never within one: a unit once started ends as
                    # its own retries and request deadline say, and every unit one row.
                    message = (
                        f"the file's {budget:g} s (file_timeout) ran out before this page "
                        "was sent"
                    )
                    await self._emit(unit, Outcome(error_code=FILE_TIMEOUT, error_message=message))
                else:
                    await self._process_unit(unit)
                unit.content = None  # sent (or not): the page image is not needed again

    def _wanted(self, page: int) -> bool:
        return self.options.pages is None or page in self.options.pages

    async def _fill_page_images(self, units: list[_Unit], content: bytes) -> None:
        if self.stopped is not None:
            return  # nothing will be sent: no page to render
        # Render only when some page must be sent: a cached file costs no rendering.
        needed = [
            u
            for u in units
            if self.cache is None
            or self.options.refresh
            or (self.cache.get_pending(u.key) is None and self.cache.get(u.key) is None)
        ]
        if not needed:
            return
        wanted = [u.page for u in needed if u.page is not None]
        images = await asyncio.to_thread(_render_pages, content, wanted)
        for unit in needed:
            image = images.get(cast(int, unit.page), b"")
            if isinstance(image, InputFileError):
                unit.content = b""
                unit.kind = f"!{image.code}:{image.message}"
            else:
                unit.content = image

    async def _process_unit(self, unit: _Unit) -> None:
        if unit.kind.startswith("!"):
            code, _, message = unit.kind[1:].partition(":")
            await self._emit(unit, Outcome(error_code=code, error_message=message))
            return
        if self._reads_einvoices and unit.kind == "pdf" and unit.page is None:
            # Before the stopped check: reading a file's own XML sends nothing.
            local = await self._read_einvoice(unit)
            if local is not None:
                await self._emit(unit, local)
                return
        if self.stopped is not None:
            # Nothing more is sent; an answer already paid for is still used.
            known = None
            if self.cache is not None and not self.options.refresh:
                known = self.cache.get(unit.key)
            await self._emit(
                unit,
                Outcome(response=known, cached=True, elapsed_s=0.0)
                if known is not None
                else Outcome(error_code=RUN_ABORTED, error_message=self._abort_message()),
            )
            return
        running = self._inflight.get(unit.key)
        if running is not None:
            # The same content is being sent for another name in this run: wait for its answer.
            first = await running
            ok = unit_status(self.options.service, first.response, first.error_code) == "ok"
            await self._emit(
                unit, replace(first, cached=ok, attempts=0, elapsed_s=0.0, deferred=False)
            )
            return
        future: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        self._inflight[unit.key] = future
        outcome = Outcome(error_code=INTERNAL_ERROR, error_message="not finished")
        try:
            outcome = await self._obtain(unit)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug must not lose the file: it becomes a failed row
            outcome = Outcome(
                error_code=INTERNAL_ERROR, error_message=f"{type(exc).__name__}: {exc}"
            )
        finally:
            del self._inflight[unit.key]
            if not future.done():
                future.set_result(outcome)
        if not outcome.deferred:
            await self._emit(unit, outcome)

    async def _read_einvoice(self, unit: _Unit) -> Outcome | None:
        """The answer from the file's embedded e-invoice, or None: then the service gets it.

        An attachment that cannot be read is left to the service too (it may read the page).
        """
        content = cast(bytes, unit.content)
        started = time.monotonic()
        try:
            if unit.size < _LOCAL_INLINE_BYTES:
                result = read_einvoice(content)
            else:
                result = await asyncio.to_thread(read_einvoice, content)
        except EInvoiceError:
            return None
        if result is None:
            return None
        answer = local_answer(result, file_id=f"local-{unit.sha256[:16]}", read_from=READ_FROM)
        if self.cache is not None:
            self.cache.put(
                self._local_key(unit.sha256, None),
                answer,
                sha256=unit.sha256,
                service=self.options.service,
                model=self.model,
                page=None,
            )
        return Outcome(response=answer, elapsed_s=time.monotonic() - started, local=True)

    async def _obtain(self, unit: _Unit) -> Outcome:
        cache = self.cache
        cached = cache.get(unit.key) if cache is not None and not self.options.refresh else None
        pending = (
            cache.get_pending(unit.key) if cache is not None and not self.options.refresh else None
        )
        action = plan_unit(
            cached=cached is not None, pending_file_id=pending, refresh=self.options.refresh
        )
        if action == "cached":
            return Outcome(response=cached, cached=True, attempts=0, elapsed_s=0.0)
        if action == "poll":
            return await self._collect(unit, cast(str, pending), None, 0, None, time.monotonic())
        return await self._submit(unit)

    async def _submit(self, unit: _Unit) -> Outcome:
        attempts = [0]
        started = time.monotonic()
        submitted_at = datetime.now(UTC)
        source = unit.item.source if unit.page is None else f"{unit.item.source}#page={unit.page}"
        content = cast(bytes, unit.content)
        options = self.options
        check: Callable[[dict[str, Any]], Awaitable[dict[str, Any]]] | None = None
        if options.service == "capsolver":

            def call() -> Awaitable[dict[str, Any]]:
                return cast(
                    Awaitable[dict[str, Any]],
                    self.client.image_to_text(
                        content,
                        module=self.model,
                        score=options.score,
                        case=options.case,
                        source=source,
                    ),
                )

        else:

            def call() -> Awaitable[dict[str, Any]]:
                return cast(
                    Awaitable[dict[str, Any]],
                    self.client.identify_by_base64(
                        content,
                        model=cast(str, self.model),
                        pages=options.pages_text,
                        workspace=options.workspace,
                        asynchronous=options.asynchronous,
                        source=source,
                    ),
                )

            async def docai_check(answer: dict[str, Any]) -> dict[str, Any]:
                return await self._docai_answer(unit, answer)

            check = docai_check

        try:
            answer = await self.call_with_retries(call, attempts=attempts, on_answer=check)
        except _StillRunning as running:
            return self._pending_outcome(unit, running.answer, attempts[0], submitted_at, started)
        except OcrframeError as exc:
            if exc.fatal_for_run:
                self.abort(exc)
            last = exc.answer if isinstance(exc, _RecognitionFailed) else None
            return Outcome(
                response=last,
                error_code=exc.code,
                error_message=exc.message,
                attempts=attempts[0],
                submitted_at=submitted_at,
                elapsed_s=time.monotonic() - started,
            )
        if options.asynchronous and unit_status("docai", answer, None) == "pending":
            file_id = cast(str, file_id_of(answer))
            if self.cache is not None:
                self.cache.put_pending(
                    unit.key, file_id, sha256=unit.sha256, service="docai", model=self.model
                )
            # The worker moves on; a background task records the unit when polling ends.
            task = asyncio.create_task(
                self._collect_later(unit, file_id, answer, attempts[0], submitted_at, started)
            )
            self._background.add(task)
            task.add_done_callback(self._background.discard)
            return Outcome(response=answer, deferred=True)
        self._store(unit, answer)
        return Outcome(
            response=answer,
            attempts=attempts[0],
            submitted_at=submitted_at,
            elapsed_s=time.monotonic() - started,
        )

    async def _docai_answer(self, unit: _Unit, answer: dict[str, Any]) -> dict[str, Any]:
        """Inside one attempt: a failed recognition is retried; a running one is polled."""
        status = unit_status("docai", answer, None)
        if status == "pending" and not self.options.asynchronous:
            file_id = file_id_of(answer)
            if file_id is None:
                raise _RecognitionFailed(answer, "recognizeStatus 2 without a fileId")
            item = await self.poller.track(file_id)
            if item is None:
                raise _StillRunning(answer)
            answer = item
            status = unit_status("docai", answer, None)
        if status == "failed":
            raise _RecognitionFailed(answer, "the service could not recognise the file")
        return answer

    def _pending_outcome(
        self,
        unit: _Unit,
        answer: dict[str, Any],
        attempts: int,
        submitted_at: datetime | None,
        started: float,
    ) -> Outcome:
        file_id = file_id_of(answer)
        if self.cache is not None and file_id is not None:
            self.cache.put_pending(
                unit.key, file_id, sha256=unit.sha256, service="docai", model=self.model
            )
        return Outcome(
            response=answer,
            attempts=attempts,
            submitted_at=submitted_at,
            elapsed_s=time.monotonic() - started,
        )

    async def _collect(
        self,
        unit: _Unit,
        file_id: str,
        answer: dict[str, Any] | None,
        attempts: int,
        submitted_at: datetime | None,
        started: float,
    ) -> Outcome:
        """Poll for a submission already made (this run or an earlier one)."""
        placeholder = answer or pending_answer(file_id)
        try:
            item = await self.poller.track(file_id)
        except OcrframeError as exc:
            return Outcome(
                response=placeholder,
                error_code=exc.code,
                error_message=exc.message,
                attempts=attempts,
                submitted_at=submitted_at,
                elapsed_s=time.monotonic() - started,
            )
        if item is None:
            return self._pending_outcome(unit, placeholder, attempts, submitted_at, started)
        if unit_status("docai", item, None) == "failed":
            if self.cache is not None:
                self.cache.drop_pending(unit.key)
            return Outcome(
                response=item,
                error_code=RECOGNITION_FAILED,
                error_message="the service could not recognise the file (recognizeStatus 0)",
                attempts=attempts,
                submitted_at=submitted_at,
                elapsed_s=time.monotonic() - started,
            )
        self._store(unit, item)
        return Outcome(
            response=item,
            attempts=attempts,
            submitted_at=submitted_at,
            elapsed_s=time.monotonic() - started,
        )

    async def _collect_later(
        self,
        unit: _Unit,
        file_id: str,
        answer: dict[str, Any],
        attempts: int,
        submitted_at: datetime | None,
        started: float,
    ) -> None:
        outcome = await self._collect(unit, file_id, answer, attempts, submitted_at, started)
        await self._emit(unit, outcome)

    def _store(self, unit: _Unit, answer: dict[str, Any]) -> None:
        if self.cache is not None:
            self.cache.put(
                unit.key,
                answer,
                sha256=unit.sha256,
                service=self.options.service,
                model=self.model,
                page=unit.page,
            )

    def _abort_message(self) -> str:
        cause = self.stopped
        return f"not submitted: the run stopped after {cause}" if cause else "not submitted"

    # -- records ---------------------------------------------------------------------------

    async def _emit(self, unit: _Unit, outcome: Outcome) -> None:
        self.ledger.summary.requests += outcome.attempts
        self.ledger.summary.read_locally += outcome.local
        await self.ledger.add(
            DocumentRecord(
                source=unit.item.source,
                service=self.options.service,
                model=self.model,
                sha256=unit.sha256,
                bytes=unit.size,
                page=unit.page,
                pages=unit.pages,
                response=outcome.response,
                error_code=outcome.error_code,
                error_message=outcome.error_message,
                attempts=outcome.attempts,
                cached=outcome.cached,
                submitted_at=outcome.submitted_at,
                elapsed_s=outcome.elapsed_s,
                options=dict(self._record_opts),
            )
        )

    async def _emit_failed(
        self,
        item: InputFile,
        *,
        code: str,
        message: str,
        sha: str | None = None,
        size: int | None = None,
        pages: int | None = None,
    ) -> None:
        await self.ledger.add(
            DocumentRecord(
                source=item.source,
                service=self.options.service,
                model=self.model,
                sha256=sha,
                bytes=size,
                pages=pages,
                error_code=code,
                error_message=message,
                options=dict(self._record_opts),
            )
        )

    async def wait_background(self) -> None:
        while self._background:
            await asyncio.gather(*list(self._background))
        await self.poller.close()

    async def cancel_background(self) -> None:
        for task in list(self._background):
            task.cancel()
        await asyncio.gather(*list(self._background), return_exceptions=True)
        await self.poller.cancel()


def _render_pages(content: bytes, numbers: list[int]) -> dict[int, bytes | InputFileError]:
    """Each page's PNG, or the error that page alone gives (blocking: run in a thread).

    The window is rendered in one go; when that fails, page by page, so that one broken page
    (a page tree that loops back on itself) fails its own row and not its neighbours'.
    """
    try:
        return dict(page_pngs(content, pages=numbers, dpi=CAPSOLVER_DPI))
    except InputFileError as exc:
        if len(numbers) == 1:
            return {numbers[0]: exc}
    result: dict[int, bytes | InputFileError] = {}
    for number in numbers:
        try:
            result.update(page_pngs(content, pages=[number], dpi=CAPSOLVER_DPI))
        except InputFileError as exc:
            result[number] = exc
    return result


def _record_options(options: BatchOptions) -> dict[str, Any]:
    """The options a documents row notes (as asked, unlike :func:`key_options`)."""
    if options.service == "docai":
        return {
            "pages": options.pages_text,
            "workspace": options.workspace,
            "asynchronous": options.asynchronous,
        }
    return {"score": options.score, "case": options.case}


def _small(item: InputFile) -> bool:
    if item.error is not None:
        return True
    try:
        return os.stat(item.path).st_size <= INLINE_READ_BYTES
    except OSError:
        return True  # read_input reports it


class _StillRunning(Exception):
    """Polling ran out of time; the unit is pending (not an error, not retried)."""

    def __init__(self, answer: dict[str, Any]) -> None:
        super().__init__("still recognising")
        self.answer = answer


class _RecognitionFailed(RetryableServiceError):
    """recognizeStatus "0": counted as a retryable fault within the unit's budget."""

    def __init__(self, answer: dict[str, Any], message: str) -> None:
        # Only the code and the message reach the documents row; the answer itself carries the
        # request id, read from it by the tables.
        super().__init__(
            f"{message} (recognizeStatus 0)" if _docai_says(answer) == "failed" else message,
            service="docai",
            code=RECOGNITION_FAILED,
        )
        self.answer = answer


def _docai_says(answer: dict[str, Any]) -> str | None:
    """DocAI's recognition status of an answer, None when the answer has none readable."""
    try:
        return recognition_status(answer)
    except OcrframeError:
        return None


class _Stopped(OcrframeError):
    """The run stopped (a run-fatal error elsewhere) before this unit could be sent again."""

    @property
    def code(self) -> str:
        return RUN_ABORTED


# --------------------------------------------------------------------------- public API


def _make_client(
    service: str,
    *,
    api_key: str | None,
    base_url: str | None,
    transport: httpx.AsyncBaseTransport | None,
    timeout: float | None,
    max_connections: int,
) -> Any:
    kwargs: dict[str, Any] = {
        "base_url": base_url,
        "transport": transport,
        "max_connections": max_connections,
    }
    if timeout is not None:
        kwargs["timeout"] = timeout
    if service == "docai":
        from ocrframe.services.docai import AsyncDocAIClient

        return AsyncDocAIClient(api_key, **kwargs)
    from ocrframe.services.capsolver import AsyncCapSolverClient

    return AsyncCapSolverClient(api_key, **kwargs)


def _check_out(out: str | os.PathLike[str] | None) -> str | None:
    if out is None:
        return None
    if not isinstance(out, str | os.PathLike):
        raise ConfigurationError(f"out must be a folder path, not {out!r}")
    out_dir = os.fspath(out)
    if os.path.exists(out_dir) and not os.path.isdir(out_dir):
        raise ConfigurationError(f"out must be a folder for the Parquet dataset: {out_dir}")
    return out_dir


def _check_paths(paths: PathArg | Sequence[PathArg]) -> None:
    if isinstance(paths, str | bytes | os.PathLike):
        single = os.fsdecode(os.fspath(paths))
        if not os.path.lexists(single):
            raise ConfigurationError(f"no such file or folder: {single!r}")
        return
    if not isinstance(paths, Sequence) or isinstance(paths, bytearray):
        raise ConfigurationError(
            f"paths must be a folder, a file or a list of paths, not {type(paths).__name__}"
        )
    for p in paths:
        if not isinstance(p, str | bytes | os.PathLike):
            raise ConfigurationError(f"paths must hold paths, not {type(p).__name__}")


#: extract_async's parameters that are settings of the run (validated by make_options).
_OPTION_NAMES = tuple(inspect.signature(make_options).parameters)


async def extract_async(
    paths: PathArg | Sequence[PathArg],
    *,
    service: str = "docai",
    model: str | None = None,
    pages: PageSpec | None = None,
    workspace: str | None = None,
    asynchronous: bool = False,
    score: float | None = None,
    case: bool | None = None,
    api_key: str | None = None,
    base_url: str | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    rate_limit: float | None = None,
    retries: int = DEFAULT_RETRIES,
    retry_timeout: float | None = DEFAULT_RETRY_TIMEOUT,
    request_timeout: float | None = None,
    poll_interval: float = DEFAULT_POLL_INTERVAL,
    poll_timeout: float = DEFAULT_POLL_TIMEOUT,
    cache: bool | str | os.PathLike[str] = True,
    refresh: bool = False,
    progress: bool | ProgressCallback = True,
    out: str | os.PathLike[str] | None = None,
    max_file_bytes: int | None = DEFAULT_MAX_FILE_BYTES,
    file_timeout: float | None = limits.FILE_TIMEOUT_S,
    include_hidden: bool = False,
    einvoice: str = "remote",
    dry_run: bool = False,
    follow_symlinks: bool = False,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Extraction:
    """Recognise every file under ``paths`` with DocAI or CapSolver; return the tables.

    ``paths``: a folder (searched recursively; hidden files and folders skipped unless
    ``include_hidden``; a symbolic link leading out of the folder is a failed row, code
    ``outside_folder``, unless ``follow_symlinks``), a file, or a list of them; every file gets
    a source of its own (see :func:`ocrframe._inputs.iter_inputs` for the rule).
    ``service``: ``"docai"`` (``model`` is the modelId; ``"invoice"`` by default on the
    embedded engine) or ``"capsolver"`` (``model`` is the module; a PDF or multi-page TIFF is
    split into page images). ``api_key`` / ``base_url``
    default to the environment; with neither, the embedded offline engine answers.

    Submission: ``concurrency`` requests at once, at most ``rate_limit`` per second, each unit
    tried at most ``retries`` times within ``retry_timeout`` seconds (Retry-After honoured);
    ``request_timeout`` seconds per request. ``cache`` (``True``: the per-user default, a path,
    or ``False``) keeps every answer so that running again sends nothing already answered;
    ``refresh=True`` sends everything again. With ``out=DIR`` the tables stream to a Parquet
    dataset as answers arrive (memory stays flat) and the Extraction returned is read back from
    it. ``progress``: ``True`` shows a tqdm bar (a widget in Jupyter), ``False`` nothing, and a
    callable is called as ``progress(done, total)`` after every unit instead (on the loop the
    batch runs on).

    ``einvoice="local"`` (DocAI): a PDF carrying an e-invoice (Factur-X, ZUGFeRD, XRechnung; CII
    or UBL) is answered here, exactly, from its XML, and is neither sent nor paid for; only the
    other files go to the service. Its ``documents`` row has ``read_locally`` =
    ``"einvoice-xml"``. The default, ``"remote"``, sends every file: the service chosen reads it.

    ``dry_run=True`` sends nothing: it returns a :class:`~ocrframe._batch.preview.Preview` (an
    Extraction with no rows) whose ``files`` say, unit by unit, what a run would do: kind,
    pages, bytes, cached or not, requests to make (``.summary()`` in one paragraph).

    Every file ends exactly once in ``documents`` as ``ok``, ``failed`` or ``pending``. A bad
    key or an empty balance raises that error (a :class:`RunAbortedError`) once the ledger is
    complete, with the partial tables as its ``extraction`` attribute.

    :func:`extract` is the same, blocking; it works inside a running event loop (Jupyter):
    the work runs on ocrframe's own loop thread.

    >>> ex = await extract_async("invoices/", model="invoice", progress=False)  # doctest: +SKIP
    >>> ex.documents.status.value_counts()  # doctest: +SKIP
    """
    # The parameters make_options takes are passed as given: one list of settings, not two.
    given = locals()
    options = make_options(**{name: given[name] for name in _OPTION_NAMES})
    _check_paths(paths)
    if not isinstance(cache, bool | str | os.PathLike):
        raise ConfigurationError(f"cache must be True, False or a path, not {cache!r}")
    out_dir = _check_out(out)
    if api_key is not None and (not isinstance(api_key, str) or not api_key.strip()):
        raise ConfigurationError("api_key must be a non-empty string or None")
    if base_url is not None and (
        not isinstance(base_url, str) or urlsplit(base_url).scheme not in ("http", "https")
    ):
        raise ConfigurationError(f"base_url must be an http(s) URL, not {base_url!r}")
    if transport is not None and not isinstance(transport, httpx.AsyncBaseTransport):
        raise ConfigurationError("transport must be an httpx.AsyncBaseTransport")
    # Counting first costs one more walk of the folder, and gives the bar its total.
    walk = {"include_hidden": include_hidden, "follow_symlinks": follow_symlinks}
    total = sum(1 for _ in iter_inputs(paths, **walk)) if progress else None

    client = _make_client(
        options.service,
        api_key=api_key,
        base_url=base_url,
        transport=transport,
        timeout=options.request_timeout,
        # Polling shares the pool: a little room beyond the workers.
        max_connections=options.concurrency + 2,
    )
    try:
        if options.model is None:
            if options.service == "docai" and client.uses_embedded_engine:
                options = replace(options, model="invoice")
            elif options.service == "docai":
                raise ConfigurationError(
                    "model is required for DocAI: give the modelId (see `ocrframe models`)"
                )
        store = ResponseCache.open(cache)
    except BaseException:
        await client.aclose()
        raise
    if options.dry_run:
        from ocrframe._batch.preview import preview_units

        try:
            embedded = bool(client.uses_embedded_engine)
            return await preview_units(
                paths,
                options=options,
                host=host_of(client.base_url, embedded=embedded),
                cache=store,
                key_options=key_options,
                plan_unit=plan_unit,
            )
        finally:
            await client.aclose()
            if store is not None:
                store.close()
    bar: Any = None
    if callable(progress):
        bar = _CallbackBar(progress, total)
    elif progress:
        bar = progress_bar(total, f"ocrframe {options.service}")
    ledger = _Ledger(options, out_dir, bar)
    run = _Run(options, client, store, ledger)
    try:
        # Retry lines go to the ocrframe logger (debug) for the tasks of this run only.
        with retries_to_debug():
            await _drive(run, paths)
            await run.wait_background()
        extraction = await ledger.finish()
        extraction.inputs = _given(paths)
        if ledger.summary.documents == 0:
            logger.warning(
                "no documents found in %s: nothing was read", ", ".join(extraction.inputs)
            )
    except BaseException:
        await run.cancel_background()
        await ledger.abandon()
        raise
    finally:
        if bar is not None:
            bar.close()
        await client.aclose()
        if store is not None:
            store.close()
    if run.stopped is not None:
        # The cause itself is raised (an AuthenticationError names it best), carrying what was
        # done: the ledger is complete and everything finished is in the cache and in ``out``.
        error = run.stopped
        error.extraction = extraction  # type: ignore[attr-defined]
        raise error
    return extraction


def _given(paths: PathArg | Sequence[PathArg]) -> tuple[str, ...]:
    """The folders or files a run was given, as strings (where ``Extraction.show`` looks)."""
    if isinstance(paths, str | bytes | os.PathLike):
        paths = [paths]
    return tuple(os.fsdecode(p) for p in paths)


async def _drive(run: _Run, paths: PathArg | Sequence[PathArg]) -> None:
    """Feed discovered files to workers through a bounded queue (requests are capped apart)."""
    workers = run.options.concurrency * 2
    queue: asyncio.Queue[InputFile | None] = asyncio.Queue(maxsize=workers)

    async def work() -> None:
        while (item := await queue.get()) is not None:
            await run.process(item)

    tasks = [asyncio.create_task(work()) for _ in range(workers)]
    try:
        for item in iter_inputs(
            paths,
            include_hidden=run.options.include_hidden,
            follow_symlinks=run.options.follow_symlinks,
        ):
            await queue.put(item)
        for _ in tasks:
            await queue.put(None)
        await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


def _blocking(
    function: Callable[_P, Coroutine[Any, Any, _T]], *, name: str, doc: str
) -> Callable[_P, _T]:
    """The blocking twin of a coroutine function: the same parameters, one implementation.

    Runs on ocrframe's loop thread (:func:`ocrframe._sync.run_sync`), so it also works inside a
    running event loop. ``inspect.signature`` and ``help()`` show the wrapped signature.
    """

    @functools.wraps(function)
    def blocking(*args: _P.args, **kwargs: _P.kwargs) -> _T:
        return run_sync(function(*args, **kwargs))

    blocking.__name__ = blocking.__qualname__ = name
    blocking.__doc__ = doc
    return blocking


extract = _blocking(
    extract_async,
    name="extract",
    doc="""Recognise every file under ``paths`` with DocAI or CapSolver; return the tables.

    :func:`extract_async` awaited on ocrframe's own loop thread, so that it blocks and also works
    inside a running event loop (Jupyter). Parameters, rules and errors: :func:`extract_async`.

    >>> ex = extract("invoices/", model="invoice", progress=False)  # doctest: +SKIP
    >>> ex.documents.status.value_counts()  # doctest: +SKIP
    """,
)
