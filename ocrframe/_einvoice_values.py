"""Values out of e-invoice XML: element look-ups by local name, amounts, numbers and dates.

The pieces :mod:`ocrframe._einvoice` reads both syntaxes (CII and UBL) with; each value keeps the
XML's own digits and sign, and one that is not what its element promises is an
:class:`EInvoiceError` that names the element.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date
from decimal import Decimal, InvalidOperation

__all__ = ["EInvoiceError"]


class EInvoiceError(ValueError):
    """An attached e-invoice that cannot be read: malformed, hostile, too large or not an
    invoice. The message says what and where (the attachment's name and the element)."""


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _xpath(path: str) -> str:
    return "/".join("{*}" + step for step in path.split("/"))


def _first(el: ET.Element | None, *paths: str) -> ET.Element | None:
    """The first element found along any of ``paths`` (local names, ``/``-separated)."""
    if el is None:
        return None
    for path in paths:
        found = el.find(_xpath(path))
        if found is not None:
            return found
    return None


def _all(el: ET.Element | None, *paths: str) -> list[ET.Element]:
    if el is None:
        return []
    for path in paths:
        found = el.findall(_xpath(path))
        if found:
            return found
    return []


def _text(el: ET.Element | None) -> str | None:
    if el is None or el.text is None:
        return None
    text = el.text.strip()
    return text or None


def _amount(el: ET.Element | None, where: str) -> str | None:
    """An amount as DocAI writes it, without losing a digit: ``"845.00"``, ``"-12.50"``,
    ``"0.1234"``."""
    text = _text(el)
    if text is None:
        return None
    value = _decimal(text, where)
    exponent = value.normalize().as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2:
        return f"{value.normalize():f}"
    return f"{value.quantize(Decimal('0.01')):f}"


def _number(el: ET.Element | None, where: str) -> str | None:
    """A quantity or percentage: ``"300.00"`` -> ``"300"``, ``"5.5"`` -> ``"5.5"``."""
    text = _text(el)
    if text is None:
        return None
    number = f"{_decimal(text, where):f}"
    return number.rstrip("0").rstrip(".") if "." in number else number


def _decimal(text: str, where: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite():
        raise EInvoiceError(f"{where}: {text[:40]!r} is not a number")
    return value


def _date(el: ET.Element | None) -> str | None:
    """ISO date from a CII ``DateTimeString`` (format 102, ``YYYYMMDD``) or a UBL date.

    Other CII formats (610 month, 616 week) name no day and give nothing.
    """
    if el is None:
        return None
    string = _first(el, "DateTimeString")
    if string is not None:
        el = string
    text = _text(el)
    if text is None:
        return None
    fmt = el.get("format", "102")
    m = None
    if fmt == "102":
        m = re.fullmatch(r"(\d{4})(\d{2})(\d{2})", text)
    if m is None:
        m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", text)
    if m is None:
        return None
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3))).isoformat()
    except ValueError:
        return None


def _in_currency(elements: list[ET.Element], currency: str | None) -> ET.Element | None:
    """Of several totals (EXTENDED may state the tax in two currencies), the invoice's."""
    for el in elements:
        if currency is not None and el.get("currencyID") == currency:
            return el
    return elements[0] if elements else None
