"""One run of the batch engine: every unit through cache, submission, retries and the ledger.

The loop is thin: the choices are the pure functions of :mod:`ocrframe._batch.decisions`, and
everything about a service is its adapter's (:mod:`ocrframe.services`): how a unit is sent,
what the service still has to do for it, and what its answer says.

Rules the loop keeps:

- Bad input never stops the batch: an empty, unreadable, over-size, unsupported or corrupt file,
  a broken link or a link loop each become a ``failed`` row with an ``error_code``
  (``empty``, ``unreadable``, ``too_large``, ``unsupported``, ``corrupt``, ``not_found``).
- Only what the clients classify as ``retryable`` is retried, at most ``retries`` attempts and
  ``retry_timeout`` seconds per unit; a Retry-After header sets the wait. An answer that says
  the unit could not be done (DocAI's recognition failed) counts as a retryable fault within
  that same budget, then the unit is ``failed`` with the service's code.
- An answer the service is still working on is collected by the service's session: within the
  attempt, or in the background (DocAI's asynchronous mode). What is still running when waiting
  ends is ``pending``; its id stays in the cache, and running again collects it instead of
  submitting it again.
- A run-fatal error (bad key, no balance) stops new submissions at once; units already answered
  are kept (cache, ``out``), units not sent become ``failed`` with code ``run_aborted``, and the
  fatal error is raised after the ledger is complete, with the partial :class:`Extraction` as its
  ``extraction`` attribute.
- Identical content submitted twice in one run (two names, one file) is sent once.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from ocrframe._batch.calls import RUN_ABORTED, Calls
from ocrframe._batch.decisions import host_of, key_options, plan_unit, record_options
from ocrframe._batch.ledger import Ledger
from ocrframe._batch.options import BatchOptions
from ocrframe._cache import ResponseCache, key_function
from ocrframe._documents import count_pages, render_pages
from ocrframe._inputs import InputFile, read_input, sha256_hex
from ocrframe._records import DocumentRecord
from ocrframe.errors import InputFileError, OcrframeError
from ocrframe.services import adapter
from ocrframe.services._adapter import (
    Answer,
    AnswerRefused,
    ServiceClient,
    ServiceSession,
    StillRunning,
)

__all__ = ["INTERNAL_ERROR", "RUN_ABORTED", "Outcome", "Run"]

#: Files up to this size are read on the event loop (a thread hop costs more).
INLINE_READ_BYTES = 256 * 1024
#: ``error_code`` of a unit lost to a bug (it still gets its row).
INTERNAL_ERROR = "internal_error"
#: error_code of the pages not sent once a file's file_timeout ran out.
FILE_TIMEOUT = "file_timeout"
#: Pages of one file rendered at once for CapSolver (each window is sent before the next).
PAGE_WINDOW = 4


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
    # Recorded later, by the background task that collects it.
    deferred: bool = False
    # Made here (e.g. from the file's embedded e-invoice); nothing was sent.
    local: bool = False


def _ended(
    started: float,
    attempts: int,
    submitted_at: datetime | None,
    *,
    response: dict[str, Any] | None = None,
    error_code: str | None = None,
    error_message: str | None = None,
) -> Outcome:
    """How a unit ended after ``attempts`` sends, timed from ``started`` (time.monotonic)."""
    return Outcome(
        response=response,
        error_code=error_code,
        error_message=error_message,
        attempts=attempts,
        submitted_at=submitted_at,
        elapsed_s=time.monotonic() - started,
    )


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


class Run(Calls):
    """The state of one run: options, client, cache, ledger, and the service's session."""

    def __init__(
        self,
        options: BatchOptions,
        client: ServiceClient,
        cache: ResponseCache | None,
        ledger: Ledger,
    ) -> None:
        self.options = options
        self.service = adapter(options.service)
        self.client = client
        self.cache = cache
        self.ledger = ledger
        self.model = options.model
        self.host = host_of(client.base_url, embedded=bool(client.uses_embedded_engine))
        super().__init__(options, on_abort=self._aborted)
        self.session: ServiceSession = self.service.session(client, options, self)
        # Everything about a run's options that every unit needs, worked out once per run.
        self._keys = {
            rendered: key_function(
                service=options.service,
                model=self.model,
                options=key_options(options, self.host, rendered=rendered),
            )
            for rendered in (False, True)
        }
        # Answers made here, without the service: a key no service answer can have.
        self._local_key = key_function(
            service=options.service, model=self.model, options=self.session.local_key_options
        )
        self._record_opts = record_options(options)
        self._inflight: dict[str, asyncio.Future[Outcome]] = {}
        self._background: set[asyncio.Task[None]] = set()

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
        split = self.service.splits(kind)
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
        # A page image rendered from a PDF depends on the rendering, not only on the file.
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
        self.ledger.grow(len(units) - 1)
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
                        f"the file's {budget:g} s (file_timeout) ran out before this page was sent"
                    )
                    await self._emit(unit, Outcome(error_code=FILE_TIMEOUT, error_message=message))
                else:
                    await self._process_unit(unit)
                unit.content = None  # sent (or not): the page image is not needed again

    def _wanted(self, page: int) -> bool:
        return self.options.pages is None or page in self.options.pages

    async def _fill_page_images(self, units: list[_Unit], content: bytes) -> None:
        if self._stopped is not None:
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
        dpi = self.service.page_dpi
        assert dpi is not None, "a service that splits files into pages names their resolution"
        images = await asyncio.to_thread(render_pages, content, wanted, dpi)
        for unit in needed:
            image = images.get(unit.page or 0, b"")
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
        if self.session.reads_locally and unit.page is None:
            # Before the stopped check: reading a file's own content sends nothing.
            local = await self._read_locally(unit)
            if local is not None:
                await self._emit(unit, local)
                return
        if self._stopped is not None:
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
            ok = first.response is not None and self.service.read(first.response).status == "ok"
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

    async def _read_locally(self, unit: _Unit) -> Outcome | None:
        """The unit's answer made here (the session's), or None: then the service gets it."""
        content, started = unit.content or b"", time.monotonic()
        unit_id = f"local-{unit.sha256[:16]}"
        if unit.size <= INLINE_READ_BYTES:
            answer = self.session.read_locally(content, kind=unit.kind, unit_id=unit_id)
        else:
            answer = await asyncio.to_thread(
                self.session.read_locally, content, kind=unit.kind, unit_id=unit_id
            )
        if answer is None:
            return None
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
        if action == "poll" and pending is not None:
            return await self._collect(unit, pending, None, 0, None, time.monotonic())
        return await self._submit(unit)

    async def _submit(self, unit: _Unit) -> Outcome:
        attempts = [0]
        started = time.monotonic()
        submitted_at = datetime.now(UTC)
        source = unit.item.source if unit.page is None else f"{unit.item.source}#page={unit.page}"
        content = unit.content or b""
        session = self.session

        def call() -> Awaitable[Answer]:
            return session.submit(content, source=source)

        try:
            answer = await self.call_with_retries(call, attempts=attempts, on_answer=session.settle)
        except StillRunning as running:
            return self._pending_outcome(unit, running.answer, attempts[0], submitted_at, started)
        except OcrframeError as exc:
            if exc.fatal_for_run:
                self.abort(exc)
            last = exc.answer if isinstance(exc, AnswerRefused) else None
            return _ended(
                started,
                attempts[0],
                submitted_at,
                response=last,
                error_code=exc.code,
                error_message=exc.message,
            )
        unit_id = self.service.read(answer).id if session.deferred(answer) else None
        if unit_id is not None:
            self._remember_pending(unit, unit_id)
            # The worker moves on; a background task records the unit when collecting ends.
            task = asyncio.create_task(
                self._collect_later(unit, unit_id, answer, attempts[0], submitted_at, started)
            )
            self._background.add(task)
            task.add_done_callback(self._background.discard)
            return Outcome(response=answer, deferred=True)
        self._store(unit, answer)
        return _ended(started, attempts[0], submitted_at, response=answer)

    def _remember_pending(self, unit: _Unit, unit_id: str) -> None:
        if self.cache is not None:
            self.cache.put_pending(
                unit.key,
                unit_id,
                sha256=unit.sha256,
                service=self.options.service,
                model=self.model,
            )

    def _pending_outcome(
        self,
        unit: _Unit,
        answer: Answer,
        attempts: int,
        submitted_at: datetime | None,
        started: float,
    ) -> Outcome:
        unit_id = self.service.read(answer).id
        if unit_id is not None:
            self._remember_pending(unit, unit_id)
        return _ended(started, attempts, submitted_at, response=answer)

    async def _collect(
        self,
        unit: _Unit,
        unit_id: str,
        answer: Answer | None,
        attempts: int,
        submitted_at: datetime | None,
        started: float,
    ) -> Outcome:
        """Collect a submission already made (this run or an earlier one)."""
        placeholder = answer or self.session.placeholder(unit_id)
        try:
            item = await self.session.collect(unit_id)
        except AnswerRefused as exc:
            if self.cache is not None:
                self.cache.drop_pending(unit.key)
            return _ended(
                started,
                attempts,
                submitted_at,
                response=exc.answer,
                error_code=exc.code,
                error_message=exc.message,
            )
        except OcrframeError as exc:
            return _ended(
                started,
                attempts,
                submitted_at,
                response=placeholder,
                error_code=exc.code,
                error_message=exc.message,
            )
        if item is None:
            return self._pending_outcome(unit, placeholder, attempts, submitted_at, started)
        self._store(unit, item)
        return _ended(started, attempts, submitted_at, response=item)

    async def _collect_later(
        self,
        unit: _Unit,
        unit_id: str,
        answer: Answer,
        attempts: int,
        submitted_at: datetime | None,
        started: float,
    ) -> None:
        outcome = await self._collect(unit, unit_id, answer, attempts, submitted_at, started)
        await self._emit(unit, outcome)

    def _store(self, unit: _Unit, answer: Answer) -> None:
        if self.cache is not None:
            self.cache.put(
                unit.key,
                answer,
                sha256=unit.sha256,
                service=self.options.service,
                model=self.model,
                page=unit.page,
            )

    def _aborted(self, exc: OcrframeError) -> None:
        self.ledger.summary.aborted = exc

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
        """Wait for every unit being collected in the background."""
        while self._background:
            await asyncio.gather(*list(self._background))
        await self.session.close()

    async def cancel_background(self) -> None:
        """Abandon background collection (the run is cancelled or failed)."""
        for task in list(self._background):
            task.cancel()
        await asyncio.gather(*list(self._background), return_exceptions=True)
        await self.session.cancel()


def _small(item: InputFile) -> bool:
    if item.error is not None:
        return True
    try:
        return os.stat(item.path).st_size <= INLINE_READ_BYTES
    except OSError:
        return True  # read_input reports it
