"""The multilingual label lexicon of the invoice model.

Labels are written folded (lower case, no accents: see :func:`ocrframe.engine.normalize.fold`),
as space-separated tokens; ``":"``, ``"."`` and the like are stripped from tokens before matching.
Languages: English, German and French first; Dutch, Spanish, Italian and Polish where cheap.
Order matters inside a field: earlier labels are more specific and win over later ones.

Labels of things that are *not* one of our fields (``"order date"``, ``"customer number"``) are
listed under ``"_other"``: they consume their words so that a shorter label of ours inside them
(``"date"``, ``"customer"``) does not match there.
"""

from __future__ import annotations

__all__ = ["COLUMN_LABELS", "DOCUMENT_TYPES", "FIELD_KINDS", "FIELD_LABELS", "TOTALS_FIELDS"]

FIELD_LABELS: dict[str, tuple[str, ...]] = {
    "invoiceNumber": (
        "invoice number", "invoice no", "invoice nr", "invoice #", "invoice num", "invoice id",
        "invoice ref", "inv no", "inv #", "inv nr", "bill no", "bill number", "receipt no",
        "receipt number",
        "credit note no", "credit note number", "document no",
        "rechnungsnummer", "rechnungs-nr", "rechnungsnr", "rechnung nr", "rechnung-nr",
        "rechnung no", "re-nr", "rg-nr", "belegnummer", "beleg-nr", "gutschriftsnummer",
        "rechnungs-nummer", "rechnung nummer", "dokumentnummer", "gutschriftnummer",
        "gutschrift nr", "gutschrift-nr", "gutschrift no", "rechnungskorrektur nr",
        "document number", "document #", "credit note #", "credit memo no", "credit memo number",
        "credit memo #",
        "numero de facture", "no de facture", "n de facture", "facture no", "facture n",
        "no facture", "numero de la facture", "no de la facture", "avoir no", "avoir numero",
        "no d'avoir", "no avoir", "numero avoir", "numero du document",
        "affacturee no", "facture affacturee no",
        "facture numero", "numero facture", "ref facture", "numero d'avoir",
        "factuurnummer", "factuur nr", "factuurnr", "faktura nr", "numer faktury", "nr faktury",
        "numero de factura", "factura no", "fattura n", "numero fattura",
        # the document's own title followed by its number: "Invoice INV-12", "Factuur" over a
        # column of values
        "invoice", "rechnung", "facture", "factuur", "faktura", "gutschrift", "avoir",
        "rechnungskorrektur",
    ),
    "invoiceDate": (
        "invoice date", "date of invoice", "date of issue", "issue date", "issued on",
        "billing date", "invoice date/tax point", "date issued", "dated", "inv date", "bill date",
        "rechnungs-datum", "date de la facture",
        "rechnungsdatum", "ausstellungsdatum", "belegdatum", "datum der rechnung",
        "date de facture", "date de facturation", "date d'emission", "date facture",
        "factuurdatum", "factuur datum", "data wystawienia", "fecha de factura", "data fattura",
        "date", "datum", "data", "fecha",
    ),
    "dueDate": (
        "due date", "payment due date", "payment due", "due by", "due on", "pay by",
        "payable by", "date due", "due",
        "falligkeitsdatum", "fallig am", "fallig bis", "zahlbar bis", "zahlungsziel bis",
        "faelligkeit", "falligkeit", "fallig", "zahlungsfrist",
        "date d'echeance", "date limite de paiement", "a payer avant le", "a regler avant le",
        "payable avant le", "echeance le", "echeance",
        "vervaldatum", "uiterste betaaldatum", "termin platnosci", "fecha de vencimiento",
        "scadenza",
    ),
    "amountDue": (
        "total amount due", "amount due", "balance due", "total due", "amount payable",
        "balance to pay", "please pay", "to pay", "balance", "outstanding",
        "zu zahlender betrag", "noch zu zahlen", "zu zahlen", "zahlbetrag", "offener betrag",
        "restbetrag", "net a payer", "montant du", "reste a payer", "somme a payer", "a payer",
        "montant a payer", "solde du", "te betalen", "do zaplaty", "naleznosc ogolem",
        "restzahlbetrag", "verbleibender betrag", "montant restant du", "reste du",
    ),
    "prepaidAmount": (
        "prepaid amount", "amount paid", "already paid", "paid amount", "prepayment",
        "prepayments", "deposit paid", "deposit received", "less deposit", "advance payment",
        "paid",
        "erhaltene anzahlungen", "erhaltene anzahlung", "geleistete anzahlungen",
        "geleistete anzahlung", "bereits gezahlt", "bereits bezahlt", "anzahlung", "anzahlungen",
        "vorauszahlung", "anzahlung erhalten", "acompte recu", "acompte verse", "acompte",
        "acomptes", "deja paye", "deja regle", "montant deja paye",
        "avance", "reeds betaald", "aanbetaling",
    ),
    "grossAmount": (
        "grand total", "invoice total", "total amount", "total amount incl vat",
        "total amount including vat", "total incl. vat", "invoice amount",
        "bruttosumme", "gesamtbruttobetrag", "rechnungssumme brutto", "gesamtbetrag brutto",
        "summe brutto eur", "rechnungsendbetrag", "montant total ttc", "total toutes taxes",
        "total incl tax", "total incl. tax",
        "total including tax", "total incl vat", "total including vat", "total (incl tax)",
        "total inc vat", "total gross", "gross total", "gross amount",
        "gesamtbetrag", "bruttobetrag", "rechnungsbetrag", "summe brutto", "gesamtsumme",
        "endbetrag", "endsumme", "gesamt brutto", "brutto", "total ttc", "montant ttc",
        "total facture",
        "montant total", "totaal incl btw", "totaal", "razem brutto", "importe total",
        "totale fattura", "razem", "total",
    ),
    "netAmount": (
        "total excl tax", "total excl. tax", "total excluding tax", "total excl vat",
        "total net", "net total", "net amount", "amount excl vat", "total before tax",
        "rechnungssumme ohne ust", "rechnungssumme ohne mwst", "summe ohne ust",
        "gesamtbetrag ohne ust", "gesamtnettobetrag", "nettosumme gesamt", "summe netto eur",
        "total net ht", "montant net ht", "total hors taxe",
        "total ht", "montant ht", "total hors taxes", "sous-total ht", "nettobetrag",
        "summe netto", "nettosumme", "gesamt netto", "netto", "warenwert", "exclusief btw",
        "totaal excl btw", "subtotal", "sub total", "sub-total", "zwischensumme", "sous-total",
        "subtotaal", "razem netto", "grondslag", "base ht", "base imposable",
        "bemessungsgrundlage",
    ),
    "totalTax": (
        "total tax", "tax total", "total vat", "vat total", "tax amount", "vat amount",
        "total sales tax", "total tax amount", "total vat amount", "steuerbetrag",
        "gesamtsteuerbetrag", "umsatzsteuerbetrag", "summe umsatzsteuer", "summe ust",
        "mehrwertsteuerbetrag", "montant total tva", "total taxes", "summe mwst",
        "mwst gesamt", "ust gesamt", "umsatzsteuer gesamt",
        "total tva", "montant tva", "montant de la tva", "totaal btw", "btw bedrag",
        "kwota vat",
    ),
    "taxLine": (
        "sales tax", "vat", "tax", "gst", "igst", "cgst", "sgst", "zzgl mwst", "zzgl ust",
        "mwst", "ust", "umsatzsteuer", "mehrwertsteuer", "tva", "btw", "iva", "podatek vat",
    ),
    "paymentTerms": (
        "payment terms", "terms of payment", "terms", "zahlungsbedingungen", "zahlungsziel",
        "zahlungsbedingung", "conditions de paiement", "conditions de reglement",
        "modalites de paiement", "reglement", "betalingsvoorwaarden", "betalingstermijn",
        "warunki platnosci", "forma platnosci",
    ),
    "sellerName": (
        "seller", "sold by", "vendor", "supplier", "from", "issued by", "service provider",
        "verkaufer", "absender", "lieferant", "rechnungssteller", "emetteur", "vendeur",
        "fournisseur", "leverancier", "sprzedawca",
    ),
    "buyerName": (
        "bill to", "billed to", "invoice to", "invoiced to", "sold to", "customer", "client",
        "buyer", "bill to address",
        "rechnungsempfanger", "rechnungsadresse", "kunde", "empfanger", "auftraggeber",
        "kundenadresse", "kundenanschrift", "rechnungsanschrift",
        "facture a", "facturer a", "destinataire", "adresse de facturation",
        "factuuradres", "klant", "nabywca",
    ),
    # a party's name in a key/value block under the party's heading ("Verkäufer" / "Name:")
    "_partyName": (
        "name", "company name", "firmenname", "firma", "nom", "raison sociale", "denomination",
        "bedrijfsnaam", "naam",
    ),
    "_other": (
        "order date", "order no", "order number", "order id", "orderdatum", "ordernummer",
        "delivery date", "ship date", "shipping date", "lieferdatum", "leistungsdatum",
        "date de livraison", "date de commande", "bestelldatum", "auftragsdatum",
        "customer number", "customer no", "customer id", "account number", "account no",
        "kundennummer", "kundennr", "kunden-nr", "numero client", "n client", "no client",
        "no de client", "numero de client", "ref client", "reference client", "customer ref",
        "customer reference",
        "code client", "klantnummer", "tax id", "vat id", "vat no", "vat number", "vat reg",
        "ust-idnr", "ustid", "ust-id", "steuernummer", "steuer-nr", "numero de tva",
        "tva intracommunautaire", "n tva", "btw nummer", "btw-nummer", "tax invoice",
        "ship to", "shipping address", "lieferadresse", "adresse de livraison", "afleveradres",
        "due to", "date limite", "po number", "purchase order", "reference", "referenz",
        "page", "seite", "total pages", "balance sheet", "vat invoice",
    ),
}  # fmt: skip

# What each field's value is.
FIELD_KINDS: dict[str, str] = {
    "invoiceNumber": "id",
    "invoiceDate": "date",
    "dueDate": "date",
    "amountDue": "amount",
    "prepaidAmount": "amount",
    "grossAmount": "amount",
    "netAmount": "amount",
    "totalTax": "amount",
    "taxLine": "amount",
    "paymentTerms": "text",
    "sellerName": "name",
    "buyerName": "name",
    "_partyName": "name",
    "_other": "none",
}

# Labels that end a line-item table when they start a line.
TOTALS_FIELDS = frozenset(
    {"amountDue", "grossAmount", "netAmount", "totalTax", "taxLine", "prepaidAmount"}
)

COLUMN_LABELS: dict[str, tuple[str, ...]] = {
    "description": (
        "description", "item description", "beschreibung", "bezeichnung", "artikelbezeichnung",
        "designation", "libelle", "description des prestations", "omschrijving", "descripcion",
        "descrizione", "nazwa towaru", "product title", "product name", "particulars",
        "item", "items", "product", "service", "services", "details", "article", "activity",
        "artikel", "leistung", "produkt", "prestation", "nazwa",
        "artikelbeschreibung", "leistungsbeschreibung", "produktbeschreibung",
        "positionsbeschreibung", "line item description", "item name",
    ),
    "_index": ("pos", "pos.", "position", "#", "no", "nr", "lp", "item no", "art.-nr", "art-nr",
               "sku", "code", "ref", "reference", "artikelnummer", "artikelnr"),
    "quantity": (
        "qty", "quantity", "qnty", "units", "hours", "hrs", "menge", "anzahl", "stuck", "qte",
        "quantite", "nombre", "nb", "aantal", "hoeveelheid", "ilosc", "cantidad", "quantita",
    ),
    "unitPrice": (
        "unit price", "price per unit", "unit cost", "price", "rate", "unit", "einzelpreis",
        "e-preis", "preis", "vk-preis", "stuckpreis", "preis/einheit", "prix unitaire ht",
        "prix unitaire", "prix unit", "p.u. ht", "p.u", "pu ht", "prix", "tarif",
        "prijs per stuk", "prijs", "stukprijs", "cena netto", "cena", "precio", "prezzo",
        "nettopreis", "net price", "unit net price", "prix net", "prix unitaire net",
        "unit price excl vat", "unit price excl tax", "price excl vat", "unit price excl",
    ),
    "taxRate": (
        "tax %", "tax(%)", "vat %", "vat rate", "tax rate", "tax", "vat", "taxes", "gst",
        "mwst %", "mwst.%", "mwst", "ust %", "ust", "steuersatz", "taux tva", "tva %", "tva",
        "btw %", "btw", "vat [%]", "iva",
    ),
    "totalPriceExclTax": (
        "amount", "line total", "total", "net amount", "amount excl tax", "net", "subtotal",
        "line amount", "line amount excl vat", "line amount excl tax", "amount excl vat",
        "betrag", "gesamt", "gesamtpreis", "summe", "nettobetrag", "zeilenbetrag", "netto",
        "montant ht", "total ht", "montant", "prix total ht", "bedrag", "totaal",
        "wartosc netto", "importe", "importo",
    ),
    "totalPriceInclTax": (
        "amount incl tax", "total incl tax", "gross amount", "total incl vat", "gross",
        "bruttobetrag", "brutto", "montant ttc", "total ttc", "prijs incl btw", "bedrag incl btw",
        "wartosc brutto",
    ),
}  # fmt: skip

# Words naming the kind of document, folded, and the documentType value they give.
DOCUMENT_TYPES: dict[str, str] = {
    "credit note": "credit note",
    "credit memo": "credit note",
    "gutschrift": "credit note",
    "rechnungskorrektur": "credit note",
    "avoir": "credit note",
    "facture d'avoir": "credit note",
    "creditnota": "credit note",
    "pro forma invoice": "proforma invoice",
    "proforma invoice": "proforma invoice",
    "proforma": "proforma invoice",
    "proformarechnung": "proforma invoice",
    "facture proforma": "proforma invoice",
    "tax invoice": "invoice",
    "invoice": "invoice",
    "rechnung": "invoice",
    "facture": "invoice",
    "factuur": "invoice",
    "faktura": "invoice",
    "factura": "invoice",
    "fattura": "invoice",
    "payment receipt": "receipt",
    "receipt": "receipt",
    "quittung": "receipt",
    "recu": "receipt",
    # till slips across languages
    "kassenbon": "receipt",
    "kassenbeleg": "receipt",
    "kassabon": "receipt",
    "ticket de caisse": "receipt",
    "ricevuta": "receipt",
    "scontrino": "receipt",
    "recibo": "receipt",
    "kvitto": "receipt",
    "kuitti": "receipt",
    "quote": "quote",
    "quotation": "quote",
    "angebot": "quote",
    "devis": "quote",
}
