"""What moderation and welcoming hours buy beyond their load: visible norms and follow-ups.

Tiny hand-built cases with known answers (``docs/model.md``, "What hours beyond the load buy"),
then paired metamorphic checks (same seeds, more hours on the lever).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from test_mesa import assert_same_runs, both
from test_model_support import col, graph, lever_day, quiet_sim

import cmsim
from cmsim._kernels import layout as L
from cmsim._kernels import tally as T
from cmsim._kernels.levers import spare_hours, throughput
from cmsim._kernels.step import WELCOME_DAYS

_tp = throughput.py_func


_day = lever_day  # (Z, scenario) for the week's hours and the loads given


def test_spare_hours_known_values() -> None:
    f = spare_hours.py_func
    assert f(10.0, 8.0, 0.0) == 10.0  # no load: every hour is spare
    assert f(10.0, 8.0, 2.0) == 7.5
    assert f(10.0, 8.0, 8.0) == 0.0 == f(10.0, 8.0, 50.0)  # the load takes it all (never below 0)
    assert f(10.0, 0.0, 0.0) == 0.0  # no capacity, no spare hours


# --- moderation: visible norms -------------------------------------------------------------------
def test_norm_visibility_grows_with_the_moderation_hours_the_reviews_leave() -> None:
    Z, sc = _day({"moderation": 10.0})
    top, scale = sc["levers.norm_max"], sc["levers.norm_scale"]
    assert Z[T.Z_NORM] == pytest.approx(top * (1.0 - math.exp(-10.0 / scale)), rel=1e-12)
    cap = _tp(10.0, sc["levers.moderation_rate"], sc["levers.moderation_scale"]) / 7.0
    # half the capacity reviews yesterday's reported accounts and offending posts: 5 hours spare
    Z, _ = _day({"moderation": 10.0}, M_LOAD_REPORTED=cap / 4, M_LOAD_OFFENDING=cap / 4)
    assert Z[T.Z_NORM] == pytest.approx(top * (1.0 - math.exp(-5.0 / scale)), rel=1e-12)
    Z, _ = _day({"moderation": 10.0}, M_LOAD_OFFENDING=2 * cap)  # the reviews take every hour
    assert Z[T.Z_NORM] == 0.0
    assert _day({})[0][T.Z_NORM] == 0.0  # no moderation hours


def _member_toxic(norm_max: float) -> int:
    # 300 members without contacts (no context, no exposure) who post every visit, toxic with
    # chance base_rate x temper / mean temper; warnings change nothing; 30 h of moderation, all spare
    # after a few hours (scale 0.1 h: the visibility is norm_max itself, to double precision)
    sim = quiet_sim(graph(300), {"moderation": 30.0}, days=20, members__post_rate=1.0,
                    trolls__base_rate=0.2, trolls__warning=1.0, levers__norm_max=norm_max,
                    levers__norm_scale=0.1)  # fmt: skip
    sim.run()
    return int(col(sim, "toxic_posts_members").sum())


def test_visible_norms_prevent_the_share_norm_max_of_members_toxic_posts() -> None:
    none, half, every = _member_toxic(0.0), _member_toxic(0.5), _member_toxic(1.0)
    assert none > 500
    assert every == 0  # a toxic chance times (1 - 1) is 0
    # half as many, within binomial noise (about 5 standard deviations of the ratio)
    assert half / none == pytest.approx(0.5, abs=0.08), (half, none)


# --- welcoming: follow-ups ------------------------------------------------------------------------
def test_follow_ups_take_the_welcoming_hours_greetings_and_replies_leave_then_outreach() -> None:
    welcome = _tp(20.0, 10.0, 20.0) / 7.0  # QUIET's 10 greetings an hour, 20 h a week: per day
    outreach = _tp(20.0, 3.0, 20.0) / 7.0
    # no newcomers, no first posts: every follow-up due is made, the rest goes to outreach
    Z, _ = _day({"welcoming": 20.0}, M_LOAD_FOLLOW_UPS=welcome / 4, M_LOAD_AT_RISK=100.0)
    assert Z[T.Z_P_FOLLOW_UP] == 1.0
    assert Z[T.Z_P_OUTREACH] == pytest.approx(0.75 * outreach / 100.0, rel=1e-12)
    # greetings take half, replies to first posts (2 greetings each) a quarter: a quarter left
    Z, _ = _day({"welcoming": 20.0}, M_LOAD_NEWCOMERS=welcome / 2, M_LOAD_FIRST_POSTS=welcome / 8,
                M_LOAD_FOLLOW_UPS=welcome / 2, M_LOAD_AT_RISK=100.0)  # fmt: skip
    assert Z[T.Z_P_FP_REPLY] == 1.0
    assert Z[T.Z_P_FOLLOW_UP] == pytest.approx(0.5, rel=1e-12)  # half of those due, today
    assert Z[T.Z_P_OUTREACH] == 0.0
    assert _day({}, M_LOAD_FOLLOW_UPS=5.0)[0][T.Z_P_FOLLOW_UP] == 0.0  # no welcoming hours


def test_the_manager_follows_up_once_with_newcomers_past_their_first_week() -> None:
    sim = quiet_sim(graph(10), {"welcoming": 30.0}, days=4, levers__welcome_boost=1.5,
                    levers__follow_up_boost=1.25)  # fmt: skip
    st = sim.state
    # a week old (due tomorrow), eight days old (due today), a newcomer of today, and no newcomer
    st.I[L.I_JOIN, :4] = [-WELCOME_DAYS, -WELCOME_DAYS - 1, 0, -30]
    st.I[L.I_JOIN, 4:10] = -100
    st.F[L.F_ACTIVITY, 1] = 1e-9  # member 1 never visits: a follow-up reaches it anyway
    sim.advance(1)
    assert st.B[L.B_GREETED, :4].tolist() == [0, L.GREETED_FOLLOWED, L.GREETED_WELCOMED, 0]
    assert st.F[L.F_ENG, :4].tolist() == [1.0, 1.25, 1.5, 1.0]
    assert st.M[L.M_LOAD_FOLLOW_UPS] == 1.0  # member 1 was due today (tomorrow's load)
    sim.advance(1)
    assert st.B[L.B_GREETED, :4].tolist() == [L.GREETED_FOLLOWED, L.GREETED_FOLLOWED, L.GREETED_WELCOMED, 0]
    assert st.F[L.F_ENG, :4].tolist() == [1.25, 1.25, 1.5, 1.0]
    assert st.M[L.M_LOAD_FOLLOW_UPS] == 1.0  # member 0
    sim.advance(2)
    assert st.F[L.F_ENG, :4].tolist() == [1.25, 1.25, 1.5, 1.0]  # once each
    assert st.M[L.M_LOAD_FOLLOW_UPS] == 0.0


def test_no_follow_ups_without_welcoming_hours() -> None:
    sim = quiet_sim(graph(10), {"moderation": 30.0}, days=3)
    sim.state.I[L.I_JOIN, :10] = -WELCOME_DAYS - 1
    sim.run()
    assert sim.state.M[L.M_LOAD_FOLLOW_UPS] == 10.0  # all still due
    assert (sim.state.B[L.B_GREETED, :10] == 0).all()
    assert (sim.state.F[L.F_ENG, :10] == 1.0).all()


def test_both_engines_agree_with_visible_norms_and_follow_ups() -> None:
    # community_builder's welcoming hours follow up; moderation's hours are nearly all spare
    fast, other = both("forum", "community_builder", seed=5, members=300, days=60)
    assert_same_runs(fast, other)
    sim = cmsim.Simulation("forum", "community_builder", seed=5, members=300, days=60)
    sim.run()
    assert ((sim.state.B[L.B_GREETED, : sim.state.n_used] & L.GREETED_FOLLOWED) != 0).sum() > 10


# --- paired by seed: more hours, the promised outcome -----------------------------------------------
SEEDS = (1, 2, 3, 4)
#: A week with every lever's load met (29 h of a 50-hour budget): one lever gets more hours
#: without taking any from the others.
SOME = {"moderation": 4.0, "responding": 6.0, "content": 4.0, "welcoming": 4.0, "events": 2.0, "analytics": 2.0,
        "learning": 2.0, "self_care": 3.0}  # fmt: skip


def _paired(lever: str, hours: tuple[float, float], metric: str) -> np.ndarray:
    return np.array([
        [cmsim.simulate("forum", {**SOME, lever: h}, seed=seed, days=240,
                        overrides={"manager.hours": 50.0}).summary[metric] for h in hours]
        for seed in SEEDS
    ])  # fmt: skip


def test_more_moderation_hours_beyond_the_load_lower_the_norm_breaking_share() -> None:
    t = _paired("moderation", (4.0, 20.0), "norm_breaking_share")
    assert (t[:, 1] <= 1.02 * t[:, 0]).all(), t  # never more than 2% worse on a seed
    assert t[:, 1].mean() < 0.95 * t[:, 0].mean(), t  # and 5% lower on average (measured: 12%)


def test_more_welcoming_hours_beyond_the_greetings_keep_more_newcomers_at_60_days() -> None:
    t = _paired("welcoming", (4.0, 12.0), "newcomer_retention_60d")
    assert (t[:, 1] >= t[:, 0] - 0.005).all(), t  # never more than half a point worse on a seed
    assert (t[:, 1] - t[:, 0]).mean() > 0.01, t  # and a point higher on average (measured: 2.0)
