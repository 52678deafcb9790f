"""The batch engine (internal): files in, one :class:`~ocrframe.DocumentRecord` per unit out.

Import from here, not from the modules inside: this package's names are the stable internal
surface that the CLI, the widgets and ``ocrframe.dask`` build on, while the modules behind it
are split by concern (see README, "How it is built").
"""

from ocrframe._batch.run import (
    DEFAULT_CONCURRENCY,
    DEFAULT_MAX_FILE_BYTES,
    DEFAULT_POLL_INTERVAL,
    DEFAULT_POLL_TIMEOUT,
    DEFAULT_RETRIES,
    DEFAULT_RETRY_TIMEOUT,
    MAX_RETRY_AFTER,
    BatchOptions,
    DatasetExtraction,
    Outcome,
    RunSummary,
    extract,
    extract_async,
    first_wait,
    host_of,
    key_options,
    make_options,
    plan_unit,
    retry_wait,
    unit_status,
)

__all__ = [
    "DEFAULT_CONCURRENCY",
    "DEFAULT_MAX_FILE_BYTES",
    "DEFAULT_POLL_INTERVAL",
    "DEFAULT_POLL_TIMEOUT",
    "DEFAULT_RETRIES",
    "DEFAULT_RETRY_TIMEOUT",
    "MAX_RETRY_AFTER",
    "BatchOptions",
    "DatasetExtraction",
    "Outcome",
    "RunSummary",
    "extract",
    "extract_async",
    "first_wait",
    "host_of",
    "key_options",
    "make_options",
    "plan_unit",
    "retry_wait",
    "unit_status",
]
