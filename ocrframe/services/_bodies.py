"""Answers' bodies: read within limits, decompressed, decoded as JSON, described for messages.

Pure helpers (no client, no retries) shared by :mod:`ocrframe.services._http`: a body is read and
inflated a piece at a time so that a small answer that inflates to a gigabyte is refused at the
limit, JSON deeper than the limit is refused before Python recurses into it, and lone surrogates
are escaped so that every later step can encode what it holds.
"""

from __future__ import annotations

import json
import re
import zlib
from typing import Any

import httpx

from ocrframe import limits
from ocrframe.errors import (
    ResponseFormatError,
    ResponseLimitError,
    redact,
    redact_answer,
)

_SNIPPET = 60


def describe(value: object) -> str:
    """Name a decoded JSON value's type the way an error message should.

    >>> describe("1"), describe(None), describe([]), describe(2.5)
    ('a string', 'null', 'a list', 'a number')
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return f"a {type(value).__name__}"


def snippet(body: bytes) -> str:
    """The start of a body for an error message, scrubbed of keys *before* it is cut short.

    >>> snippet(b"<html>Bad Gateway</html>")
    "'<html>Bad Gateway</html>'"
    """
    # Redacting first: a key cut in half by the truncation would no longer match redact().
    text = redact(body.decode("utf-8", errors="replace"))
    more = "..." if len(text) > _SNIPPET else ""
    return repr(text[:_SNIPPET]) + more


def json_depth_over(value: Any, limit: int) -> bool:
    """Whether decoded JSON nests deeper than ``limit`` (iterative: no recursion to exhaust).

    >>> json_depth_over([[[1]]], 2), json_depth_over({"a": [1]}, 2)
    (True, False)
    """
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item
        if isinstance(item, dict | list):
            if depth > limit:
                return True
            stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


# A JSON string may escape a lone UTF-16 surrogate ("\udcff"): Python decodes it to a str that
# no UTF-8 writer (Arrow, Parquet, SQLite, a terminal) accepts.
_SURROGATE_ESCAPE = re.compile(rb"\\[uU][dD][89a-fA-F]")


def _without_lone_surrogates(value: Any) -> Any:
    """``value`` with every lone surrogate shown as its escape (``\\udcff``), keys included."""

    def fix(text: str) -> str:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")

    def clean(item: Any) -> Any:
        if isinstance(item, str):
            return fix(item)
        if isinstance(item, list):
            return [clean(v) for v in item]
        if isinstance(item, dict):
            return {fix(k): clean(v) for k, v in item.items()}
        return item

    return clean(value)


def decode_json(
    body: bytes,
    *,
    service: str,
    http_status: int | None = None,
    source: str | None = None,
    max_depth: int | None = None,
) -> Any:
    """Decode a response body as JSON, or raise :class:`ResponseFormatError` saying why not.

    An answer nested deeper than ``max_depth`` raises :class:`ResponseLimitError`; every string
    in the result has been through :func:`~ocrframe.errors.redact_answer`.

    >>> decode_json(b'{"code": 200}', service="docai")
    {'code': 200}
    """
    if not body.strip():
        raise ResponseFormatError(
            "empty response body, expected JSON",
            service=service,
            http_status=http_status,
            source=source,
        )
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        reason = f"not UTF-8 text ({exc.reason} at byte {exc.start})"
    else:
        # Fewer brackets than the limit cannot nest deeper than it: most answers skip the walk.
        if max_depth is None:
            max_depth = limits.MAX_JSON_DEPTH
        shallow = body.count(b"[") + body.count(b"{") <= max_depth
        try:
            decoded = json.loads(text)
            if not shallow and json_depth_over(decoded, max_depth):
                raise RecursionError
            # Both walks recurse: inside this try, a depth the parser allowed but a walk
            # cannot take is the same typed error.
            if _SURROGATE_ESCAPE.search(body):
                decoded = _without_lone_surrogates(decoded)
            decoded = redact_answer(decoded)
        except RecursionError:
            raise ResponseLimitError(
                f"the answer nests deeper than the limit of {max_depth} levels (max_json_depth)",
                code="answer_too_deep",
                service=service,
                http_status=http_status,
                source=source,
            ) from None
        except json.JSONDecodeError as exc:
            cut = exc.pos >= len(text.rstrip()) - 1 or exc.msg.startswith("Unterminated string")
            if cut:
                reason = f"JSON that ends early (truncated at byte {len(body)}: {exc.msg})"
            else:
                reason = f"not JSON ({exc.msg} at position {exc.pos})"
        else:
            return decoded
    raise ResponseFormatError(
        f"response body is {reason}; it starts {snippet(body)}",
        service=service,
        http_status=http_status,
        source=source,
    )


def _decoders(encoding: str, *, service: str) -> list[Any]:
    """zlib decompressors for a Content-Encoding header, in the order to apply them."""
    decoders: list[Any] = []
    for coding in reversed([c.strip().lower() for c in encoding.split(",") if c.strip()]):
        if coding == "identity":
            continue
        if coding in ("gzip", "x-gzip"):
            decoders.append(zlib.decompressobj(16 + zlib.MAX_WBITS))
        elif coding == "deflate":
            decoders.append(_Deflate())
        else:
            raise ResponseFormatError(
                f"the answer is encoded as {coding!r}, which was not asked for",
                service=service,
            )
    return decoders


class _Deflate:
    """HTTP "deflate": zlib-wrapped by the standard, raw deflate from some servers."""

    def __init__(self) -> None:
        self._inner = zlib.decompressobj()
        self._started = False

    @property
    def unconsumed_tail(self) -> bytes:
        return bytes(self._inner.unconsumed_tail)

    def decompress(self, data: bytes, max_length: int) -> bytes:
        if not self._started:
            self._started = True
            try:
                return bytes(self._inner.decompress(data, max_length))
            except zlib.error:
                self._inner = zlib.decompressobj(-zlib.MAX_WBITS)
        return bytes(self._inner.decompress(data, max_length))


async def read_body(
    response: httpx.Response, limit: int, *, service: str, source: str | None
) -> bytes:
    """The answer's body, decompressed, refusing more than ``limit`` bytes before or after.

    Read and inflated a piece at a time, so a small body that inflates to a gigabyte costs at
    most ``limit`` bytes of memory before it is refused.
    """

    def too_large(where: str) -> ResponseLimitError:
        return ResponseLimitError(
            f"the answer is larger than the limit of {limit:,} bytes {where} (max_answer_bytes)",
            code="answer_too_large",
            service=service,
            http_status=response.status_code,
            source=source,
        )

    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large("on the wire")
    try:
        # A transport that hands over answers already read (httpx.MockTransport) has decoded them.
        ready = response.content
    except httpx.ResponseNotRead:
        pass
    else:
        if len(ready) > limit:
            raise too_large("once decompressed")
        return ready
    decoders = _decoders(response.headers.get("content-encoding", ""), service=service)
    received = 0
    out = bytearray()
    try:
        async for raw in response.aiter_raw():
            received += len(raw)
            if received > limit:
                raise too_large("on the wire")
            pieces = [raw]
            for decoder in decoders:
                inflated: list[bytes] = []
                for piece in pieces:
                    data = piece
                    while data:
                        room = limit - len(out) - sum(map(len, inflated)) + 1
                        inflated.append(decoder.decompress(data, room))
                        if sum(map(len, inflated)) + len(out) > limit:
                            raise too_large("once decompressed")
                        data = decoder.unconsumed_tail
                pieces = inflated
            for piece in pieces:
                out += piece
            if len(out) > limit:
                raise too_large("once decompressed")
    except zlib.error as exc:
        raise ResponseFormatError(
            f"the answer's compressed body is corrupt ({exc})",
            service=service,
            http_status=response.status_code,
            source=source,
        ) from None
    return bytes(out)
