"""The OCR models and the workers that run them: one engine per worker thread, loaded lazily from
the rapidocr wheel (never the network).

Entry points: :func:`read_lines` (detect then recognise: a page or any larger image),
:func:`read_words` (the same, split into words with their own boxes), :func:`read_page` (words,
with a sideways or upside-down scan turned upright first) and :func:`read_crop` (recognise
only: a short single-line image such as a captcha or a cell). All are blocking and CPU-bound;
callers on an event loop run them in a worker thread. :func:`submit` hands any function that
calls them to the workers and returns a future, so that several pages are read at once.

Workers: a scanned page costs a few CPU-seconds whatever onnxruntime's thread count, so one
engine using two threads does the work of one core at best. Instead each worker thread holds its
own engine running onnxruntime on one thread (onnxruntime releases the GIL while it computes),
and there are as many workers as cores by default: two pages are read at once on two cores
(measured: BENCHMARKS.md, "Scanned pages on every core"). An engine holds its own copy of the
models and their working memory (120-300 MB more per engine, measured) and is loaded by the worker
thread that first needs it, so a worker that is never used costs nothing. The count is
:func:`set_workers`, else the environment variable ``OCRFRAME_OCR_WORKERS``, else the number of
cores (:func:`workers`).

Lines are recognised at their own width, at least 96 px at the model's 48 px height (RapidOCR
pads every line to 320 px; a fifth of a page's CPU, same recall: BENCHMARKS.md, "Faster scanned
pages on two cores"). The environment variable ``OCRFRAME_OCR_LINE_WIDTH`` sets that minimum for
engines loaded afterwards (320: RapidOCR's own way).
"""

from __future__ import annotations

import concurrent.futures
import contextvars
import os
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from statistics import median
from typing import Any, NamedTuple, ParamSpec, TypeVar

import numpy as np
from PIL import Image

from ocrframe.engine.cancel import checkpoint
from ocrframe.engine.types import Word
from ocrframe.errors import ConfigurationError, EngineUnavailableError

__all__ = [
    "LINE_WIDTH_ENV",
    "WORKERS_ENV",
    "OcrLine",
    "PageReading",
    "engines_loaded",
    "get_engine",
    "line_width",
    "preload",
    "read_crop",
    "read_lines",
    "read_page",
    "read_words",
    "set_workers",
    "split_line",
    "submit",
    "workers",
]

#: The environment variable that sets how many OCR workers (engines) a process runs.
WORKERS_ENV = "OCRFRAME_OCR_WORKERS"
#: The environment variable that sets the narrowest width (px) a line is recognised at.
LINE_WIDTH_ENV = "OCRFRAME_OCR_LINE_WIDTH"

P = ParamSpec("P")
T = TypeVar("T")

# Engine parameters, chosen by measurement (BENCHMARKS.md, "Pages and OCR"): the detector looks
# at the page with its longer side at most 1280 px (RapidOCR's default would run it at full size:
# 25 % more CPU and fewer words found), while recognition reads crops of the full image.
# Recognition one line at a time: batches pad every line to the widest in the batch, and on a CPU
# that padding costs a quarter of the page's time and 170 MB for no gain in accuracy. Nor is a
# line padded to RapidOCR's 320 px minimum width: recognition costs in proportion to the width,
# three lines in four on a receipt are narrower than that, and reading them at their own width
# (at least _LINE_WIDTH, or LINE_WIDTH_ENV) saves a fifth of a page's CPU with the same recall
# (96 and 160 read alike; 48 was no cheaper). Images arrive capped at pages.OCR_MAX_SIDE;
# RapidOCR's own resize limit only guards direct callers.
_LINE_WIDTH = 96
_PARAMS: dict[str, Any] = {
    "Global.log_level": "error",
    "Global.max_side_len": 2000,
    "Det.limit_type": "max",
    "Det.limit_side_len": 1280,
    "Rec.rec_batch_num": 1,
}

# onnxruntime threads per engine. One: the parallelism is in the workers. (-1 is onnxruntime's
# own choice, one per core: the setting before the workers, kept reachable for the benchmark.)
_THREADS_PER_ENGINE = 1

_load_lock = threading.Lock()  # loading two engines at once gains nothing and doubles the peak
_pool_lock = threading.Lock()
_pool: concurrent.futures.ThreadPoolExecutor | None = None
_configured: int | None = None
_loaded = 0
_local = threading.local()  # per thread: .engine (its RapidOCR), .worker (True in a worker)


def _forget_workers() -> None:
    """In a forked child: the parent's worker threads (and their engines) do not exist here, and
    a pool that believes they do would queue reads forever. Start afresh, lazily as always."""
    global _pool, _pool_lock, _load_lock, _local, _loaded
    _pool, _loaded = None, 0
    _pool_lock, _load_lock, _local = threading.Lock(), threading.Lock(), threading.local()


os.register_at_fork(after_in_child=_forget_workers)


def _env_int(name: str, default: int, low: int, high: int, what: str) -> int:
    """A whole number from ``low`` to ``high`` in the environment variable ``name``, else
    ``default``; anything else is a :class:`~ocrframe.errors.ConfigurationError` naming it."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise ConfigurationError(f"{name}={raw!r} is not valid: give a whole number of {what}")
    return value


def _default_workers() -> int:
    return _env_int(WORKERS_ENV, os.cpu_count() or 1, 1, sys.maxsize, "OCR workers from 1")


def line_width() -> int:
    """The narrowest width (pixels, at the recogniser's 48 px height) a line is read at: the
    environment variable ``OCRFRAME_OCR_LINE_WIDTH``, else 96. Raises
    :class:`~ocrframe.errors.ConfigurationError` for a value that is not a whole number from 16
    to 2048.

    >>> line_width()
    96
    """
    return _env_int(LINE_WIDTH_ENV, _LINE_WIDTH, 16, 2048, "pixels from 16 to 2048")


def _check_count(count: int | None) -> None:
    if count is None:
        return
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ConfigurationError(
            f"OCR workers {count!r} is not valid: give a whole number from 1 (or None: cores)"
        )


def workers() -> int:
    """How many pages this process reads at once: :func:`set_workers`, else the environment
    variable ``OCRFRAME_OCR_WORKERS``, else the number of cores.

    >>> set_workers(3); workers()
    3
    """
    return _configured if _configured is not None else _default_workers()


def set_workers(count: int | None) -> None:
    """Set how many OCR workers (one engine each) this process runs; ``None``: the default.

    Process-wide. Reads already running or waiting finish on the old workers, whose engines are
    then freed; later reads go to the new ones. Raises
    :class:`~ocrframe.errors.ConfigurationError` for a count below 1.

    >>> set_workers(1)  # one page at a time, one engine in memory
    """
    global _pool, _configured
    _check_count(count)
    if count is None:
        _default_workers()  # a bad environment variable is an error now, not at the first page
    with _pool_lock:
        if count is not None and count == _configured:
            return  # the same workers: keep their engines
        old, _pool, _configured = _pool, None, count
    if old is not None:
        old.shutdown(wait=False)


def _mark_worker() -> None:
    _local.worker = True


def _executor() -> concurrent.futures.ThreadPoolExecutor:
    global _pool
    if _pool is None:
        _pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=workers(), thread_name_prefix="ocrframe-ocr", initializer=_mark_worker
        )
    return _pool


def submit(
    fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs
) -> concurrent.futures.Future[T]:
    """Run ``fn(*args, **kwargs)`` on an OCR worker; the read functions it calls use that
    worker's engine. Returns at once with a future (called on a worker, it runs ``fn`` right
    there and returns a finished future).

    >>> futures = [submit(read_page, image) for image in images]  # doctest: +SKIP
    >>> [f.result().rotation for f in futures]
    [0, 90]
    """
    if getattr(_local, "worker", False):
        # Already on a worker: run here. A worker waiting for other workers could wait forever.
        future: concurrent.futures.Future[T] = concurrent.futures.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as exc:
            future.set_exception(exc)
        return future
    # In the caller's context: a page read for a document sees that document's stop token.
    context = contextvars.copy_context()

    def call() -> T:
        return fn(*args, **kwargs)

    with _pool_lock:  # never submit to a pool that set_workers() is shutting down
        return _executor().submit(context.run, call)


def _on_worker(fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """``fn`` on a worker (this thread if it is one), waiting for its result."""
    return submit(fn, *args, **kwargs).result()


def engines_loaded() -> int:
    """How many engines (copies of the models) this process has loaded so far."""
    return _loaded


def get_engine() -> Any:
    """Return the calling thread's RapidOCR engine, loading the bundled models on first use.

    Each OCR worker thread holds its own engine (one engine must not run two images at once:
    RapidOCR keeps per-call switches on the engine object).
    """
    global _loaded
    engine = getattr(_local, "engine", None)
    if engine is None:
        try:
            from rapidocr import RapidOCR
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise EngineUnavailableError(
                "the embedded engine needs its extra: pip install 'ocrframe[engine]'"
            ) from exc
        params = {
            **_PARAMS,
            "Rec.rec_img_shape": [3, 48, line_width()],
            "EngineConfig.onnxruntime.intra_op_num_threads": _THREADS_PER_ENGINE,
            "EngineConfig.onnxruntime.inter_op_num_threads": _THREADS_PER_ENGINE,
        }
        with _load_lock:
            # Default models only: they ship inside the wheel; any other model downloads.
            engine = RapidOCR(params=params)
            _loaded += 1
        _local.engine = engine
    return engine


def preload(default: int | None = None) -> list[concurrent.futures.Future[Any]]:
    """Start loading every worker's engine now, in the workers themselves, rather than on the
    first page; returns at once with one future per worker (done when its engine is loaded).

    ``default``: how many workers to run when neither :func:`set_workers` nor the environment
    variable chose (a Dask worker passes its thread count, so that a worker of one thread runs
    one engine instead of one per core of the machine it shares). Loads are serial (one at a
    time, as on first use) and a page submitted meanwhile waits behind them, as it would have.

    >>> for loaded in preload(1):  # doctest: +SKIP
    ...     loaded.result()
    """
    _check_count(default)
    if default is not None and _configured is None and not os.environ.get(WORKERS_ENV, "").strip():
        set_workers(default)
    # Each job holds its thread while it loads, so the pool starts a new thread for the next.
    return [submit(get_engine) for _ in range(workers())]


# The detector can see nothing at all on a large, mostly blank image (a short note on a whole
# page scanned at 200 dpi) that it reads fine at a smaller scale: when a large image gives no
# text, look again at this longest side.
_RETRY_SIDE = 960

# RapidOCR's own threshold for turning a line it classifies as upside down.
_FLIP_CONFIDENCE = 0.9

# How many of a page's longest lines the classifier looks at to tell an upside-down page.
_CLS_SAMPLE = 16

# RapidOCR's own way (classify and turn every line before recognition): kept switchable so the
# benchmarks can compare it side by side; never on in normal use.
_PER_LINE_CLS = False


@dataclass(frozen=True, slots=True)
class OcrLine:
    """One recognised run of text and its axis-aligned box, in the image's pixels."""

    text: str
    x0: float
    y0: float
    x1: float
    y1: float
    score: float


@dataclass(frozen=True, slots=True)
class PageReading:
    """The words of an image turned upright: ``rotation`` is how far (degrees clockwise: 0, 90,
    180 or 270) the image was turned before reading, ``width`` and ``height`` its turned size;
    word boxes are in the turned image's pixels. ``skew`` is how its lines slope (dy/dx), from
    the detector's outlines of its long lines, or None when it has fewer than three."""

    words: list[Word]
    rotation: int
    width: int
    height: int
    # the slope (dy/dx) of the text lines as the detector outlined them; None: too few lines
    skew: float | None = None


def _as_array(image: Image.Image | np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    # RapidOCR takes a 3-channel array as OpenCV's BGR, so this RGB array reaches the models with
    # red and blue swapped. Measured: no difference (captchas 47 vs 46 of 60 exact, plain text
    # 30 of 30 either way, 2026-11-21), and documents are mostly grey, so it stays as it was.
    if isinstance(image, Image.Image):
        return np.asarray(image.convert("RGB"))
    return image


def _box(points: Any) -> tuple[float, float, float, float]:
    xs = [float(p[0]) for p in points]
    ys = [float(p[1]) for p in points]
    return min(xs), min(ys), max(xs), max(ys)


def _run(image: Image.Image | np.ndarray[Any, Any], *, word_boxes: bool) -> Any:
    return get_engine()(
        _as_array(image),
        use_det=True,
        use_cls=True,
        use_rec=True,
        return_word_box=word_boxes,
        return_single_char_box=False,
    )


def _shrunk(array: np.ndarray[Any, Any], side: int) -> tuple[np.ndarray[Any, Any], float]:
    height, width = array.shape[:2]
    ratio = side / max(height, width)
    size = (max(1, round(width * ratio)), max(1, round(height * ratio)))
    return np.asarray(Image.fromarray(array).resize(size, Image.Resampling.LANCZOS)), ratio


def _lines_once(array: np.ndarray[Any, Any]) -> list[OcrLine]:
    result = _run(array, word_boxes=False)
    if result.txts is None or result.boxes is None:
        return []
    return [
        OcrLine(str(text), *_box(box), float(score))
        for text, box, score in zip(result.txts, result.boxes, result.scores, strict=True)
    ]


def read_lines(image: Image.Image | np.ndarray[Any, Any]) -> list[OcrLine]:
    """Detect and recognise every line of text in ``image``.

    >>> [line.text for line in read_lines(Image.open("invoice.png"))][:2]  # doctest: +SKIP
    ['INVOICE', 'No. 2026-0042']
    """
    return _on_worker(_read_lines, _as_array(image))


def _read_lines(array: np.ndarray[Any, Any]) -> list[OcrLine]:
    lines = _lines_once(array)
    if not lines and max(array.shape[:2]) > _RETRY_SIDE:
        small, ratio = _shrunk(array, _RETRY_SIDE)
        lines = [
            OcrLine(ln.text, ln.x0 / ratio, ln.y0 / ratio, ln.x1 / ratio, ln.y1 / ratio, ln.score)
            for ln in _lines_once(small)
        ]
    return lines


def split_line(line: OcrLine) -> list[Word]:
    """Split a line into words, sharing its width in proportion to character counts.

    The fallback when RapidOCR gives no usable word boxes; a space counts as one character.

    >>> [w.text for w in split_line(OcrLine("Total 12.00", 0, 0, 110, 10, 0.9))]
    ['Total', '12.00']
    """
    text = line.text
    if not text.strip():
        return []
    per_char = (line.x1 - line.x0) / max(len(text), 1)
    words: list[Word] = []
    start = 0
    for part in text.split(" "):
        if part:
            x0 = line.x0 + start * per_char
            words.append(Word(part, x0, line.y0, x0 + len(part) * per_char, line.y1, line.score))
        start += len(part) + 1
    return words


def read_words(image: Image.Image | np.ndarray[Any, Any]) -> list[Word]:
    """Detect and recognise ``image`` into words (no spaces inside), each with its own box.

    Word boxes come from RapidOCR's recogniser when it gives them and they agree with the line's
    text; otherwise the line's box is split in proportion to character counts (:func:`split_line`).
    Boxes are in the image's pixels; the order is RapidOCR's (callers sort into reading order).
    The image is read as it is; :func:`read_page` turns rotated scans upright.

    >>> [w.text for w in read_words(Image.open("invoice.png"))][:3]  # doctest: +SKIP
    ['INVOICE', 'No.', '2026-0042']
    """
    return _on_worker(_read_upright_or_retry, _as_array(image)).words


def _read_oriented(array: np.ndarray[Any, Any]) -> _Reading:
    """Words, the share of text that is vertical / that the classifier found upside down, and
    the lines' slope (:func:`_skew`)."""
    engine = get_engine()
    # RapidOCR's own steps, without its per-line classifier: that turns the lines it thinks
    # upside down before recognition, costs 4-9 % of a page, and on upright scans turns
    # some lines wrongly (more words are read without it). The classifier only gives the
    # page's orientation here, from its longest lines (BENCHMARKS.md, "Pages and OCR").
    engine.update_params(
        use_det=True,
        use_cls=_PER_LINE_CLS,
        use_rec=True,
        return_word_box=True,
        return_single_char_box=False,
    )
    original = engine.load_img(array)
    prepared, record = engine.preprocess_img(original)
    det, cls, rec, crops = engine.run_ocr_steps(prepared, record)
    if _PER_LINE_CLS and cls.cls_res is not None:
        verdicts = {i: (str(v[0]), float(v[1])) for i, v in enumerate(cls.cls_res)}
    else:
        verdicts = _sample_verdicts(engine, det.boxes, crops)
    vertical, flipped = _orientation(det.boxes, verdicts)
    result = engine.build_final_output(original, det, cls, rec, crops, record)
    if getattr(result, "txts", None) is None or getattr(result, "boxes", None) is None:
        return _Reading([], vertical, flipped, None)
    texts = [str(t) for t in result.txts]
    details = result.word_results if result.word_results is not None else ()
    # RapidOCR drops lines without word boxes from word_results, which would misalign the rest.
    aligned = len(details) == len(texts)
    words: list[Word] = []
    for i, (text, box, score) in enumerate(zip(texts, result.boxes, result.scores, strict=True)):
        line = OcrLine(text, *_box(box), float(score))
        line_words = _word_boxes(line, details[i], box) if aligned else None
        words.extend(line_words if line_words is not None else split_line(line))
    return _Reading(words, vertical, flipped, _skew(result.boxes))


def _edges(quad: Any) -> tuple[Callable[[float], float], Callable[[float], float]] | None:
    """The top and bottom edges of a line's outline as functions of x; None if degenerate."""
    (x0, y0), (x1, y1), (x2, y2), (x3, y3) = ((float(p[0]), float(p[1])) for p in quad)
    if x1 <= x0 or x2 <= x3:
        return None
    top_slope, bottom_slope = (y1 - y0) / (x1 - x0), (y2 - y3) / (x2 - x3)
    return (lambda x: y0 + (x - x0) * top_slope), (lambda x: y3 + (x - x3) * bottom_slope)


class _Reading(NamedTuple):
    words: list[Word]
    vertical: float
    flipped: float
    skew: float | None


# Lines whose outline gives the page's slope: at least this many times as long as they are tall
# (a word or two is too short to tell a degree), and at least _SKEW_LINES of them.
_SKEW_ASPECT = 4
_SKEW_LINES = 3


def _skew(quads: Any) -> float | None:
    """The median slope (dy/dx) of the long lines' outlines (RapidOCR's quadrilaterals, corners
    clockwise from the top left), or None with fewer than ``_SKEW_LINES`` long lines. A receipt
    of short lines has no line long enough for the words' own centres to tell its slope; the
    detector's outline of each line does."""
    slopes = []
    for quad in quads:
        (x0, y0), (x1, y1), (x2, y2), (x3, y3) = ((float(p[0]), float(p[1])) for p in quad)
        dx = (x1 - x0) + (x2 - x3)
        height = ((y3 - y0) + (y2 - y1)) / 2
        if dx > 0 and height > 0 and dx / 2 >= _SKEW_ASPECT * height:
            slopes.append(((y1 - y0) + (y2 - y3)) / dx)
    return median(slopes) if len(slopes) >= _SKEW_LINES else None


def _line_length(quad: Any) -> float:
    x0, y0, x1, y1 = _box(quad)
    return max(x1 - x0, y1 - y0)


def _sample_verdicts(engine: Any, boxes: Any, crops: list[Any]) -> dict[int, tuple[str, float]]:
    """The line classifier's verdicts on the page's longest lines, by line index."""
    if boxes is None or len(boxes) == 0 or len(crops) != len(boxes):
        return {}
    longest = sorted(range(len(boxes)), key=lambda i: -_line_length(boxes[i]))[:_CLS_SAMPLE]
    _, cls = engine.cls_and_rotate([crops[i] for i in longest])
    if cls.cls_res is None:
        return {}
    return {i: (str(v[0]), float(v[1])) for i, v in zip(longest, cls.cls_res, strict=False)}


def _orientation(boxes: Any, verdicts: dict[int, tuple[str, float]]) -> tuple[float, float]:
    """Shares (weighted by line length) of detected lines standing upright, and of the lines
    the classifier looked at that it is sure are upside down."""
    if boxes is None or len(boxes) == 0:
        return 0.0, 0.0
    total = tall = judged = flipped = 0.0
    for i, quad in enumerate(boxes):
        x0, y0, x1, y1 = _box(quad)
        w, h = x1 - x0, y1 - y0
        length = max(w, h)
        total += length
        if h >= 1.5 * w:
            tall += length
        if i in verdicts:
            judged += length
            label, score = verdicts[i]
            if label == "180" and score >= _FLIP_CONFIDENCE:
                flipped += length
    return (tall / total if total else 0.0), (flipped / judged if judged else 0.0)


def read_page(image: Image.Image | np.ndarray[Any, Any]) -> PageReading:
    """Read a page image into words, turning a sideways or upside-down scan upright first.

    A page is turned a quarter when most of its text stands vertical, and half when the line
    classifier finds most lines upside down; it is then read again (two or three readings for
    such a page, one for an upright one). Small skew needs no turning.

    >>> reading = read_page(Image.open("scan-sideways.png"))  # doctest: +SKIP
    >>> reading.rotation, reading.words[0].text
    (90, 'INVOICE')
    """
    return _on_worker(_read_page, _as_array(image))


def _read_page(array: np.ndarray[Any, Any]) -> PageReading:
    rotation = 0
    reading = _read_upright_or_retry(array)
    if reading.vertical > 0.5:
        turned = np.ascontiguousarray(np.rot90(array, k=-1))  # a quarter turn clockwise
        turned_reading = _read_upright_or_retry(turned)
        # Many short tall boxes (a column of single digits) can look like standing text: keep
        # the turn only if the turned page reads about as well (RapidOCR reads standing lines
        # too, so a real turn reads alike, and a wrong one reads much worse).
        if _evidence(turned_reading.words) >= 0.8 * _evidence(reading.words):
            rotation, array, reading = 90, turned, turned_reading
    if reading.flipped > 0.5:
        rotation = (rotation + 180) % 360
        array = np.ascontiguousarray(np.rot90(array, k=2))
        reading = _read_upright_or_retry(array)
    height, width = array.shape[:2]
    return PageReading(reading.words, rotation, width, height, reading.skew)


def _evidence(words: list[Word]) -> float:
    """How much text a reading found: characters weighted by confidence."""
    return sum(len(w.text) * w.confidence for w in words)


def _read_upright_or_retry(array: np.ndarray[Any, Any]) -> _Reading:
    checkpoint()  # each reading of a page (upright, turned, small) is a step nobody may want
    reading = _read_oriented(array)
    if not reading.words and max(array.shape[:2]) > _RETRY_SIDE:
        small, ratio = _shrunk(array, _RETRY_SIDE)
        found = _read_oriented(small)
        words = [
            Word(w.text, w.x0 / ratio, w.y0 / ratio, w.x1 / ratio, w.y1 / ratio, w.confidence)
            for w in found.words
        ]
        reading = found._replace(words=words)
    return reading


def _word_boxes(line: OcrLine, detail: Any, outline: Any = None) -> list[Word] | None:
    """Words from RapidOCR's ``(text, score, quad)`` triples; None if they do not fit the line.

    Each word spans its line's height where it stands: between the line's outline's top and
    bottom edges over the word's width (``outline``: the line's quadrilateral, corners clockwise
    from the top left), so that the words of a sloping line slope with it (a shear by the page's
    slope then lines them up); without an outline, the line's box."""
    words: list[Word] = []
    try:
        edges = _edges(outline) if outline is not None else None
        for text, score, quad in detail:
            if quad is None:
                return None
            for part in str(text).split():
                x0, y0, x1, y1 = _box(quad)
                if edges is not None:
                    top, bottom = edges
                    y0 = min(y0, top(x0), top(x1))
                    y1 = max(y1, bottom(x0), bottom(x1))
                else:
                    y0, y1 = min(y0, line.y0), max(y1, line.y1)
                words.append(Word(part, x0, y0, x1, y1, float(score)))
    except (TypeError, ValueError):
        return None
    if "".join(w.text for w in words) != "".join(line.text.split()):
        return None
    if any(w.text == "" or " " in w.text for w in words):
        return None
    return words


def read_crop(image: Image.Image | np.ndarray[Any, Any]) -> tuple[str, float]:
    """Recognise a short single-line image without detection: ``(text, confidence)``.

    >>> read_crop(Image.open("captcha.png"))  # doctest: +SKIP
    ('x7Kq2', 0.97)
    """
    return _on_worker(_read_crop, _as_array(image))


def _read_crop(array: np.ndarray[Any, Any]) -> tuple[str, float]:
    result = get_engine()(
        array,
        use_det=False,
        use_cls=False,
        use_rec=True,
        return_word_box=False,
        return_single_char_box=False,
    )
    if not result.txts:
        return "", 0.0
    return str(result.txts[0]), float(result.scores[0])
