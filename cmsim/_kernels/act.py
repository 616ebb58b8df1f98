"""Phase 1 of the day (compiled): every active or lapsed member acts, in parallel chunks.

A member writes only its own state, plus idempotent "1" flags on the neighbours it replies to or
answers, so the result does not depend on the order members are processed. See
``docs/model.md``, "Phase 1: members act".
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from cmsim._kernels import layout as L
from cmsim._kernels import tally as T
from cmsim._kernels.prefetch import prefetch
from cmsim._kernels.rng import key, uniform, uniform2

#: Members whose visits are decided (and contact rows prefetched) one batch ahead of their day.
BATCH = 256
VISITS = 1  # ``plan`` codes: an ordinary member who visits today
LAPSED_READS = 2  # a lapsed member who reads its contacts (one of them may bring it back)


@njit(cache=True)
def drift(s, g, base, P, Z):
    """A member's satisfaction and engagement after a day's drift: satisfaction towards its
    baseline (less the day's shock), engagement towards 1."""
    return s + P[L.P_REVERSION] * (base - s) - Z[T.Z_SHOCK], g + P[L.P_ENGAGEMENT_DRIFT] * (1.0 - g)


@njit(cache=True)
def visits(k_visit, i, activity, s, g, P, Z):
    """Whether ordinary member ``i`` visits today (after :func:`drift`)."""
    pv = P[L.P_VISIT_RATE] * activity * g * (0.5 + max(s, 0.0)) * Z[T.Z_VISIT_MULT]
    return uniform(k_visit, i) < min(pv, T.MAX_VISIT)


@njit("float64(float64, int64)", cache=True)
def comeback_chance(reengagement, n):
    """The chance a lapsed member comes back when ``n`` of its contacts posted yesterday."""
    return 1.0 - (1.0 - reengagement) ** n


@njit("float64(float64, int64)", cache=True)
def comeback_bound(reengagement, deg):
    """Above :func:`comeback_chance` for any ``n <= deg`` (with a margin for rounding): a lapsed
    member whose draw is above it cannot come back, so its contacts need not be read."""
    return comeback_chance(reengagement, deg) + 1e-9


@njit(cache=True)
def plan_batch(b0, b1, off, plan, P, Z, k_visit, k_reengage, indptr, indices, deg, b_status, b_role, f_sat, f_eng,
               f_activity):  # fmt: skip
    """Which of members ``b0..b1-1`` read their contact rows today: ``plan[off + i - b0]`` is
    ``VISITS`` for an ordinary member who visits (the same draw as step 3 of :func:`act_chunk`),
    ``LAPSED_READS`` for a lapsed member whose re-engagement draw could succeed, else 0; and a
    prefetch of each such row.

    Visitors are a scattered tenth of the members, so each of their rows is a cache miss; planned
    a batch ahead, those misses overlap the previous batch's work instead of stalling it.
    """
    base = P[L.P_SAT_BASELINE]
    for i in range(b0, b1):
        f = 0
        st = b_status[i]
        if st == L.ACTIVE:
            if b_role[i] < L.TROLL:
                s, g = drift(f_sat[i], f_eng[i], base, P, Z)
                if visits(k_visit, i, f_activity[i], s, g, P, Z):
                    f = VISITS
        elif st == L.LAPSED:
            # It comes back if its draw is below comeback_chance(n), n <= deg its contacts who
            # posted: a draw above comeback_bound(deg) needs no look at the row.
            if uniform(k_reengage, i) < comeback_bound(P[L.P_REENGAGEMENT], deg[i]):
                f = LAPSED_READS
        plan[off + i - b0] = f
        if f != 0 and deg[i] > 0:
            prefetch(indices, indptr[i])
            prefetch(indices, indptr[i] + deg[i] - 1)


@njit(cache=True)
def act_chunk(c, lo, hi, d, seed, P, Z, part, indptr, indices, deg, F, B, I, U, ahead):
    """Phase 1 for members ``lo..hi-1``: every active or lapsed member's day (see module doc).

    ``ahead``: plan visits a batch ahead (:func:`plan_batch`); worth it only when the member
    arrays outgrow the caches, as it does some work twice. The result is the same either way.
    """
    cur = d & 1
    prev = 1 - cur
    pc = part[c]
    b_cans = B[L.B_CANS]
    b_fp = B[L.B_FP]
    b_qans = B[L.B_QANS]
    b_role = B[L.B_ROLE]
    b_status = B[L.B_STATUS]
    f_activity = F[L.F_ACTIVITY]
    f_eng = F[L.F_ENG]
    f_expertise = F[L.F_EXPERTISE]
    f_sat = F[L.F_SAT]
    f_temper = F[L.F_TEMPER]
    f_exposure = F[L.F_EXPOSURE]
    i_cday = I[L.I_CDAY]
    i_comeback = I[L.I_COMEBACK]
    i_first_post = I[L.I_FIRST_POST]
    i_join = I[L.I_JOIN]
    i_last_visit = I[L.I_LAST_VISIT]
    i_posts = I[L.I_POSTS]
    i_qday = I[L.I_QDAY]
    i_removed = I[L.I_REMOVED]
    i_second_post = I[L.I_SECOND_POST]
    i_toxic = I[L.I_TOXIC]
    u_act_cur = U[L.U_ACT + cur]
    u_act_prev = U[L.U_ACT + prev]
    u_got_cur = U[L.U_GOT + cur]
    k_detect = key(seed, L.S_DETECT, d)
    k_comeback = key(seed, L.S_COMEBACK, d)
    k_visit = key(seed, L.S_VISIT, d)
    k_reply = key(seed, L.S_REPLY, d)
    k_answer = key(seed, L.S_ANSWER, d)
    k_champ = key(seed, L.S_CHAMP_ANSWER, d)
    k_event = key(seed, L.S_EVENT, d)
    k_post = key(seed, L.S_POST, d)
    k_toxic = key(seed, L.S_TOXIC, d)
    k_kind = key(seed, L.S_KIND, d)
    k_complain = key(seed, L.S_COMPLAIN, d)
    k_convert = key(seed, L.S_CONVERT, d)
    k_churn = key(seed, L.S_CHURN, d)
    k_lapsed = key(seed, L.S_LAPSED, d)
    k_reengage = key(seed, L.S_REENGAGE, d)
    base = P[L.P_SAT_BASELINE]
    temper_mean = max(P[L.P_TEMPER_MEAN], 1e-9)
    churn_mult = Z[T.Z_CHURN_MULT]
    # Busy tallies as integers in locals: whole counts, so their sum is the same in any order.
    n_visits = 0
    n_posts = 0
    n_replies = 0
    n_sat_floor = 0
    # Visits are planned (and contact rows prefetched) a batch ahead, in two alternating halves.
    plan = np.zeros(2 * BATCH, np.uint8)
    for b0 in range(lo, min(lo + 2 * BATCH, hi) if ahead else lo, BATCH):
        plan_batch(b0, min(b0 + BATCH, hi), b0 - lo, plan, P, Z, k_visit, k_reengage, indptr, indices, deg, b_status,
                   b_role, f_sat, f_eng, f_activity)  # fmt: skip
    for i in range(lo, hi):
        m = (i - lo) % (2 * BATCH)
        if ahead and m % BATCH == 0 and i > lo and i + BATCH < hi:
            b0 = i + BATCH
            plan_batch(b0, min(b0 + BATCH, hi), (m + BATCH) % (2 * BATCH), plan, P, Z, k_visit, k_reengage, indptr,
                       indices, deg, b_status, b_role, f_sat, f_eng, f_activity)  # fmt: skip
        st = b_status[i]
        if st == L.ACTIVE:
            role = b_role[i]
            seen = u_act_prev[i]
            # 1. Moderation reviews yesterday's toxic or spam post (a ban wave reviews every
            #    troll and spammer): offenders are removed, ordinary members are warned.
            offended = (seen & (L.A_TOXIC | L.A_SPAM)) != 0
            pd = Z[T.Z_P_DETECT] if offended else 0.0
            if Z[T.Z_BAN] > 0.0 and role >= L.TROLL:
                pd = max(pd, P[L.P_DETECTION])
            if pd > 0.0 and uniform(k_detect, i) < pd:
                pc[T.K_HANDLED] += 1.0
                if role >= L.TROLL:
                    b_status[i] = L.REMOVED
                    i_removed[i] = d
                    pc[T.K_REMOVALS] += 1.0
                    if role == L.TROLL and uniform2(k_comeback, i, 0) < P[L.P_COMEBACK]:
                        wait = -P[L.P_COMEBACK_DAYS] * math.log(1.0 - uniform2(k_comeback, i, 1))
                        i_comeback[i] = d + 1 + int(wait)
                    u_act_cur[i] = 0
                    continue
                f_temper[i] *= P[L.P_WARNING]
            # 2. Trolls and spammers come every day and post what they post.
            if role == L.TROLL or role == L.SPAMMER:
                i_last_visit[i] = d  # (not counted in dau/wau/mau, which count people)
                a = 0
                if role == L.TROLL:
                    pc[T.K_TROLLS] += 1.0
                    if uniform(k_post, i) < P[L.P_TROLL_POST_RATE]:
                        a = L.A_TOXIC
                        pc[T.K_TOXIC] += 1.0
                        n_posts += 1
                        i_toxic[i] += 1
                        i_posts[i] += 1
                else:
                    pc[T.K_SPAMMERS] += 1.0
                    if uniform(k_post, i) < P[L.P_SPAM_POST_RATE]:
                        a = L.A_SPAM
                        pc[T.K_SPAM] += 1.0
                        n_posts += 1
                        i_posts[i] += 1
                u_act_cur[i] = a
                continue
            # 3. An ordinary member: satisfaction drifts to its baseline, engagement to 1.
            s, g = drift(f_sat[i], f_eng[i], base, P, Z)
            # Exposure: a smoothed count of toxic posts seen, which normalises trolling.
            exposure = (1.0 - T.NORM_SMOOTHING) * f_exposure[i]
            activity = f_activity[i]
            a = 0
            # Visit (drawn in plan_batch when planned ahead: the same draw).
            if (plan[m] == VISITS) if ahead else visits(k_visit, i, activity, s, g, P, Z):
                i_last_visit[i] = d
                n_visits += 1
                # 4. Read what each neighbour showed yesterday; reply, answer.
                p_reply = min(1.0, P[L.P_REPLY_RATE] * math.sqrt(activity))
                p_reply_toxic = min(1.0, p_reply * P[L.P_REPLY_DRAW])
                champion = role == L.CHAMPION
                n_post = 0
                n_toxic = 0
                n_spam = 0
                n_compl = 0
                n_out = 0
                e0 = indptr[i]
                for e in range(e0, e0 + deg[i]):
                    j = indices[e]
                    aj = u_act_prev[j]
                    if aj == 0:
                        continue
                    if aj & L.A_TOXIC:
                        n_toxic += 1
                        if uniform2(k_reply, i, j) < p_reply_toxic:
                            n_out += 1
                            n_toxic += 1  # feeding a troll sours the feeder twice
                    if aj & L.A_SPAM:
                        n_spam += 1
                    if aj & (L.A_POSTED | L.A_FIRST):
                        n_post += 1
                        if uniform2(k_reply, i, j) < p_reply:
                            n_out += 1
                            u_got_cur[j] = 1
                    if aj & L.A_QUESTION:
                        if uniform2(k_answer, i, j) < P[L.P_ANSWER_RATE] * f_expertise[i]:
                            n_out += 1
                            b_qans[j] = 1
                    if aj & L.A_COMPLAINT:
                        n_compl += 1
                        if champion and uniform2(k_champ, i, j) < P[L.P_ANSWER_RATE]:
                            n_out += 1
                            b_cans[j] = 1
                # 5. What they saw changes how they feel.
                s += P[L.P_CONTENT_JOY] * min(n_post, 10) + P[L.P_LEVER_CONTENT_JOY] * Z[T.Z_CONTENT]
                s -= P[L.P_TOXIC_HARM] * n_toxic + P[L.P_SPAM_HARM] * n_spam
                s -= P[L.P_COMPLAINT_HARM] * n_compl
                exposure += T.NORM_SMOOTHING * n_toxic
                if Z[T.Z_P_EVENT] > 0.0 and uniform(k_event, i) < Z[T.Z_P_EVENT]:
                    g += P[L.P_EVENT_BOOST]
                    s += T.EVENT_SAT * P[L.P_EVENT_BOOST]
                # 6. Complain, or post: toxic (situational trolling), a question, or a post.
                posted = False
                if (
                    s < P[L.P_COMPLAINT_THRESHOLD]
                    and i_cday[i] < 0
                    and uniform(k_complain, i) < P[L.P_COMPLAINT_RATE] * Z[T.Z_COMPLAINT_MULT]
                ):
                    i_cday[i] = d
                    b_cans[i] = 0
                    pc[T.K_COMPL] += 1.0
                    posted = True
                elif uniform(k_post, i) < P[L.P_POST_RATE] * activity * g:
                    posted = True
                    p_toxic = P[L.P_TROLL_BASE_RATE] * f_temper[i] / temper_mean
                    if s < P[L.P_MOOD_THRESHOLD]:
                        p_toxic *= P[L.P_MOOD_BOOST]
                    if n_toxic > 0:
                        p_toxic *= P[L.P_CONTEXT_BOOST]
                    p_toxic *= 1.0 + P[L.P_NORM_GAIN] * exposure
                    if uniform(k_toxic, i) < p_toxic:
                        a |= L.A_TOXIC
                        pc[T.K_TOXIC] += 1.0
                        pc[T.K_TOXIC_MEM] += 1.0
                        i_toxic[i] += 1
                        if uniform(k_convert, i) < P[L.P_CONVERSION]:
                            b_role[i] = L.TROLL
                    elif i_qday[i] < 0 and uniform(k_kind, i) < P[L.P_QUESTION_SHARE]:
                        i_qday[i] = d
                        b_qans[i] = 0
                        pc[T.K_QUESTIONS] += 1.0
                    else:
                        a |= L.A_POSTED
                if posted:
                    n_posts += 1
                    if i_first_post[i] < 0 and i_join[i] >= 0:
                        i_first_post[i] = d
                        b_fp[i] = L.FP_OPEN
                        pc[T.K_FIRST] += 1.0
                n_replies += n_out
                n_contrib = n_out + (1 if posted else 0)
                if n_contrib > 0:
                    i_posts[i] += n_contrib
                    fp = i_first_post[i]
                    if fp >= 0 and fp < d and i_second_post[i] < 0:
                        i_second_post[i] = d
            s = min(max(s, 0.0), 1.0)
            g = min(max(g, 0.05), 3.0)
            f_sat[i] = s
            f_eng[i] = g
            f_exposure[i] = exposure
            u_act_cur[i] = a
            # 7. Leave (unhappy members leave sooner) or lapse after a long absence.
            unhappy = (1.0 - s) * (1.0 - s)
            p_leave = (P[L.P_CHURN_BASE] + P[L.P_CHURN_UNHAPPY] * unhappy) * churn_mult
            if uniform(k_churn, i) < p_leave:
                b_status[i] = L.LEFT
                pc[T.K_CHURNED] += 1.0
            elif d - i_last_visit[i] >= P[L.P_LAPSE_DAYS]:
                b_status[i] = L.LAPSED
            else:  # still satisfied after phase 2, which only raises s (counted without a branch)
                n_sat_floor += (s >= base) & (b_role[i] < L.TROLL)
        elif st == L.LAPSED:
            u_act_cur[i] = 0
            if uniform(k_lapsed, i) < P[L.P_LAPSED_LEAVE] * churn_mult:
                b_status[i] = L.LEFT
                pc[T.K_CHURNED] += 1.0
                continue
            # Re-engagement: every contact who posted yesterday may bring them back. (The row
            # is read only when the draw could succeed: see plan_batch.)
            n_active = 0
            if not ahead or plan[m] == LAPSED_READS:
                e0 = indptr[i]
                for e in range(e0, e0 + deg[i]):
                    if u_act_prev[indices[e]] & (L.A_POSTED | L.A_FIRST | L.A_QUESTION):
                        n_active += 1
            if n_active > 0:
                if uniform(k_reengage, i) < comeback_chance(P[L.P_REENGAGEMENT], n_active):
                    b_status[i] = L.ACTIVE
                    i_last_visit[i] = d
                    f_eng[i] = 1.0
                    pc[T.K_REENGAGED] += 1.0
        elif st != L.EMPTY:
            u_act_cur[i] = 0
    pc[T.K_VISITS] += n_visits
    pc[T.K_POSTS] += n_posts
    pc[T.K_REPLIES] += n_replies
    pc[T.K_SAT_FLOOR] += n_sat_floor
