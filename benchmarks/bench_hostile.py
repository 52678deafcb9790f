"""Hostile inputs and answers: peak memory and time of each worst case, against its limit.

Each case runs in a child process (so its peak resident memory, ``ru_maxrss``, is its own) with
an address-space cap, so that a case without its guard fails at the cap instead of taking the
machine. The hostile server runs in this process, in a thread.

    .venv/bin/python -m benchmarks.bench_hostile
    .venv/bin/python -m benchmarks.bench_hostile --cases gzip_bomb,deep_json
    .venv/bin/python -m benchmarks.bench_hostile --checkout ../other-clone   # side by side

``--checkout`` runs the children against another checkout of ocrframe (``PYTHONPATH``), e.g. one
at the commit before the guards, for a before/after table.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.hostile import inputs
from tests.hostile.conftest import HostileServer, Request, answer_head
from tests.hostile.test_answers import gzip_bomb

CAP = 4 * 1024**3  # address space of a child (onnxruntime reserves ~2.5 GB it never touches)
ROOT = Path(__file__).resolve().parents[1]


def child(code: str, checkout: Path, timeout: float) -> dict[str, Any]:
    """Run ``code`` in a capped child; its outcome, peak RSS (MB) and wall time (s)."""
    wrapped = textwrap.dedent(code) + textwrap.dedent(
        """
        import resource as _r, json as _j
        print("RESULT " + _j.dumps({"maxrss_mb": _r.getrusage(_r.RUSAGE_SELF).ru_maxrss // 1024,
                                    "outcome": OUTCOME}))
        """
    )

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (CAP, CAP))

    env = {**os.environ, "PYTHONPATH": str(checkout), "OCRFRAME_CACHE_DIR": tempfile.mkdtemp()}
    for name in ("DOCAI_API_KEY", "DOCAI_BASE_URL", "CAPSOLVER_API_KEY", "CAPSOLVER_API_BASE"):
        env.pop(name, None)
    started = time.perf_counter()
    try:
        result = subprocess.run(
            [sys.executable, "-c", wrapped],
            capture_output=True,
            text=True,
            timeout=timeout,
            preexec_fn=cap,
            env=env,
            cwd=checkout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return {
            "outcome": f"still running after {timeout:g} s",
            "maxrss_mb": None,
            "seconds": timeout,
        }
    seconds = time.perf_counter() - started
    for line in result.stdout.splitlines():
        if line.startswith("RESULT "):
            return {**json.loads(line[7:]), "seconds": round(seconds, 1)}
    tail = (result.stderr.strip().splitlines() or ["?"])[-1][:120]
    return {
        "outcome": f"died ({result.returncode}): {tail}",
        "maxrss_mb": None,
        "seconds": round(seconds, 1),
    }


def _serve(body: Callable[[Request, asyncio.StreamWriter], Any]) -> HostileServer:
    return HostileServer(body)


def _fixed(data: bytes) -> Callable[[Request, asyncio.StreamWriter], Any]:
    async def script(request: Request, writer: asyncio.StreamWriter) -> None:
        writer.write(data)

    return script


def _drip(data: bytes) -> Callable[[Request, asyncio.StreamWriter], Any]:
    async def script(request: Request, writer: asyncio.StreamWriter) -> None:
        for i in range(len(data)):
            writer.write(data[i : i + 1])
            await writer.drain()
            await asyncio.sleep(1.0)

    return script


CLIENT_CALL = """
import ocrframe
try:
    with ocrframe.DocAIClient("bench-key", base_url={url!r}{extra}) as client:
        for _ in range({times}):
            client.list_models()
    OUTCOME = "no error"
except ocrframe.OcrframeError as exc:
    OUTCOME = f"{{type(exc).__name__}} {{exc.code}}"
except BaseException as exc:
    OUTCOME = f"UNTYPED {{type(exc).__name__}}"
"""

EXTRACT = """
import ocrframe
ex = ocrframe.extract({folder!r}, service={service!r}, model={model!r}, progress=False,
                      cache=False{extra})
OUTCOME = dict(ex.documents.groupby(["status", "error_code"], dropna=False).size()
               .rename(lambda k: str(k)).items())
OUTCOME = {{str(k): int(v) for k, v in OUTCOME.items()}}
"""


def case_gzip_bomb(checkout: Path) -> dict[str, Any]:
    """An answer inflating to 1 GiB (1 MB on the wire), twice."""
    bomb = gzip_bomb()
    head = answer_head(
        200, {"Content-Type": "application/json", "Content-Encoding": "gzip"}, len(bomb)
    )
    server = _serve(_fixed(head + bomb))
    try:
        return child(CLIENT_CALL.format(url=server.url, extra="", times=2), checkout, 300)
    finally:
        server.stop()


def case_huge_answer(checkout: Path) -> dict[str, Any]:
    """A 100 MB answer, twice (two files)."""
    size = 100 * 1024 * 1024
    body = b'{"code": 200, "data": [], "pad": "' + b"x" * (size - 40) + b'"}'
    server = _serve(
        _fixed(answer_head(200, {"Content-Type": "application/json"}, len(body)) + body)
    )
    try:
        return child(CLIENT_CALL.format(url=server.url, extra="", times=2), checkout, 300)
    finally:
        server.stop()


def case_deep_json(checkout: Path) -> dict[str, Any]:
    """A 100,000-deep JSON answer, through the blocking client."""
    deep = b"[" * 100_000 + b"]" * 100_000
    server = _serve(
        _fixed(answer_head(200, {"Content-Type": "application/json"}, len(deep)) + deep)
    )
    try:
        return child(CLIENT_CALL.format(url=server.url, extra="", times=1), checkout, 300)
    finally:
        server.stop()


def case_drip(checkout: Path) -> dict[str, Any]:
    """Headers dripped at one byte a second; extract(request_timeout=10, retry_timeout=30)."""
    server = _serve(_drip(answer_head(200, {"X-Pad": "p" * 10_000}, 2) + b"{}"))
    folder = Path(tempfile.mkdtemp())
    (folder / "a.png").write_bytes(inputs.png(60, 20))
    try:
        return child(
            EXTRACT.format(
                folder=str(folder),
                service="docai",
                model="m",
                extra=f", api_key='k', base_url={server.url!r}, request_timeout=10, "
                "retry_timeout=30",
            ),
            checkout,
            300,
        )
    finally:
        server.stop()


def _hostile_folder() -> Path:
    folder = Path(tempfile.mkdtemp())
    files = {
        "page-tree-contains-itself.pdf": inputs.self_containing_page_tree(),
        "page-tree-3000-deep.pdf": inputs.deep_page_tree(),
        "form-draws-itself.pdf": inputs.self_referencing_form(),
        "blank-300-pages.pdf": inputs.blank_pages(300),
        "blank-5000-pages.pdf": inputs.blank_pages(5000),
        "line-65535x1.png": inputs.png(65535, 1),
        "line-1600x1.png": inputs.png(1600, 1),
    }
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return folder


def case_documents_capsolver(checkout: Path) -> dict[str, Any]:
    """The hostile documents to CapSolver on the embedded engine (pages 1-3 of each)."""
    return child(
        EXTRACT.format(
            folder=str(_hostile_folder()),
            service="capsolver",
            model="common",
            extra=", retries=1, pages='1-3'",
        ),
        checkout,
        600,
    )


def case_documents_docai(checkout: Path) -> dict[str, Any]:
    """The hostile documents to DocAI on the embedded engine (pages 1-3 of each)."""
    return child(
        EXTRACT.format(
            folder=str(_hostile_folder()),
            service="docai",
            model="invoice",
            extra=", retries=1, pages='1-3'",
        ),
        checkout,
        600,
    )


def _server_peak_mb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) // 1024
    return -1


def case_server(checkout: Path) -> dict[str, Any]:
    """``ocrframe serve`` with a key: 8 x 45 MB unauthenticated bodies at once, then
    ``legalPageNumbers=1-30000000``, then 1,100 idle connections and one real request."""
    import base64
    import concurrent.futures
    import socket

    import httpx

    env = {**os.environ, "PYTHONPATH": str(checkout), "OCRFRAME_ENGINE_DOCAI_KEY": "bench-key"}
    process = subprocess.Popen(
        [sys.executable, "-c", "from ocrframe.cli import main; main()", "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
        cwd=checkout,
    )
    assert process.stdout is not None
    url = process.stdout.readline().strip().rsplit(" ", 1)[-1]
    host, port = url.removeprefix("http://").split(":")
    started = time.perf_counter()
    outcomes: list[str] = []
    body = b"x" * (45 * 1024 * 1024)
    path = "/api/identify/file/v2/identifyByEncodeString"
    try:

        def post(_: int) -> str:
            try:
                answer = httpx.post(
                    url + path,
                    content=body,
                    timeout=120,
                    headers={"Content-Type": "application/json"},
                )
                return str(answer.status_code)
            except httpx.HTTPError as exc:
                return type(exc).__name__

        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            outcomes.append("8x45MB: " + ",".join(sorted(set(pool.map(post, range(8))))))
        after_bodies = _server_peak_mb(process.pid)
        pages = httpx.post(
            url + path,
            headers={"Authorization": "Bearer bench-key"},
            data={
                "modelId": "invoice",
                "legalPageNumbers": "1-30000000",
                "encodeString": base64.b64encode(inputs.blank_pages(1)).decode(),
            },
            timeout=120,
        )
        outcomes.append(f"pages 1-30000000: {pages.status_code}")
        idle = []
        for _ in range(1100):
            try:
                idle.append(socket.create_connection((host, int(port)), timeout=10))
            except OSError as exc:
                outcomes.append(f"connect: {type(exc).__name__}")
                break
        try:
            real = httpx.get(
                url + "/api/model/info/v2/listCreateByMeModels",
                timeout=60,
                headers={"Authorization": "Bearer bench-key"},
            )
            outcomes.append(f"request beside 1,100 idle: {real.status_code}")
        except httpx.HTTPError as exc:
            outcomes.append(f"request beside 1,100 idle: {type(exc).__name__}")
        for sock in idle:
            sock.close()
        peak = _server_peak_mb(process.pid)
    finally:
        process.terminate()
        process.wait(30)
    return {
        "outcome": f"{'; '.join(outcomes)} (peak after the bodies: {after_bodies} MB)",
        "maxrss_mb": peak,
        "seconds": round(time.perf_counter() - started, 1),
    }


CASES = {
    "gzip_bomb": case_gzip_bomb,
    "huge_answer": case_huge_answer,
    "deep_json": case_deep_json,
    "drip": case_drip,
    "documents_capsolver": case_documents_capsolver,
    "documents_docai": case_documents_docai,
    "server": case_server,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default=",".join(CASES), help="comma-separated case names")
    parser.add_argument("--checkout", type=Path, default=ROOT, help="ocrframe checkout to run")
    args = parser.parse_args()
    print(f"checkout {args.checkout}; load {os.getloadavg()[0]:.1f}; cap {CAP // 1024**3} GB")
    print(f"{'case':22} {'peak MB':>8} {'seconds':>8}  outcome")
    for name in args.cases.split(","):
        result = CASES[name](args.checkout.resolve())
        peak = "-" if result["maxrss_mb"] is None else str(result["maxrss_mb"])
        print(f"{name:22} {peak:>8} {result['seconds']:>8}  {result['outcome']}", flush=True)


if __name__ == "__main__":
    main()
