"""Ensembles: one scenario and strategy over many seeds, run on every core.

:func:`ensemble` runs one strategy over many seeds; :func:`run_jobs` runs any list of
``(strategy, seed)`` jobs (``cmsim.compare`` puts every strategy's runs in one batch). Each run is
independent and fully determined by its inputs and seed, so the results are identical whether
the runs go serially, on threads or on processes (tested).

How runs are spread over cores (measured in ``docs/comparing.md``): the compiled daily step
holds Python's GIL, and a run spends about a third of its time in Python (weekly strategy calls,
building the tables), so threads gain little; runs go to a pool of forked worker processes,
created for the batch and closed after it. The first run goes in the calling process (it
compiles the kernels once, for every worker, and times a run: a batch too short to gain from
forking stays serial), and every run steps on one thread (:func:`cmsim.simulation.one_thread`).
Communities of at least ``THREADED_RUNS_FROM`` members run one at a time instead, each on every
core, as they would not fit many to a machine.
"""

from __future__ import annotations

import copy
import math
import os
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from cmsim.errors import CmsimError
from cmsim.metrics import bands as _bands
from cmsim.metrics import daily_series
from cmsim.run import LazyTables, TableSource
from cmsim.scenario import Scenario
from cmsim.simulation import Simulation, one_thread, resolve_scenario
from cmsim.strategies import StrategyLike, as_strategy
from cmsim.timeline import Intervention, as_interventions

__all__ = ["Ensemble", "ensemble", "run_jobs", "as_seeds", "guided_chunks", "BACKENDS", "PROGRESS_AFTER_S"]

#: How runs may be spread: ``auto`` (processes where the platform can fork, else threads),
#: ``serial``, ``thread`` or ``process``.
BACKENDS: tuple[str, ...] = ("auto", "serial", "thread", "process")
#: A progress bar appears when a batch is estimated to take longer than this (seconds).
PROGRESS_AFTER_S = 1.5
#: A batch estimated to take less than this (seconds) runs serially: forking would cost more.
SERIAL_BELOW_S = 0.08
#: Communities this large run one after another, each stepping on every core (smaller ones run
#: one per core, each on one thread: 1.9x on 2 cores, against 1.4x for one run on 2 threads).
THREADED_RUNS_FROM = 50_000


@dataclass
class Ensemble:
    """Runs of one scenario and strategy over many seeds.

    Keeps each run's daily table and summary (and member table only when asked), so hundreds
    of runs stay small in memory.

    Attributes
    ----------
    scenario, strategy : str
        Names. ``seeds``: the seeds, in run order.
    daily : sequence of pandas.DataFrame
        ``Run.daily`` of each run, each built the first time it is read (a
        :class:`~cmsim.run.LazyTables`; ``list(ens.daily)`` builds them all).
        ``summaries``: ``Run.summary`` of each run.
    events : list of dict
        Scenario events and interventions ``{day, label}`` (for plots).
    members : sequence of pandas.DataFrame or None
        ``Run.members`` of each run when ``keep_members=True`` (built on first read, like ``daily``).
    """

    scenario: str
    strategy: str
    seeds: list[int]
    daily: Sequence[pd.DataFrame]
    summaries: list[dict[str, float]]
    events: list[dict[str, Any]] = field(default_factory=list)
    members: Sequence[pd.DataFrame] | None = None

    def __len__(self) -> int:
        return len(self.seeds)

    def __repr__(self) -> str:
        return f"Ensemble({self.scenario!r}, {self.strategy!r}, runs={len(self)})"

    def to_frame(self) -> pd.DataFrame:
        """Tidy per-run summary: ``strategy``, ``seed`` and one column per summary metric."""
        df = pd.DataFrame(self.summaries)
        df.insert(0, "seed", np.asarray(self.seeds, dtype=np.int64))
        df.insert(0, "strategy", self.strategy)
        return df

    def values(self, metric: str) -> np.ndarray:
        """The summary ``metric`` of every run, in seed order."""
        return np.array([s.get(metric, np.nan) for s in self.summaries], dtype=float)

    def series(self, name: str) -> np.ndarray:
        """The daily series ``name`` of every run as ``float[runs, days]`` (see ``cmsim.metrics.SERIES``)."""
        return np.vstack([daily_series(d, name) for d in self.daily])

    def bands(self, series: Sequence[str] = ("members", "dau")) -> pd.DataFrame:
        """Daily median, 10-90% range and mean with 95% CI across seeds, one row per day and series.

        Examples
        --------
        >>> ens = ensemble("forum", "balanced", seeds=3, members=200, days=14, progress=False)
        >>> b = ens.bands(["members"])
        >>> list(b.columns)
        ['strategy', 'day', 'series', 'median', 'p10', 'p90', 'mean', 'ci_low', 'ci_high']
        >>> len(b)
        14
        """
        frames = []
        for name in series:
            stats = _bands(self.series(name))
            n = len(stats["mean"])
            frame = pd.DataFrame({"strategy": self.strategy, "day": np.arange(n), "series": name, **stats})
            frames.append(frame)
        return pd.concat(frames, ignore_index=True)


def as_seeds(seeds: int | Iterable[int]) -> list[int]:
    """``n`` -> seeds ``0..n-1``; an iterable of integers >= 0 -> that list.

    Examples
    --------
    >>> as_seeds(3), as_seeds([7, 9])
    ([0, 1, 2], [7, 9])
    """
    if isinstance(seeds, (int, np.integer)) and not isinstance(seeds, bool):
        if seeds < 1:
            raise CmsimError(f"the 'seeds' parameter must be a number of seeds >= 1; got {seeds!r}")
        return list(range(int(seeds)))
    try:
        out = list(seeds)  # type: ignore[arg-type]
    except TypeError:
        raise CmsimError(
            f"the 'seeds' parameter must be a number >= 1 or a list of integers >= 0; got {seeds!r}"
        ) from None
    bad = [s for s in out if isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 0]
    if not out or bad:
        raise CmsimError(
            f"the 'seeds' parameter must be a number >= 1 or a list of integers >= 0; got {seeds!r}"
        )
    if len(set(out)) != len(out):
        raise CmsimError(f"the 'seeds' parameter must not repeat a seed; got {out!r}")
    return [int(s) for s in out]


# --- running jobs --------------------------------------------------------------------------------
#: One run: (scenario, strategy, seed, interventions, keep_members).
Job = tuple[Scenario, Any, int, tuple[Intervention, ...], bool]
Result = tuple[TableSource, dict[str, float], list[dict[str, Any]], TableSource | None, str]

_JOBS: list[Job] = []  # the batch a forked worker reads (inherited, so strategies need not pickle)


def _run_job(job: Job) -> Result:
    sc, strategy, seed, interventions, keep = job
    try:  # every run gets its own copy of a stateful strategy object, whatever the backend
        strategy = copy.deepcopy(strategy)
    except Exception:
        pass
    run = Simulation(sc, strategy, seed=seed, interventions=interventions).run()
    daily, members = run.table_sources()  # tables are built where they are read, if ever
    return daily, run.summary, run.events, members if keep else None, run.strategy


def _run_indices(idx: Sequence[int]) -> list[tuple[int, Result]]:
    return [(i, _run_job(_JOBS[i])) for i in idx]


def _can_fork() -> bool:
    import multiprocessing as mp

    return sys.platform.startswith("linux") and "fork" in mp.get_all_start_methods()


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
    """Run every job and return their results in job order (identical whatever the backend)."""
    if backend not in BACKENDS:
        raise CmsimError(f"the 'backend' parameter must be one of {', '.join(BACKENDS)}; got {backend!r}")
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
        raise CmsimError(f"the 'workers' parameter must be an integer >= 1; got {workers!r}")
    n = len(jobs)
    workers = min(workers or default_workers(), n)
    results: list[Result | None] = [None] * n
    bar = _Progress(n, progress, desc)
    big = int(jobs[0][0].values["community.initial_members"]) >= THREADED_RUNS_FROM
    stack = ExitStack()
    try:
        if not big:
            stack.enter_context(one_thread())
        t0 = time.perf_counter()
        results[0] = _run_job(jobs[0])  # compiles once for all workers, and times a run
        per_run = time.perf_counter() - t0
        bar.update(1)
        if backend == "auto":
            short = per_run * (n - 1) < SERIAL_BELOW_S
            backend = "serial" if workers < 2 or big or short else "process" if _can_fork() else "thread"
        if backend == "process" and not _can_fork():
            backend = "thread"
        parallel = backend in ("thread", "process") and workers > 1
        if parallel:  # (also when asked for big communities: runs side by side use one core each)
            stack.enter_context(one_thread())
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
        stack.close()
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

    global _JOBS
    chunks = guided_chunks(rest, workers)
    _JOBS = list(jobs)
    try:
        with ProcessPoolExecutor(workers, mp_context=mp.get_context("fork")) as ex:
            futures = [ex.submit(_run_indices, c) for c in chunks]
            for f in as_completed(futures):
                for i, res in f.result():
                    results[i] = res
                bar.update(len(f.result()))
    finally:
        _JOBS = []


def make_jobs(
    scenario: Scenario,
    strategy: StrategyLike,
    seeds: Sequence[int],
    interventions: Iterable[Any] | None,
    keep_members: bool,
) -> list[Job]:
    """The jobs of one strategy over ``seeds`` (checks the strategy and interventions first)."""
    as_strategy(copy.copy(strategy) if not isinstance(strategy, (str, Mapping)) else strategy)
    ivs = tuple(as_interventions(interventions))
    return [(scenario, strategy, s, ivs, keep_members) for s in seeds]


def collect(scenario: Scenario, name: str, seeds: Sequence[int], results: Sequence[Result],
            keep_members: bool) -> Ensemble:  # fmt: skip
    """Gather the results of one strategy's runs into an :class:`Ensemble`."""
    events: dict[tuple[int, str], dict[str, Any]] = {}
    for r in results:
        for e in r[2]:
            events.setdefault((int(e["day"]), str(e["label"])), dict(e))
    return Ensemble(
        scenario=scenario.name,
        strategy=name,
        seeds=list(seeds),
        daily=LazyTables(r[0] for r in results),
        summaries=[r[1] for r in results],
        events=sorted(events.values(), key=lambda e: (e["day"], e["label"])),
        members=LazyTables(r[3] for r in results) if keep_members else None,  # type: ignore[misc]
    )


def ensemble(
    scenario: str | Scenario,
    strategy: StrategyLike = "balanced",
    *,
    seeds: int | Iterable[int] = 30,
    days: int | None = None,
    members: int | None = None,
    overrides: Mapping[str, Any] | None = None,
    interventions: Iterable[Any] | None = None,
    progress: bool | None = None,
    workers: int | None = None,
    backend: str = "auto",
    keep_members: bool = False,
) -> Ensemble:
    """Run one scenario and strategy over many seeds, on every core.

    Parameters
    ----------
    scenario : str or Scenario
        A shipped name, a YAML path or a loaded scenario.
    strategy : str, mapping, callable or object
        Anything ``cmsim.simulate`` accepts. Stateful objects are copied for every run.
    seeds : int or iterable of int, default 30
        ``n`` runs seeds ``0..n-1``; or the seeds themselves.
    days, members, overrides :
        As in ``cmsim.simulate``.
    interventions : iterable, optional
        One-off actions (:class:`~cmsim.timeline.Intervention`) applied to every run.
    progress : bool or None
        None shows a progress bar only when the runs look longer than ~1.5 s; False never.
    workers : int, optional
        Processes (or threads) to use; default every core this process may use.
    backend : {"auto", "serial", "thread", "process"}
        How runs are spread (results are identical whichever).
    keep_members : bool
        Keep every run's member table (memory grows with members x runs).

    Returns
    -------
    Ensemble

    Examples
    --------
    >>> ens = ensemble("forum", "balanced", seeds=4, members=300, days=30, progress=False)
    >>> len(ens), ens.seeds
    (4, [0, 1, 2, 3])
    >>> ens.to_frame().loc[1, "strategy"], int(ens.to_frame().loc[1, "seed"])
    ('balanced', 1)
    """
    sc = resolve_scenario(scenario, days=days, members=members, overrides=overrides)
    seed_list = as_seeds(seeds)
    jobs = make_jobs(sc, strategy, seed_list, interventions, keep_members)
    results = run_jobs(jobs, workers=workers, backend=backend, progress=progress, desc=str(sc.name))
    name = strategy if isinstance(strategy, str) else results[0][4]
    return collect(sc, name, seed_list, results, keep_members)
