"""Plain data shared by the embedded engine's parts: pages, words and boxes.

``pages.py`` produces :class:`Page` objects (from a PDF's text layer or from OCR);
``invoice.py`` turns them into DocAI-style results; ``app.py`` serves both.
Coordinates are in points of the page (PDF) or pixels (images), origin top-left, y downwards.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Word:
    """One word (no spaces inside) with its box on the page."""

    text: str
    x0: float
    y0: float
    x1: float
    y1: float
    confidence: float = 1.0

    @property
    def cx(self) -> float:
        """Horizontal centre."""
        return (self.x0 + self.x1) / 2

    @property
    def cy(self) -> float:
        """Vertical centre."""
        return (self.y0 + self.y1) / 2

    @property
    def height(self) -> float:
        """Box height."""
        return self.y1 - self.y0


@dataclass(slots=True)
class Page:
    """One page of a document: its 1-based number, its size, and its words in reading order."""

    number: int
    width: float
    height: float
    words: list[Word] = field(default_factory=list)
    # "text-layer" when the words came from a PDF's own text, "ocr" when they were recognised.
    origin: str = "text-layer"
    # How the text lines slope (dy/dx) as the OCR's detector outlined them; None when unknown
    # (a text layer, or too few long lines): the reader then measures it from the words.
    skew: float | None = None
