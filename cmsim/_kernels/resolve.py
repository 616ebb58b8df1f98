"""Phase 2 of the day (compiled): threads resolve; welcoming, outreach, promotion and tallies.

Each member reads the flags its neighbours set in phase 1 and changes only its own state. See
``docs/model.md``, "Phase 2: threads resolve".
"""

from __future__ import annotations

import math

import numpy as np
from numba.cpython.unsafe.numbers import trailing_zeros

from cmsim._kernels import layout as L
from cmsim._kernels import njit
from cmsim._kernels import tally as T
from cmsim._kernels.levers import front_answers
from cmsim._kernels.rng import key, uniform, uniform2

_ALL_BUSY = np.uint64(0xFFFFFFFFFFFFFFFF)


@njit(cache=True)
def outreach_reached(
    b0, b1, d, k_outreach, p_outreach, mood, risk_days, b_role, b_status, f_sat, i_last_visit
):
    """Members ``b0..b1-1`` (at most 64) the day's outreach reaches, as a mask (bit ``i - b0``):
    active ordinary members at risk (unhappy, or away for half the lapse time) whose draw is below
    ``p_outreach`` (only called when hours are spare: a draw is never below 0)."""
    m = np.uint64(0)
    for i in range(b0, b1):
        iu = np.uint64(i)
        at_risk = (f_sat[iu] < mood) | (d - i_last_visit[iu] >= risk_days)
        ok = (b_status[iu] == L.ACTIVE) & (b_role[iu] < L.TROLL) & at_risk
        m |= np.uint64(ok & (uniform(k_outreach, i) < p_outreach)) << np.uint64(i - b0)
    return m


@njit(cache=True)
def follow_ups_reached(b0, b1, d, k_follow, p_follow, newcomer_days, b_greeted, b_role, b_status, i_join):
    """Members ``b0..b1-1`` (at most 64) the day's follow-ups reach, as a mask (bit ``i - b0``):
    active ordinary newcomers past their first week not yet followed up whose draw is below
    ``p_follow`` (only called when hours are spare: a draw is never below 0)."""
    m = np.uint64(0)
    for i in range(b0, b1):
        iu = np.uint64(i)
        join = i_join[iu]
        due = (
            (d - join < newcomer_days)
            & (d - join > T.WELCOME_DAYS)
            & ((b_greeted[iu] & L.GREETED_FOLLOWED) == 0)
        )
        ok = (b_status[iu] == L.ACTIVE) & (b_role[iu] < L.TROLL) & due
        m |= np.uint64(ok & (uniform(k_follow, i) < p_follow)) << np.uint64(i - b0)
    return m


@njit(cache=True, inline="always")
def quiet_scan(b0, b1, d, reached, base, mood, newcomer_days, risk_days, champion_posts, b_fp, b_greeted, b_role,
               b_status, f_eng, f_sat, i_cday, i_comeback, i_join, i_last_visit, i_posts, i_qday,
               followed):  # fmt: skip
    """Phase 2's first pass over members ``b0..b1-1`` (at most 64): the tallies of every member
    whose day here changes nothing, and a mask of the others (bit ``i - b0`` set).

    A member is *busy* when its day needs :func:`resolve_chunk`'s full rules: an open question or
    complaint, a troll coming back today, a newcomer due a welcome or a first post waiting, a
    follow-up that reaches it (its bit set in ``followed``: :func:`follow_ups_reached`), an
    outreach that reaches it (its bit set in ``reached``: :func:`outreach_reached`), a promotion
    to champion, a 30-day retention check, an engagement outside its bounds. Every other member
    (97 in 100 at day 60 of the 1M-member benchmark) only adds to the day's tallies, which this
    pass counts.

    Loads and sums only, without a branch: the compiler vectorises the loop (AVX-512 or AVX2),
    which a loop that also stores cannot be (its arrays might alias). Returns ``(mask, wau, mau,
    lapsed, newcomers, at_risk, ordinary, sat, eng, satisfied, bad, active, follow_ups_due)``, counts of the
    members who are not busy (``sat``, ``eng`` in whole multiples of ``T.FIXED_POINT``).
    """
    m = np.uint64(0)
    n_wau = 0
    n_mau = 0
    n_lapsed = 0
    n_newc = 0
    n_at_risk = 0
    n_ordinary = 0
    sum_sat = 0
    sum_eng = 0
    n_satisfied = 0
    n_bad = 0
    n_active = 0
    n_due = 0
    for i in range(b0, b1):
        iu = np.uint64(i)
        st = b_status[iu]
        role = b_role[iu]
        join = i_join[iu]
        last = i_last_visit[iu]
        s = f_sat[iu]
        g = f_eng[iu]
        active = st == L.ACTIVE
        ordinary = role < L.TROLL
        at_risk = (s < mood) | (d - last >= risk_days)
        newcomer = (d - join < newcomer_days) & ordinary
        due = newcomer & ((b_greeted[iu] & L.GREETED_FOLLOWED) == 0) & (d - join > T.WELCOME_DAYS)
        busy = (
            (i_comeback[iu] == d)
            | (i_qday[iu] >= 0)
            | (i_cday[iu] >= 0)
            | (((join == d - 30) | (join == d - 60) | (join == d - 90)) & (join >= 0) & ordinary)
            | (
                active
                & (
                    (newcomer & (b_greeted[iu] == 0) & (d - join < T.WELCOME_DAYS))
                    | (((followed >> np.uint64(i - b0)) & np.uint64(1)) == np.uint64(1))
                    | (b_fp[iu] == L.FP_OPEN)
                    | (((reached >> np.uint64(i - b0)) & np.uint64(1)) == np.uint64(1))
                    | (ordinary & (role == L.MEMBER) & (i_posts[iu] >= champion_posts))
                    | (ordinary & ((g < 0.05) | (g > 3.0)))
                )
            )
        )
        present = st != L.EMPTY
        q = present & (not busy)
        qa = q & active
        qo = qa & ordinary
        n_wau += q & ordinary & (last >= d - 6)
        n_mau += q & ordinary & (last >= d - 29)
        n_lapsed += q & (st == L.LAPSED)
        n_newc += qa & newcomer
        n_at_risk += qo & at_risk
        n_ordinary += qo
        sum_sat += int(s * T.FIXED_POINT) if qo else 0  # (s, g > 0: int() is the floor)
        sum_eng += int(g * T.FIXED_POINT) if qo else 0
        n_satisfied += qo & (s >= base)
        n_bad += qa & (not ordinary)
        n_active += qa
        n_due += qa & due
        m |= np.uint64(present & busy) << np.uint64(i - b0)
    return (m, n_wau, n_mau, n_lapsed, n_newc, n_at_risk, n_ordinary, sum_sat, sum_eng, n_satisfied, n_bad,
            n_active, n_due)  # fmt: skip


@njit(cache=True, nogil=True)
def resolve_chunk(c, lo, hi, d, seed, P, Z, part, F, B, I, U):
    """Phase 2 for members ``lo..hi-1``: threads resolve, welcoming, outreach and tallies.

    Each block of 64 members is first scanned (:func:`quiet_scan`), which counts the members whose
    day here changes nothing, and only the others go through the rules; at 1M members phase 2
    takes half the time that taking every member through them does (:func:`resolve_every_member`,
    the reference ``tests/test_kernels_scan.py`` compares this with exactly).
    """
    _resolve(c, lo, hi, d, seed, P, Z, part, F, B, I, U, True)


@njit(cache=True)
def resolve_every_member(c, lo, hi, d, seed, P, Z, part, F, B, I, U):
    """:func:`resolve_chunk` without the scan: every member through the rules (the reference)."""
    _resolve(c, lo, hi, d, seed, P, Z, part, F, B, I, U, False)


@njit(cache=True)
def _resolve(c, lo, hi, d, seed, P, Z, part, F, B, I, U, scan):
    cur = d & 1
    pc = part[c]
    b_cans = B[L.B_CANS]
    b_fp = B[L.B_FP]
    b_greeted = B[L.B_GREETED]
    b_qans = B[L.B_QANS]
    b_role = B[L.B_ROLE]
    b_status = B[L.B_STATUS]
    f_eng = F[L.F_ENG]
    f_sat = F[L.F_SAT]
    i_cday = I[L.I_CDAY]
    i_comeback = I[L.I_COMEBACK]
    i_first_post = I[L.I_FIRST_POST]
    i_join = I[L.I_JOIN]
    i_last_visit = I[L.I_LAST_VISIT]
    i_posts = I[L.I_POSTS]
    i_qday = I[L.I_QDAY]
    u_act_cur = U[L.U_ACT + cur]
    u_got_cur = U[L.U_GOT + cur]
    u_rep_cur = U[L.U_REP + cur]
    u_rep_prev = U[L.U_REP + 1 - cur]
    u_fed_prev = U[L.U_FED + 1 - cur]
    k_mgr = key(seed, L.S_MGR_ANSWER, d)
    k_turn = key(seed, L.S_TURNAROUND, d)
    k_welcome = key(seed, L.S_WELCOME, d)
    k_outreach = key(seed, L.S_OUTREACH, d)
    k_follow = key(seed, L.S_FOLLOW_UP, d)
    base = P[L.P_SAT_BASELINE]
    open_days = P[L.P_OPEN_DAYS]
    p_mgr = Z[T.Z_P_MGR]
    p_front = Z[T.Z_P_FRONT]
    lam_front = Z[T.Z_FRONT_LAMBDA]
    mgr_wait = P[L.P_RESPONDING_WAIT]
    p_now = Z[T.Z_P_MGR_NOW]
    p_fp = Z[T.Z_P_FP_REPLY]
    p_follow = Z[T.Z_P_FOLLOW_UP]
    # Whole-day thresholds (for a whole number k and any x, k < x exactly when k < ceil(x)): integer
    # comparisons instead of a conversion to float for every member.
    newcomer_days = math.ceil(P[L.P_NEWCOMER_DAYS])
    risk_days = math.ceil(0.5 * P[L.P_LAPSE_DAYS])
    champion_posts = math.ceil(P[L.P_CHAMPION_POSTS])
    # The busiest tallies live in integer locals (the compiler cannot keep ``pc`` in registers: it
    # may alias the member arrays), counted without branches where the outcome is a coin toss;
    # whole numbers (satisfaction and engagement in whole multiples of 2**-24), so their sums are
    # exact and the same whatever the order members are added in.
    n_wau = 0
    n_mau = 0
    n_lapsed = 0
    n_ordinary = 0
    sum_sat = 0
    sum_eng = 0
    n_satisfied = 0
    n_active = 0
    n_at_risk = 0
    p_outreach = Z[T.Z_P_OUTREACH]
    mood = P[L.P_MOOD_THRESHOLD]
    n_newc = 0
    n_bad = 0
    n_reported = 0
    n_due = 0
    for b0 in range(lo, hi, 64):
        b1 = min(b0 + 64, hi)
        # The tallies of the members whose day here changes nothing, and a mask of the others.
        if scan:
            reached = np.uint64(0)
            followed = np.uint64(0)
            if p_follow > 0.0:
                followed = follow_ups_reached(b0, b1, d, k_follow, p_follow, newcomer_days, b_greeted, b_role,
                                              b_status, i_join)  # fmt: skip
            if p_outreach > 0.0:
                reached = outreach_reached(b0, b1, d, k_outreach, p_outreach, mood, risk_days, b_role, b_status,
                                           f_sat, i_last_visit)  # fmt: skip
            x = quiet_scan(b0, b1, d, reached, base, mood, newcomer_days, risk_days, champion_posts, b_fp, b_greeted,
                           b_role, b_status, f_eng, f_sat, i_cday, i_comeback, i_join, i_last_visit, i_posts,
                           i_qday, followed)  # fmt: skip
        else:
            x = (_ALL_BUSY if b1 - b0 == 64 else (np.uint64(1) << np.uint64(b1 - b0)) - np.uint64(1),
                 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)  # fmt: skip
        m = x[0]
        n_wau += x[1]
        n_mau += x[2]
        n_lapsed += x[3]
        n_newc += x[4]
        n_at_risk += x[5]
        n_ordinary += x[6]
        sum_sat += x[7]
        sum_eng += x[8]
        n_satisfied += x[9]
        n_bad += x[10]
        n_active += x[11]
        n_due += x[12]
        # The busy members, in full (in order: the lowest bit first).
        # Mesa: Member.resolve (comebacks, wau, mau, newcomer retention; then the steps below).
        while m != 0:
            i = b0 + trailing_zeros(m)
            m &= m - np.uint64(1)
            iu = np.uint64(i)
            st = b_status[iu]
            if i_comeback[iu] == d:
                pc[T.K_COMEBACKS] += 1.0
            role = b_role[iu]
            join = i_join[iu]
            last = i_last_visit[iu]
            ordinary = role < L.TROLL
            n_wau += ordinary & (last >= d - 6)
            n_mau += ordinary & (last >= d - 29)
            if join >= 0 and ordinary:
                # Newcomer retention: still active and seen in the last week of the first 30, 60
                # or 90 days.
                kept = st == L.ACTIVE and last >= d - 7
                if join == d - 30:
                    pc[T.K_DUE30] += 1.0
                    pc[T.K_RET30] += kept
                elif join == d - 60:
                    pc[T.K_DUE60] += 1.0
                    pc[T.K_RET60] += kept
                elif join == d - 90:
                    pc[T.K_DUE90] += 1.0
                    pc[T.K_RET90] += kept
            a = u_act_cur[iu]
            g = f_eng[iu]
            # Mesa: Member.resolve_question.
            # Questions: answered by a peer today, or by the manager, or expire.
            qd = i_qday[iu]
            if qd >= 0:
                # Peers first: a contact who answered in phase 1 or, on the day it is asked, readers
                # of the front page (the question's own draws, sub-streams 2 and 3 of the
                # manager's); the manager answers what they leave after `responding_wait` days.
                peer = b_qans[iu] == 1
                if not peer and qd == d and p_front > 0.0 and uniform2(k_mgr, i, 2) < p_front:
                    peer = True
                    n_front = front_answers(lam_front, uniform2(k_mgr, i, 3))
                    pc[T.K_PEER_ANS] += n_front
                    pc[T.K_REPLIES] += n_front
                mine = d - qd >= mgr_wait  # the manager's to answer (its load)
                pc[T.K_PENDING] += mine
                # (before `responding_wait`, capacity the load leaves answers it early: sub-stream 4)
                if peer or (uniform2(k_mgr, i, 0) < p_mgr if mine else uniform2(k_mgr, i, 4) < p_now):
                    pc[T.K_Q_ANS] += 1.0
                    pc[T.K_Q_PEER] += peer
                    wait = d - qd
                    pc[T.K_RESP_SUM] += wait
                    pc[T.K_HIST + min(wait, L.MAX_OPEN_DAYS)] += 1.0
                    if b_fp[iu] == L.FP_OPEN and i_first_post[iu] == qd:
                        u_got_cur[iu] = 1
                    i_qday[iu] = -1
                    b_qans[iu] = 0
                elif d - qd >= open_days or st != L.ACTIVE:
                    pc[T.K_Q_EXP] += 1.0
                    i_qday[iu] = -1
                else:
                    a |= L.A_QUESTION
            # Mesa: Member.resolve_complaint.
            # Complaints: a champion or the manager answers; an empathetic answer turns many around.
            cd = i_cday[iu]
            if cd >= 0:
                pc[T.K_PENDING] += 1.0
                peer = b_cans[iu] == 1
                if peer or uniform2(k_mgr, i, 1) < p_mgr:
                    pc[T.K_C_ANS] += 1.0
                    if not peer:
                        pc[T.K_HANDLED] += 1.0
                    # (a timely answer turns more around: the chance falls with each day waited)
                    if uniform(k_turn, i) < P[L.P_TURNAROUND] * P[L.P_RECOVERY_DECAY] ** (d - cd):
                        f_sat[iu] = max(f_sat[iu], base)
                    i_cday[iu] = -1
                    b_cans[iu] = 0
                elif d - cd >= open_days or st != L.ACTIVE:
                    i_cday[iu] = -1
                else:
                    a |= L.A_COMPLAINT
            if st != L.ACTIVE:
                if st == L.LAPSED:
                    n_lapsed += 1
                continue
            # Mesa: Member.greet_newcomer.
            # Newcomers: the manager's welcome lifts them; a reply to the first post keeps them,
            # silence chills them (each applies once).
            newcomer = d - join < newcomer_days and ordinary
            if newcomer:
                pc[T.K_NEWCOMERS] += 1.0
                if b_greeted[iu] == 0 and d - join < T.WELCOME_DAYS:  # its first week, visiting or not
                    pc[T.K_LOAD_NEW] += 1.0
                    if uniform(k_welcome, i) < Z[T.Z_P_WELCOME]:
                        pc[T.K_WELCOMED] += 1.0
                        b_greeted[iu] = L.GREETED_WELCOMED
                        g *= P[L.P_WELCOME_BOOST]
                elif (b_greeted[iu] & L.GREETED_FOLLOWED) == 0 and d - join > T.WELCOME_DAYS:
                    # Past its first week: spare welcoming hours follow up (a check-in, an
                    # introduction to a regular, an invitation to ask).
                    n_due += 1
                    if p_follow > 0.0 and uniform(k_follow, i) < p_follow:
                        pc[T.K_FOLLOW_UPS] += 1.0
                        b_greeted[iu] |= L.GREETED_FOLLOWED
                        g *= P[L.P_FOLLOW_UP_BOOST]
            if b_fp[iu] == L.FP_OPEN:
                # (the manager's welcoming hours reply to a first post members left: sub-stream 1)
                if u_got_cur[iu] == 1 or (p_fp > 0.0 and uniform2(k_welcome, i, 1) < p_fp):
                    b_fp[iu] = L.FP_REPLIED
                    pc[T.K_FIRST_REPL] += 1.0
                    g *= P[L.P_REPLY_WELCOME]
                elif d - i_first_post[iu] >= open_days:
                    b_fp[iu] = L.FP_UNANSWERED
                    pc[T.K_FIRST_UNANS] += 1.0
                    g *= P[L.P_NO_REPLY_CHILL]
                else:
                    pc[T.K_FP_OPEN] += 1.0
                    a |= L.A_FIRST
            u_act_cur[iu] = a
            s = f_sat[iu]
            if ordinary:
                # Mesa: Member.reach_out_if_at_risk.
                # Outreach: spare welcoming hours reach members at risk; analytics finds them. (At
                # risk is a coin toss, so it is counted without a branch, and no draw is taken when
                # no hours are spare: a draw is never below 0.)
                at_risk = (s < mood) | (d - last >= risk_days)
                n_at_risk += at_risk
                if p_outreach > 0.0 and at_risk and uniform(k_outreach, i) < p_outreach:
                    pc[T.K_OUTREACH] += 1.0
                    if s < base:
                        s += P[L.P_OUTREACH_LIFT] * (base - s)
                    g = max(g, 1.0)
                if role == L.MEMBER and i_posts[iu] >= champion_posts:
                    b_role[iu] = L.CHAMPION
                g = min(max(g, 0.05), 3.0)
                f_sat[iu] = s
                f_eng[iu] = g
                n_ordinary += 1
                sum_sat += int(s * T.FIXED_POINT)  # (s, g > 0: int() is the floor)
                sum_eng += int(g * T.FIXED_POINT)
                n_satisfied += s >= base
            else:
                pc[T.K_BAD] += 1.0
            n_active += 1
        # Every member's replies are read: clear the flags for tomorrow (busy members' too, here
        # rather than in the rules above); yesterday's reports and replies to trolls were read in
        # phase 1: clear them too. Count the active accounts reported today (tomorrow's load).
        for i in range(b0, b1):
            iu = np.uint64(i)
            if b_status[iu] != L.EMPTY:
                u_got_cur[iu] = 0
                u_rep_prev[iu] = 0
                u_fed_prev[iu] = 0
            n_reported += (u_rep_cur[iu] != 0) & (b_status[iu] == L.ACTIVE)
    pc[T.K_NEWCOMERS] += n_newc
    pc[T.K_BAD] += n_bad
    pc[T.K_WAU] += n_wau
    pc[T.K_MAU] += n_mau
    pc[T.K_LAPSED] += n_lapsed
    pc[T.K_ORDINARY] += n_ordinary
    pc[T.K_SAT] += sum_sat
    pc[T.K_ENG] += sum_eng
    pc[T.K_SATISFIED] += n_satisfied
    pc[T.K_ACTIVE] += n_active
    pc[T.K_AT_RISK] += n_at_risk
    pc[T.K_REPORTED] += n_reported
    pc[T.K_FOLLOW_DUE] += n_due
