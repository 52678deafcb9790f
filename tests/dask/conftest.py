"""A real Dask cluster for the tests: a LocalCluster of two worker processes, one per module."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cloudpickle
import dask
import distributed
import pytest
from distributed.diagnostics.plugin import WorkerPlugin

from tests.makers import tiny_pdf

# A lease whose worker died is taken back after this long (the default is 30 s); the workers
# refresh theirs every fifth of it. Short, so that the killed-worker test does not wait long;
# not too short: a worker starved of CPU for that long (a loaded machine) would lose its leases.
LEASE_TIMEOUT = "5s"


class NoWaits(WorkerPlugin):
    """Retries without waiting on every worker (stamina's testing mode), restarted ones too."""

    def setup(self, worker: Any) -> None:
        import stamina

        stamina.set_testing(True, attempts=1000, cap=True)


@pytest.fixture(scope="module")
def cluster() -> Iterator[distributed.Client]:
    """A client of a LocalCluster: 2 worker processes, 1 thread each, no dashboard."""
    settings = {
        "distributed.scheduler.locks.lease-timeout": LEASE_TIMEOUT,
        "distributed.scheduler.locks.lease-validation-interval": "200ms",
        # The killed worker's nanny restarts it; its task runs again elsewhere.
        "distributed.scheduler.allowed-failures": 5,
    }
    with (
        dask.config.set(settings),
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            # Any free port: another cluster on this machine may hold 8787.
            dashboard_address=":0",
        ) as local,
        # Not the default client: extract must use the one it is given.
        distributed.Client(local, set_as_default=False) as client,
    ):
        # Workers import ocrframe but not the tests: the plugin travels by value.
        cloudpickle.register_pickle_by_value(sys.modules[__name__])
        try:
            client.register_plugin(NoWaits(), name="ocrframe-no-waits")
        finally:
            cloudpickle.unregister_pickle_by_value(sys.modules[__name__])
        yield client


def make_pdfs(folder: Path, n: int) -> list[Path]:
    """n distinct one-page PDFs ``doc-0000.pdf`` ... in ``folder`` (DocAI's `text` reads them)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        path = folder / f"doc-{i:04d}.pdf"
        path.write_bytes(tiny_pdf(f"Invoice {i:04d}"))
        paths.append(path)
    return paths


@pytest.fixture
def no_waits() -> Iterator[None]:
    """Retries without waiting in this process too (a single-machine run beside the cluster's)."""
    import stamina

    with stamina.set_testing(True, attempts=1000, cap=True):
        yield


@pytest.fixture
def pdfs() -> Any:
    """``pdfs(folder, n)``: see :func:`make_pdfs`."""
    return make_pdfs
