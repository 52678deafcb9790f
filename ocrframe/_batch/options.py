"""The options of a run, declared once.

:class:`BatchOptions` is the single source: every option of :func:`ocrframe.extract` is one of
its fields, with its default, its meaning, the service it belongs to (if only one) and the
README's wording of the default in the field's :class:`Option` metadata. ``extract`` /
``extract_async`` take the same keywords (a test checks names and defaults), the CLI's
``extract`` flags take their defaults and help from here (a test checks ``--help`` lists them
all), the widgets take their defaults from here, and a test checks the README's options table
against :data:`OPTIONS`.

To add an option: add a field here (with :func:`about` as its metadata), validate it in
:func:`make_options`, add the keyword to ``extract_async``, a flag to ``ocrframe extract``
(``cli.py``: one ``_flag(...)`` line), and a row to the README's options table. The tests say
what is missing.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import Any, Literal, cast

from ocrframe import limits
from ocrframe._inputs import PageSpec, format_pages, parse_pages
from ocrframe._records import Service
from ocrframe.errors import ConfigurationError
from ocrframe.services import ADAPTERS, adapter

__all__ = [
    "DEFAULTS",
    "DEFAULT_CONCURRENCY",
    "DEFAULT_MAX_FILE_BYTES",
    "DEFAULT_POLL_INTERVAL",
    "DEFAULT_POLL_TIMEOUT",
    "DEFAULT_RETRIES",
    "DEFAULT_RETRY_TIMEOUT",
    "EINVOICE_CHOICES",
    "OPTIONS",
    "BatchOptions",
    "EInvoiceReading",
    "Option",
    "ProgressCallback",
    "about",
    "make_options",
]

#: Requests in flight at once. Modest: a paid API's rate limits are rarely published.
DEFAULT_CONCURRENCY = 8
#: Attempts per unit (the first try included).
DEFAULT_RETRIES = 6
#: Seconds a unit may spend on attempts and waits before it is given up.
DEFAULT_RETRY_TIMEOUT = 300.0
#: Files larger than this are refused before reading (DocAI does not publish a limit).
DEFAULT_MAX_FILE_BYTES = 50 * 1024 * 1024
#: identifyResult polling: first wait, and give up (-> pending) after.
DEFAULT_POLL_INTERVAL = 1.0
DEFAULT_POLL_TIMEOUT = 300.0

ProgressCallback = Callable[[int, "int | None"], None]

#: Who reads a PDF's embedded e-invoice: ``"remote"`` (the service gets every file, the default)
#: or ``"local"`` (ocrframe reads the XML itself and sends only the other files).
EInvoiceReading = Literal["remote", "local"]
EINVOICE_CHOICES: tuple[str, ...] = ("remote", "local")


@dataclass(frozen=True, slots=True)
class Option:
    """What the README, ``--help`` and the widgets say about one option."""

    #: What it means (the CLI's help).
    help: str
    #: The default as the README's options table writes it (``""``: none).
    default_text: str = ""
    #: The only service it applies to, or None for every service.
    service: str | None = None


def about(help: str, *, default_text: str = "", service: str | None = None) -> Mapping[str, Option]:
    """The metadata of a :class:`BatchOptions` field: its :class:`Option`."""
    return MappingProxyType(
        {"option": Option(help=help, default_text=default_text, service=service)}
    )


@dataclass(frozen=True, slots=True)
class BatchOptions:
    """Every setting of one run, validated (see :func:`make_options`)."""

    service: Service = field(
        default="docai",
        metadata=about("The service: docai or capsolver.", default_text='`"docai"`'),
    )
    model: str | None = field(
        default=None, metadata=about("DocAI modelId, or CapSolver module (common, ...).")
    )
    pages: tuple[int, ...] | None = field(
        default=None,
        metadata=about(
            "Pages to read, as '1-1, 3-4' (DocAI legalPageNumbers).", default_text="all"
        ),
    )
    workspace: str | None = field(
        default=None, metadata=about("DocAI workspaceCode.", service="docai")
    )
    asynchronous: bool = field(
        default=False,
        metadata=about(
            "DocAI: submit everything, then poll identifyResult.",
            default_text="`False`",
            service="docai",
        ),
    )
    score: float | None = field(
        default=None, metadata=about("CapSolver score (0.8 to 1).", service="capsolver")
    )
    case: bool | None = field(
        default=None, metadata=about("CapSolver: case matters (or not).", service="capsolver")
    )
    concurrency: int = field(
        default=DEFAULT_CONCURRENCY,
        metadata=about("Requests in flight at once.", default_text=str(DEFAULT_CONCURRENCY)),
    )
    rate_limit: float | None = field(
        default=None, metadata=about("Requests per second at most.", default_text="none")
    )
    retries: int = field(
        default=DEFAULT_RETRIES,
        metadata=about("Attempts per file at most.", default_text=str(DEFAULT_RETRIES)),
    )
    retry_timeout: float | None = field(
        default=DEFAULT_RETRY_TIMEOUT,
        metadata=about(
            "Seconds per file for attempts and waits.", default_text=f"{DEFAULT_RETRY_TIMEOUT:g} s"
        ),
    )
    request_timeout: float | None = field(default=None, metadata=about("Seconds per request."))
    poll_interval: float = field(
        default=DEFAULT_POLL_INTERVAL,
        metadata=about(
            "DocAI: seconds between identifyResult polls (backing off while nothing finishes).",
            default_text=f"{DEFAULT_POLL_INTERVAL:g} s",
        ),
    )
    poll_timeout: float = field(
        default=DEFAULT_POLL_TIMEOUT,
        metadata=about(
            "DocAI: seconds to wait for a running recognition.",
            default_text=f"{DEFAULT_POLL_TIMEOUT:g} s",
        ),
    )
    cache: bool | str | os.PathLike[str] = field(
        default=True,
        metadata=about("Cache file (default: per user, see README).", default_text="`True`"),
    )
    refresh: bool = field(
        default=False,
        metadata=about("Send everything again, ignoring the cache.", default_text="`False`"),
    )
    out: str | os.PathLike[str] | None = field(
        default=None, metadata=about("Folder of the Parquet dataset (written as answers arrive).")
    )
    max_file_bytes: int | None = field(
        default=DEFAULT_MAX_FILE_BYTES,
        metadata=about(
            "Refuse larger files.", default_text=f"{DEFAULT_MAX_FILE_BYTES // 2**20} MB"
        ),
    )
    include_hidden: bool = field(
        default=False, metadata=about("Also read hidden files and folders.", default_text="`False`")
    )
    progress: bool | ProgressCallback = field(
        default=True, metadata=about("Show a progress bar.", default_text="`True`")
    )
    einvoice: EInvoiceReading = field(
        default="remote",
        metadata=about(
            "DocAI: 'local' answers PDFs with an embedded e-invoice (Factur-X, ZUGFeRD, "
            "XRechnung) here from their XML, without sending them; 'remote' sends every file.",
            default_text='`"remote"`',
            service="docai",
        ),
    )
    dry_run: bool = field(
        default=False,
        metadata=about(
            "Send nothing: list the files, kinds, pages, bytes, cached or not, requests to make.",
            default_text="`False`",
        ),
    )
    file_timeout: float | None = field(
        default=limits.FILE_TIMEOUT_S,
        metadata=about(
            "Seconds per file; its pages not sent by then are failed rows.",
            default_text=f"{limits.FILE_TIMEOUT_S:g} s",
        ),
    )
    follow_symlinks: bool = field(
        default=False,
        metadata=about("Follow links leading out of the folder.", default_text="`False`"),
    )

    @property
    def pages_text(self) -> str | None:
        """The page selection as DocAI's ``legalPageNumbers``, or None."""
        return format_pages(self.pages) if self.pages is not None else None


#: Every option by name, with what is said about it.
OPTIONS: MappingProxyType[str, Option] = MappingProxyType(
    {f.name: cast(Option, f.metadata["option"]) for f in fields(BatchOptions)}
)
#: Every option's default, by name.
DEFAULTS: MappingProxyType[str, Any] = MappingProxyType(
    {f.name: f.default for f in fields(BatchOptions)}
)


def _positive(name: str, value: object, *, integer: bool = False, optional: bool = False) -> None:
    if value is None and optional:
        return
    kinds: tuple[type, ...] = (int,) if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds) or not cast(float, value) > 0:
        what = "a whole number" if integer else "a number"
        raise ConfigurationError(f"{name} must be {what} above 0, not {value!r}")


def make_options(
    *,
    service: str = "docai",
    model: str | None = None,
    pages: PageSpec | None = None,
    workspace: str | None = None,
    asynchronous: bool = False,
    score: float | None = None,
    case: bool | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    rate_limit: float | None = None,
    retries: int = DEFAULT_RETRIES,
    retry_timeout: float | None = DEFAULT_RETRY_TIMEOUT,
    request_timeout: float | None = None,
    poll_interval: float = DEFAULT_POLL_INTERVAL,
    poll_timeout: float = DEFAULT_POLL_TIMEOUT,
    cache: bool | str | os.PathLike[str] = True,
    refresh: bool = False,
    out: str | os.PathLike[str] | None = None,
    max_file_bytes: int | None = DEFAULT_MAX_FILE_BYTES,
    include_hidden: bool = False,
    progress: bool | ProgressCallback = True,
    einvoice: str = "remote",
    dry_run: bool = False,
    file_timeout: float | None = limits.FILE_TIMEOUT_S,
    follow_symlinks: bool = False,
) -> BatchOptions:
    """Validate a run's settings; raise :class:`ConfigurationError` / :class:`PageRangeError`.

    >>> make_options(service="capsolver", model="common", score=0.9).score
    0.9
    >>> make_options(service="fax")
    Traceback (most recent call last):
    ...
    ocrframe.errors.ConfigurationError: service must be 'docai' or 'capsolver', not 'fax'
    """
    chosen = adapter(service)
    if model is not None and (not isinstance(model, str) or not model.strip()):
        raise ConfigurationError(f"model must be a non-empty string, not {model!r}")
    selected = tuple(parse_pages(pages)) if pages is not None else None
    if einvoice not in EINVOICE_CHOICES:
        raise ConfigurationError(f"einvoice must be 'remote' or 'local', not {einvoice!r}")
    given: dict[str, object] = {
        "workspace": workspace,
        "asynchronous": asynchronous or None,
        "score": score,
        "case": case,
        "einvoice": None if einvoice == "remote" else einvoice,
    }
    for name, value in given.items():
        owner = OPTIONS[name].service
        if value is not None and owner is not None and owner != chosen.name:
            raise ConfigurationError(
                f"{name} is a {ADAPTERS[owner].display_name} option; "
                f"{chosen.display_name} has no such thing"
            )
    if workspace is not None and (not isinstance(workspace, str) or not workspace.strip()):
        raise ConfigurationError(f"workspace must be a non-empty string, not {workspace!r}")
    if not isinstance(asynchronous, bool):
        raise ConfigurationError(f"asynchronous must be True or False, not {asynchronous!r}")
    if score is not None and (
        isinstance(score, bool) or not isinstance(score, int | float) or not 0.8 <= score <= 1.0
    ):
        raise ConfigurationError(f"score must be between 0.8 and 1 (CapSolver), not {score!r}")
    if case is not None and not isinstance(case, bool):
        raise ConfigurationError(f"case must be True, False or None, not {case!r}")
    _positive("concurrency", concurrency, integer=True)
    _positive("rate_limit", rate_limit, optional=True)
    _positive("retries", retries, integer=True)
    _positive("retry_timeout", retry_timeout, optional=True)
    _positive("request_timeout", request_timeout, optional=True)
    _positive("poll_interval", poll_interval)
    _positive("poll_timeout", poll_timeout)
    _positive("max_file_bytes", max_file_bytes, integer=True, optional=True)
    _positive("file_timeout", file_timeout, optional=True)
    for name, flag in (
        ("refresh", refresh),
        ("include_hidden", include_hidden),
        ("dry_run", dry_run),
        ("follow_symlinks", follow_symlinks),
    ):
        if not isinstance(flag, bool):
            raise ConfigurationError(f"{name} must be True or False, not {flag!r}")
    if not isinstance(cache, bool | str | os.PathLike):
        raise ConfigurationError(f"cache must be True, False or a path, not {cache!r}")
    out = _check_out(out)
    return BatchOptions(
        service=cast(Service, chosen.name),
        model=model,
        pages=selected,
        workspace=workspace,
        asynchronous=asynchronous,
        score=float(score) if score is not None else None,
        case=case,
        concurrency=concurrency,
        rate_limit=float(rate_limit) if rate_limit is not None else None,
        retries=retries,
        retry_timeout=float(retry_timeout) if retry_timeout is not None else None,
        request_timeout=float(request_timeout) if request_timeout is not None else None,
        poll_interval=float(poll_interval),
        poll_timeout=float(poll_timeout),
        cache=cache,
        refresh=refresh,
        out=out,
        max_file_bytes=max_file_bytes,
        include_hidden=include_hidden,
        progress=progress,
        einvoice=cast(EInvoiceReading, einvoice),
        dry_run=dry_run,
        file_timeout=float(file_timeout) if file_timeout is not None else None,
        follow_symlinks=follow_symlinks,
    )


def _check_out(out: str | os.PathLike[str] | None) -> str | None:
    if out is None:
        return None
    if not isinstance(out, str | os.PathLike):
        raise ConfigurationError(f"out must be a folder path, not {out!r}")
    out_dir = os.fspath(out)
    if os.path.exists(out_dir) and not os.path.isdir(out_dir):
        raise ConfigurationError(f"out must be a folder for the Parquet dataset: {out_dir}")
    return out_dir
