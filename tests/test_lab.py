"""StrategyLab through its Python API: controls change outputs, bad values keep the last good
result, save/load round trip, export files, lazy import, and the fast numbers match cmsim.compare."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import yaml

import cmsim
from cmsim.widgets import StrategyLab
from cmsim.widgets.outputs import table_frame
from cmsim.widgets.results import compute
from cmsim.widgets.state import LabSpec, load_spec, save_spec

SMALL = dict(seeds=4, members=300, days=60)  # 60 days: newcomers of the first month reach 30 days


@pytest.fixture
def lab():
    lab = StrategyLab("forum", ["balanced", "absent"], debounce=0.05, **SMALL)
    assert lab.wait(120)
    yield lab
    lab.close()


def shown(lab):
    return bytes(lab.chart_image.value), lab.table.value, lab.answer.value


def test_import_cmsim_does_not_import_widgets():
    code = "import sys, cmsim; print('cmsim.widgets' in sys.modules, 'ipywidgets' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_first_result_is_shown(lab):
    assert lab.result is not None and lab.message == ""
    png, table, answer = shown(lab)
    assert png.startswith(b"\x89PNG") and "absent" in table and "P(better)" in table
    # a manager never in the forum answers fewer questions: the table says so, in words and colour
    frame = table_frame(lab.result)
    row = frame.query("metric == 'answered_share' and strategy == 'absent'").iloc[0]
    assert row["verdict"] == "worse" and "&#9660; worse" in table
    assert "absent" in answer and "than balanced" in answer and "histories" in answer
    assert "seeds 0 to 3" in lab.controls.seed_list.value


def test_moving_a_control_changes_the_outputs(lab):
    before = shown(lab)
    draws = lab.chart.draws
    lab.controls.knobs["trolls.arrival_rate"].value = 1.5
    assert lab.wait(60)
    after = shown(lab)
    assert after[0] != before[0] and after[1] != before[1]
    assert lab.result.scenario.values["trolls.arrival_rate"] == 1.5
    assert lab.chart.draws == draws + 1 and lab.chart.rebuilds == 1  # the figure was reused


def test_custom_hours_over_budget_is_one_line_and_keeps_last_result(lab):
    good = shown(lab)
    result = lab.result
    panel = lab.controls.panels[1]
    panel.kind.value = "custom hours"
    panel.sliders["moderation"].value = 40.0  # forum budget is 30 h
    assert lab.wait(60)
    assert "over" in panel.total.value
    assert lab.message.startswith("strategy 'custom hours' uses") and "budget of 30" in lab.message
    assert "\n" not in lab.message and "Traceback" not in lab.message_box.value
    assert lab.result is result and shown(lab) == good
    panel.sliders["moderation"].value = 5.0
    assert lab.wait(60)
    assert lab.message == "" and lab.result is not result


def test_impossible_size_is_one_line(lab):
    result = lab.result
    lab.controls.members.value = 1
    assert lab.wait(60)
    assert "community.initial_members" in lab.message and "\n" not in lab.message
    assert lab.result is result


def test_stale_request_never_overwrites_newer(lab):
    published = lab._runner.published
    lab.set(members=3000, days=180, seeds=10)  # slow request...
    lab.update()
    lab.set(members=200, days=30, seeds=3)  # ...superseded at once by a quick one
    lab.update()
    assert lab.wait(120)
    assert lab.result.spec.members == 200 and lab.result.spec.seeds == [0, 1, 2]
    assert lab._runner.published == published + 1  # the slow one was never shown


def test_numbers_match_cmsim_compare():
    spec = LabSpec("forum", members=300, days=40, seeds=[3, 4, 5],
                   strategies={"a": "balanced", "b": {"welcoming": 20, "responding": 10}},
                   metrics=["newcomer_retention_30d", "final_members"])  # fmt: skip
    res = compute(spec)
    ref = cmsim.compare("forum", spec.strategies, seeds=[3, 4, 5], members=300, days=40, backend="serial",
                        metrics=list(res.comparison.metrics), progress=False)  # fmt: skip
    pd.testing.assert_frame_equal(res.comparison.summary, ref.summary)
    b = ref.bands.query("metric == 'final_members' and strategy == 'b'")
    np.testing.assert_allclose(res.bands["final_members"]["b"][1], b["median"].to_numpy())
    np.testing.assert_allclose(res.bands["final_members"]["b"][0], b["p10"].to_numpy())


def test_crisis_and_interventions_reach_the_runs():
    spec = LabSpec("forum", members=300, days=60, seeds=[0, 1], crisis_day=20,
                   interventions=[{"day": 10, "kind": "ban_wave"}])  # fmt: skip
    res = compute(spec)
    labels = {(e["day"], e["label"]) for e in res.comparison.events}
    assert (10, "ban wave") in labels and any(d == 20 for d, _ in labels)


def test_save_load_round_trip(lab, tmp_path):
    lab.set(overrides={"manager.hours": 24.0}, crisis_day=50,
            interventions=[{"day": 12, "kind": "switch_strategy", "strategy": "responsive"}],
            strategies={"now": "balanced", "mine": {"welcoming": 10.0, "responding": 10.0}})  # fmt: skip
    assert lab.wait(60) and lab.message == ""
    path = lab.save(tmp_path / "state.yaml")
    data = yaml.safe_load(path.read_text())
    assert data["model_version"] == cmsim.MODEL_VERSION and data["seeds"] == [0, 1, 2, 3]
    spec, note = load_spec(path)
    assert note == ""
    assert spec.strategies["mine"]["welcoming"] == 10.0 and spec.overrides == {"manager.hours": 24.0}
    again = StrategyLab.load(path, debounce=0.05)
    try:
        assert again.wait(120)
        assert again.spec() == lab.spec()
        pd.testing.assert_frame_equal(again.comparison.summary, lab.comparison.summary)
    finally:
        again.close()


def test_old_model_version_is_noted(tmp_path):
    path = save_spec(LabSpec(members=300, days=30, seeds=[0, 1]), tmp_path / "s.yaml")
    text = path.read_text()
    assert f"model_version: '{cmsim.MODEL_VERSION}'" in text
    path.write_text(text.replace(f"model_version: '{cmsim.MODEL_VERSION}'", "model_version: '0.9'"))
    _, note = load_spec(path)
    assert "model version 0.9" in note and cmsim.MODEL_VERSION in note


def test_python_function_strategy_is_named_not_dropped(tmp_path):
    def my_plan(obs):
        return {"welcoming": obs["budget"] / 2}

    lab = StrategyLab("forum", {"now": "balanced", "mine": my_plan}, debounce=0.05, **SMALL)
    try:
        assert lab.wait(120) and lab.message == ""
        with pytest.raises(cmsim.CmsimError, match="strategy 'mine' is a Python object"):
            lab.save(tmp_path / "x.yaml")
        lab._button(lambda: lab.save(tmp_path / "x.yaml"))
        assert "'mine'" in lab.message and not (tmp_path / "x.yaml").exists()
    finally:
        lab.close()


def test_bad_state_file_is_one_line(tmp_path):
    p = tmp_path / "bad.yaml"
    p.write_text("strategies: {a: balanced, b: nonsense}\n")
    with pytest.raises(cmsim.CmsimError, match="strategy 'b' must be one of"):
        load_spec(p)


def test_export_writes_valid_files(lab, tmp_path):
    files = lab.export(tmp_path / "out")
    names = {f.name for f in files}
    assert {"chart.png", "chart.svg", "network.png", "summary.csv", "summary.parquet", "runs.parquet",
            "bands.csv", "lab_state.yaml"} <= names  # fmt: skip
    assert (tmp_path / "out/chart.png").read_bytes().startswith(b"\x89PNG")
    assert "<svg" in (tmp_path / "out/chart.svg").read_text()
    runs = pd.read_parquet(tmp_path / "out/runs.parquet")
    assert len(runs) == 8 and set(runs["strategy"]) == {"balanced", "absent"}
    summary = pd.read_csv(tmp_path / "out/summary.csv")
    assert set(summary["verdict"]) <= {"baseline", "better", "worse", "unclear"}
    bands = pd.read_parquet(tmp_path / "out/bands.parquet")
    assert len(bands) == 2 * len(lab.result.spec.metrics) * SMALL["days"]


def test_answer_sentence_for_identical_and_different_strategies():
    from cmsim.widgets.outputs import answer

    same = compute(
        LabSpec(members=200, days=40, seeds=[0, 1, 2], strategies={"a": "balanced", "b": "balanced"})
    )
    assert answer(same) == ["b does exactly as well as a here, in all 3 histories."]
    diff = compute(
        LabSpec(
            members=300,
            days=60,
            seeds=[0, 1, 2, 3],
            strategies={"a": "balanced", "none": "absent"},
            metrics=["answered_share"],
        )  # fmt: skip
    )
    (text,) = answer(diff)
    assert text.startswith("none answers ") and "pp fewer questions than a (95% CI -" in text
    assert text.endswith("better in 0 of 4 histories.")


def test_doctests():
    import doctest

    import cmsim.widgets.results as results

    assert doctest.testmod(results).failed == 0


def test_scenario_file_and_third_strategy(lab, tmp_path):
    result = lab.result
    lab.controls.scenario_file.value = str(tmp_path / "missing.yaml")
    assert lab.wait(60)
    assert "missing.yaml" in lab.message and "\n" not in lab.message and lab.result is result
    path = (
        cmsim.load_scenario("forum")
        .with_overrides({"name": "my_forum", "manager.count": 2})
        .save(tmp_path / "my_forum.yaml")
    )
    lab.controls.scenario_file.value = str(path)
    assert lab.wait(60) and lab.message == ""
    assert lab.result.scenario.name == "my_forum" and lab.result.scenario.hours_budget == 60
    assert lab.controls.knobs["manager.count"].value == 2
    lab.controls.add_strategy.click()
    assert lab.wait(60) and len(lab.comparison.strategies) == 3
    assert len(lab.chart.figure.legends[0].get_texts()) == 3
    lab.controls.panels[2].remove.click()
    assert lab.wait(60) and len(lab.comparison.strategies) == 2
    assert lab.controls.panels[0].remove.disabled  # never fewer than two


def test_panel_names_follow_the_strategy_and_never_collide(lab):
    panel = lab.controls.panels[1]
    panel.kind.value = "custom hours"
    assert panel.name.value == "custom hours"  # no longer "absent": it runs custom hours now
    lab.controls.panels[0].name.value = "custom hours"
    assert list(lab.spec().strategies) == ["custom hours", "custom hours 2"]
    assert lab.wait(60) and lab.comparison.strategies == ["custom hours", "custom hours 2"]
    panel.kind.value = "responsive"
    assert panel.name.value == "responsive"


def test_chart_redraws_only_what_moves():
    from cmsim.widgets.chart import Chart

    spec = LabSpec(members=300, days=40, seeds=[0, 1, 2])
    res = compute(spec)
    chart = Chart()
    first = chart.update(res)
    assert chart.update(res) == first and chart.full_draws == 1  # blitted over the kept background
    spec.members = 900
    chart.update(compute(spec))  # members leave the old range: axes and background drawn again
    assert chart.full_draws == 2 and chart.rebuilds == 1


def test_a_knob_moved_back_and_forth_draws_the_axes_once_more_not_at_every_move():
    # Two results whose numbers overlap: a's run 0..10, b's 2..12. Fitting each afresh would
    # draw the axes at every move (each leaves the other's range); they grow to hold both once.
    from types import SimpleNamespace

    from cmsim.widgets.chart import Chart
    from cmsim.widgets.results import CHART_METRICS

    days = np.arange(20)
    metric = next(iter(CHART_METRICS))

    def result(lo: float) -> SimpleNamespace:
        band = np.vstack([lo + days / 2.0, lo + days / 2.0 + 0.25, lo + days / 2.0 + 0.5])
        cmp = SimpleNamespace(ensembles={"a": None, "b": None}, events=[])
        return SimpleNamespace(bands={metric: {"a": band, "b": band + 0.5}}, comparison=cmp, days=days)

    a, b = result(0.0), result(2.0)
    chart = Chart()
    chart.update(a)
    chart.update(b)
    assert chart.full_draws == 2  # b left a's range
    for r in (a, b, a, b):
        chart.update(r)
    assert chart.full_draws == 2
    lo, hi = chart._axes[metric].get_ylim()
    assert lo <= 0.0 and 12.0 <= hi  # every number of both on the chart
    chart.update(result(40.0))  # far away: fitted afresh, not grown to hold 0..51
    lo, hi = chart._axes[metric].get_ylim()
    assert chart.full_draws == 3 and 30.0 < lo < 40.0 and 50.0 < hi < 60.0


def test_a_range_the_numbers_fill_a_third_of_is_kept_on_every_panel_while_another_refits():
    # Panel two: 0..10 (drawn -0.5..10.5), then 3..7.5: 41% of the range, over a third (FILL),
    # kept, though panel one, drawn before it, leaves its range at the same update (fitted again).
    from types import SimpleNamespace

    from cmsim.widgets.chart import FILL, Chart
    from cmsim.widgets.results import CHART_METRICS

    days = np.arange(20)
    one, two = list(CHART_METRICS)[:2]

    def result(lo1: float, lo2: float, hi2: float) -> SimpleNamespace:
        b1 = np.vstack([np.linspace(lo1, lo1 + 10.0, 20)] * 3)
        b2 = np.vstack([np.linspace(lo2, hi2, 20)] * 3)
        cmp = SimpleNamespace(ensembles={"a": None}, events=[])
        return SimpleNamespace(bands={one: {"a": b1}, two: {"a": b2}}, comparison=cmp, days=days)

    chart = Chart()
    chart.update(result(0.0, 0.0, 10.0))
    assert chart._axes[two].get_ylim() == pytest.approx((-0.5, 10.5))
    chart.update(result(100.0, 3.0, 7.5))
    assert 1 / 3 <= 4.5 / 11.0 < 1 / 2 and FILL == pytest.approx(1 / 3)
    assert chart._axes[one].get_ylim() == pytest.approx((99.5, 110.5)) and chart.full_draws == 2
    assert chart._axes[two].get_ylim() == pytest.approx((-0.5, 10.5))  # kept
    chart.update(result(100.0, 3.0, 6.0))  # 27% of it: fitted again
    assert chart._axes[two].get_ylim() == pytest.approx((2.85, 6.15)) and chart.full_draws == 3
