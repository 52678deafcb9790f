"""A hostile HTTP server on loopback whose every answer a test scripts, and hostile inputs.

The server runs its own event loop in a thread, so blocking clients, async clients and
``ocrframe.extract`` all reach it over a real socket (the aiohttp transport, as in production).
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import subprocess
import sys
import textwrap
import threading
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass

import pytest

Script = Callable[["Request", asyncio.StreamWriter], Awaitable[None]]


@dataclass
class Request:
    """What the hostile server read of one request."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


async def read_request(reader: asyncio.StreamReader) -> Request | None:
    """One request (head and Content-Length body), or None when the client closed."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, ConnectionError):
        return None
    lines = head.decode("latin-1").split("\r\n")
    method, path, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    body = await reader.readexactly(length) if length else b""
    return Request(method, path, headers, body)


def answer_head(status: int, headers: dict[str, str], length: int | None) -> bytes:
    """An HTTP/1.1 status line and headers (``Content-Length`` when ``length`` is given)."""
    lines = [f"HTTP/1.1 {status} X"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    if length is not None:
        lines.append(f"Content-Length: {length}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def json_answer(body: object, status: int = 200) -> bytes:
    """A whole JSON answer."""
    data = json.dumps(body).encode()
    return answer_head(status, {"Content-Type": "application/json"}, len(data)) + data


class HostileServer:
    """A loopback server in its own thread; each connection runs ``script`` per request."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self.requests: list[Request] = []
        self.loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        if not self._ready.wait(30):
            raise RuntimeError("the hostile server did not start")

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        server = self.loop.run_until_complete(asyncio.start_server(self._serve, "127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
        self._server = server
        self._ready.set()
        self.loop.run_forever()
        server.close()
        self.loop.run_until_complete(server.wait_closed())
        self.loop.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while (request := await read_request(reader)) is not None:
                self.requests.append(request)
                await self.script(request, writer)
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    def stop(self) -> None:
        """Stop the loop (open connections are dropped) and join the thread."""

        def cancel_all() -> None:
            for task in asyncio.all_tasks(self.loop):
                task.cancel()
            self.loop.call_soon(self.loop.stop)

        self.loop.call_soon_threadsafe(cancel_all)
        self._thread.join(30)


@pytest.fixture
def hostile_server() -> Iterator[Callable[[Script], HostileServer]]:
    """A factory: ``hostile_server(script)`` starts a server answering with ``script``."""
    started: list[HostileServer] = []

    def start(script: Script) -> HostileServer:
        server = HostileServer(script)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


#: Address space a bounded child process may use: the issue's "under 1 GB" for the work itself,
#: plus what the interpreter, its libraries and its threads reserve without touching.
CHILD_ADDRESS_SPACE = 2 * 1024**3


def run_bounded(
    code: str,
    *,
    env: dict[str, str] | None = None,
    timeout: float = 240,
    address_space: int = CHILD_ADDRESS_SPACE,
) -> str:
    """Run ``code`` in a child Python whose address space is capped; return its stdout.

    The cap is virtual memory: onnxruntime alone reserves about 2.5 GB it never touches, so the
    embedded engine's runs get 4 GB (each bomb here took over 4 GB before it was guarded).

    The child's peak resident memory (``ru_maxrss``) is printed last as ``maxrss_mb=N``: the
    benchmark reads it; a test only needs the child to finish within the cap.
    """
    limit = address_space

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    wrapped = textwrap.dedent(code) + textwrap.dedent(
        """
        import resource as _r
        print(f"maxrss_mb={_r.getrusage(_r.RUSAGE_SELF).ru_maxrss // 1024}")
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", wrapped],
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=cap,
        env={**os.environ, **(env or {}), "OMP_NUM_THREADS": "1"},
        cwd=os.getcwd(),
        check=False,
    )
    assert result.returncode == 0, f"child failed ({result.returncode}):\n{result.stderr[-3000:]}"
    return result.stdout
