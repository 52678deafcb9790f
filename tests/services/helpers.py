"""Helpers for the wire-client tests: a recording MockTransport handler, body decoders."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

import httpx

Answer = httpx.Response | Callable[[httpx.Request], httpx.Response]


class Recorder:
    """A MockTransport handler that records every request and plays back answers in order.

    The last answer repeats once the list is used up.
    """

    def __init__(self, answers: Iterable[Answer]) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers[min(len(self.requests), len(self.answers)) - 1]
        return answer(request) if callable(answer) else answer

    @property
    def transport(self) -> httpx.MockTransport:
        """A fresh MockTransport over this handler."""
        return httpx.MockTransport(self)

    @property
    def last(self) -> httpx.Request:
        """The last request received."""
        assert self.requests, "no request was sent"
        return self.requests[-1]


def json_response(body: Any, status: int = 200, **headers: str) -> httpx.Response:
    """An answer with ``body`` as JSON."""
    return httpx.Response(status, json=body, headers=headers)


def multipart_parts(request: httpx.Request) -> dict[str, tuple[str | None, bytes]]:
    """The parts of a multipart/form-data request: name -> (filename, content)."""
    content_type = request.headers["content-type"]
    assert content_type.startswith("multipart/form-data"), content_type
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + request.content
    )
    parts: dict[str, tuple[str | None, bytes]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        filename = part.get_param("filename", header="content-disposition")
        payload = part.get_payload(decode=True)
        assert isinstance(name, str) and isinstance(payload, bytes)
        parts[name] = (filename if isinstance(filename, str) else None, payload)
    return parts


def json_body(request: httpx.Request) -> Any:
    """The decoded JSON body of a request."""
    assert request.headers["content-type"] == "application/json"
    return json.loads(request.content)
