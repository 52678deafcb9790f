"""DocAI client: request building, envelope checks and errors, through httpx.MockTransport."""

from __future__ import annotations

import base64
import json
import logging
from typing import Any

import httpx
import pytest

from ocrframe import errors
from ocrframe.services import _http
from ocrframe.services.docai import (
    AsyncDocAIClient,
    DocAIClient,
    classify_code,
    recognition_status,
    result_problems,
)
from tests.services import seeds
from tests.services.helpers import Recorder, json_body, json_response, multipart_parts

KEY = "docai-test-key-0001"
BASE = "https://docai.test"
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n" * 3


def client(rec: Recorder, **kwargs: Any) -> AsyncDocAIClient:
    return AsyncDocAIClient(KEY, base_url=BASE, transport=rec.transport, **kwargs)


def envelope(code: int = 200, data: Any = None, message: str | None = None) -> dict[str, Any]:
    return {
        "code": code,
        "message": message,
        "costTime": None,
        "data": data,
        "requestId": "req-42",
        "currentTimeMillis": 1696859401185,
    }


# --------------------------------------------------------------------------- the seeds


async def test_seed_sync_answer_is_returned_as_received() -> None:
    rec = Recorder([json_response(seeds.docai_sync())])
    async with client(rec) as c:
        answer = await c.identify_by_base64(PDF, model="m-1", source="inv.pdf")
    assert answer == seeds.docai_sync()
    assert recognition_status(answer) == "ok"
    assert result_problems(answer["data"]["result"]) == []


async def test_seed_async_answer_is_returned_as_received() -> None:
    rec = Recorder([json_response(seeds.docai_async())])
    async with client(rec) as c:
        answer = await c.identify_file(PDF, filename="a.pdf", model="m-1", asynchronous=True)
    assert answer == seeds.docai_async()
    assert answer["data"]["fileId"] == "2310091711378393918074800"


# --------------------------------------------------------------------------- request building


async def test_identify_by_base64_sends_plain_multipart_fields() -> None:
    rec = Recorder([json_response(seeds.docai_sync())])
    async with client(rec) as c:
        await c.identify_by_base64(
            PDF, model="m-1", pages=[4, 1, 3], workspace="ws-7", asynchronous=True
        )
    request = rec.last
    assert request.method == "POST"
    assert str(request.url) == BASE + "/api/identify/file/v2/identifyByEncodeString"
    assert request.headers["authorization"] == f"Bearer {KEY}"
    parts = multipart_parts(request)
    assert {name: filename for name, (filename, _) in parts.items()} == dict.fromkeys(
        ["modelId", "encodeString", "legalPageNumbers", "workspaceCode", "isAsynchronous"]
    )
    values = {name: content.decode() for name, (_, content) in parts.items()}
    assert values == {
        "modelId": "m-1",
        "encodeString": base64.b64encode(PDF).decode(),
        "legalPageNumbers": "1-1, 3-4",
        "workspaceCode": "ws-7",
        "isAsynchronous": "1",
    }
    assert "\n" not in values["encodeString"]


async def test_identify_by_base64_minimal_fields() -> None:
    rec = Recorder([json_response(seeds.docai_sync())])
    async with client(rec) as c:
        await c.identify_by_base64(PDF, model="m-1")
    parts = multipart_parts(rec.last)
    assert sorted(parts) == ["encodeString", "isAsynchronous", "modelId"]
    assert parts["isAsynchronous"][1] == b"0"


async def test_identify_file_uploads_the_file() -> None:
    rec = Recorder([json_response(seeds.docai_sync())])
    async with client(rec) as c:
        await c.identify_file(PDF, filename="inv 1.pdf", model="m-2", pages="2-3")
    request = rec.last
    assert str(request.url) == BASE + "/api/identify/file/v2/identify"
    assert request.headers["authorization"] == f"Bearer {KEY}"
    parts = multipart_parts(request)
    assert parts["file"] == ("inv 1.pdf", PDF)
    assert parts["modelId"] == (None, b"m-2")
    assert parts["legalPageNumbers"] == (None, b"2-3")
    assert parts["isAsynchronous"] == (None, b"0")
    assert "encodeString" not in parts and "workspaceCode" not in parts


async def test_identify_result_json_body_and_items() -> None:
    items = [
        {"fileId": "f1", "recognizeStatus": "1", "result": seeds.docai_sync()["data"]["result"]},
        {"fileId": "f2", "recognizeStatus": "2"},
        {"fileId": "f3", "recognizeStatus": "0", "result": None},
    ]
    rec = Recorder([json_response(envelope(data=items))])
    async with client(rec) as c:
        answer = await c.identify_result(["f1", "f2", "f3"], model="m-1", return_ocr_result=True)
    assert str(rec.last.url) == BASE + "/api/identify/file/v2/identifyResult"
    assert json_body(rec.last) == {
        "fileIdList": ["f1", "f2", "f3"],
        "modelId": "m-1",
        "returnOcrResult": "1",
    }
    assert [recognition_status(item) for item in answer["data"]] == ["ok", "pending", "failed"]


async def test_list_models_is_a_get_returning_data() -> None:
    models = [
        {
            "modelId": "inv-1",
            "modelName": "Invoices",
            "description": "x",
            "createTime": 1,
            "updateTime": 2,
        },
        {"modelId": "txt-1", "modelName": None},
    ]
    rec = Recorder([json_response(envelope(data=models))])
    async with client(rec) as c:
        assert await c.list_models() == models
    assert rec.last.method == "GET"
    assert str(rec.last.url) == BASE + "/api/model/info/v2/listCreateByMeModels"
    assert rec.last.headers["authorization"] == f"Bearer {KEY}"


@pytest.mark.parametrize("pages", ["3-1", "0-2", "a", "", "1-", [0], [], ["1"]])
async def test_bad_pages_rejected_before_any_request(pages: Any) -> None:
    rec = Recorder([json_response(seeds.docai_sync())])
    async with client(rec) as c:
        with pytest.raises(errors.PageRangeError):
            await c.identify_by_base64(PDF, model="m-1", pages=pages)
        with pytest.raises(errors.PageRangeError):
            await c.identify_file(PDF, filename="a.pdf", model="m-1", pages=pages)
    assert rec.requests == []


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"content": b""}, errors.InputFileError),
        ({"model": ""}, errors.ConfigurationError),
        ({"model": None}, errors.ConfigurationError),
        ({"workspace": ""}, errors.ConfigurationError),
        ({"content": "text, not bytes"}, errors.ConfigurationError),
    ],
)
async def test_bad_arguments_rejected_before_any_request(
    kwargs: dict[str, Any], error: type[Exception]
) -> None:
    rec = Recorder([json_response(seeds.docai_sync())])
    call: dict[str, Any] = {"content": PDF, "model": "m-1", "source": "x.pdf"} | kwargs
    async with client(rec) as c:
        with pytest.raises(error) as info:
            await c.identify_by_base64(call.pop("content"), **call)
    assert rec.requests == []
    assert info.value.source in ("x.pdf", None)  # type: ignore[attr-defined]


@pytest.mark.parametrize("file_ids", ["f1", [], ["f1", ""], [1]])
async def test_identify_result_rejects_bad_ids(file_ids: Any) -> None:
    rec = Recorder([json_response(envelope(data=[]))])
    async with client(rec) as c:
        with pytest.raises(errors.ConfigurationError):
            await c.identify_result(file_ids, model="m-1")
    assert rec.requests == []


# --------------------------------------------------------------------------- service errors


@pytest.mark.parametrize(
    ("code", "http", "expected"),
    [
        (401, 200, errors.AuthenticationError),
        (403, 200, errors.AuthenticationError),
        (429, 200, errors.RetryableServiceError),
        (500, 200, errors.RetryableServiceError),
        (503, 200, errors.RetryableServiceError),
        (400, 200, errors.FileRejectedError),
        (1001, 200, errors.FileRejectedError),
        (400, 400, errors.FileRejectedError),
        (400, 401, errors.AuthenticationError),
        (400, 503, errors.RetryableServiceError),
    ],
)
async def test_envelope_codes(code: int, http: int, expected: type[errors.ServiceError]) -> None:
    body = envelope(code=code, message=f"model is offline ({code})")
    rec = Recorder([json_response(body, http, **{"Retry-After": "5"})])
    async with client(rec) as c:
        with pytest.raises(errors.ServiceError) as info:
            await c.identify_by_base64(PDF, model="m-1", source="in/a.pdf")
    err = info.value
    assert type(err) is expected
    assert err.code == str(code)
    assert err.message == f"model is offline ({code})"
    assert err.request_id == "req-42"
    assert err.http_status == http
    assert err.source == "in/a.pdf"
    assert err.service == "docai"
    assert err.retry_after == 5.0
    assert f"model is offline ({code})" in str(err) and "req-42" in str(err)


def test_classify_code_table() -> None:
    table = {
        (401, None): "AuthenticationError",
        (403, None): "AuthenticationError",
        (429, None): "RetryableServiceError",
        (500, None): "RetryableServiceError",
        (599, None): "RetryableServiceError",
        (400, None): "FileRejectedError",
        (404, None): "FileRejectedError",
        (1001, None): "FileRejectedError",
        (-1, None): "FileRejectedError",
        (400, 200): "FileRejectedError",
        (400, 401): "AuthenticationError",
        (400, 502): "RetryableServiceError",
        (503, 401): "AuthenticationError",
    }
    assert {args: classify_code(*args).__name__ for args in table} == table


async def test_code_as_digit_string_is_read() -> None:
    rec = Recorder([json_response({"code": "500", "message": "busy", "requestId": "r"})])
    async with client(rec) as c:
        with pytest.raises(errors.RetryableServiceError) as info:
            await c.list_models()
    assert info.value.code == "500"


@pytest.mark.parametrize(
    ("response", "expected", "retry_after"),
    [
        (httpx.Response(401), errors.AuthenticationError, None),
        (httpx.Response(401, text="Unauthorized"), errors.AuthenticationError, None),
        (httpx.Response(403, json={"error": "forbidden"}), errors.AuthenticationError, None),
        (
            httpx.Response(429, headers={"Retry-After": "12"}, text="slow down"),
            errors.RetryableServiceError,
            12.0,
        ),
        (
            httpx.Response(429, headers={"Retry-After": "Thu, 01 Jan 2015 00:00:00 GMT"}),
            errors.RetryableServiceError,
            0.0,
        ),
        (httpx.Response(500, text="Internal Server Error"), errors.RetryableServiceError, None),
        (httpx.Response(502, text="<html>Bad Gateway</html>"), errors.RetryableServiceError, None),
        (httpx.Response(503, headers={"Retry-After": "2"}), errors.RetryableServiceError, 2.0),
        (httpx.Response(404, text="no such path"), errors.FileRejectedError, None),
        (httpx.Response(413, json={"code": 200}), errors.FileRejectedError, None),
    ],
)
async def test_http_errors_without_envelope(
    response: httpx.Response, expected: type[errors.ServiceError], retry_after: float | None
) -> None:
    rec = Recorder([response])
    async with client(rec) as c:
        with pytest.raises(errors.ServiceError) as info:
            await c.identify_by_base64(PDF, model="m-1", source="a.pdf")
    err = info.value
    assert type(err) is expected
    assert err.code == f"HTTP_{response.status_code}"
    assert err.http_status == response.status_code
    assert err.retry_after == retry_after
    assert err.source == "a.pdf"


# --------------------------------------------------------------------------- malformed answers


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b"", "empty response body"),
        (b"<html>hello</html>", "is not JSON"),
        (json.dumps(seeds.docai_sync()).encode()[:300], "JSON that ends early"),
        (b"[1, 2]", "response body is a list, expected an object"),
        (b'{"message": null}', "code is missing"),
        (b'{"code": "ok"}', "code is a string, expected an integer"),
        (b'{"code": null}', "code is null, expected an integer"),
        (b'{"code": 200}', "data is missing"),
        (b'{"code": 200, "data": null}', "data is null, expected an object"),
        (b'{"code": 200, "data": []}', "data is a list, expected an object"),
        (b'{"code": 200, "data": {"recognizeStatus": "1"}}', "data.fileId is missing"),
        (
            b'{"code": 200, "data": {"fileId": 17, "recognizeStatus": "1"}}',
            "data.fileId is an integer, expected a string",
        ),
        (b'{"code": 200, "data": {"fileId": "f"}}', "data.recognizeStatus is missing"),
        (
            b'{"code": 200, "data": {"fileId": "f", "recognizeStatus": "7"}}',
            "data.recognizeStatus is '7', expected '0', '1' or '2'",
        ),
        (
            b'{"code": 200, "data": {"fileId": "f", "recognizeStatus": true}}',
            "data.recognizeStatus is True",
        ),
        (
            b'{"code": 200, "data": {"fileId": "f", "recognizeStatus": "1", "result": []}}',
            "data.result is a list, expected an object",
        ),
    ],
)
async def test_malformed_answers_raise_response_format_error(body: bytes, fragment: str) -> None:
    rec = Recorder([httpx.Response(200, content=body)])
    async with client(rec) as c:
        with pytest.raises(errors.ResponseFormatError) as info:
            await c.identify_by_base64(PDF, model="m-1", source="a.pdf")
    assert fragment in str(info.value)
    assert info.value.source == "a.pdf"
    assert info.value.retryable


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ({"fileId": "f"}, "data is an object, expected a list"),
        ([{"fileId": "f", "recognizeStatus": "1"}, "x"], "data[1] is a string, expected an object"),
        ([{"fileId": "f", "recognizeStatus": "3"}], "data[0].recognizeStatus is '3'"),
    ],
)
async def test_identify_result_shape(data: Any, fragment: str) -> None:
    rec = Recorder([json_response(envelope(data=data))])
    async with client(rec) as c:
        with pytest.raises(errors.ResponseFormatError) as info:
            await c.identify_result(["f"], model="m")
    assert fragment in str(info.value)
    assert info.value.request_id == "req-42"


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (None, "data is null, expected a list"),
        ([{"modelName": "x"}], "data[0].modelId is missing"),
        ([{"modelId": 5}], "data[0].modelId is an integer, expected a string"),
        ([{"modelId": "a", "modelName": 5}], "data[0].modelName is an integer"),
    ],
)
async def test_list_models_shape(data: Any, fragment: str) -> None:
    rec = Recorder([json_response(envelope(data=data))])
    async with client(rec) as c:
        with pytest.raises(errors.ResponseFormatError) as info:
            await c.list_models()
    assert fragment in str(info.value)


@pytest.mark.parametrize(
    ("mutate", "problem"),
    [
        (
            lambda r: r["fieldList"][2].update(pageNumber="1"),
            "data.result.fieldList[2].pageNumber is a string, expected an integer",
        ),
        (
            lambda r: r["itemList"][1][0].update(value=30.0),
            "data.result.itemList[1][0].value is a number, expected a string",
        ),
        (lambda r: r.update(fieldList=None), "data.result.fieldList is null, expected a list"),
        (lambda r: r["taxList"].append({"k": 1}), "data.result.taxList[1] is an object"),
        (lambda r: r["fieldList"].append(None), "data.result.fieldList[7] is null"),
    ],
)
async def test_wrong_types_inside_result_are_kept_and_logged(
    mutate: Any, problem: str, caplog: pytest.LogCaptureFixture
) -> None:
    answer = seeds.docai_sync()
    mutate(answer["data"]["result"])
    rec = Recorder([json_response(answer)])
    caplog.set_level(logging.WARNING, logger="ocrframe")
    async with client(rec) as c:
        got = await c.identify_by_base64(PDF, model="m-1", source="odd.pdf")
    assert got == answer
    assert problem in caplog.text
    assert "odd.pdf" in caplog.text


async def test_each_kind_of_problem_is_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    answer = seeds.docai_sync()
    for cell in answer["data"]["result"]["fieldList"]:
        cell["pageNumber"] = str(cell["pageNumber"])
    rec = Recorder([json_response(answer)])
    caplog.set_level(logging.WARNING, logger="ocrframe")
    async with client(rec) as c:
        await c.identify_by_base64(PDF, model="m-1")
        await c.identify_by_base64(PDF, model="m-1")
    records = [r for r in caplog.records if "not the documented shape" in r.getMessage()]
    assert len(records) == 1
    assert "(and 6 more alike)" in records[0].getMessage()


def test_result_problems_on_literal_data() -> None:
    assert result_problems(None) == []
    assert result_problems({}) == []
    assert result_problems([1]) == ["data.result is a list, expected an object"]
    assert result_problems(
        {
            "fieldList": [{"pageNumber": True, "key": None, "value": "1"}],
            "itemList": [[{"pageNumber": 1, "key": "k", "value": "v"}], "row"],
            "taxList": {"a": 1},
        },
        "r",
    ) == [
        "r.fieldList[0].pageNumber is a boolean, expected an integer",
        "r.fieldList[0].key is null, expected a string",
        "r.itemList[1] is a string, expected a list",
        "r.taxList is an object, expected a list",
    ]


@pytest.mark.parametrize(
    ("value", "status"),
    [
        ({"code": 200, "data": {"fileId": "f", "recognizeStatus": "1"}}, "ok"),
        ({"code": 200, "data": {"fileId": "f", "recognizeStatus": "0"}}, "failed"),
        ({"fileId": "f", "recognizeStatus": "2"}, "pending"),
        ({"fileId": "f", "recognizeStatus": 1}, "ok"),
    ],
)
def test_recognition_status(value: dict[str, Any], status: str) -> None:
    assert recognition_status(value) == status


@pytest.mark.parametrize(
    "value",
    [
        {"code": 200, "data": [{"fileId": "f", "recognizeStatus": "1"}]},
        {"fileId": "f"},
        {"fileId": "f", "recognizeStatus": "9"},
        {"fileId": "f", "recognizeStatus": True},
        {"fileId": "f", "recognizeStatus": None},
    ],
)
def test_recognition_status_rejects(value: dict[str, Any]) -> None:
    with pytest.raises(errors.ResponseFormatError):
        recognition_status(value)


# --------------------------------------------------------------------------- transport, config


async def test_transport_failure_is_transport_error() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    async with AsyncDocAIClient(KEY, transport=httpx.MockTransport(refuse)) as c:
        with pytest.raises(errors.TransportError) as info:
            await c.identify_by_base64(PDF, model="m", source="a.pdf")
    assert info.value.retryable and info.value.source == "a.pdf"
    assert "ConnectError" in str(info.value.__cause__)


async def test_sync_client_inside_running_loop() -> None:
    rec = Recorder([json_response(seeds.docai_sync())])
    # This test body runs inside pytest-asyncio's loop, as a Jupyter cell would.
    with DocAIClient(KEY, base_url=BASE, transport=rec.transport) as c:
        answer = c.identify_by_base64(PDF, model="m-1", pages="1")
        assert c.identify_file(PDF, filename="a.pdf", model="m-1") == answer
    assert answer == seeds.docai_sync()
    assert len(rec.requests) == 2


def test_sync_client_all_methods() -> None:
    rec = Recorder(
        [
            json_response(envelope(data=[{"modelId": "m"}])),
            json_response(envelope(data=[{"fileId": "f", "recognizeStatus": "2"}])),
        ]
    )
    c = DocAIClient(KEY, base_url=BASE, transport=rec.transport)
    try:
        assert c.list_models() == [{"modelId": "m"}]
        assert c.identify_result(["f"], model="m")["data"][0]["recognizeStatus"] == "2"
        with pytest.raises(errors.PageRangeError):
            c.identify_by_base64(PDF, model="m", pages="2-1")
    finally:
        c.close()
    assert len(rec.requests) == 2


def test_repr_never_shows_the_key() -> None:
    rec = Recorder([json_response(envelope(data=[]))])
    c = DocAIClient(KEY, base_url=BASE + "/", transport=rec.transport)
    try:
        assert repr(c) == "DocAIClient(base_url='https://docai.test', key=set)"
        assert KEY not in repr(c._async) and KEY not in str(c)
    finally:
        c.close()


async def test_environment_supplies_key_and_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCAI_API_KEY", "env-docai-key-9")
    monkeypatch.setenv("DOCAI_BASE_URL", "https://env.docai.test/")
    rec = Recorder([json_response(envelope(data=[]))])
    async with AsyncDocAIClient(transport=rec.transport) as c:
        assert not c.uses_embedded_engine and c.has_key
        await c.list_models()
    assert rec.last.headers["authorization"] == "Bearer env-docai-key-9"
    assert str(rec.last.url).startswith("https://env.docai.test/api/")


async def test_no_key_with_base_url_sends_no_authorization() -> None:
    rec = Recorder([json_response(envelope(data=[]))])
    async with AsyncDocAIClient(base_url="http://127.0.0.1:9", transport=rec.transport) as c:
        await c.list_models()
        assert not c.uses_embedded_engine and repr(c).endswith("key=none)")
    assert "authorization" not in rec.last.headers


async def test_key_alone_talks_to_the_public_api_over_aiohttp() -> None:
    from httpx_aiohttp import AiohttpTransport

    async with AsyncDocAIClient(KEY, max_connections=8) as c:
        assert c.base_url == "https://api.docai.pro"
        assert isinstance(c._client._transport, AiohttpTransport)
        assert not c.uses_embedded_engine


async def test_nothing_configured_uses_the_embedded_engine(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    rec = Recorder([json_response(envelope(data=[{"modelId": "invoice"}]))])
    monkeypatch.setattr(_http, "embedded_engine", lambda: (rec.transport, "http://engine.local"))
    monkeypatch.setattr(_http, "_ANNOUNCED", set())
    caplog.set_level(logging.INFO, logger="ocrframe")
    async with AsyncDocAIClient() as first, AsyncDocAIClient() as second:
        assert first.uses_embedded_engine and second.uses_embedded_engine
        assert await first.list_models() == [{"modelId": "invoice"}]
        assert "embedded engine" in repr(first)
    assert str(rec.last.url) == "http://engine.local/api/model/info/v2/listCreateByMeModels"
    assert "authorization" not in rec.last.headers
    announcements = [r for r in caplog.records if "embedded offline engine" in r.getMessage()]
    assert len(announcements) == 1


def test_missing_engine_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    # None in sys.modules makes the import fail as if the module were not installed.
    monkeypatch.setitem(sys.modules, "ocrframe.engine.app", None)
    with pytest.raises(errors.EngineUnavailableError) as info:
        AsyncDocAIClient()
    assert "pip install 'ocrframe[engine]'" in str(info.value)


def test_max_connections_must_be_positive() -> None:
    with pytest.raises(errors.ConfigurationError):
        AsyncDocAIClient(KEY, max_connections=0)
