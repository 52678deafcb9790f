"""The page orientation verdict from the angle classifier's look at a page's longest lines."""

from __future__ import annotations

from ocrframe.engine.ocr import _orientation


def _quad(x0: float, y0: float, x1: float, y1: float) -> list[list[float]]:
    return [[x0, y0], [x1, y0], [x1, y1], [x0, y1]]


def test_flipped_share_counts_only_the_lines_the_classifier_judged() -> None:
    boxes = [_quad(0, 0, 400, 20), _quad(0, 30, 300, 50), _quad(0, 60, 50, 80)]
    # Only the two long lines were classified, both upside down: the page is upside down even
    # though the short third line was never looked at.
    vertical, flipped = _orientation(boxes, {0: ("180", 0.99), 1: ("180", 0.95)})
    assert vertical == 0.0
    assert flipped == 1.0


def test_unsure_or_upright_verdicts_do_not_flip_the_page() -> None:
    boxes = [_quad(0, 0, 400, 20), _quad(0, 30, 300, 50)]
    _, flipped = _orientation(boxes, {0: ("180", 0.5), 1: ("0", 0.99)})
    assert flipped == 0.0
    _, none_judged = _orientation(boxes, {})
    assert none_judged == 0.0


def test_standing_lines_make_the_page_vertical() -> None:
    boxes = [_quad(0, 0, 20, 400), _quad(30, 0, 50, 300), _quad(0, 500, 100, 520)]
    vertical, _ = _orientation(boxes, {})
    assert vertical == 700 / 800


def test_the_slope_of_a_page_s_lines_from_the_detector_s_outlines() -> None:
    from ocrframe.engine.ocr import _skew

    def quad(x: float, y: float, width: float, slope: float) -> list[list[float]]:
        # corners clockwise from the top left of a line 20 high, rising by slope per unit of x
        return [
            [x, y],
            [x + width, y + slope * width],
            [x + width, y + slope * width + 20],
            [x, y + 20],
        ]

    lines = [quad(10, 40 * i, 300, 0.03) for i in range(4)] + [quad(10, 200, 30, -0.5)]
    assert abs((_skew(lines) or 0.0) - 0.03) < 1e-9  # the short line (a word) does not count
    assert _skew(lines[:2]) is None  # two long lines are too few to tell


def test_the_words_of_a_sloping_line_slope_with_it() -> None:
    from ocrframe.engine.ocr import OcrLine, _word_boxes

    # a line 20 high falling by 0.05 per unit of x; each word's quad as RapidOCR gives it
    outline = [[0.0, 0.0], [400.0, 20.0], [400.0, 40.0], [0.0, 20.0]]
    line = OcrLine("TOTAL 10.60", 0, 0, 400, 40, 0.9)
    detail = [
        ("TOTAL", 0.9, [[0, 0], [80, 4], [80, 24], [0, 20]]),
        ("10.60", 0.9, [[320, 16], [400, 20], [400, 40], [320, 36]]),
    ]
    label, amount = _word_boxes(line, detail, outline) or []
    assert (label.y0, label.y1) == (0.0, 24.0)  # the line's band over the word, not its box
    assert (amount.y0, amount.y1) == (16.0, 40.0)
    flat = _word_boxes(line, detail) or []
    assert [(w.y0, w.y1) for w in flat] == [(0.0, 40.0), (0.0, 40.0)]  # no outline: the box
