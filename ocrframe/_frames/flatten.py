"""Readings -> tidy tables: documents, fields, items, taxes, texts.

Pure: answers in, Arrow tables out, and no wire format here. Each answer is read by its
service's reader (:func:`ocrframe.services.read`, which never raises) into a
:class:`~ocrframe.services.Reading`; this module lays readings out as columns and types the
values:

- A documents row is the record (source, hash, attempts, timing, ...) with what the reading
  says (status, ids, error). An error code the batch engine recorded wins over the reading's;
  a reading with notes (departures from the documented shape) and no error code gets
  ``malformed_answer``, and the notes go to ``error_message``. ``status`` stays what the service
  said: an ``ok`` row with error_code ``malformed_answer`` means "recognised, but part of the
  answer could not be read".
- ``value`` is always the string as received; ``number`` and ``date`` are parsed from it by
  :mod:`ocrframe._values` (exact decimals; the ``dayfirst`` rule for dates such as
  "11/02/2019"). A value that parses as a number is not tried as a date.
- ``item`` and ``tax`` count the lines of ``itemList`` / ``taxList`` from 1, like pages (the
  first line is 1; the paths in the notes are JSON's 0-based indices: ``itemList[0]`` is item 1).
- ``documents.warnings`` lists what an ``ok`` reading leaves out (pages asked beyond the file,
  nothing found, a column empty on every line, ...): see :mod:`ocrframe._frames.warnings`.
- Raw answers passed without a :class:`~ocrframe._records.DocumentRecord` get ``source`` from the
  mapping's key, or ``"#<position>"`` for a list.

The tables come out in the order the records went in; :func:`ocrframe._frames.schemas.ordered`
puts them in the documented order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any, cast

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ocrframe._frames.schemas import SCHEMAS
from ocrframe._frames.warnings import document_warnings
from ocrframe._inputs import parse_pages
from ocrframe._records import DocumentRecord, Service
from ocrframe._values import NUMBER_TYPE, parse_date, parse_number
from ocrframe.errors import redact
from ocrframe.services import MALFORMED, SERVICES, Cells, Reading, guess_service, read

__all__ = ["build_tables", "reading_of", "record_status", "records_from"]

_str = pa.string()
_i32 = pa.int32()


def reading_of(record: DocumentRecord) -> Reading:
    """What a record's answer says (its service's reading; ``failed`` without an answer).

    >>> reading_of(DocumentRecord(source="a.png", service="capsolver", model="common",
    ...     response={"errorId": 0, "status": "ready", "solution": {"text": "x"}})).status
    'ok'
    """
    return read(record.service, record.response)


def record_status(record: DocumentRecord) -> str:
    """The ``documents.status`` one record gets: ``"ok"``, ``"failed"`` or ``"pending"``.

    The very rule the tables use, so a caller that counts statuses, such as the batch engine's
    run summary, always agrees with the table.

    >>> record_status(DocumentRecord(source="a.png", service="capsolver", model="common",
    ...     response={"errorId": 0, "status": "ready", "solution": {"text": "x"}}))
    'ok'
    """
    return reading_of(record).status


def build_tables(records: Iterable[DocumentRecord], *, dayfirst: bool) -> dict[str, pa.Table]:
    """Every table from ``records``, as Arrow tables with the schemas of :data:`SCHEMAS`."""
    builder = _Builder()
    for record in records:
        builder.add(record)
    return builder.tables(dayfirst=dayfirst)


class _Builder:
    """Columns of every table as Python lists, filled reading by reading (one pass, no frames)."""

    def __init__(self) -> None:
        self.docs: dict[str, list[Any]] = {name: [] for name in SCHEMAS["documents"].names}
        # Child rows are recorded as runs (document, line, number of cells) rather than one entry
        # per cell; source, file_id and the line index are expanded from them in one vectorised
        # step at the end.
        self.cells = {name: _Columns() for name in ("fields", "items", "taxes")}
        self.x_doc: list[int] = []
        self.x_task: list[str | None] = []
        self.x_text: list[str | None] = []
        # The pages asked for each document (None: all), for its warnings.
        self.asked: list[list[int] | None] = []
        self.n_docs = 0

    def add(self, rec: DocumentRecord) -> None:
        """Append one record's document row and its cells."""
        doc = self.n_docs
        self.n_docs += 1
        got = reading_of(rec)
        for name, cells in (("fields", got.fields), ("items", got.items), ("taxes", got.taxes)):
            if cells is not None and cells.counts:
                self.cells[name].add(doc, cells)
        if got.texts:
            n = len(got.texts)
            self.x_doc.extend([doc] * n)
            self.x_task.extend([got.task_id] * n)
            self.x_text.extend(got.texts)
        error_code = rec.error_code or got.error_code
        notes = got.notes_summary()
        if error_code is None and notes:
            error_code = MALFORMED
        messages = [m for m in (rec.error_message, got.error_message, notes) if m]
        d = self.docs
        d["source"].append(rec.source)
        d["sha256"].append(rec.sha256)
        d["bytes"].append(rec.bytes)
        d["service"].append(rec.service)
        d["model"].append(rec.model)
        d["page"].append(rec.page)
        d["pages"].append(rec.pages)
        d["status"].append(got.status)
        d["file_id"].append(got.file_id)
        d["task_id"].append(got.task_id)
        d["request_id"].append(got.request_id)
        d["recognize_status"].append(got.recognize_status)
        d["error_code"].append(error_code)
        # Messages can quote what a service sent back; scrub any key before it reaches a table.
        d["error_message"].append(redact("; ".join(messages)) if messages else None)
        d["attempts"].append(rec.attempts)
        d["cached"].append(rec.cached)
        d["submitted_at"].append(rec.submitted_at)
        d["elapsed_s"].append(rec.elapsed_s)
        d["read_locally"].append(got.read_locally)
        d["warnings"].append([])
        self.asked.append(_asked(rec))

    def tables(self, *, dayfirst: bool) -> dict[str, pa.Table]:
        """Build every table, one Arrow construction per column."""
        documents = pa.Table.from_pydict(self.docs, schema=SCHEMAS["documents"])
        src = documents.column("source")
        fid = documents.column("file_id")
        model = documents.column("model")
        page = documents.column("page")
        out = {"documents": documents}
        for name, cols in self.cells.items():
            lengths = np.asarray(cols.counts, dtype=np.int64)
            doc_a = pa.array(np.repeat(np.asarray(cols.docs, dtype=np.int64), lengths))
            values = pa.array(cols.values, type=_str)
            number, date_ = _typed(values, dayfirst)
            arrays: list[Any] = [src.take(doc_a), fid.take(doc_a)]
            if name != "fields":
                # Lines count from 1, like pages (the reader's runs hold JSON's 0-based index).
                lines = np.asarray(cols.lines, dtype=np.int32) + 1
                arrays.append(pa.array(np.repeat(lines, lengths)))
            arrays += [
                pa.array(cols.pages, type=_i32),
                pa.array(cols.keys, type=_str),
                values,
                number,
                date_,
            ]
            out[name] = pa.Table.from_arrays(arrays, schema=SCHEMAS[name])
        x_doc = pa.array(self.x_doc, type=pa.int64())
        out["texts"] = pa.Table.from_arrays(
            [
                src.take(x_doc),
                page.take(x_doc),
                pa.array(self.x_task, type=_str),
                model.take(x_doc),
                pa.array(self.x_text, type=_str),
            ],
            schema=SCHEMAS["texts"],
        )
        warnings = pa.array(document_warnings(out, self.asked), type=pa.list_(_str))
        out["documents"] = documents.set_column(
            documents.schema.get_field_index("warnings"), "warnings", warnings
        )
        return out


def _asked(rec: DocumentRecord) -> list[int] | None:
    """The pages a DocAI request asked for (None: every page)."""
    pages = rec.options.get("pages") if rec.service == "docai" else None
    if pages is None:
        return None
    try:
        return list(parse_pages(pages))
    except Exception:  # what the batch engine sent was valid; anything else reads as "all"
        return None


class _Columns:
    """One child table's cells of every document so far, in runs (document, line, count)."""

    __slots__ = ("counts", "docs", "keys", "lines", "pages", "values")

    def __init__(self) -> None:
        self.docs: list[int] = []
        self.lines: list[int] = []
        self.counts: list[int] = []
        self.pages: list[int | None] = []
        self.keys: list[str | None] = []
        self.values: list[str | None] = []

    def add(self, doc: int, cells: Cells) -> None:
        self.docs.extend([doc] * len(cells.counts))
        self.lines.extend(cells.lines)
        self.counts.extend(cells.counts)
        self.pages.extend(cells.pages)
        self.keys.extend(cells.keys)
        self.values.extend(cells.values)


_PLAIN_NUMBER_RE = r"^-?\d{1,28}(?:\.\d{1,10})?$"
_ISO_DATE_RE = r"^\d{4}-\d\d-\d\d$"


def _typed(values: pa.Array, dayfirst: bool) -> tuple[pa.Array, pa.Array]:
    """``number`` and ``date`` columns for a ``value`` column.

    Each distinct string is parsed once. The plain forms the services send ("154.06",
    "2019-02-11") are converted by Arrow in bulk; only the others go through
    :func:`~ocrframe._values.parse_number` / :func:`~ocrframe._values.parse_date`, and a value that
    is a number is not tried as a date.
    """
    if len(values) == 0:
        return pa.array([], type=NUMBER_TYPE), pa.array([], type=pa.date32())
    encoded = pc.dictionary_encode(values)
    distinct = encoded.dictionary
    plain = pc.match_substring_regex(distinct, _PLAIN_NUMBER_RE)
    iso = pc.match_substring_regex(distinct, _ISO_DATE_RE)
    bulk_number = pc.cast(pc.if_else(plain, distinct, None), NUMBER_TYPE)
    iso_values = pc.if_else(iso, distinct, None)
    stamps = pc.strptime(iso_values, format="%Y-%m-%d", unit="s", error_is_null=True)
    # strptime rolls 2019-02-30 over to March; a date that does not print back is not one.
    exact = pc.equal(pc.strftime(stamps, format="%Y-%m-%d"), iso_values)
    bulk_date = pc.if_else(exact, pc.cast(stamps, pa.date32()), None)
    rest = pc.and_not(pc.is_valid(distinct), pc.or_(plain, iso)).to_numpy(zero_copy_only=False)
    rest_at = np.flatnonzero(rest)
    if len(rest_at):
        texts = distinct.take(pa.array(rest_at)).to_pylist()
        numbers: list[Decimal | None] = [None] * len(distinct)
        dates: list[Any] = [None] * len(distinct)
        for at, text in zip(rest_at.tolist(), texts, strict=True):
            number = parse_number(text)
            if number is not None:
                numbers[at] = number
            else:
                dates[at] = parse_date(text, dayfirst=dayfirst)
        bulk_number = pc.coalesce(bulk_number, pa.array(numbers, type=NUMBER_TYPE))
        bulk_date = pc.coalesce(bulk_date, pa.array(dates, type=pa.date32()))
    return bulk_number.take(encoded.indices), bulk_date.take(encoded.indices)


def _as_dict(item: Any) -> Any:
    # A Mapping that is not a dict (e.g. a read-only view) is read like a dict; anything else is
    # passed on unchanged and reported as malformed by the reader.
    if isinstance(item, Mapping) and not isinstance(item, dict):
        return dict(item)
    return item


def records_from(
    responses: Iterable[DocumentRecord | Mapping[str, Any]] | Mapping[str, Any],
    service: str | None,
    model: str | None,
) -> Iterable[DocumentRecord]:
    if isinstance(responses, Mapping):
        pairs: Iterable[tuple[str, Any]] = ((str(k), v) for k, v in responses.items())
    else:
        pairs = ((f"#{i}", v) for i, v in enumerate(responses))
    for source, item in pairs:
        if isinstance(item, DocumentRecord):
            yield item
            continue
        response = _as_dict(item)
        svc = service if service in SERVICES else guess_service(response)
        yield DocumentRecord(
            source=source, service=cast(Service, svc), model=model, response=response
        )
