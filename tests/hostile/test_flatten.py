"""Hostile values in every position of an answer: the flattener notes them, never raises.

An answer is cached before it is flattened, so an answer the flattener cannot read would crash
every later run against a healthy server too; these tests flatten each hostile answer twice, once
as received and once from the cache.
"""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import ocrframe
from ocrframe.services._http import decode_json
from tests.hostile import inputs
from tests.hostile.conftest import HostileServer, Request, json_answer

HOSTILE: list[Any] = [
    10**30,
    2**31,
    2**63,
    -(2**63) - 1,
    1e300,
    float("inf"),
    float("nan"),
    -1,
    0,
    True,
    None,
    "",
    "\x00",
    [],
    {},
    [[[]]],
    {"a": {"b": 1}},
    "x" * 100_000,
]
DOCAI = {
    "code": 200,
    "message": None,
    "requestId": "r",
    "data": {
        "fileId": "f1",
        "recognizeStatus": "1",
        "result": {
            "fieldList": [{"pageNumber": 1, "key": "k", "value": "1"}],
            "itemList": [[{"pageNumber": 1, "key": "a", "value": "2"}]],
            "taxList": [[{"pageNumber": 1, "key": "t", "value": "3"}]],
        },
    },
}
CAPSOLVER = {
    "errorId": 0,
    "errorCode": "",
    "errorDescription": "",
    "status": "ready",
    "solution": {"text": "abc"},
    "taskId": "t1",
}


def _paths(obj: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(obj, dict):
        for key, value in obj.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(obj, list):
        for i, value in enumerate(obj):
            yield from _paths(value, (*prefix, i))


def _put(obj: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    copied = copy.deepcopy(obj)
    target = copied
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return copied


@pytest.mark.parametrize("service", ["docai", "capsolver"])
def test_no_hostile_value_anywhere_makes_the_flattener_raise(service: str) -> None:
    base = DOCAI if service == "docai" else CAPSOLVER
    answers = {
        f"{'/'.join(map(str, path))}={i}": _put(base, path, value)
        for path in _paths(base)
        for i, value in enumerate(HOSTILE)
    }
    ex = ocrframe.Extraction.from_responses(answers, service=service)  # type: ignore[arg-type]
    ex.items_wide()
    ex.taxes_wide()
    assert len(ex.documents) == len(answers)
    assert set(ex.documents["status"]) <= {"ok", "failed", "pending"}


@pytest.mark.parametrize("page", [10**30, 2**31, 1e300])
def test_an_absurd_page_number_is_noted_and_left_null(page: Any) -> None:
    answer = _put(DOCAI, ("data", "result", "fieldList", 0, "pageNumber"), page)
    ex = ocrframe.Extraction.from_responses({"a.pdf": answer})
    assert ex.fields["page"].isna().all()
    row = ex.documents.iloc[0]
    assert row["error_code"] == "malformed_answer"
    assert "pageNumber: past page 2,147,483,647" in row["error_message"]


def test_lone_surrogates_in_an_answer_become_readable_escapes() -> None:
    body = json.dumps(_put(DOCAI, ("data", "result", "fieldList", 0, "value"), "x\udcff")).encode()
    assert b"\\udcff" in body
    answer = decode_json(body, service="docai")
    ex = ocrframe.Extraction.from_responses({"a.pdf": answer})
    assert ex.fields["value"].tolist() == ["x\\udcff"]


@pytest.mark.parametrize("page", [10**30, 2**31, 1e300])
def test_a_cached_absurd_answer_never_crashes_a_later_run(
    hostile_server: Callable[..., HostileServer], tmp_path: Path, page: Any
) -> None:
    answer = _put(DOCAI, ("data", "result", "fieldList", 0, "pageNumber"), page)

    async def script(request: Request, writer: asyncio.StreamWriter) -> None:
        writer.write(json_answer(answer))

    server = hostile_server(script)
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.png").write_bytes(inputs.png(40, 20))
    runs = [
        ocrframe.extract(
            tmp_path / "in",
            model="m",
            api_key="k-flatten",
            base_url=server.url,
            cache=tmp_path / "cache.sqlite3",
            out=tmp_path / f"out{i}",
            progress=False,
        )
        for i in range(2)
    ]
    assert len(server.requests) == 1  # the second run read the cache
    for ex in runs:
        assert len(ex.documents) == 1 and ex.fields["page"].isna().all()
