"""Flatten 100,000 DocAI answers shaped like the seed's example into every table.

Run: ``.venv/bin/python -m benchmarks.bench_flatten [--answers 100000] [--baseline 5000]
[--repeat 3]``

Each answer has the seed's shape (7 fields, 3 items x 5 keys, 1 tax x 2 keys) with varied values
(amounts, dates, invoice numbers, descriptions), so the parse cache sees hundreds of thousands of
distinct strings, not a handful. Everything starts from JSON text.

- **ocrframe**: ``json.loads`` per answer, then ``Extraction.from_responses`` (documents, fields,
  items, taxes, texts, with ``number`` and ``date`` typed). The parse caches are cleared before
  each repetition.
- **baseline**: per answer ``json.loads`` and three ``pandas.json_normalize`` calls (fields, items,
  taxes, with source and item / tax index added), one ``pandas.concat`` per table at the end, then
  ``pandas.to_numeric(errors="coerce")`` on the values (float, not exact: cheaper than our typing).
  Run on ``--baseline`` answers and scaled linearly to the full count.
- **memory**: a fresh subprocess per mode reports its RSS before and its peak RSS (VmHWM) after
  flattening: the whole batch at once, and the same batch streamed in chunks of 10,000 through
  ``ParquetDatasetWriter`` (what ``extract(out=...)`` does).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any

import pandas as pd

import ocrframe._values as values
from ocrframe._frames import Extraction, ParquetDatasetWriter

_DESCRIPTIONS = [
    "Front and rear brake cables",
    "New set of pedal arms",
    "Labor 3hrs",
    "Chain lubricant 100ml",
    "Inner tube 28 inch",
    "Handlebar tape",
    "Wheel truing",
]


def make_answers(n: int, seed: int = 11) -> list[str]:
    """``n`` DocAI answers as JSON text, shaped like the seed's example with varied values."""
    rng = random.Random(seed)
    texts = []
    for i in range(n):
        lines = []
        net = 0
        for _ in range(3):
            qty = rng.randint(1, 9)
            unit = rng.randint(100, 99_999)  # cents
            net += qty * unit
            amount = f"{qty * unit / 100:.2f}"
            lines.append(
                [
                    {"pageNumber": 1, "key": "totalPriceInclTax", "value": amount},
                    {"pageNumber": 1, "key": "unitPrice", "value": f"{unit / 100:.2f}"},
                    {"pageNumber": 1, "key": "quantity", "value": str(qty)},
                    {"pageNumber": 1, "key": "description", "value": rng.choice(_DESCRIPTIONS)},
                    {"pageNumber": 1, "key": "totalPriceExclTax", "value": amount},
                ]
            )
        tax = net * 625 // 10_000
        day = rng.randint(1, 28)
        month = rng.randint(1, 12)
        year = rng.randint(2015, 2026)
        fields = [
            {"pageNumber": 1, "key": "paymentTerms", "value": "Payment is due within 15 days"},
            {"pageNumber": 1, "key": "invoiceDate", "value": f"{year}-{month:02d}-{day:02d}"},
            {"pageNumber": 1, "key": "documentType", "value": "invoice"},
            {"pageNumber": 1, "key": "invoiceNumber", "value": f"US-{i:06d}"},
            {"pageNumber": 1, "key": "grossAmount", "value": f"{(net + tax) / 100:.2f}"},
            {"pageNumber": 1, "key": "totalTax", "value": f"{tax / 100:.2f}"},
            {
                "pageNumber": 1,
                "key": "dueDate",
                "value": f"{year}-{month:02d}-{min(day + 15, 28):02d}",
            },
        ]
        taxes = [
            [
                {"pageNumber": 1, "key": "taxValue", "value": f"{tax / 100:.2f}"},
                {"pageNumber": 1, "key": "taxPercentage", "value": "6.25"},
            ]
        ]
        answer = {
            "code": 200,
            "message": None,
            "costTime": None,
            "data": {
                "fileId": f"{2310091711378393918074800 + i}",
                "recognizeStatus": "1",
                "result": {"fieldList": fields, "taxList": taxes, "itemList": lines},
            },
            "requestId": f"{i:032x}",
            "currentTimeMillis": 1696859401185 + i,
        }
        texts.append(json.dumps(answer))
    return texts


def run_ocrframe(texts: list[str]) -> tuple[float, float, Extraction]:
    """Seconds for json.loads, seconds for flattening, and the result."""
    values._number_cache.clear()
    values._date_cache.clear()
    t0 = time.perf_counter()
    answers = {f"inv/{i:06d}.pdf": json.loads(t) for i, t in enumerate(texts)}
    t1 = time.perf_counter()
    ex = Extraction.from_responses(answers, service="docai", model="invoice")
    t2 = time.perf_counter()
    return t1 - t0, t2 - t1, ex


def run_baseline(texts: list[str]) -> tuple[float, dict[str, pd.DataFrame]]:
    """The naive way: json_normalize per answer, concat per table."""
    t0 = time.perf_counter()
    fields, items, taxes = [], [], []
    for i, text in enumerate(texts):
        answer = json.loads(text)
        source = f"inv/{i:06d}.pdf"
        data = answer["data"]
        result = data["result"]
        f = pd.json_normalize(result["fieldList"])
        f.insert(0, "source", source)
        f.insert(1, "file_id", data["fileId"])
        fields.append(f)
        for kind, out in (("itemList", items), ("taxList", taxes)):
            cells = [dict(cell, line=n) for n, line in enumerate(result[kind]) for cell in line]
            frame = pd.json_normalize(cells)
            frame.insert(0, "source", source)
            frame.insert(1, "file_id", data["fileId"])
            out.append(frame)
    tables = {
        "fields": pd.concat(fields, ignore_index=True),
        "items": pd.concat(items, ignore_index=True),
        "taxes": pd.concat(taxes, ignore_index=True),
    }
    for frame in tables.values():
        frame["number"] = pd.to_numeric(frame["value"], errors="coerce")
    return time.perf_counter() - t0, tables


def _status_mb(field: str) -> float:
    """A memory figure of this process from /proc/self/status, MiB.

    VmHWM (peak RSS) rather than ``ru_maxrss``: Linux carries ``ru_maxrss`` over from the parent
    through fork + exec, so a child started by a big parent would report the parent's peak.
    """
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _rss_mb() -> float:
    return _status_mb("VmHWM")


def _current_rss_mb() -> float:
    return _status_mb("VmRSS")


def memory_child(mode: str, n: int) -> None:
    """Print the peak RSS (MiB) before and after flattening ``n`` answers (in a fresh process)."""
    texts = make_answers(n)
    before = _current_rss_mb()
    if mode == "whole":
        _, _, ex = run_ocrframe(texts)
        rows = len(ex.items)
    else:
        rows = 0
        with tempfile.TemporaryDirectory() as out, ParquetDatasetWriter(out) as writer:
            for start in range(0, n, 10_000):
                chunk = texts[start : start + 10_000]
                answers = {f"inv/{start + i:06d}.pdf": json.loads(t) for i, t in enumerate(chunk)}
                ex = Extraction.from_responses(answers, service="docai", model="invoice")
                rows += len(ex.items)
                writer.append(ex)
                del ex, answers
    print(json.dumps({"before_mb": before, "peak_mb": _rss_mb(), "item_rows": rows}))


def _memory(mode: str, n: int) -> dict[str, Any]:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.bench_flatten",
            "--memory-child",
            mode,
            "--answers",
            str(n),
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


def main() -> None:
    """Run the benchmark and print a Markdown summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--answers", type=int, default=100_000)
    parser.add_argument("--baseline", type=int, default=5_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--memory-child", choices=["whole", "chunked"])
    args = parser.parse_args()
    if args.memory_child:
        memory_child(args.memory_child, args.answers)
        return

    texts = make_answers(args.answers)
    subset = texts[: args.baseline]
    scale = args.answers / len(subset)
    ours_total, ours_json, ours_flat, base = [], [], [], []
    # CPU time (all threads of this process) beside wall time: on a shared, loaded machine it is
    # the steadier of the two.
    ours_cpu, base_cpu = [], []
    ex: Extraction | None = None
    for _ in range(args.repeat):
        c0 = time.process_time()
        t_json, t_flat, ex = run_ocrframe(texts)
        c1 = time.process_time()
        ours_json.append(t_json)
        ours_flat.append(t_flat)
        ours_total.append(t_json + t_flat)
        ours_cpu.append(c1 - c0)
        t_base, _ = run_baseline(subset)
        base.append(t_base * scale)
        base_cpu.append((time.process_time() - c1) * scale)
    assert ex is not None
    whole = _memory("whole", args.answers)
    chunked = _memory("chunked", args.answers)

    m_total = statistics.median(ours_total)
    # The split of the median run (medians of the parts need not add up to the median total).
    at = sorted(range(len(ours_total)), key=ours_total.__getitem__)[len(ours_total) // 2]
    m_json, m_flat = ours_json[at], ours_flat[at]
    m_base = statistics.median(base)
    print(f"answers: {args.answers:,}; baseline measured on {len(subset):,} and scaled x{scale:g}")
    print(f"rows: documents {len(ex.documents):,}, fields {len(ex.fields):,}, "
          f"items {len(ex.items):,}, taxes {len(ex.taxes):,}")  # fmt: skip
    distinct = len(
        set(ex.fields["value"].dropna()) | set(ex.items["value"].dropna())
        | set(ex.taxes["value"].dropna())
    )  # fmt: skip
    print(f"distinct value strings parsed: {distinct:,}")
    print()
    print(f"| measure (median of {args.repeat}) | seconds | answers/s |")
    print("|---|---:|---:|")
    print(
        f"| ocrframe: json.loads + flatten + type | {m_total:.2f} | {args.answers / m_total:,.0f} |"
    )
    shares = ", ".join(f"{j / t:.0%}" for j, t in zip(ours_json, ours_total, strict=True))
    print(f"| of which json.loads | {m_json:.2f} ({m_json / m_total:.0%}; runs {shares}) | |")
    print(f"| of which flatten + type | {m_flat:.2f} ({m_flat / m_total:.0%}) | |")
    rate = args.answers / m_base
    print(f"| baseline json_normalize per answer (scaled) | {m_base:.2f} | {rate:,.0f} |")
    print(f"| **speed-up** | **{m_base / m_total:.1f}x** | |")
    m_ours_cpu, m_base_cpu = statistics.median(ours_cpu), statistics.median(base_cpu)
    print(
        f"| CPU seconds: ocrframe {m_ours_cpu:.2f}, baseline (scaled) {m_base_cpu:.2f} "
        f"| **{m_base_cpu / m_ours_cpu:.1f}x** | |"
    )
    print()
    print(
        "runs (s): ours", [round(x, 2) for x in ours_total], "baseline", [round(x, 2) for x in base]
    )
    print(f"peak RSS, whole batch at once: {whole['peak_mb']:.0f} MiB "
          f"(+{whole['peak_mb'] - whole['before_mb']:.0f} MiB over the {whole['before_mb']:.0f} "
          f"MiB holding the JSON texts)")  # fmt: skip
    print(f"peak RSS, chunks of 10,000 streamed to Parquet: {chunked['peak_mb']:.0f} MiB "
          f"(+{chunked['peak_mb'] - chunked['before_mb']:.0f} MiB)")  # fmt: skip


if __name__ == "__main__":
    main()
