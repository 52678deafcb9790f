"""Parquet dataset (placeholder: being written for the tables issue)."""

from typing import Any


def read_parquet(path: Any) -> Any:
    """Placeholder."""
    raise NotImplementedError
