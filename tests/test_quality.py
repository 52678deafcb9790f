"""The package is lint- and type-clean, and the public surface matches ``__all__``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import ocrframe

ROOT = Path(__file__).resolve().parents[1]


def test_ruff_clean() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "ocrframe", "tests", "benchmarks"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_clean() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_exported_members() -> None:
    public = {name for name in dir(ocrframe) if not name.startswith("_")}
    # Submodules are importable but are not part of the flat public API.
    modules = {name for name in public if type(getattr(ocrframe, name)).__name__ == "module"}
    assert public - modules == set(ocrframe.__all__) - {"__version__"}
