"""The batch engine's protocol edge cases, with httpx.MockTransport handlers."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import re
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

import ocrframe
from ocrframe._batch import DatasetExtraction, calls
from ocrframe._batch.decisions import first_wait

KEY = "sk-live-very-secret-123"
URL = "https://docai.test"
IDENTIFY = "/api/identify/file/v2/identifyByEncodeString"
RESULT = "/api/identify/file/v2/identifyResult"


def _file_sha(request: httpx.Request) -> str:
    body = request.read()
    match = re.search(rb'name="encodeString"\r\n\r\n([A-Za-z0-9+/=]+)\r\n', body)
    assert match is not None
    return hashlib.sha256(base64.b64decode(match.group(1))).hexdigest()


def _envelope(data: Any, code: int = 200, message: str | None = None) -> dict[str, Any]:
    return {
        "code": code,
        "message": message,
        "requestId": "req-1",
        "currentTimeMillis": 1,
        "costTime": 1,
        "data": data,
    }


def _done(file_id: str, text: str = "hello") -> dict[str, Any]:
    return {
        "fileId": file_id,
        "recognizeStatus": "1",
        "result": {
            "fieldList": [{"pageNumber": 1, "key": "line", "value": text}],
            "itemList": [],
            "taxList": [],
        },
    }


class Service:
    """A scripted DocAI: ``script(request, n)`` answers the n-th request for a file (0-based)."""

    def __init__(self, script: Callable[[httpx.Request, int, str], httpx.Response]) -> None:
        self.script = script
        self.seen: Counter[str] = Counter()
        self.times: list[float] = []
        self.paths: Counter[str] = Counter()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.paths[request.url.path] += 1
        self.times.append(time.monotonic())
        if request.url.path == IDENTIFY:
            sha = _file_sha(request)
            n = self.seen[sha]
            self.seen[sha] += 1
            return self.script(request, n, sha)
        return self.script(request, -1, "")

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)


def _files(folder: Path, n: int, make: Any) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        path = folder / f"f{i:02d}.pdf"
        path.write_bytes(make.pdf(f"file {i}"))
        paths.append(path)
    return paths


async def _run(folder: Path, service: Service, tmp_path: Path, **kwargs: Any) -> Any:
    options: dict[str, Any] = {
        "service": "docai",
        "model": "m1",
        "api_key": KEY,
        "base_url": URL,
        "transport": service.transport(),
        "cache": tmp_path / "cache.sqlite3",
        "progress": False,
    }
    options.update(kwargs)
    return await ocrframe.extract_async(folder, **options)


async def test_retry_after_is_honoured(
    tmp_path: Path, make: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    waits: list[float] = []

    def recorded(decision: bool | float) -> float:
        waits.append(first_wait(decision))
        return waits[-1]

    monkeypatch.setattr(calls, "first_wait", recorded)

    def script(request: httpx.Request, n: int, sha: str) -> httpx.Response:
        if n == 0:
            return httpx.Response(
                429, json=_envelope(None, 429, "slow down"), headers={"Retry-After": "0.4"}
            )
        return httpx.Response(200, json=_envelope(_done("f1")))

    service = Service(script)
    _files(tmp_path / "in", 1, make)
    ex = await _run(tmp_path / "in", service, tmp_path)
    assert ex.documents["status"].tolist() == ["ok"]
    assert ex.documents["attempts"].tolist() == [2]
    gap = service.times[1] - service.times[0]
    # Exactly the wait asked for (no jitter on a Retry-After), not the default backoff.
    assert waits == [0.4]
    assert gap >= 0.38


async def test_non_retryable_is_tried_once(tmp_path: Path, make: Any, no_waits: object) -> None:
    def script(request: httpx.Request, n: int, sha: str) -> httpx.Response:
        return httpx.Response(200, json=_envelope(None, 400, "bad file"))

    service = Service(script)
    _files(tmp_path / "in", 3, make)
    ex = await _run(tmp_path / "in", service, tmp_path, retries=5)
    docs = ex.documents
    assert (docs["status"] == "failed").all()
    assert docs["attempts"].tolist() == [1, 1, 1]
    assert set(service.seen.values()) == {1}
    assert docs["error_code"].tolist() == ["400"] * 3
    assert "bad file" in docs["error_message"].iloc[0]


async def test_retries_are_capped_and_recognize_status_0_counts(
    tmp_path: Path, make: Any, no_waits: object
) -> None:
    def script(request: httpx.Request, n: int, sha: str) -> httpx.Response:
        if sha.startswith(FIRST[0]):
            return httpx.Response(200, json=_envelope({"fileId": "x", "recognizeStatus": "0"}))
        if n < 2:
            return httpx.Response(503, text="<html>busy</html>")
        return httpx.Response(200, json=_envelope(_done("f2")))

    paths = _files(tmp_path / "in", 2, make)
    FIRST[0] = hashlib.sha256(paths[0].read_bytes()).hexdigest()
    service = Service(script)
    ex = await _run(tmp_path / "in", service, tmp_path, retries=4)
    docs = ex.documents.set_index("source")
    assert docs.loc["f00.pdf", "status"] == "failed"
    assert docs.loc["f00.pdf", "error_code"] == "recognition_failed"
    assert docs.loc["f00.pdf", "attempts"] == 4
    assert docs.loc["f01.pdf", "status"] == "ok"
    assert docs.loc["f01.pdf", "attempts"] == 3
    assert max(service.seen.values()) == 4


FIRST = [""]


async def test_sync_recognize_status_2_is_polled(tmp_path: Path, make: Any) -> None:
    polls = Counter[str]()

    def script(request: httpx.Request, n: int, sha: str) -> httpx.Response:
        if request.url.path == RESULT:
            ids = json.loads(request.read())["fileIdList"]
            polls["n"] += 1
            items = [
                _done(i) if polls["n"] >= 2 else {"fileId": i, "recognizeStatus": "2"} for i in ids
            ]
            return httpx.Response(200, json=_envelope(items))
        return httpx.Response(
            200, json=_envelope({"fileId": f"id-{sha[:6]}", "recognizeStatus": "2"})
        )

    _files(tmp_path / "in", 3, make)
    service = Service(script)
    ex = await _run(tmp_path / "in", service, tmp_path, poll_interval=0.01)
    assert (ex.documents["status"] == "ok").all()
    assert ex.documents["attempts"].tolist() == [1, 1, 1]
    assert len(ex.fields) == 3
    # One identifyResult request per round for all three files, not one per file.
    assert service.paths[RESULT] <= 3


async def test_asynchronous_mode_pending_then_collected_by_running_again(
    tmp_path: Path, make: Any
) -> None:
    state = {"finished": False}

    def script(request: httpx.Request, n: int, sha: str) -> httpx.Response:
        if request.url.path == RESULT:
            ids = json.loads(request.read())["fileIdList"]
            items = [
                _done(i) if state["finished"] else {"fileId": i, "recognizeStatus": "2"}
                for i in ids
            ]
            return httpx.Response(200, json=_envelope(items))
        assert b'name="isAsynchronous"\r\n\r\n1' in request.read()
        return httpx.Response(
            200, json=_envelope({"fileId": f"id-{sha[:6]}", "recognizeStatus": "2"})
        )

    _files(tmp_path / "in", 4, make)
    service = Service(script)
    first = await _run(
        tmp_path / "in",
        service,
        tmp_path,
        asynchronous=True,
        poll_interval=0.01,
        poll_timeout=0.2,
    )
    docs = first.documents
    assert (docs["status"] == "pending").all()
    assert docs["file_id"].str.startswith("id-").all()
    assert service.paths[IDENTIFY] == 4

    state["finished"] = True
    second = await _run(tmp_path / "in", service, tmp_path, asynchronous=True, poll_interval=0.01)
    assert (second.documents["status"] == "ok").all()
    assert service.paths[IDENTIFY] == 4  # collected by polling, not submitted again
    assert sorted(second.documents["file_id"]) == sorted(docs["file_id"])

    third = await _run(tmp_path / "in", service, tmp_path, asynchronous=True)
    assert third.documents["cached"].all()
    assert service.paths[IDENTIFY] == 4


async def test_run_fatal_error_stops_promptly_and_keeps_what_finished(
    tmp_path: Path, make: Any
) -> None:
    answered = Counter[str]()

    def script(request: httpx.Request, n: int, sha: str) -> httpx.Response:
        if sum(answered.values()) >= 5:
            return httpx.Response(401, json=_envelope(None, 401, "key refused"))
        answered[sha] += 1
        return httpx.Response(200, json=_envelope(_done(sha[:8])))

    _files(tmp_path / "in", 40, make)
    service = Service(script)
    with pytest.raises(ocrframe.AuthenticationError) as err:
        await _run(tmp_path / "in", service, tmp_path, concurrency=2, out=tmp_path / "out")
    assert KEY not in str(err.value) and KEY not in repr(err.value)
    partial = err.value.extraction
    assert isinstance(partial, DatasetExtraction)
    assert partial.summary.aborted is err.value
    docs = partial.documents
    # The ledger is complete: every file once, finished ones ok, the rest failed with a reason.
    assert len(docs) == 40 and docs["source"].is_unique
    assert (docs["status"] == "ok").sum() == 5
    failed = docs[docs["status"] == "failed"]
    assert set(failed["error_code"]) <= {"401", "run_aborted"}
    assert (failed["error_code"] == "run_aborted").sum() >= 30
    assert (
        failed.loc[failed["error_code"] == "run_aborted", "error_message"]
        .str.contains("key refused")
        .all()
    )
    # Prompt: no more requests after the first refusal than were already in flight.
    assert sum(service.seen.values()) <= 5 + 2
    # What finished is in the cache: the next run (a good key) sends only the rest.
    answered.clear()
    service2 = Service(lambda r, n, sha: httpx.Response(200, json=_envelope(_done(sha[:8]))))
    again = await _run(tmp_path / "in", service2, tmp_path, out=tmp_path / "out")
    assert (again.documents["status"] == "ok").all() and len(again.documents) == 40
    assert sum(service2.seen.values()) == 35


async def test_cache_refresh_and_no_key_on_disk(tmp_path: Path, make: Any) -> None:
    service = Service(lambda r, n, sha: httpx.Response(200, json=_envelope(_done(sha[:8]))))
    _files(tmp_path / "in", 3, make)
    await _run(tmp_path / "in", service, tmp_path)
    await _run(tmp_path / "in", service, tmp_path)
    assert sum(service.seen.values()) == 3
    refreshed = await _run(tmp_path / "in", service, tmp_path, refresh=True)
    assert sum(service.seen.values()) == 6
    assert not refreshed.documents["cached"].any()
    # Another model is another answer.
    await _run(tmp_path / "in", service, tmp_path, model="m2")
    assert sum(service.seen.values()) == 9
    stored = [f.read_bytes() for f in sorted(tmp_path.iterdir()) if "cache" in f.name]  # noqa: ASYNC240
    assert stored and all(KEY.encode() not in data for data in stored)


async def test_same_content_under_two_names_is_sent_once(tmp_path: Path, make: Any) -> None:
    service = Service(lambda r, n, sha: httpx.Response(200, json=_envelope(_done(sha[:8]))))
    (tmp_path / "in").mkdir()
    for name in ("a.pdf", "b.pdf", "c.pdf"):
        (tmp_path / "in" / name).write_bytes(make.pdf("same"))
    ex = await _run(tmp_path / "in", service, tmp_path, concurrency=3)
    assert sum(service.seen.values()) == 1
    docs = ex.documents
    assert (docs["status"] == "ok").all() and docs["cached"].sum() == 2


async def test_rate_limit_spaces_requests(tmp_path: Path, make: Any) -> None:
    service = Service(lambda r, n, sha: httpx.Response(200, json=_envelope(_done(sha[:8]))))
    _files(tmp_path / "in", 8, make)
    await _run(tmp_path / "in", service, tmp_path, cache=False, rate_limit=4, concurrency=8)
    # A bucket of 4 a second: the first four go at once, the next four take about a second.
    assert service.times[-1] - service.times[0] >= 0.7


async def test_bad_input_becomes_failed_rows_and_nothing_is_sent_for_it(
    tmp_path: Path, make: Any
) -> None:
    service = Service(lambda r, n, sha: httpx.Response(200, json=_envelope(_done(sha[:8]))))
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "good.pdf").write_bytes(make.pdf("ok"))
    (folder / "empty.pdf").write_bytes(b"")
    (folder / "big.png").write_bytes(make.png("x") + b"\0" * 5000)
    (folder / "text.pdf").write_text("just text")
    (folder / "cut.pdf").write_bytes(make.pdf("x")[:70])
    ex = await _run(folder, service, tmp_path, max_file_bytes=4000)
    docs = ex.documents.set_index("source")
    assert docs.loc["good.pdf", "status"] == "ok"
    assert docs.loc["empty.pdf", "error_code"] == "empty"
    assert docs.loc["big.png", "error_code"] == "too_large"
    assert docs.loc["text.pdf", "error_code"] == "unsupported"
    assert docs.loc["cut.pdf", "error_code"] == "corrupt"
    assert sum(service.seen.values()) == 1


async def test_arguments_are_checked_before_anything_is_sent(tmp_path: Path, make: Any) -> None:
    service = Service(lambda r, n, sha: httpx.Response(500))
    _files(tmp_path / "in", 1, make)
    with pytest.raises(ocrframe.PageRangeError):
        await _run(tmp_path / "in", service, tmp_path, pages="2-1")
    with pytest.raises(ocrframe.ConfigurationError):
        await _run(tmp_path / "missing", service, tmp_path)
    with pytest.raises(ocrframe.ConfigurationError):
        await _run(tmp_path / "in", service, tmp_path, base_url="ftp://x")
    with pytest.raises(ocrframe.ConfigurationError):
        await _run(tmp_path / "in", service, tmp_path, model=None)  # DocAI needs a model
    (tmp_path / "file").write_text("")
    with pytest.raises(ocrframe.ConfigurationError):
        await _run(tmp_path / "in", service, tmp_path, out=tmp_path / "file")
    assert sum(service.paths.values()) == 0


async def test_sync_extract_inside_a_running_loop(tmp_path: Path, make: Any) -> None:
    service = Service(lambda r, n, sha: httpx.Response(200, json=_envelope(_done(sha[:8]))))
    _files(tmp_path / "in", 2, make)
    asyncio.get_running_loop()  # this test runs inside an event loop, as a notebook cell does
    ex = ocrframe.extract(
        tmp_path / "in",
        model="m1",
        api_key=KEY,
        base_url=URL,
        transport=service.transport(),
        cache=False,
        progress=True,
    )
    assert (ex.documents["status"] == "ok").all()


def test_capsolver_splits_multi_page_files(tmp_path: Path, make: Any) -> None:
    seen: list[bytes] = []

    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.read())
        image = base64.b64decode(body["task"]["body"])
        seen.append(image)
        return httpx.Response(
            200,
            json={
                "errorId": 0,
                "status": "ready",
                "solution": {"text": f"t{len(seen)}"},
                "taskId": f"task-{len(seen)}",
            },
        )

    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "three.pdf").write_bytes(make.pdf("a", "b", "c"))
    (folder / "two.tif").write_bytes(make.tiff("a", "b"))
    (folder / "one.png").write_bytes(make.png("a"))
    ex = ocrframe.extract(
        folder,
        service="capsolver",
        model="common",
        api_key=KEY,
        base_url="https://cap.test",
        transport=httpx.MockTransport(handler),
        cache=tmp_path / "c.sqlite3",
        progress=False,
        concurrency=1,
    )
    docs = ex.documents
    pages = sorted(zip(docs["source"], docs["page"].fillna(0).astype(int), strict=True))
    assert pages == [
        ("one.png", 0),
        ("three.pdf", 1),
        ("three.pdf", 2),
        ("three.pdf", 3),
        ("two.tif", 1),
        ("two.tif", 2),
    ]
    assert (docs["status"] == "ok").all()
    assert all(image.startswith(b"\x89PNG") for image in seen) and len(seen) == 6
    texts = ex.texts
    assert sorted(zip(texts["source"], texts["page"].fillna(0).astype(int), strict=True)) == pages
    # Pages selected: only those are sent; cached pages cost nothing.
    again = ocrframe.extract(
        folder,
        service="capsolver",
        api_key=KEY,
        base_url="https://cap.test",
        model="common",
        transport=httpx.MockTransport(handler),
        cache=tmp_path / "c.sqlite3",
        progress=False,
        pages=[2],
    )
    assert len(seen) == 6
    assert sorted(again.documents["source"]) == ["one.png", "three.pdf", "two.tif"]
    # Streamed to a dataset, every page image is its own document row.
    streamed = ocrframe.extract(
        folder,
        service="capsolver",
        api_key=KEY,
        base_url="https://cap.test",
        model="common",
        transport=httpx.MockTransport(handler),
        cache=tmp_path / "c.sqlite3",
        progress=False,
        out=tmp_path / "out",
    )
    assert len(seen) == 6
    assert len(streamed.documents) == 6 and len(streamed.texts) == 6
    assert isinstance(streamed, DatasetExtraction)
    assert streamed.summary.cached == 6


async def test_same_content_in_flight_together_is_sent_once(tmp_path: Path, make: Any) -> None:
    calls: list[str] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        calls.append(_file_sha(request))
        await asyncio.sleep(0.05)  # all three names are in flight together
        return httpx.Response(200, json=_envelope(_done("f")))

    (tmp_path / "in").mkdir()
    for name in ("a.pdf", "b.pdf", "c.pdf"):
        (tmp_path / "in" / name).write_bytes(make.pdf("same"))
    ex = await ocrframe.extract_async(
        tmp_path / "in",
        model="m1",
        api_key=KEY,
        base_url=URL,
        cache=False,
        progress=False,
        transport=httpx.MockTransport(handler),
        concurrency=3,
    )
    assert len(calls) == 1
    assert (ex.documents["status"] == "ok").all() and ex.documents["cached"].sum() == 2


async def test_dataset_extraction_reads_only_when_used(tmp_path: Path, make: Any) -> None:
    service = Service(lambda r, n, sha: httpx.Response(200, json=_envelope(_done(sha[:8]))))
    _files(tmp_path / "in", 3, make)
    ex = await _run(tmp_path / "in", service, tmp_path, out=tmp_path / "out")
    assert isinstance(ex, DatasetExtraction)
    assert "not read yet" in repr(ex) and "documents" not in vars(ex)
    assert ex.summary.ok == 3 and ex.summary.requests == 3
    assert len(ex.documents) == 3 and len(ex.fields) == 3
    assert repr(ex).startswith("Extraction(documents=3")


async def test_progress_callback_gets_done_and_total(tmp_path: Path, make: Any) -> None:
    service = Service(lambda r, n, sha: httpx.Response(200, json=_envelope(_done(sha[:8]))))
    _files(tmp_path / "in", 5, make)
    (tmp_path / "in" / "empty.pdf").write_bytes(b"")
    calls: list[tuple[int, int | None]] = []
    await _run(tmp_path / "in", service, tmp_path, progress=lambda d, t: calls.append((d, t)))
    # Told the total first, then once per unit (failed ones count too), ending at the total.
    assert calls[0] == (0, 6)
    assert [d for d, _ in calls[1:]] == [1, 2, 3, 4, 5, 6]
    assert {t for _, t in calls} == {6}
