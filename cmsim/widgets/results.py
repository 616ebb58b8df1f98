"""From a :class:`~cmsim.widgets.state.LabSpec` to the numbers the lab shows, fast.

:func:`compute` resolves the scenario, checks the strategies against the manager's budget, runs
every strategy over the seeds in chunks (checking between chunks whether a newer request has
superseded this one), and computes the daily median and 10-90% band of each charted metric with
one numpy call per metric and strategy (``Comparison.bands`` and ``Comparison.plot`` do much
more and take about ten times as long). It uses the public API only.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

import cmsim
from cmsim.batch import default_workers
from cmsim.errors import CmsimError
from cmsim.widgets.state import LabSpec

__all__ = ["LabResult", "compute", "resolve", "CHART_METRICS", "TABLE_METRICS", "CRISIS", "PLATFORM_SHIFT"]


@dataclass(frozen=True)
class ChartMetric:
    """A metric the lab can draw over time: its daily series, title, percent or not, better direction."""

    series: str
    title: str
    percent: bool
    better: int


#: Metrics the lab draws over time (name -> how).
CHART_METRICS: dict[str, ChartMetric] = {
    "newcomer_retention_30d": ChartMetric(
        "newcomer_retention_30d", "Newcomers still active after 30 days (%)", True, +1
    ),
    "final_members": ChartMetric("members", "Members", False, +1),
    "mean_dau": ChartMetric("dau", "Daily active members", False, +1),
    "answered_share": ChartMetric("answered_share", "Questions answered, last 7 days (%)", True, +1),
    "toxic_share": ChartMetric("toxic_share", "Toxic posts, last 7 days (%)", True, -1),
    "spam_share": ChartMetric("spam_share", "Spam posts, last 7 days (%)", True, -1),
    "burnout_days": ChartMetric("burnout_days", "Days the manager was burned out (so far)", False, -1),
}

#: Metrics the difference table reports (those a manager asks about first).
TABLE_METRICS: tuple[str, ...] = (
    "newcomer_retention_30d", "final_members", "mean_dau", "answered_share", "toxic_share",
    "health_index", "burnout_days",
)  # fmt: skip

#: The scenario events the lab's crisis and platform-shift switches add (as in the shipped scenarios).
CRISIS = {"type": "product_crisis", "duration": 21, "magnitude": 0.3}
PLATFORM_SHIFT = {"type": "algorithm_change", "duration": 1, "magnitude": 0.4}

#: Rounds of runs (one run a worker thread each) between two checks for a newer request: a chunk
#: of seeds is a whole number of rounds, so no thread waits idle for the chunk's last run.
CHUNK_ROUNDS = 3


@dataclass
class LabResult:
    """What one computation produced.

    Attributes
    ----------
    spec : LabSpec
        The request it answers.
    scenario : cmsim.Scenario
        The scenario as run (size, knobs and events applied).
    comparison : cmsim.Comparison
        Every run, paired by seed.
    days : numpy.ndarray
        Day numbers of the charts.
    bands : dict
        ``bands[metric][strategy]`` = float array ``(3, days)``: p10, median, p90.
    seconds : float
        Wall time of the computation.
    """

    spec: LabSpec
    scenario: Any
    comparison: Any
    days: np.ndarray
    bands: dict[str, dict[str, np.ndarray]]
    seconds: float
    _summary: Any = None

    @property
    def summary(self) -> Any:
        """``comparison.summary``, computed once (the answer and the table both read it)."""
        if self._summary is None:
            self._summary = self.comparison.summary
        return self._summary


def resolve(spec: LabSpec) -> Any:
    """The scenario of ``spec`` as it will run: loaded, knobs, size, crisis and shift applied."""
    base = spec.scenario if isinstance(spec.scenario, cmsim.Scenario) else cmsim.load_scenario(spec.scenario)
    over: dict[str, Any] = dict(spec.overrides)
    if spec.members is not None:
        over["community.initial_members"] = spec.members
    if spec.days is not None:
        over["community.days"] = spec.days
    events = base.events
    for day, ev in ((spec.crisis_day, CRISIS), (spec.platform_shift_day, PLATFORM_SHIFT)):
        if day is not None:
            events.append({**ev, "day": int(day)})
    if len(events) != len(base.events):
        over["events"] = events
    return base.with_overrides(over, source="lab") if over else base


def check_budget(spec: LabSpec, budget: float) -> None:
    """One line naming the first strategy whose hours exceed the team's weekly ``budget``."""
    for name, s in spec.strategies.items():
        if isinstance(s, Mapping):
            total = float(sum(float(v) for v in s.values()))
            if total > budget + 1e-9:
                raise CmsimError(
                    f"strategy {name!r} uses {total:g} hours a week, {total - budget:g} more than the team's "
                    f"budget of {budget:g} (managers x hours): take hours off a lever or raise the budget"
                )


def interventions(spec: LabSpec) -> list[Any]:
    """The spec's interventions as ``cmsim.Intervention`` objects."""
    out = []
    for iv in spec.interventions:
        out.append(cmsim.Intervention(int(iv["day"]), str(iv["kind"]), iv.get("value"), iv.get("strategy")))
    return out


class _Chain(Sequence):
    """The daily tables of several ensembles, read as one sequence (each built when first read)."""

    def __init__(self, parts: Sequence[Sequence[Any]]) -> None:
        self._index = [(p, i) for p in parts for i in range(len(p))]

    def __len__(self) -> int:
        return len(self._index)

    def __getitem__(self, k: Any) -> Any:
        if isinstance(k, slice):
            return [self[j] for j in range(*k.indices(len(self)))]
        part, i = self._index[k]
        return part[i]

    def __iter__(self) -> Iterator[Any]:
        return (p[i] for p, i in self._index)


def _ensemble(sc: Any, name: str, strategy: Any, seeds: list[int], ivs: list[Any],
              check: Callable[[], None]) -> Any:  # fmt: skip
    parts = []
    chunk = CHUNK_ROUNDS * default_workers()
    for k in range(0, len(seeds), chunk):
        check()
        parts.append(
            cmsim.ensemble(
                sc, strategy, seeds=seeds[k : k + chunk], interventions=ivs, progress=False, backend="thread"
            )
        )
    events: dict[tuple[int, str], dict[str, Any]] = {}
    for p in parts:
        for e in p.events:
            events.setdefault((int(e["day"]), str(e["label"])), e)
    return cmsim.Ensemble(
        scenario=sc.name,
        strategy=name,
        seeds=list(seeds),
        daily=_Chain([p.daily for p in parts]),
        summaries=[s for p in parts for s in p.summaries],
        events=sorted(events.values(), key=lambda e: (e["day"], e["label"])),
    )


def band(x: np.ndarray, qs: tuple[float, ...] = (10.0, 50.0, 90.0)) -> np.ndarray:
    """``(len(qs), days)``: percentiles ``qs`` across runs (rows) of ``x``, ignoring NaN.

    The same numbers as ``numpy.nanpercentile`` (linear interpolation), computed for every day
    at once from one sort (``nanpercentile`` loops over the days in Python when any value is NaN).

    Examples
    --------
    >>> band(np.array([[1.0, np.nan], [2.0, 4.0], [3.0, 8.0]])).tolist()
    [[1.2, 4.4], [2.0, 6.0], [2.8, 7.6]]
    """
    x = np.sort(np.asarray(x, dtype=float), axis=0)  # NaN sort last
    n = np.sum(np.isfinite(x), axis=0)
    out = np.full((len(qs), x.shape[1]), np.nan)
    ok = n > 0
    cols = np.nonzero(ok)[0]
    for k, q in enumerate(qs):
        pos = (n[ok] - 1) * (q / 100.0)
        lo = np.floor(pos).astype(np.int64)
        hi = np.minimum(lo + 1, n[ok] - 1)
        frac = pos - lo
        a, b = x[lo, cols], x[hi, cols]
        out[k, ok] = a + (b - a) * frac
    return out


def compute(spec: LabSpec, check: Callable[[], None] = lambda: None) -> LabResult:
    """Run ``spec`` and compute what the lab shows (see the module documentation).

    ``check()`` is called between chunks of runs; it may raise to stop a computation that a newer
    request has replaced. Bad input raises :class:`cmsim.CmsimError` with a one-line message.
    """
    t0 = time.perf_counter()
    if not 2 <= len(spec.strategies) <= 4:
        raise CmsimError(f"the lab compares two to four strategies; got {len(spec.strategies)}")
    unknown = [m for m in spec.metrics if m not in CHART_METRICS]
    if unknown:
        raise CmsimError(f"cannot chart {unknown[0]!r}; the lab charts {', '.join(CHART_METRICS)}")
    sc = resolve(spec)
    check_budget(spec, sc.hours_budget)
    ivs = interventions(spec)
    seeds = [int(s) for s in spec.seeds]
    ensembles = {}
    for name, strategy in spec.strategies.items():
        ensembles[name] = _ensemble(sc, name, strategy, seeds, ivs, check)
    check()
    events: dict[tuple[int, str], dict[str, Any]] = {}
    for ens in ensembles.values():
        for e in ens.events:
            events.setdefault((int(e["day"]), str(e["label"])), e)
    comparison = cmsim.Comparison(
        scenario=sc.name,
        seeds=seeds,
        ensembles=ensembles,
        baseline=next(iter(spec.strategies)),
        metrics=list(TABLE_METRICS),
        events=sorted(events.values(), key=lambda e: (e["day"], e["label"])),
    )
    bands: dict[str, dict[str, np.ndarray]] = {}
    for m in spec.metrics:
        how = CHART_METRICS[m]
        scale = 100.0 if how.percent else 1.0
        bands[m] = {name: band(ens.series(how.series)) * scale for name, ens in ensembles.items()}
    days = np.arange(int(sc.values["community.days"]))
    return LabResult(spec.copy(), sc, comparison, days, bands, time.perf_counter() - t0)
