"""The batch engine's choices, as pure functions on literal data."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from ocrframe._batch import (
    MAX_RETRY_AFTER,
    key_options,
    make_options,
    plan_unit,
    retry_wait,
    unit_status,
)
from ocrframe._cache import cache_key, key_function
from ocrframe._frames import Extraction
from ocrframe._records import DocumentRecord, Service
from ocrframe.errors import (
    AuthenticationError,
    ConfigurationError,
    FileRejectedError,
    InsufficientBalanceError,
    PageRangeError,
    ResponseFormatError,
    RetryableServiceError,
    TransportError,
)

DONE = {"code": 200, "data": {"fileId": "f1", "recognizeStatus": "1", "result": {}}}
RUNNING = {"code": 200, "data": {"fileId": "f1", "recognizeStatus": "2"}}
FAILED = {"code": 200, "data": {"fileId": "f1", "recognizeStatus": "0"}}
READY = {"errorId": 0, "status": "ready", "solution": {"text": "44795sds"}, "taskId": "t"}


@pytest.mark.parametrize(
    ("cached", "pending", "refresh", "action"),
    [
        (False, None, False, "submit"),
        (True, None, False, "cached"),
        (True, "f1", False, "cached"),
        (False, "f1", False, "poll"),
        (True, None, True, "submit"),
        (False, "f1", True, "submit"),
    ],
)
def test_plan_unit(cached: bool, pending: str | None, refresh: bool, action: str) -> None:
    assert plan_unit(cached=cached, pending_file_id=pending, refresh=refresh) == action


def test_retry_wait_retries_only_what_is_retryable_and_honours_retry_after() -> None:
    busy = RetryableServiceError("busy", service="docai", code="429", retry_after=2.5)
    assert retry_wait(busy) == 2.5
    assert retry_wait(RetryableServiceError("x", service="docai", code="503")) is True
    assert retry_wait(TransportError("reset", service="docai")) is True
    assert retry_wait(ResponseFormatError("truncated", service="docai")) is True
    assert retry_wait(FileRejectedError("bad", service="docai", code="400")) is False
    assert retry_wait(AuthenticationError("key", service="docai", code="401")) is False
    assert retry_wait(InsufficientBalanceError("0", service="capsolver", code="Z")) is False
    assert retry_wait(ValueError("a bug")) is False
    # A stopping run retries nothing; an absurd Retry-After is capped; a negative one is 0.
    assert retry_wait(busy, stopping=True) is False
    huge = RetryableServiceError("x", service="docai", code="429", retry_after=86400)
    assert retry_wait(huge) == MAX_RETRY_AFTER
    neg = RetryableServiceError("x", service="docai", code="429", retry_after=-3)
    assert retry_wait(neg) == 0.0


def test_unit_status_agrees_with_the_answer() -> None:
    assert unit_status("docai", DONE, None) == "ok"
    assert unit_status("docai", RUNNING, None) == "pending"
    assert unit_status("docai", FAILED, "recognition_failed") == "failed"
    assert unit_status("docai", {"code": 200, "data": {"x": 1}}, None) == "failed"
    assert unit_status("docai", None, "corrupt") == "failed"
    assert unit_status("capsolver", READY, None) == "ok"
    # An answer is what the service said, whatever went wrong around it (the documents table's
    # rule): a ready answer stays ok, a running recognition pending.
    assert unit_status("capsolver", READY, "internal_error") == "ok"
    assert unit_status("docai", RUNNING, "run_aborted") == "pending"
    assert unit_status("capsolver", {"errorId": 0, "status": "processing"}, None) == "pending"


def test_unit_status_is_the_documents_table_status() -> None:
    cases: list[tuple[Service, dict[str, Any] | None, str | None]] = [
        ("docai", DONE, None),
        ("docai", RUNNING, "run_aborted"),
        ("docai", FAILED, "recognition_failed"),
        ("docai", {"code": 200, "data": {"x": 1}}, None),
        ("docai", {"code": 500, "message": "boom"}, None),
        ("docai", None, "corrupt"),
        ("capsolver", READY, None),
        ("capsolver", READY, "internal_error"),
        ("capsolver", {"errorId": 1, "errorCode": "ERROR_X"}, None),
        ("capsolver", {"errorId": 0, "status": "processing"}, None),
        ("capsolver", {"nothing": "known"}, None),
    ]
    records = [
        DocumentRecord(
            source=f"f{n:02d}", service=service, model="m", response=response, error_code=code
        )
        for n, (service, response, code) in enumerate(cases)
    ]
    table = Extraction.from_records(records).documents["status"].tolist()
    assert [unit_status(*case) for case in cases] == table
    assert set(table) == {"ok", "failed", "pending"}


def test_cache_key_covers_what_changes_the_answer_and_nothing_else() -> None:
    sha = "ab" * 32
    docai = make_options(service="docai", model="invoice")
    base = cache_key(
        sha256=sha,
        service="docai",
        model="invoice",
        options=key_options(docai, "api.docai.pro", rendered=False),
    )
    # Concurrency, retries, refresh: how it is asked, not what is answered.
    other_run = make_options(service="docai", model="invoice", concurrency=3, retries=2)
    assert base == cache_key(
        sha256=sha,
        service="docai",
        model="invoice",
        options=key_options(other_run, "api.docai.pro", rendered=False),
    )
    variants = [
        cache_key(
            sha256="cd" * 32,
            service="docai",
            model="invoice",
            options=key_options(docai, "api.docai.pro", rendered=False),
        ),
        cache_key(
            sha256=sha,
            service="docai",
            model="text",
            options=key_options(docai, "api.docai.pro", rendered=False),
        ),
        cache_key(
            sha256=sha,
            service="docai",
            model="invoice",
            options=key_options(
                make_options(model="invoice", pages="1-2"), "api.docai.pro", rendered=False
            ),
        ),
        cache_key(
            sha256=sha,
            service="docai",
            model="invoice",
            options=key_options(
                make_options(model="invoice", workspace="w"), "api.docai.pro", rendered=False
            ),
        ),
        cache_key(
            sha256=sha,
            service="docai",
            model="invoice",
            options=key_options(docai, "embedded", rendered=False),
        ),
        cache_key(
            sha256=sha,
            service="docai",
            model="invoice",
            page=2,
            options=key_options(docai, "api.docai.pro", rendered=False),
        ),
    ]
    assert len({base, *variants}) == len(variants) + 1
    cap = make_options(service="capsolver", model="common")
    assert key_options(cap, "h", rendered=True)["render_dpi"] == 200
    assert (
        key_options(make_options(service="capsolver", score=0.9), "h", rendered=False)["score"]
        == 0.9
    )
    # The same selection written two ways is one key.
    assert key_options(make_options(pages="1-1, 2-3"), "h", rendered=False) == key_options(
        make_options(pages=[3, 1, 2]), "h", rendered=False
    )


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"service": "fax"}, ConfigurationError),
        ({"model": ""}, ConfigurationError),
        ({"pages": "3-1"}, PageRangeError),
        ({"pages": [0]}, PageRangeError),
        ({"service": "capsolver", "workspace": "w"}, ConfigurationError),
        ({"service": "capsolver", "asynchronous": True}, ConfigurationError),
        ({"service": "docai", "score": 0.9}, ConfigurationError),
        ({"service": "docai", "case": True}, ConfigurationError),
        ({"service": "capsolver", "score": 0.5}, ConfigurationError),
        ({"service": "capsolver", "case": "yes"}, ConfigurationError),
        ({"concurrency": 0}, ConfigurationError),
        ({"concurrency": 2.5}, ConfigurationError),
        ({"rate_limit": 0}, ConfigurationError),
        ({"retries": 0}, ConfigurationError),
        ({"retries": True}, ConfigurationError),
        ({"retry_timeout": -1}, ConfigurationError),
        ({"max_file_bytes": 0}, ConfigurationError),
        ({"refresh": "no"}, ConfigurationError),
    ],
)
def test_make_options_refuses_bad_settings(kwargs: dict[str, object], error: type) -> None:
    with pytest.raises(error):
        make_options(**kwargs)  # type: ignore[arg-type]


def test_make_options_normalises() -> None:
    o = make_options(service="capsolver", score=1, rate_limit=2, pages="2, 1")
    assert o.score == 1.0 and isinstance(o.score, float)
    assert o.pages == (1, 2) and o.pages_text == "1-2"
    assert make_options().pages_text is None


def test_first_wait_follows_stamina() -> None:
    import stamina

    from ocrframe._batch import first_wait

    assert first_wait(2.5) == 2.5
    assert all(0.5 <= first_wait(True) <= 1.5 for _ in range(50))
    with stamina.set_testing(True):
        assert first_wait(2.5) == 0.0 and first_wait(True) == 0.0


def test_key_function_gives_the_keys_cache_key_gives() -> None:
    # A run builds its keys with key_function; a cache written before must still be read.
    options = {"host": "api.capsolver.com", "score": 0.9, "case": None, "render_dpi": 200}
    key = key_function(service="capsolver", model="common", options=options)
    for sha, page in (("ab" * 32, None), ("cd" * 32, 3)):
        assert key(sha, page) == cache_key(
            sha256=sha, service="capsolver", model="common", page=page, options=options
        )
    # Fixed: the key of version 1 of the identity, whatever the implementation.
    assert cache_key(sha256="ab" * 32, service="docai", model="invoice") == (
        hashlib.sha256(
            b'{"model":"invoice","options":{},"page":null,"service":"docai",'
            b'"sha256":"' + b"ab" * 32 + b'","v":1}'
        ).hexdigest()
    )


def test_extract_async_takes_every_setting_of_make_options() -> None:
    # extract_async hands its own parameters named like make_options' to it: same names, same
    # defaults, or a setting would silently stop reaching the run.
    import inspect

    from ocrframe._batch import extract, extract_async

    ours = inspect.signature(extract_async).parameters
    for name, parameter in inspect.signature(make_options).parameters.items():
        assert name in ours, name
        assert ours[name].default == parameter.default, name
    assert inspect.signature(extract).parameters == ours
    assert extract.__name__ == "extract" and "blocks" in (extract.__doc__ or "")
