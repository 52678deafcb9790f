"""The batch engine's choices: small pure functions on plain data, no I/O.

"What next for this unit?" (:func:`plan_unit`), "retry or give up, and after how long?"
(:func:`retry_wait`, :func:`first_wait`), "what is its status?" (:func:`unit_status`), "what
changes its answer?" (:func:`key_options`). The async loop in :mod:`ocrframe._batch.run`
around them stays thin.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any, Literal
from urllib.parse import urlsplit

import stamina

from ocrframe._batch.options import BatchOptions
from ocrframe._records import Status
from ocrframe.errors import OcrframeError
from ocrframe.services import adapter, read

__all__ = [
    "MAX_RETRY_AFTER",
    "WAIT_EXP_BASE",
    "WAIT_INITIAL",
    "WAIT_JITTER",
    "WAIT_MAX",
    "Action",
    "first_wait",
    "host_of",
    "key_options",
    "plan_unit",
    "record_options",
    "retry_wait",
    "unit_status",
]

#: The longest Retry-After honoured, in seconds (a longer one is capped).
MAX_RETRY_AFTER = 120.0
# stamina's backoff: first wait, longest wait, jitter, growth per attempt.
WAIT_INITIAL = 0.5
WAIT_MAX = 30.0
WAIT_JITTER = 1.0
WAIT_EXP_BASE = 2.0

Action = Literal["cached", "poll", "submit"]


def plan_unit(*, cached: bool, pending_file_id: str | None, refresh: bool) -> Action:
    """What next for a unit: use the cached answer, poll a running submission, or submit.

    ``refresh`` ignores both the cache and a running submission: the user asked to pay again.

    >>> plan_unit(cached=True, pending_file_id=None, refresh=False)
    'cached'
    >>> plan_unit(cached=False, pending_file_id="f-1", refresh=False)
    'poll'
    >>> plan_unit(cached=True, pending_file_id=None, refresh=True)
    'submit'
    """
    if refresh:
        return "submit"
    if cached:
        return "cached"
    if pending_file_id is not None:
        return "poll"
    return "submit"


def retry_wait(exc: BaseException, *, stopping: bool = False) -> bool | float:
    """Retry or give up, and how long to wait: the ``on=`` hook handed to stamina.

    ``False``: give up (not retryable, run-fatal, or the run is stopping). ``True``: retry after
    the usual exponential backoff. A number: retry after that many seconds (the service's
    Retry-After, capped at :data:`MAX_RETRY_AFTER`).

    >>> from ocrframe.errors import RetryableServiceError
    >>> retry_wait(RetryableServiceError("busy", service="docai", code="429", retry_after=3))
    3.0
    >>> retry_wait(RetryableServiceError("busy", service="docai", code="503"))
    True
    >>> retry_wait(ValueError("bug"))
    False
    """
    if stopping or not isinstance(exc, OcrframeError):
        return False
    if exc.fatal_for_run or not exc.retryable:
        return False
    after = exc.retry_after
    if after is None:
        return True
    return float(min(max(after, 0.0), MAX_RETRY_AFTER))


def first_wait(decision: bool | float) -> float:
    """Seconds to wait after a unit's first failed try, given :func:`retry_wait`'s decision.

    The service's Retry-After when it gave one, else stamina's first backoff (``WAIT_INITIAL``
    plus up to ``WAIT_JITTER`` of jitter); always 0 in stamina's testing mode.

    >>> first_wait(2.5) if not stamina.is_testing() else 2.5
    2.5
    """
    if stamina.is_testing():
        return 0.0
    if decision is True:
        return min(WAIT_MAX, WAIT_INITIAL + random.uniform(0, WAIT_JITTER))
    return float(decision)


def unit_status(service: str, response: Mapping[str, Any] | None, error_code: str | None) -> Status:
    """The ``documents`` status of a unit from what is known of it.

    >>> unit_status("docai", {"code": 200, "data": {"fileId": "f", "recognizeStatus": "2"}}, None)
    'pending'
    >>> unit_status("capsolver", None, "corrupt")
    'failed'

    It is the ``status`` column's own rule (the answer's reading, :func:`ocrframe.services.read`),
    so the run summary counts exactly what the documents table shows: what the answer says when
    there is one (an error code around it does not change it), ``failed`` without one.
    """
    return read(service, dict(response) if response is not None else None).status


def key_options(options: BatchOptions, host: str, *, rendered: bool) -> dict[str, Any]:
    """The options that change a unit's answer, for :func:`ocrframe._cache.cache_key`.

    Not the key, the concurrency or anything else that changes only how it is asked.

    >>> from ocrframe._batch.options import make_options
    >>> key_options(make_options(service="docai", model="m", pages="1-2"), "api.docai.pro",
    ...             rendered=False)
    {'host': 'api.docai.pro', 'pages': '1-2', 'workspace': None}
    """
    return adapter(options.service).key_options(options, host, rendered=rendered)


def record_options(options: BatchOptions) -> dict[str, Any]:
    """The options a documents row notes (as asked, unlike :func:`key_options`)."""
    return adapter(options.service).record_options(options)


def host_of(base_url: str, *, embedded: bool) -> str:
    """The part of a base URL that names who answers (``embedded`` for the in-process engine).

    >>> host_of("https://api.docai.pro/", embedded=False)
    'api.docai.pro'
    """
    return "embedded" if embedded else (urlsplit(base_url).netloc or base_url)
