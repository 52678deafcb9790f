"""The embedded e-invoice reader: literal CII / UBL documents, hostile XML, PDFs that carry them.

The real Factur-X / ZUGFeRD set is read in ``test_einvoice_real.py``.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from reportlab.pdfgen import canvas

from ocrframe import _einvoice as einvoice
from ocrframe._einvoice import (
    READ_FROM,
    EInvoiceError,
    embedded_xml,
    parse_einvoice,
    read_einvoice,
)
from ocrframe.engine.einvoice import read_invoice
from ocrframe.engine.pages import load_pages
from tools.synth.einvoices import attach

CII = b"""<?xml version="1.0" encoding="UTF-8"?>
<!-- a licence comment before the root, as official samples have -->
<rsm:CrossIndustryInvoice
  xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
  xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
  xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100">
  <rsm:ExchangedDocumentContext>
    <ram:GuidelineSpecifiedDocumentContextParameter>
      <ram:ID>urn:cen.eu:en16931:2017</ram:ID>
    </ram:GuidelineSpecifiedDocumentContextParameter>
  </rsm:ExchangedDocumentContext>
  <rsm:ExchangedDocument>
    <ram:ID>RE-2024-0042</ram:ID>
    <ram:TypeCode>380</ram:TypeCode>
    <ram:IssueDateTime>
      <udt:DateTimeString format="102">20240315</udt:DateTimeString>
    </ram:IssueDateTime>
  </rsm:ExchangedDocument>
  <rsm:SupplyChainTradeTransaction>
    <ram:IncludedSupplyChainTradeLineItem>
      <ram:AssociatedDocumentLineDocument><ram:LineID>1</ram:LineID></ram:AssociatedDocumentLineDocument>
      <ram:SpecifiedTradeProduct><ram:Name>Widget, blue</ram:Name></ram:SpecifiedTradeProduct>
      <ram:SpecifiedLineTradeAgreement>
        <ram:NetPriceProductTradePrice><ram:ChargeAmount>12.3456</ram:ChargeAmount></ram:NetPriceProductTradePrice>
      </ram:SpecifiedLineTradeAgreement>
      <ram:SpecifiedLineTradeDelivery>
        <ram:BilledQuantity unitCode="H87">10.0000</ram:BilledQuantity>
      </ram:SpecifiedLineTradeDelivery>
      <ram:SpecifiedLineTradeSettlement>
        <ram:ApplicableTradeTax><ram:CategoryCode>S</ram:CategoryCode>
          <ram:RateApplicablePercent>19.00</ram:RateApplicablePercent></ram:ApplicableTradeTax>
        <ram:SpecifiedTradeSettlementLineMonetarySummation>
          <ram:LineTotalAmount>123.46</ram:LineTotalAmount>
        </ram:SpecifiedTradeSettlementLineMonetarySummation>
      </ram:SpecifiedLineTradeSettlement>
    </ram:IncludedSupplyChainTradeLineItem>
    <ram:IncludedSupplyChainTradeLineItem>
      <ram:AssociatedDocumentLineDocument><ram:LineID>2</ram:LineID></ram:AssociatedDocumentLineDocument>
      <ram:SpecifiedTradeProduct><ram:Name>Book</ram:Name></ram:SpecifiedTradeProduct>
      <ram:SpecifiedLineTradeAgreement>
        <ram:NetPriceProductTradePrice><ram:ChargeAmount>20</ram:ChargeAmount></ram:NetPriceProductTradePrice>
      </ram:SpecifiedLineTradeAgreement>
      <ram:SpecifiedLineTradeDelivery>
        <ram:BilledQuantity unitCode="C62">1</ram:BilledQuantity>
      </ram:SpecifiedLineTradeDelivery>
      <ram:SpecifiedLineTradeSettlement>
        <ram:ApplicableTradeTax><ram:CategoryCode>S</ram:CategoryCode>
          <ram:RateApplicablePercent>7</ram:RateApplicablePercent></ram:ApplicableTradeTax>
        <ram:SpecifiedTradeSettlementLineMonetarySummation>
          <ram:LineTotalAmount>20.00</ram:LineTotalAmount>
        </ram:SpecifiedTradeSettlementLineMonetarySummation>
      </ram:SpecifiedLineTradeSettlement>
    </ram:IncludedSupplyChainTradeLineItem>
    <ram:ApplicableHeaderTradeAgreement>
      <ram:SellerTradeParty><ram:Name>Seller Example GmbH</ram:Name>
        <ram:SpecifiedTaxRegistration>
          <ram:ID schemeID="VA">DE000000001</ram:ID>
        </ram:SpecifiedTaxRegistration>
      </ram:SellerTradeParty>
      <ram:BuyerTradeParty><ram:Name>Buyer Example SARL</ram:Name></ram:BuyerTradeParty>
    </ram:ApplicableHeaderTradeAgreement>
    <ram:ApplicableHeaderTradeDelivery/>
    <ram:ApplicableHeaderTradeSettlement>
      <ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>
      <ram:ApplicableTradeTax>
        <ram:CalculatedAmount>23.46</ram:CalculatedAmount><ram:TypeCode>VAT</ram:TypeCode>
        <ram:BasisAmount>123.46</ram:BasisAmount><ram:CategoryCode>S</ram:CategoryCode>
        <ram:RateApplicablePercent>19.00</ram:RateApplicablePercent>
      </ram:ApplicableTradeTax>
      <ram:ApplicableTradeTax>
        <ram:CalculatedAmount>1.40</ram:CalculatedAmount><ram:TypeCode>VAT</ram:TypeCode>
        <ram:BasisAmount>20.00</ram:BasisAmount><ram:CategoryCode>S</ram:CategoryCode>
        <ram:RateApplicablePercent>7.00</ram:RateApplicablePercent>
      </ram:ApplicableTradeTax>
      <ram:SpecifiedTradePaymentTerms>
        <ram:Description>30 days net</ram:Description>
        <ram:DueDateDateTime>
          <udt:DateTimeString format="102">20240414</udt:DateTimeString>
        </ram:DueDateDateTime>
      </ram:SpecifiedTradePaymentTerms>
      <ram:SpecifiedTradeSettlementHeaderMonetarySummation>
        <ram:LineTotalAmount>143.46</ram:LineTotalAmount>
        <ram:TaxBasisTotalAmount>143.46</ram:TaxBasisTotalAmount>
        <ram:TaxTotalAmount currencyID="USD">27.00</ram:TaxTotalAmount>
        <ram:TaxTotalAmount currencyID="EUR">24.86</ram:TaxTotalAmount>
        <ram:GrandTotalAmount>168.32</ram:GrandTotalAmount>
        <ram:TotalPrepaidAmount>50.00</ram:TotalPrepaidAmount>
        <ram:DuePayableAmount>118.32</ram:DuePayableAmount>
      </ram:SpecifiedTradeSettlementHeaderMonetarySummation>
    </ram:ApplicableHeaderTradeSettlement>
  </rsm:SupplyChainTradeTransaction>
</rsm:CrossIndustryInvoice>
"""

UBL_CREDIT_NOTE = b"""<?xml version="1.0" encoding="UTF-8"?>
<CreditNote xmlns="urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
  xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
  xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
  <cbc:CustomizationID>urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0</cbc:CustomizationID>
  <cbc:ID>GS-7</cbc:ID>
  <cbc:IssueDate>2024-02-29</cbc:IssueDate>
  <cbc:CreditNoteTypeCode>381</cbc:CreditNoteTypeCode>
  <cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>
  <cac:AccountingSupplierParty><cac:Party>
    <cac:PartyName><cbc:Name>Trading Name</cbc:Name></cac:PartyName>
    <cac:PartyLegalEntity>
      <cbc:RegistrationName>Legal Seller AG</cbc:RegistrationName>
    </cac:PartyLegalEntity>
  </cac:Party></cac:AccountingSupplierParty>
  <cac:AccountingCustomerParty><cac:Party>
    <cac:PartyName><cbc:Name>Customer Ltd</cbc:Name></cac:PartyName>
  </cac:Party></cac:AccountingCustomerParty>
  <cac:PaymentMeans><cbc:PaymentMeansCode>58</cbc:PaymentMeansCode>
    <cbc:PaymentDueDate>2024-03-10</cbc:PaymentDueDate></cac:PaymentMeans>
  <cac:TaxTotal>
    <cbc:TaxAmount currencyID="EUR">-19.00</cbc:TaxAmount>
    <cac:TaxSubtotal>
      <cbc:TaxableAmount currencyID="EUR">-100.00</cbc:TaxableAmount>
      <cbc:TaxAmount currencyID="EUR">-19.00</cbc:TaxAmount>
      <cac:TaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>19</cbc:Percent></cac:TaxCategory>
    </cac:TaxSubtotal>
  </cac:TaxTotal>
  <cac:LegalMonetaryTotal>
    <cbc:LineExtensionAmount currencyID="EUR">-100.00</cbc:LineExtensionAmount>
    <cbc:TaxExclusiveAmount currencyID="EUR">-100.00</cbc:TaxExclusiveAmount>
    <cbc:TaxInclusiveAmount currencyID="EUR">-119.00</cbc:TaxInclusiveAmount>
    <cbc:PayableAmount currencyID="EUR">-119.00</cbc:PayableAmount>
  </cac:LegalMonetaryTotal>
  <cac:CreditNoteLine>
    <cbc:ID>1</cbc:ID>
    <cbc:CreditedQuantity unitCode="HUR">-2.5</cbc:CreditedQuantity>
    <cbc:LineExtensionAmount currencyID="EUR">-100.00</cbc:LineExtensionAmount>
    <cac:Item><cbc:Name>Consulting returned</cbc:Name>
      <cac:ClassifiedTaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>19</cbc:Percent></cac:ClassifiedTaxCategory>
    </cac:Item>
    <cac:Price><cbc:PriceAmount currencyID="EUR">40.00</cbc:PriceAmount></cac:Price>
  </cac:CreditNoteLine>
</CreditNote>
"""

UBL_INVOICE = b"""<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
  xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
  xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
  <cbc:CustomizationID>urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0</cbc:CustomizationID>
  <cbc:ID>UBL-1</cbc:ID><cbc:IssueDate>2023-12-01</cbc:IssueDate><cbc:DueDate>2023-12-31</cbc:DueDate>
  <cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode><cbc:DocumentCurrencyCode>SEK</cbc:DocumentCurrencyCode>
  <cac:PaymentTerms><cbc:Note>Net 30</cbc:Note></cac:PaymentTerms>
  <cac:TaxTotal><cbc:TaxAmount currencyID="EUR">2.00</cbc:TaxAmount></cac:TaxTotal>
  <cac:TaxTotal><cbc:TaxAmount currencyID="SEK">25.00</cbc:TaxAmount>
    <cac:TaxSubtotal><cbc:TaxableAmount currencyID="SEK">100.00</cbc:TaxableAmount>
      <cbc:TaxAmount currencyID="SEK">25.00</cbc:TaxAmount>
      <cac:TaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>25</cbc:Percent></cac:TaxCategory></cac:TaxSubtotal>
  </cac:TaxTotal>
  <cac:LegalMonetaryTotal>
    <cbc:TaxExclusiveAmount currencyID="SEK">100.00</cbc:TaxExclusiveAmount>
    <cbc:TaxInclusiveAmount currencyID="SEK">125.00</cbc:TaxInclusiveAmount>
    <cbc:PayableAmount currencyID="SEK">125.00</cbc:PayableAmount>
  </cac:LegalMonetaryTotal>
  <cac:InvoiceLine><cbc:ID>1</cbc:ID><cbc:InvoicedQuantity unitCode="C62">4</cbc:InvoicedQuantity>
    <cbc:LineExtensionAmount currencyID="SEK">100.00</cbc:LineExtensionAmount>
    <cac:Item><cbc:Name>Lamp</cbc:Name></cac:Item>
    <cac:Price><cbc:PriceAmount currencyID="SEK">25</cbc:PriceAmount></cac:Price></cac:InvoiceLine>
</Invoice>
"""


def _fields(result: dict[str, Any]) -> dict[str, str]:
    return {c["key"]: c["value"] for c in result["fieldList"]}


def _rows(rows: list[list[dict[str, Any]]]) -> list[dict[str, str]]:
    return [{c["key"]: c["value"] for c in row} for row in rows]


def test_cii_header_lines_and_taxes_are_the_xml_values() -> None:
    result = parse_einvoice(CII)
    fields = _fields(result)
    assert {
        k: fields[k]
        for k in (
            "invoiceNumber",
            "invoiceDate",
            "dueDate",
            "grossAmount",
            "netAmount",
            "totalTax",
            "amountDue",
            "currency",
            "paymentTerms",
            "documentType",
            "sellerName",
            "buyerName",
        )
    } == {
        "invoiceNumber": "RE-2024-0042",
        "invoiceDate": "2024-03-15",
        "dueDate": "2024-04-14",
        "grossAmount": "168.32",
        "netAmount": "143.46",
        "totalTax": "24.86",  # the total in the invoice currency, not the USD one
        "amountDue": "118.32",
        "currency": "EUR",
        "paymentTerms": "30 days net",
        "documentType": "invoice",
        "sellerName": "Seller Example GmbH",
        "buyerName": "Buyer Example SARL",
    }
    assert fields["readFrom"] == READ_FROM
    assert fields["einvoiceSyntax"] == "CII"
    assert fields["einvoiceProfile"] == "EN 16931"
    assert fields["documentTypeCode"] == "380"
    assert fields["sellerVatId"] == "DE000000001"
    assert fields["prepaidAmount"] == "50.00"
    items = _rows(result["itemList"])
    # a four-decimal unit price keeps its digits; quantities lose only trailing zeros
    assert items[0] == {
        "description": "Widget, blue",
        "quantity": "10",
        "unitPrice": "12.3456",
        "totalPriceExclTax": "123.46",
        "taxRate": "19",
        "lineId": "1",
        "unitCode": "H87",
    }
    assert items[1]["unitPrice"] == "20.00" and items[1]["taxRate"] == "7"
    assert _rows(result["taxList"]) == [
        {"taxValue": "23.46", "taxPercentage": "19", "taxableAmount": "123.46", "taxCategory": "S"},
        {"taxValue": "1.40", "taxPercentage": "7", "taxableAmount": "20.00", "taxCategory": "S"},
    ]
    pages = {c["pageNumber"] for c in result["fieldList"]}
    pages |= {c["pageNumber"] for row in result["itemList"] + result["taxList"] for c in row}
    assert pages == {1}


def test_zugferd_1_names_are_read_too() -> None:
    xml = (
        b'<rsm:CrossIndustryDocument xmlns:rsm="urn:ferd:CrossIndustryDocument:invoice:1p0"'
        b' xmlns:ram="urn:un:unece:uncefact:data:standard:'
        b'ReusableAggregateBusinessInformationEntity:12"'
        b' xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:15">'
        b"<rsm:SpecifiedExchangedDocumentContext><ram:GuidelineSpecifiedDocumentContextParameter>"
        b"<ram:ID>urn:ferd:CrossIndustryDocument:invoice:1p0:comfort</ram:ID>"
        b"</ram:GuidelineSpecifiedDocumentContextParameter></rsm:SpecifiedExchangedDocumentContext>"
        b"<rsm:HeaderExchangedDocument><ram:ID>2014-7</ram:ID><ram:TypeCode>380</ram:TypeCode>"
        b'<ram:IssueDateTime><udt:DateTimeString format="102">20140711</udt:DateTimeString>'
        b"</ram:IssueDateTime></rsm:HeaderExchangedDocument>"
        b"<rsm:SpecifiedSupplyChainTradeTransaction>"
        b"<ram:ApplicableSupplyChainTradeSettlement><ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>"
        b"<ram:ApplicableTradeTax><ram:CalculatedAmount>1.90</ram:CalculatedAmount>"
        b"<ram:BasisAmount>10.00</ram:BasisAmount><ram:ApplicablePercent>19.0</ram:ApplicablePercent>"
        b"</ram:ApplicableTradeTax><ram:SpecifiedTradeSettlementMonetarySummation>"
        b"<ram:GrandTotalAmount>11.90</ram:GrandTotalAmount>"
        b"</ram:SpecifiedTradeSettlementMonetarySummation></ram:ApplicableSupplyChainTradeSettlement>"
        b"<ram:IncludedSupplyChainTradeLineItem><ram:SpecifiedSupplyChainTradeDelivery>"
        b'<ram:BilledQuantity unitCode="C62">2</ram:BilledQuantity>'
        b"</ram:SpecifiedSupplyChainTradeDelivery>"
        b"<ram:SpecifiedSupplyChainTradeSettlement><ram:SpecifiedTradeSettlementMonetarySummation>"
        b"<ram:LineTotalAmount>10.00</ram:LineTotalAmount></ram:SpecifiedTradeSettlementMonetarySummation>"
        b"</ram:SpecifiedSupplyChainTradeSettlement>"
        b"<ram:SpecifiedTradeProduct><ram:Name>Kite</ram:Name></ram:SpecifiedTradeProduct>"
        b"</ram:IncludedSupplyChainTradeLineItem></rsm:SpecifiedSupplyChainTradeTransaction>"
        b"</rsm:CrossIndustryDocument>"
    )
    result = parse_einvoice(xml)
    fields = _fields(result)
    assert (fields["invoiceNumber"], fields["invoiceDate"], fields["grossAmount"]) == (
        "2014-7",
        "2014-07-11",
        "11.90",
    )
    assert fields["einvoiceProfile"] == "EN 16931"
    assert _rows(result["itemList"]) == [
        {"description": "Kite", "quantity": "2", "totalPriceExclTax": "10.00", "unitCode": "C62"}
    ]
    assert _rows(result["taxList"])[0]["taxPercentage"] == "19"


def test_ubl_credit_note_keeps_the_xml_sign() -> None:
    result = parse_einvoice(UBL_CREDIT_NOTE)
    fields = _fields(result)
    assert fields["documentType"] == "credit note"
    assert fields["documentTypeCode"] == "381"
    totals = ("grossAmount", "netAmount", "totalTax", "amountDue")
    assert [fields[k] for k in totals] == ["-119.00", "-100.00", "-19.00", "-119.00"]
    assert fields["dueDate"] == "2024-03-10"
    assert fields["sellerName"] == "Legal Seller AG"  # the legal name before the trading name
    assert fields["buyerName"] == "Customer Ltd"
    assert (fields["einvoiceSyntax"], fields["einvoiceProfile"]) == ("UBL", "XRECHNUNG")
    assert _rows(result["itemList"]) == [
        {
            "description": "Consulting returned",
            "quantity": "-2.5",
            "unitPrice": "40.00",
            "totalPriceExclTax": "-100.00",
            "taxRate": "19",
            "lineId": "1",
            "unitCode": "HUR",
        }
    ]
    assert _rows(result["taxList"]) == [
        {
            "taxValue": "-19.00",
            "taxPercentage": "19",
            "taxableAmount": "-100.00",
            "taxCategory": "S",
        }
    ]


def test_ubl_invoice_takes_the_tax_total_in_the_document_currency() -> None:
    result = parse_einvoice(UBL_INVOICE)
    fields = _fields(result)
    assert fields["totalTax"] == "25.00"
    assert (fields["dueDate"], fields["paymentTerms"], fields["einvoiceProfile"]) == (
        "2023-12-31",
        "Net 30",
        "PEPPOL BIS",
    )
    assert _rows(result["taxList"]) == [
        {"taxValue": "25.00", "taxPercentage": "25", "taxableAmount": "100.00", "taxCategory": "S"}
    ]


@pytest.mark.parametrize(
    ("xml", "says"),
    [
        (b"<rsm:CrossIndustryInvoice xmlns:rsm='x'><unclosed>", "not well-formed"),
        (b"", "not well-formed"),
        (b"<Order xmlns='urn:x'><ID>1</ID></Order>", "<Order> is not a CII or UBL invoice"),
        (UBL_INVOICE.replace(b"<cbc:ID>UBL-1</cbc:ID>", b""), "no invoice number"),
        (
            UBL_INVOICE.replace(
                b">125.00</cbc:TaxInclusiveAmount", b">12,5O</cbc:TaxInclusiveAmount"
            ),
            "TaxInclusiveAmount: '12,5O' is not a number",
        ),
        (
            CII.replace(b"<rsm:ExchangedDocument>", b"<rsm:Other>").replace(
                b"</rsm:ExchangedDocument>", b"</rsm:Other>"
            ),
            "no ExchangedDocument",
        ),
        # entity expansion ("billion laughs") and an external entity (XXE): refused, not expanded
        (
            b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>'
            b"<Invoice>&lol2;</Invoice>",
            "refused",
        ),
        (
            b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b"<Invoice><ID>&x;</ID></Invoice>",
            "refused",
        ),
        (b'<!DOCTYPE Invoice SYSTEM "http://127.0.0.1:9/x.dtd"><Invoice/>', "refused"),
    ],
)
def test_malformed_and_hostile_xml_is_a_clear_error(xml: bytes, says: str) -> None:
    with pytest.raises(EInvoiceError, match="the e-invoice") as info:
        parse_einvoice(xml)
    assert says in str(info.value)


def test_an_oversized_xml_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(einvoice, "MAX_XML_BYTES", 100)
    with pytest.raises(EInvoiceError, match="more than the 100 read"):
        parse_einvoice(CII)


def _pdf(text: str, attachments: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.drawString(72, 760, text)
    page.save()
    return attach(buffer.getvalue(), attachments)


def test_a_pdf_with_factur_x_attached_is_read_from_the_xml() -> None:
    content = _pdf("Invoice RE-9 Total 1.00", {"notes.xml": b"<notes/>", "factur-x.xml": CII})
    attachment = embedded_xml(content)
    assert attachment is not None and attachment.name == "factur-x.xml"
    result = read_invoice(content, load_pages(content))
    assert _fields(result)["invoiceNumber"] == "RE-2024-0042"
    assert result == read_einvoice(content)


def test_an_xml_attachment_under_another_name_is_found_by_its_root() -> None:
    content = _pdf("Invoice", {"picture.png": b"\x89PNG", "invoice-data.xml": UBL_INVOICE})
    assert _fields(read_einvoice(content) or {"fieldList": []})["invoiceNumber"] == "UBL-1"


def test_no_invoice_attached_reads_the_printed_page() -> None:
    content = _pdf("Invoice No: INV-77", {"other.xml": b"<Order/>"})
    assert read_einvoice(content) is None
    assert read_einvoice(b"\x89PNG\r\n\x1a\n not a pdf") is None
    fields = _fields(read_invoice(content, load_pages(content)))
    assert fields.get("invoiceNumber") == "INV-77"
    assert "readFrom" not in fields


def test_a_broken_attachment_falls_back_to_the_page_and_says_why() -> None:
    content = _pdf("Invoice No: INV-78", {"factur-x.xml": CII.replace(b"</rsm:Cross", b"</x")})
    with pytest.raises(EInvoiceError, match=r"attachment 'factur-x\.xml': not well-formed"):
        read_einvoice(content)
    fields = _fields(read_invoice(content, load_pages(content)))
    assert fields["invoiceNumber"] == "INV-78"
    assert fields["einvoiceError"].startswith("attachment 'factur-x.xml': not well-formed")


def test_pages_without_the_first_are_read_from_the_page() -> None:
    content = _pdf("Invoice No: INV-79", {"factur-x.xml": CII})
    assert "readFrom" in _fields(read_invoice(content, load_pages(content), [1]))
    fields = _fields(read_invoice(content, load_pages(content, pages=[2]), [2]))
    assert "readFrom" not in fields


def test_a_compressed_bomb_is_refused_while_it_is_decoded(monkeypatch: pytest.MonkeyPatch) -> None:
    # 4 MB of XML that compresses to a few kilobytes: decoding stops at the limit instead of
    # inflating the whole stream (pdfium would, just to tell its size)
    bomb = b"<Invoice>" + b" " * (4 * 2**20) + b"</Invoice>"
    content = _pdf("Invoice", {"factur-x.xml": bomb})
    assert len(content) < len(bomb) // 100
    monkeypatch.setattr(einvoice, "MAX_XML_BYTES", 64 * 1024)
    with pytest.raises(EInvoiceError, match=r"'factur-x\.xml' is more than the 65536 bytes read"):
        embedded_xml(content)
    # the engine reads the printed page instead and says why
    fields = _fields(read_invoice(content, load_pages(content)))
    assert fields["einvoiceError"] == "attachment 'factur-x.xml' is more than the 65536 bytes read"


def test_only_the_first_xml_attachments_are_tried(monkeypatch: pytest.MonkeyPatch) -> None:
    others = {f"note-{i}.xml": b"<Order/>" for i in range(3)}
    content = _pdf("Invoice", {**others, "z-invoice.xml": UBL_INVOICE})  # last by name
    assert embedded_xml(content) is not None
    monkeypatch.setattr(einvoice, "MAX_XML_ATTACHMENTS", 3)
    assert embedded_xml(content) is None
    # a standard name comes first whatever its place in the file
    content = _pdf("Invoice", {**others, "factur-x.xml": CII})
    assert embedded_xml(content) is not None
