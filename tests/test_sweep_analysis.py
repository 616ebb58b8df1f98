"""Sweep analysis: PRIM scenario discovery, Sobol/Morris indices on known functions, the report."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

import cmsim
from cmsim import SweepError
from cmsim.batch.discovery import prim, where_better_frame
from cmsim.batch.report import main_effects
from cmsim.batch.sensitivity import sensitivity
from cmsim.batch.spec_load import load_spec
from cmsim.cli import main


# --- PRIM ----------------------------------------------------------------------------------------
def test_prim_finds_a_known_box_and_leaves_an_irrelevant_axis_alone():
    rng = np.random.default_rng(1)
    X = pd.DataFrame(rng.uniform(size=(4000, 3)), columns=["a", "b", "noise"])
    y = (X["a"] > 0.6) & (X["b"] < 0.3)
    box = prim(X, y, alpha=0.05, min_support=0.02, threshold=0.9)
    assert set(box.limits) == {"a", "b"}
    assert box.limits["a"][0] == pytest.approx(0.6, abs=0.03) and box.limits["a"][1] is None
    assert box.limits["b"][1] == pytest.approx(0.3, abs=0.03) and box.limits["b"][0] is None
    assert box.density >= 0.9 and box.coverage >= 0.85 and box.base_rate == pytest.approx(y.mean())
    assert box.mask(X).mean() == pytest.approx(box.support)
    traj = box.trajectory
    assert traj["support"].is_monotonic_decreasing and traj["density"].iloc[0] == pytest.approx(y.mean())
    assert (
        f"where a >= {box.limits['a'][0]:.3g} and b <= {box.limits['b'][1]:.3g} (against 12% overall)"
        in box.describe()
    )


def test_prim_peels_categories_and_reports_no_box_when_nothing_stands_out():
    X = pd.DataFrame(
        {"kind": ["forum", "customer", "internal", "social"] * 250, "x": np.linspace(0, 1, 1000)}
    )
    box = prim(X, X["kind"] == "customer", threshold=0.95)
    assert box.limits == {"kind": ["customer"]} and box.density == 1.0 and box.coverage == 1.0
    flat = prim(X, np.ones(1000, dtype=bool))
    assert flat.limits == {} and "no condition" in flat.describe()
    with pytest.raises(SweepError, match="one outcome per case"):
        prim(X, [True])


def test_where_better_pairs_runs_by_seed_and_axes_and_knows_lower_is_better():
    rows = []
    for seed in range(20):
        for trolls in (0.0, 0.2, 0.5, 1.0):
            base = 0.1 + 0.2 * trolls
            # moderation_first has less toxicity only when trolls come fast
            rows.append({"strategy": "balanced", "trolls": trolls, "seed": seed, "toxic_share": base})
            rows.append({"strategy": "moderation_first", "trolls": trolls, "seed": seed,
                         "toxic_share": base - 0.05 if trolls >= 0.5 else base + 0.01})  # fmt: skip
    df = pd.DataFrame(rows)
    box = where_better_frame(df, ["strategy", "trolls"], "toxic_share", "moderation_first", "balanced")
    assert box.limits == {"trolls": (0.5, None)} and box.density == 1.0 and box.base_rate == 0.5
    assert box.describe().startswith("moderation_first beats balanced on toxic posts in 100% of the cases")
    with pytest.raises(SweepError, match="'strategy' axis"):
        where_better_frame(df.drop(columns="strategy"), ["trolls"], "toxic_share", "a", "b")


# --- sensitivity on known functions ----------------------------------------------------------------
def _fake(spec_data, f):
    """A sweep-like object whose metric is f(design row), one seed."""
    spec = load_spec(spec_data)
    X = spec.design_rows
    frame = pd.DataFrame({"point": np.arange(len(X)), "final_members": f(X)})
    return SimpleNamespace(spec=spec, out="fake", to_frame=lambda columns=None: frame)


DESIGN = {"scenario": "forum", "metrics": ["final_members"], "seeds": 1}
RANGES = {
    "dynamics.toxic_harm": [0.0, 1.0],
    "dynamics.reversion": [0.0, 1.0],
    "dynamics.churn_base": [0.0, 1.0],
}


def test_sobol_indices_of_a_linear_function_match_the_analytic_values():
    spec = {**DESIGN, "design": {"method": "sobol", "samples": 1024, "seed": 0, "ranges": RANGES}}
    s = sensitivity(_fake(spec, lambda X: 3 * X[:, 0] + X[:, 1])).set_index("parameter")
    # variance shares of 3a + b + 0c with a, b, c uniform: 9/10, 1/10, 0 (no interactions: S1 = ST)
    assert s.loc["dynamics.toxic_harm", "S1"] == pytest.approx(0.9, abs=0.05)
    assert s.loc["dynamics.reversion", "S1"] == pytest.approx(0.1, abs=0.05)
    assert s.loc["dynamics.churn_base", "ST"] == pytest.approx(0.0, abs=0.02)
    assert s.loc["dynamics.toxic_harm", "ST"] == pytest.approx(0.9, abs=0.05)
    for k in ("S1", "ST"):
        assert (s[f"{k}_low"] <= s[k]).all() and (s[k] <= s[f"{k}_high"]).all()
    assert s.loc["dynamics.toxic_harm", "S1_low"] > s.loc["dynamics.reversion", "S1_high"]


def test_sobol_total_index_sees_an_interaction_the_first_order_does_not():
    spec = {**DESIGN, "design": {"method": "sobol", "samples": 1024, "seed": 0, "ranges": RANGES}}
    s = sensitivity(_fake(spec, lambda X: (X[:, 0] - 0.5) * (X[:, 1] - 0.5))).set_index("parameter")
    assert s.loc["dynamics.toxic_harm", "S1"] == pytest.approx(0.0, abs=0.05)
    assert s.loc["dynamics.toxic_harm", "ST"] == pytest.approx(1.0, abs=0.1)


def test_morris_ranks_a_linear_function_by_its_slopes():
    spec = {**DESIGN, "design": {"method": "morris", "samples": 40, "seed": 0, "ranges": RANGES}}
    s = sensitivity(_fake(spec, lambda X: 5 * X[:, 0] + X[:, 1])).set_index("parameter")
    mu = s["mu_star"]
    assert mu["dynamics.toxic_harm"] == pytest.approx(5 * mu["dynamics.reversion"], rel=1e-6)
    assert mu["dynamics.churn_base"] == 0.0


def test_sensitivity_needs_a_sobol_or_morris_design():
    spec = {**DESIGN, "design": {"method": "latin", "samples": 8, "seed": 0, "ranges": RANGES}}
    with pytest.raises(SweepError, match="need a Sobol or Morris design"):
        sensitivity(_fake(spec, lambda X: X[:, 0]))


# --- main effects and the report on real sweeps ----------------------------------------------------
GRID = {
    "scenario": "forum", "days": 30, "members": 300, "seeds": 3,
    "axes": [{"key": "strategy", "values": ["balanced", "moderation_first", "absent"]},
             {"key": "trolls.arrival_rate", "values": [0.0, 0.5]}],
    "metrics": ["final_members", "toxic_share"],
}  # fmt: skip


@pytest.fixture(scope="module")
def grid(tmp_path_factory):
    return cmsim.sweep(GRID, out=tmp_path_factory.mktemp("grid") / "g", workers=1, progress=False)


def test_main_effects_are_means_with_confidence_bands(grid):
    df = grid.to_frame()
    e = main_effects(grid.spec, df, ["toxic_share"]).set_index(["axis", "level"])
    want = df[df["strategy"] == "absent"]["toxic_share"]
    assert e.loc[("strategy", "absent"), "mean"] == pytest.approx(want.mean())
    assert e.loc[("strategy", "absent"), "runs"] == 6
    assert e.loc[("strategy", "absent"), "ci_low"] < want.mean() < e.loc[("strategy", "absent"), "ci_high"]
    assert list(e.loc["trolls.arrival_rate"].index) == [0.0, 0.5]


def test_report_writes_png_and_one_html_page(grid, tmp_path, capsys):
    assert main(["report", str(grid.out), "--out", str(tmp_path / "r")]) == 0
    page = (tmp_path / "r" / "report.html").read_text()
    for png in ("main_effects.png", "heatmap.png"):
        assert (tmp_path / "r" / png).stat().st_size > 5000 and f'src="{png}"' in page
    assert "Where does moderation_first beat balanced?" in page
    assert "http" not in page  # nothing loaded from the network
    assert "18 of 18" in page


def test_report_of_a_sobol_sweep_shows_indices(tmp_path):
    spec = {
        "scenario": "forum", "days": 20, "members": 200, "seeds": 1, "metrics": ["final_members", "health_index"],
        "design": {"method": "sobol", "samples": 8, "seed": 1,
                   "ranges": {"dynamics.churn_base": {"times": [0.5, 1.5]}, "growth.acquisition": {"times": [0.5, 1.5]}}},
    }  # fmt: skip
    s = cmsim.sweep(spec, out=tmp_path / "sobol", workers=1, progress=False)
    table = s.sensitivity("final_members")
    assert set(table["parameter"]) == {"dynamics.churn_base", "growth.acquisition"}
    assert {"S1", "S1_low", "S1_high", "ST", "ST_low", "ST_high"} <= set(table.columns)
    page = s.report().read_text()
    assert "Sensitivity" in page and (s.out / "report" / "sensitivity.png").exists()


def test_list_axis_levels_are_named_by_what_changes():
    from pathlib import Path

    from cmsim.batch.report import _level_names

    spec = load_spec(Path(__file__).resolve().parents[1] / "scenarios/sweeps/lever_marginal_value.yaml")
    names = _level_names(spec.axes[1])
    assert names[:3] == ["first level", "moderation=11", "responding=11"] and names[-1] == "self_care=7.4"


def test_report_of_an_empty_folder_is_one_line(tmp_path, capsys):
    assert main(["report", str(tmp_path)]) == 2
    assert "holds no sweep" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["cmsim.batch.keys", "cmsim.batch.discovery", "cmsim.batch.sweep"])
def test_docstring_examples(name):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(name))
    assert result.failed == 0
