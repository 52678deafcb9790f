"""A hostile client of ``ocrframe serve``: unauthenticated reads, bodies that never come, idle and
dripping connections, absurd page selections. Each attack ends in a prompt, bounded answer.

One server (a subprocess on 127.0.0.1, port 0) with short deadlines and a small connection cap
serves the whole module. Socket reads are bounded by timeouts, so a regression fails the test
instead of hanging it; nothing here measures wall time.
"""

from __future__ import annotations

import base64
import select
import socket
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from tests.conftest import EngineServer, _start_engine_server

DOCAI_KEY = "hostile-docai-key-0123"
CAP_KEY = "hostile-capsolver-key-4567"
MODELS = "/api/model/info/v2/listCreateByMeModels"
BY_B64 = "/api/identify/file/v2/identifyByEncodeString"
AUTH = f"Authorization: Bearer {DOCAI_KEY}\r\n"
FILE_KEY = "key-from-a-file-89"
CAP = 16  # the servers' connection cap
BOUND = 30.0  # seconds any socket read may wait before the test fails (never reached when fixed)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EngineServer]:
    started = _start_engine_server(
        tmp_path_factory.mktemp("hostile-engine"),
        {
            "docai_key": DOCAI_KEY,
            "capsolver_key": CAP_KEY,
            "body_timeout_s": 1,
            "header_timeout_s": 1,
            "max_connections": CAP,
            "max_body_mb": 1,
        },
    )
    yield started
    started.stop()


@pytest.fixture(scope="module")
def capped(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EngineServer]:
    folder = tmp_path_factory.mktemp("hostile-capped")
    key_file = folder / "docai.key"
    key_file.write_text(FILE_KEY + "\n")
    started = _start_engine_server(
        folder, {"docai_key_file": str(key_file), "header_timeout_s": 300, "max_connections": CAP}
    )
    yield started
    started.stop()


def _address(server: EngineServer) -> tuple[str, int]:
    parts = urlsplit(server.url)
    assert parts.hostname is not None and parts.port is not None
    return parts.hostname, parts.port


def _connect(server: EngineServer) -> socket.socket:
    sock = socket.create_connection(_address(server), timeout=BOUND)
    return sock


def _read_until_closed(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (bounded by BOUND)."""
    received = bytearray()
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        received += chunk
    return bytes(received)


def _read_answer(sock: socket.socket) -> bytes:
    """One HTTP answer's head and body (by Content-Length)."""
    data = bytearray()
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed before an answer: {bytes(data)!r}"
        data += chunk
    head, _, body = bytes(data).partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(body) < length:
        chunk = sock.recv(65536)
        assert chunk
        body += chunk
    return head + b"\r\n\r\n" + body


def _status(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1])


def test_engine_endpoints_need_the_key(server: EngineServer) -> None:
    with httpx.Client(base_url=server.url, timeout=BOUND) as client:
        anonymous = client.get("/_engine/requests")
        wrong = client.get("/_engine/requests", headers={"Authorization": "Bearer nope"})
        clear = client.post("/_engine/requests/clear")
        good = client.get("/_engine/requests", headers={"Authorization": f"Bearer {DOCAI_KEY}"})
        also = client.get("/_engine/requests", headers={"Authorization": f"Bearer {CAP_KEY}"})
    assert (anonymous.status_code, wrong.status_code, clear.status_code) == (401, 401, 401)
    assert good.status_code == 200 and "requests" in good.json()
    assert also.status_code == 200
    assert DOCAI_KEY not in anonymous.text + wrong.text


def test_docai_key_is_checked_before_the_body(server: EngineServer) -> None:
    # 45 MB declared, none of it sent: the 401 must come from the headers alone.
    with _connect(server) as sock:
        sock.sendall(
            f"POST {BY_B64} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Content-Length: {45 * 1024 * 1024}\r\n\r\n".encode()
        )
        answer = _read_answer(sock)
    assert _status(answer) == 401
    assert b"Unauthorized" in answer


def test_capsolver_wrong_key_is_refused_before_the_image(server: EngineServer) -> None:
    start = b'{"clientKey": "wrong-key", "task": {"type": "ImageToTextTask", "body": "'
    with _connect(server) as sock:
        sock.sendall(
            f"POST /createTask HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Content-Length: {1000 * 1024}\r\n\r\n".encode()
            + start
            + b"A" * (70 * 1024)
        )
        answer = _read_answer(sock)
    assert _status(answer) == 401
    assert b"ERROR_KEY_DENIED_ACCESS" in answer


def test_declared_body_over_the_cap_is_refused_at_once(server: EngineServer) -> None:
    with _connect(server) as sock:
        sock.sendall(
            f"POST {BY_B64} HTTP/1.1\r\nHost: x\r\n{AUTH}Content-Type: application/json\r\n"
            f"Content-Length: {100 * 1024 * 1024}\r\n\r\n".encode()
        )
        answer = _read_answer(sock)
    assert _status(answer) == 413


def test_a_body_that_never_comes_meets_the_body_deadline(server: EngineServer) -> None:
    with _connect(server) as sock:
        sock.sendall(
            f"POST {BY_B64} HTTP/1.1\r\nHost: x\r\n{AUTH}Content-Type: application/json\r\n"
            "Content-Length: 1000\r\n\r\n{".encode()
        )
        answer = _read_until_closed(sock)
    assert _status(answer) == 408
    assert b"did not arrive within 1 s" in answer


def test_headers_that_never_end_meet_the_header_deadline(server: EngineServer) -> None:
    with _connect(server) as sock:
        sock.sendall(b"GET /api/model/info/v2/listCreateByMeModels HTTP/1.1\r\nHost: x\r\n")
        assert _read_until_closed(sock) == b""


def test_an_idle_kept_alive_connection_is_closed(server: EngineServer) -> None:
    with _connect(server) as sock:
        sock.sendall(f"GET {MODELS} HTTP/1.1\r\nHost: x\r\n{AUTH}\r\n".encode())
        assert _status(_read_answer(sock)) == 200
        sock.sendall(b"GET / HTTP/1.1\r\n")  # the next request's headers start, and stop
        assert _read_until_closed(sock) == b""


def test_idle_connections_cannot_crowd_out_requests(capped: EngineServer) -> None:
    # The header deadline is long here: only the cap can close the idle connections.
    idle = [_connect(capped) for _ in range(2 * CAP)]
    try:
        with httpx.Client(base_url=capped.url, timeout=BOUND) as client:
            answer = client.get(MODELS, headers={"Authorization": f"Bearer {FILE_KEY}"})
        assert answer.status_code == 200
        # Past the cap the longest-idle connections were closed to make room.
        closed: set[int] = set()
        while len(closed) < CAP:
            waiting = [s for s in idle if s.fileno() not in closed]
            ready, _, _ = select.select(waiting, [], [], BOUND)
            assert ready, f"only {len(closed)} idle connections were closed"
            for sock in ready:
                if sock.recv(1) == b"":
                    closed.add(sock.fileno())
    finally:
        for sock in idle:
            sock.close()


def test_a_huge_page_selection_is_refused_without_building_it(server: EngineServer) -> None:
    encoded = base64.b64encode(b"%PDF-1.4 not really").decode()
    with httpx.Client(base_url=server.url, timeout=BOUND) as client:
        answer = client.post(
            BY_B64,
            headers={"Authorization": f"Bearer {DOCAI_KEY}"},
            data={"modelId": "invoice", "encodeString": encoded, "legalPageNumbers": "1-30000000"},
        )
    assert answer.status_code == 400
    assert "past the limit of 2,000 pages" in answer.json()["message"]


def test_serve_takes_keys_from_a_file_not_the_command_line(capped: EngineServer) -> None:
    with httpx.Client(base_url=capped.url, timeout=BOUND) as client:
        anonymous = client.get(MODELS)
        good = client.get(MODELS, headers={"Authorization": f"Bearer {FILE_KEY}"})
    cmdline = Path(f"/proc/{capped.process.pid}/cmdline").read_bytes()
    assert anonymous.status_code == 401 and good.status_code == 200
    assert FILE_KEY.encode() not in cmdline and b"--docai-key-file" in cmdline
