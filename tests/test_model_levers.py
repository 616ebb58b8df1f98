"""Capacity that follows hours: the lever curves, their known values, and what hours do in a run."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_model_support import col, graph, lever_day, quiet_sim

import cmsim
from cmsim._kernels import layout as L
from cmsim._kernels import tally as T
from cmsim._kernels.community import manager_day
from cmsim._kernels.levers import manager_levers, saturation, throughput
from cmsim.mesa import manager as mesa_manager

_tp = throughput.py_func


def test_throughput_known_values() -> None:
    assert _tp(0.0, 6.0, 20.0) == 0.0
    assert _tp(-3.0, 6.0, 20.0) == 0.0
    # at h = scale: rate * scale * ln 2, and an extra hour gets half as much done as the first
    assert _tp(20.0, 6.0, 20.0) == pytest.approx(6.0 * 20.0 * math.log(2.0), rel=1e-15)
    first = _tp(0.01, 6.0, 20.0) / 0.01
    at_scale = (_tp(20.01, 6.0, 20.0) - _tp(20.0, 6.0, 20.0)) / 0.01
    assert first == pytest.approx(6.0, rel=1e-3)
    assert at_scale == pytest.approx(3.0, rel=1e-3)
    # three times the hours at scale: ln 4 = 2 ln 2, exactly twice the items
    assert _tp(60.0, 6.0, 20.0) == pytest.approx(2.0 * _tp(20.0, 6.0, 20.0), rel=1e-14)


@given(h=st.floats(0.001, 1000.0), more=st.floats(0.01, 1000.0), scale=st.floats(0.1, 168.0))
def test_throughput_grows_without_ceiling_and_with_diminishing_returns(
    h: float, more: float, scale: float
) -> None:
    a, b = _tp(h, 5.0, scale), _tp(h + more, 5.0, scale)
    assert b > a  # every extra hour gets something done: no ceiling
    assert b - a <= 5.0 * more * (1 + 1e-12)  # never more than the first hour's rate
    assert (b - a) / more <= a / h * (1 + 1e-12)  # the marginal hour gets less


@given(h=st.floats(-1.0, 400.0), rate=st.floats(0.0, 100.0), scale=st.floats(0.1, 168.0))
def test_both_engines_use_one_formula(h: float, rate: float, scale: float) -> None:
    # the Mesa engine calls the compiled kernels' own Python functions
    assert mesa_manager._manager_levers is manager_levers.py_func
    assert mesa_manager._manager_day is manager_day.py_func
    assert throughput(h, rate, scale) == _tp(h, rate, scale)
    assert saturation(h, scale) == saturation.py_func(h, scale)


def _levers(count: int, hours: dict[str, float]) -> tuple[float, ...]:
    sim = quiet_sim(
        graph(20), hours, days=1, manager__count=count, manager__hours=sum(hours.values()) / count
    )
    sim.advance(1)
    H = np.array([sim.allocation.get(lever, 0.0) for lever in cmsim.LEVERS])
    return manager_levers(sim.state.P, sim.state.M, H)


def test_same_hours_split_across_more_people_same_capacity() -> None:
    hours = {"moderation": 30.0, "responding": 15.0, "welcoming": 9.0}
    one, three = _levers(1, hours), _levers(3, hours)
    for k in (1, 2, 4, 9):  # moderation, responding, welcoming, outreach capacity per day
        assert one[k] == three[k] > 0.0
    # one person's 30 h of moderation at QUIET's 60 items/hour, scale 20: 60 * 20 * ln(2.5) / 7
    assert one[1] == pytest.approx(60.0 * 20.0 * math.log(2.5) / 7.0, rel=1e-12)


def test_lever_effects_of_a_burned_out_manager_on_hand_built_hours() -> None:
    """Effectiveness is 1 in post, ``burnout_effectiveness`` when burned out, 0 in a vacancy; every
    effect but self-care scales with it, and so does analytics' aim."""
    P = L.pack_params(cmsim.load_scenario("forum").values)
    g, e_burn = P[L.P_ANALYTICS_GAIN], P[L.P_BURNOUT_EFFECTIVENESS]
    H = np.array([10.0, 10.0, 5.0, 5.0, 4.0, 6.0, 3.0, 2.0])
    M = np.zeros(L.N_M)
    M[L.M_PRESENT] = 1.0
    well = manager_levers(P, M, H)
    M[L.M_BURNED_OUT] = 1.0
    burned = manager_levers(P, M, H)
    M[L.M_PRESENT], M[L.M_BURNED_OUT] = 0.0, 0.0
    vacant = manager_levers(P, M, H)
    assert (well[0], burned[0], vacant[0]) == (1.0, e_burn, 0.0) and 0.0 < e_burn < 1.0
    s_an = saturation(6.0, P[L.P_ANALYTICS_SCALE])
    assert well[6] == pytest.approx((1 + g * s_an) / (1 + g), rel=1e-15)
    assert burned[6] == pytest.approx((1 + g * s_an * e_burn) / (1 + g), rel=1e-15)
    assert vacant[6] == pytest.approx(1 / (1 + g), rel=1e-15)
    for k in (1, 2, 3, 4, 5, 7, 9):  # capacities and shares scale with effectiveness
        assert burned[k] == pytest.approx(well[k] * e_burn, rel=1e-15) and vacant[k] == 0.0
    assert burned[8] == well[8] == vacant[8] > 0.0  # self-care helps whoever is in the post, even off work


def _answered_per_day(hours: float) -> float:
    n = 600
    sim = quiet_sim(graph(n), {"responding": hours}, days=16, manager__hours=hours, members__post_rate=1.0,
                    members__question_share=1.0)  # fmt: skip
    sim.state.F[L.F_EXPERTISE, :n] = 0.0  # no peer answers: only the manager's
    return float(col(sim.advance(16), "questions_answered")[2:].mean())


def test_responding_answers_its_capacity_when_swamped() -> None:
    # 600 members keep a question open; the manager answers about its capacity a day:
    # 10 items/hour (QUIET) x 20 x ln(1 + h / 20) / 7
    for hours in (20.0, 60.0):
        cap = 10.0 * 20.0 * math.log(1.0 + hours / 20.0) / 7.0
        assert _answered_per_day(hours) == pytest.approx(cap, rel=0.1)


def test_team_of_three_answers_as_one_with_the_same_hours() -> None:
    # moderation, responding and welcoming only: the runs differ in the manager's stress alone
    # (from the same start: a past without hours, as a balanced past spreads over the team)
    alloc = {"moderation": 12.0, "responding": 12.0, "welcoming": 6.0}
    runs = [
        cmsim.simulate(
            "forum",
            alloc,
            seed=3,
            members=800,
            days=60,
            overrides={"manager.count": n, "manager.hours": 30.0 / n, "manager.current_strategy": "absent"},
        )  # fmt: skip
        for n in (1, 3)
    ]
    a, b = (r.daily.drop(columns=["manager_stress"]) for r in runs)
    assert a.equals(b)
    assert runs[0].daily["questions_answered"].sum() > 0


def _day(hours: dict[str, float], front_page: float = 0.0, **loads: float) -> np.ndarray:
    return lever_day(hours, front_page, **loads)[0]


def test_outreach_gets_the_share_of_welcoming_hours_newcomers_leave() -> None:
    outreach = _tp(20.0, 3.0, 20.0) / 7.0  # outreach capacity of 20 h a day (3 members/hour)
    welcome = _tp(20.0, 10.0, 20.0) / 7.0  # QUIET's 10 greetings/hour
    Z = _day({"welcoming": 20.0}, M_LOAD_NEWCOMERS=0.0, M_LOAD_AT_RISK=100.0)
    assert Z[T.Z_P_WELCOME] == 1.0
    assert Z[T.Z_P_OUTREACH] == pytest.approx(outreach / 100.0, rel=1e-12)
    Z = _day({"welcoming": 20.0}, M_LOAD_NEWCOMERS=welcome / 2, M_LOAD_AT_RISK=100.0)
    assert Z[T.Z_P_OUTREACH] == pytest.approx(0.5 * outreach / 100.0, rel=1e-12)  # half the hours left
    Z = _day({"welcoming": 20.0}, M_LOAD_NEWCOMERS=2 * welcome, M_LOAD_AT_RISK=100.0)
    assert Z[T.Z_P_WELCOME] == pytest.approx(0.5) and Z[T.Z_P_OUTREACH] == 0.0


def test_front_page_lambda_from_yesterdays_expertise_and_questions() -> None:
    # yesterday: visitors' expertise summing to 30 (in whole multiples of 2**-24), 12 new questions
    rate = quiet_sim(graph(20), days=1).scenario["dynamics.answer_rate"]
    Z = _day({}, front_page=2.0, M_LOAD_EXPERTISE=30.0 * T.FIXED_POINT, M_LOAD_QUESTIONS=12.0)
    lam = 2.0 * rate * 30.0 / 12.0
    assert lam > 0.1
    assert Z[T.Z_FRONT_LAMBDA] == pytest.approx(lam, rel=1e-12)
    assert Z[T.Z_P_FRONT] == pytest.approx(1.0 - math.exp(-lam), rel=1e-12)
    assert _day({}, front_page=0.0, M_LOAD_EXPERTISE=30.0 * T.FIXED_POINT)[T.Z_P_FRONT] == 0.0
