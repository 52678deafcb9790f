"""The OCR models, loaded once per process, lazily, from the rapidocr wheel (never the network).

Two entry points: :func:`read_lines` (detect then recognise: a page or any larger image) and
:func:`read_crop` (recognise only: a short single-line image such as a captcha or a cell).
Both are blocking and CPU-bound; callers on an event loop run them in a worker thread.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image

from ocrframe.errors import EngineUnavailableError

__all__ = ["OcrLine", "get_engine", "read_crop", "read_lines"]

_lock = threading.Lock()
_engine: Any = None


@dataclass(frozen=True, slots=True)
class OcrLine:
    """One recognised run of text and its axis-aligned box, in the image's pixels."""

    text: str
    x0: float
    y0: float
    x1: float
    y1: float
    score: float


def get_engine() -> Any:
    """Return the process-wide RapidOCR engine, loading its bundled models on first use."""
    global _engine
    if _engine is None:
        with _lock:
            if _engine is None:
                try:
                    from rapidocr import RapidOCR
                except ImportError as exc:  # pragma: no cover - depends on the install
                    raise EngineUnavailableError(
                        "the embedded engine needs its extra: pip install 'ocrframe[engine]'"
                    ) from exc
                # Default models only: they ship inside the wheel; any other model downloads.
                _engine = RapidOCR(params={"Global.log_level": "error"})
    return _engine


def _as_array(image: Image.Image | np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    if isinstance(image, Image.Image):
        return np.asarray(image.convert("RGB"))
    return image


def read_lines(image: Image.Image | np.ndarray[Any, Any]) -> list[OcrLine]:
    """Detect and recognise every line of text in ``image``."""
    result = get_engine()(_as_array(image))
    if result.txts is None or result.boxes is None:
        return []
    lines: list[OcrLine] = []
    for text, box, score in zip(result.txts, result.boxes, result.scores, strict=True):
        xs = [float(p[0]) for p in box]
        ys = [float(p[1]) for p in box]
        lines.append(OcrLine(str(text), min(xs), min(ys), max(xs), max(ys), float(score)))
    return lines


def read_crop(image: Image.Image | np.ndarray[Any, Any]) -> tuple[str, float]:
    """Recognise a short single-line image without detection: ``(text, confidence)``."""
    result = get_engine()(_as_array(image), use_det=False, use_cls=False, use_rec=True)
    if not result.txts:
        return "", 0.0
    return str(result.txts[0]), float(result.scores[0])
