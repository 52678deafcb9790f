"""No API key in any error message, repr, args or log record, whatever goes wrong.

The stand-in services echo the key back in every place they can (messages, descriptions, raw
bodies, exception texts), the way a careless server or proxy might.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

import httpx
import pytest

from ocrframe import errors
from ocrframe.services.capsolver import ERROR_CLASSES, AsyncCapSolverClient, CapSolverClient
from ocrframe.services.docai import AsyncDocAIClient, DocAIClient
from tests.services import seeds

DOCAI_KEY = "dk-LEAKCANARY-docai-5f2e9a1c7b"
CAP_KEY = "CAP-LEAKCANARY-solver-83d1e0aa"
KEYS = (DOCAI_KEY, CAP_KEY)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n" + b"0" * 64

Responder = Callable[[httpx.Request], httpx.Response]


def _raise(exc_type: type[httpx.TransportError], key: str) -> Responder:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc_type(f"gave up talking to {request.url} with key {key}", request=request)

    return handler


def _answer(status: int, body: Any = None, text: str | None = None, **headers: str) -> Responder:
    def handler(request: httpx.Request) -> httpx.Response:
        if text is not None:
            return httpx.Response(status, text=text, headers=headers)
        if body is None:
            return httpx.Response(status, headers=headers)
        return httpx.Response(status, json=body, headers=headers)

    return handler


def _docai_envelope(code: int) -> dict[str, Any]:
    return {"code": code, "message": f"key {DOCAI_KEY} refused", "data": None, "requestId": "r"}


DOCAI_CASES: dict[str, Responder] = {
    **{f"code-{c}": _answer(200, _docai_envelope(c)) for c in (400, 401, 403, 429, 500, 1001)},
    "http-401": _answer(401, text=f"Unauthorized: Bearer {DOCAI_KEY}"),
    "http-403": _answer(403, {"error": f"token {DOCAI_KEY} forbidden"}),
    "http-429": _answer(429, text=f"slow down {DOCAI_KEY}", **{"Retry-After": "3"}),
    "http-500": _answer(500, text=f"Traceback ... api_key={DOCAI_KEY}"),
    "http-503": _answer(503, text=f"<html>{DOCAI_KEY} unavailable</html>"),
    "non-json": _answer(200, text=f"<html>hello {DOCAI_KEY}</html>"),
    "empty": _answer(200, text=""),
    "truncated": _answer(200, text=json.dumps(_docai_envelope(200))[:60]),
    "format": _answer(200, {"code": 200, "data": {"fileId": 1, "recognizeStatus": DOCAI_KEY}}),
    "status": _answer(200, {"code": 200, "data": {"fileId": "f", "recognizeStatus": DOCAI_KEY}}),
    "connect": _raise(httpx.ConnectError, DOCAI_KEY),
    "timeout": _raise(httpx.ReadTimeout, DOCAI_KEY),
}


def _cap_failure(code: str, status: int = 400) -> Responder:
    body = {"errorId": 1, "errorCode": code, "errorDescription": f"clientKey {CAP_KEY}: {code}"}
    return _answer(status, body)


CAP_CASES: dict[str, Responder] = {
    **{code: _cap_failure(code) for code in ERROR_CLASSES},
    "ERROR_UNDOCUMENTED": _cap_failure("ERROR_UNDOCUMENTED"),
    "http-401": _answer(401, text=f"invalid clientKey {CAP_KEY}"),
    "http-429": _answer(429, text=CAP_KEY, **{"Retry-After": "1"}),
    "http-500": _answer(500, {"message": CAP_KEY}),
    "http-503": _answer(503, text=f"down {CAP_KEY}"),
    "non-json": _answer(200, text=f"not json {CAP_KEY}"),
    "empty": _answer(200, text=""),
    "truncated": _answer(200, text='{"errorId": 0, "status": "ready", "solution": {"text": "'),
    "format": _answer(200, {"errorId": 0, "status": CAP_KEY}),
    "format-solution": _answer(200, {"errorId": 0, "status": "ready", "solution": CAP_KEY}),
    "connect": _raise(httpx.ConnectError, CAP_KEY),
    "read": _raise(httpx.ReadError, CAP_KEY),
    "poll-timeout": _answer(200, {"errorId": 0, "status": "processing", "taskId": "t"}),
}


def _texts(exc: BaseException) -> list[str]:
    texts = [str(exc), repr(exc), *(str(a) for a in exc.args), *(repr(a) for a in exc.args)]
    texts += [f"{name}={value!r}" for name, value in vars(exc).items()]
    if isinstance(exc, errors.OcrframeError):
        texts += [exc.code, exc.message]
    return texts


def _assert_clean(
    texts: list[str], caplog: pytest.LogCaptureFixture, *, echoed: bool = True
) -> None:
    everything = "\n".join([*texts, caplog.text, *(r.getMessage() for r in caplog.records)])
    for key in KEYS:
        assert key not in everything
        assert "LEAKCANARY" not in everything
    # The echoed keys did reach the errors, and were scrubbed there.
    assert ("***" in everything) == echoed


async def _provoke(call: Callable[[], Awaitable[Any]]) -> errors.OcrframeError:
    with pytest.raises(errors.OcrframeError) as info:
        await call()
    return info.value


async def test_docai_errors_never_show_the_key(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    texts: list[str] = []
    kinds: set[type[errors.OcrframeError]] = set()
    for name, handler in DOCAI_CASES.items():
        async with AsyncDocAIClient(
            DOCAI_KEY, base_url="https://docai.test", transport=httpx.MockTransport(handler)
        ) as c:
            texts.append(repr(c))
            err = await _provoke(partial(c.identify_by_base64, PDF, model="m", source=name))
            assert err.source == name
            kinds.add(type(err))
            texts += _texts(err)
            err = await _provoke(c.list_models)
            texts += _texts(err)
    _assert_clean(texts, caplog)
    assert kinds == {
        errors.AuthenticationError,
        errors.RetryableServiceError,
        errors.FileRejectedError,
        errors.ResponseFormatError,
        errors.TransportError,
    }


async def test_capsolver_errors_never_show_the_key(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    texts: list[str] = []
    kinds: set[type[errors.OcrframeError]] = set()
    for name, handler in CAP_CASES.items():
        async with AsyncCapSolverClient(
            CAP_KEY,
            base_url="https://cap.test",
            transport=httpx.MockTransport(handler),
            poll_interval=0.0,
            poll_timeout=0.01,
        ) as c:
            texts.append(repr(c))
            err = await _provoke(partial(c.image_to_text, PNG, source=name))
            kinds.add(type(err))
            texts += _texts(err)
            if name != "poll-timeout":
                texts += _texts(await _provoke(c.get_balance))
    _assert_clean(texts, caplog)
    assert kinds == {
        errors.AuthenticationError,
        errors.InsufficientBalanceError,
        errors.RunAbortedError,
        errors.RetryableServiceError,
        errors.FileRejectedError,
        errors.ResponseFormatError,
        errors.TransportError,
    }


def test_sync_clients_and_successes_never_show_the_key(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    odd = seeds.docai_sync()
    odd["data"]["result"]["fieldList"][0]["value"] = 154.06  # logged as a shape warning
    docai = DocAIClient(
        DOCAI_KEY, base_url="https://docai.test", transport=httpx.MockTransport(_answer(200, odd))
    )
    cap = CapSolverClient(
        CAP_KEY,
        base_url="https://cap.test",
        transport=httpx.MockTransport(_answer(200, seeds.capsolver_ready())),
    )
    try:
        texts = [repr(docai), str(docai), repr(cap), str(cap)]
        docai.identify_by_base64(PDF, model="m")
        cap.image_to_text(PNG)
    finally:
        docai.close()
        cap.close()
    assert "not the documented shape" in caplog.text
    _assert_clean(texts, caplog, echoed=False)
