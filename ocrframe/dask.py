"""Beyond one machine: the same extraction on a Dask cluster (the ``dask`` extra).

:func:`extract` lists the inputs on the client, cuts them into partitions and submits one task
per partition to a :class:`distributed.Client`. Each task runs ocrframe's own batch engine
(:func:`ocrframe.extract`: concurrency, rate limit, retries, the worker's local cache; the embedded
engine is loaded once per worker process) on its partition's files, which the worker reads itself:
only paths go through the scheduler. The task writes its part of the Parquet dataset at ``out``;
the call returns the dataset as an :class:`~ocrframe.Extraction` (read when first used) with a
:class:`ClusterSummary` of the whole run. :func:`tables` gives the dataset as Dask DataFrames.

How it keeps its promises:

- **Exactly once.** A part is named after its content: the options' key (service, model, host and
  every option that changes an answer) and a hash of the sorted ``(source, sha256)`` of the files
  it holds. Its five table files are written under a dot-prefixed temporary name (which readers
  ignore), then moved into place, ``documents`` last. A task that Dask runs again (a worker died,
  a task was retried) writes the same name and so replaces what a first attempt may have left.
- **The dataset is the cluster-wide ledger.** Before submitting, the client reads the
  ``documents`` key columns; a file the dataset holds as ``ok`` for the same content and options
  is skipped by the worker that owns it (it hashes the file to be sure). Each worker still uses its
  own cache, so a task re-run on the same machine sends nothing already answered. After the tasks,
  the client removes from older parts the rows a new part supersedes (a ``failed`` row redone, an
  answer under other options), so every file ends exactly once in ``documents``.
- **Global limits.** ``concurrency`` is a budget of leases of one :class:`distributed.Semaphore`
  for the whole run: a partition task takes up to its share of leases (at least one, waiting for
  it) and runs the batch engine with that many requests in flight, so the requests in flight
  across the cluster never exceed ``concurrency``. ``rate_limit`` is split the same way: a task
  holding ``k`` of ``concurrency`` leases sends at most ``rate_limit * k / concurrency`` requests
  per second, evenly spaced (:class:`PacedTransport`: no burst when a task starts). On the
  in-process embedded engine the engine's own limiter takes the share.
- A bad key or an empty balance stops each partition at its first refusal (the files not sent are
  ``failed`` with ``run_aborted``, as on one machine); the error is raised at the end with the
  dataset as its ``extraction``.

>>> from distributed import Client, LocalCluster  # doctest: +SKIP
>>> with LocalCluster(n_workers=2, threads_per_worker=1) as cluster, Client(cluster):
...     ex = ocrframe.dask.extract("invoices/", model="invoice", out="out/invoices")
"""

from __future__ import annotations

try:
    import distributed
    import fsspec  # noqa: F401  (its absence gets the message below; _cluster_dataset uses it)
except ImportError as _missing:  # pragma: no cover - exercised only without the extra
    raise ImportError(
        "ocrframe.dask needs Dask's distributed scheduler, which is not installed "
        f"({_missing}); install the extra: pip install 'ocrframe[dask]'"
    ) from _missing

import contextlib
import glob
import math
import os
import uuid
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple, cast

import ocrframe.errors as _errors
from ocrframe._batch import DatasetExtraction, RunSummary, host_of, key_options, make_options
from ocrframe._cluster_dataset import (
    SUFFIX,
    _chunks,
    _ClusterExtraction,
    _filesystem,
    _remove,
    option_key,
    option_of_part,
    read_dataset,
    read_ledger,
    supersede,
)
from ocrframe._cluster_worker import (
    MAX_FAILURES,
    PRELOAD_PLUGIN,
    EnginePreload,
    PacedTransport,
    TaskTiming,
    _Job,
    _Partition,
    _PartResult,
    _run_partition,
    _Secret,
)
from ocrframe._frames import TABLES
from ocrframe._inputs import PathArg, iter_inputs
from ocrframe.errors import ConfigurationError

__all__ = [
    "DEFAULT_PARTITION_SIZE",
    "ClusterSummary",
    "EnginePreload",
    "PacedTransport",
    "Tables",
    "TaskTiming",
    "connect",
    "extract",
    "parse_address",
    "read_dataset",
    "read_ledger",
    "tables",
]

#: Files per partition (one task each). Small enough that the last tasks do not keep most of the
#: cluster idle, large enough that a task's fixed costs (a client, a part file) are spread thin.
DEFAULT_PARTITION_SIZE = 100

_OPTION_NAMES = frozenset(make_options.__kwdefaults__ or ())


@dataclass(slots=True)
class ClusterSummary(RunSummary):
    """What one cluster run did, over every partition: a :class:`ocrframe._batch.RunSummary` plus
    ``skipped`` (files the dataset already held as ``ok`` for the same content and options: not
    read by the engine, not sent, not written again), ``partitions`` (tasks submitted) and
    ``tasks``, a :class:`TaskTiming` per finished task in partition order (which worker, when,
    the wait for a lease, the batch engine, the part's writing, the worker's CPU)."""

    skipped: int = 0
    partitions: int = 0
    tasks: list[TaskTiming] = field(default_factory=list, repr=False)


class Tables(NamedTuple):
    """The dataset's five tables as lazy :class:`dask.dataframe.DataFrame` objects."""

    documents: Any
    fields: Any
    items: Any
    taxes: Any
    texts: Any


# --------------------------------------------------------------------------- the client's side


def _expand(paths: PathArg | Sequence[PathArg]) -> PathArg | Sequence[PathArg]:
    """A glob (a string naming nothing that exists, with ``*``, ``?`` or ``[``) becomes its
    matches; anything else is passed on as given."""
    if isinstance(paths, str) and not os.path.lexists(paths) and glob.has_magic(paths):
        matches = sorted(glob.glob(paths, recursive=True))
        if not matches:
            raise ConfigurationError(f"no file matches {paths!r}")
        return list(matches)
    return paths


def _resolve_service(
    service: str, api_key: str | None, base_url: str | None
) -> tuple[str | None, str | None, bool, str]:
    """The key, the base URL (both read from the environment here, at the edge, so that workers
    need none), whether the embedded engine answers, and the host naming who answers."""
    from ocrframe.services.capsolver import AsyncCapSolverClient
    from ocrframe.services.docai import AsyncDocAIClient

    cls: Any = AsyncDocAIClient if service == "docai" else AsyncCapSolverClient
    key = api_key if api_key is not None else os.environ.get(cls.key_env) or None
    url = base_url if base_url is not None else os.environ.get(cls.url_env) or None
    embedded = key is None and url is None
    host = host_of(url or cls.default_url, embedded=embedded)
    return key, url, embedded, host


def extract(
    paths: PathArg | Sequence[PathArg],
    *,
    out: str | os.PathLike[str],
    client: Any = None,
    partition_size: int = DEFAULT_PARTITION_SIZE,
    api_key: str | None = None,
    base_url: str | None = None,
    cache: bool | str | os.PathLike[str] = True,
    progress: bool = True,
    **options: Any,
) -> DatasetExtraction:
    """Recognise every file under ``paths`` on a Dask cluster into the Parquet dataset ``out``.

    ``paths``: a folder (searched recursively), a file, a list of them, or a glob, on a filesystem
    every worker sees (the client lists the files; the workers read them). ``out``: a folder or an
    fsspec URL every worker can write to. ``client``: a :class:`distributed.Client` (default: the
    current one). ``partition_size`` files make one task. ``options`` are those of
    :func:`ocrframe.extract` (``service``, ``model``, ``pages``, ``concurrency``,
    ``rate_limit``, ``retries``, ...); ``concurrency`` and ``rate_limit`` hold for the whole
    cluster. ``cache`` is each worker's own (``True``: its default place). ``progress``: a bar
    over the files, advanced as partitions finish.

    Returns the whole dataset (read when first used) with ``.summary``, a
    :class:`ClusterSummary` of this run. Running the same call again sends nothing for files the
    dataset holds as ``ok``.

    >>> ex = ocrframe.dask.extract("scans/", model="invoice", out="out/scans")  # doctest: +SKIP
    >>> ex.summary.ok, ex.documents.status.value_counts()  # doctest: +SKIP
    """
    unknown = sorted(set(options) - _OPTION_NAMES)
    if unknown:
        raise ConfigurationError(
            f"unknown option(s) {', '.join(unknown)} for ocrframe.dask.extract"
        )
    if options.get("dry_run"):
        raise ConfigurationError(
            "dry_run is not for a cluster: ocrframe.extract(paths, dry_run=True) on this machine "
            "says what would be sent"
        )
    settings = make_options(**options)
    if (
        isinstance(partition_size, bool)
        or not isinstance(partition_size, int)
        or partition_size < 1
    ):
        raise ConfigurationError(
            f"partition_size must be a whole number above 0, not {partition_size!r}"
        )
    if not isinstance(out, str | os.PathLike):
        raise ConfigurationError(f"out must be a folder path or URL, not {out!r}")
    out_text = os.fspath(out)
    if out_text.startswith("file://"):
        out_text = out_text.removeprefix("file://")
    if "://" not in out_text:
        out_text = os.path.abspath(out_text)
        if os.path.exists(out_text) and not os.path.isdir(out_text):
            raise ConfigurationError(f"out must be a folder for the Parquet dataset: {out_text}")
    if not isinstance(cache, bool | str | os.PathLike):
        raise ConfigurationError(f"cache must be True, False or a path, not {cache!r}")
    key, url, embedded, host = _resolve_service(settings.service, api_key, base_url)
    model = settings.model
    if model is None and settings.service == "docai":
        if not embedded:
            raise ConfigurationError(
                "model is required for DocAI: give the modelId (see `ocrframe models`)"
            )
        model = "invoice"
    option = option_key(settings.service, model, key_options(settings, host, rendered=False))
    expanded = _expand(paths)
    if client is None:
        try:
            client = distributed.get_client()
        except ValueError as exc:
            raise ConfigurationError(
                "no Dask client: pass client=, or create one first "
                "(distributed.Client(address) or distributed.Client(LocalCluster()))"
            ) from exc
    items = [
        (os.path.abspath(item.path), item.source)
        for item in iter_inputs(expanded, include_hidden=settings.include_hidden)
    ]
    ledger = read_ledger(out_text)
    ok_here: dict[str, set[str]] = {}
    for (source, sha, _page), status, part in ledger:
        if status == "ok" and option_of_part(part) == option:
            ok_here.setdefault(source, set()).add(sha)
    threads = max(1, sum(client.nthreads().values()))
    # On the embedded engine a file is seconds of the worker's own CPU: the last partitions shrink
    # so that the workers finish together. A remote service's files are short waits, for which
    # more tasks only add their fixed costs (measured: BENCHMARKS.md, "Dask cluster").
    chunks = _chunks(items, partition_size, threads if embedded else 1)
    partitions = [
        _Partition(
            index=i,
            files=chunk,
            known_ok={s: frozenset(ok_here[s]) for _, s in chunk if s in ok_here},
        )
        for i, chunk in enumerate(chunks)
    ]
    run = uuid.uuid4().hex[:12]
    # The page OCR engine loaded as each worker starts, not on its first page. DocAI's pages only:
    # the embedded CapSolver reads captchas with models of its own, loaded on first use.
    if embedded and settings.service == "docai":
        client.register_plugin(EnginePreload(), name=PRELOAD_PLUGIN)
    slots = settings.concurrency
    # Bound to the client given (which need not be the default one); on the workers it binds to
    # the worker's own connection when unpickled.
    semaphore = distributed.Semaphore(  # type: ignore[no-untyped-call]
        max_leases=slots, name=f"ocrframe-{run}", scheduler_rpc=client.scheduler, loop=client.loop
    )
    job = _Job(
        out=out_text,
        option_key=option,
        options={
            name: getattr(settings, name)
            for name in _OPTION_NAMES
            # What the job passes on its own (the worker's share, its cache, no bar, no out).
            if name not in ("concurrency", "rate_limit", "pages", "cache", "out", "progress")
        }
        | {"model": model, "pages": list(settings.pages) if settings.pages else None},
        api_key=_Secret(key) if key is not None else None,
        base_url=url,
        embedded=embedded,
        cache=os.fspath(cache) if not isinstance(cache, bool) else cache,
        concurrency=slots,
        share=max(1, math.ceil(slots / max(1, min(threads, len(partitions))))),
        rate_limit=settings.rate_limit,
        semaphore=semaphore,
    )
    summary = ClusterSummary(partitions=len(partitions))
    results: list[_PartResult] = []
    try:
        futures = [
            client.submit(_run_partition, job, p, key=f"ocrframe-partition-{run}-{p.index:05d}")
            for p in partitions
        ]
        bar: Any = None
        if progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=len(items), unit="doc", desc=f"ocrframe {settings.service} (dask)")
        try:
            done = distributed.as_completed(futures, loop=client.loop)  # type: ignore[no-untyped-call]
            for future in done:
                result = cast(_PartResult, future.result())
                results.append(result)
                if bar is not None:
                    bar.update(result.files)
        finally:
            if bar is not None:
                bar.close()
    finally:
        _close_quietly(semaphore)
    new_parts = {r.part for r in results if r.part is not None}
    fs, root = _filesystem(out_text)
    losers = supersede(
        [row for row in ledger if row[2] not in new_parts],
        [(key, status, r.part) for r in results if r.part for key, status in r.rows],
    )
    for part, keys in losers.items():
        _remove(fs, root, part, keys)
    fatal: dict[str, Any] | None = None
    for r in sorted(results, key=lambda r: r.index):
        _add(summary, r.summary)
        summary.skipped += r.skipped
        if r.timing is not None:
            summary.tasks.append(r.timing)
        fatal = fatal or r.fatal
    extraction = _ClusterExtraction(out_text, summary)
    if fatal is not None:
        cls: Any = getattr(_errors, fatal["type"], _errors.RunAbortedError)
        error = cls(fatal["message"], service=fatal["service"], code=fatal["code"])
        summary.aborted = error
        error.extraction = extraction
        raise error
    return extraction


def _add(total: RunSummary, part: RunSummary) -> None:
    total.ok += part.ok
    total.failed += part.failed
    total.pending += part.pending
    total.cached += part.cached
    total.requests += part.requests
    room = MAX_FAILURES - len(total.failures)
    total.failures.extend(part.failures[: max(room, 0)])


def parse_address(address: str) -> tuple[str | None, int | None]:
    """A scheduler's address, or ``local:N`` (a local cluster of N worker processes).

    >>> parse_address("local:2"), parse_address("tcp://10.0.0.5:8786")
    ((None, 2), ('tcp://10.0.0.5:8786', None))
    """
    if address.startswith("local:"):
        count = address.removeprefix("local:")
        if not count.isdigit() or int(count) < 1:
            raise ConfigurationError(f"local:N needs a number of worker processes, not {address!r}")
        return None, int(count)
    if not address.strip():
        raise ConfigurationError("a Dask scheduler address (tcp://host:8786) or local:N is needed")
    return address, None


def _close_quietly(semaphore: Any) -> None:
    """Close the run's semaphore, expecting leases that a killed worker still held.

    A worker that died mid-partition never releases its leases; the scheduler warns about them
    when the semaphore closes (an error where warnings are errors, sent back over the RPC). They
    are expected after a kill and expire with the lease timeout, so that warning is not news.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message="Closing semaphore .* unreleased leases", category=RuntimeWarning
        )
        try:
            semaphore.close()
        except RuntimeWarning as exc:
            if "unreleased leases" not in str(exc):
                raise


@contextlib.contextmanager
def connect(address: str) -> Iterator[Any]:
    """A :class:`distributed.Client` of the scheduler at ``address``, or, for ``local:N``, of a
    new local cluster of N worker processes (one thread each; its dashboard on a free port),
    closed on exit.

    >>> with ocrframe.dask.connect("local:2") as client:  # doctest: +SKIP
    ...     ocrframe.dask.extract("scans/", out="out/scans", client=client)
    """
    scheduler, workers = parse_address(address)
    api: Any = distributed  # untyped
    with contextlib.ExitStack() as stack:
        if workers is not None:
            target = stack.enter_context(
                api.LocalCluster(
                    n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0"
                )
            )
        else:
            target = scheduler
        yield stack.enter_context(api.Client(target))


def tables(out: str | os.PathLike[str]) -> Tables:
    """The dataset at ``out`` as Dask DataFrames, one per table (lazy: nothing is read yet).

    >>> t = ocrframe.dask.tables("out/scans")  # doctest: +SKIP
    >>> t.items[t.items.key == "totalPriceExclTax"].number.count().compute()  # doctest: +SKIP
    """
    import dask.dataframe as dd

    root = os.fspath(out).rstrip("/")
    frames = [dd.read_parquet(f"{root}/{name}/*{SUFFIX}") for name in TABLES]
    return Tables(*frames)
