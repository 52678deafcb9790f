"""Captcha reading: two recognisers, three views of the image, one decision on their probabilities.

Readers (each loaded once per process, lazily, from files inside installed wheels, never the
network; one onnxruntime thread each, because a captcha is tiny and the machine is shared):

- ddddocr's two captcha models (``common_old.onnx``, its default, and ``common.onnx``, its
  ``beta``), trained on captchas of many sites, case-blind in practice;
- RapidOCR's recogniser (PP-OCR, the one ``ocr.py`` uses for pages), trained on printed text,
  the only one that tells ``a`` from ``A``.

Each reads the image as decoded. Unless all three are sure of it (the same text, case aside, at
probability 0.9 or more each, and, when case matters, RapidOCR sure of each letter's case), each
reads its contrast view (:func:`contrast_view`: the rows that hold ink, each pixel as dark as it
differs in colour from the background, so pale glyphs that grey levels lose are black); unless
the six readings then agree at even odds, each reads a third view, the rows that hold ink as
they are. Every reading is a CTC matrix: per time step, a probability for "no character" and for
each letter and digit. The answer is chosen by the probabilities themselves, with no alphabet or
length taken from any one data set:

1. the characters, case aside: every reading proposes its best path, and each proposal is
   scored by the probability every reading gives it (the CTC forward algorithm, summed over
   both cases of each letter), multiplied over readings (a product of experts: one reading's
   confident mistake is outvoted when the others find its answer improbable). A reading that
   read the proposal with characters left out is charged a fixed cost per character it did not
   see, not the CTC probability of a character where it saw none: readers miss pale or
   crossed-out glyphs far more often than they invent them. A vote is floored so that a model
   that cannot see the text at all cannot veto what the others read;
2. the case of each letter (``case`` not ``False``): the answer is aligned to each case-aware
   reading's frames, which then compare the upper and lower-case probability of each letter.

The confidence is the geometric mean of the readings' votes for the answer (and of the case
decisions): a probability from the models' output, comparable across images.
"""

from __future__ import annotations

import math
import string
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from ocrframe.engine.cancel import checkpoint

__all__ = [
    "ALPHABET",
    "Reading",
    "contrast_view",
    "decide",
    "ink_box",
    "ink_crop",
    "load_models",
    "read_captcha",
    "readings",
    "settled",
]

# What the readers may answer: letters and digits. Punctuation is left out on purpose: noise
# lines read as "-", "/" or "|" and cost more right answers than they would add (BENCHMARKS.md).
ALPHABET = string.digits + string.ascii_lowercase + string.ascii_uppercase

# A reading's vote on a proposal is at least this log-probability (e^-5 ~ 0.7 %): below that a
# model is not disagreeing about a character but failing to see the text, and its opinion of the
# others' proposals carries no information.
_FLOOR = -5.0

# What a reading's vote on a text loses per character it did not see at all, when it read the
# rest of the text (log e^-1 ~ 37 %): readers miss pale or crossed-out glyphs far more often than
# they invent one, so a character one view shows and another misses is not voted down as if the
# second had seen something else there (calibrated: BENCHMARKS.md).
_UNSEEN = -1.0

# How much each reader's probabilities count, in the characters (case aside) and in the case of
# letters. Calibrated on generated captchas and on the dev half of each real set
# (BENCHMARKS.md): ddddocr's models read letters well but were trained case-blind (they answer
# "a" for a drawn "A" about as often as "A"), so only RapidOCR decides case.
_WEIGHTS: dict[str, float] = {"dddd": 0.5, "dddd_beta": 1.0, "rapid": 1.0}
_CASE_WEIGHTS: dict[str, float] = {"dddd": 0.0, "dddd_beta": 0.0, "rapid": 1.0}
# The contrast view draws strokes bolder than they are, which blurs the one cue between the
# cases of some letters (their size: "m" and "M"), but its tight crop shows shapes ("J" and "j")
# better: half a vote on case.
_CASE_VIEW_WEIGHTS: dict[str, float] = {"contrast": 0.5}

# The second view crops the rows only: that is what makes the glyphs larger in the readers'
# line, while cropping columns too cut off pale glyphs at the ends of some real captchas and
# gained nothing elsewhere (BENCHMARKS.md).
_CROP_COLUMNS = False

_load_lock = threading.Lock()
_models: list[_Model] | None = None


@dataclass(frozen=True, slots=True)
class Reading:
    """One reader's output on one view: ``probs[t, 0]`` is the blank at step ``t``,
    ``probs[t, 1 + i]`` the probability of ``ALPHABET[i]`` (renormalised over those)."""

    model: str
    view: str
    probs: np.ndarray[Any, np.dtype[np.float32]]


class _Model:
    """An ONNX recogniser, its output reduced to blank + :data:`ALPHABET`."""

    def __init__(self, name: str, path: Path, *, height: int, gray: bool) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        # The ddddocr models declare a wrong output shape; onnxruntime would warn on every run.
        options.log_severity_level = 3
        self.name = name
        self.path = path
        self.session = ort.InferenceSession(
            str(path), sess_options=options, providers=["CPUExecutionProvider"]
        )
        self.input = self.session.get_inputs()[0].name
        self.height = height
        self.gray = gray
        self.columns = np.zeros(1 + len(ALPHABET), dtype=np.int64)

    def use_charset(self, charset: list[str]) -> None:
        """Map the model's output columns (``charset[i]``; ``""`` is the CTC blank, column 0)."""
        index = {c: i for i, c in enumerate(charset) if c}
        missing = [c for c in ALPHABET if c not in index]
        if missing:
            raise RuntimeError(f"{self.name}: the model cannot read {''.join(missing)!r}")
        self.columns = np.array([0] + [index[c] for c in ALPHABET], dtype=np.int64)

    def read(self, image: Image.Image) -> np.ndarray[Any, np.dtype[np.float32]]:
        """The model's per-step probabilities over blank + :data:`ALPHABET`."""
        full: np.ndarray[Any, Any]
        if self.gray:
            # ddddocr's own preparation: resize (Lanczos), grey, scale to [0, 1].
            width = max(1, int(image.width * (self.height / image.height)))
            small = image.resize((width, self.height), Image.Resampling.LANCZOS).convert("L")
            batch = (np.asarray(small, dtype=np.float32) / 255.0)[None, None]
            logits = self.session.run(None, {self.input: batch})[0][:, 0, :]
            full = _softmax(logits)
        else:
            import cv2

            # RapidOCR's own preparation: OpenCV's bilinear resize to 48 px, scale to [-1, 1],
            # padded to at least 320 px (its training shape). RGB goes in as the page reader
            # has always given it (measured: no difference either way).
            width = max(1, math.ceil(self.height * image.width / image.height))
            resized: np.ndarray[Any, Any] = cv2.resize(
                np.asarray(image.convert("RGB")), (width, self.height)
            )
            array = resized.astype(np.float32).transpose(2, 0, 1) / 127.5 - 1.0
            padded = np.zeros((3, self.height, max(width, 320)), dtype=np.float32)
            padded[:, :, :width] = array
            full = self.session.run(None, {self.input: padded[None]})[0][0]
        kept: np.ndarray[Any, np.dtype[np.float32]] = full[:, self.columns].astype(np.float32)
        normalised: np.ndarray[Any, np.dtype[np.float32]] = kept / np.maximum(
            kept.sum(axis=1, keepdims=True), 1e-12
        )
        return normalised


def _softmax(logits: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    shifted: np.ndarray[Any, Any] = np.exp(logits - logits.max(axis=1, keepdims=True))
    probabilities: np.ndarray[Any, Any] = shifted / shifted.sum(axis=1, keepdims=True)
    return probabilities


def load_models() -> list[_Model]:
    """The readers, loaded on first use (once per process) from the installed wheels."""
    global _models
    if _models is None:
        with _load_lock:
            if _models is None:
                _models = _load()
    return _models


def _load() -> list[_Model]:
    try:
        import ddddocr
        import rapidocr
        from ddddocr.models.charset_manager import CharsetManager
    except ImportError as exc:  # pragma: no cover - depends on the install
        from ocrframe.errors import EngineUnavailableError

        raise EngineUnavailableError(
            "the embedded engine needs its extra: pip install 'ocrframe[engine]'"
        ) from exc
    # ddddocr's files and character lists, run through our own sessions: its classification()
    # drops other characters only after the argmax and gives probabilities as Python lists over
    # 8,210 characters, where the decision needs the probabilities of letters and digits.
    dddd_dir = Path(ddddocr.__file__).parent
    models: list[_Model] = []
    for name, file, beta in (
        ("dddd", "common_old.onnx", False),
        ("dddd_beta", "common.onnx", True),
    ):
        model = _Model(name, dddd_dir / file, height=64, gray=True)
        charset = CharsetManager()
        charset.load_default_charset(old=False, beta=beta)
        model.use_charset(list(charset.get_charset()))
        models.append(model)
    rapid = _Model(
        "rapid",
        Path(rapidocr.__file__).parent / "models" / "PP-OCRv6_rec_small.onnx",
        height=48,
        gray=False,
    )
    meta = rapid.session.get_modelmeta().custom_metadata_map
    # RapidOCR's decoder: column 0 is the CTC blank, then the model's characters, then a space.
    rapid.use_charset(["", *meta["character"].splitlines(), " "])
    models.append(rapid)
    return models


# --------------------------------------------------------------------------------------------
# Views of the image


def ink_box(
    image: Image.Image, *, share: float = 0.08, margin: int = 4
) -> tuple[int, int, int, int]:
    """The box ``(left, top, right, bottom)`` of the rows and columns that hold ink.

    Ink is what differs in colour from the background (the median colour of the image's border),
    by more than Otsu's threshold on those differences: pale or coloured glyphs count as well as
    dark ones. A row or column counts when its share of ink is at least ``share`` of the inkiest
    row's (column's), so scattered noise dots do not widen the box.
    """
    rgb = np.asarray(image.convert("RGB"), dtype=np.float32)
    border = np.concatenate([rgb[0], rgb[-1], rgb[:, 0], rgb[:, -1]])
    distance = np.sqrt(((rgb - np.median(border, axis=0)) ** 2).sum(axis=-1))
    ink = distance > max(_otsu(distance), _MIN_INK)
    rows = ink.mean(axis=1)
    cols = ink.mean(axis=0)
    if rows.max() == 0:
        return 0, 0, image.width, image.height
    ys = np.flatnonzero(rows >= share * rows.max())
    xs = np.flatnonzero(cols >= share * cols.max())
    return (
        max(0, int(xs[0]) - margin),
        max(0, int(ys[0]) - margin),
        min(image.width, int(xs[-1]) + margin + 1),
        min(image.height, int(ys[-1]) + margin + 1),
    )


# A colour difference below this (of 441 between black and white) is never ink: JPEG noise and
# textured backgrounds stay out of the box on a blank image.
_MIN_INK = 24.0


def _otsu(values: np.ndarray[Any, Any]) -> float:
    """Otsu's threshold: the cut that best separates ``values`` into two groups."""
    hist, edges = np.histogram(values, bins=64)
    centers = (edges[:-1] + edges[1:]) / 2
    below = np.cumsum(hist)
    above = below[-1] - below
    mass = np.cumsum(hist * centers)
    mean_below = mass / np.maximum(below, 1)
    mean_above = (mass[-1] - mass) / np.maximum(above, 1)
    between = below * above * (mean_below - mean_above) ** 2
    return float(centers[int(np.argmax(between))])


def ink_crop(
    image: Image.Image, *, share: float = 0.08, margin: int = 4, columns: bool = True
) -> Image.Image:
    """``image`` cropped to :func:`ink_box` (the image itself when nothing is cut);
    ``columns=False`` crops the rows only and keeps the whole width."""
    box = ink_box(image, share=share, margin=margin)
    if not columns:
        box = (0, box[1], image.width, box[3])
    if box == (0, 0, image.width, image.height):
        return image
    return image.crop(box)


def contrast_view(image: Image.Image) -> Image.Image:
    """The image as ink on white: each pixel as dark as it differs in colour from the background
    (the median colour of the border), black from :data:`_INK_BLACK` on.

    Two of the readers see only grey levels, where a pale yellow or light blue glyph on white
    is nearly white; as a difference in colour it is as plain as a dark one. Strokes come out
    bolder than drawn, which is why this is a second view and not the only one.
    """
    rgb = np.asarray(image.convert("RGB"), dtype=np.float32)
    border = np.concatenate([rgb[0], rgb[-1], rgb[:, 0], rgb[:, -1]])
    distance = np.sqrt(((rgb - np.median(border, axis=0)) ** 2).sum(axis=-1))
    grey = 255.0 * (1.0 - np.clip(distance / _INK_BLACK, 0.0, 1.0))
    return Image.fromarray(grey.astype(np.uint8)).convert("RGB")


# A colour difference from the background (of 441 between black and white) from which the
# contrast view draws black: about a third of the way from white to black, so a glyph any reader
# of colour would call plainly drawn is black, while JPEG noise (under 24) stays near white.
_INK_BLACK = 128.0


def readings(image: Image.Image, view: str = "whole") -> list[Reading]:
    """Every reader's probabilities on one view of a captcha (an RGB image)."""
    found = []
    for model in load_models():
        checkpoint()  # each reading is a step a client who left does not need
        found.append(Reading(model.name, view, model.read(image)))
    return found


def settled(found: list[Reading], *, at_least: float = 0.5, case: bool = False) -> bool:
    """Whether the readings already agree: every reader reads the same text (case aside) and
    gives it at least the probability ``at_least``; with ``case``, the case-aware readers are
    also sure (:data:`_SURE_CASE`) of the case of every letter. Then another view is not worth
    its cost."""
    texts = {_greedy(r.probs) for r in found}
    if len(texts) != 1 or "" in texts:
        return False
    text = texts.pop()
    if not all(_log_likelihood(r.probs, text) >= math.log(at_least) for r in found):
        return False
    return not case or all(
        max(upper, 1.0 - upper) >= _SURE_CASE for upper in _upper_shares(text, found) if upper >= 0
    )


# How sure the image as decoded must be before the other views are skipped: every reading gives
# the text at least this probability (and, when case matters, each letter's case at least
# _SURE_CASE). Below it, a pale glyph that all three readers missed alike is worth a look in the
# contrast view (BENCHMARKS.md).
_SURE_TEXT = 0.9
_SURE_CASE = 0.8


# --------------------------------------------------------------------------------------------
# The decision
#
# A text is scored case aside: its probability under a reading is summed over every CTC
# alignment AND over both cases of each letter. Adding the two cases' columns together first
# would be simpler but wrong where a letter follows itself in the other case ("Jj", "aA"): CTC
# needs a blank between two equal labels, and the readers put none between two different ones.


def _variants(text: str) -> list[tuple[int, ...]]:
    """The columns (in a reading's ``probs``) each character of a case-aside text may take."""
    return [
        (1 + ALPHABET.index(c), 1 + ALPHABET.index(c.upper()))
        if c.isalpha()
        else (1 + ALPHABET.index(c),)
        for c in text
    ]


def _greedy(probs: np.ndarray[Any, Any]) -> str:
    """The reading's best path, collapsed, case aside (lower case)."""
    best = probs.argmax(axis=1)
    chars = [ALPHABET[k - 1] for i, k in enumerate(best) if k != 0 and (i == 0 or k != best[i - 1])]
    return "".join(chars).lower()


def _lattice(
    probs: np.ndarray[Any, Any], variants: list[tuple[int, ...]]
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], list[int], list[int]]:
    """The CTC states of a text with alternative columns per character: blank, then per
    character one state per variant and a blank after it. Returns the per-step log-probability
    of each state, the log of the allowed transitions (0 or -inf, from row to column), and the
    start and end states."""
    columns = [0]
    for options in variants:
        columns += [*options, 0]
    size = len(columns)
    allowed = np.eye(size, dtype=bool)
    blank_before = 0
    previous: list[int] = []
    for options in variants:
        first = blank_before + 1
        mine = list(range(first, first + len(options)))
        for state in mine:
            allowed[blank_before, state] = True
            # Straight from the character before, unless it is the same column (CTC needs a
            # blank between two equal labels).
            for before in previous:
                allowed[before, state] = columns[before] != columns[state]
        blank_after = first + len(options)
        allowed[mine, blank_after] = True
        previous, blank_before = mine, blank_after
    logp = np.log(np.maximum(probs[:, columns], 1e-30))
    transitions = np.where(allowed, 0.0, -np.inf)
    starts = [0, *range(1, 1 + len(variants[0]))] if variants else [0]
    ends = [size - 1, *previous]
    return logp, transitions, starts, ends


def _ctc(probs: np.ndarray[Any, Any], variants: list[tuple[int, ...]]) -> float:
    """log P(text | frames): every CTC alignment, every variant of each character (forward)."""
    if probs.shape[0] < len(variants):
        return -math.inf
    logp, transitions, starts, ends = _lattice(probs, variants)
    alpha = np.full(logp.shape[1], -np.inf)
    alpha[starts] = logp[0, starts]
    for t in range(1, logp.shape[0]):
        alpha = np.logaddexp.reduce(alpha[:, None] + transitions, axis=0) + logp[t]
    return float(np.logaddexp.reduce(alpha[ends]))


def _log_likelihood(probs: np.ndarray[Any, Any], text: str) -> float:
    """log P(text, either case of each letter | a reading's frames)."""
    return _ctc(probs, _variants(text))


def _align(probs: np.ndarray[Any, Any], text: str) -> list[list[int]]:
    """The frames of each character on the most probable alignment (Viterbi), case aside."""
    variants = _variants(text)
    logp, transitions, starts, ends = _lattice(probs, variants)
    steps, size = logp.shape
    owner = [-1]
    for k, options in enumerate(variants):
        owner += [k] * len(options) + [-1]
    score = np.full(size, -np.inf)
    score[starts] = logp[0, starts]
    back = np.zeros((steps, size), dtype=np.int64)
    for t in range(1, steps):
        options = score[:, None] + transitions
        back[t] = options.argmax(axis=0)
        score = options.max(axis=0) + logp[t]
    state = max(ends, key=lambda s: score[s])
    frames: list[list[int]] = [[] for _ in variants]
    for t in range(steps - 1, -1, -1):
        if owner[state] >= 0:
            frames[owner[state]].append(t)
        state = int(back[t, state])
    return frames


def _upper_shares(text: str, found: list[Reading]) -> list[float]:
    """Per character, the share of upper case in the case-aware readings' frames of it (-1 for a
    digit or a letter none of them aligned a frame to)."""
    upper = np.zeros(len(text))
    lower = np.zeros(len(text))
    for reading in found:
        if _CASE_WEIGHTS.get(reading.model, 0.0) <= 0:
            continue
        frames = _align(reading.probs, text)
        for i, char in enumerate(text):
            if char.isalpha() and frames[i]:
                lower[i] += float(reading.probs[frames[i], 1 + ALPHABET.index(char)].sum())
                upper[i] += float(reading.probs[frames[i], 1 + ALPHABET.index(char.upper())].sum())
    total = upper + lower
    return [float(u / t) if t > 0 else -1.0 for u, t in zip(upper, total, strict=True)]


def _choose_case(text: str, found: list[Reading]) -> tuple[str, float]:
    """Each letter's case by the case-aware readings, and the probability of those choices."""
    votes = np.zeros(len(text))
    shares = np.zeros(len(text))
    weights = 0.0
    for reading in found:
        weight = _CASE_WEIGHTS.get(reading.model, 0.0) * _CASE_VIEW_WEIGHTS.get(reading.view, 1.0)
        if weight <= 0:
            continue
        frames = _align(reading.probs, text)
        for i, char in enumerate(text):
            if not char.isalpha() or not frames[i]:
                continue
            lower = float(reading.probs[frames[i], 1 + ALPHABET.index(char)].sum())
            upper = float(reading.probs[frames[i], 1 + ALPHABET.index(char.upper())].sum())
            votes[i] += weight * math.log((upper + 1e-9) / (lower + 1e-9))
            shares[i] += weight * upper / max(upper + lower, 1e-12)
        weights += weight
    if weights == 0:
        return text, 1.0
    chosen = []
    probability = 1.0
    for i, char in enumerate(text):
        if not char.isalpha():
            chosen.append(char)
            continue
        share = shares[i] / weights
        chosen.append(char.upper() if votes[i] > 0 else char)
        probability *= share if votes[i] > 0 else 1.0 - share
    return "".join(chosen), probability


def _is_shorter_reading(short: str, text: str) -> bool:
    """Whether ``short`` is ``text`` with some characters left out (in order)."""
    rest = iter(text)
    return len(short) < len(text) and all(char in rest for char in short)


def decide(found: list[Reading], *, case: bool) -> tuple[str, float]:
    """The answer the readings agree on best, and its probability (see the module's docstring).

    ``case=False`` answers in lower case and digits.
    """
    proposals = sorted({_greedy(r.probs) for r in found} - {""})
    if not proposals:
        return "", 0.0
    total = sum(_WEIGHTS.get(r.model, 0.0) for r in found)
    likelihood = {
        (i, text): _log_likelihood(r.probs, text) for i, r in enumerate(found) for text in proposals
    }

    def vote(i: int, text: str) -> float:
        # A reading that read the text with characters left out did not see them (a pale glyph,
        # a glyph under a line): each one it missed costs _UNSEEN, not what CTC would charge for
        # a character where the reading saw none.
        best = likelihood[i, text]
        for short in proposals:
            if _is_shorter_reading(short, text):
                best = max(best, likelihood[i, short] + _UNSEEN * (len(text) - len(short)))
        return max(best, _FLOOR)

    def support(text: str) -> float:
        return sum(_WEIGHTS.get(r.model, 0.0) * vote(i, text) for i, r in enumerate(found))

    scored = [(support(text), text) for text in proposals]
    best_support, best = max(scored)
    confidence = math.exp(best_support / total) if total else 0.0
    if case:
        best, case_probability = _choose_case(best, found)
        confidence *= case_probability
    return best, confidence


def read_captcha(image: Image.Image, *, case: bool = True) -> tuple[str, float]:
    """Read a captcha (an RGB image): ``(text, confidence)``, letters and digits only.

    ``case=False`` answers in lower case. The confidence is a probability (0 to 1) from the
    models' output; see the module's docstring. Blocking and CPU-bound; thread-safe.

    >>> from tools.synth.captchas import clean_text_image  # doctest: +SKIP
    >>> read_captcha(Image.open(io.BytesIO(clean_text_image("ab3dE", seed=1))))  # doctest: +SKIP
    ('ab3dE', 0.98)
    """
    image = image.convert("RGB")
    found = readings(image, "whole")
    if settled(found, at_least=_SURE_TEXT, case=case):
        # About three in five real captchas end here (BENCHMARKS.md), at a third of the cost.
        return decide(found, case=case)
    rows = ink_crop(image, columns=_CROP_COLUMNS)
    found += readings(contrast_view(rows), "contrast")
    if not settled(found) and rows.size != image.size:
        found += readings(rows, "crop")
    return decide(found, case=case)
