"""ocrframe.dask on a real LocalCluster (2 worker processes) against `ocrframe serve`."""

from __future__ import annotations

import bisect
import collections
import logging
import os
import platform
import signal
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from click.testing import CliRunner

import ocrframe
import ocrframe.dask as od
from ocrframe.cli import main

IDENTIFY = "/api/identify/file/v2/identifyByEncodeString"
# Every fault the server knows but "timeout": a request the client gave up on keeps running on the
# server, which would count it as in flight while the client's slot is already free again.
FAULTS = "429,500,502,503,reset,invalid_json,service_error,status_0,status_2"
OPTIONS: dict[str, Any] = {
    "service": "docai",
    "model": "text",
    "retries": 10,
    "request_timeout": 10.0,
    "poll_interval": 0.05,
    "concurrency": 6,
}


@pytest.fixture(autouse=True)
def _quiet_retries() -> None:
    logging.getLogger("stamina").setLevel(logging.ERROR)


def _documents_key(ex: ocrframe.Extraction) -> pd.DataFrame:
    cols = ["source", "sha256", "bytes", "service", "model", "pages", "status", "error_code"]
    return ex.documents[cols].sort_values("source").reset_index(drop=True)


def _fields_key(ex: ocrframe.Extraction) -> pd.DataFrame:
    cols = ["source", "page", "key", "value"]
    return ex.fields[cols].sort_values(cols).reset_index(drop=True)


async def test_500_files_on_two_workers_each_once_ok_as_on_one_machine_and_again_sends_nothing(
    tmp_path: Path,
    cluster: Any,
    engine_server: Callable[..., Any],
    pdfs: Callable[[Path, int], list[Path]],
    no_waits: object,
) -> None:
    files = pdfs(tmp_path / "in", 500)
    server = engine_server(fault_rate=0.2, seed=5, fault_kinds=FAULTS)
    out = tmp_path / "out"
    ex = od.extract(
        tmp_path / "in",
        client=cluster,
        out=out,
        base_url=server.url,
        cache=str(tmp_path / "cache.sqlite3"),
        partition_size=40,
        progress=False,
        **OPTIONS,
    )
    docs = ex.documents
    assert sorted(docs["source"]) == sorted(p.name for p in files)  # each exactly once
    assert docs["status"].eq("ok").all(), docs["error_code"].value_counts()
    summary = ex.summary
    assert isinstance(summary, od.ClusterSummary)
    assert summary.ok == 500 and summary.partitions == 13 and summary.skipped == 0
    # Each task says where and how long it ran.
    workers = set(cluster.scheduler_info()["workers"])
    assert [t.index for t in summary.tasks] == list(range(13))
    assert sum(t.files for t in summary.tasks) == 500
    assert {t.worker for t in summary.tasks} <= workers
    assert all(t.ended >= t.started and t.run_s > 0 and t.write_s > 0 for t in summary.tasks)
    log = server.request_log()
    faults = collections.Counter(e["fault"] for e in log if e["fault"])
    assert {"429", "500", "reset", "status_0", "status_2"} <= set(faults), faults
    # The limit holds for the whole cluster, not per worker.
    assert max(e["in_flight"] for e in log) <= OPTIONS["concurrency"]
    # Every request the workers made is counted in the summary.
    assert ex.summary.requests == sum(1 for e in log if e["path"] == IDENTIFY)

    # The same run on one machine gives the same tables, order aside.
    single = await ocrframe.extract_async(
        tmp_path / "in",
        base_url=server.url,
        cache=tmp_path / "single.sqlite3",
        progress=False,
        **OPTIONS,
    )
    pd.testing.assert_frame_equal(_documents_key(ex), _documents_key(single))
    pd.testing.assert_frame_equal(_fields_key(ex), _fields_key(single))

    # The dataset is the ledger: a second call sends nothing and writes nothing.
    parts = sorted(os.listdir(out / "documents"))
    server.clear_log()
    again = od.extract(
        tmp_path / "in",
        client=cluster,
        out=out,
        base_url=server.url,
        cache=False,  # not even a local cache: the dataset alone says what is done
        partition_size=40,
        progress=False,
        **OPTIONS,
    )
    assert server.request_log() == []
    summary = again.summary
    assert isinstance(summary, od.ClusterSummary)
    assert summary.skipped == 500 and summary.requests == 0
    assert sorted(os.listdir(out / "documents")) == parts
    assert _documents_key(again).equals(_documents_key(ex))

    # The tables as Dask DataFrames.
    tables = od.tables(out)
    sources = cluster.compute(tables.documents["source"]).result()
    assert sorted(sources) == sorted(p.name for p in files)
    assert len(cluster.compute(tables.fields).result()) == len(ex.fields) == 500


def test_a_worker_killed_mid_run_each_file_once_and_nothing_finished_sent_again(
    tmp_path: Path,
    cluster: Any,
    engine_server: Callable[..., Any],
    pdfs: Callable[[Path, int], list[Path]],
) -> None:
    files = pdfs(tmp_path / "in", 300)
    # A little latency keeps the run going long enough to kill a worker in the middle of it.
    server = engine_server(fault_rate=0.2, seed=9, fault_kinds=FAULTS, latency_ms=20)
    cache = tmp_path / "cache.sqlite3"  # one machine: the workers share this local cache
    pids_before = cluster.run(os.getpid)
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["ex"] = od.extract(
                tmp_path / "in",
                client=cluster,
                out=tmp_path / "out",
                base_url=server.url,
                cache=str(cache),
                partition_size=20,
                progress=False,
                **OPTIONS,
            )
        except BaseException as exc:  # reported by the assertion below
            outcome["error"] = exc

    runner = threading.Thread(target=run)
    runner.start()
    # The event: a third of the files answered (the server's request log says so).
    while len(server.request_log()) < 100 and runner.is_alive():
        time.sleep(0.05)
    busy = [addr for addr, keys in cluster.processing().items() if keys]
    assert busy, "no worker was running a partition"
    victim = pids_before[busy[0]]
    killed_at = time.time()
    os.kill(victim, signal.SIGKILL)
    runner.join(timeout=300)
    assert not runner.is_alive()
    assert "error" not in outcome, outcome.get("error")
    ex = outcome["ex"]
    assert victim not in cluster.run(os.getpid).values()  # it was really killed (and replaced)

    docs = ex.documents
    assert sorted(docs["source"]) == sorted(p.name for p in files)  # each exactly once
    assert docs["status"].eq("ok").all(), docs["error_code"].value_counts()
    # No finished file sent again: once its answer was stored, no request for it followed.
    with sqlite3.connect(cache) as db:
        rows = db.execute("SELECT sha256, min(stored_at) FROM answers GROUP BY sha256")
        stored = dict(rows.fetchall())
    log = [e for e in server.request_log() if e["path"] == IDENTIFY]
    assert set(stored) == set(docs["sha256"])
    late = [e for e in log if e["time"] > stored[e["sha256"]]]
    assert late == []
    # Some files were finished before the kill: the re-run of its partition skipped them.
    assert any(t < killed_at for t in stored.values())


def test_the_cli_runs_on_the_cluster_it_is_given_and_says_what_it_skipped(
    tmp_path: Path,
    cluster: Any,
    engine_server: Callable[..., Any],
    pdfs: Callable[[Path, int], list[Path]],
) -> None:
    pdfs(tmp_path / "in", 30)
    (tmp_path / "in" / "broken.pdf").write_bytes(b"%PDF-1.4 nothing else")
    server = engine_server()
    args = [
        "extract",
        str(tmp_path / "in"),
        "--model",
        "text",
        "--base-url",
        server.url,
        "--out",
        str(tmp_path / "out"),
        "--cache",
        str(tmp_path / "cache.sqlite3"),
        "--dask",
        cluster.scheduler.address,
        "--partition-size",
        "8",
        "--no-progress",
    ]
    first = CliRunner().invoke(main, args)
    assert first.exit_code == 1, first.output  # the broken file failed
    assert "31 documents: 30 ok, 1 failed, 0 pending (0 from the cache" in first.output
    assert "failed: broken.pdf: corrupt:" in first.output
    again = CliRunner().invoke(main, args)
    # The failed file is tried again; the 30 done are not even read by the engine.
    assert "1 documents: 0 ok, 1 failed" in again.output, again.output
    assert "30 files skipped: the dataset holds them as ok already" in again.output
    docs = ocrframe.read_parquet(tmp_path / "out").documents
    expected = [f"doc-{i:04d}.pdf" for i in range(30)] + ["broken.pdf"]
    assert sorted(docs["source"]) == sorted(expected)


def test_the_cli_refuses_a_bad_cluster_address(tmp_path: Path) -> None:
    (tmp_path / "a.pdf").write_bytes(b"%PDF-1.4")
    result = CliRunner().invoke(
        main, ["extract", str(tmp_path), "--out", str(tmp_path / "o"), "--dask", "local:zero"]
    )
    assert result.exit_code == 2
    assert "local:N needs a number of worker processes" in result.output
    alone = CliRunner().invoke(
        main, ["extract", str(tmp_path), "--out", str(tmp_path / "o"), "--partition-size", "5"]
    )
    assert alone.exit_code == 2 and "--partition-size goes with --dask" in alone.output


def test_the_rate_limit_holds_for_the_whole_cluster(
    tmp_path: Path,
    cluster: Any,
    engine_server: Callable[..., Any],
    pdfs: Callable[[Path, int], list[Path]],
) -> None:
    pdfs(tmp_path / "in", 60)
    server = engine_server()
    rate, concurrency = 20.0, 4
    ex = od.extract(
        tmp_path / "in",
        client=cluster,
        out=tmp_path / "out",
        model="text",
        base_url=server.url,
        cache=False,
        rate_limit=rate,
        concurrency=concurrency,
        partition_size=10,
        progress=False,
    )
    assert ex.summary.ok == 60
    times = sorted(e["time"] for e in server.request_log() if e["path"] == IDENTIFY)
    assert len(times) == 60
    # In any one second: the rate, plus at most one request per lease (a task starting sends its
    # first request at once). Limits per worker instead of per cluster would allow twice the rate.
    busiest = max(bisect.bisect_left(times, t + 1.0) - i for i, t in enumerate(times))
    assert busiest <= rate + concurrency, busiest


def test_on_the_embedded_engine_each_worker_loads_its_engine_once_as_it_starts(
    tmp_path: Path, cluster: Any, pdfs: Callable[[Path, int], list[Path]]
) -> None:
    # Last in this module: from here on the cluster's workers hold an engine each.
    pdfs(tmp_path / "in", 6)

    async def engines(dask_worker: Any) -> tuple[int, int]:
        import asyncio

        from ocrframe.engine import ocr

        # Waits on the plugin's event, off the worker's event loop.
        plugin = dask_worker.plugins[od.EnginePreload.name]
        assert await asyncio.to_thread(plugin.ready.wait, 300)
        return ocr.workers(), ocr.engines_loaded()

    def allocator(dask_worker: Any) -> tuple[str | None, bool, str]:
        import platform

        plugin = dask_worker.plugins[od.EnginePreload.name]
        trim = os.environ.get("MALLOC_TRIM_THRESHOLD_")
        return trim, plugin.tuned_allocator, platform.libc_ver()[0]

    def run(out: str) -> ocrframe.Extraction:
        # No key, no base URL: the embedded engine, in each worker (these PDFs need no OCR).
        return od.extract(
            tmp_path / "in",
            client=cluster,
            out=tmp_path / out,
            model="text",
            cache=False,
            partition_size=2,
            progress=False,
        )

    summary = run("first").summary
    assert isinstance(summary, od.ClusterSummary) and summary.ok == 6
    # On the embedded engine the last partitions shrink so that both workers finish together.
    assert [t.files for t in summary.tasks] == [2, 1, 1, 1, 1]
    # One engine per worker (each has one thread), loaded by the plugin, not by a page.
    assert set(cluster.run(engines).values()) == {(1, 1)}
    assert run("again").summary.ok == 6
    assert set(cluster.run(engines).values()) == {(1, 1)}  # not loaded again
    # Dask's nanny fixed malloc's thresholds in the workers; on glibc the plugin undid that.
    seen = list(cluster.run(allocator).values())
    for trim, tuned, libc in seen:
        assert tuned == (trim is not None and libc == "glibc"), (trim, tuned, libc)
    if platform.libc_ver()[0] == "glibc":  # Dask's nanny sets MALLOC_TRIM_THRESHOLD_ by default
        assert all(tuned for _, tuned, _ in seen), seen
