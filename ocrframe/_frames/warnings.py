"""Per-document warnings: what a reading leaves out, said out loud. Pure functions over tables.

A document can be ``ok`` (the service answered) and still say little. :func:`document_warnings`
gives each row of the ``documents`` table a list of short sentences, empty when nothing is odd:

- ``page 5 asked, the file has 2``: pages asked beyond the end of the file (DocAI ignores them);
- ``nothing found``: an ``ok`` answer without a single field, line item, tax line or text;
- ``items: 'unitPrice' empty on every line (3 lines)``: a line-item (or tax-line) key that has a
  value in the lines of other documents of the same service and model in the same table, or in
  the document's own answer, but no value on any of this document's lines;
- ``page 2 of 2: nothing read``: in a document of several pages read, a page with no cell at all;
- ``'invoiceNumber' on pages 1, 2, not 3``: a field read on two or more pages but not on every page
  read (a header repeated on some pages only: one of them was missed);
- ``'grossAmount' differs between pages: 154.06 (page 1), 145.06 (page 2)``: the same field read
  with different values on different pages.

The pages read are the pages asked that exist, or every page of the file; rules about pages are
skipped when the number of pages is unknown. "Other documents in the same table" are those built
together: a whole run, or, when a run streams to ``out=``, the chunk of answers written at once
(and a partition on a Dask cluster); a warning, once written, stays what it was.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pyarrow as pa

__all__ = ["document_warnings", "pages_beyond"]


def pages_beyond(asked: Sequence[int] | None, page_count: int | None) -> str | None:
    """The warning for pages asked beyond the end of the file, or None.

    >>> pages_beyond([5], 2)
    'page 5 asked, the file has 2'
    >>> pages_beyond([1, 2], 2) is None
    True
    """
    if not asked or page_count is None:
        return None
    beyond = sorted({p for p in asked if p > page_count})
    if not beyond:
        return None
    word = "page" if len(beyond) == 1 else "pages"
    return f"{word} {_ranges(beyond)} asked, the file has {page_count}"


def _ranges(numbers: Sequence[int]) -> str:
    """1, 2, 3, 5 -> '1-3, 5'."""
    out: list[str] = []
    start = prev = numbers[0]
    for n in [*numbers[1:], None]:
        if n is not None and n == prev + 1:
            prev = n
            continue
        out.append(str(start) if start == prev else f"{start}-{prev}")
        if n is not None:
            start = prev = n
    return ", ".join(out)


def _pages_read(asked: Sequence[int] | None, page_count: int | None) -> list[int] | None:
    if page_count is None:
        return None
    if asked:
        return sorted({p for p in asked if 1 <= p <= page_count})
    return list(range(1, page_count + 1))


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _cols(table: pa.Table, names: Sequence[str]) -> list[list[Any]]:
    return [table.column(n).to_pylist() for n in names]


def document_warnings(
    tables: dict[str, pa.Table], asked: Sequence[Sequence[int] | None]
) -> list[list[str]]:
    """The warnings of each row of ``tables["documents"]``, in row order.

    ``tables`` holds the Arrow tables ``documents``, ``fields``, ``items``, ``taxes`` and ``texts``
    (the schemas of :data:`ocrframe._frames.SCHEMAS`); ``asked`` the pages asked for each document
    row (None: every page). Child rows belong to a document by ``source`` (and ``page`` for
    CapSolver's texts).
    """
    docs = tables["documents"]
    src, service, model, status, page, pages = _cols(
        docs, ["source", "service", "model", "status", "page", "pages"]
    )
    n = len(src)
    out: list[list[str]] = [[] for _ in range(n)]

    # Cells by source: (page, key, value) for fields; (line, page, key, value) for lines.
    field_cells: dict[str, list[tuple[Any, Any, Any]]] = {}
    f_src, f_page, f_key, f_value = _cols(tables["fields"], ["source", "page", "key", "value"])
    for s, p, k, v in zip(f_src, f_page, f_key, f_value, strict=True):
        field_cells.setdefault(s, []).append((p, k, v))
    line_cells: dict[str, dict[str, list[tuple[Any, Any, Any, Any]]]] = {}
    for table, line in (("items", "item"), ("taxes", "tax")):
        per: dict[str, list[tuple[Any, Any, Any, Any]]] = {}
        cols = _cols(tables[table], ["source", line, "page", "key", "value"])
        for s, i, p, k, v in zip(*cols, strict=True):
            per.setdefault(s, []).append((i, p, k, v))
        line_cells[table] = per
    texts: dict[tuple[Any, Any], list[Any]] = {}
    t_src, t_page, t_text = _cols(tables["texts"], ["source", "page", "text"])
    for s, p, t in zip(t_src, t_page, t_text, strict=True):
        texts.setdefault((s, p), []).append(t)

    # Keys with a value somewhere, per service and model: the columns a line is expected to have.
    rows_of: dict[str, list[int]] = {}
    for at, s in enumerate(src):
        rows_of.setdefault(s, []).append(at)
    known: dict[tuple[str, Any, Any], set[str]] = {}
    for table, per in line_cells.items():
        for s, cells in per.items():
            for at in rows_of.get(s, []):
                group = known.setdefault((table, service[at], model[at]), set())
                # A key the answer names, even with no value, is a column of this model.
                group.update(k for _, _, k, _ in cells if k is not None)

    for at in range(n):
        s = src[at]
        warnings = out[at]
        if service[at] == "capsolver":
            if status[at] == "ok" and all(_blank(t) for t in texts.get((s, page[at]), [None])):
                warnings.append("nothing found")
            continue
        beyond = pages_beyond(asked[at] if at < len(asked) else None, pages[at])
        if beyond:
            warnings.append(beyond)
        fcells = field_cells.get(s, [])
        lines = {t: line_cells[t].get(s, []) for t in line_cells}
        if status[at] == "ok" and not fcells and not any(lines.values()):
            warnings.append("nothing found")
            continue
        for table, cells in lines.items():
            warnings += _empty_columns(table, cells, known.get((table, service[at], model[at])))
        read = _pages_read(asked[at] if at < len(asked) else None, pages[at])
        if read and len(read) > 1 and status[at] == "ok":
            warnings += _page_warnings(read, fcells, lines)
    return out


def _empty_columns(
    table: str, cells: list[tuple[Any, Any, Any, Any]], known: set[str] | None
) -> list[str]:
    if not cells:
        return []
    lines = sorted({i for i, _, _, _ in cells if i is not None})
    filled = {k for _, _, k, v in cells if k is not None and not _blank(v)}
    named = {k for _, _, k, _ in cells if k is not None}
    expected = (known or set()) | named
    count = f"{len(lines)} line" + ("" if len(lines) == 1 else "s")
    return [f"{table}: {key!r} empty on every line ({count})" for key in sorted(expected - filled)]


def _page_warnings(
    read: list[int],
    fcells: list[tuple[Any, Any, Any]],
    lines: dict[str, list[tuple[Any, Any, Any, Any]]],
) -> list[str]:
    warnings: list[str] = []
    with_cells = {p for p, _, _ in fcells} | {p for cells in lines.values() for _, p, _, _ in cells}
    for p in read:
        if p not in with_cells:
            warnings.append(f"page {p} of {read[-1]}: nothing read")
    by_key: dict[str, dict[int, list[Any]]] = {}
    for p, k, v in fcells:
        if k is None or p is None:
            continue
        by_key.setdefault(k, {}).setdefault(p, []).append(v)
    for key, per_page in by_key.items():
        on = sorted(per_page)
        missed = [p for p in read if p not in per_page]
        if len(on) > 1 and missed:
            warnings.append(f"{key!r} on pages {_ranges(on)}, not {_ranges(missed)}")
        firsts = {p: next((v for v in vs if not _blank(v)), None) for p, vs in per_page.items()}
        distinct = {v for v in firsts.values() if v is not None}
        if len(distinct) > 1:
            shown = ", ".join(f"{v} (page {p})" for p, v in sorted(firsts.items()) if v is not None)
            warnings.append(f"{key!r} differs between pages: {shown}")
    return warnings
