"""One module per wire format: request building, envelope checks, typed errors, and reading.

Each service's answers are read in one place only (``_docai_answers``, ``_capsolver_answers``):
:func:`read` turns a raw answer into a :class:`Reading` for whichever service sent it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ocrframe.services import _capsolver_answers, _docai_answers
from ocrframe.services._reading import MALFORMED, Cells, Reading, Status

__all__ = [
    "MALFORMED",
    "NO_ANSWER",
    "SERVICES",
    "Cells",
    "Reading",
    "Status",
    "guess_service",
    "read",
]

_READERS: dict[str, Callable[[dict[str, Any]], Reading]] = {
    "docai": _docai_answers.read_answer,
    "capsolver": _capsolver_answers.read_answer,
}

#: The services ocrframe speaks, by name.
SERVICES: tuple[str, ...] = tuple(_READERS)

#: ``error_code`` of a unit that got no answer at all (and no error code of its own).
NO_ANSWER = "no_answer"


def read(service: str, answer: object) -> Reading:
    """What ``answer`` says, read by ``service``'s reader; never raises.

    No answer at all (``None``) is ``failed`` with code ``no_answer``; anything but a JSON
    object, or an answer its reader cannot get through, is ``failed`` / ``malformed_answer``.

    >>> read("capsolver", {"errorId": 0, "status": "processing", "taskId": "t"}).status
    'pending'
    >>> read("docai", None).error_code
    'no_answer'
    """
    if answer is None:
        return Reading().failed(NO_ANSWER)
    if type(answer) is not dict:
        reading = Reading(notes=[f"not a JSON object ({type(answer).__name__})"])
        return reading.failed(MALFORMED)
    try:
        return _READERS[service](answer)
    # Reading must never raise on an answer, whatever its shape.
    except Exception as exc:
        return Reading(notes=[f"unreadable answer ({type(exc).__name__})"]).failed(MALFORMED)


def guess_service(answer: object) -> str:
    """The service whose answer ``answer`` looks like (``"docai"`` unless it is CapSolver's).

    >>> guess_service({"errorId": 0, "solution": {"text": "x"}})
    'capsolver'
    """
    return "capsolver" if _capsolver_answers.looks_like(answer) else "docai"
