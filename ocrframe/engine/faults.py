"""Injected faults for tests and benchmarks: which request fails, and how.

The choice is a pure function of ``(seed, path, content key, n)`` where the content key is the
sha256 of the decoded file (or of the request's other content) and ``n`` counts earlier requests
with the same path and content key. So the same seed gives the same faults whatever order
concurrent requests arrive in, and a retried request gets a fresh draw (it can succeed).

What each kind looks like to a client (the app answers them):

============== ==============================================================================
``429``        HTTP 429, ``Retry-After`` header, the service's rate-limit envelope
``500``        HTTP 500 with the service's envelope (DocAI code 500, ERROR_SERVICE_UNAVALIABLE)
``502 / 503``  HTTP 502 / 503 with an HTML page, as a proxy in front of the service sends
``reset``      the TCP connection is reset (RST) before any answer; in-process:
               ``httpx.ReadError``
``timeout``    the answer comes only after ``fault_timeout_s`` (longer than the client waits)
``invalid_json`` HTTP 200 with a truncated JSON body
``service_error`` HTTP 200, the error only in the envelope (DocAI code 500; CapSolver errorId 1,
               ERROR_SERVICE_UNAVALIABLE)
``status_0``   DocAI submissions: HTTP 200, code 200, ``recognizeStatus "0"`` (failed)
``status_2``   DocAI submissions and identifyResult: ``recognizeStatus "2"``; a submission is then
               recognised in the background, so identifyResult returns it later
``slow_work``  requests that recognise something (DocAI submissions, createTask): the
               recognition holds its worker for ``fault_timeout_s`` before it starts, as a long
               document would, unless it is abandoned first (its client leaves; an asynchronous
               job goes unpolled); requests behind it queue. Only when named in ``kinds``
               (never drawn by default, so a seed draws the same faults as before it existed)
============== ==============================================================================
"""

from __future__ import annotations

import hashlib
import threading
from collections import Counter

__all__ = [
    "ALL_KINDS",
    "CAPSOLVER_KINDS",
    "CAPSOLVER_TASK_KINDS",
    "DOCAI_LIST_KINDS",
    "DOCAI_RESULT_KINDS",
    "DOCAI_SUBMIT_KINDS",
    "OPT_IN_KINDS",
    "FaultPlan",
]

# Kinds every endpoint can show.
_GENERIC = ("429", "500", "502", "503", "reset", "timeout", "invalid_json", "service_error")
DOCAI_SUBMIT_KINDS = (*_GENERIC, "status_0", "status_2", "slow_work")
DOCAI_RESULT_KINDS = (*_GENERIC, "status_2")
DOCAI_LIST_KINDS = _GENERIC
CAPSOLVER_KINDS = _GENERIC
CAPSOLVER_TASK_KINDS = (*_GENERIC, "slow_work")
ALL_KINDS = DOCAI_SUBMIT_KINDS
#: Kinds drawn only when asked for by name.
OPT_IN_KINDS = frozenset({"slow_work"})

_SCALE = float(1 << 64)


class FaultPlan:
    """Decides, deterministically from a seed, which requests fail and with which kind.

    >>> plan = FaultPlan(rate=1.0, seed=3)
    >>> plan.draw("/createTask", "abc", ("429", "500")) in ("429", "500")
    True
    >>> FaultPlan(rate=0.0, seed=3).draw("/createTask", "abc", ("429",)) is None
    True
    """

    def __init__(self, *, rate: float, seed: int | None, kinds: tuple[str, ...] | None = None):
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"fault rate must be between 0 and 1, not {rate}")
        unknown = set(kinds or ()) - set(ALL_KINDS)
        if unknown:
            raise ValueError(
                f"unknown fault kinds {sorted(unknown)}: choose from {', '.join(ALL_KINDS)}"
            )
        self.rate = rate
        self.seed = 0 if seed is None else seed
        self.kinds = kinds
        self._seen: Counter[tuple[str, str]] = Counter()
        self._lock = threading.Lock()

    def draw(self, path: str, content_key: str, applicable: tuple[str, ...]) -> str | None:
        """The fault for this request (a kind from ``applicable``), or None for a normal answer."""
        if self.rate <= 0.0:
            return None
        with self._lock:
            n = self._seen[(path, content_key)]
            self._seen[(path, content_key)] = n + 1
        digest = hashlib.sha256(f"{self.seed}\x00{path}\x00{content_key}\x00{n}".encode()).digest()
        if int.from_bytes(digest[:8], "big") / _SCALE >= self.rate:
            return None
        if self.kinds is None:
            kinds = [k for k in applicable if k not in OPT_IN_KINDS]
        else:
            kinds = [k for k in applicable if k in self.kinds]
        if not kinds:
            return None
        return kinds[int.from_bytes(digest[8:16], "big") % len(kinds)]
