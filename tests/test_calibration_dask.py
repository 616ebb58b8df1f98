"""Calibration trials through the sweep's runner: on a Dask cluster (started as a user would, and a
LocalCluster) they are the same trials, scored the same, as in one process; several trials in
flight at once still end with the study's count; two processes share one journal."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time

import numpy as np
import pandas as pd
import pytest
from dask_support import dask_cluster, free_port

import cmsim
from cmsim.batch.workers import Workers
from cmsim.calibration.fit import JOURNAL
from cmsim.calibration.synthetic import synthetic_data
from cmsim.cli import main
from cmsim.errors import ArgumentError

pytest.importorskip("distributed")

FIT = ["members.visit_rate", "members.post_rate"]
KW = {"fit": FIT, "trials": 6, "seeds": 2, "holdout_weeks": 2, "report_seeds": 4, "quiet": True}


@pytest.fixture(scope="module")
def data():
    return synthetic_data("forum", {"members.visit_rate": 0.02}, members=300, days=56, seed=3,
                          columns=["members", "dau", "posts"])  # fmt: skip


@pytest.fixture(scope="module")
def serial(data):
    return cmsim.calibrate(data, "forum", workers=1, **KW)


def _same(a, b) -> None:
    pd.testing.assert_frame_equal(a.trials, b.trials)
    assert a.values == b.values and a.score == b.score
    np.testing.assert_array_equal(a.runs_after, b.runs_after)
    np.testing.assert_array_equal(a.runs_before, b.runs_before)


def test_a_dask_cluster_runs_the_same_trials_as_one_process(data, serial, tmp_path):
    with dask_cluster(2) as address:
        res = cmsim.calibrate(data, "forum", scheduler=address, out=tmp_path / "dask", **KW)
    _same(res, serial)  # 2 slots, 2 seeds: one trial at a time, as in one process
    assert (tmp_path / "dask" / JOURNAL).stat().st_size > 0 and (tmp_path / "dask" / "fitted.yaml").exists()


def test_a_local_dask_cluster_and_local_processes_run_the_same_trials(data, serial):
    _same(cmsim.calibrate(data, "forum", scheduler="local", workers=2, **KW), serial)
    _same(cmsim.calibrate(data, "forum", workers=2, **KW), serial)


class _Wide(Workers):
    """Runs in this process but says it has 5 slots: the study asks 2 trials (of 2 seeds) at a time."""

    @property
    def slots(self) -> int:
        return 5


def test_trials_in_flight_together_end_with_the_study_count(data, tmp_path, monkeypatch):
    from cmsim.calibration import fit

    batches: list[int] = []
    real = fit.run_trials

    def spy(workers, setup, sets, seeds):
        batches.append(len(sets))
        return real(workers, setup, sets, seeds)

    from cmsim.calibration import api

    monkeypatch.setattr(fit, "run_trials", spy)
    monkeypatch.setattr(api, "open_workers", lambda setup, workers, scheduler: _Wide(1))
    res = cmsim.calibrate(data, "forum", **{**KW, "trials": 7})
    assert batches[:4] == [2, 2, 2, 1]  # 7 trials: three pairs and one, then the report's runs
    assert len(res.trials) == 7 and res.trials["number"].tolist() == list(range(7))
    assert res.trials[FIT].drop_duplicates().shape[0] == 7  # the constant liar keeps a pair apart


TWO = textwrap.dedent(
    """
    import sys
    import cmsim
    from cmsim.calibration.synthetic import synthetic_data
    data = synthetic_data("forum", {"members.visit_rate": 0.02}, members=300, days=56, seed=3,
                          columns=["members", "dau", "posts"])
    cmsim.calibrate(data, "forum", fit=["members.visit_rate", "members.post_rate"], trials=16, seeds=2,
                    holdout_weeks=2, out=sys.argv[1], workers=1, report_seeds=4, quiet=True)
    """
)


def test_two_processes_share_one_study(tmp_path):
    import optuna
    from optuna.storages.journal import JournalFileBackend

    script = tmp_path / "fit.py"
    script.write_text(TWO)
    out = tmp_path / "out"
    procs = [subprocess.Popen([sys.executable, str(script), str(out)]) for _ in range(2)]
    assert [p.wait(timeout=300) for p in procs] == [0, 0]
    storage = optuna.storages.JournalStorage(JournalFileBackend(str(out / JOURNAL)))
    (summary,) = storage.get_all_studies()  # one study, not two
    trials = optuna.load_study(study_name=summary.study_name, storage=storage).trials
    complete = [t for t in trials if t.state.name == "COMPLETE"]
    # each process stops once the study holds 16; both may have asked the last one at once
    assert 16 <= len(complete) <= 17 and len({t.number for t in trials}) == len(trials)
    assert all(t.state.name == "COMPLETE" for t in trials)  # nothing left running or failed


def test_bad_scheduler_arguments_are_one_line(data, tmp_path, monkeypatch):
    from cmsim.batch import workers

    with pytest.raises(
        ArgumentError, match="'local' or an address like tcp://HOST:PORT; got '127.0.0.1:8786'"
    ):
        cmsim.calibrate(data, "forum", scheduler="127.0.0.1:8786", **KW)
    with pytest.raises(ArgumentError, match="has its own workers"):
        cmsim.calibrate(data, "forum", scheduler="tcp://127.0.0.1:1", workers=2, **KW)
    with pytest.raises(ArgumentError, match="'workers' parameter must be an integer >= 1; got 0"):
        cmsim.calibrate(data, "forum", workers=0, **KW)
    monkeypatch.setattr(workers, "CONNECT_TIMEOUT_S", 2)
    t0 = time.monotonic()
    with pytest.raises(ArgumentError, match="cannot reach the Dask scheduler"):
        cmsim.calibrate(data, "forum", scheduler=f"tcp://127.0.0.1:{free_port()}", **KW)
    assert time.monotonic() - t0 < 60
    path = tmp_path / "data.csv"
    data.to_csv(path, index=False)
    assert main(["calibrate", str(path), "--out", str(tmp_path / "o"), "--scheduler", "nowhere"]) == 2


def test_a_worker_with_another_model_version_is_refused():
    from cmsim.calibration.fit import _star
    from cmsim.errors import CmsimError

    with pytest.raises(
        CmsimError, match="a worker runs model version .* the calibration '0.9': install the same kit"
    ):
        _star((None, {}, 0, "0.9"))


def test_a_trial_another_process_failed_meanwhile_is_skipped_not_fatal(data, tmp_path, monkeypatch):
    """A second process starting on the journal fails trials it takes for a killed process's
    (running longer than STALE_AFTER_S): the process still running one drops its result."""
    import optuna

    from cmsim.calibration import fit

    real, calls = fit.run_trials, []

    def meddle(workers, setup, sets, seeds):
        out = real(workers, setup, sets, seeds)
        if len(calls) == 2:  # while trial 2 runs, another process marks it failed
            storage = fit._storage(tmp_path / "o" / JOURNAL)
            (study,) = storage.get_all_studies()
            for t in storage.get_all_trials(study._study_id):
                if t.state == optuna.trial.TrialState.RUNNING:
                    storage.set_trial_state_values(t._trial_id, optuna.trial.TrialState.FAIL)
        calls.append(len(sets))
        return out

    monkeypatch.setattr(fit, "run_trials", meddle)
    res = cmsim.calibrate(data, "forum", out=tmp_path / "o", workers=1, **KW)
    assert res.trials["number"].tolist() == [0, 1, 3, 4, 5, 6]  # trial 2 dropped, one more asked
