"""The one exception tree of ocrframe.

Every error ocrframe raises is an :class:`OcrframeError`; foreign exceptions (httpx, json, OS
errors) are mapped onto this tree at the edge where they happen, with ``raise ... from exc``.

::

    OcrframeError                    base; .source names the file concerned, when there is one
    ├── ConfigurationError           a bad argument or option (also a ValueError)
    │   └── PageRangeError           a page selection that is not valid ("3-1", "0-2", "a", "")
    ├── InputFileError               a file that cannot be submitted (empty, unreadable, too big,
    │                                unsupported or corrupt); .code says which
    ├── ServiceError                 the service answered with an error: .service, .code,
    │   │                            .message, .request_id, .http_status
    │   ├── RetryableServiceError    worth another try (rate limit, overload, 5xx); .retry_after
    │   ├── FileRejectedError        this file's request is refused for good (bad data,
    │   │                            an unknown code, recognition failed)
    │   └── RunAbortedError          the key or the account is unusable: stop the whole run
    │       ├── AuthenticationError  bad, denied or blocked key (HTTP 401, KEY_DENIED_ACCESS)
    │       └── InsufficientBalanceError   ERROR_ZERO_BALANCE
    ├── ResponseFormatError          the answer is not the documented shape (not JSON, a field
    │   │                            missing or of the wrong type); retryable
    │   └── ResponseLimitError       the answer is over a limit (bytes, JSON depth): not retried;
    │                                .code is answer_too_large or answer_too_deep
    ├── TransportError               no answer at all: refused, reset, timed out; retryable
    └── EngineUnavailableError       the embedded engine's extra is not installed

Three class attributes drive the batch engine without it knowing any wire format:
``retryable`` (try the same request again), ``fatal_for_run`` (stop submitting anything) and
``retry_after`` (seconds the service asked us to wait, or ``None``).

No message, ``repr`` or attribute of these errors ever contains an API key: messages are built
from codes and descriptions only, and :func:`redact` is applied to any text that came from outside
(the message, the service's code and request id). A foreign exception is never chained as it is
(an aiohttp error's repr shows the request's headers): :func:`redacted_cause` stands in for it.
:func:`redact_answer` scrubs a decoded answer before anything (the cache, the tables) sees it,
and records of the ``ocrframe`` loggers pass through the same redaction.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from ocrframe._frames import Extraction

__all__ = [
    "AuthenticationError",
    "ConfigurationError",
    "EngineUnavailableError",
    "FileRejectedError",
    "InputFileError",
    "InsufficientBalanceError",
    "OcrframeError",
    "PageRangeError",
    "ResponseFormatError",
    "ResponseLimitError",
    "RetryableServiceError",
    "RunAbortedError",
    "ServiceError",
    "TransportError",
    "check_key",
    "protect_logger",
    "redact",
    "redact_answer",
    "redacted_cause",
    "register_secret",
]

# Keys registered by the clients that hold them; any text leaving ocrframe in an error is scrubbed
# of them. A process-wide set is the one place that sees every key, whichever client made the text.
_SECRETS: set[str] = set()
_MIN_SECRET_LEN = 4


def register_secret(secret: str | None) -> None:
    """Remember ``secret`` so that :func:`redact` removes it from any text."""
    if secret and len(secret) >= _MIN_SECRET_LEN:
        _SECRETS.add(secret)


def redact(text: str) -> str:
    """Return ``text`` with every registered secret and any Bearer token replaced by ``***``.

    >>> register_secret("sk-live-1234")
    >>> redact("clientKey=sk-live-1234 rejected")
    'clientKey=*** rejected'
    """
    for secret in sorted(_SECRETS, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, "***")
    return _BEARER.sub(r"\1***", text)


_BEARER = re.compile(r"(?i)(bearer\s+)[^\s\"',;]+")


def _needs_redaction(text: str) -> bool:
    return any(secret in text for secret in _SECRETS) or _BEARER.search(text) is not None


def redact_answer(answer: Any) -> Any:
    """``answer`` (decoded JSON) with :func:`redact` applied to every string in it, keys too.

    The same object comes back when nothing in it needs scrubbing (the common case: one scan).

    >>> register_secret("sk-live-1234")
    >>> redact_answer({"requestId": "sk-live-1234", "n": [1, "ok"]})
    {'requestId': '***', 'n': [1, 'ok']}
    """

    def scrub(value: Any) -> Any:
        if isinstance(value, str):
            return redact(value) if _needs_redaction(value) else value
        if isinstance(value, list):
            return [scrub(v) for v in value]
        if isinstance(value, dict):
            return {scrub(k): scrub(v) for k, v in value.items()}
        return value

    if not _contains_secret(answer):
        return answer
    return scrub(answer)


def _contains_secret(answer: Any) -> bool:
    # Iterative: an answer is depth-checked before this, but a walk must never recurse anyway.
    stack = [answer]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            if _needs_redaction(value):
                return True
        elif isinstance(value, list):
            stack.extend(value)
        elif isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
    return False


class _ForeignCause(Exception):
    """Stands in for a foreign exception chain: each link's type and redacted text, no objects.

    httpx and aiohttp errors keep the request they concern (headers included); chaining them
    would put the Authorization header into any traceback or repr of the cause.
    """

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"


def redacted_cause(exc: BaseException) -> Exception:
    """A stand-in for ``exc`` and its causes, fit to chain: ``raise Mapped(...) from it``.

    >>> print(redacted_cause(ValueError("token sk-live-1234 refused")))
    ValueError: token *** refused
    """
    links: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen and len(links) < 8:
        seen.add(id(current))
        text = redact(str(current))
        links.append(f"{type(current).__name__}: {text}" if text else type(current).__name__)
        current = current.__cause__ or current.__context__
    return _ForeignCause(" <- ".join(links))


def check_key(key: str | None, *, name: str) -> None:
    """Refuse a key that no HTTP request can carry, without showing it.

    A key with a character outside printable ASCII (a pasted quote, a space, a newline from a
    file) would fail deep in the HTTP stack with the key in the error's repr.

    >>> try:
    ...     check_key("caf\u00e9-key", name="DOCAI_API_KEY")
    ... except ConfigurationError as exc:
    ...     print(exc.message[:60])
    the key (DOCAI_API_KEY) holds a character that is not printa
    """
    if key is None:
        return
    for position, char in enumerate(key, start=1):
        if not "!" <= char <= "~":
            raise ConfigurationError(
                f"the key ({name}) holds a character that is not printable ASCII "
                f"(position {position} of {len(key)}): check for a pasted quote, space or line "
                "end"
            )


class _RedactingFilter(logging.Filter):
    """Scrubs keys from a record's message (with its arguments merged in)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if _needs_redaction(message):
            record.msg = redact(message)
            record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            shown = logging.Formatter().formatException(record.exc_info)
            if _needs_redaction(shown):
                record.msg = f"{record.msg}\n{redact(shown)}"
                record.exc_info = None
                record.exc_text = None
        return True


def protect_logger(name: str) -> logging.Logger:
    """The logger ``name`` with the redacting filter attached (once)."""
    logger = logging.getLogger(name)
    if not any(isinstance(f, _RedactingFilter) for f in logger.filters):
        logger.addFilter(_RedactingFilter())
    return logger


class OcrframeError(Exception):
    """Base of every error ocrframe raises.

    ``source`` is the file the error concerns (a path relative to the folder submitted), or None.
    """

    retryable: ClassVar[bool] = False
    fatal_for_run: ClassVar[bool] = False

    def __init__(self, message: str, *, source: str | None = None) -> None:
        self.message = redact(message)
        self.source = source
        super().__init__(self.message)

    @property
    def code(self) -> str:
        """A short machine-readable code for the documents table (the class name by default)."""
        return type(self).__name__

    @property
    def retry_after(self) -> float | None:
        """Seconds the service asked to wait before another try, if it said."""
        return None

    def __str__(self) -> str:
        if self.source:
            return f"{self.source}: {self.message}"
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, source={self.source!r})"


class ConfigurationError(OcrframeError, ValueError):
    """An argument or option is not valid; raised before anything is sent."""


class PageRangeError(ConfigurationError):
    """A page selection (``"1-1, 3-4"`` or ``[1, 3, 4]``) is not valid."""


class InputFileError(OcrframeError):
    """A file cannot be submitted. ``code`` is one of ``empty``, ``unreadable``, ``too_large``,
    ``unsupported``, ``corrupt``, ``not_found``."""

    def __init__(self, message: str, *, code: str, source: str | None = None) -> None:
        self._code = code
        super().__init__(message, source=source)

    @property
    def code(self) -> str:
        return self._code


class ServiceError(OcrframeError):
    """The service answered with an error.

    ``code`` is the service's own code (DocAI's numeric ``code`` as a string, CapSolver's
    ``errorCode``, or ``HTTP_<status>`` when the body said nothing usable).
    """

    def __init__(
        self,
        message: str,
        *,
        service: str,
        code: str,
        request_id: str | None = None,
        http_status: int | None = None,
        retry_after: float | None = None,
        source: str | None = None,
    ) -> None:
        self.service = service
        # A careless server may echo the key anywhere, its code and request id included.
        self._code = redact(code)
        self.request_id = redact(request_id) if request_id is not None else None
        self.http_status = http_status
        self._retry_after = retry_after
        super().__init__(message, source=source)

    @property
    def code(self) -> str:
        return self._code

    @property
    def retry_after(self) -> float | None:
        return self._retry_after

    def __str__(self) -> str:
        where = f"{self.source}: " if self.source else ""
        rid = f", requestId {self.request_id}" if self.request_id else ""
        http = f", HTTP {self.http_status}" if self.http_status is not None else ""
        return f"{where}{self.service} error {self.code}{http}{rid}: {self.message}"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(service={self.service!r}, code={self.code!r}, "
            f"message={self.message!r}, request_id={self.request_id!r}, "
            f"http_status={self.http_status!r}, source={self.source!r})"
        )


class RetryableServiceError(ServiceError):
    """A transient refusal (rate limit, overload, server error): the same request may succeed."""

    retryable = True


class FileRejectedError(ServiceError):
    """The service refused this file's request for good; other files may go on."""


class RunAbortedError(ServiceError):
    """The key or the account cannot be used: no further request can succeed.

    Raised by :func:`ocrframe.extract` once the ledger is complete: ``extraction`` holds the
    tables of the run so far (the files not sent marked ``run_aborted``); None when raised by a
    client.
    """

    fatal_for_run = True
    extraction: Extraction | None = None


class AuthenticationError(RunAbortedError):
    """The key is missing, wrong, denied or blocked."""


class InsufficientBalanceError(RunAbortedError):
    """The account has no balance left."""


class ResponseFormatError(OcrframeError):
    """The answer is not the documented shape: not JSON, or a field missing or of the wrong type.

    Retryable: a truncated or garbled body is usually a transient fault on the way.
    """

    retryable = True

    def __init__(
        self,
        message: str,
        *,
        service: str,
        request_id: str | None = None,
        http_status: int | None = None,
        source: str | None = None,
    ) -> None:
        self.service = service
        self.request_id = redact(request_id) if request_id is not None else None
        self.http_status = http_status
        super().__init__(message, source=source)


class ResponseLimitError(ResponseFormatError):
    """The answer is over a limit: larger than ``max_answer_bytes`` (on the wire or once
    decompressed) or nested deeper than the JSON depth limit. Not retried: the same request
    would most likely get the same answer.

    ``code`` is ``answer_too_large`` or ``answer_too_deep``.
    """

    retryable = False

    def __init__(
        self,
        message: str,
        *,
        code: str,
        service: str,
        http_status: int | None = None,
        source: str | None = None,
    ) -> None:
        self._code = code
        super().__init__(message, service=service, http_status=http_status, source=source)

    @property
    def code(self) -> str:
        return self._code


class TransportError(OcrframeError):
    """No answer: the connection was refused, reset or timed out. Retryable."""

    retryable = True

    def __init__(self, message: str, *, service: str, source: str | None = None) -> None:
        self.service = service
        super().__init__(message, source=source)


class EngineUnavailableError(OcrframeError):
    """The embedded engine was needed but its extra is not installed."""
