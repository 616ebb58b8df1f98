"""Ensembles and strategy comparisons: statistics on hand-made cases, CRN, determinism, outputs."""

from __future__ import annotations

import math

import matplotlib
import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

matplotlib.use("Agg")

import cmsim  # noqa: E402
from cmsim.batch.comparison import Comparison, as_strategy_map  # noqa: E402
from cmsim.batch.ensembles import Ensemble, as_seeds  # noqa: E402
from cmsim.batch.jobs import _Progress, guided_chunks  # noqa: E402
from cmsim.errors import CmsimError  # noqa: E402
from cmsim.metrics import LOWER_IS_BETTER, bands, metric, paired_difference, t_quantile  # noqa: E402
from cmsim.plotting import EVENT_GID  # noqa: E402
from cmsim.timeline import Intervention  # noqa: E402

SMALL = dict(members=300, days=35)


def _ens(strategy: str, members: list[list[float]], summaries: list[dict[str, float]]) -> Ensemble:
    daily = [
        pd.DataFrame({"day": np.arange(len(m)), "members": np.asarray(m, float), "bad_accounts": 0.0})
        for m in members
    ]
    return Ensemble(
        "toy", strategy, list(range(len(members))), daily, summaries, [{"day": 1, "label": "raid"}]
    )


# --- statistics on hand-made numbers ----------------------------------------------------------------
def test_t_quantile_matches_tables():
    assert t_quantile(1) == pytest.approx(12.7062, abs=1e-4)
    assert t_quantile(2) == pytest.approx(4.3027, abs=1e-4)
    assert t_quantile(29) == pytest.approx(2.0452, abs=1e-4)
    assert math.isnan(t_quantile(0))


def test_bands_on_a_tiny_ensemble():
    ens = _ens("a", [[10, 100], [20, 100], [30, 100]], [{}, {}, {}])
    b = ens.bands(["members"])
    assert list(b["day"]) == [0, 1]
    day0 = b.iloc[0]
    assert day0["median"] == 20 and day0["mean"] == 20
    assert day0["p10"] == pytest.approx(12.0)  # linear interpolation: 10 + 0.2 * (20 - 10)
    assert day0["p90"] == pytest.approx(28.0)
    half = 4.302653 * 10 / math.sqrt(3)  # t(2) * sd / sqrt(n)
    assert day0["ci_low"] == pytest.approx(20 - half, rel=1e-5)
    assert day0["ci_high"] == pytest.approx(20 + half, rel=1e-5)
    day1 = b.iloc[1]  # no spread: a zero-width interval
    assert day1["p10"] == day1["p90"] == day1["ci_low"] == day1["ci_high"] == 100


def test_bands_ignore_nan_runs_and_need_two_values_for_a_ci():
    out = bands(np.array([[1.0, np.nan], [3.0, np.nan], [np.nan, 5.0]]))
    assert out["mean"][0] == 2.0 and out["median"][0] == 2.0
    assert out["mean"][1] == 5.0 and math.isnan(out["ci_low"][1])


def test_paired_difference_ci_and_direction():
    d = paired_difference(np.array([2.0, 4.0, 6.0]), np.array([1.0, 2.0, 3.0]))
    # differences 1, 2, 3: mean 2, sd 1, t(2) = 4.3027
    assert d["diff"] == 2.0 and d["n"] == 3
    assert d["ci_low"] == pytest.approx(2 - 4.302653 / math.sqrt(3), rel=1e-6)
    assert d["ci_high"] == pytest.approx(2 + 4.302653 / math.sqrt(3), rel=1e-6)
    assert d["p_better"] == 1.0
    assert (
        paired_difference(np.array([2.0, 4.0, 6.0]), np.array([1.0, 2.0, 3.0]), better=-1)["p_better"] == 0.0
    )
    # ties count half; NaN pairs are dropped; neutral metrics have no P(better)
    tie = paired_difference(np.array([1.0, 5.0, np.nan]), np.array([1.0, 4.0, 2.0]))
    assert tie["n"] == 2 and tie["p_better"] == 0.75
    assert math.isnan(paired_difference(np.ones(3), np.zeros(3), better=0)["p_better"])


def test_lower_is_better_set():
    assert {"toxic_share", "spam_share", "median_response_days", "burnout_days"} <= LOWER_IS_BETTER
    assert "final_members" not in LOWER_IS_BETTER and metric("final_members").better == 1


def _toy_comparison() -> Comparison:
    base = _ens("base", [[1, 2], [1, 2], [1, 2]], [
        {"toxic_share": 0.1, "final_members": 100.0}, {"toxic_share": 0.2, "final_members": 200.0},
        {"toxic_share": 0.3, "final_members": 300.0}])  # fmt: skip
    other = _ens("other", [[1, 3], [1, 3], [1, 3]], [
        {"toxic_share": 0.05, "final_members": 90.0}, {"toxic_share": 0.1, "final_members": 150.0},
        {"toxic_share": 0.3, "final_members": 300.0}])  # fmt: skip
    return Comparison("toy", [0, 1, 2], {"base": base, "other": other}, "base", ["final_members", "toxic_share"],
                      [{"day": 1, "label": "raid"}])  # fmt: skip


def test_summary_pairs_by_seed_and_respects_direction():
    s = _toy_comparison().summary.set_index(["metric", "strategy"])
    tox = s.loc[("toxic_share", "other")]
    assert tox["diff"] == pytest.approx(-0.05)  # (-0.05 - 0.1 + 0) / 3
    assert tox["p_better"] == pytest.approx(2.5 / 3)  # lower is better: two wins and a tie
    fm = s.loc[("final_members", "other")]
    assert fm["diff"] == pytest.approx(-20.0)
    assert fm["p_better"] == pytest.approx(0.5 / 3)  # higher is better: two losses and a tie
    assert fm["mean"] == pytest.approx(180.0) and fm["median"] == 150.0
    assert math.isnan(s.loc[("toxic_share", "base")]["p_better"])
    assert s.loc[("toxic_share", "base")]["diff"] == 0.0


def test_table_is_readable():
    t = _toy_comparison().table()
    assert list(t.columns) == ["metric", "strategy", "mean", "10-90%", "vs base (95% CI)", "P(better)"]
    row = t[(t["strategy"] == "other") & t["metric"].str.startswith("Toxic")].iloc[0]
    assert row["mean"] == "15.0%" and row["vs base (95% CI)"].startswith("-5.0 pp [")
    assert row["P(better)"] == "83%"


# --- runs -----------------------------------------------------------------------------------------
class Countdown:
    """A stateful strategy without reset(): copies per run keep runs independent."""

    name = "countdown"

    def __init__(self) -> None:
        self.weeks = 0

    def allocate(self, obs):
        self.weeks += 1
        return {"moderation": max(0.0, 20.0 - 2 * self.weeks), "responding": 5.0}


@pytest.mark.parametrize(
    "strategy", ["data_driven", Countdown(), lambda obs: {"welcoming": 3.0 + obs["week"]}]
)
def test_serial_thread_and_process_give_identical_results(strategy):
    kw = dict(seeds=[3, 1, 4, 5], progress=False, **SMALL)
    serial = cmsim.ensemble("forum", strategy, backend="serial", **kw)
    for backend in ("process", "thread"):
        par = cmsim.ensemble("forum", strategy, backend=backend, workers=2, **kw)
        assert par.seeds == serial.seeds == [3, 1, 4, 5]
        for a, b in zip(serial.daily, par.daily, strict=True):
            pd.testing.assert_frame_equal(a, b)
        pd.testing.assert_frame_equal(serial.to_frame(), par.to_frame())


@given(st.integers(0, 500), st.integers(1, 16))
def test_guided_chunks_hand_out_every_run_once_in_shrinking_pieces(n: int, workers: int) -> None:
    items = list(range(7, 7 + n))
    chunks = guided_chunks(items, workers)
    assert [i for c in chunks for i in c] == items  # every run once, in order
    sizes = [len(c) for c in chunks]
    assert all(s >= 1 for s in sizes) and sizes == sorted(sizes, reverse=True)
    done = 0
    for s in sizes:  # each piece is 1 / (2 workers) of what is left, rounded up
        assert s == max(1, math.ceil((n - done) / (2 * workers)))
        done += s
    if n >= 2 * workers:  # the pool's last pieces are single runs, one for each worker
        assert sizes[-workers:] == [1] * workers


def test_ensemble_docstring_examples():
    import doctest
    import sys

    for name in ("cmsim.batch.ensembles", "cmsim.batch.jobs", "cmsim.run"):  # (run: LazyTables)
        result = doctest.testmod(sys.modules[name])
        assert result.attempted > 0 and result.failed == 0, name


def test_many_runs_on_processes_match_serial_runs(monkeypatch):
    import sys

    module = sys.modules["cmsim.batch.jobs"]
    pieces, counted = [], []
    monkeypatch.setattr(
        module, "guided_chunks", lambda items, w: pieces.append(guided_chunks(items, w)) or pieces[-1]
    )
    monkeypatch.setattr(_Progress, "update", lambda self, k: counted.append(k))
    kw = dict(seeds=13, progress=False, members=200, days=20)
    serial = cmsim.ensemble("forum", "balanced", backend="serial", **kw)
    par = cmsim.ensemble("forum", "balanced", backend="process", workers=2, **kw)
    # the first run in the calling process, then the pool's pieces: 3, 3, 2, 1, 1, 1, 1
    assert pieces == [[[1, 2, 3], [4, 5, 6], [7, 8], [9], [10], [11], [12]]]
    assert counted[:14] == [1] * 14  # the serial runs, then the parallel batch's first run
    assert sorted(counted[14:]) == [1, 1, 1, 1, 2, 3, 3]  # each piece as it comes back
    for a, b in zip(serial.daily, par.daily, strict=True):
        pd.testing.assert_frame_equal(a, b)


def test_ensemble_matches_single_runs_and_keeps_members_only_when_asked():
    ens = cmsim.ensemble("forum", "balanced", seeds=2, progress=False, **SMALL)
    run = cmsim.simulate("forum", "balanced", seed=1, **SMALL)
    pd.testing.assert_frame_equal(ens.daily[1], run.daily)
    pd.testing.assert_series_equal(pd.Series(ens.summaries[1]), pd.Series(run.summary))  # NaN == NaN
    assert ens.members is None
    kept = cmsim.ensemble("forum", "balanced", seeds=[1], keep_members=True, progress=False, **SMALL)
    pd.testing.assert_frame_equal(kept.members[0], run.members)


def test_ensemble_tables_are_built_once_when_first_read():
    import pickle

    from cmsim.run import LazyTables

    ens = cmsim.ensemble("forum", "balanced", seeds=4, backend="process", workers=2, keep_members=True,
                         progress=False, **SMALL)  # fmt: skip
    assert isinstance(ens.daily, LazyTables) and len(ens.daily) == 4
    assert ens.daily.built() == 0 and ens.members.built() == 0  # the workers sent arrays, not tables
    assert np.isfinite(ens.values("health_index")).all()  # summaries need no table
    assert ens.daily.built() == 0
    last = ens.daily[-1]
    assert ens.daily.built() == 1 and ens.daily[3] is last  # built once, then kept
    copy = pickle.loads(pickle.dumps(ens))  # half built, it still pickles
    assert [len(t) for t in ens.daily[1:3]] == [SMALL["days"]] * 2 and ens.daily.built() == 3
    run = cmsim.simulate("forum", "balanced", seed=2, **SMALL)
    for tables in (ens.daily, copy.daily):
        pd.testing.assert_frame_equal(tables[2], run.daily)
    pd.testing.assert_frame_equal(ens.members[2], run.members)
    assert ens.series("members").shape == (4, SMALL["days"]) and ens.daily.built() == 4
    with pytest.raises(IndexError):
        ens.daily[4]
    assert repr(copy.daily) == "LazyTables(4 tables, 2 built)"  # [-1] before pickling, [2] after


def test_seeds_and_bad_input():
    assert as_seeds(3) == [0, 1, 2] and as_seeds(range(5, 7)) == [5, 6]
    for bad in (0, -1, [1, 1], [1.5], ["a"], [], True):
        with pytest.raises(CmsimError, match="seeds"):
            as_seeds(bad)
    with pytest.raises(CmsimError, match="backend"):
        cmsim.ensemble("forum", seeds=1, backend="gpu", **SMALL)
    with pytest.raises(CmsimError, match="unknown strategy 'nope'"):
        as_strategy_map(["balanced", "nope"])
    with pytest.raises(CmsimError, match="at least two"):
        as_strategy_map(["balanced"])
    with pytest.raises(CmsimError, match="'baseline' parameter must be one of balanced, absent; got 'x'"):
        cmsim.compare("forum", ["balanced", "absent"], baseline="x", seeds=1, **SMALL)
    with pytest.raises(CmsimError, match="'metrics'"):
        cmsim.compare("forum", ["balanced", "absent"], metrics=["happiness"], seeds=1, **SMALL)


def test_progress_bar_only_for_long_batches(capsys):
    p = _Progress(10, None, "x")
    p.estimate(0.5)
    assert p.bar is None
    p.estimate(5.0)
    assert p.bar is not None
    p.close()
    q = _Progress(10, False, "x")
    q.estimate(100.0)
    assert q.bar is None
    cmsim.ensemble("forum", seeds=2, progress=True, days=10, members=100)
    assert "run" in capsys.readouterr().err


# --- comparisons ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def comparison() -> Comparison:
    return cmsim.compare(
        "forum",
        {"balanced": "balanced", "builder": "community_builder", "absent": "absent"},
        seeds=4, interventions=[Intervention(20, "welcome_campaign")], progress=False, **SMALL,
    )  # fmt: skip


def test_common_random_numbers_narrow_the_ci_at_least_3x():
    """Paired (same seeds) vs unpaired (independent seeds) 95% CI of a difference in final_members."""
    n, kw = 12, dict(members=400, days=60, progress=False)
    a = cmsim.ensemble("forum", "balanced", seeds=n, **kw).values("final_members")
    b = cmsim.ensemble("forum", "community_builder", seeds=n, **kw).values("final_members")
    b_indep = cmsim.ensemble("forum", "community_builder", seeds=range(1000, 1000 + n), **kw).values(
        "final_members"
    )
    d = paired_difference(b, a)
    paired = d["ci_high"] - d["ci_low"]
    unpaired = 2 * t_quantile(2 * n - 2) * math.sqrt(a.var(ddof=1) / n + b_indep.var(ddof=1) / n)
    assert paired > 0 and unpaired / paired >= 3.0, (paired, unpaired)


def test_compare_uses_the_same_seeds_and_reports_interventions(comparison):
    assert comparison.strategies == ["balanced", "builder", "absent"] and comparison.baseline == "balanced"
    frame = comparison.to_frame()
    assert list(frame.columns[:2]) == ["strategy", "seed"] and len(frame) == 12
    assert all(list(g["seed"]) == [0, 1, 2, 3] for _, g in frame.groupby("strategy"))
    assert {"day": 20, "label": "welcome campaign"} in comparison.events
    # the absent manager answers nothing: every seed does worse than balanced
    row = comparison.summary.query("metric == 'answered_share' and strategy == 'absent'").iloc[0]
    assert row["diff_ci_high"] < 0 and row["p_better"] == 0.0


def test_bands_frame(comparison):
    b = comparison.bands
    assert list(b.columns) == [
        "strategy",
        "day",
        "metric",
        "median",
        "p10",
        "p90",
        "mean",
        "ci_low",
        "ci_high",
    ]
    members = b[(b["metric"] == "final_members") & (b["strategy"] == "builder")]
    assert len(members) == SMALL["days"]
    last = comparison.ensembles["builder"].values("final_members")
    assert members["median"].iloc[-1] == np.median(last) and members["mean"].iloc[-1] == pytest.approx(
        last.mean()
    )
    ok = b.dropna()
    assert (ok["p10"] <= ok["median"]).all() and (ok["median"] <= ok["p90"]).all()
    assert (ok["ci_low"] <= ok["mean"] + 1e-9).all() and (ok["mean"] <= ok["ci_high"] + 1e-9).all()


def test_to_parquet_round_trip(comparison, tmp_path):
    path = comparison.to_parquet(tmp_path / "runs.parquet")
    back = pd.read_parquet(path)
    pd.testing.assert_frame_equal(back, comparison.to_frame())
    import pyarrow.parquet as pq

    assert pq.read_schema(path).metadata[b"cmsim.baseline"] == b"balanced"


def test_plots_have_labels_and_event_lines(comparison):
    from matplotlib.figure import Figure

    fig = comparison.plot()
    assert isinstance(fig, Figure)
    axes = [ax for ax in fig.axes if ax.get_visible()]
    assert len(axes) == 6  # the default metrics that have a daily series
    for ax in axes:
        assert ax.get_xlabel() == "day" and ax.get_ylabel() and ax.get_title()
        events = [ln for ln in ax.get_lines() if ln.get_gid() == EVENT_GID]
        assert [ln.get_xdata()[0] for ln in events] == [20]
        assert "welcome campaign" in [t.get_text() for t in ax.texts]
        assert len(ax.collections) == 3  # one 10-90% band per strategy
    assert fig.legends and [t.get_text() for t in fig.legends[0].get_texts()] == comparison.strategies
    forest = comparison.plot_summary(["final_members", "toxic_share"])
    assert isinstance(forest, Figure)
    ax = forest.axes[0]
    assert "difference from balanced" in ax.get_xlabel() and "higher is better" in ax.get_title()
    assert [t.get_text() for t in ax.get_yticklabels()] == ["builder", "absent"]
    assert "percentage points" in forest.axes[1].get_xlabel()
    import matplotlib.pyplot as plt

    plt.close("all")
