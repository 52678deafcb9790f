"""Reading amounts, dates, percentages and currencies as invoices write them, and writing them
back the way DocAI's answers do ("154.06", "2019-02-11", "6.25", "EUR").

Pure functions on strings; no I/O. Used by :mod:`ocrframe.engine.invoice`.

The values themselves are read by :mod:`ocrframe._values`, the parser of the typed table columns,
so that an amount or a date means the same in the engine and in the tables. What stays here is
what only a printed page needs: *finding* values inside running text (with the spans the layout
code uses), which currency a mark names, and the few rules where printed text differs from the
strings the services send (each said where it is applied).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from ocrframe._values import MONTHS, parse_number
from ocrframe._values import parse_date as _parse_value_date

__all__ = [
    "Found",
    "find_amounts",
    "find_currency_marks",
    "find_dates",
    "find_percentages",
    "fold",
    "format_amount",
    "format_percentage",
    "parse_amount",
    "parse_date",
]


@dataclass(frozen=True, slots=True)
class Found:
    """A value found in a text, with the span of characters it came from."""

    value: object
    start: int
    end: int
    # amounts: whether a currency sign or code sat next to it, and whether it had decimals
    has_currency: bool = False
    has_decimals: bool = False


def fold(text: str) -> str:
    """Lower case without accents, for comparing labels: ``"Échéance"`` -> ``"echeance"``."""
    if text.isascii():
        return text.lower()  # nothing to decompose: the same, at a fraction of the cost
    text = unicodedata.normalize("NFKD", text.replace("ß", "ss"))
    return "".join(c for c in text if not unicodedata.combining(c)).lower()


def _fold_same_length(text: str) -> str:
    """Like :func:`fold` but character for character, so spans stay valid in ``text``."""
    out = []
    for c in text:
        f = fold(c)
        out.append(f if len(f) == 1 else c.lower())
    return "".join(out)


# ----------------------------------------------------------------------------------------------
# Amounts

_CURRENCY_SYMBOLS = {
    "€": "EUR",
    "$": "USD",
    "£": "GBP",
    "₹": "INR",
    "¥": "JPY",
    "zł": "PLN",
    "zl": "PLN",
    "rs.": "INR",
    "rs": "INR",
    "us$": "USD",
    # dollars of other countries, the ringgit beside its amount
    "s$": "SGD",
    "a$": "AUD",
    "c$": "CAD",
    "nz$": "NZD",
    "hk$": "HKD",
    "rm": "MYR",
    "fr.": "CHF",
    "kč": "CZK",
}
_CURRENCY_CODES = frozenset(
    [
        "EUR",
        "USD",
        "GBP",
        "CHF",
        "PLN",
        "INR",
        "JPY",
        "CAD",
        "AUD",
        "NZD",
        "SEK",
        "NOK",
        "DKK",
        "CZK",
        "HUF",
        "RON",
        "BGN",
        "HKD",
        "SGD",
        "MYR",
        "CNY",
        "ZAR",
        "MXN",
        "BRL",
        "TRY",
        "RUB",
    ]
)
_CURRENCY_WORDS = {
    "euro": "EUR",
    "euros": "EUR",
    "dollar": "USD",
    "dollars": "USD",
    "us dollars": "USD",
    "pounds": "GBP",
    "rupees": "INR",
    "franken": "CHF",
    "zloty": "PLN",
    "zlotych": "PLN",
}

_CUR_RE = (
    r"(?:€|\$|£|₹|¥|zł|Rs\.?|US\$|(?<![A-Za-z])(?:"
    + "|".join(sorted(_CURRENCY_CODES))
    + r")(?![A-Za-z]))"
)
# An amount: optional sign, digits with optional thousands separators (, . space ' or narrow
# no-break space) and an optional decimal part of 1-2 digits; or digits with a decimal part only.
_NUM_RE = (
    r"(?<![\w.,])[-−]?(?:"
    r"\d{1,3}(?:(?:[,.'’\u202f\u00a0]|\s)\d{3})+(?:[.,]\d{1,2})?"
    r"|\d+(?:[.,]\d{1,2})?"
    r")(?![\w]|[.,]\d)"
)
_AMOUNT_RE = re.compile(
    rf"(?P<pre>{_CUR_RE}\s?)?(?P<num>{_NUM_RE})(?P<post>\s?(?:{_CUR_RE}|-(?!\d)))?"
)


def parse_amount(text: str) -> Decimal | None:
    """``"1.234,56 €"``, ``"$1,234.56"``, ``"1 234,56"``, ``"(12.00)"`` -> a Decimal, or None.

    A lone separator followed by exactly three digits (``"1.234"``) is read as a thousands
    separator, the usual reading on invoices.
    """
    found = find_amounts(text)
    return found[0].value if found and isinstance(found[0].value, Decimal) else None


def _number(raw: str) -> tuple[Decimal, bool] | None:
    """A token matched by ``_NUM_RE`` as a Decimal, and whether it had decimals."""
    raw = raw.replace("−", "-")
    negative = raw.startswith("-")
    digits = raw.lstrip("-")
    # Printed-text rule, unlike values.parse_number: _NUM_RE lets only one or two digits follow a
    # decimal mark, so every other separator in the token groups thousands, whichever it is:
    # "1.234" is 1234 and "0,125" is 125 on an invoice, and OCR's "1,234,56" is 1234.56. A
    # service's "1.234" means 1.234, so the token is reduced to a plain "1234.56" here and only
    # that is handed to the shared parser.
    decimals = ""
    match = re.search(r"[.,](\d{1,2})$", digits)
    if match:
        decimals = match.group(1)
        digits = digits[: match.start()]
    whole = re.sub(r"[^\d]", "", digits)
    if not whole:
        return None
    value = parse_number(f"{whole}.{decimals}" if decimals else whole)
    if value is None:  # more digits than any amount column holds: an account number, not money
        return None
    # Negated after parsing, so "-0" stays Decimal("0") as it always was.
    return (-value if negative else value), bool(decimals)


def find_amounts(text: str) -> list[Found]:
    """Every amount in ``text`` in order, each with whether a currency mark was next to it."""
    out: list[Found] = []
    for m in _AMOUNT_RE.finditer(text):
        parsed = _number(m.group("num"))
        if parsed is None:
            continue
        value, has_dec = parsed
        post = (m.group("post") or "").strip()
        if post == "-":  # trailing minus, as some German invoices write credits
            value = -value
            post = ""
        out.append(Found(value, m.start(), m.end(), bool(m.group("pre") or post), has_dec))
    return out


def format_amount(value: Decimal) -> str:
    """DocAI's form: ``Decimal("1234.5")`` -> ``"1234.50"``."""
    return f"{value.quantize(Decimal('0.01')):f}"


# ----------------------------------------------------------------------------------------------
# Percentages

_PCT_RE = re.compile(r"(?<![\w.,])(\d{1,2}(?:[.,]\d{1,3})?)\s?%")


def find_percentages(text: str) -> list[Found]:
    """Every ``"19 %"``, ``"5,5%"``, ``"6.25%"`` in ``text`` as Decimals."""
    out = []
    for m in _PCT_RE.finditer(text):
        out.append(Found(Decimal(m.group(1).replace(",", ".")), m.start(), m.end()))
    return out


def format_percentage(value: Decimal) -> str:
    """``Decimal("19.00")`` -> ``"19"``, ``Decimal("6.250")`` -> ``"6.25"``."""
    text = f"{value:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


# ----------------------------------------------------------------------------------------------
# Dates

# The month names searched for in running text: those of the shared table as they look after
# fold() (the text searched is folded), less the two- and three-letter Spanish, Italian and
# Portuguese abbreviations that are ordinary words next to numbers on a page ("set", "out",
# "ago", "gen"); a cell the services send holds a date alone, so values.parse_date can take them.
_NOT_SEARCHED = frozenset(
    {"abr", "ago", "dic", "ene", "gen", "giu", "lug", "mag", "ott", "out", "set"}
)
_MONTH_NAMES = {
    name: month
    for name, month in MONTHS.items()
    if name == fold(name) and name not in _NOT_SEARCHED
}

_MONTH_RE = "|".join(re.escape(m) for m in sorted(_MONTH_NAMES, key=len, reverse=True))
# the year may run into a time OCR glued to it ("25/12/201814:05")
_DMY = (
    r"(?<![\d.,])(\d{1,2})\s?([./-])\s?(\d{1,2})\s?\2\s?(\d{4}|\d{2})"
    r"(?:(?![\d,]|\.\d)|(?<=\d{4})(?=\d{1,2}:\d\d(?!\d)))"
)
_D_MONTH_Y = (
    r"(?<!\d)(\d{1,2})(?:er|st|nd|rd|th)?\.?[\s/-]*(?:de\s+)?("
    + _MONTH_RE
    + r")\.?,?[\s/-]*(\d{4})(?!\d)"
)
# receipts' short forms with a two-digit year: 27-MAR-18, 27 Mar 18 (the year alone after the
# month, never followed by more digits or a time's colon, so "27 Mar 18:25" is not one)
_D_MONTH_YY = r"(?<!\d)(\d{1,2})[\s/-]*(" + _MONTH_RE + r")\.?[\s/-]*(\d{2})(?![\d:])"
_MONTH_D_Y = r"(?<![a-z])(" + _MONTH_RE + r")\.?\s*(\d{1,2})(?:st|nd|rd|th)?\s*,?\s*(\d{4})(?!\d)"
_DATE_PATTERNS = [
    # 2019-02-11
    ("ymd", re.compile(r"(?<!\d)(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)")),
    # 11.02.2019, 11/02/2019, 11-02-2019, 8-9-2022, 11.02.19
    ("dmy", re.compile(_DMY)),
    # 11 February 2019, 11. Februar 2019, 1er mars 2020, 02 Juillet 2015
    ("d_month_y", re.compile(_D_MONTH_Y)),
    # Feb 11, 2019 / August 3 2014 / February 11th, 2019
    ("month_d_y", re.compile(_MONTH_D_Y)),
    # 27-MAR-18, 27 Mar 18
    ("d_month_yy", re.compile(_D_MONTH_YY)),
]


def _safe_date(y: int, m: int, d: int) -> date | None:
    # Four digits are matched, but "0028" is one: read it as 28, i.e. 2028, as ever.
    if y < 100:
        y += 2000 if y < 70 else 1900
    try:
        return date(y, m, d)
    except ValueError:
        return None


# a numeric date as OCR may misread it: O for 0, l or i for 1, s for 5 (folded text)
_OCR_DATE = re.compile(
    r"(?<![\w.,])[\dolis]{1,2}\s?([./-])\s?[\dolis]{1,2}\s?\1\s?[\dolis]{2,4}(?![\w,])"
)
_OCR_DIGITS = str.maketrans("olis", "0115")


def _mend_ocr_dates(folded: str) -> str:
    """``folded`` with letters read for digits inside numeric dates mended, character for
    character: "25/l2/2o18" -> "25/12/2018". Only where most of the date is digits already."""

    def mend(m: re.Match[str]) -> str:
        found = m.group(0)
        digits = sum(c.isdigit() for c in found)
        letters = sum(c.isalpha() for c in found)
        if letters == 0 or letters > 2 or digits < 4:
            return found
        return found.translate(_OCR_DIGITS)

    return _OCR_DATE.sub(mend, folded)


def find_dates(text: str, *, month_first: bool = False) -> list[Found]:
    """Every date in ``text``, in order of position.

    Numeric dates are read day first (``11/02/2019`` is 11 February) unless the second number
    cannot be a month or ``month_first`` is set and the first number can be one. A letter OCR
    read for a digit inside a numeric date is mended ("25/l2/2O18").
    """
    folded = _mend_ocr_dates(_fold_same_length(text))
    out: list[Found] = []
    taken: list[tuple[int, int]] = []
    for kind, pattern in _DATE_PATTERNS:
        for m in pattern.finditer(folded):
            if any(m.start() < e and s < m.end() for s, e in taken):
                continue
            value: date | None = None
            if kind == "ymd":
                # Not values.parse_date: printed text mixes separators ("2019-02/11") and the
                # engine takes it; a service's ISO date never does.
                value = _safe_date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            elif kind == "dmy":
                if (
                    len(m.group(4)) == 2
                    and m.group(2) == "-"
                    and (len(m.group(1)) < 2 or len(m.group(3)) < 2)
                ):
                    continue  # 11/02/19, 11.02.19 and 18-11-18 are dates; 1-2-19 rarely is
                # The shared rule: a part above 12 is the day, else the document's habit decides
                # (month_first comes from the invoice's language, see invoice._month_first).
                value = _parse_value_date(m.group(0), dayfirst=not month_first)
            elif kind in ("d_month_y", "d_month_yy"):
                value = _safe_date(int(m.group(3)), _MONTH_NAMES[m.group(2)], int(m.group(1)))
            else:
                value = _safe_date(int(m.group(3)), _MONTH_NAMES[m.group(1)], int(m.group(2)))
            if value is not None and 1980 <= value.year <= 2100:
                out.append(Found(value, m.start(), m.end()))
                taken.append((m.start(), m.end()))
    out.sort(key=lambda f: f.start)
    return out


def parse_date(text: str, *, month_first: bool = False) -> date | None:
    """The first date in ``text`` (see :func:`find_dates`), or None.

    Example: ``parse_date("11 février 2019")`` -> ``date(2019, 2, 11)``.
    """
    found = find_dates(text, month_first=month_first)
    return found[0].value if found and isinstance(found[0].value, date) else None


# ----------------------------------------------------------------------------------------------
# Currencies


def find_currency_marks(text: str) -> list[tuple[str, bool]]:
    """ISO codes of the currency signs, codes and words in ``text``.

    Each with whether it sat next to a number (a stronger sign of the document's currency).
    """
    out: list[tuple[str, bool]] = []
    for m in _CURRENCY_MARK.finditer(text):
        token = m.group(1)
        code = token if token in _CURRENCY_CODES else _CURRENCY_SYMBOLS.get(token.lower())
        if code is None:
            continue
        near = text[max(0, m.start() - 2) : m.end() + 2]
        out.append((code, bool(_DIGIT.search(near))))
    folded = fold(text)
    for word, code in _CURRENCY_WORD_MARKS:
        if word.search(folded):
            out.append((code, False))
    return out


_CURRENCY_MARK = re.compile(
    r"(US\$|(?<![A-Za-z])(?:S|A|C|NZ|HK)\$|€|\$|£|₹|¥|zł|(?<![A-Za-z])(?:Rs\.?|RM)(?=\s?-?\d)|"
    r"(?<![A-Za-z])[A-Z]{3}(?![A-Za-z]))"
)
_DIGIT = re.compile(r"\d")
_CURRENCY_WORD_MARKS = [
    (re.compile(rf"(?<![a-z]){word}(?![a-z])"), code) for word, code in _CURRENCY_WORDS.items()
]
