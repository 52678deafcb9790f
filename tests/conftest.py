"""Fixtures shared by every test."""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

# Tiny documents and retries without waits, for every test area.
from tests.makers import make, make_pdfs, no_waits

__all__ = ["engine_server", "engine_transport", "make", "make_pdfs", "no_waits"]

_ENV_VARS = (
    "DOCAI_API_KEY",
    "DOCAI_BASE_URL",
    "CAPSOLVER_API_KEY",
    "CAPSOLVER_API_BASE",
    "OCRFRAME_CACHE_DIR",
    "OCRFRAME_OCR_WORKERS",
    "OCRFRAME_OCR_LINE_WIDTH",
)


# Test modules whose tests take seconds or more each: marked `slow` here, in one list, so that
# `pytest -m "not slow"` is a quick subset (a test can also carry @pytest.mark.slow itself).
SLOW_MODULES = frozenset(
    {
        "tests/batch/test_server.py",
        "tests/dask/test_cluster.py",
        "tests/engine_invoice/test_einvoice_real.py",
        "tests/engine_invoice/test_invoice_accuracy.py",
        "tests/engine_pages/test_orientation.py",
        "tests/engine_pages/test_workers.py",
        "tests/engine_server/test_abandoned.py",
        "tests/engine_server/test_loopback.py",
        "tests/first_contact/test_notebooks.py",
        "tests/first_contact/test_readme.py",
        "tests/first_contact/test_sample.py",
    }
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    root = Path(__file__).resolve().parents[1]
    for item in items:
        module = Path(str(item.fspath)).resolve()
        if module.is_relative_to(root) and module.relative_to(root).as_posix() in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test sees the developer's keys, base URLs or cache; each gets a cache folder of its own.

    A test that checks the default cache location deletes ``OCRFRAME_CACHE_DIR`` itself.
    """
    for name in _ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OCRFRAME_CACHE_DIR", str(tmp_path / "ocrframe-cache"))


# --- The embedded engine on loopback (server helper) -------------------------------------------


class EngineServer:
    """A running ``ocrframe serve`` subprocess: ``.url``, ``.request_log()``, ``.stop()``."""

    def __init__(
        self,
        process: subprocess.Popen[str],
        url: str,
        stderr_path: Path,
        key: str | None = None,
    ) -> None:
        self.process = process
        self.url = url
        self.stderr_path = stderr_path
        # The engine's own endpoints need a key when the server has one.
        self._headers = {"Authorization": f"Bearer {key}"} if key else {}

    def request_log(self) -> list[dict[str, Any]]:
        """The server's request log: dicts with time, path, sha256, status, fault."""
        answer = httpx.get(f"{self.url}/_engine/requests", headers=self._headers, timeout=30)
        answer.raise_for_status()
        entries: list[dict[str, Any]] = answer.json()["requests"]
        return entries

    def clear_log(self) -> None:
        """Empty the server's request log."""
        url = f"{self.url}/_engine/requests/clear"
        httpx.post(url, headers=self._headers, timeout=30).raise_for_status()

    def stderr(self) -> str:
        """What the server wrote to stderr so far (uvicorn warnings, tracebacks)."""
        return self.stderr_path.read_text(errors="replace")

    def stop(self) -> None:
        """Terminate the server and wait for it (kill it if it does not stop in 15 s)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)
        if self.process.stdout is not None:
            self.process.stdout.close()


def _start_engine_server(tmp_dir: Path, options: dict[str, Any]) -> EngineServer:
    flags: list[str] = []
    env = {k: v for k, v in os.environ.items() if not k.startswith("OCRFRAME_ENGINE_")}
    for name, value in options.items():
        if value is None:
            continue
        if name in ("docai_key", "capsolver_key"):
            # Keys go through the environment: a flag would show in the process list.
            env[f"OCRFRAME_ENGINE_{name.upper()}"] = str(value)
            continue
        flags += [f"--{name.replace('_', '-')}", str(value)]
    stderr_path = tmp_dir / f"engine-{len(list(tmp_dir.iterdir()))}.stderr"
    # stderr to a file: a pipe nobody reads would fill up and stall the server.
    command = [sys.executable, "-c", "from ocrframe.cli import main; main()", "serve"]
    with stderr_path.open("w") as stderr:
        process = subprocess.Popen(
            [*command, "--port", "0", *flags],
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            env=env,
        )
    lines: queue.Queue[str] = queue.Queue()
    stdout = process.stdout
    assert stdout is not None
    threading.Thread(target=lambda: lines.put(stdout.readline()), daemon=True).start()
    try:
        line = lines.get(timeout=60)
    except queue.Empty:
        line = ""
    prefix = "ocrframe engine listening on "
    if not line.startswith(prefix):
        process.kill()
        process.wait(timeout=15)
        raise RuntimeError(
            f"ocrframe serve did not start: {line!r}\n{stderr_path.read_text(errors='replace')}"
        )
    key = options.get("docai_key") or options.get("capsolver_key")
    return EngineServer(process, line[len(prefix) :].strip(), stderr_path, key)


@pytest.fixture
def engine_server(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[..., EngineServer]]:
    """A factory: ``engine_server(fault_rate=0.2, seed=1, latency_ms=50, docai_key="k")`` starts
    ``ocrframe serve --port 0`` with those options (any ``serve`` flag, underscores for dashes)
    and returns an :class:`EngineServer`. Every server started is stopped at teardown."""
    tmp_dir = tmp_path_factory.mktemp("engine")
    started: list[EngineServer] = []

    def start(**options: Any) -> EngineServer:
        server = _start_engine_server(tmp_dir, options)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def engine_transport() -> httpx.AsyncBaseTransport:
    """The in-process transport to the shared embedded engine (use base_url ENGINE_BASE_URL)."""
    from ocrframe.engine.app import embedded_transport

    return embedded_transport()
