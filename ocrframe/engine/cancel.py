"""Work nobody will collect: a stop token for each request or job, and the points where work stops.

The app gives each piece of recognition work a :class:`StopToken`. The token is stopped when the
work's requester is gone: a synchronous request's client disconnected (the server's
``http.disconnect``), or an asynchronous job was not polled for its idle time. The work runs
inside :func:`watching` its token, and the reading code calls :func:`checkpoint` at its natural
boundaries (before each page, before each further reading of a page or a captcha): there a
stopped token raises :class:`Abandoned`, so the work ends cleanly between two steps, never in the
middle of one. Outside :func:`watching` a checkpoint does nothing, so the readers work the same
when called directly.

The token travels in a context variable; :func:`ocrframe.engine.ocr.submit` runs its function in
a copy of the caller's context, so a page read on an OCR worker sees the token of the document
that asked for it.

>>> token = StopToken()
>>> with watching(token):
...     checkpoint()          # nothing: the token is live
...     token.stop("the client disconnected")
...     checkpoint()
Traceback (most recent call last):
...
ocrframe.engine.cancel.Abandoned: the client disconnected
"""

from __future__ import annotations

import contextlib
import contextvars
import threading
import time
from collections.abc import Iterator

__all__ = ["Abandoned", "StopToken", "checkpoint", "pause", "watching"]


class Abandoned(Exception):
    """The work's requester is gone; the work stopped at a boundary. The message says why."""


class StopToken:
    """Says whether a piece of work is still wanted. Thread-safe.

    Stopped explicitly (:meth:`stop`), or, with ``idle_s``, by itself once nobody has
    :meth:`touch`-ed it for ``idle_s`` seconds (an asynchronous job that nobody polls).

    >>> job = StopToken(idle_s=0.0, idle_reason="not polled")
    >>> job.stopped, job.reason
    (True, 'not polled')
    """

    def __init__(self, *, idle_s: float | None = None, idle_reason: str = "not asked for") -> None:
        self._event = threading.Event()
        self._reason: str | None = None
        self._idle_s = idle_s
        self._idle_reason = idle_reason
        self._touched = time.monotonic()

    def touch(self) -> None:
        """Someone asked about the work: its idle time starts again."""
        self._touched = time.monotonic()

    def stop(self, reason: str) -> None:
        """Nobody wants the work any more (the first reason given is kept)."""
        if self._reason is None:
            self._reason = reason
        self._event.set()

    def _idle_left(self) -> float | None:
        if self._idle_s is None:
            return None
        return self._touched + self._idle_s - time.monotonic()

    @property
    def stopped(self) -> bool:
        """True once stopped, or idle for longer than ``idle_s``."""
        if self._event.is_set():
            return True
        left = self._idle_left()
        if left is not None and left < 0:
            self.stop(self._idle_reason)
            return True
        return False

    @property
    def reason(self) -> str | None:
        """Why the work was stopped (None while it is wanted)."""
        return self._reason if self.stopped else None

    def wait(self, seconds: float) -> bool:
        """Block up to ``seconds`` or until stopped; True if stopped."""
        deadline = time.monotonic() + seconds
        while not self.stopped:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            idle = self._idle_left()
            # An idle deadline is not an event: look again when it would pass (a touch moves it).
            self._event.wait(left if idle is None else min(left, max(idle, 0.0) + 0.01))
        return True


_current: contextvars.ContextVar[StopToken | None] = contextvars.ContextVar(
    "ocrframe_engine_stop_token", default=None
)


@contextlib.contextmanager
def watching(token: StopToken) -> Iterator[StopToken]:
    """Run the block as the work of ``token``: checkpoints inside it look at the token."""
    reset = _current.set(token)
    try:
        yield token
    finally:
        _current.reset(reset)


def checkpoint() -> None:
    """A boundary in the work: raise :class:`Abandoned` if the current work is no longer wanted."""
    token = _current.get()
    if token is not None and token.stopped:
        raise Abandoned(token.reason or "abandoned")


def pause(seconds: float) -> None:
    """Block for ``seconds`` as a step of the current work that ends early when it is abandoned
    (then :class:`Abandoned` is raised). Outside :func:`watching`, a plain sleep."""
    token = _current.get()
    if token is None:
        time.sleep(seconds)
        return
    if token.wait(seconds):
        raise Abandoned(token.reason or "abandoned")
