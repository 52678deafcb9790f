"""What the batch engine knows about one submitted unit, handed to the flatteners.

One :class:`DocumentRecord` becomes one row of the ``documents`` table. For DocAI a unit is a
file; for CapSolver it is one page image of a file (``page`` set, 1-based). ``response`` is the raw
decoded answer exactly as the service sent it (the whole envelope), or None when there is none.
The flatteners in ``frames.py`` derive every other table from ``response`` alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

Service = Literal["docai", "capsolver"]
Status = Literal["ok", "failed", "pending"]


@dataclass(slots=True)
class DocumentRecord:
    """One submitted file (DocAI) or page image (CapSolver) and what became of it."""

    source: str
    service: Service
    model: str | None = None
    sha256: str | None = None
    bytes: int | None = None
    # CapSolver: the page of ``source`` this image is (1-based); None for a single image / DocAI.
    page: int | None = None
    # Number of pages of the file, when known.
    pages: int | None = None
    response: dict[str, Any] | None = None
    # Set when the unit failed before or without a usable answer (input error, service error).
    error_code: str | None = None
    error_message: str | None = None
    attempts: int = 0
    cached: bool = False
    submitted_at: datetime | None = None
    elapsed_s: float | None = None
    # Options that shaped the request (pages, workspace, asynchronous, score, case), for the record.
    options: dict[str, Any] = field(default_factory=dict)
