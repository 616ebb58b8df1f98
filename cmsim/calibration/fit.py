"""Fitting a scenario's parameters to a community's data with Optuna.

Every trial runs the same paired seeds (common random numbers: two trials differ by their
parameters, not by their luck) through :func:`run_trial`, the one place the calibration runs the
model, and scores them with :func:`cmsim.calibration.objective.score` on the weeks not held
out. The study lives in an Optuna journal file (``JournalFileBackend``): a calibration stopped in
any way and started again with the same data, settings and ``out`` folder continues its study
(the trials done are kept and counted), and several processes may work on one study at once.

Scale rule (``docs/calibration.md``): the model's rates are per member (visits, posts, arrivals
as a share of the size, trolls per 1,000), so expected counts scale in proportion to the size.
The model runs at ``S = min(members, max_members)`` members, where ``members`` is the data's
first members count; every observed count is multiplied by ``S / members``. Each run starts
``WARMUP_DAYS`` before the first date at ``S`` members and is then rescaled, every count times
``S / (its members at the first observed point)``, so that every run has exactly the data's size
there: the data's member count sets the size, and only its changes are fitted.
"""

from __future__ import annotations

import hashlib
import json
import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from cmsim.batch.workers import Workers, check_scheduler, default_workers
from cmsim.calibration.data import COLUMNS, ObservedData, weekly_from_daily
from cmsim.calibration.objective import score
from cmsim.errors import ArgumentError, CmsimError

__all__ = ["DEFAULT_FIT", "MAX_MEMBERS", "WARMUP_DAYS", "FitSetup", "open_workers", "run_trial", "run_trials",
           "default_fit", "search_space", "run_study", "JOURNAL"]  # fmt: skip

#: The parameters fitted by default for each data column: the ones that move that column most
#: (``docs/calibration.md``, "Default parameters", gives the measured effects and the reasons).
DEFAULT_FIT: dict[str, tuple[str, ...]] = {
    "dau": ("members.visit_rate",),
    "mau": ("members.visit_rate",),
    "posts": ("members.post_rate",),
    "all_posts": ("members.post_rate",),
    "replies": ("dynamics.reply_rate",),
    "new_members": ("growth.acquisition",),
    "members": ("dynamics.churn_unhappy",),
    "questions": ("members.question_share",),
    "questions_answered": ("levers.responding_rate",),
    "reports": ("trolls.report_rate",),
}
#: Largest community simulated; a larger one is fitted at this size (the scale rule above).
MAX_MEMBERS = 5_000
#: Days simulated before the data's first day, so that MAU (a 30-day window) and the members'
#: states have settled; they are not compared.
WARMUP_DAYS = 30
#: Journal file of the study in the ``out`` folder.
JOURNAL = "calibration.journal"
#: A default search range goes from the base value divided by this to the base value times it.
RANGE_FACTOR = 4.0


def default_fit(columns: Sequence[str]) -> list[str]:
    """The parameters :data:`DEFAULT_FIT` names for ``columns``, without repeats, in column order."""
    out: list[str] = []
    for c in columns:
        for key in DEFAULT_FIT.get(c, ()):
            if key not in out:
                out.append(key)
    return out


def search_space(
    fit: Sequence[str] | Mapping[str, Any], base: Mapping[str, Any]
) -> dict[str, tuple[float, float, bool]]:
    """``{key: (low, high, log)}`` of the parameters to fit.

    ``fit`` is a list of dotted keys (each searched from its base value / 4 to x 4, within its
    declared range, on a log scale) or a mapping ``{key: (low, high)}``.
    """
    from cmsim.parameters import PARAMS

    items = fit.items() if isinstance(fit, Mapping) else ((k, None) for k in fit)
    out: dict[str, tuple[float, float, bool]] = {}
    for key, given in items:
        if key not in PARAMS:
            import difflib

            close = difflib.get_close_matches(str(key), list(PARAMS), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise CmsimError(f"fit: unknown parameter {key!r}{hint}")
        p = PARAMS[key]
        if p.type not in ("float", "int"):
            raise CmsimError(f"fit: {key!r} is not a number ({p.allowed()}); only numbers can be fitted")
        lo_ok = -math.inf if p.low is None else p.low
        hi_ok = math.inf if p.high is None else p.high
        if given is not None:
            try:
                lo, hi = (float(given[0]), float(given[1]))
            except (TypeError, ValueError, IndexError):
                raise CmsimError(f"fit: the range of {key!r} must be (low, high), got {given!r}") from None
            if not (lo_ok <= lo < hi <= hi_ok):
                raise CmsimError(
                    f"fit: the range of {key!r} must lie in {p.allowed()} with low < high, got {given!r}"
                )
            out[key] = (lo, hi, lo > 0 and hi / lo >= 10)
            continue
        v = float(base[key])
        if v > 0:
            lo, hi = max(v / RANGE_FACTOR, lo_ok), min(v * RANGE_FACTOR, hi_ok)
            out[key] = (lo, hi, lo > 0)
        else:
            out[key] = (lo_ok, hi_ok if math.isfinite(hi_ok) else 1.0, False)
    if not out:
        raise CmsimError("fit: no parameter to fit")
    return out


# --- running the model -----------------------------------------------------------------------------
@dataclass(frozen=True)
class FitSetup:
    """What every run of a calibration shares.

    ``scenario`` is the base scenario at the simulated size, for ``warmup + days`` days; the runs
    are compared from day ``warmup`` on, in ``days // 7`` weeks of the data ``columns``, each run's
    counts times ``target / members[anchor_day]`` (the scale rule above).
    """

    scenario: Any
    strategy: Any
    columns: tuple[str, ...]
    warmup: int
    days: int
    target: float
    anchor_day: int


def _one_run(setup: FitSetup, values: Mapping[str, Any], seed: int) -> np.ndarray:
    """One run, as the weekly values ``float[weeks, columns]`` the objective compares."""
    from cmsim.spec import run_spec

    sc = setup.scenario.with_overrides(dict(values), source="fit")
    # the runner's workers fill the cores: each run steps on one thread
    daily = run_spec(sc, setup.strategy, seed=int(seed), threads=1).run().daily
    vals = np.column_stack([daily[list(COLUMNS[c].model)].sum(axis=1).to_numpy(float) for c in setup.columns])
    vals *= setup.target / max(float(daily["members"].iloc[setup.anchor_day]), 1.0)
    return weekly_from_daily(vals, list(setup.columns), offset=setup.warmup, days=setup.days).to_numpy()


def _star(job: tuple[FitSetup, Mapping[str, Any], int, str]) -> np.ndarray:
    """One task of the runner: a run, refused on a worker whose model differs from the driver's."""
    from cmsim.version import MODEL_VERSION

    setup, values, seed, version = job
    if version != MODEL_VERSION:
        raise CmsimError(
            f"a worker runs model version {MODEL_VERSION!r}, the calibration {version!r}: "
            "install the same kit on every worker"
        )
    return _one_run(setup, values, seed)


def open_workers(setup: FitSetup, workers: int | None = None, scheduler: str | None = None) -> Workers:
    """The sweep's runner (:class:`cmsim.batch.workers.Workers`) for one calibration: local
    processes (default: every core; ``1``: this process), or a Dask cluster (``scheduler``).
    Local workers are forked after the kernels are compiled (or loaded) here, so each starts
    with them."""
    check_scheduler(scheduler, workers, ArgumentError)
    n = workers or (default_workers() if scheduler is None else 1)
    if scheduler is None and n > 1:
        from cmsim.spec import simulate

        def warm() -> None:
            simulate(setup.scenario, setup.strategy, seed=0, members=50, days=2)

        return Workers(n, None, warm=warm, error=ArgumentError)
    return Workers(n, scheduler, error=ArgumentError)


def run_trial(
    workers: Workers, setup: FitSetup, values: Mapping[str, Any], seeds: Sequence[int]
) -> np.ndarray:
    """The runs of one trial: ``float[seeds, weeks, columns]``, in seed order.

    The only function of the calibration that runs the model (through ``cmsim.simulate`` and
    ``Scenario.with_overrides``), one task of the sweep's runner a seed.
    """
    return run_trials(workers, setup, [values], seeds)[0]


def run_trials(workers: Workers, setup: FitSetup, sets: Sequence[Mapping[str, Any]], seeds: Sequence[int]
               ) -> list[np.ndarray]:  # fmt: skip
    """The runs of several parameter sets in one batch (so they share the workers):
    ``[float[seeds, weeks, columns]]``, one array a set, in order."""
    from cmsim.version import MODEL_VERSION

    jobs = [(setup, dict(v), int(s), MODEL_VERSION) for v in sets for s in seeds]
    out = workers.map(_star, jobs)
    k = len(seeds)
    return [np.stack(out[i * k : (i + 1) * k]) for i in range(len(sets))]


# --- the study ------------------------------------------------------------------------------------
def study_key(obs: ObservedData, setup: FitSetup, space: Mapping[str, tuple[float, float, bool]],
              seeds: Sequence[int], fit_weeks: np.ndarray) -> str:  # fmt: skip
    """A name for the study: same data, scenario, strategy, search space, seeds and held-out
    weeks give the same study (so a new run continues it), anything else a new one."""
    from cmsim.version import MODEL_VERSION

    text = json.dumps(
        {"data": obs.sha256, "scenario": sorted((k, repr(v)) for k, v in setup.scenario.values.items()),
         "strategy": repr(setup.strategy), "columns": list(setup.columns), "warmup": setup.warmup,
         "days": setup.days, "target": setup.target, "anchor": setup.anchor_day, "space": {k: list(v) for k, v in space.items()},
         "seeds": list(map(int, seeds)), "fit_weeks": fit_weeks.astype(int).tolist(), "model": MODEL_VERSION},
        sort_keys=True,
    )  # fmt: skip
    return "cmsim-" + hashlib.sha256(text.encode()).hexdigest()[:16]


def _storage(path: Path):
    import optuna
    from optuna.storages.journal import JournalFileBackend, JournalFileOpenLock

    path.parent.mkdir(parents=True, exist_ok=True)
    # an open-lock (O_EXCL file) left by a killed process is broken after its grace period
    backend = JournalFileBackend(str(path), lock_obj=JournalFileOpenLock(str(path), grace_period=10))
    return optuna.storages.JournalStorage(backend)


def run_study(obs_model: np.ndarray, fit_weeks: np.ndarray, setup: FitSetup, space: Mapping[str, tuple[float, float, bool]],
              base: Mapping[str, Any], seeds: Sequence[int], trials: int, journal: Path, name: str,
              workers: Workers, progress: bool = False):  # fmt: skip
    """Run (or continue) the study until it holds ``trials`` complete trials; returns the study.

    Each round asks the study for as many trials as keep the ``workers`` busy (``slots // seeds``,
    at least 1), runs their seeds in one batch and tells their scores. The journal file takes
    several processes at once (each, say ``cmsim calibrate`` with the same ``--out`` on another
    machine sharing the folder, adds trials to the same study until it holds ``trials``).

    The first trial of a new study is the base scenario's values (the "before" of the report).
    Trials left running by a process that was killed are marked failed when a run continues.
    """
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = _storage(journal)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        probe = optuna.load_study(study_name=name, storage=storage) if name in _names(storage) else None
        done = 0 if probe is None else sum(t.state == optuna.trial.TrialState.COMPLETE for t in probe.trials)
        sampler = optuna.samplers.TPESampler(seed=int(name[-8:], 16) % 2**31 + done, multivariate=True,
                                             n_startup_trials=max(5, 2 * len(space)), constant_liar=True)  # fmt: skip
        study = optuna.create_study(study_name=name, storage=storage, direction="minimize", sampler=sampler,
                                    load_if_exists=True)  # fmt: skip
    if probe is None:
        study.enqueue_trial({k: min(max(float(base[k]), lo), hi) for k, (lo, hi, _) in space.items()})
        study.set_user_attr("columns", list(setup.columns))
    else:
        _fail_stale(study, storage)

    # trials in flight at once: enough to keep every worker slot busy (1 on a few local cores, so
    # the trials are the same whatever the cores; more on a Dask cluster, told apart by the sampler's
    # constant liar)
    batch = max(1, workers.slots // len(seeds))
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=trials, initial=min(done, trials), desc="trials", unit="trial")
    try:
        while True:
            complete = len(study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,)))
            k = min(batch, trials - complete)  # (other processes may be adding trials to the study)
            if k <= 0:
                break
            asked = [study.ask() for _ in range(k)]
            try:
                sims = run_trials(workers, setup, [_suggest(t, space, base) for t in asked], seeds)
            except BaseException:
                for t in asked:
                    study.tell(t, state=optuna.trial.TrialState.FAIL, skip_if_finished=True)
                raise
            for t, runs in zip(asked, sims, strict=True):
                total, per = score(obs_model, runs, fit_weeks)
                try:
                    t.set_user_attr("per_series", [float(x) for x in per])
                except optuna.exceptions.UpdateFinishedTrialError:
                    continue  # another process, starting, took it for a killed one's and failed it
                study.tell(t, total, skip_if_finished=True)
            if bar is not None:
                bar.update(k)
    finally:
        if bar is not None:
            bar.close()
    return study


def _suggest(
    trial, space: Mapping[str, tuple[float, float, bool]], base: Mapping[str, Any]
) -> dict[str, Any]:
    """The trial's parameter values, drawn from the search space (integers stay integers)."""
    values: dict[str, Any] = {}
    for key, (lo, hi, log) in space.items():
        if isinstance(base[key], int) and not isinstance(base[key], bool):
            values[key] = trial.suggest_int(key, int(math.ceil(lo)), int(hi), log=log)
        else:
            values[key] = trial.suggest_float(key, lo, hi, log=log)
    return values


def _names(storage) -> list[str]:
    return [s.study_name for s in storage.get_all_studies()]


def _fail_stale(study, storage) -> None:
    """Mark failed the trials a killed process left running (their runs are lost; none is reused).

    A trial still running in another live process is left alone: only trials started before
    this process's ``STALE_AFTER_S`` window with no result are failed.
    """
    import datetime as dt

    import optuna

    now = dt.datetime.now()
    for t in study.trials:
        if t.state == optuna.trial.TrialState.RUNNING and t.datetime_start is not None:
            if (now - t.datetime_start).total_seconds() > STALE_AFTER_S:
                storage.set_trial_state_values(t._trial_id, optuna.trial.TrialState.FAIL)


#: A trial running longer than this (seconds) when a calibration starts is taken as left by a
#: killed process (one trial of a 2,000-member, 180-day fit takes well under a second).
STALE_AFTER_S = 60.0
