"""The ``ocrframe`` command: a thin shell over the library."""

from __future__ import annotations

import click


@click.group()
@click.version_option(package_name="ocrframe")
def main() -> None:
    """ocrframe: documents in a folder -> tidy DataFrames and Parquet."""
