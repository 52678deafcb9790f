"""The lead's shared pieces: page selections, the error tree, the sync bridge."""

from __future__ import annotations

import asyncio
import threading

import pytest

from ocrframe import errors
from ocrframe._inputs import format_pages, parse_pages
from ocrframe._sync import background_loop, run_sync


@pytest.mark.parametrize(
    ("spec", "pages"),
    [
        ("1-1", [1]),
        ("2-3", [2, 3]),
        ("1-1, 3-4", [1, 3, 4]),
        (" 4 ,1-2", [1, 2, 4]),
        ("5", [5]),
        ([3, 1, 3], [1, 3]),
        ((2,), [2]),
    ],
)
def test_parse_pages(spec: str | list[int], pages: list[int]) -> None:
    assert parse_pages(spec) == pages


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        ("3-1", "ends before it starts"),
        ("0-2", "pages start at 1"),
        ("a", "is not 'N' or 'N-M'"),
        ("", "empty page selection"),
        ("1-", "is not 'N' or 'N-M'"),
        ("1,,2", "is not 'N' or 'N-M'"),
        ([], "empty page selection"),
        ([0], "pages start at 1"),
        ([True], "not a whole number"),
        (["1"], "not a whole number"),
    ],
)
def test_parse_pages_rejects(spec: object, fragment: str) -> None:
    with pytest.raises(errors.PageRangeError) as info:
        parse_pages(spec)  # type: ignore[arg-type]
    assert fragment in str(info.value)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    ("spec", "text"),
    [([1, 3, 4], "1-1, 3-4"), ("2,3", "2-3"), ([7], "7-7"), ("1-2, 3-3, 9", "1-3, 9-9")],
)
def test_format_pages(spec: str | list[int], text: str) -> None:
    assert format_pages(spec) == text
    assert parse_pages(format_pages(spec)) == parse_pages(spec)


def test_error_classes_drive_the_batch_engine() -> None:
    retry = errors.RetryableServiceError(
        "busy", service="capsolver", code="ERROR_RATE_LIMIT", retry_after=3.0, source="a.png"
    )
    assert retry.retryable and not retry.fatal_for_run and retry.retry_after == 3.0
    assert errors.AuthenticationError("no", service="docai", code="401").fatal_for_run
    assert errors.InsufficientBalanceError("x", service="capsolver", code="Z").fatal_for_run
    assert not errors.FileRejectedError("x", service="docai", code="400").retryable
    assert errors.TransportError("reset", service="docai").retryable
    assert errors.ResponseFormatError("bad", service="docai").retryable
    assert errors.InputFileError("empty", code="empty", source="x.pdf").code == "empty"
    assert str(retry).startswith("a.png: capsolver error ERROR_RATE_LIMIT")
    assert issubclass(errors.PageRangeError, errors.ConfigurationError)
    for name in errors.__all__:
        obj = getattr(errors, name)
        if isinstance(obj, type):
            assert issubclass(obj, errors.OcrframeError)


def test_registered_secrets_never_reach_messages() -> None:
    secret = "sk-test-RECOGNISABLE-0042"
    errors.register_secret(secret)
    err = errors.ServiceError(
        f"key {secret} denied; Authorization: Bearer {secret}", service="docai", code="401"
    )
    for text in (str(err), repr(err), err.message, *map(str, err.args)):
        assert secret not in text
    assert "Bearer ***" in errors.redact("Authorization: Bearer abc.def")


def test_run_sync_from_plain_code() -> None:
    async def where() -> str:
        await asyncio.sleep(0)
        return threading.current_thread().name

    assert run_sync(where()) == "ocrframe-loop"


async def test_run_sync_inside_a_running_loop() -> None:
    # A Jupyter kernel runs a loop on the main thread: the sync API must still work there.
    async def double(x: int) -> int:
        await asyncio.sleep(0)
        return 2 * x

    assert asyncio.get_running_loop() is not background_loop()
    assert run_sync(double(21)) == 42


def test_run_sync_propagates_errors() -> None:
    async def fail() -> None:
        raise errors.ConfigurationError("bad option")

    with pytest.raises(errors.ConfigurationError, match="bad option"):
        run_sync(fail())
