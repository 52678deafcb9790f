"""The embedded engine's ASGI app: DocAI's and CapSolver's wire formats over the offline engine.

One Starlette app serves both services at their real paths:

- DocAI: ``POST /api/identify/file/v2/identifyByEncodeString`` (multipart or urlencoded form
  fields, or JSON), ``POST /api/identify/file/v2/identify`` (multipart upload ``file``),
  ``POST /api/identify/file/v2/identifyResult`` (JSON), ``GET
  /api/model/info/v2/listCreateByMeModels``. Envelope ``{code, message, costTime, data, requestId,
  currentTimeMillis}``.
- CapSolver: ``POST /createTask`` (ImageToTextTask), ``/getTaskResult``, ``/getBalance``. Envelope
  ``{errorId, errorCode, errorDescription, ...}``.
- The engine's own: ``GET /_engine/requests`` (the request log: each API request's time, path,
  file sha256, HTTP status, injected fault, ``in_flight``, the API requests being answered
  when it arrived, itself included, and ``work``, what became of its recognition),
  ``POST /_engine/requests/clear``, ``GET /_engine/work`` and ``POST /_engine/work/wait``.

Choices where the services' pages are silent:

- DocAI errors: the envelope's ``code`` is an HTTP status and the HTTP status equals it (400 bad
  request fields, 401 bad key, 404 unknown modelId, 413 body too large, 500 internal). A file that
  is accepted but cannot be read (corrupt, unsupported) is *not* a request error: it gets a fileId
  and ``recognizeStatus "0"`` (failed), as DocAI's status field describes, with the engine's
  extra field ``failReason`` saying why.
- CapSolver errors: HTTP 400 with ``errorId 1`` (401 with ERROR_KEY_DENIED_ACCESS for a bad key,
  413 with ERROR_BAD_REQUEST for a body over the cap). A ``body`` with a ``data:`` prefix or that
  is not strict base64 is ERROR_INVALID_TASK_DATA; bytes that are no decodable image are
  ERROR_INVALID_IMAGE; an empty reading or one below ``score`` is ERROR_CAPTCHA_UNSOLVABLE.
- identifyResult answers an unknown fileId with ``recognizeStatus "0"`` for that entry (not an
  error for the whole list), and ``returnOcrResult "1"`` adds ``ocrResult`` (each page's words).

Recognition runs in a thread pool sized to the cores (not on the event loop), so a slow page never
stalls other requests. A pool rather than ``anyio.to_thread`` because the same process-wide app
is reached from several event loops (in-process transports in different threads), and
asynchronous DocAI jobs must outlive the request (and the loop) that submitted them.

Abandoned work (:mod:`ocrframe.engine.work`, :mod:`ocrframe.engine.cancel`): the pool runs work
first come first served, and spends no recognition on work nobody will collect.

- A synchronous request listens for its client's ``http.disconnect`` (ASGI's signal; uvicorn
  sends it when the connection is lost) once its body is read. A client gone before the work is
  queued: nothing is queued; while it waits in the queue: it is taken off; while it runs: it
  stops at its next checkpoint (before a page, before a page's further reading, before a
  captcha's further views). In-process the client's cancellation does the same. An injected
  ``timeout`` stall ends when its client leaves. The request is logged with status 499.
- An asynchronous DocAI job that no identifyResult names for ``unpolled_timeout_s`` is cancelled
  the same way; identifyResult then answers it ``recognizeStatus "0"`` with ``failReason
  "cancelled: not polled by identifyResult for N s"``, DocAI's failed status and the engine's
  reason field. CapSolver's ImageToTextTask has no task to poll: createTask answers at once.
- Answers are kept ``result_ttl_s`` after they are ready (at most ``result_limit`` of each
  kind); later, identifyResult's ``failReason`` and getTaskResult's ``ERROR_TASKID_INVALID``
  say ``expired``.
- ``GET /_engine/work`` counts what became of the work; ``POST /_engine/work/wait`` waits until
  counts are reached.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import concurrent.futures
import hashlib
import hmac
import itertools
import json
import os
import re
import socket
import struct
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx
from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ocrframe.engine.cancel import Abandoned, StopToken
from ocrframe.engine.faults import (
    CAPSOLVER_KINDS,
    CAPSOLVER_TASK_KINDS,
    DOCAI_LIST_KINDS,
    DOCAI_RESULT_KINDS,
    DOCAI_SUBMIT_KINDS,
    FaultPlan,
)
from ocrframe.engine.work import Kept, WorkPool
from ocrframe.errors import InputFileError, PageRangeError, protect_logger
from ocrframe.limits import (
    MAX_BODY_BYTES,
    MAX_CONNECTIONS,
    MAX_PAGES,
    SERVER_BODY_TIMEOUT_S,
    SERVER_HEADER_TIMEOUT_S,
    SERVER_RESULT_TTL_S,
    SERVER_UNPOLLED_TIMEOUT_S,
)

__all__ = [
    "CAPSOLVER_PATHS",
    "DOCAI_MODELS",
    "DOCAI_PATHS",
    "ENGINE_BASE_URL",
    "EngineConfig",
    "create_app",
    "embedded_transport",
    "preload",
    "serve",
]

# The host the in-process transport answers for; ".invalid" can never resolve, so a request that
# escapes the transport fails instead of reaching anyone.
ENGINE_BASE_URL = "http://ocrframe-engine.invalid"

DOCAI_PATHS = {
    "by_base64": "/api/identify/file/v2/identifyByEncodeString",
    "upload": "/api/identify/file/v2/identify",
    "result": "/api/identify/file/v2/identifyResult",
    "models": "/api/model/info/v2/listCreateByMeModels",
}
CAPSOLVER_PATHS = {"create": "/createTask", "result": "/getTaskResult", "balance": "/getBalance"}

# Epoch ms of the models' "creation": fixed, so listCreateByMeModels answers the same every time.
_MODELS_TIME = 1_763_683_200_000
DOCAI_MODELS: tuple[dict[str, Any], ...] = (
    {
        "modelId": "invoice",
        "modelName": "Invoice (embedded engine)",
        "description": (
            "Invoices and receipts: invoiceNumber, invoiceDate, dueDate, amounts, currency, "
            "parties, line items (itemList) and tax lines (taxList). English, German, French."
        ),
        "createTime": _MODELS_TIME,
        "updateTime": _MODELS_TIME,
    },
    {
        "modelId": "text",
        "modelName": "Text lines (embedded engine)",
        "description": "Any document: every line of text as a field with key 'line'.",
        "createTime": _MODELS_TIME,
        "updateTime": _MODELS_TIME,
    },
)
_MODEL_IDS = frozenset(m["modelId"] for m in DOCAI_MODELS)

_CAPSOLVER_BALANCE = 1_000_000.0
_LARGE = 1_000_000
_LOG = protect_logger("ocrframe.engine")
T = TypeVar("T")


@dataclass(frozen=True)
class EngineConfig:
    """Options of one engine app. Keys are never shown in a repr or a log.

    ``latency_ms`` is added before every API answer; ``fault_rate`` (0..1) of API requests get an
    injected fault chosen deterministically from ``seed`` (kinds: see :mod:`ocrframe.engine.faults`,
    optionally restricted by ``fault_kinds``); a ``timeout`` fault sleeps ``fault_timeout_s``.
    ``workers`` sizes the recognition pool (documents handled at once; default: the number of
    cores). ``ocr_workers``, when given, sets how many pages the process reads at once, one OCR
    engine each (process-wide, like the models: :func:`ocrframe.engine.ocr.set_workers`; default:
    the environment variable ``OCRFRAME_OCR_WORKERS``, else the number of cores).

    Work nobody will collect (see "Abandoned work" in the module docstring):
    ``unpolled_timeout_s`` is how long an asynchronous DocAI job may go without an identifyResult
    naming it before it is cancelled (default 120 s: eight times the batch client's longest wait
    between polls, 15 s); ``result_ttl_s`` how long a finished answer (DocAI fileId, CapSolver
    taskId) is kept for later polls (default one hour), at most ``result_limit`` of each.

    Limits (defaults in :mod:`ocrframe.limits`): ``max_body_bytes`` per request body,
    ``max_pages`` a ``legalPageNumbers`` may name, ``body_timeout_s`` to receive a body once its
    headers are in, ``header_timeout_s`` to receive a request's headers and ``max_connections``
    held at once (the last two on loopback only, where there are connections).
    """

    docai_key: str | None = field(default=None, repr=False)
    capsolver_key: str | None = field(default=None, repr=False)
    latency_ms: float = 0.0
    fault_rate: float = 0.0
    seed: int | None = None
    fault_kinds: tuple[str, ...] | None = None
    fault_timeout_s: float = 150.0
    retry_after_s: int = 1
    max_body_bytes: int = MAX_BODY_BYTES
    workers: int | None = None
    ocr_workers: int | None = None
    dpi: int = 200
    log_limit: int = 100_000
    max_pages: int = MAX_PAGES
    body_timeout_s: float = SERVER_BODY_TIMEOUT_S
    header_timeout_s: float = SERVER_HEADER_TIMEOUT_S
    max_connections: int = MAX_CONNECTIONS
    unpolled_timeout_s: float = SERVER_UNPOLLED_TIMEOUT_S
    result_ttl_s: float = SERVER_RESULT_TTL_S
    result_limit: int = 100_000

    def __post_init__(self) -> None:
        for name in ("unpolled_timeout_s", "result_ttl_s", "fault_timeout_s"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and 0 <= value < float("inf")):
                raise ValueError(f"{name} must be a number of seconds >= 0, not {value!r}")
        if self.result_limit < 1:
            raise ValueError(f"result_limit must be at least 1, not {self.result_limit!r}")


# --------------------------------------------------------------------------------------------
# State: jobs, tasks, the request log


@dataclass
class _Job:
    file_id: str
    sha256: str
    model: str
    status: str = "2"  # DocAI recognizeStatus: "2" recognising, "1" done, "0" failed
    result: dict[str, Any] | None = None
    ocr: list[dict[str, Any]] | None = None
    fail_reason: str | None = None
    token: StopToken | None = None


@dataclass
class _LogEntry:
    time: float
    path: str
    sha256: str | None = None
    status: int | None = None
    fault: str | None = None
    aborted: bool = False
    # API requests being answered when this one arrived, itself included.
    in_flight: int = 0
    counted: bool = False
    # What became of the request's recognition: done, failed, dropped, stopped (None: none).
    work: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "time": self.time,
            "path": self.path,
            "sha256": self.sha256,
            "status": self.status,
            "fault": self.fault,
            "in_flight": self.in_flight,
            "work": self.work,
        }


class _Engine:
    """Everything one app instance holds between requests."""

    def __init__(self, config: EngineConfig) -> None:
        self.config = config
        self.faults = FaultPlan(rate=config.fault_rate, seed=config.seed, kinds=config.fault_kinds)
        self.pool = WorkPool(config.workers or os.cpu_count() or 2)
        self.lock = threading.Lock()
        ttl, limit = config.result_ttl_s, config.result_limit
        self.jobs: Kept[_Job] = Kept(ttl_s=ttl, limit=limit, what="results")
        self.tasks: Kept[dict[str, Any]] = Kept(ttl_s=ttl, limit=limit, what="task results")
        self.log: deque[_LogEntry] = deque(maxlen=config.log_limit)
        self.in_flight = 0
        self._ids = itertools.count(1)

    def new_job(self, sha256: str, model: str) -> _Job:
        stamp = time.strftime("%y%m%d%H%M%S", time.gmtime())
        # 25 digits like DocAI's fileIds: time, a process-wide counter, a little of the content.
        file_id = f"{stamp}{next(self._ids) % 10**7:07d}{int(sha256[:8], 16) % 10**6:06d}"
        job = _Job(file_id=file_id, sha256=sha256, model=model)
        self.jobs.put(file_id, job, settled=False)
        return job

    def log_start(self, path: str) -> _LogEntry:
        entry = _LogEntry(time=time.time(), path=path)
        with self.lock:
            self.in_flight += 1
            entry.in_flight = self.in_flight
            entry.counted = True
            self.log.append(entry)
        return entry

    def log_end(self, entry: _LogEntry) -> None:
        """The request is answered (or dropped): it no longer counts as in flight."""
        with self.lock:
            if entry.counted:
                entry.counted = False
                self.in_flight -= 1


def _engine(request: Request) -> _Engine:
    engine: _Engine = request.app.state.engine
    return engine


def _entry(request: Request) -> _LogEntry:
    entry = request.scope.get("ocrframe.entry")
    if isinstance(entry, _LogEntry):
        return entry
    return _LogEntry(time=time.time(), path=request.url.path)  # not logged (engine paths)


# --------------------------------------------------------------------------------------------
# Envelopes


def _docai(
    data: Any,
    *,
    started: float,
    code: int = 200,
    message: str | None = None,
    http_status: int | None = None,
) -> JSONResponse:
    body = {
        "code": code,
        "message": message,
        "costTime": round((time.perf_counter() - started) * 1000),
        "data": data,
        "requestId": uuid.uuid4().hex,
        "currentTimeMillis": int(time.time() * 1000),
    }
    if http_status is None:
        http_status = code if 200 <= code <= 599 else 200
    return JSONResponse(body, status_code=http_status)


def _docai_error(code: int, message: str, *, started: float) -> JSONResponse:
    return _docai(None, started=started, code=code, message=message)


def _cap_ok(**fields: Any) -> dict[str, Any]:
    return {"errorId": 0, "errorCode": "", "errorDescription": "", **fields}


def _cap_error(code: str, description: str, *, status: int = 400) -> JSONResponse:
    body = {"errorId": 1, "errorCode": code, "errorDescription": description}
    return JSONResponse(body, status_code=status)


def _is_capsolver(path: str) -> bool:
    return path in CAPSOLVER_PATHS.values()


# --------------------------------------------------------------------------------------------
# Faults


async def _apply_fault(
    request: Request, kind: str, *, capsolver: bool, started: float
) -> Response | None:
    """The answer for an injected fault, or None when the fault only delays (``timeout``)."""
    engine = _engine(request)
    entry = _entry(request)
    entry.fault = kind
    if kind == "429":
        headers = {"Retry-After": str(engine.config.retry_after_s)}
        if capsolver:
            resp = _cap_error("ERROR_RATE_LIMIT", "too many requests", status=429)
        else:
            resp = _docai_error(429, "Too many requests, please slow down", started=started)
        resp.headers.update(headers)
        return resp
    if kind == "500":
        if capsolver:
            return _cap_error("ERROR_SERVICE_UNAVALIABLE", "internal server error", status=500)
        return _docai_error(500, "Internal server error", started=started)
    if kind in ("502", "503"):
        # What a proxy in front of the service sends: an HTML page, not the service's JSON.
        phrase = "Bad Gateway" if kind == "502" else "Service Temporarily Unavailable"
        html = f"<html><head><title>{kind} {phrase}</title></head><body>{phrase}</body></html>"
        return Response(html, status_code=int(kind), media_type="text/html")
    if kind == "invalid_json":
        truncated = (
            b'{"errorId": 0, "errorCode": "", "status": "ready", "solution": {"te'
            if capsolver
            else b'{"code": 200, "message": null, "data": {"fileId": "23100917113'
        )
        return Response(truncated, status_code=200, media_type="application/json")
    if kind == "service_error":
        # HTTP 200 with the error only in the envelope: the client must read the envelope.
        if capsolver:
            return JSONResponse(
                {
                    "errorId": 1,
                    "errorCode": "ERROR_SERVICE_UNAVALIABLE",
                    "errorDescription": "service unavailable, try again later",
                }
            )
        return _docai(
            None, started=started, code=500, message="System busy, try again later", http_status=200
        )
    if kind == "reset":
        return await _reset_connection(request)
    if kind == "timeout":
        # The stall ends early when the client leaves: nobody is left to keep waiting.
        await asyncio.wait({_client_gone(request)}, timeout=engine.config.fault_timeout_s)
        return None
    return None  # status_0 / status_2 / slow_work are answered by the handlers


async def _reset_connection(request: Request) -> Response:
    """Drop the connection with a TCP reset and no answer at all."""
    entry = _entry(request)
    entry.aborted = True
    transport = request.scope.get("ocrframe.transport")
    if transport is None:
        # In-process (httpx.ASGITransport): there is no socket; raising httpx's own read error
        # is what the client would see from a reset.
        raise httpx.ReadError("connection reset by peer (injected fault)")
    sock = transport.get_extra_info("socket")
    if sock is not None:
        # Linger 0: close() sends RST instead of FIN, so the client sees a reset, not an EOF.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    # From here on the client may already be sending its next request: this one is over.
    _engine(request).log_end(entry)
    transport.abort()
    # Let the server notice the lost connection, so it sends nothing and logs nothing.
    for _ in range(3):
        await asyncio.sleep(0)
    return Response(status_code=500)


async def _fault_then_latency(
    request: Request, key: str, kinds: tuple[str, ...], *, capsolver: bool, started: float
) -> tuple[str | None, Response | None]:
    """Draw this request's fault; the fault's answer if it has one, else wait the latency.

    Returns ``(fault kind or None, answer to send instead of the real one or None)``.
    """
    fault = _engine(request).faults.draw(request.url.path, key, kinds)
    if fault is not None:
        answer = await _apply_fault(request, fault, capsolver=capsolver, started=started)
        if answer is not None:
            return fault, answer
    ms = _engine(request).config.latency_ms
    if ms > 0:
        await asyncio.sleep(ms / 1000)
    return fault, None


# --------------------------------------------------------------------------------------------
# Abandoned work: a client that disconnected, a job nobody polls


class _ClientGone(Exception):
    """The client of a synchronous request disconnected before its answer."""


async def _until_disconnect(receive: Receive) -> None:
    # ASGI's own signal: the server's receive() answers http.disconnect once the client has
    # gone (uvicorn: the connection was lost; httpx.ASGITransport: the answer was sent).
    while (await receive())["type"] != "http.disconnect":
        pass


def _client_gone(request: Request) -> asyncio.Future[None]:
    """A future that is done once this request's client disconnected (one watch per request,
    started after the body is read, cancelled by the outer layer when the request ends)."""
    watches: list[asyncio.Future[None]] = request.scope["ocrframe.watch"]
    if not watches:
        watches.append(asyncio.ensure_future(_until_disconnect(request.receive)))
    return watches[0]


def _slow_work_s(request: Request, fault: str | None) -> float:
    return _engine(request).config.fault_timeout_s if fault == "slow_work" else 0.0


async def _for_client(request: Request, fn: Callable[[], T], fault: str | None) -> T:
    """``fn``'s result, computed on the recognition pool while the client waits.

    Raises :class:`_ClientGone` when the client disconnects first: work not started yet is
    dropped (never queued, or taken off the queue), work in progress stops at its next
    checkpoint (between pages, between readings). In-process the client's cancellation reaches
    here as ``CancelledError`` and abandons the work the same way.
    """
    engine = _engine(request)
    entry = _entry(request)
    gone = _client_gone(request)
    if gone.done():
        entry.work = "dropped"
        engine.pool.count("dropped")
        raise _ClientGone
    work = engine.pool.submit(fn, token=StopToken(), pause_s=_slow_work_s(request, fault))
    work.future.add_done_callback(lambda _: setattr(entry, "work", work.outcome))
    waiting = asyncio.wrap_future(work.future)
    try:
        either: set[asyncio.Future[Any]] = {waiting, gone}
        await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
    finally:
        if not waiting.done():
            work.abandon("the client disconnected")
            # Whatever the work ends with now, nobody reads it: no "never retrieved" warning.
            waiting.add_done_callback(lambda f: f.cancelled() or f.exception())
    if not waiting.done():
        raise _ClientGone
    return waiting.result()


def _gone_answer() -> Response:
    # Nobody reads it (the server drops what is sent to a lost connection); the request log
    # shows 499, nginx's "client closed request".
    return Response(status_code=499)


# --------------------------------------------------------------------------------------------
# DocAI


def _docai_auth(request: Request, started: float) -> Response | None:
    key = _engine(request).config.docai_key
    if not key:
        return None
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and hmac.compare_digest(token.strip().encode(), key.encode()):
        return None
    return _docai_error(401, "Unauthorized: the API key is missing or not valid", started=started)


class _BadRequest(Exception):
    def __init__(self, code: int, message: str) -> None:
        self.code = code
        self.message = message
        super().__init__(message)


async def _docai_fields(request: Request, *, upload: bool) -> tuple[dict[str, str], bytes]:
    """The request's fields and the file's bytes, from a form (or JSON) body."""
    ctype = request.headers.get("content-type", "")
    fields: dict[str, str] = {}
    content: bytes | None = None
    if ctype.startswith("application/json"):
        try:
            body = json.loads(await request.body())
        except (ValueError, UnicodeDecodeError) as exc:
            raise _BadRequest(400, "the request body is not valid JSON") from exc
        if not isinstance(body, dict):
            raise _BadRequest(400, "the request body must be a JSON object")
        fields = {k: str(v) for k, v in body.items() if v is not None}
    else:
        limit = _engine(request).config.max_body_bytes
        try:
            # The context manager closes uploaded files' spooled temporaries.
            async with request.form(max_files=4, max_fields=64, max_part_size=limit) as form:
                for name, value in form.multi_items():
                    if isinstance(value, UploadFile):
                        if name == "file" and content is None:
                            content = await value.read()
                    else:
                        fields[name] = value
        except Exception as exc:  # starlette raises its own HTTPException / MultiPartException
            raise _BadRequest(400, f"the request body is not a valid form: {exc}") from exc
    if upload:
        if content is None:
            raise _BadRequest(400, "file is required (multipart upload field 'file')")
        return fields, content
    encoded = fields.get("encodeString", "")
    if not encoded.strip():
        raise _BadRequest(400, "encodeString is required")
    try:
        data = await _off_loop_if_large(
            lambda: base64.b64decode("".join(encoded.split()), validate=True), len(encoded)
        )
    except (binascii.Error, ValueError) as exc:
        raise _BadRequest(400, "encodeString is not valid base64") from exc
    return fields, data


async def _off_loop_if_large(fn: Callable[[], T], size: int) -> T:
    """Run ``fn`` in a thread when its input is large (tens of ms of decoding or hashing)."""
    if size < _LARGE:
        return fn()
    return await asyncio.to_thread(fn)


_Recognised = tuple[dict[str, Any], list[dict[str, Any]]]


def _recognise(content: bytes, model: str, pages: list[int] | None, dpi: int) -> _Recognised:
    """Blocking: the model's result and the pages' plain text. Raises InputFileError."""
    from ocrframe.engine.pages import load_pages

    loaded = load_pages(content, pages=pages, dpi=dpi)
    if model == "invoice":
        # an embedded e-invoice (Factur-X, ZUGFeRD, XRechnung) answers exactly, else the page
        from ocrframe.engine.einvoice import read_invoice

        result = read_invoice(content, loaded, pages)
    else:
        from ocrframe.engine.invoice import extract_text_lines

        result = extract_text_lines(loaded)
    ocr = [{"pageNumber": p.number, "text": " ".join(w.text for w in p.words)} for p in loaded]
    return result, ocr


def _finish_job(engine: _Engine, job: _Job, outcome: _Recognised | BaseException) -> None:
    """Record the end of a job's recognition; its result is kept ``result_ttl_s`` from now."""
    if isinstance(outcome, Abandoned):
        reason = job.token.reason if job.token is not None else None
        job.status, job.fail_reason = "0", f"cancelled: {reason or outcome}"
    elif isinstance(outcome, InputFileError):
        job.status, job.fail_reason = "0", f"{outcome.code}: {outcome.message}"
    elif isinstance(outcome, BaseException):
        _LOG.error("recognition failed for fileId %s", job.file_id, exc_info=outcome)
        job.status, job.fail_reason = "0", "internal error during recognition"
    else:
        job.result, job.ocr = outcome
        job.status = "1"
    engine.jobs.settle(job.file_id)


def _outcome(future: concurrent.futures.Future[_Recognised]) -> _Recognised | BaseException:
    if future.cancelled():
        return Abandoned("cancelled before it started")
    exc = future.exception()
    return future.result() if exc is None else exc


def _job_data(job: _Job, *, with_result: bool = True, ocr: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {"fileId": job.file_id, "recognizeStatus": job.status}
    if with_result:
        data["result"] = job.result
    if job.status == "0" and job.fail_reason:
        data["failReason"] = job.fail_reason
    if ocr and job.status == "1":
        data["ocrResult"] = job.ocr
    return data


async def _identify(request: Request, *, upload: bool) -> Response:
    started = time.perf_counter()
    engine = _engine(request)
    if (denied := _docai_auth(request, started)) is not None:
        return denied
    try:
        fields, content = await _docai_fields(request, upload=upload)
        model = fields.get("modelId", "").strip().lstrip("@")
        if not model:
            raise _BadRequest(400, "modelId is required")
        if model not in _MODEL_IDS:
            raise _BadRequest(404, f"model {model!r} does not exist or is not yours")
        if not content:
            raise _BadRequest(400, "the file is empty")
        spec = fields.get("legalPageNumbers", "").strip()
        try:
            from ocrframe._inputs import parse_pages

            pages = parse_pages(spec, max_pages=engine.config.max_pages) if spec else None
        except PageRangeError as exc:
            raise _BadRequest(400, f"legalPageNumbers is not valid: {exc.message}") from exc
        asynchronous = fields.get("isAsynchronous", "0").strip() or "0"
        if asynchronous not in ("0", "1"):
            raise _BadRequest(400, "isAsynchronous must be '0' or '1'")
    except _BadRequest as exc:
        return _docai_error(exc.code, exc.message, started=started)

    sha = await _off_loop_if_large(lambda: hashlib.sha256(content).hexdigest(), len(content))
    entry = _entry(request)
    entry.sha256 = sha
    fault, answer = await _fault_then_latency(
        request, sha, DOCAI_SUBMIT_KINDS, capsolver=False, started=started
    )
    if answer is not None:
        return answer

    job = engine.new_job(sha, model)
    dpi = engine.config.dpi

    def work() -> _Recognised:
        return _recognise(content, model, pages, dpi)

    if fault == "status_0":
        job.status, job.fail_reason = "0", "recognition failed (injected fault)"
        engine.jobs.settle(job.file_id)
        return _docai(_job_data(job), started=started)
    if asynchronous == "1" or fault == "status_2":
        # Collected by identifyResult: cancelled when nobody asks for it for a while.
        idle = engine.config.unpolled_timeout_s
        job.token = StopToken(
            idle_s=idle, idle_reason=f"not polled by identifyResult for {idle:g} s"
        )
        queued = engine.pool.submit(work, token=job.token, pause_s=_slow_work_s(request, fault))
        queued.future.add_done_callback(lambda f: _finish_job(engine, job, _outcome(f)))
        return _docai({"fileId": job.file_id, "recognizeStatus": "2"}, started=started)
    outcome: _Recognised | Exception
    try:
        outcome = await _for_client(request, work, fault)
    except (_ClientGone, asyncio.CancelledError) as exc:
        _finish_job(engine, job, Abandoned("the client disconnected before the answer"))
        if isinstance(exc, asyncio.CancelledError):
            raise  # in-process: the caller's own cancellation goes on
        return _gone_answer()
    except Exception as exc:  # recorded on the job, answered below
        outcome = exc
    _finish_job(engine, job, outcome)
    if isinstance(outcome, Exception) and not isinstance(outcome, InputFileError):
        return _docai_error(500, "Internal error during recognition", started=started)
    return _docai(_job_data(job), started=started)


async def identify_by_encode_string(request: Request) -> Response:
    """DocAI identifyByEncodeString: the file as base64 in a form field."""
    return await _identify(request, upload=False)


async def identify_upload(request: Request) -> Response:
    """DocAI identify: the file as a multipart upload."""
    return await _identify(request, upload=True)


async def identify_result(request: Request) -> Response:
    """DocAI identifyResult: the state (and result) of earlier submissions."""
    started = time.perf_counter()
    engine = _engine(request)
    if (denied := _docai_auth(request, started)) is not None:
        return denied
    try:
        body = json.loads(await request.body())
    except (ValueError, UnicodeDecodeError):
        return _docai_error(400, "the request body is not valid JSON", started=started)
    ids = body.get("fileIdList") if isinstance(body, dict) else None
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
        return _docai_error(400, "fileIdList must be a non-empty list of fileIds", started=started)
    model = body.get("modelId")
    if model is not None and str(model) not in _MODEL_IDS:
        return _docai_error(404, f"model {model!r} does not exist or is not yours", started=started)
    want_ocr = str(body.get("returnOcrResult", "0")).lower() in ("1", "true")
    jobs = [engine.jobs.get(i) for i in ids]
    for job in jobs:
        if job is not None and job.token is not None:
            job.token.touch()  # asked for: still wanted
    key = ",".join(sorted(j.sha256 if j else f"id:{i}" for i, j in zip(ids, jobs, strict=True)))
    fault, answer = await _fault_then_latency(
        request, key, DOCAI_RESULT_KINDS, capsolver=False, started=started
    )
    if answer is not None:
        return answer
    data: list[dict[str, Any]] = []
    for file_id, job in zip(ids, jobs, strict=True):
        if job is None:
            data.append(
                {
                    "fileId": file_id,
                    "recognizeStatus": "0",
                    "result": None,
                    "failReason": engine.jobs.why_gone(file_id) or "unknown fileId",
                }
            )
        elif fault == "status_2":
            data.append({"fileId": file_id, "recognizeStatus": "2", "result": None})
        else:
            data.append(_job_data(job, ocr=want_ocr))
    return _docai(data, started=started)


async def list_models(request: Request) -> Response:
    """DocAI listCreateByMeModels: the models this engine serves."""
    started = time.perf_counter()
    if (denied := _docai_auth(request, started)) is not None:
        return denied
    _, answer = await _fault_then_latency(
        request, "", DOCAI_LIST_KINDS, capsolver=False, started=started
    )
    if answer is not None:
        return answer
    return _docai([dict(m) for m in DOCAI_MODELS], started=started)


# --------------------------------------------------------------------------------------------
# CapSolver


async def _capsolver_body(request: Request) -> dict[str, Any] | Response:
    try:
        body = json.loads(await request.body())
    except (ValueError, UnicodeDecodeError):
        return _cap_error("ERROR_BAD_REQUEST", "the request body is not valid JSON")
    if not isinstance(body, dict):
        return _cap_error("ERROR_BAD_REQUEST", "the request body must be a JSON object")
    key = _engine(request).config.capsolver_key
    if key:
        given = body.get("clientKey")
        if not isinstance(given, str) or not hmac.compare_digest(given.encode(), key.encode()):
            return _cap_error("ERROR_KEY_DENIED_ACCESS", "clientKey is not valid", status=401)
    return body


def _task_fields(
    task: Any,
) -> tuple[bytes, str | None, float | None, bool | None] | Response:
    if not isinstance(task, dict):
        return _cap_error("ERROR_INVALID_TASK_DATA", "task must be an object")
    if task.get("type") != "ImageToTextTask":
        return _cap_error(
            "ERROR_TASK_NOT_SUPPORTED",
            f"task type {task.get('type')!r} is not supported: use ImageToTextTask",
        )
    body = task.get("body")
    if not isinstance(body, str) or not body:
        return _cap_error("ERROR_INVALID_TASK_DATA", "task.body (base64 image) is required")
    if body.startswith("data:"):
        return _cap_error(
            "ERROR_INVALID_TASK_DATA",
            "task.body must be plain base64 without a 'data:image/...;base64,' prefix",
        )
    try:
        content = base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        return _cap_error("ERROR_INVALID_TASK_DATA", "task.body is not valid base64")
    module = task.get("module")
    if module is not None and not isinstance(module, str):
        return _cap_error("ERROR_INVALID_TASK_DATA", "task.module must be a string")
    score = task.get("score")
    if score is not None and (
        isinstance(score, bool) or not isinstance(score, int | float) or not 0 <= score <= 1
    ):
        return _cap_error("ERROR_INVALID_TASK_DATA", "task.score must be a number from 0 to 1")
    case = task.get("case")
    if case is not None and not isinstance(case, bool):
        return _cap_error("ERROR_INVALID_TASK_DATA", "task.case must be true or false")
    return content, module, None if score is None else float(score), case


async def create_task(request: Request) -> Response:
    """CapSolver createTask: ImageToTextTask answered at once (status "ready")."""
    started = time.perf_counter()
    engine = _engine(request)
    body = await _capsolver_body(request)
    if isinstance(body, Response):
        return body
    fields = _task_fields(body.get("task"))
    if isinstance(fields, Response):
        return fields
    content, module, score, case = fields
    sha = hashlib.sha256(content).hexdigest()
    _entry(request).sha256 = sha
    fault, answer = await _fault_then_latency(
        request, sha, CAPSOLVER_TASK_KINDS, capsolver=True, started=started
    )
    if answer is not None:
        return answer

    from ocrframe.engine.text import TaskDataError, image_to_text

    try:
        text, confidence = await _for_client(
            request, lambda: image_to_text(content, module=module, case=case), fault
        )
    except _ClientGone:
        return _gone_answer()
    except TaskDataError as exc:
        return _cap_error(exc.code, exc.description)
    if not text or (score is not None and confidence < score):
        return _cap_error(
            "ERROR_CAPTCHA_UNSOLVABLE",
            "the image could not be read with the required confidence",
        )
    task_id = str(uuid.uuid4())
    ready = _cap_ok(status="ready", solution={"text": text}, taskId=task_id)
    engine.tasks.put(task_id, ready, settled=True)
    return JSONResponse(ready)


async def get_task_result(request: Request) -> Response:
    """CapSolver getTaskResult: the answer of an earlier createTask."""
    started = time.perf_counter()
    engine = _engine(request)
    body = await _capsolver_body(request)
    if isinstance(body, Response):
        return body
    task_id = body.get("taskId")
    _, answer = await _fault_then_latency(
        request, str(task_id), CAPSOLVER_KINDS, capsolver=True, started=started
    )
    if answer is not None:
        return answer
    stored = engine.tasks.get(task_id) if isinstance(task_id, str) else None
    if stored is None:
        why = engine.tasks.why_gone(task_id) if isinstance(task_id, str) else None
        return _cap_error(
            "ERROR_TASKID_INVALID", f"taskId does not exist{f' ({why})' if why else ''}"
        )
    return JSONResponse(stored)


async def get_balance(request: Request) -> Response:
    """CapSolver getBalance: the engine is free, so the balance never runs out."""
    started = time.perf_counter()
    body = await _capsolver_body(request)
    if isinstance(body, Response):
        return body
    _, answer = await _fault_then_latency(
        request, "", CAPSOLVER_KINDS, capsolver=True, started=started
    )
    if answer is not None:
        return answer
    return JSONResponse(_cap_ok(balance=_CAPSOLVER_BALANCE, packages=[]))


# --------------------------------------------------------------------------------------------
# The engine's own endpoints


async def request_log(request: Request) -> Response:
    """The log of API requests: time, path, sha256 of the decoded file, HTTP status, fault."""
    engine = _engine(request)
    with engine.lock:
        entries = [e.as_dict() for e in engine.log]
    return JSONResponse({"requests": entries})


async def clear_request_log(request: Request) -> Response:
    """Empty the request log."""
    engine = _engine(request)
    with engine.lock:
        engine.log.clear()
    return JSONResponse({"cleared": True})


def _work_state(engine: _Engine) -> dict[str, Any]:
    return {
        **engine.pool.counts(),
        "expired": engine.jobs.expired + engine.tasks.expired,
        "kept": len(engine.jobs) + len(engine.tasks),
    }


async def work_counts(request: Request) -> Response:
    """What became of the recognition work: submitted, started, finished, dropped (never
    started, its requester gone), stopped (abandoned at a checkpoint); results expired, kept."""
    return JSONResponse(_work_state(_engine(request)))


async def wait_for_work(request: Request) -> Response:
    """Wait until work counters reach values: ``{"at_least": {"dropped": 3}, "timeout_s": 30}``
    answers ``{"reached": bool, "counts": {...}}`` as soon as they are reached, or at the
    timeout (at most 300 s). For tests and benchmarks: an event to wait on, not a sleep."""
    engine = _engine(request)
    try:
        body = json.loads(await request.body())
        wanted = {str(k): int(v) for k, v in dict(body["at_least"]).items()}
        timeout_s = min(float(body.get("timeout_s", 30)), 300.0)
    except (ValueError, TypeError, KeyError) as exc:
        return JSONResponse({"error": f"bad wait request: {exc}"}, status_code=400)
    reached = await engine.pool.wait_for(wanted, timeout_s)
    return JSONResponse({"reached": reached, "counts": _work_state(engine)})


# --------------------------------------------------------------------------------------------
# The outer ASGI layer: body cap, request log, the raw connection for resets


class _EngineASGI:
    """Wraps the Starlette app; sees uvicorn's own ``send`` (and so its transport)."""

    def __init__(self, app: Starlette, engine: _Engine) -> None:
        self.app = app
        self.engine = engine
        self.state = app.state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path.startswith("/_engine/"):
            await self._answer(scope, receive, send, path, None)
            return
        entry = self.engine.log_start(path)
        try:
            await self._answer(scope, receive, send, path, entry)
        finally:
            self.engine.log_end(entry)

    async def _answer(
        self, scope: Scope, receive: Receive, send: Send, path: str, entry: _LogEntry | None
    ) -> None:
        scope["ocrframe.entry"] = entry
        watches: list[asyncio.Future[None]] = []
        scope["ocrframe.watch"] = watches
        try:
            await self._guarded(scope, receive, send, path, entry)
        finally:
            for watch in watches:  # the request is over: stop listening for its client
                watch.cancel()

    async def _guarded(
        self, scope: Scope, receive: Receive, send: Send, path: str, entry: _LogEntry | None
    ) -> None:
        # uvicorn passes the bound method RequestResponseCycle.send; its transport lets a reset
        # fault drop the connection without an answer. None in-process.
        cycle = getattr(send, "__self__", None)
        scope["ocrframe.transport"] = getattr(cycle, "transport", None)

        async def logged_send(message: Message) -> None:
            started = message["type"] == "http.response.start"
            if entry is not None and started and not entry.aborted:
                entry.status = int(message["status"])
            await send(message)

        config = self.engine.config
        # The key is checked before any of the body is read, and a body declared over the cap is
        # refused before it is read: the answer goes out at once, and uvicorn drops what the
        # client still sends (the connection's header deadline bounds how long it may go on).
        early = _denied_before_body(path, scope, config)
        declared = _content_length(scope)
        if early is None and declared is not None and declared > config.max_body_bytes:
            early = _too_large(path, config.max_body_bytes)
        if early is not None:
            await early(scope, receive, logged_send)
            return
        reader = _BodyReader(
            receive,
            config.max_body_bytes,
            capsolver_key=config.capsolver_key if _is_capsolver(path) else None,
        )
        try:
            async with asyncio.timeout(config.body_timeout_s):
                await reader.read()
        except TimeoutError:
            late = _body_timeout(path, config.body_timeout_s)
            late.headers["connection"] = "close"
            await late(scope, receive, logged_send)
            return
        if reader.key_refused:
            refused = _cap_error("ERROR_KEY_DENIED_ACCESS", "clientKey is not valid", status=401)
            await refused(scope, receive, logged_send)
            return
        if reader.too_big:
            await _too_large(path, config.max_body_bytes)(scope, receive, logged_send)
            return
        body = reader.body()
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, logged_send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _header(scope: Scope, wanted: bytes) -> str:
    for name, value in scope.get("headers", []):
        if name == wanted:
            return bytes(value).decode("latin-1")
    return ""


def _bearer_matches(scope: Scope, keys: tuple[str | None, ...]) -> bool:
    scheme, _, token = _header(scope, b"authorization").partition(" ")
    if scheme.lower() != "bearer":
        return False
    given = token.strip().encode("utf-8", "surrogateescape")
    # Every key is compared (no early exit), each in constant time.
    matches = [hmac.compare_digest(given, k.encode()) for k in keys if k]
    return any(matches)


def _denied_before_body(path: str, scope: Scope, config: EngineConfig) -> Response | None:
    """The 401 owed from the headers alone, or None (CapSolver's key is in the body)."""
    if path.startswith("/_engine/"):
        # The request log names every file's hash and timing: as private as the API itself.
        keys = (config.docai_key, config.capsolver_key)
        if any(keys) and not _bearer_matches(scope, keys):
            return JSONResponse(
                {"error": "the engine's own endpoints need a configured key (Bearer)"},
                status_code=401,
            )
        return None
    if _is_capsolver(path) or not config.docai_key:
        return None
    if _bearer_matches(scope, (config.docai_key,)):
        return None
    return _docai_error(
        401, "Unauthorized: the API key is missing or not valid", started=time.perf_counter()
    )


def _body_timeout(path: str, seconds: float) -> Response:
    text = f"the request body did not arrive within {seconds:g} s"
    if _is_capsolver(path):
        return _cap_error("ERROR_BAD_REQUEST", text, status=408)
    return _docai_error(408, text, started=time.perf_counter())


_CLIENT_KEY = re.compile(rb'"clientKey"\s*:\s*("(?:[^"\\]|\\.)*")')
_KEY_PREFIX = 64 * 1024


class _BodyReader:
    """Reads a request body, stopping as soon as it is over the cap or carries a wrong key.

    With ``capsolver_key`` set, the ``clientKey`` is looked for in the first 64 KB (clients put
    it first, before the image): a wrong one stops the reading there. A body whose first 64 KB
    hold no clientKey is read on, and the handler checks the key in the parsed JSON.
    """

    def __init__(self, receive: Receive, limit: int, *, capsolver_key: str | None) -> None:
        self.receive = receive
        self.limit = limit
        self.capsolver_key = capsolver_key
        self.too_big = False
        self.key_refused = False
        self.chunks: list[bytes] = []
        self.size = 0

    async def read(self) -> None:
        checked = self.capsolver_key is None
        while True:
            message = await self.receive()
            if message["type"] != "http.request":
                return
            chunk = message.get("body", b"")
            self.size += len(chunk)
            if self.size > self.limit:
                self.too_big = True
                self.chunks.clear()
                return
            self.chunks.append(chunk)
            more = message.get("more_body", False)
            if not checked and (self.size >= _KEY_PREFIX or not more):
                checked = True
                if self._wrong_key(b"".join(self.chunks)[:_KEY_PREFIX]):
                    self.key_refused = True
                    self.chunks.clear()
                    return
            if not more:
                return

    def _wrong_key(self, prefix: bytes) -> bool:
        match = _CLIENT_KEY.search(prefix)
        if match is None or self.capsolver_key is None:
            return False
        try:
            given = json.loads(match.group(1))
        except ValueError:
            return False
        return not isinstance(given, str) or not hmac.compare_digest(
            given.encode("utf-8", "surrogateescape"), self.capsolver_key.encode()
        )

    def body(self) -> bytes:
        return b"".join(self.chunks)


def _too_large(path: str, limit: int) -> Response:
    text = f"the request body is larger than the limit of {limit} bytes"
    if _is_capsolver(path):
        return _cap_error("ERROR_BAD_REQUEST", text, status=413)
    return _docai_error(413, text, started=time.perf_counter())


# --------------------------------------------------------------------------------------------
# Public entry points


def create_app(config: EngineConfig | None = None) -> ASGIApp:
    """Build the engine's ASGI app (both services' paths) for ``config``.

    >>> import httpx
    >>> app = create_app(EngineConfig(latency_ms=5))
    >>> client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=ENGINE_BASE_URL)
    """
    config = config or EngineConfig()
    if config.ocr_workers is not None:
        from ocrframe.engine import ocr

        ocr.set_workers(config.ocr_workers)
    engine = _Engine(config)
    routes = [
        Route(DOCAI_PATHS["by_base64"], identify_by_encode_string, methods=["POST"]),
        Route(DOCAI_PATHS["upload"], identify_upload, methods=["POST"]),
        Route(DOCAI_PATHS["result"], identify_result, methods=["POST"]),
        Route(DOCAI_PATHS["models"], list_models, methods=["GET", "POST"]),
        Route(CAPSOLVER_PATHS["create"], create_task, methods=["POST"]),
        Route(CAPSOLVER_PATHS["result"], get_task_result, methods=["POST"]),
        Route(CAPSOLVER_PATHS["balance"], get_balance, methods=["POST"]),
        Route("/_engine/requests", request_log, methods=["GET"]),
        Route("/_engine/requests/clear", clear_request_log, methods=["POST"]),
        Route("/_engine/work", work_counts, methods=["GET"]),
        Route("/_engine/work/wait", wait_for_work, methods=["POST"]),
    ]
    app = Starlette(routes=routes)
    app.state.engine = engine
    return _EngineASGI(app, engine)


_shared_lock = threading.Lock()
_shared_app: ASGIApp | None = None


def embedded_transport(config: EngineConfig | None = None) -> httpx.AsyncBaseTransport:
    """An in-process transport to the engine (no socket): use with ``base_url=ENGINE_BASE_URL``.

    Without ``config`` every call shares one process-wide app (created on first use, so models
    and results are shared); with ``config`` a new app is made for it.

    >>> import httpx
    >>> client = httpx.AsyncClient(transport=embedded_transport(), base_url=ENGINE_BASE_URL)
    """
    global _shared_app
    if config is not None:
        return httpx.ASGITransport(app=create_app(config))
    with _shared_lock:
        if _shared_app is None:
            _shared_app = create_app()
        app = _shared_app
    return httpx.ASGITransport(app=app)


def preload(default_workers: int | None = None) -> list[concurrent.futures.Future[Any]]:
    """Load the OCR engines of this process now, in the background (see
    :func:`ocrframe.engine.ocr.preload`): a Dask worker does so when it starts, before its first
    partition arrives."""
    from ocrframe.engine import ocr

    return ocr.preload(default_workers)


def _url(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


def _connection_cap(wanted: int) -> int:
    """``wanted``, lowered to what the process's open-file limit allows (raised first if it can)."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and (hard == resource.RLIM_INFINITY or soft < hard):
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
        except (ValueError, OSError):
            pass
    if soft == resource.RLIM_INFINITY:
        return wanted
    # Room for the recognition pool's files, the listening socket and the interpreter's own.
    return max(1, min(wanted, int(soft) - 64))


def _guarded_protocol(max_connections: int, header_timeout_s: float) -> type[asyncio.Protocol]:
    """uvicorn's h11 protocol with a connection cap and a deadline for each request's headers.

    uvicorn closes an idle kept-alive connection, but not one that sends nothing (or one byte a
    second) from the start, and it accepts connections until the process runs out of file
    descriptors. Here a connection must deliver each request's headers within
    ``header_timeout_s`` (counted from the connection's start or the previous answer's end), and
    past ``max_connections`` the longest-idle connection is closed to make room; when none is
    idle, the newcomer is.
    """
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class GuardedH11Protocol(H11Protocol):
        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._idle_since = time.monotonic()
            self._header_timer: asyncio.TimerHandle | None = None
            self._arm_header_deadline()
            if len(self.connections) > max_connections:
                self._make_room()

        def _busy(self) -> bool:
            return self.cycle is not None and not self.cycle.response_complete

        def _make_room(self) -> None:
            idle = [
                c
                for c in self.connections
                if isinstance(c, GuardedH11Protocol) and c is not self and not c._busy()
            ]
            victim = min(idle, key=lambda c: c._idle_since) if idle else self
            victim.transport.close()
            self.connections.discard(victim)

        def _arm_header_deadline(self) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
            armed_for = self.cycle
            self._header_timer = self.loop.call_later(
                header_timeout_s, self._header_deadline, armed_for
            )

        def _header_deadline(self, armed_for: object) -> None:
            self._header_timer = None
            # Still the cycle that was current when the deadline was armed: no new request's
            # headers arrived in time.
            if self.cycle is armed_for and not self._busy() and not self.transport.is_closing():
                self.transport.close()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self._idle_since = time.monotonic()
            if not self.transport.is_closing():
                self._arm_header_deadline()

        def connection_lost(self, exc: Exception | None) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
                self._header_timer = None
            super().connection_lost(exc)

    return GuardedH11Protocol


def serve(
    config: EngineConfig | None = None,
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    on_listening: Callable[[str], None] | None = None,
    startup_timeout_s: float = 60.0,
) -> None:
    """Serve the engine with uvicorn until interrupted; blocking.

    ``on_listening(url)`` is called once the socket accepts connections, with the real port
    (useful with ``port=0``).

    >>> serve(EngineConfig(), port=0, on_listening=print)  # doctest: +SKIP
    """
    import uvicorn

    from ocrframe.engine import ocr

    config = config or EngineConfig()
    app = create_app(config)
    ocr.workers()  # a bad OCRFRAME_OCR_WORKERS stops the server now, not at its first page
    ocr.line_width()  # so does a bad OCRFRAME_OCR_LINE_WIDTH
    max_connections = _connection_cap(config.max_connections)
    uv_config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="off",
        # A timeout fault sleeps for minutes; shutting down must not wait for it.
        timeout_graceful_shutdown=2,
        http=_guarded_protocol(max_connections, config.header_timeout_s),
        backlog=min(2048, max_connections),
    )
    server = uvicorn.Server(uv_config)

    async def run() -> None:
        task = asyncio.create_task(server.serve())
        deadline = time.monotonic() + startup_timeout_s
        # uvicorn offers no "started" event to wait on, only the flag.
        while not server.started and not task.done() and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.01)
        if server.started and on_listening is not None:
            sockets = [s for srv in server.servers for s in (srv.sockets or ())]
            real_port = sockets[0].getsockname()[1] if sockets else port
            on_listening(_url(host, real_port))
        await task

    asyncio.run(run())
