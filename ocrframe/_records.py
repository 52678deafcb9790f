"""What the batch engine hands the tables: one record per unit, and a summary per run.

One :class:`DocumentRecord` becomes one row of the ``documents`` table. For DocAI a unit is a
file; for CapSolver it is one page image of a file (``page`` set, 1-based). ``response`` is the raw
decoded answer exactly as the service sent it (the whole envelope), or None when there is none.
The flatteners (:mod:`ocrframe._frames`) derive every other table from ``response`` alone.
:class:`RunSummary` is what one run did, as ``.summary`` of the :class:`~ocrframe.Extraction`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from ocrframe._frames import Extraction
    from ocrframe.errors import OcrframeError

Service = Literal["docai", "capsolver"]
Status = Literal["ok", "failed", "pending"]

__all__ = ["MAX_FAILURES", "DocumentRecord", "RunSummary", "Service", "Status"]

#: Failed units (and failed checks) listed in a run summary (the tables have them all).
MAX_FAILURES = 1000


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


@dataclass(slots=True)
class RunSummary:
    """What one run did: documents rows by status, answers from the cache, requests made, and
    the failed units (``(source, error_code, error_message)``, the first
    ``MAX_FAILURES`` of them; the documents table has them all).

    Every result of :func:`ocrframe.extract` carries one as ``.summary``; an
    :class:`~ocrframe.Extraction` built otherwise has an empty one.

    >>> RunSummary(ok=2, failed=1).documents
    3
    """

    ok: int = 0
    failed: int = 0
    pending: int = 0
    cached: int = 0
    requests: int = 0
    #: Files answered here from their embedded e-invoice, not sent (``einvoice="local"``).
    read_locally: int = 0
    failures: list[tuple[str, str, str]] = field(default_factory=list)
    aborted: OcrframeError | None = None
    #: Documents with at least one failed check (``Extraction.checks()``), and the first few
    #: failed checks as ``(source, check, difference)``.
    checks_failed: int = 0
    check_failures: list[tuple[str, str, str]] = field(default_factory=list)
    #: Documents with at least one warning (``documents.warnings``), and the first few as
    #: ``(source, warnings joined by "; ")``.
    warned: int = 0
    warnings: list[tuple[str, str]] = field(default_factory=list)

    def tally(self, extraction: Extraction) -> None:
        """Count the failed checks and the warnings of (a chunk of) this run's documents."""
        checks = extraction.checks()
        failed = checks[checks["result"] == "fail"]
        self.checks_failed += int(failed["source"].nunique())
        for row in failed.itertuples(index=False):
            if len(self.check_failures) >= MAX_FAILURES:
                break
            self.check_failures.append((str(row.source), str(row.check), str(row.difference)))
        docs = extraction.documents
        for source, found in zip(docs["source"], docs["warnings"], strict=True):
            if found is None or len(found) == 0:
                continue
            self.warned += 1
            if len(self.warnings) < MAX_FAILURES:
                self.warnings.append((str(source), "; ".join(str(w) for w in found)))

    @property
    def documents(self) -> int:
        """Rows this run added to ``documents``."""
        return self.ok + self.failed + self.pending
