"""A cost preview: what a run would send, without sending anything (``extract(dry_run=True)``).

The same discovery, reading, hashing, page counting, cache keys and cache decisions as a run
(:func:`~ocrframe._batch.run.plan_unit`), and no request: a user of a paid API sees the bill
before paying it. One row per unit a run would account for (a file; for CapSolver, each page
image of a PDF or multi-page TIFF), with what would become of it:

- ``send``: not in the cache (or ``refresh``): one request (DocAI's asynchronous mode adds the
  identifyResult polls, which are not counted);
- ``cached``: answered before: nothing is sent;
- ``poll``: a DocAI recognition still running from an earlier asynchronous run: only polled;
- ``local``: with ``einvoice="local"``, a PDF whose embedded e-invoice a run reads here: nothing
  is sent;
- ``fail``: a file a run would not send (empty, unreadable, too large, unsupported, no page
  selected): its ``error_code`` and ``error_message`` say why.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Sequence
from typing import Any

import pandas as pd
import pyarrow as pa

from ocrframe._cache import ResponseCache, key_function
from ocrframe._documents import count_pages
from ocrframe._einvoice import EInvoiceError, read_einvoice
from ocrframe._frames import Extraction
from ocrframe._inputs import InputFile, PathArg, iter_inputs, read_input, sha256_hex
from ocrframe.errors import InputFileError
from ocrframe.services import adapter
from ocrframe.services._docai_batch import DOCAI

__all__ = ["PREVIEW_SCHEMA", "Preview", "preview_units"]

#: The columns of :attr:`Preview.files`.
PREVIEW_SCHEMA = pa.schema(
    [
        ("source", pa.string()),
        ("kind", pa.string()),
        ("page", pa.int32()),
        ("pages", pa.int32()),
        ("pages_sent", pa.int32()),
        ("bytes", pa.int64()),
        ("sha256", pa.string()),
        ("cached", pa.bool_()),
        ("action", pa.string()),
        ("requests", pa.int32()),
        ("error_code", pa.string()),
        ("error_message", pa.string()),
    ]
)


class Preview(Extraction):
    """What a run would do, unit by unit; nothing was sent to make it.

    An :class:`~ocrframe.Extraction` with no rows (nothing was read, so code that takes an
    Extraction takes it too), plus the plan:

    ``files`` has one row per unit (see :data:`PREVIEW_SCHEMA`): ``source``, ``kind`` (pdf,
    png, ...), ``page`` (the page image, for CapSolver), ``pages`` (the file's), ``pages_sent``
    (the pages a request would carry: the selection that exists), ``bytes`` (the file's),
    ``sha256``, ``cached``, ``action`` (``send``, ``cached``, ``poll``, ``local``, ``fail``),
    ``requests`` (requests to make) and, for ``fail``, ``error_code`` / ``error_message``.
    """

    def __init__(self, files: pd.DataFrame, service: str, model: str | None) -> None:
        empty = Extraction.empty()
        super().__init__(empty.documents, empty.fields, empty.items, empty.taxes, empty.texts)
        self.files = files
        self.service = service
        self.model = model

    @property
    def requests(self) -> int:
        """Requests a run would send (identifyResult polls not counted)."""
        return int(self.files["requests"].sum())

    @property
    def pages_sent(self) -> int:
        """Pages the requests to send would carry."""
        sending = self.files[self.files["action"] == "send"]
        return int(sending["pages_sent"].fillna(0).sum())

    @property
    def bytes_sent(self) -> int:
        """Bytes of the files to send (for a CapSolver page image, its file's bytes once)."""
        sending = self.files[self.files["action"] == "send"].drop_duplicates("source")
        return int(sending["bytes"].fillna(0).sum())

    # A preview's summary is its plan in words (a method), not a run's counts: nothing ran.
    def summary(self) -> str:  # type: ignore[override]
        """One paragraph: files, kinds, pages, bytes, cached, requests to make.

        >>> print(Preview(pd.DataFrame(PREVIEW_SCHEMA.empty_table().to_pandas()), "docai",
        ...     "invoice").summary())
        dry run (docai, model invoice): nothing found to send; 0 requests would be sent
        """
        files = self.files
        model = f", model {self.model}" if self.model else ""
        head = f"dry run ({self.service}{model})"
        if files.empty:
            return f"{head}: nothing found to send; 0 requests would be sent"
        sources = files.drop_duplicates("source")
        kinds = sources["kind"].fillna("?").value_counts()
        kind_text = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
        actions = files["action"].value_counts()
        pages = int(sources["pages"].fillna(0).sum())
        return (
            f"{head}: {len(sources)} files ({kind_text}), {pages} pages, "
            f"{_size(int(sources['bytes'].fillna(0).sum()))}; "
            f"{int(actions.get('cached', 0))} answered before (cached), "
            f"{int(actions.get('poll', 0))} still running (to poll), "
            f"{int(actions.get('local', 0))} e-invoices read here, "
            f"{int(actions.get('fail', 0))} that would fail without a request; "
            f"{self.requests} requests would be sent "
            f"({self.pages_sent} pages, {_size(self.bytes_sent)})"
        )

    def __repr__(self) -> str:
        return f"Preview({self.summary()})"

    def _repr_html_(self) -> str:
        table: str = self.files.to_html(index=False, na_rep="", border=0)
        return f"<p>{self.summary()}</p>{table}"


def _size(n: int) -> str:
    for unit in ("bytes", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1000  # type: ignore[assignment]
    return f"{n} bytes"  # pragma: no cover


def _look(item: InputFile, max_bytes: int | None) -> tuple[dict[str, Any], bytes | None]:
    """Read, hash and count one file, as a run would (blocking: called in a thread)."""
    row: dict[str, Any] = {"source": item.source}
    if item.error is not None:
        row.update(error_code=item.error.code, error_message=item.error.message)
        return row, None
    try:
        content = read_input(item, max_bytes=max_bytes)
    except InputFileError as exc:
        row.update(error_code=exc.code, error_message=exc.message)
        with contextlib.suppress(OSError):
            row["bytes"] = os.stat(item.path).st_size
        return row, None
    row.update(bytes=len(content), sha256=sha256_hex(content))
    try:
        kind, count = count_pages(content, source=item.source)
    except InputFileError as exc:
        row.update(error_code=exc.code, error_message=exc.message)
        return row, None
    row.update(kind=kind, pages=count)
    return row, content


def _has_einvoice(content: bytes) -> bool:
    """Whether a run with ``einvoice="local"`` would answer this PDF from its own XML."""
    try:
        return read_einvoice(content) is not None
    except EInvoiceError:
        return False


async def preview_units(
    paths: PathArg | Sequence[PathArg],
    *,
    options: Any,
    host: str,
    cache: ResponseCache | None,
    key_options: Any,
    plan_unit: Any,
) -> Preview:
    """Walk ``paths`` as a run would and say what it would send (no request is made).

    ``options`` is the run's :class:`~ocrframe._batch.run.BatchOptions`; ``host`` and
    ``key_options`` / ``plan_unit`` are the run's own (so the cache keys are exactly a run's).
    """
    keys = {
        rendered: key_function(
            service=options.service,
            model=options.model,
            options=key_options(options, host, rendered=rendered),
        )
        for rendered in (False, True)
    }
    wanted = None if options.pages is None else set(options.pages)
    service = adapter(options.service)
    # A service that answers some files here (DocAI's e-invoices with einvoice="local").
    reads_einvoices = service.name == DOCAI.name and (
        options.einvoice == "local" and (wanted is None or 1 in wanted)
    )
    rows: list[dict[str, Any]] = []
    for item in iter_inputs(
        paths, include_hidden=options.include_hidden, follow_symlinks=options.follow_symlinks
    ):
        row, content = await asyncio.to_thread(_look, item, options.max_file_bytes)
        if content is None:
            rows.append({**row, "action": "fail", "requests": 0, "cached": False})
            continue
        kind, count = row["kind"], row["pages"]
        existing = [p for p in range(1, count + 1) if wanted is None or p in wanted]
        split = service.splits(kind)
        if split and not existing:
            rows.append(
                {
                    **row,
                    "action": "fail",
                    "requests": 0,
                    "cached": False,
                    "error_code": "page_out_of_range",
                    "error_message": f"none of the pages {options.pages_text} exists "
                    f"(the file has {count})",
                }
            )
            continue
        if reads_einvoices and kind == "pdf" and await asyncio.to_thread(_has_einvoice, content):
            rows.append({**row, "pages_sent": 0, "cached": False, "action": "local", "requests": 0})
            continue
        key = keys[split and kind == "pdf"]
        for page in existing if split else [None]:
            unit_key = key(row["sha256"], page)
            cached = pending = None
            if cache is not None and not options.refresh:
                cached = cache.get(unit_key)
                pending = cache.get_pending(unit_key)
            action = plan_unit(
                cached=cached is not None, pending_file_id=pending, refresh=options.refresh
            )
            action = {"submit": "send"}.get(action, action)
            rows.append(
                {
                    **row,
                    "page": page,
                    "pages_sent": 1 if split else len(existing),
                    "cached": cached is not None,
                    "action": action,
                    "requests": 1 if action == "send" else 0,
                }
            )
    columns = {name: [r.get(name) for r in rows] for name in PREVIEW_SCHEMA.names}
    table = pa.Table.from_pydict(columns, schema=PREVIEW_SCHEMA)
    table = table.sort_by([("source", "ascending"), ("page", "ascending")])
    files: pd.DataFrame = table.to_pandas(types_mapper=pd.ArrowDtype)
    return Preview(files=files, service=options.service, model=options.model)
