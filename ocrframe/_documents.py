"""Documents as the core knows them: kind by content, pages, rendering; the one pdfium lock.

What both the client side (:mod:`ocrframe._inputs`, the batch engine) and the embedded engine
(:mod:`ocrframe.engine.pages`) need to know about a file lives here, so that the core never
imports the optional engine: the engine imports this module, never the reverse.

pdfium is not thread-safe, and the embedded engine reads documents from worker threads of the
same process as the batch engine: every pdfium call anywhere in ocrframe holds
:data:`PDFIUM_LOCK`.
"""

from __future__ import annotations

import io
import re
import struct
import threading
import warnings
import zlib
from collections.abc import Iterator, Sequence
from typing import Any

from PIL import Image, ImageOps, ImageSequence

from ocrframe import limits
from ocrframe.errors import ConfigurationError, InputFileError

__all__ = [
    "IMAGE_KINDS",
    "MULTI_PAGE_KINDS",
    "PDFIUM_LOCK",
    "RENDER_MAX_SIDE",
    "check_dpi",
    "check_forms",
    "check_geometry",
    "count_pages",
    "detect_kind",
    "image_frames",
    "iter_page_pngs",
    "load_page",
    "open_pdf",
    "page_images",
    "page_pngs",
    "render_page",
    "render_pages",
    "require_kind",
    "to_rgb",
]

#: Kinds read besides ``"pdf"``.
IMAGE_KINDS = frozenset({"png", "jpeg", "tiff", "bmp", "gif", "webp"})

#: Kinds that may hold several pages (split into page images for CapSolver).
MULTI_PAGE_KINDS = frozenset({"pdf", "tiff"})

#: page_images() renders for people and other services, not for OCR: a large cap, only there to
#: keep a poster-sized page from allocating gigabytes.
RENDER_MAX_SIDE = 6000

#: Held around every pdfium call in the process (pdfium is not thread-safe).
PDFIUM_LOCK = threading.RLock()


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


def count_pages(
    content: bytes, *, source: str | None = None, max_pages: int | None = None
) -> tuple[str, int]:
    """Return ``(kind, number of pages)`` of a file, checking that it can be opened at all.

    Raises :class:`~ocrframe.errors.InputFileError` with code ``empty``, ``unsupported``
    (not a PDF or an image of a known kind), ``corrupt`` (the kind's header, but unreadable) or
    ``too_large`` (more than ``max_pages`` pages; default :data:`ocrframe.limits.MAX_PAGES`).

    >>> count_pages(open("two-pages.pdf", "rb").read())  # doctest: +SKIP
    ('pdf', 2)
    """
    if not content:
        raise InputFileError("the file is empty", code="empty", source=source)
    kind = detect_kind(content)
    if kind is None:
        raise InputFileError(
            "not a PDF or an image of a supported kind (PDF, PNG, JPEG, TIFF, BMP, GIF, WebP)",
            code="unsupported",
            source=source,
        )
    if kind == "pdf":
        try:
            with PDFIUM_LOCK:
                doc = open_pdf(content)
                try:
                    count = len(doc)
                finally:
                    doc.close()
        except InputFileError as exc:
            raise InputFileError(exc.message, code=exc.code, source=source) from exc
        if count < 1:
            raise InputFileError("the PDF has no pages", code="corrupt", source=source)
        _check_page_count(count, max_pages, source)
        return kind, count
    if kind == "png" and _plain_png_ok(content):
        return kind, 1
    try:
        with Image.open(io.BytesIO(content)) as image:
            count = int(getattr(image, "n_frames", 1)) if kind == "tiff" else 1
            image.verify()
    except Exception as exc:  # Pillow reports a malformed image as many exception types
        raise InputFileError(
            f"the {kind} image cannot be read ({exc})", code="corrupt", source=source
        ) from exc
    _check_page_count(count, max_pages, source)
    return kind, count


def _check_page_count(count: int, max_pages: int | None, source: str | None) -> None:
    if max_pages is None:
        max_pages = limits.MAX_PAGES
    if count > max_pages:
        raise InputFileError(
            f"the file has {count:,} pages, over the limit of {max_pages:,} (max_pages)",
            code="too_large",
            source=source,
        )


def check_geometry(width: float, height: float, *, what: str = "the image") -> None:
    """Refuse a page or image too large or too thin to read safely (the bomb guard).

    Over :data:`~ocrframe.limits.MAX_PIXELS` pixels, or one side over
    :data:`~ocrframe.limits.MAX_ASPECT` times the other: OCR scales a line to a fixed height,
    so a 141-byte PNG of 65535×1 pixels becomes a tensor of gigabytes. Raises a ``too_large``
    :class:`~ocrframe.errors.InputFileError`.

    >>> try:
    ...     check_geometry(65535, 1)
    ... except InputFileError as exc:
    ...     print(exc.code, exc.message[:41])
    too_large the image is 65,535 × 1: one side is over
    """
    if width * height > limits.MAX_PIXELS:
        raise InputFileError(
            f"{what} is {width:,.0f} × {height:,.0f}, over the limit of "
            f"{limits.MAX_PIXELS:,} pixels (max_pixels)",
            code="too_large",
        )
    if max(width, height) > limits.MAX_ASPECT * max(min(width, height), 1e-9):
        raise InputFileError(
            f"{what} is {width:,.0f} × {height:,.0f}: one side is over {limits.MAX_ASPECT} "
            "times the other (max_aspect)",
            code="too_large",
        )


# A form XObject drawn by name from a content stream ("/Fm0 Do").
_DO = re.compile(rb"/([^\s/\[\]()<>{}%]+)\s*Do\b")


def check_forms(content: bytes, pages: Sequence[int] | None = None) -> None:
    """Refuse a PDF whose pages would draw form XObjects without end, before pdfium loads them.

    pdfium expands every form where it is drawn while it loads a page (no way to stop it), so a
    600-byte form that draws itself twice takes gigabytes and minutes. Here the forms each page
    draws are counted, with their repeats, through the PDF's structure (pypdf, which reads no
    more than the page's resources and forms): a cycle, or more than
    :data:`~ocrframe.limits.MAX_FORM_DRAWS` draws on one page, is a ``too_large``
    :class:`~ocrframe.errors.InputFileError`. Files without forms cost one scan of their bytes.
    A structure pypdf cannot read is left to pdfium.
    """
    if b"/Form" not in content and b"/ObjStm" not in content:
        return
    import pypdf
    from pypdf.generic import IndirectObject

    try:
        reader = pypdf.PdfReader(io.BytesIO(content))
        indexes = range(len(reader.pages)) if pages is None else [p - 1 for p in pages]
        for index in indexes:
            if not 0 <= index < len(reader.pages):
                continue
            page = reader.pages[index]
            try:
                draws = _form_draws(page, page.get("/Resources"), {}, set(), IndirectObject)
            except _FormsTooMany as exc:
                raise _FormsTooMany(index + 1, exc.args[0]) from None
            if draws > limits.MAX_FORM_DRAWS:
                raise _FormsTooMany(index + 1, f"draws forms {draws:,} times or more")
    except _FormsTooMany as exc:
        raise InputFileError(
            f"page {exc.page} of the PDF {exc.args[0]}: refused before rendering (at most "
            f"{limits.MAX_FORM_DRAWS:,} form draws per page, none drawing itself; "
            "max_form_draws)",
            code="too_large",
        ) from None
    except Exception:  # pypdf cannot read it: pdfium's own reading decides
        return


class _FormsTooMany(Exception):
    def __init__(self, page: int, what: str) -> None:
        self.page = page
        super().__init__(what)


def _form_draws(
    stream: Any, resources: Any, memo: dict[int, int], active: set[int], indirect: Any
) -> int:
    """How many form draws ``stream`` makes, forms within forms counted (memoised per form)."""
    if hasattr(stream, "get_contents"):  # a page: its content streams, joined
        contents = stream.get_contents()
        data = contents.get_data() if contents is not None else b""
    else:
        data = stream.get_data()
    resources = resources.get_object() if resources is not None else None
    xobjects = resources.get("/XObject") if resources is not None else None
    xobjects = xobjects.get_object() if xobjects is not None else None
    if not xobjects:
        return 0
    total = 0
    for name in _DO.findall(data):
        key = "/" + name.decode("latin-1")
        ref: Any = xobjects.raw_get(key) if key in xobjects else None
        if not isinstance(ref, indirect):
            continue
        form: Any = ref.get_object()
        if form.get("/Subtype") != "/Form":
            continue
        ident = ref.idnum
        if ident in active:
            raise _FormsTooMany(0, "has a form that draws itself")
        if ident not in memo:
            if len(active) >= _MAX_FORM_DEPTH:
                raise _FormsTooMany(0, f"nests forms over {_MAX_FORM_DEPTH} deep")
            active.add(ident)
            inner = form.get("/Resources")
            memo[ident] = 1 + _form_draws(
                form, inner if inner is not None else resources, memo, active, indirect
            )
            active.discard(ident)
        total += memo[ident]
        if total > limits.MAX_FORM_DRAWS:
            return total
    return total


# Deeper than any real document nests forms, and shallow enough for the recursion above.
_MAX_FORM_DEPTH = 64


# (bit depth, colour type) pairs a PNG may declare: the PNG specification's table, which is also
# every pair Pillow opens.
_PNG_MODES = frozenset(
    {
        *((1, 0), (2, 0), (4, 0), (8, 0), (16, 0), (8, 2), (16, 2), (1, 3), (2, 3), (4, 3)),
        *((8, 3), (8, 4), (16, 4), (8, 6), (16, 6)),
    }
)
# Chunks before the image data whose content Pillow's opening either ignores or reads without a
# way to fail once the length is right (minimum lengths here): any other chunk there goes to
# Pillow itself.
_PNG_PLAIN_CHUNKS = {b"PLTE": 0, b"tEXt": 0, b"pHYs": 9, b"sRGB": 1, b"gAMA": 4}
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _plain_png_ok(content: bytes) -> bool:
    """True when a PNG is sound by the same checks as ``Image.open`` + ``verify()``.

    Every chunk's length and CRC, IHDR first with a known mode and a size within Pillow's
    decompression-bomb limit, image data, IEND. Opening with Pillow cost ~0.2 ms per file, a
    tenth of the client's CPU per request on a batch of small captchas; this walk is a few
    microseconds. False means "not sure", never "corrupt": the caller then asks Pillow, which
    gives the verdict and the message, so the answer for any file is Pillow's.
    """
    if not content.startswith(_PNG_SIGNATURE):
        return False
    end = len(content)
    pos = 8
    seen_data = False
    first = True
    while pos + 8 <= end:
        length, kind = struct.unpack_from(">I4s", content, pos)
        body_end = pos + 8 + length
        if body_end + 4 > end:
            return False
        (crc,) = struct.unpack_from(">I", content, body_end)
        if zlib.crc32(content[pos + 4 : body_end]) != crc:
            return False
        if first:
            if kind != b"IHDR" or length < 13 or not _png_header_ok(content, pos + 8):
                return False
            first = False
        elif kind == b"IEND":
            return seen_data
        elif kind == b"IDAT":
            seen_data = True
        elif not seen_data:
            minimum = _PNG_PLAIN_CHUNKS.get(kind)
            if minimum is None or length < minimum:
                return False
        pos = body_end + 4
    return False


def _png_header_ok(content: bytes, at: int) -> bool:
    width, height, depth, colour, _compression, filtering = struct.unpack_from(
        ">IIBBBB", content, at
    )
    limit = Image.MAX_IMAGE_PIXELS
    return (
        width > 0
        and height > 0
        and (depth, colour) in _PNG_MODES
        and filtering == 0
        and (limit is None or width * height <= limit)
    )


def open_pdf(content: bytes) -> Any:
    """Open a PDF with pdfium (hold :data:`PDFIUM_LOCK`); an unreadable one is an
    :class:`~ocrframe.errors.InputFileError` (``unsupported`` when encrypted, else ``corrupt``)."""
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


def load_page(doc: Any, index: int) -> Any:
    """Page ``index`` (0-based) of an open PDF (hold :data:`PDFIUM_LOCK`); a page pdfium cannot
    load (a page tree that contains itself, thousands of levels deep) is a ``corrupt``
    :class:`~ocrframe.errors.InputFileError`, not a ``PdfiumError``."""
    import pypdfium2 as pdfium

    try:
        return doc[index]
    except pdfium.PdfiumError as exc:
        raise InputFileError(
            f"page {index + 1} of the PDF cannot be loaded ({exc}); its page tree may be broken",
            code="corrupt",
        ) from exc


def render_page(page: Any, dpi: int, max_side: int) -> tuple[Image.Image, float]:
    """Render a PDF page to RGB at ``dpi`` (shrunk to ``max_side``); returns image and px/pt.

    A page too thin to read safely (:func:`check_geometry`) raises before anything is drawn.
    """
    width, height = page.get_size()
    check_geometry(width, height, what="the page")
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


def page_images(content: bytes, *, dpi: int = 200) -> list[Image.Image]:
    """Every page (PDF) or frame (TIFF), or the one image, as an RGB :class:`PIL.Image.Image`.

    PDF pages are rendered at ``dpi``. Raises :class:`~ocrframe.errors.InputFileError` with code
    ``empty``, ``unsupported``, ``corrupt`` or ``too_large``.

    >>> [im.size for im in page_images(png_bytes)]  # doctest: +SKIP
    [(640, 480)]
    """
    check_dpi(dpi)
    kind = require_kind(content)
    if kind == "pdf":
        check_forms(content)
        with PDFIUM_LOCK:
            doc = open_pdf(content)
            try:
                return [
                    render_page(load_page(doc, i), dpi, RENDER_MAX_SIDE)[0] for i in range(len(doc))
                ]
            finally:
                doc.close()
    return [image for _, image in image_frames(content, kind, None)]


def page_pngs(
    content: bytes,
    *,
    pages: Sequence[int] | None = None,
    dpi: int = 200,
    source: str | None = None,
) -> list[tuple[int, bytes]]:
    """Split a PDF or a multi-page TIFF into ``(page number, PNG bytes)``; CPU-bound.

    ``pages`` selects 1-based pages (numbers past the end are ignored). Raises
    :class:`~ocrframe.errors.InputFileError` like :func:`count_pages`.

    >>> [n for n, _ in page_pngs(two_page_pdf)]  # doctest: +SKIP
    [1, 2]
    """
    try:
        return list(iter_page_pngs(content, pages=pages, dpi=dpi))
    except InputFileError as exc:
        raise InputFileError(exc.message, code=exc.code, source=source) from exc


def iter_page_pngs(
    content: bytes, *, pages: Sequence[int] | None = None, dpi: int = 200
) -> Iterator[tuple[int, bytes]]:
    """Yield ``(page number, PNG bytes)`` one page at a time: only the pages asked for are
    rendered, and each page's pixels are dropped before the next is drawn. Raises
    :class:`~ocrframe.errors.InputFileError` like :func:`page_images`."""
    check_dpi(dpi)
    kind = require_kind(content)
    wanted = set(pages) if pages is not None else None

    def png(image: Image.Image) -> bytes:
        buffer = io.BytesIO()
        image.save(buffer, format="PNG", optimize=False)
        return buffer.getvalue()

    if kind != "pdf":
        for number, image in image_frames(content, kind, wanted):
            yield number, png(image)
        return
    with PDFIUM_LOCK:
        doc = open_pdf(content)
        try:
            count = len(doc)
        finally:
            doc.close()
    numbers = [n for n in range(1, count + 1) if wanted is None or n in wanted]
    check_forms(content, numbers)
    for number in numbers:
        # The lock is taken per page, so that other threads' pdfium work interleaves.
        with PDFIUM_LOCK:
            doc = open_pdf(content)
            try:
                image = render_page(load_page(doc, number - 1), dpi, RENDER_MAX_SIDE)[0]
            finally:
                doc.close()
        yield number, png(image)


def image_frames(
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
                if selected is not None and number not in selected:
                    continue
                # Told from the header, before the pixels are decoded.
                check_geometry(*frame.size)
                yield number, to_rgb(frame)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise InputFileError("the image has too many pixels", code="too_large") from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        # Pillow reports a truncated or malformed image as any of these.
        raise InputFileError(f"the {kind} image cannot be read ({exc})", code="corrupt") from exc


def to_rgb(frame: Image.Image) -> Image.Image:
    """An image frame upright (EXIF) in RGB, transparency on white paper."""
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


def check_dpi(dpi: int) -> None:
    """Refuse a rendering resolution outside 18-1200 dpi (:class:`ConfigurationError`)."""
    if isinstance(dpi, bool) or not isinstance(dpi, int) or not 18 <= dpi <= 1200:
        raise ConfigurationError(f"dpi {dpi!r} is not valid: give a whole number from 18 to 1200")


def require_kind(content: bytes) -> str:
    """The kind of ``content`` (:func:`detect_kind`), or an ``empty``/``unsupported``
    :class:`~ocrframe.errors.InputFileError`."""
    if not content:
        raise InputFileError("the file is empty", code="empty")
    kind = detect_kind(content)
    if kind is None:
        raise InputFileError(
            "not a PDF or an image this engine reads (PDF, PNG, JPEG, TIFF, BMP, GIF, WebP)",
            code="unsupported",
        )
    return kind


def render_pages(content: bytes, numbers: list[int], dpi: int) -> dict[int, bytes | InputFileError]:
    """Each page's PNG, or the error that page alone gives (blocking: run it in a thread).

    The pages are rendered in one go; when that fails, page by page, so that one broken page
    (a page tree that loops back on itself) fails its own row and not its neighbours'.
    """
    try:
        return dict(page_pngs(content, pages=numbers, dpi=dpi))
    except InputFileError as exc:
        if len(numbers) == 1:
            return {numbers[0]: exc}
    result: dict[int, bytes | InputFileError] = {}
    for number in numbers:
        try:
            result.update(page_pngs(content, pages=[number], dpi=dpi))
        except InputFileError as exc:
            result[number] = exc
    return result
