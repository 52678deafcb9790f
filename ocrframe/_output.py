"""Quiet, tidy output: what a run prints, and where its retry messages go.

- **Retries** are stamina's. Its standard-library hook logs each scheduled retry at WARNING on the
  ``stamina`` logger, which Python prints to the terminal when logging is not configured
  (hundreds of lines in a run with faults). Inside a run, :func:`retries_to_debug` marks the
  context, and a filter on the ``stamina`` logger turns the records of that context into one
  DEBUG line on the ``ocrframe`` logger instead: the caller's own stamina retries are untouched,
  and ``logging.getLogger("ocrframe").setLevel(logging.DEBUG)`` (with a handler) shows ours.
- **Progress** (:func:`progress_bar`): a widget in a notebook (tqdm.auto), one line redrawn in
  place in a terminal, and nothing at all when the output is neither (a log file, a pipe, CI), so
  no carriage returns or escape codes end up in a file.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TextIO

__all__ = ["log_first_retry", "progress_bar", "retries_to_debug", "show_progress"]

logger = logging.getLogger("ocrframe")

_IN_RUN: ContextVar[bool] = ContextVar("ocrframe_retries_to_debug", default=False)


_RETRY = "retry %s scheduled in %ss because of %r"


def log_first_retry(wait: float, cause: BaseException) -> None:
    """The first retry of a unit, which the batch engine schedules before entering stamina."""
    logger.debug(_RETRY, 1, round(wait, 2), cause)


class _RetriesToDebug(logging.Filter):
    """On the ``stamina`` logger: records made inside an ocrframe run become DEBUG lines."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not _IN_RUN.get():
            return True
        fields = record.__dict__
        number = fields.get("stamina.retry_num")
        logger.debug(
            _RETRY.replace("%r", "%s"),
            # stamina takes over from the second retry on (the first is the engine's own).
            number + 1 if isinstance(number, int) else "?",
            fields.get("stamina.wait_for", "?"),
            fields.get("stamina.caused_by", "?"),
        )
        return False


_FILTER = _RetriesToDebug()


@contextmanager
def retries_to_debug() -> Iterator[None]:
    """Within this block (and the tasks it starts), stamina's retry lines go to ``ocrframe``.

    >>> with retries_to_debug():
    ...     logging.getLogger("stamina").warning("stamina.retry_scheduled")  # printed nowhere
    """
    stamina_logger = logging.getLogger("stamina")
    if _FILTER not in stamina_logger.filters:
        stamina_logger.addFilter(_FILTER)
    token = _IN_RUN.set(True)
    try:
        yield
    finally:
        _IN_RUN.reset(token)


def _in_kernel() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def show_progress(stream: TextIO | None = None) -> bool:
    """Whether a progress bar is wanted here: in a notebook kernel, or on a terminal.

    >>> import io
    >>> show_progress(io.StringIO())  # a file: no bar (outside a kernel)
    False
    """
    if _in_kernel():
        return True
    stream = sys.stderr if stream is None else stream
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty()) if callable(isatty) else False
    except ValueError:  # a closed stream
        return False


def progress_bar(total: int | None, description: str) -> Any:
    """A tqdm bar (a widget in a notebook, a line in a terminal), or None where neither fits."""
    if not show_progress():
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, unit="doc", desc=description, dynamic_ncols=True)
