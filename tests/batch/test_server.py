"""The batch engine against a real server: `ocrframe serve` on loopback, faults and all."""

from __future__ import annotations

import collections
import logging
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import ocrframe
from ocrframe._cache import ResponseCache

IDENTIFY = "/api/identify/file/v2/identifyByEncodeString"
RESULT = "/api/identify/file/v2/identifyResult"
CREATE_TASK = "/createTask"
RETRIES = 10


@pytest.fixture(autouse=True)
def _quiet_retries() -> None:
    # stamina logs each retry at WARNING; hundreds of them say nothing here.
    logging.getLogger("stamina").setLevel(logging.ERROR)


def _per_sha(log: list[dict[str, Any]], path: str) -> collections.Counter[str]:
    return collections.Counter(e["sha256"] for e in log if e["path"] == path and e["sha256"])


async def test_500_files_with_20_percent_faults_each_end_once_and_recover(
    tmp_path: Path,
    engine_server: Callable[..., Any],
    make_pdfs: Callable[[Path, int], list[Path]],
    no_waits: object,
) -> None:
    files = make_pdfs(tmp_path / "in", 520)
    server = engine_server(fault_rate=0.2, seed=11, fault_timeout_s=3)
    ex = await ocrframe.extract_async(
        tmp_path / "in",
        service="docai",
        model="text",
        base_url=server.url,
        request_timeout=1.0,
        retries=RETRIES,
        concurrency=16,
        poll_interval=0.05,
        cache=tmp_path / "cache.sqlite3",
        progress=False,
    )
    docs = ex.documents
    # Every file exactly once, and every transient fault recovered.
    assert sorted(docs["source"]) == sorted(p.name for p in files)
    assert docs["status"].tolist() == ["ok"] * len(files), docs["error_code"].value_counts()
    assert docs["error_code"].isna().all()
    assert len(ex.fields) == len(files)  # the `text` model: one line per tiny page

    log = server.request_log()
    faults = collections.Counter(e["fault"] for e in log if e["fault"])
    # Every kind of fault the server knows for these endpoints happened, so each was recovered.
    assert set(faults) >= {
        "429",
        "500",
        "502",
        "503",
        "reset",
        "timeout",
        "invalid_json",
        "service_error",
        "status_0",
        "status_2",
    }, faults
    assert sum(faults.values()) >= 0.15 * len(log)
    sent = _per_sha(log, IDENTIFY)
    assert set(sent) == set(docs["sha256"])
    # Nobody is sent more often than the budget allows; the ledger counts what the server saw.
    assert max(sent.values()) <= RETRIES
    attempts = dict(zip(docs["sha256"], docs["attempts"], strict=True))
    assert all(attempts[sha] == n for sha, n in sent.items())
    assert any(n > 1 for n in sent.values())
    assert any(e["path"] == RESULT for e in log)  # recognizeStatus 2 was collected by polling

    # Running again sends nothing: every answer is in the cache.
    server.clear_log()
    again = await ocrframe.extract_async(
        tmp_path / "in",
        service="docai",
        model="text",
        base_url=server.url,
        cache=tmp_path / "cache.sqlite3",
        progress=False,
    )
    assert server.request_log() == []
    assert again.documents["cached"].all()
    assert sorted(again.fields["value"]) == sorted(ex.fields["value"])


async def test_capsolver_images_with_faults(
    tmp_path: Path, engine_server: Callable[..., Any], no_waits: object, make: Any
) -> None:
    tiny_png = make.png

    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(60):
        (folder / f"img {i:03d}.png").write_bytes(tiny_png(f"K{i:03d}x"))
    # The client's deadline sits well above a loaded machine's read of a tiny image and well
    # below the server's injected stall. The engine no longer reads what a client gave up on
    # (2.5 s no longer snowballs: BENCHMARKS.md "Abandoned work"), but 2.5 s still lost a few
    # files to read-time alone under load there, so the deadline stays 5 s.
    server = engine_server(fault_rate=0.2, seed=5, fault_timeout_s=10)
    # The server's OCR model loads on its first image: load it before the clock matters.
    warm = tmp_path / "warm.png"
    warm.write_bytes(tiny_png("warm"))
    await ocrframe.extract_async(
        warm,
        service="capsolver",
        base_url=server.url,
        retries=RETRIES,
        cache=False,
        progress=False,
    )
    server.clear_log()
    ex = await ocrframe.extract_async(
        folder,
        service="capsolver",
        model="common",
        base_url=server.url,
        request_timeout=5,
        retries=RETRIES,
        concurrency=4,
        cache=False,
        progress=False,
    )
    docs = ex.documents
    assert len(docs) == 60 and docs["source"].is_unique
    assert (docs["status"] == "ok").all(), docs["error_code"].value_counts()
    assert len(ex.texts) == 60
    log = server.request_log()
    sent = _per_sha(log, CREATE_TASK)
    assert set(sent) == set(docs["sha256"])
    assert max(sent.values()) <= RETRIES
    assert dict(zip(docs["sha256"], docs["attempts"], strict=True)) == dict(sent)
    assert len({e["fault"] for e in log if e["fault"]}) >= 4


_KILL_SCRIPT = textwrap.dedent(
    """
    import pathlib
    import sys
    import threading
    import ocrframe

    folder, url, cache, marker = sys.argv[1:5]

    def progress(done, total):
        # 40 files done: say so, then hold the run's loop until the test kills the process.
        if done >= 40:
            pathlib.Path(marker).touch()
            threading.Event().wait()

    ocrframe.extract(folder, service="docai", model="text", base_url=url, cache=cache,
                     concurrency=2, progress=progress)
    """
)


def test_sigkill_halfway_loses_nothing_finished_and_never_pays_twice(
    tmp_path: Path,
    engine_server: Callable[..., Any],
    make_pdfs: Callable[[Path, int], list[Path]],
) -> None:
    files = make_pdfs(tmp_path / "in", 120)
    # The run holds itself once 40 files are done (the marker says so): killed there, midway,
    # whatever the machine's speed.
    server = engine_server(latency_ms=40)
    cache = tmp_path / "cache.sqlite3"
    marker = tmp_path / "forty-done"
    script = tmp_path / "run.py"
    script.write_text(_KILL_SCRIPT)
    process = subprocess.Popen(
        [sys.executable, str(script), str(tmp_path / "in"), server.url, str(cache), str(marker)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    deadline = time.monotonic() + 300  # a safety net, not a measurement
    while not marker.exists() and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.02)
    assert marker.exists(), "the run never got 40 files done"
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL

    # What the killed run finished is in the cache, every answer readable.
    with ResponseCache(cache) as store, sqlite3.connect(cache) as conn:
        done = {row[0] for row in conn.execute("SELECT sha256 FROM answers")}
        keys = [row[0] for row in conn.execute("SELECT key FROM answers")]
        assert all(store.get(k) is not None for k in keys)
    assert 40 <= len(done) < len(files)

    first_log = server.request_log()
    server.clear_log()
    ex = ocrframe.extract(
        tmp_path / "in",
        service="docai",
        model="text",
        base_url=server.url,
        cache=cache,
        concurrency=8,
        progress=False,
    )
    docs = ex.documents
    assert len(docs) == len(files) and (docs["status"] == "ok").all()
    second = _per_sha(server.request_log(), IDENTIFY)
    # No file finished before the kill was sent again; everything else was sent once.
    assert not set(second) & done
    assert set(second) | done == set(docs["sha256"])
    assert max(second.values()) == 1
    assert set(docs.loc[docs["cached"], "sha256"]) == done
    assert len(_per_sha(first_log, IDENTIFY)) >= len(done)


def test_cli_subprocess_against_served_engine(
    tmp_path: Path, engine_server: Callable[..., Any], make_pdfs: Callable[[Path, int], list[Path]]
) -> None:
    make_pdfs(tmp_path / "in", 6)
    (tmp_path / "in" / "notes.txt").write_text("not a document")
    server = engine_server()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DOCAI_", "CAPSOLVER_"))}
    env["OCRFRAME_CACHE_DIR"] = str(tmp_path / "cache")
    command = [
        sys.executable,
        "-c",
        "from ocrframe.cli import main; main()",
        "extract",
        str(tmp_path / "in"),
        "--service",
        "docai",
        "--model",
        "text",
        "--out",
        str(tmp_path / "out"),
        "--base-url",
        server.url,
        "--no-progress",
    ]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 1, done.stderr  # one file failed
    assert "7 documents: 6 ok, 1 failed, 0 pending" in done.stdout
    assert "notes.txt: unsupported" in done.stdout
    assert f"dataset: {tmp_path / 'out'}" in done.stdout
    dataset = ocrframe.read_parquet(tmp_path / "out")
    assert len(dataset.documents) == 7
    assert (tmp_path / "cache" / "cache.sqlite3").exists()

    (tmp_path / "in" / "notes.txt").unlink()
    server.clear_log()
    again = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
    assert again.returncode == 0, again.stderr
    assert "6 documents: 6 ok, 0 failed, 0 pending (6 from the cache, 0 requests" in again.stdout
    assert server.request_log() == []

    usage = subprocess.run(
        [*command[:4], str(tmp_path / "in"), "--out", str(tmp_path / "out"), "--score", "0.9"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert usage.returncode == 2
    assert "score is a CapSolver option" in usage.stderr
