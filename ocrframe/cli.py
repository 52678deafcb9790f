"""The ``ocrframe`` command: a thin shell over the library."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TextIO, TypeVar

import click

from ocrframe import limits
from ocrframe._batch import DEFAULT_MAX_FILE_BYTES, EINVOICE_CHOICES, OPTIONS, BatchOptions
from ocrframe.services import SERVICES

_F = TypeVar("_F", bound=Callable[..., Any])
_FIELDS = {f.name: f for f in dataclasses.fields(BatchOptions)}

if TYPE_CHECKING:
    from ocrframe._batch import DatasetExtraction, RunSummary
    from ocrframe._batch.preview import Preview


@click.group()
@click.version_option(package_name="ocrframe")
def main() -> None:
    """ocrframe: documents in a folder -> tidy DataFrames and Parquet."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port (0: any free).")
@click.option("--latency-ms", default=0.0, type=float, help="Delay added to every API answer.")
@click.option("--fault-rate", default=0.0, type=click.FloatRange(0, 1), help="Share of faults.")
@click.option("--seed", default=None, type=int, help="Seed of the fault choice.")
@click.option(
    "--fault-kinds",
    default=None,
    help="Comma-separated fault kinds to inject (default: all; see ocrframe.engine.faults).",
)
@click.option(
    "--fault-timeout-s", default=150.0, type=float, help="How long a 'timeout' fault stalls."
)
@click.option(
    "--docai-key",
    envvar="OCRFRAME_ENGINE_DOCAI_KEY",
    default=None,
    help="Bearer key the server requires; none: any. Prefer the environment variable "
    "OCRFRAME_ENGINE_DOCAI_KEY or --docai-key-file: a flag shows in the process list.",
)
@click.option(
    "--capsolver-key",
    envvar="OCRFRAME_ENGINE_CAPSOLVER_KEY",
    default=None,
    help="clientKey the server requires; none: any. Prefer the environment variable "
    "OCRFRAME_ENGINE_CAPSOLVER_KEY or --capsolver-key-file.",
)
@click.option("--docai-key-file", type=click.File("r"), help="Read the DocAI key from a file.")
@click.option("--capsolver-key-file", type=click.File("r"), help="Read the CapSolver key.")
@click.option("--max-body-mb", default=50.0, type=float, show_default=True, help="Body cap.")
@click.option("--max-pages", default=limits.MAX_PAGES, show_default=True, help="Pages asked.")
@click.option("--body-timeout-s", default=limits.SERVER_BODY_TIMEOUT_S, show_default=True)
@click.option("--header-timeout-s", default=limits.SERVER_HEADER_TIMEOUT_S, show_default=True)
@click.option("--max-connections", default=limits.MAX_CONNECTIONS, show_default=True)
@click.option("--workers", default=None, type=int, help="Recognition threads (default: cores).")
@click.option(
    "--ocr-workers",
    default=None,
    type=int,
    help="Pages read at once, one OCR engine each (default: env OCRFRAME_OCR_WORKERS, or cores).",
)
@click.option(
    "--unpolled-timeout-s",
    default=limits.SERVER_UNPOLLED_TIMEOUT_S,
    show_default=True,
    type=click.FloatRange(min=0),
    help="An asynchronous DocAI job nobody polls for this long is cancelled.",
)
@click.option(
    "--result-ttl-s",
    default=limits.SERVER_RESULT_TTL_S,
    show_default=True,
    type=click.FloatRange(min=0),
    help="How long a finished answer is kept for identifyResult / getTaskResult.",
)
def serve(
    host: str,
    port: int,
    latency_ms: float,
    fault_rate: float,
    seed: int | None,
    fault_kinds: str | None,
    fault_timeout_s: float,
    docai_key: str | None,
    capsolver_key: str | None,
    docai_key_file: TextIO | None,
    capsolver_key_file: TextIO | None,
    max_body_mb: float,
    max_pages: int,
    body_timeout_s: float,
    header_timeout_s: float,
    max_connections: int,
    workers: int | None,
    ocr_workers: int | None,
    unpolled_timeout_s: float,
    result_ttl_s: float,
) -> None:
    """Serve the embedded engine (DocAI and CapSolver wire formats) on HOST:PORT."""
    from ocrframe._embedded import engine_module
    from ocrframe.errors import OcrframeError

    try:
        engine = engine_module()
    except ImportError as exc:
        raise click.ClickException(
            "the engine needs its extra: pip install 'ocrframe[engine]'"
        ) from exc
    try:
        config = engine.EngineConfig(
            docai_key=(docai_key_file.read().strip() if docai_key_file else docai_key) or None,
            capsolver_key=(
                capsolver_key_file.read().strip() if capsolver_key_file else capsolver_key
            )
            or None,
            latency_ms=latency_ms,
            fault_rate=fault_rate,
            seed=seed,
            fault_kinds=tuple(k.strip() for k in fault_kinds.split(",") if k.strip())
            if fault_kinds
            else None,
            fault_timeout_s=fault_timeout_s,
            max_body_bytes=int(max_body_mb * 1024 * 1024),
            workers=workers,
            ocr_workers=ocr_workers,
            max_pages=max_pages,
            body_timeout_s=body_timeout_s,
            header_timeout_s=header_timeout_s,
            max_connections=max_connections,
            unpolled_timeout_s=unpolled_timeout_s,
            result_ttl_s=result_ttl_s,
        )
        engine.serve(
            config,
            host=host,
            port=port,
            on_listening=lambda url: click.echo(f"ocrframe engine listening on {url}"),
        )
    except (OcrframeError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc


# --- extract and models (batch helper) ---------------------------------------------------------

_SERVICES = click.Choice(list(SERVICES))


#: The flag of each option of ``extract`` (checked against the options by the tests).
FLAGS: dict[str, str] = {}


def _flag(name: str, *decls: str, **kwargs: Any) -> Callable[[_F], _F]:
    """The ``--flag`` of option ``name``: its help and default are the option's own
    (:data:`~ocrframe._batch.OPTIONS`), unless given here (a flag in other units)."""
    about = OPTIONS[name]
    decls = decls or (f"--{name.replace('_', '-')}",)
    FLAGS[name] = decls[0].split("/")[0]
    field = _FIELDS[name]
    kwargs.setdefault("help", about.help)
    if "default" not in kwargs and not kwargs.get("is_flag") and not kwargs.get("required"):
        kwargs["default"] = field.default
        kwargs.setdefault("show_default", field.default is not None)
    return click.option(*decls, **kwargs)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=str))
@_flag("service", type=_SERVICES)
@_flag("model")
@_flag(
    "out",
    type=click.Path(file_okay=False, path_type=str),
    help=OPTIONS["out"].help.rstrip(".") + "; required unless --dry-run.",
)
@_flag("pages")
@_flag("workspace")
@_flag("asynchronous", is_flag=True)
@_flag("score", type=float)
@_flag("case", "--case/--no-case", default=None)
@_flag("concurrency", type=click.IntRange(min=1))
@_flag("rate_limit", type=click.FloatRange(min=0, min_open=True))
@_flag("retries", type=click.IntRange(min=1))
@_flag("retry_timeout", type=click.FloatRange(min=0, min_open=True))
@_flag("request_timeout", type=click.FloatRange(min=0, min_open=True))
@_flag("poll_interval", type=click.FloatRange(min=0, min_open=True))
@_flag("poll_timeout", type=click.FloatRange(min=0, min_open=True))
@_flag("cache", "--cache", "cache_path", type=click.Path(path_type=str), default=None)
@click.option("--no-cache", is_flag=True, help="Keep no answers (everything is sent).")
@_flag("refresh", is_flag=True)
@_flag("progress", "--no-progress", is_flag=True, help="No progress bar.")
@_flag("include_hidden", is_flag=True)
@_flag("follow_symlinks", is_flag=True)
@_flag("einvoice", type=click.Choice(list(EINVOICE_CHOICES)))
@_flag("dry_run", is_flag=True)
@_flag(
    "max_file_bytes",
    "--max-file-mb",
    type=click.FloatRange(min=0, min_open=True),
    default=DEFAULT_MAX_FILE_BYTES / 2**20,
    show_default=True,
    help="Refuse larger files (MB).",
)
@_flag("file_timeout", type=click.FloatRange(min=0, min_open=True))
@click.option(
    "--base-url",
    default=None,
    help="Service URL (else DOCAI_BASE_URL / "
    "CAPSOLVER_API_BASE, else the public API; no key at all: the embedded engine).",
)
@click.option(
    "--dask",
    "dask_address",
    default=None,
    metavar="ADDRESS",
    help="Run on a Dask cluster: its scheduler's address (tcp://host:8786), or local:N for a "
    "local cluster of N worker processes (needs the dask extra). Concurrency and rate limit "
    "hold for the whole cluster.",
)
@click.option(
    "--partition-size",
    type=click.IntRange(min=1),
    default=None,
    help="With --dask: files per task (default 100).",
)
def extract(
    paths: tuple[str, ...],
    service: str,
    model: str | None,
    out: str | None,
    pages: str | None,
    workspace: str | None,
    asynchronous: bool,
    score: float | None,
    case: bool | None,
    concurrency: int,
    rate_limit: float | None,
    retries: int,
    retry_timeout: float,
    request_timeout: float | None,
    poll_interval: float,
    poll_timeout: float,
    cache_path: str | None,
    no_cache: bool,
    refresh: bool,
    no_progress: bool,
    include_hidden: bool,
    einvoice: str,
    dry_run: bool,
    follow_symlinks: bool,
    max_file_mb: float,
    file_timeout: float,
    base_url: str | None,
    dask_address: str | None,
    partition_size: int | None,
) -> None:
    """Recognise every file in PATHS (folders searched recursively) into a Parquet dataset.

    Keys come from DOCAI_API_KEY / CAPSOLVER_API_KEY. Exit status: 0 when every file is ok or
    pending, 1 when some failed, none was found, or the run was stopped, 2 for a usage error.
    """
    import functools

    from ocrframe._batch import DatasetExtraction, RunSummary
    from ocrframe._batch import extract as run_extract
    from ocrframe._batch.preview import Preview
    from ocrframe.errors import ConfigurationError, OcrframeError

    if cache_path is not None and no_cache:
        raise click.UsageError("--cache and --no-cache exclude each other")
    if partition_size is not None and dask_address is None:
        raise click.UsageError("--partition-size goes with --dask")
    # A dry run plans here: the files it lists are the ones the cluster would be given.
    if dask_address is not None and not dry_run:
        run_extract = functools.partial(_on_dask, dask_address, partition_size)
    if out is None and not dry_run:
        raise click.UsageError("Missing option '--out' (the dataset folder)")
    try:
        extraction = run_extract(
            list(paths) if len(paths) > 1 else paths[0],
            service=service,
            model=model,
            pages=pages,
            workspace=workspace,
            asynchronous=asynchronous,
            score=score,
            case=case,
            base_url=base_url,
            concurrency=concurrency,
            rate_limit=rate_limit,
            retries=retries,
            retry_timeout=retry_timeout,
            request_timeout=request_timeout,
            poll_interval=poll_interval,
            poll_timeout=poll_timeout,
            cache=False if no_cache else (cache_path if cache_path is not None else True),
            refresh=refresh,
            progress=not no_progress,
            out=None if dry_run else out,
            max_file_bytes=int(max_file_mb * 1024 * 1024),
            file_timeout=file_timeout,
            include_hidden=include_hidden,
            einvoice=einvoice,
            dry_run=dry_run,
            follow_symlinks=follow_symlinks,
        )
    except ConfigurationError as exc:
        raise click.UsageError(str(exc)) from exc
    except OcrframeError as exc:
        partial = getattr(exc, "extraction", None)
        if isinstance(partial, DatasetExtraction):
            click.echo(run_summary(partial.summary, str(out)))
        raise click.ClickException(f"the run stopped: {exc}") from exc
    if isinstance(extraction, Preview):
        click.echo(preview_text(extraction))
        return
    assert out is not None
    summary = extraction.summary if isinstance(extraction, DatasetExtraction) else RunSummary()
    # A cluster re-run that skips files its dataset holds already did find them.
    if summary.documents == 0 and not getattr(summary, "skipped", 0):
        hidden = "" if include_hidden else " (hidden files are skipped: see --include-hidden)"
        raise click.ClickException(
            f"no documents found in {', '.join(paths)}{hidden}: nothing was read"
        )
    click.echo(run_summary(summary, out))
    if summary.failed:
        raise SystemExit(1)


def _on_dask(
    address: str, partition_size: int | None, paths: Any, **options: Any
) -> DatasetExtraction:
    """``ocrframe.dask.extract`` on the cluster ``--dask`` names (started here for local:N)."""
    try:
        import ocrframe.dask
    except ImportError as exc:
        raise click.ClickException(str(exc)) from exc
    sized: dict[str, Any] = {} if partition_size is None else {"partition_size": partition_size}
    with ocrframe.dask.connect(address) as client:
        return ocrframe.dask.extract(paths, client=client, **sized, **options)


def preview_text(preview: Preview) -> str:
    """A dry run's report: one line per unit, then the totals."""
    lines = []
    for raw in preview.files.to_dict("records"):
        # Missing Arrow values come out as pd.NA: compared by identity, never by truth.
        row = {k: None if v is None or type(v).__name__ == "NAType" else v for k, v in raw.items()}
        source = str(row["source"])
        where = source if row["page"] is None else f"{source} p{row['page']}"
        if row["action"] == "fail":
            detail = f"{row['error_code']}: {row['error_message']}"
        else:
            detail = f"{row['kind']}, {row['pages']} pages, {row['bytes']} bytes"
        lines.append(f"  {row['action']!s:6} {where} ({detail})")
    lines.append(preview.summary())
    return "\n".join(lines)


def run_summary(summary: RunSummary, out: str) -> str:
    """The end-of-run summary: counts by status, cached, the failed files and their reasons."""
    lines = [
        f"{summary.documents} documents: {summary.ok} ok, {summary.failed} failed, "
        f"{summary.pending} pending ({summary.cached} from the cache, "
        f"{summary.requests} requests sent)"
    ]
    if summary.read_locally:
        lines.append(f"  {summary.read_locally} read here from their embedded e-invoice (not sent)")
    shown = 20
    for source, code, message in summary.failures[:shown]:
        lines.append(f"  failed: {source}: {code}: {message}")
    if summary.failed > shown:
        lines.append(f"  ... and {summary.failed - shown} more failed (see the documents table)")
    if summary.pending:
        lines.append("  pending: still recognising; run the same command again to collect them")
    skipped = getattr(summary, "skipped", 0)
    if skipped:
        lines.append(f"  {skipped} files skipped: the dataset holds them as ok already")
    if summary.checks_failed:
        lines.append(
            f"{summary.checks_failed} documents failed a check (their amounts do not add up; "
            "see Extraction.checks())"
        )
        for source, check, difference in summary.check_failures[:shown]:
            lines.append(f"  check failed: {source}: {check} (difference {difference})")
    if summary.warned:
        lines.append(f"{summary.warned} documents with warnings (see documents.warnings)")
        for source, said in summary.warnings[:shown]:
            lines.append(f"  warning: {source}: {said}")
    lines.append(f"dataset: {out}")
    return "\n".join(lines)


@main.command()
@click.option("--service", type=_SERVICES, default="docai", show_default=True, help="Service.")
@click.option("--base-url", default=None, help="Service URL (else from the environment).")
def models(service: str, base_url: str | None) -> None:
    """List the models: DocAI's for your key (DOCAI_API_KEY), else the embedded engine's."""
    from ocrframe._sync import run_sync
    from ocrframe.errors import OcrframeError
    from ocrframe.services import adapter

    chosen = adapter(service)

    async def listed() -> list[dict[str, object]]:
        if not chosen.lists_models:
            return []
        client: Any = chosen.client(
            None, base_url=base_url, transport=None, timeout=None, max_connections=4
        )
        async with client:
            return await chosen.list_models(client)

    try:
        found = chosen.models(run_sync(listed()))
    except OcrframeError as exc:
        raise click.ClickException(str(exc)) from exc
    for model in found:
        columns = (model.id, model.name, model.description) if model.name else model[::2]
        click.echo("\t".join(columns))
