"""Embedded e-invoices -> DocAI's ``result`` object, read exactly from the XML.

A core module (no OCR, no engine extra): the embedded engine's ``invoice`` model answers from
it (:mod:`ocrframe.engine.einvoice`), and so does the batch engine in front of a remote DocAI
when the user asks for it (``einvoice="local"``).

A Factur-X / ZUGFeRD or XRechnung PDF carries the invoice as XML attached to the PDF, in one of
two syntaxes: UN/CEFACT *Cross Industry Invoice* (CII; ZUGFeRD 1.0's ``CrossIndustryDocument``
too) or OASIS *UBL* (``Invoice`` / ``CreditNote``). When one is there, the ``invoice`` model
answers from it instead of reading the printed page: every value is the XML's own (amounts keep
their digits and their sign, a credit note stays positive when the XML says so), nothing is
guessed, and the answer says where it came from::

    result = read_einvoice(pdf_bytes)     # None: no e-invoice attached
    fields = {f["key"]: f["value"] for f in result["fieldList"]}
    fields["grossAmount"], fields["readFrom"], fields["einvoiceProfile"]
    # ('104.90', 'einvoice-xml', 'EN 16931')

The keys are those of the printed-page reader (:mod:`ocrframe.engine.invoice`): invoiceNumber,
invoiceDate, dueDate, grossAmount, netAmount, totalTax, amountDue, currency, paymentTerms,
documentType, sellerName, buyerName; line items (description, quantity, unitPrice,
totalPriceExclTax, taxRate) and tax lines (taxValue, taxPercentage). Values the XML states beyond
those are kept under their own keys (``documentTypeCode``, ``sellerVatId``, ``taxableAmount`` ...).
Every cell is on page 1: the XML describes the document, and its first page is where a reader
looks for the header.

The XML is untrusted input: the attachment is decoded by pypdf with its output capped at
:data:`MAX_XML_BYTES`, and parsed by :mod:`defusedxml` with DTDs forbidden (so no entity
expansion and no external reference can be fetched).
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any

from ocrframe._einvoice_values import (
    EInvoiceError,
    _all,
    _amount,
    _date,
    _first,
    _in_currency,
    _local,
    _number,
    _text,
)

__all__ = [
    "MAX_XML_ATTACHMENTS",
    "MAX_XML_BYTES",
    "READ_FROM",
    "EInvoiceError",
    "embedded_xml",
    "parse_einvoice",
    "read_einvoice",
]


#: The ``readFrom`` value of an answer read from embedded XML.
READ_FROM = "einvoice-xml"

#: Largest attachment read (bytes). Real e-invoices are tens of kilobytes; a few thousand lines
#: stay well under this.
MAX_XML_BYTES = 16 * 1024 * 1024

#: XML attachments tried at most, the standard names first.
MAX_XML_ATTACHMENTS = 8

# Attachment names the standards prescribe, lower case; any other ``.xml`` attachment is tried
# after them and kept only if its root is an invoice.
_KNOWN_NAMES = ("factur-x.xml", "zugferd-invoice.xml", "xrechnung.xml")

# UNTDID 1001 document name codes used by EN 16931 -> documentType. Unknown codes fall back on
# the root element (a UBL CreditNote is a credit note, anything else an invoice).
DOCUMENT_TYPE_CODES: dict[str, str] = {
    "380": "invoice",
    "381": "credit note",
    "383": "debit note",
    "384": "corrected invoice",
    "386": "prepayment invoice",
    "389": "self-billed invoice",
    "393": "factored invoice",
    "326": "partial invoice",
    "261": "self-billed credit note",
    "262": "consolidated credit note",
    "396": "factored credit note",
    "751": "invoice information",
    "875": "partial construction invoice",
    "876": "partial final construction invoice",
    "877": "final construction invoice",
}


@dataclass(frozen=True)
class Attachment:
    """One XML file attached to a PDF."""

    name: str
    data: bytes


# ----------------------------------------------------------------------------------------------
# Finding the attachment


def embedded_xml(content: bytes) -> Attachment | None:
    """The e-invoice XML attached to a PDF, or ``None`` (not a PDF, unreadable, none attached).

    The standard names (``factur-x.xml``, ``zugferd-invoice.xml``, ``xrechnung.xml``, any case)
    come first, then other ``.xml`` attachments in their order; the first whose root element is
    an invoice is returned. Raises :class:`EInvoiceError` for an XML attachment that decodes to
    more than :data:`MAX_XML_BYTES` or cannot be decoded.

    The attachments are read with pypdf under decoding limits: pdfium would decompress a whole
    embedded file just to tell its size, so a small PDF carrying a compressed "bomb" would cost
    gigabytes before any check could refuse it.

    >>> embedded_xml(b"%PDF-1.7 ...") is None  # doctest: +SKIP
    True
    """
    if not content.startswith(b"%PDF") and b"%PDF-" not in content[:1024]:
        return None
    from pypdf import PdfReader, apply_configuration
    from pypdf.errors import LimitReachedError

    limit = MAX_XML_BYTES
    candidates: list[tuple[int, int, Any]] = []
    with apply_configuration(
        zlib_maximum_output_length=limit + 1,
        lzw_maximum_output_length=limit + 1,
        run_length_maximum_output_length=limit + 1,
        brotli_maximum_output_length=limit + 1,
        stream_decoding_work_maximum_length=4 * (limit + 1),
    ):
        try:
            reader = PdfReader(io.BytesIO(content), strict=False)
            for index, entry in enumerate(reader.attachment_list):
                lower = str(entry.name).lower()
                if lower.endswith(".xml"):
                    rank = _KNOWN_NAMES.index(lower) if lower in _KNOWN_NAMES else len(_KNOWN_NAMES)
                    candidates.append((rank, index, entry))
        # A PDF pypdf cannot walk is no e-invoice we can read; the page reader says what is
        # wrong with the file itself.
        except Exception:
            return None
        # A PDF with thousands of XML attachments must not cost thousands of decodings.
        for _, _, entry in sorted(candidates, key=lambda c: c[:2])[:MAX_XML_ATTACHMENTS]:
            name = str(entry.name)
            try:
                data = bytes(entry.content)
            except LimitReachedError as exc:
                raise EInvoiceError(
                    f"attachment {name!r} is more than the {limit} bytes read"
                ) from exc
            except Exception as exc:
                raise EInvoiceError(
                    f"attachment {name!r} cannot be decoded ({type(exc).__name__})"
                ) from exc
            if len(data) > limit:
                raise EInvoiceError(f"attachment {name!r} is more than the {limit} bytes read")
            if _is_invoice_root(data):
                return Attachment(name, data)
    return None


def _is_invoice_root(data: bytes) -> bool:
    """Whether ``data`` looks like a CII or UBL invoice, from its root element's name alone."""
    head = data[:65536]
    # skip the prolog and comments (official samples open with a long licence comment)
    head = re.sub(rb"<\?.*?\?>|<!--.*?-->", b"", head, flags=re.S)
    m = re.search(rb"<\s*([\w.-]+:)?([\w.-]+)", head)
    roots = (b"CrossIndustryInvoice", b"CrossIndustryDocument", b"Invoice", b"CreditNote")
    return m is not None and m.group(2) in roots


# ----------------------------------------------------------------------------------------------
# Parsing


def _parse_xml(data: bytes, where: str) -> ET.Element:
    import defusedxml.ElementTree as DET
    from defusedxml import DefusedXmlException

    if len(data) > MAX_XML_BYTES:
        raise EInvoiceError(f"{where}: {len(data)} bytes, more than the {MAX_XML_BYTES} read")
    try:
        root: ET.Element = DET.fromstring(data, forbid_dtd=True)
    except DefusedXmlException as exc:
        # DTDs and entities have no place in an e-invoice; refusing them stops entity expansion
        # and any reference to an outside resource
        raise EInvoiceError(f"{where}: refused ({type(exc).__name__})") from exc
    except ET.ParseError as exc:
        raise EInvoiceError(f"{where}: not well-formed XML ({exc})") from exc
    return root


def _profile(guideline: str | None) -> str | None:
    """A short, readable name of the specification the XML says it follows."""
    if guideline is None:
        return None
    lower = guideline.lower()
    if "xrechnung" in lower:
        return "XRECHNUNG"
    if "peppol" in lower:
        return "PEPPOL BIS"
    last = re.split(r"[#:]", lower)[-1]
    names = {
        "minimum": "MINIMUM",
        "basicwl": "BASIC WL",
        "basic": "BASIC",
        "comfort": "EN 16931",
        "en16931": "EN 16931",
        "2017": "EN 16931",
        "extended": "EXTENDED",
    }
    return names.get(last, guideline)


@dataclass
class _Reading:
    syntax: str
    fields: list[tuple[str, str]]
    items: list[list[tuple[str, str]]]
    taxes: list[list[tuple[str, str]]]


def _put(out: list[tuple[str, str]], key: str, value: str | None) -> None:
    if value is not None:
        out.append((key, value))


# What a tax line or an invoice line holds: (key, kind of value, paths tried in turn). CII paths
# name the ZUGFeRD 2 / Factur-X element first, then the ZUGFeRD 1.0 one.
_Spec = tuple[tuple[str, str, tuple[str, ...]], ...]

_CII_QUANTITY = (
    "SpecifiedLineTradeDelivery/BilledQuantity",
    "SpecifiedSupplyChainTradeDelivery/BilledQuantity",
)
_CII_LINE: _Spec = (
    ("description", "text", ("SpecifiedTradeProduct/Name",)),
    ("quantity", "number", _CII_QUANTITY),
    (
        "unitPrice",
        "amount",
        (
            "SpecifiedLineTradeAgreement/NetPriceProductTradePrice/ChargeAmount",
            "SpecifiedSupplyChainTradeAgreement/NetPriceProductTradePrice/ChargeAmount",
        ),
    ),
    (
        "totalPriceExclTax",
        "amount",
        (
            "SpecifiedLineTradeSettlement/SpecifiedTradeSettlementLineMonetarySummation/LineTotalAmount",
            "SpecifiedSupplyChainTradeSettlement/SpecifiedTradeSettlementMonetarySummation/"
            "LineTotalAmount",
        ),
    ),
    (
        "taxRate",
        "number",
        (
            "SpecifiedLineTradeSettlement/ApplicableTradeTax/RateApplicablePercent",
            "SpecifiedSupplyChainTradeSettlement/ApplicableTradeTax/ApplicablePercent",
        ),
    ),
    ("lineId", "text", ("AssociatedDocumentLineDocument/LineID",)),
    ("unitCode", "unit", _CII_QUANTITY),
    ("sellerItemId", "text", ("SpecifiedTradeProduct/SellerAssignedID",)),
)
_CII_TAX: _Spec = (
    ("taxValue", "amount", ("CalculatedAmount",)),
    ("taxPercentage", "number", ("RateApplicablePercent", "ApplicablePercent")),
    ("taxableAmount", "amount", ("BasisAmount",)),
    ("taxCategory", "text", ("CategoryCode",)),
    ("taxExemptionReason", "text", ("ExemptionReason",)),
)
_UBL_QUANTITY = ("CreditedQuantity", "InvoicedQuantity")
_UBL_LINE: _Spec = (
    ("description", "text", ("Item/Name", "Item/Description")),
    ("quantity", "number", _UBL_QUANTITY),
    ("unitPrice", "amount", ("Price/PriceAmount",)),
    ("totalPriceExclTax", "amount", ("LineExtensionAmount",)),
    ("taxRate", "number", ("Item/ClassifiedTaxCategory/Percent",)),
    ("lineId", "text", ("ID",)),
    ("unitCode", "unit", _UBL_QUANTITY),
    ("sellerItemId", "text", ("Item/SellersItemIdentification/ID",)),
)
_UBL_TAX: _Spec = (
    ("taxValue", "amount", ("TaxAmount",)),
    ("taxPercentage", "number", ("TaxCategory/Percent",)),
    ("taxableAmount", "amount", ("TaxableAmount",)),
    ("taxCategory", "text", ("TaxCategory/ID",)),
    ("taxExemptionReason", "text", ("TaxCategory/TaxExemptionReason",)),
)


def _value(kind: str, el: ET.Element | None, where: str) -> str | None:
    if kind == "amount":
        return _amount(el, where)
    if kind == "number":
        return _number(el, where)
    if kind == "unit":
        return None if el is None else el.get("unitCode")
    return _text(el)


def _rows(elements: list[ET.Element], spec: _Spec, where: str) -> list[list[tuple[str, str]]]:
    """One row of (key, value) per element, read by ``spec``; empty rows are left out."""
    rows = []
    for i, el in enumerate(elements, 1):
        row: list[tuple[str, str]] = []
        for key, kind, paths in spec:
            _put(row, key, _value(kind, _first(el, *paths), f"{where} {i}"))
        if row:
            rows.append(row)
    return rows


def _cii(root: ET.Element, where: str) -> _Reading:
    doc = _first(root, "ExchangedDocument", "HeaderExchangedDocument")
    if doc is None:
        raise EInvoiceError(f"{where}: no ExchangedDocument (the invoice's header)")
    context = _first(root, "ExchangedDocumentContext", "SpecifiedExchangedDocumentContext")
    trade = _first(root, "SupplyChainTradeTransaction", "SpecifiedSupplyChainTradeTransaction")
    agreement = _first(
        trade, "ApplicableHeaderTradeAgreement", "ApplicableSupplyChainTradeAgreement"
    )
    delivery = _first(trade, "ApplicableHeaderTradeDelivery", "ApplicableSupplyChainTradeDelivery")
    settlement = _first(
        trade, "ApplicableHeaderTradeSettlement", "ApplicableSupplyChainTradeSettlement"
    )
    totals = _first(
        settlement,
        "SpecifiedTradeSettlementHeaderMonetarySummation",
        "SpecifiedTradeSettlementMonetarySummation",
    )
    currency = _text(_first(settlement, "InvoiceCurrencyCode"))
    type_code = _text(_first(doc, "TypeCode"))
    terms = _all(settlement, "SpecifiedTradePaymentTerms")
    due = next((d for t in terms if (d := _date(_first(t, "DueDateDateTime"))) is not None), None)
    descriptions = [d for t in terms if (d := _text(_first(t, "Description"))) is not None]
    seller = _first(agreement, "SellerTradeParty")
    buyer = _first(agreement, "BuyerTradeParty")

    def amount(name: str) -> str | None:
        return _amount(_in_currency(_all(totals, name), currency), f"{where}: {name}")

    f: list[tuple[str, str]] = []
    _put(f, "invoiceNumber", _text(_first(doc, "ID")))
    _put(f, "invoiceDate", _date(_first(doc, "IssueDateTime")))
    _put(f, "dueDate", due)
    _put(f, "grossAmount", amount("GrandTotalAmount"))
    _put(f, "netAmount", amount("TaxBasisTotalAmount"))
    _put(f, "totalTax", amount("TaxTotalAmount"))
    _put(f, "amountDue", amount("DuePayableAmount"))
    _put(f, "currency", currency)
    _put(f, "paymentTerms", "\n".join(descriptions) or None)
    _put(f, "documentType", DOCUMENT_TYPE_CODES.get(type_code or "", "invoice"))
    _put(f, "sellerName", _text(_first(seller, "Name")))
    _put(f, "buyerName", _text(_first(buyer, "Name")))
    _put(f, "documentTypeCode", type_code)
    _put(f, "sellerVatId", _vat_id(seller))
    _put(f, "buyerVatId", _vat_id(buyer))
    _put(f, "buyerReference", _text(_first(agreement, "BuyerReference")))
    _put(
        f,
        "orderReference",
        _text(_first(agreement, "BuyerOrderReferencedDocument/IssuerAssignedID")),
    )
    _put(f, "paymentReference", _text(_first(settlement, "PaymentReference")))
    _put(
        f,
        "iban",
        _text(
            _first(
                settlement,
                "SpecifiedTradeSettlementPaymentMeans/PayeePartyCreditorFinancialAccount/IBANID",
            )
        ),
    )
    _put(
        f,
        "deliveryDate",
        _date(_first(delivery, "ActualDeliverySupplyChainEvent/OccurrenceDateTime")),
    )
    _put(f, "lineTotalAmount", amount("LineTotalAmount"))
    _put(f, "allowanceTotalAmount", amount("AllowanceTotalAmount"))
    _put(f, "chargeTotalAmount", amount("ChargeTotalAmount"))
    _put(f, "prepaidAmount", amount("TotalPrepaidAmount"))
    guideline = _first(context, "GuidelineSpecifiedDocumentContextParameter/ID")
    _put(f, "einvoiceGuideline", _text(guideline))

    taxes = _rows(_all(settlement, "ApplicableTradeTax"), _CII_TAX, f"{where}: ApplicableTradeTax")
    items = _rows(_all(trade, "IncludedSupplyChainTradeLineItem"), _CII_LINE, f"{where}: line")
    return _Reading("CII", f, items, taxes)


def _vat_id(party: ET.Element | None) -> str | None:
    for reg in _all(party, "SpecifiedTaxRegistration/ID", "PartyTaxScheme/CompanyID"):
        if reg.get("schemeID", "VA") == "VA":
            return _text(reg)
    return None


def _ubl_party(party: ET.Element | None) -> str | None:
    return _text(_first(party, "Party/PartyLegalEntity/RegistrationName", "Party/PartyName/Name"))


def _ubl(root: ET.Element, where: str) -> _Reading:
    credit = _local(root.tag) == "CreditNote"
    currency = _text(_first(root, "DocumentCurrencyCode"))
    type_code = _text(_first(root, "CreditNoteTypeCode" if credit else "InvoiceTypeCode"))
    totals = _first(root, "LegalMonetaryTotal")
    tax_totals = _all(root, "TaxTotal")
    amounts = [a for t in tax_totals if (a := _first(t, "TaxAmount")) is not None]
    tax_amount = _in_currency(amounts, currency)
    tax_total = next((t for t in tax_totals if _first(t, "TaxAmount") is tax_amount), None)
    seller = _first(root, "AccountingSupplierParty")
    buyer = _first(root, "AccountingCustomerParty")
    notes = [n for t in _all(root, "PaymentTerms") if (n := _text(_first(t, "Note"))) is not None]

    def amount(name: str) -> str | None:
        return _amount(_first(totals, name), f"{where}: {name}")

    f: list[tuple[str, str]] = []
    _put(f, "invoiceNumber", _text(_first(root, "ID")))
    _put(f, "invoiceDate", _date(_first(root, "IssueDate")))
    _put(f, "dueDate", _date(_first(root, "DueDate", "PaymentMeans/PaymentDueDate")))
    _put(f, "grossAmount", amount("TaxInclusiveAmount"))
    _put(f, "netAmount", amount("TaxExclusiveAmount"))
    _put(f, "totalTax", _amount(tax_amount, f"{where}: TaxAmount"))
    _put(f, "amountDue", amount("PayableAmount"))
    _put(f, "currency", currency)
    _put(f, "paymentTerms", "\n".join(notes) or None)
    fallback = "credit note" if credit else "invoice"
    _put(f, "documentType", DOCUMENT_TYPE_CODES.get(type_code or "", fallback))
    _put(f, "sellerName", _ubl_party(seller))
    _put(f, "buyerName", _ubl_party(buyer))
    _put(f, "documentTypeCode", type_code)
    _put(f, "sellerVatId", _vat_id(_first(seller, "Party")))
    _put(f, "buyerVatId", _vat_id(_first(buyer, "Party")))
    _put(f, "buyerReference", _text(_first(root, "BuyerReference")))
    _put(f, "orderReference", _text(_first(root, "OrderReference/ID")))
    _put(f, "paymentReference", _text(_first(root, "PaymentMeans/PaymentID")))
    _put(f, "iban", _text(_first(root, "PaymentMeans/PayeeFinancialAccount/ID")))
    _put(f, "deliveryDate", _date(_first(root, "Delivery/ActualDeliveryDate")))
    _put(f, "lineTotalAmount", amount("LineExtensionAmount"))
    _put(f, "allowanceTotalAmount", amount("AllowanceTotalAmount"))
    _put(f, "chargeTotalAmount", amount("ChargeTotalAmount"))
    _put(f, "prepaidAmount", amount("PrepaidAmount"))
    _put(f, "einvoiceGuideline", _text(_first(root, "CustomizationID")))

    taxes = _rows(_all(tax_total, "TaxSubtotal"), _UBL_TAX, f"{where}: TaxSubtotal")
    line_name = "CreditNoteLine" if credit else "InvoiceLine"
    items = _rows(_all(root, line_name), _UBL_LINE, f"{where}: line")
    return _Reading("UBL", f, items, taxes)


def parse_einvoice(data: bytes, *, name: str = "the e-invoice") -> dict[str, Any]:
    """DocAI's ``result`` object from e-invoice XML (CII, ZUGFeRD 1.0 or UBL).

    Raises :class:`EInvoiceError` for XML that is not well-formed, declares a DTD, is larger
    than :data:`MAX_XML_BYTES`, is not an invoice, or holds a value that is not what its element
    says (an amount that is no number); the message names ``name`` and the element.

    >>> xml = b'''<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
    ...   xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
    ...   <cbc:ID>INV-1</cbc:ID><cbc:IssueDate>2024-05-01</cbc:IssueDate></Invoice>'''
    >>> [(f["key"], f["value"]) for f in parse_einvoice(xml)["fieldList"]][:2]
    [('invoiceNumber', 'INV-1'), ('invoiceDate', '2024-05-01')]
    """
    root = _parse_xml(data, name)
    kind = _local(root.tag)
    if kind in ("CrossIndustryInvoice", "CrossIndustryDocument"):
        reading = _cii(root, name)
    elif kind in ("Invoice", "CreditNote"):
        reading = _ubl(root, name)
    else:
        raise EInvoiceError(f"{name}: the root element <{kind}> is not a CII or UBL invoice")
    keys = {k for k, _ in reading.fields}
    if "invoiceNumber" not in keys:
        raise EInvoiceError(f"{name}: no invoice number (the document's ID)")
    fields = [(k, v) for k, v in reading.fields if k != "einvoiceGuideline"]
    guideline = dict(reading.fields).get("einvoiceGuideline")
    fields.append(("readFrom", READ_FROM))
    fields.append(("einvoiceSyntax", reading.syntax))
    _put(fields, "einvoiceProfile", _profile(guideline))
    _put(fields, "einvoiceGuideline", guideline)

    def cells(pairs: list[tuple[str, str]]) -> list[dict[str, Any]]:
        return [{"pageNumber": 1, "key": k, "value": v} for k, v in pairs]

    return {
        "fieldList": cells(fields),
        "itemList": [cells(row) for row in reading.items],
        "taxList": [cells(row) for row in reading.taxes],
    }


def read_einvoice(content: bytes) -> dict[str, Any] | None:
    """DocAI's ``result`` from the e-invoice attached to a PDF, or ``None`` when it has none.

    Raises :class:`EInvoiceError` when an attachment is there but cannot be read.
    Blocking (pdfium and XML parsing): a few milliseconds for a real e-invoice.
    """
    attachment = embedded_xml(content)
    if attachment is None:
        return None
    return parse_einvoice(attachment.data, name=f"attachment {attachment.name!r}")
