"""``ocrframe serve`` in a subprocess on 127.0.0.1, port 0: the real server, over real sockets."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import re
import signal
import subprocess
import sys
import textwrap
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tools.synth.captchas import clean_text_image

MODELS = "/api/model/info/v2/listCreateByMeModels"
BY_B64 = "/api/identify/file/v2/identifyByEncodeString"
RESULT = "/api/identify/file/v2/identifyResult"
ALL_BUT_TIMEOUT = "429,500,502,503,reset,invalid_json,service_error"


def junk_task(i: int) -> dict[str, Any]:
    """A createTask body whose image is not an image: answered at once, no OCR needed."""
    body = base64.b64encode(f"not an image {i}".encode()).decode()
    return {"clientKey": "k", "task": {"type": "ImageToTextTask", "body": body}}


def outcome(client: httpx.Client, payload: dict[str, Any]) -> str:
    """What the client saw, as a short label."""
    try:
        answer = client.post("/createTask", json=payload)
    except httpx.TransportError as exc:
        return f"transport:{type(exc).__name__}"
    if "text/html" in answer.headers.get("content-type", ""):
        return f"html:{answer.status_code}"
    try:
        body = answer.json()
    except json.JSONDecodeError:
        return f"badjson:{answer.status_code}"
    retry = answer.headers.get("retry-after")
    return f"{answer.status_code}:{body.get('errorCode')}" + (f":retry={retry}" if retry else "")


def test_serve_listens_on_loopback_and_speaks_both_formats(
    engine_server: Callable[..., Any],
) -> None:
    server = engine_server()
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", server.url)
    with httpx.Client(base_url=server.url, timeout=30) as client:
        models = client.get(MODELS).json()
        balance = client.post("/getBalance", json={"clientKey": "whatever"}).json()
        missing = client.get("/nowhere")
    assert models["code"] == 200 and [m["modelId"] for m in models["data"]] == ["invoice", "text"]
    assert balance["errorId"] == 0 and balance["balance"] > 0
    assert missing.status_code == 404
    log = server.request_log()
    assert [(e["path"], e["status"], e["fault"], e["sha256"]) for e in log] == [
        (MODELS, 200, None, None),
        ("/getBalance", 200, None, None),
        ("/nowhere", 404, None, None),
    ]
    assert all(isinstance(e["time"], float) for e in log)
    server.clear_log()
    assert server.request_log() == []


def test_keys_are_checked_and_never_logged(engine_server: Callable[..., Any]) -> None:
    docai_key, cap_key = "docai-key-loopback-1", "cap-key-loopback-2"
    server = engine_server(docai_key=docai_key, capsolver_key=cap_key)
    with httpx.Client(base_url=server.url, timeout=30) as client:
        bad_docai = client.get(MODELS, headers={"Authorization": "Bearer wrong"})
        good_docai = client.get(MODELS, headers={"Authorization": f"Bearer {docai_key}"})
        bad_cap = client.post("/getBalance", json={"clientKey": "wrong"})
        good_cap = client.post("/getBalance", json={"clientKey": cap_key})
    assert bad_docai.status_code == 401 and bad_docai.json()["code"] == 401
    assert good_docai.status_code == 200
    assert bad_cap.status_code == 401
    assert bad_cap.json()["errorCode"] == "ERROR_KEY_DENIED_ACCESS"
    assert good_cap.status_code == 200
    everything = json.dumps(server.request_log()) + server.stderr()
    assert docai_key not in everything and cap_key not in everything


def test_body_cap(engine_server: Callable[..., Any]) -> None:
    server = engine_server(max_body_mb=0.01)  # about 10 KB
    big = base64.b64encode(b"x" * 60_000).decode()
    with httpx.Client(base_url=server.url, timeout=30) as client:
        cap = client.post("/createTask", json={"task": {"type": "ImageToTextTask", "body": big}})
        docai = client.post(
            BY_B64, files={"modelId": (None, "invoice"), "encodeString": (None, big)}
        )
        small = client.post("/createTask", json=junk_task(0))
    assert cap.status_code == 413 and cap.json()["errorCode"] == "ERROR_BAD_REQUEST"
    assert docai.status_code == 413 and docai.json()["code"] == 413
    assert small.status_code == 400 and small.json()["errorCode"] == "ERROR_INVALID_IMAGE"


def test_faults_are_deterministic_with_the_seed_and_look_like_the_real_thing(
    engine_server: Callable[..., Any],
) -> None:
    options = {"fault_rate": 0.7, "seed": 11, "fault_kinds": ALL_BUT_TIMEOUT}
    runs = []
    logs = []
    for seed in (11, 11, 12):
        server = engine_server(**{**options, "seed": seed})
        with httpx.Client(base_url=server.url, timeout=10) as client:
            seen = [outcome(client, junk_task(i)) for i in range(40)]
            # The same request again: a retry gets a fresh draw, so not every try fails.
            repeats = [outcome(client, junk_task(0)) for _ in range(12)]
        log = server.request_log()
        logs.append(log)
        runs.append((seen, repeats, [e["fault"] for e in log]))
        server.stop()
    assert runs[0] == runs[1], "same seed, same faults"
    assert runs[0][2] != runs[2][2], "another seed, other faults"

    seen, repeats, faults = runs[0]
    assert len(faults) == 52
    kinds = {f for f in faults if f}
    assert kinds == set(ALL_BUT_TIMEOUT.split(","))
    assert None in faults[40:] and any(faults[40:])
    expected = {
        None: "400:ERROR_INVALID_IMAGE",
        "429": "429:ERROR_RATE_LIMIT:retry=1",
        "500": "500:ERROR_SERVICE_UNAVALIABLE",
        "502": "html:502",
        "503": "html:503",
        "invalid_json": "badjson:200",
        "service_error": "200:ERROR_SERVICE_UNAVALIABLE",
    }
    for fault, got in zip(faults, seen + repeats, strict=True):
        if fault == "reset":
            assert got == "transport:ReadError", got
        else:
            assert got == expected[fault], (fault, got)
    status_of = {
        None: 400,
        "429": 429,
        "500": 500,
        "502": 502,
        "503": 503,
        "reset": None,
        "invalid_json": 200,
        "service_error": 200,
    }
    assert [e["status"] for e in logs[0]] == [status_of[f] for f in faults]


def test_reset_is_a_connection_reset(engine_server: Callable[..., Any]) -> None:
    server = engine_server(fault_rate=1.0, seed=1, fault_kinds="reset")
    with httpx.Client(base_url=server.url, timeout=10) as client:
        for i in range(3):
            # A TCP reset (ECONNRESET), not a clean close: httpx says ReadError.
            with pytest.raises(httpx.ReadError):
                client.post("/createTask", json=junk_task(i))
    log = server.request_log()
    assert [(e["fault"], e["status"]) for e in log] == [("reset", None)] * 3
    assert "Traceback" not in server.stderr()


def test_timeout_fault_outlasts_the_client(engine_server: Callable[..., Any]) -> None:
    server = engine_server(fault_rate=1.0, seed=1, fault_kinds="timeout", fault_timeout_s=20)
    with httpx.Client(base_url=server.url, timeout=0.5) as client, pytest.raises(httpx.ReadTimeout):
        client.post("/createTask", json=junk_task(0))
    server.stop()  # must not wait for the sleeping request (20 s, past stop's 15 s grace)
    # It exited on its own when asked: stop() did not have to kill it.
    assert server.process.returncode != -signal.SIGKILL


def test_docai_status_faults(engine_server: Callable[..., Any]) -> None:
    server = engine_server(fault_rate=1.0, seed=3, fault_kinds="status_0,status_2")
    png = clean_text_image("Hello", seed=1)
    fields = {"modelId": "text", "encodeString": base64.b64encode(png).decode()}
    with httpx.Client(base_url=server.url, timeout=30) as client:
        statuses = []
        for _ in range(8):
            body = client.post(BY_B64, data=fields).json()
            assert body["code"] == 200
            statuses.append(body["data"]["recognizeStatus"])
    log = server.request_log()
    assert {e["fault"] for e in log} == {"status_0", "status_2"}
    assert statuses == [{"status_0": "0", "status_2": "2"}[e["fault"]] for e in log]
    assert {e["sha256"] for e in log} == {hashlib.sha256(png).hexdigest()}


def test_request_log_counts_each_file(engine_server: Callable[..., Any]) -> None:
    server = engine_server()
    with httpx.Client(base_url=server.url, timeout=30) as client:
        for i in (1, 2, 1, 1, 3):
            client.post("/createTask", json=junk_task(i))
    counts = Counter(e["sha256"] for e in server.request_log())
    sha = {i: hashlib.sha256(f"not an image {i}".encode()).hexdigest() for i in (1, 2, 3)}
    assert counts == {sha[1]: 3, sha[2]: 1, sha[3]: 1}


def test_latency_is_added(engine_server: Callable[..., Any]) -> None:
    server = engine_server(latency_ms=300)
    with httpx.Client(base_url=server.url, timeout=30) as client:
        client.get(MODELS)  # warm the connection
        started = time.monotonic()
        client.get(MODELS)
        assert time.monotonic() - started >= 0.3


def _docai_pipeline_available() -> bool:
    try:
        from ocrframe.engine import invoice, pages
    except ImportError:
        return False
    return all(hasattr(invoice, n) for n in ("extract_invoice", "extract_text_lines")) and hasattr(
        pages, "load_pages"
    )


@pytest.mark.skipif(not _docai_pipeline_available(), reason="pages/invoice not written yet")
def test_async_docai_flow_with_the_real_pipeline(engine_server: Callable[..., Any]) -> None:
    server = engine_server()
    png = clean_text_image("Invoice 42", seed=2, height=64)
    fields = {
        "modelId": "text",
        "encodeString": base64.b64encode(png).decode(),
        "isAsynchronous": "1",
    }
    with httpx.Client(base_url=server.url, timeout=60) as client:
        first = client.post(BY_B64, data=fields).json()
        assert first["code"] == 200
        assert first["data"]["recognizeStatus"] == "2"
        file_id = first["data"]["fileId"]
        for _ in range(600):
            polled = client.post(RESULT, json={"fileIdList": [file_id], "modelId": "text"}).json()
            if polled["data"][0]["recognizeStatus"] != "2":
                break
            time.sleep(0.1)
        sync = client.post(BY_B64, data={**fields, "isAsynchronous": "0"}).json()
    entry = polled["data"][0]
    assert entry["recognizeStatus"] == "1", entry
    assert entry["result"] == sync["data"]["result"]
    values = " ".join(f["value"] for f in entry["result"]["fieldList"])
    assert "42" in values
    assert {f["key"] for f in entry["result"]["fieldList"]} == {"line"}
    shas = [e["sha256"] for e in server.request_log() if e["path"] == BY_B64]
    assert shas == [hashlib.sha256(png).hexdigest()] * 2


SDK_SCRIPT = textwrap.dedent(
    """
    import base64, json, sys
    import capsolver  # reads CAPSOLVER_API_BASE and CAPSOLVER_API_KEY at import
    png = open(sys.argv[1], "rb").read()
    task = {"type": "ImageToTextTask", "body": base64.b64encode(png).decode(), "module": "common"}
    out = {"solution": capsolver.solve(task)}
    capsolver.api_key = "wrong-key"
    try:
        capsolver.solve(task)
    except Exception as exc:
        out["wrong_key"] = type(exc).__name__
    capsolver.api_key = sys.argv[2]
    out["balance"] = capsolver.balance()
    print(json.dumps(out))
    """
)


def test_official_capsolver_sdk_gets_the_same_text(
    engine_server: Callable[..., Any], tmp_path: Any
) -> None:
    key = "sdk-conformance-key"
    server = engine_server(capsolver_key=key)
    png = clean_text_image("Zq4mR", seed=9)
    image = tmp_path / "captcha.png"
    image.write_bytes(png)
    env = {"CAPSOLVER_API_BASE": server.url, "CAPSOLVER_API_KEY": key, "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-c", SDK_SCRIPT, str(image), key],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    sdk = json.loads(done.stdout)
    with httpx.Client(base_url=server.url, timeout=60) as client:
        direct = client.post(
            "/createTask",
            json={
                "clientKey": key,
                "task": {
                    "type": "ImageToTextTask",
                    "body": base64.b64encode(png).decode(),
                    "module": "common",
                },
            },
        ).json()
    assert sdk["solution"] == direct["solution"] == {"text": "Zq4mR"}
    assert sdk["wrong_key"] == "AuthenticationError"
    assert sdk["balance"]["errorId"] == 0
    texts = [direct["solution"]["text"]]

    from ocrframe.services import capsolver as client_module

    client_class = getattr(client_module, "AsyncCapSolverClient", None)
    if client_class is not None and hasattr(client_class, "image_to_text"):

        async def ours() -> str:
            async with client_class(key, base_url=server.url) as client:
                answer = await client.image_to_text(png, module="common")
            return str(answer["solution"]["text"])

        # asyncio.run: a loop of the test's own, closed at the end (the sync client's
        # background loop would outlive the test).
        texts.append(asyncio.run(ours()))
    assert len(texts) == 2, "ocrframe's CapSolver client is there: it must be compared too"
    assert set(texts) == {sdk["solution"]["text"]}


@pytest.mark.skipif(not _docai_pipeline_available(), reason="pages/invoice not written yet")
def test_invoice_model_over_loopback_both_paths(engine_server: Callable[..., Any]) -> None:
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "data" / "sample"
    pdf = (root / "invoices" / "invoice-en.pdf").read_bytes()
    expected = json.loads(
        (root / "expected" / "invoices" / "invoice-en.pdf.expected.json").read_text()
    )
    server = engine_server()
    with httpx.Client(base_url=server.url, timeout=120) as client:
        by_b64 = client.post(
            BY_B64,
            files={
                "modelId": (None, "invoice"),
                "encodeString": (None, base64.b64encode(pdf).decode()),
            },
        ).json()
        upload = client.post(
            "/api/identify/file/v2/identify",
            data={"modelId": "invoice", "legalPageNumbers": "1-1"},
            files={"file": ("invoice-en.pdf", pdf, "application/pdf")},
        ).json()
    for body in (by_b64, upload):
        assert body["code"] == 200 and body["data"]["recognizeStatus"] == "1"
        result = body["data"]["result"]
        assert set(result) >= {"fieldList", "itemList", "taxList"}
        for cell in result["fieldList"] + [c for item in result["itemList"] for c in item]:
            assert set(cell) == {"pageNumber", "key", "value"}
            assert isinstance(cell["value"], str) and cell["pageNumber"] >= 1
        fields = {f["key"]: f["value"] for f in result["fieldList"]}
        assert fields["invoiceNumber"] == expected["invoice_number"]
    # legalPageNumbers "1-1": everything the upload answer holds is on page 1.
    upload_result = upload["data"]["result"]
    cells = upload_result["fieldList"] + [c for i in upload_result["itemList"] for c in i]
    assert {c["pageNumber"] for c in cells} == {1}
