"""The one seam between the core and the optional embedded engine.

The core (clients, batch engine, frames) never imports :mod:`ocrframe.engine`: the engine needs
the ``engine`` extra, the remote clients do not. When a client has no key, no base URL and no
``transport=``, it asks :func:`embedded_engine` for the in-process engine. This is the only place
that names the engine's module, and what it must provide is written down as
:class:`EmbeddedEngine`.
"""

from __future__ import annotations

import concurrent.futures
import importlib
from typing import Any, Protocol, cast

import httpx

from ocrframe.errors import EngineUnavailableError

__all__ = ["ENGINE_MODULE", "EmbeddedEngine", "embedded_engine", "engine_module", "preload_engine"]

#: The module that provides the embedded engine (installed with the ``engine`` extra).
ENGINE_MODULE = "ocrframe.engine.app"


class EmbeddedEngine(Protocol):
    """What :data:`ENGINE_MODULE` provides: an in-process transport and the URL it answers on."""

    ENGINE_BASE_URL: str

    def embedded_transport(self) -> httpx.AsyncBaseTransport:
        """A transport that answers both wire formats in this process (no socket)."""
        ...

    def preload(self, default_workers: int | None = None) -> list[concurrent.futures.Future[Any]]:
        """Start loading the OCR engines now; one future per engine, done once it is loaded."""
        ...


def engine_module() -> Any:
    """The engine's application module (``ocrframe serve`` uses its ``EngineConfig`` and
    ``serve``); an :class:`ImportError` without the ``engine`` extra."""
    return importlib.import_module(ENGINE_MODULE)


def _engine(why: str) -> EmbeddedEngine:
    try:
        return cast(EmbeddedEngine, engine_module())
    except ImportError as exc:
        raise EngineUnavailableError(
            f"{why}the embedded offline engine is not available ({exc}); install it with: "
            "pip install 'ocrframe[engine]'"
        ) from exc


def embedded_engine() -> tuple[httpx.AsyncBaseTransport, str]:
    """The in-process embedded engine: its transport and base URL.

    Imported on first use; without the ``engine`` extra this is an
    :class:`~ocrframe.errors.EngineUnavailableError` saying how to install it.
    """
    engine = _engine("no API key or base URL configured, and ")
    return engine.embedded_transport(), engine.ENGINE_BASE_URL


def preload_engine(default_workers: int | None = None) -> list[concurrent.futures.Future[Any]]:
    """Start loading the embedded engine's OCR models in this process now (a cluster worker does
    so as it starts); ``default_workers`` engines unless the process chose a count already.

    Returns one future per engine; an :class:`~ocrframe.errors.EngineUnavailableError` without
    the ``engine`` extra.
    """
    return _engine("").preload(default_workers)
