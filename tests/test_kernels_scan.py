"""Phase 2's scan (``resolve.quiet_scan``) finds exactly the members whose day needs the rules,
counts the others, and changes no result."""

from __future__ import annotations

import numpy as np
import pytest

import cmsim
from cmsim._kernels import layout as L
from cmsim._kernels import tally as T
from cmsim._kernels.levers import day_scalars
from cmsim._kernels.resolve import (
    follow_ups_reached,
    outreach_reached,
    quiet_scan,
    resolve_chunk,
    resolve_every_member,
)
from cmsim._kernels.rng import key, uniform
from cmsim._kernels.step import N_K, N_Z, WELCOME_DAYS

D = 40  # the day of the hand-built block
BASE = 0.6
MOOD = 0.3
NEWCOMER_DAYS = 14
RISK_DAYS = 7
CHAMPION_POSTS = 20


def _quiet_block(n: int) -> dict[str, np.ndarray]:
    """``n`` active ordinary members who joined long ago, visited today and have nothing open."""
    return {
        "b_fp": np.full(n, L.FP_REPLIED, np.int8),
        "b_greeted": np.ones(n, np.int8),
        "b_role": np.full(n, L.MEMBER, np.int8),
        "b_status": np.full(n, L.ACTIVE, np.int8),
        "f_eng": np.linspace(0.5, 2.0, n),
        "f_sat": np.linspace(0.35, 0.95, n),
        "i_cday": np.full(n, -1, np.int32),
        "i_comeback": np.full(n, -1, np.int32),
        "i_join": np.full(n, 0, np.int32),
        "i_last_visit": np.full(n, D, np.int32),
        "i_posts": np.full(n, 3, np.int32),
        "i_qday": np.full(n, -1, np.int32),
    }


def _scan(a: dict[str, np.ndarray], b0: int = 0, b1: int | None = None, p_outreach: float = 0.0, k: int = 7,
          p_follow: float = 0.0):  # fmt: skip
    b1 = len(a["b_status"]) if b1 is None else b1
    reached = np.uint64(0)
    if p_outreach > 0.0:  # (as resolve_chunk does: no hours spare, no draw)
        reached = outreach_reached(b0, b1, D, np.uint64(k), p_outreach, MOOD, RISK_DAYS, a["b_role"], a["b_status"],
                                   a["f_sat"], a["i_last_visit"])  # fmt: skip
    followed = np.uint64(0)
    if p_follow > 0.0:
        followed = follow_ups_reached(b0, b1, D, np.uint64(k), p_follow, NEWCOMER_DAYS, a["b_greeted"], a["b_role"],
                                      a["b_status"], a["i_join"])  # fmt: skip
    return quiet_scan(b0, b1, D, reached, BASE, MOOD, NEWCOMER_DAYS, RISK_DAYS, CHAMPION_POSTS, a["b_fp"],
                      a["b_greeted"], a["b_role"], a["b_status"], a["f_eng"], a["f_sat"], a["i_cday"],
                      a["i_comeback"], a["i_join"], a["i_last_visit"], a["i_posts"], a["i_qday"], followed)  # fmt: skip


def _bits(mask) -> list[int]:
    return [k for k in range(64) if (int(mask) >> k) & 1]


def test_a_quiet_block_is_only_counted() -> None:
    a = _quiet_block(64)
    m, wau, mau, lapsed, newc, at_risk, ordinary, sat, eng, satisfied, bad, active, due = _scan(a)
    assert m == 0
    assert (wau, mau, lapsed, newc, ordinary, bad, active) == (64, 64, 0, 0, 64, 0, 64)
    assert sat == sum(int(s * T.FIXED_POINT) for s in a["f_sat"])
    assert eng == sum(int(g * T.FIXED_POINT) for g in a["f_eng"])
    assert satisfied == int((a["f_sat"] >= BASE).sum())
    assert at_risk == int((a["f_sat"] < MOOD).sum())  # all visited today: at risk by mood only


@pytest.mark.parametrize(
    ("field", "value", "busy"),
    [
        ("i_qday", D - 1, True),  # an open question
        ("i_cday", D - 2, True),  # an open complaint
        ("i_comeback", D, True),  # a removed troll comes back today
        ("i_comeback", D + 1, False),
        ("i_join", D - 30, True),  # 30-day retention is checked today
        ("b_fp", L.FP_OPEN, True),  # a first post waits for a reply
        ("i_posts", CHAMPION_POSTS, True),  # promoted to champion today
        ("i_posts", CHAMPION_POSTS - 1, False),
        ("f_eng", 3.5, True),  # engagement outside its bounds is clamped by the rules
        ("f_eng", 0.01, True),
        ("i_join", D - 3, False),  # a newcomer already greeted: counted only
    ],
)
def test_each_reason_to_be_busy_is_found(field: str, value: float, busy: bool) -> None:
    a = _quiet_block(10)
    a[field][4] = value
    assert _bits(_scan(a)[0]) == ([4] if busy else [])


def test_newcomers_due_a_welcome_are_busy_and_other_newcomers_counted() -> None:
    a = _quiet_block(6)
    a["i_join"][:] = D - 3
    a["b_greeted"][1] = 0  # in its first week, not yet greeted: the welcome is drawn by the rules
    a["b_greeted"][2] = 0
    a["i_last_visit"][2] = D - 1  # (visiting or not)
    a["b_greeted"][4] = 0
    a["i_join"][4] = D - WELCOME_DAYS  # not greeted in its first week: no longer due a welcome
    m, *_rest = _scan(a)
    assert _bits(m) == [1, 2]
    assert _rest[3] == 4  # newcomers counted by the scan (not the busy ones)
    a["b_role"][3] = L.TROLL  # a troll is never a newcomer; counted as a bad account
    m, wau, mau, lapsed, newc, at_risk, ordinary, sat, eng, satisfied, bad, active, due = _scan(a)
    assert (newc, ordinary, bad, active, wau) == (3, 3, 1, 4, 3)


def test_newcomers_due_a_follow_up_are_counted_and_busy_only_when_a_follow_up_reaches_them() -> None:
    a = _quiet_block(6)
    a["i_join"][:] = D - WELCOME_DAYS - 1  # past their first week
    a["b_greeted"][1] = L.GREETED_FOLLOWED  # followed up already
    a["b_greeted"][2] = L.GREETED_WELCOMED | L.GREETED_FOLLOWED
    a["b_greeted"][3] = 0  # never greeted: due a follow-up all the same
    a["i_join"][4] = D - WELCOME_DAYS  # still in its first week
    a["i_join"][5] = D - NEWCOMER_DAYS  # no longer a newcomer
    m, *_rest, due = _scan(a)
    assert _bits(m) == []
    assert due == 2  # members 0 and 3, counted by the scan (no hours spare today)
    m, *_rest, due = _scan(a, p_follow=1.0)
    assert _bits(m) == [0, 3]  # every one due is reached: the rules follow up
    assert due == 0  # (the busy members are counted there)
    # with a chance of one half, those whose draw is below it (the draws the rules take)
    reached = [i for i in (0, 3) if uniform(np.uint64(7), i) < 0.5]
    m, *_rest, due = _scan(a, p_follow=0.5)
    assert _bits(m) == reached
    assert due == 2 - len(reached)


def test_follow_ups_reach_active_ordinary_newcomers_past_their_first_week_whose_draw_is_low() -> None:
    a = _quiet_block(64)
    a["i_join"][:] = D - WELCOME_DAYS - 1
    a["i_join"][10:20] = D - WELCOME_DAYS  # first week
    a["i_join"][20:25] = D - NEWCOMER_DAYS  # no longer newcomers
    a["b_greeted"][25:30] = L.GREETED_FOLLOWED
    a["b_role"][30] = L.TROLL
    a["b_status"][31] = L.LAPSED
    due = [i for i in range(64) if not 10 <= i < 32]
    m = follow_ups_reached(0, 64, D, np.uint64(9), 1.0, NEWCOMER_DAYS, a["b_greeted"], a["b_role"],
                           a["b_status"], a["i_join"])  # fmt: skip
    assert _bits(m) == due
    m = follow_ups_reached(0, 64, D, np.uint64(9), 0.3, NEWCOMER_DAYS, a["b_greeted"], a["b_role"],
                           a["b_status"], a["i_join"])  # fmt: skip
    assert _bits(m) == [i for i in due if uniform(np.uint64(9), i) < 0.3]
    assert 0 < len(_bits(m)) < len(due)


def test_members_who_are_not_active() -> None:
    a = _quiet_block(8)
    a["b_status"][:] = [L.EMPTY, L.LAPSED, L.LEFT, L.REMOVED, L.LAPSED, L.LAPSED, L.ACTIVE, L.ACTIVE]
    a["i_last_visit"][1] = D - 10  # lapsed: counted in the monthly actives only
    a["i_qday"][4] = D - 1  # a lapsed member's open question expires under the rules
    a["b_fp"][5] = L.FP_OPEN  # an inactive member's open first post waits: not busy
    a["i_comeback"][0] = D  # an empty slot is never busy
    m, wau, mau, lapsed, newc, at_risk, ordinary, sat, eng, satisfied, bad, active, due = _scan(a)
    assert _bits(m) == [4]
    assert (lapsed, active, ordinary) == (2, 2, 2)
    assert (wau, mau) == (5, 6)  # members 2, 3, 5, 6, 7 (+1 in the month); not the empty slot


def test_outreach_reaches_active_ordinary_members_at_risk_whose_draw_is_low() -> None:
    a = _quiet_block(64)
    a["f_sat"][:] = 0.9  # nobody unhappy...
    a["i_last_visit"][:8] = D - RISK_DAYS  # ...but 0-7 have been away half the lapse time
    a["i_last_visit"][8:16] = D - RISK_DAYS + 1  # 8-15 not quite
    a["f_sat"][16:24] = MOOD - 0.01  # 16-23 unhappy
    a["b_role"][20] = L.TROLL  # (not an ordinary member)
    a["b_status"][21] = L.LAPSED  # (not active)
    at_risk = [*range(8), *range(16, 20), 22, 23]
    m = outreach_reached(0, 64, D, np.uint64(9), 1.0, MOOD, RISK_DAYS, a["b_role"], a["b_status"], a["f_sat"],
                         a["i_last_visit"])  # fmt: skip
    assert _bits(m) == at_risk  # a draw is below 1
    m = outreach_reached(0, 64, D, np.uint64(9), 0.5, MOOD, RISK_DAYS, a["b_role"], a["b_status"], a["f_sat"],
                         a["i_last_visit"])  # fmt: skip
    half = [i for i in at_risk if uniform(np.uint64(9), i) < 0.5]
    assert 0 < len(half) < len(at_risk) and _bits(m) == half


def test_outreach_is_drawn_only_when_hours_are_spare() -> None:
    a = _quiet_block(64)
    a["f_sat"][:] = 0.1  # everyone at risk
    k = 12345
    p = 0.3
    reached = [i for i in range(64) if uniform(np.uint64(k), i) < p]
    assert 5 < len(reached) < 40
    assert _bits(_scan(a, p_outreach=p, k=k)[0]) == reached
    assert _scan(a, p_outreach=0.0, k=k)[0] == 0
    # a block that starts elsewhere draws for its own members
    big = {f: np.concatenate([v, v]) for f, v in a.items()}
    assert _bits(_scan(big, 64, 128, p_outreach=p, k=k)[0]) == [
        i - 64 for i in range(64, 128) if uniform(np.uint64(k), i) < p
    ]


def test_a_short_block_sets_no_bit_past_its_end() -> None:
    a = _quiet_block(64)
    a["i_qday"][:] = D - 1
    assert _bits(_scan(a, 0, 5)[0]) == [0, 1, 2, 3, 4]


@pytest.mark.parametrize("p_outreach", [0.0, 0.4])
def test_scanning_changes_no_result(p_outreach: float) -> None:
    """resolve_chunk (scan, then the busy members) = every member through the rules, on a real
    community's day with open questions, complaints, first posts, newcomers, trolls and lapsed
    members, over chunks that are not whole blocks."""
    sim = cmsim.Simulation(
        "social_media",
        "balanced",
        seed=5,
        members=3000,
        days=60,
        overrides={
            "dynamics.lapse_days": 8,
            "trolls.initial_share": 0.02,
            "dynamics.front_page": 0.0,
            "members.question_share": 0.3,
        },
    )  # no front page: questions stay open (and more of them)
    sim.advance(35)
    st, d = sim.state, sim.day
    n = st.n_used
    Z = np.zeros(N_Z)
    day_scalars(d, st.P, st.TL, st.M, sim.plan.hours, Z)
    Z[T.Z_P_OUTREACH] = p_outreach
    status = st.B[L.B_STATUS, :n]
    assert (status == L.LAPSED).sum() > 50 and (st.I[L.I_QDAY, :n] >= 0).sum() > 5
    out = []
    for fn in (resolve_every_member, resolve_chunk):
        F, B, I, U = st.F.copy(), st.B.copy(), st.I.copy(), st.U.copy()  # noqa: E741
        part = np.zeros((3, N_K))
        for c, (lo, hi) in enumerate(((0, 1000), (1000, 1037), (1037, n))):
            fn(c, lo, hi, d, st.seed, st.P, Z, part, F, B, I, U)
        out.append((F, B, I, U, part))
    for x, y in zip(*out, strict=True):
        assert np.array_equal(x, y)
    tot = out[0][4].sum(0)
    assert tot[T.K_PENDING] > 5 and tot[T.K_NEWCOMERS] > 20 and tot[T.K_LAPSED] > 50
    assert (tot[T.K_OUTREACH] > 10) == (p_outreach > 0.0)
    assert key(st.seed, L.S_OUTREACH, d) != 0
