"""The notebook panel: pick a service, a model and a folder, run, preview, save to Parquet.

``panel()`` is a thin shell over :func:`ocrframe.extract_async`; it holds no logic of its own
beyond turning control values into arguments and results into HTML. The helpers that do that are
small pure functions (``model_options``, ``directory_entries``, ``failures_html``, ...) so that they
can be tested without a browser.

While a run is going the kernel stays responsive: the click handler starts an asyncio task on the
kernel's own loop (a Jupyter kernel runs one) and returns. The batch only awaits there: it reads
files, renders pages and builds tables in threads, and the embedded engine recognises in its own
worker threads. The batch's tqdm bar (a widget in a kernel) is displayed from that task into the
panel's ``progress_out`` Output widget. Outside a running loop (a plain script) the click starts
the same work on ocrframe's background loop thread and returns at once.

>>> from ocrframe.widgets import panel
>>> p = panel("data/sample")          # doctest: +SKIP
>>> p                                 # doctest: +SKIP  (displays the panel in a notebook)
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import html
import logging
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ipywidgets as w

from ocrframe._batch import DEFAULT_CONCURRENCY, DEFAULTS, extract_async
from ocrframe._frames import TABLES
from ocrframe._sync import background_loop, run_sync
from ocrframe._widget_parts import (
    CAPSOLVER_MODULES,
    MAX_ENTRIES,
    SERVICES,
    Connection,
    applies,
    directory_entries,
    error_html,
    failures_html,
    files_under,
    in_kernel,
    model_choices,
    model_options,
    pages_argument,
    summary_html,
    table_html,
)
from ocrframe.errors import OcrframeError, PageRangeError
from ocrframe.services import adapter

if TYPE_CHECKING:
    import httpx

    from ocrframe._frames import Extraction

__all__ = [
    "CAPSOLVER_MODULES",
    "TABLES",
    "Panel",
    "directory_entries",
    "error_html",
    "failures_html",
    "files_under",
    "model_options",
    "pages_argument",
    "panel",
    "summary_html",
    "table_html",
]

logger = logging.getLogger(__name__)

# --------------------------------------------------------------------------------------------
# The panel


class Panel(w.VBox):  # type: ignore[misc]
    """The widget panel returned by :func:`panel`: an ``ipywidgets.VBox``, so it is displayed
    like any widget and composes with others (``ipywidgets.VBox([p, other])``).

    Controls are attributes, so code and tests can drive it: ``service``, ``model``, ``path``,
    ``browser``, ``files``, ``pages``, ``concurrency``, ``asynchronous``, ``local_einvoices``,
    ``refresh``,
    ``use_cache``, ``run_button``, ``dry_run_button`` (what Run would send, shown in ``status``;
    nothing is sent), ``stop_button``, ``progress``, ``status``, ``errors``,
    ``tabs`` (one HTML child per table in :data:`TABLES`), ``save_path``, ``save_button``,
    ``save_status``, and the document viewer ``look`` (a dropdown of the documents of the last
    run), ``look_button`` and ``look_box`` (where :meth:`Extraction.show` of the chosen document
    appears). After a run, ``result`` holds the :class:`~ocrframe.Extraction` and
    ``error`` the exception that stopped the run, if any; ``await p.wait()`` waits for the run
    started by the last click.
    """

    def __init__(
        self,
        path: str | os.PathLike[str] = ".",
        *,
        service: str = DEFAULTS["service"],
        model: str | None = None,
        api_key: str | None = None,
        base_url: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        cache: Any = None,
        extract_options: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__()
        self._conn = Connection(api_key, base_url, transport)
        # A cache location of the caller's; True / False / None are the checkbox's business.
        self._cache = None if isinstance(cache, bool) else cache
        self._extra = dict(extract_options or {})
        self._models_cache: dict[str, list[tuple[str, str]]] = {}
        self.result: Extraction | None = None
        self.error: BaseException | None = None
        self.task: asyncio.Future[Any] | concurrent.futures.Future[Any] | None = None
        # When the current run's coroutine began (None before it does): tests wait on it.
        self.running_since: float | None = None
        self._relisting = False

        style = {"description_width": "110px"}

        def wide() -> w.Layout:
            # One Layout per widget: a Layout shared by several would hide them all at once.
            return w.Layout(width="520px")

        self.service = w.ToggleButtons(
            options=list(SERVICES), value=service, description="Service", style=style
        )
        self.model = w.Dropdown(options=[], description="Model", style=style, layout=wide())
        self.service_note = w.HTML()
        # Updated on Enter or leaving the box, not on every key: each update lists the folder.
        self.path = w.Text(
            value=str(path),
            description="Folder or file",
            style=style,
            layout=wide(),
            continuous_update=False,
        )
        self.browser = w.Select(
            options=[], rows=8, description="Browse", style=style, layout=wide()
        )
        self.files = w.HTML()
        self.pages = w.Text(
            value="", placeholder="all pages; or e.g. 1-1, 3-4", description="Pages", style=style
        )
        self.pages_note = w.HTML()
        self.concurrency = w.BoundedIntText(
            value=int(self._extra.pop("concurrency", DEFAULT_CONCURRENCY)),
            min=1,
            max=256,
            description="Concurrency",
            style=style,
        )
        self.asynchronous = w.Checkbox(value=False, description="Asynchronous (DocAI)")
        self.local_einvoices = w.Checkbox(
            value=self._extra.pop("einvoice", DEFAULTS["einvoice"]) == "local",
            description="Read e-invoices here (DocAI; not sent)",
        )
        self.refresh = w.Checkbox(value=False, description="Refresh (ignore cached answers)")
        self.use_cache = w.Checkbox(value=cache is not False, description="Cache answers")
        self.run_button = w.Button(description="Run", button_style="primary", icon="play")
        self.dry_run_button = w.Button(description="Dry run", icon="search")
        self.stop_button = w.Button(description="Stop", icon="stop", disabled=True)
        self.progress = w.IntProgress(value=0, min=0, max=1, description="", layout=wide())
        # In a kernel the batch's own tqdm bar is shown here while a run goes.
        self.progress_out = w.Output()
        self.status = w.HTML()
        self.errors = w.HTML()
        self.tables: dict[str, w.HTML] = {name: w.HTML() for name in TABLES}
        self.tabs = w.Tab(children=[self.tables[name] for name in TABLES])
        self.tabs.titles = TABLES
        self.save_path = w.Text(value="out/ocrframe", description="Parquet dir", style=style)
        self.save_button = w.Button(description="Save to Parquet", icon="save", disabled=True)
        self.save_status = w.HTML()
        self.look = w.Dropdown(options=[], description="Look at", style=style, layout=wide())
        self.look_button = w.Button(description="Show", icon="eye", disabled=True)
        self.look_box = w.VBox()

        self.service.observe(self._on_service, names="value")
        self.path.observe(self._on_path, names="value")
        self.browser.observe(self._on_browse, names="value")
        self.pages.observe(self._on_pages, names="value")
        self.run_button.on_click(self._on_run)
        self.dry_run_button.on_click(self._on_dry_run)
        self.stop_button.on_click(self._on_stop)
        self.save_button.on_click(self._on_save)
        self.look_button.on_click(self._on_look)

        self._load_models(preferred=model)
        self._on_path({"new": self.path.value})

        self.children = tuple(
            [
                self.service,
                self.service_note,
                self.model,
                self.path,
                self.browser,
                self.files,
                w.HBox([self.pages, self.pages_note]),
                w.HBox([self.concurrency, self.asynchronous, self.local_einvoices]),
                w.HBox([self.use_cache, self.refresh]),
                w.HBox(
                    [
                        self.run_button,
                        self.dry_run_button,
                        self.stop_button,
                        self.progress,
                        self.progress_out,
                    ]
                ),
                self.status,
                self.errors,
                self.tabs,
                w.HBox([self.look, self.look_button]),
                self.look_box,
                w.HBox([self.save_path, self.save_button]),
                self.save_status,
            ]
        )

    # -- display ------------------------------------------------------------------------------

    @property
    def widget(self) -> Panel:
        """The panel itself (it is the widget; kept for code written when it wrapped one)."""
        return self

    def __repr__(self) -> str:
        return f"<ocrframe panel: {self.service.value} {self.model.value!r} on {self.path.value!r}>"

    # -- models -------------------------------------------------------------------------------

    def _load_models(self, preferred: str | None = None) -> None:
        service = adapter(self.service.value)
        self.asynchronous.disabled = not applies("asynchronous", service.name)
        self.local_einvoices.disabled = not applies("einvoice", service.name)
        options, note = model_choices(service, self._conn, self._models_cache, preferred)
        values = [v for _, v in options]
        self.model.options = options
        if preferred in values:
            self.model.value = preferred
        elif values:
            self.model.value = values[0]
        self.service_note.value = note

    def _on_service(self, change: Mapping[str, Any]) -> None:
        self._load_models()

    # -- files --------------------------------------------------------------------------------

    def _on_path(self, change: Mapping[str, Any]) -> None:
        path = str(change["new"])
        entries = directory_entries(path) if Path(path).expanduser().exists() else []
        # Relisting changes the Select's value; that must not count as the user picking a path.
        self._relisting = True
        try:
            self.browser.options = entries
            self.browser.index = None
        finally:
            self._relisting = False
        found = files_under(path)
        if not Path(path).expanduser().exists():
            self.files.value = f"<i>{html.escape(path)}: no such file or folder</i>"
        elif not found:
            self.files.value = "<i>no files here</i>"
        else:
            more = "+" if len(found) >= MAX_ENTRIES else ""
            listing = ", ".join(html.escape(f) for f in found[:12])
            if len(found) > 12:
                listing += ", …"
            self.files.value = f"<p><b>{len(found)}{more}</b> file(s) to submit: {listing}</p>"

    def _on_browse(self, change: Mapping[str, Any]) -> None:
        if change["new"] and not self._relisting:
            self.path.value = str(change["new"])

    def _on_pages(self, change: Mapping[str, Any]) -> None:
        try:
            pages_argument(str(change["new"]))
        except PageRangeError as exc:
            self.pages_note.value = f"<span style='color:#b00020'>{html.escape(str(exc))}</span>"
        else:
            self.pages_note.value = ""

    # -- running ------------------------------------------------------------------------------

    def extract_arguments(self) -> dict[str, Any]:
        """The keyword arguments the Run button passes to :func:`ocrframe.extract_async`.

        Raises :class:`~ocrframe.PageRangeError` when the page box does not hold a selection.
        """
        kwargs: dict[str, Any] = {
            "service": self.service.value,
            "model": self.model.value,
            "pages": pages_argument(self.pages.value),
            "concurrency": int(self.concurrency.value),
            "refresh": bool(self.refresh.value),
            "api_key": self._conn.api_key,
            "base_url": self._conn.base_url,
            "transport": self._conn.transport,
        }
        if applies("asynchronous", self.service.value):
            kwargs["asynchronous"] = bool(self.asynchronous.value)
        if applies("einvoice", self.service.value):
            kwargs["einvoice"] = "local" if self.local_einvoices.value else "remote"
        if not self.use_cache.value:
            kwargs["cache"] = False
        elif self._cache is not None:
            kwargs["cache"] = self._cache
        kwargs.update(self._extra)
        return kwargs

    def _on_dry_run(self, _button: Any = None) -> None:
        """What Run would send (files, kinds, pages, bytes, cached, requests), sending nothing."""
        if self.task is not None and not self.task.done():
            return
        try:
            kwargs = self.extract_arguments()
            preview = run_sync(
                extract_async(self.path.value, **{**kwargs, "dry_run": True, "progress": False})
            )
        except Exception as exc:
            logger.debug("dry run failed", exc_info=True)
            self.status.value = error_html(exc, "Cannot preview")
            return
        summary = getattr(preview, "summary", None)
        files = getattr(preview, "files", None)
        if not callable(summary) or files is None:
            return
        self.status.value = f"<p>{html.escape(summary())}</p>" + table_html(files)

    def _on_run(self, _button: Any = None) -> None:
        if self.task is not None and not self.task.done():
            return
        try:
            kwargs = self.extract_arguments()
        except OcrframeError as exc:
            self.status.value = error_html(exc, "Cannot run")
            return
        if not kwargs["model"]:
            self.status.value = error_html(ValueError("choose a model first"), "Cannot run")
            return
        self._set_running(True)
        self.running_since = None
        path = self.path.value
        try:
            loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        task: asyncio.Future[Any] | concurrent.futures.Future[Any]
        if loop is not None:
            # A kernel (or any async caller): a task on its own loop. The batch awaits the
            # network and does its file and CPU work in threads, so the loop stays free.
            task = loop.create_task(self._run(path, kwargs, in_kernel=in_kernel()))
        else:
            # No loop on this thread (a script, a plain test): run on ocrframe's own loop.
            task = asyncio.run_coroutine_threadsafe(
                self._run(path, kwargs, in_kernel=False), background_loop()
            )
        # Stop may cancel the task before it ever ran: the controls are given back from here.
        task.add_done_callback(self._on_done)
        self.task = task

    def _on_done(self, task: asyncio.Future[Any] | concurrent.futures.Future[Any]) -> None:
        if task.cancelled():
            self.progress_out.clear_output()
            self.status.value = "<p>Stopped.</p>"
            self._set_running(False)

    async def _run(
        self, path: str, kwargs: dict[str, Any], *, in_kernel: bool
    ) -> Extraction | None:
        import time

        self.running_since = started = time.perf_counter()
        self.result, self.error = None, None
        failure: BaseException | None = None
        ex: Extraction | None = None
        if in_kernel:
            # The batch's own tqdm bar (a widget in a kernel, with its ok / failed / cached
            # counts), captured into the panel: it is displayed from this task, whose context
            # carries the request the Output follows.
            kwargs = {**kwargs, "progress": True}
            self.progress.layout.display = "none"
        else:
            # No widget bar to capture outside a kernel: the panel's own bar follows the batch.
            kwargs = {**kwargs, "progress": self._progress_hook(asyncio.get_running_loop())}
        # Output's context manager shows and swallows any exception raised inside it in a
        # kernel; everything is caught here instead, so errors are shown our way.
        with self.progress_out:
            try:
                ex = await extract_async(path, **kwargs)
            except BaseException as exc:
                failure = exc
        self.progress_out.clear_output()
        self.progress.layout.display = None
        if isinstance(failure, asyncio.CancelledError | KeyboardInterrupt | SystemExit):
            raise failure
        if failure is not None or ex is None:
            logger.debug("run failed", exc_info=failure)
            self.error = failure
            # A run stopped by a bad key or an empty balance still hands back what it did.
            partial = getattr(failure, "extraction", None)
            if partial is not None and hasattr(partial, "documents"):
                self.result = partial
                self._show(partial, time.perf_counter() - started)
            self.status.value = error_html(failure or RuntimeError("no result"))
            self._set_running(False)
            return None
        self.result = ex
        self._show(ex, time.perf_counter() - started)
        self._set_running(False)
        return ex

    def _progress_hook(self, ui_loop: asyncio.AbstractEventLoop) -> Callable[..., None]:
        def update(done: int, total: int | None = None) -> None:
            if total is not None:
                self.progress.max = max(int(total), 1)
            self.progress.value = min(int(done), self.progress.max)
            self.progress.description = f"{int(done)}/{int(total) if total else '?'}"

        def hook(done: int, total: int | None = None, *_: Any) -> None:
            # The batch may call from another thread; widgets are updated on the panel's loop.
            if not ui_loop.is_closed():
                ui_loop.call_soon_threadsafe(update, done, total)

        return hook

    def _set_running(self, running: bool) -> None:
        for control in (
            self.run_button,
            self.dry_run_button,
            self.service,
            self.model,
            self.path,
            self.pages,
        ):
            control.disabled = running
        self.stop_button.disabled = not running
        self.save_button.disabled = running or self.result is None
        self.look_button.disabled = running or self.result is None
        if running:
            self.progress.value = 0
            self.progress.bar_style = ""
            self.status.value = "<p>Running…</p>"
            self.errors.value = ""
            self.save_status.value = ""
        else:
            self.asynchronous.disabled = not applies("asynchronous", self.service.value)
            self.local_einvoices.disabled = not applies("einvoice", self.service.value)
            self.progress.bar_style = "danger" if self.error is not None else "success"

    def _show(self, ex: Extraction, elapsed_s: float) -> None:
        sources = sorted(set(ex.documents["source"].tolist()))
        self.look.options = sources
        self.look.value = sources[0] if sources else None
        self.look_button.disabled = not sources
        self.look_box.children = ()
        self.status.value = summary_html(ex, elapsed_s)
        self.errors.value = failures_html(ex.documents)
        for name in TABLES:
            self.tables[name].value = table_html(getattr(ex, name))
        self.progress.max = max(len(ex.documents), 1)
        self.progress.value = self.progress.max
        self.progress.description = f"{len(ex.documents)}/{len(ex.documents)}"

    def _on_look(self, _button: Any = None) -> None:
        """Show the chosen document of the last run: its pages beside the values read."""
        if self.result is None or self.look.value is None:
            return
        try:
            self.look_box.children = (self.result.show(self.look.value),)
        except Exception as exc:
            logger.debug("showing a document failed", exc_info=True)
            self.look_box.children = (w.HTML(error_html(exc, "Cannot show it")),)

    def _on_stop(self, _button: Any = None) -> None:
        if self.task is not None:
            self.task.cancel()

    async def wait(self) -> Extraction | None:
        """Wait for the run started by the last click; return its Extraction.

        When a bad key or an empty balance stopped the run, that is the partial Extraction the
        error carried (``error`` holds the error); None when nothing came back (``error`` says
        why, or the run was stopped). Returns at once when nothing is running.
        """
        task = self.task
        if task is None:
            return self.result
        try:
            if isinstance(task, concurrent.futures.Future):
                await asyncio.wrap_future(task)
            else:
                await task
        except asyncio.CancelledError:
            return None
        return self.result

    # -- saving -------------------------------------------------------------------------------

    def _on_save(self, _button: Any = None) -> None:
        if self.result is None:
            self.save_status.value = "<i>Nothing to save yet: run first.</i>"
            return
        target = self.save_path.value.strip()
        if not target:
            self.save_status.value = "<span style='color:#b00020'>Give a folder to save to.</span>"
            return
        try:
            self.result.to_parquet(target)
        except Exception as exc:
            logger.debug("saving failed", exc_info=True)
            self.save_status.value = error_html(exc, "Not saved")
            return
        shown = html.escape(str(Path(target).expanduser().resolve()))
        self.save_status.value = (
            f"<p>Saved to <code>{shown}</code>; read it back with "
            f"<code>ocrframe.read_parquet({html.escape(repr(target))})</code>.</p>"
        )


def panel(
    path: str | os.PathLike[str] = ".",
    *,
    service: str = DEFAULTS["service"],
    model: str | None = None,
    api_key: str | None = None,
    base_url: str | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    cache: Any = None,
    **extract_options: Any,
) -> Panel:
    """The notebook panel: service, model, folder, pages, options; Run; preview; Save to Parquet.

    Keys and base URLs come from the arguments or the environment (``DOCAI_API_KEY``,
    ``CAPSOLVER_API_KEY``, ...); without a key the embedded offline engine answers. Further
    keyword arguments are passed to :func:`ocrframe.extract_async` on every run.

    >>> import ocrframe.widgets
    >>> p = ocrframe.widgets.panel("data/sample", model="invoice")   # doctest: +SKIP
    >>> p   # in a notebook cell: shows the panel                     # doctest: +SKIP
    """
    return Panel(
        path,
        service=service,
        model=model,
        api_key=api_key,
        base_url=base_url,
        transport=transport,
        cache=cache,
        extract_options=extract_options,
    )
