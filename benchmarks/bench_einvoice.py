"""The e-invoice XML path on the real set: accuracy per field and half, and time per file.

Every ``einvoices/X.pdf`` in the real data is read by :func:`ocrframe._einvoice.read_einvoice`
(attachment found with pdfium, XML parsed) and scored against ``X.pdf.expected.json`` by the
rules of :mod:`benchmarks.bench_accuracy` (only keys present are scored; amounts as decimals).
Side by side, in the same session: the printed-page reader on ``X.stripped.pdf`` (the same
document with the XML removed: text layer -> :func:`extract_invoice`), the path a file takes
without an e-invoice. Halves are :func:`benchmarks._realdata.split`'s.

With ``--batch``, also the batch option ``einvoice="local"`` against ``"remote"``: the 47
originals and their 47 stripped copies through :func:`ocrframe.extract_async` against
``ocrframe serve`` on loopback, slowed to ``--latency-ms`` per answer like a remote service
(no cache; each variant ``--runs`` times, alternating; medians). It counts the identify requests
the server saw, and the wall time of each run.

Run::

    .venv/bin/python -m benchmarks.bench_einvoice [--repeat 5] [--verbose] [--batch]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks._realdata import REALDATA, split
from benchmarks._servers import start_listening
from benchmarks.bench_accuracy import HEADER_FIELDS, Score, score_document
from ocrframe._einvoice import read_einvoice

EINVOICES = REALDATA / "einvoices"


def originals() -> list[Path]:
    """Every real e-invoice PDF with its XML (not the stripped copies)."""
    return sorted(p for p in EINVOICES.glob("*.pdf") if not p.name.endswith(".stripped.pdf"))


def _expected(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.with_name(path.name + ".expected.json").read_text())
    return data


def xml_path(paths: Sequence[Path], repeat: int) -> tuple[Score, list[float]]:
    """Score of the XML path and each file's median read time (ms) over ``repeat`` reads."""
    total = Score()
    times = []
    for path in paths:
        content = path.read_bytes()
        runs = []
        result = None
        for _ in range(repeat):
            start = time.perf_counter()
            result = read_einvoice(content)
            runs.append(1000 * (time.perf_counter() - start))
        times.append(statistics.median(runs))
        total.add(score_document(_expected(path), result or {}, path.name))
    return total, times


def page_path(paths: Sequence[Path]) -> tuple[Score, list[float]]:
    """Score of the printed-page reader on the stripped copies, and ms per file."""
    from ocrframe.engine.invoice import extract_invoice
    from ocrframe.engine.pages import load_pages

    total = Score()
    times = []
    for path in paths:
        stripped = path.with_name(path.name[: -len(".pdf")] + ".stripped.pdf")
        content = stripped.read_bytes()
        start = time.perf_counter()
        result = extract_invoice(load_pages(content))
        times.append(1000 * (time.perf_counter() - start))
        total.add(score_document(_expected(path), result, stripped.name))
    return total, times


def _cell(score: Score, key: str) -> str:
    right, scored = score.fields.get(key, [0, 0])
    return f"{100 * right / scored:.1f} % ({right}/{scored})" if scored else "-"


def _lines(score: Score) -> str:
    if not score.lines_expected:
        return "-"
    pct = 100 * score.lines_matched / score.lines_expected
    return f"{pct:.1f} % ({score.lines_matched}/{score.lines_expected})"


def report(results: dict[str, tuple[Score, Score]]) -> str:
    """One Markdown table: a row per field, a column per (half, path)."""
    halves = list(results)
    head = ["field"]
    for half in halves:
        head += [f"{half}: XML", f"{half}: printed page"]
    out = ["| " + " | ".join(head) + " |", "|" + "---|" + "---:|" * (len(head) - 1)]
    for key in HEADER_FIELDS:
        row = [key]
        for half in halves:
            xml, page = results[half]
            row += [_cell(xml, key), _cell(page, key)]
        out.append("| " + " | ".join(row) + " |")
    row = ["line items matched"]
    for half in halves:
        xml, page = results[half]
        row += [_lines(xml), _lines(page)]
    out.append("| " + " | ".join(row) + " |")
    cells = sorted({c for xml, _ in results.values() for c in xml.cells})
    for cell in cells:
        row = [f"line cell {cell}"]
        for half in halves:
            xml, page = results[half]
            for score in (xml, page):
                right, scored = score.cells.get(cell, [0, 0])
                row.append(f"{100 * right / scored:.1f} % ({right}/{scored})" if scored else "-")
        out.append("| " + " | ".join(row) + " |")
    return "\n".join(out)


def _timing(label: str, times: list[float]) -> str:
    ordered = sorted(times)
    p90 = ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]
    return (
        f"{label}: median {statistics.median(ordered):.2f} ms per file, p90 {p90:.2f} ms, "
        f"max {ordered[-1]:.2f} ms, {len(ordered)} files"
    )


def batch_runs(paths: Sequence[Path], latency_ms: float, runs: int) -> str:
    """``einvoice="local"`` against ``"remote"`` through a loopback server; a Markdown table."""
    import httpx

    import ocrframe

    process, url = start_listening(
        [
            "-c",
            "from ocrframe.cli import main; main()",
            "serve",
            "--port",
            "0",
            "--latency-ms",
            str(latency_ms),
        ],
        "ocrframe engine listening on ",
    )
    files = list(paths) + [p.with_name(p.name[: -len(".pdf")] + ".stripped.pdf") for p in paths]
    walls: dict[str, list[float]] = {"remote": [], "local": []}
    sent: dict[str, int] = {}
    local_rows: dict[str, int] = {}
    try:
        for _ in range(runs):
            for mode in ("remote", "local"):
                httpx.post(f"{url}/_engine/requests/clear", timeout=30).raise_for_status()
                start = time.perf_counter()
                ex = asyncio.run(
                    ocrframe.extract_async(
                        files,
                        service="docai",
                        model="invoice",
                        base_url=url,
                        einvoice=mode,
                        cache=False,
                        progress=False,
                    )
                )
                walls[mode].append(time.perf_counter() - start)
                log = httpx.get(f"{url}/_engine/requests", timeout=30).json()["requests"]
                sent[mode] = sum(1 for e in log if e["path"].endswith("identifyByEncodeString"))
                local_rows[mode] = int(ex.documents["read_locally"].notna().sum())
                assert (ex.documents["status"] == "ok").all()
    finally:
        process.terminate()
        process.wait(timeout=30)
    out = [
        f"{len(files)} files ({len(paths)} e-invoices + their stripped copies), server latency "
        f"{latency_ms:.0f} ms, {runs} runs each",
        "",
        "| einvoice= | files sent | read locally | median wall (s) | runs (s) |",
        "|---|---:|---:|---:|---:|",
    ]
    for mode in ("remote", "local"):
        runs_text = ", ".join(f"{w:.2f}" for w in walls[mode])
        out.append(
            f"| {mode} | {sent[mode]} | {local_rows[mode]} | "
            f"{statistics.median(walls[mode]):.2f} | {runs_text} |"
        )
    ratio = statistics.median(walls["remote"]) / statistics.median(walls["local"])
    out.append("")
    out.append(f"ratio of medians, remote / local: {ratio:.2f}x")
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print Markdown."""
    parser = argparse.ArgumentParser(description="e-invoice XML path accuracy and speed")
    parser.add_argument("--repeat", type=int, default=5, help="XML reads per file (median kept)")
    parser.add_argument("--verbose", "-v", action="store_true")
    parser.add_argument("--batch", action="store_true", help="also einvoice=local vs remote")
    parser.add_argument("--latency-ms", type=float, default=300.0)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    paths = originals()
    if not paths:
        print(f"no e-invoices at {EINVOICES} (set OCRFRAME_REALDATA)", file=sys.stderr)
        return 1
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    results: dict[str, tuple[Score, Score]] = {}
    xml_times: list[float] = []
    page_times: list[float] = []
    halves = split(paths)
    for half in ("dev", "holdout"):
        xml, xt = xml_path(halves[half], args.repeat)
        page, pt = page_path(halves[half])
        results[f"{half} ({len(halves[half])})"] = (xml, page)
        xml_times += xt
        page_times += pt
        if args.verbose:
            for line in xml.failures + [f"(page) {f}" for f in page.failures]:
                print("  MISS", line, file=sys.stderr)
    xml_all = Score()
    page_all = Score()
    for xml, page in results.values():
        xml_all.add(xml)
        page_all.add(page)
    results[f"all ({len(paths)})"] = (xml_all, page_all)
    print(report(results))
    print()
    print(_timing("XML path (find attachment + parse)", xml_times))
    print(_timing("printed page (text layer + reader, stripped copy)", page_times))
    ratio = statistics.median(page_times) / max(1e-9, statistics.median(xml_times))
    print(f"ratio of medians, printed page / XML: {ratio:.1f}x")
    if args.batch:
        print()
        print(batch_runs(paths, args.latency_ms, args.runs))
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
