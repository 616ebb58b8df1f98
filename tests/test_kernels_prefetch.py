"""The prefetch hint and the code that uses it change no result."""

from __future__ import annotations

import numpy as np
import pytest
from numba import njit
from numba.core.errors import TypingError

import cmsim
from cmsim._kernels import layout as L
from cmsim._kernels.community import WARM_LEADS, _warm
from cmsim._kernels.prefetch import prefetch
from cmsim._kernels.rng import key


@njit
def _hint_all(a, idx):
    s = 0.0
    for i in idx:
        prefetch(a, i)
        s += a[i]
    return s


@pytest.mark.parametrize("dtype", [np.int8, np.uint8, np.int32, np.int64, np.float64])
def test_prefetch_reads_and_writes_nothing(dtype) -> None:
    a = (np.arange(1000) % 100).astype(dtype)
    before = a.copy()
    idx = np.array([0, 999, 5, 500], np.int64)
    assert _hint_all(a, idx) == float(a[idx].astype(np.float64).sum())
    assert np.array_equal(a, before)


def test_prefetch_takes_a_1d_array_and_an_integer() -> None:
    @njit
    def bad(a):
        prefetch(a, 0.5)

    with pytest.raises(TypingError):
        bad(np.zeros(3))


def test_warming_newcomers_links_changes_no_array() -> None:
    sim = cmsim.Simulation("social_media", "balanced", seed=3, members=3000, days=20)
    sim.advance(10)
    st, g = sim.state, sim.state.graph
    arrays = (g.indptr, g.indices, g.deg, st.B[L.B_STATUS])
    before = [a.copy() for a in arrays]
    k = key(st.seed, L.S_ATTACH, 10)
    for stage in range(1, len(WARM_LEADS) + 1):
        for s in range(st.n_used - 50, st.n_used):
            _warm(stage, s, k, 5, g.indptr, g.indices, g.deg, st.B[L.B_STATUS])
    for a, b in zip(arrays, before, strict=True):
        assert np.array_equal(a, b)


def test_a_newcomers_link_is_written_at_the_free_end_of_a_row_or_the_start_of_a_full_one() -> None:
    from cmsim._kernels.community import _room

    indptr = np.array([0, 4, 6, 9], np.int64)  # rows of room 4, 2 and 3
    deg = np.array([1, 2, 0], np.int32)
    assert [_room(u, indptr, deg) for u in range(3)] == [1, 4, 6]  # row 1 is full: its start


def test_sorting_members_ahead_changes_no_result() -> None:
    """act_chunk sorting each batch ahead (quiet days finished first, the rest listed) = the plain
    pass over every member."""
    from cmsim._kernels import tally as T
    from cmsim._kernels.act import act_chunk
    from cmsim._kernels.comebacks import FULL, count_posters
    from cmsim._kernels.levers import day_scalars
    from cmsim._kernels.quiet import BATCH
    from cmsim._kernels.step import N_K, N_Z

    sim = cmsim.Simulation("social_media", "balanced", seed=7, members=3000, days=40,
                           overrides={"dynamics.lapse_days": 8, "trolls.initial_share": 0.02,
                                      "dynamics.reengagement": 0.3})  # fmt: skip
    sim.advance(20)
    st, g, d = sim.state, sim.state.graph, sim.day
    n = st.n_used
    assert n > 4 * BATCH and (st.B[L.B_STATUS, :n] == L.LAPSED).sum() > 50
    Z = np.zeros(N_Z)
    day_scalars(d, st.P, st.TL, st.M, sim.plan.hours, Z)
    lapsed = np.flatnonzero(st.B[L.B_STATUS, :n] == L.LAPSED)
    full = lapsed[::3]  # a third of the lapsed members, in every batch
    out = []
    for ahead in (False, True):
        F, B, I, U = st.F.copy(), st.B.copy(), st.I.copy(), st.U.copy()  # noqa: E741
        # (sorted ahead, lapsed members read their counts of posting contacts; the plain pass reads rows)
        count_posters(n, g.indptr, g.indices, g.deg, B[L.B_STATUS], U[L.U_ACT + 1 - (d & 1)], U[L.U_POSTERS])
        assert U[L.U_POSTERS, :n].any()
        U[L.U_POSTERS, full] = FULL  # (counts that saturated: these members read their rows)
        part = np.zeros((2, N_K))
        for c, (lo, hi) in enumerate(((0, 1000), (1000, n))):  # two chunks, uneven batches
            act_chunk(c, lo, hi, d, st.seed, st.P, Z, part, g.indptr, g.indices, g.deg, F, B, I, U, ahead)
        out.append((F, B, I, U, part))
    for a, b in zip(*out, strict=True):
        assert np.array_equal(a, b)
    assert out[0][4][:, 0].sum() > 100  # visits happened
    assert out[0][4][:, T.K_REENGAGED].sum() > 5  # lapsed members came back
    assert not out[1][3][L.U_POSTERS].any()  # and the counts are cleared for tomorrow


def test_sort_batch_lists_exactly_the_members_whose_day_needs_the_main_pass() -> None:
    """Visitors, lapsed members whose count of posting contacts saturated, trolls, spammers and
    members under review are listed (with their codes); every other member's day is finished,
    lapsed members' comebacks included (from their counts, which are cleared)."""
    from cmsim._kernels import tally as T
    from cmsim._kernels.comebacks import FULL, count_posters
    from cmsim._kernels.levers import day_scalars
    from cmsim._kernels.quiet import (
        BATCH,
        LAPSED_READS,
        OTHER,
        VISITS,
        comeback_chance,
        drift,
        sort_batch,
        visits,
    )
    from cmsim._kernels.rng import uniform
    from cmsim._kernels.step import N_Z

    sim = cmsim.Simulation("social_media", "balanced", seed=3, members=3000, days=40,
                           overrides={"dynamics.lapse_days": 20, "trolls.initial_share": 0.06,
                                      "trolls.give_up": 0.0, "dynamics.reengagement": 0.5})  # fmt: skip
    sim.advance(20)
    st, g, d = sim.state, sim.state.graph, sim.day
    Z = np.zeros(N_Z)
    day_scalars(d, st.P, st.TL, st.M, sim.plan.hours, Z)
    F, B, I, U = st.F.copy(), st.B.copy(), st.I.copy(), st.U.copy()  # noqa: E741
    keys = tuple(key(st.seed, s, d) for s in (L.S_VISIT, L.S_REENGAGE, L.S_CHURN, L.S_LAPSED, L.S_SHOCK))
    cur, prev = d & 1, 1 - (d & 1)
    todo, codes = np.zeros(2 * BATCH, np.int64), np.zeros(2 * BATCH, np.int8)
    lo = 1000
    count_posters(st.n_used, g.indptr, g.indices, g.deg, B[L.B_STATUS], U[L.U_ACT + prev], U[L.U_POSTERS])
    lapsed = [i for i in range(lo, lo + BATCH) if st.B[L.B_STATUS, i] == L.LAPSED]
    assert len(lapsed) > 50
    U[L.U_POSTERS, lapsed] = [k % 4 for k in range(len(lapsed))]  # (few post in social media: set some)
    U[L.U_POSTERS, lapsed[-1]] = FULL  # (a count that saturated: the member reads its row)
    posted = U[L.U_POSTERS].astype(int)
    n, _, _, back = sort_batch(lo, lo + BATCH, BATCH, todo, codes, d, st.P, Z, keys, g.indptr, g.indices, g.deg,
                               B[L.B_STATUS], B[L.B_ROLE], F[L.F_SAT], F[L.F_ENG], F[L.F_ACTIVITY], F[L.F_EXPOSURE],
                               I[L.I_LAST_VISIT], I[L.I_POSTS], I[L.I_TOXIC], U[L.U_ACT + prev], U[L.U_ACT + cur],
                               U[L.U_REP + prev], U[L.U_POSTERS])  # fmt: skip
    came_back = []
    expected = []
    P, base = st.P, st.P[L.P_SAT_BASELINE]
    for i in range(lo, lo + BATCH):
        status, role = st.B[L.B_STATUS, i], st.B[L.B_ROLE, i]
        if status == L.ACTIVE and role >= L.TROLL:
            expected.append((i, OTHER))
        elif status == L.ACTIVE:
            s, g_ = drift(st.F[L.F_SAT, i], st.F[L.F_ENG, i], base, P, Z, keys[4], i)
            if visits(keys[0], i, st.F[L.F_ACTIVITY, i], s, g_, P, Z):
                expected.append((i, VISITS))
            elif st.U[L.U_ACT + prev, i] & (L.A_TOXIC | L.A_SPAM) or st.U[L.U_REP + prev, i]:
                expected.append((i, OTHER))  # a post or account under review
        elif status == L.LAPSED:
            leaves = uniform(keys[3], i) < P[L.P_LAPSED_LEAVE] * Z[T.Z_CHURN_MULT]
            if not leaves and posted[i] == FULL:
                expected.append((i, LAPSED_READS))
            elif (
                not leaves
                and posted[i] > 0
                and uniform(keys[1], i) < comeback_chance(P[L.P_REENGAGEMENT], posted[i])
            ):
                came_back.append(i)  # its day finished here
    listed = list(zip(todo[BATCH : BATCH + n].tolist(), codes[BATCH : BATCH + n].tolist(), strict=True))
    assert listed == expected
    assert {c for _, c in listed} == {OTHER, VISITS, LAPSED_READS}
    assert back == len(came_back) > 0
    assert (B[L.B_STATUS, came_back] == L.ACTIVE).all() and (I[L.I_LAST_VISIT, came_back] == d).all()
    assert (F[L.F_ENG, came_back] == 1.0).all()
    assert (
        not U[L.U_POSTERS, lo : lo + BATCH].any() and U[L.U_POSTERS, lo + BATCH :].any()
    )  # its counts cleared
    assert n < BATCH // 2  # most days are finished in the sort
    # a member not listed has finished its day: today's activity written, nothing else pending
    quiet = sorted(set(range(lo, lo + BATCH)) - {i for i, _ in listed})
    assert (U[L.U_ACT + cur, quiet] == 0).all()
    active = [i for i in quiet if st.B[L.B_STATUS, i] == L.ACTIVE]
    assert len(active) > 20 and not np.array_equal(F[L.F_SAT, active], st.F[L.F_SAT, active])
