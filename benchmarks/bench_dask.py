"""ocrframe.dask on LocalClusters of 1 and 2 worker processes (one thread each), side by side.

    python -m benchmarks.bench_dask scanned   # embedded engine, real scans: pages/s, 1 vs 2
    python -m benchmarks.bench_dask remote    # 100 ms stand-in: 2 workers vs one process, same C
    python -m benchmarks.bench_dask ledger    # the dataset's ledger check on 100,000 rows
    python -m benchmarks.bench_dask all

``scanned``: receipt scans from the real set (``shared/realdata/receipts``, the first ``--scans``
images in name order, both halves: speed is measured here, not accuracy), read by the embedded
engine inside each worker (``cache=False``, so every round reads every page). Both clusters stay
up; rounds alternate between them, after a warm-up run that loads the engine in every worker.

``remote``: ``--n`` tiny PNGs to CapSolver's createTask on the stand-in server (its own process,
``--latency-ms``), at the same global ``--concurrency``: ``ocrframe.extract`` in one process,
then ``ocrframe.dask.extract`` on a 2-worker cluster (and a 1-worker one); efficiency is the
latency bound N·L/C over the wall time. Rounds alternate; medians are reported.

``ledger``: a dataset of ``--rows`` documents rows in parts of ``--part-rows`` (as tasks of that
partition size write them): the time to read the ledger (the four key columns of every part, in
parallel) and to choose what supersedes what; beside it, the single-machine writer's own scan of
the same dataset when it opens (``ParquetDatasetWriter``).

Results go to BENCHMARKS.md ("Dask cluster").
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks._realdata import REALDATA
from benchmarks.bench_batch import API_KEY, start_standin, tiny_pngs

SCANS = REALDATA / "receipts"
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")


def _cluster(workers: int, env: dict[str, str] | None = None) -> tuple[Any, Any]:
    import distributed

    cluster = distributed.LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        env=env or {},
    )
    return cluster, distributed.Client(cluster, set_as_default=False)


def _close(cluster: Any, client: Any) -> None:
    client.close()
    cluster.close()


# --------------------------------------------------------------------------- scanned


def _ocr_cpu() -> float:
    """On a worker: CPU-seconds of its OCR threads (one onnxruntime engine each) so far."""
    import threading

    import psutil

    names = {t.native_id: t.name for t in threading.enumerate()}
    return sum(
        t.user_time + t.system_time
        for t in psutil.Process().threads()
        if names.get(t.id, "").startswith("ocrframe-ocr")
    )


async def _peak_rss_mb() -> float:
    """On a worker: its peak resident memory so far (MB)."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def _engines_ready(dask_worker: Any) -> tuple[int, int]:
    """On a worker: wait for the preload plugin's engines; (OCR workers, engines loaded)."""
    import asyncio

    from ocrframe.engine import ocr

    plugin = dask_worker.plugins[ocrframe_dask().EnginePreload.name]
    await asyncio.to_thread(plugin.ready.wait, 600)
    return ocr.workers(), ocr.engines_loaded()


def ocrframe_dask() -> Any:
    import ocrframe.dask

    return ocrframe.dask


def _cpu_of(pids: list[int]) -> dict[int, float]:
    import psutil

    out = {}
    for pid in pids:
        times = psutil.Process(pid).cpu_times()
        out[pid] = times.user + times.system
    return out


def _timed_run(
    client: Any, files: list[Path], out: Path, workers: int, partition_size: int
) -> dict[str, Any]:
    """One timed run with its CPU accounting: the bench process (client, scheduler, nannies),
    each worker process, and the workers' OCR threads."""
    od = ocrframe_dask()
    worker_pids = client.run(os.getpid)
    pids = [os.getpid(), *worker_pids.values()]
    ocr_before = client.run(_ocr_cpu)
    cpu_before = _cpu_of(pids)
    load = os.getloadavg()[0]
    started = time.time()
    ex = od.extract(
        [str(p) for p in files],
        client=client,
        out=out,
        model="invoice",
        cache=False,
        concurrency=2 * workers,  # a page waiting while one is read, per worker
        partition_size=partition_size,
        progress=False,
    )
    wall = time.time() - started
    cpu_after = _cpu_of(pids)
    ocr_after = client.run(_ocr_cpu)
    peak = client.run(_peak_rss_mb)
    assert ex.summary.ok == len(files), ex.summary
    cpu = {pid: cpu_after[pid] - cpu_before[pid] for pid in pids}
    workers_cpu = {addr: cpu[pid] for addr, pid in worker_pids.items()}
    ocr = {addr: ocr_after[addr] - ocr_before[addr] for addr in ocr_after}
    return {
        "wall_s": round(wall, 3),
        "load_1min": round(load, 2),
        "client_scheduler_cpu_s": round(cpu[os.getpid()], 2),
        "worker_cpu_s": [round(v, 2) for v in workers_cpu.values()],
        "worker_ocr_cpu_s": [round(v, 2) for v in ocr.values()],
        "worker_peak_rss_mb": [round(v) for v in peak.values()],
        "tasks": [
            {
                "index": t.index,
                "worker": sorted(worker_pids).index(t.worker) if t.worker in worker_pids else -1,
                "files": t.files,
                "start_s": round(t.started - started, 2),
                "end_s": round(t.ended - started, 2),
                "lease_wait_s": round(t.lease_wait_s, 3),
                "run_s": round(t.run_s, 2),
                "write_s": round(t.write_s, 3),
                "cpu_s": round(t.cpu_s, 2),
            }
            for t in getattr(ex.summary, "tasks", [])  # (none before 2026-12-02)
        ],
    }


def scanned(n_scans: int, rounds: int, partition_size: int, layout: str) -> dict[str, Any]:
    """Pages per second of the embedded engine on real scans, 1 and 2 worker processes.

    ``layout="one"``: one cluster on the machine at a time, started before each timed run and
    closed after it; every worker's engine loaded (the preload plugin, waited for) and one file
    per worker read before the clock starts. ``layout="both"`` (the definition before 2026-12-02):
    both clusters up for the whole benchmark, idle one beside the measured one, each warmed by one
    run of 2 files (which reaches one worker only), ``OCRFRAME_OCR_WORKERS=1`` in the workers.
    Both layouts time steady state: cluster start-up is outside the clock.
    """
    od = ocrframe_dask()
    files = sorted(p for p in SCANS.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)[:n_scans]
    if len(files) < n_scans:
        raise SystemExit(f"only {len(files)} scans in {SCANS}")
    runs: dict[int, list[dict[str, Any]]] = {1: [], 2: []}
    order = [(r, w) for r in range(rounds) for w in ((1, 2) if r % 2 == 0 else (2, 1))]
    with tempfile.TemporaryDirectory() as tmp:
        if layout == "both":
            # Each worker process stands for a machine of one core: one OCR engine each.
            clusters = {w: _cluster(w, {"OCRFRAME_OCR_WORKERS": "1"}) for w in (1, 2)}
            try:
                for w in (1, 2):  # warm-up: one run of 2 files
                    _timed_run(
                        clusters[w][1], files[:2], Path(tmp) / f"warm-{w}", w, partition_size
                    )
                for r, w in order:
                    run = _timed_run(
                        clusters[w][1], files, Path(tmp) / f"o-{w}-{r}", w, partition_size
                    )
                    runs[w].append(run)
                    print(json.dumps({"workers": w, **run}), flush=True)
            finally:
                for cluster, client in clusters.values():
                    _close(cluster, client)
        else:
            for r, w in order:
                cluster, client = _cluster(w)
                try:
                    client.register_plugin(od.EnginePreload(), name=od.EnginePreload.name)
                    ready = client.run(_engines_ready)
                    # One file per worker first: every worker has run the whole path once.
                    _timed_run(client, files[:w], Path(tmp) / f"warm-{w}-{r}", w, 1)
                    run = _timed_run(client, files, Path(tmp) / f"o-{w}-{r}", w, partition_size)
                    run["ocr_workers_and_engines"] = list(ready.values())
                    runs[w].append(run)
                    print(json.dumps({"workers": w, **run}), flush=True)
                finally:
                    _close(cluster, client)
    pages = len(files)  # one page per image
    walls = {w: [run["wall_s"] for run in runs[w]] for w in (1, 2)}
    one, two = statistics.median(walls[1]), statistics.median(walls[2])

    def per_page(w: int, key: str) -> float:
        return statistics.median(sum(run[key]) / pages for run in runs[w])

    return {
        "layout": layout,
        "scans": pages,
        "partition_size": partition_size,
        "walls_1_worker_s": walls[1],
        "walls_2_workers_s": walls[2],
        "pages_per_s_1_worker": pages / one,
        "pages_per_s_2_workers": pages / two,
        "ratio": one / two,
        "worker_cpu_s_per_page": {w: round(per_page(w, "worker_cpu_s"), 3) for w in (1, 2)},
        "ocr_cpu_s_per_page": {w: round(per_page(w, "worker_ocr_cpu_s"), 3) for w in (1, 2)},
        "client_scheduler_cpu_s_per_page": {
            w: round(statistics.median(r["client_scheduler_cpu_s"] for r in runs[w]) / pages, 3)
            for w in (1, 2)
        },
        "load_average": os.getloadavg(),
    }


# --------------------------------------------------------------------------- remote


def remote(
    n: int, latency_ms: float, concurrency: int, partition_size: int, rounds: int
) -> dict[str, Any]:
    """Efficiency of one process and of 1- and 2-worker clusters at the same global concurrency."""
    import ocrframe
    import ocrframe.dask

    server, url = start_standin(latency_ms)
    ideal = n * (latency_ms / 1000) / concurrency
    clusters = {workers: _cluster(workers) for workers in (1, 2)}
    walls: dict[str, list[float]] = {"one process": [], "1 worker": [], "2 workers": []}
    common: dict[str, Any] = {
        "service": "capsolver",
        "model": "common",
        "api_key": API_KEY,
        "base_url": url,
        "concurrency": concurrency,
        "cache": False,
        "progress": False,
    }
    try:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp) / "in"
            tiny_pngs(folder, n)
            runs = 0

            def one(kind: str) -> float:
                nonlocal runs
                runs += 1
                started = time.perf_counter()
                if kind == "one process":
                    ex = ocrframe.extract(folder, out=Path(tmp) / f"out-{runs}", **common)
                else:
                    ex = ocrframe.dask.extract(
                        folder,
                        client=clusters[1 if kind == "1 worker" else 2][1],
                        out=Path(tmp) / f"out-{runs}",
                        partition_size=partition_size,
                        **common,
                    )
                wall = time.perf_counter() - started
                assert ex.summary.ok == n, ex.summary
                return wall

            for kind in walls:  # warm-up: imports in every process, first connections
                one(kind)
            order = list(walls)
            for r in range(rounds):
                for kind in order if r % 2 == 0 else order[::-1]:
                    walls[kind].append(one(kind))
    finally:
        for cluster, client in clusters.values():
            _close(cluster, client)
        server.kill()
        server.wait()
    medians = {kind: statistics.median(w) for kind, w in walls.items()}
    return {
        "n": n,
        "latency_ms": latency_ms,
        "concurrency": concurrency,
        "partition_size": partition_size,
        "ideal_s": ideal,
        "walls_s": walls,
        "efficiency": {kind: ideal / wall for kind, wall in medians.items()},
        "two_workers_vs_one_process": medians["one process"] / medians["2 workers"],
        "load_average": os.getloadavg(),
    }


# --------------------------------------------------------------------------- ledger


def _fake_dataset(root: Path, rows: int, part_rows: int) -> None:
    """``rows`` documents rows (ok, one per file) in parts named as ocrframe.dask names them."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    import ocrframe._cluster_dataset
    import ocrframe.dask
    from ocrframe._frames import SCHEMAS, TABLES

    option = ocrframe._cluster_dataset.option_key("docai", "invoice", {"host": "embedded"})
    schema = SCHEMAS["documents"]
    for start in range(0, rows, part_rows):
        count = min(part_rows, rows - start)
        sources = [f"scan-{i:07d}.pdf" for i in range(start, start + count)]
        shas = [f"{i:064x}" for i in range(start, start + count)]
        columns = {name: pa.nulls(count, type=schema.field(name).type) for name in schema.names}
        columns |= {
            "source": pa.array(sources),
            "sha256": pa.array(shas),
            "status": pa.array(["ok"] * count),
            "service": pa.array(["docai"] * count),
            "model": pa.array(["invoice"] * count),
        }
        table = pa.table(columns).cast(schema)
        name = ocrframe._cluster_dataset.part_name(option, zip(sources, shas, strict=True))
        for t in TABLES:
            (root / t).mkdir(parents=True, exist_ok=True)
            pq.write_table(table if t == "documents" else SCHEMAS[t].empty_table(), root / t / name)


def ledger(rows: int, part_rows: int, repeats: int) -> dict[str, Any]:
    """The cost of the cluster-wide ledger check on a dataset of ``rows`` documents rows."""
    import ocrframe._cluster_dataset
    import ocrframe.dask
    from ocrframe._frames import ParquetDatasetWriter

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "out"
        _fake_dataset(root, rows, part_rows)
        reads, choices, writer_scans = [], [], []
        for _ in range(repeats):
            started = time.perf_counter()
            held = ocrframe._cluster_dataset.read_ledger(str(root))
            ok_here: dict[str, set[str]] = {}
            for (source, sha, _page), status, _part in held:
                if status == "ok":
                    ok_here.setdefault(source, set()).add(sha)
            reads.append(time.perf_counter() - started)
            assert len(held) == rows
            started = time.perf_counter()
            new = [(key, "ok", "part-new") for key, _, _ in held[: rows // 10]]
            gone = ocrframe._cluster_dataset.supersede(held, new)
            choices.append(time.perf_counter() - started)
            assert sum(len(v) for v in gone.values()) == rows // 10
            started = time.perf_counter()
            writer = ParquetDatasetWriter(root)
            writer_scans.append(time.perf_counter() - started)
            writer._closed = True  # nothing to write: the scan on opening is what is timed
    return {
        "rows": rows,
        "part_rows": part_rows,
        "parts": -(-rows // part_rows),
        "read_ledger_s": reads,
        "median_read_ledger_s": statistics.median(reads),
        "supersede_10_percent_s": statistics.median(choices),
        "single_machine_writer_scan_s": statistics.median(writer_scans),
        "load_average": os.getloadavg(),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("which", choices=["scanned", "remote", "ledger", "all"])
    parser.add_argument("--scans", type=int, default=12)
    parser.add_argument("--scan-partition", type=int, default=2, help="Scans per task.")
    parser.add_argument(
        "--layout",
        choices=["one", "both"],
        default="one",
        help="one: one cluster at a time, every engine warm; both: the earlier definition.",
    )
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--latency-ms", type=float, default=100.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--partition-size", type=int, default=250)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--part-rows", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    results: dict[str, Any] = {"load_average_start": os.getloadavg()}
    if args.which in ("ledger", "all"):
        results["ledger"] = ledger(args.rows, args.part_rows, args.rounds)
        print(json.dumps(results["ledger"], indent=2), flush=True)
    if args.which in ("remote", "all"):
        results["remote"] = remote(
            args.n, args.latency_ms, args.concurrency, args.partition_size, args.rounds
        )
        print(json.dumps(results["remote"], indent=2), flush=True)
    if args.which in ("scanned", "all"):
        results["scanned"] = scanned(args.scans, args.rounds, args.scan_partition, args.layout)
        print(json.dumps(results["scanned"], indent=2), flush=True)


if __name__ == "__main__":
    main()
