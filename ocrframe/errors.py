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
    │                                missing or of the wrong type); retryable
    ├── TransportError               no answer at all: refused, reset, timed out; retryable
    └── EngineUnavailableError       the embedded engine's extra is not installed

Three class attributes drive the batch engine without it knowing any wire format:
``retryable`` (try the same request again), ``fatal_for_run`` (stop submitting anything) and
``retry_after`` (seconds the service asked us to wait, or ``None``).

No message, ``repr`` or attribute of these errors ever contains an API key: messages are built
from codes and descriptions only, and :func:`redact` is applied to any text that came from outside.
"""

from __future__ import annotations

import re
from typing import ClassVar

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
    "RetryableServiceError",
    "RunAbortedError",
    "ServiceError",
    "TransportError",
    "redact",
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
    return re.sub(r"(?i)(bearer\s+)[^\s\"',;]+", r"\1***", text)


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
        self._code = code
        self.request_id = request_id
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
    """The key or the account cannot be used: no further request can succeed."""

    fatal_for_run = True


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
        self.request_id = request_id
        self.http_status = http_status
        super().__init__(message, source=source)


class TransportError(OcrframeError):
    """No answer: the connection was refused, reset or timed out. Retryable."""

    retryable = True

    def __init__(self, message: str, *, service: str, source: str | None = None) -> None:
        self.service = service
        super().__init__(message, source=source)


class EngineUnavailableError(OcrframeError):
    """The embedded engine was needed but its extra is not installed."""
