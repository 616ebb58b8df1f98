"""Phase 1's first pass (compiled): the quiet days, finished a batch ahead of the main pass.

Most members on most days neither visit nor are reviewed: their day is a drift of satisfaction
and engagement, a decay of exposure and two draws (leaving, lapsing); a lapsed member's day is a
draw to leave and one to come back, from its count of contacts who posted yesterday
(``comebacks.count_posters``). :func:`sort_batch` finishes those days and lists the other members
for :func:`act.act_chunk`'s main pass, prefetching the contact rows the listed members will read.
See ``docs/model.md``, "Phase 1: members act".
"""

from __future__ import annotations

import math

import numpy as np
from numba.cpython.unsafe.numbers import trailing_zeros

from cmsim._kernels import layout as L
from cmsim._kernels import njit
from cmsim._kernels import tally as T
from cmsim._kernels.comebacks import FULL
from cmsim._kernels.prefetch import prefetch
from cmsim._kernels.rng import uniform

#: Members sorted (quiet days finished, the rest listed and their rows prefetched) a batch ahead.
BATCH = 256
# Codes of the members :func:`sort_batch` lists for the main pass:
OTHER = 0  # a troll or spammer, or an ordinary member whose post moderation reviews today
VISITS = 1  # an ordinary member who visits today
LAPSED_READS = 2  # a lapsed member who reads its contacts (its count saturated: comebacks.FULL)


@njit(cache=True)
def member_shock(k_shock, i, shock):
    """How much satisfaction member ``i`` loses to a product crisis whose mean shock today is
    ``shock``: ``shock * CRISIS_SPREAD * u**2``, ``u`` its own draw (stream ``S_SHOCK``), so a
    few members are hit hard and most lightly. Mesa: ``Member.live_the_day``."""
    if shock == 0.0:
        return 0.0
    u = uniform(k_shock, i)
    return shock * (T.CRISIS_SPREAD * u * u)


@njit(cache=True)
def drift(s, g, base, P, Z, k_shock, i):
    """Member ``i``'s satisfaction and engagement after a day's drift: satisfaction towards its
    baseline (less its crisis shock, :func:`member_shock`), engagement towards 1."""
    shock = member_shock(k_shock, i, Z[T.Z_SHOCK])
    return drift_sat(s, base, P[L.P_REVERSION], shock), drift_eng(g, P[L.P_ENGAGEMENT_DRIFT])


@njit(cache=True)
def drift_sat(s, base, reversion, shock):
    """Satisfaction ``s`` after a day's drift (:func:`drift`, from scalars)."""
    return s + reversion * (base - s) - shock


@njit(cache=True)
def drift_eng(g, engagement_drift):
    """Engagement ``g`` after a day's drift (:func:`drift`, from scalars)."""
    return g + engagement_drift * (1.0 - g)


@njit(cache=True)
def fade(exposure):
    """A member's exposure after a day's fading (a visit adds what it sees after this)."""
    x = (1.0 - T.NORM_SMOOTHING) * exposure
    return x if x >= T.EXPOSURE_FLOOR else 0.0


@njit(cache=True)
def visits(k_visit, i, activity, s, g, P, Z):
    """Whether ordinary member ``i`` visits today (after :func:`drift`). Mesa:
    ``Member.decides_to_visit`` (``Member.visit_chance``)."""
    pv = P[L.P_VISIT_RATE] * activity * g * (0.5 + max(s, 0.0)) * Z[T.Z_VISIT_MULT]
    return uniform(k_visit, i) < min(pv, T.MAX_VISIT)


@njit("float64(float64, int64)", cache=True)
def comeback_chance(reengagement, n):
    """The chance a lapsed member comes back when ``n`` of its contacts posted yesterday. Mesa:
    ``Member.stay_away_or_come_back`` (the power multiplied out as here: ``draws.int_power``)."""
    return 1.0 - (1.0 - reengagement) ** n


@njit(cache=True)
def leaves(k_churn, i, s, churn_base, churn_unhappy, churn_mult):
    """Whether active member ``i``, at satisfaction ``s`` at the end of its day, leaves for good
    (unhappy members leave sooner).

    (Helpers called for every member take scalars only: one that took the arrays it writes and
    stored into them left numba's reference counting in the loop, and phase 1 15% slower.)"""
    unhappy = (1.0 - s) * (1.0 - s)
    return uniform(k_churn, i) < (churn_base + churn_unhappy * unhappy) * churn_mult


@njit(cache=True, inline="always")
def sort_scan(c0, c1, d, k_visit, k_churn, k_shock, base, churn_base, churn_unhappy, churn_mult, lapse_days, P, Z, b_status,
              b_role, f_sat, f_eng, f_activity, i_last_visit, u_act_prev, u_rep_prev):  # fmt: skip
    """What :func:`sort_batch` does with members ``c0..c1-1`` (at most 64), as masks (bit
    ``i - c0``): ``(listed, visits, quiet, leaves, lapses, satisfied, left)``.

    *listed*: an active member whose day needs the main pass (a visitor, a troll or spammer, a
    member whose post or account is under review) or any lapsed member; *visits*: ordinary members who visit;
    *quiet*: ordinary active members whose day is finished here, of whom *leaves* leave and
    *lapses* lapse; *satisfied* and *left* count the quiet members who stay satisfied, and leave.

    Loads and sums only, without a branch: the compiler vectorises the loop, draws included.
    """
    m_list = np.uint64(0)
    m_visit = np.uint64(0)
    m_quiet = np.uint64(0)
    m_leave = np.uint64(0)
    m_lapse = np.uint64(0)
    satisfied = 0
    left = 0
    for i in range(c0, c1):
        iu = np.uint64(i)
        k = np.uint64(i - c0)
        st = b_status[iu]
        active = st == L.ACTIVE
        ordinary = b_role[iu] < L.TROLL
        s, g = drift(f_sat[iu], f_eng[iu], base, P, Z, k_shock, i)
        visit = active & ordinary & visits(k_visit, i, f_activity[iu], s, g, P, Z)
        calm = ((u_act_prev[iu] & (L.A_TOXIC | L.A_SPAM | L.A_HIDDEN)) == 0) & (u_rep_prev[iu] == 0)
        quiet = active & ordinary & (not visit) & calm
        sc = min(max(s, 0.0), 1.0)
        leave = quiet & leaves(k_churn, i, sc, churn_base, churn_unhappy, churn_mult)
        lapse = quiet & (not leave) & (d - i_last_visit[iu] >= lapse_days)
        m_list |= np.uint64((active & (not quiet)) | (st == L.LAPSED)) << k
        m_visit |= np.uint64(visit) << k
        m_quiet |= np.uint64(quiet) << k
        m_leave |= np.uint64(leave) << k
        m_lapse |= np.uint64(lapse) << k
        left += leave
        satisfied += quiet & (not leave) & (not lapse) & (sc >= base)
    return m_list, m_visit, m_quiet, m_leave, m_lapse, satisfied, left


@njit(cache=True)
def sort_batch(b0, b1, off, todo, codes, d, P, Z, keys, indptr, indices, deg, b_status, b_role, f_sat, f_eng,
               f_activity, f_exposure, i_last_visit, i_posts, i_toxic, u_act_prev, u_act_cur, u_rep_prev,
               u_posters):  # fmt: skip
    """A first pass over members ``b0..b1-1``, a batch ahead of :func:`act_chunk`'s main pass.

    It finishes the day of every member whose day needs no look at anyone else: an ordinary
    member who does not visit and has no post under review (most members on most days), a lapsed
    member (from ``u_posters``, its count of contacts who posted yesterday, which it clears), a
    member who left or was removed. It lists the others in ``todo[off:off + n]`` with their codes
    in ``codes`` (``VISITS``, ``LAPSED_READS`` or ``OTHER``), and prefetches the contact rows of
    those who will read them, and the post counts of the others (mostly trolls and spammers, who
    post every day). The draws are the main pass's own (``keys``: visit, re-engagement, churn,
    lapsed leaving), so the result is the same as one pass over every member.

    Visitors are a scattered tenth of the members, so each of their rows is a cache miss; listed
    a batch ahead, those misses overlap the previous batch's work instead of stalling it; and the
    quiet days, finished here, are not visited twice.

    Returns ``(n, satisfied, left, back)``: members listed; members who stay active and satisfied
    (the count behind ``community.early_joins``: phase 2 only raises satisfaction); members who
    left; lapsed members who came back.
    """
    k_visit, k_reengage, k_churn, k_lapsed, k_shock = keys
    base = P[L.P_SAT_BASELINE]
    churn_base = P[L.P_CHURN_BASE]
    churn_unhappy = P[L.P_CHURN_UNHAPPY]
    churn_mult = Z[T.Z_CHURN_MULT]
    lapse_days = math.ceil(P[L.P_LAPSE_DAYS])  # (whole days: k >= x exactly when k >= ceil(x))
    p_lapsed_leave = P[L.P_LAPSED_LEAVE] * churn_mult
    reversion = P[L.P_REVERSION]
    shock = Z[T.Z_SHOCK]
    engagement_drift = P[L.P_ENGAGEMENT_DRIFT]
    reengagement = P[L.P_REENGAGEMENT]
    one = np.uint64(1)
    n = 0
    satisfied = 0
    left = 0
    back = 0
    for c0 in range(b0, b1, 64):
        c1 = min(c0 + 64, b1)
        m_list, m_visit, m_quiet, m_leave, m_lapse, x, y = sort_scan(
            c0, c1, d, k_visit, k_churn, k_shock, base, churn_base, churn_unhappy, churn_mult, lapse_days, P, Z, b_status,
            b_role, f_sat, f_eng, f_activity, i_last_visit, u_act_prev, u_rep_prev)  # fmt: skip
        satisfied += x
        left += y
        # The quiet days (act_chunk's steps 3 and 7 for a member who does not visit), written one
        # array a loop: a loop that reads and writes only one array needs no check that arrays
        # overlap, so the compiler vectorises it.
        for i in range(c0, c1):
            iu = np.uint64(i)
            s = min(max(drift_sat(f_sat[iu], base, reversion, member_shock(k_shock, i, shock)), 0.0), 1.0)
            if (m_quiet >> np.uint64(i - c0)) & one:
                f_sat[iu] = s
        for i in range(c0, c1):
            iu = np.uint64(i)
            g = min(max(drift_eng(f_eng[iu], engagement_drift), 0.05), 3.0)
            if (m_quiet >> np.uint64(i - c0)) & one:
                f_eng[iu] = g
        for i in range(c0, c1):
            iu = np.uint64(i)
            x = fade(f_exposure[iu])
            if (m_quiet >> np.uint64(i - c0)) & one:
                f_exposure[iu] = x
        for i in range(c0, c1):  # today's activity: none yet (the main pass writes its members')
            iu = np.uint64(i)
            st = b_status[iu]
            if (st != L.EMPTY) & ((st != L.ACTIVE) | ((m_quiet >> np.uint64(i - c0)) & one == one)):
                u_act_cur[iu] = 0
        for i in range(c0, c1):
            iu = np.uint64(i)
            k = np.uint64(i - c0)
            if (m_leave >> k) & one:
                b_status[iu] = L.LEFT
            elif (m_lapse >> k) & one:
                b_status[iu] = L.LAPSED
        # The members listed (lowest bit first): active ones go to the main pass; a lapsed member
        # may leave, or come back (act_chunk's lapsed day), from its count of contacts who posted
        # yesterday; it reads its row in the main pass only if the count saturated.
        while m_list != 0:
            k = trailing_zeros(m_list)
            m_list &= m_list - one
            i = c0 + k
            iu = np.uint64(i)
            code = -1  # finished here
            if b_status[iu] == L.ACTIVE:
                code = VISITS if (m_visit >> np.uint64(k)) & one else OTHER
            elif uniform(k_lapsed, i) < p_lapsed_leave:
                b_status[iu] = L.LEFT
                left += 1
            else:
                posted = np.int64(u_posters[iu])
                if posted == FULL:
                    code = LAPSED_READS
                elif posted > 0 and uniform(k_reengage, i) < comeback_chance(reengagement, posted):
                    b_status[iu] = L.ACTIVE
                    i_last_visit[iu] = d
                    f_eng[iu] = 1.0
                    back += 1
            if code >= 0:
                todo[off + n] = i
                codes[off + n] = code
                n += 1
                if code != OTHER and deg[iu] > 0:
                    prefetch(indices, indptr[iu])
                    prefetch(indices, indptr[iu] + deg[iu] - 1)
                elif code == OTHER:  # mostly trolls and spammers: their counts of posts
                    prefetch(i_posts, i)
                    prefetch(i_toxic, i)
        for i in range(c0, c1):  # the counts are read: cleared for tomorrow's
            u_posters[np.uint64(i)] = 0
    return n, satisfied, left, back
