"""``comebacks.count_posters``: each member's count of contacts who posted yesterday, counted
from the posters' rows, is the count its own row gives (what a lapsed member's comeback reads)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import cmsim
from cmsim._kernels import layout as L
from cmsim._kernels.comebacks import FULL, POSTED, count_posters
from cmsim._kernels.community import link
from cmsim._kernels.graphs import degree_counts, fill_csr


def _from_rows(n: int, links: list[tuple[int, int]], room: int = 0) -> tuple[np.ndarray, ...]:
    """CSR rows of mutual links (as ``graphs.fill_csr`` writes them), ``room`` free slots a row."""
    links = sorted(links)
    src = np.array([a for a, _ in links], np.int64)
    dst = np.array([b for _, b in links], np.int64)
    counts = degree_counts(n, src, dst) if links else np.zeros(n, np.int64)
    indptr = np.zeros(n + 1, np.int64)
    np.cumsum(counts + room, out=indptr[1:])
    indices = np.zeros(int(indptr[-1]), np.int32)
    deg = np.zeros(n, np.int32)
    if links:
        fill_csr(n, src, dst, indptr, indices, deg)
    return indptr, indices, deg


def _read_rows(n, indptr, indices, deg, act) -> list[int]:
    """What each member's own row gives: the entries whose member posted (the plain pass's count)."""
    return [
        sum(bool(act[indices[e]] & POSTED) for e in range(indptr[i], indptr[i] + deg[i])) for i in range(n)
    ]


def test_a_count_is_the_number_of_contacts_who_posted() -> None:
    # 0 - 1, 0 - 2, 1 - 2, 2 - 3: members 1 and 3 posted, 2 showed an open question, 0 only read
    indptr, indices, deg = _from_rows(4, [(0, 1), (0, 2), (1, 2), (2, 3)])
    act = np.array([0, L.A_POSTED, L.A_QUESTION, L.A_FIRST | L.A_TOXIC], np.uint8)
    status = np.full(4, L.LAPSED, np.int8)
    counts = np.zeros(4, np.uint8)
    count_posters(4, indptr, indices, deg, status, act, counts)
    assert counts.tolist() == [2, 1, 2, 1]
    # a toxic post, spam or a complaint brings nobody back
    act[:] = [0, L.A_TOXIC, L.A_SPAM, L.A_COMPLAINT]
    counts[:] = 0
    count_posters(4, indptr, indices, deg, status, act, counts)
    assert counts.tolist() == [0, 0, 0, 0]


@settings(max_examples=200, deadline=None)
@given(
    n=st.integers(1, 150),
    data=st.data(),
)
def test_counts_equal_what_each_row_gives(n: int, data: st.DataObject) -> None:
    pairs = data.draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=4 * n))
    indptr, indices, deg = _from_rows(n, pairs)
    act = np.array(data.draw(st.lists(st.sampled_from([0, L.A_POSTED, L.A_QUESTION, L.A_FIRST, L.A_TOXIC, L.A_SPAM]),
                                      min_size=n, max_size=n)), np.uint8)  # fmt: skip
    status = np.array(
        data.draw(st.lists(st.sampled_from([L.ACTIVE, L.LAPSED]), min_size=n, max_size=n)), np.int8
    )
    counts = np.zeros(n, np.uint8)
    count_posters(n, indptr, indices, deg, status, act, counts)
    assert counts.tolist() == _read_rows(n, indptr, indices, deg, act)


def test_a_poster_who_left_and_lost_its_place_in_a_full_row_is_not_counted_there() -> None:
    # 0's row is full with 1 and 2; 2 posts, then leaves; newcomer 3 takes 2's place in 0's row
    # (community.free_slot), while 2's row still lists 0
    indptr = np.array([0, 2, 4, 6, 9], np.int64)
    indices = np.array([1, 2, 0, 0, 0, 0, 0, 0, 0], np.int32)
    deg = np.array([2, 1, 1, 0], np.int32)
    status = np.array([L.LAPSED, L.LAPSED, L.LEFT, L.ACTIVE], np.int8)
    assert link(3, 0, indptr, indices, deg, status)
    assert indices[0:2].tolist() == [1, 3] and indices[4:5].tolist() == [0]
    act = np.array([0, 0, L.A_POSTED, 0], np.uint8)
    counts = np.zeros(4, np.uint8)
    count_posters(4, indptr, indices, deg, status, act, counts)
    assert counts.tolist() == _read_rows(4, indptr, indices, deg, act) == [0, 0, 0, 0]
    # while a poster who left and kept its place is counted
    status[1], act[1] = L.LEFT, L.A_POSTED
    counts[:] = 0
    count_posters(4, indptr, indices, deg, status, act, counts)
    assert counts.tolist() == _read_rows(4, indptr, indices, deg, act) == [1, 0, 0, 0]


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_counts_stay_exact_as_members_leave_and_newcomers_take_their_places(data: st.DataObject) -> None:
    # a graph grown as runs grow it: newcomers link to active members (community.link), a full row
    # giving a newcomer the place of a contact who left (community.free_slot); members leave at
    # any time, posters among them; then yesterday's posts and who is lapsed are drawn
    n0 = data.draw(st.integers(2, 30))
    n = n0 + data.draw(st.integers(0, 40))
    pairs = data.draw(st.lists(st.tuples(st.integers(0, n0 - 1), st.integers(0, n0 - 1)), max_size=3 * n0))
    indptr, indices, deg = _from_rows(n, pairs, room=data.draw(st.integers(0, 2)))
    status = np.full(n, L.EMPTY, np.int8)
    status[:n0] = L.ACTIVE
    for s in range(n0, n):
        status[s] = L.ACTIVE
        for _ in range(data.draw(st.integers(0, 3))):
            t = data.draw(st.integers(0, s - 1))
            if status[t] == L.ACTIVE:
                link(s, t, indptr, indices, deg, status)
        for x in data.draw(st.lists(st.integers(0, s), max_size=2)):
            if status[x] == L.ACTIVE:
                status[x] = data.draw(st.sampled_from([L.LEFT, L.REMOVED]))
    live = np.flatnonzero(status == L.ACTIVE)
    status[[v for v in live if data.draw(st.booleans())]] = L.LAPSED
    act = np.array(data.draw(st.lists(st.sampled_from([0, L.A_POSTED, L.A_FIRST, L.A_TOXIC]), min_size=n,
                                      max_size=n)), np.uint8)  # fmt: skip
    counts = np.zeros(n, np.uint8)
    count_posters(n, indptr, indices, deg, status, act, counts)
    rows = _read_rows(n, indptr, indices, deg, act)
    lapsed = np.flatnonzero(status == L.LAPSED)
    assert [int(counts[v]) for v in lapsed] == [rows[v] for v in lapsed]


def test_a_count_saturates_at_full() -> None:
    # a hub with 300 contacts who all posted: the count stops at FULL (the member reads its row)
    n = 301
    indptr, indices, deg = _from_rows(n, [(0, j) for j in range(1, n)])
    act = np.full(n, L.A_POSTED, np.uint8)
    status = np.full(n, L.LAPSED, np.int8)
    counts = np.zeros(n, np.uint8)
    count_posters(n, indptr, indices, deg, status, act, counts)
    assert counts[0] == FULL and (counts[1:] == 1).all()


def test_a_run_leaves_no_count_behind_and_lapsed_members_come_back() -> None:
    sim = cmsim.Simulation("forum", "balanced", seed=4, members=3000, days=30)
    sim.advance(30)
    st_ = sim.state
    assert not st_.U[L.U_POSTERS].any()  # phase 1 cleared every count it read
    assert sim.result().daily["reengaged"].sum() > 0
