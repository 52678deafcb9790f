"""Pages and words: the PDF text layer, OCR of scans and images, selections, errors."""

from __future__ import annotations

import io
import math
import random
import subprocess
import sys
import textwrap
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from PIL import Image, ImageFilter
from reportlab.lib.pagesizes import A4, letter
from reportlab.pdfbase.pdfmetrics import getAscent, getDescent, stringWidth
from reportlab.pdfgen import canvas

from ocrframe.engine.pages import detect_kind, load_pages, page_images, reading_order
from ocrframe.engine.types import Page, Word
from ocrframe.errors import InputFileError, PageRangeError

INVOICE_NUMBER = "INV-20260042"
FONT, SIZE = "Helvetica", 12


def _pdf(
    pages: list[list[tuple[float, float, str]]],
    *,
    size: tuple[float, float] = letter,
    rotate: int = 0,
    font_size: float = SIZE,
) -> bytes:
    """A PDF whose page i shows ``(x, baseline_y, text)`` items, PDF coordinates (y upwards)."""
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=size)
    for items in pages:
        if rotate:
            c.setPageRotation(rotate)
        c.setFont(FONT, font_size)
        for x, y, text in items:
            c.drawString(x, y, text)
        c.showPage()
    c.save()
    return buf.getvalue()


# A small page keeps OCR quick (a second or less per image on two cores).
SMALL = (420.0, 170.0)
NUMBER_BASELINE = 110.0


def _invoice_pdf() -> bytes:
    return _pdf(
        [
            [
                (20, 140, "ACME Tools GmbH"),
                (20, NUMBER_BASELINE, f"Invoice number: {INVOICE_NUMBER}"),
                (20, 85, "Invoice date: 2026-11-21"),
                (20, 55, "Total due: 154.06 EUR"),
            ]
        ],
        size=SMALL,
        font_size=16,
    )


def _scan(pdf: bytes, *, dpi: int = 150, seed: int = 7) -> Image.Image:
    """Render page 1 and make it look scanned: blur, speckle noise, greyscale."""
    doc = pdfium.PdfDocument(pdf)
    try:
        image: Image.Image = doc[0].render(scale=dpi / 72).to_pil().convert("L")
    finally:
        doc.close()
    image = image.filter(ImageFilter.GaussianBlur(0.8))
    rng = random.Random(seed)
    pixels = image.load()
    assert pixels is not None
    w, h = image.size
    for _ in range(w * h // 60):
        pixels[rng.randrange(w), rng.randrange(h)] = rng.choice((0, 90, 200, 255))
    return image.convert("RGB")


def _encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format=fmt, **options)
    return buf.getvalue()


def _texts(page: Page) -> list[str]:
    return [w.text for w in page.words]


# --- detect_kind ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "kind"),
    [
        ("PNG", "png"),
        ("JPEG", "jpeg"),
        ("TIFF", "tiff"),
        ("BMP", "bmp"),
        ("GIF", "gif"),
        ("WEBP", "webp"),
    ],
)
def test_detect_kind_images(fmt: str, kind: str) -> None:
    assert detect_kind(_encode(Image.new("RGB", (8, 8), "white"), fmt)) == kind


def test_detect_kind_pdf_and_others() -> None:
    assert detect_kind(_invoice_pdf()) == "pdf"
    assert detect_kind(b"\r\n%PDF-1.4\n") == "pdf"  # junk before the header is tolerated
    assert detect_kind(b"MM\x00*rest") == "tiff"
    assert detect_kind(b"") is None
    assert detect_kind(b"PK\x03\x04 a zip file") is None
    assert detect_kind(b"RIFF\x00\x00\x00\x00WAVEfmt ") is None


# --- text layer ----------------------------------------------------------------------------------


def test_text_layer_words_and_boxes() -> None:
    pdf = _pdf([[(72, 720, "Invoice number: INV-7"), (300, 500, "Total 154.06")]])
    (page,) = load_pages(pdf)
    assert (page.number, page.width, page.height, page.origin) == (1, 612, 792, "text-layer")
    assert _texts(page) == ["Invoice", "number:", "INV-7", "Total", "154.06"]

    first = page.words[0]
    assert first.x0 == pytest.approx(72, abs=1.5)
    assert first.x1 == pytest.approx(72 + stringWidth("Invoice", FONT, SIZE), abs=1.5)
    # y downwards: the baseline at 720 pt from the bottom is 72 pt from the top.
    baseline = 792 - 720
    # pdfium's loose boxes run from the font's ascent (at least the capitals) to its descent.
    assert baseline - 1.1 * SIZE <= first.y0 <= baseline - getAscent(FONT, SIZE) + 0.5
    assert baseline <= first.y1 <= baseline - getDescent(FONT, SIZE) + 1.5
    assert first.confidence == 1.0

    number = page.words[2]
    start = 72 + stringWidth("Invoice number: ", FONT, SIZE)
    assert number.x0 == pytest.approx(start, abs=1.5)
    assert number.x1 == pytest.approx(start + stringWidth("INV-7", FONT, SIZE), abs=1.5)

    total = page.words[4]
    assert total.y0 > first.y1  # lower on the page means larger y
    assert total.cy == pytest.approx(792 - 500 - SIZE * 0.3, abs=3)


def test_reading_order_is_lines_then_x() -> None:
    # Drawn right column first and bottom line first: the result reads left to right, top down.
    pdf = _pdf([[(300, 700, "right"), (72, 650, "second"), (72, 700, "left"), (400, 650, "end")]])
    (page,) = load_pages(pdf)
    assert _texts(page) == ["left", "right", "second", "end"]


def test_reading_order_joins_mixed_sizes_on_one_baseline() -> None:
    small = Word("Total:", 10, 100, 40, 108)
    big = Word("154.06", 50, 96, 90, 110)
    below = Word("EUR", 10, 120, 30, 128)
    assert [w.text for w in reading_order([below, big, small])] == ["Total:", "154.06", "EUR"]


def test_gap_without_space_splits_words() -> None:
    # Two strings drawn apart with no space character between them are two words.
    pdf = _pdf([[(72, 700, "Qty"), (72 + stringWidth("Qty", FONT, SIZE) + 20, 700, "12")]])
    (page,) = load_pages(pdf)
    assert _texts(page) == ["Qty", "12"]


def test_multi_page_numbers_and_selection() -> None:
    pdf = _pdf([[(72, 700, f"Page {n} body")] for n in range(1, 5)])
    pages = load_pages(pdf)
    assert [p.number for p in pages] == [1, 2, 3, 4]
    assert [_texts(p)[1] for p in pages] == ["1", "2", "3", "4"]
    chosen = load_pages(pdf, pages=[4, 2, 9])  # 9 is past the end: ignored
    assert [p.number for p in chosen] == [2, 4]
    assert _texts(chosen[1]) == ["Page", "4", "body"]
    assert load_pages(pdf, pages=[7]) == []
    with pytest.raises(PageRangeError):
        load_pages(pdf, pages=[0])


def test_rotated_page_gives_displayed_boxes_and_whole_words() -> None:
    # reportlab writes a 792 x 612 media box with /Rotate 90: displayed upright as 612 x 792,
    # with the text running down the page.
    pdf = _pdf([[(72, 520, "Sideways text")]], rotate=90)
    (page,) = load_pages(pdf)
    assert (page.width, page.height) == (612, 792)
    assert _texts(page) == ["Sideways", "text"]
    sideways, text = page.words
    for w in page.words:
        assert 0 <= w.x0 < w.x1 <= page.width
        assert 0 <= w.y0 < w.y1 <= page.height
        assert w.y1 - w.y0 > w.x1 - w.x0  # vertical on the displayed page
    assert sideways.y0 == pytest.approx(72, abs=1.5)
    assert text.y0 > sideways.y1


# --- images and OCR ------------------------------------------------------------------------------


def test_scanned_png_is_read_into_words() -> None:
    image = _scan(_invoice_pdf())
    (page,) = load_pages(_encode(image, "PNG"))
    assert page.origin == "ocr"
    assert (page.width, page.height) == image.size
    texts = _texts(page)
    assert INVOICE_NUMBER in texts
    assert "154.06" in texts
    assert all(" " not in t for t in texts)
    # Word boxes, not line boxes: the number starts right of its label, on the same line.
    label = page.words[texts.index("number:")]
    number = page.words[texts.index(INVOICE_NUMBER)]
    assert number.x0 >= label.x1 - 1
    assert number.x1 - number.x0 > 2 * (label.x1 - label.x0) * 0.5
    assert abs(number.cy - label.cy) < number.height
    # 16 pt text on a baseline 110 pt up a 170 pt page, at 150 dpi.
    assert number.cy == pytest.approx((SMALL[1] - NUMBER_BASELINE - 5) * 150 / 72, abs=15)


@pytest.mark.parametrize("angle", [180, 90])
def test_rotated_scan_is_turned_upright(angle: int) -> None:
    image = _scan(_invoice_pdf()).rotate(angle, expand=True)
    (page,) = load_pages(_encode(image, "JPEG", quality=80))
    upright = _scan(_invoice_pdf()).size
    assert (page.width, page.height) == upright  # the turned page's size
    texts = _texts(page)
    assert texts[:3] == ["ACME", "Tools", "GmbH"]
    label = page.words[texts.index("number:")]
    number = page.words[texts.index(INVOICE_NUMBER)]
    assert label.x1 <= number.x0 + 1
    assert abs(number.cy - label.cy) < number.height


def test_pdf_page_without_text_layer_is_ocrd_in_points() -> None:
    image = _scan(_invoice_pdf(), dpi=150)
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=SMALL)
    c.drawInlineImage(image, 0, 0, width=SMALL[0], height=SMALL[1])
    c.showPage()
    c.save()
    (page,) = load_pages(buf.getvalue())
    assert page.origin == "ocr"
    assert (page.width, page.height) == SMALL
    texts = _texts(page)
    assert INVOICE_NUMBER in texts
    number = page.words[texts.index(INVOICE_NUMBER)]
    assert number.cy == pytest.approx(SMALL[1] - NUMBER_BASELINE - 5, abs=8)
    assert 20 < number.x0 < number.x1 < SMALL[0]


def test_multi_page_tiff_gives_one_page_per_frame() -> None:
    pdf = _pdf([[(20, 40, "ALPHA 111")], [(20, 40, "BRAVO 222")]], size=(200, 80), font_size=20)
    frames = page_images(pdf, dpi=150)
    assert [f.size for f in frames] == [(417, 167), (417, 167)]
    buf = io.BytesIO()
    frames[0].save(buf, format="TIFF", save_all=True, append_images=frames[1:])
    tiff = buf.getvalue()
    assert detect_kind(tiff) == "tiff"
    assert len(page_images(tiff)) == 2
    pages = load_pages(tiff)
    assert [p.number for p in pages] == [1, 2]
    assert _texts(pages[0]) == ["ALPHA", "111"]
    assert _texts(pages[1]) == ["BRAVO", "222"]
    (second,) = load_pages(tiff, pages=[2])
    assert (second.number, _texts(second)) == (2, ["BRAVO", "222"])


def test_page_images_of_pdf_and_image() -> None:
    pdf = _pdf([[(72, 700, "one")], [(72, 700, "two")]], size=A4)
    images = page_images(pdf, dpi=72)
    assert len(images) == 2
    for im in images:
        assert im.size[0] == pytest.approx(595, abs=1)
        assert im.size[1] == pytest.approx(842, abs=1)
    assert all(im.mode == "RGB" for im in images)
    (single,) = page_images(_encode(Image.new("LA", (30, 20)), "PNG"))
    assert (single.mode, single.size) == ("RGB", (30, 20))
    assert single.getpixel((0, 0)) == (255, 255, 255)  # transparent becomes white paper


# --- errors --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"", "empty"),
        (b"just some text, not a document", "unsupported"),
        (b"PK\x03\x04" + b"\x00" * 40, "unsupported"),
        (b"%PDF-1.7\n1 0 obj garbage\n%%EOF", "corrupt"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "corrupt"),
        (b"\xff\xd8\xff\xe0" + b"\x13" * 40, "corrupt"),
        (b"II*\x00" + b"\x00" * 40, "corrupt"),
    ],
)
def test_bad_input_raises_input_file_error(content: bytes, code: str) -> None:
    with pytest.raises(InputFileError) as info:
        load_pages(content)
    assert info.value.code == code
    with pytest.raises(InputFileError) as again:
        page_images(content)
    assert again.value.code == code


def test_truncated_png_is_corrupt() -> None:
    png = _encode(Image.new("RGB", (200, 200), "white"), "PNG")
    with pytest.raises(InputFileError) as info:
        load_pages(png[: len(png) // 2])
    assert info.value.code == "corrupt"


# --- no network ----------------------------------------------------------------------------------


def test_models_load_and_run_without_network(tmp_path: Path) -> None:
    pdf = _pdf([[(20, 40, "OFFLINE 4711")]], size=(220, 80), font_size=20)
    (image,) = page_images(pdf, dpi=150)
    (tmp_path / "page.png").write_bytes(_encode(image, "PNG"))
    script = textwrap.dedent(
        """
        import sys
        attempts = []

        def refuse(event, args):
            # Creating a socket is harmless (urllib3 probes for IPv6 at import); using one is not.
            if event in ("socket.connect", "socket.getaddrinfo", "socket.gethostbyname",
                         "socket.sendto", "urllib.Request", "http.client.connect"):
                attempts.append(event)
                raise OSError("network use in the engine: " + event)

        sys.addaudithook(refuse)
        from ocrframe.engine.pages import load_pages
        (page,) = load_pages(open(sys.argv[1], "rb").read())
        print("WORDS", " ".join(w.text for w in page.words))
        print("ATTEMPTS", len(attempts))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "page.png")],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).parents[2],
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "WORDS OFFLINE 4711" in done.stdout
    assert "ATTEMPTS 0" in done.stdout


def test_concurrent_reads_from_threads_agree() -> None:
    # The server reads documents from worker threads; pdfium itself is not thread-safe.
    from concurrent.futures import ThreadPoolExecutor

    pdf = _pdf([[(72, 700 - 12 * i, f"line {i} of page {n}") for i in range(40)] for n in range(3)])
    expected = [_texts(p) for p in load_pages(pdf)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: [_texts(p) for p in load_pages(pdf)], range(24)))
    assert all(r == expected for r in results)


def test_bad_dpi_is_a_configuration_error() -> None:
    from ocrframe.errors import ConfigurationError

    for dpi in (0, -5, 5000):
        with pytest.raises(ConfigurationError):
            load_pages(_invoice_pdf(), dpi=dpi)
        with pytest.raises(ConfigurationError):
            page_images(_invoice_pdf(), dpi=dpi)


def test_sparse_full_page_scan_is_read() -> None:
    # A few words on a whole 200-dpi page: RapidOCR's detector sees nothing at full size, so the
    # engine looks again at a smaller scale.
    pdf = _pdf([[(72, 700, "Qty"), (72 + stringWidth("Qty", FONT, SIZE) + 20, 700, "12")]])
    (image,) = page_images(pdf, dpi=200)
    (page,) = load_pages(_encode(image, "PNG"))
    assert _texts(page) == ["Qty", "12"]
    qty = page.words[0]
    assert qty.x0 == pytest.approx(72 * 200 / 72, abs=12)


def test_scanned_pdf_with_a_stamp_of_text_is_ocrd() -> None:
    # A full-page scan plus a little digital text (a page number) is a scan, not a text layer.
    image = _scan(_invoice_pdf())
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=SMALL)
    c.drawInlineImage(image, 0, 0, width=SMALL[0], height=SMALL[1])
    c.setFont(FONT, 6)
    c.drawString(380, 5, "Page 1")
    c.showPage()
    c.save()
    (page,) = load_pages(buf.getvalue())
    assert page.origin == "ocr"
    assert INVOICE_NUMBER in _texts(page)


def test_password_protected_pdf_is_unsupported() -> None:
    buf = io.BytesIO()
    c = canvas.Canvas(buf, encrypt="secret")
    c.drawString(72, 700, "hidden")
    c.showPage()
    c.save()
    with pytest.raises(InputFileError) as info:
        load_pages(buf.getvalue())
    assert info.value.code == "unsupported"
    assert "password" in info.value.message


def test_a_scan_turned_by_two_degrees_carries_its_slope() -> None:
    # PIL turns counter-clockwise for a positive angle: the lines then rise to the right, so
    # y falls as x grows (a negative dy/dx in image coordinates)
    straight = _scan(_invoice_pdf())
    (level,) = load_pages(_encode(straight, "PNG"))
    (turned,) = load_pages(_encode(straight.rotate(2, expand=True, fillcolor="white"), "PNG"))
    assert level.skew is None or abs(level.skew) < 0.01
    assert turned.skew is not None
    assert turned.skew == pytest.approx(-math.tan(math.radians(2)), abs=0.01)
