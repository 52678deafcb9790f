"""Label hits: where a label of the lexicon (:mod:`ocrframe.engine.labels`) is on a line.

A label is found at the start of a phrase, ending in a colon, or in a row of labels (column
titles over their values, "Invoice Date   Due Date"); the longest label wins where two
overlap ("due date" over "date"). Line-item column titles are matched the same way
(:data:`COLUMN_INDEX`).

Example::

    [h.field for h in line_hits(line)]   # ["invoiceNumber", "invoiceDate"]

Pure; hits are computed once per line (kept in the line's cache).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise

from ocrframe.engine.labels import COLUMN_LABELS, FIELD_LABELS, TOTALS_FIELDS
from ocrframe.engine.layout import Line, Phrase, label_token, line_phrases

__all__ = [
    "COLUMN_INDEX",
    "FULL_LABELS",
    "TITLE_WORDS",
    "Hit",
    "find_hits",
    "line_hits",
    "totals_label",
]


_PARTY_NAME_LABELS = frozenset(FIELD_LABELS["_partyName"])
FULL_LABELS = frozenset(
    label
    for lexicon in (FIELD_LABELS, COLUMN_LABELS)
    for labels in lexicon.values()
    for label in labels
)


# Label words may be spread wider than ordinary words ("Facture     n° 12"); values further
# away than this many line heights are in another column.
_LABEL_GAP = 2.5


def line_hits(line: Line) -> list[Hit]:
    """Field labels on ``line`` that look like labels (see :func:`_label_ok`), left to right."""
    if "hits" not in line.cache:
        phrases = line_phrases(line, _LABEL_GAP)
        hits = sorted(find_hits(phrases, _FIELD_INDEX), key=lambda h: h.x0)
        # the phrase right after "Name:" is a name, even when it starts with a label word
        # ("Name: Kunde & Co")
        values = {
            id(b)
            for a, b in pairwise(phrases)
            if a.words[-1].text.endswith(":") and " ".join(a.tokens).strip() in _PARTY_NAME_LABELS
        }
        line.cache["hits"] = [h for h in hits if _label_ok(h, hits) and id(h.phrase) not in values]
    result: list[Hit] = line.cache["hits"]
    return result


@dataclass(frozen=True)
class _LabelPattern:
    field: str
    tokens: tuple[str, ...]
    rank: int  # position in the field's lexicon: lower is more specific


def _build_patterns(lexicon: dict[str, tuple[str, ...]]) -> list[_LabelPattern]:
    patterns = []
    for name, labels in lexicon.items():
        for rank, label in enumerate(labels):
            tokens = tuple(t for t in (label_token(x) for x in label.split()) if t)
            patterns.append(_LabelPattern(name, tokens, rank))
    # longest first, so "due date" wins over "date" and "total ht" over "total"
    patterns.sort(key=lambda p: (-len(p.tokens), -sum(map(len, p.tokens))))
    return patterns


_FIELD_PATTERNS = _build_patterns(FIELD_LABELS)
_COLUMN_PATTERNS = _build_patterns(COLUMN_LABELS)


@dataclass
class Hit:
    """A label of ``field`` found as words ``start:end`` of ``phrase`` (``rank``: its place
    in the field's lexicon, lower is more specific)."""

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
COLUMN_INDEX = _index(_COLUMN_PATTERNS)


def find_hits(phrases: Iterable[Phrase], index: dict[str, list[_LabelPattern]]) -> list[Hit]:
    """Non-overlapping label matches, the longest first."""
    hits: list[Hit] = []
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
            hits.append(Hit(pattern.field, pattern.rank, phrase, i, i + n))
    return hits


def _label_ok(hit: Hit, hits: Sequence[Hit] = ()) -> bool:
    """A label starts its phrase (after bullets), ends in a colon, or follows another label
    (a row of column labels: "Invoice Date   Due Date   Reference")."""
    tokens = hit.phrase.tokens
    if all(not re.search(r"\w", t) for t in tokens[: hit.start]):
        return True
    last = hit.phrase.words[hit.end - 1].text
    nxt = hit.phrase.words[hit.end].text if hit.end < len(hit.phrase.words) else ""
    if last.endswith(":") or nxt.startswith(":"):
        return True
    if hit.field == "_partyName":
        return False  # "Name" inside a heading ("Client nom commercial"): a key only with ":"
    if _titled_number(hit):
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


# Words that mark the number after them: "Nr.", "No", "N°", "#", "Nummer", "numéro".
_NUMBER_MARKS = frozenset({"no", "nr", "#", "nummer", "number", "numero"})


def _titled_number(hit: Hit) -> bool:
    """A document's title word followed by a number mark, anywhere in its phrase: "Selbst
    ausgestellte Rechnung (389) Nr. 12", "Ihre Gutschrift Nr. 12"."""
    tokens = hit.phrase.tokens
    if hit.field != "invoiceNumber" or " ".join(tokens[hit.start : hit.end]) not in TITLE_WORDS:
        return False
    return any(t in _NUMBER_MARKS for t in tokens[hit.end : hit.end + 3])


def totals_label(line: Line) -> str | None:
    """The field of the first totals label on ``line`` ("Total", "MwSt."), or None."""
    for hit in line_hits(line):
        if hit.field in TOTALS_FIELDS:
            return hit.field
    return None


# Document titles that double as invoice-number labels ("Invoice INV-7"), weakly.
TITLE_WORDS = frozenset(
    {
        "invoice", "rechnung", "facture", "factuur", "faktura", "gutschrift", "avoir",
        "rechnungskorrektur",
    }
)  # fmt: skip
