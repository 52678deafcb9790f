"""ocrframe: documents in a folder -> tidy pandas DataFrames and Parquet.

The public API, and nothing else, lives here (see ``__all__``).
"""

from ocrframe._batch import extract, extract_async
from ocrframe._frames import Extraction, read_parquet
from ocrframe._inputs import format_pages, parse_pages
from ocrframe._records import DocumentRecord, RunSummary
from ocrframe.errors import (
    AuthenticationError,
    ConfigurationError,
    EngineUnavailableError,
    FileRejectedError,
    InputFileError,
    InsufficientBalanceError,
    OcrframeError,
    PageRangeError,
    ResponseFormatError,
    RetryableServiceError,
    RunAbortedError,
    ServiceError,
    TransportError,
)
from ocrframe.services.capsolver import AsyncCapSolverClient, CapSolverClient
from ocrframe.services.docai import AsyncDocAIClient, DocAIClient

__version__ = "0.1.0"

__all__ = [
    "AsyncCapSolverClient",
    "AsyncDocAIClient",
    "AuthenticationError",
    "CapSolverClient",
    "ConfigurationError",
    "DocAIClient",
    "DocumentRecord",
    "EngineUnavailableError",
    "Extraction",
    "FileRejectedError",
    "InputFileError",
    "InsufficientBalanceError",
    "OcrframeError",
    "PageRangeError",
    "ResponseFormatError",
    "RetryableServiceError",
    "RunAbortedError",
    "RunSummary",
    "ServiceError",
    "TransportError",
    "__version__",
    "extract",
    "extract_async",
    "format_pages",
    "parse_pages",
    "read_parquet",
]


def __getattr__(name: str) -> object:
    # `ocrframe.widgets.panel()` / `ocrframe.dask.extract()` after a plain `import ocrframe` (the
    # documented spelling); they import ipywidgets / Dask, so each is loaded on first use.
    if name in ("widgets", "dask"):
        import importlib

        return importlib.import_module(f"ocrframe.{name}")
    raise AttributeError(f"module 'ocrframe' has no attribute {name!r}")
