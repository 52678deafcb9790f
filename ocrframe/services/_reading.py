"""A reading: what one raw answer says, typed, so that no one else reads the wire format.

Each service module has a pure ``read_answer(answer) -> Reading``: the only code that looks at
that service's envelope, status and cells. The tables (:mod:`ocrframe._frames`) lay readings
out as columns; the batch engine asks a reading for the status and the ids. Reading never
raises: each departure from the documented shape is a note (with the path where it was found),
and whatever part of an answer can be read is read.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

__all__ = ["MALFORMED", "MAX_NOTES", "Cells", "Reading", "Status", "short", "text_of"]

Status = Literal["ok", "failed", "pending"]

#: ``error_code`` of an answer that is not of the documented shape.
MALFORMED = "malformed_answer"
#: Notes shown in a documents row's ``error_message`` (the rest are counted).
MAX_NOTES = 5


@dataclass(slots=True)
class Cells:
    """Cells of one list, column by column, in runs: run ``r`` is ``counts[r]`` cells of line
    ``lines[r]`` (always 0 for a flat list such as DocAI's fields)."""

    lines: list[int] = field(default_factory=list)
    counts: list[int] = field(default_factory=list)
    pages: list[int | None] = field(default_factory=list)
    keys: list[str | None] = field(default_factory=list)
    values: list[str | None] = field(default_factory=list)


@dataclass(slots=True)
class Reading:
    """What one answer says: status, ids, error, and its cells with their pages.

    ``status`` is ``ok``, ``failed`` or ``pending`` as the service said it; ``notes`` are the
    departures from the documented shape (their summary goes to ``error_message``, and
    ``error_code`` becomes :data:`MALFORMED` when nothing more specific is known).
    """

    status: Status = "ok"
    file_id: str | None = None
    task_id: str | None = None
    request_id: str | None = None
    recognize_status: str | None = None
    error_code: str | None = None
    error_message: str | None = None
    notes: list[str] = field(default_factory=list)
    fields: Cells | None = None
    items: Cells | None = None
    taxes: Cells | None = None
    texts: list[str | None] | None = None
    #: Not None when no service answered: ocrframe read the file itself (``"einvoice-xml"``: its
    #: embedded e-invoice) and did not send it.
    read_locally: str | None = None

    @property
    def id(self) -> str | None:
        """The service's id for this unit (DocAI's file id, CapSolver's task id)."""
        return self.file_id if self.file_id is not None else self.task_id

    def failed(self, code: str, message: str | None = None) -> Reading:
        """Mark this reading failed with ``code`` (and ``message``); returns it."""
        self.status = "failed"
        self.error_code = code
        if message is not None:
            self.error_message = message
        return self

    def notes_summary(self) -> str | None:
        """The notes as one message (the first :data:`MAX_NOTES`, then how many more)."""
        if not self.notes:
            return None
        shown = "; ".join(self.notes[:MAX_NOTES])
        more = len(self.notes) - MAX_NOTES
        return f"{shown}; (+{more} more)" if more > 0 else shown


def text_of(value: Any) -> str | None:
    """A cell value as the string it stands for (JSON text for anything not a string).

    >>> text_of(154.06), text_of(True), text_of({"a": 1}), text_of(None)
    ('154.06', 'true', '{"a":1}', None)
    """
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


def short(value: Any) -> str:
    """``repr(value)`` cut to 40 characters, for a note."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
