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
]


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
    key = f"phrases{gap_factor}"
    if key not in line.cache:
        line.cache[key] = _make_phrases(line, gap_factor)
    result: list[Phrase] = line.cache[key]
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
        phrase.tokens = [label_token(w.text) for w in phrase.words]
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
