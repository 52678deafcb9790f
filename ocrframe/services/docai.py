"""DocAI wire format (placeholder: being written for the foundation issue)."""


class AsyncDocAIClient:
    """Placeholder."""


class DocAIClient:
    """Placeholder."""
