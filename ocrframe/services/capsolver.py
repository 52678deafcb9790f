"""CapSolver's wire format: ImageToTextTask, getTaskResult polling, getBalance, typed errors.

Endpoints (all under the base URL, ``https://api.capsolver.com`` unless configured), JSON bodies
carrying ``clientKey``:

- ``POST /createTask`` with ``{"type": "ImageToTextTask", "body": BASE64, "module", "score",
  "case"}``  ->  :meth:`AsyncCapSolverClient.image_to_text`. The answer is normally ``ready``
  at once; a ``processing`` answer is followed by ``POST /getTaskResult`` polling
  (``{"clientKey", "taskId"}``), bounded by ``poll_timeout``.
- ``POST /getBalance``  ->  :meth:`AsyncCapSolverClient.get_balance`.

HTTP 200 with ``errorId`` 0 is success; otherwise ``errorCode`` picks the error class from
:data:`ERROR_CLASSES` (plain data, see :func:`classify_answer`).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import math
import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, ClassVar

import httpx

from ocrframe.errors import (
    AuthenticationError,
    ConfigurationError,
    FileRejectedError,
    InputFileError,
    InsufficientBalanceError,
    RetryableServiceError,
    RunAbortedError,
    ServiceError,
)
from ocrframe.services._http import (
    Reply,
    ServiceClientBase,
    ShapeChecker,
    SyncClientBase,
    blocking,
    classify_http_status,
    decode_reply,
    describe,
    snippet,
)

__all__ = [
    "DEFAULT_BASE_URL",
    "ERROR_CLASSES",
    "AsyncCapSolverClient",
    "CapSolverClient",
    "classify_answer",
    "classify_error_code",
    "normalise_image_body",
]

SERVICE = "capsolver"
DEFAULT_BASE_URL = "https://api.capsolver.com"
CREATE_TASK_PATH = "/createTask"
GET_TASK_RESULT_PATH = "/getTaskResult"
GET_BALANCE_PATH = "/getBalance"
TASK_TYPE = "ImageToTextTask"
MIN_SCORE, MAX_SCORE = 0.8, 1.0

#: Every documented ``errorCode`` and the error class it means. Codes not listed here are
#: treated as :class:`FileRejectedError` and keep their text.
ERROR_CLASSES: Mapping[str, type[ServiceError]] = MappingProxyType(
    {
        # Worth another try (CAPTCHA_UNSOLVABLE is not charged).
        "ERROR_SERVICE_UNAVALIABLE": RetryableServiceError,  # sic, as documented
        "ERROR_SERVICE_UNAVAILABLE": RetryableServiceError,
        "ERROR_RATE_LIMIT": RetryableServiceError,
        "ERROR_CAPTCHA_UNSOLVABLE": RetryableServiceError,
        "ERROR_TASK_TIMEOUT": RetryableServiceError,
        # This file's request is refused for good.
        "ERROR_INVALID_IMAGE": FileRejectedError,
        "ERROR_PARSE_IMAGE_FAIL": FileRejectedError,
        "ERROR_INVALID_TASK_DATA": FileRejectedError,
        "ERROR_BAD_REQUEST": FileRejectedError,
        "ERROR_TASKID_INVALID": FileRejectedError,
        "ERROR_TASK_NOT_SUPPORTED": FileRejectedError,
        "ERROR_UNKNOWN_QUESTION": FileRejectedError,
        "ERROR_PROXY_BANNED": FileRejectedError,
        "ERROR_SETTLEMENT_FAILED": FileRejectedError,
        # No further request can succeed: stop the run.
        "ERROR_KEY_DENIED_ACCESS": AuthenticationError,
        "ERROR_KEY_TEMP_BLOCKED": AuthenticationError,
        "ERROR_ZERO_BALANCE": InsufficientBalanceError,
        "ERROR_IP_BANNED": RunAbortedError,
    }
)

# Magic bytes of the image kinds a caller may hand over raw (as opposed to base64 text).
_IMAGE_MAGIC = (
    b"\x89PNG",
    b"\xff\xd8\xff",
    b"GIF8",
    b"BM",
    b"II*\x00",
    b"MM\x00*",
    b"RIFF",
    b"\x00\x00\x01\x00",
)
_DATA_URL = re.compile(rb"^\s*data:[^,]*?;base64,", re.IGNORECASE)
_WHITESPACE = re.compile(rb"\s+")


# --------------------------------------------------------------------------- pure functions


def classify_error_code(code: str) -> type[ServiceError]:
    """The error class for a CapSolver ``errorCode``; unknown codes refuse the file.

    >>> classify_error_code("ERROR_RATE_LIMIT").__name__
    'RetryableServiceError'
    >>> classify_error_code("ERROR_SOMETHING_NEW").__name__
    'FileRejectedError'
    """
    return ERROR_CLASSES.get(code.strip().upper(), FileRejectedError)


def classify_answer(error_code: str | None, http_status: int) -> type[ServiceError]:
    """The error class for a failed answer from its ``errorCode`` (if any) and HTTP status.

    HTTP 401 always means the key; a documented code decides otherwise; an unknown or missing
    code on HTTP 429/5xx is transient; any other unknown code refuses the file.

    >>> classify_answer("ERROR_ZERO_BALANCE", 400).__name__
    'InsufficientBalanceError'
    >>> classify_answer(None, 503).__name__, classify_answer("ERROR_NEW", 400).__name__
    ('RetryableServiceError', 'FileRejectedError')
    >>> classify_answer("ERROR_INVALID_IMAGE", 401).__name__
    'AuthenticationError'
    """
    by_http = classify_http_status(http_status)
    if by_http is AuthenticationError and http_status == 401:
        return AuthenticationError
    if error_code and error_code.strip().upper() in ERROR_CLASSES:
        return ERROR_CLASSES[error_code.strip().upper()]
    if by_http is not None and by_http is not FileRejectedError:
        return by_http
    return FileRejectedError


def normalise_image_body(image: bytes | bytearray | str, *, source: str | None = None) -> str:
    """The ``body`` of an ImageToTextTask: base64 text, no line breaks, no ``data:`` prefix.

    Accepts raw image bytes, base64 text (str or bytes, line breaks allowed) or a data URL.

    >>> normalise_image_body(b"\\x89PNG\\r\\n")
    'iVBORw0K'
    >>> normalise_image_body("data:image/png;base64,iVBO\\nRw0K")
    'iVBORw0K'
    """
    raw = image.encode("ascii", errors="replace") if isinstance(image, str) else bytes(image)
    if not raw.strip():
        raise InputFileError("the image is empty", code="empty", source=source)
    text_given = isinstance(image, str)
    if not text_given and raw.startswith(_IMAGE_MAGIC):
        return base64.b64encode(raw).decode("ascii")
    prefix = _DATA_URL.match(raw)
    if prefix:
        raw, text_given = raw[prefix.end() :], True
    compact = _WHITESPACE.sub(b"", raw)
    try:
        decoded = base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        decoded = b""
    if decoded:
        return compact.decode("ascii")
    if text_given:
        raise ConfigurationError(
            "the image text is neither base64 nor a base64 data: URL", source=source
        )
    # Bytes of an image kind we do not recognise: send them as they are, encoded.
    return base64.b64encode(raw).decode("ascii")


def _check_score(score: float | None) -> None:
    if score is None:
        return
    if isinstance(score, bool) or not isinstance(score, int | float):
        raise ConfigurationError(f"score must be a number between 0.8 and 1, not {score!r}")
    if not (math.isfinite(score) and MIN_SCORE <= score <= MAX_SCORE):
        raise ConfigurationError(f"score must lie between 0.8 and 1, not {score!r}")


def _check_error(reply: Reply, *, source: str | None) -> dict[str, Any]:
    """Decode the answer and raise the typed error if it (or the HTTP status) says error."""
    http_error, decoded = decode_reply(reply, service=SERVICE, source=source)
    answer = decoded if isinstance(decoded, dict) else None
    error_id = answer.get("errorId") if answer is not None else None
    error_code = answer.get("errorCode") if answer is not None else None
    has_error_id = isinstance(error_id, int) and not isinstance(error_id, bool)
    failed = http_error is not None or (has_error_id and error_id != 0)
    if failed:
        code = error_code.strip() if isinstance(error_code, str) and error_code.strip() else None
        description = answer.get("errorDescription") if answer is not None else None
        if isinstance(description, str) and description:
            message = description
        elif code is None:
            message = f"HTTP {reply.status}; body starts {snippet(reply.body)}"
        else:
            message = "(no description)"
        task_id = answer.get("taskId") if answer is not None else None
        raise classify_answer(code, reply.status)(
            message,
            service=SERVICE,
            code=code or (f"HTTP_{reply.status}" if http_error else f"errorId={error_id}"),
            request_id=task_id if isinstance(task_id, str) else None,
            http_status=reply.status,
            retry_after=reply.retry_after,
            source=source,
        )
    check = ShapeChecker(SERVICE, http_status=reply.status, source=source)
    answer = check.object_at(decoded, "response body")
    check.present(answer, "errorId", "")
    if not has_error_id:
        raise check.fail(f"errorId is {describe(error_id)}, expected an integer")
    return answer


def _check_task(reply: Reply, *, source: str | None, task_id: str | None = None) -> dict[str, Any]:
    """Check a createTask/getTaskResult answer: ``ready`` with a solution, or still working."""
    answer = _check_error(reply, source=source)
    check = ShapeChecker(SERVICE, http_status=reply.status, source=source)
    check.request_id_from(answer, "taskId")
    status = check.string(answer, "status", "")
    if status == "ready":
        solution = check.object_at(check.present(answer, "solution", ""), "solution")
        if "text" in solution or "answers" not in solution:
            check.string(solution, "text", "solution")
        else:
            check.list_at(solution["answers"], "solution.answers")
    elif status in ("processing", "idle"):
        if task_id is None:
            check.string(answer, "taskId", "")
    elif status == "failed":
        raise FileRejectedError(
            "the task failed without an errorCode",
            service=SERVICE,
            code="TASK_FAILED",
            request_id=check.request_id or task_id,
            http_status=reply.status,
            source=source,
        )
    else:
        raise check.fail(f"status is {status!r}, expected 'ready', 'processing' or 'idle'")
    return answer


# --------------------------------------------------------------------------- the clients


class AsyncCapSolverClient(ServiceClientBase):
    """Async CapSolver client for ImageToTextTask; each method returns the answer as received.

    ``api_key`` None reads ``CAPSOLVER_API_KEY``; ``base_url`` None reads ``CAPSOLVER_API_BASE``,
    else ``https://api.capsolver.com``. With no key, no base URL and no transport it talks to the
    embedded offline engine in-process (``uses_embedded_engine``). Retrying is the caller's
    business; only a ``processing`` task is polled, for at most ``poll_timeout`` seconds.
    Limits as for :class:`~ocrframe.services.docai.AsyncDocAIClient`: ``timeout`` per whole
    request, ``max_answer_bytes``, ``max_json_depth``.

    >>> import asyncio, httpx
    >>> def handler(request):
    ...     return httpx.Response(200, json={"errorId": 0, "balance": 1.5})
    >>> async def main():
    ...     async with AsyncCapSolverClient("k3y-x", transport=httpx.MockTransport(handler)) as c:
    ...         return await c.get_balance()
    >>> asyncio.run(main())
    {'errorId': 0, 'balance': 1.5}
    """

    service: ClassVar[str] = SERVICE
    display_name: ClassVar[str] = "CapSolver"
    key_env: ClassVar[str] = "CAPSOLVER_API_KEY"
    url_env: ClassVar[str] = "CAPSOLVER_API_BASE"
    default_url: ClassVar[str] = DEFAULT_BASE_URL

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 60.0,
        max_connections: int = 64,
        max_answer_bytes: int | None = None,
        max_json_depth: int | None = None,
        poll_interval: float = 1.0,
        poll_timeout: float = 120.0,
    ) -> None:
        if not (math.isfinite(poll_interval) and poll_interval >= 0):
            raise ConfigurationError(f"poll_interval must be >= 0 seconds, not {poll_interval!r}")
        if not (math.isfinite(poll_timeout) and poll_timeout > 0):
            raise ConfigurationError(f"poll_timeout must be > 0 seconds, not {poll_timeout!r}")
        super().__init__(
            api_key,
            base_url=base_url,
            transport=transport,
            timeout=timeout,
            max_connections=max_connections,
            max_answer_bytes=max_answer_bytes,
            max_json_depth=max_json_depth,
        )
        self.poll_interval = poll_interval
        self.poll_timeout = poll_timeout

    async def image_to_text(
        self,
        image: bytes | str,
        *,
        module: str | None = None,
        score: float | None = None,
        case: bool | None = None,
        source: str | None = None,
    ) -> dict[str, Any]:
        """Read the text of one image (createTask, ImageToTextTask); return the final answer.

        ``image`` is the raw image, base64 text or a ``data:`` URL; it is sent as base64 without
        line breaks or prefix. ``score`` must lie in 0.8..1 and ``module`` be a non-empty string
        (``common``, ``queueit``, ...); both are checked before anything is sent. The answer
        is ``{"errorId": 0, "status": "ready", "solution": {"text": ...}, "taskId": ...}``; a
        ``processing`` answer is polled with getTaskResult and the ready answer returned.
        """
        _check_score(score)
        if module is not None and (not isinstance(module, str) or not module.strip()):
            raise ConfigurationError(f"module must be a non-empty string, not {module!r}")
        if case is not None and not isinstance(case, bool):
            raise ConfigurationError(f"case must be True or False, not {case!r}")
        task: dict[str, Any] = {
            "type": TASK_TYPE,
            "body": normalise_image_body(image, source=source),
        }
        if module is not None:
            task["module"] = module
        if score is not None:
            task["score"] = score
        if case is not None:
            task["case"] = case
        body = {"clientKey": self._api_key or "", "task": task}
        reply = await self._send("POST", CREATE_TASK_PATH, json_body=body, source=source)
        answer = _check_task(reply, source=source)
        if answer["status"] == "ready":
            return answer
        return await self._poll(answer["taskId"], source=source)

    async def _poll(self, task_id: str, *, source: str | None) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.poll_timeout
        # Bounded by count as well as time, so a zero interval cannot spin for poll_timeout.
        max_polls = (
            math.ceil(self.poll_timeout / self.poll_interval) + 1 if self.poll_interval else 100
        )
        for _ in range(max_polls):
            await asyncio.sleep(self.poll_interval)
            body = {"clientKey": self._api_key or "", "taskId": task_id}
            reply = await self._send("POST", GET_TASK_RESULT_PATH, json_body=body, source=source)
            answer = _check_task(reply, source=source, task_id=task_id)
            if answer["status"] == "ready":
                return answer
            if loop.time() >= deadline:
                break
        raise RetryableServiceError(
            f"task still processing after {self.poll_timeout:g} s of polling",
            service=SERVICE,
            code="POLL_TIMEOUT",
            request_id=task_id,
            source=source,
        )

    async def get_balance(self) -> dict[str, Any]:
        """The account's balance (getBalance): ``{"errorId": 0, "balance": 1.5, ...}``."""
        reply = await self._send(
            "POST", GET_BALANCE_PATH, json_body={"clientKey": self._api_key or ""}, source=None
        )
        answer = _check_error(reply, source=None)
        balance = answer.get("balance")
        if isinstance(balance, bool) or not isinstance(balance, int | float):
            check = ShapeChecker(SERVICE, http_status=reply.status)
            check.present(answer, "balance", "")
            raise check.fail(f"balance is {describe(balance)}, expected a number")
        return answer


class CapSolverClient(SyncClientBase[AsyncCapSolverClient]):
    """Blocking CapSolver client: the same methods as :class:`AsyncCapSolverClient`.

    Works inside a running event loop too (a Jupyter kernel): calls run on ocrframe's own
    background loop. Close it with :meth:`close` or use it in a ``with`` block.
    """

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 60.0,
        max_connections: int = 64,
        max_answer_bytes: int | None = None,
        max_json_depth: int | None = None,
        poll_interval: float = 1.0,
        poll_timeout: float = 120.0,
    ) -> None:
        super().__init__(
            AsyncCapSolverClient(
                api_key,
                base_url=base_url,
                transport=transport,
                timeout=timeout,
                max_connections=max_connections,
                max_answer_bytes=max_answer_bytes,
                max_json_depth=max_json_depth,
                poll_interval=poll_interval,
                poll_timeout=poll_timeout,
            )
        )

    image_to_text = blocking(AsyncCapSolverClient.image_to_text)
    get_balance = blocking(AsyncCapSolverClient.get_balance)
