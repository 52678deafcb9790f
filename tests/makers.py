"""Tiny documents made on the spot, and retries without waits: fixtures for every test area
(exposed by the root ``conftest.py``)."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest
import stamina
from PIL import Image, ImageDraw


def assemble_pdf(objects: list[bytes], *, root: int = 1) -> bytes:
    """A PDF of ``objects`` (object ``i + 1`` is ``objects[i]``) with a correct xref table."""
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        root,
        xref,
    )
    return bytes(out)


def tiny_pdf(*texts: str, size: tuple[int, int] = (200, 50)) -> bytes:
    """A born-digital PDF with one page per text (Helvetica, a text layer DocAI's `text` reads)."""
    n = len(texts)
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids ["
        + b" ".join(b"%d 0 R" % (4 + 2 * i) for i in range(n))
        + b"] /Count %d >>" % n,
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    for i, text in enumerate(texts):
        stream = f"BT /F1 14 Tf 10 20 Td ({text}) Tj ET".encode("latin-1")
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] /Contents %d 0 R "
            b"/Resources << /Font << /F1 3 0 R >> >> >>" % (size[0], size[1], 5 + 2 * i)
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    return assemble_pdf(objects)


def tiny_png(text: str, size: tuple[int, int] = (120, 40)) -> bytes:
    """A small text image (black on white)."""
    image = Image.new("RGB", size, "white")
    ImageDraw.Draw(image).text((8, 12), text, fill="black")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def tiny_tiff(*texts: str) -> bytes:
    """A multi-page TIFF, one text per frame."""
    frames = []
    for text in texts:
        image = Image.new("RGB", (120, 40), "white")
        ImageDraw.Draw(image).text((8, 12), text, fill="black")
        frames.append(image)
    buffer = io.BytesIO()
    frames[0].save(buffer, format="TIFF", save_all=True, append_images=frames[1:])
    return buffer.getvalue()


@pytest.fixture
def make_pdfs() -> Callable[[Path, int], list[Path]]:
    """``make_pdfs(folder, n)``: n distinct one-page PDFs ``doc-0000.pdf`` ... in ``folder``."""

    def make(folder: Path, n: int) -> list[Path]:
        folder.mkdir(parents=True, exist_ok=True)
        paths = []
        for i in range(n):
            path = folder / f"doc-{i:04d}.pdf"
            path.write_bytes(tiny_pdf(f"Invoice {i:04d}"))
            paths.append(path)
        return paths

    return make


@pytest.fixture
def no_waits() -> object:
    """Retries without waiting (stamina's testing mode), keeping each call's attempt cap."""
    with stamina.set_testing(True, attempts=1000, cap=True):
        yield


class _Makers:
    """The document makers, handed to tests as a fixture."""

    pdf = staticmethod(tiny_pdf)
    png = staticmethod(tiny_png)
    tiff = staticmethod(tiny_tiff)


@pytest.fixture
def make() -> type[_Makers]:
    """``make.pdf("text", ...)``, ``make.png("text")``, ``make.tiff("a", "b")``: bytes."""
    return _Makers
