"""No row lost, none doubled: colliding sources, links out of the folder, killed and concurrent
writers of one dataset.

The service is a MockTransport answering CapSolver's "ready" at once: these tests are about
files and rows, not recognition.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import httpx
import pandas as pd
import pytest

import ocrframe
from ocrframe._frames import ParquetDatasetWriter
from ocrframe.errors import ConfigurationError
from tests.hostile import inputs


class Service:
    """A CapSolver stand-in that counts what it is sent."""

    def __init__(self) -> None:
        self.sent = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.sent += 1
        task = {"status": "ready", "solution": {"text": "x"}, "taskId": f"t{self.sent}"}
        return httpx.Response(200, json={"errorId": 0, **task})


def _extract(paths: object, service: Service, **options: object) -> ocrframe.Extraction:
    return ocrframe.extract(
        paths,  # type: ignore[arg-type]
        service="capsolver",
        model="common",
        api_key="k-rows",
        transport=httpx.MockTransport(service),
        progress=False,
        **options,  # type: ignore[arg-type]
    )


def _image(path: Path, width: int = 60) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(inputs.png(width, 20))


def test_the_same_name_from_two_folders_gets_two_sources(tmp_path: Path) -> None:
    _image(tmp_path / "a" / "x.png", 60)
    _image(tmp_path / "b" / "x.png", 61)
    service = Service()
    ex = _extract([tmp_path / "a", tmp_path / "b"], service, cache=False, out=tmp_path / "out")
    sources = sorted(ex.documents["source"])
    assert sources == sorted(["x.png", f"{tmp_path / 'b'}/x.png"])
    assert ex.summary.documents == 2 and service.sent == 2
    assert len(pd.read_parquet(tmp_path / "out" / "documents")) == 2


def test_names_that_print_alike_get_distinct_sources(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    with open(os.fsencode(folder) + b"/caf\xe9.png", "wb") as raw:  # not UTF-8
        raw.write(inputs.png(60, 20))
    _image(folder / "caf\\xe9.png", 61)  # the name the first one prints as
    ex = _extract(folder, Service(), cache=False, out=tmp_path / "out")
    assert sorted(ex.documents["source"]) == ["caf\\xe9 (2).png", "caf\\xe9.png"]
    back = pd.read_parquet(tmp_path / "out" / "documents")
    assert sorted(back["source"]) == sorted(ex.documents["source"])


def test_links_out_of_the_folder_are_rows_not_walks(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    _image(folder / "inside.png")
    _image(tmp_path / "elsewhere" / "outside.png")
    (folder / "up").symlink_to("..")
    (folder / "etc").symlink_to("/etc")
    (folder / "away").symlink_to(tmp_path / "elsewhere")
    (folder / "again.png").symlink_to("inside.png")  # inside: followed
    ex = _extract(folder, Service(), cache=False)
    rows = ex.documents.set_index("source")
    assert sorted(rows.index) == ["again.png", "away", "etc", "inside.png", "up"]
    for name in ("away", "etc", "up"):
        assert rows.loc[name, "error_code"] == "outside_folder"
        assert "follow_symlinks=True" in str(rows.loc[name, "error_message"])
    assert rows.loc["again.png", "status"] == "ok"
    followed = _extract(folder / "away", Service(), cache=False)  # a link named directly
    assert followed.documents["source"].tolist() == ["outside.png"]
    everything = _extract(
        folder, Service(), cache=False, follow_symlinks=True, include_hidden=False
    ).documents
    assert "away/outside.png" in set(everything["source"])


def _hold_a_part_open_then_die(out: Path) -> None:
    """A child writes one part, leaves the next open (flushed, not renamed), and is SIGKILLed."""
    code = textwrap.dedent(
        f"""
        import os, signal, ocrframe
        from ocrframe._frames import ParquetDatasetWriter
        answer = {{"errorId": 0, "status": "ready", "solution": {{"text": "x"}}, "taskId": "t"}}
        one = ocrframe.Extraction.from_responses({{"a.png": answer}}, service="capsolver")
        two = ocrframe.Extraction.from_responses({{"b.png": answer}}, service="capsolver")
        w = ParquetDatasetWriter({str(out)!r}, flush_rows=1, part_documents=1)
        w.append(one)   # a complete part
        w._part_docs = 0
        w.part_documents = 10
        w.append(two)   # flushed into a part that is still open
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=120)
    assert result.returncode == -signal.SIGKILL, result.stderr.decode()[-2000:]


def test_a_writer_killed_mid_part_leaves_the_dataset_readable(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _hold_a_part_open_then_die(out)
    assert list(out.rglob(".*.parquet.tmp"))  # the open part is there, hidden
    for table in ("documents", "texts"):
        pd.read_parquet(out / table)  # the README's own usage still works
    assert ocrframe.read_parquet(out).documents["source"].tolist() == ["a.png"]
    with ParquetDatasetWriter(out):
        pass  # the next writer removes what the dead one left
    assert not list(out.rglob("*.tmp"))


def test_leftovers_of_an_older_version_are_removed(tmp_path: Path) -> None:
    out = tmp_path / "out"
    ocrframe.Extraction.empty().to_parquet(out)
    (out / "items" / "part-old-00000.parquet.tmp").write_bytes(b"PAR1 half a file")
    _image(tmp_path / "in" / "a.png")
    _extract(tmp_path / "in", Service(), cache=False, out=out)
    assert not list(out.rglob("*.tmp"))
    pd.read_parquet(out / "items")


def test_a_second_run_on_the_same_dataset_fails_at_once(tmp_path: Path) -> None:
    _image(tmp_path / "in" / "a.png")
    service = Service()
    # The first run, still writing:
    with (
        ParquetDatasetWriter(tmp_path / "out"),
        pytest.raises(ConfigurationError, match="another run is writing"),
    ):
        _extract(tmp_path / "in", service, cache=tmp_path / "c.sqlite3", out=tmp_path / "out")
    assert service.sent == 0
    ex = _extract(tmp_path / "in", service, cache=tmp_path / "c.sqlite3", out=tmp_path / "out")
    again = _extract(tmp_path / "in", service, cache=tmp_path / "c.sqlite3", out=tmp_path / "out")
    assert service.sent == 1  # the third run read the cache
    assert len(ex.documents) == len(again.documents) == 1
    assert len(pd.read_parquet(tmp_path / "out" / "documents")) == 1


def test_two_processes_on_one_dataset_never_double_rows(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    for i in range(3):
        _image(folder / f"{i}.png", 60 + i)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from ocrframe._frames import ParquetDatasetWriter as W\n"
            f"w = W({str(tmp_path / 'out')!r}); print('locked', flush=True); sys.stdin.read()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with pytest.raises(ConfigurationError, match="another run is writing"):
            _extract(folder, Service(), cache=False, out=tmp_path / "out")
    finally:
        holder.communicate("", timeout=60)
    _extract(folder, Service(), cache=False, out=tmp_path / "out")
    assert len(pd.read_parquet(tmp_path / "out" / "documents")) == 3
