"""Requests of a run: at most ``concurrency`` in flight, at most ``rate_limit`` a second, each
retried within its unit's budget, and none once a run-fatal error has stopped the run."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import stamina

from ocrframe._batch.decisions import (
    WAIT_EXP_BASE,
    WAIT_INITIAL,
    WAIT_JITTER,
    WAIT_MAX,
    first_wait,
    retry_wait,
)
from ocrframe._batch.options import BatchOptions
from ocrframe._output import log_first_retry
from ocrframe.errors import OcrframeError
from ocrframe.services._adapter import Answer

__all__ = ["RUN_ABORTED", "Calls"]

#: ``error_code`` of a unit not sent because the run stopped.
RUN_ABORTED = "run_aborted"


class _Stopped(OcrframeError):
    """The run stopped (a run-fatal error elsewhere) before this unit could be sent again."""

    @property
    def code(self) -> str:
        return RUN_ABORTED


class Calls:
    """The run's request gate: concurrency, rate limit, retries and the stop switch."""

    def __init__(self, options: BatchOptions, *, on_abort: Callable[[OcrframeError], None]) -> None:
        self.options = options
        self._stopped: OcrframeError | None = None
        self._on_abort = on_abort
        # At most `concurrency` requests in flight. Twice as many workers prepare files, so that a
        # slot freed by an answer is taken at once by a unit already read, hashed and checked:
        # the reading and the bookkeeping stay off the path from one answer to the next request.
        self._slots = asyncio.Semaphore(options.concurrency)
        self._limiter: Any = None
        rate = options.rate_limit
        if rate is not None:
            from aiolimiter import AsyncLimiter

            # A bucket must hold at least one request: below 1/s, one request per 1/rate seconds.
            self._limiter = AsyncLimiter(rate, 1.0) if rate >= 1 else AsyncLimiter(1, 1.0 / rate)

    @property
    def stopped(self) -> OcrframeError | None:
        """The run-fatal error that stopped the run, if one did."""
        return self._stopped

    def abort(self, exc: OcrframeError) -> None:
        """Stop submitting: ``exc`` (a bad key, no balance) makes every request fail."""
        if self._stopped is None:
            self._stopped = exc
            self._on_abort(exc)

    def _hook(self, exc: Exception) -> bool | float:
        # The run stopping ends every retry loop at once.
        return retry_wait(exc, stopping=self._stopped is not None)

    async def call_with_retries(
        self,
        call: Callable[[], Awaitable[Answer]],
        *,
        attempts: list[int] | None,
        on_answer: Callable[[Answer], Awaitable[Answer]] | None = None,
    ) -> Answer:
        """``call()`` under the rate limit, retried per :func:`retry_wait` within the budget.

        The first try goes straight; only a retryable failure enters stamina for the remaining
        attempts. Building stamina's retry state costs ~0.15 ms, and at concurrency 64 against a
        100 ms service every millisecond of CPU per request costs ~0.4 of the latency-bound
        throughput (the requests move in waves: L + C·cpu per wave). The waits are stamina's
        own: exponential from ``WAIT_INITIAL`` with jitter, or the Retry-After; zero in
        stamina's testing mode.
        """

        async def once() -> Answer:
            if self._stopped is not None:
                raise _Stopped(self._abort_message())
            async with self._slots:
                if self._stopped is not None:
                    raise _Stopped(self._abort_message())
                if attempts is not None:
                    attempts[0] += 1
                if self._limiter is not None:
                    async with self._limiter:
                        answer = await call()
                else:
                    answer = await call()
            # The slot is free: let the units waiting for slots send before this one's bookkeeping.
            # Answers come in bursts (up to `concurrency` at once); after one turn of the loop the
            # woken senders and the answered units' bookkeeping alternate, after a second every
            # sender of the burst has gone first. Measured (BENCHMARKS.md, batch engine): two
            # turns 0.883 of the latency bound, one 0.861, four 0.879.
            await asyncio.sleep(0)
            await asyncio.sleep(0)
            if on_answer is not None:
                answer = await on_answer(answer)
            return answer

        started = time.monotonic()
        try:
            return await once()
        except Exception as exc:
            wait = self._hook(exc)
            budget = self.options.retry_timeout
            if wait is False or self.options.retries < 2 or not stamina.is_active():
                raise
            if budget is not None and time.monotonic() - started >= budget:
                raise
            pause = first_wait(wait)
            log_first_retry(pause, exc)
        await asyncio.sleep(pause)
        remaining = None if budget is None else max(budget - (time.monotonic() - started), 1e-3)
        async for attempt in stamina.retry_context(
            on=self._hook,
            attempts=self.options.retries - 1,
            timeout=remaining,
            # Attempt n of this loop is attempt n + 1 of the unit: its backoff starts one step on.
            wait_initial=WAIT_INITIAL * WAIT_EXP_BASE,
            wait_max=WAIT_MAX,
            wait_jitter=WAIT_JITTER,
            wait_exp_base=WAIT_EXP_BASE,
        ):
            with attempt:
                return await once()
        raise AssertionError("unreachable: stamina re-raises the last error")  # pragma: no cover

    def _abort_message(self) -> str:
        cause = self._stopped
        return f"not submitted: the run stopped after {cause}" if cause else "not submitted"
