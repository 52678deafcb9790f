"""The batch engine (placeholder: being written for the batch issue)."""

from typing import Any


def extract(*args: Any, **kwargs: Any) -> Any:
    """Placeholder."""
    raise NotImplementedError


async def extract_async(*args: Any, **kwargs: Any) -> Any:
    """Placeholder."""
    raise NotImplementedError
