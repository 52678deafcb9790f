"""Work nobody will collect costs the engine no recognition: the real server on 127.0.0.1.

Each test holds the only recognition worker with a ``slow_work`` fault (drawn for chosen images:
the draw is a pure function of the seed and the content, so the test knows it in advance),
queues requests behind it, lets some clients go, and reads what became of each piece of work
from the engine's counters. It waits on the engine's events (``/_engine/work/wait``), never on
the clock.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from ocrframe.engine.app import ENGINE_BASE_URL, EngineConfig, create_app
from ocrframe.engine.faults import CAPSOLVER_TASK_KINDS, DOCAI_SUBMIT_KINDS, FaultPlan
from tools.synth.captchas import clean_text_image

BY_B64 = "/api/identify/file/v2/identifyByEncodeString"
RESULT = "/api/identify/file/v2/identifyResult"
CREATE_TASK = "/createTask"
SEED = 4
RATE = 0.5
SLOW: dict[str, Any] = {"fault_rate": RATE, "seed": SEED, "fault_kinds": "slow_work"}
SLOW["fault_timeout_s"] = 600


def images(path: str, fault: str | None, count: int, *, skip: int = 0) -> list[bytes]:
    """``count`` small text images for which the server draws ``fault`` on their first request."""
    kinds = CAPSOLVER_TASK_KINDS if path == CREATE_TASK else DOCAI_SUBMIT_KINDS
    found: list[bytes] = []
    i = skip
    while len(found) < count:
        png = clean_text_image(f"Ab{i}x", seed=i)
        plan = FaultPlan(rate=RATE, seed=SEED, kinds=("slow_work",))
        if plan.draw(path, hashlib.sha256(png).hexdigest(), kinds) == fault:
            found.append(png)
        i += 1
    return found


def task(png: bytes) -> dict[str, Any]:
    return {"clientKey": "k", "task": {"type": "ImageToTextTask", "body": b64(png)}}


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


async def wait_counts(url: str, **at_least: int) -> dict[str, int]:
    """The engine's work counters once they reach ``at_least`` (fails if they never do)."""
    async with httpx.AsyncClient(base_url=url, timeout=120) as client:
        answer = await client.post(
            "/_engine/work/wait", json={"at_least": at_least, "timeout_s": 90}
        )
    body = answer.json()
    assert body["reached"], body
    counts: dict[str, int] = body["counts"]
    return counts


async def leave(request: asyncio.Task[httpx.Response]) -> None:
    """The client gives up on a request: its connection is closed without an answer."""
    request.cancel()
    with pytest.raises(asyncio.CancelledError):
        await request


def test_a_client_that_leaves_during_a_stall_costs_no_recognition(
    engine_server: Callable[..., Any],
) -> None:
    server = engine_server(fault_rate=1.0, seed=1, fault_kinds="timeout", fault_timeout_s=600)
    png = clean_text_image("Zq4mR", seed=9)
    with httpx.Client(base_url=server.url, timeout=2) as client, pytest.raises(httpx.ReadTimeout):
        client.post(CREATE_TASK, json=task(png))
    # The stall ends when the client leaves (not after 600 s), and the reading is never queued.
    counts = asyncio.run(wait_counts(server.url, dropped=1))
    assert (counts["submitted"], counts["started"], counts["dropped"]) == (0, 0, 1)
    log = server.request_log()
    assert [(e["fault"], e["status"], e["work"]) for e in log] == [("timeout", 499, "dropped")]
    assert "Traceback" not in server.stderr()


async def test_dead_requests_queued_behind_long_work_never_run_and_a_live_one_completes(
    engine_server: Callable[..., Any],
) -> None:
    server = engine_server(workers=1, **SLOW)
    [slow] = images(CREATE_TASK, "slow_work", 1)
    *dead, live = images(CREATE_TASK, None, 4)
    clients = [httpx.AsyncClient(base_url=server.url, timeout=300) for _ in range(5)]
    try:
        holder = asyncio.create_task(clients[0].post(CREATE_TASK, json=task(slow)))
        await wait_counts(server.url, started=1)  # it holds the only worker
        gone = [
            asyncio.create_task(c.post(CREATE_TASK, json=task(p)))
            for c, p in zip(clients[1:4], dead, strict=True)
        ]
        await wait_counts(server.url, submitted=4)  # queued behind it
        for request in gone:
            await leave(request)
        counts = await wait_counts(server.url, dropped=3)  # taken off the queue at once
        assert counts["started"] == 1
        waiting = asyncio.create_task(clients[4].post(CREATE_TASK, json=task(live)))
        await wait_counts(server.url, submitted=5)
        await leave(holder)  # the long work stops at its next boundary; the live one runs
        answer = (await waiting).json()
    finally:
        for client in clients:
            await client.aclose()
    assert answer["errorId"] == 0 and answer["status"] == "ready" and answer["solution"]["text"]
    counts = await wait_counts(server.url, finished=1, stopped=1)
    assert {k: counts[k] for k in ("submitted", "started", "dropped", "stopped", "finished")} == {
        "submitted": 5,
        "started": 2,
        "dropped": 3,
        "stopped": 1,
        "finished": 1,
    }
    work = {e["sha256"]: (e["status"], e["work"]) for e in server.request_log()}
    assert work == {
        sha(slow): (499, "stopped"),
        **{sha(p): (499, "dropped") for p in dead},
        sha(live): (200, "done"),
    }
    assert "Traceback" not in server.stderr()


async def test_an_unpolled_docai_job_is_cancelled_and_says_so(
    engine_server: Callable[..., Any],
) -> None:
    # unpolled_timeout_s=0: a job still queued when its turn comes has gone unpolled too long.
    server = engine_server(workers=1, unpolled_timeout_s=0, **SLOW)
    [slow] = images(CREATE_TASK, "slow_work", 1)
    unpolled, live = images(BY_B64, None, 2, skip=100)
    fields = {"modelId": "text", "isAsynchronous": "1"}
    async with (
        httpx.AsyncClient(base_url=server.url, timeout=300) as holding,
        httpx.AsyncClient(base_url=server.url, timeout=300) as client,
    ):
        holder = asyncio.create_task(holding.post(CREATE_TASK, json=task(slow)))
        await wait_counts(server.url, started=1)
        queued = await client.post(BY_B64, data={**fields, "encodeString": b64(unpolled)})
        file_id = queued.json()["data"]["fileId"]
        sync = asyncio.create_task(
            client.post(BY_B64, data={**fields, "isAsynchronous": "0", "encodeString": b64(live)})
        )
        await wait_counts(server.url, submitted=3)
        await leave(holder)
        answered = (await sync).json()
        counts = await wait_counts(server.url, dropped=1, finished=1)
        later = await client.post(RESULT, json={"fileIdList": [file_id], "modelId": "text"})
    assert answered["code"] == 200 and answered["data"]["recognizeStatus"] == "1"
    assert (counts["started"], counts["dropped"], counts["stopped"]) == (2, 1, 1)
    entry = later.json()["data"][0]
    assert entry["recognizeStatus"] == "0" and entry["result"] is None
    assert entry["failReason"] == "cancelled: not polled by identifyResult for 0 s"


async def test_an_async_job_in_progress_stops_when_its_polls_stop(
    engine_server: Callable[..., Any],
) -> None:
    server = engine_server(workers=1, unpolled_timeout_s=5, **SLOW)
    [slow] = images(BY_B64, "slow_work", 1)
    fields = {"modelId": "text", "isAsynchronous": "1", "encodeString": b64(slow)}
    query = {"modelId": "text", "fileIdList": []}
    async with httpx.AsyncClient(base_url=server.url, timeout=300) as client:
        file_id = (await client.post(BY_B64, data=fields)).json()["data"]["fileId"]
        query["fileIdList"] = [file_id]
        await wait_counts(server.url, started=1)
        polled = (await client.post(RESULT, json=query)).json()["data"][0]
        assert polled["recognizeStatus"] == "2"
        # No more polls: the engine stops the job at its next boundary (its stall here).
        counts = await wait_counts(server.url, stopped=1)
        later = (await client.post(RESULT, json=query)).json()["data"][0]
    assert (counts["started"], counts["finished"]) == (1, 0)
    assert later["recognizeStatus"] == "0"
    assert later["failReason"] == "cancelled: not polled by identifyResult for 5 s"


async def test_in_process_a_cancelled_request_is_dropped_from_the_queue() -> None:
    config = EngineConfig(workers=1, fault_rate=RATE, seed=SEED, fault_kinds=("slow_work",))
    app = create_app(config)
    pool = app.engine.pool  # type: ignore[attr-defined]
    [slow] = images(CREATE_TASK, "slow_work", 1)
    dead, live = images(CREATE_TASK, None, 2)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=ENGINE_BASE_URL) as client:
        holder = asyncio.create_task(client.post(CREATE_TASK, json=task(slow)))
        assert await pool.wait_for({"started": 1}, 90)
        gone = asyncio.create_task(client.post(CREATE_TASK, json=task(dead)))
        assert await pool.wait_for({"submitted": 2}, 90)
        await leave(gone)
        waiting = asyncio.create_task(client.post(CREATE_TASK, json=task(live)))
        assert await pool.wait_for({"submitted": 3, "dropped": 1}, 90)
        await leave(holder)
        answer = (await waiting).json()
    assert answer["errorId"] == 0 and answer["solution"]["text"]
    assert await pool.wait_for({"stopped": 1, "finished": 1}, 90)
    assert pool.counts() == {
        "submitted": 3,
        "started": 2,
        "finished": 1,
        "dropped": 1,
        "stopped": 1,
    }


async def test_expired_answers_are_dropped_and_polls_say_why() -> None:
    app = create_app(EngineConfig(result_ttl_s=0))
    png = clean_text_image("Hello", seed=3)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=ENGINE_BASE_URL) as client:
        created = (await client.post(CREATE_TASK, json=task(png))).json()
        fetched = await client.post(
            "/getTaskResult", json={"clientKey": "k", "taskId": created["taskId"]}
        )
        fields = {"modelId": "text", "encodeString": b64(png)}
        identified = (await client.post(BY_B64, data=fields)).json()["data"]
        polled = await client.post(RESULT, json={"fileIdList": [identified["fileId"]]})
        counts = (await client.get("/_engine/work")).json()
    assert created["status"] == "ready" and identified["recognizeStatus"] == "1"
    assert fetched.status_code == 400 and fetched.json()["errorCode"] == "ERROR_TASKID_INVALID"
    assert "expired" in fetched.json()["errorDescription"]
    entry = polled.json()["data"][0]
    assert entry["recognizeStatus"] == "0" and entry["result"] is None
    assert entry["failReason"] == "expired: results are kept 0 s after they are ready"
    assert counts["expired"] == 2 and counts["kept"] == 0
