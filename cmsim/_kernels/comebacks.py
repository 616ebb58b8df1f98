"""Phase 1's count of posting contacts (compiled): what may bring a lapsed member back.

A lapsed member comes back with chance ``1 - (1 - reengagement) ** n``, ``n`` the entries of its
contact row whose member posted yesterday (``POSTED`` in their activity of yesterday). Reading
``n`` from the row costs a scattered read per contact, for every lapsed member, every day; yet
few members post on a given day (0.4% at 1M members in ``social_media``). So, before phase 1,
:func:`count_posters` walks the rows of yesterday's posters and adds one to each contact's count
(``U[U_POSTERS]``); a lapsed member then reads its own count (``quiet.sort_batch``), and the
phase clears the counts of its members as it goes. The count is the one the row gives, exactly:

- Links are mutual, one entry each way (``graphs.fill_csr``, ``community.link``), and stay so
  between members who have not left or been removed: a newcomer's link takes a free place in a
  row or the place of a contact who left or was removed (``community.free_slot``), and a member
  who left or was removed never comes back in its slot. So for a poster still here, the
  entries of ``j`` in ``v``'s row are the entries of ``v`` in ``j``'s row.
- A poster who left or was removed since it posted may have lost its place in a contact's row
  to a newcomer: its lapsed contacts are counted from their own rows (:func:`_count_gone`; a
  few members a day).
- A count saturates at ``FULL``: such a member reads its row (``LAPSED_READS``).

``tests/test_kernels_comebacks.py`` checks the counts against the rows on hand-built graphs and
``tests/test_kernels_prefetch.py`` the whole phase against the plain pass that reads every row.
"""

from __future__ import annotations

import numpy as np

from cmsim._kernels import layout as L
from cmsim._kernels import njit
from cmsim._kernels.prefetch import prefetch

#: A count at which a lapsed member reads its row instead (a uint8 count saturates here).
FULL = 255
#: What a member showed yesterday that may bring a lapsed contact back.
POSTED = L.A_POSTED | L.A_FIRST | L.A_QUESTION


@njit(cache=True, nogil=True)
def _add(u_posters, v, k):
    """Add ``k`` to member ``v``'s count, saturating at ``FULL``."""
    c = np.int64(u_posters[v]) + k
    u_posters[v] = c if c < FULL else FULL


@njit(cache=True, nogil=True)
def _count_gone(j, indptr, indices, deg, b_status, u_posters):
    """Count poster ``j``, who has left or was removed, for each of its contacts who is lapsed:
    as many times as ``j`` is in that contact's own row (``j``'s row still lists everyone whose
    row lists ``j``, and maybe some who lost it; each contact once)."""
    e0 = indptr[j]
    for e in range(e0, e0 + deg[j]):
        v = indices[e]
        if b_status[v] != L.LAPSED:
            continue
        seen = False
        for f in range(e0, e):
            seen |= indices[f] == v
        if seen:
            continue
        k = np.int64(0)
        f0 = indptr[v]
        for f in range(f0, f0 + deg[v]):
            k += indices[f] == j
        if k > 0:
            _add(u_posters, v, k)


#: Posters walked together (:func:`_walk`), their memory loads started ahead in stages.
WALK = 512


@njit(cache=True, nogil=True)
def _walk(js, m, indptr, indices, deg, b_status, u_posters):
    """Count posters ``js[:m]`` (:func:`count_posters`). Their rows and their contacts' counts lie
    at random in memory: the loads of all ``m`` are started in stages (where each row is, the
    rows, the counts) before any is used, so the cache misses overlap."""
    for k in range(m):
        j = js[k]
        prefetch(indptr, j)
        prefetch(deg, j)
        prefetch(b_status, j)
    for k in range(m):
        j = js[k]
        prefetch(indices, indptr[j])
    for k in range(m):
        j = js[k]
        e0 = indptr[j]
        for e in range(e0, e0 + deg[j]):
            prefetch(u_posters, indices[e])
    for k in range(m):
        j = js[k]
        st = b_status[j]
        if st == L.LEFT or st == L.REMOVED:
            _count_gone(j, indptr, indices, deg, b_status, u_posters)
            continue
        e0 = indptr[j]
        for e in range(e0, e0 + deg[j]):
            _add(u_posters, indices[e], np.int64(1))


@njit(cache=True, nogil=True)
def count_posters(n, indptr, indices, deg, b_status, u_act_prev, u_posters):
    """Add each poster of yesterday among members ``0..n-1`` (``u_act_prev & POSTED``) to the
    counts ``u_posters`` (uint8[n], zero on entry) of its contacts (see the module doc).

    Members are scanned 64 at a time, each block first for any poster (a loop the compiler
    vectorises); the posters found are walked ``WALK`` at a time (:func:`_walk`).

    Examples
    --------
    >>> import numpy as np
    >>> from cmsim._kernels import layout as L
    >>> indptr = np.array([0, 2, 3, 4]); indices = np.array([1, 2, 0, 0], np.int32)
    >>> deg = np.array([2, 1, 1], np.int32); status = np.full(3, L.LAPSED, np.int8)
    >>> act = np.array([0, L.A_POSTED, L.A_QUESTION], np.uint8); counts = np.zeros(3, np.uint8)
    >>> count_posters(3, indptr, indices, deg, status, act, counts)
    >>> counts.tolist()  # members 1 and 2 posted: both are member 0's contacts
    [2, 0, 0]
    """
    js = np.empty(WALK, np.int64)
    m = np.int64(0)  # (not a literal 0: one compiled copy of _walk)
    for c0 in range(0, n, 64):
        c1 = min(c0 + 64, n)
        seen = np.uint8(0)
        for i in range(c0, c1):
            seen |= u_act_prev[np.uint64(i)]
        if seen & POSTED == 0:
            continue
        for j in range(c0, c1):
            if u_act_prev[j] & POSTED != 0:
                js[m] = j
                m += 1
                if m == WALK:
                    _walk(js, m, indptr, indices, deg, b_status, u_posters)
                    m = np.int64(0)
    _walk(js, m, indptr, indices, deg, b_status, u_posters)
