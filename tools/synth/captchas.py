"""Captcha images with known texts, reproducible from a seed.

Two families:

- ``captcha``: drawn by the ``captcha`` package's :class:`ImageCaptcha` (rotated, warped,
  overlapping glyphs, noise dots and a noise curve). The package draws its randomness from
  :mod:`secrets`, which cannot be seeded; :func:`captcha_image` swaps in a seeded
  :class:`random.Random` for the duration of one drawing so that a seed gives the same image
  every time. ``distortion`` scales the package's rotation / warp / spacing ranges (1.0 is the
  package's default; 0.5 halves the ranges) so that the benchmark can show how accuracy falls
  with distortion.
- ``clean``: plain text on a light background with a little noise (what many simple sites send).

Run ``python -m tools.synth.captchas OUT_DIR --count 50`` to write PNGs named ``<text>_<i>.png``.
"""

from __future__ import annotations

import argparse
import io
import random
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFilter, ImageFont

__all__ = [
    "ALPHABET",
    "Captcha",
    "captcha_image",
    "captcha_set",
    "clean_text_image",
    "random_text",
]

# Letters and digits without the glyphs no reader (human or machine) can tell apart in a
# sans-serif captcha font: 0/O/o, 1/l/I, and the case pairs that only differ in size
# (c/C, k/K, o/O, s/S, u/U, v/V, w/W, x/X, z/Z, p/P). Real captcha generators drop them too.
ALPHABET = "23456789abdefghjmnqrtyABDEFGHJLMNQRTY"

_FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
_FONTS = (
    "DejaVuSans-Bold.ttf",
    "DejaVuSans.ttf",
    "DejaVuSansMono-Bold.ttf",
    "DejaVuSerif-Bold.ttf",
)

_patch_lock = threading.Lock()


@dataclass(frozen=True, slots=True)
class Captcha:
    """One generated image: its PNG bytes and the text drawn in it."""

    text: str
    png: bytes
    style: str


class _SeededSecrets:
    """The subset of :mod:`secrets` the captcha package calls, backed by a seeded Random."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng

    def randbelow(self, n: int) -> int:
        return self._rng.randrange(n) if n > 0 else 0

    def randbits(self, k: int) -> int:
        return self._rng.getrandbits(k)

    def choice(self, seq: Any) -> Any:
        return self._rng.choice(seq)


@contextmanager
def _seeded_captcha_module(rng: random.Random) -> Iterator[Any]:
    import captcha.image as module

    with _patch_lock:
        saved = module.secrets  # type: ignore[attr-defined]
        module.secrets = _SeededSecrets(rng)  # type: ignore[attr-defined]
        try:
            yield module
        finally:
            module.secrets = saved  # type: ignore[attr-defined]


def _fonts() -> list[str]:
    found = [str(_FONT_DIR / name) for name in _FONTS if (_FONT_DIR / name).exists()]
    return found or []  # empty: the package falls back to its bundled DroidSansMono


def random_text(rng: random.Random, length: int = 5) -> str:
    """A captcha text of ``length`` characters from :data:`ALPHABET`."""
    return "".join(rng.choice(ALPHABET) for _ in range(length))


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def captcha_image(
    text: str,
    *,
    seed: int,
    distortion: float = 1.0,
    width: int = 200,
    height: int = 70,
    font_sizes: tuple[int, ...] = (42, 48, 54),
    noise: bool = True,
) -> bytes:
    """Draw ``text`` with the ``captcha`` package, reproducibly; return PNG bytes.

    >>> captcha_image("ab3d", seed=1) == captcha_image("ab3d", seed=1)
    True
    """
    from captcha.image import ImageCaptcha

    rng = random.Random(seed)

    class _Tuned(ImageCaptcha):  # type: ignore[misc]
        character_rotate = (round(-30 * distortion), round(30 * distortion))
        character_warp_dx = (0.1 * distortion, 0.3 * distortion)
        character_warp_dy = (0.2 * distortion, 0.3 * distortion)
        # The package pushes glyphs into each other by up to word_offset_dx of a glyph's width.
        word_offset_dx = 0.25 * distortion
        word_space_probability = 0.5

    maker = _Tuned(width=width, height=height, fonts=_fonts() or None, font_sizes=font_sizes)
    with _seeded_captcha_module(rng) as module:
        if noise:
            # The package's own drawing: its colours, noise dots, noise curve and smoothing.
            image = maker.generate_image(text)
        else:
            background = module.random_color(238, 255)
            color = module.random_color(10, 200, rng.randrange(36) + 220)
            image = maker.create_captcha_image(text, color, background).filter(ImageFilter.SMOOTH)
    return _png(image)


def clean_text_image(text: str, *, seed: int, height: int = 48) -> bytes:
    """Plain text on a light background with a few noise dots and lines; return PNG bytes."""
    rng = random.Random(seed)
    fonts = _fonts()
    size = rng.choice((28, 32, 36))
    font: ImageFont.FreeTypeFont | ImageFont.ImageFont
    font = ImageFont.truetype(rng.choice(fonts), size) if fonts else ImageFont.load_default()
    probe = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    x0, y0, x1, y1 = probe.textbbox((0, 0), text, font=font)
    width = int(x1 - x0) + 24
    bg = tuple(rng.randint(225, 255) for _ in range(3))
    fg = tuple(rng.randint(0, 90) for _ in range(3))
    image = Image.new("RGB", (width, height), bg)  # type: ignore[arg-type]
    draw = ImageDraw.Draw(image)
    draw.text((12 - x0, (height - (y1 - y0)) / 2 - y0), text, font=font, fill=fg)  # type: ignore[arg-type]
    for _ in range(40):
        x, y = rng.randrange(width), rng.randrange(height)
        draw.point((x, y), fill=fg)  # type: ignore[arg-type]
    for _ in range(2):
        draw.line(
            (
                rng.randrange(width),
                rng.randrange(height),
                rng.randrange(width),
                rng.randrange(height),
            ),
            fill=tuple(rng.randint(120, 200) for _ in range(3)),  # type: ignore[arg-type]
            width=1,
        )
    return _png(image)


def captcha_set(
    count: int,
    *,
    seed: int = 0,
    style: str = "captcha",
    distortion: float = 1.0,
    length: int = 5,
    noise: bool = True,
) -> list[Captcha]:
    """``count`` reproducible captchas of one style (``captcha`` or ``clean``).

    >>> [c.text for c in captcha_set(2, seed=7)] == [c.text for c in captcha_set(2, seed=7)]
    True
    """
    rng = random.Random(seed)
    out: list[Captcha] = []
    for _ in range(count):
        text = random_text(rng, length)
        image_seed = rng.getrandbits(32)
        if style == "captcha":
            png = captcha_image(text, seed=image_seed, distortion=distortion, noise=noise)
        elif style == "clean":
            png = clean_text_image(text, seed=image_seed)
        else:
            raise ValueError(f"unknown captcha style {style!r}: use 'captcha' or 'clean'")
        out.append(Captcha(text=text, png=png, style=style))
    return out


def main() -> None:
    """Write a captcha set as ``<text>_<i>.png`` files."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("out", type=Path)
    parser.add_argument("--count", type=int, default=50)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--style", choices=("captcha", "clean"), default="captcha")
    parser.add_argument("--distortion", type=float, default=1.0)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    items = captcha_set(args.count, seed=args.seed, style=args.style, distortion=args.distortion)
    for i, item in enumerate(items):
        (args.out / f"{item.text}_{i}.png").write_bytes(item.png)


if __name__ == "__main__":
    main()
