"""The batch engine (internal): files in, one :class:`~ocrframe.DocumentRecord` per unit out.

Import from here, not from the modules inside: this package's names are the stable internal
surface that the CLI, the widgets and ``ocrframe.dask`` build on. The modules, one concern each:

- ``options``: :class:`BatchOptions`, the one declaration of every option, and
  :func:`make_options`, its validation;
- ``decisions``: the pure choices (plan, retry, status, cache-key options);
- ``ledger``: the records of a run, its :class:`~ocrframe.RunSummary`, streaming to Parquet;
- ``calls``: the request gate (concurrency, rate limit, retries, the stop switch);
- ``run``: the thin async loop over units (cache, submission, collection, records);
- ``api``: :func:`extract_async` and :func:`extract`.

Everything about a service comes from its adapter (:mod:`ocrframe.services`).
"""

from ocrframe._batch.api import OPTION_NAMES, extract, extract_async
from ocrframe._batch.decisions import (
    MAX_RETRY_AFTER,
    first_wait,
    host_of,
    key_options,
    plan_unit,
    record_options,
    retry_wait,
    unit_status,
)
from ocrframe._batch.ledger import DatasetExtraction, Ledger
from ocrframe._batch.options import (
    DEFAULT_CONCURRENCY,
    DEFAULT_MAX_FILE_BYTES,
    DEFAULT_POLL_INTERVAL,
    DEFAULT_POLL_TIMEOUT,
    DEFAULT_RETRIES,
    DEFAULT_RETRY_TIMEOUT,
    DEFAULTS,
    EINVOICE_CHOICES,
    OPTIONS,
    BatchOptions,
    Option,
    ProgressCallback,
    make_options,
)
from ocrframe._batch.run import Outcome, Run
from ocrframe._records import RunSummary

__all__ = [
    "DEFAULTS",
    "DEFAULT_CONCURRENCY",
    "DEFAULT_MAX_FILE_BYTES",
    "DEFAULT_POLL_INTERVAL",
    "DEFAULT_POLL_TIMEOUT",
    "DEFAULT_RETRIES",
    "DEFAULT_RETRY_TIMEOUT",
    "EINVOICE_CHOICES",
    "MAX_RETRY_AFTER",
    "OPTIONS",
    "OPTION_NAMES",
    "BatchOptions",
    "DatasetExtraction",
    "Ledger",
    "Option",
    "Outcome",
    "ProgressCallback",
    "Run",
    "RunSummary",
    "extract",
    "extract_async",
    "first_wait",
    "host_of",
    "key_options",
    "make_options",
    "plan_unit",
    "record_options",
    "retry_wait",
    "unit_status",
]
