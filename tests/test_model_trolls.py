"""Trolls, spammers and moderation on tiny hand-built communities with known answers."""

from __future__ import annotations

import math

import numpy as np
import pytest
from test_model_support import col, graph, quiet_sim, set_role

from cmsim import Intervention
from cmsim._kernels import layout as L

MODERATE = {"moderation": 30.0}


def test_troll_beside_one_member_costs_toxic_harm_per_toxic_post_seen() -> None:
    # member 0 is a troll posting every day; member 1 is its only contact; member 2 is alone
    sim = quiet_sim(graph(10, [(0, 1)]), trolls__post_rate=1.0, dynamics__toxic_harm=0.05)
    set_role(sim, [0], L.TROLL)
    st = sim.state
    visits = 0
    for d in range(12):
        before = st.F[L.F_SAT, 1]
        sim.advance(1)
        visited = st.I[L.I_LAST_VISIT, 1] == d
        # the troll's post of day d-1 is seen on day d by a visiting neighbour
        expected = before - 0.05 if (visited and d >= 1) else before
        assert st.F[L.F_SAT, 1] == pytest.approx(max(expected, 0.0), abs=1e-12), d
        visits += bool(visited and d >= 1)
        assert st.F[L.F_SAT, 2] == pytest.approx(0.65)  # nobody toxic nearby
    assert visits >= 8  # visits happen (chance 0.95 while satisfaction >= 0.45)
    assert col(sim, "toxic_posts").tolist() == [1] * 12
    assert col(sim, "active_trolls").tolist() == [1] * 12
    assert col(sim, "toxic_posts_members").sum() == 0


def test_spammer_beside_a_member_costs_spam_harm_per_post_seen() -> None:
    sim = quiet_sim(graph(10, [(0, 1)]), spam__post_rate=1.0, dynamics__spam_harm=0.02)
    set_role(sim, [0], L.SPAMMER)
    st = sim.state
    for d in range(8):
        before = st.F[L.F_SAT, 1]
        sim.advance(1)
        seen = st.I[L.I_LAST_VISIT, 1] == d and d >= 1
        assert st.F[L.F_SAT, 1] == pytest.approx(before - 0.02 * seen, abs=1e-12)
    assert col(sim, "spam_posts").tolist() == [1] * 8
    assert col(sim, "toxic_posts").sum() == 0


def test_feeding_a_troll_draws_a_reply_and_sours_the_feeder_twice() -> None:
    # reply_rate 1 and reply_draw 1: a visiting neighbour always replies to the toxic post
    sim = quiet_sim(
        graph(10, [(0, 1)]), trolls__post_rate=1.0, dynamics__toxic_harm=0.05, dynamics__reply_rate=1.0,
        trolls__reply_draw=1.0,
    )  # fmt: skip
    set_role(sim, [0], L.TROLL)
    st = sim.state
    sim.advance(1)
    before = st.F[L.F_SAT, 1]
    sim.advance(1)
    assert st.I[L.I_LAST_VISIT, 1] == 1, "seed 1: member 1 visits on day 1"
    assert st.F[L.F_SAT, 1] == pytest.approx(before - 2 * 0.05)
    assert col(sim, "replies")[1] == 1


def _toxic_rates(
    context_boost: float, mood_boost: float, *, low_mood: bool, seed: int
) -> tuple[float, float]:
    """Toxic posts per member-day of members beside a troll, and of members alone."""
    pairs = 150
    n = 3 * pairs  # troll 2k beside member 2k+1; members 2*pairs.. alone
    G = graph(n, [(2 * k, 2 * k + 1) for k in range(pairs)])
    sim = quiet_sim(
        G, seed=seed, days=20, trolls__post_rate=1.0, dynamics__toxic_harm=0.0, members__post_rate=1.0,
        trolls__base_rate=0.1, trolls__context_boost=context_boost, trolls__mood_boost=mood_boost,
        trolls__mood_threshold=0.5, trolls__warning=1.0,
    )  # fmt: skip
    st = sim.state
    set_role(sim, range(0, 2 * pairs, 2), L.TROLL)
    st.F[L.F_TEMPER, :n] = sim.scenario["members.temper_mean"]  # every ratio temper/mean is 1
    if low_mood:
        st.F[L.F_SAT, :n] = 0.45  # below mood_threshold 0.5, above the complaint threshold
    sim.advance(20)
    exposed = st.I[L.I_TOXIC, 1 : 2 * pairs : 2].sum() / (pairs * 19.0)  # days 1..19 see a post
    alone = st.I[L.I_TOXIC, 2 * pairs : n].sum() / (pairs * 20.0)
    return exposed, alone


def test_a_trolled_thread_multiplies_the_chance_of_trolling_by_context_boost() -> None:
    ratios = []
    for seed in (1, 2):
        exposed, alone = _toxic_rates(3.0, 1.0, low_mood=False, seed=seed)
        assert alone == pytest.approx(0.95 * 0.1, abs=0.03)  # visits x base rate
        ratios.append(exposed / alone)
    assert np.mean(ratios) == pytest.approx(3.0, rel=0.15)
    # with no context boost the exposed members troll no more than the others
    exposed, alone = _toxic_rates(1.0, 1.0, low_mood=False, seed=1)
    assert exposed / alone == pytest.approx(1.0, rel=0.2)


def test_bad_mood_multiplies_the_chance_of_trolling_by_mood_boost() -> None:
    _, calm = _toxic_rates(1.0, 2.0, low_mood=False, seed=3)
    _, moody = _toxic_rates(1.0, 2.0, low_mood=True, seed=3)
    # a low mood also lowers the visit chance: 0.5 + 0.45 = 0.95 (still capped at MAX_VISIT)
    assert moody / calm == pytest.approx(2.0, rel=0.2)


def test_both_boosts_together_multiply() -> None:
    exposed, alone = _toxic_rates(1.5, 1.5, low_mood=True, seed=4)
    _, calm = _toxic_rates(1.5, 1.5, low_mood=False, seed=4)
    assert exposed / calm == pytest.approx(1.5 * 1.5, rel=0.2)
    assert alone / calm == pytest.approx(1.5, rel=0.2)


def test_toxic_members_convert_to_trolls_with_chance_conversion() -> None:
    n = 400
    sim = quiet_sim(graph(n), days=10, members__post_rate=1.0, trolls__base_rate=0.2, trolls__conversion=0.5)
    st = sim.state
    st.F[L.F_TEMPER, :n] = sim.scenario["members.temper_mean"]
    st.B[L.B_ROLE, :n] = L.MEMBER  # (the steady start counts the trolls conversion made: none here)
    trolls = []
    for _ in range(10):
        sim.advance(1)
        trolls.append(int((st.B[L.B_ROLE, :n] == L.TROLL).sum()))
    converted = trolls[-1]
    # every toxic post by an ordinary member converts its author with chance 0.5
    assert converted > 20
    assert converted / col(sim, "toxic_posts_members").sum() == pytest.approx(0.5, abs=0.1)
    # a converted member is a troll from the next day on
    assert col(sim, "active_trolls").tolist() == [0] + trolls[:-1]


def test_moderation_removes_trolls_that_posted_the_day_before() -> None:
    n = 40
    sim = quiet_sim(
        graph(n), MODERATE, days=3, trolls__post_rate=1.0, levers__detection=1.0, trolls__comeback=0.0
    )
    set_role(sim, range(10), L.TROLL)
    set_role(sim, range(10, 15), L.SPAMMER)
    sim.advance(3)
    removals = col(sim, "removals")
    # day 0: nothing was posted the day before; day 1: every troll and posting spammer goes
    assert removals[0] == 0
    st = sim.state
    assert (st.B[L.B_STATUS, :10] == L.REMOVED).all()
    assert (st.I[L.I_REMOVED, :10] == 1).all()
    spam_day0 = col(sim, "spam_posts")[0]
    assert removals[1] == 10 + spam_day0
    assert col(sim, "members").tolist()[1] == n - removals[1]
    assert col(sim, "active_trolls").tolist() == [10, 0, 0]  # removed before they act


def test_no_moderation_hours_no_removals() -> None:
    sim = quiet_sim(graph(40), days=10, trolls__post_rate=1.0, levers__detection=1.0)
    set_role(sim, range(10), L.TROLL)
    sim.advance(10)
    assert col(sim, "removals").sum() == 0
    assert col(sim, "active_trolls").tolist() == [10] * 10


def test_removed_trolls_come_back_as_new_troll_accounts() -> None:
    n = 200
    sim = quiet_sim(
        graph(n), MODERATE, days=40, trolls__post_rate=1.0, levers__detection=1.0, trolls__comeback=1.0,
        trolls__comeback_days=3,
    )  # fmt: skip
    set_role(sim, range(5), L.TROLL)
    sim.advance(40)
    st = sim.state
    back = col(sim, "comebacks")
    assert back.sum() > 5  # every removed troll returns, and is removed and returns again
    assert col(sim, "joins").sum() == back.sum()  # no other arrivals in a quiet community
    new = slice(n, st.n_used)
    assert (st.B[L.B_ROLE, new] == L.TROLL).all()
    assert (st.I[L.I_JOIN, new] >= 1).all()
    # each comeback is one removed account whose return day has come
    removed = st.B[L.B_STATUS, : st.n_used] == L.REMOVED
    returned = removed & (st.I[L.I_COMEBACK, : st.n_used] >= 0) & (st.I[L.I_COMEBACK, : st.n_used] <= 39)
    assert back.sum() == returned.sum()
    assert (st.I[L.I_COMEBACK, : st.n_used][removed] > st.I[L.I_REMOVED, : st.n_used][removed]).all()


def test_share_of_removed_trolls_that_come_back_is_comeback() -> None:
    n = 600
    sim = quiet_sim(graph(n), MODERATE, days=3, trolls__post_rate=1.0, levers__detection=1.0, trolls__comeback=0.3,
                    levers__moderation_rate=1000.0)  # fmt: skip
    set_role(sim, range(300), L.TROLL)
    sim.advance(3)
    st = sim.state
    removed = st.B[L.B_STATUS, :300] == L.REMOVED
    assert removed.sum() == 300
    assert (st.I[L.I_COMEBACK, :300] >= 0).mean() == pytest.approx(0.3, abs=0.08)
    # spammers never come back
    sim = quiet_sim(graph(n), MODERATE, days=3, spam__post_rate=1.0, levers__detection=1.0, trolls__comeback=1.0,
                    levers__moderation_rate=1000.0)  # fmt: skip
    set_role(sim, range(300), L.SPAMMER)
    sim.advance(3)
    assert (sim.state.B[L.B_STATUS, :300] == L.REMOVED).sum() == 300
    assert (sim.state.I[L.I_COMEBACK, :300] < 0).all()


def test_moderation_warns_ordinary_members_who_posted_toxic_content() -> None:
    n = 200
    sim = quiet_sim(graph(n), MODERATE, days=2, members__post_rate=1.0, trolls__base_rate=0.3, trolls__warning=0.5,
                    levers__detection=1.0, levers__moderation_rate=1000.0)  # fmt: skip
    st = sim.state
    st.F[L.F_TEMPER, :n] = sim.scenario["members.temper_mean"]
    sim.advance(1)
    toxic0 = (st.U[L.U_ACT + 0, :n] & (L.A_TOXIC | L.A_HIDDEN)) != 0  # (some removed the same day)
    temper0 = st.F[L.F_TEMPER, :n].copy()
    sim.advance(1)
    assert toxic0.sum() > 20
    assert np.allclose(st.F[L.F_TEMPER, :n][toxic0], 0.5 * temper0[toxic0])
    assert np.allclose(st.F[L.F_TEMPER, :n][~toxic0], temper0[~toxic0])
    assert (st.B[L.B_STATUS, :n] == L.ACTIVE).all()  # warned, not removed
    assert col(sim, "removals").sum() == 0


def test_ban_wave_removes_every_troll_and_spammer_even_without_moderation_hours() -> None:
    n = 60
    sim = quiet_sim(graph(n), days=6, trolls__post_rate=0.0, levers__detection=1.0, trolls__comeback=0.0,
                    interventions=[Intervention(3, "ban_wave")])  # fmt: skip
    set_role(sim, range(8), L.TROLL)
    set_role(sim, range(8, 12), L.SPAMMER)
    sim.advance(6)
    assert col(sim, "removals").tolist() == [0, 0, 0, 12, 0, 0]
    assert (sim.state.B[L.B_STATUS, :12] == L.REMOVED).all()
    assert (sim.state.B[L.B_STATUS, 12:n] == L.ACTIVE).all()
    assert col(sim, "members").tolist() == [60, 60, 60, 48, 48, 48]
    assert any(e["label"] == "ban wave" and e["day"] == 3 for e in sim.result().events)


def test_toxic_posts_drive_away_the_people_who_see_them() -> None:
    # 200 members beside a troll and 200 alone; unhappy members leave sooner
    pairs = 200
    n = 3 * pairs
    G = graph(n, [(2 * k, 2 * k + 1) for k in range(pairs)])
    sim = quiet_sim(
        G, days=30, trolls__post_rate=1.0, dynamics__toxic_harm=0.05, dynamics__churn_unhappy=0.05
    )
    set_role(sim, range(0, 2 * pairs, 2), L.TROLL)
    sim.advance(30)
    st = sim.state
    left_exposed = (st.B[L.B_STATUS, 1 : 2 * pairs : 2] == L.LEFT).mean()
    left_alone = (st.B[L.B_STATUS, 2 * pairs : n] == L.LEFT).mean()
    # alone: 1 - (1 - 0.05 * 0.35^2)^30 = 0.17; exposed members' satisfaction falls to 0
    assert left_alone == pytest.approx(0.17, abs=0.06)
    assert left_exposed > left_alone + 0.25


def test_moderation_hours_remove_a_share_of_offending_posts_before_anyone_reads_them() -> None:
    # p_quick = p_detect * (1 - exp(-hours / quick_review_scale)): 1 * (1 - exp(-1)) = 0.632
    n = 400
    sim = quiet_sim(graph(n), {"moderation": 20.0}, days=2, trolls__post_rate=1.0, trolls__comeback=0.0,
                    levers__detection=1.0, levers__moderation_rate=1000.0, levers__quick_review_scale=20.0)  # fmt: skip
    set_role(sim, range(n), L.TROLL)
    sim.advance(1)
    shown = sim.state.U[L.U_ACT + 0, :n]
    hidden = (shown & L.A_HIDDEN) != 0
    assert ((shown & L.A_TOXIC) != 0).sum() + hidden.sum() == n  # every troll posted, once
    assert col(sim, "toxic_posts")[0] == n  # a post removed at once still counts as written
    assert hidden.mean() == pytest.approx(1.0 - math.exp(-1.0), abs=4 * math.sqrt(0.632 * 0.368 / n))
    sim.advance(1)  # the next day's review removes every troll, the hidden ones with certainty
    assert (sim.state.B[L.B_STATUS, :n] == L.REMOVED).all()


def test_a_post_removed_the_day_it_was_posted_harms_no_reader() -> None:
    def reader(moderation: float) -> tuple[float, float, int]:
        sim = quiet_sim(graph(2, [(0, 1)]), {"moderation": moderation}, days=2, trolls__post_rate=1.0,
                        levers__detection=1.0, levers__moderation_rate=1000.0, levers__quick_review_scale=0.1,
                        dynamics__toxic_harm=0.3)  # fmt: skip
        set_role(sim, [0], L.TROLL)
        sim.state.F[L.F_ACTIVITY, 1] = 1e6  # member 1 visits (almost) every day
        sim.advance(2)
        st = sim.state
        return float(st.F[L.F_SAT, 1]), float(st.F[L.F_EXPOSURE, 1]), int(st.I[L.I_LAST_VISIT, 1])

    # 30 h at scale 0.1: removed at once with chance 1 - exp(-300), i.e. 1; no hours: read by all
    (sat_hidden, exp_hidden, v1), (sat_shown, exp_shown, v2) = reader(30.0), reader(0.0)
    assert v1 == v2 == 1  # the reader visited on day 1 in both runs (the same draws)
    assert exp_hidden == 0.0 < exp_shown
    assert sat_hidden > sat_shown + 0.25  # spared at least one toxic post's harm (0.3)
