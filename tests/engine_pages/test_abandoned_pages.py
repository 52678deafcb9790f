"""A document nobody will collect stops between pages, and the OCR workers see its stop token."""

from __future__ import annotations

import pytest

from ocrframe.engine import ocr
from ocrframe.engine.cancel import Abandoned, StopToken, checkpoint, pause, watching
from ocrframe.engine.pages import load_pages
from tests.makers import tiny_pdf, tiny_tiff


class StopAfter(StopToken):
    """A token that stops itself on its look number ``looks + 1``: "the client left here"."""

    def __init__(self, looks: int) -> None:
        super().__init__()
        self.allowed = looks
        self.looks = 0

    @property
    def stopped(self) -> bool:
        self.looks += 1
        if self.looks > self.allowed:
            self.stop("the client left")
        return super().stopped


def test_a_document_stops_at_the_next_page() -> None:
    pdf = tiny_pdf("one", "two", "three")
    with watching(StopAfter(3)):
        assert [p.number for p in load_pages(pdf)] == [1, 2, 3]  # one look per page
    for looks in (0, 1, 2):  # gone before page 1, 2 or 3: the next page is not started
        with watching(StopAfter(looks)), pytest.raises(Abandoned, match="the client left"):
            load_pages(pdf)


def test_a_stopped_scan_is_not_read_and_workers_see_the_token() -> None:
    token = StopToken()
    token.stop("nobody polls")
    with watching(token):
        with pytest.raises(Abandoned, match="nobody polls"):
            load_pages(tiny_tiff("one", "two"))
        # A function run on an OCR worker runs in the submitter's context.
        assert isinstance(ocr.submit(checkpoint).exception(timeout=120), Abandoned)
    assert ocr.submit(checkpoint).result(timeout=120) is None  # outside: no token, no stop


def test_idle_tokens_stop_by_themselves_and_touches_keep_them() -> None:
    idle = StopToken(idle_s=3600, idle_reason="not polled")
    idle.touch()
    assert not idle.stopped and idle.reason is None
    assert StopToken(idle_s=0, idle_reason="not polled").reason == "not polled"
    stopped = StopToken()
    stopped.stop("first")
    stopped.stop("second")
    with watching(stopped), pytest.raises(Abandoned, match="first"):
        pause(3600)  # an abandoned pause ends at once
