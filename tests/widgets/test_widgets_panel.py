"""The panel driven in-process against the embedded engine: set values, click, inspect controls."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

import ipywidgets
import pytest

import ocrframe
from ocrframe.engine.app import ENGINE_BASE_URL, EngineConfig, embedded_transport
from ocrframe.widgets import TABLES, Panel, panel
from tools.synth.captchas import captcha_set
from tools.synth.invoices import random_spec, render_pdf

RUN_TIMEOUT = 180


@pytest.fixture(scope="module")
def invoice_pdf() -> bytes:
    """A small born-digital invoice: read from its text layer, no OCR, so runs are quick."""
    return render_pdf(random_spec(random.Random(5), language="en", layout="classic", n_lines=3))


@pytest.fixture
def folder(tmp_path: Path, invoice_pdf: bytes) -> Path:
    docs = tmp_path / "docs"
    (docs / "sub").mkdir(parents=True)
    (docs / "invoice.pdf").write_bytes(invoice_pdf)
    (docs / "sub" / "broken.pdf").write_bytes(b"%PDF-1.7\nthis is not a PDF body at all\n")
    (docs / "empty.png").write_bytes(b"")
    return docs


def _panel(folder: Path, tmp_path: Path, **kwargs: object) -> Panel:
    return panel(folder, cache=tmp_path / "cache.sqlite3", **kwargs)  # type: ignore[arg-type]


def _controls_idle(p: Panel) -> bool:
    return not p.run_button.disabled and p.stop_button.disabled and not p.service.disabled


def test_without_key_lists_the_engines_models_by_name_and_id(folder: Path, tmp_path: Path) -> None:
    p = _panel(folder, tmp_path)
    values = [v for _, v in p.model.options]
    assert {"invoice", "text"} <= set(values)
    label = dict((v, k) for k, v in p.model.options)["invoice"]
    assert "(invoice)" in label and label != "invoice"  # the name, then the id
    assert p.model.value == "invoice"
    assert "embedded offline engine" in p.service_note.value
    # CapSolver: its modules; the DocAI-only option is off.
    p.service.value = "capsolver"
    assert [v for _, v in p.model.options] == ["common", "queueit"]
    assert p.asynchronous.disabled and p.local_einvoices.disabled
    assert "einvoice" not in p.extract_arguments()
    p.service.value = "docai"
    assert "invoice" in [v for _, v in p.model.options] and not p.asynchronous.disabled
    # Reading e-invoices here is opt-in: the service gets every file unless it is ticked.
    assert not p.local_einvoices.disabled and p.extract_arguments()["einvoice"] == "remote"
    p.local_einvoices.value = True
    assert p.extract_arguments()["einvoice"] == "local"
    # The panel is a widget (a VBox): it displays as one, composes with others, and its repr
    # names no key.
    assert "application/vnd.jupyter.widget-view+json" in p._repr_mimebundle_()
    assert "ocrframe panel" in repr(p)
    assert isinstance(p, ipywidgets.VBox)
    layout = ipywidgets.VBox([ipywidgets.HTML("<h3>Invoices</h3>"), p])
    assert layout.children[1] is p
    assert any(p.run_button in getattr(row, "children", ()) for row in p.children)


def test_with_a_key_the_models_of_that_key(folder: Path, tmp_path: Path) -> None:
    transport = embedded_transport(EngineConfig(docai_key="the-right-key"))
    p = _panel(
        folder, tmp_path, api_key="the-right-key", base_url=ENGINE_BASE_URL, transport=transport
    )
    assert "invoice" in [v for _, v in p.model.options]
    n = len(p.model.options)
    assert f"DocAI at {ENGINE_BASE_URL}: {n} model(s) for this key" in p.service_note.value
    assert "the-right-key" not in p.service_note.value + repr(p)


def test_a_key_that_is_refused_is_said_plainly(folder: Path, tmp_path: Path) -> None:
    transport = embedded_transport(EngineConfig(docai_key="the-right-key"))
    p = _panel(
        folder, tmp_path, api_key="a-wrong-key-123", base_url=ENGINE_BASE_URL, transport=transport
    )
    assert p.model.options == ()
    assert "AuthenticationError" in p.service_note.value
    assert "Traceback" not in p.service_note.value
    assert "a-wrong-key-123" not in p.service_note.value
    p.run_button.click()
    assert "choose a model first" in p.status.value and p.task is None
    # A model id named by the caller stays choosable even when the listing failed.
    named = _panel(
        folder,
        tmp_path,
        model="my-model-7",
        api_key="a-wrong-key-123",
        base_url=ENGINE_BASE_URL,
        transport=transport,
    )
    assert named.model.options == (("my-model-7 (not listed)", "my-model-7"),)
    assert named.model.value == "my-model-7"


def test_folder_browser_and_what_would_be_submitted(folder: Path, tmp_path: Path) -> None:
    p = _panel(folder, tmp_path)
    assert "<b>3</b> file(s)" in p.files.value and "sub/broken.pdf" in p.files.value
    by_label = {label.strip(): value for label, value in p.browser.options}
    assert by_label["📁 sub/"] == str(folder / "sub")
    p.browser.value = str(folder / "sub")  # picking a folder goes into it
    assert p.path.value == str(folder / "sub")
    assert "<b>1</b> file(s)" in p.files.value
    assert [label.strip() for label, _ in p.browser.options] == ["📁 ..", "broken.pdf"]
    p.browser.value = str(folder)  # ".." goes back up
    assert p.path.value == str(folder) and p.browser.value is None
    p.path.value = str(tmp_path / "nowhere")
    assert "no such file or folder" in p.files.value


def test_a_bad_page_selection_stops_before_running(folder: Path, tmp_path: Path) -> None:
    p = _panel(folder, tmp_path)
    p.pages.value = "3-1"
    assert "ends before it starts" in p.pages_note.value
    p.run_button.click()
    assert "Cannot run" in p.status.value and p.task is None
    p.pages.value = "1-2"
    assert p.pages_note.value == ""
    assert p.extract_arguments()["pages"] == "1-2"


async def test_run_fills_the_tabs_lists_failures_and_saves(folder: Path, tmp_path: Path) -> None:
    p = _panel(folder, tmp_path)
    p.concurrency.value = 2
    assert p.save_button.disabled
    p.run_button.click()
    # Started as a task on this loop: the click returned at once with the controls locked.
    assert isinstance(p.task, asyncio.Task) and not p.task.done()
    assert p.run_button.disabled and not p.stop_button.disabled and p.model.disabled
    p.run_button.click()  # a second click while running starts nothing
    first = p.task
    ex = await asyncio.wait_for(p.wait(), RUN_TIMEOUT)
    assert p.task is first and ex is p.result and ex is not None
    assert _controls_idle(p) and not p.save_button.disabled
    assert p.error is None
    assert "Done" in p.status.value and "<b>3</b> document(s)" in p.status.value
    assert p.progress.value == p.progress.max and p.progress.bar_style == "success"

    assert sorted(ex.documents["source"]) == ["empty.png", "invoice.pdf", "sub/broken.pdf"]
    assert p.tabs.titles == TABLES
    documents_tab = p.tables["documents"].value
    assert all(s in documents_tab for s in ("invoice.pdf", "sub/broken.pdf", "empty.png"))
    assert "invoiceNumber" in p.tables["fields"].value
    assert "<b>0</b> rows" in p.tables["texts"].value
    # The failures: which files and why, as a table, never a traceback.
    errors = p.errors.value
    assert "<b>2</b> file(s) failed" in errors
    assert "sub/broken.pdf" in errors and "empty.png" in errors and "invoice.pdf" not in errors
    assert "corrupt" in errors and "empty" in errors and "Traceback" not in errors

    # The preview offers the document viewer for the chosen row.
    assert list(p.look.options) == ["empty.png", "invoice.pdf", "sub/broken.pdf"]
    p.look.value = "invoice.pdf"
    p.look_button.click()
    (view,) = p.look_box.children
    pages, values = view.children
    assert len(pages.children) == 1 and pages.children[0].children[1].value[:4] == b"\x89PNG"
    assert "invoiceNumber" in values.children[0].value

    p.save_path.value = str(tmp_path / "saved")
    p.save_button.click()
    assert "Saved to" in p.save_status.value
    assert ocrframe.read_parquet(tmp_path / "saved").equals(ex)
    (tmp_path / "a-file").write_text("x")
    p.save_path.value = str(tmp_path / "a-file" / "dataset")
    p.save_button.click()
    assert "Not saved" in p.save_status.value and "Traceback" not in p.save_status.value


async def test_capsolver_run_fills_the_texts_tab(tmp_path: Path) -> None:
    images = tmp_path / "images"
    images.mkdir()
    expected = {}
    for i, item in enumerate(captcha_set(2, seed=3, style="clean")):
        (images / f"t{i}.png").write_bytes(item.png)
        expected[f"t{i}.png"] = item.text
    p = panel(images, service="capsolver", model="common", cache=False)
    assert not p.use_cache.value
    p.run_button.click()
    ex = await asyncio.wait_for(p.wait(), RUN_TIMEOUT)
    assert ex is not None and set(ex.texts["source"]) == set(expected)
    assert all(text in p.tables["texts"].value for text in ex.texts["text"])
    assert p.errors.value == ""


async def test_a_run_stopped_by_a_bad_key_shows_why_and_what_was_done(tmp_path: Path) -> None:
    images = tmp_path / "images"
    images.mkdir()
    (images / "a.png").write_bytes(captcha_set(1, seed=4, style="clean")[0].png)
    transport = embedded_transport(EngineConfig(capsolver_key="the-right-key"))
    p = panel(
        images,
        service="capsolver",
        model="common",
        api_key="a-wrong-key-456",
        base_url=ENGINE_BASE_URL,
        transport=transport,
        cache=False,
    )
    p.run_button.click()
    partial = await asyncio.wait_for(p.wait(), RUN_TIMEOUT)
    assert isinstance(p.error, ocrframe.AuthenticationError)
    assert partial is not None and list(partial.documents["status"]) == ["failed"]
    assert "The run stopped: AuthenticationError" in p.status.value
    assert "Traceback" not in p.status.value
    assert _controls_idle(p) and p.progress.bar_style == "danger"
    # The ledger is complete even so: the file is there, failed, with its reason.
    assert "a.png" in p.tables["documents"].value
    shown = " ".join(str(getattr(w, "value", "")) for w in p.widget.children)
    assert "a-wrong-key-456" not in shown + p.status.value + p.errors.value


def test_without_a_running_loop_the_run_goes_to_a_thread(folder: Path, tmp_path: Path) -> None:
    p = _panel(folder / "invoice.pdf", tmp_path)
    p.run_button.click()
    assert p.task is not None and not isinstance(p.task, asyncio.Task)
    p.task.result(timeout=RUN_TIMEOUT)  # type: ignore[call-arg]
    assert p.result is not None and list(p.result.documents["status"]) == ["ok"]
    assert _controls_idle(p)
    assert "<b>1</b> document(s)" in p.status.value


async def test_stop_gives_the_controls_back(folder: Path, tmp_path: Path) -> None:
    p = _panel(folder, tmp_path)
    p.run_button.click()
    assert p.run_button.disabled
    p.stop_button.click()
    assert await asyncio.wait_for(p.wait(), RUN_TIMEOUT) is None
    assert p.task is not None and p.task.cancelled()
    assert _controls_idle(p) and "Stopped" in p.status.value
    # And it runs again afterwards.
    p.run_button.click()
    ex = await asyncio.wait_for(p.wait(), RUN_TIMEOUT)
    assert ex is not None and len(ex.documents) == 3


async def test_stop_cancels_the_batch_once_it_runs(folder: Path, tmp_path: Path) -> None:
    p = _panel(folder, tmp_path)
    p.run_button.click()
    for _ in range(500):  # until the run's coroutine has begun (bounded)
        if p.running_since is not None:
            break
        await asyncio.sleep(0.01)
    assert p.running_since is not None
    p.stop_button.click()
    assert await asyncio.wait_for(p.wait(), RUN_TIMEOUT) is None
    assert _controls_idle(p) and p.task is not None and p.task.cancelled()
    assert "Stopped" in p.status.value


def test_dry_run_says_what_run_would_send(folder: Path, tmp_path: Path) -> None:
    p = _panel(folder, tmp_path)
    p.dry_run_button.click()
    status = p.status.value
    assert "dry run (docai, model invoice): 3 files" in status
    assert "1 requests would be sent" in status  # the two broken files would fail unsent
    assert "invoice.pdf" in status and "sub/broken.pdf" in status
    assert p.result is None and p.task is None  # nothing ran
