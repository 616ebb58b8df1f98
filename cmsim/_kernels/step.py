"""The daily step of the community model, compiled with numba.

:func:`run_days_par` (parallel) and :func:`run_days_ser` (one thread) advance a community from
day ``d0`` to ``d1`` (exclusive) under one weekly allocation of manager hours ``H``; both give
identical results. Each day has three phases (``docs/model.md`` states every rule):

1. **members act** (parallel over edge-balanced chunks; first, serially, each member's count
   of contacts who posted yesterday, ``comebacks.count_posters``): moderation of yesterday's offences,
   visits, reading what neighbours showed yesterday, replies and answers, satisfaction and
   engagement, posting, complaining, trolling, churn, lapse and re-engagement. A member writes
   only its own state, plus idempotent "1" flags on the neighbours it replies to or answers.
2. **threads resolve** (parallel): questions, complaints and first posts are answered by peers
   or the manager, expire or stay open; welcoming, outreach, promotion; daily tallies.
3. **the community changes** (serial): arrivals attach to the graph; the manager's stress,
   burnout, quitting and learning; the day's output row.

The phases live in ``act.py`` (1), ``resolve.py`` (2) and ``community.py`` (3); ``levers.py``
computes the day's lever effects and reach; ``tally.py`` names the slots they share.

Arguments (``n`` slots, ``e`` edge slots, ``c`` chunks): ``seed`` int; ``P`` float64[N_PARAMS];
``TL`` float64[days, N_TL]; ``M`` float64[N_M]; ``H`` float64[8]; ``OUT`` float64[days, N_OUT];
``hist`` float64[MAX_OPEN_DAYS + 1] (response-day histogram); ``chunks`` int64[c] chunk starts
(the last chunk runs to the slots used); ``part`` float64[c, N_K] scratch; ``meta`` int64[2] =
(slots used, capacity); ``indptr`` int64[n + 1], ``indices`` int32[e], ``deg`` int32[n];
``F`` float32[N_F, n], ``B`` int8[N_B, n], ``I`` int32[N_I, n], ``U`` uint8[N_U, n].
"""

from __future__ import annotations

import numba
import numpy as np
from numba import prange

from cmsim._kernels import layout as L
from cmsim._kernels import njit
from cmsim._kernels import tally as T
from cmsim._kernels.act import act_chunk
from cmsim._kernels.comebacks import count_posters
from cmsim._kernels.community import arrive, community_changes, create, early_joins, free_slot, link
from cmsim._kernels.levers import day_scalars, manager_levers, saturation
from cmsim._kernels.resolve import resolve_chunk
from cmsim._kernels.tally import (  # re-exported: structural constants and array sizes
    CRISIS_SPREAD,
    EVENT_SAT,
    EXPOSURE_FLOOR,
    FIRST_REPLY_COST,
    FIXED_POINT,
    FRIEND_OF_FRIEND,
    LEARN_SOFTEN,
    LEARN_SPEED,
    MAX_VISIT,
    N_K,
    N_Z,
    NORM_SMOOTHING,
    REUSE_SCAN,
    WELCOME_DAYS,
)

__all__ = [
    "CRISIS_SPREAD",
    "EVENT_SAT",
    "EXPOSURE_FLOOR",
    "FIRST_REPLY_COST",
    "FIXED_POINT",
    "FRIEND_OF_FRIEND",
    "LEARN_SOFTEN",
    "LEARN_SPEED",
    "MAX_VISIT",
    "N_K",
    "N_Z",
    "NORM_SMOOTHING",
    "REUSE_SCAN",
    "WELCOME_DAYS",
    "act_chunk",
    "chunk_starts",
    "community_changes",
    "day_scalars",
    "free_slot",
    "link",
    "manager_levers",
    "resolve_chunk",
    "run_days_loop",
    "run_days_par",
    "run_days_ser",
    "saturation",
]


#: A newcomer's arrival costs about as much as resolving this many members in phase 2, for sharing
#: phase 2 around the early newcomers (measured at 1M members on one thread, with phase 2's scan:
#: 376, 417 and 478 at days 20, 60 and 90 with the newcomers' traits, 246, 273 and 335 for their
#: links alone; whole runs took the same time with 250, 300 and 400, the two threads then sharing
#: the memory bandwidth). At 1M members the newcomers fill one thread.
ARRIVAL_WORK = 400

#: From this many member slots the parallel runner links the member newcomers sure to come
#: (``community.early_joins``) while phase 2 runs. Results are the same either way.
EARLY_JOINS_FROM = 100_000


#: Members per block of :func:`chunk_starts`' first pass.
SPLIT_BLOCK = 256


@njit(cache=True, nogil=True)
def chunk_starts(deg, n, nc, member_work, share):
    """Starts (int64, at most ``nc``, increasing, the first 0) of chunks of members ``0..n-1``
    with equal total weight ``member_work + deg[i] * share`` (the first member at which the
    running total reaches each ``k / nc`` of the whole).

    The weights are summed in whole multiples of 1/1024 (an integer running total: a float one
    is a chain of dependent additions). A first pass sums blocks of ``SPLIT_BLOCK`` members (a
    loop the compiler vectorises); only the blocks in which the running total reaches a share
    are then walked member by member (at 1M members: 1.4 -> 0.2 ms, once a week)."""
    wm = np.int64(round(member_work * 1024.0))
    ws = np.int64(round(share * 1024.0))
    nb = (n + SPLIT_BLOCK - 1) // SPLIT_BLOCK
    block = np.empty(nb, np.int64)
    total = np.int64(0)
    for b in range(nb):
        lo = np.uint64(b * SPLIT_BLOCK)  # (unsigned: no negative-index check, so it vectorises)
        hi = np.uint64(min(n, b * SPLIT_BLOCK + SPLIT_BLOCK))
        contacts = np.int64(0)
        for i in range(lo, hi):
            contacts += deg[i]
        block[b] = wm * np.int64(hi - lo) + ws * contacts
        total += block[b]
    starts = np.zeros(nc, np.int64)
    m = 1  # starts found
    k = 1  # next share of the whole to reach
    acc = np.int64(0)
    for b in range(nb):
        if k >= nc:
            break
        if (acc + block[b]) * nc < k * total:  # the running total only grows: no share reached
            acc += block[b]
            continue
        for i in range(b * SPLIT_BLOCK, min(n, (b + 1) * SPLIT_BLOCK)):
            acc += wm + ws * deg[i]
            if k < nc and acc * nc >= k * total:
                if i > 0:
                    starts[m] = i
                    m += 1
                while k < nc and acc * nc >= k * total:  # a heavy member may reach several at once
                    k += 1
    return starts[:m]


@njit(cache=True)
def _chunk_end(chunks, c, n_used):
    if c + 1 < chunks.shape[0]:
        return chunks[c + 1]
    return n_used


@njit(cache=True)
def _clear(part):
    for c in range(part.shape[0]):
        for k in range(part.shape[1]):
            part[c, k] = 0.0


@njit(cache=True)
def _column_sum(part, k):
    s = 0.0
    for c in range(part.shape[0]):
        s += part[c, k]
    return s


@njit(cache=True)
def _sum_parts(part, tot):
    for k in range(tot.shape[0]):
        s = 0.0
        for c in range(part.shape[0]):
            s += part[c, k]
        tot[k] = s


# The two runners are twins but for ``range``/``prange``: one body compiled with parallel=True
# would launch the thread pool for every small run too (slower below ``PARALLEL_MIN_MEMBERS``),
# and numba's cache cannot hold one function compiled both ways.
@njit(cache=True, nogil=True)
def run_days_ser(d0, d1, seed, P, TL, M, H, OUT, hist, chunks, part, meta, indptr, indices, deg, F, B, I, U):
    """Advance days ``d0..d1-1`` on one thread (for small communities and ensembles).

    Mesa: ``CommunityModel.step`` (one day: the three phases).
    """
    Z = np.zeros(N_Z)
    tot = np.zeros(N_K)
    nc = chunks.shape[0]
    for d in range(d0, d1):
        day_scalars(d, P, TL, M, H, Z)
        n_used = meta[0]
        _clear(part)
        count_posters(n_used, indptr, indices, deg, B[L.B_STATUS], U[L.U_ACT + 1 - (d & 1)], U[L.U_POSTERS])
        for c in range(nc):
            act_chunk(c, chunks[c], _chunk_end(chunks, c, n_used), d, seed, P, Z, part, indptr, indices, deg,
                      F, B, I, U, True)  # fmt: skip
        for c in range(nc):
            resolve_chunk(c, chunks[c], _chunk_end(chunks, c, n_used), d, seed, P, Z, part, F, B, I, U)
        _sum_parts(part, tot)
        community_changes(d, seed, P, TL, M, H, Z, OUT, hist, tot, meta, indptr, indices, deg, F, B, I, U)


def run_days_loop(d0, d1, seed, P, TL, M, H, OUT, hist, chunks, part, meta, indptr, indices, deg, F, B, I, U):
    """:func:`run_days_ser`'s days stepped from Python: the same compiled kernels, called in the
    same order with the same arguments, so the same results (``tests/test_precompile.py``).

    A session's first runs step this way while ``cmsim.precompile``'s helper compiles
    ``run_days_ser``: compiling that loop optimises again, and emits again, every kernel it calls
    (about 2 s of one core), while calling the kernels from Python costs about 0.1 ms a day.
    ``_clear`` and ``_sum_parts`` are numpy here (the same additions in the same order)."""
    Z = np.zeros(N_Z)
    tot = np.zeros(N_K)
    nc = chunks.shape[0]
    # act_chunk's compiled copy for ``ahead=True`` as the runners pass it (a literal; from Python
    # it would be a plain bool, and a second copy of the biggest kernel)
    arrays = tuple(numba.typeof(a) for a in (P, Z, part, indptr, indices, deg, F, B, I, U))
    act = act_chunk.compile((*(numba.int64,) * 5, *arrays, numba.types.literal(True)))  # (c, lo, hi, d, seed)
    for d in range(d0, d1):
        day_scalars(d, P, TL, M, H, Z)
        n_used = meta[0]
        part[:] = 0.0
        count_posters(n_used, indptr, indices, deg, B[L.B_STATUS], U[L.U_ACT + 1 - (d & 1)], U[L.U_POSTERS])
        for c in range(nc):
            hi = _chunk_end.py_func(chunks, c, n_used)
            act(c, chunks[c], hi, d, seed, P, Z, part, indptr, indices, deg, F, B, I, U, True)
        for c in range(nc):
            resolve_chunk(
                c, chunks[c], _chunk_end.py_func(chunks, c, n_used), d, seed, P, Z, part, F, B, I, U
            )
        tot[:] = 0.0
        for c in range(nc):
            tot += part[c]
        community_changes(d, seed, P, TL, M, H, Z, OUT, hist, tot, meta, indptr, indices, deg, F, B, I, U)


@njit(cache=True, parallel=True)
def run_days_par(d0, d1, seed, P, TL, M, H, OUT, hist, chunks, part, meta, indptr, indices, deg, F, B, I, U, nt,
                 early_from):  # fmt: skip
    """Advance days ``d0..d1-1`` with members split over ``nt`` threads (numba's current number);
    identical to the serial run. From ``early_from`` members (``EARLY_JOINS_FROM``) the member
    newcomers sure to come join during phase 2."""
    Z = np.zeros(N_Z)
    tot = np.zeros(N_K)
    added = np.zeros(1, np.int64)
    nc = chunks.shape[0]
    for d in range(d0, d1):
        day_scalars(d, P, TL, M, H, Z)
        n_used = meta[0]
        _clear(part)
        count_posters(n_used, indptr, indices, deg, B[L.B_STATUS], U[L.U_ACT + 1 - (d & 1)], U[L.U_POSTERS])
        for pc in prange(nc):
            c = np.int64(pc)  # (numba types a prange index uint64: one more copy of each kernel)
            act_chunk(c, chunks[c], _chunk_end(chunks, c, n_used), d, seed, P, Z, part, indptr, indices, deg,
                      F, B, I, U, True)  # fmt: skip
        # Phase 2, and beside it the member newcomers sure to come (community.early_joins): they
        # touch only the graph rows and new slots, which phase 2 neither reads nor writes. One task
        # a thread (a static split); the first task links the newcomers and resolves fewer members.
        early = 0
        if n_used >= early_from and nt <= nc:
            early = early_joins(d, seed, P, TL, Z, _column_sum(part, T.K_SAT_FLOOR))
        if early > 0:
            early = min(early, meta[1] - n_used)  # (room is laid out ahead: this never binds)
            # Every thread creates a share of the newcomers (their traits); one links them all.
            for t in prange(nt):
                create(
                    d, seed, n_used + early * t // nt, n_used + early * (t + 1) // nt, L.MEMBER, P, F, B, I, U
                )
            work = n_used + ARRIVAL_WORK * early
            first = min(n_used, max(0, int(work / nt - ARRIVAL_WORK * early))) if nt > 1 else n_used
            for t in prange(nt):
                if t == 0:
                    added[0] = arrive(
                        d, seed, early, L.MEMBER, P, meta, indptr, indices, deg, F, B, I, U, True
                    )
                    resolve_chunk(np.int64(0), np.int64(0), first, d, seed, P, Z, part, F, B, I, U)
                else:
                    lo = first + (n_used - first) * (t - 1) // (nt - 1)
                    hi = first + (n_used - first) * t // (nt - 1)
                    resolve_chunk(np.int64(t), lo, hi, d, seed, P, Z, part, F, B, I, U)
        else:
            added[0] = 0
            for pc in prange(nc):
                c = np.int64(pc)
                resolve_chunk(c, chunks[c], _chunk_end(chunks, c, n_used), d, seed, P, Z, part, F, B, I, U)
        _sum_parts(part, tot)
        tot[T.K_EARLY_JOINS] = added[0]
        community_changes(d, seed, P, TL, M, H, Z, OUT, hist, tot, meta, indptr, indices, deg, F, B, I, U)
