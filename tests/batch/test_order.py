"""Tables do not depend on the order answers arrive in (issue 13: reproducible tables)."""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path
from typing import Any

import httpx

import ocrframe

NAMES = ("b.png", "a.png", "c/d.png")


def _answer(n: int) -> dict[str, Any]:
    cells = [
        {"pageNumber": 1, "key": "invoiceNumber", "value": f"N-{n}"},
        {"pageNumber": 1, "key": "grossAmount", "value": f"{n}.50"},
    ]
    lines = [[{"pageNumber": 1, "key": "description", "value": f"line {n}.{i}"}] for i in range(2)]
    return {
        "code": 200,
        "message": None,
        "requestId": f"r{n}",
        "data": {
            "fileId": f"f{n}",
            "recognizeStatus": "1",
            "result": {"fieldList": cells, "itemList": lines, "taxList": []},
        },
    }


class OrderedAnswers(httpx.AsyncBaseTransport):
    """Answers each file's request with a fixed answer, in a given order of files.

    Every request is held until all have arrived; then the answers go out one at a time, the
    next only once the batch engine has recorded the previous one (its progress callback).
    """

    def __init__(self, files: dict[str, bytes], order: list[str]) -> None:
        self.encoded = {name: base64.b64encode(data).decode() for name, data in files.items()}
        self.answers = {name: _answer(i) for i, name in enumerate(sorted(files))}
        self.order = order
        self.arrived: dict[str, asyncio.Event] = {name: asyncio.Event() for name in files}
        self.released: dict[str, asyncio.Event] = {name: asyncio.Event() for name in files}
        self.recorded = asyncio.Event()
        self.done = 0
        self.sent: list[str] = []

    def progress(self, done: int, total: int | None) -> None:
        if done > self.done:
            self.done = done
            self.recorded.set()

    async def release(self) -> None:
        for event in self.arrived.values():
            await event.wait()
        for count, name in enumerate(self.order, start=1):
            self.recorded.clear()
            self.released[name].set()
            while self.done < count:
                await self.recorded.wait()
                self.recorded.clear()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = (await request.aread()).decode("latin-1")
        plain = httpx.QueryParams(body) if "=" in body else None
        name = next(
            n
            for n, enc in self.encoded.items()
            if enc in body or (plain is not None and plain.get("encodeString") == enc)
        )
        self.arrived[name].set()
        await self.released[name].wait()
        self.sent.append(name)
        return httpx.Response(200, json=self.answers[name])


async def _run(folder: Path, files: dict[str, bytes], order: list[str]) -> ocrframe.Extraction:
    transport = OrderedAnswers(files, order)
    releasing = asyncio.create_task(transport.release())
    ex = await ocrframe.extract_async(
        folder,
        service="docai",
        model="m",
        api_key="k",
        base_url="http://docai.test",
        transport=transport,
        cache=False,
        concurrency=len(files),
        progress=transport.progress,
    )
    await releasing
    assert transport.sent == order
    return ex


async def test_answers_in_two_orders_give_equal_tables(tmp_path: Path, make: Any) -> None:
    files = {}
    for i, name in enumerate(NAMES):
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(make.png(f"doc {i}"))
        files[name] = path.read_bytes()
    first = await _run(tmp_path, files, ["c/d.png", "b.png", "a.png"])
    second = await _run(tmp_path, files, ["a.png", "c/d.png", "b.png"])
    assert first.equals(second)
    # The documented order: by source, then the position in the answer.
    assert first.documents["source"].tolist() == ["a.png", "b.png", "c/d.png"]
    assert first.items[["source", "item"]].drop_duplicates().values.tolist() == [
        ["a.png", 1],
        ["a.png", 2],
        ["b.png", 1],
        ["b.png", 2],
        ["c/d.png", 1],
        ["c/d.png", 2],
    ]
    assert first.fields["key"].tolist() == ["invoiceNumber", "grossAmount"] * 3
    # Timings differ from run to run: they are not content, and equals leaves them out.
    assert not first.documents["submitted_at"].equals(second.documents["submitted_at"])
    assert not first.equals(second, timings=True)
