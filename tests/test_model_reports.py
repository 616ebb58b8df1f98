"""Reports, the spam filter and bad actors who give up, on tiny hand-built communities with known
answers (``docs/model.md``, "Trolls and spammers")."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_model_support import col, graph, quiet_sim, set_role

import cmsim
from cmsim._kernels import layout as L
from cmsim._kernels import tally as T
from cmsim._kernels.levers import day_scalars, manager_levers

MODERATE = {"moderation": 30.0}


def test_a_reader_reports_each_toxic_post_it_sees_at_report_rate_one() -> None:
    # troll 0 posts every day; member 1, its only contact, visits (chance 0.95) and reports what it sees
    sim = quiet_sim(
        graph(10, [(0, 1)]), days=12, trolls__post_rate=1.0, trolls__report_rate=1.0, dynamics__toxic_harm=0.0
    )
    set_role(sim, [0], L.TROLL)
    visited = []
    for d in range(12):
        sim.advance(1)
        visited.append(bool(sim.state.I[L.I_LAST_VISIT, 1] == d))
    seen = [v and d >= 1 for d, v in enumerate(visited)]  # the post of day d-1 is read on day d
    assert col(sim, "reports").tolist() == [int(s) for s in seen]
    assert col(sim, "reported_accounts").tolist() == [int(s) for s in seen]  # one account, still active
    assert sum(seen) >= 8 and col(sim, "removals").sum() == 0  # no manager: nobody reviews them


def test_reports_are_drawn_per_post_seen_at_report_rate() -> None:
    # 300 trolls each beside one member; about 0.95 * 299... reads a day, a quarter reported
    pairs = 300
    sim = quiet_sim(graph(2 * pairs, [(2 * k, 2 * k + 1) for k in range(pairs)]), days=10, trolls__post_rate=1.0,
                    trolls__report_rate=0.25)  # fmt: skip
    set_role(sim, range(0, 2 * pairs, 2), L.TROLL)
    sim.advance(10)
    reads = col(sim, "dau")[1:].sum()  # every visit reads exactly one toxic post
    share = col(sim, "reports")[1:].sum() / reads
    assert share == pytest.approx(0.25, abs=0.03)  # binomial sd 0.008 over ~2,600 reads


def test_moderation_reviews_reported_accounts_first_with_the_hours_it_has() -> None:
    sim = quiet_sim(graph(10), MODERATE, levers__moderation_rate=1.0, levers__detection=0.9)
    P, M = sim.state.P, sim.state.M.copy()
    H = np.zeros(8)
    H[0] = 30.0  # 30 h of moderation a week
    cap = manager_levers(P, M, H)[1]
    target = manager_levers(P, M, H)[6]
    M[L.M_LOAD_OFFENDING] = 40.0
    for reported in (0.0, 2.0, 50.0):
        M[L.M_LOAD_REPORTED] = reported
        Z = np.zeros(T.N_Z)
        day_scalars(0, P, sim.state.TL, M.copy(), H, Z)
        assert Z[T.Z_P_REPORTED] == pytest.approx(0.9 * min(1.0, cap / max(1.0, reported)))
        assert Z[T.Z_P_DETECT] == pytest.approx(0.9 * min(1.0, max(0.0, cap - reported) * target / 40.0))
    assert 2.0 < cap < 50.0  # the three cases: no reports, some, more than the hours can review


def _warned_twice(report_rate: float) -> float:
    """Temper of member 0 after a toxic post on day 0 that member 1 reads on day 1."""
    sim = quiet_sim(graph(10, [(0, 1)]), MODERATE, days=4, members__post_rate=1.0, trolls__base_rate=1.0,
                    trolls__warning=0.5, trolls__warning_floor=0.0, trolls__report_rate=report_rate)  # fmt: skip
    st = sim.state
    st.F[L.F_TEMPER, 0] = sim.scenario["members.temper_mean"]  # toxic for sure (chance >= 1)
    t0 = float(st.F[L.F_TEMPER, 0])
    sim.advance(1)
    assert col(sim, "toxic_posts_members")[0] >= 1
    st.P[L.P_POST_RATE] = 0.0  # nobody posts after day 0
    st.F[L.F_ACTIVITY, 0] = 0.0  # member 0 never visits again: only a review reaches its day
    sim.advance(1)
    assert st.I[L.I_LAST_VISIT, 1] == 1, "seed 1: member 1 visits on day 1 and reads the post"
    sim.advance(2)
    return float(st.F[L.F_TEMPER, 0]) / t0


def test_a_reported_post_is_reviewed_again_the_day_after_the_report() -> None:
    # day 1: the post is reviewed (a warning halves the temper); day 2: the report brings a second review
    assert _warned_twice(0.0) == pytest.approx(0.5, rel=1e-6)
    assert _warned_twice(1.0) == pytest.approx(0.25, rel=1e-6)


def test_the_spam_filter_removes_spam_before_anyone_sees_it() -> None:
    sim = quiet_sim(
        graph(10, [(0, 1)]), days=8, spam__post_rate=1.0, dynamics__spam_harm=0.02, spam__filter=1.0
    )
    set_role(sim, [0], L.SPAMMER)
    sim.advance(8)
    assert col(sim, "spam_filtered").tolist() == [1] * 8
    assert col(sim, "spam_posts").sum() == 0 and col(sim, "posts").sum() == 0
    assert sim.state.F[L.F_SAT, 1] == pytest.approx(0.65)  # it saw nothing


def test_the_spam_filter_catches_its_share_of_spam() -> None:
    n = 200
    sim = quiet_sim(graph(n), days=10, spam__post_rate=1.0, spam__filter=0.8)
    set_role(sim, range(n), L.SPAMMER)
    sim.advance(10)
    caught, shown = col(sim, "spam_filtered").sum(), col(sim, "spam_posts").sum()
    assert caught + shown == n * 10
    assert caught / (n * 10) == pytest.approx(0.8, abs=0.03)  # binomial sd 0.009


def test_spammers_give_up_at_their_daily_rate() -> None:
    n = 500
    sim = quiet_sim(graph(n), days=20, spam__post_rate=1.0, spam__give_up=0.05)
    set_role(sim, range(n), L.SPAMMER)
    sim.advance(20)
    left = n - col(sim, "active_spammers")[-1]
    expected = n * (1 - 0.95**20)  # 321
    assert left == pytest.approx(expected, abs=40)  # binomial sd 10.7
    assert col(sim, "gave_up").sum() == left
    assert col(sim, "churned").sum() == left  # churned counts every account that left
    assert (sim.state.B[L.B_STATUS, :n] == L.LEFT).sum() == left


def test_a_troll_nobody_replies_to_gives_up_and_a_fed_troll_stays() -> None:
    # member 1 replies to every toxic post it reads (reply_rate 1, reply_draw 1)
    sim = quiet_sim(graph(10, [(0, 1)]), days=30, trolls__post_rate=1.0, dynamics__reply_rate=1.0,
                    trolls__reply_draw=1.0, dynamics__toxic_harm=0.0)  # fmt: skip
    set_role(sim, [0], L.TROLL)
    st = sim.state
    sim.advance(2)  # the troll posts on days 0 and 1 (give_up is 0 until now)
    st.P[L.P_TROLL_GIVE_UP] = 1.0  # from day 2: gives up the day after one nobody replied to it
    fed = st.I[L.I_LAST_VISIT, 1] == 1  # member 1 read (and answered) the troll's day-0 post on day 1
    day = 2
    while st.B[L.B_STATUS, 0] == L.ACTIVE and day < 30:
        sim.advance(1)
        if st.B[L.B_STATUS, 0] == L.LEFT:
            assert not fed, f"day {day}: it was fed yesterday, yet it gave up"
            break
        assert fed, f"day {day}: nobody replied yesterday, yet it stayed"
        fed = st.I[L.I_LAST_VISIT, 1] == day
        day += 1
    assert st.B[L.B_STATUS, 0] == L.LEFT and col(sim, "gave_up").sum() == 1
    assert day >= 4  # member 1 visits with chance 0.95: fed for some days first (seed 1)


def test_the_new_rules_are_the_same_in_both_engines() -> None:
    over = {"trolls.report_rate": 0.5, "trolls.give_up": 0.1, "spam.give_up": 0.1, "spam.filter": 0.5,
            "trolls.initial_share": 0.05, "spam.initial_share": 0.05}  # fmt: skip
    spec = cmsim.run_spec("social_media", "moderation_first", seed=9, members=200, days=40, overrides=over)
    fast, mesa = spec.run(), spec.run("mesa")
    for c in ("reports", "reported_accounts", "spam_filtered", "gave_up", "removals"):
        assert fast.daily[c].sum() > 0, c
    pd.testing.assert_frame_equal(fast.daily, mesa.daily, check_exact=False, rtol=1e-9)
    pd.testing.assert_frame_equal(fast.members, mesa.members, check_exact=False, rtol=1e-9)


def test_warnings_stop_at_the_floor() -> None:
    # the two reviews of _warned_twice, with a floor of 0.3 of the mean temper: 1 -> 0.5 -> 0.3
    sim_args = dict(
        members__post_rate=1.0, trolls__base_rate=1.0, trolls__warning=0.5, trolls__report_rate=1.0
    )
    for floor, expected in ((0.3, 0.3), (0.6, 0.6), (1.0, 1.0)):
        sim = quiet_sim(graph(10, [(0, 1)]), MODERATE, days=4, trolls__warning_floor=floor, **sim_args)
        st = sim.state
        st.F[L.F_TEMPER, 0] = sim.scenario["members.temper_mean"]
        t0 = float(st.F[L.F_TEMPER, 0])
        sim.advance(1)
        st.P[L.P_POST_RATE] = 0.0
        st.F[L.F_ACTIVITY, 0] = 0.0
        sim.advance(3)
        assert float(st.F[L.F_TEMPER, 0]) / t0 == pytest.approx(expected, rel=1e-6)
