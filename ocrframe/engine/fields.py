"""Header values: where a label's value is, and what it must look like.

A label's value is the rest of its phrase or the next phrases on the same line up to the next
label, else the phrase just below it, aligned with it (:func:`value_candidates`). Each
candidate is parsed by the field's kind (:func:`parse_kind`): a date, an amount (the last
amount up to the next label: "Tax 15% on 112.90   16.94" -> 16.94), an identifier, a name.
Numeric dates are day first unless the document shows a month-first date or is in US dollars
(:func:`reads_month_first`). Also the document's currency and type.

Example::

    parse_kind("amount", "19 % | 285,00", month_first=False)   # ("285.00", {"percentage": ...})

Pure and deterministic.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from statistics import median

from ocrframe.engine.hits import Hit, line_hits
from ocrframe.engine.labels import DOCUMENT_TYPES
from ocrframe.engine.layout import Line, gapped_text, label_token, line_phrases
from ocrframe.engine.normalize import (
    find_amounts,
    find_currency_marks,
    find_dates,
    find_percentages,
    format_amount,
    format_percentage,
)
from ocrframe.engine.types import Page

__all__ = [
    "MARKED_ID",
    "Value",
    "document_currency",
    "document_type",
    "first_date",
    "is_qualified",
    "lone_date_at_top",
    "parse_kind",
    "reads_month_first",
    "value_candidates",
]


@dataclass
class Value:
    """A field's value as DocAI writes it, its page, and what else was read with it."""

    value: str
    page: int
    extra: dict[str, str] = field(default_factory=dict)


def _strip_dates(text: str) -> str:
    for f in reversed(find_dates(text)):
        text = text[: f.start] + " " * (f.end - f.start) + text[f.end :]
    return text


def _is_date(token: str) -> bool:
    """A token that is a date and nothing more ("2024-03-01"), not an identifier that holds
    one ("RE-2024-03-01-7", "INV/2024/01/15")."""
    return any(not re.search(r"\w", token[: d.start] + token[d.end :]) for d in find_dates(token))


def parse_kind(kind: str, text: str, month_first: bool) -> tuple[str, dict[str, str]] | None:
    """``text`` read as a value of ``kind`` ("date", "amount", "id", "text", "name"), with
    extras (an amount's percentage), or None when it holds no such value.

    Example: ``parse_kind("id", "Nr. 4711 vom 02.03.2024", False)`` -> ``("4711", {})``.
    """
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
            if label_token(clean) in ("no", "nr", "#", "number", "num", "n", "du", "of"):
                continue
            if re.search(r"\d", clean) and len(clean) >= 3 and not _is_date(clean):
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


def reads_month_first(pages: Sequence[Page]) -> bool:
    """US-style numeric dates: where the document shows a date that can only be month-first
    ("12/25/2024", "7/13/20"); where no date tells, when US dollars are its main currency mark
    (not "S$", "A$" or a stray "$" on a receipt in ringgit); where it names no currency either,
    when it prints a US address (a state's code before a ZIP code: "Austin, TX 78701")."""
    votes = Counter[bool]()
    for page in pages:
        for word in page.words:
            m = _SLASHED_DATE.fullmatch(word.text.strip(",.;"))
            if m:
                a, b = int(m.group(1)), int(m.group(2))
                if b > 12 >= a:
                    votes[True] += 1
                elif a > 12 >= b:
                    votes[False] += 1
    if votes[True] or votes[False]:
        return votes[True] > votes[False]
    codes = Counter(
        code
        for page in pages
        for code, _ in find_currency_marks(" ".join(w.text for w in page.words))
    )
    dollars = codes.pop("USD", 0)
    others = sum(codes.values())
    if dollars or others:
        return dollars > others
    return any(_us_address(page) for page in pages)


_SLASHED_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})")
# the USPS codes of the US states, DC, the territories and the forces overseas (AP)
_US_STATE = re.compile(
    r"A[LKZRSP]|C[AOT]|D[EC]|FL|G[AU]|HI|I[DLNA]|K[SY]|LA|M[EDAINSOTP]|N[EVHJMYCD]|O[HKR]|P[AR]|"
    r"RI|S[CD]|T[NX]|UT|V[TAI]|W[AVIY]"
)
_ZIP = re.compile(r"\d{5}(?:-\d{4})?")


def _us_address(page: Page) -> bool:
    """Whether ``page`` prints a US address's last line: a city, a state's code, a ZIP code."""
    words = page.words
    return any(
        _US_STATE.fullmatch(words[i].text)
        and _ZIP.fullmatch(words[i + 1].text.rstrip(".,"))
        and any(c.isalpha() for c in words[i - 1].text)
        and abs(words[i + 1].cy - words[i].cy) < words[i].height
        for i in range(1, len(words) - 1)
    )


def value_candidates(hit: Hit, kind: str, lines: list[Line]) -> list[str]:
    """Texts where ``hit``'s value may be: the same line to the right, then just below."""
    out: list[str] = []
    line = hit.phrase.line
    h = line.height
    hits = line_hits(line)
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
    right = [p for p in line_phrases(line) if p.x0 > end_x + 0.5 and p.x1 < stop_x + 0.5]
    right_text = " ".join(p.text for p in right)
    if kind == "amount":
        # the last amount up to the next label: "Tax 15% on $112.90   $16.94"
        if rest.strip(" :") or right:
            # words a column gap apart are separate values: "19  285,00" is a rate and an
            # amount, never 19285.00
            columns = " | ".join(
                [gapped_text(rest_words), *(gapped_text(p.words) for p in right)]
            ).strip(" |")
            out.append(columns)
    else:
        colon = hit.phrase.words[hit.end - 1].text.endswith(":") or rest.lstrip().startswith(":")
        if kind == "name" and not colon and len(rest_words) > 3:
            return out  # a label word inside a sentence, not a heading over a name
        if hit.field == "buyerName" and not colon and rest_words:
            # a heading of more words ("Client nom commercial", "Customer details"): the
            # recipient's block under it is read by parties.find_buyer, past its contact line
            return out
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
        aligned = [p.text for p in line_phrases(below) if min(p.x1, x1) - max(p.x0, x0) > 0]
        if aligned:
            out.extend(aligned)
            break
    return out


# After a bare title: an optional code in brackets, a number marker, the identifier.
MARKED_ID = re.compile(
    r"^\s*(?:[^\W\d_][\w'’-]*\s+){0,2}(?:\(\w+\)\s*)?(?:nr\.?|no\.?|n[°º]|#|nummer|number|num[eé]ro)\s*:?\s*(\S+)",
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


def is_qualified(hit: Hit) -> bool:
    """Whether a label's own words (up to its colon) say it names another document."""
    for word, token in zip(hit.phrase.words, hit.phrase.tokens, strict=True):
        if token in _QUALIFIERS:
            return True
        if word.text.endswith(":"):
            break
    return False


def first_date(
    pages: Sequence[Page], lines_by_page: dict[int, list[Line]], month_first: bool
) -> Value | None:
    """The first date printed anywhere, outside lines labelled as another date."""
    for page in pages:
        for line in lines_by_page[page.number]:
            if any(h.field in ("dueDate", "_other") for h in line_hits(line)):
                continue
            dates = find_dates(line.text, month_first=month_first)
            if dates and isinstance(dates[0].value, date):
                return Value(dates[0].value.isoformat(), page.number)
    return None


def lone_date_at_top(
    pages: Sequence[Page], lines_by_page: dict[int, list[Line]], month_first: bool
) -> Value | None:
    """A date printed on its own line near the top of page 1, without a label: the issue date
    under a title ("Invoice 103767" / "February 17, 2026")."""
    if not pages:
        return None
    page = pages[0]
    for line in lines_by_page[page.number]:
        if line.y0 > 0.3 * page.height:
            break
        if line_hits(line):
            continue
        dates = find_dates(line.text, month_first=month_first)
        if len(dates) == 1 and isinstance(dates[0].value, date):
            rest = line.text[: dates[0].start] + line.text[dates[0].end :]
            if not re.search(r"\w", rest):
                return Value(dates[0].value.isoformat(), page.number)
    return None


def document_currency(lines_by_page: dict[int, list[Line]]) -> tuple[str, int] | None:
    """The currency most marked on the pages (a mark next to a number counts three times),
    with the first page that marks it."""
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


def _spans(tokens: list[str]) -> list[tuple[int, int]]:
    """Where each token is in ``" ".join(tokens)``: (start, end) character offsets."""
    out, at = [], 0
    for token in tokens:
        out.append((at, at + len(token)))
        at += len(token) + 1
    return out


def document_type(
    pages: Sequence[Page], lines_by_page: dict[int, list[Line]]
) -> tuple[str, int] | None:
    """The kind of document the largest title near the top of page 1 names, with its page."""
    if not pages:
        return None
    first = pages[0].number
    best: tuple[float, str] | None = None
    for line in lines_by_page[first][:40]:
        tokens = [label_token(w.text) for w in line.words]
        folded = " ".join(tokens)
        m = _DOC_TYPE_RE.search(folded)
        key = m.group(1) if m else None
        size = line.height
        if m is not None:
            # the size of the words that name the kind, not of their line: a title's "INVOICE"
            # beside small values outranks "Payment terms: due on receipt"
            size = median(
                w.height
                for w, (a, b) in zip(line.words, _spans(tokens), strict=True)
                if a < m.end(1) and b > m.start(1)
            )
        if key is None and sum(len(w.text) <= 2 for w in line.words) >= 4:
            # letter-spaced titles: "I N V O I C E"
            spaced = folded.replace(" ", "")
            key = next((k for k in _DOC_TYPE_KEYS if spaced.startswith(k.replace(" ", ""))), None)
        if key is not None and (best is None or size > best[0]):
            best = (size, DOCUMENT_TYPES[key])
    return (best[1], first) if best else None
