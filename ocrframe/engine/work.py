"""The engine's recognition queue and its kept answers: no CPU for work nobody will collect, and
bounded memory for answers nobody fetches.

:class:`WorkPool` runs recognition on a fixed number of threads, first come first served. Each
piece of work carries a :class:`~ocrframe.engine.cancel.StopToken`: work whose token is stopped
by the time its turn comes is dropped without running (and a queued one is taken off the queue
at once when :meth:`Work.abandon` is called), and work already running stops at its next
checkpoint (see :mod:`ocrframe.engine.cancel`). So a dead request never delays a live one: it
costs a look at its token, not a recognition. The pool counts what happens to its work, for the
engine's own ``/_engine/work`` endpoint, and lets a caller wait until counts are reached.

:class:`Kept` holds answers by id for ``ttl_s`` seconds after they are settled (and at most
``limit`` of them, the oldest dropped first); an id no longer kept remembers why, in a bounded
list, so a late poll gets a reason rather than "unknown".
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Mapping
from typing import Generic, TypeVar

from ocrframe.engine.cancel import Abandoned, StopToken, pause, watching

__all__ = ["COUNTERS", "Kept", "Work", "WorkPool"]

T = TypeVar("T")
V = TypeVar("V")

#: What the pool counts. ``dropped``: never started, its requester gone (before or after it was
#: queued); ``stopped``: started, then abandoned at a checkpoint; ``finished``: ran to its end
#: (an answer or an error).
COUNTERS = ("submitted", "started", "finished", "dropped", "stopped")


class Work(Generic[T]):
    """One piece of queued work: its future, its token and, once known, its ``outcome``
    (``"done"``, ``"failed"``, ``"dropped"`` or ``"stopped"``)."""

    future: concurrent.futures.Future[T]

    def __init__(self, pool: WorkPool, token: StopToken, fn: Callable[[], T]) -> None:
        self.token = token
        self._outcome: str | None = None
        self._pool = pool
        self._fn: Callable[[], T] | None = fn

    @property
    def outcome(self) -> str | None:
        """``"done"``, ``"failed"``, ``"dropped"``, ``"stopped"``, or None while it is not known."""
        return "dropped" if self.future.cancelled() else self._outcome

    def abandon(self, reason: str) -> None:
        """Nobody will collect this work: off the queue if it has not started (its input is
        let go at once), else it stops at its next checkpoint."""
        self.token.stop(reason)
        if self.future.cancel():
            self._fn = None
            self._pool.count("dropped")

    def _run(self, pause_s: float) -> T:
        fn, self._fn = self._fn, None
        if fn is None or self.token.stopped:
            self._outcome = "dropped"
            self._pool.count("dropped")
            raise Abandoned(self.token.reason or "abandoned")
        self._pool.count("started")
        try:
            with watching(self.token):
                if pause_s > 0:
                    pause(pause_s)
                result = fn()
        except Abandoned:
            self._outcome = "stopped"
            self._pool.count("stopped")
            raise
        except BaseException:
            self._outcome = "failed"
            self._pool.count("finished")
            raise
        self._outcome = "done"
        self._pool.count("finished")
        return result


class WorkPool:
    """Recognition threads fed in order; work is dropped or stopped once nobody wants it.

    >>> pool = WorkPool(workers=1)
    >>> work = pool.submit(lambda: 6 * 7, token=StopToken())
    >>> work.future.result(), work.outcome
    (42, 'done')
    """

    def __init__(self, workers: int) -> None:
        self._executor = concurrent.futures.ThreadPoolExecutor(
            max_workers=workers, thread_name_prefix="ocrframe-engine"
        )
        self._lock = threading.Lock()
        self._counts = dict.fromkeys(COUNTERS, 0)
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None], dict[str, int]]]
        self._waiters = []

    def submit(self, fn: Callable[[], T], *, token: StopToken, pause_s: float = 0.0) -> Work[T]:
        """Queue ``fn`` as the work of ``token``. ``pause_s``: an injected stall that holds the
        worker first (the ``slow_work`` fault), itself ended early when the work is abandoned."""
        work: Work[T] = Work(self, token, fn)
        self.count("submitted")
        # A cancelled future is skipped by the executor when its turn comes; the queue's item
        # then holds only the Work, whose input abandon() has let go.
        work.future = self._executor.submit(work._run, pause_s)
        return work

    def count(self, name: str, n: int = 1) -> None:
        """Add ``n`` to a counter and wake whoever waits for the counts now reached."""
        with self._lock:
            self._counts[name] = self._counts.get(name, 0) + n
            ready = [w for w in self._waiters if self._reached(w[2])]
            for waiter in ready:
                self._waiters.remove(waiter)
        for loop, future, _ in ready:
            with contextlib.suppress(RuntimeError):  # that loop is closed: nobody waits
                loop.call_soon_threadsafe(_resolve, future)

    def counts(self) -> dict[str, int]:
        """A copy of the counters."""
        with self._lock:
            return dict(self._counts)

    def _reached(self, wanted: Mapping[str, int]) -> bool:
        return all(self._counts.get(k, 0) >= v for k, v in wanted.items())

    async def wait_for(self, at_least: Mapping[str, int], timeout_s: float) -> bool:
        """Wait until every counter named reaches its value (True) or ``timeout_s`` passes."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        waiter = (asyncio.get_running_loop(), future, dict(at_least))
        with self._lock:
            if self._reached(at_least):
                return True
            self._waiters.append(waiter)
        try:
            await asyncio.wait_for(future, timeout_s)
        except TimeoutError:
            return False
        finally:
            with self._lock:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)
        return True


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class Kept(Generic[V]):
    """Answers by id, each kept ``ttl_s`` seconds from when it is settled, at most ``limit``.

    An answer put unsettled (still being worked on) is kept until it is settled. Expired
    answers are dropped as time passes (a sweep on each :meth:`put` and :meth:`get`), and an id
    no longer kept answers :meth:`why_gone`.

    >>> kept: Kept[str] = Kept(ttl_s=0.0, limit=10, what="results")
    >>> kept.put("a", "answer", settled=True)
    >>> kept.get("a") is None, kept.why_gone("a")
    (True, 'expired: results are kept 0 s after they are ready')
    """

    def __init__(self, *, ttl_s: float, limit: int, what: str) -> None:
        self.ttl_s = ttl_s
        self.limit = limit
        self._what = what
        self._lock = threading.Lock()
        self._items: OrderedDict[str, tuple[V, float | None]] = OrderedDict()
        # (deadline, id) in settling order; settled with one ttl, so deadlines only grow.
        self._deadlines: deque[tuple[float, str]] = deque()
        self._gone: OrderedDict[str, str] = OrderedDict()
        self.expired = 0

    def put(self, key: str, value: V, *, settled: bool) -> None:
        """Keep ``value`` under ``key``; ``settled``: its ``ttl_s`` starts now."""
        with self._lock:
            deadline = self._deadline() if settled else None
            self._items[key] = (value, deadline)
            self._items.move_to_end(key)
            if deadline is not None:
                self._deadlines.append((deadline, key))
            while len(self._items) > self.limit:
                old, _ = self._items.popitem(last=False)
                self._forget(old, f"dropped: the engine keeps at most {self.limit:,} {self._what}")
            self._sweep()

    def settle(self, key: str) -> None:
        """The answer under ``key`` is final: its ``ttl_s`` starts now."""
        with self._lock:
            item = self._items.get(key)
            if item is not None and item[1] is None:
                deadline = self._deadline()
                self._items[key] = (item[0], deadline)
                self._deadlines.append((deadline, key))

    def get(self, key: str) -> V | None:
        """The answer under ``key``, or None (never kept, or no longer: see :meth:`why_gone`)."""
        with self._lock:
            self._sweep()
            item = self._items.get(key)
            return None if item is None else item[0]

    def why_gone(self, key: str) -> str | None:
        """Why ``key`` is no longer kept, if it once was (and is still remembered)."""
        with self._lock:
            return self._gone.get(key)

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def _deadline(self) -> float:
        return time.monotonic() + self.ttl_s

    def _sweep(self) -> None:
        now = time.monotonic()
        while self._deadlines and self._deadlines[0][0] <= now:
            deadline, key = self._deadlines.popleft()
            item = self._items.get(key)
            if item is not None and item[1] == deadline:
                del self._items[key]
                self.expired += 1
                self._forget(
                    key, f"expired: {self._what} are kept {self.ttl_s:g} s after they are ready"
                )

    def _forget(self, key: str, why: str) -> None:
        self._gone[key] = why
        self._gone.move_to_end(key)
        while len(self._gone) > self.limit:
            self._gone.popitem(last=False)
