"""Raw answers -> tidy tables: documents, fields, items, taxes, texts.

Pure functions: dicts in, tables out. The schemas are defined once, as Arrow schemas
(:data:`SCHEMAS`); every DataFrame uses :class:`pandas.ArrowDtype` columns derived from them, so an
empty table has exactly the columns and dtypes of a full one, ``number`` is an exact
``decimal128(38, 10)`` and ``date`` a ``date32``.

Reading an answer never raises. The rules:

- ``status`` is what the service said: DocAI ``code`` 200 with ``recognizeStatus`` ``"1"`` is
  ``ok``, ``"2"`` ``pending``, ``"0"`` ``failed`` (error_code ``recognition_failed``); a ``code``
  other than 200 is ``failed`` with that code and message. CapSolver ``errorId`` 0 with ``status``
  ``ready`` is ``ok``, ``processing`` / ``idle`` ``pending``, an ``errorId`` other than 0 ``failed``
  with its ``errorCode`` and ``errorDescription``. No answer at all is ``failed`` (the record's
  error code, or ``no_answer``). An answer of no known shape is ``failed`` / ``malformed_answer``.
- Whatever part of an answer can be read is read. Each departure from the documented shape (a
  ``fieldList`` / ``itemList`` / item that is not a list, a cell that is not an object, a missing
  key, a ``pageNumber`` that is not a positive integer, a value neither string nor null, a key
  repeated within one item, an unknown ``recognizeStatus``, ...) is noted
  with its path (``data.result.itemList[1][2].pageNumber: ...``). The notes go to the document's
  ``error_message``, and its ``error_code`` becomes ``malformed_answer`` unless it already holds
  a more specific code. ``status`` stays what the service said: an ``ok`` row with error_code
  ``malformed_answer`` means "recognised, but part of the answer could not be read".
- A cell is kept whenever it is an object: a missing key gives ``key`` null, a bad ``pageNumber``
  gives ``page`` null (a digit string such as ``"2"`` is read as 2), a number value is kept as its
  JSON text (``154.06`` -> ``"154.06"``), ``true`` as ``"true"``, an object or list as compact
  JSON. A missing or null ``fieldList`` / ``itemList`` / ``taxList`` is simply empty (the API marks
  them optional). An item that is a single cell object instead of a list is read as a one-cell
  item.
- ``item`` and ``tax`` are the 0-based positions in ``itemList`` / ``taxList`` (the same numbers
  as in the paths of the notes). Pages are 1-based, as the services give them.
- ``value`` is always the string as received; ``number`` and ``date`` are parsed from it by
  :mod:`ocrframe._values` (exact decimals; the ``dayfirst`` rule for dates such as "11/02/2019").
  A value that parses as a number is not tried as a date.
- Raw answers passed without a :class:`~ocrframe._records.DocumentRecord` get ``source`` from the
  mapping's key, or ``"#<position>"`` for a list.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ocrframe._records import DocumentRecord
from ocrframe._values import NUMBER_TYPE, parse_date, parse_number
from ocrframe.errors import redact

__all__ = ["SCHEMAS", "TABLES", "Extraction", "empty_frame", "record_status"]

TABLES: tuple[str, ...] = ("documents", "fields", "items", "taxes", "texts")

_str = pa.string()
_i32 = pa.int32()

SCHEMAS: dict[str, pa.Schema] = {
    "documents": pa.schema(
        [
            ("source", _str),
            ("sha256", _str),
            ("bytes", pa.int64()),
            ("service", _str),
            ("model", _str),
            ("page", _i32),
            ("pages", _i32),
            ("status", _str),
            ("file_id", _str),
            ("task_id", _str),
            ("request_id", _str),
            ("recognize_status", _str),
            ("error_code", _str),
            ("error_message", _str),
            ("attempts", _i32),
            ("cached", pa.bool_()),
            ("submitted_at", pa.timestamp("us", tz="UTC")),
            ("elapsed_s", pa.float64()),
        ]
    ),
    "fields": pa.schema(
        [
            ("source", _str),
            ("file_id", _str),
            ("page", _i32),
            ("key", _str),
            ("value", _str),
            ("number", NUMBER_TYPE),
            ("date", pa.date32()),
        ]
    ),
    "items": pa.schema(
        [
            ("source", _str),
            ("file_id", _str),
            ("item", _i32),
            ("page", _i32),
            ("key", _str),
            ("value", _str),
            ("number", NUMBER_TYPE),
            ("date", pa.date32()),
        ]
    ),
    "taxes": pa.schema(
        [
            ("source", _str),
            ("file_id", _str),
            ("tax", _i32),
            ("page", _i32),
            ("key", _str),
            ("value", _str),
            ("number", NUMBER_TYPE),
            ("date", pa.date32()),
        ]
    ),
    "texts": pa.schema(
        [
            ("source", _str),
            ("page", _i32),
            ("task_id", _str),
            ("module", _str),
            ("text", _str),
        ]
    ),
}

_MAX_NOTES = 5
MALFORMED = "malformed_answer"


def _types_mapper(arrow_type: pa.DataType) -> pd.ArrowDtype:
    return pd.ArrowDtype(arrow_type)


def _to_pandas(table: pa.Table) -> pd.DataFrame:
    frame: pd.DataFrame = table.to_pandas(types_mapper=_types_mapper)
    return frame


def empty_frame(table: str) -> pd.DataFrame:
    """An empty DataFrame with the columns and dtypes of ``table`` (one of :data:`TABLES`).

    >>> list(empty_frame("texts").columns)
    ['source', 'page', 'task_id', 'module', 'text']
    """
    return _to_pandas(SCHEMAS[table].empty_table())


def _to_arrow(df: pd.DataFrame, table: str) -> pa.Table:
    schema = SCHEMAS[table]
    return pa.Table.from_pandas(df[schema.names], schema=schema, preserve_index=False)


# --- reading one answer ------------------------------------------------------------------------


class _Notes:
    """The departures from the documented shape found in one answer."""

    __slots__ = ("items",)

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, note: str) -> None:
        self.items.append(note)

    def summary(self) -> str | None:
        if not self.items:
            return None
        shown = "; ".join(self.items[:_MAX_NOTES])
        more = len(self.items) - _MAX_NOTES
        return f"{shown}; (+{more} more)" if more > 0 else shown


def _text_of(value: Any) -> str | None:
    """A cell value as the string it stands for (JSON text for anything not a string)."""
    if value is None or type(value) is str:
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return json.dumps(value)
        # Positional notation (1e+20 -> "100000000000000000000"), exactly the shortest repr, so
        # that the number column can read it.
        return format(Decimal(repr(value)), "f")
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    except (TypeError, ValueError):
        return str(value)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _fix_cell(cell: dict[str, Any], path: str, notes: _Notes) -> tuple[int | None, Any, Any]:
    """The slow path for a cell that is not exactly {pageNumber: int>0, key: str, value: str}."""
    page: Any = cell.get("pageNumber")
    if type(page) is not int or page < 1:
        fixed: int | None = None
        if (isinstance(page, str) and page.strip().isdigit()) or (
            isinstance(page, float) and page.is_integer()
        ):
            fixed = int(page)
        if fixed is None or fixed < 1:
            fixed = None
            what = (
                "missing"
                if "pageNumber" not in cell
                else f"not a positive integer ({_short(page)})"
            )
            notes.add(f"{path}.pageNumber: {what}")
        page = fixed
    key: Any = cell.get("key")
    if type(key) is not str:
        if key is None:
            notes.add(f"{path}.key: missing")
        else:
            notes.add(f"{path}.key: not a string ({_short(key)})")
            key = _text_of(key)
    value: Any = cell.get("value")
    if value is not None and type(value) is not str:
        notes.add(f"{path}.value: not a string ({type(value).__name__})")
        value = _text_of(value)
    return page, key, value


def _note_duplicates(line: list[Any], keys: list[Any], path: str, notes: _Notes) -> None:
    positions = [i for i, cell in enumerate(line) if type(cell) is dict]
    seen: set[Any] = set()
    for i, key in zip(positions, keys, strict=True):
        if key is not None and key in seen:
            notes.add(f"{path}[{i}].key: {key!r} repeated within the line")
        seen.add(key)


def _read_cells(
    cells: list[Any],
    path: str,
    pages: list[int | None],
    keys: list[str | None],
    values: list[str | None],
    notes: _Notes,
) -> int:
    """Append the cells of one list to the columns; returns how many were appended.

    The hot loop of the flattener (every cell of every answer): a cell of the documented shape
    costs three lookups and three appends; anything else takes the slow path in _fix_cell.
    """
    a_page, a_key, a_value = pages.append, keys.append, values.append
    start = len(keys)
    for i, cell in enumerate(cells):
        if type(cell) is not dict:
            notes.add(f"{path}[{i}]: not an object ({type(cell).__name__})")
            continue
        page = cell.get("pageNumber")
        key = cell.get("key")
        value = cell.get("value")
        if (
            type(page) is not int
            or page < 1
            or type(key) is not str
            or (type(value) is not str and value is not None)
        ):
            page, key, value = _fix_cell(cell, f"{path}[{i}]", notes)
        a_page(page)
        a_key(key)
        a_value(value)
    return len(keys) - start


class _Builder:
    """Columns of every table as Python lists, filled answer by answer (one pass, no frames)."""

    def __init__(self) -> None:
        self.docs: dict[str, list[Any]] = {name: [] for name in SCHEMAS["documents"].names}
        # Child rows are recorded as runs (document, line, number of cells) rather than one entry
        # per cell; source, file_id and the line index are expanded from them in one vectorised
        # step at the end.
        self.f_run: tuple[list[int], list[int], list[int]] = ([], [], [])
        self.f_page: list[int | None] = []
        self.f_key: list[str | None] = []
        self.f_value: list[str | None] = []
        self.i_run: tuple[list[int], list[int], list[int]] = ([], [], [])
        self.i_page: list[int | None] = []
        self.i_key: list[str | None] = []
        self.i_value: list[str | None] = []
        self.t_run: tuple[list[int], list[int], list[int]] = ([], [], [])
        self.t_page: list[int | None] = []
        self.t_key: list[str | None] = []
        self.t_value: list[str | None] = []
        self.x_doc: list[int] = []
        self.x_task: list[str | None] = []
        self.x_text: list[str | None] = []
        self.n_docs = 0

    # DocAI ----------------------------------------------------------------------------------

    def _fields(self, cells: Any, path: str, doc: int, notes: _Notes) -> None:
        if cells is None:
            return
        if type(cells) is not list:
            notes.add(f"{path}: not a list ({type(cells).__name__})")
            return
        count = _read_cells(cells, path, self.f_page, self.f_key, self.f_value, notes)
        if count:
            self.f_run[0].append(doc)
            self.f_run[1].append(0)
            self.f_run[2].append(count)

    def _lines(self, lines: Any, path: str, doc: int, notes: _Notes, kind: str) -> None:
        if lines is None:
            return
        if type(lines) is not list:
            notes.add(f"{path}: not a list ({type(lines).__name__})")
            return
        if kind == "items":
            run, l_page, l_key, l_value = (self.i_run, self.i_page, self.i_key, self.i_value)
        else:
            run, l_page, l_key, l_value = (self.t_run, self.t_page, self.t_key, self.t_value)
        r_doc, r_idx, r_len = (run[0].append, run[1].append, run[2].append)
        for n, line in enumerate(lines):
            if type(line) is not list:
                if type(line) is dict and ("key" in line or "value" in line):
                    notes.add(f"{path}[{n}]: a single object, not a list (read as one cell)")
                    line = [line]
                else:
                    if line is not None:
                        notes.add(f"{path}[{n}]: not a list ({type(line).__name__})")
                    continue
            count = _read_cells(line, f"{path}[{n}]", l_page, l_key, l_value, notes)
            # One set per line instead of a membership test per cell: duplicates are rare.
            if count:
                r_doc(doc)
                r_idx(n)
                r_len(count)
                if count > 1 and len(set(l_key[-count:])) < count:
                    _note_duplicates(line, l_key[-count:], f"{path}[{n}]", notes)

    def _docai(self, resp: dict[str, Any], doc: int, notes: _Notes) -> dict[str, Any]:
        """Read one DocAI answer (envelope, ``data`` object or bare ``result``)."""
        out: dict[str, Any] = {"status": "ok"}
        path = ""
        data: Any
        if "code" in resp or "requestId" in resp or "data" in resp:
            rid = resp.get("requestId")
            out["request_id"] = None if rid is None else str(rid)
            code = resp.get("code")
            if code not in (200, "200"):
                if code is None:
                    notes.add("code: missing")
                else:
                    out["status"] = "failed"
                    out["error_code"] = str(code)
                    message = resp.get("message")
                    out["error_message"] = None if message is None else str(message)
            data = resp.get("data")
            path = "data."
            if type(data) is list:
                # identifyResult answers with a list; one record is one file.
                if len(data) != 1:
                    notes.add(f"data: a list of {len(data)} results (the first one read)")
                data = next((d for d in data if type(d) is dict), None)
            if data is None:
                if out["status"] == "ok":
                    out["status"] = "failed"
                    out["error_code"] = MALFORMED
                    notes.add("data: missing")
                return out
            if type(data) is not dict:
                notes.add(f"data: not an object ({type(data).__name__})")
                out["status"] = "failed"
                out.setdefault("error_code", MALFORMED)
                return out
        elif "result" in resp or "recognizeStatus" in resp or "fileId" in resp:
            data = resp
        elif "fieldList" in resp or "itemList" in resp or "taxList" in resp:
            data = {"result": resp, "recognizeStatus": "1"}
            path = "<result>"
        else:
            out["status"] = "failed"
            out["error_code"] = MALFORMED
            keys = ", ".join(sorted(str(k) for k in resp)[:8])
            notes.add(f"not a DocAI answer (keys: {keys})")
            return out
        fid = data.get("fileId")
        out["file_id"] = None if fid is None else str(fid)
        rs = data.get("recognizeStatus")
        out["recognize_status"] = None if rs is None else str(rs)
        result = data.get("result")
        if out["status"] == "ok":
            if rs in ("1", 1):
                pass
            elif rs in ("2", 2):
                out["status"] = "pending"
            elif rs in ("0", 0):
                out["status"] = "failed"
                out["error_code"] = "recognition_failed"
                out["error_message"] = "recognizeStatus 0: recognition failed"
            elif rs is None and type(result) is dict:
                notes.add(f"{path}recognizeStatus: missing")
            else:
                what = "missing" if rs is None else f"unknown value {_short(rs)}"
                notes.add(f"{path}recognizeStatus: {what}")
                out["status"] = "failed"
                out["error_code"] = MALFORMED
        if path == "<result>":
            path = ""
        elif result is None:
            if out["status"] == "ok":
                notes.add(f"{path}result: missing")
            return out
        else:
            path = f"{path}result."
        if type(result) is not dict:
            notes.add(f"{path.rstrip('.')}: not an object ({type(result).__name__})")
            return out
        self._fields(result.get("fieldList"), f"{path}fieldList", doc, notes)
        self._lines(result.get("itemList"), f"{path}itemList", doc, notes, "items")
        self._lines(result.get("taxList"), f"{path}taxList", doc, notes, "taxes")
        return out

    # CapSolver ------------------------------------------------------------------------------

    def _capsolver(self, resp: dict[str, Any], doc: int, notes: _Notes) -> dict[str, Any]:
        """Read one CapSolver createTask / getTaskResult answer."""
        out: dict[str, Any] = {"status": "ok"}
        tid = resp.get("taskId")
        out["task_id"] = None if tid is None else str(tid)
        error_id = resp.get("errorId")
        if error_id not in (0, "0", None):
            out["status"] = "failed"
            code = resp.get("errorCode")
            out["error_code"] = str(code) if code else f"errorId {error_id}"
            description = resp.get("errorDescription")
            out["error_message"] = None if description is None else str(description)
            return out
        if error_id is None:
            notes.add("errorId: missing")
        status = resp.get("status")
        solution = resp.get("solution")
        if status in ("processing", "idle"):
            out["status"] = "pending"
            return out
        if status != "ready":
            if type(solution) is dict:
                notes.add(f"status: {'missing' if status is None else _short(status)}")
            else:
                notes.add(f"not a CapSolver answer (status {_short(status)}, no solution)")
                out["status"] = "failed"
                out["error_code"] = MALFORMED
                return out
        if type(solution) is not dict:
            notes.add("solution: missing" if solution is None else "solution: not an object")
            return out
        texts: list[Any]
        if "text" in solution:
            texts = [solution["text"]]
        elif type(solution.get("answers")) is list:
            texts = solution["answers"]
        else:
            notes.add("solution.text: missing")
            texts = []
        for text in texts:
            self.x_doc.append(doc)
            self.x_task.append(out["task_id"])
            self.x_text.append(_text_of(text))
        return out

    def _lists(self) -> list[list[Any]]:
        return [
            *self.f_run, self.f_page, self.f_key, self.f_value,
            *self.i_run, self.i_page, self.i_key, self.i_value,
            *self.t_run, self.t_page, self.t_key, self.t_value,
            self.x_doc, self.x_task, self.x_text,
        ]  # fmt: skip

    def _marks(self) -> list[int]:
        return [len(column) for column in self._lists()]

    def _rewind(self, marks: list[int]) -> None:
        for column, mark in zip(self._lists(), marks, strict=True):
            del column[mark:]

    # one record -----------------------------------------------------------------------------

    def add(self, rec: DocumentRecord) -> None:
        """Append one record's document row and its cells."""
        doc = self.n_docs
        self.n_docs += 1
        notes = _Notes()
        resp = rec.response
        got: dict[str, Any]
        marks = self._marks()
        try:
            if resp is None:
                got = {"status": "failed", "error_code": None if rec.error_code else "no_answer"}
            elif type(resp) is not dict:
                notes.add(f"not a JSON object ({type(resp).__name__})")
                got = {"status": "failed", "error_code": MALFORMED}
            elif rec.service == "capsolver":
                got = self._capsolver(resp, doc, notes)
            else:
                got = self._docai(resp, doc, notes)
        # The flattener must never raise on an answer, whatever its shape.
        except Exception as exc:
            self._rewind(marks)  # drop this answer's half-read cells: columns must stay aligned
            notes.add(f"unreadable answer ({type(exc).__name__})")
            got = {"status": "failed", "error_code": MALFORMED}
        error_code = rec.error_code or got.get("error_code")
        if error_code is None and notes.items:
            error_code = MALFORMED
        messages = [m for m in (rec.error_message, got.get("error_message"), notes.summary()) if m]
        d = self.docs
        d["source"].append(rec.source)
        d["sha256"].append(rec.sha256)
        d["bytes"].append(rec.bytes)
        d["service"].append(rec.service)
        d["model"].append(rec.model)
        d["page"].append(rec.page)
        d["pages"].append(rec.pages)
        d["status"].append(got["status"])
        d["file_id"].append(got.get("file_id"))
        d["task_id"].append(got.get("task_id"))
        d["request_id"].append(got.get("request_id"))
        d["recognize_status"].append(got.get("recognize_status"))
        d["error_code"].append(error_code)
        # Messages can quote what a service sent back; scrub any key before it reaches a table.
        d["error_message"].append(redact("; ".join(messages)) if messages else None)
        d["attempts"].append(rec.attempts)
        d["cached"].append(rec.cached)
        d["submitted_at"].append(rec.submitted_at)
        d["elapsed_s"].append(rec.elapsed_s)

    # tables ---------------------------------------------------------------------------------

    def tables(self, *, dayfirst: bool) -> dict[str, pa.Table]:
        """Build every table, one Arrow construction per column."""
        documents = pa.Table.from_pydict(self.docs, schema=SCHEMAS["documents"])
        src = documents.column("source")
        fid = documents.column("file_id")
        model = documents.column("model")
        page = documents.column("page")
        out = {"documents": documents}
        for name, cols in (
            ("fields", (self.f_run, self.f_page, self.f_key, self.f_value)),
            ("items", (self.i_run, self.i_page, self.i_key, self.i_value)),
            ("taxes", (self.t_run, self.t_page, self.t_key, self.t_value)),
        ):
            run, page_l, key_l, value_l = cols
            lengths = np.asarray(run[2], dtype=np.int64)
            doc_a = pa.array(np.repeat(np.asarray(run[0], dtype=np.int64), lengths))
            values = pa.array(value_l, type=_str)
            number, date_ = _typed(values, dayfirst)
            arrays: list[Any] = [src.take(doc_a), fid.take(doc_a)]
            if name != "fields":
                arrays.append(pa.array(np.repeat(np.asarray(run[1], dtype=np.int32), lengths)))
            arrays += [
                pa.array(page_l, type=_i32),
                pa.array(key_l, type=_str),
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
        return out


_PLAIN_NUMBER_RE = r"^-?\d{1,28}(?:\.\d{1,10})?$"
_ISO_DATE_RE = r"^\d{4}-\d\d-\d\d$"


def record_status(record: DocumentRecord) -> str:
    """The ``documents.status`` one record gets: ``"ok"``, ``"failed"`` or ``"pending"``.

    The very rule the tables use (a throwaway builder reads the one record), so a caller that
    counts statuses, such as the batch engine's run summary, always agrees with the table.

    >>> record_status(DocumentRecord(source="a.png", service="capsolver", model="common",
    ...     response={"errorId": 0, "status": "ready", "solution": {"text": "x"}}))
    'ok'
    """
    builder = _Builder()
    builder.add(record)
    status: str = builder.docs["status"][0]
    return status


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


def _records_from(
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
        svc = service
        if svc is None:
            is_cap = isinstance(item, Mapping) and ("errorId" in item or "solution" in item)
            svc = "capsolver" if is_cap else "docai"
        if svc not in ("docai", "capsolver"):
            svc = "docai"
        yield DocumentRecord(
            source=source,
            service="capsolver" if svc == "capsolver" else "docai",
            model=model,
            response=_as_dict(item),
        )


# --- the Extraction ----------------------------------------------------------------------------


@dataclass(eq=False)
class Extraction:
    """The tables of one run: ``documents``, ``fields``, ``items``, ``taxes``, ``texts``.

    Build one with :meth:`from_responses` (or :func:`ocrframe.extract`); write it with
    :meth:`to_parquet`, read it back with :func:`ocrframe.read_parquet`.

    >>> ex = Extraction.from_responses({"a.pdf": {"code": 200, "data": {"fileId": "1",
    ...     "recognizeStatus": "1", "result": {"fieldList": [
    ...     {"pageNumber": 1, "key": "grossAmount", "value": "154.06"}]}}}})
    >>> ex.fields["number"].iloc[0]
    Decimal('154.0600000000')
    """

    documents: pd.DataFrame
    fields: pd.DataFrame
    items: pd.DataFrame
    taxes: pd.DataFrame
    texts: pd.DataFrame

    @classmethod
    def empty(cls) -> Extraction:
        """An Extraction with no rows (every table with its full schema).

        >>> len(Extraction.empty().documents)
        0
        """
        return cls(*(empty_frame(name) for name in TABLES))

    @classmethod
    def from_responses(
        cls,
        responses: Iterable[DocumentRecord | Mapping[str, Any]] | Mapping[str, Any],
        *,
        service: Literal["docai", "capsolver"] | None = None,
        model: str | None = None,
        dayfirst: bool = True,
    ) -> Extraction:
        """Tables from :class:`~ocrframe._records.DocumentRecord` objects or raw answers in hand.

        ``responses`` is an iterable of records, a mapping ``{source: raw_answer}`` or a list of raw
        answers (sources ``"#0"``, ``"#1"``, ...). For raw answers, ``service`` and ``model`` fill
        the documents table; without ``service`` an answer with ``errorId`` / ``solution`` is read
        as CapSolver, anything else as DocAI. ``dayfirst`` decides dates such as ``"11/02/2019"``
        where both of the first two parts are 12 or less (see :mod:`ocrframe._values`).

        >>> Extraction.from_responses([{"errorId": 0, "status": "ready",
        ...     "solution": {"text": "44795sds"}, "taskId": "t1"}]).texts["text"].tolist()
        ['44795sds']
        """
        builder = _Builder()
        for rec in _records_from(responses, service, model):
            builder.add(rec)
        return cls._from_arrow(builder.tables(dayfirst=dayfirst))

    @classmethod
    def from_records(
        cls, records: Iterable[DocumentRecord], *, dayfirst: bool = True
    ) -> Extraction:
        """Tables from the batch engine's records (the same as :meth:`from_responses`).

        >>> Extraction.from_records([]).documents.empty
        True
        """
        return cls.from_responses(records, dayfirst=dayfirst)

    @classmethod
    def _from_arrow(cls, tables: Mapping[str, pa.Table]) -> Extraction:
        return cls(*(_to_pandas(tables[name]) for name in TABLES))

    def to_arrow(self) -> dict[str, pa.Table]:
        """Every table as a :class:`pyarrow.Table` with its schema from :data:`SCHEMAS`.

        >>> Extraction.empty().to_arrow()["items"].schema.field("number").type
        Decimal128Type(decimal128(38, 10))
        """
        return {name: _to_arrow(getattr(self, name), name) for name in TABLES}

    @classmethod
    def concat(cls, parts: Sequence[Extraction]) -> Extraction:
        """One Extraction holding the rows of ``parts``, in order.

        >>> Extraction.concat([Extraction.empty(), Extraction.empty()]).equals(Extraction.empty())
        True
        """
        arrows = [p.to_arrow() for p in parts]
        return cls._from_arrow(
            {
                name: pa.concat_tables([a[name] for a in arrows])
                if arrows
                else SCHEMAS[name].empty_table()
                for name in TABLES
            }
        )

    def equals(self, other: object) -> bool:
        """True when every table has the same columns, dtypes and values, row for row.

        >>> Extraction.empty().equals(Extraction.empty())
        True
        """
        if not isinstance(other, Extraction):
            return False
        for name in TABLES:
            mine, theirs = getattr(self, name), getattr(other, name)
            if list(mine.columns) != list(theirs.columns) or list(mine.dtypes) != list(
                theirs.dtypes
            ):
                return False
            if not _to_arrow(mine, name).equals(_to_arrow(theirs, name)):
                return False
        return True

    def to_parquet(self, path: str | Path) -> None:
        """Write (or add) the tables to the Parquet dataset in folder ``path``.

        One sub-folder per table (``documents/``, ``fields/``, ...). A document already in the
        dataset (same source and sha256) is not written twice: see
        :class:`ocrframe._frames.dataset.ParquetDatasetWriter` for the rule.

        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as d:
        ...     Extraction.empty().to_parquet(d)
        """
        from ocrframe._frames.dataset import ParquetDatasetWriter

        with ParquetDatasetWriter(path) as writer:
            writer.append(self)

    def items_wide(self) -> pd.DataFrame:
        """One row per line item, one column per key the model returned, typed where possible.

        Index columns: ``source``, ``file_id``, ``item``, ``page`` (the smallest page of the item's
        cells). A key column is exact decimal when every non-null value parses as a number, else
        a date when every one parses as a date, else the raw strings. When a key appears twice in
        one item the first cell wins; the dropped cells are listed in
        ``.attrs["duplicate_keys"]`` (source, file_id, item, key, value). Cells without a key are
        left out. A key named like an index column gets the prefix ``key:``.

        >>> Extraction.empty().items_wide().columns.tolist()
        ['source', 'file_id', 'item', 'page']
        """
        return _wide(self.items, "item")

    def taxes_wide(self) -> pd.DataFrame:
        """One row per tax line, one column per key, typed as in :meth:`items_wide`.

        >>> Extraction.empty().taxes_wide().columns.tolist()
        ['source', 'file_id', 'tax', 'page']
        """
        return _wide(self.taxes, "tax")

    def __repr__(self) -> str:
        counts = ", ".join(f"{name}={len(getattr(self, name))}" for name in TABLES)
        return f"Extraction({counts})"


def _wide(long: pd.DataFrame, line: str) -> pd.DataFrame:
    ids = ["source", "file_id", line]
    table = _to_arrow(long, "items" if line == "item" else "taxes")
    table = table.filter(pc.is_valid(table.column("key")))
    index_schema = pa.schema(
        [SCHEMAS["items" if line == "item" else "taxes"].field(n) for n in [*ids, "page"]]
    )
    if table.num_rows == 0:
        empty = _to_pandas(index_schema.empty_table())
        empty.attrs["duplicate_keys"] = []
        return empty
    frame = pd.DataFrame(
        {
            "source": table.column("source").to_numpy(zero_copy_only=False),
            "file_id": table.column("file_id").to_numpy(zero_copy_only=False),
            line: table.column(line).to_numpy(zero_copy_only=False),
            "key": table.column("key").to_numpy(zero_copy_only=False),
        }
    )
    group = frame.groupby(ids, sort=False, dropna=False).ngroup().to_numpy()
    dup = frame.duplicated([*ids, "key"], keep="first").to_numpy()
    first_rows = np.unique(group, return_index=True)[1]
    n_groups = len(first_rows)
    page_min = (
        pd.Series(table.column("page").to_numpy(zero_copy_only=False), dtype="Float64")
        .groupby(group)
        .min()
        .to_numpy(dtype="float64", na_value=np.nan)
    )
    pages = pa.array(page_min, type=pa.float64(), from_pandas=True).cast(_i32)
    columns: dict[str, Any] = {
        "source": table.column("source").take(first_rows),
        "file_id": table.column("file_id").take(first_rows),
        line: table.column(line).take(first_rows),
        "page": pages,
    }
    schema_fields = list(index_schema)
    value = table.column("value")
    number = table.column("number")
    date_ = table.column("date")
    keys = frame["key"].to_numpy()
    for key in pd.unique(keys):
        mask = (keys == key) & ~dup
        rows = np.nonzero(mask)[0]
        positions = np.full(n_groups, -1, dtype=np.int64)
        positions[group[rows]] = rows
        take = pa.array(positions, mask=positions < 0)
        rows_a = pa.array(rows)
        present = value.take(rows_a)
        n_present = len(present) - present.null_count
        chosen = value
        if n_present and number.take(rows_a).null_count == present.null_count:
            chosen = number
        elif n_present and date_.take(rows_a).null_count == present.null_count:
            chosen = date_
        name = f"key:{key}" if key in columns or key in (*ids, "page") else str(key)
        columns[name] = chosen.take(take)
        schema_fields.append(pa.field(name, chosen.type))
    wide = _to_pandas(pa.Table.from_pydict(columns, schema=pa.schema(schema_fields)))
    dropped = np.nonzero(dup)[0]
    wide.attrs["duplicate_keys"] = [
        {
            "source": table.column("source")[i].as_py(),
            "file_id": table.column("file_id")[i].as_py(),
            line: table.column(line)[i].as_py(),
            "key": table.column("key")[i].as_py(),
            "value": value[i].as_py(),
        }
        for i in dropped
    ]
    return wide
