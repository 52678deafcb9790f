"""Reading a shop receipt: whether a document is one, its total, its date and its seller.

A receipt prints its total several times over: a subtotal, the total with tax, a rounding
adjustment and the rounded total, then what the customer handed over (CASH, TENDERED) and got
back (CHANGE). The total is chosen by arithmetic first - the total that equals cash - change -
then by what the labels say (a rounded, final, payable or grand total), then as the largest of
the totals (a subtotal is never above the total). Lines of quantities, savings, taxes and
amounts before tax are not totals.

The input is a page's lines top to bottom, each a list of *phrases* (runs of words without a
column-sized gap), as :mod:`ocrframe.engine.invoice` groups them. Pure; no I/O.

Example::

    lines = [["TOTAL", "RM 29.70"], ["CASH", "RM 30.00"], ["CHANGE", "RM 0.30"]]
    receipt_total(lines)   # Decimal("29.70")
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from ocrframe.engine.layout import Line, line_phrases
from ocrframe.engine.legal_forms import (
    find_legal_forms,
    has_legal_form,
    mend_legal_forms,
    starts_with_legal_form,
)
from ocrframe.engine.normalize import find_amounts, find_percentages, fold
from ocrframe.engine.types import Word

__all__ = ["header_phrases", "is_receipt", "receipt_currency", "receipt_seller", "receipt_total"]

Lines = Sequence[Sequence[str]]

# the labels below are one lexicon across languages: English (and Malay), German, French, Dutch
_TOTAL = re.compile(
    r"total|totaal|(?<![a-z])(?:jumlah|payable|amount due|nett|grand|summe|zwischensumme|"
    r"gesamt|gesamtbetrag|zu zahlen|te betalen|a payer|ttc)"
)
# labels of totals that are final: rounded, payable, grand
_FINAL = re.compile(
    r"(?<![a-z])(?:rounded|final|payable|grand|nett|amount due|zu zahlen|te betalen|a payer)"
    r"(?![a-z])"
)
# lines that carry a total-like word but are not the amount paid
_NOT_TOTAL = re.compile(
    r"(?<![a-z])(?:qty|quantity|items?|saving|savings|sub|subtotal|sub-total|excl|excluding|"
    r"exclusive|before|discount|supplies|tax|gst|vat|sst|zwischensumme|artikel|rabatt|mwst|"
    r"ust|netto|sous|articles|remise|tva|ht|subtotaal|korting|btw)(?![a-z])"
)
# "Total incl. GST", "Total Sales (Inclusive of GST)": the tax word is part of the total's label
_INCLUSIVE = re.compile(r"(?<![a-z])(?:incl|inclusive|includes|including|inc|with)(?![a-z])")
_SUBTOTAL = re.compile(
    r"(?<![a-z])(?:sub|subtotal|sub-total|zwischensumme|sous|subtotaal)(?![a-z])"
)
_ROUNDING = re.compile(r"(?<![a-z])(?:rounding|round|rundung|arrondi|afronding)(?![a-z])")
_CASH_WORDS = r"cash|tendered|tender|paid|bar|bargeld|gegeben|especes|contant|betaald"
_CASH = re.compile(rf"(?<![a-z])(?:{_CASH_WORDS})(?![a-z])")
_CHANGE_WORDS = r"change|ruckgeld|zuruck|rendu|monnaie|wisselgeld|terug"
_CHANGE = re.compile(rf"(?<![a-z])(?:{_CHANGE_WORDS})(?![a-z])")
_NOT_CHANGE = re.compile(r"(?<![a-z])(?:exchange|exchanged)(?![a-z])")


@dataclass(frozen=True)
class _Labelled:
    label: str  # folded
    amount: Decimal
    line: int


def _amount(text: str) -> Decimal | None:
    """The last amount in ``text``: "RM96.20" and "-RM 0.01" read as 96.20 and -0.01."""
    text = re.sub(r"(?<=[A-Za-z$])(?=\d)", " ", text)
    text = re.sub(r"-\s*(?:RM|\$)\s*(?=\d)", "-", text)
    for p in reversed(find_percentages(text)):
        text = text[: p.start] + " " * (p.end - p.start) + text[p.end :]
    found = [a for a in find_amounts(text) if isinstance(a.value, Decimal) and a.has_decimals]
    if not found:
        return None
    value = found[-1].value
    assert isinstance(value, Decimal)
    return value


# an amount with at most a currency mark before or after it ("RM 12.00", "12,00 EUR", "€ 4,50")
_MARKS = r"(?:rm|myr|usd|eur|sgd|gbp|chf|aud|s\$|us\$)"
_BARE_AMOUNT = re.compile(rf"[^a-z\d]*{_MARKS}?[^a-z\d]*[\d.,\s-]*\d[\d.,\s-]*{_MARKS}?\W*")


def _labelled(lines: Lines) -> list[_Labelled]:
    """Every (label phrase, amount) on the lines: a phrase's own amount after its words, else
    the amount of the next phrases up to the next phrase with letters; a label that ends its
    line without one takes the amount alone on the next line (a skewed scan parts them)."""
    out: list[_Labelled] = []
    for index, phrases in enumerate(lines):
        for k, phrase in enumerate(phrases):
            label = fold(phrase)
            if not re.search(r"[a-z]{2}", label):
                continue
            amount = _amount(phrase)
            if amount is None:
                for nxt in phrases[k + 1 :]:
                    if re.search(r"[a-z]{3}", fold(nxt)) and not _BARE_AMOUNT.fullmatch(fold(nxt)):
                        break
                    amount = _amount(nxt)
                    if amount is not None:
                        break
            if amount is None and k == len(phrases) - 1 and index + 1 < len(lines):
                below = lines[index + 1]
                if below and all(_BARE_AMOUNT.fullmatch(fold(p)) for p in below):
                    amount = _amount(below[-1])
            if amount is not None:
                out.append(_Labelled(label, amount, index))
    return out


# what only a till prints: the cashier, the cash handed over, the change given back
_TILL = re.compile(
    rf"(?<![a-z])(?:cash|tendered|tender|{_CHANGE_WORDS}|bargeld|gegeben|especes|contant)"
    r"(?![a-z])"
)
_CASHIER = re.compile(
    r"(?<![a-z])(?:cashier|kasse|kassierer|caissier|caisse|kassa|kassier)(?![a-z])"
)
# paid by card: the card's or the scheme's name beside the amount ("VISA 12.00", "EC-Karte")
_CARD = re.compile(
    r"^\W*(?:visa|mastercard|maestro|amex|card|credit card|debit card|girocard|ec-karte|"
    r"ec|karte|kartenzahlung|cb|carte|carte bancaire|pin|pinbetaling)\W*$"
)


_CARD_WORD = re.compile(
    r"(?<![a-z])(?:visa|mastercard|maestro|amex|card|girocard|ec|karte|kartenzahlung|cb|"
    r"carte|pin|pinbetaling)(?![a-z])"
)


def _words_of(label: str) -> str:
    """A folded label without its amount and currency marks: "visa rm 12.00" -> "visa"."""
    return re.sub(r"[^a-z -]+|(?<![a-z])(?:rm|eur|usd|gbp|sgd|myr)(?![a-z])", " ", label).strip()


def is_receipt(lines: Lines) -> bool:
    """Whether the lines read as a shop receipt: a total, and a till's words (the cashier, the
    cash handed over, the change given back) or a card payment (a card's name beside an
    amount)."""
    # cheap first: most documents print none of a till's words at all
    whole = fold("\n".join(" ".join(phrases) for phrases in lines))
    if not _TOTAL.search(whole) or not (
        _CASHIER.search(whole) or _TILL.search(whole) or _CARD_WORD.search(whole)
    ):
        return False
    labelled = _labelled(lines)
    has_total = any(_TOTAL.search(x.label) for x in labelled)
    if has_total and any(_CARD.match(_words_of(x.label)) for x in labelled):
        return True
    cashier = any(_CASHIER.search(fold(p)) for phrases in lines for p in phrases)
    # a till's word in a short phrase ("CASH", "Change RM", "No cash refund"), not in prose
    paid = any(
        _TILL.search(fold(p)) and not _NOT_CHANGE.search(fold(p)) and len(p.split()) <= 4
        for phrases in lines
        for p in phrases
    )
    return has_total and (cashier or paid)


def receipt_total(lines: Lines) -> Decimal | None:
    """The amount paid (see the module docstring), or None when no total is printed."""
    labelled = _labelled(lines)
    totals: list[_Labelled] = []
    weak: list[_Labelled] = []  # subtotals and rounding lines: only when the cash agrees
    cash: list[Decimal] = []
    change: list[Decimal] = []
    for x in labelled:
        if _CHANGE.search(x.label) and not _NOT_CHANGE.search(x.label):
            change.append(x.amount)
        elif _CASH.search(x.label) and not _TOTAL.search(x.label):
            cash.append(x.amount)
        elif _TOTAL.search(x.label):
            excluded = _NOT_TOTAL.search(x.label)
            if excluded and not (
                _INCLUSIVE.search(x.label)
                and not _SUBTOTAL.search(x.label)
                and not re.search(r"(?<![a-z])(?:qty|quantity|excl|excluding|supplies)", x.label)
            ):
                if _SUBTOTAL.search(x.label):
                    weak.append(x)
                continue
            totals.append(x)
        elif _ROUNDING.search(x.label) and abs(x.amount) >= 1:
            weak.append(x)  # "Rounding RM 52.10": a rounded total under a rounding label
    positive = [t for t in totals if t.amount > 0]
    if cash:
        paid = cash[0] - (change[0] if change else Decimal(0))
        agreeing = [t for t in positive + weak if t.amount == paid]
        if agreeing:
            return agreeing[-1].amount
    final = [t for t in positive if _FINAL.search(t.label)]
    if final:
        return final[-1].amount
    if positive:
        return max(t.amount for t in positive)
    return None


# after the legal forms (ocrframe.engine.legal_forms), words that name a kind of business
# (English, Malay, German, French, Dutch)
_BUSINESS = re.compile(
    r"(?<![a-z])(?:enterprises?|trading|restaurants?|store|stores|mart|shop|supermarket|"
    r"minimarket|hardware|bakery|bakeries|cafe|pharmacy|marketing|services|industries|"
    r"holdings|company|"
    r"kedai|syarikat|perniagaan|pasaraya|restoran|farmasi|"
    r"backerei|apotheke|handel|markt|laden|"
    r"boulangerie|pharmacie|magasin|epicerie|boutique|"
    r"bakkerij|apotheek|winkel)(?![a-z])"
)
# where an address or the contact lines start (the name is above them)
# (whole words: "LOTUS", "REGAL", "ROADHOUSE" are names, "LOT 12", "REG.", "ROAD" are not)
_ADDRESS_OR_CONTACT = re.compile(
    r"(?<![a-z])(?:tel|telephone|fax|phone|mobile|gst|vat|ust|tva|reg|regd|registration|email|"
    r"e-mail|street|road|avenue|strasse|str|rue|lot|jalan|lane|boulevard|bd|blvd)(?![a-z])|"
    r"[a-z](?:strasse|straat|weg|laan|plein|gasse|allee|platz|gracht)(?![a-z])|"
    r"(?<![a-z])no\.|www\.|https?:|@|\.com|\d{5}"
)
# lines that title the slip, not name the shop ("TAX INVOICE", OCR's "TAXINVOICE", "COPY")
_NOT_SELLER = re.compile(
    r"(?<![a-z])(?:welcome|thank|thanks|(?:tax\s*|official\s*)?(?:receipt|invoice)|order|table|"
    r"cash\s*sales?|reprint|duplicate|copy)(?![a-z])"
)


def receipt_seller(lines: Lines, limit: int = 8) -> str | None:
    """The shop's name from the first lines: the name with a legal form, else with a word
    naming a kind of business, else the first line of words.

    A name may run over several lines: a line that starts with a legal form or a business
    word ("SDN BHD", "ENTERPRISE (NORTH") continues the one above, and an open bracket
    continues on the next line. The name ends where the address or contact lines start.
    """
    header: list[tuple[str, bool]] = []
    for phrases in lines[:limit]:
        text, introduced = _clean(" ".join(phrases))
        letters = sum(c.isalpha() for c in text)
        if letters < 3 or letters < 0.6 * len(text.replace(" ", "")):
            continue  # a number or a stamp, printed anywhere: a name may run across it
        if _ADDRESS_OR_CONTACT.search(fold(text)) and not has_legal_form(text):
            if header:
                break  # the address starts: the name is above it
            continue
        header.append((text, introduced))
    names: list[str] = []
    for text, introduced in header:
        if _NOT_SELLER.search(fold(text)):
            names.append("")
            continue
        # an introduced company ("Owned by ...") or a line that restates the one above in
        # full ("CAFE NUPA" over "CAFE NUPA GMBH") is a name of its own, not the rest of it
        if (
            names
            and names[-1]
            and not introduced
            and (_open(names[-1]) or (_continues(text) and not _restates(names[-1], text)))
        ):
            names[-1] = f"{names[-1]} {text}"
            continue
        names.append(text)
    names = [n for n in names if n]
    for name in names:
        if has_legal_form(name):
            return name
    for name in names:
        if _BUSINESS.search(fold(name)):
            return name
    return names[0] if names else None


def header_phrases(lines: Sequence[Line], limit: int = 12) -> list[list[str]]:
    """The phrases of a page's first ``limit`` lines, for :func:`receipt_seller`, without the
    words far taller than the rest of their line: a stamp or a handwritten number across a
    printed line is not part of the name printed there.

    A line the printer wrapped is joined to the line it continues (:func:`_wrapped`): a long
    name in large print often runs over two lines.
    """
    out: list[list[str]] = []
    if not lines:
        return out
    left = min(w.x0 for ln in lines for w in ln.words)
    width = max(w.x1 for ln in lines for w in ln.words) - left
    above: Line | None = None
    for line in lines[:limit]:
        kept = [w for w in line.words if not _stamp(w, line)]
        if not kept:
            continue
        current = line if len(kept) == len(line.words) else Line(line.page, kept)
        phrases = [p.text for p in line_phrases(current)]
        if above is not None and _wrapped(above, current, width):
            out[-1] = out[-1] + phrases
        else:
            out.append(phrases)
        above = current
    return out


def _wrapped(above: Line, line: Line, width: float) -> bool:
    """Whether ``line`` is the rest of ``above`` that the printer wrapped: the same print size,
    right below it, and its first word would not have fitted on the line above (the text block
    is ``width`` wide). An address or contact line, or a line after a complete name (with its
    legal form), starts anew."""
    if abs(above.height - line.height) > 0.15 * max(above.height, line.height):
        return False
    if line.y0 - above.y1 > 0.8 * above.height:
        return False
    first = line.words[0]
    space = 0.3 * line.height
    if above.words[-1].x1 - above.words[0].x0 + space + first.x1 - first.x0 < 0.95 * width:
        return False
    if _NOT_SELLER.search(fold(above.text)):
        return False
    if has_legal_form(above.text) and not line.text.startswith("("):
        return False  # a complete name; what follows it in brackets may still be its own
    return starts_with_legal_form(line.text) or not _ADDRESS_OR_CONTACT.search(fold(line.text))


def _stamp(word: Word, line: Line) -> bool:
    """Whether ``word`` towers over the rest of its line (a stamp or a handwritten number laid
    over the print); smaller print on a name's line (its legal form) is part of the name."""
    return word.height > 1.8 * line.height  # (the line's height is its words' median)


def _restates(above: str, text: str) -> bool:
    """Whether ``text`` holds all of ``above`` (spacing and case aside)."""
    key = re.sub(r"\s+", "", fold(above))
    return len(key) >= 3 and key in re.sub(r"\s+", "", fold(text))


def _open(text: str) -> bool:
    """Whether ``text`` leaves a bracket open ("ENTERPRISE (NORTH" goes on below)."""
    return text.count("(") > text.count(")")


def _continues(text: str) -> bool:
    """Whether a header line continues the name above it: it starts with a legal form or a
    business word (a company's name ends with them), or closes a bracket it did not open."""
    rest = re.sub(r"^\s*\([^()]*\)\s*", "", text)  # "(M) SDN BHD"
    m = _BUSINESS.search(fold(rest))
    if starts_with_legal_form(rest) or (m is not None and m.start() == 0):
        return True
    return text.count(")") > text.count("(")


# what introduces the company behind a shop's name: an agent ("Owned by", "Operated by",
# "exploité par", "betrieben von", "uitgebaat door", Malay "oleh") or a part of a group ("A
# member of", "a division of", "Eine Filiale der", "Een vestiging van", "succursale de")
_INTRODUCER = re.compile(
    r"^\s*(?:[^\W\d_][\w'-]*\s+){0,3}?(?:by|par|von|door|durch|oleh)\s+"
    r"|^\s*(?:(?:an?|eine?|een|une?|la|le)\s+)?(?:member|division|subsidiary|branch|unit|"
    r"franchisee|filiale|niederlassung|zweigniederlassung|vestiging|filiaal|succursale|membre|"
    r"cawangan|ahli)\s+(?:of|der|des|van|de|du|d'|kepada)\s*",
    re.IGNORECASE,
)


def _clean(text: str) -> tuple[str, bool]:
    """A header line without a registration number (in brackets or after the name), without
    a "Owned by:" prefix, with OCR's misreadings of a legal form mended; and whether such a
    prefix introduced it."""
    text = text.replace("\uff08", "(").replace("\uff09", ")")  # OCR's full-width brackets
    # a bracket holding a long number is a registration, never part of a name
    text = re.sub(r"\([^()]*\d{4,}[^()]*\)", " ", text)
    text = re.sub(r"\(\s*[\w ]*\d[\w ]*-?\s*[A-Za-z]?\s*\)", " ", text)
    introduced = False
    if ":" in text:
        label, text = text.split(":", 1)
        introduced = bool(re.search(r"[^\W\d_]{3}", label))
    introducer = _INTRODUCER.match(text)
    if introducer:
        text = text[introducer.end() :]
        introduced = True
    text = mend_legal_forms(text)
    forms = find_legal_forms(text)
    if forms:
        # after its legal form a name is complete: a bracket there that is not closed on the
        # line or holds a number is a registration ("SASU (RCS Lyon", "B.V. (KvK")
        rest = text[forms[-1].end :]
        bracket = re.match(r"\s*\(([^()]*)(\)?)", rest)
        if bracket and (not bracket.group(2) or re.search(r"\d", bracket.group(1))):
            text = text[: forms[-1].end]
    # a registration number after the name: "1234567-X", "002065464-X"
    text = re.sub(r"(?<![\w-])\d{5,}-?\s?[A-Za-z]?(?![\w-])\s*$", " ", text)
    text = re.sub(r"[^\W_]+", _letters_mended, text)
    return re.sub(r"\s+", " ", text).strip(" ,-"), introduced


# digits OCR reads for the letters they resemble, by the case of the word's letters
_AS_UPPER = str.maketrans({"0": "O", "1": "I", "5": "S", "8": "B", "6": "G"})
_AS_LOWER = str.maketrans({"0": "o", "1": "l", "5": "s"})


def _letters_mended(match: re.Match[str]) -> str:
    """A word of a name's letters with a digit OCR read for a letter between letters ("B0OKS",
    "W1SMA") mended: a word of at least three letters, in capitals or in lower case after the
    first, with one digit per four letters at most, each between letters and resembling one.
    Numbers, codes ("U13", "3M"), a number glued to a word ("1UTAMA", "2ND"), mixed case and
    digits that resemble no letter stay as printed."""
    word = match.group(0)
    letters = [c for c in word if c.isalpha()]
    digits = len(word) - len(letters)
    if not digits or len(letters) < 3 or 4 * digits > len(letters):
        return word
    if all(c.isupper() for c in letters):
        table = _AS_UPPER
    elif all(c.islower() for c in letters[1:]):  # "Harb0ur" as "harb0ur"
        table = _AS_LOWER
    else:
        return word
    inner = word[1:-1].translate(table)  # a digit at either end may be a number glued on
    mended = word[0] + inner + word[-1]
    return mended if not any(c.isdigit() for c in mended) else word


def receipt_currency(lines: Lines) -> str | None:
    """``"MYR"`` where amounts are marked with the ringgit's ``RM``; other currencies are found
    by the invoice reader's marks."""
    marked = sum(1 for phrases in lines for p in phrases if re.search(r"(?<![A-Za-z])RM\s?-?\d", p))
    return "MYR" if marked >= 2 else None
