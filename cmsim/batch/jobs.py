"""Running a batch of run specs on every core: the backends, the progress bar, the chunking.

:func:`run_jobs` runs any list of :class:`~cmsim.RunSpec` and returns their results in order.
Each run is independent and fully determined by its spec, so the results are identical whether
the runs go serially, on threads or on processes (tested).

How runs are spread over cores (measured in ``docs/comparing.md``): the compiled kernels
release Python's GIL, but a run spends a fifth of its time or more in Python (building the
graph and the tables, a dashboard strategy's weekly calls), which threads take turns at. So a
short batch (under ``THREADS_BELOW_S`` of runs a worker) goes on threads: no pool to fork, and
the steady starts it draws stay remembered in this process (``cmsim.start_cache``) for the next
batch of the same seeds; a longer one goes to a pool of forked worker processes, created for the
batch and closed after it. The first run goes in the calling process (it compiles the kernels
once, for every worker, and times a run: a batch too short to gain from spreading stays serial),
and every run steps on one thread (``RunSpec.threads = 1``).
Communities of at least ``THREADED_RUNS_FROM`` members run one at a time instead, each on every
core, as they would not fit many to a machine. A batch started from any thread but the main one
(a widget's, a Dask worker's) never forks: it runs on threads there. Nor does ``backend="auto"``
fork from a notebook's kernel (a Jupyter kernel's own threads and sockets do not survive a fork
safely): there its runs go on threads, and only ``backend="process"``, asked for by name, forks.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import os
import sys
import threading
import time
from collections.abc import Sequence
from typing import Any

from cmsim.inputs import check_choice, check_int
from cmsim.run import TableSource
from cmsim.spec import RunSpec

__all__ = [
    "Job", "Result", "run_jobs", "guided_chunks", "default_workers", "in_kernel", "BACKENDS", "PROGRESS_AFTER_S",
]  # fmt: skip

#: How runs may be spread: ``auto`` (threads for a short batch; processes for a longer one where
#: the platform can fork and this is not a notebook's kernel, else threads), ``serial``,
#: ``thread`` or ``process``.
BACKENDS: tuple[str, ...] = ("auto", "serial", "thread", "process")
#: A progress bar appears when a batch is estimated to take longer than this (seconds).
PROGRESS_AFTER_S = 1.5
#: A batch estimated to take less than this (seconds) runs serially: spreading would cost more.
SERIAL_BELOW_S = 0.08
#: A batch estimated to take less than this (seconds) a worker runs on threads, even where it
#: could fork: forking a pool costs tens of milliseconds and forgets the starts its workers draw.
THREADS_BELOW_S = 2.0
#: Communities this large run one after another, each stepping on every core (smaller ones run
#: one per core, each on one thread: 1.9x on 2 cores, against 1.4x for one run on 2 threads).
THREADED_RUNS_FROM = 50_000

#: One run: its spec, and whether to keep its member table.
Job = tuple[RunSpec, bool]
#: What a run sends back: daily table (or its builder), summary, events, members (or None), strategy name.
Result = tuple[TableSource, dict[str, float], list[dict[str, Any]], TableSource | None, str]

_worker_jobs: list[Job] = []  # set in a forked worker only (by _init_worker): the batch it reads


def _run_job(job: Job) -> Result:
    spec, keep = job
    try:  # every run gets its own copy of a stateful strategy object, whatever the backend
        spec = copy.deepcopy(spec)
    except Exception:
        pass
    run = spec.run()
    daily, members = run.table_sources()  # tables are built where they are read, if ever
    return daily, run.summary, run.events, members if keep else None, run.strategy


def _init_worker(jobs: list[Job]) -> None:
    global _worker_jobs
    _worker_jobs = jobs  # (inherited through the fork: the strategies need not pickle)


def _run_indices(idx: Sequence[int]) -> list[tuple[int, Result]]:
    return [(i, _run_job(_worker_jobs[i])) for i in idx]


def _can_fork() -> bool:
    import multiprocessing as mp

    return (
        sys.platform.startswith("linux")
        and "fork" in mp.get_all_start_methods()
        and threading.current_thread() is threading.main_thread()
    )


def in_kernel() -> bool:
    """Whether this process is a Jupyter (IPython) kernel: a notebook's, a Voila page's.

    Such a process runs threads of its own (heartbeat, output, control) over ZMQ sockets, which a
    forked child inherits in whatever state they were; so ``backend="auto"`` never forks there.
    """
    if "ipykernel" not in sys.modules:  # a kernel has imported it; cmsim never does
        return False
    try:
        from ipykernel.kernelapp import IPKernelApp

        return bool(IPKernelApp.initialized())
    except Exception:  # an unusual ipykernel: assume a kernel, and do not fork
        return True


def _one_thread(jobs: Sequence[Job]) -> list[Job]:
    """The jobs, each stepping on one thread unless its spec names a thread count."""
    return [(s if s.threads is not None else dataclasses.replace(s, threads=1), k) for s, k in jobs]


def default_workers() -> int:
    """Cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


class _Progress:
    """A tqdm bar (notebook-aware) that appears once a batch looks longer than ``PROGRESS_AFTER_S``."""

    def __init__(self, total: int, progress: bool | None, desc: str) -> None:
        self.total, self.mode, self.desc = total, progress, desc
        self.done, self.t0, self.bar = 0, time.perf_counter(), None
        if progress is True:
            self._open()

    def _open(self) -> None:
        from tqdm.auto import tqdm

        self.bar = tqdm(total=self.total, initial=self.done, desc=self.desc, unit="run", leave=False)

    def estimate(self, seconds: float) -> None:
        """Open the bar now if the whole batch is estimated to take longer than ``PROGRESS_AFTER_S``."""
        if self.bar is None and self.mode is None and self.done < self.total and seconds > PROGRESS_AFTER_S:
            self._open()

    def update(self, k: int) -> None:
        self.done += k
        if self.bar is None and self.mode is None and self.done < self.total:
            elapsed = time.perf_counter() - self.t0  # the first estimate may have been too low
            if elapsed > PROGRESS_AFTER_S and elapsed / self.done * self.total > 1.5 * PROGRESS_AFTER_S:
                self._open()
                return
        if self.bar is not None:
            self.bar.update(k)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def run_jobs(
    jobs: Sequence[Job],
    *,
    workers: int | None = None,
    backend: str = "auto",
    progress: bool | None = None,
    desc: str = "runs",
) -> list[Result]:
    """Run every job and return their results in job order (identical whatever the backend).

    ``backend="auto"`` runs them serially when the batch is short, else on a pool of forked
    processes, or on threads where forking is not safe (a thread other than the main one, a
    notebook's kernel: :func:`in_kernel`); ``"process"`` forks even in a kernel (asked for by
    name), but not from another thread.
    """
    check_choice("backend", backend, BACKENDS)
    if workers is not None:
        workers = check_int("workers", workers, 1)
    n = len(jobs)
    workers = min(workers or default_workers(), n)
    results: list[Result | None] = [None] * n
    bar = _Progress(n, progress, desc)
    big = jobs[0][0].members >= THREADED_RUNS_FROM
    if not big:
        jobs = _one_thread(jobs)
    try:
        if backend == "thread" and workers > 1 and n > 1:
            # threads asked for by name: nothing to decide, and threads share the compiled
            # kernels, so every run goes on the pool at once (the lab's chunks of runs)
            _threads(_one_thread(jobs), list(range(n)), workers, results, bar)
            return results  # type: ignore[return-value]
        t0 = time.perf_counter()
        results[0] = _run_job(jobs[0])  # compiles once for all workers, and times a run
        per_run = time.perf_counter() - t0
        bar.update(1)
        if backend == "auto":
            short = per_run * (n - 1) < SERIAL_BELOW_S
            brief = per_run * (n - 1) / workers < THREADS_BELOW_S
            forks = _can_fork() and not in_kernel() and not brief  # never behind a notebook's back
            backend = "serial" if workers < 2 or big or short else "process" if forks else "thread"
        if backend == "process" and not _can_fork():
            backend = "thread"
        parallel = backend in ("thread", "process") and workers > 1
        if parallel:  # (also when asked for big communities: runs side by side use one core each)
            jobs = _one_thread(jobs)
        bar.estimate(per_run * (1 + (n - 1) / (workers if parallel else 1)))
        rest = list(range(1, n))
        if backend == "serial" or workers < 2 or not rest:
            for i in rest:
                results[i] = _run_job(jobs[i])
                bar.update(1)
        elif backend == "thread":
            _threads(jobs, rest, workers, results, bar)
        else:
            _processes(jobs, rest, workers, results, bar)
    finally:
        bar.close()
    return results  # type: ignore[return-value]


def _threads(jobs: Sequence[Job], rest: list[int], workers: int, results: list, bar: _Progress) -> None:
    from concurrent.futures import ThreadPoolExecutor, as_completed

    with ThreadPoolExecutor(workers) as ex:
        futures = {ex.submit(_run_job, jobs[i]): i for i in rest}
        for f in as_completed(futures):
            results[futures[f]] = f.result()
            bar.update(1)


def guided_chunks(items: Sequence[int], workers: int) -> list[list[int]]:
    """``items`` in order, cut into the pieces a pool of ``workers`` processes takes one at a time:
    each piece is ``1 / (2 * workers)`` of what is left (at least one item).

    Large first pieces keep the round trips few; the last ones hold single runs, so the workers
    finish together. Four equal pieces a worker left one worker running alone for up to a piece
    (25 runs, 0.23 s) at the end: 200 runs on 2 cores went 1.77 -> 1.79, 1.85 -> 1.86,
    1.87 -> 1.88 and 1.85 -> 1.88 times one core in four interleaved comparisons.

    Examples
    --------
    >>> [len(c) for c in guided_chunks(list(range(40)), 2)]
    [10, 8, 6, 4, 3, 3, 2, 1, 1, 1, 1]
    """
    out: list[list[int]] = []
    k = 0
    while k < len(items):
        size = max(1, math.ceil((len(items) - k) / (2 * workers)))
        out.append(list(items[k : k + size]))
        k += size
    return out


def _processes(jobs: Sequence[Job], rest: list[int], workers: int, results: list, bar: _Progress) -> None:
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor, as_completed

    chunks = guided_chunks(rest, workers)
    ctx = mp.get_context("fork")
    with ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_worker, initargs=(list(jobs),)) as ex:
        futures = [ex.submit(_run_indices, c) for c in chunks]
        for f in as_completed(futures):
            for i, res in f.result():
                results[i] = res
            bar.update(len(f.result()))
