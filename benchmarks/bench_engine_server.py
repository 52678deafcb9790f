"""Requests per second of the embedded engine for tiny inputs: loopback server vs in-process.

Run: ``.venv/bin/python -m benchmarks.bench_engine_server [--requests 300] [--concurrency 8]``

The loopback server is ``ocrframe serve --port 0`` in its own process (a server thread inside
this process would share its GIL and distort every number). The in-process rows reach the same
app through ``httpx.ASGITransport`` in this process. Each row sends the same tiny request
``--requests`` times at the given concurrency and reports requests/s and the median latency.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import io
import statistics
import subprocess
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from benchmarks._servers import start_listening
from tools.synth.captchas import clean_text_image


def tiny_pdf() -> bytes:
    """A one-page born-digital PDF with a few lines of text."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4)
    for i, line in enumerate(("Invoice INV-1", "Date 2026-11-21", "Total 10.00 EUR")):
        pdf.drawString(72, 760 - 18 * i, line)
    pdf.save()
    return out.getvalue()


def start_server() -> tuple[subprocess.Popen[str], str]:
    """``ocrframe serve --port 0`` in a subprocess; returns it and its URL."""
    return start_listening(
        ["-c", "from ocrframe.cli import main; main()", "serve", "--port", "0"],
        "ocrframe engine listening on ",
    )


Call = Callable[[httpx.AsyncClient], Awaitable[httpx.Response]]


def calls() -> dict[str, Call]:
    """The tiny requests measured."""
    png = base64.b64encode(clean_text_image("Ab3dE", seed=1)).decode()
    pdf = base64.b64encode(tiny_pdf()).decode()

    def balance(c: httpx.AsyncClient) -> Awaitable[httpx.Response]:
        return c.post("/getBalance", json={})

    def captcha(c: httpx.AsyncClient) -> Awaitable[httpx.Response]:
        return c.post("/createTask", json={"task": {"type": "ImageToTextTask", "body": png}})

    def pdf_text(c: httpx.AsyncClient) -> Awaitable[httpx.Response]:
        fields = {"modelId": "text", "encodeString": pdf}
        return c.post("/api/identify/file/v2/identifyByEncodeString", data=fields)

    def pdf_invoice(c: httpx.AsyncClient) -> Awaitable[httpx.Response]:
        fields = {"modelId": "invoice", "encodeString": pdf}
        return c.post("/api/identify/file/v2/identifyByEncodeString", data=fields)

    return {
        "getBalance (no work)": balance,
        "createTask, 1 captcha (OCR)": captcha,
        "identify text model, 1-page PDF": pdf_text,
        "identify invoice model, 1-page PDF": pdf_invoice,
    }


async def run(client: httpx.AsyncClient, call: Call, n: int, concurrency: int) -> dict[str, Any]:
    """Send ``call`` n times at ``concurrency``; requests/s and median latency."""
    latencies: list[float] = []
    queue = iter(range(n))
    await call(client)  # warm up: models, connections

    async def worker() -> None:
        for _ in queue:
            started = time.perf_counter()
            answer = await call(client)
            answer.raise_for_status()
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    wall = time.perf_counter() - started
    return {"rps": n / wall, "median_ms": statistics.median(latencies) * 1000}


async def main_async(n: int, concurrency: int) -> None:
    """Every request kind, loopback and in-process, side by side."""
    from ocrframe.engine.app import ENGINE_BASE_URL, embedded_transport

    process, url = start_server()
    try:
        limits = httpx.Limits(max_connections=concurrency)
        remote = httpx.AsyncClient(base_url=url, limits=limits, timeout=120)
        local = httpx.AsyncClient(
            transport=embedded_transport(), base_url=ENGINE_BASE_URL, timeout=120
        )
        print(f"requests={n} concurrency={concurrency}")
        print("| request | where | req/s | median ms |")
        print("|---|---|---|---|")
        for name, call in calls().items():
            for where, client in (("loopback server", remote), ("in-process", local)):
                r = await run(client, call, n, concurrency)
                print(f"| {name} | {where} | {r['rps']:.1f} | {r['median_ms']:.1f} |", flush=True)
        await remote.aclose()
        await local.aclose()
    finally:
        process.terminate()
        process.wait(timeout=30)


def main() -> None:
    """Parse the options and run."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    asyncio.run(main_async(args.requests, args.concurrency))


if __name__ == "__main__":
    main()
