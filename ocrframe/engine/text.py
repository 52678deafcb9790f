"""CapSolver-style ImageToTextTask: the text of a short single-line image.

Recognition only (no detection): a captcha is one short line, and RapidOCR's recogniser reads it in
~10 ms where detect+recognise takes ~0.4 s and often splits or drops the warped glyphs.

Preprocessing was measured on generated captchas (BENCHMARKS.md, "Engine server and captchas"):
grayscale + autocontrast, resizing to the recogniser's 48 px height, padding, median filtering,
blur, horizontal stretching and a vote over several variants all *lowered* or did not change exact
accuracy, so the image goes to the recogniser in colour as decoded (flattened onto white). What
helped: also reading the image cropped to its ink (larger glyphs in the recogniser's line) and
keeping the surer of the two readings; and cleaning the answer (captchas have no spaces;
``queueit`` captchas are letters and digits only).
"""

from __future__ import annotations

import io
import re
import warnings

import numpy as np
from PIL import Image, ImageOps

from ocrframe._documents import check_geometry
from ocrframe.errors import InputFileError

__all__ = ["MODULES", "TaskDataError", "image_to_text", "ink_crop", "normalise_text"]

# Modules this engine knows. ``common`` keeps every character except whitespace; ``queueit``
# (Queue-it's captchas are letters and digits) keeps letters and digits only.
MODULES = ("common", "queueit")

_NOT_ALNUM = re.compile(r"[^0-9A-Za-z]")
_WHITESPACE = re.compile(r"\s+")

# A captcha is small; anything far larger is not one and would only slow the recogniser down.
_MAX_SIDE = 2000


class TaskDataError(ValueError):
    """The task cannot be done; ``code`` is the CapSolver ``errorCode`` to answer with."""

    def __init__(self, code: str, description: str) -> None:
        self.code = code
        self.description = description
        super().__init__(f"{code}: {description}")


def normalise_text(text: str, *, module: str, case: bool | None) -> str:
    """Clean a recognised string the way the module's captchas are written.

    >>> normalise_text(" Ab 3-d ", module="common", case=True)
    'Ab3-d'
    >>> normalise_text(" Ab 3-d ", module="queueit", case=False)
    'ab3d'
    """
    text = _WHITESPACE.sub("", text)
    if module == "queueit":
        text = _NOT_ALNUM.sub("", text)
    if case is False:
        # "case does not matter": answer in one case so equal answers compare equal.
        text = text.lower()
    return text


def _decode_image(content: bytes) -> Image.Image:
    if not content:
        raise TaskDataError("ERROR_INVALID_IMAGE", "the image is empty")
    image: Image.Image
    try:
        with warnings.catch_warnings():
            # A decompression-bomb warning is an answer here (not a captcha), not a test failure.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(content))
            # The bomb guard, from the header: a 65535×1 line would need gigabytes to recognise.
            check_geometry(*image.size)
            image.load()
    except InputFileError as exc:
        raise TaskDataError("ERROR_INVALID_IMAGE", exc.message) from exc
    except Exception as exc:
        raise TaskDataError(
            "ERROR_INVALID_IMAGE", "the body is not an image this service can decode"
        ) from exc
    if image.width < 1 or image.height < 1:
        raise TaskDataError("ERROR_INVALID_IMAGE", "the image has no pixels")
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        # Transparent captchas (dark glyphs on alpha) would read as black on black.
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        image = flat
    else:
        image = image.convert("RGB")
    if max(image.size) > _MAX_SIDE:
        image.thumbnail((_MAX_SIDE, _MAX_SIDE))
    return image


def image_to_text(
    content: bytes, *, module: str | None = None, case: bool | None = None
) -> tuple[str, float]:
    """Read the text of a short single-line image: ``(text, confidence)``.

    ``module`` is ``common`` (the default) or ``queueit``; ``case=False`` answers in lower case.
    Raises :class:`TaskDataError` with ``ERROR_INVALID_TASK_DATA`` for an unknown module and
    ``ERROR_INVALID_IMAGE`` for bytes that are not a decodable image. Blocking and CPU-bound.

    >>> from tools.synth.captchas import clean_text_image
    >>> image_to_text(clean_text_image("ab3dE", seed=1), module="common", case=True)[0]
    'ab3dE'
    """
    module = module or "common"
    if module not in MODULES:
        raise TaskDataError(
            "ERROR_INVALID_TASK_DATA",
            f"module {module!r} is not supported: use one of {', '.join(MODULES)}",
        )
    image = _decode_image(content)
    from ocrframe.engine.ocr import read_crop

    text, confidence = read_crop(image)
    cropped = ink_crop(image)
    if cropped.size != image.size:
        # The tighter crop makes the glyphs larger in the recogniser's 48 px line: it reads heavily
        # distorted captchas better and moderately distorted ones about as well, so keep
        # whichever reading the recogniser is surer of (BENCHMARKS.md).
        text2, confidence2 = read_crop(cropped)
        if confidence2 > confidence:
            text, confidence = text2, confidence2
    return normalise_text(text, module=module, case=case), float(confidence)


def ink_crop(image: Image.Image, *, share: float = 0.08, margin: int = 4) -> Image.Image:
    """``image`` cropped to the rows and columns that hold ink (dark after autocontrast).

    A row or column counts when its share of dark pixels is at least ``share`` of the darkest
    row's (column's), so scattered noise dots do not widen the crop.
    """
    gray = np.asarray(ImageOps.autocontrast(image.convert("L")), dtype=np.uint8)
    ink = gray < 128
    rows = ink.mean(axis=1)
    cols = ink.mean(axis=0)
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
