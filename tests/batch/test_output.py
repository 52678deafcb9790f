"""Quiet, tidy output: retry lines to the ocrframe logger, a bar only where one can be drawn."""

from __future__ import annotations

import io
import logging
from pathlib import Path
from typing import Any

import httpx
import pytest

import ocrframe
from ocrframe._output import progress_bar, retries_to_debug, show_progress


def _flaky(failures: int) -> httpx.MockTransport:
    """A DocAI stand-in that answers 503 ``failures`` times, then a recognised empty result."""
    calls = {"n": 0}

    def handle(request: httpx.Request) -> httpx.Response:
        calls["n"] += 1
        if calls["n"] <= failures:
            return httpx.Response(503, json={"code": 503, "message": "busy"})
        data = {"fileId": "f1", "recognizeStatus": "1", "result": {"fieldList": []}}
        return httpx.Response(200, json={"code": 200, "data": data})

    return httpx.MockTransport(handle)


def test_retry_lines_go_to_the_ocrframe_logger_not_the_terminal(
    tmp_path: Path,
    make: Any,
    no_waits: object,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    (tmp_path / "a.png").write_bytes(make.png("x"))
    with caplog.at_level(logging.DEBUG, logger="ocrframe"):
        ex = ocrframe.extract(
            tmp_path,
            model="m",
            api_key="k",
            base_url="http://docai.test",
            transport=_flaky(3),
            cache=False,
            progress=False,
        )
    assert ex.documents["attempts"].tolist() == [4]
    err = capfd.readouterr().err
    assert "retry_scheduled" not in err and "stamina" not in err
    retries = [r for r in caplog.records if r.name == "ocrframe" and "retry" in r.getMessage()]
    assert [r.getMessage().split(" scheduled")[0] for r in retries] == [
        "retry 1",
        "retry 2",
        "retry 3",
    ]
    assert all(r.levelno == logging.DEBUG for r in retries)
    assert not [r for r in caplog.records if r.name == "stamina"]


def test_retries_outside_a_run_are_left_to_stamina(caplog: pytest.LogCaptureFixture) -> None:
    with retries_to_debug():
        pass  # the filter is installed once; outside the block it lets records through
    with caplog.at_level(logging.WARNING, logger="stamina"):
        logging.getLogger("stamina").warning("stamina.retry_scheduled")
    assert [r.name for r in caplog.records] == ["stamina"]


def test_no_bar_and_no_control_codes_outside_a_terminal(
    tmp_path: Path, make: Any, capfd: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a.pdf").write_bytes(make.pdf("Total 1.00"))
    ocrframe.extract(tmp_path, model="text", cache=False, progress=True)
    err = capfd.readouterr().err
    assert "\r" not in err and "\x1b" not in err
    assert "ocrframe docai" not in err  # no bar at all: stderr is not a terminal here


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_gets_a_bar() -> None:
    assert show_progress(_Terminal()) is True
    assert show_progress(io.StringIO()) is False
    assert progress_bar(3, "x") is None  # pytest's captured stderr is not a terminal
