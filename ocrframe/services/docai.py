"""DocAI's wire format: request building, envelope checks and typed errors.

Endpoints (all under the base URL, ``https://api.docai.pro`` unless configured):

- ``POST /api/identify/file/v2/identifyByEncodeString``: multipart form fields ``modelId``,
  ``encodeString`` (base64 of the file), ``legalPageNumbers``, ``workspaceCode``,
  ``isAsynchronous`` (``"1"``/``"0"``)  ->  :meth:`AsyncDocAIClient.identify_by_base64`
- ``POST /api/identify/file/v2/identify``: the same fields with the file uploaded as ``file``
  ->  :meth:`AsyncDocAIClient.identify_file`
- ``POST /api/identify/file/v2/identifyResult``: JSON ``{"fileIdList", "modelId",
  "returnOcrResult"}``  ->  :meth:`AsyncDocAIClient.identify_result`
- ``GET /api/model/info/v2/listCreateByMeModels``  ->  :meth:`AsyncDocAIClient.list_models`

What the client checks, and what it leaves to the flatteners:

- The envelope: a JSON object whose ``code`` is an integer; ``code`` other than 200 raises the
  typed error of :func:`classify_code` carrying code, message and requestId.
- ``data``: an object with ``fileId`` (string) and ``recognizeStatus`` (``"0"``, ``"1"``, ``"2"``)
  and, when present, ``result`` as an object (or a list of such objects for identifyResult).
  Anything else raises :class:`ResponseFormatError` naming the path, e.g.
  ``data.fileId is an integer, expected a string``.
- The *contents* of ``result`` (``fieldList``/``itemList``/``taxList`` cells) are not enforced:
  the raw answer is the source of truth and the flatteners tolerate odd cells. A cell of the
  wrong type (``pageNumber`` as a string, ``value`` as a number, ``fieldList`` null) is logged
  once per kind as a warning naming its path (see :func:`result_problems`) and the envelope is
  returned unchanged. Raising would throw away a paid answer and retry it for nothing.
"""

from __future__ import annotations

import base64
import logging
import re
from collections.abc import Sequence
from typing import Any, ClassVar

import httpx

from ocrframe._inputs import PageSpec, format_pages
from ocrframe.errors import (
    AuthenticationError,
    ConfigurationError,
    FileRejectedError,
    InputFileError,
    RetryableServiceError,
    ServiceError,
)
from ocrframe.services._docai_answers import (
    _STATUSES,
    SERVICE,
    RecognitionStatus,
    file_id_of,
    local_answer,
    pending_answer,
    per_file_answers,
    read_answer,
    recognition_status,
    result_entries,
    result_problems,
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
    "AsyncDocAIClient",
    "DocAIClient",
    "RecognitionStatus",
    "classify_code",
    "file_id_of",
    "local_answer",
    "pending_answer",
    "per_file_answers",
    "read_answer",
    "recognition_status",
    "result_entries",
    "result_problems",
]

DEFAULT_BASE_URL = "https://api.docai.pro"
IDENTIFY_BY_BASE64_PATH = "/api/identify/file/v2/identifyByEncodeString"
IDENTIFY_FILE_PATH = "/api/identify/file/v2/identify"
IDENTIFY_RESULT_PATH = "/api/identify/file/v2/identifyResult"
LIST_MODELS_PATH = "/api/model/info/v2/listCreateByMeModels"

logger = logging.getLogger("ocrframe")


# --------------------------------------------------------------------------- pure functions


def classify_code(code: int, http_status: int | None = None) -> type[ServiceError]:
    """The error class for an envelope ``code`` other than 200 (and the HTTP status, if an error).

    401/403 (in either) mean the key is refused; 429 and 5xx are worth another try; anything
    else refuses this file for good.

    >>> classify_code(401).__name__, classify_code(503).__name__, classify_code(400).__name__
    ('AuthenticationError', 'RetryableServiceError', 'FileRejectedError')
    """
    by_code = classify_http_status(code) if 100 <= code <= 599 else FileRejectedError
    by_http = classify_http_status(http_status) if http_status is not None else None
    for cls in (AuthenticationError, RetryableServiceError):
        if cls in (by_code, by_http):
            return cls
    return FileRejectedError


def _check_error(reply: Reply, *, source: str | None) -> dict[str, Any]:
    """Decode the envelope and raise the typed error if it (or the HTTP status) says error."""
    http_error, decoded = decode_reply(reply, service=SERVICE, source=source)
    code = decoded.get("code") if isinstance(decoded, dict) else None
    if isinstance(code, str) and code.strip().isdigit():
        code = int(code)
    usable = isinstance(code, int) and not isinstance(code, bool)
    if http_error is not None and not (usable and code != 200):
        # The body does not describe the error: the HTTP status is all there is.
        raise http_error(
            f"HTTP {reply.status} without an error envelope; body starts {snippet(reply.body)}",
            service=SERVICE,
            code=f"HTTP_{reply.status}",
            http_status=reply.status,
            retry_after=reply.retry_after,
            source=source,
        )
    check = ShapeChecker(SERVICE, http_status=reply.status, source=source)
    envelope = check.object_at(decoded, "response body")
    check.request_id_from(envelope, "requestId")
    if not usable:
        check.present(envelope, "code", "")
        raise check.fail(f"code is {describe(envelope['code'])}, expected an integer")
    assert isinstance(code, int)
    if code != 200:
        message = envelope.get("message")
        raise classify_code(code, reply.status)(
            message if isinstance(message, str) and message else "(no message)",
            service=SERVICE,
            code=str(code),
            request_id=check.request_id,
            http_status=reply.status,
            retry_after=reply.retry_after,
            source=source,
        )
    return envelope


def _checked_data(reply: Reply, *, source: str | None) -> tuple[dict[str, Any], ShapeChecker, Any]:
    """The checked envelope, a checker carrying its requestId, and its ``data`` (must be there)."""
    envelope = _check_error(reply, source=source)
    check = ShapeChecker(SERVICE, http_status=reply.status, source=source)
    check.request_id_from(envelope, "requestId")
    return envelope, check, check.present(envelope, "data", "")


def _check_file_data(check: ShapeChecker, data: object, path: str) -> list[str]:
    """Enforce the ``{fileId, recognizeStatus, result}`` object; return soft result problems."""
    obj = check.object_at(data, path)
    check.string(obj, "fileId", path)
    status = check.present(obj, "recognizeStatus", path)
    valid = isinstance(status, str | int) and not isinstance(status, bool)
    if not valid or str(status) not in _STATUSES:
        raise check.fail(f"{path}.recognizeStatus is {status!r}, expected '0', '1' or '2'")
    result = obj.get("result")
    if result is not None:
        check.object_at(result, f"{path}.result")
    return result_problems(result, f"{path}.result")


# --------------------------------------------------------------------------- the clients


class AsyncDocAIClient(ServiceClientBase):
    """Async DocAI client: one method per endpoint, each returning the decoded answer as received.

    ``api_key`` None reads ``DOCAI_API_KEY``; ``base_url`` None reads ``DOCAI_BASE_URL``, else
    ``https://api.docai.pro``. With no key, no base URL and no transport the client talks to the
    embedded offline engine in-process (``uses_embedded_engine`` is then True). Errors are the
    typed errors of :mod:`ocrframe.errors`; retrying is the caller's business.

    Limits: ``timeout`` seconds for a whole request, answer included (a deadline, not only a read
    timeout); ``max_answer_bytes`` per answer, on the wire and once decompressed;
    ``max_json_depth`` levels of nesting. Over a limit: :class:`~ocrframe.errors.TransportError`
    (time) or :class:`~ocrframe.errors.ResponseLimitError`.

    >>> import asyncio, httpx
    >>> def handler(request):
    ...     return httpx.Response(200, json={"code": 200, "data": []})
    >>> async def main():
    ...     async with AsyncDocAIClient("k3y-x", transport=httpx.MockTransport(handler)) as c:
    ...         return await c.list_models()
    >>> asyncio.run(main())
    []
    """

    service: ClassVar[str] = SERVICE
    display_name: ClassVar[str] = "DocAI"
    key_env: ClassVar[str] = "DOCAI_API_KEY"
    url_env: ClassVar[str] = "DOCAI_BASE_URL"
    default_url: ClassVar[str] = DEFAULT_BASE_URL

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 120.0,
        max_connections: int = 64,
        max_answer_bytes: int | None = None,
        max_json_depth: int | None = None,
    ) -> None:
        super().__init__(
            api_key,
            base_url=base_url,
            transport=transport,
            timeout=timeout,
            max_connections=max_connections,
            max_answer_bytes=max_answer_bytes,
            max_json_depth=max_json_depth,
        )
        self._warned: set[str] = set()

    def _auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._api_key}"} if self._api_key else {}

    def _warn_problems(self, problems: list[str], *, source: str | None) -> None:
        # Once per kind of problem (indices stripped): a batch of 10,000 alike answers says it once.
        fresh = []
        for problem in problems:
            kind = re.sub(r"\[\d+\]", "[]", problem)
            if kind not in self._warned:
                self._warned.add(kind)
                fresh.append(problem)
        if fresh:
            more = (
                f" (and {len(problems) - len(fresh)} more alike)"
                if len(problems) > len(fresh)
                else ""
            )
            logger.warning(
                "DocAI answer%s is not the documented shape, kept as received: %s%s",
                f" for {source}" if source else "",
                "; ".join(fresh[:5]),
                more,
            )

    def _form(
        self,
        *,
        model: str,
        pages: PageSpec | None,
        workspace: str | None,
        asynchronous: bool,
    ) -> dict[str, str]:
        if not isinstance(model, str) or not model.strip():
            raise ConfigurationError(f"model must be a non-empty modelId string, not {model!r}")
        form = {"modelId": model}
        if pages is not None:
            form["legalPageNumbers"] = format_pages(pages)
        if workspace is not None:
            if not isinstance(workspace, str) or not workspace.strip():
                raise ConfigurationError(f"workspace must be a non-empty string, not {workspace!r}")
            form["workspaceCode"] = workspace
        form["isAsynchronous"] = "1" if asynchronous else "0"
        return form

    async def _identify(
        self,
        content: bytes,
        *,
        filename: str | None,
        model: str,
        pages: PageSpec | None,
        workspace: str | None,
        asynchronous: bool,
        source: str | None,
    ) -> dict[str, Any]:
        """Both identify calls: base64 in a form field (``filename`` None) or a file upload."""
        _require_content(content, source)
        form = self._form(model=model, pages=pages, workspace=workspace, asynchronous=asynchronous)
        if filename is None:
            encoded = base64.b64encode(content).decode("ascii")
            fields = {"modelId": form.pop("modelId"), "encodeString": encoded, **form}
            # Plain form fields, but multipart as the API documents: (None, value) parts have no
            # filename, so httpx sends them as ordinary fields of a multipart/form-data body.
            files = [(name, (None, value)) for name, value in fields.items()]
            reply = await self._send("POST", IDENTIFY_BY_BASE64_PATH, files=files, source=source)
        else:
            reply = await self._send(
                "POST",
                IDENTIFY_FILE_PATH,
                data=form,
                files={"file": (filename, content)},
                source=source,
            )
        envelope, check, data = _checked_data(reply, source=source)
        self._warn_problems(_check_file_data(check, data, "data"), source=source)
        return envelope

    async def identify_by_base64(
        self,
        content: bytes,
        *,
        model: str,
        pages: PageSpec | None = None,
        workspace: str | None = None,
        asynchronous: bool = False,
        source: str | None = None,
    ) -> dict[str, Any]:
        """Recognise a file sent as base64 (identifyByEncodeString); return the envelope.

        ``pages`` is a page selection (``"1-1, 3-4"`` or ``[1, 3, 4]``), validated before anything
        is sent. With ``asynchronous=True`` the answer holds only ``fileId`` and
        ``recognizeStatus``; collect the result with :meth:`identify_result`.
        """
        return await self._identify(
            content,
            filename=None,
            model=model,
            pages=pages,
            workspace=workspace,
            asynchronous=asynchronous,
            source=source,
        )

    async def identify_file(
        self,
        content: bytes,
        *,
        filename: str,
        model: str,
        pages: PageSpec | None = None,
        workspace: str | None = None,
        asynchronous: bool = False,
        source: str | None = None,
    ) -> dict[str, Any]:
        """Recognise a file uploaded as multipart field ``file`` (identify); return the envelope."""
        # A filename of None would mean "send base64" to _identify; refuse it here as before.
        if not isinstance(filename, str) or not filename:
            _require_content(content, source)
            raise ConfigurationError(f"filename must be a non-empty string, not {filename!r}")
        return await self._identify(
            content,
            filename=filename,
            model=model,
            pages=pages,
            workspace=workspace,
            asynchronous=asynchronous,
            source=source,
        )

    async def identify_result(
        self,
        file_ids: Sequence[str],
        *,
        model: str,
        return_ocr_result: bool = False,
        source: str | None = None,
    ) -> dict[str, Any]:
        """Fetch the results of earlier submissions (identifyResult); return the envelope.

        ``data`` is a list of ``{fileId, recognizeStatus, result}``; poll until no item is
        ``"pending"`` (see :func:`recognition_status`).
        """
        if isinstance(file_ids, str | bytes) or not all(isinstance(f, str) and f for f in file_ids):
            raise ConfigurationError("file_ids must be a list of non-empty fileId strings")
        ids = list(file_ids)
        if not ids:
            raise ConfigurationError("file_ids is empty: give at least one fileId")
        if not isinstance(model, str) or not model.strip():
            raise ConfigurationError(f"model must be a non-empty modelId string, not {model!r}")
        body = {
            "fileIdList": ids,
            "modelId": model,
            "returnOcrResult": "1" if return_ocr_result else "0",
        }
        reply = await self._send("POST", IDENTIFY_RESULT_PATH, json_body=body, source=source)
        envelope, check, data = _checked_data(reply, source=source)
        items = check.list_at(data, "data")
        problems: list[str] = []
        for i, item in enumerate(items):
            problems += _check_file_data(check, item, f"data[{i}]")
        self._warn_problems(problems, source=source)
        return envelope

    async def list_models(self) -> list[dict[str, Any]]:
        """The models this key may call (listCreateByMeModels): ``[{modelId, modelName, ...}]``."""
        reply = await self._send("GET", LIST_MODELS_PATH, source=None)
        _, check, data = _checked_data(reply, source=None)
        models = check.list_at(data, "data")
        for i, model in enumerate(models):
            obj = check.object_at(model, f"data[{i}]")
            check.string(obj, "modelId", f"data[{i}]")
            check.string(obj, "modelName", f"data[{i}]", optional=True)
        return models


def _require_content(content: bytes, source: str | None) -> None:
    if not isinstance(content, bytes | bytearray | memoryview):
        raise ConfigurationError(f"content must be bytes, not {type(content).__name__}")
    if len(content) == 0:
        raise InputFileError("the file is empty", code="empty", source=source)


class DocAIClient(SyncClientBase[AsyncDocAIClient]):
    """Blocking DocAI client: the same methods as :class:`AsyncDocAIClient`, usable anywhere.

    Works inside a running event loop too (a Jupyter kernel): calls run on ocrframe's own
    background loop. Close it with :meth:`close` or use it in a ``with`` block.
    """

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 120.0,
        max_connections: int = 64,
        max_answer_bytes: int | None = None,
        max_json_depth: int | None = None,
    ) -> None:
        super().__init__(
            AsyncDocAIClient(
                api_key,
                base_url=base_url,
                transport=transport,
                timeout=timeout,
                max_connections=max_connections,
                max_answer_bytes=max_answer_bytes,
                max_json_depth=max_json_depth,
            )
        )

    identify_by_base64 = blocking(AsyncDocAIClient.identify_by_base64)
    identify_file = blocking(AsyncDocAIClient.identify_file)
    identify_result = blocking(AsyncDocAIClient.identify_result)
    list_models = blocking(AsyncDocAIClient.list_models)
