"""cmsim.calibrate: recovery of known parameters, resuming a killed study, the fitted scenario, the CLI.

Small on purpose (the machine is shared): 500 members, 13 weeks, a few trials of a few seeds.
``benchmarks/calibration_recovery.py`` runs the full-size recovery.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import cmsim
from cmsim.calibration.fit import DEFAULT_FIT, JOURNAL, default_fit, search_space
from cmsim.calibration.synthetic import synthetic_data
from cmsim.cli import main

TRUTH = {"members.visit_rate": 0.02, "members.post_rate": 0.006}
#: How far a fit at this small size may land from the truth: on data seeds 777-779 (40 trials of 4
#: seeds) the fits were off by up to 21% in visit rate and 42-44% in post rate, with model 3.0
#: and 3.1 alike (docs/calibration.md). Both stay below the base values' distance (40%, 67%).
TOLERANCE = {"members.visit_rate": 0.30, "members.post_rate": 0.50}


@pytest.fixture(scope="module")
def small_fit(tmp_path_factory):
    """A 500-member forum whose visit and post rates are known, fitted from the defaults (0.012, 0.01)."""
    out = tmp_path_factory.mktemp("fit")
    data = synthetic_data("forum", TRUTH, members=500, days=91, seed=777, columns=["members", "dau", "posts"])
    data.to_csv(out / "data.csv", index=False)
    # 40 trials: 24 found the truth until levers.queue_cost came in; the sampler's seed follows the
    # scenario's values, and with the new one the 24th best was 2x off in post_rate (35 find it)
    res = cmsim.calibrate(out / "data.csv", "forum", fit=list(TRUTH), trials=40, seeds=4, holdout_weeks=3,
                          out=out / "result", workers=2, report_seeds=12, quiet=True)  # fmt: skip
    return res, out


def test_small_recovery_finds_the_known_parameters(small_fit):
    res, _ = small_fit
    for key, true in TRUTH.items():
        assert abs(res.values[key] / true - 1) <= TOLERANCE[key], (key, res.values[key], true)
        assert abs(cmsim.load_scenario("forum")[key] / true - 1) > TOLERANCE[key]  # (the base is not)
        assert res.before[key] == cmsim.load_scenario("forum")[key]
    assert res.score < res.trials.loc[0, "score"]  # better than the base values (trial 0)
    assert res.holdout_coverage >= 0.5
    params = res.parameters().set_index("parameter")
    assert set(params.index) == set(TRUTH) and params.loc["members.visit_rate", "verdict"] == "pinned"
    after, before = res.mismatch("after"), res.mismatch("before")
    assert after["mean_z2"].sum() < before["mean_z2"].sum()


def test_fitted_scenario_file_extends_the_base_and_loads_everywhere(small_fit):
    res, out = small_fit
    path = out / "result" / "fitted.yaml"
    text = path.read_text()
    assert "extends: forum" in text and "provenance:" in text
    sc = cmsim.load_scenario(path)
    for key, value in res.values.items():
        assert sc[key] == pytest.approx(value)
    first = res.observed.first_members()[0]  # the size at the first date, the base's horizon
    assert sc["community.initial_members"] == first == res.sim_members and sc["community.days"] == 180
    prov = cmsim.calibration.read_provenance(path)
    assert prov["data_sha256"] == res.observed.sha256 and prov["trials"] == 40
    assert prov["model_version"] == cmsim.MODEL_VERSION and prov["data_start"] == "2024-01-01"
    cmp = cmsim.compare(path, ["balanced", "absent"], seeds=2, days=14, progress=False)
    assert len(cmp.to_frame()) == 4
    assert main(["validate", str(path)]) == 0


def test_fitted_scenario_runs_in_the_lab_the_game_and_a_sweep(small_fit, tmp_path):
    from cmsim.game import Game
    from cmsim.widgets import StrategyLab

    res, out = small_fit
    path = out / "result" / "fitted.yaml"
    key = "members.visit_rate"
    game = Game(path, weeks=2, seed=3).play(["balanced"])
    assert game.sim.scenario[key] == pytest.approx(res.values[key])  # the fitted value, not the base's
    again = Game.load(game.save(tmp_path / "game.json"))
    assert again.score() == game.score() and again.sim.scenario[key] == game.sim.scenario[key]
    lab = StrategyLab(path, ["balanced", "absent"], seeds=2, members=200, days=14, debounce=0.05)
    try:
        assert lab.wait(120) and lab.result is not None and lab.message == ""
        got = lab.result.comparison
    finally:
        lab.close()
    kw = {"seeds": [0, 1], "members": 200, "days": 14, "backend": "serial", "progress": False,
          "metrics": list(got.metrics)}  # fmt: skip
    fitted = cmsim.compare(path, ["balanced", "absent"], **kw).summary
    pd.testing.assert_frame_equal(got.summary, fitted)  # the lab ran the fitted community...
    base = cmsim.compare("forum", ["balanced", "absent"], **kw).summary
    assert not np.allclose(base["mean"], fitted["mean"])  # ...not the base one
    spec = {"scenario": str(path), "days": 14, "members": 200, "seeds": 2,
            "axes": [{"key": "hours.moderation", "values": [0, 4]}], "metrics": ["final_members"]}  # fmt: skip
    s = cmsim.sweep(spec, out=tmp_path / "sweep", workers=1, progress=False)
    assert len(s.to_frame()) == 4 and s.spec.base[key] == pytest.approx(res.values[key])


def test_report_files(small_fit):
    _, out = small_fit
    for name in ("fit.png", "mismatch.csv", "parameters.csv", "report.md"):
        assert (out / "result" / name).stat().st_size > 0
    md = (out / "result" / "report.md").read_text()
    assert "Pinned down by the data" in md and "Held-out weeks" in md


def test_a_second_call_continues_the_study_instead_of_starting_over(small_fit, tmp_path):
    res, out = small_fit
    again = cmsim.calibrate(out / "data.csv", "forum", fit=list(TRUTH), trials=42, seeds=4, holdout_weeks=3,
                            out=out / "result", workers=1, report_seeds=4, quiet=True)  # fmt: skip
    assert len(again.trials) == 42 and again.study_name == res.study_name
    assert again.trials.iloc[:40].equals(res.trials)  # the first 40 trials are the same ones


SCRIPT = textwrap.dedent(
    """
    import sys
    import cmsim
    from cmsim.calibration.synthetic import synthetic_data
    data = synthetic_data("forum", {"members.visit_rate": 0.02}, members=500, days=91, seed=5,
                          columns=["members", "dau", "posts"])
    cmsim.calibrate(data, "forum", fit=["members.visit_rate", "members.post_rate"], trials=int(sys.argv[2]),
                    seeds=4, holdout_weeks=2, out=sys.argv[1], workers=1, report_seeds=4, quiet=True)
    """
)


def _complete(journal: Path) -> list:
    import optuna
    from optuna.storages.journal import JournalFileBackend

    if not journal.exists():
        return []
    storage = optuna.storages.JournalStorage(JournalFileBackend(str(journal)))
    studies = storage.get_all_studies()
    if not studies:
        return []
    study = optuna.load_study(study_name=studies[0].study_name, storage=storage)
    return study.trials


def test_a_killed_calibration_continues_its_study(tmp_path):
    script = tmp_path / "fit.py"
    script.write_text(SCRIPT)
    out, n = tmp_path / "out", 40
    proc = subprocess.Popen([sys.executable, str(script), str(out), str(n)], start_new_session=True)
    deadline = time.monotonic() + 240
    done = []
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            done = [t for t in _complete(out / JOURNAL) if t.state.name == "COMPLETE"]
            if len(done) >= 5:
                break
            time.sleep(0.05)
        assert proc.poll() is None, "the calibration ended before it could be killed"
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    before = _complete(out / JOURNAL)
    k = sum(t.state.name == "COMPLETE" for t in before)
    assert 5 <= k < n
    subprocess.run([sys.executable, str(script), str(out), str(n)], check=True, timeout=300)
    after = _complete(out / JOURNAL)
    complete = [t for t in after if t.state.name == "COMPLETE"]
    assert len(complete) == n  # the study's trial count continued to n, not n more
    assert len(after) - len(before) <= n - k  # the second run made only the trials that were missing
    old = {t.number: t.params for t in before if t.state.name == "COMPLETE"}
    assert all(t.params == old[t.number] for t in complete if t.number in old)


def test_default_fit_and_search_ranges():
    assert default_fit(["dau", "mau", "posts"]) == ["members.visit_rate", "members.post_rate"]
    assert set(DEFAULT_FIT) <= set(cmsim.calibration.COLUMNS)
    space = search_space(["members.visit_rate"], cmsim.load_scenario("forum").values)
    lo, hi, log = space["members.visit_rate"]
    assert (lo, hi, log) == (pytest.approx(0.003), pytest.approx(0.048), True)
    with pytest.raises(cmsim.CmsimError, match="did you mean 'members.visit_rate'"):
        search_space(["members.visit_rat"], cmsim.load_scenario("forum").values)
    with pytest.raises(cmsim.CmsimError, match="must lie in"):
        search_space({"members.visit_rate": (0.5, 2.0)}, cmsim.load_scenario("forum").values)


def test_scale_rule_for_a_community_larger_than_simulated():
    data = synthetic_data("forum", {}, members=400, days=28, seed=3, columns=["members", "posts"])
    big = data.copy()
    big[["members", "posts"]] = big[["members", "posts"]] * 25  # the same community, 25 times larger
    res = cmsim.calibrate(big, "forum", fit=["members.post_rate"], trials=3, seeds=2, holdout_weeks=1,
                          max_members=400, workers=1, report_seeds=2, quiet=True)  # fmt: skip
    assert res.sim_members == 400 and res.scale == pytest.approx(400 / big["members"].iloc[0])
    assert np.allclose(res.observed_model_scale(), data[["members", "posts"]].to_numpy() * 25 * res.scale)
    assert res.fitted_scenario["community.initial_members"] == 400
    assert any("counts scaled" in n for n in res.notes)


def test_provenance_key_in_scenario_files(tmp_path, small_fit):
    import json

    import jsonschema
    import yaml

    from cmsim.jsonschema import scenario_schema

    _, out = small_fit
    doc = yaml.safe_load((out / "result" / "fitted.yaml").read_text())
    jsonschema.validate(doc, scenario_schema())  # editors accept the fitted file
    bad = tmp_path / "bad.yaml"
    bad.write_text("extends: forum\nprovenance: from a spreadsheet\n")
    with pytest.raises(cmsim.ScenarioError, match="'provenance' must be a mapping"):
        cmsim.load_scenario(bad)
    assert json.dumps(scenario_schema()["properties"]["provenance"])


def test_trials_left_running_by_a_killed_process_are_marked_failed(tmp_path, monkeypatch):
    import optuna

    from cmsim.calibration import fit

    storage = fit._storage(tmp_path / JOURNAL)
    study = optuna.create_study(study_name="s", storage=storage)
    study.ask()  # a trial started and never finished, as a killed process leaves it
    monkeypatch.setattr(fit, "STALE_AFTER_S", 3600.0)
    fit._fail_stale(study, storage)
    assert [t.state.name for t in study.trials] == ["RUNNING"]  # recent: maybe another live worker's
    monkeypatch.setattr(fit, "STALE_AFTER_S", -1.0)
    fit._fail_stale(study, storage)
    assert [t.state.name for t in study.trials] == ["FAIL"]


def test_reports_data_inform_the_report_rate():
    """A community whose members report a third as often as the base scenario says: fitting
    ``trolls.report_rate`` (the default for a ``reports`` column) from weekly report counts moves
    it from the base's 0.3 to within a factor of 2.5 of the truth, 0.08. Reports are few (about 3
    a week here, with trolls arriving twice as often as in social_media: model 3.0 removes many
    posts before anyone reads them) and bursty, so this is all they pin down (docs/calibration.md,
    "Reports")."""
    assert default_fit(["reports"]) == ["trolls.report_rate"]
    base = cmsim.load_scenario("social_media").with_overrides(
        {"trolls.arrival_rate": 2.0, "trolls.report_rate": 0.3}, source="test"
    )
    data = synthetic_data(base, {"trolls.report_rate": 0.08}, members=1500, days=91, seed=13,
                          columns=["members", "dau", "posts", "reports"])  # fmt: skip
    res = cmsim.calibrate(data, base, fit={"trolls.report_rate": (0.02, 0.8)}, trials=16, seeds=6,
                          holdout_weeks=3, workers=2, report_seeds=8, quiet=True)  # fmt: skip
    assert "reports" in res.series and not res.observed.ignored
    fitted = res.values["trolls.report_rate"]
    assert 0.08 / 2.5 <= fitted <= 0.08 * 2.5, fitted
    mismatch = {w: res.mismatch(w).set_index("series") for w in ("before", "after")}
    # the reports' score (mean nll, what the fit minimises) improves; their mean z^2 alone need
    # not: with 0-3 reports a week the base's wider spread of counts hides its misfit (model 3.1:
    # z^2 0.70 before, 0.73 after, nll 3.7 before, 1.7 after)
    assert mismatch["after"].loc["reports", "nll"] < mismatch["before"].loc["reports", "nll"]
