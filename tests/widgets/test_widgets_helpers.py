"""The panel's pure helpers: options, page boxes, directory listings, HTML for tables and errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from ocrframe.errors import AuthenticationError, PageRangeError
from ocrframe.widgets import (
    CAPSOLVER_MODULES,
    directory_entries,
    error_html,
    failures_html,
    files_under,
    model_options,
    pages_argument,
    table_html,
)


def test_docai_models_show_name_and_id_and_skip_ones_without_id() -> None:
    models: list[dict[str, Any]] = [
        {"modelId": "1f3a", "modelName": "Invoices EU", "description": "x"},
        {"modelId": "text", "modelName": "text"},
        {"modelName": "no id"},
        {"modelId": "9z", "modelName": None},
    ]
    assert model_options("docai", models) == [
        ("Invoices EU (1f3a)", "1f3a"),
        ("text", "text"),
        ("9z", "9z"),
    ]


def test_capsolver_options_are_its_modules() -> None:
    assert model_options("capsolver", [{"modelId": "ignored"}]) == [
        (m, m) for m in CAPSOLVER_MODULES
    ]
    assert "common" in CAPSOLVER_MODULES and "queueit" in CAPSOLVER_MODULES


def test_pages_argument() -> None:
    assert pages_argument("  ") is None
    assert pages_argument("3, 1, 4") == "1-1, 3-4"
    with pytest.raises(PageRangeError):
        pages_argument("4-2")


def test_directory_entries_lists_parent_then_folders_then_files(tmp_path: Path) -> None:
    (tmp_path / "b.pdf").write_bytes(b"%PDF")
    (tmp_path / "a").mkdir()
    (tmp_path / ".hidden").write_text("x")
    entries = directory_entries(tmp_path)
    assert [v for _, v in entries] == [
        str(tmp_path.parent),
        str(tmp_path / "a"),
        str(tmp_path / "b.pdf"),
    ]
    assert entries[0][0].endswith("..") and entries[1][0].endswith("a/")
    # A file lists the folder that holds it.
    assert directory_entries(tmp_path / "b.pdf") == entries


def test_files_under_follows_the_batch_discovery(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "x.png").write_bytes(b"x")
    (tmp_path / "y.pdf").write_bytes(b"y")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "z").write_bytes(b"z")
    assert files_under(tmp_path) == ["sub/x.png", "y.pdf"]
    assert files_under(tmp_path / "y.pdf") == ["y.pdf"]
    assert files_under(tmp_path / "missing") == []
    assert len(files_under(tmp_path, limit=1)) == 1


def test_table_html_says_the_size_and_shows_the_head() -> None:
    df = pd.DataFrame({"source": [f"f{i}.pdf" for i in range(30)], "v": ["<b>"] * 30})
    out = table_html(df, rows=5)
    assert "<b>30</b> rows" in out and "first 5 shown" in out
    assert "f4.pdf" in out and "f5.pdf" not in out
    assert "&lt;b&gt;" in out  # cell text is escaped
    assert table_html(df.iloc[:0]).startswith("<p><b>0</b> rows")


def test_failures_html_lists_failed_and_pending_files_and_why() -> None:
    documents = pd.DataFrame(
        {
            "source": ["ok.pdf", "bad.pdf", "slow.pdf", "cap.tif"],
            "status": ["ok", "failed", "pending", "failed"],
            "error_code": [None, "corrupt", None, "ERROR_INVALID_IMAGE"],
            "error_message": [None, "not a <PDF>", None, "bad image"],
            "page": [None, None, None, 2],
        }
    )
    out = failures_html(documents)
    assert "<b>2</b> file(s) failed" in out and "<b>1</b> still pending" in out
    assert "bad.pdf" in out and "corrupt" in out and "not a &lt;PDF&gt;" in out
    assert "cap.tif (page 2)" in out
    assert "ok.pdf" not in out
    assert failures_html(documents[documents.status == "ok"]) == ""
    assert failures_html(pd.DataFrame()) == ""


def test_error_html_is_readable_and_never_a_traceback() -> None:
    exc = AuthenticationError("the key was refused", service="docai", code="401", http_status=401)
    out = error_html(exc)
    assert "AuthenticationError" in out and "the key was refused" in out
    assert "Traceback" not in out
    assert "Cannot run" in error_html(ValueError("x"), "Cannot run")


def test_the_documented_spelling_works_after_a_plain_import() -> None:
    import ocrframe
    import ocrframe.widgets as module

    assert ocrframe.widgets is module and callable(ocrframe.widgets.panel)
    with pytest.raises(AttributeError):
        ocrframe.no_such_thing  # noqa: B018
