"""The steady start (``cmsim.steady``, ``members.initial_member``): hand-built cases with known
answers, and week 1 against week 20 within seed noise (``docs/make_steady.py``)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

import cmsim
from cmsim._kernels import layout as L
from cmsim._kernels.members import (
    NEVER,
    RATE_TOXIC,
    geometric,
    initial_member,
    start_comebacks,
    start_rates,
    steady_engagement,
    toxic_rate,
    warned_temper,
)
from cmsim.scenario import resolve_scenario
from cmsim.steady import (
    EXPOSURE_SAMPLE,
    EXPOSURE_SEED,
    MIN_REMOVAL,
    shown_per_post,
    start_hours,
    start_scalars,
)

_spec = importlib.util.spec_from_file_location(
    "make_steady", Path(__file__).parents[1] / "docs" / "make_steady.py"
)
make_steady = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
_spec.loader.exec_module(make_steady)  # type: ignore[union-attr]


def _scalars(**overrides):
    sc = resolve_scenario(
        "forum", members=2000, overrides={k.replace("__", "."): v for k, v in overrides.items()}
    )
    P = L.pack_params(sc.values)
    return sc, P, start_scalars(sc.values, P)


def test_the_current_strategy_is_one_of_the_built_ins() -> None:
    from cmsim.strategies import BUILTIN
    from cmsim.vocabulary import STRATEGY_NAMES

    assert set(STRATEGY_NAMES) == set(BUILTIN)
    with pytest.raises(cmsim.errors.ScenarioError, match="manager.current_strategy"):
        resolve_scenario("forum", overrides={"manager.current_strategy": "nosuch"})


def test_geometric_days_with_a_chance_too_small_for_one_minus_p() -> None:
    # 1 - 1e-192 is exactly 1 in double precision: no division by zero, and far beyond any run
    assert geometric(0.5, 1e-192) == NEVER
    assert geometric(0.5, 1e-17) >= 10**15 or geometric(0.5, 1e-17) == NEVER


def test_geometric_days_until_a_daily_chance_comes() -> None:
    assert geometric(0.999, 1.0) == 1 and geometric(0.5, 0.0) == NEVER
    assert geometric(0.0, 0.3) == 1  # the first day
    assert geometric(0.5, 0.5) == 2  # P(first success after day 1) = 0.5
    draws = np.array([geometric(u, 0.1) for u in (np.arange(20_000) + 0.5) / 20_000])
    assert draws.mean() == pytest.approx(10.0, rel=0.01)  # mean 1 / p


def test_steady_engagement_balances_drift_and_events() -> None:
    assert steady_engagement(0.3, 0.0) == 1.0
    assert steady_engagement(0.2, 2.5) == pytest.approx(2.0)  # g = 1 + 2.5 * 0.2 * g
    assert steady_engagement(0.9, 1.0) == pytest.approx(1.0 + 0.95)  # visits capped at 0.95
    assert steady_engagement(1.0, 50.0) == 3.0


def test_bad_actors_start_at_their_steady_count() -> None:
    # ample moderation: every troll post is reviewed, so a troll is removed at post_rate * detection a day
    quiet = {"trolls__give_up": 0.0, "spam__give_up": 0.0, "trolls__conversion": 0.0}
    sc, P, S = _scalars(
        levers__moderation_rate=1000.0, trolls__comeback=0.0, trolls__initial_share=0.0, **quiet
    )
    removal = P[L.P_TROLL_POST_RATE] * P[L.P_DETECTION]
    assert S[L.ST_TROLL_SHARE] * 2000 == pytest.approx(P[L.P_TROLL_ARRIVAL] * 2.0 / removal)
    # a share of the removed coming back keeps more of them; an explicit initial share adds to it
    _, _, back = _scalars(
        levers__moderation_rate=1000.0, trolls__comeback=0.5, trolls__initial_share=0.01, **quiet
    )
    assert back[L.ST_TROLL_SHARE] == pytest.approx(0.01 + 2 * S[L.ST_TROLL_SHARE])
    # trolls who give up (trolls.give_up a day) leave besides those removed
    _, _, gone = _scalars(
        levers__moderation_rate=1000.0, trolls__comeback=0.0, trolls__give_up=0.05, trolls__conversion=0.0
    )
    assert gone[L.ST_TROLL_SHARE] * 2000 == pytest.approx(P[L.P_TROLL_ARRIVAL] * 2.0 / (removal + 0.05))
    # members who troll turn trolls (conversion a toxic post): they arrive besides the newcomers (at
    # 0.1 the exposure's fixed point settles within EXPOSURE_ROUNDS; at 0.5 it needs more rounds)
    _, Pc, conv = _scalars(levers__moderation_rate=1000.0, trolls__comeback=0.0, trolls__initial_share=0.0,
                           trolls__conversion=0.1, trolls__give_up=0.0, spam__give_up=0.0)  # fmt: skip
    turned = 0.1 * start_rates(EXPOSURE_SEED, EXPOSURE_SAMPLE, Pc, conv)[RATE_TOXIC] * 2000
    assert conv[L.ST_TROLL_SHARE] * 2000 == pytest.approx(
        (Pc[L.P_TROLL_ARRIVAL] * 2.0 + turned) / removal, rel=1e-6
    )
    assert conv[L.ST_TROLL_SHARE] > S[L.ST_TROLL_SHARE]
    # no moderation at all: they stay 1 / MIN_REMOVAL days, or until they give up
    _, P0, none = _scalars(manager__current_strategy="absent", **quiet)
    assert none[L.ST_SPAM_SHARE] * 2000 == pytest.approx(P0[L.P_SPAM_ARRIVAL] * 2.0 / MIN_REMOVAL)
    _, _, leave = _scalars(manager__current_strategy="absent", spam__give_up=0.05)
    assert leave[L.ST_SPAM_SHARE] * 2000 == pytest.approx(P0[L.P_SPAM_ARRIVAL] * 2.0 / 0.05)
    assert (
        start_hours({"manager.count": 1, "manager.hours": 30.0, "manager.current_strategy": "absent"}).sum()
        == 0
    )


def _warned(seed, i, temper, visits, post, rate, caught, warning, floor, conversion=0.0):
    """:func:`warned_temper` from its first try's draws (counter 0)."""
    return warned_temper(seed, i, 0, temper, visits, post, rate, caught, warning, floor, conversion)


def test_warned_temper_replays_the_warnings_of_past_visits() -> None:
    # no visits, nothing toxic or nothing caught: the drawn temper stays
    assert _warned(1, 7, 0.8, 0, 1.0, 5.0, 1.0, 0.5, 0.0) == (0.8, False)
    assert _warned(1, 7, 0.8, 500, 1.0, 0.0, 1.0, 0.5, 0.0) == (0.8, False)
    assert _warned(1, 7, 0.8, 500, 1.0, 5.0, 0.0, 0.5, 0.0) == (0.8, False)
    # a post every visit, toxic for sure while 8 * temper >= 1, always caught: temper halves on
    # each of the first four visits (1 -> 1/16), whatever the draws
    for i in range(20):
        assert _warned(3, i, 1.0, 4, 1.0, 8.0, 1.0, 0.5, 0.0) == (0.0625, False)
    # a warning's chance per visit fixed at post * caught = 0.1 (toxic for sure): over 100 visits
    # the number of warnings is binomial(100, 0.1), mean 10 (temper * 0.99 per warning)
    n = np.array(
        [np.log(_warned(5, i, 1.0, 100, 0.2, 1e6, 0.5, 0.99, 0.0)[0]) / np.log(0.99) for i in range(4000)]
    )
    assert np.allclose(n, np.round(n), atol=1e-6)
    assert n.mean() == pytest.approx(10.0, abs=0.15) and n.var() == pytest.approx(9.0, rel=0.1)
    # at the floor (trolls.warning_floor): 1 -> 1/2 -> 1/4 -> 0.2, then later warnings change nothing
    for i in range(20):
        assert _warned(3, i, 1.0, 4, 1.0, 8.0, 1.0, 0.5, 0.2) == (0.2, False)
        assert _warned(3, i, 0.1, 4, 1.0, 80.0, 1.0, 0.5, 0.2) == (0.1, False)  # below it already
    # a later try of the member's past reads other draws
    assert [_warned(5, i, 1.0, 100, 0.2, 1e6, 0.5, 0.99, 0.0)[0] for i in range(50)] != [
        warned_temper(5, i, 1 << 20, 1.0, 100, 0.2, 1e6, 0.5, 0.99, 0.0, 0.0)[0] for i in range(50)
    ]


def test_a_past_toxic_post_turns_its_author_troll_with_the_conversion_chance() -> None:
    # every toxic post turns its author: the first visit's toxic post does, before any warning
    for i in range(20):
        assert _warned(3, i, 1.0, 4, 1.0, 8.0, 1.0, 0.5, 0.0, 1.0) == (1.0, True)
        assert _warned(3, i, 1.0, 0, 1.0, 8.0, 1.0, 0.5, 0.0, 1.0) == (1.0, False)  # no visits
    # nothing caught, a toxic post a visit with chance 0.2, each turning with chance 0.1: over
    # 10 visits the member turned with chance 1 - 0.98^10 = 0.1829
    turned = [_warned(7, i, 1.0, 10, 0.2, 1e6, 0.0, 0.5, 0.0, 0.1)[1] for i in range(20_000)]
    assert np.mean(turned) == pytest.approx(1 - 0.98**10, abs=0.008)  # (sd 0.0027)
    # at the floor warnings change nothing, but toxic posts still turn it: toxic with chance 0.1
    # a visit, turning with 0.01, over 100 visits: 1 - 0.999^100 = 0.0952
    at_floor = [_warned(7, i, 0.1, 100, 1.0, 1.0, 1.0, 0.5, 0.2, 0.01) for i in range(20_000)]
    assert all(t == 0.1 for t, _ in at_floor)
    assert np.mean([x for _, x in at_floor]) == pytest.approx(1 - 0.999**100, abs=0.006)  # (sd 0.0021)


def test_past_warnings_lower_the_tempers_of_frequent_posters_only() -> None:
    over = {"trolls__base_rate": 0.05, "members__post_rate": 0.05, "trolls__conversion": 0.0}
    _, P1, S1 = _scalars(trolls__warning=1.0, **over)
    _, P, S = _scalars(**over)
    # (the same comeback chance: the posts a contact shows, less its toxic ones, follow tempers)
    S1[L.ST_REENGAGE] = S[L.ST_REENGAGE]
    old = [initial_member(4, i, False, P1, S1) for i in range(400)]
    new = [initial_member(4, i, False, P, S) for i in range(400)]
    # the same past (role, join, last visit, status, activity), only the temper is lowered
    assert all(a[:5] == b[:5] and a[7] == b[7] for a, b in zip(old, new, strict=True))
    lower = [a[6] > b[6] for a, b in zip(old, new, strict=True)]
    assert all(a[6] >= b[6] for a, b in zip(old, new, strict=True)) and 10 < sum(lower) < 400
    # the warned are the frequent posters: more active than the unwarned
    act = np.array([a[4] for a in old])
    assert np.median(act[lower]) > 2 * np.median(act[~np.array(lower)])


def test_members_who_turned_troll_in_their_past_are_replaced_by_new_members() -> None:
    # the same start scalars, members' toxic posts turning them troll (conversion 0.3) or not: a
    # member who turned before day 0 is gone, drawn again with a new member's traits
    _, P0, S = _scalars(trolls__base_rate=0.05, members__post_rate=0.05, trolls__conversion=0.0)
    P = P0.copy()
    P[L.P_CONVERSION] = 0.3
    before = [initial_member(4, i, False, P0, S) for i in range(2000)]
    after = [initial_member(4, i, False, P, S) for i in range(2000)]
    redrawn = np.array([a[4] != b[4] for a, b in zip(before, after, strict=True)])
    assert 20 < redrawn.sum() < 1000
    # those who turned were the frequent posters: more active than the members drawn in their place
    act0 = np.array([a[4] for a in before])[redrawn]
    act1 = np.array([a[4] for a in after])[redrawn]
    assert np.median(act0) > 2 * np.median(act1)
    # so the members present write fewer toxic posts
    assert (
        start_rates(EXPOSURE_SEED, 1000, P, S)[RATE_TOXIC]
        < 0.9 * start_rates(EXPOSURE_SEED, 1000, P0, S)[RATE_TOXIC]
    )  # (0.79)


def test_the_steady_start_knows_how_often_a_toxic_post_is_caught() -> None:
    # ample capacity: every offending post is reviewed (detection); a share of them is removed
    # the day it is posted (the hours a moderator watches), the rest reviewed the next day
    sc, P, S = _scalars(levers__moderation_rate=1000.0, levers__quick_review_scale=10.0)
    d = P[L.P_DETECTION]
    quick = d * (1.0 - np.exp(-start_hours(sc.values)[0] / 10.0))
    assert 0.1 < quick < d
    assert S[L.ST_CAUGHT] == pytest.approx(quick + (1.0 - quick) * d)
    assert S[L.ST_TOXIC_RATE] == pytest.approx(P[L.P_TROLL_BASE_RATE] / P[L.P_TEMPER_MEAN])
    _, _, none = _scalars(manager__current_strategy="absent")
    assert none[L.ST_CAUGHT] == 0.0
    _, P2, sour = _scalars(members__initial_satisfaction=0.3)  # in a bad mood: mood_boost
    assert sour[L.ST_TOXIC_RATE] == pytest.approx(
        P2[L.P_TROLL_BASE_RATE] / P2[L.P_TEMPER_MEAN] * P2[L.P_MOOD_BOOST]
    )


def test_toxic_rate_of_a_member_at_the_steady_state() -> None:
    _, P, S = _scalars()
    S = S.copy()
    S[L.ST_TOXIC_RATE], S[L.ST_EXPOSURE] = 0.02, 0.0
    assert toxic_rate(0.5, 0.0, P, S) == pytest.approx(0.01)  # base rate over mean temper, x temper
    assert toxic_rate(0.5, 0.01, P, S) == pytest.approx(0.01 * (1 + P[L.P_NORM_GAIN] * 0.01))  # the norm
    S[L.ST_EXPOSURE] = 1e9  # every visit sees a toxic post: the context boost always
    assert toxic_rate(0.5, 0.0, P, S) == pytest.approx(0.01 * P[L.P_CONTEXT_BOOST])


def test_members_start_with_the_exposure_of_their_visits() -> None:
    # everyone visits (0.95 a day: the cap) and stays: exposure = 0.95 x toxic posts seen a visit
    _, P, S = _scalars(members__visit_rate=1.0, members__activity_sigma=0.0, dynamics__churn_base=0.0,
                       dynamics__churn_unhappy=0.0)  # fmt: skip
    assert S[L.ST_EXPOSURE] > 0
    for i in range(100):
        m = initial_member(5, i, False, P, S)
        assert m[8] == (pytest.approx(0.95 * S[L.ST_EXPOSURE]) if m[0] == L.MEMBER else 0.0)
    # a lapsed member's exposure has faded away
    _, P, S = _scalars(dynamics__lapse_days=3, members__visit_rate=0.0)
    assert all(initial_member(5, i, False, P, S)[8] == 0.0 for i in range(100))


def test_the_start_exposure_is_the_fixed_point_of_the_toxic_posts_it_brings() -> None:
    sc, P, S = _scalars(trolls__base_rate=0.05)
    trolls = S[L.ST_TROLL_SHARE] * P[L.P_TROLL_POST_RATE]
    members = start_rates(EXPOSURE_SEED, EXPOSURE_SAMPLE, P, S)[RATE_TOXIC]
    d = P[L.P_DETECTION]  # (forum's moderation reviews every offending post)
    quick = d * (1.0 - np.exp(-start_hours(sc.values)[0] / P[L.P_QUICK_REVIEW_SCALE]))
    again = sc.values["graph.mean_degree"] * (trolls + members) * (1.0 - quick)
    assert S[L.ST_EXPOSURE] == pytest.approx(again, rel=1e-3)
    # more toxic members: more exposure; nobody toxic and no trolls: none
    assert S[L.ST_EXPOSURE] > _scalars()[2][L.ST_EXPOSURE]
    _, _, clean = _scalars(trolls__base_rate=0.0, trolls__arrival_rate=0.0)
    assert clean[L.ST_EXPOSURE] == 0.0


def test_start_scalars_are_remembered_per_scenario_and_handed_out_as_copies() -> None:
    sc, P, S = _scalars()
    S[:] = -1.0
    again = start_scalars(sc.values, P)
    assert (again >= 0).all()
    _, _, other = _scalars(trolls__base_rate=0.05)
    assert other[L.ST_EXPOSURE] != again[L.ST_EXPOSURE]


def _star(k: int, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Member 0 linked to members 1..k (of n members); the others have no contacts."""
    rows = [list(range(1, k + 1))] + [[0] if 1 <= i <= k else [] for i in range(1, n)]
    deg = np.array([len(r) for r in rows], np.int32)
    indptr = np.concatenate([[0], np.cumsum(deg)]).astype(np.int64)
    indices = np.array([j for r in rows for j in r], np.int32)
    return indptr, indices, deg


def test_a_lapsed_member_comes_back_as_often_as_its_own_contacts_post() -> None:
    # everyone visits (0.95 a day, the cap) and stays, engagement 1: each posts 0.95 * post_rate a day
    # (nobody trolls: every post shows, for the days S[ST_SHOWN] says)
    sc, P, S = _scalars(members__visit_rate=1.0, members__activity_sigma=0.0, dynamics__churn_base=0.0,
                        dynamics__churn_unhappy=0.0, levers__event_reach=0.0, levers__welcome_boost=1.0,
                        trolls__arrival_rate=0.0, spam__arrival_rate=0.0, trolls__base_rate=0.0)  # fmt: skip
    post, r = 0.95 * P[L.P_POST_RATE] * S[L.ST_SHOWN], P[L.P_REENGAGEMENT]
    back = start_comebacks(1, 8, 0, P, S, *_star(5, 8))
    assert back[0] == pytest.approx(1.0 - (1.0 - r * post) ** 5)  # five contacts posting
    assert back[1:6] == pytest.approx(np.full(5, r * post))  # one
    assert (back[6:] == 0.0).all()  # no contacts: nobody brings them back
    # contacts who never visit (lapsed) bring nobody back
    _, P0, S0 = _scalars(dynamics__lapse_days=3, members__visit_rate=0.0)
    assert (start_comebacks(1, 8, 0, P0, S0, *_star(5, 8)) == 0.0).all()


def test_toxic_posts_bring_nobody_back() -> None:
    # every post toxic (a toxic rate far above 1 over any temper): contacts show nothing
    _, P, S = _scalars(members__visit_rate=1.0, members__activity_sigma=0.0, trolls__conversion=0.0)
    S[L.ST_TOXIC_RATE] = 1e12
    assert start_rates(1, 200, P, S)[1] == 0.0 and start_rates(1, 200, P, S)[0] > 0.0
    assert (start_comebacks(1, 8, 0, P, S, *_star(5, 8)) == 0.0).all()


def _answering(**p: float) -> np.ndarray:
    P = np.zeros(L.N_PARAMS)
    P[L.P_QUESTION_SHARE], P[L.P_OPEN_DAYS], P[L.P_RESPONDING_WAIT] = 0.4, 3, 1
    for k, v in p.items():
        P[getattr(L, k)] = v
    return P


def test_a_question_shows_for_the_days_it_stays_open() -> None:
    # 1,000 members, 8 contacts, 0.01 posts a member a day: 4 questions a day (share 0.4)
    nobody = _answering()
    assert shown_per_post(nobody, 1000, 8, 0.01, 0.5, 0.0) == pytest.approx(0.6 + 0.4 * 3)  # shows 3 days
    # the front page answers half on the day asked (lam = ln 2); nobody after: 3 x 0.5 days
    half = _answering(P_FRONT_PAGE=4 * np.log(2.0), P_ANSWER_RATE=1.0)
    assert shown_per_post(half, 1000, 0, 0.01, 0.001, 0.0) == pytest.approx(0.6 + 0.4 * 1.5)
    # contacts answer on later days: 8 contacts of expertise-visits 0.05 each leave q unanswered
    # (the front page still answers half: lam = ln 2); shown 0.5, 0.5 q, 0.5 q^2 days
    q = np.exp(-1.0 * 8 * 0.05)
    half = _answering(P_FRONT_PAGE=4 * np.log(2.0) / 50, P_ANSWER_RATE=1.0)
    assert shown_per_post(half, 1000, 8, 0.01, 0.05, 0.0) == pytest.approx(0.6 + 0.4 * 0.5 * (1 + q + q * q))
    # a manager with room for every question answers it the day it is asked: it never shows
    assert shown_per_post(nobody, 1000, 8, 0.01, 0.0, 4.0) == pytest.approx(0.6)
    # less capacity, more days shown; no capacity: as with nobody
    days = [shown_per_post(nobody, 1000, 8, 0.01, 0.0, c) for c in (4.0, 3.0, 2.0, 1.0, 0.0)]
    assert days == sorted(days) and days[-1] == pytest.approx(0.6 + 0.4 * 3)


def test_the_start_counts_what_contacts_show() -> None:
    # customer: most posts are questions, most answered the day they are asked
    sc = resolve_scenario("customer")
    P = L.pack_params(sc.values)
    S = start_scalars(sc.values, P)
    assert 1.0 - P[L.P_QUESTION_SHARE] < S[L.ST_SHOWN] < 1.0 - 0.5 * P[L.P_QUESTION_SHARE]


def test_lapsed_members_start_among_quiet_contacts() -> None:
    # forum, 3,000 members: the posts a day of a lapsed member's contacts, against an active one's
    sim = cmsim.Simulation("forum", seed=4, members=3000, days=1)
    st, g = sim.state, sim.state.graph
    n = 3000
    a = st.F[L.F_ACTIVITY, :n].astype(float)
    active = st.B[L.B_STATUS, :n] == L.ACTIVE
    heard = np.array(
        [
            (
                a[g.indices[g.indptr[i] : g.indptr[i] + g.deg[i]]] ** 2
                * active[g.indices[g.indptr[i] : g.indptr[i] + g.deg[i]]]
            ).sum()
            for i in range(n)
        ]
    )
    lapsed = st.B[L.B_STATUS, :n] == L.LAPSED
    assert heard[lapsed].mean() < 0.8 * heard[active].mean()


def test_members_never_seen_lapse_and_members_who_always_visit_are_active() -> None:
    _, P, S = _scalars(dynamics__lapse_days=3, members__visit_rate=0.0, dynamics__lapsed_leave=0.0,
                       dynamics__reengagement=0.0)  # fmt: skip
    for i in range(200):
        role, join, last, status, *_ = initial_member(5, i, False, P, S)
        if role == L.MEMBER:
            assert status == L.LAPSED and last == join and -S[L.ST_MAX_AGE] <= join <= -3
    _, P, S = _scalars(members__visit_rate=1.0, members__activity_sigma=0.0, dynamics__churn_base=0.0,
                       dynamics__churn_unhappy=0.0)  # fmt: skip
    lasts = [initial_member(5, i, False, P, S)[2:4] for i in range(200)]
    assert all(status == L.ACTIVE and -10 < last < 0 for last, status in lasts)


def test_the_run_starts_with_the_members_asked_for_some_lapsed_and_lapsing_from_day_one() -> None:
    sim = cmsim.Simulation("forum", seed=2, members=1500, days=7)
    status = sim.state.B[L.B_STATUS, : sim.state.n_used]
    assert sim.state.n_used == 1500 and np.isin(status, (L.ACTIVE, L.LAPSED)).all()
    assert 0.15 < (status == L.LAPSED).mean() < 0.45
    join = sim.state.I[L.I_JOIN, :1500]
    assert join.max() < 0 and join.min() < -365  # a tenure of years for some
    before = status.copy()
    sim.advance(7)
    lapsed_now = sim.state.B[L.B_STATUS, :1500] == L.LAPSED
    assert (lapsed_now & (before == L.ACTIVE)).sum() > 0  # (the fresh start: nobody before day 46)


def test_strategies_branch_from_the_same_start_and_the_past_changes_it() -> None:
    a = cmsim.Simulation("forum", "absent", seed=3, members=400, days=7)
    b = cmsim.Simulation("forum", "moderation_first", seed=3, members=400, days=7)
    for x, y in zip((a.state.F, a.state.B, a.state.I), (b.state.F, b.state.B, b.state.I), strict=True):
        assert np.array_equal(x, y)
    c = cmsim.Simulation(
        "forum", "absent", seed=3, members=400, days=7, overrides={"manager.current_strategy": "absent"}
    )
    assert not np.array_equal(a.state.F[L.F_ENG, :400], c.state.F[L.F_ENG, :400])  # no events, no welcome


def test_forum_week_1_agrees_with_week_20_within_seed_noise() -> None:
    # (the table's size: at 1,000 members forum's active share drifts by about the noise, as it
    # did before model 3.1)
    t = make_steady.compare_weeks(make_steady.steady_scenario("forum"), seeds=10)
    assert t["agrees"].all(), t.to_string()


#: Scenarios whose shares follow the manager, who is not burned in: understaffed's manager cannot
#: keep up (a backlog of questions builds from none on day 0) and burns out (docs/model.md, "What
#: still drifts"; its own test below).
MANAGER_DRIVEN = {"understaffed"}


def _scenario_names() -> list:
    names = (p.stem for p in (Path(__file__).parents[1] / "scenarios").glob("*.yaml"))
    return sorted(n for n in names if n != "forum" and n not in MANAGER_DRIVEN)  # (forum: above)


@pytest.mark.slow
@pytest.mark.parametrize("name", _scenario_names())
def test_every_scenario_week_1_agrees_with_week_20(name: str) -> None:
    t = make_steady.compare_weeks(make_steady.steady_scenario(name), seeds=10)
    assert t["agrees"].all(), t.to_string()


@pytest.mark.slow
def test_understaffed_drifts_with_its_manager() -> None:
    # the manager falls behind and burns out: fewer questions answered, fewer visits
    t = make_steady.compare_weeks(make_steady.steady_scenario("understaffed"), seeds=4).set_index("share")
    assert t.loc["answered", "week20"] < t.loc["answered", "week1"] - 0.1, t.to_string()
    assert t.loc["active", "week20"] < t.loc["active", "week1"], t.to_string()
