"""Phase 3 of the day (compiled, serial): arrivals join the graph, the manager's day, the output row.

See ``docs/model.md``, "Phase 3: the community changes".
"""

from __future__ import annotations

import math

import numpy as np

from cmsim._kernels import layout as L
from cmsim._kernels import njit
from cmsim._kernels import tally as T
from cmsim._kernels.levers import manager_levers
from cmsim._kernels.members import set_member
from cmsim._kernels.prefetch import prefetch
from cmsim._kernels.rng import key, poisson, uniform, uniform2


@njit(cache=True)
def free_slot(u, indptr, indices, deg, status):
    """Where ``u``'s contact row can take a new contact: its next free slot or, when the row is
    full, the slot of one of its first ``T.REUSE_SCAN`` contacts who left or was removed; -1 when
    there is none."""
    e0 = indptr[u]
    n = deg[u]
    if e0 + n < indptr[u + 1]:
        return e0 + n
    for e in range(e0, e0 + min(n, T.REUSE_SCAN)):
        s = status[indices[e]]
        if s == L.LEFT or s == L.REMOVED:
            return e
    return -1


@njit(cache=True)
def link(u, v, indptr, indices, deg, status):
    """Make ``u`` and ``v`` mutual contacts if both rows can take one and they are not already
    contacts (``u``'s row is scanned: it is a newcomer's short row). Returns True on success."""
    e0 = indptr[u]
    for e in range(e0, e0 + deg[u]):
        if indices[e] == v:
            return False
    eu = free_slot(u, indptr, indices, deg, status)
    ev = free_slot(v, indptr, indices, deg, status)
    if eu < 0 or ev < 0:
        return False
    _put(u, eu, v, indptr, indices, deg)
    _put(v, ev, u, indptr, indices, deg)
    return True


@njit(cache=True)
def _put(u, e, v, indptr, indices, deg):
    indices[e] = v
    if e == indptr[u] + deg[u]:
        deg[u] += 1


#: How many newcomers ahead each stage of :func:`_warm` works (see there).
WARM_LEADS = (16, 8, 3, 1)


@njit(cache=True)
def _try(a, attempt):
    """The draw counter of a newcomer's ``attempt``-th try at its ``a``-th link."""
    return 4 * (8 * a + attempt)


@njit(cache=True)
def _found(k_attach, s, a, attempt):
    """The member newcomer ``s`` finds on a try (uniform over the ``s`` earlier slots)."""
    return int(uniform2(k_attach, s, _try(a, attempt)) * s)


@njit(cache=True)
def _friend(k_attach, s, a, attempt, t, indptr, deg):
    """Where in ``t``'s row the contact a friend-of-friend try takes is, or -1 for no such try."""
    if deg[t] > 0 and uniform2(k_attach, s, _try(a, attempt) + 1) < T.FRIEND_OF_FRIEND:
        return indptr[t] + int(uniform2(k_attach, s, _try(a, attempt) + 2) * deg[t])
    return -1


@njit(cache=True)
def _room(u, indptr, deg):
    """Where in ``u``'s row a link will be written: the free end, or (a full row) its start,
    from which a contact who left is looked for."""
    e = indptr[u] + deg[u]
    return e if e < indptr[u + 1] else indptr[u]


@njit(cache=True)
def _warm(stage, s, k_attach, attach, indptr, indices, deg, status):
    """Prefetch what newcomer ``s``'s try at each link will read (changes nothing).

    Linking is a chain of dependent random reads (the member found, its contact row, the contact
    taken, that contact's row), each a cache miss at a million members. While the newcomer
    ``WARM_LEADS[k]`` places ahead is at ``stage`` ``k + 1``, the loads of the stages before are
    already in cache, so every miss overlaps the work on earlier newcomers: stage 1 fetches the
    member found (status, degree, row start), 2 the contact a friend-of-friend link would take
    (or where the member's row takes the link: :func:`_room`), 3 that contact (status, degree,
    row start), 4 where its row takes the link. A first try that finds a member who is not active
    (a quarter of the tries late in a run) is followed by the second.
    """
    for a in range(attach):
        t = _found(k_attach, s, a, np.int64(0))
        if stage == 1:
            # the first try, and the second in case the first finds a member who is not active
            for x in (t, _found(k_attach, s, a, np.int64(1))):
                prefetch(status, x)
                prefetch(deg, x)
                prefetch(indptr, x)
            continue
        attempt = np.int64(0)
        if status[t] != L.ACTIVE:
            attempt = np.int64(1)
            t = _found(k_attach, s, a, np.int64(1))
        e = _friend(k_attach, s, a, attempt, t, indptr, deg)
        if e < 0:
            if stage == 2:
                prefetch(indices, _room(t, indptr, deg))
            continue
        if stage == 2:
            prefetch(indices, e)
            continue
        t2 = indices[e]
        if stage == 3:
            prefetch(status, t2)
            prefetch(deg, t2)
            prefetch(indptr, t2)
        else:
            prefetch(indices, _room(np.int64(t2), indptr, deg))


@njit(cache=True)
def create(d, seed, lo, hi, role, P, F, B, I, U):
    """Fill slots ``lo..hi-1`` with day ``d``'s newcomers of ``role`` (before :func:`arrive` links
    them with ``created=True``; each slot's traits are its own draws, so any thread may)."""
    for s in range(lo, hi):
        set_member(seed, d, s, role, False, d, d, P, F, B, I, U)


@njit(cache=True)
def arrive(d, seed, n_new, role, P, meta, indptr, indices, deg, F, B, I, U, created):
    """Add ``n_new`` accounts of ``role``; each links to ``graph.attach`` active members.

    A link goes to a uniformly found active member or, with chance ``T.FRIEND_OF_FRIEND``, to one
    of that member's contacts (so well-connected members attract more newcomers). Links are
    mutual; a member whose contact row is full takes the newcomer in the place of a contact who
    left, or is passed over (up to 8 tries per link). Returns the number added (fewer only if
    the capacity is full). ``created``: the slots already hold the newcomers (:func:`create`).

    Mesa: ``CommunityModel.arrive``.
    """
    k_attach = key(seed, L.S_ATTACH, d)
    attach = int(P[L.P_ATTACH])
    added = 0
    status = B[L.B_STATUS]
    end = min(meta[0] + n_new, meta[1])
    for _ in range(n_new):
        slot = meta[0]
        if slot >= meta[1]:
            break
        for k in range(len(WARM_LEADS)):
            if slot + WARM_LEADS[k] < end:
                _warm(k + 1, slot + WARM_LEADS[k], k_attach, attach, indptr, indices, deg, status)
        if not created:
            set_member(seed, d, slot, role, False, d, d, P, F, B, I, U)
        meta[0] = slot + 1
        added += 1
        for a in range(attach):
            for attempt in range(8):
                t = _found(k_attach, slot, a, attempt)
                if B[L.B_STATUS, t] != L.ACTIVE:
                    continue
                e = _friend(k_attach, slot, a, attempt, t, indptr, deg)
                if e >= 0:
                    t2 = indices[e]
                    if B[L.B_STATUS, t2] == L.ACTIVE and t2 != slot:
                        t = t2
                if link(slot, t, indptr, indices, deg, B[L.B_STATUS]):
                    break
    return added


@njit("float64(float64, float64, float64, int64)", cache=True)
def growing_arrivals_bound(fixed, per_member, members, days):
    """Accounts that can arrive over ``days`` days at most, when a day's mean arrivals are
    ``lam = fixed + per_member * (members + those arrived before)``: the sum of each day's
    ``lam + 8 sqrt(lam) + 8`` (``cmsim.state.arrivals_bound``)."""
    total = 0.0
    for _ in range(days):
        lam = fixed + per_member * (members + total)
        total += lam + 8.0 * math.sqrt(lam) + 8.0
    return total


@njit(cache=True)
def join_rate(d, P, TL, Z, satisfied):
    """Expected member newcomers on day ``d``: acquisition, plus word of mouth from ``satisfied``
    members (unless membership is given), times reach, season and the timeline's factors.
    Mesa: ``CommunityModel.welcome_arrivals`` calls this compiled function."""
    lam = P[L.P_ACQUISITION] * P[L.P_INITIAL_MEMBERS]
    if P[L.P_MEMBERSHIP_GIVEN] == 0.0:
        lam = (lam + P[L.P_WORD_OF_MOUTH] * satisfied) * Z[T.Z_REACH] * TL[d, L.TL_SEASON]
        lam *= (1.0 + TL[d, L.TL_VIRAL]) / (1.0 + TL[d, L.TL_COMPETITOR])
    return lam


@njit(cache=True)
def early_joins(d, seed, P, TL, Z, sat_floor):
    """How many of day ``d``'s member newcomers are sure to come before phase 2 has counted the
    satisfied members: their number grows with the count, and phase 2 only adds to the
    ``sat_floor`` members satisfied after phase 1. Only for large arrivals (the normal
    approximation of ``rng.poisson``, increasing in the rate), less a margin of 2 for rounding;
    else 0. The parallel runner links them while phase 2 runs: the same newcomers, the same links.
    """
    lam = join_rate(d, P, TL, Z, sat_floor)
    if lam < 64.0:
        return 0
    return max(0, poisson(key(seed, L.S_JOINS, d), 0, lam) - 2)


@njit(cache=True)
def manager_day(d, P, H, present, stress, burned, know, vacant_until, handled, care, learn, u_quit):
    """The manager's day ``d``: overwork and toxicity build stress, rest and self-care relieve it;
    burnout starts above one threshold and ends below another; learning builds know-how; a
    burned-out manager quits when ``u_quit`` (uniform, stream ``S_QUIT``) falls below the quit
    rate, leaving the post empty for ``vacancy_days``; after a vacancy a fresh manager starts.

    One formula for both engines: the Mesa engine calls ``manager_day.py_func``
    (``Manager.end_day``). ``present``, ``burned`` are 0/1; ``handled`` the offending posts
    handled today; ``care`` and ``learn`` the self-care and learning shares of saturation.

    Returns ``(hours, present, stress, burned, burned_today, know, vacant_until, quit)``: the
    hours worked today, the state for tomorrow, whether the day's report shows the manager burned
    out (even on the day of a quit) and 1 on the day of a quit.

    Examples
    --------
    >>> import numpy as np
    >>> from cmsim._kernels import layout as L
    >>> from cmsim.scenario import load_scenario
    >>> P = L.pack_params(load_scenario("forum").values)
    >>> H = np.array([10.0, 10.0, 5.0, 5.0, 0.0, 0.0, 0.0, 0.0])
    >>> hours, present, *_, quit = manager_day.py_func(0, P, H, 1.0, 0.2, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.5)
    >>> float(hours), present, quit  # 30 hours worked, still in post, no quit
    (30.0, 1.0, 0.0)
    >>> out = manager_day.py_func(5, P, H, 1.0, 0.9, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
    >>> out[1], out[4], float(out[6]), out[7]  # burned out and the draw says quit: empty post
    (0.0, 1.0, 48.0, 1.0)
    """
    n_mgr = max(P[L.P_MGR_COUNT], 1.0)
    hours = 0.0
    burned_today = 0.0
    quit = 0.0
    if present > 0.0:
        for lever in range(8):
            hours += H[lever]
        work = (hours - H[7]) / n_mgr  # self-care hours are not work
        load = P[L.P_OVERWORK_STRESS] * max(0.0, work - P[L.P_SUSTAINABLE_HOURS]) / 7.0
        load += P[L.P_TOXICITY_STRESS] * handled / n_mgr
        rec = P[L.P_RECOVERY] + P[L.P_SELF_CARE_RECOVERY] * care * P[L.P_SELF_CARE_SCALE]
        stress = min(max(stress + load - rec * stress, 0.0), 1.0)
        if stress >= P[L.P_BURNOUT_THRESHOLD]:
            burned = 1.0
        elif burned > 0.0 and stress <= P[L.P_RECOVER_THRESHOLD]:
            burned = 0.0
        burned_today = burned
        know = know + P[L.P_LEARNING_RATE] / 7.0 * learn * (1.0 - know)
        if burned > 0.0 and u_quit < P[L.P_QUIT_RATE]:
            # The post stays empty from tomorrow for `vacancy_days` days.
            present = 0.0
            burned = 0.0
            vacant_until = d + 1 + P[L.P_VACANCY_DAYS]
            quit = 1.0
    elif P[L.P_MGR_COUNT] > 0.0 and d + 1 >= vacant_until:
        # A new manager starts tomorrow, fresh but without the predecessor's know-how.
        present = 1.0
        burned = 0.0
        stress = P[L.P_INITIAL_STRESS]
        know = 0.0
    return hours, present, stress, burned, burned_today, know, vacant_until, quit


@njit(cache=True, nogil=True)
def community_changes(d, seed, P, TL, M, H, Z, OUT, hist, tot, meta, indptr, indices, deg, F, B, I, U):
    """Phase 3 (serial): arrivals, the manager's day and the output row ``OUT[d]``."""
    k_joins = key(seed, L.S_JOINS, d)
    members = tot[T.K_ACTIVE] + tot[T.K_LAPSED]
    reach = Z[T.Z_REACH]
    # Mesa: CommunityModel.welcome_arrivals, CommunityModel.arrive.
    # Arrivals: acquisition (hires when membership is given), word of mouth (not then), trolls,
    # spammers, and removed trolls coming back under new accounts.
    n_join = poisson(k_joins, 0, join_rate(d, P, TL, Z, tot[T.K_SATISFIED]))
    per_k = members / 1000.0
    n_troll = poisson(k_joins, 1, P[L.P_TROLL_ARRIVAL] * per_k)
    n_spam = poisson(k_joins, 2, P[L.P_SPAM_ARRIVAL] * per_k)
    n_raid = poisson(k_joins, 3, TL[d, L.TL_RAID] * per_k) if TL[d, L.TL_RAID] > 0.0 else 0
    n_back = int(tot[T.K_COMEBACKS])
    want = n_join + n_troll + n_spam + n_raid + n_back
    early = int(tot[T.K_EARLY_JOINS])  # already joined, during phase 2 (see early_joins)
    joins = early + arrive(
        d, seed, n_join - early, L.MEMBER, P, meta, indptr, indices, deg, F, B, I, U, False
    )
    joins_members = joins
    joins += arrive(d, seed, n_troll + n_back, L.TROLL, P, meta, indptr, indices, deg, F, B, I, U, False)
    joins += arrive(d, seed, n_spam, L.SPAMMER, P, meta, indptr, indices, deg, F, B, I, U, False)
    # Raiders (raid.py): trolls who post into the raided space as well.
    first_raider = meta[0]
    joins += arrive(d, seed, n_raid, L.TROLL, P, meta, indptr, indices, deg, F, B, I, U, False)
    for s in range(first_raider, meta[0]):
        B[L.B_RAIDER, s] = 1
    # Mesa: Manager.see_the_day.
    # Loads seen by tomorrow's manager.
    M[L.M_LOAD_OFFENDING] = tot[T.K_TOXIC] + tot[T.K_SPAM]
    M[L.M_LOAD_OPEN] = tot[T.K_PENDING]
    M[L.M_LOAD_NEWCOMERS] = tot[T.K_LOAD_NEW]
    M[L.M_LOAD_AT_RISK] = tot[T.K_AT_RISK]
    M[L.M_LOAD_EXPERTISE] = tot[T.K_EXPERTISE]
    M[L.M_LOAD_QUESTIONS] = tot[T.K_QUESTIONS]
    M[L.M_LOAD_REPORTED] = tot[T.K_REPORTED]
    M[L.M_LOAD_FIRST_POSTS] = tot[T.K_FP_OPEN]
    M[L.M_LOAD_FOLLOW_UPS] = tot[T.K_FOLLOW_DUE]
    # The raid (raid.py): today's readings per raid post of yesterday, and today's raid posts.
    M[L.M_RAID_READS] = tot[T.K_RAID_READS] / M[L.M_RAID_POSTS] if M[L.M_RAID_POSTS] > 0.0 else 0.0
    M[L.M_RAID_POSTS] = tot[T.K_RAID_POSTS]
    M[L.M_LOAD_NEW_POSTS] = tot[T.K_NEW_POSTS]
    M[L.M_MEMBERS] = members + joins
    # Mesa: Manager.end_day (both call manager_day).
    # The manager's day: overwork and toxicity build stress, self-care and rest relieve it.
    _, _, _, _, _, _, _, learn, care, _ = manager_levers(P, M, H)
    present = M[L.M_PRESENT]
    day = manager_day(
        d, P, H, present, M[L.M_STRESS], M[L.M_BURNED_OUT], M[L.M_KNOW_HOW], M[L.M_VACANT_UNTIL],
        tot[T.K_HANDLED], care, learn, uniform(key(seed, L.S_QUIT, d), 0),
    )  # fmt: skip
    hours, M[L.M_PRESENT], M[L.M_STRESS], M[L.M_BURNED_OUT], burned, M[L.M_KNOW_HOW] = day[:6]
    M[L.M_VACANT_UNTIL] = day[6]
    quit = day[7]
    M[L.M_QUITS] += quit
    for b in range(L.MAX_OPEN_DAYS + 1):
        hist[b] += tot[T.K_HIST + b]
    # Mesa: CommunityModel._record.
    # The day's output row.
    o = OUT[d]
    for j in range(len(T.COPY_K)):  # the tallies reported as they are (same name)
        o[T.COPY_O[j]] = tot[T.COPY_K[j]]
    o[L.O_DAY] = d
    o[L.O_MEMBERS] = members + joins
    o[L.O_ACTIVE] = tot[T.K_ACTIVE] + joins
    o[L.O_LAPSED] = tot[T.K_LAPSED]
    o[L.O_DAU] = tot[T.K_VISITS]
    o[L.O_JOINS] = joins
    ordinary = tot[T.K_ORDINARY]
    o[L.O_MEAN_SAT] = tot[T.K_SAT] / T.FIXED_POINT / ordinary if ordinary > 0 else 0.0
    o[L.O_MEAN_ENG] = tot[T.K_ENG] / T.FIXED_POINT / ordinary if ordinary > 0 else 0.0
    o[L.O_REACH] = reach
    o[L.O_MGR_HOURS] = hours
    o[L.O_MGR_STRESS] = M[L.M_STRESS]
    o[L.O_MGR_BURNED] = burned
    o[L.O_MGR_PRESENT] = present
    o[L.O_KNOW_HOW] = M[L.M_KNOW_HOW]
    o[L.O_TRUNCATED] = want - joins
    o[L.O_BAD_ACCOUNTS] = tot[T.K_BAD] + joins - joins_members
