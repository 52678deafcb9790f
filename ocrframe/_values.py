"""Typed values from the strings the services send: exact amounts and calendar dates.

Both parsers take the raw ``value`` string of a cell and return a typed value or ``None``; they
never raise. Results are cached by string (the same amounts and dates recur across a batch), and
the plain forms the services send ("154.06", "2019-02-11") take a fast path before any general
parsing.

Numbers (:func:`parse_number`) are :class:`decimal.Decimal`, never float:

- plain: ``"154.06"``, ``"-8.79"``, ``"+3"``, ``"1"``;
- grouped: ``"1,234.56"``, ``"1.234,56"``, ``"1 234,56"``, ``"1'234.56"`` (also no-break spaces).
  When both ``,`` and ``.`` appear, the last one is the decimal mark and the other one must group
  digits by three. A lone ``.`` is always a decimal mark (``"1.234"`` is 1.234, as the services
  write it). A lone ``,`` is a thousands separator when it is followed by exactly three digits
  and the part before it is not ``0`` (``"1,234"`` is 1234, ``"0,125"`` is 0.125), else a decimal
  mark (``"154,06"`` is 154.06);
- a currency symbol or a three-letter code before or after (``"154,06 €"``, ``"$ 1 234.56"``,
  ``"EUR 12.00"``);
- negatives: ``"-8.79"``, ``"(8.79)"``, ``"8.79-"``, ``"- $8.79"``, all -8.79;
- percentages: ``"6.25%"`` is 6.25 (percentage points, like DocAI's ``taxPercentage`` "6.25").

No exponents, no fractions, nothing with letters other than a currency code. A number must fit
:data:`NUMBER_TYPE` exactly (at most 28 digits before the decimal mark, 10 after, trailing zeros
aside); one that does not is ``None`` rather than rounded.

Dates (:func:`parse_date`) are :class:`datetime.date`:

- ISO: ``"2019-02-11"``, also with a time after it (``"2019-02-11T10:30:00Z"``), ``"2019/02/11"``,
  ``"2019.02.11"``;
- numeric day / month / year with ``/``, ``.``, ``-`` or space between: ``"11/02/2019"``,
  ``"11.02.2019"``, ``"2/11/19"``. **Rule:** when one of the first two parts is greater than 12, it
  is the day (``"25/12/2019"`` and ``"12/25/2019"`` are both 25 December). When both are 12 or less,
  ``dayfirst`` decides: ``True`` (the default, as in most of the world and in the seed's example,
  ``"11/02/2019"`` is 11 February) or ``False`` (US style, 2 November). Two-digit years are
  2000-2069 for 00-69 and 1970-1999 for 70-99;
- month names in English, German, French, Spanish, Italian, Dutch and Portuguese, full or
  abbreviated, and Polish in the genitive that dates use (``"5 stycznia 2020"``), day before or
  after the month: ``"Feb 11, 2019"``, ``"11 February 2019"``, ``"11. Februar 2019"``,
  ``"11 février 2019"``, ``"1er mars 2019"``, ``"11-Feb-2019"``, ``"Monday, February 11th, 2019"``;
- ``"2019年2月11日"``.

A date that does not exist (``"31/02/2019"``) is ``None``.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from decimal import Decimal, InvalidOperation
from types import MappingProxyType

import pyarrow as pa

__all__ = ["MONTHS", "NUMBER_SCALE", "NUMBER_TYPE", "parse_date", "parse_number"]

#: The Arrow type of the ``number`` columns: exact, 28 digits before the point and 10 after.
NUMBER_SCALE = 10
NUMBER_TYPE = pa.decimal128(38, NUMBER_SCALE)
_MAX_INT_DIGITS = 38 - NUMBER_SCALE

# Values longer than this are prose, not amounts or dates; skipping them keeps parsing cheap.
_MAX_LEN = 64
# The caches are bounded so a long-running process cannot grow without limit; when full they are
# cleared, which costs a re-parse, never a wrong answer.
_CACHE_MAX = 1_000_000

_number_cache: dict[str, Decimal | None] = {}
_date_cache: dict[tuple[str, bool], date | None] = {}

_PLAIN_NUMBER = re.compile(r"-?\d{1,28}(?:\.\d{1,10})?")
_ISO_DATE = re.compile(r"(\d{4})-(\d\d)-(\d\d)")

# Currency symbols and codes allowed around an amount.
_CURRENCY = r"(?:[$€£¥₹₩₽₺₪฿₫₴₦₱¢]|[A-Z]{3}|[A-Z]{1,3}\$|R\$|kr\.?|zł|Fr\.?|CHF|Rs\.?)"
_NUMBER = re.compile(
    rf"""
    (?P<lparen>\()?\s*
    (?P<sign1>[-+−])?\s*
    (?:{_CURRENCY}\s*)?
    (?P<sign2>[-+−])?\s*
    (?P<body>\d[\d.,'’\s]*)
    \s*(?:{_CURRENCY})?
    \s*(?P<pct>%)?
    \s*(?P<sign3>-)?
    \s*(?P<rparen>\))?
    """,
    re.VERBOSE,
)
_GROUPED_3 = re.compile(r"\d{1,3}(?:[,.'’ ]\d{3})+")
_SPACES = str.maketrans({"\u00a0": " ", "\u202f": " ", "\u2009": " ", "\t": " "})


def parse_number(text: str | None) -> Decimal | None:
    """Parse an amount, a quantity or a percentage exactly; ``None`` when it is not one.

    >>> parse_number("1.234,56 €")
    Decimal('1234.56')
    >>> parse_number("(8.79)")
    Decimal('-8.79')
    >>> parse_number("Labor 3hrs") is None
    True
    """
    if type(text) is not str:
        return None
    try:
        return _number_cache[text]
    except KeyError:
        pass
    if _PLAIN_NUMBER.fullmatch(text):
        result: Decimal | None = Decimal(text)
    else:
        try:
            result = _parse_number_slow(text)
        except (InvalidOperation, ValueError, TypeError, AttributeError):
            result = None
    if len(_number_cache) >= _CACHE_MAX:
        _number_cache.clear()
    _number_cache[text] = result
    return result


def _parse_number_slow(text: str) -> Decimal | None:
    s = text.translate(_SPACES).strip()
    if not s or len(s) > _MAX_LEN:
        return None
    m = _NUMBER.fullmatch(s)
    if m is None:
        return None
    negative = False
    if m["lparen"] or m["rparen"]:
        if not (m["lparen"] and m["rparen"]):
            return None
        negative = True
    signs = [x for x in (m["sign1"], m["sign2"], m["sign3"]) if x]
    if len(signs) > 1 or (signs and negative):
        return None
    if signs and signs[0] in "-−":
        negative = True
    body = _normalise_body(m["body"].strip())
    if body is None:
        return None
    value = Decimal(body)
    if negative:
        value = -value
    return _fit(value)


def _normalise_body(body: str) -> str | None:
    """Turn the digits-and-separators part into a plain ``1234.56`` string, or None."""
    last_dot = body.rfind(".")
    last_comma = body.rfind(",")
    if last_dot >= 0 and last_comma >= 0:
        decimal_at = max(last_dot, last_comma)
        whole, frac = body[:decimal_at], body[decimal_at + 1 :]
        if not _GROUPED_3.fullmatch(whole) or body[decimal_at] in whole:
            return None
    elif last_comma >= 0 or last_dot >= 0:
        mark = "," if last_comma >= 0 else "."
        if body.count(mark) > 1:
            # "1,234,567" or "1.234.567": thousands only.
            return _digits_only(body) if _GROUPED_3.fullmatch(body) else None
        at = body.find(mark)
        whole, frac = body[:at], body[at + 1 :]
        if (
            mark == ","
            and len(frac) == 3
            and _digits_only(whole) not in ("0", None)
            and (" " not in whole or _GROUPED_3.fullmatch(whole) is not None)
        ):
            return _digits_only(body) if _GROUPED_3.fullmatch(body) else None
        if whole.strip() != whole:
            return None
        if any(sep in whole for sep in " '’") and not _GROUPED_3.fullmatch(whole):
            return None
    else:
        whole, frac = body, ""
        if not whole.isdigit() and not _GROUPED_3.fullmatch(whole):
            return None
    digits = _digits_only(whole)
    if digits is None or (frac and not frac.isdigit()):
        return None
    return f"{digits}.{frac}" if frac else digits


def _digits_only(text: str) -> str | None:
    out = "".join(ch for ch in text if ch.isdigit())
    if not out or any(ch not in ",.'’ " and not ch.isdigit() for ch in text):
        return None
    return out


def _fit(value: Decimal) -> Decimal | None:
    """``value`` if it fits the number column exactly, else None (never rounded)."""
    if not value.is_finite():
        return None
    value_t = value.as_tuple()
    exponent = value_t.exponent
    assert isinstance(exponent, int)
    if exponent < -NUMBER_SCALE:
        value = value.normalize()
        exponent_n = value.as_tuple().exponent
        assert isinstance(exponent_n, int)
        if exponent_n < -NUMBER_SCALE:
            return None
    if value.adjusted() >= _MAX_INT_DIGITS:
        return None
    return value


# --- dates -------------------------------------------------------------------------------------

_MONTHS: dict[str, int] = {}


def _add_months(names: str) -> None:
    for month, group in enumerate(names.split(";"), start=1):
        for name in group.split(","):
            name = name.strip()
            if name:
                _MONTHS[name] = month
                _MONTHS[_fold(name)] = month


def _fold(text: str) -> str:
    """Lower case without accents: 'Février' -> 'fevrier', 'März' -> 'marz'."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


# English, German, French, Spanish, Italian, Dutch, Portuguese, Malay; abbreviations included.
_add_months(
    "january,jan,januar,jänner,jän,janvier,janv,enero,ene,gennaio,gen,januari,janeiro;"
    "february,feb,februar,févr,février,fevr,fev,febrero,febbraio,februari,fevereiro;"
    "march,mar,märz,mär,maerz,mars,marzo,maart,mrt,março,marco,mac;"
    "april,apr,avril,avr,abril,abr,aprile;"
    "may,mai,mayo,maggio,mag,mei,maio;"
    "june,jun,juni,juin,junio,giugno,giu,junho;"
    "july,jul,juli,juillet,juil,julio,luglio,lug,julho,julai;"
    "august,aug,août,aout,agosto,ago,augustus,ogos,ogo;"
    "september,sep,sept,septembre,septiembre,settembre,set,setembro;"
    "october,oct,oktober,okt,octobre,octubre,ottobre,ott,outubro,out;"
    "november,nov,novembre,noviembre,novembro;"
    "december,dec,dez,dezember,décembre,déc,decembre,diciembre,dic,dicembre,dezembro,disember,dis"
)
# Polish dates name the month in the genitive ("11 lutego 2019"); "mrz" is a German abbreviation
# of März. Both are printed on invoices, which the embedded engine reads with this table too.
_add_months(
    "stycznia;lutego;marca,mrz;kwietnia;maja;czerwca;lipca;sierpnia;września;października;"
    "listopada;grudnia"
)

#: Month names (lower case, both as written and without accents) and the month they name; the
#: one table behind :func:`parse_date` and the embedded engine's search for dates in text.
MONTHS: MappingProxyType[str, int] = MappingProxyType(_MONTHS)
_WEEKDAYS = frozenset(
    _fold(w)
    for w in re.findall(
        r"\w+",
        "monday mon tuesday tue tues wednesday wed thursday thu thurs friday fri saturday sat "
        "sunday sun montag dienstag mittwoch donnerstag freitag samstag sonntag lundi mardi "
        "mercredi jeudi vendredi samedi dimanche lunes martes miércoles jueves viernes sábado "
        "domingo",
    )
)
_FILLER = frozenset({"de", "del", "of", "the", "le", "den"})

_NUMERIC_DATE = re.compile(r"(\d{1,4})\s*([./\- ])\s*(\d{1,2})\s*\2\s*(\d{1,4})")
_CJK_DATE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_TOKEN = re.compile(r"\d+|[^\W\d_]+")
_ORDINAL_SUFFIX = re.compile(r"(\d+)(?:st|nd|rd|th|er|e|º|°)\b", re.IGNORECASE)
_ISO_TIME_TAIL = re.compile(r"[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:Z|[+-]\d{2}:?\d{2})?")


def parse_date(text: str | None, *, dayfirst: bool = True) -> date | None:
    """Parse a calendar date; ``None`` when it is not one.

    See the module docstring for the forms read and the day-first rule.

    >>> parse_date("Feb 11, 2019")
    datetime.date(2019, 2, 11)
    >>> parse_date("02/11/2019", dayfirst=False)
    datetime.date(2019, 2, 11)
    """
    if type(text) is not str:
        return None
    key = (text, dayfirst)
    try:
        return _date_cache[key]
    except KeyError:
        pass
    m = _ISO_DATE.fullmatch(text)
    result: date | None
    try:
        if m is not None:
            result = date(int(m[1]), int(m[2]), int(m[3]))
        else:
            result = _parse_date_slow(text, dayfirst)
    except (ValueError, TypeError, AttributeError, OverflowError):
        result = None
    if len(_date_cache) >= _CACHE_MAX:
        _date_cache.clear()
    _date_cache[key] = result
    return result


def _parse_date_slow(text: str, dayfirst: bool) -> date | None:
    s = text.translate(_SPACES).strip()
    if not s or len(s) > _MAX_LEN or not any(ch.isdigit() for ch in s):
        return None
    # ISO with a time after the date.
    if len(s) > 10 and _ISO_DATE.fullmatch(s[:10]) and _ISO_TIME_TAIL.fullmatch(s[10:]):
        return date(int(s[:4]), int(s[5:7]), int(s[8:10]))
    m = _CJK_DATE.fullmatch(s)
    if m:
        return date(int(m[1]), int(m[2]), int(m[3]))
    m = _NUMERIC_DATE.fullmatch(s)
    if m:
        return _numeric_date(m[1], m[3], m[4], dayfirst)
    return _named_month_date(s)


def _year(text: str) -> int | None:
    if len(text) == 4:
        return int(text)
    if len(text) == 2:
        yy = int(text)
        return 2000 + yy if yy < 70 else 1900 + yy
    return None


def _numeric_date(a: str, b: str, c: str, dayfirst: bool) -> date | None:
    if len(a) == 4:  # year first: always year-month-day
        return date(int(a), int(b), int(c))
    if len(a) > 2:
        return None
    year = _year(c)
    if year is None:
        return None
    first, second = int(a), int(b)
    if first > 12:
        day, month = first, second
    elif second > 12:
        day, month = second, first
    elif dayfirst:
        day, month = first, second
    else:
        day, month = second, first
    return date(year, month, day)


def _named_month_date(s: str) -> date | None:
    s = _ORDINAL_SUFFIX.sub(r"\1", s)
    month: int | None = None
    numbers: list[str] = []
    month_pos = -1
    for token in _TOKEN.findall(s):
        if token.isdigit():
            numbers.append(token)
            continue
        folded = _fold(token)
        if folded in _WEEKDAYS or folded in _FILLER:
            continue
        found = _MONTHS.get(folded)
        if found is None or month is not None:
            return None
        month, month_pos = found, len(numbers)
    if month is None or len(numbers) != 2:
        return None
    # Which number is the year: the four-digit one; with two short ones, the last one.
    if len(numbers[0]) == 4 and len(numbers[1]) <= 2:
        year_s, day_s = numbers
    elif len(numbers[1]) in (2, 4) and len(numbers[0]) <= 2 and month_pos in (0, 1):
        day_s, year_s = numbers
    else:
        return None
    year = _year(year_s)
    if year is None:
        return None
    return date(year, month, int(day_s))
