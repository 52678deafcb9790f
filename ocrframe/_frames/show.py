"""Look at a document: its pages, rendered from the file itself, beside the values read from it.

The service sends values only, so the pages come from the file on disk: :func:`locate` finds it
from the document's ``source`` and the folders or files the run was given, and its content hash
is compared with the ``sha256`` in ``documents`` (a file changed since it was read is said so).
:func:`document_widget` lays the pages out on the left and, on the right, the document's status
and warnings, its fields (page, key, value), its line items and tax lines (one row per line, a
column per key) and its checks.
"""

from __future__ import annotations

import hashlib
import html
import io
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from ocrframe._frames import Extraction

__all__ = ["document_widget", "locate", "values_html"]

#: Pages shown at most (a long document shows its first pages and says how many are left out).
MAX_PAGES = 12
#: Width of a page image on screen, in CSS pixels.
PAGE_WIDTH = 480

PageRenderer = Callable[[bytes, int], list[Any]]


def locate(source: str, given: Sequence[str | os.PathLike[str]]) -> Path | None:
    """The file a ``source`` names: under one of the folders ``given``, one of the files
    ``given`` (by name), or ``source`` itself as a path. None when none exists.

    >>> locate("nowhere.pdf", []) is None
    True
    """
    for item in given:
        root = Path(item)
        if root.is_dir():
            candidate = root / source
            if candidate.is_file():
                return candidate
        elif root.is_file() and (root.name == source or str(root).replace(os.sep, "/") == source):
            return root
    direct = Path(source)
    return direct if direct.is_file() else None


def _rows(frame: pd.DataFrame, source: str, page: Any = None) -> pd.DataFrame:
    rows = frame[frame["source"] == source]
    if page is not None and "page" in rows.columns:
        rows = rows[rows["page"] == page]
    return rows.reset_index(drop=True)


def _table(frame: pd.DataFrame, drop: Sequence[str]) -> str:
    shown = frame.drop(columns=[c for c in drop if c in frame.columns])
    if shown.empty:
        return "<p><i>none</i></p>"
    return str(shown.to_html(index=False, na_rep="", escape=True, border=0))


def values_html(extraction: Extraction, source: str, note: str | None = None) -> str:
    """The values read from one document as HTML: status and warnings, fields, line items,
    tax lines (wide, one row per line) and checks.

    >>> from ocrframe._frames import Extraction
    >>> "no document" in values_html(Extraction.empty(), "a.pdf")
    True
    """
    docs = _rows(extraction.documents, source)
    if docs.empty:
        return f"<p>There is no document <code>{html.escape(source)}</code> in this extraction.</p>"
    parts = [f"<h4>{html.escape(source)}</h4>"]
    if note:
        parts.append(f"<p><b>{html.escape(note)}</b></p>")
    for _, doc in docs.iterrows():
        status = str(doc["status"])
        line = f"status <b>{html.escape(status)}</b>"
        if doc.get("error_code") is not None and doc["error_code"] is not pd.NA:
            code, message = doc["error_code"], doc["error_message"]
            line += f": {html.escape(str(code))} {html.escape(str(message))}"
        parts.append(f"<p>{line}</p>")
        warnings = doc.get("warnings")
        if warnings is not None and warnings is not pd.NA and len(warnings):
            items = "".join(f"<li>{html.escape(str(w))}</li>" for w in warnings)
            parts.append(f"<p>Warnings:</p><ul>{items}</ul>")
    ids = ["source", "file_id"]
    parts.append("<h5>Fields</h5>")
    parts.append(_table(_rows(extraction.fields, source)[["page", "key", "value"]], []))
    for title, wide in (
        ("Line items", extraction.items_wide()),
        ("Tax lines", extraction.taxes_wide()),
    ):
        rows = _rows(wide, source)
        if not rows.empty or title == "Line items":
            parts.append(f"<h5>{title}</h5>")
            parts.append(_table(rows, ids))
    texts = _rows(extraction.texts, source)
    if not texts.empty:
        parts.append("<h5>Text</h5>")
        parts.append(_table(texts, ["source"]))
    checks = getattr(extraction, "checks", None)
    if callable(checks):
        rows = _rows(checks(), source)
        if not rows.empty:
            parts.append("<h5>Checks</h5>")
            parts.append(_table(rows, ids))
    return "\n".join(parts)


def _default_renderer(content: bytes, dpi: int) -> list[Any]:
    from ocrframe._documents import page_images

    images: list[Any] = page_images(content, dpi=dpi)
    return images


#: Longest side of a page image sent to the notebook, in pixels: a 300 dpi scan would otherwise
#: put megabytes into the notebook for a picture shown 480 pixels wide.
MAX_SIDE = 1000


def _png(image: Any) -> bytes:
    if max(image.size) > MAX_SIDE:
        image = image.copy()
        image.thumbnail((MAX_SIDE, MAX_SIDE))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()


def document_widget(
    extraction: Extraction,
    source: str,
    given: Sequence[str | os.PathLike[str]] = (),
    *,
    dpi: int = 72,
    max_pages: int = MAX_PAGES,
    render: PageRenderer | None = None,
) -> Any:
    """An ``ipywidgets.HBox``: the document's pages (left) beside its values (right).

    ``given`` are the folders or files the run was given (where ``source`` is looked for).
    A file that cannot be found or read shows the values alone, with a line saying why.
    """
    import ipywidgets as w

    render = render or _default_renderer
    note: str | None = None
    images: list[Any] = []
    path = locate(source, given)
    if path is None:
        note = (
            f"The file {source!r} was not found"
            + (f" under {', '.join(str(g) for g in given)}" if given else "")
            + ": pass folder= to show its pages."
        )
    else:
        content = path.read_bytes()
        digest = hashlib.sha256(content).hexdigest()
        known = {
            str(s)
            for s in _rows(extraction.documents, source)["sha256"].tolist()
            if s is not None and s is not pd.NA
        }
        if known and digest not in known:
            note = f"{path} has changed since it was read: its pages may not match the values."
        try:
            images = render(content, dpi)
        except Exception as exc:  # a file the reader refused is still worth its values
            note = f"The pages of {path} cannot be shown ({exc})."
    shown = images[:max_pages]
    pages: list[Any] = []
    for number, image in enumerate(shown, start=1):
        label = w.HTML(f"<small>page {number} of {len(images)}</small>")
        picture = w.Image(value=_png(image), format="png", layout=w.Layout(width=f"{PAGE_WIDTH}px"))
        pages.append(w.VBox([label, picture]))
    if len(images) > len(shown):
        pages.append(w.HTML(f"<p>{len(images) - len(shown)} more pages not shown.</p>"))
    values = w.HTML(values_html(extraction, source, note))
    left = w.VBox(pages, layout=w.Layout(min_width=f"{PAGE_WIDTH + 10}px" if pages else "0"))
    right = w.VBox([values], layout=w.Layout(overflow="auto"))
    return w.HBox([left, right])
