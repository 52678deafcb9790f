"""ocrframe.dask's own parts: part names, the ledger's choices, the missing extra, bad input."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import ocrframe._cluster_dataset as cd
import ocrframe.dask as od
from ocrframe import Extraction
from ocrframe.errors import ConfigurationError

KEY = ("a.pdf", "1" * 64, "")


def test_a_part_is_named_by_its_options_and_its_content_in_any_order() -> None:
    option = cd.option_key("docai", "invoice", {"host": "embedded", "pages": None})
    one = cd.part_name(option, [("b.pdf", "2"), ("a.pdf", "1")])
    assert one == cd.part_name(option, [("a.pdf", "1"), ("b.pdf", "2")])
    assert one != cd.part_name(option, [("a.pdf", "1"), ("b.pdf", "3")])  # content changed
    other = cd.option_key("docai", "invoice", {"host": "embedded", "pages": "1-1"})
    assert other != option
    assert cd.option_of_part(one) == option
    assert cd.option_of_part(cd.part_name(other, [("a.pdf", "1")])) == other
    # Parts written by a single-machine run carry no options key.
    assert cd.option_of_part("part-20261121T160000000000Z-1a2b3c4d-00000.parquet") is None


def test_each_document_keeps_one_row_ok_first_then_the_newer() -> None:
    # A failed row redone: the old part loses it.
    assert cd.supersede([(KEY, "failed", "old")], [(KEY, "ok", "new")]) == {"old": {KEY}}
    # Done before (under other options) and failed now: the ok row stays.
    assert cd.supersede([(KEY, "ok", "old")], [(KEY, "failed", "new")]) == {"new": {KEY}}
    # Both ok: the new answer (the options asked for now) wins.
    assert cd.supersede([(KEY, "ok", "old")], [(KEY, "ok", "new")]) == {"old": {KEY}}
    # Three copies left by earlier runs: one stays.
    gone = cd.supersede([(KEY, "failed", "p1"), (KEY, "ok", "p2"), (KEY, "failed", "p3")], [])
    assert gone == {"p1": {KEY}, "p3": {KEY}}
    other = ("b.pdf", "2" * 64, "")
    assert cd.supersede([(KEY, "ok", "p1")], [(other, "ok", "p2")]) == {}


def test_without_the_extra_the_import_error_names_it() -> None:
    code = (
        "import sys; sys.modules['distributed'] = None\n"
        "try:\n    import ocrframe.dask\n"
        "except ImportError as exc:\n    print(exc)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert "pip install 'ocrframe[dask]'" in result.stdout, result.stdout + result.stderr


def test_bad_arguments_are_refused_before_any_work(tmp_path: Path) -> None:
    (tmp_path / "a.pdf").write_bytes(b"%PDF-1.4")
    with pytest.raises(ConfigurationError, match="unknown option"):
        od.extract(tmp_path, out=tmp_path / "out", modell="text")
    with pytest.raises(ConfigurationError, match="dry_run is not for a cluster"):
        od.extract(tmp_path, out=tmp_path / "out", dry_run=True)
    with pytest.raises(ConfigurationError, match="partition_size"):
        od.extract(tmp_path, out=tmp_path / "out", partition_size=0)
    with pytest.raises(ConfigurationError, match="concurrency"):
        od.extract(tmp_path, out=tmp_path / "out", concurrency=0)
    with pytest.raises(ConfigurationError, match="no file matches"):
        od.extract(str(tmp_path / "*.tif"), out=tmp_path / "out")
    (tmp_path / "file").write_text("x")
    with pytest.raises(ConfigurationError, match="must be a folder"):
        od.extract(tmp_path, out=tmp_path / "file")
    with pytest.raises(ConfigurationError, match="no Dask client"):
        od.extract(tmp_path, out=tmp_path / "out2")


def _answer(file_id: str, total: str) -> dict[str, object]:
    return {
        "code": 200,
        "data": {
            "fileId": file_id,
            "recognizeStatus": "1",
            "result": {"fieldList": [{"pageNumber": 1, "key": "grossAmount", "value": total}]},
        },
    }


def test_parts_written_read_and_trimmed_through_an_fsspec_url() -> None:
    ex = Extraction.from_responses({"a.pdf": _answer("f1", "1.00"), "b.pdf": _answer("f2", "2.50")})
    fs, root = cd._filesystem("memory://ocrframe-dask-test/out")
    name = cd.part_name("0" * 12, [("a.pdf", None), ("b.pdf", None)])
    cd._write_atomically(fs, root, name, ex.to_arrow())
    # Nothing but the part itself: the temporary names were moved into place.
    assert [p.rsplit("/", 1)[-1] for p in fs.ls(f"{root}/fields", detail=False)] == [name]
    url = "memory://ocrframe-dask-test/out"
    assert sorted(cd.read_ledger(url)) == [
        (("a.pdf", "", ""), "ok", name),
        (("b.pdf", "", ""), "ok", name),
    ]
    assert cd.read_dataset(url).equals(ex)
    cd._remove(fs, root, name, {("a.pdf", "", "")})
    left = cd.read_dataset(url)
    assert left.documents["source"].tolist() == ["b.pdf"]
    assert left.fields["value"].tolist() == ["2.50"]
    fs.rm(root, recursive=True)
