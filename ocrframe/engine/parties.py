"""The parties' names: the seller (issuer) and the buyer.

The seller is the value of a seller label near the top of page 1, else a name with a legal form
(GmbH, B.V., Ltd ...) above the buyer's block, else the most prominent name at the top, else
the first name at the top left above the first label (:func:`find_seller`). A bare "Name:"
label takes the party of the block heading above it (:func:`party_of`). A label word alone is
never a name (:func:`plausible_name`).

Example::

    plausible_name("Kunde")              # None: a label, not a name
    plausible_name("Lindwerk GmbH - Hauptstr. 1")   # "Lindwerk GmbH"

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
from ocrframe.engine.legal_forms import has_legal_form, strip_legal_forms
from ocrframe.engine.normalize import fold
from ocrframe.engine.types import Page

__all__ = ["clean_name", "find_buyer", "find_seller", "party_of", "plausible_name"]


_SELLER_HEADING = re.compile(
    r"(?<![a-z])(?:verkaufer|seller|supplier|vendor|vendeur|fournisseur|lieferant|"
    r"rechnungssteller|emetteur|leverancier|absender)(?![a-z])"
)
_BUYER_HEADING = re.compile(
    r"(?<![a-z])(?:kaufer|buyer|customer|client|acheteur|kunde|rechnungsempfanger|"
    r"leistungsempfanger|empfanger|destinataire|klant|bill to|invoice to|"
    r"kunden(?:adresse|anschrift)|rechnungs(?:adresse|anschrift))(?![a-z])"
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
    """A name without the address a line runs on into, and without outer punctuation."""
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
        if name is not None and not strip_legal_forms(name).strip(" &.,-"):
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
            if name is not None and has_legal_form(name):
                return name, page.number
    body = median(ln.height for ln in lines_by_page[page.number])
    # the issuer's name heads the document: nothing below its first labelled value
    limit = next((ln.y0 for ln in lines if any(_is_value_label(h) for h in line_hits(ln))), 1e9)
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
    # a letter's head without labels: the recipient's address window at the left, the
    # sender's address block beside it at the right
    top = [ln for ln in lines_by_page[page.number] if ln.y0 < page.height * 0.5]
    blocks = sorted(_address_blocks(top, None))
    if len(blocks) >= 2:
        (_, left_y, _), (right_x, right_y, right) = blocks[0], blocks[-1]
        if right_x > page.width * 0.4 and abs(right_y - left_y) < 3 * body:
            return right, page.number
    return None


# ----------------------------------------------------------------------------------------------
# The buyer


# "58 rue de la mer", "1, rue ...", "12 Main Street"; "38000 Grenoble", "DE 37073 Ort",
# "D-12345 Ort"; "Gartenstraße 12", "Station Road, 21": an address line, never a name
_ADDRESS = re.compile(
    r"^\d{1,5}[a-z]?\b,?\s+[^\W\d_]"
    r"|^(?:[A-Z]{1,2}[- ]?)?\d{4,5}\s+[^\W\d_]"
    r"|(?:stra(?:ss|ß)e|str\.|weg|allee|platz|gasse|ring|damm|street|road|avenue|lane|drive)"
    r"\b[.,]?\s*\d",
    re.IGNORECASE,
)
# a postcode and a town, the last line of an address block: "75002 Paris", "D-10115 Berlin";
# "Leeds LS1 4DY", "Boston, MA 02110"
_POSTCODE_LINE = re.compile(
    r"^(?:[A-Z]{1,2}[- ]?)?\d{4,5}\s+[^\W\d_]"
    r"|^[^\W\d_][\w .'-]*,?\s+(?:[A-Z]{2}\s+\d{5}(?:-\d{4})?|[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2})$"
)
# the contact person's or the channel's line of a party's block, not the party's name
_CONTACT = re.compile(
    r"(?<![a-z])(?:contact|kontakt|ansprechpartner|attn|z\.\s?hd|tel|telefon|phone|fax|"
    r"e-?mail|mobile?|handy|attention)(?![a-z])"
)


def _name_line(text: str) -> str | None:
    """``text`` as a party's name, or None when it is an address, a contact or not a name."""
    if _ADDRESS.search(text) or _CONTACT.search(fold(text)):
        return None
    if all(any(c.isdigit() for c in word) for word in text.split()):
        return None  # "REF0215": an identifier, not a name
    return plausible_name(text)


def find_buyer(
    found: dict[str, tuple[int, Value]],
    pages: Sequence[Page],
    lines_by_page: dict[int, list[Line]],
    seller: str | None,
) -> tuple[str, int] | None:
    """The recipient: the value of a buyer label when it is a name (not an address line); else
    the first name under a recipient heading ("Adresse du client", "Rechnungsempfänger",
    "Bill to"), past a contact line; else the first line of the leftmost address block (a
    name, street and postcode lines, without a label: a letter's address window) at the top
    of page 1 that is not the seller's."""
    if "buyerName" in found:
        v = found["buyerName"][1]
        name = _name_line(clean_name(v.value))
        if name is not None:
            return name, v.page
    if not pages:
        return None
    page = pages[0]
    lines = [ln for ln in lines_by_page[page.number] if ln.y0 < page.height * 0.5]
    name = _under_heading(lines)
    if name is None:
        name = _window_block(lines, page.width, seller)
    return (name, page.number) if name is not None else None


def _under_heading(lines: list[Line]) -> str | None:
    for index, line in enumerate(lines):
        for phrase in line_phrases(line):
            text = phrase.text
            if len(phrase.words) > 4 or any(c.isdigit() for c in text):
                continue
            if ":" in text.rstrip(":") or not _BUYER_HEADING.search(fold(text)):
                continue  # a key and its value ("Client: ACME") is the labels' business
            name = _below(lines, index, phrase.x0, phrase.x1, line.height)
            if name is not None:
                return name
    return None


def _below(lines: list[Line], index: int, x0: float, x1: float, h: float) -> str | None:
    """The first name in the block under a heading at ``x0..x1``: lines close below each other,
    their phrase aligned with the heading's start, up to the first address line."""
    last_y = lines[index].y1
    for line in lines[index + 1 : index + 7]:
        if line.y0 - last_y > 2.5 * h:
            break
        aligned = [p for p in line_phrases(line) if abs(p.x0 - x0) <= 2 * h]
        if not aligned:
            continue
        last_y = line.y1
        text = clean_name(aligned[0].text)
        if _ADDRESS.search(text):
            return None  # the address begins: the name was not there
        name = _name_line(text)
        if name is not None:
            return name
    return None


def _window_block(lines: list[Line], width: float, seller: str | None) -> str | None:
    blocks = _address_blocks(lines, seller)
    if not blocks:
        return None
    x0, _, name = min(blocks)
    return name if x0 < width * 0.5 else None


def _address_blocks(lines: list[Line], sender: str | None) -> list[tuple[float, float, str]]:
    """Unlabelled address blocks (a name over street and postcode lines): (x0, y0, name) of
    each, its name the block's first line that is a name, not a contact and not ``sender``'s
    (whose one-line address a letter prints over the recipient's window)."""
    blocks: list[tuple[float, float, str]] = []
    for index, line in enumerate(lines):
        for phrase in line_phrases(line):
            if not _POSTCODE_LINE.search(phrase.text):
                continue
            for x0, y0, text in _block_above(lines, index, phrase.x0, phrase.x1):
                name = _name_line(clean_name(text))
                if name is None or (sender is not None and fold(name) == fold(sender)):
                    continue
                blocks.append((x0, y0, name))
                break  # the block's first name: the party's, not its contact's
    return blocks


def _block_above(
    lines: list[Line], index: int, x0: float, x1: float
) -> list[tuple[float, float, str]]:
    """The lines of the address block that ends at ``lines[index]`` (its phrase at
    ``x0..x1``), top first: (x0, y0, text) of the lines close above it, aligned left or right
    with it, in the same size of type, up to five."""
    h = lines[index].height
    out: list[tuple[float, float, str]] = []
    below_y = lines[index].y0
    for k in range(index - 1, max(-1, index - 6), -1):
        line = lines[k]
        if below_y - line.y1 > 1.5 * h or not 0.75 * h <= line.height <= 1.33 * h:
            break  # a gap, or another size of type (the sender's line over a window)
        aligned = [p for p in line_phrases(line) if abs(p.x0 - x0) <= h or abs(p.x1 - x1) <= h]
        if not aligned:
            break
        out.append((aligned[0].x0, line.y0, aligned[0].text))
        below_y = line.y0
    return out[::-1]
