"""Compiled creation of members: traits drawn from named streams keyed by (seed, day, slot).

Initial members use day ``-1``; a member joining on day ``d`` in slot ``i`` draws its traits
with day ``d`` and member ``i``, so both engines and every strategy give the same newcomer the
same traits. Member arrays are packed by dtype (``F``, ``B``, ``I``, ``U``; see ``layout``).
"""

from __future__ import annotations

import math

from numba import njit, prange

from cmsim._kernels import layout as L
from cmsim._kernels.rng import key, normal, uniform


@njit("UniTuple(float64, 3)(int64, int64, int64, float64, float64, float64, boolean)", cache=True)
def draw_traits(seed, day, i, sigma, expert_share, temper_mean, is_hub):
    """Traits of the member in slot ``i`` created on ``day``.

    Returns ``(activity, expertise, temper)``: activity is lognormal with median 1 and log-sd
    ``sigma`` (heavy-tailed: participation inequality emerges from it); expertise is high
    (0.5-1) for experts (hubs of a customer graph, or a share ``expert_share``), low (0-0.1)
    otherwise; temper is exponential with mean ``temper_mean``, capped at 1.
    """
    activity = math.exp(sigma * normal(key(seed, L.S_TRAIT_ACTIVITY, day), i))
    if is_hub or uniform(key(seed, L.S_TRAIT_EXPERT, day), i) < expert_share:
        expertise = 0.5 + 0.5 * uniform(key(seed, L.S_TRAIT_EXPERT2, day), i)
    else:
        expertise = 0.1 * uniform(key(seed, L.S_TRAIT_EXPERT2, day), i)
    t = -temper_mean * math.log(1.0 - uniform(key(seed, L.S_TRAIT_TEMPER, day), i))
    temper = t if t < 1.0 else 1.0
    return activity, expertise, temper


# (declared signatures: one compiled copy each, whatever constants callers pass; see ``rng``)
@njit(
    "void(int64, int64, int64, int64, boolean, int64, int64, float64[::1], float32[:, ::1], int8[:, ::1],"
    " int32[:, ::1], uint8[:, ::1])",
    cache=True,
)
def set_member(seed, day, i, role, is_hub, join_day, last_visit, P, F, B, I, U):
    """Fill slot ``i`` with a fresh active member of ``role``."""
    a, x, t = draw_traits(
        seed, day, i, P[L.P_ACTIVITY_SIGMA], P[L.P_EXPERT_SHARE], P[L.P_TEMPER_MEAN], is_hub
    )
    F[L.F_ACTIVITY, i] = a
    F[L.F_EXPERTISE, i] = x
    F[L.F_TEMPER, i] = t
    F[L.F_SAT, i] = P[L.P_INITIAL_SAT]
    F[L.F_ENG, i] = 1.0
    F[L.F_EXPOSURE, i] = 0.0
    for r in range(L.N_B):
        B[r, i] = 0
    B[L.B_STATUS, i] = L.ACTIVE
    B[L.B_ROLE, i] = role
    for r in range(L.N_I):
        I[r, i] = -1
    I[L.I_POSTS, i] = 0
    I[L.I_TOXIC, i] = 0
    I[L.I_JOIN, i] = join_day
    I[L.I_LAST_VISIT, i] = last_visit
    for r in range(L.N_U):
        U[r, i] = 0


@njit("UniTuple(int64, 3)(uint64, int64, int64, float64, float64, float64)", cache=True)
def initial_history(kr, n, i, troll_share, spam_share, lapse_days):
    """Role, join day and last visit of initial member ``i`` of ``n``, from the key ``kr`` of the
    role stream (``S_TRAIT_ROLE``, day -1): a troll with chance ``troll_share``, else a spammer
    with chance ``spam_share``, else a member; joined up to a year ago; last seen up to half of
    ``lapse_days`` (at least 1) days ago. Both engines call it
    (``CommunityModel._place_initial_members``)."""
    half_lapse = max(1.0, lapse_days / 2.0)
    u = uniform(kr, i)
    if u < troll_share:
        role = L.TROLL
    elif u < troll_share + spam_share:
        role = L.SPAMMER
    else:
        role = L.MEMBER
    join = -1 - int(365.0 * uniform(kr, n + i))
    last = -int(half_lapse * uniform(kr, 2 * n + i))
    return role, join, last


@njit(cache=True)
def init_members(seed, n, n_hubs, P, F, B, I, U, lo=0, hi=-1):
    """Create the ``n`` initial members (slots ``0..n-1``; or only ``lo..hi-1`` of them).

    Initial members have been around for up to a year (``join_day`` in [-365, -1]) and last
    visited within the past ``lapse_days / 2`` days. A share ``trolls.initial_share`` are trolls
    and ``spam.initial_share`` spammers; the first ``n_hubs`` members are experts (customer hubs).

    Mesa: ``CommunityModel._place_initial_members`` (with :func:`initial_history` and
    :func:`draw_traits`).
    """
    kr = key(seed, L.S_TRAIT_ROLE, -1)
    for i in range(lo, n if hi < 0 else hi):
        role, join, last = initial_history(
            kr, n, i, P[L.P_TROLL_INITIAL], P[L.P_SPAM_INITIAL], P[L.P_LAPSE_DAYS]
        )
        set_member(seed, -1, i, role, i < n_hubs, join, last, P, F, B, I, U)


@njit(cache=True, parallel=True)
def init_members_par(seed, n, n_hubs, P, F, B, I, U):
    """:func:`init_members` on every core (each member's traits are its own draws: same result)."""
    nc = max(1, n // 4096)
    for c in prange(nc):
        init_members(seed, n, n_hubs, P, F, B, I, U, n * c // nc, n * (c + 1) // nc)
