"""Benchmarks of the batch engine against a stand-in server in its own process.

    python -m benchmarks.bench_batch efficiency   # 2,000 images, 100 ms latency, concurrency 64
    python -m benchmarks.bench_batch sdk          # the official capsolver SDK on the same images
    python -m benchmarks.bench_batch memory       # peak RSS, streaming 10,000 and 100,000 files
    python -m benchmarks.bench_batch trees --trees OLD NEW   # before/after, interleaved
    python -m benchmarks.bench_batch all

Efficiency is the latency-bound ideal N·L/C divided by the wall time of ``extract_async`` (from
the call to the returned tables: discovery, reading, hashing, requests, tables). Results go to
BENCHMARKS.md ("Batch engine").
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path
from typing import Any

from benchmarks._servers import start_listening

API_KEY = "bench-key-not-secret"


# --------------------------------------------------------------------------- helpers


def start_standin(latency_ms: float) -> tuple[subprocess.Popen[str], str]:
    """Start the stand-in server in its own process; return it and its URL."""
    return start_listening(
        ["-m", "benchmarks.standin_server", "--port", "0", "--latency-ms", str(latency_ms)],
        "standin listening on ",
    )


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def tiny_pngs(folder: Path, n: int) -> None:
    """``n`` distinct small PNGs (one 16x8 picture, each with its own tEXt chunk)."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("L", (16, 8), color=200).save(buffer, format="PNG")
    base = buffer.getvalue()
    head, tail = base[:33], base[33:]  # signature + IHDR, then the rest
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        (folder / f"img-{i:06d}.png").write_bytes(
            head + _chunk(b"tEXt", b"n\x00" + str(i).encode()) + tail
        )


def _peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --------------------------------------------------------------------------- efficiency


async def _one_run(folder: Path, url: str, concurrency: int, transport: Any = None) -> float:
    import ocrframe

    started = time.perf_counter()
    ex = await ocrframe.extract_async(
        folder,
        service="capsolver",
        model="common",
        api_key=API_KEY,
        base_url=url,
        concurrency=concurrency,
        cache=False,
        progress=False,
        transport=transport,
    )
    wall = time.perf_counter() - started
    docs = ex.documents
    assert (docs["status"] == "ok").all(), docs["error_code"].value_counts()
    return wall


async def _client_only(folder: Path, url: str, concurrency: int) -> float:
    """The client alone, no batch engine: files read beforehand, ``concurrency`` loops calling
    ``image_to_text`` (what the transport and the client allow on this machine)."""
    from ocrframe.services.capsolver import AsyncCapSolverClient

    images = [f.read_bytes() for f in sorted(folder.iterdir())]  # noqa: ASYNC240 (untimed)
    client = AsyncCapSolverClient(API_KEY, base_url=url, max_connections=concurrency + 2)
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for image in images:
        queue.put_nowait(image)

    async def loop() -> None:
        while not queue.empty():
            await client.image_to_text(queue.get_nowait(), module="common")

    started = time.perf_counter()
    await asyncio.gather(*[loop() for _ in range(concurrency)])
    wall = time.perf_counter() - started
    await client.aclose()
    return wall


def efficiency(n: int, latency_ms: float, concurrency: int, repeats: int) -> dict[str, Any]:
    """Median efficiency of ``repeats`` runs: ``extract_async`` (default transport), the client
    alone (interleaved with it), and ``extract_async`` over httpx's own pool."""
    import httpx

    server, url = start_standin(latency_ms)
    ideal = n * (latency_ms / 1000) / concurrency
    try:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp) / "in"
            tiny_pngs(folder, n)
            asyncio.run(_one_run(folder, url, concurrency))  # warm-up: imports, first connections
            ours, alone = [], []
            for _ in range(repeats):
                ours.append(asyncio.run(_one_run(folder, url, concurrency)))
                alone.append(asyncio.run(_client_only(folder, url, concurrency)))

            def httpx_pool() -> float:
                transport = httpx.AsyncHTTPTransport(
                    limits=httpx.Limits(max_connections=concurrency + 2)
                )
                return asyncio.run(_one_run(folder, url, concurrency, transport))

            pool = [httpx_pool() for _ in range(3)]
    finally:
        server.kill()
        server.wait()
    result = {
        "n": n,
        "latency_ms": latency_ms,
        "concurrency": concurrency,
        "ideal_s": ideal,
        "walls_s": ours,
        "median_wall_s": statistics.median(ours),
        "efficiency": ideal / statistics.median(ours),
        "throughput_per_s": n / statistics.median(ours),
        "client_only_walls_s": alone,
        "client_only_efficiency": ideal / statistics.median(alone),
        "load_average": os.getloadavg(),
        "httpx_pool_walls_s": pool,
        "httpx_pool_efficiency": ideal / statistics.median(pool),
    }
    return result


_TREE_CHILD = """
import asyncio, json, os, sys, tempfile, time
from pathlib import Path
tree, runs, n, latency_ms, concurrency = sys.argv[1:6]
runs, n, latency_ms, concurrency = int(runs), int(n), float(latency_ms), int(concurrency)
import ocrframe
assert ocrframe.__file__.startswith(tree), ocrframe.__file__
from benchmarks.bench_batch import start_standin, tiny_pngs, _one_run
server, url = start_standin(latency_ms)
try:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "in"
        tiny_pngs(folder, n)
        asyncio.run(_one_run(folder, url, concurrency))
        walls, cpus = [], []
        for _ in range(runs):
            cpu = time.process_time()
            walls.append(asyncio.run(_one_run(folder, url, concurrency)))
            cpus.append(time.process_time() - cpu)
finally:
    server.kill()
    server.wait()
print(json.dumps({"walls": walls, "cpus": cpus, "load": os.getloadavg()}))
"""


def trees(
    paths: list[str], rounds: int, repeats: int, n: int, latency_ms: float, concurrency: int
) -> dict[str, Any]:
    """Before/after: the efficiency run of each source tree (a copy of the repository's
    ``ocrframe`` and ``benchmarks``, e.g. from ``git archive``), each with its own stand-in,
    the trees alternating ``rounds`` times, ``repeats`` runs each time."""
    ideal = n * (latency_ms / 1000) / concurrency
    settings = (repeats, n, latency_ms, concurrency)
    walls: dict[str, list[float]] = {path: [] for path in paths}
    cpus: dict[str, list[float]] = {path: [] for path in paths}
    loads = []
    for _ in range(rounds):
        for path in paths:
            tree = os.path.abspath(path)
            done = subprocess.run(
                [sys.executable, "-c", _TREE_CHILD, tree, *map(str, settings)],
                capture_output=True,
                text=True,
                check=True,
                cwd=tempfile.gettempdir(),
                env={**os.environ, "PYTHONPATH": tree},
            )
            row = json.loads(done.stdout)
            walls[path] += row["walls"]
            cpus[path] += row["cpus"]
            loads.append(row["load"][0])
    return {
        "ideal_s": ideal,
        "load_average_1min": loads,
        "trees": {
            path: {
                "walls_s": runs,
                "median_wall_s": statistics.median(runs),
                "efficiency": ideal / statistics.median(runs),
                # CPU of the client process per request: what the load of the moment moves least.
                "cpu_s": cpus[path],
                "median_cpu_ms_per_request": 1000 * statistics.median(cpus[path]) / n,
            }
            for path, runs in walls.items()
        },
    }


# --------------------------------------------------------------------------- the SDK


_SDK_SCRIPT = """
import base64, json, sys, time
from pathlib import Path
import capsolver

files = sorted(Path(sys.argv[1]).iterdir())[: int(sys.argv[2])]
bodies = [base64.b64encode(f.read_bytes()).decode() for f in files]
started = time.perf_counter()
for body in bodies:
    solution = capsolver.solve({"type": "ImageToTextTask", "module": "common", "body": body})
    assert solution["text"]
wall = time.perf_counter() - started
print(json.dumps({"n": len(bodies), "wall_s": wall}))
"""


def sdk(n: int, sdk_n: int, latency_ms: float, concurrency: int) -> dict[str, Any]:
    """The official SDK in a loop (as its README shows) vs ours, on the same images."""
    server, url = start_standin(latency_ms)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp) / "in"
            tiny_pngs(folder, n)
            asyncio.run(_one_run(folder, url, concurrency))
            ours = statistics.median(
                [asyncio.run(_one_run(folder, url, concurrency)) for _ in range(3)]
            )
            env = {**os.environ, "CAPSOLVER_API_BASE": url, "CAPSOLVER_API_KEY": API_KEY}
            done = subprocess.run(
                [sys.executable, "-c", _SDK_SCRIPT, str(folder), str(sdk_n)],
                capture_output=True,
                text=True,
                env=env,
                check=True,
            )
            theirs = json.loads(done.stdout)
    finally:
        server.kill()
        server.wait()
    our_rate = n / ours
    their_rate = theirs["n"] / theirs["wall_s"]
    return {
        "n": n,
        "latency_ms": latency_ms,
        "ours_wall_s": ours,
        "ours_per_s": our_rate,
        "sdk_images": theirs["n"],
        "sdk_wall_s": theirs["wall_s"],
        "sdk_per_s": their_rate,
        "ratio": our_rate / their_rate,
    }


# --------------------------------------------------------------------------- memory


_MEMORY_CHILD = """
import asyncio, json, resource, sys, time
import ocrframe

folder, out, cache, url = sys.argv[1:5]
started = time.perf_counter()
ex = asyncio.run(ocrframe.extract_async(
    folder, service="capsolver", model="common", api_key="bench-key-not-secret", base_url=url,
    concurrency=64, cache=cache, out=out, progress=False))
wall = time.perf_counter() - started
summary = ex.summary
print(json.dumps({
    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "wall_s": wall, "ok": summary.ok, "failed": summary.failed,
}))
"""


def memory(sizes: list[int]) -> list[dict[str, Any]]:
    """Peak RSS of a streaming run (``out=``, a cache) over each number of files."""
    server, url = start_standin(0)
    results = []
    try:
        for n in sizes:
            tmp = Path(tempfile.mkdtemp(prefix="ocrframe-mem-"))
            try:
                tiny_pngs(tmp / "in", n)
                done = subprocess.run(
                    [
                        sys.executable,
                        "-c",
                        _MEMORY_CHILD,
                        str(tmp / "in"),
                        str(tmp / "out"),
                        str(tmp / "cache.sqlite3"),
                        url,
                    ],
                    capture_output=True,
                    text=True,
                    check=True,
                )
                row = json.loads(done.stdout)
                assert row["ok"] == n, row
                results.append({"files": n, **row})
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
    finally:
        server.kill()
        server.wait()
    return results


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> None:
    """Run the chosen benchmark(s) and print JSON results."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("which", choices=["efficiency", "sdk", "memory", "trees", "all"])
    parser.add_argument("--trees", nargs="+", default=[], help="Source trees for 'trees'.")
    parser.add_argument("--rounds", type=int, default=3, help="Alternations for 'trees'.")
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--sdk-n", type=int, default=2000, help="Images for the SDK loop.")
    parser.add_argument("--latency-ms", type=float, default=100.0)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    args = parser.parse_args(argv)
    if args.which in ("efficiency", "all"):
        result = efficiency(args.n, args.latency_ms, args.concurrency, args.repeats)
        print(json.dumps({"efficiency": result}, indent=1), flush=True)
    if args.which == "trees":
        result = trees(args.trees, args.rounds, 3, args.n, args.latency_ms, args.concurrency)
        print(json.dumps({"trees": result}, indent=1), flush=True)
    if args.which in ("sdk", "all"):
        result = sdk(args.n, args.sdk_n, args.latency_ms, args.concurrency)
        print(json.dumps({"sdk": result}, indent=1), flush=True)
    if args.which in ("memory", "all"):
        rows = memory(args.sizes)
        ratio = rows[-1]["peak_rss_mb"] / rows[0]["peak_rss_mb"]
        print(json.dumps({"memory": rows, "ratio_largest_to_smallest": ratio}, indent=1))


if __name__ == "__main__":
    main()
