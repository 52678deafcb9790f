"""Answers to tables (internal): the table schemas, the flattening of each service's readings,
:class:`Extraction` and its views, and the Parquet dataset.

Import from here, not from the modules inside. Pure: dicts in, tables out; no HTTP.
"""

from ocrframe._frames.dataset import ParquetDatasetWriter, read_parquet
from ocrframe._frames.extraction import SCHEMAS, TABLES, Extraction, empty_frame, record_status

__all__ = [
    "SCHEMAS",
    "TABLES",
    "Extraction",
    "ParquetDatasetWriter",
    "empty_frame",
    "read_parquet",
    "record_status",
]
