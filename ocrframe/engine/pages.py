"""A document's bytes -> pages of words with boxes, and pages as images.

PDF pages with a text layer give their words straight from pdfium (a few milliseconds a page);
PDF pages without one (scans), and images (PNG, JPEG, BMP, GIF, WebP, every frame of a TIFF), are
rendered and read by OCR (:mod:`ocrframe.engine.ocr`, about a second a page on two cores).

Coordinates follow :mod:`ocrframe.engine.types`: origin top-left, y downwards; PDF pages in
points (whether the words came from the text layer or from OCR), images in their own pixels.
Words are in reading order: lines top to bottom, each line left to right.

Page selection (``pages=``): 1-based numbers; numbers past the end of the document are ignored
(DocAI's ``legalPageNumbers`` may name more pages than a file has), so the result may be shorter
than the selection, or empty. A number below 1 is a :class:`~ocrframe.errors.PageRangeError`.
"""

from __future__ import annotations

import io
import math
import threading
import warnings
from collections.abc import Callable, Iterator, Sequence
from ctypes import c_int
from dataclasses import dataclass
from statistics import median
from typing import Any

from PIL import Image, ImageOps, ImageSequence

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

#: Kinds :func:`load_pages` reads besides ``"pdf"``.
IMAGE_KINDS = frozenset({"png", "jpeg", "tiff", "bmp", "gif", "webp"})

#: Longest side, in pixels, of an image handed to OCR. OCR time grows with the pixel count, and
#: past this size an A4 page's body text gains nothing (measured: BENCHMARKS.md, "Pages and OCR").
OCR_MAX_SIDE = 1600

# page_images() renders for people and other services, not for our OCR: a larger cap, only there
# to keep a poster-sized page from allocating gigabytes.
_RENDER_MAX_SIDE = 6000

# A page with no letters or digits in its text layer is a scan; so is a page with fewer than
# _SCAN_TEXT_CHARS whose largest image covers most of the page (a scan with a stamp or a page
# number added digitally). A short born-digital page (no big image) keeps its text layer.
_MIN_TEXT_CHARS = 1
_SCAN_TEXT_CHARS = 200
_SCAN_IMAGE_COVER = 0.5

# pdfium is not thread-safe, and the server reads documents from several worker threads.
_PDFIUM_LOCK = threading.RLock()

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


def detect_kind(content: bytes) -> str | None:
    """Name the kind of a document from its first bytes, or ``None`` if it is none we read.

    One of ``"pdf"``, ``"png"``, ``"jpeg"``, ``"tiff"``, ``"bmp"``, ``"gif"``, ``"webp"``.

    >>> detect_kind(b"%PDF-1.7\\n...")
    'pdf'
    >>> detect_kind(b"hello") is None
    True
    """
    head = bytes(content[:1024])
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return "tiff"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[:2] == b"BM" and len(head) >= 26:
        return "bmp"
    # The PDF header may follow some junk, and readers accept it anywhere in the first kilobyte.
    if b"%PDF-" in head:
        return "pdf"
    return None


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
    kind = _require_kind(content)
    selected = _selection(pages)
    if kind == "pdf":
        return _load_pdf(content, selected, dpi)
    result: list[Page] = []
    for number, image in _image_frames(content, kind, selected):
        result.append(_ocr_page(number, image, scale=1.0))
    return result


def page_images(content: bytes, *, dpi: int = 200) -> list[Image.Image]:
    """Every page (PDF) or frame (TIFF), or the one image, as an RGB :class:`PIL.Image.Image`.

    PDF pages are rendered at ``dpi``. Raises :class:`~ocrframe.errors.InputFileError` like
    :func:`load_pages`.

    >>> [im.size for im in page_images(png_bytes)]  # doctest: +SKIP
    [(640, 480)]
    """
    kind = _require_kind(content)
    if kind == "pdf":
        with _PDFIUM_LOCK:
            doc = _open_pdf(content)
            try:
                return [_render(doc[i], dpi, _RENDER_MAX_SIDE)[0] for i in range(len(doc))]
            finally:
                doc.close()
    return [image for _, image in _image_frames(content, kind, None)]


# --- selection and kinds -------------------------------------------------------------------------


def _require_kind(content: bytes) -> str:
    if not content:
        raise InputFileError("the file is empty", code="empty")
    kind = detect_kind(content)
    if kind is None:
        raise InputFileError(
            "not a PDF or an image this engine reads (PDF, PNG, JPEG, TIFF, BMP, GIF, WebP)",
            code="unsupported",
        )
    return kind


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


def _open_pdf(content: bytes) -> Any:
    import pypdfium2 as pdfium

    try:
        return pdfium.PdfDocument(bytes(content))
    except pdfium.PdfiumError as exc:
        message = str(exc)
        if "password" in message.lower():
            raise InputFileError(
                "the PDF is encrypted with a password", code="unsupported"
            ) from exc
        raise InputFileError(f"the PDF cannot be read ({message})", code="corrupt") from exc


def _load_pdf(content: bytes, selected: set[int] | None, dpi: int) -> list[Page]:
    # Text extraction and rendering hold the pdfium lock; OCR (the slow part) runs outside it.
    pending: list[tuple[int, float, float, Image.Image, float]] = []
    done: dict[int, Page] = {}
    with _PDFIUM_LOCK:
        doc = _open_pdf(content)
        try:
            for index in range(len(doc)):
                number = index + 1
                if not _wanted(number, selected):
                    continue
                try:
                    page = doc[index]
                except Exception as exc:  # pdfium gives no finer error for a broken page
                    raise InputFileError(
                        f"page {number} of the PDF cannot be read", code="corrupt"
                    ) from exc
                width, height = (float(v) for v in page.get_size())
                words, letters = _text_layer_words(page)
                if _has_text_layer(page, letters):
                    done[number] = Page(number, width, height, words, origin="text-layer")
                else:
                    image, scale = _render(page, dpi, OCR_MAX_SIDE)
                    pending.append((number, width, height, image, scale))
                page.close()
        finally:
            doc.close()
    for number, width, height, image, scale in pending:
        ocr_page = _ocr_page(number, image, scale=scale)
        done[number] = Page(number, width, height, ocr_page.words, origin="ocr")
    return [done[n] for n in sorted(done)]


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


# Reading frames for the four directions text can run on a displayed page: (u, v) = frame(x, y)
# turns display coordinates so that the text runs along +u and lines stack along +v.
_FRAMES: tuple[Callable[[float, float], tuple[float, float]], ...] = (
    lambda x, y: (x, y),  # left to right
    lambda x, y: (y, -x),  # top to bottom
    lambda x, y: (-x, -y),  # right to left (upside down)
    lambda x, y: (-y, x),  # bottom to top
)


@dataclass(slots=True)
class _Run:
    """Characters of one word being collected: display box, and extent in its reading frame."""

    chars: list[str]
    direction: int
    x0: float
    y0: float
    x1: float
    y1: float
    v0: float
    v1: float
    last_u1: float

    def word(self) -> Word:
        return Word("".join(self.chars).translate(_LIGATURES), self.x0, self.y0, self.x1, self.y1)


def _text_layer_words(page: Any) -> tuple[list[Word], int]:
    """The words of a page's text layer in reading order, and how many letters/digits it has."""
    import pypdfium2.raw as pdfium_c

    a, b, c, d, e, f = _page_transform(page)
    textpage = page.get_textpage()
    try:
        count = textpage.count_chars()
        words: list[Word] = []
        letters = 0
        run: _Run | None = None
        for index in range(count):
            code = pdfium_c.FPDFText_GetUnicode(textpage, index)
            char = chr(code) if 0 < code < 0x110000 else ""
            if not char or char.isspace() or not char.isprintable():
                if run is not None:
                    words.append(run.word())
                    run = None
                continue
            if char.isalnum():
                letters += 1
            # Loose boxes span the font's ascent to descent: every character of a line gets the
            # same height, which makes line grouping and word gaps stable.
            left, bottom, right, top = textpage.get_charbox(index, loose=True)
            xa, ya = a * left + c * top + e, b * left + d * top + f
            xb, yb = a * right + c * bottom + e, b * right + d * bottom + f
            x0, x1 = min(xa, xb), max(xa, xb)
            y0, y1 = min(ya, yb), max(ya, yb)
            # The direction the text runs on the displayed page (rotated pages, rotated text).
            angle = pdfium_c.FPDFText_GetCharAngle(textpage, index)
            ux, uy = math.cos(angle), math.sin(angle)
            vx, vy = a * ux + c * uy, b * ux + d * uy
            direction = (0 if vx >= 0 else 2) if abs(vx) >= abs(vy) else (1 if vy >= 0 else 3)
            frame = _FRAMES[direction]
            (pu, pv), (qu, qv) = frame(x0, y0), frame(x1, y1)
            u0, u1, v0, v1 = min(pu, qu), max(pu, qu), min(pv, qv), max(pv, qv)
            if run is not None:
                h = max(run.v1 - run.v0, v1 - v0, 0.1)
                same_line = abs((v0 + v1) / 2 - (run.v0 + run.v1) / 2) < 0.5 * h
                gap = u0 - run.last_u1
                if direction != run.direction or not same_line or gap > 0.25 * h or gap < -0.5 * h:
                    words.append(run.word())
                    run = None
            if run is None:
                run = _Run([char], direction, x0, y0, x1, y1, v0, v1, u1)
            else:
                run.chars.append(char)
                run.x0, run.y0 = min(run.x0, x0), min(run.y0, y0)
                run.x1, run.y1 = max(run.x1, x1), max(run.y1, y1)
                run.v0, run.v1 = min(run.v0, v0), max(run.v1, v1)
                run.last_u1 = u1
        if run is not None:
            words.append(run.word())
    finally:
        textpage.close()
    return reading_order(words), letters


def reading_order(words: Sequence[Word]) -> list[Word]:
    """Order words as a person reads a page: lines top to bottom, each line left to right.

    A word joins the line above it when its vertical centre lies within that line's band
    (allowing for mixed font sizes on one baseline).
    """
    lines: list[list[Word]] = []
    band: list[float] = []  # centre and median height of the current line
    for word in sorted(words, key=lambda w: (w.cy, w.x0)):
        h = max(word.height, 0.1)
        if lines and abs(word.cy - band[0]) <= 0.4 * max(band[1], h):
            lines[-1].append(word)
            line = lines[-1]
            band = [sum(w.cy for w in line) / len(line), median(w.height for w in line)]
        else:
            lines.append([word])
            band = [word.cy, h]
    return [w for line in lines for w in sorted(line, key=lambda w: w.x0)]


def _render(page: Any, dpi: int, max_side: int) -> tuple[Image.Image, float]:
    """Render a PDF page to RGB at ``dpi`` (shrunk to ``max_side``); returns image and px/pt."""
    width, height = page.get_size()
    scale = dpi / 72
    longest = max(width, height) * scale
    if longest > max_side:
        scale *= max_side / longest
    bitmap = page.render(scale=scale)
    try:
        image = bitmap.to_pil().convert("RGB")
    finally:
        bitmap.close()
    return image, scale


# --- images --------------------------------------------------------------------------------------


def _image_frames(
    content: bytes, kind: str, selected: set[int] | None
) -> Iterator[tuple[int, Image.Image]]:
    """Yield ``(page number, RGB image)`` for the image or each frame of a TIFF."""
    try:
        with warnings.catch_warnings():
            # A decompression-bomb warning is an input we refuse, not a message to print.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(content))
            frames = ImageSequence.Iterator(image) if kind == "tiff" else iter([image])
            number = 0
            for frame in frames:
                number += 1
                if not _wanted(number, selected):
                    continue
                yield number, _to_rgb(frame)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise InputFileError("the image has too many pixels", code="too_large") from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        # Pillow reports a truncated or malformed image as any of these.
        raise InputFileError(f"the {kind} image cannot be read ({exc})", code="corrupt") from exc


def _to_rgb(frame: Image.Image) -> Image.Image:
    frame.load()
    image = ImageOps.exif_transpose(frame)
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        # Transparent pixels are often black underneath: put them on white paper.
        rgba = image.convert("RGBA")
        paper = Image.new("RGB", rgba.size, (255, 255, 255))
        paper.paste(rgba, mask=rgba.getchannel("A"))
        return paper
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        image = image.point(lambda v: v / 256).convert("L")
    return image.convert("RGB")


# --- OCR -----------------------------------------------------------------------------------------


def _ocr_page(number: int, image: Image.Image, *, scale: float) -> Page:
    """OCR ``image`` into a page whose units are the image's pixels divided by ``scale``."""
    from ocrframe.engine import ocr

    width, height = image.size
    shrink = min(1.0, OCR_MAX_SIDE / max(width, height, 1))
    work = image
    if shrink < 1.0:
        work = image.resize(
            (max(1, round(width * shrink)), max(1, round(height * shrink))),
            Image.Resampling.LANCZOS,
        )
    factor = 1.0 / (shrink * scale)
    words = [
        Word(w.text, w.x0 * factor, w.y0 * factor, w.x1 * factor, w.y1 * factor, w.confidence)
        for w in ocr.read_words(work)
    ]
    return Page(number, width / scale, height / scale, reading_order(words), origin="ocr")
