"""The lab's runner: the newest request wins, stale work stops early, errors keep the last result."""

from __future__ import annotations

import threading
import time

from cmsim.widgets.runner import Runner, TooSlow


class Recorder:
    def __init__(self) -> None:
        self.published: list[tuple] = []
        self.failed: list[tuple] = []
        self.busy: list[bool] = []
        self.started: list = []
        self.stopped: list = []

    def compute(self, request, check):
        self.started.append(request)
        steps, value = request
        for _ in range(steps):
            time.sleep(0.02)
            try:
                check()
            except BaseException:
                self.stopped.append(request)
                raise
        if value == "boom":
            raise ValueError("bad value\nsecond line")
        return value

    def runner(self, **kw) -> Runner:
        return Runner(
            self.compute,
            lambda r, v: self.published.append((r, v)),
            lambda r, e: self.failed.append((r, e)),
            self.busy.append,
            **kw,
        )


def test_newest_request_wins_and_stale_one_stops_early():
    rec = Recorder()
    r = rec.runner(debounce=0.0)
    r.submit((30, "old"))  # 0.6 s of work
    time.sleep(0.1)  # it has started
    r.submit((2, "new"))
    assert r.wait(5)
    assert [v for _, v in rec.published] == ["new"]
    assert (30, "old") in rec.stopped  # stopped at its next check, long before its 30 steps
    assert rec.busy[0] is True and rec.busy[-1] is False
    r.close()


def test_stale_result_is_dropped_even_when_it_finishes():
    # a computation that never checks: its result arrives after a newer request and must be dropped
    published = []
    gate = threading.Event()

    def compute(request, check):
        if request == "old":
            gate.wait(5)
        return request

    r = Runner(compute, lambda req, v: published.append(v), lambda req, e: None, debounce=0.0)
    r.submit("old")
    time.sleep(0.05)
    r.submit("new")
    gate.set()
    assert r.wait(5)
    assert published == ["new"]
    r.close()


def test_debounce_runs_once_for_a_burst():
    rec = Recorder()
    r = rec.runner(debounce=0.15)
    for i in range(6):
        r.submit((1, i))
        time.sleep(0.02)
    assert r.wait(5)
    assert rec.started == [(1, 5)]
    assert rec.published == [((1, 5), 5)]
    r.close()


def test_error_goes_to_fail_and_keeps_the_published_result():
    rec = Recorder()
    r = rec.runner(debounce=0.0)
    r.submit((1, "good"))
    r.wait(5)
    r.submit((1, "boom"))
    r.wait(5)
    assert [v for _, v in rec.published] == ["good"]
    assert len(rec.failed) == 1 and isinstance(rec.failed[0][1], ValueError)
    r.close()


def test_run_time_cap():
    rec = Recorder()
    r = rec.runner(debounce=0.0, max_seconds=0.1)
    r.submit((50, "slow"))
    assert r.wait(5)
    assert rec.published == [] and isinstance(rec.failed[0][1], TooSlow)
    r.close()
