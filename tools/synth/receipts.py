"""Synthetic shop receipts with known values: scanned or photographed till slips.

Designed from general knowledge of shop receipts in several countries (Malaysia, Singapore, the
UK, the US, Germany, France, the Netherlands), never from one collection of real receipts: every
shop, street and product name is made up from generic word lists and invented syllables.

A receipt is described by a :class:`ReceiptSpec`; :func:`expected_values` gives its truth in the
common shape of ``shared/realdata`` (``seller_name``, ``seller_address``, ``issue_date``,
``total``, ``currency`` where a currency mark is printed, ``tax_total`` where printed, ``lines``,
``document_type`` = ``receipt``). The seller is the business that issued the slip: its legal name
when one is printed (a brand or logo line above it, "Owned by ...", is not the seller), else the
shop's trading name. ``total`` is what the customer pays (after a cash rounding).

What varies: paper (58 mm and 80 mm thermal rolls at 203 dpi, A5 till slips), fonts (monospaced
and proportional, regular and bold; the shop name often enlarged, bold or both, sometimes under a
logo), seller blocks (legal form or none, registration / GST / VAT numbers in brackets or on their
own line, "Owned by"), titles (TAX INVOICE, RECEIPT, KASSENBON, TICKET ...), addresses, phone,
cashier / table / terminal lines, item lines in one or two rows, subtotal, discount, service
charge, tax (included or added), rounding, total, cash and change, footers. The image is degraded
as a scan or a phone photo: faded thermal print, missing dots, print-head streaks, a tinted and
unevenly lit background, rotation, blur, noise, JPEG.

Example::

    import random
    from tools.synth.receipts import make_receipt, random_spec

    spec = random_spec(random.Random(7), country="DE")
    expected = make_receipt(spec, "out/receipt-0001.jpg", seed=7)  # + .jpg.expected.json

Command line::

    python -m tools.synth.receipts --out DIR --count 60 --seed 1 [--country MY]

Everything is seeded: the same spec and seed give the same image, the same seed the same specs.
"""

from __future__ import annotations

import argparse
import io
import json
import random
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from pathlib import Path
from typing import Any

__all__ = [
    "COUNTRIES",
    "FONTS",
    "PAPERS",
    "ItemSpec",
    "ReceiptSpec",
    "expected_values",
    "generate",
    "make_receipt",
    "printed",
    "random_spec",
    "render",
    "specs",
]

COUNTRIES = ("MY", "SG", "UK", "US", "DE", "FR", "NL")
PAPERS = ("58mm", "80mm", "a5")
FONTS = (
    "mono",
    "courier",
    "sans",
    "condensed",
    "helvetica",
    "serif",
    "times",
    "vera",
)
_CENT = Decimal("0.01")
_DPI = 203  # a thermal printer's dots per inch: the resolution receipts are drawn at
# paper width, printable width (dots at 203 dpi): 58 mm rolls print 48 mm, 80 mm rolls 72 mm
_PAPER_DOTS = {"58mm": (464, 384), "80mm": (640, 576), "a5": (1183, 1040)}


# ----------------------------------------------------------------------------------------------
# What a receipt says


@dataclass(frozen=True)
class ItemSpec:
    """One item line: what was sold, how many, at what unit price."""

    name: str
    quantity: Decimal
    unit_price: Decimal

    @property
    def amount(self) -> Decimal:
        """Line amount, rounded to the cent."""
        return (self.quantity * self.unit_price).quantize(_CENT, ROUND_HALF_UP)


@dataclass(frozen=True)
class ReceiptSpec:
    """Everything needed to draw one receipt and to know what it says."""

    country: str
    language: str
    paper: str
    font: str
    currency: str
    brand: str | None  # trading name / logo line; None: the legal name heads the slip
    legal_name: str | None  # the registered name with its legal form; None: a sole trader
    registration: str | None  # company registration number as printed
    registration_style: int  # 0: in brackets after the name, 1: on its own line
    tax_id: str | None  # "GST Reg No: ..." / "USt-IdNr.: ..." line
    owner_style: int  # how a legal name under a brand is introduced (0: bare, 1..: "Owned by")
    address: tuple[str, ...]
    phone: str | None
    title: str | None
    receipt_no: str
    issued: datetime
    date_style: int
    cashier: str | None
    terminal: str | None
    table: str | None
    items: tuple[ItemSpec, ...]
    tax_rate: Decimal
    tax_included: bool
    service_rate: Decimal
    discount: Decimal
    cash_rounding: bool  # round the total to 0.05 (and print the adjustment)
    paid_cash: bool
    show_currency: bool
    label_style: int
    name_scale: float  # shop name's print size over the body's
    name_bold: bool
    logo: bool
    legal_in_footer: bool  # the legal name printed at the bottom, the brand on top
    footer: tuple[str, ...]
    two_row_items: bool  # "name" on one row, "qty x price  amount" on the next

    @property
    def seller_name(self) -> str:
        """The business that issued the slip: the legal name where printed, else the brand."""
        name = self.legal_name or self.brand
        assert name is not None
        return name

    @property
    def subtotal(self) -> Decimal:
        """Sum of the item lines."""
        return sum((i.amount for i in self.items), Decimal("0.00"))

    @property
    def service(self) -> Decimal:
        """Service charge on the discounted subtotal."""
        return ((self.subtotal - self.discount) * self.service_rate / 100).quantize(
            _CENT, ROUND_HALF_UP
        )

    @property
    def tax(self) -> Decimal:
        """Tax: added to the subtotal, or the share included in it."""
        base = self.subtotal - self.discount + self.service
        if self.tax_included:
            return (base * self.tax_rate / (100 + self.tax_rate)).quantize(_CENT, ROUND_HALF_UP)
        return (base * self.tax_rate / 100).quantize(_CENT, ROUND_HALF_UP)

    @property
    def before_rounding(self) -> Decimal:
        """The total before a cash rounding."""
        base = self.subtotal - self.discount + self.service
        return base if self.tax_included else base + self.tax

    @property
    def total(self) -> Decimal:
        """What the customer pays."""
        if not self.cash_rounding:
            return self.before_rounding
        twentieths = (self.before_rounding * 20).quantize(Decimal("1"), ROUND_HALF_UP)
        return (twentieths / 20).quantize(_CENT)

    @property
    def tendered(self) -> Decimal:
        """Cash handed over: the next round note or coin amount at or above the total."""
        for step in (Decimal("1"), Decimal("5"), Decimal("10"), Decimal("50"), Decimal("100")):
            if self.total <= step * 5:
                return ((self.total / step).to_integral_value(rounding="ROUND_CEILING")) * step
        return ((self.total / 100).to_integral_value(rounding="ROUND_CEILING")) * 100


def expected_values(spec: ReceiptSpec, source_file: str = "") -> dict[str, Any]:
    """The values a perfect reader takes from ``spec``'s receipt, in the common shape."""
    out: dict[str, Any] = {
        "seller_name": spec.seller_name,
        "seller_address": ", ".join(spec.address),
        "issue_date": spec.issued.date().isoformat(),
        "total": float(spec.total),
    }
    if spec.show_currency:
        out["currency"] = spec.currency
    if spec.tax_rate:
        out["tax_total"] = float(spec.tax)
    out["lines"] = [
        {
            "description": item.name,
            "quantity": float(item.quantity),
            "unit_price": float(item.unit_price),
            "amount": float(item.amount),
        }
        for item in spec.items
    ]
    out["document_type"] = "receipt"
    out["_notes"] = ["generated by tools.synth.receipts"]
    out["_source_file"] = source_file
    out["_spec"] = json.loads(json.dumps(asdict(spec), default=str))
    return out


# ----------------------------------------------------------------------------------------------
# Vocabulary (invented names; generic words)

_SYLLABLES = (
    "ka", "ren", "mo", "li", "ta", "vor", "sen", "bel", "dri", "nu", "pa", "zan", "qui", "te",
    "lo", "mar", "vi", "den", "shu", "kel", "tor", "ami", "ro", "sa", "fen", "gal", "hu", "jo",
    "wen", "ty", "rah", "mek", "dor", "isa", "pel", "sto", "ver", "cha", "nim", "ola",
)  # fmt: skip

_SHOP_WORDS = {
    "MY": (
        "TRADING", "ENTERPRISE", "HARDWARE", "MART", "STATIONERY", "BOOK STORE", "FOOD CORNER",
        "RESTORAN", "KEDAI RUNCIT", "PASARAYA", "KOPITIAM", "ELECTRICAL", "AUTO PARTS",
        "PHARMACY", "BAKERY", "MINI MARKET", "FURNITURE", "GLASS & ALUMINIUM", "SEAFOOD",
    ),
    "SG": (
        "TRADING", "MART", "EATING HOUSE", "BAKERY", "PHARMACY", "HARDWARE", "MINIMART",
        "BOOKSHOP", "CAFE", "ELECTRONICS", "OPTICAL", "FLORIST",
    ),
    "UK": (
        "Stores", "Bakery", "Hardware", "Books", "Pharmacy", "Newsagents", "Deli", "Florist",
        "Fish Bar", "Cafe", "Garden Centre", "Butchers", "Off Licence",
    ),
    "US": (
        "Market", "Hardware", "Deli", "Pharmacy", "Books", "Diner", "Coffee Co", "Liquors",
        "Grocery", "Bakery", "Auto Supply", "Outfitters",
    ),
    "DE": (
        "Bäckerei", "Metzgerei", "Apotheke", "Getränkemarkt", "Buchhandlung", "Blumen",
        "Eisenwaren", "Feinkost", "Café", "Drogerie", "Bioladen", "Kiosk",
    ),
    "FR": (
        "Boulangerie", "Pharmacie", "Librairie", "Quincaillerie", "Épicerie", "Café",
        "Brasserie", "Primeur", "Fromagerie", "Tabac Presse", "Fleuriste",
    ),
    "NL": (
        "Bakkerij", "Slagerij", "Apotheek", "Boekhandel", "Bloemen", "IJzerwaren",
        "Drogisterij", "Kaashandel", "Eetcafé", "Supermarkt",
    ),
}  # fmt: skip
# words that go before the invented name in these languages ("Bäckerei Kalimo")
_WORD_FIRST = {"DE", "FR", "NL"}
_MY_EXTRA = ("JAYA", "MAJU", "SERI", "BARU", "MAKMUR", "SENTOSA", "INDAH")
_LEGAL_FORMS = {
    "MY": ("SDN BHD", "SDN. BHD.", "SDN BHD", "BHD", "PLT", "S/B"),
    "SG": ("PTE LTD", "PTE. LTD.", "PTE LTD", "LLP"),
    "UK": ("Ltd", "Limited", "LTD", "PLC", "LLP"),
    "US": ("Inc.", "LLC", "Inc", "Corp.", "Co."),
    "DE": ("GmbH", "GmbH & Co. KG", "e.K.", "KG", "OHG", "UG (haftungsbeschränkt)", "AG"),
    "FR": ("SARL", "SAS", "EURL", "SA", "SASU"),
    "NL": ("B.V.", "V.O.F.", "BV", "N.V."),
}
_OPERATOR_WORDS = {
    "en": ("Holdings", "Retail", "Group", "Foods", "Trading", "Ventures"),
    "de": ("Handel", "Handels", "Gruppe", "Lebensmittel", "Vertrieb"),
    "fr": ("Distribution", "Commerce", "Groupe", "Alimentation"),
    "nl": ("Holding", "Retail", "Groep", "Handel"),
}
_REG_LABELS = {
    "MY": ("", "CO. REG. NO: ", "ROC NO. ", "Co No. "),
    "SG": ("", "UEN: ", "CO. REG. NO. ", "Co Reg No: "),
    "UK": ("",),
    "US": ("",),
    "DE": ("",),
    "FR": ("",),
    "NL": ("",),
}
_LANGUAGE = {"MY": "en", "SG": "en", "UK": "en", "US": "en", "DE": "de", "FR": "fr", "NL": "nl"}
_CURRENCY = {
    "MY": "MYR",
    "SG": "SGD",
    "UK": "GBP",
    "US": "USD",
    "DE": "EUR",
    "FR": "EUR",
    "NL": "EUR",
}
_MARKS = {
    "MYR": ("RM",),
    "SGD": ("S$", "SGD"),
    "GBP": ("£", "GBP"),
    "USD": ("$", "USD"),
    "EUR": ("€", "EUR"),
}
_TAX = {
    "MY": ((Decimal("6"), "GST"), (Decimal("0"), ""), (Decimal("6"), "SST"), (Decimal("8"), "SST")),
    "SG": ((Decimal("7"), "GST"), (Decimal("9"), "GST"), (Decimal("0"), "")),
    "UK": ((Decimal("20"), "VAT"), (Decimal("0"), "")),
    "US": ((Decimal("6.25"), "Sales Tax"), (Decimal("8.875"), "Tax"), (Decimal("7"), "TAX")),
    "DE": ((Decimal("19"), "MwSt"), (Decimal("7"), "MwSt")),
    "FR": ((Decimal("20"), "TVA"), (Decimal("5.5"), "TVA"), (Decimal("10"), "TVA")),
    "NL": ((Decimal("21"), "BTW"), (Decimal("9"), "BTW")),
}
# tax added on top (MY/SG service tax, US sales tax) or included in the prices (VAT countries)
_TAX_INCLUDED = {
    "MY": False,
    "SG": False,
    "UK": True,
    "US": False,
    "DE": True,
    "FR": True,
    "NL": True,
}
_STREETS = {
    "MY": ("JALAN {N}", "JLN {N}", "LORONG {N}", "JALAN {N} {k}", "PERSIARAN {N}"),
    "SG": ("{k} {N} ROAD", "{N} STREET {k}", "{N} AVENUE {k}"),
    "UK": ("{k} {N} Street", "{k} {N} Road", "Unit {k}, {N} Parade", "{k} {N} Lane"),
    "US": ("{k} {N} St", "{k} {N} Ave", "{k} {N} Blvd, Suite {j}"),
    "DE": ("{N}straße {k}", "{N}weg {k}", "Am {N}platz {k}", "{N}allee {k}"),
    "FR": ("{k} rue {N}", "{k} avenue {N}", "{k} place {N}", "{k} bd {N}"),
    "NL": ("{N}straat {k}", "{N}weg {k}", "{N}plein {k}", "{N}laan {k}"),
}
_CITY_LINES = {
    "MY": ("{z5} {C}, {S}", "TAMAN {N}, {z5} {C}", "{z5} {C}"),
    "SG": ("SINGAPORE {z6}", "#01-{j} {N} BUILDING, SINGAPORE {z6}"),
    "UK": ("{C} {pc}", "{C}, {pc}"),
    "US": ("{C}, {st} {z5}",),
    "DE": ("{z5} {C}",),
    "FR": ("{z5} {C}",),
    "NL": ("{z4} {L2} {C}",),
}
_STATES = ("SELANGOR", "JOHOR", "PERAK", "KEDAH", "PAHANG", "MELAKA", "W.P. KUALA LUMPUR")
_US_STATES = ("CA", "NY", "TX", "WA", "IL", "OH", "GA", "OR", "MA")
_PRODUCTS = {
    "en": (
        "MILK 1L", "WHITE BREAD", "EGGS 10S", "A4 PAPER 80GSM", "BALL PEN BLUE", "CABLE TIE",
        "PVC PIPE 1/2", "LED BULB 9W", "MINERAL WATER", "COFFEE", "ICED TEA", "FRIED RICE",
        "CHICKEN CHOP", "NOODLE SOUP", "APPLE JUICE", "NOTEBOOK", "GLUE STICK", "SCREW 4X40",
        "PAINT BRUSH 2IN", "TISSUE BOX", "DETERGENT 2KG", "RICE 5KG", "COOKING OIL 2L",
        "BATTERY AA 4PK", "TOOTHPASTE", "SHAMPOO 400ML", "MASKING TAPE", "FILE FOLDER",
        "Sandwich", "Latte", "Croissant", "Bananas", "Tomatoes", "Cheddar", "Orange Juice",
    ),
    "de": (
        "Vollmilch 1L", "Brötchen", "Butter 250g", "Äpfel lose", "Kaffee gemahlen", "Eier 10St",
        "Mineralwasser", "Käse Gouda", "Bananen", "Joghurt", "Brezel", "Schrauben 4x40",
        "Pfand", "Tomaten", "Nudeln 500g", "Apfelsaft",
    ),
    "fr": (
        "Baguette", "Croissant", "Lait demi-écrémé", "Beurre doux", "Café moulu", "Pommes",
        "Fromage", "Eau minérale", "Yaourt nature", "Pain complet", "Tomates", "Jus d'orange",
    ),
    "nl": (
        "Melk 1L", "Brood wit", "Kaas jong", "Appels", "Koffie", "Eieren 10st", "Bananen",
        "Yoghurt", "Mineraalwater", "Tomaten", "Pindakaas", "Stroopwafels",
    ),
}  # fmt: skip
_PEOPLE = ("ANNA", "LEE", "SITI", "RAJ", "MEI", "TOM", "SARA", "JONAS", "LÉA", "NOOR", "OMAR")
_TITLES = {
    "MY": ("TAX INVOICE", "SIMPLIFIED TAX INVOICE", "RECEIPT", "CASH SALE", "OFFICIAL RECEIPT"),
    "SG": ("TAX INVOICE", "RECEIPT", "CASH SALES"),
    "UK": ("RECEIPT", "VAT RECEIPT", "SALES RECEIPT"),
    "US": ("RECEIPT", "SALES RECEIPT", "CUSTOMER COPY"),
    "DE": ("KASSENBON", "Quittung", "BELEG", "Rechnung"),
    "FR": ("TICKET", "TICKET DE CAISSE", "FACTURE SIMPLIFIÉE", "REÇU"),
    "NL": ("KASSABON", "BON", "Kassabon"),
}
_OWNER = {
    "en": ("", "Owned by", "Operated by", "A member of", "Managed by"),
    "de": ("", "Inhaber:", "Betreiber:", "Eine Filiale der", "Betrieben von"),
    "fr": ("", "Exploité par", "Géré par", "Magasin exploité par", "Propriétaire :"),
    "nl": ("", "Exploitant:", "Een vestiging van", "Eigenaar:", "Uitgebaat door"),
}
_LABELS = {
    "en": {
        "subtotal": ("SUBTOTAL", "Sub Total", "Sub-total", "TOTAL ITEMS"),
        "discount": ("DISCOUNT", "Discount", "Less Discount"),
        "service": ("SERVICE CHARGE {r}%", "Svc Chg {r}%", "Service {r}%"),
        "tax_added": ("{t} {r}%", "{t} @ {r}%", "{t}"),
        "tax_incl": ("{t} {r}% incl.", "Incl. {t} {r}%", "{t} included"),
        "rounding": ("Rounding Adj", "ROUNDING", "Rounding"),
        "total": ("TOTAL", "GRAND TOTAL", "TOTAL DUE", "Total Amount", "AMOUNT DUE", "NETT TOTAL"),
        "cash": ("CASH", "Cash", "Tendered", "CASH PAID"),
        "card": ("VISA", "MASTERCARD", "Card", "DEBIT CARD"),
        "change": ("CHANGE", "Change", "Change Due", "BALANCE"),
        "receipt_no": ("Receipt No:", "Inv No:", "Bill No:", "Trans #", "Doc No :"),
        "date": ("Date:", "Date :", "DATE", ""),
        "time": ("Time:", "Time :", "TIME"),
        "cashier": ("Cashier:", "Served by:", "Operator", "CASHIER :"),
        "terminal": ("Terminal:", "POS", "Till", "Counter:"),
        "table": ("Table:", "Table No", "TBL"),
        "phone": ("Tel:", "TEL :", "Phone", "Tel No."),
        "qty": ("Qty", "QTY"),
        "price": ("Price", "U.Price", "@"),
        "amount": ("Amount", "Amt", "Total"),
        "item": ("Item", "Description", "ITEM"),
    },
    "de": {
        "subtotal": ("Zwischensumme", "Summe Artikel", "ZWISCHENSUMME"),
        "discount": ("Rabatt", "Nachlass"),
        "service": ("Bedienung {r}%",),
        "tax_added": ("MwSt {r}%",),
        "tax_incl": ("enth. MwSt {r}%", "MwSt {r}% enthalten", "darin MwSt {r}%"),
        "rounding": ("Rundung",),
        "total": ("SUMME", "Summe", "GESAMT", "Zu zahlen", "TOTAL"),
        "cash": ("BAR", "Bar", "Gegeben", "Bargeld"),
        "card": ("EC-Karte", "Kartenzahlung", "girocard", "VISA"),
        "change": ("Rückgeld", "Zurück", "RÜCKGELD"),
        "receipt_no": ("Bon-Nr.", "Beleg-Nr.", "Bon", "Belegnummer:"),
        "date": ("Datum:", "Datum", ""),
        "time": ("Uhrzeit:", "Zeit:"),
        "cashier": ("Kassierer:", "Es bediente Sie:", "Bed.:"),
        "terminal": ("Kasse:", "Kasse", "Terminal"),
        "table": ("Tisch", "Tisch-Nr."),
        "phone": ("Tel.", "Telefon:", "Tel:"),
        "qty": ("Menge",),
        "price": ("Preis", "EP"),
        "amount": ("Betrag", "EUR"),
        "item": ("Artikel", "Bezeichnung"),
    },
    "fr": {
        "subtotal": ("Sous-total", "SOUS TOTAL", "Total articles"),
        "discount": ("Remise", "REMISE"),
        "service": ("Service {r}%",),
        "tax_added": ("TVA {r}%",),
        "tax_incl": ("dont TVA {r}%", "TVA {r}% incluse", "TVA {r}%"),
        "rounding": ("Arrondi",),
        "total": ("TOTAL", "TOTAL TTC", "A PAYER", "Montant TTC", "NET A PAYER"),
        "cash": ("ESPECES", "Espèces", "Reçu espèces"),
        "card": ("CB", "Carte bancaire", "CARTE BLEUE"),
        "change": ("RENDU", "Rendu monnaie", "Monnaie rendue"),
        "receipt_no": ("Ticket n°", "N° ticket:", "Ticket :", "Facture n°"),
        "date": ("Date :", "Le", ""),
        "time": ("Heure :", "à"),
        "cashier": ("Caissier :", "Vendeur :", "Hôte :"),
        "terminal": ("Caisse", "Caisse n°", "TPE"),
        "table": ("Table", "Table n°"),
        "phone": ("Tél :", "Tel.", "Téléphone"),
        "qty": ("Qté",),
        "price": ("P.U.", "Prix"),
        "amount": ("Montant", "EUR"),
        "item": ("Article", "Désignation"),
    },
    "nl": {
        "subtotal": ("Subtotaal", "SUBTOTAAL"),
        "discount": ("Korting",),
        "service": ("Service {r}%",),
        "tax_added": ("BTW {r}%",),
        "tax_incl": ("BTW {r}% incl.", "waarvan BTW {r}%", "BTW {r}%"),
        "rounding": ("Afronding", "Afrondingsverschil"),
        "total": ("TOTAAL", "Totaal", "Te betalen", "TE BETALEN"),
        "cash": ("Contant", "CONTANT", "Betaald"),
        "card": ("PIN", "Pinbetaling", "Maestro"),
        "change": ("Wisselgeld", "Terug", "TERUG"),
        "receipt_no": ("Bonnr.", "Bon:", "Kassabon nr."),
        "date": ("Datum:", "Datum", ""),
        "time": ("Tijd:", "Tijd"),
        "cashier": ("Kassier:", "U werd geholpen door", "Medewerker:"),
        "terminal": ("Kassa", "Kassa:", "Terminal"),
        "table": ("Tafel", "Tafel nr."),
        "phone": ("Tel.", "Telefoon:", "Tel:"),
        "qty": ("Aantal",),
        "price": ("Prijs",),
        "amount": ("Bedrag", "EUR"),
        "item": ("Artikel", "Omschrijving"),
    },
}
_FOOTERS = {
    "en": (
        "THANK YOU", "Thank you, please come again", "THANK YOU FOR SHOPPING WITH US",
        "Goods sold are not returnable", "GOODS SOLD ARE NOT REFUNDABLE",
        "Please keep this receipt for returns within 30 days", "Have a nice day!",
        "Prices include GST", "Visit us at www.{w}.com", "Customer copy",
    ),
    "de": (
        "Vielen Dank für Ihren Einkauf", "Danke und auf Wiedersehen!",
        "Umtausch nur mit Kassenbon", "www.{w}.de", "Bitte Bon aufbewahren",
    ),
    "fr": (
        "Merci de votre visite", "A bientôt !", "Conservez votre ticket",
        "Ni repris ni échangé", "www.{w}.fr",
    ),
    "nl": (
        "Bedankt voor uw bezoek", "Tot ziens!", "Ruilen binnen 14 dagen met kassabon",
        "www.{w}.nl", "Bewaar uw kassabon",
    ),
}  # fmt: skip
_MONTHS_EN = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_MONTHS_FR = ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.",
              "nov.", "déc.")  # fmt: skip
_MONTHS_NL = ("jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec")
_MONTHS_DE = ("Jan", "Feb", "Mär", "Apr", "Mai", "Jun", "Jul", "Aug", "Sep", "Okt", "Nov", "Dez")


def _invented(rng: random.Random, syllables: int | None = None) -> str:
    """A made-up word of two or three syllables ("Kelvori")."""
    n = syllables or rng.choice((2, 2, 3))
    return "".join(rng.choice(_SYLLABLES) for _ in range(n)).capitalize()


def _shop_name(rng: random.Random, country: str) -> str:
    """A trading name: an invented word with a generic shop word (no legal form)."""
    word = rng.choice(_SHOP_WORDS[country])
    root = _invented(rng)
    if country == "MY" and rng.random() < 0.4:
        root = f"{root} {rng.choice(_MY_EXTRA)}"
    if country in _WORD_FIRST:
        name = f"{word} {root}" if rng.random() < 0.7 else f"{root} {word}"
    else:
        name = f"{root} {word}"
    if country in ("MY", "SG"):
        name = name.upper()
    return name


def _legal_name(rng: random.Random, country: str, base: str) -> str:
    """``base`` (or another invented name) with a legal form of ``country``."""
    form = rng.choice(_LEGAL_FORMS[country])
    if rng.random() < 0.35:
        # the operating company often has a name of its own, unlike the shop's
        base = _invented(rng)
        if rng.random() < 0.5:
            base += " " + rng.choice(_OPERATOR_WORDS[_LANGUAGE[country]])
        if country in ("MY", "SG"):
            base = base.upper()
    if country in ("MY", "SG", "UK") and base.isupper():
        form = form.upper()
    return f"{base} {form}"


def _registration(rng: random.Random, country: str) -> str | None:
    digits = "".join(rng.choice("0123456789") for _ in range(rng.choice((6, 7))))
    if country == "MY":
        return rng.choice(
            (f"{digits}-{rng.choice('AHKMPTUVWX')}", f"{rng.randint(2000, 2024)}01{digits[:6]}")
        )
    if country == "SG":
        return f"{rng.randint(1990, 2024)}{digits[:5]}{rng.choice('KDHMNWZ')}"
    if country == "UK":
        return f"Company No. {rng.randint(1000000, 9999999):08d}"
    if country == "DE":
        return f"HRB {rng.randint(1000, 99999)}"
    if country == "FR":
        city = rng.choice(("Paris", "Lyon", "Nantes", "Lille"))
        return f"RCS {city} {digits[:3]} {digits[3:6]} {digits[-3:]}"
    if country == "NL":
        return f"KvK {rng.randint(10000000, 99999999)}"
    return None


def _tax_id(rng: random.Random, country: str) -> str | None:
    def digits(n: int) -> str:
        return "".join(rng.choice("0123456789") for _ in range(n))

    ids: dict[str, tuple[str | None, ...]] = {
        "MY": (
            f"GST REG NO: {digits(12)}",
            f"GST ID : {digits(12)}",
            f"SST ID: W10-{digits(4)}-{digits(8)}",
        ),
        "SG": (f"GST REG NO: M{digits(8)}-{digits(1)}", f"GST Reg No. {digits(9)}{digits(1)}"),
        "UK": (f"VAT Reg No. GB {digits(3)} {digits(4)} {digits(2)}", f"VAT No: {digits(9)}"),
        "US": (f"Store #{digits(4)}", None),
        "DE": (f"USt-IdNr.: DE{digits(9)}", f"St.-Nr. {digits(3)}/{digits(3)}/{digits(5)}"),
        "FR": (
            f"SIRET {digits(3)} {digits(3)} {digits(3)} {digits(5)}",
            f"TVA intracom. FR{digits(11)}",
        ),
        "NL": (f"BTW-nr. NL{digits(9)}B01", f"BTW NL{digits(9)}B0{digits(1)}"),
    }
    return rng.choice(ids[country])


def _address(rng: random.Random, country: str) -> tuple[str, ...]:
    fill = {
        "N": _invented(rng),
        "k": str(rng.randint(1, 250)),
        "j": str(rng.randint(1, 40)),
        "C": _invented(rng) + rng.choice(("", "", "ton", "burg", "ville", "dam")),
        "S": rng.choice(_STATES),
        "st": rng.choice(_US_STATES),
        "z5": f"{rng.randint(10000, 99999)}",
        "z6": f"{rng.randint(100000, 829999)}",
        "z4": f"{rng.randint(1000, 9999)}",
        "L2": rng.choice(("AB", "KL", "RT", "GX", "ZN")),
        "pc": f"{rng.choice(('AB', 'CF', 'LS', 'NE', 'SW'))}{rng.randint(1, 19)} "
        f"{rng.randint(1, 9)}{rng.choice(('AB', 'DX', 'HQ', 'PT'))}",
    }
    street = rng.choice(_STREETS[country]).format(**fill)
    city = rng.choice(_CITY_LINES[country]).format(**fill)
    if country in ("MY", "SG"):
        street, city = street.upper(), city.upper()
        if rng.random() < 0.5:
            street = f"NO. {rng.randint(1, 120)}, {street}"
    lines = [street, city]
    if country == "MY" and rng.random() < 0.4:
        lines.insert(1, f"TAMAN {_invented(rng).upper()}")
    return tuple(lines)


def _phone(rng: random.Random, country: str) -> str:
    def d(n: int) -> str:
        return "".join(rng.choice("0123456789") for _ in range(n))

    forms = {
        "MY": (f"03-{d(4)} {d(4)}", f"0{rng.randint(4, 9)}-{d(3)} {d(4)}", f"012-{d(3)} {d(4)}"),
        "SG": (f"6{d(3)} {d(4)}", f"+65 6{d(3)} {d(4)}"),
        "UK": (f"0{d(3)} {d(3)} {d(4)}", f"020 {d(4)} {d(4)}"),
        "US": (f"({d(3)}) {d(3)}-{d(4)}", f"{d(3)}-{d(3)}-{d(4)}"),
        "DE": (f"0{d(3)} / {d(6)}", f"0{d(2)} {d(7)}"),
        "FR": (f"0{rng.randint(1, 5)} {d(2)} {d(2)} {d(2)} {d(2)}",),
        "NL": (f"0{d(2)}-{d(7)}", f"0{d(3)} {d(6)}"),
    }
    return rng.choice(forms[country])


def _items(rng: random.Random, language: str, currency: str) -> tuple[ItemSpec, ...]:
    n = rng.choice((1, 1, 2, 2, 3, 3, 4, 5, 6, 8, 10))
    names = rng.sample(_PRODUCTS[language], min(n, len(_PRODUCTS[language])))
    scale = {"MYR": 4, "SGD": 2, "USD": 2, "GBP": 1, "EUR": 1}[currency]
    items = []
    for name in names:
        quantity = Decimal(rng.choice((1, 1, 1, 1, 2, 2, 3, 4, 6, 10)))
        price = Decimal(rng.randint(30, 1500) * scale) / 100
        if rng.random() < 0.4:
            price = price.quantize(Decimal("0.1")) or Decimal("0.10")
        items.append(ItemSpec(name, quantity, price.quantize(_CENT)))
    return tuple(items)


def random_spec(
    rng: random.Random, *, country: str | None = None, paper: str | None = None
) -> ReceiptSpec:
    """A random receipt of ``country`` (random among :data:`COUNTRIES` when not given)."""
    country = country or rng.choice(COUNTRIES)
    if country not in COUNTRIES:
        raise ValueError(f"unknown country {country!r} (known: {', '.join(COUNTRIES)})")
    language = _LANGUAGE[country]
    paper = paper or rng.choice(("58mm", "80mm", "80mm", "80mm", "a5"))
    currency = _CURRENCY[country]
    shop = _shop_name(rng, country)
    # who the seller block names: brand only; brand with a legal name under it (or at the
    # bottom); the legal name alone
    kind = rng.choice(("brand", "brand+legal", "brand+legal", "legal", "legal", "legal"))
    brand: str | None = shop
    legal: str | None = None
    if kind != "brand":
        legal = _legal_name(rng, country, shop)
    if kind == "legal":
        brand = None
    legal_in_footer = (
        kind == "brand+legal" and country in ("DE", "FR", "NL", "UK") and rng.random() < 0.3
    )
    tax_rate, _ = rng.choice(_TAX[country])
    issued = datetime(2015, 1, 1, 7, 0) + timedelta(
        days=rng.randrange(365 * 11), minutes=rng.randrange(15 * 60)
    )
    restaurant = rng.random() < 0.3
    items = _items(rng, language, currency)
    subtotal = sum((i.amount for i in items), Decimal("0.00"))
    discount = Decimal("0.00")
    if rng.random() < 0.15 and subtotal > 5:
        discount = (subtotal * Decimal(rng.choice((5, 10, 15))) / 100).quantize(_CENT)
    footer_words = rng.sample(_FOOTERS[language], rng.randint(1, 3))
    word = _invented(rng).lower()
    title = rng.choice(_TITLES[country]) if rng.random() < 0.7 else None
    receipt_no = rng.choice(
        (
            f"{rng.randint(1, 999999):06d}",
            f"{rng.choice('ABCDEFGHKMNPRST')}{rng.randint(10000, 99999)}",
            f"{rng.randint(1, 99)}-{rng.randint(1000, 9999)}",
        )
    )
    return ReceiptSpec(
        country=country,
        language=language,
        paper=paper,
        font=rng.choice(FONTS),
        currency=currency,
        brand=brand,
        legal_name=legal,
        registration=_registration(rng, country) if legal and rng.random() < 0.6 else None,
        registration_style=rng.randint(0, 1),
        tax_id=_tax_id(rng, country) if rng.random() < 0.6 else None,
        owner_style=rng.randrange(len(_OWNER[language])),
        address=_address(rng, country),
        phone=_phone(rng, country) if rng.random() < 0.75 else None,
        title=title,
        receipt_no=receipt_no,
        issued=issued,
        date_style=rng.randrange(8),
        cashier=rng.choice(_PEOPLE) if rng.random() < 0.5 else None,
        terminal=str(rng.randint(1, 12)) if rng.random() < 0.4 else None,
        table=str(rng.randint(1, 40)) if restaurant and rng.random() < 0.7 else None,
        items=items,
        tax_rate=tax_rate,
        tax_included=_TAX_INCLUDED[country],
        service_rate=Decimal("10") if restaurant and country in ("MY", "SG") else Decimal("0"),
        discount=discount,
        cash_rounding=country in ("MY", "SG", "NL") and rng.random() < 0.6,
        paid_cash=rng.random() < 0.65,
        show_currency=rng.random() < 0.8,
        label_style=rng.randrange(6),
        name_scale=rng.choice((1.0, 1.0, 1.3, 1.5, 2.0, 2.0)),
        name_bold=rng.random() < 0.6,
        logo=brand is not None and rng.random() < 0.3,
        legal_in_footer=legal_in_footer,
        footer=tuple(f.format(w=word) for f in footer_words),
        two_row_items=rng.random() < 0.4,
    )


# ----------------------------------------------------------------------------------------------
# Formatting


def _pick(options: Sequence[str], style: int) -> str:
    return options[style % len(options)]


def _label(spec: ReceiptSpec, key: str, offset: int = 0) -> str:
    return _pick(_LABELS[spec.language][key], spec.label_style + offset)


def format_amount(value: Decimal, spec: ReceiptSpec) -> str:
    """An amount as the receipt's country prints it ("1,234.50" / "1.234,50" / "1234,50")."""
    text = f"{value:,.2f}" if value >= 1000 and spec.label_style % 2 else f"{value:.2f}"
    if spec.language in ("de", "fr", "nl"):
        text = text.replace(",", " " if spec.language == "fr" else "\0").replace(".", ",")
        text = text.replace("\0", ".")
    return text


def _money(value: Decimal, spec: ReceiptSpec, *, mark: bool) -> str:
    """An amount with the currency mark where this receipt prints one."""
    text = format_amount(value, spec)
    if not (mark and spec.show_currency):
        return text
    symbol = _pick(_MARKS[spec.currency], spec.label_style)
    if symbol in ("€", "EUR") and spec.language in ("de", "fr"):
        return f"{text} {symbol}"
    if len(symbol) > 1 and symbol.isalpha():
        return f"{symbol} {text}" if spec.label_style % 3 else f"{symbol}{text}"
    return f"{symbol}{text}" if spec.language == "en" else f"{symbol} {text}"


def format_date(spec: ReceiptSpec) -> str:
    """The issue date in one of the country's formats (day first except in the US)."""
    d = spec.issued.date()
    y2 = f"{d.year % 100:02d}"
    style = spec.date_style
    if style == 7:
        return d.isoformat()
    if spec.country == "US":
        forms = (
            f"{d.month:02d}/{d.day:02d}/{d.year}",
            f"{d.month}/{d.day}/{y2}",
            f"{d.month:02d}/{d.day:02d}/{y2}",
            f"{_MONTHS_EN[d.month - 1].title()} {d.day}, {d.year}",
        )
    elif spec.language == "de":
        forms = (
            f"{d.day:02d}.{d.month:02d}.{d.year}",
            f"{d.day:02d}.{d.month:02d}.{y2}",
            f"{d.day}. {_MONTHS_DE[d.month - 1]} {d.year}",
        )
    elif spec.language == "fr":
        forms = (
            f"{d.day:02d}/{d.month:02d}/{d.year}",
            f"{d.day:02d}/{d.month:02d}/{y2}",
            f"{d.day:02d}-{d.month:02d}-{d.year}",
            f"{d.day} {_MONTHS_FR[d.month - 1]} {d.year}",
        )
    elif spec.language == "nl":
        forms = (
            f"{d.day:02d}-{d.month:02d}-{d.year}",
            f"{d.day:02d}-{d.month:02d}-{y2}",
            f"{d.day} {_MONTHS_NL[d.month - 1]} {d.year}",
        )
    else:
        forms = (
            f"{d.day:02d}/{d.month:02d}/{d.year}",
            f"{d.day:02d}/{d.month:02d}/{y2}",
            f"{d.day:02d}-{d.month:02d}-{d.year}",
            f"{d.day:02d} {_MONTHS_EN[d.month - 1]} {d.year}",
            f"{d.day:02d}-{_MONTHS_EN[d.month - 1].title()}-{d.year}",
            f"{d.day:02d}-{d.month:02d}-{y2}",
        )
    return _pick(forms, style)


def format_time(spec: ReceiptSpec) -> str:
    """The time of the sale, 24 h or (English, some styles) 12 h."""
    t = spec.issued
    if spec.language == "en" and spec.date_style % 2:
        hour = t.hour % 12 or 12
        return f"{hour:02d}:{t.minute:02d} {'PM' if t.hour >= 12 else 'AM'}"
    return f"{t.hour:02d}:{t.minute:02d}" + (f":{t.second:02d}" if spec.date_style % 3 == 0 else "")


def _qty(value: Decimal) -> str:
    return str(int(value)) if value == value.to_integral_value() else str(value)


def _rate(rate: Decimal, spec: ReceiptSpec) -> str:
    text = f"{rate.normalize():f}"
    return text.replace(".", ",") if spec.language in ("de", "fr", "nl") else text


# ----------------------------------------------------------------------------------------------
# Rows of print


@dataclass
class _Row:
    """One printed row: left / right / centred texts (or fixed columns) in one style."""

    cells: list[tuple[str, float, str]]  # (text, anchor 0..1 of the printable width, l/r/c)
    scale: float = 1.0
    bold: bool = False
    gap: float = 0.0  # extra space above, in body line heights
    rule: str = ""  # a row of '-' or '=' across the width instead of text
    logo: str = ""  # initials in a logo box


def _left(text: str, **kw: Any) -> _Row:
    return _Row([(text, 0.0, "l")], **kw)


def _centre(text: str, **kw: Any) -> _Row:
    return _Row([(text, 0.5, "c")], **kw)


def _pair(left: str, right: str, **kw: Any) -> _Row:
    return _Row([(left, 0.0, "l"), (right, 1.0, "r")], **kw)


def _seller_rows(spec: ReceiptSpec, rng: random.Random, align: str) -> list[_Row]:
    """The seller block: logo, brand, legal name and numbers, address, phone."""
    rows: list[_Row] = []
    big = {"scale": spec.name_scale, "bold": spec.name_bold}
    put = _centre if align == "c" else _left
    if spec.logo and spec.brand:
        initials = "".join(w[0] for w in spec.brand.split()[:2]).upper()
        rows.append(_Row([], logo=initials))
    if spec.brand:
        rows.append(put(spec.brand, **big))
    legal = spec.legal_name if not spec.legal_in_footer else None
    if legal:
        owner = _pick(_OWNER[spec.language], spec.owner_style) if spec.brand else ""
        style = {} if spec.brand else big
        reg = spec.registration
        name_line = legal
        if reg and spec.registration_style == 0:
            name_line = f"{legal} ({reg})"
        if owner and rng.random() < 0.5:
            rows.append(put(owner))
            rows.append(put(name_line, **style))
        else:
            rows.append(put(f"{owner} {name_line}".strip(), **style))
        if reg and spec.registration_style == 1:
            prefix = rng.choice(_REG_LABELS[spec.country]) if reg[0].isdigit() else ""
            rows.append(put(f"({prefix}{reg})" if rng.random() < 0.5 else f"{prefix}{reg}"))
    for line in spec.address:
        rows.append(put(line))
    if spec.phone:
        rows.append(put(f"{_label(spec, 'phone')} {spec.phone}"))
    if spec.tax_id:
        rows.append(put(spec.tax_id))
    return rows


def _meta_rows(spec: ReceiptSpec, rng: random.Random) -> list[_Row]:
    """Receipt number, date and time, cashier, terminal, table."""
    rows: list[_Row] = []
    date_text = format_date(spec)
    time_text = format_time(spec)
    date_label = _label(spec, "date")
    number = f"{_label(spec, 'receipt_no')} {spec.receipt_no}"
    style = rng.randrange(3)
    if style == 0:
        rows.append(_pair(number, f"{date_label} {date_text}".strip()))
        rows.append(_pair(f"{_label(spec, 'time')} {time_text}", ""))
    elif style == 1:
        rows.append(_left(number))
        rows.append(_pair(f"{date_label} {date_text}".strip(), time_text))
    else:
        rows.append(_left(f"{date_text} {time_text}"))
        rows.append(_left(number))
    extra = []
    if spec.cashier:
        extra.append(f"{_label(spec, 'cashier')} {spec.cashier}")
    if spec.terminal:
        extra.append(f"{_label(spec, 'terminal')} {spec.terminal}")
    if spec.table:
        extra.append(f"{_label(spec, 'table')} {spec.table}")
    if len(extra) >= 2 and rng.random() < 0.5:
        rows.append(_pair(extra[0], extra[1]))
        extra = extra[2:]
    rows.extend(_left(e) for e in extra)
    return rows


def _item_rows(spec: ReceiptSpec, narrow: bool) -> list[_Row]:
    rows: list[_Row] = []
    if not narrow and not spec.two_row_items:
        rows.append(
            _Row(
                [
                    (_label(spec, "item"), 0.0, "l"),
                    (_label(spec, "qty"), 0.58, "r"),
                    (_label(spec, "price"), 0.78, "r"),
                    (_label(spec, "amount"), 1.0, "r"),
                ]
            )
        )
        rows.append(_Row([], rule="-"))
    for item in spec.items:
        amount = format_amount(item.amount, spec)
        price = format_amount(item.unit_price, spec)
        if spec.two_row_items or narrow:
            rows.append(_left(item.name))
            if item.quantity != 1 or not narrow:
                rows.append(
                    _Row([(f"  {_qty(item.quantity)} x {price}", 0.0, "l"), (amount, 1.0, "r")])
                )
            else:
                rows[-1] = _pair(item.name, amount)
        else:
            rows.append(
                _Row(
                    [
                        (item.name, 0.0, "l"),
                        (_qty(item.quantity), 0.58, "r"),
                        (price, 0.78, "r"),
                        (amount, 1.0, "r"),
                    ]
                )
            )
    return rows


def _total_rows(spec: ReceiptSpec, rng: random.Random) -> list[_Row]:
    rows: list[_Row] = [_Row([], rule=rng.choice("-="))]
    tax_name = next((n for r, n in _TAX[spec.country] if r == spec.tax_rate), "") or "Tax"
    r = _rate(spec.tax_rate, spec)
    shown_sub = spec.discount or spec.service_rate or not spec.tax_included or rng.random() < 0.4
    if shown_sub:
        rows.append(_pair(_label(spec, "subtotal"), format_amount(spec.subtotal, spec)))
    if spec.discount:
        rows.append(_pair(_label(spec, "discount"), "-" + format_amount(spec.discount, spec)))
    if spec.service_rate:
        label = _label(spec, "service").format(r=_rate(spec.service_rate, spec))
        rows.append(_pair(label, format_amount(spec.service, spec)))
    if spec.tax_rate and not spec.tax_included:
        rows.append(
            _pair(_label(spec, "tax_added").format(t=tax_name, r=r), format_amount(spec.tax, spec))
        )
    if spec.cash_rounding and spec.total != spec.before_rounding:
        rows.append(
            _pair(_label(spec, "rounding"), format_amount(spec.total - spec.before_rounding, spec))
        )
    total_label = _label(spec, "total")
    if spec.show_currency and rng.random() < 0.3:
        mark = _pick(_MARKS[spec.currency], spec.label_style)
        rows.append(
            _pair(f"{total_label} ({mark})", format_amount(spec.total, spec), bold=True, scale=1.0)
        )
    else:
        scale = rng.choice((1.0, 1.0, 1.3))
        rows.append(_pair(total_label, _money(spec.total, spec, mark=True), bold=True, scale=scale))
    if spec.paid_cash:
        tendered = spec.tendered
        rows.append(_pair(_label(spec, "cash"), _money(tendered, spec, mark=False), gap=0.3))
        rows.append(_pair(_label(spec, "change"), format_amount(tendered - spec.total, spec)))
    else:
        rows.append(_pair(_label(spec, "card"), _money(spec.total, spec, mark=False), gap=0.3))
    if spec.tax_rate and spec.tax_included:
        label = _label(spec, "tax_incl").format(t=tax_name, r=r)
        rows.append(_pair(label, format_amount(spec.tax, spec), gap=0.3))
    return rows


def _rows(spec: ReceiptSpec, rng: random.Random) -> list[_Row]:
    narrow = spec.paper == "58mm"
    align = "c" if rng.random() < 0.8 else "l"
    rows = _seller_rows(spec, rng, align)
    if spec.title:
        rows.append(_centre(spec.title, bold=rng.random() < 0.5, gap=0.5))
    rows.append(_Row([], rule=rng.choice("-=")))
    rows.extend(_meta_rows(spec, rng))
    rows.append(_Row([], rule="-"))
    rows.extend(_item_rows(spec, narrow))
    rows.extend(_total_rows(spec, rng))
    rows.append(_Row([], rule="-", gap=0.3))
    for line in spec.footer:
        rows.append(_centre(line))
    if spec.legal_in_footer and spec.legal_name:
        legal = spec.legal_name
        if spec.registration:
            legal += f" · {spec.registration}" if rng.random() < 0.5 else ""
        rows.append(_centre(legal, gap=0.5))
    return rows


# ----------------------------------------------------------------------------------------------
# Fonts and drawing


def _font_files(font: str) -> tuple[str, str]:
    """(regular, bold) font files of ``font``: DejaVu from the system, or ReportLab's own."""
    import reportlab

    rl = Path(reportlab.__file__).parent / "fonts"
    dejavu = Path("/usr/share/fonts/truetype/dejavu")
    files = {
        "mono": (dejavu / "DejaVuSansMono.ttf", dejavu / "DejaVuSansMono-Bold.ttf"),
        "sans": (dejavu / "DejaVuSans.ttf", dejavu / "DejaVuSans-Bold.ttf"),
        "condensed": (dejavu / "DejaVuSansCondensed.ttf", dejavu / "DejaVuSansCondensed-Bold.ttf"),
        "serif": (dejavu / "DejaVuSerif.ttf", dejavu / "DejaVuSerif-Bold.ttf"),
        "courier": (rl / "com_____.pfb", rl / "cob_____.pfb"),
        "helvetica": (rl / "_a______.pfb", rl / "_ab_____.pfb"),
        "times": (rl / "_er_____.pfb", rl / "_eb_____.pfb"),
        "vera": (rl / "Vera.ttf", rl / "VeraBd.ttf"),
    }
    regular, bold = files[font]
    if not regular.exists() or not bold.exists():
        regular, bold = files["vera"]  # ReportLab (a test dependency) always has these
    return str(regular), str(bold)


@cache
def _font(font: str, bold: bool, size: int) -> Any:
    from PIL import ImageFont

    return ImageFont.truetype(_font_files(font)[int(bold)], size)


_BODY_SIZE = {"58mm": 22, "80mm": 22, "a5": 26}  # px at 203 dpi (a 12x24-dot printer font)


# a printed word and its box on the print (px at 203 dpi): text, x0, y0, x1, y1
WordBox = tuple[str, float, float, float, float]


def _draw_rows(
    spec: ReceiptSpec, rows: list[_Row], rng: random.Random, words: list[WordBox]
) -> Any:
    """The receipt's print as an ink image ("L", 0 = no ink, 255 = full ink), paper width.

    Every word drawn is appended to ``words`` with its box.
    """
    from PIL import Image, ImageDraw

    paper_w, print_w = _PAPER_DOTS[spec.paper]
    margin = (paper_w - print_w) // 2
    body = _BODY_SIZE[spec.paper] + rng.choice((-2, 0, 0, 2))
    line_h = int(body * rng.uniform(1.15, 1.4))
    height = margin + sum(int(line_h * (r.scale + r.gap)) + 4 for r in rows) + 3 * line_h
    ink = Image.new("L", (paper_w, height), 0)
    draw = ImageDraw.Draw(ink)
    y = margin + rng.randint(0, line_h)
    for row in rows:
        y += int(line_h * row.gap)
        h = int(line_h * row.scale)
        if row.rule:
            font = _font(spec.font, False, body)
            char_w = max(1.0, font.getlength(row.rule))
            text = row.rule * int(print_w / char_w)
            draw.text((margin, y + h // 4), text, fill=255, font=font)
            y += h
            continue
        if row.logo:
            size = int(line_h * 2.2)
            x0 = margin + (print_w - size) // 2
            if rng.random() < 0.5:
                draw.ellipse((x0, y, x0 + size, y + size), fill=255)
            else:
                draw.rounded_rectangle((x0, y, x0 + size, y + size), radius=size // 6, fill=255)
            font = _font(spec.font, True, int(size * 0.45))
            w = font.getlength(row.logo)
            draw.text((x0 + (size - w) / 2, y + size * 0.25), row.logo, fill=0, font=font)
            y += size + line_h // 2
            continue
        size = int(body * row.scale)
        font = _font(spec.font, row.bold, size)
        # a line too wide for the paper wraps (names) or shrinks (rows of columns)
        texts = [c for c in row.cells if c[0]]
        if len(texts) == 1 and font.getlength(texts[0][0]) > print_w:
            lines: list[str] = []
            for word in texts[0][0].split():
                if lines and font.getlength(f"{lines[-1]} {word}") <= print_w:
                    lines[-1] += f" {word}"
                else:
                    lines.append(word)
            for line in lines:
                _draw_cell(draw, font, (line, texts[0][1], texts[0][2]), margin, print_w, y, words)
                y += h
            continue
        total_w = sum(font.getlength(t) for t, _, _ in texts) + font.getlength(" ") * len(texts)
        while total_w > print_w and size > 10:
            size -= 1
            font = _font(spec.font, row.bold, size)
            total_w = sum(font.getlength(t) for t, _, _ in texts) + font.getlength(" ") * len(texts)
        for cell in texts:
            _draw_cell(draw, font, cell, margin, print_w, y, words)
        y += h
    return ink.crop((0, 0, paper_w, min(height, y + 2 * line_h + margin)))


def _draw_cell(
    draw: Any,
    font: Any,
    cell: tuple[str, float, str],
    margin: int,
    print_w: int,
    y: int,
    words: list[WordBox],
) -> None:
    text, anchor, align = cell
    w = font.getlength(text)
    x = margin + anchor * print_w
    if align == "r":
        x -= w
    elif align == "c":
        x -= w / 2
    x = min(max(margin, x), margin + print_w - w)
    draw.text((x, y), text, fill=255, font=font)
    _, top, _, bottom = font.getbbox("Hg")
    start = 0
    for word in text.split():
        start = text.index(word, start)
        x0 = x + font.getlength(text[:start])
        words.append((word, x0, y + top, x0 + font.getlength(word), y + bottom))
        start += len(word)


# ----------------------------------------------------------------------------------------------
# Paper, print and scan


def _degrade(ink: Any, spec: ReceiptSpec, rng: random.Random) -> Any:
    """Print ``ink`` on paper and scan or photograph it (grey image, seeded)."""
    import numpy as np
    from PIL import Image, ImageFilter

    nrng = np.random.default_rng(rng.randrange(2**32))
    a = np.asarray(ink, dtype=np.float64) / 255.0
    h, w = a.shape
    thermal = spec.paper != "a5"
    # the print: never full black, fading unevenly (thermal paper), dots missing
    darkness = rng.uniform(0.55, 0.95) if thermal else rng.uniform(0.75, 0.97)
    coarse = nrng.uniform(0.0, 1.0, (max(2, h // 200), max(2, w // 200)))
    fade = np.asarray(
        Image.fromarray((coarse * 255).astype(np.uint8)).resize((w, h), Image.Resampling.BICUBIC),
        dtype=np.float64,
    )
    strength = rng.uniform(0.0, 0.45) if thermal else rng.uniform(0.0, 0.15)
    a = a * darkness * (1 - strength * fade / 255.0)
    if thermal and rng.random() < 0.5:
        a = a * (nrng.random(a.shape) > rng.uniform(0.02, 0.12))
    if thermal and rng.random() < 0.25:
        # a worn print-head dot: a thin vertical line without ink
        for _ in range(rng.randint(1, 3)):
            x = rng.randrange(w)
            a[:, x : x + rng.randint(1, 2)] *= 0.15
    paper_tone = rng.uniform(225, 252)
    page = paper_tone * (1 - a) + rng.uniform(10, 60) * a
    page = page + nrng.normal(0, rng.uniform(1, 4), page.shape)  # paper grain
    image = Image.fromarray(np.clip(page, 0, 255).astype(np.uint8), "L")
    # on a scanner bed or a table: a darker border around the paper
    pad_x, pad_y = rng.randint(0, w // 6), rng.randint(0, h // 20)
    background = int(rng.uniform(30, 200))
    framed = Image.new("L", (w + 2 * pad_x, h + 2 * pad_y), background)
    framed.paste(image, (pad_x, pad_y))
    turn = 2.5 if thermal else 1.5  # a long narrow slip lies askew more easily
    image = framed.rotate(
        rng.uniform(-turn, turn),
        resample=Image.Resampling.BICUBIC,
        expand=True,
        fillcolor=background,
    )
    # uneven light: a gradient across the image
    fw, fh = image.size
    gx = np.linspace(-1, 1, fw)[None, :] * rng.uniform(-0.15, 0.15)
    gy = np.linspace(-1, 1, fh)[:, None] * rng.uniform(-0.15, 0.15)
    lit = np.asarray(image, dtype=np.float64) * (1 + gx + gy)
    image = Image.fromarray(np.clip(lit, 0, 255).astype(np.uint8), "L")
    # the scan's resolution: 150-300 dpi for the print's 203
    factor = rng.uniform(150, 300) / _DPI
    image = image.resize(
        (max(1, int(fw * factor)), max(1, int(fh * factor))), Image.Resampling.LANCZOS
    )
    image = image.filter(ImageFilter.GaussianBlur(rng.uniform(0.2, 1.0)))
    pixels = np.asarray(image, dtype=np.float64)
    pixels = pixels + nrng.normal(0, rng.uniform(2, 9), pixels.shape)
    image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "L")
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=rng.randint(40, 85))
    return Image.open(io.BytesIO(buf.getvalue())).convert("L")


def printed(spec: ReceiptSpec, seed: int = 0) -> tuple[Any, list[WordBox]]:
    """``spec``'s print before any scan: the ink image and every word with its box."""
    rng = random.Random(seed)
    words: list[WordBox] = []
    ink = _draw_rows(spec, _rows(spec, rng), rng, words)
    return ink, words


def render(spec: ReceiptSpec, seed: int = 0, *, clean: bool = False) -> Any:
    """``spec`` as a PIL image: printed and scanned (``clean``: the print alone, ink black)."""
    from PIL import ImageOps

    ink, _ = printed(spec, seed)
    if clean:
        return ImageOps.invert(ink)
    # the scan draws on its own stream: the print is the same with or without it
    return _degrade(ink, spec, random.Random(seed + 1))


def make_receipt(spec: ReceiptSpec, path: str | Path, *, seed: int = 0) -> dict[str, Any]:
    """Write ``spec``'s scan to ``path`` (``.jpg`` / ``.png``) and ``<path>.expected.json``.

    Returns the expected values. Example::

        make_receipt(random_spec(random.Random(1)), "receipt.jpg", seed=1)
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".jpg", ".jpeg", ".png"):
        raise ValueError(f"a receipt scan is a .jpg or .png, not {suffix!r}")
    path.parent.mkdir(parents=True, exist_ok=True)
    image = render(spec, seed)
    if suffix == ".png":
        image.save(path, "PNG")
    else:
        image.save(path, "JPEG", quality=90)
    expected = expected_values(spec, path.name)
    path.with_name(path.name + ".expected.json").write_text(
        json.dumps(expected, indent=1, ensure_ascii=False), encoding="utf-8"
    )
    return expected


def specs(count: int, seed: int, *, country: str | None = None) -> list[tuple[ReceiptSpec, int]]:
    """``count`` seeded receipt specs, each with the seed of its rendering."""
    rng = random.Random(seed)
    return [(random_spec(rng, country=country), rng.randrange(2**31)) for _ in range(count)]


def generate(out: str | Path, count: int, seed: int, *, country: str | None = None) -> list[Path]:
    """Write ``count`` random receipt scans into ``out``; return their paths."""
    paths = []
    for i, (spec, render_seed) in enumerate(specs(count, seed, country=country)):
        suffix = ".png" if render_seed % 5 == 0 else ".jpg"
        path = Path(out) / f"receipt-{seed}-{i:04d}{suffix}"
        make_receipt(spec, path, seed=render_seed)
        paths.append(path)
    return paths


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point: ``python -m tools.synth.receipts --out DIR --count N``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", required=True)
    parser.add_argument("--count", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--country", choices=COUNTRIES, default=None)
    args = parser.parse_args(argv)
    paths = generate(args.out, args.count, args.seed, country=args.country)
    print(f"wrote {len(paths)} receipts to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
