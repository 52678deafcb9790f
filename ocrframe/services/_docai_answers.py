"""DocAI's answers, read: the only code that looks inside an identify / identifyResult answer.

Pure functions on decoded JSON (no HTTP): the status of an answer, its ids, the per-file
answers of an identifyResult list, the shape problems of a ``result``, and
:func:`read_answer`, which turns one answer into a :class:`~ocrframe.services._reading.Reading`
for the tables and the batch engine.

How an answer is read (never raising):

- ``status`` is what the service said: ``code`` 200 with ``recognizeStatus`` ``"1"`` is ``ok``,
  ``"2"`` ``pending``, ``"0"`` ``failed`` (error_code ``recognition_failed``); a ``code`` other
  than 200 is ``failed`` with that code and message. An answer of no known shape is ``failed``
  with error_code ``malformed_answer``.
- Whatever part of an answer can be read is read; each departure from the documented shape (a
  ``fieldList`` / ``itemList`` / item that is not a list, a cell that is not an object, a missing
  key, a ``pageNumber`` that is not a positive integer, a value neither string nor null, a key
  repeated within one item, an unknown ``recognizeStatus``, ...) is a note with its path
  (``data.result.itemList[1][2].pageNumber: ...``).
- A cell is kept whenever it is an object: a missing key gives ``key`` null, a bad
  ``pageNumber`` gives ``page`` null (a digit string such as ``"2"`` is read as 2), a number value
  is kept as its JSON text, ``true`` as ``"true"``, an object or list as compact JSON. A missing
  or null ``fieldList`` / ``itemList`` / ``taxList`` is simply empty (the API marks them
  optional). An item that is a single cell object instead of a list is read as a one-cell item.
  Line numbers are the 0-based positions in ``itemList`` / ``taxList`` (as in the notes' paths).
"""

from __future__ import annotations

from typing import Any, Literal

from ocrframe.errors import ResponseFormatError
from ocrframe.services._http import describe
from ocrframe.services._reading import MALFORMED, Cells, Reading, short, text_of

__all__ = [
    "LOCAL_MARK",
    "RECOGNITION_FAILED",
    "SERVICE",
    "RecognitionStatus",
    "file_id_of",
    "local_answer",
    "looks_like",
    "pending_answer",
    "per_file_answers",
    "read_answer",
    "recognition_status",
    "result_entries",
    "result_problems",
]

SERVICE = "docai"
#: ``error_code`` of a file the service could not recognise (``recognizeStatus`` ``"0"``).
RECOGNITION_FAILED = "recognition_failed"

#: The envelope key of an answer ocrframe made itself instead of asking the service (not part of
#: DocAI's wire format; its value says what was read, e.g. ``"einvoice-xml"``).
LOCAL_MARK = "ocrframeReadLocally"

RecognitionStatus = Literal["ok", "failed", "pending"]
_STATUSES: dict[str, RecognitionStatus] = {"1": "ok", "0": "failed", "2": "pending"}


def recognition_status(envelope_or_data: dict[str, Any]) -> RecognitionStatus:
    """``"ok"``, ``"failed"`` or ``"pending"`` from ``recognizeStatus`` ("1", "0", "2").

    Accepts a whole envelope (its ``data`` must be one object) or a ``data`` object / one item of
    an identifyResult list.

    >>> recognition_status({"code": 200, "data": {"fileId": "f", "recognizeStatus": "2"}})
    'pending'
    >>> recognition_status({"fileId": "f", "recognizeStatus": "0"})
    'failed'
    """
    data: object = envelope_or_data
    if isinstance(data, dict) and "recognizeStatus" not in data and "data" in data:
        data = data["data"]
    if not isinstance(data, dict):
        raise ResponseFormatError(
            f"data is {describe(data)}, expected an object with recognizeStatus",
            service=SERVICE,
        )
    value = data.get("recognizeStatus")
    status = _STATUSES.get(str(value)) if isinstance(value, str | int) else None
    if status is None or isinstance(value, bool):
        raise ResponseFormatError(
            f"recognizeStatus is {value!r}, expected '0', '1' or '2'", service=SERVICE
        )
    return status


def file_id_of(answer: dict[str, Any]) -> str | None:
    """The ``data.fileId`` of an identify answer, or None when it has none (or an empty one).

    Never raises: callers use it on answers already checked by the client, and on cached ones
    written before, where a missing id only means "nothing to collect".

    >>> file_id_of({"code": 200, "data": {"fileId": "f-1", "recognizeStatus": "2"}})
    'f-1'
    >>> file_id_of({"code": 200, "data": [{"fileId": "f-1"}]}) is None
    True
    """
    data = answer.get("data")
    if isinstance(data, dict):
        value = data.get("fileId")
        return value if isinstance(value, str) and value else None
    return None


def result_entries(answer: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The items of an identifyResult answer's ``data`` list keyed by ``fileId``, as received.

    Items that are not objects or carry no string ``fileId`` are skipped; a later item with the
    same ``fileId`` wins. Anything but a list in ``data`` gives ``{}``.

    >>> result_entries({"code": 200, "data": [{"fileId": "a", "recognizeStatus": "1"}]})
    {'a': {'fileId': 'a', 'recognizeStatus': '1'}}
    """
    data = answer.get("data")
    entries: dict[str, dict[str, Any]] = {}
    if isinstance(data, list):
        for item in data:
            if isinstance(item, dict) and isinstance(item.get("fileId"), str):
                entries[item["fileId"]] = item
    return entries


def per_file_answers(answer: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """An identifyResult answer split into one identify-shaped answer per file, keyed by fileId.

    Each keeps the envelope (code, requestId, ...) with ``data`` narrowed to that file's entry,
    so the cache and the flatteners see the same shape whichever way an answer was collected.

    >>> per_file_answers({"code": 200, "data": [{"fileId": "a", "recognizeStatus": "1"}]})
    {'a': {'code': 200, 'data': {'fileId': 'a', 'recognizeStatus': '1'}}}
    """
    return {fid: {**answer, "data": item} for fid, item in result_entries(answer).items()}


def pending_answer(file_id: str) -> dict[str, Any]:
    """The identify answer of a file still being recognised (``recognizeStatus`` "2").

    What stands for a submission whose result is not in yet, e.g. one made by an earlier run.

    >>> pending_answer("f-1")
    {'data': {'fileId': 'f-1', 'recognizeStatus': '2'}}
    """
    return {"data": {"fileId": file_id, "recognizeStatus": "2"}}


def _cell_problems(cell: object, path: str) -> list[str]:
    if not isinstance(cell, dict):
        return [f"{path} is {describe(cell)}, expected an object"]
    problems = []
    page = cell.get("pageNumber")
    if "pageNumber" in cell and (not isinstance(page, int) or isinstance(page, bool)):
        problems.append(f"{path}.pageNumber is {describe(page)}, expected an integer")
    for key in ("key", "value"):
        if key in cell and not isinstance(cell[key], str):
            problems.append(f"{path}.{key} is {describe(cell[key])}, expected a string")
    return problems


def result_problems(result: object, path: str = "data.result") -> list[str]:
    """Every way ``result`` departs from the documented shape, as path messages (no raising).

    ``fieldList`` is a list of ``{pageNumber: int, key: str, value: str}``; ``itemList`` and
    ``taxList`` are lists of such lists. Absent lists are fine (the doc marks them optional).

    >>> result_problems({"fieldList": [{"pageNumber": "1", "key": "k", "value": 3}]})
    ['data.result.fieldList[0].pageNumber is a string, expected an integer', \
'data.result.fieldList[0].value is an integer, expected a string']
    >>> result_problems({"fieldList": None})
    ['data.result.fieldList is null, expected a list']
    """
    if result is None:
        return []
    if not isinstance(result, dict):
        return [f"{path} is {describe(result)}, expected an object"]
    problems: list[str] = []
    if "fieldList" in result:
        fields = result["fieldList"]
        if not isinstance(fields, list):
            problems.append(f"{path}.fieldList is {describe(fields)}, expected a list")
        else:
            for i, cell in enumerate(fields):
                problems += _cell_problems(cell, f"{path}.fieldList[{i}]")
    for name in ("itemList", "taxList"):
        if name not in result:
            continue
        rows = result[name]
        if not isinstance(rows, list):
            problems.append(f"{path}.{name} is {describe(rows)}, expected a list")
            continue
        for i, row in enumerate(rows):
            if not isinstance(row, list):
                problems.append(f"{path}.{name}[{i}] is {describe(row)}, expected a list")
                continue
            for j, cell in enumerate(row):
                problems += _cell_problems(cell, f"{path}.{name}[{i}][{j}]")
    return problems


def looks_like(answer: object) -> bool:
    """True when ``answer`` is shaped like a DocAI answer rather than a CapSolver one.

    >>> looks_like({"code": 200, "data": {}}), looks_like({"errorId": 0, "solution": {}})
    (True, False)
    """
    return not (isinstance(answer, dict) and ("errorId" in answer or "solution" in answer))


# --------------------------------------------------------------------------- reading


def local_answer(result: dict[str, Any], *, file_id: str, read_from: str) -> dict[str, Any]:
    """An identify answer for a file read on this machine instead of by the service.

    Shaped like the service's own (so the cache, the tables and the batch engine treat it like
    any answer), without a ``requestId`` (no request was made), and marked with
    :data:`LOCAL_MARK` = ``read_from``, which the documents table shows as ``read_locally``.

    >>> local_answer({"fieldList": []}, file_id="local-1", read_from="einvoice-xml")["data"]
    {'fileId': 'local-1', 'recognizeStatus': '1', 'result': {'fieldList': []}}
    """
    return {
        "code": 200,
        "data": {"fileId": file_id, "recognizeStatus": "1", "result": result},
        LOCAL_MARK: read_from,
    }


def read_answer(answer: dict[str, Any]) -> Reading:
    """Read one DocAI answer (envelope, ``data`` object or bare ``result``) into a Reading.

    >>> r = read_answer({"code": 200, "data": {"fileId": "f1", "recognizeStatus": "1",
    ...     "result": {"fieldList": [{"pageNumber": 1, "key": "k", "value": "v"}]}}})
    >>> r.status, r.file_id, r.fields.keys
    ('ok', 'f1', ['k'])
    """
    out = Reading()
    notes = out.notes
    path = ""
    data: Any
    resp = answer
    mark = resp.get(LOCAL_MARK)
    out.read_locally = None if mark is None else str(mark)
    if "code" in resp or "requestId" in resp or "data" in resp:
        rid = resp.get("requestId")
        out.request_id = None if rid is None else str(rid)
        code = resp.get("code")
        if code not in (200, "200"):
            if code is None:
                notes.append("code: missing")
            else:
                message = resp.get("message")
                out.failed(str(code), None if message is None else str(message))
        data = resp.get("data")
        path = "data."
        if type(data) is list:
            # identifyResult answers with a list; one record is one file.
            if len(data) != 1:
                notes.append(f"data: a list of {len(data)} results (the first one read)")
            data = next((d for d in data if type(d) is dict), None)
        if data is None:
            if out.status == "ok":
                out.failed(MALFORMED)
                notes.append("data: missing")
            return out
        if type(data) is not dict:
            notes.append(f"data: not an object ({type(data).__name__})")
            out.status = "failed"
            if out.error_code is None:
                out.error_code = MALFORMED
            return out
    elif "result" in resp or "recognizeStatus" in resp or "fileId" in resp:
        data = resp
    elif "fieldList" in resp or "itemList" in resp or "taxList" in resp:
        data = {"result": resp, "recognizeStatus": "1"}
        path = "<result>"
    else:
        keys = ", ".join(sorted(str(k) for k in resp)[:8])
        notes.append(f"not a DocAI answer (keys: {keys})")
        return out.failed(MALFORMED)
    fid = data.get("fileId")
    out.file_id = None if fid is None else str(fid)
    rs = data.get("recognizeStatus")
    out.recognize_status = None if rs is None else str(rs)
    result = data.get("result")
    if out.status == "ok":
        if rs in ("1", 1):
            pass
        elif rs in ("2", 2):
            out.status = "pending"
        elif rs in ("0", 0):
            # failReason is not DocAI's (the embedded engine adds it): said when there.
            why = data.get("failReason")
            reason = f" ({why[:200]})" if isinstance(why, str) and why else ""
            out.failed(RECOGNITION_FAILED, f"recognizeStatus 0: recognition failed{reason}")
        elif rs is None and type(result) is dict:
            notes.append(f"{path}recognizeStatus: missing")
        else:
            what = "missing" if rs is None else f"unknown value {short(rs)}"
            notes.append(f"{path}recognizeStatus: {what}")
            out.failed(MALFORMED)
    if path == "<result>":
        path = ""
    elif result is None:
        if out.status == "ok":
            notes.append(f"{path}result: missing")
        return out
    else:
        path = f"{path}result."
    if type(result) is not dict:
        notes.append(f"{path.rstrip('.')}: not an object ({type(result).__name__})")
        return out
    out.fields = _fields(result.get("fieldList"), f"{path}fieldList", notes)
    out.items = _lines(result.get("itemList"), f"{path}itemList", notes)
    out.taxes = _lines(result.get("taxList"), f"{path}taxList", notes)
    return out


def _fields(cells: Any, path: str, notes: list[str]) -> Cells | None:
    if cells is None:
        return None
    if type(cells) is not list:
        notes.append(f"{path}: not a list ({type(cells).__name__})")
        return None
    out = Cells()
    count = _read_cells(cells, path, out, notes)
    if count:
        out.lines.append(0)
        out.counts.append(count)
    return out


def _lines(lines: Any, path: str, notes: list[str]) -> Cells | None:
    if lines is None:
        return None
    if type(lines) is not list:
        notes.append(f"{path}: not a list ({type(lines).__name__})")
        return None
    out = Cells()
    r_idx, r_len, keys = out.lines.append, out.counts.append, out.keys
    for n, line in enumerate(lines):
        if type(line) is not list:
            if type(line) is dict and ("key" in line or "value" in line):
                notes.append(f"{path}[{n}]: a single object, not a list (read as one cell)")
                line = [line]
            else:
                if line is not None:
                    notes.append(f"{path}[{n}]: not a list ({type(line).__name__})")
                continue
        count = _read_cells(line, f"{path}[{n}]", out, notes)
        # One set per line instead of a membership test per cell: duplicates are rare.
        if count:
            r_idx(n)
            r_len(count)
            if count > 1 and len(set(keys[-count:])) < count:
                _note_duplicates(line, keys[-count:], f"{path}[{n}]", notes)
    return out


def _read_cells(cells: list[Any], path: str, out: Cells, notes: list[str]) -> int:
    """Append the cells of one list to the columns; returns how many were appended.

    The hot loop of reading (every cell of every answer): a cell of the documented shape costs
    three lookups and three appends; anything else takes the slow path in _fix_cell.
    """
    a_page, a_key, a_value = out.pages.append, out.keys.append, out.values.append
    start = len(out.keys)
    for i, cell in enumerate(cells):
        if type(cell) is not dict:
            notes.append(f"{path}[{i}]: not an object ({type(cell).__name__})")
            continue
        page = cell.get("pageNumber")
        key = cell.get("key")
        value = cell.get("value")
        if (
            type(page) is not int
            or page < 1
            or page > PAGE_MAX
            or type(key) is not str
            or (type(value) is not str and value is not None)
        ):
            page, key, value = _fix_cell(cell, f"{path}[{i}]", notes)
        a_page(page)
        a_key(key)
        a_value(value)
    return len(out.keys) - start


#: The largest page number a table holds (its ``page`` column is a 32-bit integer): a larger one
#: (10**30, 2**31, 1e300 in a hostile answer) is noted and left null, like any unreadable one.
PAGE_MAX = 2**31 - 1


def _fix_cell(cell: dict[str, Any], path: str, notes: list[str]) -> tuple[int | None, Any, Any]:
    """The slow path for a cell that is not exactly {pageNumber: int>0, key: str, value: str}."""
    page: Any = cell.get("pageNumber")
    if type(page) is not int or not 1 <= page <= PAGE_MAX:
        fixed: int | None = None
        if (isinstance(page, str) and page.strip().isdigit() and len(page.strip()) < 12) or (
            isinstance(page, float) and page.is_integer()
        ):
            fixed = int(page)
        if fixed is None or not 1 <= fixed <= PAGE_MAX:
            fixed = None
            huge = isinstance(page, int | float) and not isinstance(page, bool) and page > PAGE_MAX
            what = (
                "missing"
                if "pageNumber" not in cell
                else f"past page {PAGE_MAX:,} ({short(page)})"
                if huge
                else f"not a positive integer ({short(page)})"
            )
            notes.append(f"{path}.pageNumber: {what}")
        page = fixed
    key: Any = cell.get("key")
    if type(key) is not str:
        if key is None:
            notes.append(f"{path}.key: missing")
        else:
            notes.append(f"{path}.key: not a string ({short(key)})")
            key = text_of(key)
    value: Any = cell.get("value")
    if value is not None and type(value) is not str:
        notes.append(f"{path}.value: not a string ({type(value).__name__})")
        value = text_of(value)
    return page, key, value


def _note_duplicates(line: list[Any], keys: list[Any], path: str, notes: list[str]) -> None:
    positions = [i for i, cell in enumerate(line) if type(cell) is dict]
    seen: set[Any] = set()
    for i, key in zip(positions, keys, strict=True):
        if key is not None and key in seen:
            notes.append(f"{path}[{i}].key: {key!r} repeated within the line")
        seen.add(key)
