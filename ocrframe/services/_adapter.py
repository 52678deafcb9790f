"""The service adapter: all the batch engine knows of a service.

A service is one module of ``services/`` plus an adapter object satisfying
:class:`ServiceAdapter`: how to make its client, which options change its answers (the cache
key), how one unit is submitted and, when the service answers "still working", collected later,
and how an answer is read. The batch engine holds no ``if service == ...`` and no field name;
adding a third service means one new module and one entry in :data:`ocrframe.services.ADAPTERS`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, NamedTuple, Protocol

import httpx

from ocrframe.errors import OcrframeError, RetryableServiceError
from ocrframe.services._reading import Reading

__all__ = [
    "AdapterBase",
    "Answer",
    "AnswerRefused",
    "ModelInfo",
    "RunHooks",
    "ServiceAdapter",
    "ServiceClient",
    "ServiceSession",
    "StillRunning",
    "UnitOptions",
]

Answer = dict[str, Any]


class ModelInfo(NamedTuple):
    """A model (DocAI) or module (CapSolver) one can ask for: its id, its name, what it is for."""

    id: str
    name: str = ""
    description: str = ""


class StillRunning(Exception):
    """The service is still working on a unit when the wait ended: the unit is ``pending``.

    Not an error and never retried; ``answer`` is the last answer (it carries the id to collect
    the result with later).
    """

    def __init__(self, answer: Answer) -> None:
        super().__init__("still recognising")
        self.answer = answer


class AnswerRefused(RetryableServiceError):
    """An answer that says the unit could not be done (e.g. DocAI's recognition failed).

    Retryable within the unit's budget; ``answer`` is the answer, kept for the documents row.
    """

    def __init__(self, answer: Answer, message: str, *, service: str, code: str) -> None:
        super().__init__(message, service=service, code=code)
        self.answer = answer


class ServiceClient(Protocol):
    """What the batch engine uses of a service's async client (both clients have it)."""

    @property
    def base_url(self) -> str:
        """The base URL requests go to."""
        ...

    uses_embedded_engine: bool

    async def aclose(self) -> None:
        """Close the connection pool."""
        ...


class UnitOptions(Protocol):
    """The options of a run an adapter reads (the batch engine's frozen options type)."""

    @property
    def model(self) -> str | None: ...
    @property
    def pages_text(self) -> str | None: ...
    @property
    def workspace(self) -> str | None: ...
    @property
    def asynchronous(self) -> bool: ...
    @property
    def score(self) -> float | None: ...
    @property
    def case(self) -> bool | None: ...
    @property
    def poll_interval(self) -> float: ...
    @property
    def poll_timeout(self) -> float: ...
    @property
    def pages(self) -> tuple[int, ...] | None: ...
    @property
    def einvoice(self) -> str: ...


class RunHooks(Protocol):
    """What a session may ask of the run it serves."""

    @property
    def stopped(self) -> OcrframeError | None:
        """The run-fatal error that stopped the run, if one did."""
        ...

    def abort(self, exc: OcrframeError) -> None:
        """Stop the run: a run-fatal error (bad key, no balance) came back."""

    async def call_with_retries(
        self, call: Callable[[], Awaitable[Answer]], *, attempts: list[int] | None
    ) -> Answer:
        """``call()`` under the run's concurrency, rate limit and retry budget."""
        ...


class ServiceSession(Protocol):
    """One run's dealings with a service (a DocAI session holds its identifyResult poller)."""

    async def submit(self, content: bytes, *, source: str) -> Answer:
        """Send one unit (one attempt); return the answer, checked by the client."""
        ...

    async def settle(self, answer: Answer) -> Answer:
        """Inside the same attempt: wait for an answer that is still being worked on.

        Returns the final answer; raises :class:`AnswerRefused` (retryable) when the service
        could not do the unit, :class:`StillRunning` when waiting ended first.
        """
        ...

    async def collect(self, unit_id: str) -> Answer | None:
        """The final answer of a unit submitted earlier (this run or another), by its id.

        None when it is still running at the deadline; raises :class:`AnswerRefused` when it
        failed, and :class:`~ocrframe.errors.OcrframeError` when asking failed.
        """
        ...

    def deferred(self, answer: Answer) -> bool:
        """True when ``answer`` (after :meth:`settle`) is to be collected in the background."""
        ...

    def placeholder(self, unit_id: str) -> Answer:
        """The answer that stands for a submission whose result is not in yet."""
        ...

    #: True when some files may be answered here without being sent (:meth:`read_locally`).
    reads_locally: bool
    #: The cache-key options of such answers: a key no service answer can have.
    local_key_options: dict[str, Any]

    def read_locally(self, content: bytes, *, kind: str, unit_id: str) -> Answer | None:
        """An answer made here, without asking the service, or None (then the file is sent).

        Blocking (a few milliseconds for a small file): run it in a thread for a large one.
        """
        ...

    async def close(self) -> None:
        """Finish background work (waits for what is being collected)."""

    async def cancel(self) -> None:
        """Abandon background work."""


class ServiceAdapter(Protocol):
    """A service as the batch engine sees it. Implemented by ``DOCAI`` and ``CAPSOLVER``."""

    #: The service's name (``service=``), and its name for people.
    name: str
    display_name: str
    #: True when the service lists the models a key may call (:meth:`list_models`).
    lists_models: bool
    #: Resolution of page images rendered from a multi-page file, when the service is sent
    #: pages rather than files; None when it takes whole files.
    page_dpi: int | None

    def client(
        self,
        api_key: str | None,
        *,
        base_url: str | None,
        transport: httpx.AsyncBaseTransport | None,
        timeout: float | None,
        max_connections: int,
    ) -> ServiceClient:
        """The service's async client."""
        ...

    def model_for(self, model: str | None, *, embedded: bool) -> str | None:
        """The model to use when ``model`` is what the user gave; raises when one is needed."""
        ...

    def splits(self, kind: str) -> bool:
        """True when a file of this kind is sent page by page (as :attr:`page_dpi` images)."""
        ...

    def key_options(self, options: UnitOptions, host: str, *, rendered: bool) -> dict[str, Any]:
        """The options that change a unit's answer (for the cache key); never the API key."""
        ...

    def record_options(self, options: UnitOptions) -> dict[str, Any]:
        """The options a documents row notes, as asked."""
        ...

    def session(self, client: Any, options: UnitOptions, run: RunHooks) -> ServiceSession:
        """A session for one run."""
        ...

    async def list_models(self, client: Any) -> list[Answer]:
        """The models this key may call, as the service lists them ([] when it has no list)."""
        ...

    def models(self, listed: Sequence[Mapping[str, Any]] = ()) -> list[ModelInfo]:
        """The models one can ask for, from what :meth:`list_models` gave (those without an id
        are left out), or the service's fixed list."""
        ...

    def read(self, answer: Answer) -> Reading:
        """What one answer says (the service's reader; see :func:`ocrframe.services.read`)."""
        ...


class AdapterBase:
    """What every adapter does alike: make its client from :attr:`client_class`."""

    client_class: type[Any]

    def client(
        self,
        api_key: str | None,
        *,
        base_url: str | None,
        transport: httpx.AsyncBaseTransport | None,
        timeout: float | None,
        max_connections: int,
    ) -> Any:
        """The service's async client (its own default timeout when ``timeout`` is None)."""
        kwargs: dict[str, Any] = {
            "base_url": base_url,
            "transport": transport,
            "max_connections": max_connections,
        }
        if timeout is not None:
            kwargs["timeout"] = timeout
        return self.client_class(api_key, **kwargs)
