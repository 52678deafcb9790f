"""Words with boxes -> DocAI's ``result`` object: the ``invoice`` model.

The invoice model reads a page the way a person does; each step is a module:

1. :mod:`~ocrframe.engine.layout`: words grouped into lines, lines into phrases.
2. :mod:`~ocrframe.engine.hits`: labels of a multilingual lexicon
   (:mod:`~ocrframe.engine.labels`) found on the lines.
3. :mod:`~ocrframe.engine.items`: line-item tables, by their header row's columns.
4. :mod:`~ocrframe.engine.fields`: each label's value, next to it or below it, parsed by kind
   and normalised as DocAI writes it (:mod:`~ocrframe.engine.normalize`).
5. :mod:`~ocrframe.engine.totals`: the totals chosen among the labelled amounts by arithmetic.
6. :mod:`~ocrframe.engine.parties`: the seller's and the buyer's names.
7. :mod:`~ocrframe.engine.receipt`: a receipt's total, seller and currency.

A value that is not found is left out, never guessed. Two values are derived from printed
ones: ``totalTax`` as the sum of the tax lines when no total-tax line is printed, and
``netAmount`` as ``grossAmount - totalTax`` when both are printed and no net line is.

Example::

    from ocrframe.engine.pages import load_pages
    result = extract_invoice(load_pages(pdf_bytes))
    {f["key"]: f["value"] for f in result["fieldList"]}["grossAmount"]   # "154.06"

Pure and deterministic; a few milliseconds per born-digital page.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from ocrframe.engine.fields import (
    MARKED_ID,
    Value,
    document_currency,
    document_type,
    first_date,
    is_qualified,
    lone_date_at_top,
    parse_kind,
    reads_month_first,
    value_candidates,
)
from ocrframe.engine.hits import TITLE_WORDS, line_hits
from ocrframe.engine.items import items_net_sum, read_tables
from ocrframe.engine.labels import FIELD_KINDS
from ocrframe.engine.layout import Line, extract_text_lines, group_lines, line_phrases
from ocrframe.engine.normalize import find_dates, find_percentages, format_amount, format_percentage
from ocrframe.engine.parties import find_buyer, find_seller, party_of
from ocrframe.engine.receipt import (
    header_phrases,
    is_receipt,
    receipt_currency,
    receipt_seller,
    receipt_total,
)
from ocrframe.engine.rowmath import Alternatives, reconcile
from ocrframe.engine.totals import TOTAL_FIELDS, Candidate, choose_totals
from ocrframe.engine.types import Page

__all__ = ["extract_invoice", "extract_text_lines", "group_lines"]


def _receipt(pages: Sequence[Page], lines_by_page: dict[int, list[Line]]) -> dict[str, str] | None:
    """A receipt's total, seller and currency (:mod:`ocrframe.engine.receipt`), or None when
    the document is not a receipt. Read once per document (kept on its first line's cache)."""
    if not pages or not lines_by_page[pages[0].number]:
        return None
    first_line = lines_by_page[pages[0].number][0]
    if "receipt" in first_line.cache:
        cached: dict[str, str] | None = first_line.cache["receipt"]
        return cached
    phrases = [
        [p.text for p in line_phrases(ln)] for page in pages for ln in lines_by_page[page.number]
    ]
    out: dict[str, str] | None = None
    titled = document_type(pages, lines_by_page)
    # a till's words, or a title that names the slip a receipt ("RECEIPT", "Kassenbon")
    if is_receipt(phrases) or (titled is not None and titled[0] == "receipt"):
        out = {}
        total = receipt_total(phrases)
        if total is not None:
            out["grossAmount"] = format_amount(total)
        seller = receipt_seller(header_phrases(lines_by_page[pages[0].number]))
        if seller is not None:
            out["sellerName"] = seller
        currency = receipt_currency(phrases)
        if currency is not None:
            out["currency"] = currency
    first_line.cache["receipt"] = out
    return out


def _amount(found: dict[str, tuple[int, Value]], key: str) -> Decimal | None:
    return Decimal(found[key][1].value) if key in found else None


def extract_invoice(pages: list[Page]) -> dict[str, Any]:
    """Read an invoice's fields, line items and taxes from its pages of words.

    Returns DocAI's ``result`` object::

        {"fieldList": [{"pageNumber": 1, "key": "invoiceNumber", "value": "INV-1"}, ...],
         "itemList": [[{"pageNumber": 1, "key": "description", "value": "..."}, ...], ...],
         "taxList": [[{"pageNumber": 1, "key": "taxValue", "value": "19.00"}, ...], ...]}

    Fields not found in the document are absent.
    """
    month_first = reads_month_first(pages)
    lines_by_page = {p.number: group_lines(p) for p in pages}
    alternatives: dict[int, Alternatives] = {}
    items, table_lines = read_tables(lines_by_page, alternatives)

    found: dict[str, tuple[int, Value]] = {}  # field -> (rank, value)
    tax_lines: list[tuple[int, str, str | None]] = []  # (page, value, percentage)
    amounts: list[Candidate] = []  # every total-like amount, chosen among at the end
    for page in pages:
        lines = [ln for ln in lines_by_page[page.number] if id(ln) not in table_lines]
        hits = [h for ln in lines for h in line_hits(ln)]
        for hit in hits:
            kind = FIELD_KINDS[hit.field]
            if kind == "none":
                continue
            weak = (
                hit.field == "invoiceNumber"
                and hit.end - hit.start == 1
                and (hit.phrase.tokens[hit.start] in TITLE_WORDS)
            )
            rank = hit.rank + (100 if is_qualified(hit) else 0)
            for text in value_candidates(hit, kind, lines):
                if weak:
                    # after a bare title only a lone identifier ("Invoice INV-7") or a number
                    # marker and one ("Rechnung (380) Nr. 99877 vom ..."): not "12 Main Street"
                    marked = MARKED_ID.match(text)
                    if marked:
                        text = marked.group(1) + text[marked.end() :]
                    elif len(text.strip(" #:").split()) != 1:
                        continue
                parsed = parse_kind(kind, text, month_first)
                if parsed is None:
                    continue
                value, extra = parsed
                field_name = hit.field
                if field_name == "totalTax" and find_percentages(hit.phrase.text):
                    # "Montant TVA 5,5 %": one rate's tax, not the total
                    field_name = "taxLine"
                if field_name == "taxLine":
                    pct = extra.get("percentage")
                    if pct is None:
                        label_pcts = find_percentages(hit.phrase.text)
                        pct = (
                            format_percentage(Decimal(str(label_pcts[0].value)))
                            if label_pcts
                            else None
                        )
                    tax_lines.append((page.number, value, pct))
                    break
                if hit.field == "_partyName":
                    party = party_of(hit, lines)
                    if party is None:
                        break
                    field_name, rank = party, -1
                    extra = {}
                if hit.field in TOTAL_FIELDS:
                    amounts.append(
                        Candidate(hit.field, Decimal(value), page.number, hit.rank, len(amounts))
                    )
                    break
                if kind == "name" and hit.field != "_partyName":
                    extra = {**extra, "phrase": hit.phrase.text}
                previous = found.get(field_name)
                # the first of the most specific labels wins
                if previous is None or rank < previous[0]:
                    found[field_name] = (rank, Value(value, page.number, extra))
                # an invoice number label's phrase often carries the date: "Facture n° 12 du
                # 02 Juillet 2015"
                if hit.field == "invoiceNumber" and "invoiceDate" not in found and rank < 100:
                    # after the number: an identifier may hold a date of its own
                    after = text[text.find(value) + len(value) :] if value in text else text
                    dates = find_dates(after, month_first=month_first)
                    if dates and isinstance(dates[0].value, date):
                        found["_numberDate"] = (0, Value(dates[0].value.isoformat(), page.number))
                break

    fields: list[dict[str, Any]] = []

    def emit(key: str, value: str, page: int) -> None:
        fields.append({"pageNumber": page, "key": key, "value": value})

    if "invoiceDate" not in found and "_numberDate" in found:
        found["invoiceDate"] = found["_numberDate"]
    if "invoiceDate" not in found and _receipt(pages, lines_by_page) is not None:
        # a receipt prints its date without a label, anywhere: the first one
        first = first_date(pages, lines_by_page, month_first)
        if first is not None:
            found["invoiceDate"] = (999, first)
    if "invoiceDate" not in found:
        lone = lone_date_at_top(pages, lines_by_page, month_first)
        if lone is not None:
            found["invoiceDate"] = (999, lone)
    for key in ("invoiceNumber", "invoiceDate", "dueDate"):
        if key in found:
            emit(key, found[key][1].value, found[key][1].page)

    # taxes: one entry per rate line, deduplicated (a summary may repeat them)
    taxes: list[list[dict[str, Any]]] = []
    seen_tax: set[tuple[str, str | None]] = set()
    for page_no, value, pct in tax_lines:
        if (value, pct) in seen_tax:
            continue
        seen_tax.add((value, pct))
        row = [{"pageNumber": page_no, "key": "taxValue", "value": value}]
        if pct is not None:
            row.append({"pageNumber": page_no, "key": "taxPercentage", "value": pct})
        taxes.append(row)
    tax_sum = sum((Decimal(r[0]["value"]) for r in taxes), Decimal(0)) if taxes else None
    chosen = choose_totals(
        amounts,
        tax_sum=tax_sum,
        lines_sum=items_net_sum(items),
        lines_gross=items_net_sum(items, "totalPriceInclTax"),
    )
    for key, cand in chosen.items():
        found[key] = (cand.rank, Value(format_amount(cand.value), cand.page))
    if "totalTax" not in found and tax_sum is not None:
        found["totalTax"] = (99, Value(format_amount(tax_sum), tax_lines[-1][0]))
    if "netAmount" not in found and "grossAmount" in found and "totalTax" in found:
        # both printed, the net is their difference (an invoice that shows a total and its tax
        # but no subtotal line)
        gross, tax = found["grossAmount"][1], found["totalTax"][1]
        net = Decimal(gross.value) - Decimal(tax.value)
        if net >= 0:
            found["netAmount"] = (99, Value(format_amount(net), gross.page))

    # the rows checked against the totals: which reading of an ambiguous row, net or gross
    # amounts, a total line taken for a row
    reconcile(
        items,
        alternatives,
        net=_amount(found, "netAmount"),
        gross=_amount(found, "grossAmount"),
    )

    receipt = _receipt(pages, lines_by_page)
    if receipt is not None and "grossAmount" in receipt:
        # a receipt's total is the amount paid, chosen against the cash and the change
        found["grossAmount"] = (0, Value(receipt["grossAmount"], pages[0].number))
    for key in ("grossAmount", "netAmount", "totalTax", "amountDue"):
        if key in found:
            emit(key, found[key][1].value, found[key][1].page)

    currency = document_currency(lines_by_page)
    if currency is None and receipt is not None and receipt.get("currency"):
        currency = (receipt["currency"], pages[0].number)
    if currency is not None:
        emit("currency", currency[0], currency[1])
    if "paymentTerms" in found:
        emit("paymentTerms", found["paymentTerms"][1].value, found["paymentTerms"][1].page)
    doc_type = document_type(pages, lines_by_page)
    receipt = _receipt(pages, lines_by_page)
    if receipt is not None:
        doc_type = ("receipt", pages[0].number)
    if doc_type is not None:
        emit("documentType", doc_type[0], doc_type[1])
    seller = find_seller(found, pages, lines_by_page)
    if receipt is not None and receipt.get("sellerName"):
        seller = (receipt["sellerName"], pages[0].number)
    if seller is not None:
        emit("sellerName", seller[0], seller[1])
    # a receipt names no buyer but by a label: no address block of its own is looked for
    unlabelled = pages if receipt is None else []
    buyer = find_buyer(found, unlabelled, lines_by_page, seller[0] if seller else None)
    if buyer is not None:
        emit("buyerName", buyer[0], buyer[1])
    return {"fieldList": fields, "itemList": items, "taxList": taxes}
