"""Answers to tables (internal): the table schemas, the flattening of readings, :class:`Extraction`
and its views, and the Parquet dataset. Import from here, not from the modules inside.

Dependencies run one way: ``schemas`` <- ``flatten`` (readings -> Arrow tables), ``schemas`` <-
``dataset`` (Parquet parts) <- ``extraction`` (the DataFrames, views and the round trip). Pure:
dicts in, tables out; no HTTP, and no wire format (readings come from :mod:`ocrframe.services`).
"""

from ocrframe._frames.dataset import ParquetDatasetWriter
from ocrframe._frames.extraction import Extraction, read_parquet
from ocrframe._frames.flatten import build_tables, reading_of, record_status
from ocrframe._frames.schemas import SCHEMAS, TABLES, empty_frame

__all__ = [
    "SCHEMAS",
    "TABLES",
    "Extraction",
    "ParquetDatasetWriter",
    "build_tables",
    "empty_frame",
    "read_parquet",
    "reading_of",
    "record_status",
]
