"""Inputs: page selections now; discovering, typing and hashing files (batch issue) next.

Page selections are DocAI's ``legalPageNumbers``: ``"1-1, 3-4"`` means pages 1, 3 and 4.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ocrframe.errors import PageRangeError

__all__ = ["PageSpec", "format_pages", "parse_pages"]

PageSpec = str | Iterable[int]

_RANGE = re.compile(r"^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$")


def parse_pages(spec: PageSpec) -> list[int]:
    """Turn a page selection into a sorted list of distinct 1-based page numbers.

    Accepts DocAI's ``legalPageNumbers`` form (``"1-1, 3-4"``, ``"2"``) or an iterable of ints.
    Raises :class:`PageRangeError` for anything else (``"3-1"``, ``"0-2"``, ``"a"``, ``""``).

    >>> parse_pages("1-1, 3-4")
    [1, 3, 4]
    >>> parse_pages([4, 1, 3])
    [1, 3, 4]
    """
    if isinstance(spec, str):
        if not spec.strip():
            raise PageRangeError("empty page selection: give pages like '1-1, 3-4'")
        pages: set[int] = set()
        for part in spec.split(","):
            m = _RANGE.match(part)
            if m is None:
                raise PageRangeError(
                    f"page range {part.strip()!r} in {spec!r} is not 'N' or 'N-M' "
                    "with whole numbers"
                )
            start = int(m.group(1))
            end = int(m.group(2)) if m.group(2) is not None else start
            if start < 1:
                raise PageRangeError(f"page range {part.strip()!r} in {spec!r}: pages start at 1")
            if end < start:
                raise PageRangeError(
                    f"page range {part.strip()!r} in {spec!r} ends before it starts"
                )
            pages.update(range(start, end + 1))
        return sorted(pages)
    result: set[int] = set()
    for page in spec:
        if isinstance(page, bool) or not isinstance(page, int):
            raise PageRangeError(f"page {page!r} is not a whole number")
        if page < 1:
            raise PageRangeError(f"page {page} is not valid: pages start at 1")
        result.add(page)
    if not result:
        raise PageRangeError("empty page selection: give at least one page")
    return sorted(result)


def format_pages(spec: PageSpec) -> str:
    """Format a page selection as DocAI's ``legalPageNumbers``, merging consecutive pages.

    >>> format_pages([1, 3, 4])
    '1-1, 3-4'
    >>> format_pages("2, 3")
    '2-3'
    """
    pages = parse_pages(spec)
    runs: list[tuple[int, int]] = []
    for p in pages:
        if runs and p == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], p)
        else:
            runs.append((p, p))
    return ", ".join(f"{a}-{b}" for a, b in runs)
