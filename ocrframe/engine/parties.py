"""The parties' names: the seller (issuer) and the buyer.

The seller is the value of a seller label near the top of page 1, else a name with a legal form
(GmbH, B.V., Ltd ...) above the buyer's block, else the most prominent name at the top, else
the first name at the top left above the first label (:func:`find_seller`). A bare "Name:"
label takes the party of the block heading above it (:func:`party_of`). A label word alone is
never a name (:func:`plausible_name`).

Example::

    plausible_name("Kunde")              # None: a label, not a name
    plausible_name("Muster GmbH - Hauptstr. 1")   # "Muster GmbH"

Pure and deterministic.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from statistics import median

from ocrframe.engine.fields import Value
from ocrframe.engine.hits import FULL_LABELS, TITLE_WORDS, Hit, line_hits
from ocrframe.engine.labels import DOCUMENT_TYPES
from ocrframe.engine.layout import Line, label_token, line_phrases
from ocrframe.engine.normalize import fold
from ocrframe.engine.types import Page

__all__ = ["clean_name", "find_seller", "party_of", "plausible_name"]


_SELLER_HEADING = re.compile(
    r"(?<![a-z])(?:verkaufer|seller|supplier|vendor|vendeur|fournisseur|lieferant|"
    r"rechnungssteller|emetteur|leverancier|absender)(?![a-z])"
)
_BUYER_HEADING = re.compile(
    r"(?<![a-z])(?:kaufer|buyer|customer|client|acheteur|kunde|rechnungsempfanger|"
    r"leistungsempfanger|empfanger|destinataire|klant|bill to|invoice to)(?![a-z])"
)


def party_of(hit: Hit, lines: list[Line]) -> str | None:
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


def clean_name(value: str) -> str:
    # "Example Widgets AG - Hauptstr. 1 - D-12345 Musterstadt": the name is before the address
    value = re.split(r"\s[-–|•·]\s", value)[0]
    return value.strip(" ,;:")


# Words on a title line that are not part of a name.
NOT_NAME = frozenset(DOCUMENT_TYPES) | {
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


LEGAL_FORM = re.compile(
    r"(?<!\w)(?:b\.?v\.?|n\.?v\.?|gmbh|ag|kg|e\.k\.|ohg|ug|ltd\.?|limited|inc\.?|llc|plc|"
    r"corp\.?|co\.|s\.?a\.?s?|sarl|eurl|sas|s\.?r\.?l\.?|s\.?p\.?a\.?|sp\. z o\.o\.|"
    r"pvt\.?|oy|ab|as|aps)(?!\w)",
    re.IGNORECASE,
)


def plausible_name(text: str) -> str | None:
    """``text`` cleaned to a company or person name, or None if it does not look like one."""
    if re.match(r"^\s*[^\W\d_][\w.\- ]{0,30}:", text) or text.rstrip().endswith(":"):
        return None  # "Nummer: 12", "Ansprechpartner:": a key (and its value), not a name
    words = [w for w in text.split() if label_token(w) not in NOT_NAME]
    if " ".join(label_token(w) for w in words) in FULL_LABELS:
        return None  # a label alone ("Name", "Customer"): never a party's name
    name = clean_name(" ".join(words))
    squeezed = name.replace(" ", "")
    letters = sum(c.isalpha() for c in squeezed)
    if letters < 2 or letters < 0.6 * len(squeezed) or len(name) > 60:
        return None
    if not any(c.isupper() for c in name):
        return None  # names are capitalised; lower-case fragments are logos or prose
    if name.startswith("(") or re.search(r"[#@]|www\.|https?:|\.(?:com|de|fr|nl)\b", name):
        return None
    return name


def _is_value_label(hit: Hit) -> bool:
    """A label of one of our fields, not a bare document title ("INVOICE")."""
    if hit.field == "_other":
        return False
    return not (hit.end - hit.start == 1 and hit.phrase.tokens[hit.start] in TITLE_WORDS)


def find_seller(
    found: dict[str, tuple[int, Value]],
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
        name = plausible_name(v.value)
        if name is not None and not LEGAL_FORM.sub("", name).strip(" &.,-"):
            # "Anbieter GmbH & Co. KG" under the label "Anbieter": the label was the first word
            name = plausible_name(v.extra.get("phrase", "")) or name
        if name is not None and v.page == page.number:
            return name, v.page
    lines = [ln for ln in lines_by_page[page.number] if ln.y0 < page.height * 0.35]
    if not lines:
        return None
    # a name with a legal form ("Example B.V.", "Muster AG") above the buyer's block
    for ln in lines:
        if any(h.field == "buyerName" for h in line_hits(ln)):
            break
        for phrase in line_phrases(ln):
            name = plausible_name(phrase.text)
            if name is not None and LEGAL_FORM.search(name):
                return name, page.number
    body = median(ln.height for ln in lines_by_page[page.number])
    # the issuer's name heads the document: nothing below its first labelled value
    limit = next(
        (ln.y0 for ln in lines if any(_is_value_label(h) for h in line_hits(ln))), 1e9
    )
    best: tuple[float, str] | None = None
    for ln in lines:
        if ln.y0 > limit:
            break
        if any(h.field != "_other" for h in line_hits(ln)) and ":" in ln.text:
            continue
        for phrase in line_phrases(ln):
            name = plausible_name(phrase.text)
            if name is None:
                continue
            h = median(w.height for w in phrase.words if label_token(w.text) not in NOT_NAME)
            if h < body * 1.15:
                continue
            score = h * 100 - ln.y0 * 0.01  # bigger wins; among equals the higher one
            if best is None or score > best[0]:
                best = (score, name)
    if best is not None:
        return best[1], page.number
    for ln in lines:
        if line_hits(ln):
            break  # the document's labelled part (or the buyer's block) starts here
        first = line_phrases(ln)[0]
        if first.x0 > page.width * 0.2:
            continue
        name = plausible_name(first.text)
        if name is not None:
            return name, page.number
    return None
