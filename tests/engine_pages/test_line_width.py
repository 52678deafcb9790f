"""Lines are recognised at their own width (at least ``ocr.line_width()``), not padded to
RapidOCR's 320 px, and the minimum is configurable."""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from ocrframe.engine import ocr
from ocrframe.errors import ConfigurationError


def _short_line() -> Image.Image:
    font = ImageFont.load_default(size=36)
    image = Image.new("RGB", (300, 80), "white")
    ImageDraw.Draw(image).text((20, 18), "TOTAL 42", fill="black", font=font)
    return image


def _read_on_a_fresh_engine(image: Image.Image) -> tuple[list[str], list[int]]:
    """Read ``image`` on an engine loaded now (in a thread of its own, as a worker would), and
    return the text and the widths of the recogniser's inputs."""
    out: dict[str, Any] = {}

    def run() -> None:
        try:
            ocr._local.worker = True  # this thread reads inline, on its own engine
            rec = ocr.get_engine()._load_rec_model()
            widths: list[int] = []
            session = rec.session

            class Spy:
                def __call__(self, batch: np.ndarray[Any, Any]) -> Any:
                    widths.append(int(batch.shape[-1]))
                    return session(batch)

                def __getattr__(self, name: str) -> Any:
                    return getattr(session, name)

            rec.session = Spy()
            out["texts"] = [line.text for line in ocr.read_lines(image)]
            out["widths"] = widths
        except BaseException as exc:  # handed to the test thread
            out["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if "error" in out:
        raise out["error"]
    return out["texts"], out["widths"]


def test_a_short_line_is_read_at_its_own_width(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ocr.LINE_WIDTH_ENV, raising=False)
    texts, widths = _read_on_a_fresh_engine(_short_line())
    assert " ".join(texts) == "TOTAL 42"
    assert widths and all(ocr.line_width() <= w < 320 for w in widths)


def test_the_minimum_width_is_configurable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ocr.LINE_WIDTH_ENV, "320")  # RapidOCR's own padding
    texts, widths = _read_on_a_fresh_engine(_short_line())
    assert " ".join(texts) == "TOTAL 42"
    assert widths and all(w == 320 for w in widths)


def test_default_minimum_width(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ocr.LINE_WIDTH_ENV, raising=False)
    assert ocr.line_width() == 96
    monkeypatch.setenv(ocr.LINE_WIDTH_ENV, " 160 ")
    assert ocr.line_width() == 160


@pytest.mark.parametrize("raw", ["wide", "0", "15", "5000", "9.5"])
def test_a_bad_minimum_width_is_a_configuration_error(
    monkeypatch: pytest.MonkeyPatch, raw: str
) -> None:
    monkeypatch.setenv(ocr.LINE_WIDTH_ENV, raw)
    with pytest.raises(ConfigurationError, match=ocr.LINE_WIDTH_ENV):
        ocr.line_width()
