"""Fixtures for the tables tests: the seed's example answer and a few variations of it."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def seed_answer() -> dict[str, Any]:
    """The synchronous example answer of DocAI's identifyByEncodeString page, as published."""
    data: dict[str, Any] = json.loads(
        (FIXTURES / "docai_seed_example.json").read_text(encoding="utf-8")
    )
    return copy.deepcopy(data)


@pytest.fixture
def capsolver_answer() -> dict[str, Any]:
    """The ImageToTextTask answer of CapSolver's page."""
    return {
        "errorId": 0,
        "errorCode": "",
        "errorDescription": "",
        "status": "ready",
        "solution": {"text": "44795sds"},
        "taskId": "2f4b7a5c-1e2d-4c3b-9a8f-000000000001",
    }
