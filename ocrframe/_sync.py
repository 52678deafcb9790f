"""Run ocrframe's async core from synchronous code, including inside a running event loop.

A Jupyter kernel already runs an event loop on the main thread, so ``asyncio.run()`` there fails.
Every sync entry point instead hands its coroutine to one long-lived event loop running on a
daemon thread of its own, and blocks on the result. The same loop is reused by every call, so
objects bound to a loop (httpx clients, aiohttp sessions) created through it stay usable.
"""

from __future__ import annotations

import asyncio
import atexit
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None
_thread: threading.Thread | None = None


def background_loop() -> asyncio.AbstractEventLoop:
    """Return ocrframe's background event loop, starting its thread on first use."""
    global _loop, _thread
    with _lock:
        if _loop is None or _loop.is_closed() or _thread is None or not _thread.is_alive():
            loop = asyncio.new_event_loop()
            thread = threading.Thread(target=loop.run_forever, name="ocrframe-loop", daemon=True)
            thread.start()
            _loop, _thread = loop, thread
        return _loop


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` to completion on the background loop and return its result.

    Works whether or not the calling thread runs an event loop. A ``KeyboardInterrupt`` while
    waiting cancels the coroutine before it propagates.

    >>> async def answer() -> int:
    ...     return 42
    >>> run_sync(answer())
    42
    """
    loop = background_loop()
    if threading.current_thread() is _thread:
        coro.close()
        raise RuntimeError("run_sync() called from ocrframe's own loop: await the coroutine")
    future = asyncio.run_coroutine_threadsafe(coro, loop)
    try:
        return future.result()
    except KeyboardInterrupt:
        future.cancel()
        raise


def _shutdown() -> None:
    loop, thread = _loop, _thread
    if loop is None or loop.is_closed():
        return
    loop.call_soon_threadsafe(loop.stop)
    if thread is not None:
        thread.join(timeout=5)
    if not loop.is_running():
        loop.close()


atexit.register(_shutdown)
