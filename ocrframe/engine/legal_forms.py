"""Company legal forms across countries (GmbH, SARL, Ltd, B.V., Sdn Bhd ...), found in a name
even where OCR misread them.

A legal form closes a company's name, so it tells a name from the lines around it: the reader
of invoices (:mod:`ocrframe.engine.parties`) and of receipts (:mod:`ocrframe.engine.receipt`)
use this one lexicon. Forms are compared token by token, case-insensitively, without their dots
(``S.A.R.L.`` is ``SARL``, ``Sdn.Bhd.`` is ``Sdn Bhd``). OCR reads some letters as digits or
other letters (``5`` for ``S``, ``8`` for ``B``, ``0`` for ``O`` or ``D``, ``1`` for ``I`` or
``l``, ``6`` for ``G``); a token that equals a form up to such confusions counts as the form
when the confusion is evident - it holds a digit ("5/B", "6mbH"), or the other words of a
longer form are printed right ("SON BHD"). Forms of one or two letters (AG, SA, AS ...) are
ordinary words too often: they count only at the end of a name, and only as printed.

Example::

    has_legal_form("Lindwerk GmbH & Co. KG")   # True
    mend_legal_forms("NORTH STAR 5DN 8HD")     # "NORTH STAR SDN BHD"
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

__all__ = [
    "LEGAL_FORMS",
    "LegalForm",
    "find_legal_forms",
    "has_legal_form",
    "mend_legal_forms",
    "starts_with_legal_form",
    "strip_legal_forms",
]

#: The lexicon, as the forms are usually written.
LEGAL_FORMS: tuple[str, ...] = (
    # German-speaking countries
    "GmbH",
    "gGmbH",
    "GmbH & Co. KG",
    "AG",
    "KG",
    "KGaA",
    "OHG",
    "UG",
    "UG (haftungsbeschränkt)",
    "e.K.",
    "e.V.",
    "GbR",
    # French-speaking countries
    "SA",
    "SAS",
    "SASU",
    "SARL",
    "EURL",
    "SNC",
    "SCI",
    "SCOP",
    "Sàrl",
    # English-speaking countries
    "Ltd",
    "Limited",
    "Co. Ltd",
    "LLC",
    "LLP",
    "PLC",
    "Inc",
    "Incorporated",
    "Corp",
    "Corporation",
    "Co.",
    "Pte Ltd",
    "Pty Ltd",
    "Pvt Ltd",
    # the Low Countries
    "BV",
    "NV",
    "VOF",
    "BVBA",
    "CV",
    # Southern Europe
    "SpA",
    "Srl",
    "SL",
    "SLU",
    "Lda",
    # Northern Europe
    "Oy",
    "Oyj",
    "AB",
    "AS",
    "ASA",
    "ApS",
    # Central and Eastern Europe
    "Sp. z o.o.",
    "s.r.o.",
    "a.s.",
    "Kft",
    "Zrt",
    "d.o.o.",
    # South-East Asia
    "Sdn Bhd",
    "Bhd",
    "Berhad",
    "S/B",
    "PLT",
)

# characters OCR takes for one another, each mapped to one representative
_CONFUSIONS = str.maketrans(
    {"5": "s", "8": "b", "0": "o", "d": "o", "q": "o", "1": "i", "l": "i", "|": "i", "6": "g"}
)


def _core(token: str) -> str:
    """A printed token as forms are compared: folded, outer brackets and punctuation off,
    dots and commas inside dropped ("(S.A.R.L.)," -> "sarl", "CO.,LTD" -> "coltd")."""
    return re.sub(r"[.,]", "", token.strip("()[]:;,'\"").casefold())


def _key(core: str) -> str:
    return core.translate(_CONFUSIONS)


@lru_cache(maxsize=1)
def _forms() -> dict[str, list[tuple[tuple[str, ...], str]]]:
    """(tokens, spelling) of every form by the confusion key of its first token, longest first;
    a form of several words also glued ("SDN.BHD.", "CO.,LTD")."""
    out: dict[str, list[tuple[tuple[str, ...], str]]] = {}
    for form in LEGAL_FORMS:
        tokens = tuple(_core(t) for t in form.split())
        variants = [tokens, ("".join(tokens),)] if len(tokens) > 1 else [tokens]
        for variant in variants:
            out.setdefault(_key(variant[0]), []).append((variant, form))
    for forms in out.values():
        forms.sort(key=lambda f: (-len(f[0]), -len("".join(f[0]))))
    return out


@dataclass(frozen=True)
class LegalForm:
    """A legal form found in a text: its span, the lexicon's spelling, and the printed words
    with OCR's confusions mended (in the print's case)."""

    start: int
    end: int
    form: str
    mended: str


def _mend(printed: str, core_form: str) -> str:
    """``printed`` with the characters OCR confused replaced by the form's, in the print's
    case: ("5/B", "s/b") -> "S/B"."""
    out = []
    k = 0
    upper = sum(c.isupper() for c in printed) >= sum(c.islower() for c in printed)
    for c in printed:
        if (
            k < len(core_form)
            and c.casefold() not in ".,()"
            and c.casefold() != core_form[k]
            and _key(c.casefold()) == _key(core_form[k])
        ):
            c = core_form[k].upper() if upper else core_form[k]
        if c.casefold() not in ".,()[]:;'\"":
            k += 1
        out.append(c)
    return "".join(out)


def find_legal_forms(text: str) -> list[LegalForm]:
    """The legal forms in ``text``, left to right (see the module docstring)."""
    words = [(m.start(), m.end(), m.group()) for m in re.finditer(r"\S+", text)]
    cores = [_core(w) for _, _, w in words]
    found: list[LegalForm] = []
    i = 0
    while i < len(words):
        match = _match_at(words, cores, i)
        if match is None:
            i += 1
            continue
        n, form = match
        start, end = words[i][0], words[i + n - 1][1]
        tokens = _forms_tokens(form, n)
        mended = " ".join(
            _mend(words[i + j][2], tokens[j]) if cores[i + j] != tokens[j] else words[i + j][2]
            for j in range(n)
        )
        found.append(LegalForm(start, end, form, mended))
        i += n
    return found


def _forms_tokens(form: str, n: int) -> tuple[str, ...]:
    tokens = tuple(_core(t) for t in form.split())
    return tokens if len(tokens) == n else ("".join(tokens),)


def _match_at(
    words: list[tuple[int, int, str]], cores: list[str], i: int
) -> tuple[int, str] | None:
    for tokens, form in _forms().get(_key(cores[i]), ()):
        n = len(tokens)
        got = cores[i : i + n]
        if len(got) < n or any(not g for g in got):
            continue
        exact = [g == t for g, t in zip(got, tokens, strict=True)]
        if not all(
            e or (_key(g) == _key(t) and len(t) >= 3 and (any(exact) or re.search(r"\d", g)))
            for e, g, t in zip(exact, got, tokens, strict=True)
        ):
            continue
        if not any(c.isalpha() for g in got for c in g):
            continue  # "580" is a number, not "SBO"
        if n == 1 and len(tokens[0].replace("/", "")) <= 2 and not _closes(words, i):
            continue  # "AG", "SA", "AS": ordinary words unless they close the name
        return n, form
    return None


def _closes(words: list[tuple[int, int, str]], i: int) -> bool:
    """Whether word ``i`` ends the name: nothing with letters follows but brackets and
    registration numbers ("Muster AG (HRB 1234)", "NORTH SA 12345-X")."""
    after = words[i + 1 :]
    return all(w.startswith("(") or not re.search(r"[^\W\d_]{2}", w) for _, _, w in after)


def has_legal_form(text: str) -> bool:
    """Whether ``text`` holds a legal form."""
    return bool(find_legal_forms(text))


def starts_with_legal_form(text: str) -> bool:
    """Whether ``text`` starts with a legal form ("SDN BHD", "GmbH & Co. KG" on a line of their
    own continue the name above them)."""
    found = find_legal_forms(text)
    return bool(found) and not text[: found[0].start].strip()


def mend_legal_forms(text: str) -> str:
    """``text`` with the legal forms OCR misread written as the lexicon has them, in the
    print's case: "NORTH STAR 5/B" -> "NORTH STAR S/B"."""
    for found in reversed(find_legal_forms(text)):
        text = text[: found.start] + found.mended + text[found.end :]
    return text


def strip_legal_forms(text: str) -> str:
    """``text`` without its legal forms ("Anbieter GmbH & Co. KG" -> "Anbieter")."""
    for found in reversed(find_legal_forms(text)):
        text = text[: found.start] + text[found.end :]
    return re.sub(r"\s+", " ", text).strip()
