"""Members hold their floats in single precision; every rule computes in double and rounds once.

Hand-built quiet communities where the right answer is known exactly (``docs/model.md``,
"Precision"). The Mesa engine's side is in ``tests/test_mesa.py``.
"""

from __future__ import annotations

import numpy as np
from test_model_support import col, graph, quiet_sim

import cmsim
from cmsim._kernels import layout as L
from cmsim._kernels.layout import pack_params
from cmsim._kernels.quiet import fade
from cmsim._kernels.tally import EXPOSURE_FLOOR, NORM_SMOOTHING
from cmsim.parameters import PARAMS, defaults


def held(x: float) -> float:
    return float(np.float32(x))


def test_member_floats_are_single_precision_and_the_members_table_gives_them_exactly() -> None:
    sim = cmsim.Simulation("forum", "balanced", seed=3, members=300, days=20)
    run = sim.run()
    assert sim.state.F.dtype == np.float32 and L.F_DTYPE is np.float32
    n = len(run.members)
    for name, row in (("activity", L.F_ACTIVITY), ("satisfaction", L.F_SAT), ("engagement", L.F_ENG)):
        assert run.members[name].dtype == np.float64
        assert np.array_equal(run.members[name].to_numpy(), sim.state.F[row, :n].astype(np.float64))


def test_satisfaction_levels_are_packed_at_the_precision_members_hold_and_nothing_else() -> None:
    values = defaults()
    values.update({"members.satisfaction_baseline": 0.65, "dynamics.complaint_threshold": 0.3})
    P = pack_params(values)
    for k in L.SAT_LEVEL_KEYS:
        assert P[L.P_KEYS.index(k)] == held(values[k]) and PARAMS[k].high <= 1.0
    assert P[L.P_SAT_BASELINE] == held(0.65) != 0.65
    assert P[L.P_COMPLAINT_THRESHOLD] == held(0.3) != 0.3
    assert P[L.P_REVERSION] == values["dynamics.reversion"]  # other parameters: as given
    assert P[L.P_KEYS.index("members.visit_rate")] == values["members.visit_rate"]


def test_members_at_their_baseline_stay_on_it_and_count_as_satisfied() -> None:
    # Word of mouth brings newcomers in proportion to the satisfied members (satisfaction at or
    # above the baseline). Members who start at their baseline 0.65 and drift towards it every
    # day must stay exactly on it and count: the day's newcomers are the same as when everyone
    # sits well above a lower baseline (same draws, same count of satisfied members).
    def joins(baseline: float) -> tuple[np.ndarray, np.ndarray]:
        sim = quiet_sim(graph(2000), days=3, dynamics__reversion=0.02, growth__word_of_mouth=0.01,
                        members__satisfaction_baseline=baseline)  # fmt: skip
        sim.advance(1)
        return col(sim, "joins"), sim.state.F[L.F_SAT, :2000].copy()

    on, s_on = joins(0.65)
    above, s_above = joins(0.5)
    assert on[0] == above[0] > 5  # about 0.01 x 2000 = 20 expected
    assert set(s_on.tolist()) == {held(0.65)}  # exactly where they started
    assert s_above.max() < held(0.65)  # (the lower baseline pulled the others down)


def test_a_day_rounds_once_after_computing_in_double_precision() -> None:
    # 200 members, each at its own satisfaction; a day's drift towards the baseline
    # s + r (b - s), computed in double and rounded once. In single-precision arithmetic 17 of
    # these 200 would differ by one unit in the last place.
    n, r = 200, 0.3
    sim = quiet_sim(graph(n), days=2, dynamics__reversion=r)
    start = np.linspace(0.05, 0.95, n).astype(np.float32)
    sim.state.F[L.F_SAT, :n] = start
    sim.advance(1)
    b = held(0.65)
    want = [held(float(s) + r * (b - float(s))) for s in start]
    single = [np.float32(s) + np.float32(r) * (np.float32(b) - np.float32(s)) for s in start]
    assert sum(w != x for w, x in zip(want, single, strict=True)) > 10  # the test can tell them apart
    assert sim.state.F[L.F_SAT, :n].tolist() == want
    assert 0 < col(sim, "dau")[0] < n  # both the visitors' and the quiet members' days were taken


def test_exposure_below_the_floor_fades_to_zero_and_that_changes_no_draw() -> None:
    assert fade(1.0) == (1.0 - NORM_SMOOTHING)
    assert fade(EXPOSURE_FLOOR / 0.95) == 0.0  # 0.9 x that is below the floor
    assert fade(EXPOSURE_FLOOR / 0.85) > 0.0
    # The trolling multiplier 1 + norm_gain x exposure is exactly 1 below the floor, for any gain.
    assert 1.0 + PARAMS["trolls.norm_gain"].high * EXPOSURE_FLOOR == 1.0
    n = 20
    sim = quiet_sim(graph(n), days=2)
    sim.state.F[L.F_EXPOSURE, :n] = [EXPOSURE_FLOOR / 0.95] * 10 + [1e-20] * 10
    sim.advance(1)
    x = sim.state.F[L.F_EXPOSURE, :n]
    assert x[:10].tolist() == [0.0] * 10  # visitors and quiet members alike
    assert x[10:].tolist() == [held(held(1e-20) * 0.9)] * 10
