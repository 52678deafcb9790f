"""Both clients over their default transport (aiohttp) against a real server on loopback.

The MockTransport tests cover the protocol; these check that what the default transport puts
on the wire (multipart bodies, JSON, headers) is what a real server reads, and that socket-level
failures become TransportError.
"""

from __future__ import annotations

import base64
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("uvicorn")
pytest.importorskip("starlette")

import uvicorn
from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.types import Receive, Scope, Send

from ocrframe import errors
from ocrframe.services.capsolver import AsyncCapSolverClient, CapSolverClient
from ocrframe.services.docai import AsyncDocAIClient, DocAIClient

KEY = "live-key-31415"
PDF = b"%PDF-1.7\n" + bytes(range(256)) * 40
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8


def _envelope(data: Any, code: int = 200) -> dict[str, Any]:
    return {"code": code, "message": None, "data": data, "requestId": "live-req"}


def _authorised(request: Request) -> bool:
    return request.headers.get("authorization") == f"Bearer {KEY}"


async def by_base64(request: Request) -> Response:
    if not _authorised(request):
        return JSONResponse(_envelope(None, 401) | {"message": "bad token"}, status_code=401)
    async with request.form() as form:
        fields = {name: value for name, value in form.items() if isinstance(value, str)}
    content = base64.b64decode(fields.pop("encodeString"), validate=True)
    cells = [{"pageNumber": 1, "key": k, "value": v} for k, v in sorted(fields.items())]
    cells.append({"pageNumber": 1, "key": "bytes", "value": str(len(content))})
    cells.append({"pageNumber": 1, "key": "same", "value": str(content == PDF)})
    data = {"fileId": "f-b64", "recognizeStatus": "1", "result": {"fieldList": cells}}
    return JSONResponse(_envelope(data))


async def by_file(request: Request) -> Response:
    async with request.form() as form:
        upload = form["file"]
        assert isinstance(upload, UploadFile)
        content = await upload.read()
        cells = [
            {"pageNumber": 1, "key": "filename", "value": upload.filename or ""},
            {"pageNumber": 1, "key": "same", "value": str(content == PDF)},
            {"pageNumber": 1, "key": "modelId", "value": str(form["modelId"])},
        ]
    data = {"fileId": "f-up", "recognizeStatus": "1", "result": {"fieldList": cells}}
    return JSONResponse(_envelope(data))


async def identify_result(request: Request) -> Response:
    body = await request.json()
    items = [{"fileId": f, "recognizeStatus": "2"} for f in body["fileIdList"]]
    return JSONResponse(_envelope(items))


async def list_models(request: Request) -> Response:
    return JSONResponse(_envelope([{"modelId": "invoice", "modelName": "Invoice"}]))


async def create_task(request: Request) -> Response:
    body = await request.json()
    task = body["task"]
    if body["clientKey"] != KEY:
        return JSONResponse(
            {"errorId": 1, "errorCode": "ERROR_KEY_DENIED_ACCESS", "errorDescription": "no"},
            status_code=401,
        )
    if task.get("module") == "slow":
        return JSONResponse({"errorId": 0, "status": "processing", "taskId": "slow-1"})
    text = "same" if base64.b64decode(task["body"], validate=True) == PNG else "different"
    return JSONResponse(
        {"errorId": 0, "status": "ready", "solution": {"text": text}, "taskId": "t-1"}
    )


async def task_result(request: Request) -> Response:
    body = await request.json()
    assert body == {"clientKey": KEY, "taskId": "slow-1"}
    return JSONResponse({"errorId": 0, "status": "ready", "solution": {"text": "polled"}})


async def balance(request: Request) -> Response:
    return JSONResponse(
        {"errorId": 1, "errorCode": "ERROR_RATE_LIMIT", "errorDescription": "wait"},
        status_code=429,
        headers={"Retry-After": "2"},
    )


async def cut_short(scope: Scope, receive: Receive, send: Send) -> None:
    """Promise 1,000 bytes, send 20, then end: the connection drops mid-body."""
    headers = [(b"content-type", b"application/json"), (b"content-length", b"1000")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": b'{"code": 200, "data"', "more_body": False})


def _app() -> Starlette:
    return Starlette(
        routes=[
            Route("/api/identify/file/v2/identifyByEncodeString", by_base64, methods=["POST"]),
            Route("/api/identify/file/v2/identify", by_file, methods=["POST"]),
            Route("/api/identify/file/v2/identifyResult", identify_result, methods=["POST"]),
            Route("/api/model/info/v2/listCreateByMeModels", list_models, methods=["GET"]),
            Route("/createTask", create_task, methods=["POST"]),
            Route("/getTaskResult", task_result, methods=["POST"]),
            Route("/getBalance", balance, methods=["POST"]),
            Mount("/cut", app=cut_short),
        ]
    )


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    """A uvicorn server in a thread (for correctness only; nothing here is timed)."""
    config = uvicorn.Config(_app(), host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=5)


def _fields(answer: dict[str, Any]) -> dict[str, str]:
    return {c["key"]: c["value"] for c in answer["data"]["result"]["fieldList"]}


async def test_docai_over_aiohttp(server_url: str) -> None:
    async with AsyncDocAIClient(KEY, base_url=server_url, max_connections=4) as c:
        answer = await c.identify_by_base64(
            PDF, model="m-1", pages=[1, 3, 4], workspace="ws", asynchronous=True
        )
        assert _fields(answer) == {
            "bytes": str(len(PDF)),
            "isAsynchronous": "1",
            "legalPageNumbers": "1-1, 3-4",
            "modelId": "m-1",
            "same": "True",
            "workspaceCode": "ws",
        }
        answer = await c.identify_file(PDF, filename="inv.pdf", model="m-2")
        assert _fields(answer) == {"filename": "inv.pdf", "same": "True", "modelId": "m-2"}
        answer = await c.identify_result(["a", "b"], model="m")
        assert [item["fileId"] for item in answer["data"]] == ["a", "b"]
        assert await c.list_models() == [{"modelId": "invoice", "modelName": "Invoice"}]


async def test_docai_http_401_over_aiohttp(server_url: str) -> None:
    async with AsyncDocAIClient("wrong-key-0000", base_url=server_url) as c:
        with pytest.raises(errors.AuthenticationError) as info:
            await c.identify_by_base64(PDF, model="m", source="a.pdf")
    assert info.value.http_status == 401 and info.value.message == "bad token"


async def test_capsolver_over_aiohttp(server_url: str) -> None:
    async with AsyncCapSolverClient(KEY, base_url=server_url, poll_interval=0.0) as c:
        assert (await c.image_to_text(PNG))["solution"]["text"] == "same"
        assert (await c.image_to_text(PNG, module="slow"))["solution"]["text"] == "polled"
        with pytest.raises(errors.RetryableServiceError) as info:
            await c.get_balance()
    assert info.value.retry_after == 2.0 and info.value.code == "ERROR_RATE_LIMIT"


async def test_sync_clients_over_aiohttp_inside_a_running_loop(server_url: str) -> None:
    with DocAIClient(KEY, base_url=server_url) as docai:
        assert _fields(docai.identify_by_base64(PDF, model="m"))["same"] == "True"
        assert docai.list_models()[0]["modelId"] == "invoice"
    with CapSolverClient(KEY, base_url=server_url) as cap:
        assert cap.image_to_text(base64.b64encode(PNG).decode())["solution"]["text"] == "same"


async def test_body_cut_short_is_a_transport_error(server_url: str) -> None:
    async with AsyncDocAIClient(KEY, base_url=server_url + "/cut") as c:
        with pytest.raises(errors.TransportError) as info:
            await c.list_models()
    assert "in time" not in str(info.value)


async def test_connection_refused_is_a_transport_error() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    # The port was free a moment ago and nothing listens on it now.
    async with AsyncCapSolverClient(KEY, base_url=f"http://127.0.0.1:{port}", timeout=5) as c:
        with pytest.raises(errors.TransportError) as info:
            await c.image_to_text(PNG, source="r.png")
    assert info.value.source == "r.png"
    assert "in time" not in str(info.value)


async def test_fallback_reaches_the_real_embedded_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("ocrframe.engine.app")
    from ocrframe.services import _http

    monkeypatch.setattr(_http, "_ANNOUNCED", set())
    async with AsyncDocAIClient() as docai, AsyncCapSolverClient() as cap:
        assert docai.uses_embedded_engine and cap.uses_embedded_engine
        models = await docai.list_models()
        assert {"invoice", "text"} <= {m["modelId"] for m in models}
        assert (await cap.get_balance())["errorId"] == 0
