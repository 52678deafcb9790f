"""Synthetic invoices with known values: born-digital PDFs and scanned images.

Every document is described by an :class:`InvoiceSpec`; :func:`expected_values` turns a spec into
the common expected shape used by ``/work/shared/realdata/invoice2data/*.expected.json``
(``invoice_number``, ``issue_date``, ``due_date``, ``currency``, ``total``, ``net_total``,
``tax_total``, ``amount_due``, ``seller_name``, ``buyer_name``, ``lines``).

Example::

    import random
    from tools.synth.invoices import make_invoice, random_spec

    rng = random.Random(7)
    spec = random_spec(rng, language="de")
    expected = make_invoice(spec, "out/inv-0001.pdf")  # + out/inv-0001.pdf.expected.json
    make_invoice(spec, "out/inv-0001.png", scanned=True, seed=7)  # a noisy scan of the same invoice

Command line::

    python -m tools.synth.invoices --out DIR --count 100 --seed 1 [--scanned 0.3] [--language de]

Everything is seeded: the same spec and seed give the same bytes-for-bytes PDF and image.
"""

from __future__ import annotations

import argparse
import io
import json
import random
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

__all__ = [
    "FONTS",
    "LANGUAGES",
    "LAYOUTS",
    "InvoiceSpec",
    "LineSpec",
    "expected_values",
    "generate",
    "make_invoice",
    "random_spec",
    "render_pdf",
    "scan_pdf",
]

LANGUAGES = ("en", "de", "fr")
LAYOUTS = ("classic", "stacked", "two-column", "totals-box", "key-value", "window")
FONTS = ("Helvetica", "Times", "Courier", "DejaVuSans", "DejaVuSerif")
_DEJAVU_DIR = Path("/usr/share/fonts/truetype/dejavu")
_CENT = Decimal("0.01")


@dataclass(frozen=True)
class LineSpec:
    """One invoice line: what was sold, how many, at what unit price and tax rate (percent)."""

    description: str
    quantity: Decimal
    unit_price: Decimal
    tax_rate: Decimal
    detail: str | None = None  # a second, smaller line of the description

    @property
    def amount(self) -> Decimal:
        """Net line amount, rounded to the cent."""
        return (self.quantity * self.unit_price).quantize(_CENT, ROUND_HALF_UP)


@dataclass(frozen=True)
class InvoiceSpec:
    """Everything needed to draw one invoice and to know what it says."""

    language: str
    layout: str
    font: str
    invoice_number: str
    issue_date: date
    due_date: date | None
    currency: str
    seller_name: str
    seller_address: tuple[str, ...]
    buyer_name: str
    buyer_address: tuple[str, ...]
    lines: tuple[LineSpec, ...]
    payment_terms: str | None = None
    date_style: int = 0  # which of the language's date formats
    currency_style: int = 0  # 0: symbol, 1: ISO code
    label_style: int = 0  # which synonym of each label
    prepaid: Decimal = Decimal("0.00")  # already paid: amount_due = total - prepaid
    document_type: str = "invoice"
    repeat_header: bool = True  # on a continued page, draw the table header again

    @property
    def net_total(self) -> Decimal:
        """Sum of the net line amounts."""
        return sum((line.amount for line in self.lines), Decimal("0.00"))

    def tax_by_rate(self) -> list[tuple[Decimal, Decimal, Decimal]]:
        """``(rate, base, tax)`` per distinct tax rate, rates in ascending order."""
        rates: dict[Decimal, Decimal] = {}
        for line in self.lines:
            rates[line.tax_rate] = rates.get(line.tax_rate, Decimal("0.00")) + line.amount
        return [
            (rate, base, (base * rate / 100).quantize(_CENT, ROUND_HALF_UP))
            for rate, base in sorted(rates.items())
        ]

    @property
    def tax_total(self) -> Decimal:
        """Sum of the tax of every rate."""
        return sum((tax for _, _, tax in self.tax_by_rate()), Decimal("0.00"))

    @property
    def total(self) -> Decimal:
        """Gross total: net plus tax."""
        return self.net_total + self.tax_total

    @property
    def shows_amount_due(self) -> bool:
        """Whether the document prints an amount-due line (always when something was prepaid)."""
        return bool(self.prepaid) or self.label_style != 1

    @property
    def amount_due(self) -> Decimal:
        """What is left to pay."""
        return self.total - self.prepaid


def expected_values(spec: InvoiceSpec, source_file: str = "") -> dict[str, Any]:
    """The values a perfect extractor reads from ``spec``'s document, in the common shape.

    A line's ``detail`` is drawn below its description and is part of it: ``"desc\ndetail"``,
    as invoice2data's expected files write multi-line descriptions.
    """
    out: dict[str, Any] = {
        "invoice_number": spec.invoice_number,
        "issue_date": spec.issue_date.isoformat(),
    }
    if spec.due_date is not None:
        out["due_date"] = spec.due_date.isoformat()
    out.update(
        {
            "currency": spec.currency,
            "total": float(spec.total),
            "net_total": float(spec.net_total),
            "tax_total": float(spec.tax_total),
            "seller_name": spec.seller_name,
            "buyer_name": spec.buyer_name,
            "lines": [
                {
                    "description": line.description + (f"\n{line.detail}" if line.detail else ""),
                    "quantity": float(line.quantity),
                    "unit_price": float(line.unit_price),
                    "amount": float(line.amount),
                    "tax_rate": float(line.tax_rate),
                }
                for line in spec.lines
            ],
        }
    )
    if spec.shows_amount_due:
        # only when the document prints it: a value that is not there is not expected
        out["amount_due"] = float(spec.amount_due)
    if spec.payment_terms is not None:
        out["payment_terms"] = spec.payment_terms
    out["document_type"] = spec.document_type
    out["_notes"] = ["generated by tools.synth.invoices"]
    out["_source_file"] = source_file
    out["_spec"] = json.loads(json.dumps(asdict(spec), default=str))
    return out


# ----------------------------------------------------------------------------------------------
# Vocabulary per language

_MONTHS = {
    "en": [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
    "de": [
        "Januar",
        "Februar",
        "März",
        "April",
        "Mai",
        "Juni",
        "Juli",
        "August",
        "September",
        "Oktober",
        "November",
        "Dezember",
    ],
    "fr": [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ],
}

# label synonyms; label_style picks one (modulo the count)
_LABELS: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "title": ("INVOICE", "Invoice", "TAX INVOICE"),
        "number": ("Invoice No.", "Invoice Number", "Invoice #"),
        "date": ("Invoice Date", "Date", "Date of issue"),
        "due": ("Due Date", "Payment due", "Due"),
        "buyer": ("Bill To", "Billed to", "Customer"),
        "seller": ("From", "Seller", "From"),
        "terms": ("Payment terms", "Terms", "Payment terms"),
        "desc": ("Description", "Item", "Description"),
        "qty": ("Qty", "Quantity", "Qty"),
        "unit": ("Unit Price", "Price", "Rate"),
        "rate": ("Tax", "VAT %", "Tax %"),
        "amount": ("Amount", "Line Total", "Amount"),
        "net": ("Subtotal", "Net total", "Total excl. tax"),
        "tax": ("Tax", "VAT", "Sales tax"),
        "total": ("Total", "Invoice total", "Total incl. tax"),
        "paid": ("Amount paid", "Paid", "Deposit received"),
        "due_amount": ("Amount Due", "Balance Due", "Total due"),
        "page": ("Page", "Page", "Page"),
        "of": ("of", "of", "of"),
        "continued": ("continued on next page", "continued", "continued on next page"),
    },
    "de": {
        "title": ("RECHNUNG", "Rechnung", "Rechnung"),
        "number": ("Rechnungsnummer", "Rechnungs-Nr.", "Rechnung Nr."),
        "date": ("Rechnungsdatum", "Datum", "Rechnungsdatum"),
        "due": ("Fällig am", "Zahlbar bis", "Fälligkeitsdatum"),
        "buyer": ("Rechnungsempfänger", "Kunde", "Rechnungsempfänger"),
        "seller": ("Verkäufer", "Absender", "Verkäufer"),
        "terms": ("Zahlungsbedingungen", "Zahlungsziel", "Zahlungsbedingungen"),
        "desc": ("Beschreibung", "Bezeichnung", "Artikel"),
        "qty": ("Menge", "Anzahl", "Menge"),
        "unit": ("Einzelpreis", "Preis", "E-Preis"),
        "rate": ("MwSt.", "USt. %", "MwSt. %"),
        "amount": ("Betrag", "Gesamt", "Gesamtpreis"),
        "net": ("Nettobetrag", "Zwischensumme", "Summe netto"),
        "tax": ("MwSt.", "USt.", "zzgl. MwSt."),
        "total": ("Gesamtbetrag", "Bruttobetrag", "Rechnungsbetrag"),
        "paid": ("Anzahlung", "Bereits bezahlt", "Anzahlung"),
        "due_amount": ("Zu zahlen", "Zahlbetrag", "Offener Betrag"),
        "page": ("Seite", "Seite", "Seite"),
        "of": ("von", "von", "von"),
        "continued": ("Fortsetzung auf der nächsten Seite", "Übertrag", "Fortsetzung folgt"),
    },
    "fr": {
        "title": ("FACTURE", "Facture", "FACTURE"),
        "number": ("Numéro de facture", "Facture n°", "N° de facture"),
        "date": ("Date de facture", "Date", "Date d'émission"),
        "due": ("Échéance", "Date d'échéance", "À payer avant le"),
        "buyer": ("Facturé à", "Client", "Destinataire"),
        "seller": ("Émetteur", "Vendeur", "Émetteur"),
        "terms": ("Conditions de paiement", "Règlement", "Conditions de paiement"),
        "desc": ("Désignation", "Description", "Désignation"),
        "qty": ("Qté", "Quantité", "Qté"),
        "unit": ("Prix unitaire", "P.U. HT", "Prix unitaire HT"),
        "rate": ("TVA", "TVA %", "Taux TVA"),
        "amount": ("Montant HT", "Total HT", "Montant"),
        "net": ("Total HT", "Montant HT", "Total HT"),
        "tax": ("TVA", "Montant TVA", "TVA"),
        "total": ("Total TTC", "Montant TTC", "Total TTC"),
        "paid": ("Acompte versé", "Déjà payé", "Acompte"),
        "due_amount": ("Net à payer", "Montant dû", "Reste à payer"),
        "page": ("Page", "Page", "Page"),
        "of": ("sur", "/", "sur"),
        "continued": ("suite page suivante", "à suivre", "suite au verso"),
    },
}

_TERMS = {
    "en": ("Net 30", "Due on receipt", "Net 14 days", "30 days"),
    "de": ("14 Tage netto", "30 Tage ohne Abzug", "Sofort fällig", "10 Tage 2% Skonto"),
    "fr": ("30 jours fin de mois", "À réception", "45 jours", "Paiement à 30 jours"),
}

_COMPANY_A = [
    "Nordwind",
    "Acme",
    "Blue",
    "Harbor",
    "Summit",
    "Vertex",
    "Orion",
    "Atlas",
    "Lumen",
    "Cedar",
    "Falcon",
    "Granite",
    "Helix",
    "Ivory",
    "Juniper",
    "Kestrel",
    "Meridian",
    "Nimbus",
    "Polar",
    "Quartz",
    "Redwood",
    "Silver",
    "Tidal",
    "Union",
    "Willow",
    "Zephyr",
]
_COMPANY_B = {
    "en": [
        "Widgets",
        "Logistics",
        "Consulting",
        "Systems",
        "Supplies",
        "Studios",
        "Labs",
        "Trading",
        "Analytics",
        "Media",
    ],
    "de": [
        "Logistik",
        "Technik",
        "Handel",
        "Beratung",
        "Werkzeuge",
        "Software",
        "Druck",
        "Bau",
        "Elektro",
        "Medien",
    ],
    "fr": [
        "Conseil",
        "Services",
        "Distribution",
        "Informatique",
        "Matériaux",
        "Bureautique",
        "Transports",
    ],
}
_COMPANY_C = {
    "en": ("Ltd", "Inc.", "LLC", "Ltd.", "Corp.", "PLC"),
    "de": ("GmbH", "AG", "KG", "GmbH & Co. KG", "e.K."),
    "fr": ("SARL", "SAS", "SA", "EURL"),
}
_PEOPLE = [
    "Anna Becker",
    "Louis Martin",
    "James Carter",
    "Marie Dubois",
    "Jonas Weber",
    "Sofia Rossi",
    "Emma Clarke",
    "Lukas Schmidt",
    "Chloé Bernard",
    "Oliver Hughes",
    "Léa Moreau",
    "Felix Wagner",
    "Hannah Scott",
]
_STREETS = {
    "en": ("High Street", "Market Road", "King Street", "Elm Avenue", "Station Road"),
    "de": ("Hauptstraße", "Bahnhofstraße", "Gartenweg", "Schillerstraße", "Lindenallee"),
    "fr": ("rue de la Paix", "avenue Victor Hugo", "boulevard Voltaire", "rue des Lilas"),
}
_CITIES = {
    "en": ("London EC1A 1BB", "Manchester M1 2AB", "Boston, MA 02110", "Leeds LS1 4DY"),
    "de": ("10115 Berlin", "80331 München", "50667 Köln", "20095 Hamburg", "04109 Leipzig"),
    "fr": ("75002 Paris", "69001 Lyon", "33000 Bordeaux", "31000 Toulouse", "44000 Nantes"),
}
_PRODUCTS = {
    "en": (
        "Web hosting (monthly)",
        "Consulting hours",
        "USB-C cable 2 m",
        "Office chair",
        "Laptop stand",
        "Printer paper A4",
        "Software licence",
        "Support contract",
        "Wireless mouse",
        "Monitor 27 inch",
        "Design work",
        "Shipping and handling",
        "Cloud storage 1 TB",
        "Training session",
        "Desk lamp",
        "Ink cartridge black",
    ),
    "de": (
        "Wartungsvertrag",
        "Beratungsstunden",
        "USB-C Kabel 2 m",
        "Bürostuhl",
        "Druckerpapier A4",
        "Softwarelizenz",
        "Montage vor Ort",
        "Versandkosten",
        "Schreibtischlampe",
        "Tastatur",
        "Webhosting (monatlich)",
        "Schulung",
        "Monitor 27 Zoll",
        "Kaffeemaschine",
    ),
    "fr": (
        "Hébergement web (mensuel)",
        "Heures de conseil",
        "Câble USB-C 2 m",
        "Chaise de bureau",
        "Papier A4",
        "Licence logiciel",
        "Frais de port",
        "Lampe de bureau",
        "Formation",
        "Maintenance annuelle",
        "Écran 27 pouces",
        "Clavier sans fil",
        "Installation sur site",
    ),
}
_DETAILS = {
    "en": ("Serial no. SN-{n}", "Period 01-31 May", "Ref. {n}"),
    "de": ("Seriennummer SN-{n}", "Zeitraum 01.-31. Mai", "Art.-Nr. {n}"),
    "fr": ("N° de série SN-{n}", "Période du 1er au 31 mai", "Réf. {n}"),
}
_CURRENCIES = {
    "en": ("USD", "GBP", "EUR"),
    "de": ("EUR", "EUR", "CHF"),
    "fr": ("EUR", "EUR", "CHF"),
}
_TAX_RATES = {
    "en": (Decimal("20"), Decimal("5"), Decimal("0"), Decimal("8.25")),
    "de": (Decimal("19"), Decimal("7")),
    "fr": (Decimal("20"), Decimal("10"), Decimal("5.5")),
}
_SYMBOLS = {"USD": "$", "GBP": "£", "EUR": "€", "CHF": "CHF", "INR": "₹"}


def _company(rng: random.Random, language: str) -> str:
    return (
        f"{rng.choice(_COMPANY_A)} {rng.choice(_COMPANY_B[language])} "
        f"{rng.choice(_COMPANY_C[language])}"
    )


def _address(rng: random.Random, language: str) -> tuple[str, ...]:
    number = rng.randint(1, 220)
    street = rng.choice(_STREETS[language])
    line1 = f"{number} {street}" if language in ("en", "fr") else f"{street} {number}"
    return (line1, rng.choice(_CITIES[language]))


def random_spec(
    rng: random.Random,
    *,
    language: str | None = None,
    layout: str | None = None,
    font: str | None = None,
    n_lines: int | None = None,
) -> InvoiceSpec:
    """Draw a random invoice from ``rng``; the arguments pin what they name.

    Example::

        spec = random_spec(random.Random(3), language="fr", layout="classic", n_lines=40)
    """
    language = language or rng.choice(LANGUAGES)
    layout = layout or rng.choice(LAYOUTS)
    fonts = [f for f in FONTS if not f.startswith("DejaVu") or _DEJAVU_DIR.is_dir()]
    font = font or rng.choice(fonts)
    if n_lines is None:
        n_lines = (
            rng.choice((1, 2, 3, 3, 4, 5, 6, 8)) if rng.random() < 0.85 else rng.randint(25, 45)
        )
    currency = rng.choice(_CURRENCIES[language])
    if language == "en" and font.startswith("DejaVu") and rng.random() < 0.2:
        currency = "INR"  # ₹ only exists in the DejaVu fonts
    rates = _TAX_RATES[language]
    main_rate = rates[0] if rng.random() < 0.7 else rng.choice(rates)
    lines = []
    for _ in range(n_lines):
        qty = Decimal(rng.choice((1, 1, 1, 2, 3, 4, 5, 10, 12, 25)))
        if rng.random() < 0.1:
            qty = Decimal(rng.choice(("1.5", "2.5", "0.5", "7.25")))
        price = Decimal(rng.randint(50, 250000)) / 100
        if rng.random() < 0.15:
            price = Decimal(rng.randint(1, 99)) * 100
        rate = main_rate if rng.random() < 0.8 else rng.choice(rates)
        detail = None
        if rng.random() < 0.2:
            detail = rng.choice(_DETAILS[language]).format(n=rng.randint(10000, 99999))
        lines.append(LineSpec(rng.choice(_PRODUCTS[language]), qty, price, rate, detail))
    issue = date(2018, 1, 1) + timedelta(days=rng.randint(0, 365 * 7))
    due = issue + timedelta(days=rng.choice((7, 14, 30, 30, 45))) if rng.random() < 0.8 else None
    prefix = rng.choice(("INV-", "", "RE-", "F", "2024/", "A"))
    if language == "fr":
        prefix = rng.choice(("FA-", "F", "", "FAC/"))
    if language == "de":
        prefix = rng.choice(("RE-", "R", "", "RG-"))
    number = f"{prefix}{issue.year if rng.random() < 0.4 else ''}{rng.randint(100, 9999999):d}"
    number = number.replace("//", "/")
    buyer = rng.choice(_PEOPLE) if rng.random() < 0.3 else _company(rng, language)
    prepaid = Decimal("0.00")
    spec = InvoiceSpec(
        language=language,
        layout=layout,
        font=font,
        invoice_number=number,
        issue_date=issue,
        due_date=due,
        currency=currency,
        seller_name=_company(rng, language),
        seller_address=_address(rng, language),
        buyer_name=buyer,
        buyer_address=_address(rng, language),
        lines=tuple(lines),
        payment_terms=rng.choice(_TERMS[language]) if rng.random() < 0.6 else None,
        date_style=rng.randint(0, 2),
        currency_style=0 if rng.random() < 0.7 else 1,
        label_style=rng.randint(0, 2),
        prepaid=prepaid,
        repeat_header=rng.random() < 0.7,
    )
    if rng.random() < 0.15:
        paid = (spec.total * Decimal(rng.choice(("0.1", "0.25", "0.5")))).quantize(_CENT)
        spec = InvoiceSpec(**{**_fields(spec), "prepaid": paid})
    return spec


def _fields(spec: InvoiceSpec) -> dict[str, Any]:
    return {name: getattr(spec, name) for name in spec.__dataclass_fields__}


# ----------------------------------------------------------------------------------------------
# Formatting in the spec's language


def format_amount(value: Decimal, language: str) -> str:
    """``1234.5`` as the language writes it: ``1,234.50`` / ``1.234,50`` / ``1 234,50``; Swiss
    German (``"de-CH"``): ``1'234.50``."""
    sign = "-" if value < 0 else ""
    whole, frac = f"{abs(value):.2f}".split(".")
    groups: list[str] = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    sep, dec = {"en": (",", "."), "de": (".", ","), "fr": (" ", ","), "de-CH": ("'", ".")}[language]
    return f"{sign}{sep.join(groups)}{dec}{frac}"


def _number_locale(spec: InvoiceSpec) -> str:
    # Swiss invoices in German write 1'234.50
    return "de-CH" if spec.language == "de" and spec.currency == "CHF" else spec.language


def format_money(value: Decimal, spec: InvoiceSpec) -> str:
    """An amount with its currency as the spec's style and language place it."""
    text = format_amount(value, _number_locale(spec))
    symbol = _SYMBOLS[spec.currency] if spec.currency_style == 0 else spec.currency
    if symbol in ("$", "£", "₹") and spec.language == "en":
        return f"{symbol}{text}"
    return f"{text} {symbol}"


def format_date(value: date, spec: InvoiceSpec) -> str:
    """A date in one of the language's usual forms; US-dollar invoices may use 02/11/2019
    (month first), as American ones do."""
    month = _MONTHS[spec.language][value.month - 1]
    style = spec.date_style % 3
    if spec.language == "en" and spec.currency == "USD" and style == 2:
        return f"{value.month:02d}/{value.day:02d}/{value.year}"
    if spec.language == "en":
        return (
            f"{month[:3]} {value.day}, {value.year}",
            f"{value.day} {month} {value.year}",
            f"{month} {value.day}, {value.year}",
        )[style]
    if spec.language == "de":
        return (
            f"{value.day:02d}.{value.month:02d}.{value.year}",
            f"{value.day}. {month} {value.year}",
            f"{value.day:02d}.{value.month:02d}.{value.year}",
        )[style]
    return (
        f"{value.day:02d}/{value.month:02d}/{value.year}",
        f"{value.day} {month} {value.year}",
        f"{value.day:02d}.{value.month:02d}.{value.year}",
    )[style]


def format_rate(rate: Decimal, language: str) -> str:
    """A tax rate: ``19 %`` / ``5,5 %`` / ``8.25%``."""
    text = f"{rate.normalize():f}"
    if language == "en":
        return f"{text}%"
    return text.replace(".", ",") + " %"


def format_quantity(qty: Decimal, language: str) -> str:
    """A quantity without needless decimals."""
    text = f"{qty.normalize():f}"
    return text if language == "en" else text.replace(".", ",")


# ----------------------------------------------------------------------------------------------
# Drawing


def _register_fonts(font: str) -> tuple[str, str]:
    """Return (regular, bold) reportlab font names for ``font``, registering TTFs if needed."""
    if font == "Helvetica":
        return "Helvetica", "Helvetica-Bold"
    if font == "Times":
        return "Times-Roman", "Times-Bold"
    if font == "Courier":
        return "Courier", "Courier-Bold"
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    regular, bold = font, f"{font}-Bold"
    if regular not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(regular, str(_DEJAVU_DIR / f"{font}.ttf")))
        pdfmetrics.registerFont(TTFont(bold, str(_DEJAVU_DIR / f"{font}-Bold.ttf")))
    return regular, bold


class _Canvas:
    """A thin wrapper over reportlab's canvas with top-left coordinates in points."""

    def __init__(self, buffer: io.BytesIO, spec: InvoiceSpec) -> None:
        from reportlab.lib.pagesizes import A4, LETTER
        from reportlab.pdfgen import canvas

        self.size = LETTER if spec.language == "en" and spec.currency == "USD" else A4
        self.width, self.height = self.size
        # invariant=1 keeps creation dates out of the file: reproducible bytes
        self.c = canvas.Canvas(buffer, pagesize=self.size, invariant=1)
        self.regular, self.bold = _register_fonts(spec.font)

    def text(
        self,
        x: float,
        y: float,
        s: str,
        *,
        size: float = 9,
        bold: bool = False,
        align: str = "left",
    ) -> None:
        font = self.bold if bold else self.regular
        self.c.setFont(font, size)
        base = self.height - y
        if align == "right":
            self.c.drawRightString(x, base, s)
        elif align == "center":
            self.c.drawCentredString(x, base, s)
        else:
            self.c.drawString(x, base, s)

    def hline(self, x0: float, x1: float, y: float) -> None:
        self.c.setLineWidth(0.5)
        self.c.line(x0, self.height - y, x1, self.height - y)

    def rect(self, x0: float, y0: float, x1: float, y1: float) -> None:
        self.c.setLineWidth(0.6)
        self.c.rect(x0, self.height - y1, x1 - x0, y1 - y0)


def _label(spec: InvoiceSpec, key: str, style_offset: int = 0) -> str:
    options = _LABELS[spec.language][key]
    return options[(spec.label_style + style_offset) % len(options)]


def render_pdf(spec: InvoiceSpec) -> bytes:
    """Draw ``spec`` as a born-digital PDF and return its bytes (deterministic)."""
    buffer = io.BytesIO()
    cv = _Canvas(buffer, spec)
    _draw(cv, spec)
    cv.c.save()
    return buffer.getvalue()


def _draw(cv: _Canvas, spec: InvoiceSpec) -> None:
    w = cv.width
    margin = 50.0
    colon = " :" if spec.language == "fr" else ":"
    meta = [
        (_label(spec, "number"), spec.invoice_number),
        (_label(spec, "date"), format_date(spec.issue_date, spec)),
    ]
    if spec.due_date is not None:
        meta.append((_label(spec, "due"), format_date(spec.due_date, spec)))

    def seller_block(x: float, y: float, labelled: bool = False) -> float:
        if labelled:
            cv.text(x, y, _label(spec, "seller") + colon, size=8, bold=True)
            y += 12
        cv.text(x, y, spec.seller_name, size=14 if not labelled else 11, bold=True)
        y += 16
        for line in spec.seller_address:
            cv.text(x, y, line, size=9)
            y += 11
        return y

    def buyer_block(x: float, y: float) -> float:
        cv.text(x, y, _label(spec, "buyer") + colon, size=9, bold=True)
        y += 13
        cv.text(x, y, spec.buyer_name, size=10)
        y += 12
        for line in spec.buyer_address:
            cv.text(x, y, line, size=9)
            y += 11
        return y

    # --- header, per layout
    if spec.layout == "classic":
        seller_block(margin, 60)
        cv.text(w - margin, 60, _label(spec, "title"), size=18, bold=True, align="right")
        y = 90.0
        from reportlab.pdfbase.pdfmetrics import stringWidth

        widest = max(
            stringWidth(label + colon, cv.bold, 9) + stringWidth(value, cv.regular, 9)
            for label, value in meta
        )
        label_x = min(w - 230, w - margin - widest - 12)  # never overlapping its value
        for label, value in meta:
            cv.text(label_x, y, label + colon, size=9, bold=True)
            cv.text(w - margin, y, value, size=9, align="right")
            y += 13
        y = max(buyer_block(margin, 150), y) + 25
    elif spec.layout == "stacked":
        cv.text(w / 2, 50, spec.seller_name, size=15, bold=True, align="center")
        cv.text(w / 2, 66, " · ".join(spec.seller_address), size=8, align="center")
        cv.text(margin, 105, _label(spec, "title"), size=16, bold=True)
        col = (w - 2 * margin) / 3
        for i, (label, value) in enumerate(meta):
            cv.text(margin + i * col, 130, label, size=8, bold=True)
            cv.text(margin + i * col, 143, value, size=10)
        y = buyer_block(margin, 175) + 25
    elif spec.layout == "two-column":
        cv.text(margin, 50, _label(spec, "title"), size=20, bold=True)
        seller_block(margin, 90, labelled=True)
        buyer_block(w / 2 + 20, 90)
        cv.rect(margin, 160, w - margin, 160 + 16 * len(meta) + 8)
        y = 174.0
        for label, value in meta:
            cv.text(margin + 8, y, label + colon, size=9)
            cv.text(margin + 150, y, value, size=9, bold=True)
            y += 16
        y += 30
    elif spec.layout == "key-value":
        y = _key_value_header(cv, spec, margin, colon)
    elif spec.layout == "window":
        y = _window_header(cv, spec, margin, meta)
    else:  # totals-box
        seller_block(margin, 55)
        cv.text(w - margin, 55, _label(spec, "title"), size=16, bold=True, align="right")
        y = 75.0
        for label, value in meta:
            cv.text(w - margin, y, f"{label}{colon} {value}", size=9, align="right")
            y += 12
        y = max(buyer_block(margin, 135), y) + 25

    # --- line table
    cols = _table_columns(cv, spec)
    footer_y = cv.height - 60
    page_no = 1
    n_pages = _count_pages(spec, y, footer_y)

    def table_header(y: float) -> float:
        for key, x, align in cols:
            cv.text(x, y, _label(spec, key), size=9, bold=True, align=align)
        cv.hline(margin, w - margin, y + 4)
        return y + 16

    def footer() -> None:
        page_label = f"{_label(spec, 'page')} {page_no} {_label(spec, 'of')} {n_pages}"
        cv.text(w / 2, cv.height - 30, page_label, size=7, align="center")

    y = table_header(y)
    for line in spec.lines:
        need = 14 + (11 if line.detail else 0)
        if y + need > footer_y:
            cv.text(w - margin, y + 8, _label(spec, "continued"), size=7, align="right")
            footer()
            cv.c.showPage()
            page_no += 1
            cv.text(margin, 50, spec.seller_name, size=9, bold=True)
            cv.text(
                w - margin,
                50,
                f"{_label(spec, 'number')}{colon} {spec.invoice_number}",
                size=9,
                align="right",
            )
            y = table_header(90) if spec.repeat_header else 90.0
        values = {
            "desc": line.description,
            "qty": format_quantity(line.quantity, spec.language),
            "unit": format_amount(line.unit_price, _number_locale(spec)),
            "rate": format_rate(line.tax_rate, spec.language),
            "amount": format_amount(line.amount, _number_locale(spec)),
        }
        for key, x, align in cols:
            cv.text(x, y, values[key], size=9, align=align)
        y += 13
        if line.detail:
            cv.text(cols[0][1] + 8, y, line.detail, size=7)
            y += 11
        y += 1
    cv.hline(margin, w - margin, y - 4)

    # --- totals
    rows: list[tuple[str, str]] = [(_label(spec, "net"), format_money(spec.net_total, spec))]
    for rate, _, tax in spec.tax_by_rate():
        rows.append(
            (f"{_label(spec, 'tax')} {format_rate(rate, spec.language)}", format_money(tax, spec))
        )
    rows.append((_label(spec, "total"), format_money(spec.total, spec)))
    if spec.prepaid:
        rows.append((_label(spec, "paid"), format_money(spec.prepaid, spec)))
        rows.append((_label(spec, "due_amount"), format_money(spec.amount_due, spec)))
    elif spec.shows_amount_due:
        rows.append((_label(spec, "due_amount"), format_money(spec.amount_due, spec)))
    need = 14 * len(rows) + 60
    if y + need > footer_y:
        footer()
        cv.c.showPage()
        page_no += 1
        y = 90
    y += 12
    if spec.layout == "totals-box" and len(rows) <= 5:
        # labels in a row of boxes, values below each label
        n = len(rows)
        box_w = (w - 2 * margin) / n
        cv.rect(margin, y - 12, w - margin, y + 24)
        for i, (label, value) in enumerate(rows):
            x = margin + i * box_w + 6
            cv.text(x, y, label, size=8, bold=True)
            cv.text(x, y + 16, value, size=9)
        y += 44
    else:
        lx = w - 250
        for label, value in rows:
            bold = label == _label(spec, "total")
            cv.text(lx, y, label, size=9, bold=bold)
            cv.text(w - margin, y, value, size=9, bold=bold, align="right")
            y += 14
        y += 10
    if spec.payment_terms:
        cv.text(margin, y + 10, f"{_label(spec, 'terms')}{colon} {spec.payment_terms}", size=8)
    footer()
    cv.c.showPage()


# The kinds of invoice a key/value rendering names in its title, with their type codes: the
# title word first or after other words ("Selbst ausgestellte Rechnung (389) Nr. 12 vom ...").
_KV_TITLES = {
    "en": (("Invoice", "380"), ("Self-billed invoice", "389"), ("Partial invoice", "326")),
    "de": (("Rechnung", "380"), ("Selbst ausgestellte Rechnung", "389"), ("Teilrechnung", "326")),
    "fr": (("Facture", "380"), ("Facture d'acompte", "386"), ("Facture rectificative", "384")),
}  # fmt: skip
_KV_WORDS = {
    "en": {"no": "No.", "of": "of", "currency": "Currency", "name": "Name",
           "address": "Address", "seller": "Seller", "buyer": "Buyer"},
    "de": {"no": "Nr.", "of": "vom", "currency": "Währung", "name": "Name",
           "address": "Anschrift", "seller": "Verkäufer", "buyer": "Käufer"},
    "fr": {"no": "N°", "of": "du", "currency": "Devise", "name": "Nom",
           "address": "Adresse", "seller": "Vendeur", "buyer": "Acheteur"},
}  # fmt: skip
# A recipient heading over an address window, and the contact line printed first in it.
_WINDOW_HEADINGS = {
    "en": ("Customer address", "Attn. {person}"),
    "de": ("Kundenadresse", "z. Hd. {person}"),
    "fr": ("Adresse du client", "À l'attention de {person}"),
}


def _key_value_header(cv: _Canvas, spec: InvoiceSpec, margin: float, colon: str) -> float:
    """An e-invoice visualisation's header: the number in the title, then a two-column
    key/value table with its values far right of the keys, then party blocks (heading, then
    "Name:" and "Address:" keys)."""
    words = _KV_WORDS[spec.language]
    kind, code = _KV_TITLES[spec.language][spec.label_style % 3]
    date_text = format_date(spec.issue_date, spec)
    cv.text(margin, 50, f"{kind} ({code}) {words['no']} {spec.invoice_number} "
            f"{words['of']} {date_text}", size=13, bold=True)  # fmt: skip
    value_x = margin + 240
    rows = [(words["currency"], spec.currency)]
    if spec.due_date is not None:
        rows.append((_label(spec, "due"), format_date(spec.due_date, spec)))
    y = 80.0
    for key, value in rows:
        cv.text(margin, y, key + colon, size=9)
        cv.text(value_x, y, value, size=9)
        y += 13
    for heading, name, address in (
        (words["seller"], spec.seller_name, spec.seller_address),
        (words["buyer"], spec.buyer_name, spec.buyer_address),
    ):
        y += 18
        cv.text(margin, y, heading, size=10, bold=True)
        y += 14
        cv.text(margin, y, words["name"] + colon, size=9)
        cv.text(value_x, y, name, size=9)
        y += 13
        cv.text(margin, y, words["address"] + colon, size=9)
        for line in address:
            cv.text(value_x, y, line, size=9)
            y += 13
    return y + 25


def _window_header(
    cv: _Canvas, spec: InvoiceSpec, margin: float, meta: list[tuple[str, str]]
) -> float:
    """A letter's header: the seller at the top right, the return address over an unlabelled
    address window at the left (with a heading and a contact line first, in one style of
    three), and the invoice's keys in a grid of boxes, each value under its key."""
    w = cv.width
    cv.text(w - margin, 50, spec.seller_name, size=14, bold=True, align="right")
    y = 66.0
    for line in spec.seller_address:
        cv.text(w - margin, y, line, size=9, align="right")
        y += 11
    cv.text(margin, 120, " · ".join((spec.seller_name, *spec.seller_address)), size=6)
    y = 136.0
    if spec.label_style == 2:
        heading, contact = _WINDOW_HEADINGS[spec.language]
        cv.text(margin, y, heading, size=8, bold=True)
        y += 12
        cv.text(margin, y, contact.format(person=_PEOPLE[len(spec.buyer_name) % len(_PEOPLE)]))
        y += 12
    cv.text(margin, y, spec.buyer_name, size=10)
    y += 12
    for line in spec.buyer_address:
        cv.text(margin, y, line, size=10)
        y += 12
    cv.text(margin, 215, _label(spec, "title"), size=16, bold=True)
    box_w, box_h = 110.0, 30.0
    x0 = w - margin - box_w * len(meta)
    for i, (label, value) in enumerate(meta):
        x = x0 + i * box_w
        cv.rect(x, 190, x + box_w, 190 + box_h)
        cv.text(x + 4, 200, label, size=7)
        cv.text(x + 4, 214, value, size=9, bold=True)
    return 250.0


def _table_columns(cv: _Canvas, spec: InvoiceSpec) -> list[tuple[str, float, str]]:
    w = cv.width
    right = w - 50
    if spec.layout == "two-column":
        return [
            ("desc", 50, "left"),
            ("qty", right - 250, "right"),
            ("rate", right - 185, "right"),
            ("unit", right - 90, "right"),
            ("amount", right, "right"),
        ]
    return [
        ("desc", 50, "left"),
        ("qty", right - 255, "right"),
        ("unit", right - 160, "right"),
        ("rate", right - 80, "right"),
        ("amount", right, "right"),
    ]


def _count_pages(spec: InvoiceSpec, y0: float, footer_y: float) -> int:
    pages, y = 1, y0 + 16
    for line in spec.lines:
        need = 14 + (11 if line.detail else 0)
        if y + need > footer_y:
            pages += 1
            y = 106
        y += need
    rows = 3 + len(spec.tax_by_rate()) + (1 if spec.prepaid else 0)
    if y + 14 * rows + 60 > footer_y:
        pages += 1
    return pages


# ----------------------------------------------------------------------------------------------
# Scanning


def scan_pdf(pdf: bytes, rng: random.Random, *, dpi: int | None = None) -> list[Any]:
    """Render each page of ``pdf`` and degrade it like a cheap scan (PIL images, seeded).

    Slight rotation (±1.5°), blur, Gaussian noise and a JPEG round trip.
    """
    import numpy as np
    import pypdfium2 as pdfium
    from PIL import Image, ImageFilter

    dpi = dpi or rng.choice((150, 170, 200))
    document = pdfium.PdfDocument(pdf)
    images = []
    try:
        for index in range(len(document)):
            image = document[index].render(scale=dpi / 72).to_pil().convert("L")
            angle = rng.uniform(-1.5, 1.5)
            image = image.rotate(
                angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255
            )
            image = image.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 0.9)))
            noise_rng = np.random.default_rng(rng.randrange(2**32))
            pixels = np.asarray(image, dtype=np.float64)
            pixels = pixels + noise_rng.normal(0, rng.uniform(4, 12), pixels.shape)
            image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "L")
            buf = io.BytesIO()
            image.save(buf, "JPEG", quality=rng.randint(45, 80))
            images.append(Image.open(io.BytesIO(buf.getvalue())).convert("L"))
    finally:
        document.close()
    return images


def make_invoice(
    spec: InvoiceSpec, path: str | Path, *, scanned: bool = False, seed: int = 0
) -> dict[str, Any]:
    """Write ``spec`` to ``path`` and ``<path>.expected.json``; return the expected values.

    The format follows the suffix: ``.pdf`` born-digital; with ``scanned=True`` a ``.png`` or
    ``.jpg`` image of a one-page invoice (``ValueError`` for a longer one), or ``.tif`` / ``.pdf``
    with every page scanned.

    Example::

        make_invoice(random_spec(random.Random(1)), "inv.pdf")
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    pdf = render_pdf(spec)
    suffix = path.suffix.lower()
    if not scanned:
        if suffix != ".pdf":
            raise ValueError("a born-digital invoice is a .pdf")
        path.write_bytes(pdf)
    else:
        images = scan_pdf(pdf, random.Random(seed))
        if len(images) > 1 and suffix in (".png", ".jpg", ".jpeg"):
            # one image cannot hold the items of page 2: the expected values would lie
            raise ValueError(
                f"this invoice has {len(images)} pages: scan it to .tif or .pdf, or use fewer lines"
            )
        if suffix in (".tif", ".tiff"):
            images[0].save(path, save_all=True, append_images=images[1:], compression="tiff_lzw")
        elif suffix == ".pdf":
            images[0].save(path, save_all=True, append_images=images[1:], resolution=150.0)
        elif suffix in (".jpg", ".jpeg"):
            images[0].save(path, "JPEG", quality=85)
        elif suffix == ".png":
            images[0].save(path, "PNG")
        else:
            raise ValueError(f"unsupported scan format {suffix!r}")
    expected = expected_values(spec, path.name)
    path.with_name(path.name + ".expected.json").write_text(
        json.dumps(expected, indent=1, ensure_ascii=False), encoding="utf-8"
    )
    return expected


def generate(
    out: str | Path,
    count: int,
    seed: int,
    *,
    scanned_share: float = 0.0,
    language: str | None = None,
    max_lines_scanned: int = 8,
) -> list[Path]:
    """Write ``count`` random invoices into ``out``; return their paths.

    A share ``scanned_share`` of them are scans (PNG or JPEG of a one-page invoice).
    """
    rng = random.Random(seed)
    paths = []
    for i in range(count):
        scanned = rng.random() < scanned_share
        spec = random_spec(
            rng, language=language, n_lines=rng.randint(1, max_lines_scanned) if scanned else None
        )
        suffix = rng.choice((".png", ".jpg")) if scanned else ".pdf"
        path = Path(out) / f"invoice-{seed}-{i:04d}{suffix}"
        make_invoice(spec, path, scanned=scanned, seed=rng.randrange(2**31))
        paths.append(path)
    return paths


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point: ``python -m tools.synth.invoices --out DIR --count N --seed S``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", required=True)
    parser.add_argument("--count", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--scanned", type=float, default=0.0, help="share of scans, 0..1")
    parser.add_argument("--language", choices=LANGUAGES, default=None)
    args = parser.parse_args(argv)
    paths = generate(
        args.out, args.count, args.seed, scanned_share=args.scanned, language=args.language
    )
    print(f"wrote {len(paths)} invoices to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
