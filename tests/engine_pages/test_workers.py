"""OCR workers: pages read at once (of one document and of several), the same words whatever the
worker count, and how the count is configured."""

from __future__ import annotations

import io
import os
import select
import signal
import threading
import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from PIL import Image, ImageDraw, ImageFont

from ocrframe.engine import ocr
from ocrframe.engine.app import EngineConfig, create_app
from ocrframe.engine.pages import load_pages
from ocrframe.engine.types import Page
from ocrframe.errors import ConfigurationError

# Generous: the barrier only breaks when the second read never starts (reads are serialised),
# so this bounds how long a failing test takes, never how fast a passing one must be.
DEADLOCK_S = 120


def _page_image(lines: list[str]) -> Image.Image:
    """A small clean page of text (quick to read)."""
    font = ImageFont.load_default(size=28)
    image = Image.new("RGB", (520, 60 + 48 * len(lines)), "white")
    draw = ImageDraw.Draw(image)
    for i, line in enumerate(lines):
        draw.text((24, 30 + 48 * i), line, fill="black", font=font)
    return image


def _tiff(frames: list[Image.Image]) -> bytes:
    buf = io.BytesIO()
    frames[0].save(buf, format="TIFF", save_all=True, append_images=frames[1:])
    return buf.getvalue()


def _png(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


def _words(page: Page) -> list[tuple[str, float, float, float, float]]:
    return [(w.text, w.x0, w.y0, w.x1, w.y1) for w in page.words]


@pytest.fixture
def workers(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[int | None], None]]:
    """Set the process's OCR worker count for one test; the configured count comes back after."""
    before = ocr._configured
    yield ocr.set_workers
    monkeypatch.delenv(ocr.WORKERS_ENV, raising=False)  # as every test starts (conftest)
    ocr.set_workers(before)


@pytest.fixture
def two_at_once(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every page read must meet a second read in flight at the same time before it goes on.

    Returns the names of the threads that read, in the order they passed the barrier.
    """
    barrier = threading.Barrier(2, timeout=DEADLOCK_S)
    readers: list[str] = []
    real = ocr._read_page

    def read_page(array: Any) -> ocr.PageReading:
        barrier.wait()  # BrokenBarrierError if no other read is in flight: reads are serialised
        readers.append(threading.current_thread().name)
        return real(array)

    monkeypatch.setattr(ocr, "_read_page", read_page)
    return readers


def test_two_pages_of_one_document_are_read_at_once(
    workers: Callable[[int | None], None], two_at_once: list[str]
) -> None:
    workers(2)
    tiff = _tiff([_page_image(["ALPHA 111"]), _page_image(["BRAVO 222"])])
    pages = load_pages(tiff)
    assert [p.number for p in pages] == [1, 2]
    assert [[w.text for w in p.words] for p in pages] == [["ALPHA", "111"], ["BRAVO", "222"]]
    assert len(set(two_at_once)) == 2  # two worker threads, each with its own engine


def test_pages_of_two_documents_are_read_at_once(
    workers: Callable[[int | None], None], two_at_once: list[str]
) -> None:
    workers(2)
    documents = [_png(_page_image(["CHARLIE 333"])), _png(_page_image(["DELTA 444"]))]
    with ThreadPoolExecutor(max_workers=2) as callers:  # as the engine app's recognition pool
        pages = list(callers.map(load_pages, documents))
    assert [[w.text for w in p.words] for (p,) in pages] == [["CHARLIE", "333"], ["DELTA", "444"]]
    assert all(name.startswith("ocrframe-ocr") for name in two_at_once)


def test_one_and_two_workers_read_the_same_words(workers: Callable[[int | None], None]) -> None:
    page = _page_image(["Invoice INV-2026-0042", "Total due 154.06 EUR"])
    workers(1)
    (alone,) = load_pages(_png(page))
    workers(2)
    both = load_pages(_tiff([page, page]))  # the same page twice, read at once by two engines
    assert [w[0] for w in _words(alone)] == [
        "Invoice",
        "INV-2026-0042",
        "Total",
        "due",
        "154.06",
        "EUR",
    ]
    assert [_words(p) for p in both] == [_words(alone), _words(alone)]


def test_a_failing_page_fails_its_document_and_the_workers_go_on(
    workers: Callable[[int | None], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    workers(2)
    real = ocr._read_page
    calls = 0
    lock = threading.Lock()

    def read_page(array: Any) -> ocr.PageReading:
        nonlocal calls
        with lock:
            calls += 1
            first = calls == 1
        if first:
            raise RuntimeError("model failure")
        return real(array)

    monkeypatch.setattr(ocr, "_read_page", read_page)
    tiff = _tiff([_page_image(["ECHO 555"]), _page_image(["FOXTROT 666"])])
    with pytest.raises(RuntimeError, match="model failure"):
        load_pages(tiff)
    ((page,),) = [load_pages(_png(_page_image(["GOLF 777"])))]
    assert [w.text for w in page.words] == ["GOLF", "777"]


def test_a_read_from_a_worker_runs_on_that_worker(workers: Callable[[int | None], None]) -> None:
    workers(1)
    # One worker, busy with a task that reads: a read that queued for a free worker would wait
    # for itself. It runs on the same thread instead.
    outer = ocr.submit(
        lambda: (threading.current_thread().name, load_pages(_png(_page_image(["HOTEL 888"]))))
    )
    name, (page,) = outer.result(timeout=DEADLOCK_S)
    assert name.startswith("ocrframe-ocr")
    assert [w.text for w in page.words] == ["HOTEL", "888"]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_reads_on_workers_of_its_own(workers: Callable[[int | None], None]) -> None:
    # A process forked while the workers run (multiprocessing, some dask schedulers) has none of
    # their threads: it must start its own instead of queueing reads for threads that are gone.
    workers(1)
    png = _png(_page_image(["INDIA 999"]))
    load_pages(png)  # the parent's worker thread exists now
    read_end, write_end = os.pipe()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # 3.12+: fork with threads running
        child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        try:
            (page,) = load_pages(png)
            os.write(write_end, " ".join(w.text for w in page.words).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    ready: list[int] = []
    try:
        ready, _, _ = select.select([read_end], [], [], DEADLOCK_S)
        assert ready, "the forked child never finished reading: it waits for the parent's workers"
        assert os.read(read_end, 1000).decode() == "INDIA 999"
    finally:
        os.close(read_end)
        if not ready:
            os.kill(child, signal.SIGKILL)
        os.waitpid(child, 0)


# --- configuration -------------------------------------------------------------------------------


def test_default_is_the_number_of_cores(workers: Callable[[int | None], None]) -> None:
    workers(None)
    assert ocr.workers() == (os.cpu_count() or 1)


def test_environment_variable_sets_the_count(
    workers: Callable[[int | None], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ocr.WORKERS_ENV, " 3 ")
    workers(None)
    assert ocr.workers() == 3
    workers(1)  # an explicit count wins over the environment
    assert ocr.workers() == 1


@pytest.mark.parametrize("raw", ["0", "-2", "two", "1.5"])
def test_bad_environment_variable_is_a_configuration_error(
    workers: Callable[[int | None], None], monkeypatch: pytest.MonkeyPatch, raw: str
) -> None:
    monkeypatch.setenv(ocr.WORKERS_ENV, raw)
    with pytest.raises(ConfigurationError, match=f"OCRFRAME_OCR_WORKERS={raw!r}"):
        workers(None)


@pytest.mark.parametrize("count", [0, -1, True, 2.0, "2"])
def test_bad_count_is_a_configuration_error(
    workers: Callable[[int | None], None], count: Any
) -> None:
    before = ocr.workers()
    with pytest.raises(ConfigurationError, match="OCR workers"):
        workers(count)
    assert ocr.workers() == before


def test_engine_config_sets_the_process_workers(workers: Callable[[int | None], None]) -> None:
    workers(None)
    create_app(EngineConfig(ocr_workers=3))
    assert ocr.workers() == 3
    create_app(EngineConfig())  # no ocr_workers: the process keeps its setting
    assert ocr.workers() == 3
    with pytest.raises(ConfigurationError):
        create_app(EngineConfig(ocr_workers=0))


def test_serve_passes_ocr_workers_to_the_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    import ocrframe.engine.app as engine_app
    from ocrframe.cli import main

    seen: list[EngineConfig] = []

    def fake_serve(config: EngineConfig, host: str, port: int, *, on_listening: Any) -> None:
        seen.append(config)

    monkeypatch.setattr(engine_app, "serve", fake_serve)
    assert CliRunner().invoke(main, ["serve", "--ocr-workers", "2"]).exit_code == 0
    assert CliRunner().invoke(main, ["serve"]).exit_code == 0
    assert [c.ocr_workers for c in seen] == [2, None]  # None: the environment, else the cores
