"""CapSolver client: ImageToTextTask requests, polling, errorCode classification."""

from __future__ import annotations

import base64
import logging
from typing import Any

import httpx
import pytest

from ocrframe import errors
from ocrframe.services import _http
from ocrframe.services.capsolver import (
    ERROR_CLASSES,
    AsyncCapSolverClient,
    CapSolverClient,
    classify_answer,
    classify_error_code,
    normalise_image_body,
)
from tests.services import seeds
from tests.services.helpers import Recorder, json_body, json_response

KEY = "CAP-test-key-0002"
BASE = "https://capsolver.test"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
PNG_B64 = base64.b64encode(PNG).decode()

# Literal expectations, written out rather than derived from ERROR_CLASSES, so a wrong entry
# there fails here.
DOCUMENTED_CODES = {
    "ERROR_SERVICE_UNAVALIABLE": errors.RetryableServiceError,
    "ERROR_RATE_LIMIT": errors.RetryableServiceError,
    "ERROR_CAPTCHA_UNSOLVABLE": errors.RetryableServiceError,
    "ERROR_TASK_TIMEOUT": errors.RetryableServiceError,
    "ERROR_INVALID_TASK_DATA": errors.FileRejectedError,
    "ERROR_BAD_REQUEST": errors.FileRejectedError,
    "ERROR_TASKID_INVALID": errors.FileRejectedError,
    "ERROR_SETTLEMENT_FAILED": errors.FileRejectedError,
    "ERROR_TASK_NOT_SUPPORTED": errors.FileRejectedError,
    "ERROR_UNKNOWN_QUESTION": errors.FileRejectedError,
    "ERROR_PROXY_BANNED": errors.FileRejectedError,
    "ERROR_INVALID_IMAGE": errors.FileRejectedError,
    "ERROR_PARSE_IMAGE_FAIL": errors.FileRejectedError,
    "ERROR_KEY_DENIED_ACCESS": errors.AuthenticationError,
    "ERROR_KEY_TEMP_BLOCKED": errors.AuthenticationError,
    "ERROR_IP_BANNED": errors.RunAbortedError,
    "ERROR_ZERO_BALANCE": errors.InsufficientBalanceError,
}


def client(rec: Recorder, **kwargs: Any) -> AsyncCapSolverClient:
    kwargs.setdefault("poll_interval", 0.0)
    return AsyncCapSolverClient(KEY, base_url=BASE, transport=rec.transport, **kwargs)


def failure(code: str, description: str = "", status: int = 400, **headers: str) -> httpx.Response:
    body = {"errorId": 1, "errorCode": code, "errorDescription": description}
    return json_response(body, status, **headers)


def processing(task_id: str = "t-1") -> httpx.Response:
    return json_response({"errorId": 0, "status": "processing", "taskId": task_id})


# --------------------------------------------------------------------------- seeds and requests


async def test_seed_answer_is_returned_as_received() -> None:
    rec = Recorder([json_response(seeds.capsolver_ready())])
    async with client(rec) as c:
        answer = await c.image_to_text(PNG, source="cap.png")
    assert answer == seeds.capsolver_ready()
    assert answer["solution"]["text"] == "44795sds"


async def test_create_task_body() -> None:
    rec = Recorder([json_response(seeds.capsolver_ready())])
    async with client(rec) as c:
        await c.image_to_text(PNG, module="queueit", score=0.9, case=True)
    request = rec.last
    assert request.method == "POST"
    assert str(request.url) == BASE + "/createTask"
    assert "authorization" not in request.headers
    assert json_body(request) == {
        "clientKey": KEY,
        "task": {
            "type": "ImageToTextTask",
            "body": PNG_B64,
            "module": "queueit",
            "score": 0.9,
            "case": True,
        },
    }


async def test_create_task_omits_unset_options() -> None:
    rec = Recorder([json_response(seeds.capsolver_ready())])
    async with client(rec) as c:
        await c.image_to_text(PNG)
    assert json_body(rec.last)["task"] == {"type": "ImageToTextTask", "body": PNG_B64}


@pytest.mark.parametrize(
    "image",
    [
        PNG,
        PNG_B64,
        PNG_B64.encode(),
        "data:image/png;base64," + PNG_B64,
        b"data:image/png;base64," + PNG_B64.encode(),
        "\n".join(PNG_B64[i : i + 76] for i in range(0, len(PNG_B64), 76)) + "\n",
        base64.encodebytes(PNG),
        "  DATA:image/PNG;base64," + PNG_B64[:100] + "\r\n" + PNG_B64[100:],
    ],
)
async def test_body_is_normalised(image: bytes | str) -> None:
    rec = Recorder([json_response(seeds.capsolver_ready())])
    async with client(rec) as c:
        await c.image_to_text(image)
    body = json_body(rec.last)["task"]["body"]
    assert body == PNG_B64
    assert "\n" not in body and not body.startswith("data:")


def test_normalise_image_body_on_literal_data() -> None:
    assert normalise_image_body(b"\xff\xd8\xff\xe0") == "/9j/4A=="
    assert normalise_image_body("/9j/4A==") == "/9j/4A=="
    assert (
        normalise_image_body(b"\x00\x01\x02weird")
        == base64.b64encode(b"\x00\x01\x02weird").decode()
    )
    for bad in ("not base64!", "data:image/png;base64,%%%", "é"):
        with pytest.raises(errors.ConfigurationError):
            normalise_image_body(bad)
    for empty in (b"", "", "  "):
        with pytest.raises(errors.InputFileError) as info:
            normalise_image_body(empty, source="e.png")
        assert info.value.code == "empty" and info.value.source == "e.png"


@pytest.mark.parametrize("score", [0.79, 1.01, -1, 2, float("nan"), float("inf"), "0.9", True])
async def test_bad_score_rejected_before_sending(score: Any) -> None:
    rec = Recorder([json_response(seeds.capsolver_ready())])
    async with client(rec) as c:
        with pytest.raises(errors.ConfigurationError):
            await c.image_to_text(PNG, score=score)
    assert rec.requests == []


@pytest.mark.parametrize("score", [0.8, 1, 1.0, 0.95])
async def test_scores_in_range_are_sent(score: float) -> None:
    rec = Recorder([json_response(seeds.capsolver_ready())])
    async with client(rec) as c:
        await c.image_to_text(PNG, score=score)
    assert json_body(rec.last)["task"]["score"] == score


@pytest.mark.parametrize(
    "kwargs", [{"module": ""}, {"module": 3}, {"case": "yes"}, {"image": b""}, {"image": "??"}]
)
async def test_bad_options_rejected_before_sending(kwargs: dict[str, Any]) -> None:
    rec = Recorder([json_response(seeds.capsolver_ready())])
    image = kwargs.pop("image", PNG)
    async with client(rec) as c:
        with pytest.raises((errors.ConfigurationError, errors.InputFileError)):
            await c.image_to_text(image, **kwargs)
    assert rec.requests == []


# --------------------------------------------------------------------------- polling


async def test_processing_answer_is_polled_until_ready() -> None:
    ready = {"errorId": 0, "status": "ready", "solution": {"text": "abc12"}}
    rec = Recorder(
        [
            processing("t-9"),
            processing("t-9"),
            json_response({"errorId": 0, "status": "idle"}),
            json_response(ready),
        ]
    )
    async with client(rec) as c:
        answer = await c.image_to_text(PNG, source="p.png")
    assert answer == ready
    assert [r.url.path for r in rec.requests] == [
        "/createTask",
        "/getTaskResult",
        "/getTaskResult",
        "/getTaskResult",
    ]
    assert all(json_body(r) == {"clientKey": KEY, "taskId": "t-9"} for r in rec.requests[1:])


async def test_polling_is_bounded() -> None:
    rec = Recorder([processing()])
    async with client(rec, poll_interval=0.01, poll_timeout=0.05) as c:
        with pytest.raises(errors.RetryableServiceError) as info:
            await c.image_to_text(PNG, source="slow.png")
    assert info.value.code == "POLL_TIMEOUT"
    assert info.value.request_id == "t-1" and info.value.source == "slow.png"
    assert 2 <= len(rec.requests) <= 8


async def test_polling_with_zero_interval_is_bounded_by_count() -> None:
    rec = Recorder([processing()])
    async with client(rec, poll_interval=0.0, poll_timeout=600) as c:
        with pytest.raises(errors.RetryableServiceError):
            await c.image_to_text(PNG)
    assert len(rec.requests) <= 101


async def test_error_while_polling_is_classified() -> None:
    rec = Recorder([processing(), failure("ERROR_TASKID_INVALID", "no such task")])
    async with client(rec) as c:
        with pytest.raises(errors.FileRejectedError) as info:
            await c.image_to_text(PNG, source="p.png")
    assert info.value.code == "ERROR_TASKID_INVALID" and info.value.message == "no such task"


async def test_failed_status_rejects_the_file() -> None:
    rec = Recorder([processing(), json_response({"errorId": 0, "status": "failed"})])
    async with client(rec) as c:
        with pytest.raises(errors.FileRejectedError) as info:
            await c.image_to_text(PNG)
    assert info.value.code == "TASK_FAILED" and info.value.request_id == "t-1"


@pytest.mark.parametrize(("interval", "timeout"), [(-1, 10), (1, 0), (float("nan"), 1)])
def test_poll_settings_are_checked(interval: float, timeout: float) -> None:
    with pytest.raises(errors.ConfigurationError):
        AsyncCapSolverClient(
            KEY, transport=Recorder([]).transport, poll_interval=interval, poll_timeout=timeout
        )


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(("code", "expected"), sorted(DOCUMENTED_CODES.items()))
async def test_every_documented_error_code(code: str, expected: type[errors.ServiceError]) -> None:
    rec = Recorder([failure(code, f"described {code}")])
    async with client(rec) as c:
        with pytest.raises(errors.ServiceError) as info:
            await c.image_to_text(PNG, source="c.png")
    err = info.value
    assert type(err) is expected
    assert err.code == code and err.message == f"described {code}"
    assert err.http_status == 400 and err.source == "c.png" and err.service == "capsolver"
    assert err.retryable == (expected is errors.RetryableServiceError)
    assert err.fatal_for_run == issubclass(expected, errors.RunAbortedError)


def test_error_table_covers_every_documented_code() -> None:
    assert {code: ERROR_CLASSES[code] for code in DOCUMENTED_CODES} == DOCUMENTED_CODES
    assert {code: classify_error_code(code) for code in DOCUMENTED_CODES} == DOCUMENTED_CODES
    assert classify_error_code("error_rate_limit") is errors.RetryableServiceError


@pytest.mark.parametrize(
    ("code", "status", "expected"),
    [
        ("ERROR_INVALID_IMAGE", 200, errors.FileRejectedError),
        ("ERROR_INVALID_IMAGE", 500, errors.FileRejectedError),
        ("ERROR_INVALID_IMAGE", 401, errors.AuthenticationError),
        ("ERROR_RATE_LIMIT", 429, errors.RetryableServiceError),
        ("ERROR_ZERO_BALANCE", 400, errors.InsufficientBalanceError),
        (None, 401, errors.AuthenticationError),
        (None, 403, errors.AuthenticationError),
        (None, 429, errors.RetryableServiceError),
        (None, 500, errors.RetryableServiceError),
        (None, 503, errors.RetryableServiceError),
        (None, 400, errors.FileRejectedError),
        (None, 200, errors.FileRejectedError),
        ("ERROR_BRAND_NEW", 400, errors.FileRejectedError),
        ("ERROR_BRAND_NEW", 502, errors.RetryableServiceError),
    ],
)
def test_classify_answer_table(
    code: str | None, status: int, expected: type[errors.ServiceError]
) -> None:
    assert classify_answer(code, status) is expected


async def test_unknown_code_keeps_its_text() -> None:
    rec = Recorder([failure("ERROR_SOMETHING_NEW", "a brand new refusal")])
    async with client(rec) as c:
        with pytest.raises(errors.FileRejectedError) as info:
            await c.image_to_text(PNG, source="n.png")
    assert info.value.code == "ERROR_SOMETHING_NEW"
    assert "a brand new refusal" in str(info.value) and "ERROR_SOMETHING_NEW" in str(info.value)


async def test_error_on_http_200_is_an_error() -> None:
    rec = Recorder([failure("ERROR_INVALID_IMAGE", "bad image", status=200)])
    async with client(rec) as c:
        with pytest.raises(errors.FileRejectedError):
            await c.image_to_text(PNG)


async def test_error_id_without_code() -> None:
    rec = Recorder([json_response({"errorId": 5}, 200)])
    async with client(rec) as c:
        with pytest.raises(errors.FileRejectedError) as info:
            await c.image_to_text(PNG)
    assert info.value.code == "errorId=5"


@pytest.mark.parametrize(
    ("response", "expected", "retry_after"),
    [
        (httpx.Response(401), errors.AuthenticationError, None),
        (failure("ERROR_KEY_DENIED_ACCESS", "denied", 401), errors.AuthenticationError, None),
        (httpx.Response(429, headers={"Retry-After": "30"}), errors.RetryableServiceError, 30.0),
        (
            failure("ERROR_RATE_LIMIT", "", 429, **{"Retry-After": "4"}),
            errors.RetryableServiceError,
            4.0,
        ),
        (httpx.Response(500, text="oops"), errors.RetryableServiceError, None),
        (httpx.Response(503, text="<html>down</html>"), errors.RetryableServiceError, None),
        (httpx.Response(400, text="bad"), errors.FileRejectedError, None),
    ],
)
async def test_http_statuses(
    response: httpx.Response, expected: type[errors.ServiceError], retry_after: float | None
) -> None:
    rec = Recorder([response])
    async with client(rec) as c:
        with pytest.raises(errors.ServiceError) as info:
            await c.image_to_text(PNG, source="h.png")
    assert type(info.value) is expected
    assert info.value.http_status == response.status_code
    assert info.value.retry_after == retry_after
    assert info.value.source == "h.png"


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b"", "empty response body"),
        (b"Service temporarily unavailable", "is not JSON"),
        (b'{"errorId": 0, "status": "ready", "solution": {"te', "JSON that ends early"),
        (b"[]", "response body is a list, expected an object"),
        (b'{"status": "ready"}', "errorId is missing"),
        (b'{"errorId": "0", "status": "ready"}', "errorId is a string, expected an integer"),
        (b'{"errorId": 0}', "status is missing"),
        (b'{"errorId": 0, "status": "done"}', "status is 'done', expected"),
        (b'{"errorId": 0, "status": "ready"}', "solution is missing"),
        (
            b'{"errorId": 0, "status": "ready", "solution": null}',
            "solution is null, expected an object",
        ),
        (
            b'{"errorId": 0, "status": "ready", "solution": {"text": 44795}}',
            "solution.text is an integer, expected a string",
        ),
        (
            b'{"errorId": 0, "status": "ready", "solution": {"answers": "x"}}',
            "solution.answers is a string, expected a list",
        ),
        (b'{"errorId": 0, "status": "processing"}', "taskId is missing"),
    ],
)
async def test_malformed_answers(body: bytes, fragment: str) -> None:
    rec = Recorder([httpx.Response(200, content=body)])
    async with client(rec) as c:
        with pytest.raises(errors.ResponseFormatError) as info:
            await c.image_to_text(PNG, source="m.png")
    assert fragment in str(info.value)
    assert info.value.source == "m.png"


async def test_number_module_answers_are_accepted() -> None:
    answer = {"errorId": 0, "status": "ready", "solution": {"answers": ["1", "2"]}, "taskId": "t"}
    rec = Recorder([json_response(answer)])
    async with client(rec) as c:
        assert await c.image_to_text(PNG, module="number") == answer


async def test_transport_failure() -> None:
    def reset(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadError("connection reset", request=request)

    async with AsyncCapSolverClient(KEY, transport=httpx.MockTransport(reset)) as c:
        with pytest.raises(errors.TransportError) as info:
            await c.image_to_text(PNG, source="t.png")
    assert info.value.source == "t.png" and info.value.retryable


# --------------------------------------------------------------------------- balance, config


async def test_get_balance() -> None:
    answer = {"errorId": 0, "balance": 12.5, "packages": []}
    rec = Recorder([json_response(answer)])
    async with client(rec) as c:
        assert await c.get_balance() == answer
    assert str(rec.last.url) == BASE + "/getBalance"
    assert json_body(rec.last) == {"clientKey": KEY}


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        (json_response({"errorId": 0}), errors.ResponseFormatError),
        (json_response({"errorId": 0, "balance": "12"}), errors.ResponseFormatError),
        (failure("ERROR_KEY_DENIED_ACCESS"), errors.AuthenticationError),
        (failure("ERROR_ZERO_BALANCE"), errors.InsufficientBalanceError),
    ],
)
async def test_get_balance_errors(response: httpx.Response, expected: type[Exception]) -> None:
    async with client(Recorder([response])) as c:
        with pytest.raises(expected):
            await c.get_balance()


async def test_sync_client_inside_running_loop() -> None:
    rec = Recorder(
        [json_response(seeds.capsolver_ready()), json_response({"errorId": 0, "balance": 1})]
    )
    with CapSolverClient(KEY, base_url=BASE, transport=rec.transport) as c:
        assert c.image_to_text(PNG, module="common")["solution"]["text"] == "44795sds"
        assert c.get_balance()["balance"] == 1
        assert repr(c) == "CapSolverClient(base_url='https://capsolver.test', key=set)"
        assert not c.uses_embedded_engine and c.base_url == BASE


async def test_environment_supplies_key_and_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAPSOLVER_API_KEY", "env-cap-key-7")
    monkeypatch.setenv("CAPSOLVER_API_BASE", "http://127.0.0.1:1/")
    rec = Recorder([json_response({"errorId": 0, "balance": 0})])
    async with AsyncCapSolverClient(transport=rec.transport) as c:
        await c.get_balance()
    assert json_body(rec.last) == {"clientKey": "env-cap-key-7"}
    assert str(rec.last.url) == "http://127.0.0.1:1/getBalance"


async def test_nothing_configured_uses_the_embedded_engine(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    rec = Recorder([json_response(seeds.capsolver_ready())])
    monkeypatch.setattr(_http, "embedded_engine", lambda: (rec.transport, "http://engine.local"))
    monkeypatch.setattr(_http, "_ANNOUNCED", set())
    caplog.set_level(logging.INFO, logger="ocrframe")
    async with AsyncCapSolverClient() as c:
        assert c.uses_embedded_engine
        await c.image_to_text(PNG)
    assert str(rec.last.url) == "http://engine.local/createTask"
    assert json_body(rec.last)["clientKey"] == ""
    assert "no CapSolver key configured" in caplog.text
