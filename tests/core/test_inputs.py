"""Discovering, reading, typing and splitting input files; the cache on disk."""

from __future__ import annotations

import io
import os
import random
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from ocrframe._cache import ResponseCache, cache_key, default_cache_path
from ocrframe._documents import _plain_png_ok, count_pages, detect_kind, page_pngs
from ocrframe._inputs import (
    InputFile,
    iter_inputs,
    read_input,
    readable_path,
    sha256_hex,
)
from ocrframe.errors import ConfigurationError, InputFileError


def _tree(root: Path, make: Any) -> None:
    (root / "sub" / "deeper").mkdir(parents=True)
    (root / ".hidden-dir").mkdir()
    (root / "a.pdf").write_bytes(make.pdf("a"))
    (root / "sub" / "b c é.png").write_bytes(make.png("b"))
    (root / "sub" / "deeper" / "z.tif").write_bytes(make.tiff("x", "y"))
    (root / ".hidden.png").write_bytes(make.png("h"))
    (root / ".hidden-dir" / "in.png").write_bytes(make.png("i"))
    os.symlink("nowhere", root / "broken")
    os.symlink("loop-b", root / "loop-a")
    os.symlink("loop-a", root / "loop-b")
    os.symlink("..", root / "sub" / "up")  # a folder that leads back to its own parent
    os.mkfifo(root / "fifo")
    (root / os.fsdecode(b"caf\xe9.png")).write_bytes(make.png("c"))


def test_iter_inputs_finds_every_file_once_in_name_order(tmp_path: Path, make: Any) -> None:
    _tree(tmp_path, make)
    found = {f.source: f for f in iter_inputs(tmp_path)}
    assert sorted(found) == sorted(
        [
            "a.pdf",
            "broken",
            "caf\\xe9.png",
            "fifo",
            "loop-a",
            "loop-b",
            "sub/b c é.png",
            "sub/deeper/z.tif",
            "sub/up",
        ]
    )
    ok = {s for s, f in found.items() if f.error is None}
    assert ok == {"a.pdf", "caf\\xe9.png", "sub/b c é.png", "sub/deeper/z.tif"}
    codes = {s: f.error.code for s, f in found.items() if f.error is not None}
    assert codes == {
        "broken": "not_found",
        "loop-a": "unreadable",
        "loop-b": "unreadable",
        "sub/up": "unreadable",
        "fifo": "unsupported",
    }
    assert "loop" in str(found["sub/up"].error)
    # The undecodable name is readable text, and its path still opens the file.
    odd = found["caf\\xe9.png"]
    assert odd.source.encode("utf-8")
    assert read_input(odd).startswith(b"\x89PNG")


def test_hidden_files_are_skipped_unless_asked(tmp_path: Path, make: Any) -> None:
    _tree(tmp_path, make)
    with_hidden = {f.source for f in iter_inputs(tmp_path, include_hidden=True)}
    assert {".hidden.png", ".hidden-dir/in.png"} <= with_hidden
    # A hidden file named explicitly is read.
    named = list(iter_inputs(tmp_path / ".hidden.png"))
    assert [f.source for f in named] == [".hidden.png"]


def test_iter_inputs_with_files_and_lists(tmp_path: Path, make: Any) -> None:
    (tmp_path / "x").mkdir()
    (tmp_path / "y").mkdir()
    (tmp_path / "x" / "same.png").write_bytes(make.png("1"))
    (tmp_path / "y" / "same.png").write_bytes(make.png("2"))
    found = list(
        iter_inputs(
            [
                tmp_path / "x" / "same.png",
                tmp_path / "y" / "same.png",
                tmp_path / "x" / "same.png",  # the same path twice: once
                str(tmp_path / "missing.pdf"),
            ]
        )
    )
    sources = [f.source for f in found]
    assert sources[0] == "same.png"
    assert sources[1] == str(tmp_path / "y" / "same.png")  # a clash: the path as given
    assert len(found) == 3
    assert found[2].error is not None and found[2].error.code == "not_found"
    with pytest.raises(ConfigurationError):
        list(iter_inputs(tmp_path / "nope"))


def test_read_input_refuses_empty_and_too_large(tmp_path: Path) -> None:
    (tmp_path / "empty.pdf").write_bytes(b"")
    (tmp_path / "big.pdf").write_bytes(b"%PDF-" + b"x" * 100)
    with pytest.raises(InputFileError) as empty:
        read_input(InputFile(str(tmp_path / "empty.pdf"), "empty.pdf"))
    assert empty.value.code == "empty" and empty.value.source == "empty.pdf"
    with pytest.raises(InputFileError) as big:
        read_input(InputFile(str(tmp_path / "big.pdf"), "big.pdf"), max_bytes=50)
    assert big.value.code == "too_large"
    assert read_input(InputFile(str(tmp_path / "big.pdf"), "big.pdf"), max_bytes=105)
    with pytest.raises(InputFileError) as gone:
        read_input(InputFile(str(tmp_path / "gone.pdf"), "gone.pdf"))
    assert gone.value.code == "not_found"


def test_read_input_unreadable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "secret.pdf"
    path.write_bytes(b"%PDF-1.4")
    path.chmod(0)
    if os.geteuid() == 0:
        # root reads files whatever their mode: refuse the way the OS would for anyone else.
        import ocrframe._inputs

        def refuse(*args: object, **kwargs: object) -> None:
            raise PermissionError(13, "Permission denied")

        monkeypatch.setattr(ocrframe._inputs, "open", refuse, raising=False)
    with pytest.raises(InputFileError) as err:
        read_input(InputFile(str(path), "secret.pdf"))
    assert err.value.code == "unreadable"


def test_count_pages_and_kinds(make: Any) -> None:
    assert count_pages(make.pdf("a", "b", "c")) == ("pdf", 3)
    assert count_pages(make.tiff("a", "b")) == ("tiff", 2)
    assert count_pages(make.png("a")) == ("png", 1)
    assert detect_kind(make.pdf("a")) == "pdf"
    for content, code in [
        (b"", "empty"),
        (b"hello, world", "unsupported"),
        (make.pdf("a")[:60], "corrupt"),
        (make.png("a")[:40], "corrupt"),
    ]:
        with pytest.raises(InputFileError) as err:
            count_pages(content, source="f")
        assert err.value.code == code
        assert err.value.source == "f"


def test_page_pngs_split_pdf_and_tiff(make: Any) -> None:
    pages = page_pngs(make.pdf("one", "two", "three"), pages=[1, 3, 9])
    assert [n for n, _ in pages] == [1, 3]
    assert all(png.startswith(b"\x89PNG") for _, png in pages)
    assert [n for n, _ in page_pngs(make.tiff("a", "b"))] == [1, 2]


def test_readable_path() -> None:
    assert readable_path(os.fsdecode(b"caf\xe9 1.png")) == "caf\\xe9 1.png"
    assert readable_path("naïve résumé.pdf") == "naïve résumé.pdf"


def test_cache_round_trip_pending_and_no_secret(tmp_path: Path) -> None:
    key = cache_key(sha256=sha256_hex(b"x"), service="docai", model="m")
    with ResponseCache(tmp_path) as cache:  # a folder: cache.sqlite3 inside
        assert cache.path == tmp_path / "cache.sqlite3"
        assert cache.get(key) is None
        cache.put_pending(key, "f-1", sha256="s", service="docai", model="m")
        assert cache.get_pending(key) == "f-1"
        answer = {"code": 200, "data": {"fileId": "f-1", "recognizeStatus": "1", "é": "ü"}}
        cache.put(key, answer, sha256="s", service="docai", model="m")
        assert cache.get(key) == answer
        assert cache.get_pending(key) is None  # an answer ends the pending state
        assert cache.count() == 1
    with sqlite3.connect(tmp_path / "cache.sqlite3") as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_default_cache_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("OCRFRAME_CACHE_DIR", str(tmp_path / "c"))
    assert default_cache_path() == tmp_path / "c" / "cache.sqlite3"
    monkeypatch.delenv("OCRFRAME_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_path() == tmp_path / "xdg" / "ocrframe" / "cache.sqlite3"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_cache_path() == tmp_path / "home" / ".cache" / "ocrframe" / "cache.sqlite3"
    assert ResponseCache.open(False) is None
    (tmp_path / "a-file").write_text("")
    with pytest.raises(ConfigurationError):
        ResponseCache(tmp_path / "a-file" / "x.sqlite3")


def _pillow_accepts(content: bytes) -> bool:
    from PIL import Image

    try:
        with Image.open(io.BytesIO(content)) as image:
            image.verify()
    except Exception:
        return False
    return True


def test_png_check_without_pillow_never_accepts_what_pillow_refuses(make: Any) -> None:
    # count_pages skips Pillow for a PNG its own chunk walk finds sound; the walk may say "not
    # sure" (then Pillow decides) but must never pass a file Pillow would call corrupt.
    from PIL import Image

    sound = []
    for mode in ("1", "L", "P", "RGB", "RGBA", "LA", "I;16"):
        buffer = io.BytesIO()
        Image.new(mode, (7, 5)).save(buffer, format="PNG", dpi=(96, 96))
        sound.append(buffer.getvalue())
    sound.append(make.png("a"))
    for content in sound:
        assert _plain_png_ok(content), content[:40]
        assert count_pages(content) == ("png", 1)
    content = sound[-1]
    variants = [content[:cut] for cut in range(len(content))]
    rng = random.Random(5)
    for _ in range(3000):
        changed = bytearray(content)
        changed[rng.randrange(len(changed))] = rng.randrange(256)
        variants.append(bytes(changed))
    for variant in variants:
        if _plain_png_ok(variant):
            assert _pillow_accepts(variant)
    assert sum(_plain_png_ok(v) for v in variants[: len(content)]) == 0  # every cut is refused
