"""What both wire clients share: the HTTP client, error mapping, JSON decoding, shape checks.

Only this module touches httpx exceptions, Retry-After headers and raw bodies; the service modules
get a decoded :class:`Reply` and decide what its JSON means. Every foreign exception raised while
sending is mapped onto :class:`~ocrframe.errors.TransportError` here, in one place.

The default remote transport is ``httpx_aiohttp.AiohttpTransport``: on this machine one
``httpx.AsyncClient`` over its own pool reached ~0.14 of the latency-bound limit at 64 concurrent
requests, the aiohttp transport ~0.9 (see BENCHMARKS.md, "Transport").
"""

from __future__ import annotations

import asyncio
import functools
import math
import os
from collections.abc import Callable, Coroutine, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, ClassVar, Concatenate, Generic, ParamSpec, Self, TypeVar

import httpx

from ocrframe import limits
from ocrframe._embedded import embedded_engine
from ocrframe._sync import run_sync
from ocrframe.errors import (
    AuthenticationError,
    ConfigurationError,
    FileRejectedError,
    ResponseFormatError,
    RetryableServiceError,
    ServiceError,
    TransportError,
    check_key,
    protect_logger,
    redacted_cause,
    register_secret,
)
from ocrframe.services._bodies import (
    decode_json,
    describe,
    read_body,
    snippet,
)

__all__ = [
    "Reply",
    "ServiceClientBase",
    "ShapeChecker",
    "SyncClientBase",
    "blocking",
    "classify_http_status",
    "decode_json",
    "decode_reply",
    "default_transport",
    "describe",
    "embedded_engine",
    "map_transport_errors",
    "parse_retry_after",
    "snippet",
]

logger = protect_logger("ocrframe")

# Services already told (once per process) that they run on the embedded engine.
_ANNOUNCED: set[str] = set()


# --------------------------------------------------------------------------- pure helpers


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP-date.

    Returns None when the header is absent or unreadable; a date in the past gives 0.

    >>> parse_retry_after("7")
    7.0
    >>> parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT",
    ...                   now=datetime(2015, 10, 21, 7, 27, 30, tzinfo=UTC))
    30.0
    >>> parse_retry_after("soon") is None
    True
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        if math.isfinite(seconds):
            return max(0.0, seconds)
        return None
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # RFC 9110 dates are GMT; a naive parse means no zone was given
        when = when.replace(tzinfo=UTC)
    current = now if now is not None else datetime.now(UTC)
    return max(0.0, (when - current).total_seconds())


def classify_http_status(status: int) -> type[ServiceError] | None:
    """The error class an HTTP status means by itself, or None for a success (2xx/3xx).

    >>> classify_http_status(429).__name__
    'RetryableServiceError'
    >>> classify_http_status(200) is None
    True
    """
    if status < 400:
        return None
    if status in (401, 403):
        return AuthenticationError
    if status in (408, 429) or status >= 500:
        return RetryableServiceError
    return FileRejectedError


def decode_reply(
    reply: Reply, *, service: str, source: str | None
) -> tuple[type[ServiceError] | None, Any]:
    """The error class the HTTP status means (or None) and the decoded body.

    A body that is not JSON is ``None`` when the status is an error already (the status is then
    all there is to report); with a success status it raises :class:`ResponseFormatError`.
    """
    http_error = classify_http_status(reply.status)
    try:
        decoded = decode_json(
            reply.body,
            service=service,
            http_status=reply.status,
            source=source,
            max_depth=reply.max_json_depth,
        )
    except ResponseFormatError:
        if http_error is None:
            raise
        decoded = None
    return http_error, decoded


def _transport_message(exc: BaseException, service: str) -> str:
    # httpx-aiohttp re-raises aiohttp errors as httpx ones, not always faithfully (a dropped
    # connection arrives as ConnectTimeout): name the original exception, and call it a timeout
    # only when it was one.
    root = exc
    for _ in range(5):
        if root.__cause__ is None:
            break
        root = root.__cause__
    detail = f"{type(root).__name__}: {root}" if str(root) else type(root).__name__
    if isinstance(root, httpx.TimeoutException | TimeoutError):
        return f"no answer from {service} in time ({detail})"
    return f"request to {service} failed ({detail})"


@contextmanager
def map_transport_errors(service: str, *, source: str | None = None) -> Iterator[None]:
    """Turn any failure to get an answer (httpx, aiohttp, OS, timeout) into TransportError."""
    # The foreign exception is not chained as it is: httpx's and aiohttp's errors hold the
    # request, and an aiohttp error's repr shows its headers (the key among them).
    try:
        yield
    except (httpx.HTTPError, TimeoutError, OSError) as exc:
        raise TransportError(
            _transport_message(exc, service), service=service, source=source
        ) from redacted_cause(exc)
    except Exception as exc:
        # aiohttp errors that httpx-aiohttp does not map; imported lazily so that a custom
        # transport never needs aiohttp.
        import aiohttp

        if isinstance(exc, aiohttp.ClientError):
            raise TransportError(
                _transport_message(exc, service), service=service, source=source
            ) from redacted_cause(exc)
        raise


def default_transport(max_connections: int) -> httpx.AsyncBaseTransport:
    """The transport for a remote service: aiohttp's pool behind the httpx API.

    Its aiohttp session does not read proxies from the environment (``trust_env`` would also
    look up ``~/.netrc`` on every request and clash with the Bearer header); behind a proxy,
    pass ``transport=httpx.AsyncHTTPTransport(proxy=...)`` instead.
    """
    from httpx_aiohttp import AiohttpTransport

    limits = httpx.Limits(
        max_connections=max_connections, max_keepalive_connections=max_connections
    )
    transport: httpx.AsyncBaseTransport = AiohttpTransport(limits=limits)
    return transport


# --------------------------------------------------------------------------- shape checks


class ShapeChecker:
    """Checks a decoded answer against the documented shape, naming the exact path that is off.

    Each check returns the value (narrowed) or raises :class:`ResponseFormatError`, e.g.
    ``data.fileId is an integer, expected a string``.
    """

    def __init__(
        self,
        service: str,
        *,
        request_id: str | None = None,
        http_status: int | None = None,
        source: str | None = None,
    ) -> None:
        self.service = service
        self.request_id = request_id
        self.http_status = http_status
        self.source = source

    def fail(self, message: str) -> ResponseFormatError:
        """Build the error for ``message`` (the caller raises it)."""
        return ResponseFormatError(
            message,
            service=self.service,
            request_id=self.request_id,
            http_status=self.http_status,
            source=self.source,
        )

    def object_at(self, value: object, path: str) -> dict[str, Any]:
        """``value`` must be a JSON object."""
        if not isinstance(value, dict):
            raise self.fail(f"{path} is {describe(value)}, expected an object")
        return value

    def list_at(self, value: object, path: str) -> list[Any]:
        """``value`` must be a JSON list."""
        if not isinstance(value, list):
            raise self.fail(f"{path} is {describe(value)}, expected a list")
        return value

    def request_id_from(self, envelope: Mapping[str, Any], key: str) -> None:
        """Take the request id for later errors from ``envelope[key]``, when it is a string."""
        value = envelope.get(key)
        self.request_id = value if isinstance(value, str) else None

    def present(self, obj: Mapping[str, Any], key: str, path: str) -> Any:
        """``obj[key]`` must exist (it may be null)."""
        if key not in obj:
            raise self.fail(f"{path}.{key} is missing" if path else f"{key} is missing")
        return obj[key]

    def string(
        self, obj: Mapping[str, Any], key: str, path: str, *, optional: bool = False
    ) -> str | None:
        """``obj[key]`` must be a string (or absent/null when ``optional``)."""
        where = f"{path}.{key}" if path else key
        value = obj.get(key)
        if value is None:
            if optional:
                return None
            raise self.fail(f"{where} is missing" if key not in obj else f"{where} is null")
        if not isinstance(value, str):
            raise self.fail(f"{where} is {describe(value)}, expected a string")
        return value


# --------------------------------------------------------------------------- the client base


@dataclass(frozen=True, slots=True)
class Reply:
    """One HTTP answer: status, headers and the raw body, not yet interpreted."""

    status: int
    headers: httpx.Headers
    body: bytes
    max_json_depth: int | None = None

    @property
    def retry_after(self) -> float | None:
        """Seconds from the ``Retry-After`` header, if any."""
        return parse_retry_after(self.headers.get("retry-after"))


class ServiceClientBase:
    """The connection and configuration half of a service client; no wire format here."""

    service: ClassVar[str]
    display_name: ClassVar[str]
    key_env: ClassVar[str]
    url_env: ClassVar[str]
    default_url: ClassVar[str]

    def __init__(
        self,
        api_key: str | None,
        *,
        base_url: str | None,
        transport: httpx.AsyncBaseTransport | None,
        timeout: float,
        max_connections: int,
        max_answer_bytes: int | None = None,
        max_json_depth: int | None = None,
    ) -> None:
        if max_connections < 1:
            raise ConfigurationError(f"max_connections must be at least 1, not {max_connections}")
        if max_answer_bytes is None:
            max_answer_bytes = limits.MAX_ANSWER_BYTES
        if max_json_depth is None:
            max_json_depth = limits.MAX_JSON_DEPTH
        for name, value in (
            ("timeout", timeout),
            ("max_answer_bytes", max_answer_bytes),
            ("max_json_depth", max_json_depth),
        ):
            if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
                raise ConfigurationError(f"{name} must be a positive number, not {value!r}")
        key = api_key if api_key is not None else os.environ.get(self.key_env)
        url = base_url if base_url is not None else os.environ.get(self.url_env)
        self._api_key: str | None = key or None
        register_secret(self._api_key)
        check_key(self._api_key, name=self.key_env if api_key is None else "api_key")
        self.timeout = float(timeout)
        self.max_answer_bytes = int(max_answer_bytes)
        self.max_json_depth = int(max_json_depth)
        self.uses_embedded_engine = False
        if self._api_key is None and not url and transport is None:
            transport, url = embedded_engine()
            self.uses_embedded_engine = True
            if self.service not in _ANNOUNCED:
                _ANNOUNCED.add(self.service)
                logger.warning(
                    "no %s key configured (%s): using the embedded offline engine",
                    self.display_name,
                    self.key_env,
                )
        self.base_url = (url or self.default_url).rstrip("/")
        if transport is None:
            transport = default_transport(max_connections)
        self._client = httpx.AsyncClient(
            base_url=self.base_url,
            transport=transport,
            timeout=httpx.Timeout(timeout),
            # Only what read_body can inflate under its cap (brotli, zstd: not offered).
            headers={"Accept-Encoding": "gzip, deflate", **self._auth_headers()},
            follow_redirects=False,
        )

    def _auth_headers(self) -> dict[str, str]:
        return {}

    @property
    def has_key(self) -> bool:
        """Whether an API key is configured (the key itself is never shown)."""
        return self._api_key is not None

    def __repr__(self) -> str:
        key = "set" if self._api_key else "none"
        engine = ", embedded engine" if self.uses_embedded_engine else ""
        return f"{type(self).__name__}(base_url={self.base_url!r}, key={key}{engine})"

    async def _send(
        self,
        method: str,
        path: str,
        *,
        source: str | None,
        json_body: Any = None,
        data: Mapping[str, str] | None = None,
        files: Any = None,
    ) -> Reply:
        request = self._client.build_request(method, path, json=json_body, data=data, files=files)
        with map_transport_errors(self.service, source=source):
            try:
                # One deadline for the whole exchange: a read timeout alone restarts with every
                # byte, so a server dripping one byte a second would be waited on forever.
                async with asyncio.timeout(self.timeout):
                    # Multipart bodies are rendered up front: the file is in memory already,
                    # and a plain byte body is what every transport handles alike.
                    await request.aread()
                    response = await self._client.send(request, stream=True)
                    try:
                        body = await read_body(
                            response, self.max_answer_bytes, service=self.service, source=source
                        )
                    finally:
                        await response.aclose()
            except TimeoutError:
                raise TransportError(
                    f"no complete answer from {self.service} within {self.timeout:g} s "
                    "(the request's timeout)",
                    service=self.service,
                    source=source,
                ) from None
        return Reply(response.status_code, response.headers, body, self.max_json_depth)

    async def aclose(self) -> None:
        """Close the connections."""
        await self._client.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


# --------------------------------------------------------------------------- the blocking twins

AsyncClientT = TypeVar("AsyncClientT", bound=ServiceClientBase)
_P = ParamSpec("_P")
_R = TypeVar("_R")


class SyncClientBase(Generic[AsyncClientT]):
    """The blocking twin of an async client: it owns one and runs its calls with ``run_sync``.

    ``run_sync`` runs them on ocrframe's own background loop, so the twin works inside a running
    event loop too (a Jupyter kernel). Methods are declared with :func:`blocking`.
    """

    def __init__(self, client: AsyncClientT) -> None:
        self._async = client

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # blocking() cannot know the class it is assigned in; name the methods after it so that
        # help() and tracebacks say DocAIClient.list_models, not AsyncDocAIClient.list_models.
        for name, value in vars(cls).items():
            if getattr(value, "_blocking_twin", False):
                value.__qualname__ = f"{cls.__qualname__}.{name}"

    @property
    def base_url(self) -> str:
        """The service's base URL."""
        return self._async.base_url

    @property
    def uses_embedded_engine(self) -> bool:
        """True when talking to the in-process embedded engine."""
        return self._async.uses_embedded_engine

    def __repr__(self) -> str:
        return repr(self._async).replace(type(self._async).__name__, type(self).__name__, 1)

    def close(self) -> None:
        """Close the connections."""
        run_sync(self._async.aclose())

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def blocking(
    method: Callable[Concatenate[AsyncClientT, _P], Coroutine[Any, Any, _R]],
) -> Callable[Concatenate[SyncClientBase[AsyncClientT], _P], _R]:
    """The blocking twin of an async client method, for a :class:`SyncClientBase` subclass.

    ``list_models = blocking(AsyncDocAIClient.list_models)`` gives the twin the same parameters
    (for mypy and :func:`inspect.signature` alike) and runs the call on the owned async client.
    """

    @functools.wraps(method)
    def call(self: SyncClientBase[AsyncClientT], /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        return run_sync(method(self._async, *args, **kwargs))

    call.__doc__ = f"Blocking :meth:`{method.__qualname__}`."
    call._blocking_twin = True  # type: ignore[attr-defined]
    return call
