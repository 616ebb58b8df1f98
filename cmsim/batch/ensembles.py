"""Ensembles: one scenario and strategy over many seeds, run on every core.

:func:`ensemble` runs one strategy over many seeds as a batch of run specs
(:func:`cmsim.batch.jobs.run_jobs` spreads them over the cores; ``cmsim.compare`` puts every
strategy's runs in one batch). Results are identical whichever the backend.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from cmsim.batch.jobs import Job, Result, run_jobs
from cmsim.errors import ArgumentError
from cmsim.metrics import bands as _bands
from cmsim.metrics import daily_series
from cmsim.run import LazyTables
from cmsim.scenario import Scenario, resolve_scenario
from cmsim.spec import RunSpec
from cmsim.strategies import StrategyLike, as_strategy
from cmsim.timeline import as_interventions

__all__ = ["Ensemble", "ensemble", "as_seeds", "make_jobs", "collect"]


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
            raise ArgumentError(f"the 'seeds' parameter must be a number of seeds >= 1; got {seeds!r}")
        return list(range(int(seeds)))
    try:
        out = list(seeds)  # type: ignore[arg-type]
    except TypeError:
        raise ArgumentError(
            f"the 'seeds' parameter must be a number >= 1 or a list of integers >= 0; got {seeds!r}"
        ) from None
    bad = [s for s in out if isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 0]
    if not out or bad:
        raise ArgumentError(
            f"the 'seeds' parameter must be a number >= 1 or a list of integers >= 0; got {seeds!r}"
        )
    if len(set(out)) != len(out):
        raise ArgumentError(f"the 'seeds' parameter must not repeat a seed; got {out!r}")
    return [int(s) for s in out]


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
    v = scenario.values
    days, members = int(v["community.days"]), int(v["community.initial_members"])
    return [(RunSpec(scenario, strategy, s, days, members, ivs), keep_members) for s in seeds]


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
        members=LazyTables(r[3] for r in results if r[3] is not None) if keep_members else None,
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
        How runs are spread (results are identical whichever). ``"auto"`` forks a pool of worker
        processes for a long batch, except in a notebook's kernel or from a thread other than
        the main one: there it uses threads (a kernel's own threads and sockets do not survive a
        fork safely). ``"process"`` forks even in a kernel.
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
