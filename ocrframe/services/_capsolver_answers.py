"""CapSolver's answers, read: the only code that looks inside a createTask / getTaskResult answer.

:func:`read_answer` turns one answer into a :class:`~ocrframe.services._reading.Reading` for the
tables and the batch engine, never raising: ``errorId`` 0 with ``status`` ``ready`` is ``ok``,
``processing`` / ``idle`` ``pending``, an ``errorId`` other than 0 ``failed`` with its
``errorCode`` and ``errorDescription``; an answer of no known shape is ``failed`` with
error_code ``malformed_answer``. The text is ``solution.text`` (or each of
``solution.answers``).
"""

from __future__ import annotations

from typing import Any

from ocrframe.services._reading import MALFORMED, Reading, short, text_of

__all__ = ["looks_like", "read_answer"]


def looks_like(answer: object) -> bool:
    """True when ``answer`` is shaped like a CapSolver answer (``errorId`` or ``solution``).

    >>> looks_like({"errorId": 0, "status": "ready"}), looks_like({"code": 200})
    (True, False)
    """
    return isinstance(answer, dict) and ("errorId" in answer or "solution" in answer)


def read_answer(answer: dict[str, Any]) -> Reading:
    """Read one CapSolver createTask / getTaskResult answer.

    >>> r = read_answer({"errorId": 0, "status": "ready", "taskId": "t1",
    ...     "solution": {"text": "44795sds"}})
    >>> r.status, r.task_id, r.texts
    ('ok', 't1', ['44795sds'])
    """
    out = Reading()
    notes = out.notes
    resp = answer
    tid = resp.get("taskId")
    out.task_id = None if tid is None else str(tid)
    error_id = resp.get("errorId")
    if error_id not in (0, "0", None):
        code = resp.get("errorCode")
        description = resp.get("errorDescription")
        return out.failed(
            str(code) if code else f"errorId {error_id}",
            None if description is None else str(description),
        )
    if error_id is None:
        notes.append("errorId: missing")
    status = resp.get("status")
    solution = resp.get("solution")
    if status in ("processing", "idle"):
        out.status = "pending"
        return out
    if status != "ready":
        if type(solution) is dict:
            notes.append(f"status: {'missing' if status is None else short(status)}")
        else:
            notes.append(f"not a CapSolver answer (status {short(status)}, no solution)")
            return out.failed(MALFORMED)
    if type(solution) is not dict:
        notes.append("solution: missing" if solution is None else "solution: not an object")
        return out
    texts: list[Any]
    if "text" in solution:
        texts = [solution["text"]]
    elif type(solution.get("answers")) is list:
        texts = solution["answers"]
    else:
        notes.append("solution.text: missing")
        texts = []
    out.texts = [text_of(text) for text in texts]
    return out
