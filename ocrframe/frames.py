"""Responses -> tables (placeholder: being written for the tables issue)."""


class Extraction:
    """Placeholder."""
