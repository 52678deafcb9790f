"""The notebook panel's parts without widgets: control values to arguments, results to HTML.

Small pure functions (and the one call that asks a service for its models), so that they can be
tested without a browser; :mod:`ocrframe.widgets` assembles the panel from them.
"""

from __future__ import annotations

import html
import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ocrframe._batch import OPTIONS
from ocrframe._frames import TABLES
from ocrframe._inputs import format_pages, iter_inputs
from ocrframe._sync import run_sync
from ocrframe.errors import OcrframeError
from ocrframe.services import ADAPTERS, ServiceAdapter, adapter

if TYPE_CHECKING:
    import httpx
    import pandas as pd

    from ocrframe._frames import Extraction

__all__ = [
    "CAPSOLVER_MODULES",
    "MAX_ENTRIES",
    "PREVIEW_ROWS",
    "SERVICES",
    "Connection",
    "applies",
    "directory_entries",
    "error_html",
    "failures_html",
    "files_under",
    "in_kernel",
    "listed_models",
    "model_choices",
    "model_options",
    "note_html",
    "pages_argument",
    "summary_html",
    "table_html",
]

logger = logging.getLogger("ocrframe.widgets")

SERVICES: tuple[tuple[str, str], ...] = tuple((a.display_name, a.name) for a in ADAPTERS.values())
# CapSolver has no call that lists its ImageToTextTask modules: the ones its adapter names.
CAPSOLVER_MODULES: tuple[str, ...] = tuple(m.id for m in adapter("capsolver").models())
PREVIEW_ROWS = 20
# Directory listing shown by the browser is capped so that a huge folder cannot freeze the page.
MAX_ENTRIES = 500

_UP = ".."


# --------------------------------------------------------------------------------------------
# Pure helpers


def applies(option: str, service: str) -> bool:
    """True when ``option`` means something to ``service`` (else its control is disabled)."""
    return OPTIONS[option].service in (None, service)


def model_options(service: str, models: Sequence[Mapping[str, Any]] = ()) -> list[tuple[str, str]]:
    """Options for the model dropdown as ``(label, value)`` pairs.

    ``models`` is what the service listed (for DocAI the ``data`` list of listCreateByMeModels);
    each model is shown by name and id, and its value is the id. For CapSolver the options are
    its modules.

    >>> model_options("docai", [{"modelId": "m-1", "modelName": "Invoices"}])
    [('Invoices (m-1)', 'm-1')]
    >>> model_options("capsolver")
    [('common', 'common'), ('queueit', 'queueit')]
    """
    return [
        (f"{m.name} ({m.id})" if m.name and m.name != m.id else m.id, m.id)
        for m in adapter(service).models(models)
    ]


def pages_argument(text: str) -> str | None:
    """The ``pages=`` argument for a page box's text: None when empty, else normalised.

    Raises :class:`~ocrframe.PageRangeError` for text that is not a page selection.

    >>> pages_argument("")
    >>> pages_argument("1, 3-4")
    '1-1, 3-4'
    """
    if not text.strip():
        return None
    return format_pages(text)


def directory_entries(path: str | os.PathLike[str]) -> list[tuple[str, str]]:
    """What the folder browser lists for ``path``: ``(label, absolute path)`` pairs.

    For a folder: its parent (``..``), then its sub-folders, then its files, hidden ones left
    out; for a file, the entries of the folder holding it. Unreadable folders list only ``..``.
    """
    p = Path(path).expanduser()
    folder = p if p.is_dir() else p.parent
    folder = folder.resolve()
    entries: list[tuple[str, str]] = []
    if folder.parent != folder:
        entries.append((f"📁 {_UP}", str(folder.parent)))
    try:
        children = sorted(
            (c for c in folder.iterdir() if not c.name.startswith(".")),
            key=lambda c: (not c.is_dir(), c.name.lower()),
        )
    except OSError:
        return entries
    for child in children[:MAX_ENTRIES]:
        label = f"📁 {child.name}/" if child.is_dir() else f"    {child.name}"
        entries.append((label, str(child)))
    return entries


def files_under(path: str | os.PathLike[str], *, limit: int = MAX_ENTRIES) -> list[str]:
    """What a run on ``path`` would submit: the sources the batch engine's discovery finds.

    At most ``limit`` of them; ``[]`` when ``path`` does not exist.
    """
    try:
        return [item.source for item in islice(iter_inputs(os.fspath(path)), limit)]
    except OcrframeError:
        return []


def table_html(df: pd.DataFrame, *, rows: int = PREVIEW_ROWS) -> str:
    """HTML preview of a table: its size, then its first ``rows`` rows."""
    n, m = df.shape
    shown = f", first {rows} shown" if n > rows else ""
    caption = f"<p><b>{n}</b> rows × <b>{m}</b> columns{shown}</p>"
    if n == 0:
        return caption
    return caption + df.head(rows).to_html(index=False, na_rep="", escape=True, border=0)


def failures_html(documents: pd.DataFrame) -> str:
    """The failed (and still pending) files of a run and why, as a small HTML table; ``""`` if none.

    >>> import pandas as pd
    >>> failures_html(pd.DataFrame({"source": ["a.pdf"], "status": ["ok"]}))
    ''
    """
    if documents.empty or "status" not in documents.columns:
        return ""
    bad = documents[documents["status"].isin(["failed", "pending"])]
    if bad.empty:
        return ""
    rows = []
    for rec in bad.to_dict("records"):
        page = rec.get("page")
        source = str(rec.get("source", ""))
        if page is not None and _notna(page):
            source = f"{source} (page {int(page)})"
        rows.append(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>".format(
                html.escape(source),
                html.escape(str(rec.get("status", ""))),
                html.escape(_text(rec.get("error_code"))),
                html.escape(_text(rec.get("error_message"))),
            )
        )
    failed = int((bad["status"] == "failed").sum())
    pending = len(bad) - failed
    head = f"<p><b>{failed}</b> file(s) failed" + (
        f", <b>{pending}</b> still pending" if pending else ""
    )
    return (
        head
        + ":</p><table><tr><th>source</th><th>status</th><th>error</th><th>why</th></tr>"
        + "".join(rows)
        + "</table>"
    )


def error_html(exc: BaseException, headline: str = "The run stopped") -> str:
    """A readable one-paragraph account of an error (never a traceback).

    >>> error_html(ValueError("no model"), "Cannot run")
    "<p style='color:#b00020'><b>Cannot run: ValueError</b><br>no model</p>"
    """
    if isinstance(exc, OcrframeError):
        kind = type(exc).__name__
        text = str(exc)
    else:
        kind = type(exc).__name__
        text = str(exc) or repr(exc)
    return (
        f"<p style='color:#b00020'><b>{html.escape(headline)}: {html.escape(kind)}</b><br>"
        f"{html.escape(text)}</p>"
    )


def summary_html(ex: Extraction, elapsed_s: float | None = None) -> str:
    """One line saying what a run produced: documents by status and rows per table."""
    docs = ex.documents
    counts: dict[str, int] = {}
    if "status" in docs.columns:
        counts = {str(k): int(v) for k, v in docs["status"].value_counts().items()}
    status = ", ".join(f"{counts[k]} {k}" for k in ("ok", "failed", "pending") if k in counts)
    tables = ", ".join(f"{len(getattr(ex, t))} {t}" for t in TABLES[1:])
    took = f" in {elapsed_s:.1f} s" if elapsed_s is not None else ""
    return (
        f"<p>Done{took}: <b>{len(docs)}</b> document(s) ({status or 'none'}); "
        f"rows: {html.escape(tables)}.</p>"
    )


def note_html(text: str) -> str:
    return f"<p><i>{html.escape(text)}</i></p>"


def _notna(value: Any) -> bool:
    try:
        return not bool(value != value)  # NaN is the one value not equal to itself
    except (TypeError, ValueError):
        return value is not None


def _text(value: Any) -> str:
    if value is None or not _notna(value):
        return ""
    return str(value)


# --------------------------------------------------------------------------------------------
# Where models come from


@dataclass(frozen=True, slots=True)
class Connection:
    """How the panel reaches the services; held privately so that no key shows in a repr."""

    api_key: str | None
    base_url: str | None
    transport: httpx.AsyncBaseTransport | None

    def __repr__(self) -> str:
        return f"Connection(base_url={self.base_url!r})"


async def listed_models(
    service: ServiceAdapter, conn: Connection
) -> tuple[list[dict[str, Any]], bool, str, str]:
    """What the service lists (nothing for a fixed list), whether the embedded engine answers,
    the address asked, and the environment variable of the key."""
    client: Any = service.client(
        conn.api_key,
        base_url=conn.base_url,
        transport=conn.transport,
        timeout=None,
        max_connections=4,
    )
    async with client:
        listed = await service.list_models(client) if service.lists_models else []
        return list(listed), bool(client.uses_embedded_engine), client.base_url, client.key_env


def model_choices(
    service: ServiceAdapter,
    conn: Connection,
    cache: dict[str, list[tuple[str, str]]],
    preferred: str | None = None,
) -> tuple[list[tuple[str, str]], str]:
    """The model dropdown's options for ``service`` and the note shown under it.

    A service that lists models is asked once (``cache`` keeps its answer); a failure is the
    note, never an exception. A model id the caller named (``preferred``) is kept even when the
    listing lacks it (or failed): the run will say whether the key may call it.
    """
    note = ""
    if service.name in cache:
        options = cache[service.name]
    else:
        try:
            listed, embedded, url, key_env = run_sync(listed_models(service, conn))
        except Exception as exc:  # shown to the user; a fixed list is still offered
            logger.debug("asking %s for its models failed", service.name, exc_info=True)
            options = model_options(service.name)
            heading = (
                "No models" if service.lists_models else f"{service.display_name} is not reachable"
            )
            note = error_html(exc, heading)
        else:
            options = model_options(service.name, listed)
            if service.lists_models:
                cache[service.name] = options
            if embedded:
                note = note_html(f"No {key_env}: the embedded offline engine answers.")
            elif service.lists_models:
                note = note_html(
                    f"{service.display_name} at {url}: {len(options)} model(s) for this key."
                )
    if preferred and preferred not in [v for _, v in options] and service.lists_models:
        options = [*options, (f"{preferred} (not listed)", preferred)]
    return options, note


def in_kernel() -> bool:
    """Whether this runs inside an IPython kernel (where tqdm.auto draws a widget)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None
