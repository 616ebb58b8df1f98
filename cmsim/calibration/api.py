"""``cmsim.calibrate``: fit a scenario to a community's own data, and the result it returns."""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cmsim.batch.workers import check_scheduler
from cmsim.calibration.data import ObservedData, read_data
from cmsim.calibration.fit import (
    JOURNAL,
    MAX_MEMBERS,
    WARMUP_DAYS,
    FitSetup,
    default_fit,
    open_workers,
    run_study,
    run_trial,
    run_trials,
    search_space,
    study_key,
)
from cmsim.calibration.objective import mismatch_table, score
from cmsim.errors import ArgumentError, CmsimError, DataError

__all__ = ["calibrate", "CalibrationResult", "REPORT_SEED0"]

#: The report's runs use seeds from here on (not the fitting seeds: the band is not the fit's own luck).
REPORT_SEED0 = 1000
#: Default trials for each parameter fitted (at least 40 in all): 3 parameters recover within a few
#: percent with 80 trials of 8 seeds (``docs/calibration.md``).
TRIALS_PER_PARAMETER = 25
#: Parameter sets behind the fitted band: the best and the next best within seed noise of it.
PREDICTIVE_SETS = 6


def _near_best(trials: pd.DataFrame, noise: float, n: int) -> pd.DataFrame:
    """Up to ``n - 1`` trials after the best whose score is within ``2 * noise`` of it."""
    t = trials.dropna(subset=["score"]).sort_values("score")
    limit = t["score"].iloc[0] + 2 * (noise if np.isfinite(noise) else 0.0)
    return t.iloc[1:][t["score"].iloc[1:] <= limit].head(n - 1)


@dataclass
class CalibrationResult:
    """What :func:`calibrate` found.

    Attributes
    ----------
    values : dict
        The fitted parameter values ``{dotted key: value}``; ``before``: their base values.
    fitted_scenario, base_scenario : Scenario
        The base scenario with the fitted values at the simulated size (``fitted_scenario``), and
        the base as given.
    observed : ObservedData
        The data as read. ``weekly``: the weekly observed values in the data's own scale.
    scale : float
        Simulated members per real member (1 when the community is simulated at its own size).
    runs_before, runs_after : float[runs, weeks, series]
        The report's runs (model scale) at the base values, and after the fit: at the fitted
        values and at up to ``PREDICTIVE_SETS - 1`` other values whose score is within seed
        noise of the best (so the band holds what the data leave open as well as luck).
    fit_weeks : bool[weeks]
        Weeks fitted (False: held out).
    trials : pandas.DataFrame
        Every complete trial: ``number``, ``score`` and one column per fitted parameter.
    score, score_noise : float
        The best trial's score and the standard deviation of the score over seed sets at the
        fitted values (what seed luck alone moves it by).
    """

    values: dict[str, float]
    before: dict[str, float]
    space: dict[str, tuple[float, float, bool]]
    fitted_scenario: Any
    base_scenario: Any
    base_name: str
    observed: ObservedData
    weekly: pd.DataFrame
    scale: float
    sim_members: int
    runs_before: np.ndarray
    runs_after: np.ndarray
    fit_weeks: np.ndarray
    trials: pd.DataFrame
    score: float
    score_noise: float
    seeds: list[int]
    study_name: str
    journal: Path | None
    strategy: Any
    notes: list[str] = field(default_factory=list)

    @property
    def series(self) -> list[str]:
        return list(self.weekly.columns)

    def observed_model_scale(self) -> np.ndarray:
        """The weekly observed values in the model's scale ``float[weeks, series]``."""
        return self.weekly.to_numpy(float) * self.scale

    def mismatch(self, which: str = "after") -> pd.DataFrame:
        """Per-series mismatch table of the fitted (``"after"``) or base (``"before"``) runs."""
        runs = self.runs_after if which == "after" else self.runs_before
        return mismatch_table(self.observed_model_scale(), runs, self.series, self.fit_weeks)

    @property
    def holdout_coverage(self) -> float:
        """Share of the held-out observed points inside the fitted runs' 10-90% band (NaN without any)."""
        from cmsim.calibration.objective import band

        obs = self.observed_model_scale()
        _, lo, hi = band(self.runs_after)
        held = np.isfinite(obs) & ~self.fit_weeks[:, None]
        return float(((obs >= lo) & (obs <= hi))[held].mean()) if held.any() else float("nan")

    def parameters(self) -> pd.DataFrame:
        """Each fitted parameter: before, fitted, search range, the range the data allow, and
        whether the data pinned it down (see :func:`cmsim.calibration.report.parameter_table`)."""
        from cmsim.calibration.report import parameter_table

        return parameter_table(self)

    def plot(self):
        """Figure: each series observed over the model's median and 10-90% band, before and after."""
        from cmsim.calibration.report import plot_fit

        return plot_fit(self)

    def report(self, directory: str | Path) -> list[Path]:
        """Write the fit report (figures, tables, ``report.md``) into ``directory``; returns the paths."""
        from cmsim.calibration.report import write_report

        return write_report(self, Path(directory))

    def save_scenario(self, path: str | Path) -> Path:
        """Write the fitted scenario as YAML that ``extends:`` the base, with its ``provenance:``."""
        from cmsim.calibration.scenario_out import write_fitted

        return write_fitted(self, Path(path))

    def summary(self) -> str:
        """A few lines: fitted values, score, held-out coverage."""
        lines = [f"calibrated {self.base_name!r} to {self.observed.source} ({len(self.trials)} trials, "
                 f"{len(self.seeds)} seeds a trial, score {self.score:.2f} +- {self.score_noise:.2f})"]  # fmt: skip
        for k, v in self.values.items():
            lines.append(f"  {k}: {self.before[k]:.4g} -> {v:.4g}")
        held = int((~self.fit_weeks).sum())
        lines.append(
            f"  held-out weeks: {held}, observed points inside the 10-90% band: {self.holdout_coverage:.0%}"
        )
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"CalibrationResult({self.base_name!r}, {self.values})"


def _seed_list(seeds: int | Iterable[int]) -> list[int]:
    if isinstance(seeds, (int, np.integer)) and not isinstance(seeds, bool):
        if seeds < 2:
            raise CmsimError(
                f"the 'seeds' parameter must be at least 2 (paired seeds a trial); got {seeds!r}"
            )
        return list(range(int(seeds)))
    out = [int(s) for s in seeds]  # type: ignore[union-attr]
    if len(out) < 2 or len(set(out)) != len(out) or min(out) < 0:
        raise CmsimError(f"the 'seeds' parameter must be at least 2 distinct seeds >= 0; got {seeds!r}")
    return out


def _positive_int(name: str, value: Any, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise CmsimError(f"the {name!r} parameter must be an integer >= {low}; got {value!r}")
    return int(value)


def calibrate(
    data: str | Path | pd.DataFrame | ObservedData,
    scenario: Any = "forum",
    fit: Sequence[str] | Mapping[str, tuple[float, float]] | None = None,
    *,
    trials: int | None = None,
    seeds: int | Iterable[int] = 6,
    holdout_weeks: int = 4,
    out: str | Path | None = None,
    strategy: Any = "balanced",
    platform: str | None = None,
    members: int | None = None,
    max_members: int = MAX_MEMBERS,
    workers: int | None = None,
    scheduler: str | None = None,
    report_seeds: int = 24,
    progress: bool = False,
    quiet: bool = False,
) -> CalibrationResult:
    """Fit a scenario's parameters to a community's data.

    Parameters
    ----------
    data : path, DataFrame or ObservedData
        Daily or weekly rows with a date and any of the columns of ``docs/calibration.md``.
    scenario : str or Scenario
        The base: a shipped name, a YAML path or a loaded scenario.
    fit : list of dotted keys, or ``{key: (low, high)}``, optional
        What to fit; default: :data:`cmsim.calibration.fit.DEFAULT_FIT` for the data's columns.
    trials : int, optional
        Complete trials the study should hold (a study continued from ``out`` counts its old
        ones); default ``max(40, TRIALS_PER_PARAMETER * parameters fitted)``.
    seeds : int or list of int
        Paired seeds every trial runs (the same for all trials).
    holdout_weeks : int
        The most recent weeks, not fitted: the report checks the fitted model against them.
    out : folder, optional
        Keeps the study's journal there (run again to continue it, or in parallel to add
        workers) and writes the fitted scenario (``fitted.yaml``) and the report.
    strategy : str, mapping or callable
        What the manager did during the data period (default ``balanced``).
    platform : {"discourse", "reddit", "discord"}, optional
        Accept that platform's export column names.
    members : int, optional
        The community's size at the first date (default: the data's first ``members`` value).
    max_members : int
        Largest community simulated; larger ones are fitted at this size, counts scaled.
    workers : int, optional
        Local processes running the trials' runs (default: every core; 1: this process), or the
        size of ``scheduler="local"``. The runs go through the sweep's runner
        (:class:`cmsim.batch.workers.Workers`).
    scheduler : str, optional
        ``"tcp://HOST:PORT"``: run the trials on an existing Dask cluster (the kit installed on
        its workers; the journal stays in ``out`` on this machine); ``"local"``: a Dask
        ``LocalCluster`` of ``workers`` processes started for the calibration. As in
        :func:`cmsim.sweep`.
    report_seeds : int
        Runs for the report's bands, before and after.
    progress, quiet : bool
        Optuna's progress bar; ``quiet`` hides the one-line notes (ignored columns, scale).

    Returns
    -------
    CalibrationResult
    """
    from cmsim.scenario import load_scenario

    obs = data if isinstance(data, ObservedData) else read_data(data, platform=platform)
    notes = [obs.ignored_message] if obs.ignored else []
    check_scheduler(scheduler, workers, ArgumentError)
    holdout_weeks = _positive_int("holdout_weeks", holdout_weeks, 0)
    max_members = _positive_int("max_members", max_members, 10)
    report_seeds = _positive_int("report_seeds", report_seeds, 2)
    seed_list = _seed_list(seeds)
    base = load_scenario(scenario)
    first = obs.first_members() if members is None else (float(members), -1)
    if first is None:
        raise DataError(
            f"{obs.source}: no 'members' column: give the community's size with members=N (--members N)"
        )
    m0, anchor = first
    if not m0 >= 10:
        raise DataError(f"{obs.source}: the community must have at least 10 members at the start, got {m0:g}")
    sim_members = int(min(round(m0), max_members))
    scale = sim_members / float(m0)
    if scale < 1:
        notes.append(
            f"{obs.source}: {m0:,.0f} members simulated as {sim_members:,}: counts scaled by {scale:.4g}"
        )
    weekly = obs.weekly()
    n_weeks = len(weekly)
    if n_weeks - holdout_weeks < 2:
        raise DataError(f"{obs.source}: the data cover {n_weeks} whole weeks; holdout_weeks={holdout_weeks} "
                        "leaves fewer than 2 to fit")  # fmt: skip
    fit_weeks = np.arange(n_weeks) < n_weeks - holdout_weeks
    keys = list(fit) if fit is not None else default_fit(obs.columns)
    space = search_space(fit if fit is not None else keys, base.values)
    trials = _positive_int(
        "trials", max(40, TRIALS_PER_PARAMETER * len(space)) if trials is None else trials, 1
    )
    setup = FitSetup(
        base.with_overrides({"community.initial_members": sim_members, "community.days": WARMUP_DAYS + obs.days},
                            source="calibrate"),
        strategy, tuple(obs.columns), WARMUP_DAYS, obs.days, float(sim_members),
        WARMUP_DAYS + anchor,  # the day of the data's first members count (members=: the day before)
    )  # fmt: skip
    obs_model = weekly.to_numpy(float) * scale
    name = study_key(obs, setup, space, seed_list, fit_weeks)
    if not quiet:
        for line in notes:
            print(line, file=sys.stderr)
    tmp = None
    if out is None:
        tmp = tempfile.TemporaryDirectory(prefix="cmsim-calibrate-")
        journal = Path(tmp.name) / JOURNAL
    else:
        journal = Path(out) / JOURNAL
    try:
        with open_workers(setup, workers, scheduler) as runner:
            study = run_study(obs_model, fit_weeks, setup, space, base.values, seed_list, trials, journal, name,
                              runner, progress)  # fmt: skip
            best, best_score = dict(study.best_params), float(study.best_value)
            report_list = list(range(REPORT_SEED0, REPORT_SEED0 + report_seeds))
            before = {k: base.values[k] for k in space}
            runs_best = run_trial(runner, setup, best, report_list)
            k = len(seed_list)
            groups = [runs_best[i : i + k] for i in range(0, report_seeds - k + 1, k)]
            scores = [score(obs_model, g, fit_weeks)[0] for g in groups]
            noise = float(np.std(scores, ddof=1)) if len(groups) > 1 else float("nan")
            trial_rows = [
                {"number": t.number, "score": t.value, **t.params}
                for t in study.trials
                if t.value is not None
            ]
            table = pd.DataFrame(trial_rows).sort_values("number").reset_index(drop=True)
            # the band after the fit: the best values and the other values within seed noise of them
            # (parameter uncertainty as well as luck), each with its own share of the report's seeds
            sets = [best] + [
                {p: r[p] for p in space} for _, r in _near_best(table, noise, PREDICTIVE_SETS).iterrows()
            ]
            sets = sets[: max(1, min(PREDICTIVE_SETS, report_seeds // 2))]
            chunks = np.array_split(np.array(report_list), len(sets))
            runs_after = np.concatenate(
                [run_trial(runner, setup, v, list(c)) for v, c in zip(sets, chunks, strict=True)]
            )
            runs_before = run_trials(runner, setup, [before], report_list)[0]
    finally:
        if tmp is not None:
            tmp.cleanup()
    fitted = base.with_overrides(
        {**best, "community.initial_members": sim_members, "name": f"{base.name}_fitted",
         "description": f"{base.name} fitted to {Path(obs.source).name} ({obs.start.date()} to {obs.end.date()})"},
        source="calibrate",
    )  # fmt: skip
    result = CalibrationResult(
        values=best, before=before, space=dict(space), fitted_scenario=fitted, base_scenario=base,
        base_name=base.name, observed=obs, weekly=weekly, scale=scale, sim_members=sim_members,
        runs_before=runs_before, runs_after=runs_after, fit_weeks=fit_weeks,
        trials=table, score=best_score,
        score_noise=noise, seeds=seed_list, study_name=name, journal=None if out is None else journal,
        strategy=strategy, notes=notes,
    )  # fmt: skip
    if out is not None:
        result.save_scenario(Path(out) / "fitted.yaml")
        result.report(out)
    return result
