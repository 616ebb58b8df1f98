"""Lapse, re-engagement, arrivals, events and interventions; conservation on every scenario."""

from __future__ import annotations

import math

import numpy as np
import pytest
from test_model_support import col, graph, quiet_sim, with_events

import cmsim
from cmsim import Intervention
from cmsim._kernels import layout as L
from cmsim._kernels.rng import key, uniform
from cmsim._kernels.step import CRISIS_SPREAD, EVENT_SAT, WELCOME_DAYS


# --- lapse and re-engagement -------------------------------------------------------------------
def test_member_who_stops_visiting_lapses_after_lapse_days() -> None:
    sim = quiet_sim(graph(10), days=12, dynamics__lapse_days=5)
    st = sim.state
    st.F[L.F_ACTIVITY, 0] = 0.0  # never visits again
    st.I[L.I_LAST_VISIT, 0] = -1
    status = []
    for _ in range(12):
        sim.advance(1)
        status.append(int(st.B[L.B_STATUS, 0]))
    # day d - (-1) >= 5 first holds on day 4
    assert status == [L.ACTIVE] * 4 + [L.LAPSED] * 8
    assert col(sim, "lapsed_members").tolist() == [0] * 4 + [1] * 8
    assert col(sim, "members").tolist() == [10] * 12  # lapsed members still count
    assert (st.B[L.B_STATUS, 1:10] == L.ACTIVE).all()


def test_lapsed_members_leave_with_chance_lapsed_leave() -> None:
    n = 1000
    sim = quiet_sim(graph(n), days=10, dynamics__lapsed_leave=0.05)
    sim.state.B[L.B_STATUS, :n] = L.LAPSED
    sim.advance(10)
    churned = col(sim, "churned")
    assert churned.sum() / n == pytest.approx(1 - 0.95**10, abs=0.05)
    assert col(sim, "members")[-1] == n - churned.sum()


def test_lapsed_members_are_reengaged_by_contacts_who_posted() -> None:
    # lapsed member 3k+2 sees posters 3k and 3k+1; lapsed members 3*pairs.. see nobody
    k = 200
    n = 4 * k
    edges = [(3 * i, 3 * i + 2) for i in range(k)] + [(3 * i + 1, 3 * i + 2) for i in range(k)]
    sim = quiet_sim(graph(n, edges), days=2, members__post_rate=1.0, dynamics__reengagement=0.3)
    st = sim.state
    lapsed = np.r_[np.arange(2, 3 * k, 3), np.arange(3 * k, n)]
    st.B[L.B_STATUS, lapsed] = L.LAPSED
    sim.advance(1)
    posted = (st.U[L.U_ACT + 0, :n] & L.A_POSTED) != 0
    n_active = posted[0 : 3 * k : 3].astype(int) + posted[1 : 3 * k : 3].astype(int)
    expected = (1 - 0.7**n_active).sum()
    sim.advance(1)
    back = col(sim, "reengaged")
    assert back[0] == 0  # nobody posted the day before day 0
    assert back[1] == pytest.approx(expected, abs=4 * math.sqrt(expected * 0.5))
    assert (st.B[L.B_STATUS, 3 * k : n] == L.LAPSED).all()  # nobody to bring them back
    again = st.B[L.B_STATUS, 2 : 3 * k : 3] == L.ACTIVE
    assert again.sum() == back[1]
    assert (st.F[L.F_ENG, 2 : 3 * k : 3][again] == 1.0).all()


# --- arrivals ----------------------------------------------------------------------------------
def _growing(seed: int = 3, acquisition: float = 0.05, **kw):
    return quiet_sim(graph(200, [(i, (i + 1) % 200) for i in range(200)]), seed=seed, days=30,
                     growth__acquisition=acquisition, graph__attach=3, **kw)  # fmt: skip


def test_arrivals_follow_acquisition_and_attach_to_active_members() -> None:
    sim = _growing()
    sim.advance(30)
    st = sim.state
    joins = col(sim, "joins")
    assert joins.mean() == pytest.approx(0.05 * 200, rel=0.2)  # Poisson(acquisition * n0) a day
    n = st.n_used
    assert n == 200 + joins.sum()
    g = st.graph
    for i in range(200, n):
        row = g.indices[g.indptr[i] : g.indptr[i] + g.deg[i]]
        assert row.size >= 1
        assert (row != i).all()
        assert len(set(row.tolist())) == row.size
        assert (st.I[L.I_JOIN, row] <= st.I[L.I_JOIN, i]).sum() >= 1  # linked to someone already there
    new = slice(200, n)
    assert (st.I[L.I_JOIN, new] >= 0).all() and (st.B[L.B_ROLE, new] == L.MEMBER).all()
    assert (st.F[L.F_SAT, new] == 0.65).all()


def test_arrival_links_are_mutual() -> None:
    sim = _growing()
    sim.advance(30)
    g, n = sim.state.graph, sim.state.n_used
    one_way = 0
    for i in range(200, n):
        for j in g.indices[g.indptr[i] : g.indptr[i] + g.deg[i]]:
            one_way += i not in g.indices[g.indptr[j] : g.indptr[j] + g.deg[j]]
    assert one_way == 0


def test_arrivals_make_exactly_attach_links_while_there_is_room() -> None:
    sim = quiet_sim(graph(2000), seed=2, days=3, growth__acquisition=0.005, graph__attach=3)
    sim.advance(3)
    st, g = sim.state, sim.state.graph
    assert st.n_used > 2010
    for i in range(2000, st.n_used):  # its own links come first; later newcomers may add more
        assert g.deg[i] >= 3 and (g.indices[g.indptr[i] : g.indptr[i] + 3] < i).all()
    assert g.deg[: st.n_used].sum() == 2 * 3 * (st.n_used - 2000)  # mutual links, no duplicates


def test_word_of_mouth_from_satisfied_members() -> None:
    base = quiet_sim(graph(500), days=20, growth__word_of_mouth=0.01)
    sad = quiet_sim(graph(500), days=20, growth__word_of_mouth=0.01, members__initial_satisfaction=0.3)
    j_happy, j_sad = col(base.advance(20), "joins"), col(sad.advance(20), "joins")
    assert j_happy.mean() == pytest.approx(0.01 * 500, rel=0.25)  # every member is satisfied
    assert j_sad.sum() == 0  # nobody at or above the baseline: no word of mouth


def test_given_membership_grows_by_acquisition_only() -> None:
    # an internal community: hires join at the acquisition rate whatever reach or word of mouth
    def joins(given: bool, reach: float):
        sim = quiet_sim(graph(200), days=10, growth__acquisition=0.1, growth__word_of_mouth=0.01,
                        community__membership_given=given, platform__reach=reach)  # fmt: skip
        return col(sim.advance(10), "joins")

    assert (joins(True, 1.0) == joins(True, 0.3)).all()
    assert joins(True, 1.0).mean() == pytest.approx(0.1 * 200, rel=0.2)
    assert joins(False, 1.0).sum() > joins(False, 0.3).sum()


def test_viral_spike_multiplies_arrivals() -> None:
    ev = with_events([{"type": "viral_spike", "day": 10, "duration": 10, "magnitude": 4.0}])
    plain = _growing(seed=5, acquisition=0.1)
    viral = _growing(seed=5, acquisition=0.1, **ev)
    a, b = col(plain.advance(30), "joins"), col(viral.advance(30), "joins")
    assert (a[:10] == b[:10]).all()
    assert b[10:20].sum() / a[10:20].sum() == pytest.approx(5.0, rel=0.25)


def test_troll_raid_brings_trolls() -> None:
    ev = with_events([{"type": "troll_raid", "day": 5, "duration": 10, "magnitude": 20.0}])
    sim = quiet_sim(graph(1000), days=20, **ev)
    sim.advance(20)
    joins = col(sim, "joins")
    assert joins[:5].sum() == 0 and joins[15:].sum() == 0
    before = col(sim, "members") - joins  # members when the day's arrivals come
    assert joins[5:15].sum() == pytest.approx((20 * before[5:15] / 1000).sum(), rel=0.2)  # 20 per 1000
    assert (sim.state.B[L.B_ROLE, 1000 : sim.state.n_used] == L.TROLL).all()
    assert col(sim, "active_trolls")[-1] == joins.sum()


def test_competitor_launch_raises_churn() -> None:
    ev = with_events([{"type": "competitor_launch", "day": 0, "duration": 10, "magnitude": 2.0}])
    a = quiet_sim(graph(1000), days=10, dynamics__churn_base=0.01)
    b = quiet_sim(graph(1000), days=10, dynamics__churn_base=0.01, **ev)
    ca, cb = col(a.advance(10), "churned").sum(), col(b.advance(10), "churned").sum()
    assert cb / ca == pytest.approx((1 - 0.97**10) / (1 - 0.99**10), rel=0.2)  # daily chance x3


def test_competitor_launch_divides_arrivals() -> None:
    ev = with_events([{"type": "competitor_launch", "day": 10, "duration": 10, "magnitude": 2.0}])
    a = col(_growing(seed=5, acquisition=0.1).advance(30), "joins")
    b = col(_growing(seed=5, acquisition=0.1, **ev).advance(30), "joins")
    assert (a[:10] == b[:10]).all()
    assert b[10:20].sum() / a[10:20].sum() == pytest.approx(1 / 3, rel=0.25)  # pulled away: / (1 + 2)


def test_join_rate_on_hand_built_days() -> None:
    """Expected newcomers: (acquisition x initial members + word of mouth x satisfied) x reach x
    season x (1 + viral) / (1 + competitor); acquisition only when membership is given."""
    from cmsim._kernels.community import join_rate
    from cmsim._kernels.tally import N_Z, Z_REACH
    from cmsim.scenario import load_scenario

    sc = load_scenario("forum").with_overrides({"growth.acquisition": 0.01, "growth.word_of_mouth": 0.002,
                                                "community.initial_members": 1000})  # fmt: skip
    P = L.pack_params(sc.values)
    TL = np.zeros((2, L.N_TL))
    TL[:, L.TL_SEASON] = (1.0, 0.8)
    TL[1, L.TL_VIRAL], TL[1, L.TL_COMPETITOR] = 1.0, 3.0
    Z = np.zeros(N_Z)
    Z[Z_REACH] = 0.5
    assert join_rate(0, P, TL, Z, 500.0) == pytest.approx((10.0 + 1.0) * 0.5)
    assert join_rate(1, P, TL, Z, 500.0) == pytest.approx((10.0 + 1.0) * 0.5 * 0.8 * 2.0 / 4.0)
    P[L.P_MEMBERSHIP_GIVEN] = 1.0
    assert join_rate(1, P, TL, Z, 500.0) == pytest.approx(10.0)


# --- events that hit everyone ------------------------------------------------------------------
def _shocks(seed: int, day: int, n: int, magnitude: float) -> np.ndarray:
    """Each member's crisis shock, from the hash stream (the known answer of quiet.member_shock)."""
    k = key(seed, L.S_SHOCK, day)
    u = np.array([uniform(k, i) for i in range(n)])
    return magnitude * (CRISIS_SPREAD * u * u)


def test_product_crisis_triples_complaints() -> None:
    n = 1000
    ev = with_events([{"type": "product_crisis", "day": 0, "duration": 3, "magnitude": 0.3}])
    kw = dict(days=1, dynamics__complaint_rate=0.1, dynamics__complaint_threshold=0.4)
    crisis = quiet_sim(graph(n), **kw, **ev)
    crisis.advance(1)
    # the calm run starts where the crisis run's shock left each member
    calm = quiet_sim(graph(n), **kw)
    calm.state.F[L.F_SAT, :n] = crisis.state.F[L.F_SAT, :n]
    calm.advance(1)
    c1, c0 = col(crisis, "complaints")[0], col(calm, "complaints")[0]
    assert c0 > 20
    assert c1 / c0 == pytest.approx(3.0, rel=0.25)
    # common random numbers: every member who complained in the calm run complains in the crisis
    assert ((calm.state.I[L.I_CDAY, :n] == 0) <= (crisis.state.I[L.I_CDAY, :n] == 0)).all()


def test_product_crisis_shock_applies_once_member_by_member() -> None:
    n = 2000
    ev = with_events([{"type": "product_crisis", "day": 2, "duration": 5, "magnitude": 0.3}])
    sim = quiet_sim(graph(n), days=6, seed=5, **ev)
    sat = []
    for _ in range(6):
        sim.advance(1)
        sat.append(sim.state.F[L.F_SAT, :n].astype(float))
    expected = np.clip(0.65 - _shocks(5, 2, n, 0.3), 0.0, 1.0)
    assert np.allclose(sat[1], 0.65)
    assert np.allclose(sat[2], expected, atol=1e-6)  # each member its own shock, on day 2 only
    assert np.allclose(sat[5], sat[2])
    lost = 0.65 - sat[2]
    # the mean hit is the scenario's magnitude (2,000 members: within about 3 standard errors)
    assert _shocks(5, 2, n, 0.3).mean() == pytest.approx(0.3, abs=0.02)
    # uneven: a median member loses 0.75 of the mean, 18% (u > sqrt(2/3)) more than twice it
    assert np.median(lost) == pytest.approx(0.225, abs=0.02)
    assert np.mean(lost > 0.6) == pytest.approx(1.0 - math.sqrt(2.0 / 3.0), abs=0.025)


def test_seasonality_moves_visits() -> None:
    sim = quiet_sim(graph(1000), days=40, members__visit_rate=0.3, platform__seasonality=0.5,
                    platform__season_period=20)  # fmt: skip
    dau = col(sim.advance(40), "dau")
    wave = np.sin(2 * np.pi * np.arange(40) / 20)
    assert np.corrcoef(dau, wave)[0, 1] > 0.9
    assert dau[3:8].sum() / dau[13:18].sum() == pytest.approx(
        3.0, rel=0.2
    )  # (1 + 0.5) / (1 - 0.5) at the peaks


# --- interventions -----------------------------------------------------------------------------
def test_ama_event_boosts_engagement_and_satisfaction_of_attendees() -> None:
    n = 100
    sim = quiet_sim(
        graph(n), days=4, levers__event_boost=0.2, interventions=[Intervention(2, "ama_event", 1.0)]
    )
    st = sim.state
    sim.advance(2)
    assert np.allclose(st.F[L.F_ENG, :n], 1.0)
    sim.advance(1)
    came = st.I[L.I_LAST_VISIT, :n] == 2
    assert came.sum() > 80
    assert np.allclose(st.F[L.F_ENG, :n][came], 1.2) and np.allclose(st.F[L.F_ENG, :n][~came], 1.0)
    assert np.allclose(st.F[L.F_SAT, :n][came], 0.65 + EVENT_SAT * 0.2)
    sim.advance(1)
    assert np.allclose(st.F[L.F_ENG, :n][came], 1.2)  # no event on day 3 (drift is off)


def test_welcome_campaign_greets_every_newcomer_in_its_first_week_that_day() -> None:
    sim = quiet_sim(
        graph(300), days=6, growth__acquisition=0.05, interventions=[Intervention(3, "welcome_campaign")]
    )
    sim.advance(6)
    welcomed = col(sim, "welcomed")
    assert welcomed[[0, 1, 2, 4, 5]].sum() == 0  # no welcoming hours
    assert welcomed[3] > 10
    st = sim.state
    n = st.n_used
    join = st.I[L.I_JOIN, :n]
    # present on day 3 and in their first week, visiting or not (initial members may be newcomers)
    due = (join <= 2) & (3 - join < WELCOME_DAYS) & (st.B[L.B_STATUS, :n] == L.ACTIVE)
    greeted = st.B[L.B_GREETED, :n] == 1
    assert greeted.sum() == welcomed[3]
    assert (greeted == due).all()
    assert greeted[300:].sum() > 5  # members who joined on days 0-2


# --- conservation on every shipped scenario ----------------------------------------------------
@pytest.mark.parametrize("name", cmsim.list_scenarios())
def test_members_are_conserved_every_day(name: str) -> None:
    sim = cmsim.Simulation(name, "balanced", seed=7, members=300, days=100)
    run = sim.run()
    d = run.daily
    m = d["members"].to_numpy()
    flow = (d["joins"] - d["churned"] - d["removals"]).to_numpy()
    assert m[0] == 300 + flow[0]
    assert (m[1:] == m[:-1] + flow[1:]).all()
    assert 300 + flow.sum() == m[-1]
    # the summary counts people, not the troll and spammer accounts still present
    assert run.summary["final_members"] == m[-1] - d["bad_accounts"].iloc[-1]
    st = sim.state
    n = st.n_used
    bad = (st.B[L.B_STATUS, :n] == L.ACTIVE) & (st.B[L.B_ROLE, :n] >= L.TROLL)
    assert d["bad_accounts"].iloc[-1] == int(bad.sum())
    assert (d["members"] == d["active_members"] + d["lapsed_members"]).all()
    st = sim.state
    status = st.B[L.B_STATUS, : st.n_used]
    assert ((status == L.ACTIVE) | (status == L.LAPSED)).sum() == m[-1]
    assert (status == L.REMOVED).sum() == d["removals"].sum()
    assert (status == L.LEFT).sum() == d["churned"].sum()  # people and bad accounts who left
    assert st.n_used == 300 + d["joins"].sum()
    assert (run.members["status"].isin(["active", "lapsed"])).sum() == m[-1]


def test_a_full_contact_list_makes_room_only_in_place_of_a_contact_who_left() -> None:
    from cmsim._kernels.step import free_slot, link

    # three members, rows of two slots: 0 knows 1 and 2 (full); 1 knows 0; 2 knows 0
    indptr = np.array([0, 2, 4, 6, 9], np.int64)
    indices = np.array([1, 2, 0, 0, 0, 0, 0, 0, 0], np.int32)
    deg = np.array([2, 1, 1, 0], np.int32)
    status = np.array([L.ACTIVE, L.ACTIVE, L.ACTIVE, L.ACTIVE], np.int8)
    assert free_slot(0, indptr, indices, deg, status) == -1  # full, everyone still here
    assert not link(3, 0, indptr, indices, deg, status)  # so the newcomer 3 cannot link to 0
    status[2] = L.LEFT
    assert free_slot(0, indptr, indices, deg, status) == 1  # the place of member 2
    assert link(3, 0, indptr, indices, deg, status)
    assert indices[0:2].tolist() == [1, 3] and deg[0] == 2  # 3 took 2's place
    assert indices[6:7].tolist() == [0] and deg[3] == 1  # and the link is mutual
    assert not link(3, 0, indptr, indices, deg, status)  # no repeated link
    status[1] = L.REMOVED
    assert free_slot(0, indptr, indices, deg, status) == 0


def test_the_internal_community_follows_headcount_and_keeps_its_silent_members() -> None:
    # about 10% turnover a year (0.0003 a day) replaced by hires; lapsed staff stay members
    run = cmsim.simulate("internal", "absent", seed=3, days=365)
    d = run.daily
    assert d["members"].iloc[-1] == pytest.approx(2000, rel=0.04)
    left = d["churned"].sum() / 2000
    assert left == pytest.approx(1 - (1 - 0.0003) ** 365, abs=0.03)  # 0.104; binomial sd 0.007
    assert d["lapsed_members"].iloc[-1] > 500  # silent colleagues, still members
