"""``ocrframe.__all__`` is the public API, and the README lists exactly it."""

from __future__ import annotations

import re
from pathlib import Path

import ocrframe

README = Path(__file__).resolve().parents[1] / "README.md"
PUBLIC_MODULES = {"widgets", "errors", "cli", "services", "engine", "dask", "limits"}


def _readme_api() -> set[str]:
    text = README.read_text()
    start = text.index("### The public API")
    section = text[start : text.index("\n## ", start)]
    listed = section[section.index("\n- ") :]
    return set(re.findall(r"`([A-Za-z_]+)`", listed)) - {"ocrframe"}


def test_the_readme_lists_exactly_the_public_names() -> None:
    assert _readme_api() == set(ocrframe.__all__)


def test_every_ocrframe_name_the_readme_uses_is_public() -> None:
    used = set(re.findall(r"\bocrframe\.([A-Za-z][A-Za-z_]*)", README.read_text()))
    assert used - set(ocrframe.__all__) - PUBLIC_MODULES == set()


def test_every_result_has_a_summary() -> None:
    answer = {"errorId": 0, "status": "ready", "taskId": "t", "solution": {"text": "x"}}
    ex = ocrframe.Extraction.from_responses([answer])
    assert isinstance(ex.summary, ocrframe.RunSummary) and ex.summary.documents == 0


def test_run_aborted_error_declares_its_extraction() -> None:
    assert "extraction" in ocrframe.RunAbortedError.__annotations__
    assert ocrframe.AuthenticationError("no", service="docai", code="401").extraction is None
