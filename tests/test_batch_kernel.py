"""A batch started in a notebook's kernel never forks unless asked to (``cmsim.batch.jobs``).

A Jupyter kernel runs threads of its own over ZMQ sockets, which a forked child inherits in
whatever state they were; ``backend="auto"`` therefore uses threads there. The kernel is
simulated by what ``in_kernel`` reads: an imported ``ipykernel`` whose ``IPKernelApp`` has been
started.
"""

from __future__ import annotations

import sys
import types

import pandas as pd
import pytest

import cmsim
from cmsim.batch import jobs

KW = dict(seeds=3, progress=False, members=120, days=10, workers=2)


def _as_if_in_a_kernel(monkeypatch, started: bool = True) -> None:
    app = type("IPKernelApp", (), {"initialized": staticmethod(lambda: started)})
    package = types.ModuleType("ipykernel")
    kernelapp = types.ModuleType("ipykernel.kernelapp")
    kernelapp.IPKernelApp = app  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "ipykernel", package)
    monkeypatch.setitem(sys.modules, "ipykernel.kernelapp", kernelapp)


@pytest.fixture
def backends(monkeypatch):
    """Which pool each batch used (the pools still run: results are compared)."""
    used: list[str] = []
    threads, processes = jobs._threads, jobs._processes
    monkeypatch.setattr(jobs, "_threads", lambda *a: used.append("thread") or threads(*a))
    monkeypatch.setattr(jobs, "_processes", lambda *a: used.append("process") or processes(*a))
    monkeypatch.setattr(jobs, "SERIAL_BELOW_S", 0.0)  # never too short to spread
    monkeypatch.setattr(jobs, "THREADS_BELOW_S", 0.0)  # never too short to fork
    return used


def test_in_kernel_reads_a_started_ipykernel(monkeypatch):
    monkeypatch.delitem(sys.modules, "ipykernel", raising=False)
    assert not jobs.in_kernel()  # a script, a terminal, this test run
    _as_if_in_a_kernel(monkeypatch, started=False)
    assert not jobs.in_kernel()  # ipykernel imported, but no kernel started (a library's import)
    _as_if_in_a_kernel(monkeypatch, started=True)
    assert jobs.in_kernel()
    monkeypatch.setitem(sys.modules, "ipykernel.kernelapp", types.ModuleType("ipykernel.kernelapp"))
    assert jobs.in_kernel()  # an ipykernel without IPKernelApp: assume a kernel, do not fork


@pytest.mark.skipif(not jobs._can_fork(), reason="needs fork")
def test_auto_forks_from_a_script_but_uses_threads_in_a_kernel(monkeypatch, backends):
    monkeypatch.delitem(sys.modules, "ipykernel", raising=False)
    script = cmsim.ensemble("forum", "balanced", **KW)
    _as_if_in_a_kernel(monkeypatch)
    notebook = cmsim.ensemble("forum", "balanced", **KW)
    compared = cmsim.compare("forum", ["balanced", "absent"], **KW)
    assert backends == ["process", "thread", "thread"]
    for a, b in zip(script.daily, notebook.daily, strict=True):
        pd.testing.assert_frame_equal(a, b)  # the same runs, whoever ran them
    assert len(compared.summary) > 0


@pytest.mark.skipif(not jobs._can_fork(), reason="needs fork")
def test_auto_runs_a_brief_batch_on_threads_even_from_a_script(monkeypatch, backends):
    # a batch of under THREADS_BELOW_S of runs a worker: no pool is forked, and the starts its
    # runs drew stay in this process for the next batch of the same seeds
    monkeypatch.delitem(sys.modules, "ipykernel", raising=False)
    monkeypatch.setattr(jobs, "THREADS_BELOW_S", 60.0)
    cmsim.start_cache.clear()
    brief = cmsim.ensemble("forum", "balanced", **KW)
    assert backends == ["thread"]
    assert len(cmsim.start_cache._CACHE) == 3  # each seed's start, remembered here
    monkeypatch.setattr(jobs, "THREADS_BELOW_S", 0.0)
    forked = cmsim.ensemble("forum", "balanced", **KW)
    assert backends == ["thread", "process"]
    for a, b in zip(brief.daily, forked.daily, strict=True):
        pd.testing.assert_frame_equal(a, b)


@pytest.mark.skipif(not jobs._can_fork(), reason="needs fork")
def test_process_asked_for_by_name_still_forks_in_a_kernel(monkeypatch, backends):
    _as_if_in_a_kernel(monkeypatch)
    cmsim.ensemble("forum", "balanced", backend="process", **KW)
    cmsim.ensemble("forum", "balanced", backend="serial", **KW)
    assert backends == ["process"]


CELL = """
import cmsim
from cmsim.batch import jobs
used = []
threads, processes = jobs._threads, jobs._processes
jobs._threads = lambda *a: used.append("thread") or threads(*a)
jobs._processes = lambda *a: used.append("process") or processes(*a)
jobs.SERIAL_BELOW_S = 0.0
cmsim.ensemble("forum", "balanced", seeds=3, members=120, days=10, workers=2, progress=False)
print(jobs.in_kernel(), used)
"""


@pytest.mark.skipif(not jobs._can_fork(), reason="needs fork")
def test_a_real_notebook_kernel_spreads_runs_on_threads(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(CELL)])
    nbclient.NotebookClient(nb, kernel_name="python3", timeout=300,
                            resources={"metadata": {"path": str(tmp_path)}}).execute()  # fmt: skip
    assert nb.cells[0].outputs[-1]["text"].strip() == "True ['thread']"
