"""The ``invoice`` model's first step: an embedded e-invoice answers, else the printed page.

The XML is read by the core module :mod:`ocrframe._einvoice` (the batch engine reads it too, in
front of a remote service, when asked); this module only decides which reader answers.

Example::

    from ocrframe.engine.pages import load_pages
    result = read_invoice(pdf_bytes, load_pages(pdf_bytes))
    {f["key"]: f["value"] for f in result["fieldList"]}.get("readFrom")   # "einvoice-xml"
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from ocrframe._einvoice import EInvoiceError, read_einvoice
from ocrframe.engine.types import Page

__all__ = ["read_invoice"]

_LOG = logging.getLogger(__name__)


def read_invoice(
    content: bytes, pages: list[Page], selected: Sequence[int] | None = None
) -> dict[str, Any]:
    """The ``invoice`` model: the embedded e-invoice when there is one, else the printed page.

    ``selected`` is the request's page selection: the XML describes the whole document, so it
    answers only when page 1 is asked for (or every page). An attachment that cannot be read
    leaves the answer to the printed-page reader, with an ``einvoiceError`` field saying why.
    """
    from ocrframe.engine.invoice import extract_invoice

    problem = None
    if selected is None or 1 in selected:
        try:
            embedded = read_einvoice(content)
        except EInvoiceError as exc:
            _LOG.warning("embedded e-invoice not read: %s", exc)
            problem = str(exc)
        else:
            if embedded is not None:
                return embedded
    result = extract_invoice(pages)
    if problem is not None:
        page = pages[0].number if pages else 1
        result["fieldList"].append({"pageNumber": page, "key": "einvoiceError", "value": problem})
    return result
