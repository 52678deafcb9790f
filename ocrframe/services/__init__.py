"""One module per wire format: request building, envelope checks, typed errors, and reading.

Per service: the client (``docai.py``, ``capsolver.py``), the reader of its answers
(``_docai_answers.py``, ``_capsolver_answers.py``) and its adapter for the batch engine
(``_docai_batch.py``, ``_capsolver_batch.py``). :data:`ADAPTERS` is every service the batch
engine can use; :func:`read` turns a raw answer into a :class:`Reading` for whichever service
sent it.
"""

from __future__ import annotations

from ocrframe.errors import ConfigurationError
from ocrframe.services import _capsolver_answers
from ocrframe.services._adapter import ModelInfo, ServiceAdapter
from ocrframe.services._capsolver_batch import CAPSOLVER
from ocrframe.services._docai_batch import DOCAI
from ocrframe.services._reading import MALFORMED, Cells, Reading, Status

__all__ = [
    "ADAPTERS",
    "MALFORMED",
    "NO_ANSWER",
    "SERVICES",
    "Cells",
    "ModelInfo",
    "Reading",
    "ServiceAdapter",
    "Status",
    "adapter",
    "guess_service",
    "read",
]

#: Every service, by name (the first is the default).
_ALL: tuple[ServiceAdapter, ...] = (DOCAI, CAPSOLVER)
ADAPTERS: dict[str, ServiceAdapter] = {adapter.name: adapter for adapter in _ALL}

#: The services ocrframe speaks, by name.
SERVICES: tuple[str, ...] = tuple(ADAPTERS)

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
        return ADAPTERS[service].read(answer)
    # Reading must never raise on an answer, whatever its shape.
    except Exception as exc:
        return Reading(notes=[f"unreadable answer ({type(exc).__name__})"]).failed(MALFORMED)


def guess_service(answer: object) -> str:
    """The service whose answer ``answer`` looks like (``"docai"`` unless it is CapSolver's).

    >>> guess_service({"errorId": 0, "solution": {"text": "x"}})
    'capsolver'
    """
    return "capsolver" if _capsolver_answers.looks_like(answer) else "docai"


def adapter(service: str) -> ServiceAdapter:
    """The adapter of ``service``; a :class:`~ocrframe.errors.ConfigurationError` if none.

    >>> adapter("docai").display_name
    'DocAI'
    """
    found = ADAPTERS.get(service) if isinstance(service, str) else None
    if found is None:
        names = " or ".join(repr(name) for name in ADAPTERS)
        raise ConfigurationError(f"service must be {names}, not {service!r}")
    return found
