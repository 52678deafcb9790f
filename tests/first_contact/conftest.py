"""Fixtures of the first-contact tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def shared_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One answer cache for the session's runs on data/sample: the OCR of the scans is paid once.

    Every test still starts from its own copy of the sample and its own output folder; what is
    shared is only what the cache is for (answers to identical requests).
    """
    return tmp_path_factory.mktemp("ocrframe-cache")
