"""The public entry points of the batch engine: :func:`extract_async` and :func:`extract`.

A folder in, every file accounted for, nothing paid for twice: :func:`extract_async` checks its
arguments (:func:`~ocrframe._batch.options.make_options`), makes the service's client, opens
the cache and the ledger, and drives a :class:`~ocrframe._batch.run.Run` over the inputs.
:func:`extract` is the same, blocking, and usable inside a running event loop (Jupyter).
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import os
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import replace
from typing import Any, ParamSpec, TypeVar
from urllib.parse import urlsplit

import httpx

from ocrframe import limits
from ocrframe._batch.decisions import host_of, key_options, plan_unit
from ocrframe._batch.ledger import Ledger, progress_bar
from ocrframe._batch.options import (
    DEFAULT_CONCURRENCY,
    DEFAULT_MAX_FILE_BYTES,
    DEFAULT_POLL_INTERVAL,
    DEFAULT_POLL_TIMEOUT,
    DEFAULT_RETRIES,
    DEFAULT_RETRY_TIMEOUT,
    ProgressCallback,
    make_options,
)
from ocrframe._batch.run import Run
from ocrframe._cache import ResponseCache
from ocrframe._frames import Extraction
from ocrframe._inputs import InputFile, PageSpec, PathArg, iter_inputs
from ocrframe._output import logger, retries_to_debug
from ocrframe._sync import run_sync
from ocrframe.errors import ConfigurationError, RunAbortedError
from ocrframe.services import adapter

__all__ = ["OPTION_NAMES", "extract", "extract_async"]

_P = ParamSpec("_P")
_T = TypeVar("_T")

#: extract_async's parameters that are options of the run (validated by make_options).
OPTION_NAMES = tuple(inspect.signature(make_options).parameters)


def _check_paths(paths: PathArg | Sequence[PathArg]) -> None:
    if isinstance(paths, str | bytes | os.PathLike):
        single = os.fsdecode(os.fspath(paths))
        if not os.path.lexists(single):
            raise ConfigurationError(f"no such file or folder: {single!r}")
        return
    if not isinstance(paths, Sequence) or isinstance(paths, bytearray):
        raise ConfigurationError(
            f"paths must be a folder, a file or a list of paths, not {type(paths).__name__}"
        )
    for p in paths:
        if not isinstance(p, str | bytes | os.PathLike):
            raise ConfigurationError(f"paths must hold paths, not {type(p).__name__}")


def _check_connection(
    api_key: str | None, base_url: str | None, transport: httpx.AsyncBaseTransport | None
) -> None:
    if api_key is not None and (not isinstance(api_key, str) or not api_key.strip()):
        raise ConfigurationError("api_key must be a non-empty string or None")
    if base_url is not None and (
        not isinstance(base_url, str) or urlsplit(base_url).scheme not in ("http", "https")
    ):
        raise ConfigurationError(f"base_url must be an http(s) URL, not {base_url!r}")
    if transport is not None and not isinstance(transport, httpx.AsyncBaseTransport):
        raise ConfigurationError("transport must be an httpx.AsyncBaseTransport")


async def extract_async(
    paths: PathArg | Sequence[PathArg],
    *,
    service: str = "docai",
    model: str | None = None,
    pages: PageSpec | None = None,
    workspace: str | None = None,
    asynchronous: bool = False,
    score: float | None = None,
    case: bool | None = None,
    api_key: str | None = None,
    base_url: str | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    rate_limit: float | None = None,
    retries: int = DEFAULT_RETRIES,
    retry_timeout: float | None = DEFAULT_RETRY_TIMEOUT,
    request_timeout: float | None = None,
    poll_interval: float = DEFAULT_POLL_INTERVAL,
    poll_timeout: float = DEFAULT_POLL_TIMEOUT,
    cache: bool | str | os.PathLike[str] = True,
    refresh: bool = False,
    progress: bool | ProgressCallback = True,
    out: str | os.PathLike[str] | None = None,
    max_file_bytes: int | None = DEFAULT_MAX_FILE_BYTES,
    include_hidden: bool = False,
    einvoice: str = "remote",
    dry_run: bool = False,
    file_timeout: float | None = limits.FILE_TIMEOUT_S,
    follow_symlinks: bool = False,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Extraction:
    """Recognise every file under ``paths`` with DocAI or CapSolver; return the tables.

    ``paths``: a folder (searched recursively; hidden files and folders skipped unless
    ``include_hidden``; a symbolic link leading out of the folder is a failed row, code
    ``outside_folder``, unless ``follow_symlinks``), a file, or a list of them; every file gets
    a source of its own (see :func:`ocrframe._inputs.iter_inputs` for the rule).
    ``service``: ``"docai"`` (``model`` is the modelId; ``"invoice"`` by default on the
    embedded engine) or ``"capsolver"`` (``model`` is the module; a PDF or multi-page TIFF is
    split into page images; ``file_timeout`` seconds per file). ``api_key`` / ``base_url``
    default to the environment; with neither, the embedded offline engine answers.

    Submission: ``concurrency`` requests at once, at most ``rate_limit`` per second, each unit
    tried at most ``retries`` times within ``retry_timeout`` seconds (Retry-After honoured);
    ``request_timeout`` seconds per request. ``cache`` (``True``: the per-user default, a path,
    or ``False``) keeps every answer so that running again sends nothing already answered;
    ``refresh=True`` sends everything again. With ``out=DIR`` the tables stream to a Parquet
    dataset as answers arrive (memory stays flat) and the Extraction returned is read back from
    it. ``progress``: ``True`` shows a tqdm bar (a widget in Jupyter), ``False`` nothing, and a
    callable is called as ``progress(done, total)`` after every unit instead (on the loop the
    batch runs on).

    ``einvoice="local"`` (DocAI): a PDF carrying an e-invoice (Factur-X, ZUGFeRD, XRechnung; CII
    or UBL) is answered here, exactly, from its XML, and is neither sent nor paid for; only the
    other files go to the service. Its ``documents`` row has ``read_locally`` =
    ``"einvoice-xml"``. The default, ``"remote"``, sends every file: the service chosen reads it.

    ``dry_run=True`` sends nothing: it returns a :class:`~ocrframe._batch.preview.Preview` (an
    Extraction with no rows) whose ``files`` say, unit by unit, what a run would do: kind,
    pages, bytes, cached or not, requests to make (``.summary()`` in one paragraph).
    The options are described once, in
    :class:`~ocrframe._batch.options.BatchOptions` (and the README's options table).

    Every file ends exactly once in ``documents`` as ``ok``, ``failed`` or ``pending``; the
    result's ``summary`` (a :class:`~ocrframe.RunSummary`) says what the run did. A bad key or
    an empty balance raises that error (a :class:`RunAbortedError`) once the ledger is
    complete, with the partial tables as its ``extraction`` attribute.

    :func:`extract` is the same, blocking; it works inside a running event loop (Jupyter):
    the work runs on ocrframe's own loop thread.

    >>> ex = await extract_async("invoices/", model="invoice", progress=False)  # doctest: +SKIP
    >>> ex.documents.status.value_counts()  # doctest: +SKIP
    """
    # The parameters make_options takes are passed as given: one list of settings, not two.
    given = locals()
    options = make_options(**{name: given[name] for name in OPTION_NAMES})
    _check_paths(paths)
    _check_connection(api_key, base_url, transport)
    # Counting first costs one more walk of the folder, and gives the bar its total.
    walk = {"include_hidden": include_hidden, "follow_symlinks": follow_symlinks}
    total = sum(1 for _ in iter_inputs(paths, **walk)) if progress else None

    chosen = adapter(options.service)
    client = chosen.client(
        api_key,
        base_url=base_url,
        transport=transport,
        timeout=options.request_timeout,
        # Polling shares the pool: a little room beyond the workers.
        max_connections=options.concurrency + 2,
    )
    try:
        options = replace(
            options,
            model=chosen.model_for(options.model, embedded=bool(client.uses_embedded_engine)),
        )
        store = ResponseCache.open(options.cache)
    except BaseException:
        await client.aclose()
        raise
    if options.dry_run:
        from ocrframe._batch.preview import preview_units

        try:
            embedded = bool(client.uses_embedded_engine)
            return await preview_units(
                paths,
                options=options,
                host=host_of(client.base_url, embedded=embedded),
                cache=store,
                key_options=key_options,
                plan_unit=plan_unit,
            )
        finally:
            await client.aclose()
            if store is not None:
                store.close()
    bar = progress_bar(options.progress, total, options.service)
    ledger = Ledger(options, bar)
    run = Run(options, client, store, ledger)
    try:
        # Retry lines go to the ocrframe logger (debug) for the tasks of this run only.
        with retries_to_debug():
            await _drive(run, paths)
            await run.wait_background()
        extraction = await ledger.finish()
        extraction.inputs = _given(paths)
        if ledger.summary.documents == 0:
            logger.warning(
                "no documents found in %s: nothing was read", ", ".join(extraction.inputs)
            )
    except BaseException:
        await run.cancel_background()
        await ledger.abandon()
        raise
    finally:
        if bar is not None:
            bar.close()
        await client.aclose()
        if store is not None:
            store.close()
    error = run.stopped
    if error is not None:
        # The cause itself is raised (an AuthenticationError names it best), carrying what was
        # done: the ledger is complete and everything finished is in the cache and in ``out``.
        if isinstance(error, RunAbortedError):
            error.extraction = extraction
        raise error
    return extraction


async def _drive(run: Run, paths: PathArg | Sequence[PathArg]) -> None:
    """Feed discovered files to workers through a bounded queue (requests are capped apart)."""
    workers = run.options.concurrency * 2
    queue: asyncio.Queue[InputFile | None] = asyncio.Queue(maxsize=workers)

    async def work() -> None:
        while (item := await queue.get()) is not None:
            await run.process(item)

    tasks = [asyncio.create_task(work()) for _ in range(workers)]
    try:
        for item in iter_inputs(
            paths,
            include_hidden=run.options.include_hidden,
            follow_symlinks=run.options.follow_symlinks,
        ):
            await queue.put(item)
        for _ in tasks:
            await queue.put(None)
        await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


def _given(paths: PathArg | Sequence[PathArg]) -> tuple[str, ...]:
    """The folders or files a run was given, as strings (where ``Extraction.show`` looks)."""
    if isinstance(paths, str | bytes | os.PathLike):
        paths = [paths]
    return tuple(os.fsdecode(p) for p in paths)


def _blocking(
    function: Callable[_P, Coroutine[Any, Any, _T]], *, name: str, doc: str
) -> Callable[_P, _T]:
    """The blocking twin of a coroutine function: the same parameters, one implementation.

    Runs on ocrframe's loop thread (:func:`ocrframe._sync.run_sync`), so it also works inside a
    running event loop. ``inspect.signature`` and ``help()`` show the wrapped signature.
    """

    @functools.wraps(function)
    def blocking(*args: _P.args, **kwargs: _P.kwargs) -> _T:
        return run_sync(function(*args, **kwargs))

    blocking.__name__ = blocking.__qualname__ = name
    blocking.__doc__ = doc
    return blocking


extract = _blocking(
    extract_async,
    name="extract",
    doc="""Recognise every file under ``paths`` with DocAI or CapSolver; return the tables.

    :func:`extract_async` awaited on ocrframe's own loop thread, so that it blocks and also works
    inside a running event loop (Jupyter). Parameters, rules and errors: :func:`extract_async`.

    >>> ex = extract("invoices/", model="invoice", progress=False)  # doctest: +SKIP
    >>> ex.documents.status.value_counts()  # doctest: +SKIP
    """,
)
