"""Strategy comparison: which strategy is better, by how much, and how sure are we?

:func:`compare` runs every strategy over the same seeds. The model draws every random decision
from a counter-based stream keyed by seed, day and member, so two strategies on one seed meet
the same members, the same trolls and the same luck: only what the strategy changes differs.
Differences are therefore paired by seed (common random numbers), which makes their
confidence intervals several times narrower than comparing independent runs would
(``docs/comparing.md`` gives the measured ratio).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cmsim.batch.ensembles import Ensemble, as_seeds, collect, make_jobs
from cmsim.batch.jobs import Job, run_jobs
from cmsim.errors import ArgumentError
from cmsim.metrics import DEFAULT_METRICS, METRICS, bands, metric, paired_difference
from cmsim.run import SUMMARY_KEYS
from cmsim.scenario import Scenario, resolve_scenario
from cmsim.strategies import BUILTIN, StrategyLike
from cmsim.version import MODEL_VERSION

__all__ = ["Comparison", "compare", "as_strategy_map"]

#: Columns of ``Comparison.summary``.
SUMMARY_COLUMNS: tuple[str, ...] = (
    "metric", "label", "unit", "strategy", "n", "mean", "median", "p10", "p90",
    "diff", "diff_ci_low", "diff_ci_high", "p_better",
)  # fmt: skip


@dataclass
class Comparison:
    """Several strategies run on the same scenario and the same seeds.

    Attributes
    ----------
    scenario : str
        Scenario name. ``seeds``: the seeds every strategy ran.
    ensembles : dict of str to Ensemble
        The runs of each strategy, in the order given.
    baseline : str
        The strategy the others are compared with.
    metrics : list of str
        The summary metrics reported (see ``cmsim.metrics.METRICS``).
    events : list of dict
        Scenario events and interventions ``{day, label}``, drawn on plots.
    """

    scenario: str
    seeds: list[int]
    ensembles: dict[str, Ensemble]
    baseline: str
    metrics: list[str]
    events: list[dict[str, Any]] = field(default_factory=list)

    def __repr__(self) -> str:
        names = ", ".join(self.ensembles)
        return (
            f"Comparison({self.scenario!r}, [{names}], seeds={len(self.seeds)}, baseline={self.baseline!r})"
        )

    @property
    def strategies(self) -> list[str]:
        """Strategy names, in the order given."""
        return list(self.ensembles)

    # --- tables ----------------------------------------------------------------------------------
    def to_frame(self) -> pd.DataFrame:
        """Tidy per-run summary: ``strategy``, ``seed`` and one column per summary metric."""
        return pd.concat([e.to_frame() for e in self.ensembles.values()], ignore_index=True)

    @property
    def metadata(self) -> dict[str, Any]:
        """What made the comparison (plain data): ``model_version``, ``scenario``, ``strategies``,
        ``baseline``, ``seeds`` and ``metrics``."""
        return {"model_version": MODEL_VERSION, "scenario": self.scenario, "strategies": self.strategies,
                "baseline": self.baseline, "seeds": list(self.seeds), "metrics": list(self.metrics)}  # fmt: skip

    def to_parquet(self, path: str | Path) -> Path:
        """Write :meth:`to_frame` to a Parquet file (scenario, baseline and the model version in its
        metadata)."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        path = Path(path)
        table = pa.Table.from_pandas(self.to_frame(), preserve_index=False)
        meta = dict(table.schema.metadata or {})
        meta[b"cmsim.scenario"] = self.scenario.encode()
        meta[b"cmsim.baseline"] = self.baseline.encode()
        meta[b"cmsim.model_version"] = MODEL_VERSION.encode()
        pq.write_table(table.replace_schema_metadata(meta), path)
        return path

    @property
    def summary(self) -> pd.DataFrame:
        """Per metric and strategy: mean, median, p10, p90 over seeds, the difference from the
        baseline paired by seed with its 95% t-interval, and ``p_better``, the share of seeds where
        the strategy did better than the baseline (ties count half; "better" is lower for the
        metrics in ``cmsim.metrics.LOWER_IS_BETTER``, NaN for neutral metrics)."""
        rows = []
        base = self.ensembles[self.baseline]
        for name in self.metrics:
            m = metric(name)
            b = base.values(name)
            for strat, ens in self.ensembles.items():
                v = ens.values(name)
                finite = v[np.isfinite(v)]
                stats = bands(v[:, None])
                d = paired_difference(v, b, m.better)
                if strat == self.baseline:
                    d = {**d, "p_better": float("nan")}
                rows.append({
                    "metric": name, "label": m.label, "unit": m.unit, "strategy": strat, "n": len(finite),
                    "mean": float(stats["mean"][0]), "median": float(stats["median"][0]),
                    "p10": float(stats["p10"][0]), "p90": float(stats["p90"][0]),
                    "diff": d["diff"], "diff_ci_low": d["ci_low"], "diff_ci_high": d["ci_high"],
                    "p_better": d["p_better"],
                })  # fmt: skip
        return pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))

    def table(self) -> pd.DataFrame:
        """:attr:`summary` for people: one row per metric and strategy, numbers as readable text.

        Shares are shown in percent, the difference as ``+1.2 [0.4, 2.0]`` (95% CI), and
        ``P(better)`` as the share of seeds where the strategy beat the baseline.
        """
        s = self.summary
        out = pd.DataFrame(
            {
                "metric": [metric(m).axis_label for m in s["metric"]],
                "strategy": s["strategy"],
                "mean": [_fmt(v, u) for v, u in zip(s["mean"], s["unit"], strict=True)],
                "10-90%": [
                    f"{_fmt(a, u)} to {_fmt(b, u)}"
                    for a, b, u in zip(s["p10"], s["p90"], s["unit"], strict=True)
                ],
                f"vs {self.baseline} (95% CI)": [
                    ""
                    if st == self.baseline
                    else f"{_fmt(d, u, True)} [{_fmt(lo, u, True)}, {_fmt(hi, u, True)}]"
                    for st, d, lo, hi, u in zip(
                        s["strategy"], s["diff"], s["diff_ci_low"], s["diff_ci_high"], s["unit"], strict=True
                    )
                ],
                "P(better)": ["" if not np.isfinite(p) else f"{p:.0%}" for p in s["p_better"]],
            }
        )
        return out

    def __str__(self) -> str:
        return self.table().to_string(index=False)

    @property
    def bands(self) -> pd.DataFrame:
        """Daily bands per strategy and metric: median, p10, p90, mean, 95% CI of the mean.

        One row per strategy, day and metric (metrics without a daily series are left out; see
        ``cmsim.metrics.SERIES`` for how each daily series is computed).
        """
        return self._bands([m for m in self.metrics if metric(m).series is not None])

    def _bands(self, names: Sequence[str]) -> pd.DataFrame:
        frames = []
        for name in names:
            series = metric(name).series
            if series is None:  # (no daily series: nothing to draw)
                continue
            for ens in self.ensembles.values():
                b = ens.bands([series]).drop(columns="series")
                b.insert(2, "metric", name)
                frames.append(b)
        if not frames:
            return pd.DataFrame(
                columns=["strategy", "day", "metric", "median", "p10", "p90", "mean", "ci_low", "ci_high"]
            )
        return pd.concat(frames, ignore_index=True)

    # --- plots -----------------------------------------------------------------------------------
    def plot(self, metrics: Sequence[str] | None = None, **kwargs: Any) -> Any:
        """Time series per metric: median line and 10-90% band per strategy, events as lines.

        Returns a matplotlib Figure (see :func:`cmsim.plotting.plot_bands`).
        """
        from cmsim.plotting import plot_bands

        names = [m for m in (metrics or self.metrics) if metric(m).series is not None] or ["final_members"]
        kwargs.setdefault("title", f"{self.scenario}: median and 10-90% range over {len(self.seeds)} seeds")
        return plot_bands(self._bands(names), events=self.events, **kwargs)

    def plot_summary(self, metrics: Sequence[str] | None = None, **kwargs: Any) -> Any:
        """Forest plot of each strategy's difference from the baseline, with 95% CIs, per metric.

        Returns a matplotlib Figure (see :func:`cmsim.plotting.plot_differences`).
        """
        from cmsim.plotting import plot_differences

        kwargs.setdefault(
            "title",
            f"{self.scenario}: difference from {self.baseline}, paired by seed "
            f"(mean and 95% CI, {len(self.seeds)} seeds)",
        )
        return plot_differences(self.summary, self.baseline, list(metrics or self.metrics), **kwargs)


def _fmt(v: float, unit: str, signed: bool = False) -> str:
    if not np.isfinite(v):
        return "n/a"
    sign = "+" if signed else ""
    if unit == "%":
        return f"{100 * v:{sign}.1f} pp" if signed else f"{100 * v:.1f}%"
    if abs(v) >= 100:
        return f"{v:{sign},.0f}"
    return f"{v:{sign}.2f}" if abs(v) < 10 else f"{v:{sign}.1f}"


def as_strategy_map(strategies: Mapping[str, StrategyLike] | Iterable[str] | str) -> dict[str, StrategyLike]:
    """A mapping name -> strategy from a mapping, a list of built-in names or ``"a,b,c"``.

    Examples
    --------
    >>> list(as_strategy_map("balanced,absent"))
    ['balanced', 'absent']
    """
    if isinstance(strategies, str):
        strategies = [s.strip() for s in strategies.split(",") if s.strip()]
    if isinstance(strategies, Mapping):
        out = {str(k): v for k, v in strategies.items()}
    else:
        out = {}
        for s in strategies:
            if not isinstance(s, str):
                raise ArgumentError(
                    "the 'strategies' parameter must map names to strategies, or list built-in names; "
                    f"got {type(s).__name__} in the list"
                )
            if s not in BUILTIN:
                raise ArgumentError(f"unknown strategy {s!r}; built-in strategies are {', '.join(BUILTIN)}")
            out[s] = s
    if len(out) < 2:
        raise ArgumentError(
            f"the 'strategies' parameter needs at least two strategies to compare; got {list(out)}"
        )
    return out


def compare(
    scenario: str | Scenario,
    strategies: Mapping[str, StrategyLike] | Iterable[str] | str,
    *,
    seeds: int | Iterable[int] = 30,
    days: int | None = None,
    members: int | None = None,
    baseline: str | None = None,
    metrics: Sequence[str] | None = None,
    overrides: Mapping[str, Any] | None = None,
    interventions: Iterable[Any] | None = None,
    progress: bool | None = None,
    workers: int | None = None,
    backend: str = "auto",
) -> Comparison:
    """Run several strategies on the same scenario and seeds, and compare them paired by seed.

    Parameters
    ----------
    scenario : str or Scenario
        A shipped name, a YAML path or a loaded scenario.
    strategies : mapping, list of names or "a,b,c"
        Name -> anything ``cmsim.simulate`` accepts as a strategy; or built-in names.
    seeds : int or iterable of int, default 30
        Every strategy runs these same seeds (``n`` means ``0..n-1``).
    days, members, overrides :
        As in ``cmsim.simulate``.
    baseline : str, optional
        The strategy the others are compared with (default: the first).
    metrics : list of str, optional
        Summary metrics to report (default ``cmsim.metrics.DEFAULT_METRICS``).
    interventions : iterable, optional
        One-off actions applied to every run of every strategy; drawn on the plots.
    progress, workers, backend :
        As in :func:`cmsim.ensemble`.

    Returns
    -------
    Comparison

    Examples
    --------
    >>> c = compare("forum", ["balanced", "absent"], seeds=4, members=300, days=40, progress=False)
    >>> c.baseline, c.strategies
    ('balanced', ['balanced', 'absent'])
    >>> row = c.summary.query("metric == 'answered_share' and strategy == 'absent'").iloc[0]
    >>> bool(row["diff"] < 0)
    True
    """
    strategy_map = as_strategy_map(strategies)
    if baseline is None:
        baseline = next(iter(strategy_map))
    if baseline not in strategy_map:
        raise ArgumentError(
            f"the 'baseline' parameter must be one of {', '.join(strategy_map)}; got {baseline!r}"
        )
    metric_list = list(DEFAULT_METRICS if metrics is None else metrics)
    unknown = [m for m in metric_list if m not in SUMMARY_KEYS]
    if unknown or not metric_list:
        known = ", ".join(k for k in SUMMARY_KEYS if k in METRICS)
        raise ArgumentError(
            f"the 'metrics' parameter must list summary metrics ({known}); got {unknown or metric_list!r}"
        )
    sc = resolve_scenario(scenario, days=days, members=members, overrides=overrides)
    seed_list = as_seeds(seeds)
    # Seed by seed, every strategy in turn: a seed's runs follow each other (on one worker), so
    # they draw its steady start once (cmsim.start_cache).
    per = {
        name: make_jobs(sc, strat, seed_list, interventions, False) for name, strat in strategy_map.items()
    }
    k = len(per)
    jobs: list[Job] = [job for row in zip(*per.values(), strict=True) for job in row]
    results = run_jobs(jobs, workers=workers, backend=backend, progress=progress, desc=f"{sc.name}: compare")
    ensembles = {name: collect(sc, name, seed_list, results[j::k], False) for j, name in enumerate(per)}
    events: dict[tuple[int, str], dict[str, Any]] = {}
    for ens in ensembles.values():
        for e in ens.events:
            events.setdefault((int(e["day"]), str(e["label"])), e)
    return Comparison(
        scenario=sc.name,
        seeds=seed_list,
        ensembles=ensembles,
        baseline=baseline,
        metrics=metric_list,
        events=sorted(events.values(), key=lambda e: (e["day"], e["label"])),
    )
