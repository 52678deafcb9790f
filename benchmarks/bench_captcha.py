"""Captcha accuracy and speed of the embedded engine's ImageToTextTask reader.

Run: ``.venv/bin/python -m benchmarks.bench_captcha [--count 200] [--seed 2026]``

For each generated set (``tools.synth.captchas``) and each way of reading it, reports exact-match
accuracy, character accuracy (1 - Levenshtein distance / length of the longer string, averaged),
case-insensitive exact match, and the median time per image. Everything runs in this process,
one image at a time (the server runs the same function in its thread pool).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import io
import statistics
import time
from collections.abc import Callable
from typing import Any

from PIL import Image, ImageOps

from ocrframe.engine.ocr import get_engine, read_crop
from ocrframe.engine.text import image_to_text, ink_crop, normalise_text
from tools.synth.captchas import Captcha, captcha_set


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


Reader = Callable[[bytes], str]


def _engine_reader(png: bytes) -> str:
    return image_to_text(png, module="common", case=True)[0]


def _uncropped_reader(png: bytes) -> str:
    # The engine before the ink crop: the decoded image only, answer cleaned.
    image = Image.open(io.BytesIO(png)).convert("RGB")
    return normalise_text(read_crop(image)[0], module="common", case=True)


def _crop_only_reader(png: bytes) -> str:
    image = ink_crop(Image.open(io.BytesIO(png)).convert("RGB"))
    return normalise_text(read_crop(image)[0], module="common", case=True)


def _raw_reader(png: bytes) -> str:
    # The recogniser with no cleaning of its answer at all.
    return read_crop(Image.open(io.BytesIO(png)).convert("RGB"))[0]


def _gray_reader(png: bytes) -> str:
    image = ImageOps.autocontrast(Image.open(io.BytesIO(png)).convert("L"), cutoff=1)
    return normalise_text(read_crop(image.convert("RGB"))[0], module="common", case=True)


def _resize48_reader(png: bytes) -> str:
    image = ImageOps.autocontrast(Image.open(io.BytesIO(png)).convert("L"), cutoff=1)
    width = max(1, round(image.width * 48 / image.height))
    image = image.resize((width, 48), Image.Resampling.LANCZOS)
    return normalise_text(read_crop(image.convert("RGB"))[0], module="common", case=True)


def _server_reader() -> Reader:
    """createTask through the in-process transport: the whole HTTP path, no socket."""
    import httpx

    from ocrframe.engine.app import ENGINE_BASE_URL, embedded_transport

    loop = asyncio.new_event_loop()
    client = httpx.AsyncClient(transport=embedded_transport(), base_url=ENGINE_BASE_URL)

    def read(png: bytes) -> str:
        body = {"task": {"type": "ImageToTextTask", "body": base64.b64encode(png).decode()}}
        answer = loop.run_until_complete(client.post("/createTask", json=body)).json()
        return str(answer.get("solution", {}).get("text", ""))

    return read


def measure(items: list[Captcha], read: Reader) -> dict[str, float]:
    """Accuracy and median time of ``read`` over ``items``."""
    exact = exact_ci = 0
    chars: list[float] = []
    times: list[float] = []
    for item in items:
        started = time.perf_counter()
        got = read(item.png)
        times.append(time.perf_counter() - started)
        exact += got == item.text
        exact_ci += got.lower() == item.text.lower()
        chars.append(char_accuracy(item.text, got))
    n = len(items)
    return {
        "exact": exact / n,
        "exact_ci": exact_ci / n,
        "chars": statistics.fmean(chars),
        "median_ms": statistics.median(times) * 1000,
    }


def main() -> None:
    """Measure every set with every reader and print a Markdown table."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    get_engine()  # load the models before timing anything
    sets: list[tuple[str, dict[str, Any]]] = [
        ("clean text image", {"style": "clean"}),
        ("captcha pkg, distortion 1.0 (package default)", {"distortion": 1.0}),
        ("captcha pkg, distortion 0.75", {"distortion": 0.75}),
        ("captcha pkg, distortion 0.5 (chosen set)", {"distortion": 0.5}),
        ("captcha pkg, distortion 0.5, no noise", {"distortion": 0.5, "noise": False}),
        ("captcha pkg, distortion 0.25", {"distortion": 0.25}),
    ]
    readers: list[tuple[str, Reader]] = [
        ("engine (image_to_text: whole + ink crop, surer)", _engine_reader),
        ("whole image only (engine before the crop)", _uncropped_reader),
    ]
    print(f"count={args.count} seed={args.seed}")
    print("| set | reader | exact | exact (any case) | char acc | median ms/image |")
    print("|---|---|---|---|---|---|")
    for label, options in sets:
        items = captcha_set(args.count, seed=args.seed, **options)
        extra: list[tuple[str, Reader]] = []
        if options.get("distortion") in (1.0, 0.5) and options.get("noise", True):
            extra = [
                ("ink crop only", _crop_only_reader),
                ("whole image, answer not cleaned", _raw_reader),
                ("grayscale + autocontrast", _gray_reader),
                ("grayscale + autocontrast + resize to 48 px", _resize48_reader),
            ]
            if options.get("distortion") == 0.5:
                extra.append(("createTask via in-process server", _server_reader()))
        for name, read in readers + extra:
            r = measure(items, read)
            print(
                f"| {label} | {name} | {r['exact']:.3f} | {r['exact_ci']:.3f} | "
                f"{r['chars']:.3f} | {r['median_ms']:.1f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
