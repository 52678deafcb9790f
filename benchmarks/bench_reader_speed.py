"""Speed of the printed-page reader (words -> result) of two checkouts, side by side.

The pages of words are read once (born-digital PDFs: generated invoices and the real sets' text
layers) and pickled; each checkout's :func:`ocrframe.engine.invoice.extract_invoice` then reads
the same pages in its own subprocess, the two alternating for ``--rounds`` rounds so that the
machine's load falls on both alike. Reported: median milliseconds per page over the rounds,
and born-digital pages per second of the whole path (``load_pages`` + reader).

    .venv/bin/python -m benchmarks.bench_reader_speed --before /work/main --rounds 5
"""

from __future__ import annotations

import argparse
import json
import pickle
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_CHILD = r"""
import pickle, sys, time, json
sys.path.insert(0, sys.argv[1])
from ocrframe.engine.invoice import extract_invoice
docs = pickle.loads(open(sys.argv[2], "rb").read())
for pages in docs[:3]:
    extract_invoice(pages)  # warm caches and imports
start = time.perf_counter()
for pages in docs:
    extract_invoice(pages)
elapsed = time.perf_counter() - start
print(json.dumps({"seconds": elapsed, "pages": sum(len(p) for p in docs)}))
"""


def _documents(generated: int, seed: int, tmp: Path) -> tuple[list[object], float, int]:
    """Pages of every document, with the seconds ``load_pages`` took and the page count."""
    from benchmarks.bench_accuracy import einvoice_paths, generate_set, real_paths
    from ocrframe.engine.pages import load_pages

    paths = generate_set(tmp, generated, seed, scanned=False)
    paths += einvoice_paths(stripped=True) + real_paths((".pdf",))
    random.Random(seed).shuffle(paths)
    docs = []
    start = time.perf_counter()
    for path in paths:
        docs.append(load_pages(path.read_bytes()))
    seconds = time.perf_counter() - start
    return docs, seconds, sum(len(d) for d in docs)


def main(argv: list[str] | None = None) -> int:
    """Compare the reader of ``--before`` with this checkout's."""
    parser = argparse.ArgumentParser(description="printed-page reader speed, two checkouts")
    parser.add_argument("--before", type=Path, required=True, help="the other checkout")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--generated", type=int, default=60)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    here = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory() as tmp:
        docs, load_seconds, pages = _documents(args.generated, args.seed, Path(tmp))
        data = Path(tmp) / "docs.pickle"
        data.write_bytes(pickle.dumps(docs))
        runs: dict[str, list[float]] = {"before": [], "after": []}
        for _ in range(args.rounds):
            for name, checkout in (("before", args.before.resolve()), ("after", here)):
                out = subprocess.run(
                    [sys.executable, "-c", _CHILD, str(checkout), str(data)],
                    capture_output=True,
                    text=True,
                    check=True,
                )
                result = json.loads(out.stdout.strip().splitlines()[-1])
                runs[name].append(1000 * result["seconds"] / result["pages"])
    print(f"{len(docs)} born-digital documents, {pages} pages; load_pages {load_seconds:.2f} s")
    print("| reader | median ms/page | rounds (ms/page) | pages/s with load_pages |")
    print("|---|---:|---|---:|")
    for name, values in runs.items():
        med = statistics.median(values)
        whole = pages / (load_seconds + med * pages / 1000)
        rounds = ", ".join(f"{v:.1f}" for v in values)
        print(f"| {name} | {med:.2f} | {rounds} | {whole:.1f} |")
    ratio = statistics.median(runs["after"]) / statistics.median(runs["before"])
    print(f"\nafter / before: {ratio:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
