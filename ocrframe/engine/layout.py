"""A page's words -> lines and phrases, the units the invoice reader reads.

Words are grouped into lines (a skewed scan is first straightened by a shear), lines into
*phrases*: runs of words without a column-sized gap. Each word is also seen as a *label token*
(folded, outer punctuation stripped) for matching the label lexicon
(:mod:`ocrframe.engine.hits`). Also the ``text`` model (:func:`extract_text_lines`).

Example::

    lines = group_lines(page)
    [p.text for p in line_phrases(lines[0])]   # ["Invoice", "No: 12"]

Pure and deterministic.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from statistics import median
from typing import Any

from ocrframe.engine.labels import COLUMN_LABELS, DOCUMENT_TYPES, FIELD_LABELS
from ocrframe.engine.normalize import fold
from ocrframe.engine.types import Page, Word

__all__ = [
    "Line",
    "Phrase",
    "extract_text_lines",
    "gapped_text",
    "group_lines",
    "label_token",
    "line_phrases",
    "line_tokens",
]


@dataclass(eq=False)
class Line:
    """Words on one text line of a page, left to right (never changed once grouped)."""

    page: int
    words: list[Word]
    # phrases and label hits, computed once per line
    cache: dict[str, Any] = field(default_factory=dict)
    # the geometry and the text, read again and again by every field's search: set once
    y0: float = field(init=False, repr=False)
    y1: float = field(init=False, repr=False)
    cy: float = field(init=False, repr=False)
    height: float = field(init=False, repr=False)
    text: str = field(init=False, repr=False)

    def __post_init__(self) -> None:
        words = self.words
        self.y0 = min(w.y0 for w in words)
        self.y1 = max(w.y1 for w in words)
        self.cy = sum(w.cy for w in words) / len(words)
        self.height = median(w.height for w in words)
        self.text = " ".join(w.text for w in words)


@dataclass(eq=False)
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


_GLUED = (
    re.compile(r"^([^\W\d_][\w.\-]*:)(\S+)$"),  # "Date:31/12/2017"
    re.compile(r"^([^\W\d_]{3,})(\d{1,2}[./-]\d{1,2}[./-]\d{2,4})$"),  # "date16.09.2026"
    re.compile(r"^([Nn][°º]|[Nn][Oo]\.|#)(\S*\d\S*)$"),  # "n°562044387", "#A-12"
    # an abbreviation's full stop and the number after it: "VAT.7", "Str.12", "Okt.2024"
    re.compile(r"^([^\W\d_]{2,}\.)(\d[\d.,]*%?)$"),
)
_DIGIT = re.compile(r"\d")


def _split_glued(word: Word) -> list[Word]:
    """``"Date:31/12/2017"`` -> ``"Date:"``, ``"31/12/2017"`` (OCR often drops the space)."""
    text = word.text
    if ":" not in text and not _DIGIT.search(text):
        return [word]  # each form has a colon or a digit: most words have neither
    m = next((m for m in (form.match(text) for form in _GLUED) if m), None)
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
    degree or two) is first straightened by a shear, so that columns far apart line up too. The
    slope is the OCR detector's (``page.skew``) where it measured one, else the long lines'.
    """
    words = [piece for w in page.words if w.text.strip() for piece in _split_glued(w)]
    lines = _chain(words)
    slope = page.skew if page.skew is not None else _skew(lines, page.width)
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
        wx0, wy0, wy1 = word.x0, word.y0, word.y1
        wh = wy1 - wy0
        slot = int(word.cy // step)
        for near in (slot - 2, slot - 1, slot, slot + 1, slot + 2):
            for line in buckets.get(near, ()):
                last = line[-1]
                overlap = min(wy1, last.y1) - max(wy0, last.y0)
                if overlap <= 0:
                    continue  # no overlap scores nothing
                lh = last.y1 - last.y0
                score = overlap / max(1e-6, min(wh, lh))
                tall = max(wh, lh)
                if wx0 < last.x1 - 0.6 * tall and score < 0.8:
                    continue
                # a far-away word only joins a line it is well aligned with
                gap = wx0 - last.x1
                need = 0.5 if gap < 4 * tall else 0.65
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
            tall, short = max(word.height, last.height), min(word.height, last.height)
            if shared > 1.0 and shared > 0.3 * narrow and tall < 1.5 * short:
                # overlapping glyph runs (ligatures a PDF writes twice, in one font size): one
                # word; a stamp printed over a scanned line is not glued to its words
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


@lru_cache(maxsize=65536)
def label_token(text: str) -> str:
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


def line_phrases(line: Line, gap_factor: float = 1.2) -> list[Phrase]:
    """The line's phrases: its words split where a gap is wider than ``gap_factor`` times the
    smaller of the two words' heights (computed once per line and factor)."""
    key = f"phrases{gap_factor}"
    result: list[Phrase] | None = line.cache.get(key)
    if result is None:
        result = line.cache[key] = _make_phrases(line, gap_factor)
    return result


def line_tokens(line: Line) -> list[str]:
    """The label tokens (:func:`label_token`) of the line's words, computed once per line."""
    tokens: list[str] | None = line.cache.get("tokens")
    if tokens is None:
        tokens = line.cache["tokens"] = [label_token(w.text) for w in line.words]
    return tokens


def _make_phrases(line: Line, gap_factor: float) -> list[Phrase]:
    words = line.words
    tokens = line_tokens(line)
    out: list[Phrase] = []
    start = 0
    for k in range(1, len(words)):
        prev, word = words[k - 1], words[k]
        gap = word.x0 - prev.x1
        h = max(1.0, min(word.y1 - word.y0, prev.y1 - prev.y0))
        if gap > gap_factor * h:
            out.append(Phrase(line, words[start:k], tokens[start:k]))
            start = k
    if words:
        out.append(Phrase(line, words[start:], tokens[start:]))
    return out


def gapped_text(words: Sequence[Word]) -> str:
    """Words as text, with ``" | "`` where a column-sized gap separates two of them."""
    out = ""
    for k, w in enumerate(words):
        if k:
            gap = w.x0 - words[k - 1].x1
            out += " | " if gap > 1.2 * max(1.0, min(w.height, words[k - 1].height)) else " "
        out += w.text
    return out


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
