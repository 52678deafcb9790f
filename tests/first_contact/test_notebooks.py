"""The notebooks are stored without outputs, and they run from top to bottom on the sample."""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from traitlets import default

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
KERNEL = "python3"


def test_both_notebooks_exist() -> None:
    assert {p.name for p in NOTEBOOKS} >= {"quickstart.ipynb", "pipeline.ipynb"}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_stored_without_outputs(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.nbformat == 4
    dirty = [
        i
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code" and (cell.outputs or cell.execution_count is not None)
    ]
    assert dirty == [], f"{path.name}: cells with outputs (clear them before committing)"


ClientFactory = Callable[[nbformat.NotebookNode, Path], NotebookClient]


def runs_this_python(argv0: str) -> bool:
    """Whether a kernelspec's ``argv[0]`` starts this interpreter (the virtualenv's).

    jupyter_client starts a spec whose ``argv[0]`` is ``python`` / ``python3`` / ``pythonX.Y``
    with ``sys.executable`` of the process launching it.
    """
    aliases = {"python", "python3", f"python{sys.version_info[0]}.{sys.version_info[1]}"}
    return argv0 in aliases or Path(argv0).resolve() == Path(sys.executable).resolve()


def client_factory(kernels: Path, *, own_spec: bool) -> ClientFactory:
    """NotebookClients on ``python3``, or (``own_spec``) on a spec made in ``kernels`` that
    starts this interpreter by its full path."""
    name = KERNEL
    manager: type[AsyncKernelManager] = AsyncKernelManager
    if own_spec:
        name = "ocrframe-tests"
        (kernels / name).mkdir(parents=True, exist_ok=True)
        argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
        spec = {
            "argv": argv,
            "display_name": "ocrframe tests",
            "language": "python",
            "env": {"OCRFRAME_TEST_KERNEL": name},
        }
        (kernels / name / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")

        class OwnSpecKernelManager(AsyncKernelManager):
            # A manager class (not an instance) keeps nbclient owning the kernel: it starts,
            # shuts down and cleans up as usual.
            @default("kernel_spec_manager")
            def _own_specs(self) -> KernelSpecManager:
                return KernelSpecManager(kernel_dirs=[str(kernels)])

        manager = OwnSpecKernelManager

    def make(nb: nbformat.NotebookNode, workdir: Path) -> NotebookClient:
        return NotebookClient(
            nb,
            kernel_manager_class=manager,
            kernel_name=name,
            timeout=300,
            resources={"metadata": {"path": str(workdir)}},
        )

    return make


@pytest.fixture(scope="session")
def notebook_client(tmp_path_factory: pytest.TempPathFactory) -> ClientFactory:
    """Make NotebookClients whose kernel runs this interpreter, where ocrframe is installed.

    ``python3`` (ipykernel's spec) when it resolves to this interpreter; otherwise (a user-level
    ``python3`` spec for some other Python shadows it) a spec of the session's own.
    """
    own = not runs_this_python(KernelSpecManager().get_kernel_spec(KERNEL).argv[0])
    return client_factory(tmp_path_factory.mktemp("kernels"), own_spec=own)


def test_own_kernelspec_runs_this_python(tmp_path: Path) -> None:
    from nbformat.v4 import new_code_cell, new_notebook

    code = "import os, sys, ocrframe\nprint(sys.executable, os.environ['OCRFRAME_TEST_KERNEL'])"
    nb = new_notebook(cells=[new_code_cell(code)])
    client_factory(tmp_path / "kernels", own_spec=True)(nb, tmp_path).execute()
    assert _text(nb).split() == [sys.executable, "ocrframe-tests"]


def test_runs_this_python() -> None:
    assert runs_this_python("python3") and runs_this_python(sys.executable)
    assert not runs_this_python("/opt/elsewhere/bin/python3")


def run_notebook(path: Path, workdir: Path, client: ClientFactory) -> nbformat.NotebookNode:
    """Execute a notebook in ``workdir`` (which holds a copy of data/sample); return it."""
    nb: nbformat.NotebookNode = nbformat.read(path, as_version=4)
    client(nb, workdir).execute()
    return nb


@pytest.fixture
def workdir(tmp_path: Path, shared_cache: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(ROOT / "data" / "sample", tmp_path / "data" / "sample")
    # The kernel inherits this process's environment: no keys, a cache of the session's own.
    monkeypatch.setenv("OCRFRAME_CACHE_DIR", str(shared_cache))
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    return tmp_path


def _outputs(nb: nbformat.NotebookNode) -> list[dict[str, object]]:
    return [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs]


def _text(nb: nbformat.NotebookNode) -> str:
    parts: list[str] = []
    for out in _outputs(nb):
        if out.get("output_type") == "stream":
            parts.append(str(out.get("text", "")))
        data = out.get("data")
        if isinstance(data, dict):
            parts.append(str(data.get("text/plain", "")))
            parts.append(str(data.get("text/html", "")))
    return "\n".join(parts)


def test_quickstart_runs(workdir: Path, notebook_client: ClientFactory) -> None:
    nb = run_notebook(ROOT / "notebooks" / "quickstart.ipynb", workdir, notebook_client)
    outputs = _outputs(nb)
    assert not [o for o in outputs if o.get("output_type") == "error"]
    # The plots were drawn, the Parquet dataset written, the panel displayed as a widget.
    assert any("image/png" in o.get("data", {}) for o in outputs)  # type: ignore[operator]
    assert list((workdir / "out" / "quickstart" / "documents").glob("*.parquet"))
    assert any(
        "application/vnd.jupyter.widget-view+json" in o.get("data", {})  # type: ignore[operator]
        for o in outputs
    )
    text = _text(nb)
    for source in ("invoice-en.pdf", "scan-de.tif", "grossAmount"):
        assert source in text


def test_pipeline_runs(workdir: Path, notebook_client: ClientFactory) -> None:
    nb = run_notebook(ROOT / "notebooks" / "pipeline.ipynb", workdir, notebook_client)
    assert not [o for o in _outputs(nb) if o.get("output_type") == "error"]
    for table in ("documents", "items"):
        assert list((workdir / "out" / "pipeline" / table).glob("*.parquet"))
    text = _text(nb)
    assert "documents do not add up" in text
    # The check flags a one-cent difference (exact decimals).
    assert "flagged after a one-cent misread: ['" in text
    assert "lines_net" in text  # the DuckDB query's result


def test_panel_runs_on_the_kernels_loop(
    tmp_path: Path, notebook_client: ClientFactory, shared_cache: Path
) -> None:
    """In a kernel, Run starts a task on the kernel's own loop and the cell returns at once.

    The batch's tqdm bar is displayed from that task while the panel's Output widget follows
    the same request, which is how a frontend puts the bar inside the panel. (nbclient itself
    drops messages of a cell that has finished, so the routing is checked in the kernel.)
    """
    from nbformat.v4 import new_code_cell, new_notebook

    shutil.copytree(ROOT / "data" / "sample" / "invoices", tmp_path / "invoices")
    cache = str(shared_cache / "kernel.sqlite3")
    nb = new_notebook()
    nb.cells = [
        new_code_cell(
            "import asyncio\n"
            "import tqdm.notebook\n"
            "from IPython import get_ipython\n"
            "from ocrframe.widgets import panel\n"
            "shown = []\n"
            "_display = tqdm.notebook.display\n"
            "def recording_display(*objs, **kwargs):\n"
            "    request = get_ipython().get_parent()['header']['msg_id']\n"
            "    shown.append((type(objs[0]).__name__, p.progress_out.msg_id == request))\n"
            "    return _display(*objs, **kwargs)\n"
            "tqdm.notebook.display = recording_display\n"
            f"p = panel('invoices/invoice-fr.pdf', model='invoice', cache={cache!r})\n"
            "p.run_button.click()\n"
            "print('task on kernel loop:', p.task.get_loop() is asyncio.get_running_loop())\n"
            "print('locked while running:', p.run_button.disabled, p.task.done())"
        ),
        new_code_cell(
            "ex = await p.wait()\n"
            "print('after:', p.run_button.disabled, list(ex.documents['status']))\n"
            "print('fields tab filled:', 'invoiceNumber' in p.tables['fields'].value)\n"
            "print('bar shown in the panel:', shown)\n"
            "print('bar cleared:', p.progress_out.msg_id == '', p.progress.layout.display)"
        ),
    ]
    notebook_client(nb, tmp_path).execute()
    text = _text(nb)
    assert "task on kernel loop: True" in text
    assert "locked while running: True False" in text
    assert "after: False ['ok']" in text
    assert "fields tab filled: True" in text
    assert "bar shown in the panel: [('TqdmHBox', True)]" in text
    assert "bar cleared: True None" in text


def test_show_renders_in_a_kernel(
    tmp_path: Path, notebook_client: ClientFactory, shared_cache: Path
) -> None:
    """``Extraction.show`` in a real kernel: a widget with the file's pages and the values."""
    from nbformat.v4 import new_code_cell, new_notebook

    shutil.copytree(ROOT / "data" / "sample" / "invoices", tmp_path / "invoices")
    cache = str(shared_cache / "show.sqlite3")
    nb = new_notebook()
    nb.cells = [
        new_code_cell(
            "import ocrframe\n"
            f"ex = ocrframe.extract('invoices/invoice-de.pdf', model='invoice', cache={cache!r},"
            " progress=False)\n"
            "view = ex.show('invoice-de.pdf')"
        ),
        new_code_cell("view"),
        new_code_cell(
            "pages, values = view.children\n"
            "images = [c.children[1] for c in pages.children]\n"
            "print('kind', type(view).__name__, len(images), images[0].format)\n"
            "print('png', all(i.value[:4] == b'\\x89PNG' for i in images))\n"
            "print(values.children[0].value)"
        ),
    ]
    notebook_client(nb, tmp_path).execute()
    shown = nb.cells[1].outputs
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in shown)
    text = "".join(str(o.get("text", "")) for o in nb.cells[2].outputs)
    # Both pages of the file, rendered from it, beside the fields and the line items read.
    assert "kind HBox 2 png" in text
    assert "png True" in text
    for part in ("invoice-de.pdf", "Fields", "grossAmount", "Line items", "Checks"):
        assert part in text
