"""Hostile files, built on the spot: tiny on disk, ruinous to a careless reader.

Every builder returns bytes (nothing is stored in the repository), and each says what it attacks.
"""

from __future__ import annotations

import struct
import zlib

from tests.makers import assemble_pdf


def pdf(objects: list[bytes], *, root: int = 1) -> bytes:
    """A PDF of ``objects`` (object ``i + 1`` is ``objects[i]``) with a correct xref table."""
    return assemble_pdf(objects, root=root)


def _stream(data: bytes, extra: bytes = b"") -> bytes:
    return b"<< /Length %d %s >>\nstream\n" % (len(data), extra) + data + b"\nendstream"


def blank_pages(count: int) -> bytes:
    """``count`` blank A4 pages sharing one empty content stream: 300 pages in ~35 KB.

    Attacks: rendering every page before sending any (memory), and time per file.
    """
    kids = b" ".join(b"%d 0 R" % (4 + i) for i in range(count))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % count,
        _stream(b""),
    ]
    objects += [b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 3 0 R >>"] * count
    return pdf(objects)


def self_containing_page_tree() -> bytes:
    """A page tree whose /Kids holds the tree itself beside one real page."""
    return pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
        ]
    )


def deep_page_tree(levels: int = 3000) -> bytes:
    """``levels`` nested page-tree nodes, one kid each, with one page at the bottom."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>"]
    for level in range(levels):
        number = 2 + level
        parent = b"/Parent %d 0 R " % (number - 1) if level else b""
        objects.append(b"<< /Type /Pages %s/Kids [%d 0 R] /Count 1 >>" % (parent, number + 1))
    objects.append(b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 200 200] >>" % (levels + 1))
    return pdf(objects)


def self_referencing_form() -> bytes:
    """A ~600-byte page drawing a form XObject that draws itself twice, shrunk each time."""
    form = _stream(
        b"q 0.5 0 0 0.5 0 0 cm /X0 Do Q q 0.5 0 0 0.5 100 100 cm /X0 Do Q 0 0 m 200 200 l S",
        b"/Type /XObject /Subtype /Form /BBox [0 0 200 200] "
        b"/Resources << /XObject << /X0 4 0 R >> >>",
    )
    return pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 5 0 R "
            b"/Resources << /XObject << /X0 4 0 R >> >> >>",
            form,
            _stream(b"/X0 Do"),
        ]
    )


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png(width: int, height: int) -> bytes:
    """A valid, minimal grey PNG of ``width`` × ``height`` white pixels (65535×1: ~140 bytes).

    Attacks: readers that scale an image to a fixed height or short side (OCR) without
    bounding the other side.
    """
    raw = (b"\x00" + b"\xff" * width) * height
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(raw, 9))
        + _png_chunk(b"IEND", b"")
    )
