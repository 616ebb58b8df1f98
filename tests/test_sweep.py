"""Sweeps: the spec, point identity, the Parquet store, local workers, resume after SIGKILL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cmsim
import cmsim.spec as spec_module
from cmsim import SweepError
from cmsim.batch import keys as keys_module
from cmsim.batch.keys import point_key
from cmsim.batch.runner import chunk_size, plan
from cmsim.batch.spec_load import load_spec
from cmsim.batch.store import Store
from cmsim.batch.sweep import open_sweep
from cmsim.cli import main

REPO = Path(__file__).resolve().parents[1]
SWEEPS = sorted((REPO / "scenarios" / "sweeps").glob("*.yaml"))

#: A small grid: 3 moderation hours x 2 troll rates x 2 seeds, 300 members x 30 days.
SMALL = {
    "scenario": "forum",
    "days": 30,
    "members": 300,
    "seeds": 2,
    "hours": {"responding": 5, "content": 3, "welcoming": 3},
    "axes": [
        {"key": "hours.moderation", "values": [0, 4, 8]},
        {"key": "trolls.arrival_rate", "values": [0.05, 0.5]},
    ],
    "metrics": ["final_members", "toxic_share", "health_index"],
    "chunk_runs": 3,
}


def write(tmp_path: Path, name: str, data) -> Path:
    import yaml

    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data), encoding="utf-8")
    return path


# --- the spec ------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", SWEEPS, ids=lambda p: p.stem)
def test_example_specs_are_valid_and_resolve_every_point(path):
    spec = load_spec(path)
    chunks = list(plan(spec, chunk_size(spec)))  # resolves every point
    assert sum(c.runs for c in chunks) == spec.n_runs > 0
    assert len({c.name for c in chunks}) == len(chunks)


def test_example_specs_cover_the_issue():
    names = {p.stem for p in SWEEPS}
    assert {"forum_moderation_trolls", "lever_marginal_value", "sobol_guesses"} <= names
    forum = load_spec(REPO / "scenarios/sweeps/forum_moderation_trolls.yaml")
    assert set(forum.axis_keys) == {"hours.moderation", "trolls.arrival_rate"}
    levers = load_spec(REPO / "scenarios/sweeps/lever_marginal_value.yaml")
    kinds = {levers.point(i)["community.kind"] for i in range(levers.n_points)}
    assert kinds == set(cmsim.KINDS)
    sobol = load_spec(REPO / "scenarios/sweeps/sobol_guesses.yaml")
    assert sobol.design.method == "sobol" and sobol.n_points == sobol.design.samples * (
        len(sobol.design.keys) + 2
    )


def test_points_are_numbered_grid_major_and_crossed_with_the_design():
    spec = load_spec({**SMALL, "design": {"method": "latin", "samples": 4, "seed": 3,
                                          "ranges": {"dynamics.toxic_harm": {"times": [0.5, 1.5]}}}})  # fmt: skip
    assert spec.n_points == 3 * 2 * 4 and spec.n_runs == 48
    p = [spec.point(i) for i in range(spec.n_points)]
    assert [q["hours.moderation"] for q in p[:8]] == [0.0] * 8
    assert [q["trolls.arrival_rate"] for q in p[:8]] == [0.05] * 4 + [0.5] * 4
    base = cmsim.load_scenario("forum")["dynamics.toxic_harm"]
    harms = [q["dynamics.toxic_harm"] for q in p[:4]]
    assert harms == [q["dynamics.toxic_harm"] for q in p[4:8]]  # the same design rows in every cell
    assert all(0.5 * base <= h <= 1.5 * base for h in harms) and len(set(harms)) == 4
    assert spec.run(5) == (2, 1, p[2])


def test_list_axes_vary_keys_together_and_events_and_interventions_are_axes():
    spec = load_spec({
        "scenario": "troll_raid", "seeds": 1, "days": 30, "members": 200,
        "interventions": [{"day": 10, "kind": "ban_wave"}],
        "axes": [{"keys": ["manager.count", "manager.hours"], "values": [[1, 30], [2, 20]]},
                 {"key": "events[0].magnitude", "range": [0, 2], "steps": 3},
                 {"key": "interventions[0].day", "values": [5, 20]}],
    })  # fmt: skip
    assert spec.n_points == 2 * 3 * 2
    sc, strategy, ivs = spec.resolve(spec.point(11))
    assert sc["manager.count"] == 2 and sc["manager.hours"] == 20.0 and strategy == "balanced"
    assert sc.events[0]["magnitude"] == 2.0 and ivs[0].day == 20 and ivs[0].kind == "ban_wave"


def test_hours_over_the_budget_are_rejected_or_read_as_shares():
    over = {**SMALL, "axes": [{"key": "hours.moderation", "values": [0, 25]}]}
    with pytest.raises(SweepError, match=r"asks 36 h a week, over the manager's budget of 30 h"):
        load_spec(over).resolve({"hours.moderation": 25.0})
    with pytest.raises(SweepError, match="over the manager's budget"):
        list(plan(load_spec(over), 2))  # the plan resolves every point before any run
    spec = load_spec({**over, "over_budget": "shares"})
    _, alloc, _ = spec.resolve({"hours.moderation": 25.0})
    assert sum(alloc.values()) == pytest.approx(30.0)
    assert alloc["moderation"] / alloc["responding"] == pytest.approx(25 / 5)
    _, alloc, _ = spec.resolve({"hours.moderation": 0.0})
    assert alloc["moderation"] == 0 and alloc["responding"] == 5.0 and alloc["events"] == 0.0


BAD_SPECS = [
    ("", "the file is empty"),
    ("- 1\n", "a sweep spec must be a mapping"),
    ("scenario: forum\naxis: []\n", "unknown key 'axis'; did you mean 'axes'?"),
    ("scenario: nowhere\naxes: [{key: trolls.base_rate, values: [1]}]\n", "no such scenario 'nowhere'"),
    ("scenario: forum\n", "needs 'axes' or a 'design'"),
    ("scenario: forum\noverrides: [1]\naxes: [{key: trolls.base_rate, values: [1]}]\n", "'overrides' must be a mapping"),
    ("scenario: forum\noverrides: {trolls.base_rat: 1}\naxes: [{key: trolls.base_rate, values: [1]}]\n", "did you mean 'trolls.base_rate'"),
    ("scenario: forum\ninterventions: [{day: 5, kind: ban_wav}]\naxes: [{key: trolls.base_rate, values: [1]}]\n", "'interventions[0]'"),
    ("scenario: forum\naxes: [{key: 'interventions[0].day', values: [1]}]\n", "the spec has 0"),
    ("scenario: forum\naxes: [{key: trolls.base_rate, values: [-1]}]\n", "'axes[0].values[0]'"),
    ("scenario: forum\naxes: [{key: hours.modding, values: [1]}]\n", "unknown lever 'modding'"),
    ("scenario: forum\naxes: [{key: 'events[0].day', values: [1]}]\n", "names event 0, the scenario has 0"),
    ("scenario: forum\naxes: [{key: strategy, values: [balanced, nope]}]\n", "a built-in strategy"),
    ("scenario: forum\naxes: [{key: trolls.base_rate, values: [1, 1]}]\n", "repeats a value"),
    ("scenario: forum\nseeds: 0\naxes: [{key: trolls.base_rate, values: [1]}]\n", "'seeds' must be an integer >= 1"),
    ("scenario: forum\nmetrics: [helth_index]\naxes: [{key: trolls.base_rate, values: [1]}]\n", "did you mean 'health_index'"),
    ("scenario: forum\ndesign: {method: sobol, samples: 10, ranges: {trolls.base_rate: [0, 1], dynamics.toxic_harm: [0, 1]}}\n", "a power of 2"),
    ("scenario: forum\ndesign: {method: latin, samples: 8, ranges: {community.kind: [0, 1]}}\n", "a design varies numbers only"),
    ("scenario: forum\nhours: {moderation: 5}\naxes: [{key: strategy, values: [balanced]}]\n", "'strategy' is varied"),
    ("scenario: forum\naxes: [{keys: [manager.recover_threshold], values: [[0.95]]}]\n", "must be below 'manager.burnout_threshold'"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "message"), BAD_SPECS, ids=[m for _, m in BAD_SPECS])
def test_bad_specs_give_one_line_and_exit_2(tmp_path, capsys, text, message):
    path = write(tmp_path, "bad.yaml", text)
    assert main(["sweep", str(path), "--out", str(tmp_path / "out"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err
    assert str(path) in err
    assert not (tmp_path / "out").exists()  # nothing is written for a bad spec


def test_empty_scenario_file_is_an_error_for_a_sweep_too(tmp_path):
    write(tmp_path, "empty.yaml", "# nothing\n")
    spec = write(tmp_path, "s.yaml", "scenario: empty.yaml\naxes: [{key: trolls.base_rate, values: [1]}]\n")
    with pytest.raises(SweepError, match="empty.yaml: the file is empty"):
        load_spec(spec)


# --- identity ------------------------------------------------------------------------------------
def test_point_key_is_canonical_and_names_every_input(monkeypatch):
    forum = cmsim.load_scenario("forum")
    inputs, key = point_key(forum, "balanced", 3)
    assert len(key) == 64 and inputs["seed"] == 3 and inputs["model_version"] == cmsim.MODEL_VERSION
    renamed = forum.with_overrides({"name": "other", "description": "text"})
    assert point_key(renamed, "balanced", 3)[1] == key  # name and text do not change a run
    assert point_key(forum, "balanced", 4)[1] != key
    assert point_key(forum, "absent", 3)[1] != key
    assert point_key(forum.with_overrides({"trolls.base_rate": 0.5}), "balanced", 3)[1] != key
    assert point_key(forum, "balanced", 3, [cmsim.Intervention(5, "ban_wave")])[1] != key
    hours = {"moderation": 10.0}
    assert point_key(forum, hours, 3)[1] == point_key(forum, {"moderation": 10}, 3)[1]
    monkeypatch.setattr(keys_module, "MODEL_VERSION", "999")
    monkeypatch.setattr(spec_module, "MODEL_VERSION", "999")  # the run spec keys the model version
    assert point_key(forum, "balanced", 3)[1] != key


# --- running -------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def small_full(tmp_path_factory):
    out = tmp_path_factory.mktemp("sweep") / "full"
    return cmsim.sweep(SMALL, out=out, workers=1, progress=False)


def test_a_sweep_writes_one_row_per_run_with_the_results_of_simulate(small_full):
    df = small_full.to_frame()
    spec = small_full.spec
    assert len(df) == spec.n_runs == 12 and list(df["run"]) == list(range(12))
    assert list(df.columns[:5]) == ["run", "point", "seed", "hours.moderation", "trolls.arrival_rate"]
    assert df["run_key"].is_unique
    row = df.iloc[7]  # point 3 = moderation 4 h, troll rate 0.5, seed 1
    assert (row["point"], row["seed"], row["hours.moderation"], row["trolls.arrival_rate"]) == (
        3,
        1,
        4.0,
        0.5,
    )
    hours = {"moderation": 4, "responding": 5, "content": 3, "welcoming": 3}
    run = cmsim.simulate("forum", hours, seed=1, days=30, members=300, overrides={"trolls.arrival_rate": 0.5})
    for m in spec.metrics:
        assert row[m] == pytest.approx(run.summary[m], rel=0, abs=0)
    manifest = json.loads((small_full.out / "manifest.json").read_text())
    assert manifest["model_version"] == cmsim.MODEL_VERSION and manifest["spec_hash"] == spec.spec_hash()
    assert manifest["environment"]["python"] and manifest["chunk_runs"] == 3
    assert len(list((small_full.out / "runs").glob("part-*.parquet"))) == 4


def test_two_workers_give_identical_results(small_full, tmp_path):
    two = cmsim.sweep(SMALL, out=tmp_path / "two", workers=2, progress=False)
    pd.testing.assert_frame_equal(two.to_frame(), small_full.to_frame())
    assert sorted(p.name for p in Store(tmp_path / "two").files()) == sorted(
        p.name for p in Store(small_full.out).files()
    )


def test_a_finished_sweep_runs_nothing_again(small_full, monkeypatch):
    before = {p: p.stat().st_mtime_ns for p in Store(small_full.out).files()}
    import cmsim.batch.sweep as sweep_module

    monkeypatch.setattr(sweep_module, "execute", lambda *a, **k: pytest.fail("ran again"))
    again = cmsim.sweep(SMALL, out=small_full.out, workers=2, progress=False)
    assert again.complete and {p: p.stat().st_mtime_ns for p in Store(small_full.out).files()} == before


def test_truncated_and_corrupt_files_are_detected_and_redone(small_full, tmp_path):
    import shutil

    out = tmp_path / "damaged"
    shutil.copytree(small_full.out, out)
    files = Store(out).files()
    data = files[0].read_bytes()
    files[0].write_bytes(data[: len(data) // 2])  # truncated (a power cut mid-copy)
    files[1].write_bytes(b"PAR1" + b"\0" * 100)  # garbage with the right magic
    shutil.copy(files[3], files[2])  # a whole file under another chunk's name
    (out / "runs" / ".part-x.parquet.tmp-123").write_bytes(b"half")  # a temporary left by a kill
    redone = cmsim.sweep(SMALL, out=out, workers=1, progress=False)
    pd.testing.assert_frame_equal(redone.to_frame(), small_full.to_frame())
    assert not list((out / "runs").glob(".*tmp*"))


def test_a_changed_spec_or_model_version_is_refused_unless_forced(small_full, tmp_path):
    import shutil

    out = tmp_path / "old"
    shutil.copytree(small_full.out, out)
    changed = {**SMALL, "seeds": 3}
    with pytest.raises(SweepError, match=r"holds a sweep of another spec .*--force"):
        cmsim.sweep(changed, out=out, workers=1, progress=False)
    m = json.loads((out / "manifest.json").read_text())
    (out / "manifest.json").write_text(json.dumps({**m, "model_version": "0.9"}))
    with pytest.raises(SweepError, match=r"model version '0.9', this kit runs"):
        cmsim.sweep(SMALL, out=out, workers=1, progress=False)
    forced = cmsim.sweep(changed, out=out, workers=1, progress=False, allow_changed=True)
    assert forced.manifest["history"][0]["model_version"] == "0.9" and forced.spec.seeds == (0, 1, 2)
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    with pytest.raises(SweepError, match="not empty and holds no sweep"):
        cmsim.sweep(SMALL, out=tmp_path / "other", workers=1, progress=False)


def test_daily_series_are_kept_when_asked(tmp_path):
    spec = {**SMALL, "axes": [{"key": "hours.moderation", "values": [0, 8]}], "daily": ["members", "dau"]}
    s = cmsim.sweep(spec, out=tmp_path / "d", workers=1, progress=False)
    daily = s.daily()
    assert list(daily.columns) == ["run", "day", "members", "dau"] and len(daily) == 4 * 30
    hours = {"moderation": 8, "responding": 5, "content": 3, "welcoming": 3}
    run = cmsim.simulate("forum", hours, seed=1, days=30, members=300)
    got = daily[daily["run"] == 3]
    np.testing.assert_array_equal(got["members"].to_numpy(), run.daily["members"].to_numpy())


def test_open_sweep_reads_a_folder_back(small_full):
    s = open_sweep(small_full.out)
    assert s.spec.spec_hash() == small_full.spec.spec_hash() and s.complete
    pd.testing.assert_frame_equal(s.to_frame(), small_full.to_frame())
    with pytest.raises(SweepError, match="holds no sweep"):
        open_sweep(small_full.out / "runs")


def _dying_chunk(task):
    """A worker that dies (as if killed) the first time, then runs normally."""
    from cmsim.batch import runner

    flag = Path(os.environ["CMSIM_TEST_FLAG"])
    if not flag.exists():
        flag.write_text("died")
        os._exit(9)
    return runner.__dict__["_real_run_chunk"](task)


def test_a_lost_local_worker_is_replaced_and_its_chunk_run_again(small_full, tmp_path, monkeypatch):
    from cmsim.batch import runner

    monkeypatch.setenv("CMSIM_TEST_FLAG", str(tmp_path / "flag"))
    monkeypatch.setitem(runner.__dict__, "_real_run_chunk", runner.run_chunk)
    monkeypatch.setattr(runner, "run_chunk", _dying_chunk)
    s = cmsim.sweep(SMALL, out=tmp_path / "lost", workers=2, progress=False)
    assert (tmp_path / "flag").exists()
    pd.testing.assert_frame_equal(s.to_frame(), small_full.to_frame())


# --- SIGKILL and resume ----------------------------------------------------------------------------
KILL_SPEC = {**SMALL, "members": 800, "days": 60, "seeds": 60, "chunk_runs": 4,
             "axes": [{"key": "hours.moderation", "values": [0, 4, 8]}]}  # fmt: skip


def test_a_sweep_killed_with_sigkill_resumes_to_exactly_the_full_set(tmp_path):
    spec = write(tmp_path, "kill.yaml", KILL_SPEC)
    out = tmp_path / "killed"
    cmd = [
        sys.executable,
        "-m",
        "cmsim.cli",
        "sweep",
        str(spec),
        "--out",
        str(out),
        "--workers",
        "2",
        "--quiet",
    ]
    proc = subprocess.Popen(cmd, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while not list((out / "runs").glob("part-*.parquet")) and time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read().decode()
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)  # the driver and its workers, mid-sweep
    proc.wait()
    spec_obj = load_spec(spec)
    partial = Store(out).read()
    assert 0 < len(partial) < spec_obj.n_runs, "the sweep finished before it was killed"
    assert main(["sweep", str(spec), "--out", str(out), "--workers", "2", "--quiet"]) == 0
    resumed = Store(out).read()
    full = cmsim.sweep(spec, out=tmp_path / "full", workers=2, progress=False).to_frame()
    assert len(resumed) == spec_obj.n_runs and resumed["run"].is_unique
    pd.testing.assert_frame_equal(resumed, full)
    assert not list(out.rglob(".*tmp*"))


def test_a_design_drawn_differently_is_another_spec(tmp_path, monkeypatch):
    from cmsim.batch import sweep_spec

    spec = {**SMALL, "axes": [], "seeds": 1, "chunk_runs": 4,
            "design": {"method": "latin", "samples": 4, "seed": 0, "ranges": {"dynamics.churn_unhappy": [0.01, 0.03]}}}  # fmt: skip
    cmsim.sweep(spec, out=tmp_path / "d", workers=1, progress=False)
    real = sweep_spec.Design.matrix
    monkeypatch.setattr(sweep_spec.Design, "matrix", lambda self: real(self) * 1.01)  # e.g. a new SALib
    with pytest.raises(SweepError, match="another spec"):
        cmsim.sweep(spec, out=tmp_path / "d", workers=1, progress=False)


@settings(max_examples=25, deadline=None)
@given(
    levels=st.lists(st.integers(1, 4), min_size=1, max_size=3),
    seeds=st.integers(1, 3),
    size=st.integers(1, 7),
)
def test_points_runs_and_chunks_cover_every_combination_once(levels, seeds, size):
    keys = ["trolls.arrival_rate", "dynamics.churn_unhappy", "manager.hours"][: len(levels)]
    axes = [
        {"key": k, "values": [0.01 * (i + 1) for i in range(n)]} for k, n in zip(keys, levels, strict=True)
    ]
    spec = load_spec({"scenario": "forum", "seeds": seeds, "axes": axes, "metrics": ["final_members"]})
    assert spec.n_points == int(np.prod(levels)) and spec.n_runs == spec.n_points * seeds
    points = [tuple(spec.point(i).values()) for i in range(spec.n_points)]
    assert len(set(points)) == spec.n_points  # every combination, once
    runs = {(spec.run(j)[0], spec.run(j)[1]) for j in range(spec.n_runs)}
    assert runs == {(p, s) for p in range(spec.n_points) for s in range(seeds)}
    chunks = list(plan(spec, size))
    assert [c.start for c in chunks] == list(range(0, spec.n_runs, size)) and chunks[-1].stop == spec.n_runs
    assert len({c.name for c in chunks}) == len(chunks)


def test_ctrl_c_stops_with_one_line_and_the_same_command_resumes(tmp_path):
    spec = write(tmp_path, "intr.yaml", KILL_SPEC)
    out = tmp_path / "interrupted"
    cmd = [
        sys.executable,
        "-m",
        "cmsim.cli",
        "sweep",
        str(spec),
        "--out",
        str(out),
        "--workers",
        "2",
        "--quiet",
    ]

    def foreground():  # as a terminal runs it: its own process group, Ctrl-C not ignored
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.setpgrp()

    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=foreground)
    deadline = time.monotonic() + 120
    while not list((out / "runs").glob("part-*.parquet")) and time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read().decode()
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C reaches the driver and its workers
    assert proc.wait(timeout=60) == 130
    err = proc.stderr.read().decode()
    assert err.strip().splitlines()[-1] == "interrupted" and "Traceback" not in err
    assert 0 < len(Store(out).read()) < load_spec(spec).n_runs
    assert main(["sweep", str(spec), "--out", str(out), "--workers", "2", "--quiet"]) == 0
    full = cmsim.sweep(spec, out=tmp_path / "full", workers=1, progress=False).to_frame()
    pd.testing.assert_frame_equal(Store(out).read(), full)


def test_the_command_shows_runs_done_rate_and_time_left(tmp_path, capsys):
    spec = write(tmp_path, "s.yaml", SMALL)
    assert main(["sweep", str(spec), "--out", str(tmp_path / "o"), "--workers", "1"]) == 0
    captured = capsys.readouterr()
    assert "12/12" in captured.err and "run/s" in captured.err and "<00:00" in captured.err
    assert "12 of 12 runs" in captured.out and "cmsim report" in captured.out
