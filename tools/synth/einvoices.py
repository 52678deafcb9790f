"""PDFs that carry files: attach an e-invoice's XML to a PDF, as Factur-X / ZUGFeRD do.

For tests and benchmarks of the e-invoice path::

    pdf = attach(render_pdf(spec), {"factur-x.xml": xml_bytes})
"""

from __future__ import annotations

import io

import pypdfium2 as pdfium

from ocrframe._documents import PDFIUM_LOCK

__all__ = ["attach"]


def attach(pdf: bytes, files: dict[str, bytes]) -> bytes:
    """``pdf`` with ``files`` (name -> bytes) added as embedded files, in that order."""
    with PDFIUM_LOCK:
        doc = pdfium.PdfDocument(pdf)
        try:
            for name, data in files.items():
                doc.new_attachment(name).set_data(data)
            out = io.BytesIO()
            doc.save(out)
        finally:
            doc.close()
    return out.getvalue()
