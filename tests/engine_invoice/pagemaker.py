"""Literal pages of words for the printed-page reader's tests, and views of its answers.

Each page is written from scratch (no real document's names or values): rows of phrases at
given positions, each phrase split into words one space apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ocrframe.engine.types import Page, Word

CHAR = 5.0  # width of one character in these literal pages
HEIGHT = 10.0

# A row: (y, [(x, "text of a phrase"), ...]); each phrase is split into words one space apart.
Row = tuple[float, Sequence[tuple[float, str]]]

TABLE_HEADER: Row = (
    200,
    [(40, "Description"), (300, "Qty"), (360, "Unit Price"), (440, "VAT %"), (520, "Amount")],
)


def make_page(rows: Sequence[Row], number: int = 1, width: float = 600.0) -> Page:
    """A page of the words of ``rows``, ``CHAR`` wide per character and ``HEIGHT`` high."""
    words: list[Word] = []
    for y, phrases in rows:
        for x, text in phrases:
            cursor = x
            for token in text.split():
                w = len(token) * CHAR
                words.append(Word(token, cursor, y, cursor + w, y + HEIGHT))
                cursor += w + CHAR
    return Page(number, width, 800.0, words)


def fields(result: dict[str, Any]) -> dict[str, tuple[str, int]]:
    """The first value and page of each field of an answer."""
    out: dict[str, tuple[str, int]] = {}
    for f in result["fieldList"]:
        out.setdefault(f["key"], (f["value"], f["pageNumber"]))
    return out


def values(result: dict[str, Any]) -> dict[str, str]:
    """The first value of each field of an answer."""
    return {k: v for k, (v, _) in fields(result).items()}


def items(result: dict[str, Any]) -> list[dict[str, Any]]:
    """An answer's line items as dictionaries of key -> value."""
    return [{c["key"]: c["value"] for c in row} for row in result["itemList"]]
