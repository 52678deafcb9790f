"""Line items: tables found by their header row and read by its columns.

A table's header is a row of known column labels (a description and at least two numeric
columns); its rows are read by the header's columns. A row with a description but no numbers
continues the description above it; a totals label ends the table (a section's subtotal does
not). A table that runs to the bottom of a page goes on at the top of the next page if that
page has no header.

Example::

    items, used = read_tables({1: group_lines(page)})
    items[0]   # [{"pageNumber": 1, "key": "description", "value": "Widget"}, ...]

Pure and deterministic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ocrframe.engine.hits import COLUMN_INDEX, find_hits, line_hits, totals_label
from ocrframe.engine.labels import TOTALS_FIELDS
from ocrframe.engine.layout import Line, line_phrases, line_tokens
from ocrframe.engine.normalize import (
    find_amounts,
    find_percentages,
    format_amount,
    format_percentage,
)
from ocrframe.engine.rowmath import AMOUNT_KEYS, Alternatives, settle_row
from ocrframe.engine.types import Word

__all__ = ["items_net_sum", "read_tables"]


@dataclass
class _Column:
    key: str
    x0: float
    x1: float


_NUMERIC_KEYS = ("quantity", "unitPrice", "taxRate", "totalPriceExclTax", "totalPriceInclTax")


def _find_header(line: Line) -> list[_Column] | None:
    """The columns of a table header row, left to right, or None if ``line`` is not one."""
    if "header" in line.cache:
        cached: list[_Column] | None = line.cache["header"]
        return cached
    line.cache["header"] = None
    if sum(t in COLUMN_INDEX for t in line_tokens(line)) < 3:
        return None  # a description and two numeric columns: three labels at least
    phrases = line_phrases(line, gap_factor=0.9)
    hits = sorted(find_hits(phrases, COLUMN_INDEX), key=lambda h: h.x0)
    covered: dict[int, int] = {}
    for h in hits:
        covered[id(h.phrase)] = covered.get(id(h.phrase), 0) + h.end - h.start
    for h in hits:
        words = len([t for t in h.phrase.tokens if t])
        if words > 3 and covered[id(h.phrase)] < 0.5 * words:
            return None  # label words inside a sentence
    # two description-like columns ("Artikel", "Omschrijving"): the more specific one is the
    # description, the other a code
    descriptions = [h for h in hits if h.field == "description"]
    main_desc = min(descriptions, key=lambda h: h.rank) if descriptions else None
    # two unit-price-like titles ("Unit", "Unit price"): the more specific one is the price
    prices = [h for h in hits if h.field == "unitPrice"]
    main_price = min(prices, key=lambda h: h.rank) if prices else None
    columns: list[_Column] = []
    seen: set[str] = set()
    for hit in hits:
        key = hit.field
        if key == "description" and hit is not main_desc:
            key = "_code"
        if key == "unitPrice" and hit is not main_price:
            key = "_other"
        if key in seen:
            # a second amount or tax column: the incl.-tax amount, the tax amount
            if key == "totalPriceExclTax" and "totalPriceInclTax" not in seen:
                key = "totalPriceInclTax"
            elif key == "taxRate":
                key = "_taxAmount"
            else:
                key = "_other"
        seen.add(key)
        columns.append(_Column(key, hit.x0, hit.x1))
    numeric = [c for c in columns if c.key in _NUMERIC_KEYS]
    if main_desc is None or len(numeric) < 2:
        return None
    # a header word that names no known column ("Date", "Lot") still has a column below it:
    # the description does not run into it
    labelled = {id(h.phrase) for h in hits}
    for phrase in phrases:
        if (
            id(phrase) not in labelled
            and phrase.x0 > main_desc.x1
            and re.search(r"[^\W\d_]{2}", phrase.text)
        ):
            columns.append(_Column("_other", phrase.x0, phrase.x1))
    columns.sort(key=lambda c: c.x0)
    line.cache["header"] = columns
    return columns


def _stack_header(columns: list[_Column], above: Line, header: Line) -> bool:
    """Fold the first line of a two-line header into ``columns`` (in place): a column label
    printed right above a header word continues on it ("Unit Price Excl." over "VAT" is the
    unit price, not a tax column); one above no header word is a column of its own. Whether
    ``above`` was such a line."""
    if header.y0 - above.y1 > 0.8 * header.height or _find_header(above) is not None:
        return False
    phrases = line_phrases(above, gap_factor=0.9)
    hits = find_hits(phrases, COLUMN_INDEX)
    labelled = {id(h.phrase): h for h in hits if h.start == 0 and h.end == len(h.phrase.tokens)}
    if not phrases or any(id(p) not in labelled for p in phrases if re.search(r"\d", p.text)):
        return False  # numbers above the header: a row or a total, not a title
    changed = False
    for phrase in phrases:
        hit = labelled.get(id(phrase))
        if hit is None:
            continue
        under = [c for c in columns if c.x0 < phrase.x1 and phrase.x0 < c.x1]
        if len(under) == 1 and under[0].key in ("taxRate", "_taxAmount", "_other"):
            under[0].key = hit.field
            under[0].x0, under[0].x1 = min(under[0].x0, phrase.x0), max(under[0].x1, phrase.x1)
            changed = True
        elif not under and hit.field != "description":
            # a column titled only above the header line ("Item no." over an empty slot):
            # its cells are not the description's
            key = hit.field if hit.field in _NUMERIC_KEYS else "_code"
            if key in {c.key for c in columns}:
                continue
            columns.append(_Column(key, phrase.x0, phrase.x1))
            columns.sort(key=lambda c: c.x0)
            changed = True
    keys = [c.key for c in columns]
    if changed and "taxRate" not in keys and "_taxAmount" in keys:
        # the tax column that was second is the only one left
        columns[keys.index("_taxAmount")].key = "taxRate"
    return changed


def _assign(columns: list[_Column], word: Word) -> str | None:
    """The column a row's word belongs to: numbers by overlap with their header, text by the
    description column's span (from its header to the next column)."""
    desc_index = next(i for i, c in enumerate(columns) if c.key == "description")
    desc = columns[desc_index]
    desc_end = columns[desc_index + 1].x0 if desc_index + 1 < len(columns) else 1e9
    desc_start = desc.x0 - 15
    if desc_index > 0:
        desc_start = max(desc_start, min(desc.x0, columns[desc_index - 1].x1 + 4))
    in_desc = desc_start <= word.x0 and word.x1 <= desc_end - 2
    if not in_desc and desc_index > 0 and word.x1 > desc.x0 and word.x1 <= desc_end - 2:
        # a word that runs under the description's title from left of it, clear of the
        # column before: the description's first word ("NAME & DESIGNATION" over a wide cell)
        in_desc = word.x0 >= columns[desc_index - 1].x1 + 4 and not re.search(r"\d", word.text)
    best, best_overlap = None, 0.0
    for c in columns:
        if c.key == "description":
            continue
        overlap = min(word.x1, c.x1 + 4) - max(word.x0, c.x0 - 4)
        if overlap > best_overlap:
            best, best_overlap = c.key, overlap
    if in_desc:
        return "description"
    if best is not None:
        return best
    if desc_start <= word.x0 < desc_end:
        return "description"
    # right-aligned numbers wider than their header: the column whose right edge is nearest
    after = [c for c in columns if c.x0 >= desc_end - 1]
    if not after or word.x0 < desc_end:
        return None
    return min(after, key=lambda c: abs(word.x1 - c.x1)).key


def _assign_line(columns: list[_Column], words: list[Word]) -> list[str | None]:
    """Columns of a row's words; a thousands group written with a space ("9 464,24") stays in
    the column of the digits that follow it; a row's number right-aligned under a narrow
    index column ("#", "Pos") is not the description's first word."""
    keys = [_assign(columns, w) for w in words]
    desc = next((c for c in columns if c.key == "description"), None)
    index = [c for c in columns if c.key == "_index" and desc is not None and c.x1 <= desc.x0]
    if (
        index
        and desc is not None
        and keys
        and keys[0] == "description"
        and re.fullmatch(r"\d{1,4}\.?", words[0].text)
        and words[0].x0 < desc.x0
    ):
        keys[0] = "_index"
    for k in range(len(words) - 2, -1, -1):
        word, nxt = words[k], words[k + 1]
        if (
            re.fullmatch(r"-?\d{1,3}", word.text)
            and re.fullmatch(r"\d{3}(?:[.,]\d{1,2})?", nxt.text)
            and nxt.x0 - word.x1 < 0.8 * max(word.height, nxt.height)
            and keys[k + 1] not in (None, "description")
        ):
            keys[k] = keys[k + 1]
    return keys


def read_tables(
    lines_by_page: dict[int, list[Line]],
    alternatives: dict[int, Alternatives] | None = None,
) -> tuple[list[list[dict[str, Any]]], set[int]]:
    """Item rows of every table; and the ids of the lines they used (headers included).

    A table that runs to the bottom of a page goes on at the top of the next page when that
    page has no header of its own. A row whose arithmetic allows several readings equally well
    is given as its columns read it, and the other readings go into ``alternatives`` under
    ``id(row)`` (for :func:`~ocrframe.engine.rowmath.reconcile`).
    """
    if alternatives is None:
        alternatives = {}
    items: list[list[dict[str, Any]]] = []
    used: set[int] = set()
    carry: list[_Column] | None = None
    for page, lines in lines_by_page.items():
        i = 0
        if carry is not None and not any(_find_header(ln) for ln in lines):
            rows, i, open_end = _table_rows(lines, 0, carry, page, used, alternatives, carried=True)
            items += rows
            carry = carry if open_end else None
        else:
            carry = None
        while i < len(lines):
            columns = _find_header(lines[i])
            if columns is None:
                i += 1
                continue
            if i > 0 and _stack_header(columns, lines[i - 1], lines[i]):
                used.add(id(lines[i - 1]))
            used.add(id(lines[i]))
            rows, i, open_end = _table_rows(
                lines, i + 1, columns, page, used, alternatives, carried=False
            )
            items += rows
            carry = columns if open_end else None
    return items, used


def _table_rows(
    lines: list[Line],
    i: int,
    columns: list[_Column],
    page: int,
    used: set[int],
    alternatives: dict[int, Alternatives],
    *,
    carried: bool,
) -> tuple[list[list[dict[str, Any]]], int, bool]:
    """Rows of one table from ``lines[i]`` on: (items, index after the table, whether the table
    ran to the end of the page without a totals line)."""
    items: list[list[dict[str, Any]]] = []
    order = [c.key for c in columns]
    current: dict[str, list[str]] | None = None
    pending: tuple[list[str], float] | None = None  # a description waiting for its amounts
    loose: tuple[list[str], float] | None = None  # the last description that made no row
    # the last line joined to a row as its continuation: its words, centre, the row's before
    joined: tuple[list[str], float, list[str]] | None = None
    after_subtotal = False
    last_y = lines[i - 1].y1 if i > 0 else -1e9
    pitch = lines[i - 1].height * 1.2 if i > 0 else 1.0
    while i < len(lines):
        line = lines[i]
        if not carried and line.y0 - last_y > max(6 * pitch, 60):
            # far below the last row: the table ended, or it goes on over the page's footer
            return items, i, not any(totals_label(ln) for ln in lines[i:])
        if not re.search(r"\w", line.text):
            i += 1
            continue
        if _find_header(line) is not None:
            return items, i, False
        totals = totals_label(line)
        cells: dict[str, list[str]] = {}
        for word, key in zip(line.words, _assign_line(columns, line.words), strict=True):
            if key:
                cells.setdefault(key, []).append(word.text)
        numbers = {k for k, v in cells.items() if k != "description" and find_amounts(" ".join(v))}
        if (
            carried
            and not items
            and totals is None
            and (line_hits(line) or not cells.get("description"))
        ):
            i += 1  # the top of a continued page: its own header lines, not rows
            continue
        # "Subtotal hardware  1  Stk  1.050,00  1.050,00": a quantity and a unit price make a
        # row, whatever its words (a total has neither)
        row_like = (
            bool(cells.get("description"))
            and {"quantity", "unitPrice"} <= numbers
            and bool(numbers & {"totalPriceExclTax", "totalPriceInclTax"})
        )
        if row_like:
            totals = None
        hits = line_hits(line)
        starts_with_label = bool(hits) and hits[0].phrase.x0 <= line.words[0].x0
        if totals is None and not row_like and starts_with_label and hits[0].start == 0:
            # a line that starts with a label ("Page 1 of 2", "Invoice No: 7") is not a row
            used.add(id(line))
            i += 1
            continue
        if totals is not None and not re.search(r"\d", line.text):
            # a label without a number ("excl. MwSt." under a column title): not a row
            used.add(id(line))
            i += 1
            continue
        if totals is not None:
            if totals == "netAmount" and not _is_final_subtotal(lines, i, columns):
                # a section's subtotal: the table goes on below it
                after_subtotal = True
                current = None
                used.add(id(line))
                last_y = line.y1
                i += 1
                continue
            return items, i, False
        has_amount = bool(numbers & _PRICED)
        if (
            has_amount
            and not cells.get("description")
            and line.y0 - last_y < 1.2 * line.height
            and _completes(current, cells, order)
        ):
            # the amount of the row above, printed a line lower: quantity x price = it
            assert current is not None
            for key, words in cells.items():
                current.setdefault(key, []).extend(words)
            alternatives.pop(id(items[-1]), None)
            items[-1] = _row_cells(current, page, alternatives, order)
            pending = loose = joined = current = None
            used.add(id(line))
            last_y = line.y1
            i += 1
            continue
        if has_amount and not cells.get("description"):
            above = pending or loose or (joined[:2] if joined is not None else None)
            if above is None or line.cy - above[1] > 1.2 * line.height:
                return items, i, False  # amounts without a description: a totals row
            if pending is None and settle_row(cells, order).agrees is None:
                return items, i, False
            # the row's description sits just above: a line of codes, or one whose amounts
            # agree (quantity x price = amount: a row, which a total line never is) - also
            # when that line was taken as the row above's continuation: it is this row's
            if pending is None and loose is None and joined is not None and current is not None:
                current["description"] = joined[2]
                alternatives.pop(id(items[-1]), None)
                items[-1] = _row_cells(current, page, alternatives, order)
            cells["description"] = above[0]
        pending = loose = joined = None
        if has_amount:
            current = {k: list(v) for k, v in cells.items()}
            items.append(_row_cells(current, page, alternatives, order))
            after_subtotal = False
        elif (
            cells.get("description")
            and not numbers & _PRICED
            and _codes_only(cells)
            and _opens_band(lines, i, columns)
        ):
            # a description alone, its amounts on the line just below (cells centred in a
            # row of two or three lines): the next row's
            pending = (cells["description"], line.cy)
            current = None
        elif (
            current is not None
            and not after_subtotal
            and cells.get("description")
            and not numbers
            and line.y0 - last_y < 2.2 * line.height
        ):
            before = list(current.get("description", []))
            current.setdefault("description", []).append("\n" + " ".join(cells["description"]))
            joined = (cells["description"], line.cy, before)
            alternatives.pop(id(items[-1]), None)
            items[-1] = _row_cells(current, page, alternatives, order)
        else:
            # a line with numbers but no price (a bundle's part), or far below: the
            # description above is complete
            current = None
            if cells.get("description"):
                loose = (cells["description"], line.cy)
        used.add(id(line))
        last_y = line.y1
        i += 1
    return items, i, True


_PRICED = frozenset({"unitPrice", "totalPriceExclTax", "totalPriceInclTax"})


def _completes(
    current: dict[str, list[str]] | None, cells: dict[str, list[str]], order: list[str]
) -> bool:
    """Whether ``cells`` (a line of amounts only) hold the amount the row ``current`` lacks:
    the row has a quantity and a price but no amount, this line only amounts, and together
    they agree (quantity x price = amount)."""
    if current is None or any(k in current for k in AMOUNT_KEYS):
        return False
    if not {"quantity", "unitPrice"} <= current.keys() or set(cells) - {*AMOUNT_KEYS, "_other"}:
        return False
    merged = {k: list(v) for k, v in current.items()}
    for key, words in cells.items():
        merged.setdefault(key, []).extend(words)
    return settle_row(merged, order).agrees is not None


def _codes_only(cells: dict[str, list[str]]) -> bool:
    """Whether a line's words outside the description are numbers (article codes), not prose
    running across the columns."""
    return all(
        re.fullmatch(r"[\d\W]+", word)
        for key, words in cells.items()
        if key != "description"
        for word in words
    )


def _opens_band(lines: list[Line], i: int, columns: list[_Column]) -> bool:
    """Whether the line after ``lines[i]`` holds amounts but no description and sits within a
    line's height of it: the two are one row's band."""
    if i + 1 >= len(lines):
        return False
    line, nxt = lines[i], lines[i + 1]
    if nxt.cy - line.cy > 1.2 * nxt.height or totals_label(nxt) is not None:
        return False
    keys = _assign_line(columns, nxt.words)
    priced = any(
        key in _PRICED and find_amounts(w.text) for w, key in zip(nxt.words, keys, strict=True)
    )
    return priced and "description" not in keys


def _is_final_subtotal(lines: list[Line], i: int, columns: list[_Column]) -> bool:
    """A section's subtotal has more item rows below it; the final one has totals or nothing."""
    if sum(h.field in TOTALS_FIELDS for h in line_hits(lines[i])) > 1:
        return True
    for line in lines[i + 1 : i + 5]:
        if totals_label(line) is not None:
            return True
        keys = {_assign(columns, w) for w in line.words}
        if "description" in keys and keys & {"totalPriceExclTax", "totalPriceInclTax", "unitPrice"}:
            return False
    return True


def _row_cells(
    cells: dict[str, list[str]],
    page: int,
    alternatives: dict[int, Alternatives],
    order: list[str],
) -> list[dict[str, Any]]:
    """A row's cells as DocAI's item entries; its numbers as the row's arithmetic reads them
    (:func:`~ocrframe.engine.rowmath.settle_row`), other readings that agree as well into
    ``alternatives`` under the row's id."""
    out: list[dict[str, Any]] = []

    def add(key: str, value: str) -> None:
        out.append({"pageNumber": page, "key": key, "value": value})

    desc = " ".join(cells.get("description", [])).replace(" \n", "\n").strip()
    # a word broken after its hyphen goes on on the next line ("ART-12-" / "XL": "ART-12-XL")
    desc = re.sub(r"(?<=\w-)\n", "", desc)
    if desc:
        add("description", desc)
    reading = settle_row(cells, order)
    for key in ("quantity", "unitPrice", *AMOUNT_KEYS):
        if key in reading.values:
            value = reading.values[key]
            add(key, format_percentage(value) if key == "quantity" else format_amount(value))
    rate_text = " ".join(cells.get("taxRate", []))
    if rate_text and not reading.rate_taken:
        pcts = find_percentages(rate_text)
        if pcts:
            add("taxRate", format_percentage(Decimal(str(pcts[0].value))))
        else:
            nums = find_amounts(rate_text)
            if len(nums) == 1 and isinstance(nums[0].value, Decimal) and nums[0].value < 100:
                add("taxRate", format_percentage(nums[0].value))
    if reading.alternatives:
        alternatives[id(out)] = reading.alternatives
    return out


def items_net_sum(
    items: list[list[dict[str, Any]]], key: str = "totalPriceExclTax"
) -> Decimal | None:
    """The sum of the line items' net amounts (``key`` ``totalPriceInclTax``: their gross
    amounts), when every item has one."""
    amounts = [next((c["value"] for c in row if c["key"] == key), None) for row in items]
    if not amounts or any(a is None for a in amounts):
        return None
    return sum((Decimal(a) for a in amounts if a is not None), Decimal(0))
