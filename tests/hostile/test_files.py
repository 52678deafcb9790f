"""Hostile files: each becomes its own ``failed`` row with a clear code, within bounded memory.

The documents are built by :mod:`tests.hostile.inputs` (a few hundred bytes each). The guards
are checked where they live (the core ``_documents``), and end to end through ``extract`` on
the embedded engine in a child process whose address space is capped.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

import ocrframe
from ocrframe import _documents
from ocrframe import _documents as documents
from ocrframe._batch import run as batch_run
from ocrframe.errors import InputFileError
from tests.hostile import inputs
from tests.hostile.conftest import run_bounded

HOSTILE: dict[str, Callable[[], bytes]] = {
    "page-tree-contains-itself.pdf": inputs.self_containing_page_tree,
    "page-tree-3000-deep.pdf": inputs.deep_page_tree,
    "form-draws-itself.pdf": inputs.self_referencing_form,
    "blank-5000-pages.pdf": lambda: inputs.blank_pages(5000),
    "line-65535x1.png": lambda: inputs.png(65535, 1),
    "line-1600x1.png": lambda: inputs.png(1600, 1),
}


def test_the_hostile_files_are_as_small_as_claimed() -> None:
    sizes = {name: len(make()) for name, make in HOSTILE.items()}
    assert sizes["line-65535x1.png"] < 200
    assert sizes["form-draws-itself.pdf"] < 800
    assert len(inputs.blank_pages(300)) < 40_000


@pytest.mark.parametrize(
    ("name", "code", "fragment"),
    [
        ("page-tree-contains-itself.pdf", "corrupt", "cannot be loaded"),
        ("page-tree-3000-deep.pdf", "corrupt", "cannot be loaded"),
        ("form-draws-itself.pdf", "too_large", "a form that draws itself"),
        ("line-65535x1.png", "too_large", "65,535 × 1"),
        ("line-1600x1.png", "too_large", "max_aspect"),
    ],
)
def test_rendering_a_hostile_file_is_a_typed_error(name: str, code: str, fragment: str) -> None:
    with pytest.raises(InputFileError) as info:
        _documents.page_pngs(HOSTILE[name](), dpi=72, source=name)
    assert (info.value.code, info.value.source) == (code, name)
    assert fragment in info.value.message


def test_a_file_over_the_page_limit_is_refused_when_counted() -> None:
    with pytest.raises(InputFileError) as info:
        _documents.count_pages(inputs.blank_pages(5000), source="b.pdf")
    assert info.value.code == "too_large" and "5,000 pages" in info.value.message
    assert _documents.count_pages(inputs.blank_pages(5000), max_pages=5000) == ("pdf", 5000)


def test_forms_drawn_too_often_are_refused_and_plain_forms_are_not() -> None:
    with pytest.raises(InputFileError, match="draws itself"):
        _documents.check_forms(inputs.self_referencing_form())
    _documents.check_forms(inputs.blank_pages(3))  # no forms: nothing to count


def test_capsolver_pages_are_rendered_a_window_at_a_time(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    pages = 3 * batch_run.PAGE_WINDOW
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "blank.pdf").write_bytes(inputs.blank_pages(pages))
    rendered = 0
    sent = 0
    ahead: list[int] = []
    real = documents.page_pngs

    def counting(content: bytes, **kwargs: object) -> list[tuple[int, bytes]]:
        nonlocal rendered
        result: list[tuple[int, bytes]] = real(content, **kwargs)  # type: ignore[arg-type]
        rendered += len(result)
        return result

    def answer(request: httpx.Request) -> httpx.Response:
        nonlocal sent
        sent += 1
        ahead.append(rendered - sent)
        task = {"status": "ready", "solution": {"text": "x"}, "taskId": f"t{sent}"}
        return httpx.Response(200, json={"errorId": 0, **task})

    monkeypatch.setattr(documents, "page_pngs", counting)
    ex = ocrframe.extract(
        tmp_path / "in",
        service="capsolver",
        model="common",
        api_key="k-window",
        transport=httpx.MockTransport(answer),
        cache=False,
        progress=False,
    )
    assert sorted(ex.documents["page"].tolist()) == list(range(1, pages + 1))
    assert sent == pages and rendered == pages
    assert max(ahead) < batch_run.PAGE_WINDOW


@pytest.mark.parametrize("service", ["capsolver", "docai"])
def test_hostile_files_end_as_failed_rows_in_bounded_memory(tmp_path: Path, service: str) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for name, make in HOSTILE.items():
        (folder / name).write_bytes(make())
    (folder / "good.png").write_bytes(inputs.png(120, 40))
    out = run_bounded(
        f"""
        import json, ocrframe
        ex = ocrframe.extract({str(folder)!r}, service={service!r},
                              model={"common" if service == "capsolver" else "invoice"!r},
                              retries=1, cache=False, progress=False)
        rows = ex.documents[["source", "page", "status", "error_code", "error_message"]]
        print(json.dumps(rows.astype(object).where(rows.notna(), None).to_dict("records")))
        """,
        address_space=4 * 1024**3,
    )
    rows = json.loads(out.splitlines()[-2])
    by_source: dict[str, list[dict[str, object]]] = {}
    for row in rows:
        by_source.setdefault(str(row["source"]), []).append(row)
    assert set(by_source) == {*HOSTILE, "good.png"}  # every file has its row(s)
    for name in HOSTILE:
        for row in by_source[name]:
            assert row["status"] == "failed" and row["error_message"], row
    codes = {name: {r["error_code"] for r in by_source[name]} for name in HOSTILE}
    assert codes["blank-5000-pages.pdf"] == {"too_large"}
    if service == "capsolver":
        assert codes["form-draws-itself.pdf"] == {"too_large"}
        assert codes["page-tree-3000-deep.pdf"] == {"corrupt"}
        assert "corrupt" in codes["page-tree-contains-itself.pdf"]
        assert codes["line-65535x1.png"] == {"ERROR_INVALID_IMAGE"}
    else:
        reasons = " ".join(str(r["error_message"]) for r in rows)
        assert "a form that draws itself" in reasons and "max_aspect" in reasons


def test_a_limit_changed_for_the_process_applies_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    from ocrframe import limits
    from ocrframe._inputs import parse_pages

    monkeypatch.setattr(limits, "MAX_PAGES", 3)
    with pytest.raises(InputFileError, match="over the limit of 3"):
        _documents.count_pages(inputs.blank_pages(4))
    with pytest.raises(ocrframe.PageRangeError, match="past the limit of 3"):
        parse_pages("1-4")
    monkeypatch.setattr(limits, "MAX_ASPECT", 2000)
    _documents.check_geometry(1600, 1)  # allowed now


def test_pages_not_sent_by_the_files_deadline_are_failed_rows(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "blank.pdf").write_bytes(inputs.blank_pages(6))
    sent: list[int] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(1)
        task = {"status": "ready", "solution": {"text": "x"}, "taskId": f"t{len(sent)}"}
        return httpx.Response(200, json={"errorId": 0, **task})

    ex = ocrframe.extract(
        tmp_path / "in",
        service="capsolver",
        model="common",
        api_key="k-deadline",
        transport=httpx.MockTransport(answer),
        cache=False,
        progress=False,
        file_timeout=1e-9,  # over before the first page
    )
    assert sent == []
    assert ex.documents["error_code"].tolist() == ["file_timeout"] * 6
    assert "file_timeout" in ex.documents["error_message"].iloc[0]
