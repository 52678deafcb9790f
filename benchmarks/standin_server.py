"""A stand-in for both services, for benchmarks: answers every request at once or after a fixed
latency, with answers shaped like the seed pages' examples, so that the client is what is measured.

Run it in its own process (a server sharing the measured process's GIL distorts every timing)::

    python -m benchmarks.standin_server --port 0 --latency-ms 100

It prints ``standin listening on http://127.0.0.1:<port>`` once it accepts connections.
Endpoints: CapSolver ``/createTask`` and ``/getBalance``; DocAI ``identifyByEncodeString`` and
``listCreateByMeModels``; ``GET /_standin/count`` gives the number of API requests answered.

It is a bare asyncio protocol speaking just enough HTTP/1.1 (keep-alive, Content-Length bodies),
not a web framework: on two cores a framework's own cost per request showed up in the client's
figures (plain aiohttp against an aiohttp.web stand-in reached 0.78 of the latency bound, against
this one 0.9 and more). Latency is a timer per answer, not a sleeping task.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import sys
from typing import Any

CAPSOLVER_READY = {
    "errorId": 0,
    "errorCode": "",
    "errorDescription": "",
    "status": "ready",
    "solution": {"text": "44795sds"},
}

DOCAI_RESULT = {
    "fieldList": [
        {"pageNumber": 1, "key": "invoiceNumber", "value": "INV-3337"},
        {"pageNumber": 1, "key": "invoiceDate", "value": "2019-02-11"},
        {"pageNumber": 1, "key": "grossAmount", "value": "154.06"},
        {"pageNumber": 1, "key": "totalTax", "value": "9.06"},
    ],
    "itemList": [
        [
            {"pageNumber": 1, "key": "description", "value": "Web design"},
            {"pageNumber": 1, "key": "quantity", "value": "1"},
            {"pageNumber": 1, "key": "totalPriceInclTax", "value": "154.06"},
        ]
    ],
    "taxList": [
        [
            {"pageNumber": 1, "key": "taxValue", "value": "9.06"},
            {"pageNumber": 1, "key": "taxPercentage", "value": "6.25"},
        ]
    ],
}


class StandIn:
    """The answers: a pure function of method and path, plus counters."""

    def __init__(self) -> None:
        self._ids = itertools.count(1)
        self.answered = 0

    def answer(self, method: str, path: str) -> tuple[int, Any]:
        """HTTP status and JSON body for a request."""
        if path == "/_standin/count":
            return 200, {"answered": self.answered}
        self.answered += 1
        n = next(self._ids)
        if method == "POST" and path == "/createTask":
            return 200, {**CAPSOLVER_READY, "taskId": f"task-{n}"}
        if method == "POST" and path == "/getBalance":
            return 200, {"errorId": 0, "balance": 100.0, "packages": []}
        if method == "POST" and path == "/api/identify/file/v2/identifyByEncodeString":
            file_id = f"{n:025d}"
            data = {"fileId": file_id, "recognizeStatus": "1", "result": DOCAI_RESULT}
            return 200, {
                "code": 200,
                "message": None,
                "costTime": 12,
                "requestId": f"req-{file_id}",
                "currentTimeMillis": 1700000000000,
                "data": data,
            }
        if path == "/api/model/info/v2/listCreateByMeModels":
            return 200, {"code": 200, "message": None, "data": [{"modelId": "invoice"}]}
        self.answered -= 1
        return 404, {"error": "not found"}

    def reply(self, method: bytes, target: bytes) -> bytes:
        """The whole HTTP response for a request.

        The hot path, CapSolver ``createTask``, is answered from a precomputed body: the stand-in
        shares the two cores with the client it measures, and building the answer with
        ``json.dumps`` per request was most of its own CPU. The body is byte for byte what
        :meth:`answer` gives (the test suite checks), the taskId numbered the same way.
        """
        if method == b"POST" and target == b"/createTask":
            self.answered += 1
            number = str(next(self._ids)).encode()
            return _TEMPLATE.head(len(number)) + number + _TASK_BODY_TAIL
        path = target.split(b"?", 1)[0].decode("latin-1")
        return _response(*self.answer(method.decode("latin-1"), path))


def _response(status: int, body: Any) -> bytes:
    payload = json.dumps(body, separators=(",", ":")).encode()
    reason = "OK" if status == 200 else "Not Found"
    head = (
        f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(payload)}\r\nConnection: keep-alive\r\n\r\n"
    )
    return head.encode() + payload


def _split_create_task() -> tuple[bytes, bytes]:
    # The answer for taskId "task-<n>", cut around <n>: only Content-Length depends on n (on its
    # number of digits), so one head per digit count serves every request.
    body = json.dumps({**CAPSOLVER_READY, "taskId": "task-@N@"}, separators=(",", ":"))
    head, tail = body.encode().split(b"@N@")
    return head, tail


_TASK_BODY_HEAD, _TASK_BODY_TAIL = _split_create_task()


class _CreateTaskTemplate:
    """Precomputed createTask replies per number of digits of the taskId counter."""

    def __init__(self) -> None:
        self._heads: dict[int, bytes] = {}

    def head(self, digits: int) -> bytes:
        """Status line, headers and the body up to the taskId number."""
        cached = self._heads.get(digits)
        if cached is None:
            length = len(_TASK_BODY_HEAD) + digits + len(_TASK_BODY_TAIL)
            cached = (
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                b"Content-Length: %d\r\nConnection: keep-alive\r\n\r\n" % length
            ) + _TASK_BODY_HEAD
            self._heads[digits] = cached
        return cached


_TEMPLATE = _CreateTaskTemplate()


class _Connection(asyncio.Protocol):
    def __init__(self, standin: StandIn, latency_s: float) -> None:
        self.standin = standin
        self.latency_s = latency_s
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None
        self.loop = asyncio.get_running_loop()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(self.buffer[:end])
            method, target, _ = head.split(b" ", 2)
            length = _content_length(head)
            total = end + 4 + length
            if len(self.buffer) < total:
                return
            del self.buffer[:total]
            reply = self.standin.reply(method, target)
            if self.latency_s > 0 and not target.startswith(b"/_standin/"):
                self.loop.call_later(self.latency_s, self._write, reply)
            else:
                self._write(reply)

    def _write(self, reply: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(reply)


def _content_length(head: bytes) -> int:
    # Header names are case-insensitive; clients send "Content-Length" or "content-length".
    at = head.lower().find(b"\r\ncontent-length:")
    if at < 0:
        return 0
    stop = head.find(b"\r\n", at + 2)
    return int(head[at + 17 : stop if stop >= 0 else len(head)])


async def _serve(host: str, port: int, latency_s: float) -> None:
    standin = StandIn()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: _Connection(standin, latency_s), host, port, backlog=1024, reuse_address=True
    )
    bound = server.sockets[0].getsockname()[1]
    print(f"standin listening on http://{host}:{bound}", flush=True)
    async with server:
        await server.serve_forever()


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and serve until killed."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    args = parser.parse_args(argv)
    try:
        asyncio.run(_serve(args.host, args.port, args.latency_ms / 1000))
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
