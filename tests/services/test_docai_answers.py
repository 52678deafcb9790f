"""file_id_of / result_entries: reading DocAI answers on literal data (no client involved)."""

from __future__ import annotations

from typing import Any

import pytest

from ocrframe.services.docai import (
    file_id_of,
    pending_answer,
    per_file_answers,
    recognition_status,
    result_entries,
)


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ({"code": 200, "data": {"fileId": "f-1", "recognizeStatus": "2"}}, "f-1"),
        ({"code": 200, "data": {"fileId": "f-2", "recognizeStatus": "1", "result": {}}}, "f-2"),
        ({"code": 200, "data": {"fileId": "", "recognizeStatus": "2"}}, None),
        ({"code": 200, "data": {"fileId": 7, "recognizeStatus": "2"}}, None),
        ({"code": 200, "data": {"recognizeStatus": "2"}}, None),
        ({"code": 200, "data": [{"fileId": "f-1", "recognizeStatus": "1"}]}, None),
        ({"code": 200, "data": None}, None),
        ({"code": 200}, None),
    ],
)
def test_file_id_of(answer: dict[str, Any], expected: str | None) -> None:
    assert file_id_of(answer) == expected


def test_result_entries_keys_items_by_file_id_as_received() -> None:
    first = {"fileId": "a", "recognizeStatus": "1", "result": {"fieldList": []}}
    second = {"fileId": "b", "recognizeStatus": "2"}
    answer = {"code": 200, "data": [first, second], "requestId": "r"}
    entries = result_entries(answer)
    assert entries == {"a": first, "b": second}
    assert entries["a"] is first  # the very object received, not a copy
    assert list(entries) == ["a", "b"]


def test_result_entries_skips_what_is_not_an_item() -> None:
    good = {"fileId": "c", "recognizeStatus": "0"}
    answer = {"data": [good, "x", None, {"recognizeStatus": "1"}, {"fileId": 3}]}
    assert result_entries(answer) == {"c": good}


def test_result_entries_later_duplicate_wins() -> None:
    old = {"fileId": "d", "recognizeStatus": "2"}
    new = {"fileId": "d", "recognizeStatus": "1"}
    assert result_entries({"data": [old, new]}) == {"d": new}


@pytest.mark.parametrize("data", [None, {"fileId": "a", "recognizeStatus": "1"}, "a", []])
def test_result_entries_without_a_list_is_empty(data: Any) -> None:
    assert result_entries({"code": 200, "data": data}) == {}


def test_per_file_answers_keep_the_envelope_and_narrow_data() -> None:
    answer = {
        "code": 200,
        "requestId": "r-9",
        "data": [
            {"fileId": "a", "recognizeStatus": "1", "result": {"fieldList": []}},
            {"fileId": "b", "recognizeStatus": "2"},
            "not an entry",
        ],
    }
    entries = answer["data"]
    assert isinstance(entries, list)
    split = per_file_answers(answer)
    assert set(split) == {"a", "b"}
    assert split["a"] == {"code": 200, "requestId": "r-9", "data": entries[0]}
    assert recognition_status(split["b"]) == "pending"
    assert per_file_answers({"code": 200, "data": None}) == {}


def test_pending_answer_reads_back_as_pending() -> None:
    placeholder = pending_answer("f-7")
    assert file_id_of(placeholder) == "f-7"
    assert recognition_status(placeholder) == "pending"
