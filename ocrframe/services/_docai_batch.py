"""DocAI for the batch engine: its adapter, and the identifyResult poller beside the client.

A unit is a whole file, sent with identifyByEncodeString. An answer with ``recognizeStatus``
``"2"`` (still recognising) is collected by polling identifyResult: inside the same attempt in
synchronous mode, in the background with ``asynchronous=True`` (every file is submitted with
``isAsynchronous=1`` first). What is still running at ``poll_timeout`` is ``pending``; its
fileId is kept, and the next run collects it. ``recognizeStatus`` ``"0"`` (recognition failed)
is retryable within the unit's budget, then ``failed`` with ``recognition_failed``.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Mapping, Sequence
from typing import Any

from ocrframe._einvoice import READ_FROM, EInvoiceError, read_einvoice
from ocrframe.errors import ConfigurationError, OcrframeError
from ocrframe.services._adapter import (
    AdapterBase,
    Answer,
    AnswerRefused,
    ModelInfo,
    RunHooks,
    StillRunning,
    UnitOptions,
)
from ocrframe.services._docai_answers import (
    RECOGNITION_FAILED,
    SERVICE,
    file_id_of,
    local_answer,
    pending_answer,
    per_file_answers,
    read_answer,
    recognition_status,
)
from ocrframe.services._reading import Reading
from ocrframe.services.docai import AsyncDocAIClient

__all__ = ["DOCAI", "DocAIAdapter", "DocAISession", "IdentifyResultPoller"]

#: identifyResult asks about at most this many files at once.
POLL_BATCH = 50
#: The longest wait between two identifyResult rounds while nothing finishes.
POLL_MAX_INTERVAL = 15.0
#: The embedded engine's model when none is given.
EMBEDDED_MODEL = "invoice"


class IdentifyResultPoller:
    """Collects DocAI results by identifyResult, in batches, with backoff, until a deadline."""

    def __init__(self, client: AsyncDocAIClient, model: str, options: UnitOptions, run: RunHooks):
        self._client = client
        self._model = model
        self._interval = options.poll_interval
        self._timeout = options.poll_timeout
        self._run = run
        self._waiting: dict[str, tuple[asyncio.Future[Answer | None], float]] = {}
        self._wake = asyncio.Event()
        self._closed = False
        self._task: asyncio.Task[None] | None = None

    def track(self, file_id: str) -> asyncio.Future[Answer | None]:
        """A future of the finished identifyResult answer for ``file_id`` (None: deadline)."""
        existing = self._waiting.get(file_id)
        if existing is not None:
            return existing[0]
        future: asyncio.Future[Answer | None] = asyncio.get_running_loop().create_future()
        self._waiting[file_id] = (future, time.monotonic() + self._timeout)
        self._wake.set()
        if self._task is None:
            self._task = asyncio.create_task(self._loop())
        return future

    async def close(self) -> None:
        """Wait until everything tracked is resolved, then stop."""
        self._closed = True
        self._wake.set()
        if self._task is not None:
            await self._task

    async def cancel(self) -> None:
        """Stop at once."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task

    async def _loop(self) -> None:
        interval = self._interval
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
            interval = self._interval if finished else min(interval * 2, POLL_MAX_INTERVAL)

    async def _poll(self, batch: list[str]) -> int:
        run = self._run
        try:
            answer = await run.call_with_retries(
                lambda: self._client.identify_result(batch, model=self._model), attempts=None
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
            if read_answer(envelope).status == "pending":
                continue
            future, _ = self._waiting.pop(file_id)
            if not future.done():
                future.set_result(envelope)
            finished += 1
        return finished


class DocAISession:
    """One run's DocAI submissions and collections.

    With ``einvoice="local"``, a PDF that carries a readable e-invoice (Factur-X, ZUGFeRD,
    XRechnung) is answered here from its XML and never sent (:meth:`read_locally`); its row says
    ``read_locally``. Such answers are cached under a key of their own, so they never stand in
    for the service's.
    """

    local_key_options: dict[str, Any] = {"host": "local", "read": READ_FROM}  # noqa: RUF012

    def __init__(self, client: AsyncDocAIClient, options: UnitOptions, run: RunHooks) -> None:
        self._client = client
        self._options = options
        self._model = options.model or ""
        self._poller = IdentifyResultPoller(client, self._model, options, run)
        # The e-invoice describes the document, whose first page must be among those asked for.
        self.reads_locally = options.einvoice == "local" and (
            options.pages is None or 1 in options.pages
        )

    def read_locally(self, content: bytes, *, kind: str, unit_id: str) -> Answer | None:
        """The answer from a PDF's embedded e-invoice, or None: then the service gets it.

        An attachment that cannot be read is left to the service too (it may read the page).
        """
        if not self.reads_locally or kind != "pdf":
            return None
        try:
            result = read_einvoice(content)
        except EInvoiceError:
            return None
        if result is None:
            return None
        return local_answer(result, file_id=unit_id, read_from=READ_FROM)

    async def submit(self, content: bytes, *, source: str) -> Answer:
        """identifyByEncodeString for one file."""
        options = self._options
        return await self._client.identify_by_base64(
            content,
            model=self._model,
            pages=options.pages_text,
            workspace=options.workspace,
            asynchronous=options.asynchronous,
            source=source,
        )

    async def settle(self, answer: Answer) -> Answer:
        """A failed recognition is refused (retried); a running one is polled (synchronous)."""
        status = read_answer(answer).status
        if status == "pending" and not self._options.asynchronous:
            file_id = file_id_of(answer)
            if file_id is None:
                raise _refused(answer, "recognizeStatus 2 without a fileId")
            item = await self._poller.track(file_id)
            if item is None:
                raise StillRunning(answer)
            answer = item
            status = read_answer(answer).status
        if status == "failed":
            raise _refused(answer, "the service could not recognise the file")
        return answer

    async def collect(self, unit_id: str) -> Answer | None:
        """Poll identifyResult for a file submitted before."""
        item = await self._poller.track(unit_id)
        if item is not None and read_answer(item).status == "failed":
            raise AnswerRefused(
                item,
                "the service could not recognise the file (recognizeStatus 0)",
                service=SERVICE,
                code=RECOGNITION_FAILED,
            )
        return item

    def deferred(self, answer: Answer) -> bool:
        """Asynchronous mode: a running recognition is collected in the background."""
        return self._options.asynchronous and read_answer(answer).status == "pending"

    def placeholder(self, unit_id: str) -> Answer:
        """The answer that stands for a submission whose result is not in yet."""
        return pending_answer(unit_id)

    async def close(self) -> None:
        """Wait for the poller to resolve everything."""
        await self._poller.close()

    async def cancel(self) -> None:
        """Stop polling."""
        await self._poller.cancel()


def _refused(answer: Answer, message: str) -> AnswerRefused:
    # Only the code and the message reach the documents row; the answer itself carries the
    # request id, read from it by the tables.
    says_failed = False
    with contextlib.suppress(OcrframeError):
        says_failed = recognition_status(answer) == "failed"
    return AnswerRefused(
        answer,
        f"{message} (recognizeStatus 0)" if says_failed else message,
        service=SERVICE,
        code=RECOGNITION_FAILED,
    )


class DocAIAdapter(AdapterBase):
    """DocAI as the batch engine sees it (a
    :class:`~ocrframe.services._adapter.ServiceAdapter`)."""

    name = SERVICE
    client_class = AsyncDocAIClient
    display_name = "DocAI"
    lists_models = True
    page_dpi: int | None = None

    def model_for(self, model: str | None, *, embedded: bool) -> str | None:
        """The modelId: required, except on the embedded engine (``invoice`` by default)."""
        if model is not None:
            return model
        if embedded:
            return EMBEDDED_MODEL
        raise ConfigurationError(
            "model is required for DocAI: give the modelId (see `ocrframe models`)"
        )

    def splits(self, kind: str) -> bool:
        """DocAI takes whole files."""
        return False

    def key_options(self, options: UnitOptions, host: str, *, rendered: bool) -> dict[str, Any]:
        """Who answers, the pages and the workspace change an answer."""
        return {"host": host, "pages": options.pages_text, "workspace": options.workspace}

    def record_options(self, options: UnitOptions) -> dict[str, Any]:
        """Pages, workspace and asynchronous, as asked."""
        return {
            "pages": options.pages_text,
            "workspace": options.workspace,
            "asynchronous": options.asynchronous,
        }

    def session(self, client: Any, options: UnitOptions, run: RunHooks) -> DocAISession:
        """A DocAI session for one run."""
        return DocAISession(client, options, run)

    async def list_models(self, client: AsyncDocAIClient) -> list[Answer]:
        """listCreateByMeModels: the models of this key (the embedded engine's without one)."""
        return await client.list_models()

    def models(self, listed: Sequence[Mapping[str, Any]] = ()) -> list[ModelInfo]:
        """Each listed model's ``modelId``, ``modelName`` and ``description``."""
        found: list[ModelInfo] = []
        for model in listed:
            model_id = str(model.get("modelId") or "").strip()
            if not model_id:
                continue
            name = str(model.get("modelName") or "").strip()
            found.append(ModelInfo(model_id, name, str(model.get("description") or "")))
        return found

    def read(self, answer: Answer) -> Reading:
        """:func:`~ocrframe.services._docai_answers.read_answer`."""
        return read_answer(answer)


DOCAI = DocAIAdapter()
