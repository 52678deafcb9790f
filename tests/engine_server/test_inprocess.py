"""The engine app through httpx.ASGITransport: both wire formats, errors, async DocAI, no stall."""

from __future__ import annotations

import asyncio
import base64
import sys
import threading
import types
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from ocrframe.engine import app as engine_app
from ocrframe.engine.app import ENGINE_BASE_URL, EngineConfig, create_app, embedded_transport
from ocrframe.engine.types import Page, Word
from ocrframe.errors import InputFileError
from tools.synth.captchas import clean_text_image

BY_B64 = "/api/identify/file/v2/identifyByEncodeString"
UPLOAD = "/api/identify/file/v2/identify"
RESULT = "/api/identify/file/v2/identifyResult"
MODELS = "/api/model/info/v2/listCreateByMeModels"
PDF_BYTES = b"%PDF-1.4 fake file for a faked loader"


class FakeEngine:
    """Stands in for pages.load_pages and invoice.extract_*: records calls, can block."""

    def __init__(self) -> None:
        self.calls: list[tuple[bytes, list[int] | None]] = []
        self.gate: threading.Event | None = None
        self.fail: InputFileError | None = None

    def load_pages(
        self, content: bytes, *, pages: list[int] | None = None, dpi: int = 200
    ) -> list[Page]:
        self.calls.append((content, pages))
        if self.gate is not None:
            assert self.gate.wait(timeout=30), "test never released the gate"
        if self.fail is not None:
            raise self.fail
        numbers = pages or [1]
        return [Page(n, 100, 100, [Word(f"word{n}", 1, 1, 9, 9)]) for n in numbers]

    @staticmethod
    def extract_invoice(pages: list[Page]) -> dict[str, Any]:
        return {
            "fieldList": [
                {"pageNumber": p.number, "key": "invoiceNumber", "value": "A-1"} for p in pages
            ],
            "itemList": [],
            "taxList": [],
        }

    @staticmethod
    def extract_text_lines(pages: list[Page]) -> dict[str, Any]:
        return {
            "fieldList": [
                {"pageNumber": p.number, "key": "line", "value": w.text}
                for p in pages
                for w in p.words
            ]
        }


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeEngine:
    fake = FakeEngine()
    pages_mod = types.ModuleType("ocrframe.engine.pages")
    pages_mod.load_pages = fake.load_pages  # type: ignore[attr-defined]
    invoice_mod = types.ModuleType("ocrframe.engine.invoice")
    invoice_mod.extract_invoice = fake.extract_invoice  # type: ignore[attr-defined]
    invoice_mod.extract_text_lines = fake.extract_text_lines  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "ocrframe.engine.pages", pages_mod)
    monkeypatch.setitem(sys.modules, "ocrframe.engine.invoice", invoice_mod)
    return fake


def client_for(config: EngineConfig | None = None) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(config)), base_url=ENGINE_BASE_URL
    )


@pytest.fixture
def gate_released(fake: FakeEngine) -> Iterator[threading.Event]:
    gate = threading.Event()
    fake.gate = gate
    yield gate
    gate.set()  # never leave a worker thread blocked


def assert_docai_envelope(body: dict[str, Any], code: int = 200) -> None:
    assert set(body) == {"code", "message", "costTime", "data", "requestId", "currentTimeMillis"}
    assert body["code"] == code
    if code == 200:
        assert body["message"] is None
    else:
        assert isinstance(body["message"], str) and body["message"]
        assert body["data"] is None


async def test_models_are_listed_with_names_and_descriptions() -> None:
    async with client_for() as client:
        answer = await client.get(MODELS)
    assert answer.status_code == 200
    body = answer.json()
    assert_docai_envelope(body)
    ids = [m["modelId"] for m in body["data"]]
    assert ids == ["invoice", "text"]
    for model in body["data"]:
        assert set(model) == {"modelId", "modelName", "description", "createTime", "updateTime"}
        assert model["modelName"] and model["description"]
        assert isinstance(model["createTime"], int) and model["createTime"] > 1_600_000_000_000


@pytest.mark.parametrize("encoding", ["multipart", "urlencoded", "json"])
async def test_identify_by_base64_in_each_body_encoding(fake: FakeEngine, encoding: str) -> None:
    fields = {
        "modelId": "invoice",
        "encodeString": base64.b64encode(PDF_BYTES).decode(),
        "legalPageNumbers": "1-1, 3-4",
    }
    async with client_for() as client:
        if encoding == "multipart":
            answer = await client.post(BY_B64, files={k: (None, v) for k, v in fields.items()})
        elif encoding == "urlencoded":
            answer = await client.post(BY_B64, data=fields)
        else:
            answer = await client.post(BY_B64, json=fields)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert_docai_envelope(body)
    data = body["data"]
    assert data["recognizeStatus"] == "1"
    assert len(data["fileId"]) == 25 and data["fileId"].isdigit()
    assert fake.calls == [(PDF_BYTES, [1, 3, 4])]
    assert [f["pageNumber"] for f in data["result"]["fieldList"]] == [1, 3, 4]


async def test_identify_upload_and_text_model(fake: FakeEngine) -> None:
    async with client_for() as client:
        answer = await client.post(
            UPLOAD,
            data={"modelId": "text"},
            files={"file": ("scan.pdf", PDF_BYTES, "application/pdf")},
        )
    body = answer.json()
    assert_docai_envelope(body)
    assert body["data"]["result"] == {
        "fieldList": [{"pageNumber": 1, "key": "line", "value": "word1"}]
    }
    assert fake.calls == [(PDF_BYTES, None)]


@pytest.mark.parametrize(
    ("fields", "code", "words"),
    [
        ({"modelId": "nope", "encodeString": "JVBERg=="}, 404, "nope"),
        ({"encodeString": "JVBERg=="}, 400, "modelId"),
        ({"modelId": "invoice"}, 400, "encodeString"),
        ({"modelId": "invoice", "encodeString": "%%%not base64"}, 400, "base64"),
        (
            {"modelId": "invoice", "encodeString": "JVBERg==", "legalPageNumbers": "3-1"},
            400,
            "legalPageNumbers",
        ),
        (
            {"modelId": "invoice", "encodeString": "JVBERg==", "legalPageNumbers": "0-2"},
            400,
            "legalPageNumbers",
        ),
        (
            {"modelId": "invoice", "encodeString": "JVBERg==", "isAsynchronous": "yes"},
            400,
            "isAsynchronous",
        ),
    ],
)
async def test_bad_docai_requests_get_error_envelopes(
    fake: FakeEngine, fields: dict[str, str], code: int, words: str
) -> None:
    async with client_for() as client:
        answer = await client.post(BY_B64, data=fields)
    assert answer.status_code == code
    body = answer.json()
    assert_docai_envelope(body, code)
    assert words in body["message"]
    assert fake.calls == []


async def test_unreadable_file_is_recognize_status_0(fake: FakeEngine) -> None:
    fake.fail = InputFileError("not a PDF or an image", code="unsupported")
    async with client_for() as client:
        answer = await client.post(
            BY_B64, data={"modelId": "invoice", "encodeString": base64.b64encode(b"junk").decode()}
        )
        body = answer.json()
        assert answer.status_code == 200
        assert_docai_envelope(body)
        assert body["data"]["recognizeStatus"] == "0"
        assert body["data"]["result"] is None
        assert body["data"]["failReason"].startswith("unsupported")
        later = await client.post(RESULT, json={"fileIdList": [body["data"]["fileId"]]})
    assert later.json()["data"][0]["recognizeStatus"] == "0"


async def test_asynchronous_submission_is_really_asynchronous(
    fake: FakeEngine, gate_released: threading.Event
) -> None:
    async with client_for() as client:
        fields = {
            "modelId": "invoice",
            "encodeString": base64.b64encode(PDF_BYTES).decode(),
            "isAsynchronous": "1",
        }
        # The loader is blocked on the gate: an answer now proves the work was not awaited.
        answer = await asyncio.wait_for(client.post(BY_B64, data=fields), timeout=20)
        data = answer.json()["data"]
        assert data == {"fileId": data["fileId"], "recognizeStatus": "2"}
        query = {"fileIdList": [data["fileId"]], "modelId": "invoice", "returnOcrResult": "0"}
        pending = (await client.post(RESULT, json=query)).json()
        assert_docai_envelope(pending)
        assert pending["data"][0]["recognizeStatus"] == "2"
        assert pending["data"][0]["result"] is None
        gate_released.set()
        for _ in range(400):
            done = (await client.post(RESULT, json={**query, "returnOcrResult": "1"})).json()
            if done["data"][0]["recognizeStatus"] != "2":
                break
            await asyncio.sleep(0.05)
    entry = done["data"][0]
    assert entry["recognizeStatus"] == "1"
    assert entry["result"]["fieldList"][0]["value"] == "A-1"
    assert entry["ocrResult"] == [{"pageNumber": 1, "text": "word1"}]


async def test_identify_result_errors(fake: FakeEngine) -> None:
    async with client_for() as client:
        bad = await client.post(RESULT, json={"fileIdList": []})
        unknown = await client.post(RESULT, json={"fileIdList": ["123"]})
        not_json = await client.post(RESULT, content=b"{", headers={"content-type": "text/plain"})
    assert bad.status_code == 400 and bad.json()["code"] == 400
    assert unknown.json()["data"] == [
        {"fileId": "123", "recognizeStatus": "0", "result": None, "failReason": "unknown fileId"}
    ]
    assert not_json.status_code == 400


async def test_a_slow_page_does_not_stall_other_requests(
    fake: FakeEngine, gate_released: threading.Event
) -> None:
    order: list[str] = []
    async with client_for() as client:

        async def slow() -> None:
            fields = {"modelId": "invoice", "encodeString": base64.b64encode(PDF_BYTES).decode()}
            answer = await client.post(BY_B64, data=fields)
            assert answer.json()["data"]["recognizeStatus"] == "1"
            order.append("identify")

        task = asyncio.create_task(slow())
        for _ in range(200):  # wait until the recognition really runs (in a worker thread)
            if fake.calls:
                break
            await asyncio.sleep(0.01)
        assert fake.calls, "the identify request never reached the loader"
        models = await asyncio.wait_for(client.get(MODELS), timeout=20)
        assert models.status_code == 200
        order.append("models")
        assert not task.done()
        gate_released.set()
        await asyncio.wait_for(task, timeout=20)
    assert order == ["models", "identify"]


async def test_docai_key_is_checked_and_never_echoed(fake: FakeEngine) -> None:
    secret = "docai-secret-key-123"
    async with client_for(EngineConfig(docai_key=secret)) as client:
        missing = await client.get(MODELS)
        wrong = await client.get(MODELS, headers={"Authorization": "Bearer nope"})
        right = await client.get(MODELS, headers={"Authorization": f"Bearer {secret}"})
        log = await client.get("/_engine/requests")
    for answer in (missing, wrong):
        assert answer.status_code == 401
        assert_docai_envelope(answer.json(), 401)
    assert right.status_code == 200
    for text in (missing.text, wrong.text, right.text, log.text):
        assert secret not in text
    assert secret not in repr(EngineConfig(docai_key=secret))


async def test_capsolver_key_is_checked() -> None:
    secret = "cap-secret-456"
    async with client_for(EngineConfig(capsolver_key=secret)) as client:
        wrong = await client.post("/getBalance", json={"clientKey": "nope"})
        missing = await client.post("/getBalance", json={})
        right = await client.post("/getBalance", json={"clientKey": secret})
    for answer in (wrong, missing):
        assert answer.status_code == 401
        assert answer.json() == {
            "errorId": 1,
            "errorCode": "ERROR_KEY_DENIED_ACCESS",
            "errorDescription": answer.json()["errorDescription"],
        }
    assert right.status_code == 200
    assert right.json()["errorId"] == 0 and right.json()["balance"] > 0
    assert secret not in wrong.text + missing.text + right.text


async def test_body_cap_answers_413_in_each_format() -> None:
    async with client_for(EngineConfig(max_body_bytes=2000)) as client:
        big = "A" * 4000
        docai = await client.post(BY_B64, data={"modelId": "invoice", "encodeString": big})
        cap = await client.post(
            "/createTask", json={"task": {"type": "ImageToTextTask", "body": big}}
        )
        small = await client.post("/getBalance", json={})
        log = (await client.get("/_engine/requests")).json()["requests"]
    assert docai.status_code == 413
    assert_docai_envelope(docai.json(), 413)
    assert cap.status_code == 413
    assert cap.json()["errorId"] == 1 and cap.json()["errorCode"] == "ERROR_BAD_REQUEST"
    assert small.status_code == 200
    assert [e["status"] for e in log] == [413, 413, 200]


def task(png: bytes, **options: Any) -> dict[str, Any]:
    return {
        "clientKey": "any",
        "task": {"type": "ImageToTextTask", "body": base64.b64encode(png).decode(), **options},
    }


async def test_image_to_text_task_and_get_task_result() -> None:
    png = clean_text_image("Hb7dK", seed=4)
    async with client_for() as client:
        answer = await client.post("/createTask", json=task(png, module="common", case=True))
        body = answer.json()
        lower = (await client.post("/createTask", json=task(png, case=False))).json()
        again = await client.post("/getTaskResult", json={"taskId": body["taskId"]})
        unknown = await client.post("/getTaskResult", json={"taskId": "nope"})
    assert answer.status_code == 200
    assert body == {
        "errorId": 0,
        "errorCode": "",
        "errorDescription": "",
        "status": "ready",
        "solution": {"text": "Hb7dK"},
        "taskId": body["taskId"],
    }
    assert lower["solution"]["text"] == "hb7dk"
    assert again.json() == body
    assert unknown.status_code == 400 and unknown.json()["errorCode"] == "ERROR_TASKID_INVALID"


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        (
            {"task": {"type": "ImageToTextTask", "body": "data:image/png;base64,iVBORw0KGgo="}},
            "ERROR_INVALID_TASK_DATA",
        ),
        ({"task": {"type": "ImageToTextTask", "body": "not base64!"}}, "ERROR_INVALID_TASK_DATA"),
        (
            {"task": {"type": "ImageToTextTask", "body": base64.b64encode(b"plain text").decode()}},
            "ERROR_INVALID_IMAGE",
        ),
        ({"task": {"type": "ImageToTextTask"}}, "ERROR_INVALID_TASK_DATA"),
        ({"task": {"type": "ReCaptchaV2Task", "body": "iVBORw0KGgo="}}, "ERROR_TASK_NOT_SUPPORTED"),
        ({"task": "x"}, "ERROR_INVALID_TASK_DATA"),
        (
            {"task": {"type": "ImageToTextTask", "body": "iVBORw0KGgo=", "score": 3}},
            "ERROR_INVALID_TASK_DATA",
        ),
        (
            {"task": {"type": "ImageToTextTask", "body": "iVBORw0KGgo=", "case": "yes"}},
            "ERROR_INVALID_TASK_DATA",
        ),
    ],
)
async def test_bad_tasks_get_capsolver_errors(payload: dict[str, Any], code: str) -> None:
    async with client_for() as client:
        answer = await client.post("/createTask", json=payload)
    assert answer.status_code == 400
    body = answer.json()
    assert body["errorId"] == 1 and body["errorCode"] == code and body["errorDescription"]


async def test_unknown_module_and_score(monkeypatch: pytest.MonkeyPatch) -> None:
    import ocrframe.engine.text as text

    monkeypatch.setattr(text, "read_captcha", lambda image, case: ("ab c", 0.7))
    png = clean_text_image("abc", seed=1)
    async with client_for() as client:
        module = await client.post("/createTask", json=task(png, module="nosuch"))
        below = await client.post("/createTask", json=task(png, score=0.8))
        above = await client.post("/createTask", json=task(png, score=0.6))
    assert module.status_code == 400 and module.json()["errorCode"] == "ERROR_INVALID_TASK_DATA"
    assert below.status_code == 400
    assert below.json()["errorCode"] == "ERROR_CAPTCHA_UNSOLVABLE"
    assert above.json()["solution"]["text"] == "abc"


async def test_reset_fault_in_process_is_a_read_error() -> None:
    config = EngineConfig(fault_rate=1.0, seed=1, fault_kinds=("reset",))
    async with client_for(config) as client:
        with pytest.raises(httpx.ReadError):
            await client.post("/getBalance", json={})
        log = (await client.get("/_engine/requests")).json()["requests"]
    assert log[0]["fault"] == "reset" and log[0]["status"] is None


async def test_embedded_transport_is_one_shared_app() -> None:
    first = embedded_transport()
    second = embedded_transport()
    assert isinstance(first, httpx.ASGITransport) and isinstance(second, httpx.ASGITransport)
    assert first.app is second.app
    assert embedded_transport(EngineConfig(latency_ms=1)).app is not first.app  # type: ignore[attr-defined]
    assert engine_app.ENGINE_BASE_URL.endswith(".invalid")
    async with httpx.AsyncClient(transport=first, base_url=ENGINE_BASE_URL) as client:
        assert (await client.post("/getBalance", json={})).json()["errorId"] == 0


async def test_large_files_are_decoded_and_hashed(fake: FakeEngine) -> None:
    big = PDF_BYTES + bytes(range(256)) * 6000  # ~1.5 MB: decoded and hashed off the loop
    async with client_for() as client:
        answer = await client.post(
            BY_B64, data={"modelId": "text", "encodeString": base64.b64encode(big).decode()}
        )
        log = (await client.get("/_engine/requests")).json()["requests"]
    assert answer.json()["data"]["recognizeStatus"] == "1"
    assert fake.calls == [(big, None)]
    import hashlib

    assert log[0]["sha256"] == hashlib.sha256(big).hexdigest()


@pytest.mark.parametrize(
    ("kind", "http", "code"),
    [
        ("429", 429, 429),
        ("500", 500, 500),
        ("service_error", 200, 500),
        ("status_0", 200, 200),
        ("status_2", 200, 200),
    ],
)
async def test_docai_fault_kinds(fake: FakeEngine, kind: str, http: int, code: int) -> None:
    config = EngineConfig(fault_rate=1.0, seed=1, fault_kinds=(kind,), retry_after_s=7)
    fields = {"modelId": "invoice", "encodeString": base64.b64encode(PDF_BYTES).decode()}
    async with client_for(config) as client:
        answer = await client.post(BY_B64, data=fields)
        log = (await client.get("/_engine/requests")).json()["requests"]
    assert answer.status_code == http
    body = answer.json()
    assert_docai_envelope(body, code)
    assert log[0]["fault"] == kind and log[0]["status"] == http
    if kind == "429":
        assert answer.headers["retry-after"] == "7"
    if kind.startswith("status_"):
        assert body["data"]["recognizeStatus"] == kind[-1]
        assert body["data"]["fileId"]


async def test_docai_broken_answers() -> None:
    async with client_for(EngineConfig(fault_rate=1.0, seed=2, fault_kinds=("invalid_json",))) as c:
        truncated = await c.get(MODELS)
    assert truncated.status_code == 200
    with pytest.raises(ValueError):
        truncated.json()
    async with client_for(EngineConfig(fault_rate=1.0, seed=2, fault_kinds=("502",))) as c:
        proxy = await c.get(MODELS)
    assert proxy.status_code == 502 and proxy.headers["content-type"].startswith("text/html")
