"""Speed of document -> pages of words: born-digital PDF pages/s, scanned pages/s, peak RSS.

``--workers`` compares OCR worker settings side by side instead (sections "Scanned pages on every
core" and "Faster scanned pages on two cores" of BENCHMARKS.md): real receipt scans (separate
documents, read by as many document threads as there are cores, as the engine app does) and one
generated image-only PDF (pages of one document), each setting in its own subprocess(es). The
settings (``--settings``, by key; default ``ort-320 ort-96``):

- ``before-workers``: one engine, onnxruntime on every core, one page at a time;
- ``ort-320``: N worker threads, one engine each on one onnxruntime thread, every line padded to
  RapidOCR's 320 px (the engine before "Faster scanned pages");
- ``ort-96``: the same, lines read at their own width (at least 96 px: the engine's);
- ``processes``: N processes, one engine each on one thread (the engine's widths), the pages
  dealt out in turn.

Reported: pages/s (wall), CPU-seconds per page (every thread and process), peak RSS (summed
over processes), recall of the receipts' ground-truth label strings in the OCR text, and how
many pages read differently from the first setting.

    .venv/bin/python -m benchmarks.bench_pages --workers --receipts 20 --scanned-pages 6
    .venv/bin/python -m benchmarks.bench_pages --workers --settings before-workers ort-96 processes

Born-digital: every real PDF in /work/shared/realdata/invoice2data, and a generated 200-page PDF
(reportlab, an invoice-like page of about 60 lines repeated), each read whole with
:func:`ocrframe.engine.pages.load_pages`. Scanned: the real PDFs' pages rendered at 200 dpi and
degraded (as in ``bench_ocr_choice``), read as PNG files and as one image-only PDF, at several
``OCR_MAX_SIDE`` settings side by side. Each measurement runs in its own subprocess so that its
peak RSS is its own; times are wall-clock medians over pages (or over repeats for born-digital).

    .venv/bin/python -m benchmarks.bench_pages
    .venv/bin/python -m benchmarks.bench_pages --scanned-pages 6 --max-sides 1200 1600
    .venv/bin/python -m benchmarks.bench_pages --skip-born --max-sides 1600 \
        --cls per-line sampled --rounds 3
"""

from __future__ import annotations

import argparse
import io
import json
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks._realdata import REAL_DIR as REAL
from benchmarks._realdata import REALDATA, half_of

RECEIPTS = REALDATA / "receipts"
# Ground-truth label strings of a receipt (SROIE's four fields, as printed).
_LABELS = ("company_raw", "date_raw", "address_raw", "total_raw")


def generated_pdf(pages: int = 200) -> bytes:
    """An invoice-like multi-page PDF: header, 50 item lines and totals on every page."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    rng = random.Random(3)
    for page in range(1, pages + 1):
        c.setFont("Helvetica-Bold", 16)
        c.drawString(50, 800, f"ACME Supplies Ltd - Invoice INV-2026-{page:04d}")
        c.setFont("Helvetica", 9)
        c.drawString(50, 780, "Invoice date: 2026-11-21   Due date: 2026-12-21   Currency: EUR")
        y = 750
        for item in range(50):
            qty = rng.randint(1, 20)
            price = rng.uniform(1, 500)
            c.drawString(50, y, f"{item + 1:3d}  Widget model {rng.randint(100, 999)}-X spare part")
            c.drawRightString(400, y, str(qty))
            c.drawRightString(470, y, f"{price:,.2f}")
            c.drawRightString(545, y, f"{qty * price:,.2f}")
            y -= 13
        c.drawRightString(545, y - 10, "Total due: 12,345.67 EUR")
        c.drawString(50, 30, f"Page {page} of {pages}")
        c.showPage()
    c.save()
    return buf.getvalue()


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_born_digital(repeat: int) -> dict[str, Any]:
    """Pages/s of the text-layer path over the real PDFs and a generated 200-page PDF."""
    from ocrframe.engine.pages import load_pages

    real = [p.read_bytes() for p in sorted(REAL.glob("*.pdf"))]
    big = generated_pdf()
    load_pages(real[0])  # import and first-call costs are not page time
    out: dict[str, Any] = {}
    for name, docs in (("real invoices", real), ("generated 200-page PDF", [big])):
        rates, cpu_rates = [], []
        origins: set[str] = set()
        for _ in range(repeat):
            start, cpu, count = time.perf_counter(), time.process_time(), 0
            for content in docs:
                pages = load_pages(content)
                count += len(pages)
                origins.update(p.origin for p in pages)
            rates.append(count / (time.perf_counter() - start))
            cpu_rates.append(count / (time.process_time() - cpu))
        out[name] = {
            "pages": count,
            "pages_per_s": statistics.median(rates),
            "pages_per_cpu_s": statistics.median(cpu_rates),
            "origins": origins,
        }
    out = {k: {**v, "origins": sorted(v["origins"])} for k, v in out.items()}
    return {"born_digital": out, "peak_rss_mb": _peak_rss_mb()}


def run_scanned(data: Path, max_side: int, cls: str = "sampled") -> dict[str, Any]:
    """Seconds per scanned page through load_pages: PNG pages, and one image-only PDF.

    ``cls`` is ``sampled`` (the angle classifier on a page's longest lines only, the engine's
    way) or ``per-line`` (RapidOCR's own: every line classified and turned before recognition).
    """
    from ocrframe.engine import ocr, pages

    pages.OCR_MAX_SIDE = max_side
    ocr._PER_LINE_CLS = cls == "per-line"
    pngs = sorted(data.glob("*.png"))
    start = time.perf_counter()
    pages.load_pages(pngs[0].read_bytes())
    load_s = time.perf_counter() - start
    png_times, cpu_times = [], []
    for path in pngs:
        start, cpu = time.perf_counter(), time.process_time()
        (page,) = pages.load_pages(path.read_bytes())
        png_times.append(time.perf_counter() - start)
        cpu_times.append(time.process_time() - cpu)
        assert page.origin == "ocr"
    scan_pdf = (data / "scans.pdf").read_bytes()
    start, cpu = time.perf_counter(), time.process_time()
    result = pages.load_pages(scan_pdf)
    pdf_s, pdf_cpu = time.perf_counter() - start, time.process_time() - cpu
    assert all(p.origin == "ocr" for p in result)
    return {
        "max_side": max_side,
        "cls": cls,
        "words": sum(len(p.words) for p in result),
        "pdf_cpu_s_per_page": pdf_cpu / len(result),
        "model_load_s": load_s,
        "png_median_s": statistics.median(png_times),
        "png_median_cpu_s": statistics.median(cpu_times),
        "png_pages_per_s": len(png_times) / sum(png_times),
        "pdf_pages": len(result),
        "pdf_pages_per_s": len(result) / pdf_s,
        "peak_rss_mb": _peak_rss_mb(),
    }


# --- OCR workers: today's setting against the old one ---------------------------------------------


# key -> (label, (processes, worker threads per process, onnxruntime threads per engine,
# minimum line width)); -1 threads is onnxruntime's default (one thread per core).
def _settings(cores: int) -> dict[str, tuple[str, tuple[int, int, int, int]]]:
    return {
        "before-workers": ("1 engine x 2 threads, lines >= 320", (1, 1, -1, 320)),
        "ort-320": (f"{cores} threads x 1, lines >= 320", (1, cores, 1, 320)),
        "ort-96": (f"{cores} threads x 1, lines >= 96", (1, cores, 1, 96)),
        "processes": (f"{cores} processes x 1, lines >= 96", (cores, 1, 1, 96)),
    }


def _normalised(text: str) -> str:
    return " ".join(text.upper().split())


def label_recall(text: str, truth: dict[str, Any]) -> tuple[int, int, int, int]:
    """``(labels found whole, labels, label words found, label words)`` of a receipt's OCR text.

    A label is found whole when its whitespace-normalised, upper-cased string occurs in the
    page's text (words joined by spaces in reading order); a label word when it is one of the
    page's words. Multi-line labels (addresses) are rarely found whole, so both are given.

    >>> label_recall("MR D.I.Y. TOTAL 30.90", {"total_raw": "30.90", "company_raw": "MR DIY"})
    (1, 2, 2, 3)
    """
    page = _normalised(text)
    words = set(page.split())
    whole = labels = found = total = 0
    for key in _LABELS:
        value = truth.get(key)
        if not value:
            continue
        label = _normalised(str(value))
        labels += 1
        whole += label in f"{page}"
        tokens = label.split()
        total += len(tokens)
        found += sum(token in words for token in tokens)
    return whole, labels, found, total


def run_ocr_setting(docs: list[str], setting: list[int], share: int, shares: int) -> None:
    """Child process: load ``workers`` engines (``setting``: workers, threads, minimum line
    width), say READY, wait for a line on stdin, then read this process's share of
    ``docs`` (documents dealt out in turn; a lone PDF's pages dealt out) with as many document
    threads as cores; print one JSON line."""
    import concurrent.futures
    import os
    import threading

    import pypdfium2 as pdfium

    from ocrframe.engine import ocr, pages

    workers, threads, width = setting
    ocr._THREADS_PER_ENGINE = threads
    os.environ[ocr.LINE_WIDTH_ENV] = str(width)
    ocr.set_workers(workers)
    barrier = threading.Barrier(workers)

    def load() -> None:
        ocr.get_engine()
        barrier.wait(timeout=900)  # one task per worker thread: every engine loads now

    for future in [ocr.submit(load) for _ in range(workers)]:
        future.result()
    jobs: list[tuple[str, bytes, list[int] | None]] = []
    paths = [Path(d) for d in docs]
    for index, path in enumerate(paths):
        content = path.read_bytes()
        if len(paths) == 1 and path.suffix == ".pdf":
            doc = pdfium.PdfDocument(content)
            count = len(doc)
            doc.close()
            numbers = [n for n in range(1, count + 1) if (n - 1) % shares == share]
            jobs.append((path.name, content, numbers))
        elif index % shares == share:
            jobs.append((path.name, content, None))
    print("READY", flush=True)
    sys.stdin.readline()
    start, cpu = time.time(), time.process_time()
    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as documents:
        results = list(documents.map(lambda j: pages.load_pages(j[1], pages=j[2]), jobs))
    end, cpu_s = time.time(), time.process_time() - cpu
    read = [
        {"doc": name, "page": p.number, "text": " ".join(w.text for w in p.words)}
        for (name, _, _), doc_pages in zip(jobs, results, strict=True)
        for p in doc_pages
    ]
    out = {
        "start": start,
        "end": end,
        "cpu_s": cpu_s,
        "pages": read,
        "engines": ocr.engines_loaded(),
        "peak_rss_mb": _peak_rss_mb(),
    }
    print(json.dumps(out), flush=True)


def _run_setting(docs: list[Path], setting: tuple[int, int, int, int]) -> dict[str, Any]:
    processes, *rest = setting
    children = []
    for i in range(processes):
        command = [sys.executable, "-m", "benchmarks.bench_pages", "--worker", "ocr-setting"]
        command += ["--setting", *map(str, rest), "--share", str(i), str(processes)]
        command += ["--docs", *map(str, docs)]
        children.append(
            subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        )
    for child in children:
        assert child.stdout is not None
        while (line := child.stdout.readline()) and line.strip() != "READY":
            pass
    for child in children:
        assert child.stdin is not None
        child.stdin.write("go\n")
        child.stdin.flush()
    outs = []
    for child in children:
        stdout, _ = child.communicate()
        if child.returncode != 0:
            raise SystemExit(f"setting {setting} failed")
        outs.append(json.loads(stdout.strip().splitlines()[-1]))
    read = sorted((p for o in outs for p in o["pages"]), key=lambda p: (p["doc"], p["page"]))
    return {
        "wall_s": max(o["end"] for o in outs) - min(o["start"] for o in outs),
        "cpu_s": sum(o["cpu_s"] for o in outs),
        "pages": read,
        "engines": sum(o["engines"] for o in outs),
        "peak_rss_mb": sum(o["peak_rss_mb"] for o in outs),
    }


def compare_workers(receipts: int, scanned_pages: int, rounds: int, chosen: list[str]) -> None:
    """Print the side-by-side table of OCR worker settings (see the module docstring)."""
    import os

    cores = os.cpu_count() or 1
    settings = dict(_settings(cores)[key] for key in chosen)
    scans = sorted(RECEIPTS.glob("*.jpg"))[:receipts]
    truth = {p.name: json.loads((p.parent / f"{p.name}.expected.json").read_text()) for p in scans}
    halves = {h: sum(half_of(p.name) == h for p in scans) for h in ("dev", "holdout")}
    print(
        f"receipts: the first {len(scans)} of {RECEIPTS.name}/ by name "
        f"({halves['dev']} dev, {halves['holdout']} holdout); generated: {scanned_pages} "
        "degraded 200-dpi renders of the real invoices as one image-only PDF\n"
    )
    print(
        "| set | setting | pages | pages/s | CPU-s/page | pages/s ratio | CPU-s/page ratio "
        "| engines | peak RSS MB | labels found whole | label words found "
        "| pages read differently |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        build_scans(data, scanned_pages)
        sets = {"receipts (JPEG)": scans, "generated scans (one PDF)": [data / "scans.pdf"]}
        for _ in range(rounds):
            for set_name, docs in sets.items():
                first: dict[str, Any] | None = None
                for name, setting in settings.items():
                    r = _run_setting(docs, setting)
                    n = len(r["pages"])
                    rate, cpu = n / r["wall_s"], r["cpu_s"] / n
                    first = first or {**r, "rate": rate, "cpu": cpu}
                    differ = sum(a != b for a, b in zip(first["pages"], r["pages"], strict=True))
                    whole = labels = found = total = 0
                    for page in r["pages"]:
                        if page["doc"] in truth:
                            w, lb, f, t = label_recall(page["text"], truth[page["doc"]])
                            whole, labels, found, total = (
                                whole + w,
                                labels + lb,
                                found + f,
                                total + t,
                            )
                    recall = f"{whole}/{labels} | {found / total:.1%}" if total else "- | -"
                    print(
                        f"| {set_name} | {name} | {n} | {rate:.2f} | {cpu:.2f} "
                        f"| {rate / first['rate']:.2f} | {cpu / first['cpu']:.2f} "
                        f"| {r['engines']} | {r['peak_rss_mb']:.0f} | {recall} | {differ} |",
                        flush=True,
                    )


def build_scans(out: Path, count: int) -> None:
    """Degraded 200-dpi renders of the first ``count`` real pages, as PNGs and one image PDF."""
    from PIL import Image
    from reportlab.pdfgen import canvas

    from benchmarks.bench_ocr_choice import build_dataset

    with tempfile.TemporaryDirectory() as tmp:
        items = [i for i in build_dataset(Path(tmp)) if i["set"] == "degraded"][:count]
        c = canvas.Canvas(str(out / "scans.pdf"))
        for item in items:
            image = Image.open(item["path"]).convert("RGB")
            image.save(out / item["name"])
            # 200 dpi pixels -> points, so the page has its real size.
            w, h = image.width * 72 / 200, image.height * 72 / 200
            c.setPageSize((w, h))
            c.drawInlineImage(image, 0, 0, width=w, height=h)
            c.showPage()
        c.save()


def _sub(*args: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_pages", *args],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    """Run each measurement in a subprocess and print Markdown tables."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--scanned-pages", type=int, default=8)
    parser.add_argument("--max-sides", type=int, nargs="*", default=[1200, 1600, 2000])
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    parser.add_argument("--max-side", type=int, help=argparse.SUPPRESS)
    parser.add_argument(
        "--cls",
        nargs="*",
        default=["sampled"],
        choices=["sampled", "per-line"],
        help="angle classifier: on the longest lines only (default) and/or on every line",
    )
    parser.add_argument("--rounds", type=int, default=1, help="repeat scanned rows, interleaved")
    parser.add_argument("--skip-scanned", action="store_true", help="born-digital only")
    parser.add_argument("--skip-born", action="store_true", help="scanned only")
    parser.add_argument(
        "--workers", action="store_true", help="compare OCR worker settings side by side"
    )
    parser.add_argument("--receipts", type=int, default=20, help="with --workers: how many")
    parser.add_argument(
        "--settings",
        nargs="*",
        default=["ort-320", "ort-96"],
        choices=list(_settings(2)),
        help="with --workers: which settings, in this order (the first is the reference)",
    )
    parser.add_argument("--setting", type=int, nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--share", type=int, nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--docs", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker == "ocr-setting":
        run_ocr_setting(args.docs, args.setting, *args.share)
        return
    if args.workers:
        compare_workers(args.receipts, args.scanned_pages, args.rounds, args.settings)
        return
    if args.worker == "born":
        print(json.dumps(run_born_digital(args.repeat)))
        return
    if args.worker == "scanned":
        print(json.dumps(run_scanned(Path(args.data), args.max_side, args.cls[0])))
        return

    if not args.skip_born:
        born = _sub("--worker", "born", "--repeat", str(args.repeat))
        print("| born-digital set | pages | pages/s wall (median) | pages per CPU-s | origin |")
        print("|---|---|---|---|---|")
        for name, row in born["born_digital"].items():
            origins = ", ".join(row["origins"])
            print(
                f"| {name} | {row['pages']} | {row['pages_per_s']:.0f} "
                f"| {row['pages_per_cpu_s']:.0f} | {origins} |"
            )
        print(f"\npeak RSS (born-digital process): {born['peak_rss_mb']:.0f} MB\n", flush=True)
    if args.skip_scanned:
        return

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        build_scans(data, args.scanned_pages)
        print(
            "| OCR_MAX_SIDE | classifier | PNG median s/page | PNG median CPU s/page "
            "| PNG pages/s | image-PDF pages/s | image-PDF CPU s/page | words | model load s "
            "| peak RSS MB |"
        )
        print("|---|---|---|---|---|---|---|---|---|---|")
        for _ in range(args.rounds):
            for side in args.max_sides:
                for cls in args.cls:
                    r = _sub(
                        "--worker", "scanned", "--data", str(data), "--max-side", str(side),
                        "--cls", cls,
                    )  # fmt: skip
                    print(
                        f"| {side} | {cls} | {r['png_median_s']:.2f} "
                        f"| {r['png_median_cpu_s']:.2f} | {r['png_pages_per_s']:.2f} "
                        f"| {r['pdf_pages_per_s']:.2f} | {r['pdf_cpu_s_per_page']:.2f} "
                        f"| {r['words']} | {r['model_load_s']:.1f} | {r['peak_rss_mb']:.0f} |",
                        flush=True,
                    )


if __name__ == "__main__":
    main()
