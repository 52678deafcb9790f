"""The shared HTTP base: pure helpers tested on literal data, and the one exception mapping."""

from __future__ import annotations

from datetime import UTC, datetime

import aiohttp
import httpx
import pytest

from ocrframe import errors
from ocrframe.services import _http
from ocrframe.services._http import (
    classify_http_status,
    decode_json,
    describe,
    map_transport_errors,
    parse_retry_after,
    snippet,
)

NOW = datetime(2026, 11, 21, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("7", 7.0),
        (" 120 ", 120.0),
        ("1.5", 1.5),
        ("0", 0.0),
        ("-3", 0.0),
        ("Sat, 21 Nov 2026 12:00:30 GMT", 30.0),
        ("Sat, 21 Nov 2026 11:59:00 GMT", 0.0),
        ("Sat, 21 Nov 2026 12:01:00 +0000", 60.0),
        ("soon", None),
        ("", None),
        ("inf", None),
        ("nan", None),
        (None, None),
    ],
)
def test_parse_retry_after(header: str | None, seconds: float | None) -> None:
    assert parse_retry_after(header, now=NOW) == seconds


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (200, None),
        (204, None),
        (302, None),
        (400, errors.FileRejectedError),
        (401, errors.AuthenticationError),
        (403, errors.AuthenticationError),
        (404, errors.FileRejectedError),
        (413, errors.FileRejectedError),
        (408, errors.RetryableServiceError),
        (429, errors.RetryableServiceError),
        (500, errors.RetryableServiceError),
        (502, errors.RetryableServiceError),
        (503, errors.RetryableServiceError),
    ],
)
def test_classify_http_status(status: int, expected: type[errors.ServiceError] | None) -> None:
    assert classify_http_status(status) is expected


@pytest.mark.parametrize(
    ("value", "name"),
    [
        (None, "null"),
        (True, "a boolean"),
        (3, "an integer"),
        (2.5, "a number"),
        ("x", "a string"),
        ([], "a list"),
        ({}, "an object"),
    ],
)
def test_describe(value: object, name: str) -> None:
    assert describe(value) == name


def test_decode_json_ok() -> None:
    assert decode_json(b' {"a": [1, "2"]} ', service="docai") == {"a": [1, "2"]}


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b"", "empty response body"),
        (b"  \n", "empty response body"),
        (b"<html>502 Bad Gateway</html>", "is not JSON"),
        (b'{"code": 200, "data": {"fileId": "12', "JSON that ends early (truncated at byte"),
        (b'{"code": 200,', "ends early"),
        (b"\xff\xfe{}", "not UTF-8"),
    ],
)
def test_decode_json_errors(body: bytes, fragment: str) -> None:
    with pytest.raises(errors.ResponseFormatError) as info:
        decode_json(body, service="capsolver", http_status=200, source="a.png")
    assert fragment in str(info.value)
    assert info.value.source == "a.png"
    assert info.value.service == "capsolver"
    assert info.value.retryable


def test_snippet_redacts_before_cutting() -> None:
    key = "sk-SNIPPET-abcdefghijklmnop"
    errors.register_secret(key)
    # The key straddles the cut: truncating first would leave half of it in the message.
    body = (b"x" * 50 + key.encode() + b" rest").decode().encode()
    text = snippet(body)
    assert "SNIPPET" not in text and "abcdef" not in text
    assert "***" in text or text.endswith("...")


@pytest.mark.parametrize(
    "exc",
    [
        httpx.ConnectError("refused"),
        httpx.ReadTimeout("slow"),
        httpx.RemoteProtocolError("peer closed connection"),
        httpx.ReadError("reset"),
        ConnectionResetError("reset by peer"),
        TimeoutError(),
        aiohttp.ClientPayloadError("payload cut"),
        aiohttp.ServerDisconnectedError(),
    ],
)
def test_map_transport_errors(exc: Exception) -> None:
    with pytest.raises(errors.TransportError) as info, map_transport_errors("docai", source="f"):
        raise exc
    # The cause names the original (type and text) without holding it: see tests/hostile.
    assert type(exc).__name__ in str(info.value.__cause__)
    assert info.value.__cause__ is not exc
    assert info.value.retryable and info.value.source == "f"


def test_transport_error_names_the_original_exception() -> None:
    def dropped() -> None:
        try:
            raise aiohttp.ServerDisconnectedError()
        except aiohttp.ClientError as exc:
            # What httpx-aiohttp does with a dropped connection.
            raise httpx.ConnectTimeout(str(exc)) from exc

    with pytest.raises(errors.TransportError) as info, map_transport_errors("docai"):
        dropped()
    assert "ServerDisconnectedError" in str(info.value)
    assert "in time" not in str(info.value)
    with pytest.raises(errors.TransportError) as info, map_transport_errors("docai"):
        raise httpx.ReadTimeout("read timed out")
    assert str(info.value) == "no answer from docai in time (ReadTimeout: read timed out)"


def test_map_transport_errors_leaves_other_errors() -> None:
    with pytest.raises(KeyError), map_transport_errors("docai"):
        raise KeyError("not a transport problem")


async def test_default_transport_is_aiohttp() -> None:
    from httpx_aiohttp import AiohttpTransport

    transport = _http.default_transport(17)
    assert isinstance(transport, AiohttpTransport)
    session = transport.get_client()
    try:
        assert session.connector is not None and session.connector.limit == 17
        assert not session.trust_env  # no ~/.netrc lookups that would clash with Bearer
    finally:
        await session.close()
