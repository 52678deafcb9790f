"""Captcha accuracy and CPU cost of the ImageToTextTask reader, today's and the previous one.

Run: ``.venv/bin/python -m benchmarks.bench_captcha [--count 200] [--seed 2026] [--sets ...]``

Sets: the real captchas in ``realdata/captchas/<set>/`` (answers from ``labels.csv``; each set
split into its ``dev`` and ``holdout`` halves by :func:`benchmarks._realdata.half_of`) and the
generated ones (``tools.synth.captchas``). Readers, side by side in one process:

- ``engine``: :func:`ocrframe.engine.text.image_to_text` (ddddocr + RapidOCR, decided on their
  probabilities, :mod:`ocrframe.engine.captcha`);
- ``previous``: the reader it replaced (RapidOCR recognition only on the whole image and on a
  crop to its dark pixels, keeping the surer reading), rebuilt here from ``ocr.read_crop``.

Real captchas are compared case-insensitively and read with ``case=False`` (their labels are lower
case while the glyphs are drawn in capitals); generated ones exactly, with ``case=True``. Reports
exact-match accuracy, character accuracy (1 - Levenshtein distance / length of the longer string,
averaged) and CPU milliseconds per image (``time.process_time``: every thread of this process,
not wall time, because the machine is shared), median and mean.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image, ImageOps

from benchmarks._realdata import REALDATA, half_of
from ocrframe.engine.text import image_to_text, normalise_text
from tools.synth.captchas import captcha_set

REAL_SETS = ("lzu_jwk", "swust_cas")

GENERATED: dict[str, dict[str, Any]] = {
    "clean text image": {"style": "clean"},
    "captcha pkg, distortion 1.0": {"distortion": 1.0},
    "captcha pkg, distortion 0.75": {"distortion": 0.75},
    "captcha pkg, distortion 0.5": {"distortion": 0.5},
    "captcha pkg, distortion 0.5, no noise": {"distortion": 0.5, "noise": False},
    "captcha pkg, distortion 0.25": {"distortion": 0.25},
}


@dataclass(frozen=True, slots=True)
class Item:
    """One captcha: its bytes and its answer."""

    content: bytes
    text: str


def levenshtein(a: str, b: str) -> int:
    """Edit distance (insertions, deletions, substitutions)."""
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def char_accuracy(truth: str, got: str) -> float:
    """1 - normalised edit distance: 1.0 for an exact match, 0.0 for nothing in common."""
    longest = max(len(truth), len(got))
    return 1.0 if longest == 0 else 1.0 - levenshtein(truth, got) / longest


def real_set(name: str) -> dict[str, list[Item]]:
    """A real set's captchas by half, answers from its ``labels.csv`` (never the file names)."""
    folder = REALDATA / "captchas" / name
    halves: dict[str, list[Item]] = {"dev": [], "holdout": []}
    with (folder / "labels.csv").open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            item = Item((folder / row["file"]).read_bytes(), row["text"])
            halves[half_of(row["file"])].append(item)
    return halves


def _dark_crop(image: Image.Image, *, share: float = 0.08, margin: int = 4) -> Image.Image:
    # The previous reader's crop: rows and columns dark after autocontrast.
    gray = np.asarray(ImageOps.autocontrast(image.convert("L")), dtype=np.uint8)
    ink = gray < 128
    rows, cols = ink.mean(axis=1), ink.mean(axis=0)
    if rows.max() == 0:
        return image
    ys = np.flatnonzero(rows >= share * rows.max())
    xs = np.flatnonzero(cols >= share * cols.max())
    box = (
        max(0, int(xs[0]) - margin),
        max(0, int(ys[0]) - margin),
        min(image.width, int(xs[-1]) + margin + 1),
        min(image.height, int(ys[-1]) + margin + 1),
    )
    return image.crop(box)


def previous_reader(content: bytes, *, case: bool) -> str:
    """The reader before ddddocr joined: RapidOCR on the whole image and its dark crop."""
    from ocrframe.engine.ocr import read_crop

    image = Image.open(io.BytesIO(content)).convert("RGB")
    text, confidence = read_crop(image)
    cropped = _dark_crop(image)
    if cropped.size != image.size:
        text2, confidence2 = read_crop(cropped)
        if confidence2 > confidence:
            text = text2
    return normalise_text(text, module="common", case=case or None)


def engine_reader(content: bytes, *, case: bool) -> str:
    """Today's reader, as the server calls it."""
    return image_to_text(content, module="common", case=case)[0]


Reader = Callable[..., str]
READERS: dict[str, Reader] = {"previous": previous_reader, "engine": engine_reader}


def measure(items: list[Item], read: Reader, *, case: bool) -> dict[str, float]:
    """Accuracy and CPU time per image of ``read`` over ``items``."""
    exact = 0
    chars: list[float] = []
    cpu: list[float] = []
    for item in items:
        started = time.process_time()
        got = read(item.content, case=case)
        cpu.append(time.process_time() - started)
        truth = item.text if case else item.text.lower()
        got = got if case else got.lower()
        exact += got == truth
        chars.append(char_accuracy(truth, got))
    return {
        "n": len(items),
        "exact": exact,
        "chars": statistics.fmean(chars),
        "cpu_median_ms": statistics.median(cpu) * 1000,
        "cpu_mean_ms": statistics.fmean(cpu) * 1000,
    }


def main() -> None:
    """Measure every set with both readers and print a Markdown table."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=200, help="images per generated set")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--sets", nargs="*", help="only these sets (names as printed)")
    args = parser.parse_args()
    # Load every model before timing anything.
    for read in READERS.values():
        read(captcha_set(1, seed=1, style="clean")[0].png, case=True)
    sets: list[tuple[str, list[Item], bool]] = []
    for name in REAL_SETS:
        if (REALDATA / "captchas" / name).is_dir():
            for half, items in real_set(name).items():
                sets.append((f"{name} ({half})", items, False))
    for label, options in GENERATED.items():
        generated = captcha_set(args.count, seed=args.seed, **options)
        sets.append((label, [Item(c.png, c.text) for c in generated], True))
    if args.sets:
        sets = [s for s in sets if s[0] in args.sets]
    print(f"count={args.count} seed={args.seed} load={os.getloadavg()}")
    print("| set | n | reader | exact | exact % | char acc | CPU ms median | CPU ms mean |")
    print("|---|---|---|---|---|---|---|---|")
    for label, items, is_generated in sets:
        for name, read in READERS.items():
            r = measure(items, read, case=is_generated)
            print(
                f"| {label} | {r['n']} | {name} | {r['exact']} | {100 * r['exact'] / r['n']:.1f} | "
                f"{r['chars']:.3f} | {r['cpu_median_ms']:.0f} | {r['cpu_mean_ms']:.0f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
