"""Words with boxes -> DocAI's ``result`` object: the ``invoice`` and ``text`` models.

The invoice model reads a page the way a person does:

1. Words are grouped into lines (a skewed scan is first straightened by a shear), lines into
   *phrases* (runs of words without a column-sized gap).
2. Labels from a multilingual lexicon (:mod:`ocrframe.engine.labels`) are found at the start of
   phrases, ending in a colon, or in a row of labels. A label's value is the rest of its phrase
   or the next phrases on the same line up to the next label, else the phrase just below it,
   aligned with it. Amounts take the last amount up to the next label ("Tax 15% on 112.90
   16.94" -> 16.94).
3. Line-item tables are found by their header row (known column labels), and rows are read by
   the header's columns; a row with a description but no numbers continues the description
   above it; a totals label ends the table (a section's subtotal does not). A table that runs
   to the bottom of a page goes on at the top of the next page if that page has no header.
4. Values are normalised as DocAI writes them (:mod:`ocrframe.engine.normalize`). Numeric dates
   are day first unless the document shows a month-first date or is in US dollars.
5. A value that is not found is left out, never guessed. Two values are derived from printed
   ones: ``totalTax`` as the sum of the tax lines when no total-tax line is printed, and
   ``netAmount`` as ``grossAmount - totalTax`` when both are printed and no net line is. The
   seller is the value of a seller label near the top of page 1, else a name with a legal form
   (GmbH, B.V., Ltd ...) above the buyer's block, else the most prominent name at the top, else
   the first name at the top left above the first label.

Example::

    from ocrframe.engine.pages import load_pages
    result = extract_invoice(load_pages(pdf_bytes))
    {f["key"]: f["value"] for f in result["fieldList"]}["grossAmount"]   # "154.06"

Pure and deterministic; a few milliseconds per born-digital page.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import lru_cache
from itertools import pairwise
from statistics import median
from typing import Any

from ocrframe.engine.labels import (
    COLUMN_LABELS,
    DOCUMENT_TYPES,
    FIELD_KINDS,
    FIELD_LABELS,
    TOTALS_FIELDS,
)
from ocrframe.engine.normalize import (
    find_amounts,
    find_currency_marks,
    find_dates,
    find_percentages,
    fold,
    format_amount,
    format_percentage,
)
from ocrframe.engine.receipt import (
    is_receipt,
    receipt_currency,
    receipt_seller,
    receipt_total,
)
from ocrframe.engine.totals import TOTAL_FIELDS, Candidate, choose_totals
from ocrframe.engine.types import Page, Word

__all__ = ["extract_invoice", "extract_text_lines", "group_lines"]

# ----------------------------------------------------------------------------------------------
# Lines and phrases


@dataclass
class Line:
    """Words on one text line of a page, left to right."""

    page: int
    words: list[Word]
    # phrases and label hits, computed once per line
    cache: dict[str, Any] = field(default_factory=dict)

    @property
    def y0(self) -> float:
        return min(w.y0 for w in self.words)

    @property
    def y1(self) -> float:
        return max(w.y1 for w in self.words)

    @property
    def cy(self) -> float:
        return sum(w.cy for w in self.words) / len(self.words)

    @property
    def height(self) -> float:
        return median(w.height for w in self.words)

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)


@dataclass
class Phrase:
    """A run of words on a line without a column-sized gap."""

    line: Line
    words: list[Word]
    tokens: list[str] = field(default_factory=list)  # folded, punctuation-stripped

    @property
    def x0(self) -> float:
        return self.words[0].x0

    @property
    def x1(self) -> float:
        return self.words[-1].x1

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)


def _split_glued(word: Word) -> list[Word]:
    """``"Date:31/12/2017"`` -> ``"Date:"``, ``"31/12/2017"`` (OCR often drops the space)."""
    m = re.match(r"^([^\W\d_][\w.\-]*:)(\S+)$", word.text) or re.match(
        r"^([^\W\d_]{3,})(\d{1,2}[./-]\d{1,2}[./-]\d{2,4})$", word.text  # "date16.09.2026"
    ) or re.match(
        r"^([Nn][°º]|[Nn][Oo]\.|#)(\S*\d\S*)$", word.text  # "n°562044387", "#A-12"
    )
    if not m:
        return [word]
    left, right = m.group(1), m.group(2)
    cut = word.x0 + (word.x1 - word.x0) * len(left) / len(word.text)
    return [
        Word(left, word.x0, word.y0, cut, word.y1, word.confidence),
        Word(right, cut, word.y0, word.x1, word.y1, word.confidence),
    ]


def group_lines(page: Page) -> list[Line]:
    """Group a page's words into lines, top to bottom, each left to right.

    Words are chained left to right to the line whose last word they overlap vertically, so a
    slightly rotated scan still gives whole lines; a clearly skewed page (a scan turned by a
    degree or two) is first straightened by a shear, so that columns far apart line up too.
    """
    words = [piece for w in page.words if w.text.strip() for piece in _split_glued(w)]
    lines = _chain(words)
    slope = _skew(lines, page.width)
    if abs(slope) > 0.003:
        words = [
            Word(w.text, w.x0, w.y0 - slope * w.cx, w.x1, w.y1 - slope * w.cx, w.confidence)
            for w in words
        ]
        lines = _chain(words)
    out = [Line(page.number, ws) for ws in lines]
    out.sort(key=lambda ln: (ln.cy, ln.words[0].x0))
    return out


def _skew(lines: list[list[Word]], width: float) -> float:
    """The page's skew as dy/dx: the median slope of its long lines."""
    slopes = []
    for line in lines:
        if len(line) < 2 or line[-1].cx - line[0].cx < 0.2 * width:
            continue
        n = len(line)
        mx = sum(w.cx for w in line) / n
        my = sum(w.cy for w in line) / n
        sxx = sum((w.cx - mx) ** 2 for w in line)
        sxy = sum((w.cx - mx) * (w.cy - my) for w in line)
        if sxx > 0:
            slopes.append(sxy / sxx)
    return median(slopes) if len(slopes) >= 3 else 0.0


def _chain(words: list[Word]) -> list[list[Word]]:
    words.sort(key=lambda w: (w.x0, w.y0))
    if not words:
        return []
    step = max(1.0, median(w.height for w in words))
    lines: list[list[Word]] = []
    buckets: dict[int, list[list[Word]]] = {}  # by the vertical centre of a line's last word
    for word in words:
        best: list[Word] | None = None
        best_score = 0.0
        slot = int(word.cy // step)
        for near in (slot - 2, slot - 1, slot, slot + 1, slot + 2):
            for line in buckets.get(near, ()):
                last = line[-1]
                overlap = min(word.y1, last.y1) - max(word.y0, last.y0)
                score = overlap / max(1e-6, min(word.height, last.height))
                if word.x0 < last.x1 - 0.6 * max(word.height, last.height) and score < 0.8:
                    continue
                # a far-away word only joins a line it is well aligned with
                gap = word.x0 - last.x1
                need = 0.5 if gap < 4 * max(word.height, last.height) else 0.65
                if score >= need and score > best_score:
                    best, best_score = line, score
        if best is None:
            best = [word]
            lines.append(best)
        else:
            buckets[int(best[-1].cy // step)].remove(best)
            last = best[-1]
            shared = last.x1 - word.x0
            narrow = min(word.x1 - word.x0, last.x1 - last.x0)
            if shared > 1.0 and shared > 0.3 * narrow:
                # overlapping glyph runs (ligatures a PDF writes twice): one word
                best[-1] = Word(
                    last.text + word.text,
                    last.x0,
                    min(last.y0, word.y0),
                    max(last.x1, word.x1),
                    max(last.y1, word.y1),
                    last.confidence,
                )
            else:
                best.append(word)
        buckets.setdefault(int(best[-1].cy // step), []).append(best)
    return lines


_KNOWN_TOKENS = frozenset(
    word
    for lexicon in (FIELD_LABELS, COLUMN_LABELS)
    for labels in lexicon.values()
    for label in labels
    for word in label.split()
) | frozenset(w for key in DOCUMENT_TYPES for w in key.split())


_PARTY_NAME_LABELS = frozenset(FIELD_LABELS["_partyName"])
_FULL_LABELS = frozenset(
    label
    for lexicon in (FIELD_LABELS, COLUMN_LABELS)
    for labels in lexicon.values()
    for label in labels
)


@lru_cache(maxsize=65536)
def _token(text: str) -> str:
    """A word as label matching sees it: folded, outer punctuation stripped, "N°" -> "no"."""
    t = fold(text).strip(":;,.()[]*\"'“”«»")
    if t in ("n°", "nº", "no.", "n0", "n"):  # "N°", "Nº" fold to "n" + symbol
        return "no"
    t = t.replace("°", "").replace("º", "")
    # German compounds naming a kind of invoice ("Schlussrechnung", "Abschlagsrechnung"): the
    # title word itself, so that "Schlussrechnung Nr. 12" reads like "Rechnung Nr. 12"
    m = re.fullmatch(r"[a-z]{3,}(rechnung|gutschrift)", t)
    if m and t not in _KNOWN_TOKENS:
        return m.group(1)
    return t


def _phrases(line: Line, gap_factor: float = 1.2) -> list[Phrase]:
    key = f"phrases{gap_factor}"
    if key not in line.cache:
        line.cache[key] = _make_phrases(line, gap_factor)
    result: list[Phrase] = line.cache[key]
    return result


# Label words may be spread wider than ordinary words ("Facture     n° 12"); values further
# away than this many line heights are in another column.
_LABEL_GAP = 2.5


def _line_hits(line: Line) -> list[_Hit]:
    """Field labels on ``line`` that look like labels (see :func:`_label_ok`), left to right."""
    if "hits" not in line.cache:
        phrases = _phrases(line, _LABEL_GAP)
        hits = sorted(_find_hits(phrases, _FIELD_INDEX), key=lambda h: h.x0)
        # the phrase right after "Name:" is a name, even when it starts with a label word
        # ("Name: Kunde & Co")
        values = {
            id(b)
            for a, b in pairwise(phrases)
            if a.words[-1].text.endswith(":")
            and " ".join(a.tokens).strip() in _PARTY_NAME_LABELS
        }
        line.cache["hits"] = [
            h for h in hits if _label_ok(h, hits) and id(h.phrase) not in values
        ]
    result: list[_Hit] = line.cache["hits"]
    return result


def _make_phrases(line: Line, gap_factor: float) -> list[Phrase]:
    out: list[Phrase] = []
    current: list[Word] = []
    for word in line.words:
        if current:
            gap = word.x0 - current[-1].x1
            h = max(1.0, min(word.height, current[-1].height))
            if gap > gap_factor * h:
                out.append(Phrase(line, current))
                current = []
        current.append(word)
    if current:
        out.append(Phrase(line, current))
    for phrase in out:
        phrase.tokens = [_token(w.text) for w in phrase.words]
    return out


# ----------------------------------------------------------------------------------------------
# Label matching


@dataclass(frozen=True)
class _LabelPattern:
    field: str
    tokens: tuple[str, ...]
    rank: int  # position in the field's lexicon: lower is more specific


def _build_patterns(lexicon: dict[str, tuple[str, ...]]) -> list[_LabelPattern]:
    patterns = []
    for name, labels in lexicon.items():
        for rank, label in enumerate(labels):
            tokens = tuple(t for t in (_token(x) for x in label.split()) if t)
            patterns.append(_LabelPattern(name, tokens, rank))
    # longest first, so "due date" wins over "date" and "total ht" over "total"
    patterns.sort(key=lambda p: (-len(p.tokens), -sum(map(len, p.tokens))))
    return patterns


_FIELD_PATTERNS = _build_patterns(FIELD_LABELS)
_COLUMN_PATTERNS = _build_patterns(COLUMN_LABELS)


@dataclass
class _Hit:
    field: str
    rank: int
    phrase: Phrase
    start: int  # word index in the phrase
    end: int

    @property
    def x0(self) -> float:
        return self.phrase.words[self.start].x0

    @property
    def x1(self) -> float:
        return self.phrase.words[self.end - 1].x1


def _match_at(tokens: Sequence[str], i: int, pattern: tuple[str, ...]) -> int:
    """Length in words of ``pattern`` at ``tokens[i:]`` (0 if no match); a lone ``":"`` inside
    the words (an empty token) is skipped."""
    j, k = i, 0
    while k < len(pattern):
        if j >= len(tokens):
            return 0
        tok = tokens[j]
        if not tok and k > 0:
            j += 1
            continue
        if tok != pattern[k]:
            return 0
        j, k = j + 1, k + 1
    return j - i


def _index(patterns: list[_LabelPattern]) -> dict[str, list[_LabelPattern]]:
    index: dict[str, list[_LabelPattern]] = {}
    for pattern in patterns:  # already longest first
        index.setdefault(pattern.tokens[0], []).append(pattern)
    return index


_FIELD_INDEX = _index(_FIELD_PATTERNS)
_COLUMN_INDEX = _index(_COLUMN_PATTERNS)


def _find_hits(phrases: Iterable[Phrase], index: dict[str, list[_LabelPattern]]) -> list[_Hit]:
    """Non-overlapping label matches, the longest first."""
    hits: list[_Hit] = []
    for phrase in phrases:
        found: list[tuple[int, int, int, _LabelPattern]] = []
        for i, tok in enumerate(phrase.tokens):
            for pattern in index.get(tok, ()):
                n = _match_at(phrase.tokens, i, pattern.tokens)
                if n:
                    found.append((-len(pattern.tokens), i, n, pattern))
        found.sort(key=lambda f: (f[0], f[1]))
        used = [False] * len(phrase.tokens)
        for _, i, n, pattern in found:
            if any(used[i : i + n]):
                continue
            for k in range(i, i + n):
                used[k] = True
            hits.append(_Hit(pattern.field, pattern.rank, phrase, i, i + n))
    return hits


def _label_ok(hit: _Hit, hits: Sequence[_Hit] = ()) -> bool:
    """A label starts its phrase (after bullets), ends in a colon, or follows another label
    (a row of column labels: "Invoice Date   Due Date   Reference")."""
    tokens = hit.phrase.tokens
    if all(not re.search(r"\w", t) for t in tokens[: hit.start]):
        return True
    last = hit.phrase.words[hit.end - 1].text
    nxt = hit.phrase.words[hit.end].text if hit.end < len(hit.phrase.words) else ""
    if last.endswith(":") or nxt.startswith(":"):
        return True
    before = hit.start - 1
    while before >= 0 and not re.search(r"[^\W\d_]", tokens[before]):
        if re.search(r"\d", tokens[before]):
            return True  # after a number: a row of values and labels ("Tax 20 %  Total")
        before -= 1
    # after a label that ends in a colon comes its value ("Name: Kunde GmbH"), not a label
    return any(
        h.phrase is hit.phrase
        and h.end - 1 == before
        and not h.phrase.words[h.end - 1].text.endswith(":")
        for h in hits
    )


# ----------------------------------------------------------------------------------------------
# Values


@dataclass
class _Value:
    value: str
    page: int
    extra: dict[str, str] = field(default_factory=dict)


def _strip_dates(text: str) -> str:
    for f in reversed(find_dates(text)):
        text = text[: f.start] + " " * (f.end - f.start) + text[f.end :]
    return text


def _parse_kind(kind: str, text: str, month_first: bool) -> tuple[str, dict[str, str]] | None:
    text = text.strip()
    text = re.sub(r"^(?:[:#\s]|[-–](?!\s?\d))+", "", text)  # a minus before digits stays
    if not text:
        return None
    if kind == "date":
        dates = find_dates(text, month_first=month_first)
        if dates and dates[0].start <= 3 and isinstance(dates[0].value, date):
            return dates[0].value.isoformat(), {}
        return None
    if kind == "amount":
        pcts = find_percentages(text)
        masked = _strip_dates(text)
        for p in pcts:
            masked = masked[: p.start] + " " * (p.end - p.start) + masked[p.end :]
        amounts = [a for a in find_amounts(masked) if isinstance(a.value, Decimal)]
        # an amount is a number with decimals or a currency mark; bare integers only when alone
        good = [a for a in amounts if a.has_decimals or a.has_currency]
        if not good and len(amounts) == 1:
            good = amounts
        if not good:
            return None
        chosen = good[-1]
        extra = {}
        if pcts:
            extra["percentage"] = format_percentage(Decimal(str(pcts[0].value)))
        assert isinstance(chosen.value, Decimal)
        return format_amount(chosen.value), extra
    if kind == "id":
        tokens = text.split()
        for i, tok in enumerate(tokens[:4]):
            clean = tok.strip(":;,()")
            if _token(clean) in ("no", "nr", "#", "number", "num", "n", "du", "of"):
                continue
            if re.search(r"\d", clean) and len(clean) >= 3 and not find_dates(clean):
                prev = tokens[i - 1] if i > 0 else ""
                if re.fullmatch(r"[A-Z]{1,2}", prev):
                    clean = f"{prev} {clean}"
                clean = re.sub(r"^(?:[Nn][°º]|[Nn][Oo]\.|[Nn][Rr]\.|#)\s*", "", clean)
                return clean.strip("."), {}
            if re.search(r"\d", clean) and len(clean) >= 3:
                return None
        return None
    if kind in ("text", "name"):
        value = re.sub(r"\s+", " ", text).strip(" :;,")
        if not value or not re.search(r"[^\W\d_]", value):
            return None
        if kind == "name" and len(value) > 80:
            return None
        return value, {}
    return None


def _phrase_text_after(phrase: Phrase, start: int) -> str:
    return " ".join(w.text for w in phrase.words[start:])


# ----------------------------------------------------------------------------------------------
# Tables


@dataclass
class _Column:
    key: str
    x0: float
    x1: float


@dataclass
class _Table:
    page: int
    header: Line
    columns: list[_Column]


_NUMERIC_KEYS = ("quantity", "unitPrice", "taxRate", "totalPriceExclTax", "totalPriceInclTax")


def _find_header(line: Line) -> list[_Column] | None:
    """The columns of a table header row, left to right, or None if ``line`` is not one."""
    if "header" in line.cache:
        cached: list[_Column] | None = line.cache["header"]
        return cached
    line.cache["header"] = None
    phrases = _phrases(line, gap_factor=0.9)
    hits = sorted(_find_hits(phrases, _COLUMN_INDEX), key=lambda h: h.x0)
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
    columns: list[_Column] = []
    seen: set[str] = set()
    for hit in hits:
        key = hit.field
        if key == "description" and hit is not main_desc:
            key = "_code"
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
    line.cache["header"] = columns
    return columns


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
    the column of the digits that follow it."""
    keys = [_assign(columns, w) for w in words]
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


def _line_has_totals_label(line: Line) -> str | None:
    for hit in _line_hits(line):
        if hit.field in TOTALS_FIELDS:
            return hit.field
    return None


def _read_tables(
    lines_by_page: dict[int, list[Line]],
) -> tuple[list[list[dict[str, Any]]], set[int]]:
    """Item rows of every table; and the ids of the lines they used (headers included).

    A table that runs to the bottom of a page goes on at the top of the next page when that
    page has no header of its own.
    """
    items: list[list[dict[str, Any]]] = []
    used: set[int] = set()
    carry: list[_Column] | None = None
    for page, lines in lines_by_page.items():
        i = 0
        if carry is not None and not any(_find_header(ln) for ln in lines):
            rows, i, open_end = _table_rows(lines, 0, carry, page, used, carried=True)
            items += rows
            carry = carry if open_end else None
        else:
            carry = None
        while i < len(lines):
            columns = _find_header(lines[i])
            if columns is None:
                i += 1
                continue
            used.add(id(lines[i]))
            rows, i, open_end = _table_rows(lines, i + 1, columns, page, used, carried=False)
            items += rows
            carry = columns if open_end else None
    return items, used


def _table_rows(
    lines: list[Line],
    i: int,
    columns: list[_Column],
    page: int,
    used: set[int],
    *,
    carried: bool,
) -> tuple[list[list[dict[str, Any]]], int, bool]:
    """Rows of one table from ``lines[i]`` on: (items, index after the table, whether the table
    ran to the end of the page without a totals line)."""
    items: list[list[dict[str, Any]]] = []
    current: dict[str, list[str]] | None = None
    after_subtotal = False
    last_y = lines[i - 1].y1 if i > 0 else -1e9
    pitch = lines[i - 1].height * 1.2 if i > 0 else 1.0
    while i < len(lines):
        line = lines[i]
        if not carried and line.y0 - last_y > max(6 * pitch, 60):
            # far below the last row: the table ended, or it goes on over the page's footer
            return items, i, not any(_line_has_totals_label(ln) for ln in lines[i:])
        if not re.search(r"\w", line.text):
            i += 1
            continue
        if _find_header(line) is not None:
            return items, i, False
        totals = _line_has_totals_label(line)
        cells: dict[str, list[str]] = {}
        for word, key in zip(line.words, _assign_line(columns, line.words), strict=True):
            if key:
                cells.setdefault(key, []).append(word.text)
        numbers = {
            k for k, v in cells.items() if k != "description" and find_amounts(" ".join(v))
        }
        if carried and not items and totals is None and (
            _line_hits(line) or not cells.get("description")
        ):
            i += 1  # the top of a continued page: its own header lines, not rows
            continue
        hits = _line_hits(line)
        if totals is None and hits and hits[0].phrase.x0 <= line.words[0].x0 and hits[0].start == 0:
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
        has_amount = bool(numbers & {"unitPrice", "totalPriceExclTax", "totalPriceInclTax"})
        if has_amount and not cells.get("description"):
            return items, i, False  # amounts without a description: a totals row
        if has_amount:
            current = {k: list(v) for k, v in cells.items()}
            items.append(_row_cells(current, page))
            after_subtotal = False
        elif (
            current is not None
            and not after_subtotal
            and cells.get("description")
            and not numbers
            and line.y0 - last_y < 2.2 * line.height
        ):
            current.setdefault("description", []).append("\n" + " ".join(cells["description"]))
            items[-1] = _row_cells(current, page)
        else:
            # a line with numbers but no price (a bundle's part), or far below: the
            # description above is complete
            current = None
        used.add(id(line))
        last_y = line.y1
        i += 1
    return items, i, True


def _is_final_subtotal(lines: list[Line], i: int, columns: list[_Column]) -> bool:
    """A section's subtotal has more item rows below it; the final one has totals or nothing."""
    if sum(h.field in TOTALS_FIELDS for h in _line_hits(lines[i])) > 1:
        return True
    for line in lines[i + 1 : i + 5]:
        if _line_has_totals_label(line) is not None:
            return True
        keys = {_assign(columns, w) for w in line.words}
        if "description" in keys and keys & {"totalPriceExclTax", "totalPriceInclTax", "unitPrice"}:
            return False
    return True


def _row_cells(cells: dict[str, list[str]], page: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []

    def add(key: str, value: str) -> None:
        out.append({"pageNumber": page, "key": key, "value": value})

    desc = " ".join(cells.get("description", [])).replace(" \n", "\n").strip()
    if desc:
        add("description", desc)
    for key in ("quantity", "unitPrice", "totalPriceExclTax", "totalPriceInclTax"):
        text = " ".join(cells.get(key, []))
        if not text:
            continue
        amounts = [a for a in find_amounts(_strip_pct(text)) if isinstance(a.value, Decimal)]
        if not amounts:
            continue
        value = amounts[-1].value
        assert isinstance(value, Decimal)
        if key == "quantity":
            add(key, format_percentage(value))
        else:
            add(key, format_amount(value))
    rate_text = " ".join(cells.get("taxRate", []))
    if rate_text:
        pcts = find_percentages(rate_text)
        if pcts:
            add("taxRate", format_percentage(Decimal(str(pcts[0].value))))
        else:
            nums = find_amounts(rate_text)
            if len(nums) == 1 and isinstance(nums[0].value, Decimal) and nums[0].value < 100:
                add("taxRate", format_percentage(nums[0].value))
    return out


def _strip_pct(text: str) -> str:
    for p in reversed(find_percentages(text)):
        text = text[: p.start] + text[p.end :]
    return text


# ----------------------------------------------------------------------------------------------
# The invoice model


def _month_first(pages: Sequence[Page]) -> bool:
    """US-style numeric dates: where the document shows a date that can only be month-first, or
    shows no telling date and is in US dollars."""
    votes = Counter[bool]()
    for page in pages:
        for word in page.words:
            m = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", word.text.strip(",.;"))
            if m:
                a, b = int(m.group(1)), int(m.group(2))
                if b > 12 >= a:
                    votes[True] += 1
                elif a > 12 >= b:
                    votes[False] += 1
    if votes[True] == votes[False] == 0:
        # nothing tells: US-dollar documents write the month first, when dollars are the
        # document's main currency mark (not a stray "$" on a receipt in ringgit)
        words = [w.text for page in pages for w in page.words]
        dollars = sum("$" in t or t.strip(".,:") == "USD" for t in words)
        others = sum(bool(_OTHER_MONEY.search(t)) for t in words)
        return dollars > others
    return votes[True] > votes[False]


_OTHER_MONEY = re.compile(r"^(?:RM|MYR|EUR|GBP|INR|SGD|CHF)\b|^RM\d|[€£₹]")


def _gapped(words: Sequence[Word]) -> str:
    """Words as text, with ``" | "`` where a column-sized gap separates two of them."""
    out = ""
    for k, w in enumerate(words):
        if k:
            gap = w.x0 - words[k - 1].x1
            out += " | " if gap > 1.2 * max(1.0, min(w.height, words[k - 1].height)) else " "
        out += w.text
    return out


def _candidates(hit: _Hit, kind: str, lines: list[Line]) -> list[str]:
    """Texts where ``hit``'s value may be: the same line to the right, then just below."""
    out: list[str] = []
    line = hit.phrase.line
    h = line.height
    hits = _line_hits(line)
    # the rest of the label's phrase, up to the next label in it
    stop = min(
        (h.start for h in hits if h.phrase is hit.phrase and h.start >= hit.end),
        default=len(hit.phrase.words),
    )
    rest_words = hit.phrase.words[hit.end : stop]
    rest = " ".join(w.text for w in rest_words)
    end_x = rest_words[-1].x1 if rest_words else hit.x1
    stop_x = min((h.x0 for h in hits if h.x0 > end_x), default=1e9)
    if stop < len(hit.phrase.words):
        stop_x = min(stop_x, hit.phrase.words[stop].x0)
    right = [p for p in _phrases(line) if p.x0 > end_x + 0.5 and p.x1 < stop_x + 0.5]
    right_text = " ".join(p.text for p in right)
    if kind == "amount":
        # the last amount up to the next label: "Tax 15% on $112.90   $16.94"
        if rest.strip(" :") or right:
            # words a column gap apart are separate values: "19  285,00" is a rate and an
            # amount, never 19285.00
            columns = " | ".join(
                [_gapped(rest_words), *(_gapped(p.words) for p in right)]
            ).strip(" |")
            out.append(columns)
    else:
        colon = hit.phrase.words[hit.end - 1].text.endswith(":") or rest.lstrip().startswith(":")
        if kind == "name" and not colon and len(rest_words) > 3:
            return out  # a label word inside a sentence, not a heading over a name
        if rest.strip(" :") and (kind != "name" or colon):
            # a name right after its label only with a colon between ("Seller: ACME"); else
            # the label's words run on into a heading ("Seller trade name")
            out.append(rest)
        if right and kind in ("name", "text"):
            # a name far to the right belongs to another column (the buyer beside the seller)
            # unless the label ends in a colon: a key/value table with its values far right
            if right[0].x0 - end_x < 12 * h or colon:
                out.append(right[0].text)
        elif right:
            out.append(right_text)
    # below: the next line, aligned with the label
    index = next((k for k, ln in enumerate(lines) if ln is line), -1)
    x0, x1 = hit.x0 - 2, max(hit.x1, end_x) + 2
    for below in lines[index + 1 : index + 4]:
        # centres, not box edges: OCR boxes are padded and overlap their neighbours
        if below.cy - line.cy > 3.5 * h:
            break
        if below.cy < line.cy + 0.6 * h:
            continue
        aligned = [p.text for p in _phrases(below) if min(p.x1, x1) - max(p.x0, x0) > 0]
        if aligned:
            out.extend(aligned)
            break
    return out


# Document titles that double as invoice-number labels ("Invoice INV-7"), weakly.
_TITLE_WORDS = frozenset({"invoice", "rechnung", "facture", "factuur", "faktura", "gutschrift"})

# After a bare title: an optional code in brackets, a number marker, the identifier.
_MARKED_ID = re.compile(
    r"^\s*(?:[^\W\d_]+\s+){0,2}(?:\(\w+\)\s*)?(?:nr\.?|no\.?|n[°º]|#|nummer|number|num[eé]ro)\s*:?\s*(\S+)",
    re.IGNORECASE,
)

# Words that make a number or date label name another document: "N° de facture associée",
# "Original invoice no.", "Bezug auf Rechnung Nr." - the referenced invoice, not this one.
_QUALIFIERS = frozenset(
    {
        "associee", "associe", "associated", "related", "original", "referenced",
        "corrected", "previous", "precedente", "initiale", "ursprungliche", "ursprunglichen",
        "bezug", "bezugnehmend", "vorherige", "korrigierte", "origine", "d'origine",
    }
)  # fmt: skip


_SELLER_HEADING = re.compile(
    r"(?<![a-z])(?:verkaufer|seller|supplier|vendor|vendeur|fournisseur|lieferant|"
    r"rechnungssteller|emetteur|leverancier|absender)(?![a-z])"
)
_BUYER_HEADING = re.compile(
    r"(?<![a-z])(?:kaufer|buyer|customer|client|acheteur|kunde|rechnungsempfanger|"
    r"leistungsempfanger|empfanger|destinataire|klant|bill to|invoice to)(?![a-z])"
)


def _party_of(hit: _Hit, lines: list[Line]) -> str | None:
    """Whose name a bare "Name:" label gives: the party whose heading is the nearest line
    above it in its block ("Verkäufer" / "Nummer: 7" / "Name: ACME")."""
    index = next((k for k, ln in enumerate(lines) if ln is hit.phrase.line), -1)
    for line in reversed(lines[max(0, index - 8) : index]):
        if abs(line.words[0].x0 - hit.x0) > 3 * line.height or len(line.words) > 4:
            continue  # another column, or a line of text, not a block's heading
        if any(c.isdigit() for c in line.text) or ":" in line.text:
            continue  # a key/value line of the same block
        folded = fold(line.text)
        if _SELLER_HEADING.search(folded):
            return "sellerName"
        if _BUYER_HEADING.search(folded):
            return "buyerName"
    return None


def _qualified(hit: _Hit) -> bool:
    """Whether a label's own words (up to its colon) say it names another document."""
    for word, token in zip(hit.phrase.words, hit.phrase.tokens, strict=True):
        if token in _QUALIFIERS:
            return True
        if word.text.endswith(":"):
            break
    return False


def _receipt(
    pages: Sequence[Page], lines_by_page: dict[int, list[Line]]
) -> dict[str, str] | None:
    """A receipt's total, seller and currency (:mod:`ocrframe.engine.receipt`), or None when
    the document is not a receipt. Read once per document (kept on its first line's cache)."""
    if not pages or not lines_by_page[pages[0].number]:
        return None
    first_line = lines_by_page[pages[0].number][0]
    if "receipt" in first_line.cache:
        cached: dict[str, str] | None = first_line.cache["receipt"]
        return cached
    phrases = [
        [p.text for p in _phrases(ln)] for page in pages for ln in lines_by_page[page.number]
    ]
    out: dict[str, str] | None = None
    if is_receipt(phrases):
        out = {}
        total = receipt_total(phrases)
        if total is not None:
            out["grossAmount"] = format_amount(total)
        top = [[p.text for p in _phrases(ln)] for ln in lines_by_page[pages[0].number]]
        seller = receipt_seller(top)
        if seller is not None:
            out["sellerName"] = seller
        currency = receipt_currency(phrases)
        if currency is not None:
            out["currency"] = currency
    first_line.cache["receipt"] = out
    return out


def _first_date(
    pages: Sequence[Page], lines_by_page: dict[int, list[Line]], month_first: bool
) -> _Value | None:
    """The first date printed anywhere, outside lines labelled as another date."""
    for page in pages:
        for line in lines_by_page[page.number]:
            if any(h.field in ("dueDate", "_other") for h in _line_hits(line)):
                continue
            dates = find_dates(line.text, month_first=month_first)
            if dates and isinstance(dates[0].value, date):
                return _Value(dates[0].value.isoformat(), page.number)
    return None


def _lone_date_at_top(
    pages: Sequence[Page], lines_by_page: dict[int, list[Line]], month_first: bool
) -> _Value | None:
    """A date printed on its own line near the top of page 1, without a label: the issue date
    under a title ("Invoice 103767" / "February 17, 2026")."""
    if not pages:
        return None
    page = pages[0]
    for line in lines_by_page[page.number]:
        if line.y0 > 0.3 * page.height:
            break
        if _line_hits(line):
            continue
        dates = find_dates(line.text, month_first=month_first)
        if len(dates) == 1 and isinstance(dates[0].value, date):
            rest = line.text[: dates[0].start] + line.text[dates[0].end :]
            if not re.search(r"\w", rest):
                return _Value(dates[0].value.isoformat(), page.number)
    return None


def extract_invoice(pages: list[Page]) -> dict[str, Any]:
    """Read an invoice's fields, line items and taxes from its pages of words.

    Returns DocAI's ``result`` object::

        {"fieldList": [{"pageNumber": 1, "key": "invoiceNumber", "value": "INV-1"}, ...],
         "itemList": [[{"pageNumber": 1, "key": "description", "value": "..."}, ...], ...],
         "taxList": [[{"pageNumber": 1, "key": "taxValue", "value": "19.00"}, ...], ...]}

    Fields not found in the document are absent.
    """
    month_first = _month_first(pages)
    lines_by_page = {p.number: group_lines(p) for p in pages}
    items, table_lines = _read_tables(lines_by_page)

    found: dict[str, tuple[int, _Value]] = {}  # field -> (rank, value)
    tax_lines: list[tuple[int, str, str | None]] = []  # (page, value, percentage)
    amounts: list[Candidate] = []  # every total-like amount, chosen among at the end
    for page in pages:
        lines = [ln for ln in lines_by_page[page.number] if id(ln) not in table_lines]
        hits = [h for ln in lines for h in _line_hits(ln)]
        for hit in hits:
            kind = FIELD_KINDS[hit.field]
            if kind == "none":
                continue
            weak = hit.field == "invoiceNumber" and hit.end - hit.start == 1 and (
                hit.phrase.tokens[hit.start] in _TITLE_WORDS
            )
            rank = hit.rank + (100 if _qualified(hit) else 0)
            for text in _candidates(hit, kind, lines):
                if weak:
                    # after a bare title only a lone identifier ("Invoice INV-7") or a number
                    # marker and one ("Rechnung (380) Nr. 99877 vom ..."): not "12 Main Street"
                    marked = _MARKED_ID.match(text)
                    if marked:
                        text = marked.group(1) + text[marked.end() :]
                    elif len(text.strip(" #:").split()) != 1:
                        continue
                parsed = _parse_kind(kind, text, month_first)
                if parsed is None:
                    continue
                value, extra = parsed
                field_name = hit.field
                if field_name == "totalTax" and find_percentages(hit.phrase.text):
                    # "Montant TVA 5,5 %": one rate's tax, not the total
                    field_name = "taxLine"
                if field_name == "taxLine":
                    pct = extra.get("percentage")
                    if pct is None:
                        label_pcts = find_percentages(hit.phrase.text)
                        pct = (
                            format_percentage(Decimal(str(label_pcts[0].value)))
                            if label_pcts
                            else None
                        )
                    tax_lines.append((page.number, value, pct))
                    break
                if hit.field == "_partyName":
                    party = _party_of(hit, lines)
                    if party is None:
                        break
                    field_name, rank = party, -1
                    extra = {}
                if hit.field in TOTAL_FIELDS:
                    amounts.append(
                        Candidate(hit.field, Decimal(value), page.number, hit.rank, len(amounts))
                    )
                    break
                if kind == "name" and hit.field != "_partyName":
                    extra = {**extra, "phrase": hit.phrase.text}
                previous = found.get(field_name)
                # the first of the most specific labels wins
                if previous is None or rank < previous[0]:
                    found[field_name] = (rank, _Value(value, page.number, extra))
                # an invoice number label's phrase often carries the date: "Facture n° 12 du
                # 02 Juillet 2015"
                if hit.field == "invoiceNumber" and "invoiceDate" not in found and rank < 100:
                    dates = find_dates(text, month_first=month_first)
                    if dates and isinstance(dates[0].value, date):
                        found["_numberDate"] = (0, _Value(dates[0].value.isoformat(), page.number))
                break

    fields: list[dict[str, Any]] = []

    def emit(key: str, value: str, page: int) -> None:
        fields.append({"pageNumber": page, "key": key, "value": value})

    if "invoiceDate" not in found and "_numberDate" in found:
        found["invoiceDate"] = found["_numberDate"]
    if "invoiceDate" not in found and _receipt(pages, lines_by_page) is not None:
        # a receipt prints its date without a label, anywhere: the first one
        first = _first_date(pages, lines_by_page, month_first)
        if first is not None:
            found["invoiceDate"] = (999, first)
    if "invoiceDate" not in found:
        lone = _lone_date_at_top(pages, lines_by_page, month_first)
        if lone is not None:
            found["invoiceDate"] = (999, lone)
    for key in ("invoiceNumber", "invoiceDate", "dueDate"):
        if key in found:
            emit(key, found[key][1].value, found[key][1].page)

    # taxes: one entry per rate line, deduplicated (a summary may repeat them)
    taxes: list[list[dict[str, Any]]] = []
    seen_tax: set[tuple[str, str | None]] = set()
    for page_no, value, pct in tax_lines:
        if (value, pct) in seen_tax:
            continue
        seen_tax.add((value, pct))
        row = [{"pageNumber": page_no, "key": "taxValue", "value": value}]
        if pct is not None:
            row.append({"pageNumber": page_no, "key": "taxPercentage", "value": pct})
        taxes.append(row)
    tax_sum = sum((Decimal(r[0]["value"]) for r in taxes), Decimal(0)) if taxes else None
    chosen = choose_totals(amounts, tax_sum=tax_sum, lines_sum=_lines_sum(items))
    for key, cand in chosen.items():
        found[key] = (cand.rank, _Value(format_amount(cand.value), cand.page))
    if "totalTax" not in found and tax_sum is not None:
        found["totalTax"] = (99, _Value(format_amount(tax_sum), tax_lines[-1][0]))
    if "netAmount" not in found and "grossAmount" in found and "totalTax" in found:
        # both printed, the net is their difference (an invoice that shows a total and its tax
        # but no subtotal line)
        gross, tax = found["grossAmount"][1], found["totalTax"][1]
        net = Decimal(gross.value) - Decimal(tax.value)
        if net >= 0:
            found["netAmount"] = (99, _Value(format_amount(net), gross.page))

    receipt = _receipt(pages, lines_by_page)
    if receipt is not None and "grossAmount" in receipt:
        # a receipt's total is the amount paid, chosen against the cash and the change
        found["grossAmount"] = (0, _Value(receipt["grossAmount"], pages[0].number))
    for key in ("grossAmount", "netAmount", "totalTax", "amountDue"):
        if key in found:
            emit(key, found[key][1].value, found[key][1].page)

    currency = _currency(lines_by_page)
    if currency is None and receipt is not None and receipt.get("currency"):
        currency = (receipt["currency"], pages[0].number)
    if currency is not None:
        emit("currency", currency[0], currency[1])
    if "paymentTerms" in found:
        emit("paymentTerms", found["paymentTerms"][1].value, found["paymentTerms"][1].page)
    doc_type = _document_type(pages, lines_by_page)
    receipt = _receipt(pages, lines_by_page)
    if receipt is not None:
        doc_type = ("receipt", pages[0].number)
    if doc_type is not None:
        emit("documentType", doc_type[0], doc_type[1])
    seller = _seller(found, pages, lines_by_page)
    if receipt is not None and receipt.get("sellerName"):
        seller = (receipt["sellerName"], pages[0].number)
    if seller is not None:
        emit("sellerName", seller[0], seller[1])
    if "buyerName" in found:
        emit("buyerName", _clean_name(found["buyerName"][1].value), found["buyerName"][1].page)
    return {"fieldList": fields, "itemList": items, "taxList": taxes}


def _lines_sum(items: list[list[dict[str, Any]]]) -> Decimal | None:
    """The sum of the line items' net amounts, when every item has one."""
    amounts = [
        next((c["value"] for c in row if c["key"] == "totalPriceExclTax"), None) for row in items
    ]
    if not amounts or any(a is None for a in amounts):
        return None
    return sum((Decimal(a) for a in amounts if a is not None), Decimal(0))


def _currency(lines_by_page: dict[int, list[Line]]) -> tuple[str, int] | None:
    score: Counter[str] = Counter()
    first_page: dict[str, int] = {}
    for number, lines in lines_by_page.items():
        for line in lines:
            for code, near_number in find_currency_marks(line.text):
                score[code] += 3 if near_number else 1
                first_page.setdefault(code, number)
    if not score:
        return None
    code, _ = max(score.items(), key=lambda kv: (kv[1], kv[0] == "EUR"))
    return code, first_page[code]


_DOC_TYPE_KEYS = sorted(DOCUMENT_TYPES, key=len, reverse=True)
_DOC_TYPE_RE = re.compile(
    r"(?<![a-z])(" + "|".join(re.escape(k) for k in _DOC_TYPE_KEYS) + r")(?![a-z])"
)


def _document_type(
    pages: Sequence[Page], lines_by_page: dict[int, list[Line]]
) -> tuple[str, int] | None:
    if not pages:
        return None
    first = pages[0].number
    best: tuple[float, str] | None = None
    for line in lines_by_page[first][:40]:
        folded = " ".join(_token(w.text) for w in line.words)
        m = _DOC_TYPE_RE.search(folded)
        key = m.group(1) if m else None
        if key is None and sum(len(w.text) <= 2 for w in line.words) >= 4:
            # letter-spaced titles: "I N V O I C E"
            spaced = folded.replace(" ", "")
            key = next((k for k in _DOC_TYPE_KEYS if spaced.startswith(k.replace(" ", ""))), None)
        if key is not None and (best is None or line.height > best[0]):
            best = (line.height, DOCUMENT_TYPES[key])
    return (best[1], first) if best else None


def _clean_name(value: str) -> str:
    # "Example Widgets AG - Hauptstr. 1 - D-12345 Musterstadt": the name is before the address
    value = re.split(r"\s[-–|•·]\s", value)[0]
    return value.strip(" ,;:")


# Words on a title line that are not part of a name.
_NOT_NAME = frozenset(DOCUMENT_TYPES) | {
    "kopie",
    "copy",
    "copie",
    "duplicate",
    "duplikat",
    "original",
    "tax",
    "page",
    "seite",
}


_LEGAL_FORM = re.compile(
    r"(?<!\w)(?:b\.?v\.?|n\.?v\.?|gmbh|ag|kg|e\.k\.|ohg|ug|ltd\.?|limited|inc\.?|llc|plc|"
    r"corp\.?|co\.|s\.?a\.?s?|sarl|eurl|sas|s\.?r\.?l\.?|s\.?p\.?a\.?|sp\. z o\.o\.|"
    r"pvt\.?|oy|ab|as|aps)(?!\w)",
    re.IGNORECASE,
)


def _plausible_name(text: str) -> str | None:
    """``text`` cleaned to a company or person name, or None if it does not look like one."""
    if re.match(r"^\s*[^\W\d_][\w.\- ]{0,30}:", text) or text.rstrip().endswith(":"):
        return None  # "Nummer: 12", "Ansprechpartner:": a key (and its value), not a name
    words = [w for w in text.split() if _token(w) not in _NOT_NAME]
    if " ".join(_token(w) for w in words) in _FULL_LABELS:
        return None  # a label alone ("Name", "Customer"): never a party's name
    name = _clean_name(" ".join(words))
    squeezed = name.replace(" ", "")
    letters = sum(c.isalpha() for c in squeezed)
    if letters < 2 or letters < 0.6 * len(squeezed) or len(name) > 60:
        return None
    if not any(c.isupper() for c in name):
        return None  # names are capitalised; lower-case fragments are logos or prose
    if name.startswith("(") or re.search(r"[#@]|www\.|https?:|\.(?:com|de|fr|nl)\b", name):
        return None
    return name


def _is_value_label(hit: _Hit) -> bool:
    """A label of one of our fields, not a bare document title ("INVOICE")."""
    if hit.field == "_other":
        return False
    return not (hit.end - hit.start == 1 and hit.phrase.tokens[hit.start] in _TITLE_WORDS)


def _seller(
    found: dict[str, tuple[int, _Value]],
    pages: Sequence[Page],
    lines_by_page: dict[int, list[Line]],
) -> tuple[str, int] | None:
    """The issuer: after a seller label near the top of page 1; else the most prominent name
    at the top of page 1; else the first name at the top left, above the first label."""
    if not pages:
        return None
    page = pages[0]
    if "sellerName" in found:
        v = found["sellerName"][1]
        name = _plausible_name(v.value)
        if name is not None and not _LEGAL_FORM.sub("", name).strip(" &.,-"):
            # "Anbieter GmbH & Co. KG" under the label "Anbieter": the label was the first word
            name = _plausible_name(v.extra.get("phrase", "")) or name
        if name is not None and v.page == page.number:
            return name, v.page
    lines = [ln for ln in lines_by_page[page.number] if ln.y0 < page.height * 0.35]
    if not lines:
        return None
    # a name with a legal form ("Example B.V.", "Muster AG") above the buyer's block
    for ln in lines:
        if any(h.field == "buyerName" for h in _line_hits(ln)):
            break
        for phrase in _phrases(ln):
            name = _plausible_name(phrase.text)
            if name is not None and _LEGAL_FORM.search(name):
                return name, page.number
    body = median(ln.height for ln in lines_by_page[page.number])
    # the issuer's name heads the document: nothing below its first labelled value
    limit = next(
        (ln.y0 for ln in lines if any(_is_value_label(h) for h in _line_hits(ln))), 1e9
    )
    best: tuple[float, str] | None = None
    for ln in lines:
        if ln.y0 > limit:
            break
        if any(h.field != "_other" for h in _line_hits(ln)) and ":" in ln.text:
            continue
        for phrase in _phrases(ln):
            name = _plausible_name(phrase.text)
            if name is None:
                continue
            h = median(w.height for w in phrase.words if _token(w.text) not in _NOT_NAME)
            if h < body * 1.15:
                continue
            score = h * 100 - ln.y0 * 0.01  # bigger wins; among equals the higher one
            if best is None or score > best[0]:
                best = (score, name)
    if best is not None:
        return best[1], page.number
    for ln in lines:
        if _line_hits(ln):
            break  # the document's labelled part (or the buyer's block) starts here
        first = _phrases(ln)[0]
        if first.x0 > page.width * 0.2:
            continue
        name = _plausible_name(first.text)
        if name is not None:
            return name, page.number
    return None


# ----------------------------------------------------------------------------------------------
# The text model


def extract_text_lines(pages: list[Page]) -> dict[str, Any]:
    """The ``text`` model: every line of text, in reading order, as a field of key ``line``.

    Example::

        extract_text_lines(pages)["fieldList"][0]
        # {"pageNumber": 1, "key": "line", "value": "Invoice 2019-07"}
    """
    fields = [
        {"pageNumber": page.number, "key": "line", "value": line.text}
        for page in pages
        for line in group_lines(page)
    ]
    return {"fieldList": fields, "itemList": [], "taxList": []}


