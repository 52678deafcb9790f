"""A document's bytes -> pages of words with boxes, and pages as images.

PDF pages with a text layer give their words straight from pdfium (a few milliseconds a page);
PDF pages without one (scans), and images (PNG, JPEG, BMP, the first frame of a GIF or WebP, every
frame of a TIFF), are rendered and read by OCR (:mod:`ocrframe.engine.ocr`: a few CPU-seconds a
page, several pages of a document at once on the OCR workers; sideways and upside-down scans are
turned upright). Measurements and the choices they led to: BENCHMARKS.md, "Pages and OCR".

Coordinates follow :mod:`ocrframe.engine.types`: origin top-left, y downwards; PDF pages in
points (whether the words came from the text layer or from OCR), images in their own pixels.
Words are in reading order: lines top to bottom, each line left to right.

Page selection (``pages=``): 1-based numbers; numbers past the end of the document are ignored
(DocAI's ``legalPageNumbers`` may name more pages than a file has), so the result may be shorter
than the selection, or empty. A number below 1 is a :class:`~ocrframe.errors.PageRangeError`.
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Sequence
from ctypes import c_int, c_ushort
from typing import Any

import numpy as np
from PIL import Image

from ocrframe import limits

# Kinds, the pdfium lock, opening and rendering are the core's (shared with the client side).
from ocrframe._documents import IMAGE_KINDS, detect_kind, page_images
from ocrframe._documents import PDFIUM_LOCK as _PDFIUM_LOCK
from ocrframe._documents import check_dpi as _check_dpi
from ocrframe._documents import check_forms as _check_forms
from ocrframe._documents import image_frames as _image_frames
from ocrframe._documents import open_pdf as _open_pdf
from ocrframe._documents import render_page as _render
from ocrframe._documents import require_kind as _require_kind
from ocrframe.engine.cancel import checkpoint
from ocrframe.engine.types import Page, Word
from ocrframe.errors import InputFileError, PageRangeError

__all__ = [
    "IMAGE_KINDS",
    "OCR_MAX_SIDE",
    "detect_kind",
    "load_pages",
    "page_images",
    "reading_order",
]

#: Longest side, in pixels, of an image handed to OCR. OCR time grows with the pixel count, and
#: past this size an A4 page's body text gains nothing (measured: BENCHMARKS.md, "Pages and OCR").
OCR_MAX_SIDE = 1600

# A page with no letters or digits in its text layer is a scan; so is a page with fewer than
# _SCAN_TEXT_CHARS whose largest image covers most of the page (a scan with a stamp or a page
# number added digitally). A short born-digital page (no big image) keeps its text layer.
_MIN_TEXT_CHARS = 1
_SCAN_TEXT_CHARS = 200
_SCAN_IMAGE_COVER = 0.5

_LIGATURES = str.maketrans(
    {
        "\ufb00": "ff",
        "\ufb01": "fi",
        "\ufb02": "fl",
        "\ufb03": "ffi",
        "\ufb04": "ffl",
        "\ufb06": "st",
    }
)


def load_pages(content: bytes, *, pages: Sequence[int] | None = None, dpi: int = 200) -> list[Page]:
    """Read a document into pages of words with boxes, in reading order.

    ``pages`` selects 1-based page numbers (all when ``None``; numbers past the end are ignored).
    ``dpi`` is the rendering resolution for PDF pages that need OCR (capped at
    :data:`OCR_MAX_SIDE` pixels on the longer side). Raises
    :class:`~ocrframe.errors.InputFileError` with code ``empty``, ``unsupported``, ``corrupt``
    or ``too_large``. Blocking and CPU-bound: run it in a worker thread from an event loop.

    >>> [p.number for p in load_pages(pdf_bytes, pages=[2, 9])]  # doctest: +SKIP
    [2]
    """
    _check_dpi(dpi)
    kind = _require_kind(content)
    selected = _selection(pages)
    if kind == "pdf":
        return _load_pdf(content, selected, dpi)
    read = _PageReader()
    try:
        for number, image in _image_frames(content, kind, selected):
            read.ocr(number, image, scale=1.0)
    except BaseException:
        read.cancel()
        raise
    return read.pages()


# --- selection and kinds -------------------------------------------------------------------------


def _selection(pages: Sequence[int] | None) -> set[int] | None:
    if pages is None:
        return None
    chosen: set[int] = set()
    for number in pages:
        if isinstance(number, bool) or not isinstance(number, int) or number < 1:
            raise PageRangeError(f"page {number!r} is not valid: pages are whole numbers from 1")
        chosen.add(number)
    return chosen


def _wanted(number: int, selected: set[int] | None) -> bool:
    return selected is None or number in selected


# --- PDF -----------------------------------------------------------------------------------------


def _load_pdf(content: bytes, selected: set[int] | None, dpi: int) -> list[Page]:
    import pypdfium2 as pdfium

    read = _PageReader()
    with _PDFIUM_LOCK:
        doc = _open_pdf(content)
        count = len(doc)
    try:
        # The limits the client applies, applied again here: the server's clients may be anyone.
        if count > limits.MAX_PAGES:
            raise InputFileError(
                f"the PDF has {count:,} pages, over the limit of {limits.MAX_PAGES:,}",
                code="too_large",
            )
        _check_forms(content, [n for n in range(1, count + 1) if _wanted(n, selected)])
        for index in range(count):
            number = index + 1
            if not _wanted(number, selected):
                continue
            checkpoint()  # each page is a step: none rendered for a document nobody will collect
            # Every pdfium call holds the lock; OCR (the slow part) runs outside it, on the OCR
            # workers, a few pages at a time, so a long scanned PDF never holds all its page
            # images at once.
            with _PDFIUM_LOCK:
                try:
                    page = doc[index]
                    try:
                        width, height = (float(v) for v in page.get_size())
                        words, letters = _text_layer_words(page)
                        scan = not _has_text_layer(page, letters)
                        image, scale = _render(page, dpi, OCR_MAX_SIDE) if scan else (None, 1.0)
                    finally:
                        page.close()
                except pdfium.PdfiumError as exc:
                    raise InputFileError(
                        f"page {number} of the PDF cannot be read ({exc})", code="corrupt"
                    ) from exc
            if image is None:
                read.done(Page(number, width, height, words, origin="text-layer"))
            else:
                read.ocr(number, image, scale=scale, size=(width, height))
    except BaseException:
        read.cancel()
        raise
    finally:
        with _PDFIUM_LOCK:
            doc.close()
    return read.pages()


def _has_text_layer(page: Any, letters: int) -> bool:
    if letters < _MIN_TEXT_CHARS:
        return False
    if letters >= _SCAN_TEXT_CHARS:
        return True
    return _largest_image_cover(page) < _SCAN_IMAGE_COVER


def _largest_image_cover(page: Any) -> float:
    import pypdfium2.raw as pdfium_c

    width, height = page.get_size()
    area = max(width * height, 1.0)
    best = 0.0
    for obj in page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,), max_depth=2):
        left, bottom, right, top = obj.get_bounds()
        best = max(best, abs((right - left) * (top - bottom)) / area)
    return best


def _page_transform(page: Any) -> tuple[float, float, float, float, float, float]:
    """PDF user space -> top-left page space in points, as pdfium displays the page.

    Returns ``(a, b, c, d, e, f)`` with ``x' = a*x + c*y + e`` and ``y' = b*x + d*y + f``, built
    from pdfium's own page-to-device mapping (which knows the crop box and /Rotate) at a fine
    integer resolution, so words line up with what :func:`_render` draws.
    """
    import pypdfium2.raw as pdfium_c

    width, height = page.get_size()
    fine = 64  # device units per point: pdfium answers in integers
    size_x, size_y = round(width * fine), round(height * fine)
    dx, dy = c_int(), c_int()

    def device(x: float, y: float) -> tuple[float, float]:
        pdfium_c.FPDF_PageToDevice(page, 0, 0, size_x, size_y, 0, x, y, dx, dy)
        return dx.value / fine, dy.value / fine

    ox, oy = device(0.0, 0.0)
    ax, ay = device(1000.0, 0.0)
    bx, by = device(0.0, 1000.0)
    return (ax - ox) / 1000, (ay - oy) / 1000, (bx - ox) / 1000, (by - oy) / 1000, ox, oy


def _char_codes(textpage: Any, count: int) -> list[int]:
    """The Unicode code of every character index, in one call when pdfium allows it."""
    import pypdfium2.raw as pdfium_c

    buffer = (c_ushort * (count + 1))()
    written = pdfium_c.FPDFText_GetText(textpage, 0, count, buffer)
    codes = list(buffer[:count])
    # One UTF-16 unit per character index, unless a character lies outside the BMP (surrogates):
    # then ask character by character.
    if written != count + 1 or any(0xD800 <= code <= 0xDFFF for code in codes):
        codes = [pdfium_c.FPDFText_GetUnicode(textpage, i) for i in range(count)]
    return codes


def _text_layer_words(page: Any) -> tuple[list[Word], int]:
    """The words of a page's text layer in reading order, and how many letters/digits it has
    (0 when most characters have no Unicode mapping).

    Characters are split into words at whitespace, where the text changes direction or line, and
    at a gap wider than a quarter of the text height. All geometry is computed on arrays: a
    page of 4000 characters takes a few milliseconds.
    """
    import pypdfium2.raw as pdfium_c

    a, b, c, d, e, f = _page_transform(page)
    textpage = page.get_textpage()
    try:
        handle = textpage.raw
        count = textpage.count_chars()
        if count <= 0:
            return [], 0
        chars: list[str] = []
        indices: list[int] = []
        for index, code in enumerate(_char_codes(handle, count)):
            # pdfium reports a hyphen that ends a line as code 2 (U+FFFE from FPDFText_GetText):
            # the page prints a hyphen there ("ART-12-" over "XL": the word goes on below)
            code = 0x2D if code in (2, 0xFFFE) else code
            char = chr(code) if 0 < code < 0x110000 else ""
            if char and not char.isspace() and char.isprintable():
                chars.append(char)
                indices.append(index)
        if not chars:
            return [], 0
        rect = pdfium_c.FS_RECTF()
        get_box, get_angle = pdfium_c.FPDFText_GetLooseCharBox, pdfium_c.FPDFText_GetCharAngle
        rows: list[tuple[float, float, float, float, float]] = []
        for index in indices:
            # Loose boxes span the font's ascent to descent: every character of a line gets the
            # same height, which makes line grouping and word gaps stable.
            get_box(handle, index, rect)
            rows.append((rect.left, rect.bottom, rect.right, rect.top, get_angle(handle, index)))
    finally:
        textpage.close()

    left, bottom, right, top, angle = np.array(rows, dtype=np.float64).T
    xa, ya = a * left + c * top + e, b * left + d * top + f
    xb, yb = a * right + c * bottom + e, b * right + d * bottom + f
    x0, x1 = np.minimum(xa, xb), np.maximum(xa, xb)
    y0, y1 = np.minimum(ya, yb), np.maximum(ya, yb)
    # The direction each character runs on the displayed page (rotated pages, rotated text),
    # and its box in a frame where that direction is +u and lines stack along +v.
    ux, uy = np.cos(angle), np.sin(angle)
    vx, vy = a * ux + c * uy, b * ux + d * uy
    direction = np.where(np.abs(vx) >= np.abs(vy), np.where(vx >= 0, 0, 2), np.where(vy >= 0, 1, 3))
    cases = [direction == k for k in range(4)]
    u0 = np.select(cases, [x0, y0, -x1, -y1])
    u1 = np.select(cases, [x1, y1, -x0, -y0])
    v0 = np.select(cases, [y0, -x1, -y1, x0])
    v1 = np.select(cases, [y1, -x0, -y0, x1])

    height = np.maximum(np.maximum(v1 - v0, np.roll(v1 - v0, 1)), 0.1)
    centre = (v0 + v1) / 2
    gap = u0 - np.roll(u1, 1)
    position = np.asarray(indices)
    # the letters of a ligature ("fl", "ffi") share the glyph's box: never a word break
    ligature = (u0 == np.roll(u0, 1)) & (u1 == np.roll(u1, 1)) & (u1 > u0)
    breaks = (
        (position - np.roll(position, 1) != 1)  # whitespace or a control character between
        | (direction != np.roll(direction, 1))
        | (np.abs(centre - np.roll(centre, 1)) >= 0.5 * height)
        | (gap > 0.25 * height)
        | ((gap < -0.5 * height) & ~ligature)
    )
    breaks[0] = True
    starts = np.flatnonzero(breaks)
    ends = [*starts[1:].tolist(), len(chars)]
    boxes = zip(
        np.minimum.reduceat(x0, starts).tolist(),
        np.minimum.reduceat(y0, starts).tolist(),
        np.maximum.reduceat(x1, starts).tolist(),
        np.maximum.reduceat(y1, starts).tolist(),
        strict=True,
    )
    words = [
        Word("".join(chars[i:j]).translate(_LIGATURES), bx0, by0, bx1, by1)
        for i, j, (bx0, by0, bx1, by1) in zip(starts.tolist(), ends, boxes, strict=True)
    ]
    letters = sum(1 for char in chars if char.isalnum())
    # Glyphs a font maps to no real character (private use, U+FFFD) make a text layer useless:
    # count them as nothing, so that such a page is read by OCR instead.
    unmapped = sum(1 for char in chars if char == "\ufffd" or "\ue000" <= char <= "\uf8ff")
    if unmapped > 0.3 * len(chars):
        letters = 0
    return reading_order(words), letters


def reading_order(words: Sequence[Word]) -> list[Word]:
    """Order words as a person reads a page: lines top to bottom, each line left to right.

    A word joins the line above it when its vertical centre lies within that line's band
    (allowing for mixed font sizes on one baseline).
    """
    lines: list[list[Word]] = []
    centre_sum = height_sum = 0.0
    for word in sorted(words, key=lambda w: (w.cy, w.x0)):
        h = max(word.height, 0.1)
        if lines:
            n = len(lines[-1])
            centre, line_height = centre_sum / n, height_sum / n
            if abs(word.cy - centre) <= 0.4 * max(line_height, h):
                lines[-1].append(word)
                centre_sum += word.cy
                height_sum += h
                continue
        lines.append([word])
        centre_sum, height_sum = word.cy, h
    return [w for line in lines for w in sorted(line, key=lambda w: w.x0)]


# --- OCR -----------------------------------------------------------------------------------------


class _PageReader:
    """A document's pages in page order, the scanned ones read on the OCR workers.

    Several pages of one document are read at once (as many as there are workers), and at most
    one more is rendered and waiting: a long scanned document never holds all its images.
    """

    def __init__(self) -> None:
        from ocrframe.engine import ocr

        self._slots: list[Page | concurrent.futures.Future[Page]] = []
        self._limit = ocr.workers() + 1

    def done(self, page: Page) -> None:
        """Add a page that needs no OCR."""
        self._slots.append(page)

    def ocr(
        self,
        number: int,
        image: Image.Image,
        *,
        scale: float,
        size: tuple[float, float] | None = None,
    ) -> None:
        """Queue a page to be read from ``image`` (see :func:`_ocr_page`)."""
        from ocrframe.engine import ocr

        checkpoint()  # an image's frames: the same boundary as a PDF's pages
        running = [
            s for s in self._slots if isinstance(s, concurrent.futures.Future) and not s.done()
        ]
        if len(running) >= self._limit:
            concurrent.futures.wait(running, return_when=concurrent.futures.FIRST_COMPLETED)
        self._slots.append(ocr.submit(_ocr_page, number, image, scale=scale, size=size))

    def pages(self) -> list[Page]:
        """Every page, in the order added, once read; the first page's error if one failed."""
        try:
            return [
                s.result() if isinstance(s, concurrent.futures.Future) else s for s in self._slots
            ]
        except BaseException:
            self.cancel()
            raise

    def cancel(self) -> None:
        """Drop the pages not started yet (after an error: nobody will read their words)."""
        for slot in self._slots:
            if isinstance(slot, concurrent.futures.Future):
                slot.cancel()


def _ocr_page(
    number: int, image: Image.Image, *, scale: float, size: tuple[float, float] | None = None
) -> Page:
    """OCR ``image`` into a page whose units are the image's pixels divided by ``scale``.

    ``size`` is the page's upright size in those units when known (a PDF page's points). A scan
    that OCR turns upright (a quarter or half turn) gets the turned size, and its words are in the
    turned frame, so that lines still read left to right.
    """
    from ocrframe.engine import ocr

    checkpoint()  # queued on the OCR workers while its document was abandoned: not read
    width, height = image.size
    shrink = min(1.0, OCR_MAX_SIDE / max(width, height, 1))
    work = image
    if shrink < 1.0:
        work = image.resize(
            (max(1, round(width * shrink)), max(1, round(height * shrink))),
            Image.Resampling.LANCZOS,
        )
    reading = ocr.read_page(work)
    factor = 1.0 / (shrink * scale)
    words = [
        Word(w.text, w.x0 * factor, w.y0 * factor, w.x1 * factor, w.y1 * factor, w.confidence)
        for w in reading.words
    ]
    page_w, page_h = size if size is not None else (width / scale, height / scale)
    if reading.rotation in (90, 270):
        page_w, page_h = page_h, page_w
    return Page(number, page_w, page_h, reading_order(words), origin="ocr", skew=reading.skew)
