"""The engine's work queue (in order, dead work skipped) and its kept answers (TTL and cap)."""

from __future__ import annotations

import threading
from functools import partial
from typing import Any

import pytest

from ocrframe.engine.cancel import Abandoned, StopToken
from ocrframe.engine.work import Kept, WorkPool


def test_queued_work_runs_in_order_and_dead_work_is_skipped() -> None:
    pool = WorkPool(workers=1)
    gate = threading.Event()
    order: list[str] = []

    def step(name: str) -> str:
        order.append(name)
        return name

    def held() -> str:
        assert gate.wait(60), "the test never opened the gate"
        return step("first")

    first = pool.submit(held, token=StopToken())
    queued = {n: pool.submit(partial(step, n), token=StopToken()) for n in ("a", "b", "c", "d")}
    queued["b"].abandon("the client disconnected")
    late = StopToken()
    late_work = pool.submit(lambda: step("late"), token=late)
    late.stop("not polled")  # stopped while queued, without being taken off: skipped at its turn
    gate.set()
    assert [queued[n].future.result(timeout=60) for n in "acd"] == ["a", "c", "d"]
    assert isinstance(late_work.future.exception(timeout=60), Abandoned)
    assert first.future.result(timeout=60) == "first"
    assert order == ["first", "a", "c", "d"]
    works = [first, *queued.values(), late_work]
    assert [w.outcome for w in works] == [
        "done",
        "done",
        "dropped",
        "done",
        "done",
        "dropped",
    ]
    assert queued["b"].future.cancelled()
    assert pool.counts() == {
        "submitted": 6,
        "started": 4,
        "finished": 4,
        "dropped": 2,
        "stopped": 0,
    }


def test_kept_answers_expire_after_they_are_settled_and_the_oldest_go_past_the_cap() -> None:
    capped: Kept[str] = Kept(ttl_s=3600, limit=2, what="results")
    for key in "abc":
        capped.put(key, key.upper(), settled=True)
    assert [capped.get(k) for k in "abc"] == [None, "B", "C"]
    assert capped.why_gone("a") == "dropped: the engine keeps at most 2 results"
    assert capped.why_gone("zzz") is None
    instant: Kept[str] = Kept(ttl_s=0, limit=10, what="results")
    instant.put("running", "job", settled=False)
    assert instant.get("running") == "job"  # not expired while it is being worked on
    instant.settle("running")
    assert instant.get("running") is None and instant.expired == 1
    assert instant.why_gone("running") == "expired: results are kept 0 s after they are ready"
    assert len(instant) == 0


@pytest.mark.parametrize("name", ["unpolled_timeout_s", "result_ttl_s"])
def test_engine_settings_are_checked(name: str) -> None:
    from ocrframe.engine.app import EngineConfig

    bad: dict[str, Any] = {name: -1.0}
    with pytest.raises(ValueError, match=name):
        EngineConfig(**bad)
