"""Which HTTP transport keeps 64 requests in flight: httpx's own pool or aiohttp's?

A stand-in DocAI server runs in its own process (uvicorn + starlette on 127.0.0.1, port 0) and
answers every POST with the seed's example answer after ``--latency-ms``. N requests are sent at
concurrency C through each variant; efficiency is the latency-bound limit N·L/C divided by the
wall time (1.0 = every slot busy waiting on the server all the time). Medians of ``--runs`` runs,
the variants interleaved so that drift of the machine hits them alike.

Variants:
  httpx-pool        one httpx.AsyncClient over its own pool (max_connections=C), a JSON POST
  httpx-aiohttp     one httpx.AsyncClient over httpx_aiohttp.AiohttpTransport (limit C)
  client-default    AsyncDocAIClient.identify_by_base64 on its default transport (multipart body,
                    envelope checks): what ocrframe actually does
  client-httpx-pool AsyncDocAIClient over httpx's own pool, for comparison

Run: .venv/bin/python -m benchmarks.bench_transport [--requests 1000] [--concurrency 64]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

ANSWER: dict[str, Any] = {
    "code": 200,
    "message": None,
    "costTime": None,
    "data": {
        "fileId": "2310091711378393918074800",
        "recognizeStatus": "1",
        "result": {
            "fieldList": [
                {"pageNumber": 1, "key": "invoiceNumber", "value": "US-001"},
                {"pageNumber": 1, "key": "invoiceDate", "value": "2019-02-11"},
                {"pageNumber": 1, "key": "grossAmount", "value": "154.06"},
            ],
            "itemList": [
                [
                    {"pageNumber": 1, "key": "description", "value": "Front and rear brake cables"},
                    {"pageNumber": 1, "key": "totalPriceInclTax", "value": "100.00"},
                ]
            ],
            "taxList": [[{"pageNumber": 1, "key": "taxValue", "value": "9.06"}]],
        },
    },
    "requestId": "da69edd3cb1d47b4a68db9303d280000",
    "currentTimeMillis": 1696859401185,
}
PATH = "/api/identify/file/v2/identifyByEncodeString"
DOCUMENT = b"%PDF-1.7\n" + b"0" * 2000


# --------------------------------------------------------------------------- the stand-in server


def serve(latency_ms: float) -> None:
    """Run the stand-in server; print its port on the first line of stdout."""
    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    body = json.dumps(ANSWER).encode()

    async def answer(request: Request) -> Response:
        await request.body()
        await asyncio.sleep(latency_ms / 1000)
        return Response(body, media_type="application/json")

    app = Starlette(routes=[Route(PATH, answer, methods=["POST"])])
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    print(sock.getsockname()[1], flush=True)
    config = uvicorn.Config(app, log_level="warning", lifespan="off", backlog=1024)
    uvicorn.Server(config).run(sockets=[sock])


def start_server(latency_ms: float) -> tuple[subprocess.Popen[str], str]:
    """Start the stand-in server in its own process; return it and its base URL."""
    process = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.bench_transport", "--serve", str(latency_ms)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
    )
    assert process.stdout is not None
    port = int(process.stdout.readline())
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:  # wait until it accepts connections
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            if time.monotonic() > deadline:
                process.kill()
                raise
            time.sleep(0.05)
    return process, url


# --------------------------------------------------------------------------- the variants


async def _drive(n: int, concurrency: int, send: Callable[[], Awaitable[None]]) -> float:
    gate = asyncio.Semaphore(concurrency)

    async def one() -> None:
        async with gate:
            await send()

    start = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(n)))
    return time.perf_counter() - start


async def run_plain(url: str, n: int, c: int, transport: httpx.AsyncBaseTransport | None) -> float:
    limits = httpx.Limits(max_connections=c, max_keepalive_connections=c)
    async with httpx.AsyncClient(
        base_url=url, limits=limits, transport=transport, timeout=60
    ) as client:

        async def send() -> None:
            response = await client.post(PATH, json={"modelId": "m", "encodeString": "AAAA"})
            response.raise_for_status()
            response.json()

        return await _drive(n, c, send)


async def run_client(url: str, n: int, c: int, transport: httpx.AsyncBaseTransport | None) -> float:
    from ocrframe.services.docai import AsyncDocAIClient

    async with AsyncDocAIClient(
        "bench-key", base_url=url, transport=transport, max_connections=c
    ) as client:

        async def send() -> None:
            await client.identify_by_base64(DOCUMENT, model="m")

        return await _drive(n, c, send)


def variants(c: int) -> dict[str, Callable[[str, int], Awaitable[float]]]:
    """The variants by name: each takes (url, n) and returns the wall time."""
    from httpx_aiohttp import AiohttpTransport

    def limits() -> httpx.Limits:
        return httpx.Limits(max_connections=c, max_keepalive_connections=c)

    return {
        "httpx-pool": lambda url, n: run_plain(url, n, c, None),
        "httpx-aiohttp": lambda url, n: run_plain(url, n, c, AiohttpTransport(limits=limits())),
        "client-default": lambda url, n: run_client(url, n, c, None),
        "client-httpx-pool": lambda url, n: run_client(
            url, n, c, httpx.AsyncHTTPTransport(limits=limits())
        ),
    }


def main() -> None:
    """Measure every variant and print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--latency-ms", type=float, default=100.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", nargs="*", help="variant names to run")
    parser.add_argument("--serve", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve is not None:
        serve(args.serve)
        return
    n, c, latency = args.requests, args.concurrency, args.latency_ms / 1000
    ideal = n * latency / c
    chosen = variants(c)
    if args.only:
        chosen = {name: chosen[name] for name in args.only}
    process, url = start_server(args.latency_ms)
    walls: dict[str, list[float]] = {name: [] for name in chosen}
    try:
        for run in range(args.runs):
            for name, variant in chosen.items():
                asyncio.run(variant(url, 50))  # warm the server's imports and the OS
                wall = asyncio.run(variant(url, n))
                walls[name].append(wall)
                print(
                    f"run {run + 1}: {name:18s} {wall:6.2f} s  eff {ideal / wall:.2f}",
                    file=sys.stderr,
                    flush=True,
                )
    finally:
        process.terminate()
        process.wait(timeout=10)
    print(
        f"\nN={n}, C={c}, L={args.latency_ms:g} ms, ideal N·L/C = {ideal:.2f} s, "
        f"medians of {args.runs} runs\n"
    )
    print("| variant | median wall (s) | efficiency | runs (s) |")
    print("|---|---|---|---|")
    for name, times in walls.items():
        median = statistics.median(times)
        runs = ", ".join(f"{t:.2f}" for t in times)
        print(f"| {name} | {median:.2f} | {ideal / median:.2f} | {runs} |")


if __name__ == "__main__":
    main()
