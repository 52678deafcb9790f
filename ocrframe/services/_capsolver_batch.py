"""CapSolver for the batch engine: its adapter.

A unit is one image: an image file, or one page of a PDF or multi-page TIFF rendered at
:data:`PAGE_DPI` (one request and one ``texts`` row per page). The client itself polls a
``processing`` task with getTaskResult, so an answer is final when it comes back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ocrframe._documents import MULTI_PAGE_KINDS
from ocrframe.services._adapter import AdapterBase, Answer, ModelInfo, RunHooks, UnitOptions
from ocrframe.services._capsolver_answers import read_answer
from ocrframe.services._reading import Reading
from ocrframe.services.capsolver import SERVICE, AsyncCapSolverClient

__all__ = ["CAPSOLVER", "MODULES", "PAGE_DPI", "CapSolverAdapter", "CapSolverSession"]

#: Rendering resolution of PDF pages sent to CapSolver.
PAGE_DPI = 200

#: CapSolver has no call that lists its ImageToTextTask modules: these are the ones its docs name
#: (and the ones the embedded engine implements), with what each is for.
MODULES: tuple[tuple[str, str], ...] = (
    ("common", "general text images (the default)"),
    ("queueit", "Queue-it text images"),
)


class CapSolverSession:
    """One run's CapSolver submissions (nothing runs in the background, nothing is read here)."""

    reads_locally = False
    local_key_options: dict[str, Any] = {}  # noqa: RUF012

    def read_locally(self, content: bytes, *, kind: str, unit_id: str) -> Answer | None:
        """Every image goes to the service."""
        return None

    def __init__(self, client: AsyncCapSolverClient, options: UnitOptions) -> None:
        self._client = client
        self._options = options

    async def submit(self, content: bytes, *, source: str) -> Answer:
        """createTask (ImageToTextTask) for one image; the client waits for ``ready``."""
        options = self._options
        return await self._client.image_to_text(
            content, module=options.model, score=options.score, case=options.case, source=source
        )

    async def settle(self, answer: Answer) -> Answer:
        """The client's answer is final."""
        return answer

    async def collect(self, unit_id: str) -> Answer | None:
        """Nothing is left running between runs."""
        return None

    def deferred(self, answer: Answer) -> bool:
        """Nothing is collected in the background."""
        return False

    def placeholder(self, unit_id: str) -> Answer:
        """Not used: nothing is left running."""
        return {}

    async def close(self) -> None:
        """Nothing to finish."""

    async def cancel(self) -> None:
        """Nothing to stop."""


class CapSolverAdapter(AdapterBase):
    """CapSolver as the batch engine sees it (see
    :class:`~ocrframe.services._adapter.ServiceAdapter`)."""

    name = SERVICE
    client_class = AsyncCapSolverClient
    display_name = "CapSolver"
    lists_models = False
    page_dpi: int | None = PAGE_DPI

    def model_for(self, model: str | None, *, embedded: bool) -> str | None:
        """The module as given (the service's default when None)."""
        return model

    def splits(self, kind: str) -> bool:
        """PDFs and multi-page TIFFs are sent page by page."""
        return kind in MULTI_PAGE_KINDS

    def key_options(self, options: UnitOptions, host: str, *, rendered: bool) -> dict[str, Any]:
        """Who answers, score and case, and the rendering of a page image."""
        return {
            "host": host,
            "score": options.score,
            "case": options.case,
            # A page image rendered from a PDF depends on the rendering, not only on the file.
            "render_dpi": PAGE_DPI if rendered else None,
        }

    def record_options(self, options: UnitOptions) -> dict[str, Any]:
        """Score and case, as asked."""
        return {"score": options.score, "case": options.case}

    def session(self, client: Any, options: UnitOptions, run: RunHooks) -> CapSolverSession:
        """A CapSolver session for one run."""
        return CapSolverSession(client, options)

    async def list_models(self, client: Any) -> list[Answer]:
        """CapSolver has no list of its modules."""
        return []

    def models(self, listed: Sequence[Mapping[str, Any]] = ()) -> list[ModelInfo]:
        """Its ImageToTextTask modules (:data:`MODULES`), whatever was listed."""
        return [ModelInfo(module, "", description) for module, description in MODULES]

    def read(self, answer: Answer) -> Reading:
        """:func:`~ocrframe.services._capsolver_answers.read_answer`."""
        return read_answer(answer)


CAPSOLVER = CapSolverAdapter()
