"""What abandoned requests cost the engine: the batch faults run under CPU load, two servers.

Run: ``.venv/bin/python -m benchmarks.bench_abandoned [--runs 3] [--deadline 2.5] [--burn 2]
[--old-src PATH] [--new-src PATH]``

The run of ``tests/batch/test_server.py::test_capsolver_images_with_faults``: ``ocrframe serve``
in its own process with ``fault_rate 0.2, seed 5, fault_timeout_s 10``, 60 tiny PNGs sent by
``extract_async(service="capsolver", concurrency=4, request_timeout=DEADLINE, retries=10)``
with no waits between retries (as the test). ``--burn N`` busy processes compete for the CPU
meanwhile (a loaded machine). ``--old-src`` serves from another checkout (``PYTHONPATH``), e.g. a
worktree of the commit before the engine dropped abandoned work, and ``--new-src`` the other
(default: this checkout; a frozen worktree keeps edits made meanwhile out of the run); the
client is this checkout's in both. Runs alternate between the servers. Per run: wall seconds,
files ``ok``, attempts, the server's CPU-seconds (from ``/proc``) and, when the server has them,
its work counters (recognitions started, dropped, stopped).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import stamina

import ocrframe
from tests.makers import tiny_png

FILES = 60


def _burn(stop: Any) -> None:
    while not stop.is_set():
        sum(i * i for i in range(10_000))


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _serve(src: str | None) -> tuple[subprocess.Popen[str], str]:
    env = dict(os.environ)
    if src:
        env["PYTHONPATH"] = src
    command = [sys.executable, "-c", "from ocrframe.cli import main; main()", "serve"]
    flags = ["--port", "0", "--fault-rate", "0.2", "--seed", "5", "--fault-timeout-s", "10"]
    process = subprocess.Popen(
        [*command, *flags],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
        cwd=src,  # `python -c` puts the working folder first on sys.path
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    prefix = "ocrframe engine listening on "
    if not line.startswith(prefix):
        process.kill()
        raise RuntimeError(f"the server did not start: {line!r}")
    return process, line[len(prefix) :].strip()


async def _run(url: str, folder: Path, warm: Path, deadline: float) -> dict[str, Any]:
    options: dict[str, Any] = {"service": "capsolver", "base_url": url, "cache": False}
    await ocrframe.extract_async(warm, retries=10, progress=False, **options)
    started = time.perf_counter()
    ex = await ocrframe.extract_async(
        folder,
        model="common",
        request_timeout=deadline,
        retries=10,
        concurrency=4,
        progress=False,
        **options,
    )
    wall = time.perf_counter() - started
    docs = ex.documents
    return {
        "wall_s": wall,
        "ok": int((docs["status"] == "ok").sum()),
        "attempts": int(docs["attempts"].sum()),
    }


def measure(src: str | None, folder: Path, warm: Path, deadline: float) -> dict[str, Any]:
    """One faults run against a fresh server from ``src`` (None: this checkout)."""
    process, url = _serve(src)
    try:
        with stamina.set_testing(True, attempts=1000, cap=True):
            row = asyncio.run(_run(url, folder, warm, deadline))
        work = httpx.get(f"{url}/_engine/work", timeout=30)
        row["work"] = work.json() if work.status_code == 200 else None
        row["server_cpu_s"] = _cpu_seconds(process.pid)
    finally:
        process.terminate()
        process.wait(timeout=30)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--deadline", type=float, default=2.5)
    parser.add_argument("--burn", type=int, default=2)
    parser.add_argument("--old-src", default=None, help="serve from this checkout as 'old'")
    parser.add_argument("--new-src", default=None, help="serve from this checkout as 'new'")
    args = parser.parse_args()
    servers = {"new": args.new_src, **({"old": args.old_src} if args.old_src else {})}
    results: dict[str, list[dict[str, Any]]] = {name: [] for name in servers}
    stop = multiprocessing.Event()
    burners = [multiprocessing.Process(target=_burn, args=(stop,)) for _ in range(args.burn)]
    for burner in burners:
        burner.start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp) / "in"
            folder.mkdir()
            for i in range(FILES):
                (folder / f"img {i:03d}.png").write_bytes(tiny_png(f"K{i:03d}x"))
            warm = Path(tmp) / "warm.png"
            warm.write_bytes(tiny_png("warm"))
            for run in range(args.runs):
                for name, src in servers.items() if run % 2 == 0 else reversed(servers.items()):
                    row = measure(src, folder, warm, args.deadline)
                    results[name].append(row)
                    print(name, row, flush=True)
    finally:
        stop.set()
        for burner in burners:
            burner.join()
    print(f"\nload average {os.getloadavg()}, deadline {args.deadline} s, burners {args.burn}")
    for name, rows in results.items():
        print(
            f"{name}: wall median {statistics.median(r['wall_s'] for r in rows):.1f} s, "
            f"ok {[r['ok'] for r in rows]}, attempts {[r['attempts'] for r in rows]}, "
            f"server CPU median {statistics.median(r['server_cpu_s'] for r in rows):.1f} s"
        )


if __name__ == "__main__":
    main()
