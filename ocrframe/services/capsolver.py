"""CapSolver wire format (placeholder: being written for the foundation issue)."""


class AsyncCapSolverClient:
    """Placeholder."""


class CapSolverClient:
    """Placeholder."""
