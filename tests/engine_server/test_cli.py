"""``ocrframe serve``: options reach the engine config; keys from flags or the engine env."""

from __future__ import annotations

from typing import Any

import pytest
from click.testing import CliRunner

import ocrframe.engine.app as engine_app
from ocrframe.cli import main


@pytest.fixture
def captured(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    seen: dict[str, Any] = {}

    def fake_serve(config: Any, host: str, port: int, *, on_listening: Any) -> None:
        seen.update(config=config, host=host, port=port)
        on_listening(f"http://{host}:4321")

    monkeypatch.setattr(engine_app, "serve", fake_serve)
    return seen


def test_flags_become_the_config(captured: dict[str, Any]) -> None:
    result = CliRunner().invoke(
        main,
        [
            "serve",
            "--port",
            "0",
            "--latency-ms",
            "25",
            "--fault-rate",
            "0.2",
            "--seed",
            "7",
            "--fault-kinds",
            "429,reset",
            "--fault-timeout-s",
            "3",
            "--max-body-mb",
            "2",
            "--docai-key",
            "dk",
            "--capsolver-key",
            "ck",
            "--workers",
            "3",
            "--unpolled-timeout-s",
            "7",
            "--result-ttl-s",
            "9",
        ],
    )
    assert result.exit_code == 0, result.output
    assert result.output == "ocrframe engine listening on http://127.0.0.1:4321\n"
    config = captured["config"]
    assert (captured["host"], captured["port"]) == ("127.0.0.1", 0)
    assert (config.latency_ms, config.fault_rate, config.seed) == (25, 0.2, 7)
    assert config.fault_kinds == ("429", "reset")
    assert config.fault_timeout_s == 3 and config.workers == 3
    assert (config.unpolled_timeout_s, config.result_ttl_s) == (7, 9)
    assert config.max_body_bytes == 2 * 1024 * 1024
    assert (config.docai_key, config.capsolver_key) == ("dk", "ck")


def test_keys_from_the_engine_env_not_the_client_env(
    captured: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCAI_API_KEY", "client-key")
    monkeypatch.setenv("CAPSOLVER_API_KEY", "client-key-2")
    monkeypatch.setenv("OCRFRAME_ENGINE_DOCAI_KEY", "engine-dk")
    result = CliRunner().invoke(main, ["serve"])
    assert result.exit_code == 0, result.output
    assert captured["config"].docai_key == "engine-dk"
    assert captured["config"].capsolver_key is None
    assert captured["port"] == 8000


def test_bad_fault_kind_is_a_clean_error() -> None:
    result = CliRunner().invoke(main, ["serve", "--port", "0", "--fault-kinds", "teapot"])
    assert result.exit_code != 0
    assert "unknown fault kinds" in result.output
