"""CapSolver-style ImageToTextTask: the text of a captcha (a short single-line image).

The reading itself is :mod:`ocrframe.engine.captcha` (ddddocr's captcha models and RapidOCR's
recogniser, each on the whole image, its contrast view and its ink crop, decided by their
probabilities). This module turns a task into that call: it decodes the image, checks the
module, and cleans the answer.
Captchas have no spaces, and answers are letters and digits for both modules (``common`` and
``queueit``); ``case=False`` answers in lower case.
"""

from __future__ import annotations

import io
import re
import warnings

from PIL import Image

from ocrframe._documents import check_geometry
from ocrframe.engine.captcha import ink_crop, read_captcha
from ocrframe.errors import InputFileError

__all__ = ["MODULES", "TaskDataError", "image_to_text", "ink_crop", "normalise_text"]

# Modules this engine knows. The readers answer letters and digits for both; the cleaning of
# :func:`normalise_text` still differs (``common`` keeps every character except whitespace,
# ``queueit`` letters and digits only) for answers that come from elsewhere.
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
    """Read the text of a captcha image: ``(text, confidence)``.

    ``module`` is ``common`` (the default) or ``queueit``; both answer letters and digits.
    ``case=False`` answers in lower case and digits; ``True`` or ``None`` keeps both cases.
    The confidence is a probability from the models' output (0 to 1): the geometric mean of the
    probabilities the readers give the answer (see :mod:`ocrframe.engine.captcha`); a caller's
    ``score`` is a minimum for it. Raises :class:`TaskDataError` with
    ``ERROR_INVALID_TASK_DATA`` for an unknown module and ``ERROR_INVALID_IMAGE`` for bytes that
    are not a decodable image. Blocking and CPU-bound.

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
    text, confidence = read_captcha(image, case=case is not False)
    return normalise_text(text, module=module, case=case), float(confidence)
