"""Fixtures shared by every test."""

from __future__ import annotations

import pytest

_ENV_VARS = (
    "DOCAI_API_KEY",
    "DOCAI_BASE_URL",
    "CAPSOLVER_API_KEY",
    "CAPSOLVER_API_BASE",
    "OCRFRAME_CACHE_DIR",
)


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test sees the developer's keys, base URLs or cache location."""
    for name in _ENV_VARS:
        monkeypatch.delenv(name, raising=False)
