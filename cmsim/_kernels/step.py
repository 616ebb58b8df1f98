"""The daily step of the community model, compiled with numba.

:func:`run_days_par` (parallel) and :func:`run_days_ser` (one thread) advance a community from
day ``d0`` to ``d1`` (exclusive) under one weekly allocation of manager hours ``H``; both give
identical results. Each day has three phases (``docs/model.md`` states every rule):

1. **members act** (parallel over edge-balanced chunks): moderation of yesterday's offences,
   visits, reading what neighbours showed yesterday, replies and answers, satisfaction and
   engagement, posting, complaining, trolling, churn, lapse and re-engagement. A member writes
   only its own state, plus idempotent "1" flags on the neighbours it replies to or answers.
2. **threads resolve** (parallel): questions, complaints and first posts are answered by peers
   or the manager, expire or stay open; welcoming, outreach, promotion; daily tallies.
3. **the community changes** (serial): arrivals attach to the graph; the manager's stress,
   burnout, quitting and learning; the day's output row.

Arguments (``n`` slots, ``e`` edge slots, ``c`` chunks): ``seed`` int; ``P`` float64[N_PARAMS];
``TL`` float64[days, N_TL]; ``M`` float64[N_M]; ``H`` float64[8]; ``OUT`` float64[days, N_OUT];
``hist`` float64[MAX_OPEN_DAYS + 1] (response-day histogram); ``chunks`` int64[c] chunk starts
(the last chunk runs to the slots used); ``part`` float64[c, N_K] scratch; ``meta`` int64[2] =
(slots used, capacity); ``indptr`` int64[n + 1], ``indices`` int32[e], ``deg`` int32[n];
``F`` float64[N_F, n], ``B`` int8[N_B, n], ``I`` int32[N_I, n], ``U`` uint8[N_U, n].
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from cmsim._kernels import layout as L
from cmsim._kernels.members import set_member
from cmsim._kernels.rng import key, poisson, uniform, uniform2

# Structural constants (documented in docs/model.md, "Structural constants").
LEARN_SOFTEN = 0.7  # share of an algorithm shock that full know-how absorbs
LEARN_SPEED = 0.5  # share of the recovery time that full know-how saves
NORM_SMOOTHING = 0.1  # weight of today's toxic posts seen in a member's exposure
MAX_VISIT = 0.95  # no member visits with certainty
FRIEND_OF_FRIEND = 0.5  # chance a newcomer's link goes to a contact of the member it found
EVENT_SAT = 0.5  # satisfaction an attendee gains, as a share of the engagement boost
REUSE_SCAN = 64  # contacts of a full row looked through for one who left, to make room

# Per-chunk tallies: part[c, K_*].
K_VISITS = 0
K_POSTS = 1
K_REPLIES = 2
K_QUESTIONS = 3
K_Q_ANS = 4
K_Q_EXP = 5
K_COMPL = 6
K_C_ANS = 7
K_TOXIC = 8
K_TOXIC_MEM = 9
K_SPAM = 10
K_TROLLS = 11
K_SPAMMERS = 12
K_REMOVALS = 13
K_CHURNED = 14
K_REENGAGED = 15
K_NEWCOMERS = 16
K_FIRST = 17
K_FIRST_REPL = 18
K_FIRST_UNANS = 19
K_WELCOMED = 20
K_OUTREACH = 21
K_SAT = 22
K_ENG = 23
K_ORDINARY = 24
K_ACTIVE = 25
K_LAPSED = 26
K_WAU = 27
K_MAU = 28
K_RESP_SUM = 29
K_LOAD_NEW = 30
K_AT_RISK = 31
K_SATISFIED = 32
K_OPEN = 33
K_HANDLED = 34
K_DUE30 = 35
K_RET30 = 36
K_COMEBACKS = 37
K_PENDING = 38
K_BAD = 39
K_HIST = 40
N_K = K_HIST + L.MAX_OPEN_DAYS + 1


@njit(cache=True, inline="always")
def saturation(hours, scale):
    """Share of a lever's ceiling reached with ``hours`` a week: ``1 - exp(-hours / scale)``."""
    if hours <= 0.0:
        return 0.0
    return 1.0 - math.exp(-hours / scale)


@njit(cache=True)
def manager_levers(P, M, H):
    """Scalar lever effects for today from the week's hours ``H`` and the manager state ``M``.

    Returns ``(E, mod_cap, resp_cap, content, welcome_cap, event, target, learn, self_care)``:
    ``E`` effectiveness (0 when no manager is in post, reduced by burnout); capacities in items
    per day; ``content``, ``event``, ``learn`` and ``self_care`` as shares of saturation in
    [0, 1); ``target`` the share of effort that analytics aims at the right members.
    """
    n = max(P[L.P_MGR_COUNT], 1.0)
    E = M[L.M_PRESENT]
    if M[L.M_BURNED_OUT] > 0.0:
        E *= P[L.P_BURNOUT_EFFECTIVENESS]
    s_mod = saturation(H[0], n * P[L.P_MODERATION_SCALE])
    s_resp = saturation(H[1], n * P[L.P_RESPONDING_SCALE])
    s_cont = saturation(H[2], n * P[L.P_CONTENT_SCALE])
    s_wel = saturation(H[3], n * P[L.P_WELCOMING_SCALE])
    s_ev = saturation(H[4], n * P[L.P_EVENTS_SCALE])
    s_an = saturation(H[5], n * P[L.P_ANALYTICS_SCALE])
    s_learn = saturation(H[6], n * P[L.P_LEARNING_SCALE])
    s_care = saturation(H[7], n * P[L.P_SELF_CARE_SCALE])
    mod_cap = P[L.P_MODERATION_RATE] * n * P[L.P_MODERATION_SCALE] * s_mod * E / 7.0
    resp_cap = P[L.P_RESPONDING_RATE] * n * P[L.P_RESPONDING_SCALE] * s_resp * E / 7.0
    welcome_cap = P[L.P_WELCOME_RATE] * n * P[L.P_WELCOMING_SCALE] * s_wel * E / 7.0
    g = P[L.P_ANALYTICS_GAIN]
    target = (1.0 + g * s_an * E) / (1.0 + g)
    return E, mod_cap, resp_cap, s_cont * E, welcome_cap, s_ev * E, target, s_learn * E, s_care


@njit(cache=True, inline="always")
def _chunk_end(chunks, c, n_used):
    if c + 1 < chunks.shape[0]:
        return chunks[c + 1]
    return n_used


# Day scalars shared by the parallel phases: Z[Z_*].
Z_P_DETECT = 0
Z_BAN = 1
Z_P_MGR = 2
Z_CONTENT = 3
Z_P_WELCOME = 4
Z_P_OUTREACH = 5
Z_P_EVENT = 6
Z_VISIT_MULT = 7
Z_COMPLAINT_MULT = 8
Z_SHOCK = 9
Z_CHURN_MULT = 10
Z_E = 11
Z_REACH = 12
N_Z = 13


@njit(cache=True)
def day_scalars(d, P, TL, M, H, Z):
    """Fill ``Z`` with today's lever effects, event factors and reach; update the reach shock."""
    E, mod_cap, resp_cap, content, welcome_cap, event, target, learn, care = manager_levers(P, M, H)
    know = M[L.M_KNOW_HOW]
    # Moderation reviews yesterday's offending posts; analytics aims the reviews.
    load = max(1.0, M[L.M_LOAD_OFFENDING])
    Z[Z_P_DETECT] = P[L.P_DETECTION] * min(1.0, mod_cap * target / load)
    Z[Z_BAN] = TL[d, L.TL_BAN_WAVE]
    Z[Z_P_MGR] = min(1.0, resp_cap / max(1.0, M[L.M_LOAD_OPEN]))
    Z[Z_CONTENT] = content
    Z[Z_P_WELCOME] = min(1.0, welcome_cap / max(1.0, M[L.M_LOAD_NEWCOMERS]))
    left = max(0.0, welcome_cap - M[L.M_LOAD_NEWCOMERS])
    Z[Z_P_OUTREACH] = min(1.0, left * target / max(1.0, M[L.M_LOAD_AT_RISK]))
    if TL[d, L.TL_WELCOME_CAMPAIGN] > 0.0:
        Z[Z_P_WELCOME] = 1.0
        Z[Z_P_OUTREACH] = 1.0
    Z[Z_P_EVENT] = min(1.0, P[L.P_EVENT_REACH] * event + TL[d, L.TL_AMA])
    # Reach: algorithm changes cut it, know-how softens the cut and speeds recovery.
    tau = P[L.P_RECOVERY_DAYS] * (1.0 - LEARN_SPEED * know)
    shock = M[L.M_SHOCK] * math.exp(-1.0 / tau) + TL[d, L.TL_ALGO] * (1.0 - LEARN_SOFTEN * know)
    M[L.M_SHOCK] = shock
    reach = P[L.P_REACH] * (1.0 - min(shock, 1.0)) + TL[d, L.TL_CHANNEL] * know
    Z[Z_REACH] = max(reach, 0.0)
    Z[Z_VISIT_MULT] = Z[Z_REACH] * TL[d, L.TL_SEASON] * (1.0 + P[L.P_CONTENT_VISITS] * content)
    Z[Z_COMPLAINT_MULT] = 3.0 if TL[d, L.TL_CRISIS] > 0.0 else 1.0
    Z[Z_SHOCK] = TL[d, L.TL_CRISIS_SHOCK]
    Z[Z_CHURN_MULT] = 1.0 + TL[d, L.TL_COMPETITOR]
    Z[Z_E] = E


@njit(cache=True)
def act_chunk(c, lo, hi, d, seed, P, Z, part, indptr, indices, deg, F, B, I, U):
    """Phase 1 for members ``lo..hi-1``: every active or lapsed member's day (see module doc)."""
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
    churn_mult = Z[Z_CHURN_MULT]
    # Busy tallies in locals, added in member order (see resolve_chunk).
    n_visits = pc[K_VISITS]
    n_posts = pc[K_POSTS]
    n_replies = pc[K_REPLIES]
    for i in range(lo, hi):
        st = b_status[i]
        if st == L.ACTIVE:
            role = b_role[i]
            seen = u_act_prev[i]
            # 1. Moderation reviews yesterday's toxic or spam post (a ban wave reviews every
            #    troll and spammer): offenders are removed, ordinary members are warned.
            offended = (seen & (L.A_TOXIC | L.A_SPAM)) != 0
            pd = Z[Z_P_DETECT] if offended else 0.0
            if Z[Z_BAN] > 0.0 and role >= L.TROLL:
                pd = max(pd, P[L.P_DETECTION])
            if pd > 0.0 and uniform(k_detect, i) < pd:
                pc[K_HANDLED] += 1.0
                if role >= L.TROLL:
                    b_status[i] = L.REMOVED
                    i_removed[i] = d
                    pc[K_REMOVALS] += 1.0
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
                    pc[K_TROLLS] += 1.0
                    if uniform(k_post, i) < P[L.P_TROLL_POST_RATE]:
                        a = L.A_TOXIC
                        pc[K_TOXIC] += 1.0
                        n_posts += 1.0
                        i_toxic[i] += 1
                        i_posts[i] += 1
                else:
                    pc[K_SPAMMERS] += 1.0
                    if uniform(k_post, i) < P[L.P_SPAM_POST_RATE]:
                        a = L.A_SPAM
                        pc[K_SPAM] += 1.0
                        n_posts += 1.0
                        i_posts[i] += 1
                u_act_cur[i] = a
                continue
            # 3. An ordinary member: satisfaction drifts to its baseline, engagement to 1.
            s = f_sat[i]
            g = f_eng[i]
            s = s + P[L.P_REVERSION] * (base - s) - Z[Z_SHOCK]
            g = g + P[L.P_ENGAGEMENT_DRIFT] * (1.0 - g)
            # Exposure: a smoothed count of toxic posts seen, which normalises trolling.
            exposure = (1.0 - NORM_SMOOTHING) * f_exposure[i]
            activity = f_activity[i]
            pv = P[L.P_VISIT_RATE] * activity * g * (0.5 + max(s, 0.0)) * Z[Z_VISIT_MULT]
            a = 0
            if uniform(k_visit, i) < min(pv, MAX_VISIT):
                i_last_visit[i] = d
                n_visits += 1.0
                # 4. Read what each neighbour showed yesterday; reply, answer.
                p_reply = min(1.0, P[L.P_REPLY_RATE] * math.sqrt(activity))
                p_reply_toxic = min(1.0, p_reply * P[L.P_REPLY_DRAW])
                p_answer = P[L.P_ANSWER_RATE] * f_expertise[i]
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
                        if uniform2(k_answer, i, j) < p_answer:
                            n_out += 1
                            b_qans[j] = 1
                    if aj & L.A_COMPLAINT:
                        n_compl += 1
                        if champion and uniform2(k_champ, i, j) < P[L.P_ANSWER_RATE]:
                            n_out += 1
                            b_cans[j] = 1
                # 5. What they saw changes how they feel.
                s += P[L.P_CONTENT_JOY] * min(n_post, 10) + P[L.P_LEVER_CONTENT_JOY] * Z[Z_CONTENT]
                s -= P[L.P_TOXIC_HARM] * n_toxic + P[L.P_SPAM_HARM] * n_spam
                s -= P[L.P_COMPLAINT_HARM] * n_compl
                exposure += NORM_SMOOTHING * n_toxic
                if Z[Z_P_EVENT] > 0.0 and uniform(k_event, i) < Z[Z_P_EVENT]:
                    g += P[L.P_EVENT_BOOST]
                    s += EVENT_SAT * P[L.P_EVENT_BOOST]
                # 6. Complain, or post: toxic (situational trolling), a question, or a post.
                posted = False
                if (
                    i_cday[i] < 0
                    and s < P[L.P_COMPLAINT_THRESHOLD]
                    and uniform(k_complain, i) < P[L.P_COMPLAINT_RATE] * Z[Z_COMPLAINT_MULT]
                ):
                    i_cday[i] = d
                    b_cans[i] = 0
                    pc[K_COMPL] += 1.0
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
                        pc[K_TOXIC] += 1.0
                        pc[K_TOXIC_MEM] += 1.0
                        i_toxic[i] += 1
                        if uniform(k_convert, i) < P[L.P_CONVERSION]:
                            b_role[i] = L.TROLL
                    elif i_qday[i] < 0 and uniform(k_kind, i) < P[L.P_QUESTION_SHARE]:
                        i_qday[i] = d
                        b_qans[i] = 0
                        pc[K_QUESTIONS] += 1.0
                    else:
                        a |= L.A_POSTED
                if posted:
                    n_posts += 1.0
                    if i_first_post[i] < 0 and i_join[i] >= 0:
                        i_first_post[i] = d
                        b_fp[i] = L.FP_OPEN
                        pc[K_FIRST] += 1.0
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
                pc[K_CHURNED] += 1.0
            elif d - i_last_visit[i] >= P[L.P_LAPSE_DAYS]:
                b_status[i] = L.LAPSED
        elif st == L.LAPSED:
            u_act_cur[i] = 0
            if uniform(k_lapsed, i) < P[L.P_LAPSED_LEAVE] * churn_mult:
                b_status[i] = L.LEFT
                pc[K_CHURNED] += 1.0
                continue
            # Re-engagement: every contact who posted yesterday may bring them back.
            n_active = 0
            e0 = indptr[i]
            for e in range(e0, e0 + deg[i]):
                if u_act_prev[indices[e]] & (L.A_POSTED | L.A_FIRST | L.A_QUESTION):
                    n_active += 1
            if n_active > 0:
                p_back = 1.0 - (1.0 - P[L.P_REENGAGEMENT]) ** n_active
                if uniform(k_reengage, i) < p_back:
                    b_status[i] = L.ACTIVE
                    i_last_visit[i] = d
                    f_eng[i] = 1.0
                    pc[K_REENGAGED] += 1.0
        elif st != L.EMPTY:
            u_act_cur[i] = 0
    pc[K_VISITS] = n_visits
    pc[K_POSTS] = n_posts
    pc[K_REPLIES] = n_replies


@njit(cache=True)
def resolve_chunk(c, lo, hi, d, seed, P, Z, part, F, B, I, U):
    """Phase 2 for members ``lo..hi-1``: threads resolve, welcoming, outreach and tallies."""
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
    k_mgr = key(seed, L.S_MGR_ANSWER, d)
    k_turn = key(seed, L.S_TURNAROUND, d)
    k_welcome = key(seed, L.S_WELCOME, d)
    k_outreach = key(seed, L.S_OUTREACH, d)
    base = P[L.P_SAT_BASELINE]
    open_days = P[L.P_OPEN_DAYS]
    p_mgr = Z[Z_P_MGR]
    newcomer_days = P[L.P_NEWCOMER_DAYS]
    # The busiest tallies live in locals (the compiler cannot keep ``pc`` in registers: it may
    # alias the member arrays); they are added in member order, so sums are bit-identical.
    n_wau = pc[K_WAU]
    n_mau = pc[K_MAU]
    n_lapsed = pc[K_LAPSED]
    n_ordinary = pc[K_ORDINARY]
    sum_sat = pc[K_SAT]
    sum_eng = pc[K_ENG]
    n_satisfied = pc[K_SATISFIED]
    n_active = pc[K_ACTIVE]
    for i in range(lo, hi):
        st = b_status[i]
        if st == L.EMPTY:
            continue
        if i_comeback[i] == d:
            pc[K_COMEBACKS] += 1.0
        role = b_role[i]
        join = i_join[i]
        last = i_last_visit[i]
        if role < L.TROLL:
            if last >= d - 6:
                n_wau += 1.0
            if last >= d - 29:
                n_mau += 1.0
        if join >= 0 and join == d - 30 and role < L.TROLL:
            pc[K_DUE30] += 1.0
            if st == L.ACTIVE and last >= d - 7:
                pc[K_RET30] += 1.0
        a = u_act_cur[i]
        g = f_eng[i]
        # Questions: answered by a peer today, or by the manager, or expire.
        qd = i_qday[i]
        if qd >= 0:
            pc[K_PENDING] += 1.0
            if b_qans[i] == 1 or uniform2(k_mgr, i, 0) < p_mgr:
                pc[K_Q_ANS] += 1.0
                wait = d - qd
                pc[K_RESP_SUM] += wait
                pc[K_HIST + min(wait, L.MAX_OPEN_DAYS)] += 1.0
                if b_fp[i] == L.FP_OPEN and i_first_post[i] == qd:
                    u_got_cur[i] = 1
                i_qday[i] = -1
                b_qans[i] = 0
            elif d - qd >= open_days or st != L.ACTIVE:
                pc[K_Q_EXP] += 1.0
                i_qday[i] = -1
            else:
                a |= L.A_QUESTION
                pc[K_OPEN] += 1.0
        # Complaints: a champion or the manager answers; an empathetic answer turns many around.
        cd = i_cday[i]
        if cd >= 0:
            pc[K_PENDING] += 1.0
            peer = b_cans[i] == 1
            if peer or uniform2(k_mgr, i, 1) < p_mgr:
                pc[K_C_ANS] += 1.0
                if not peer:
                    pc[K_HANDLED] += 1.0
                if uniform(k_turn, i) < P[L.P_TURNAROUND]:
                    f_sat[i] = max(f_sat[i], base)
                i_cday[i] = -1
                b_cans[i] = 0
            elif d - cd >= open_days or st != L.ACTIVE:
                i_cday[i] = -1
            else:
                a |= L.A_COMPLAINT
                pc[K_OPEN] += 1.0
        if st != L.ACTIVE:
            u_got_cur[i] = 0
            if st == L.LAPSED:
                n_lapsed += 1.0
            continue
        # Newcomers: the manager's welcome lifts them; a reply to the first post keeps them,
        # silence chills them (each applies once).
        newcomer = d - join < newcomer_days and role < L.TROLL
        if newcomer:
            pc[K_NEWCOMERS] += 1.0
            if b_greeted[i] == 0 and last == d:
                pc[K_LOAD_NEW] += 1.0
                if uniform(k_welcome, i) < Z[Z_P_WELCOME]:
                    pc[K_WELCOMED] += 1.0
                    b_greeted[i] = 1
                    g *= P[L.P_WELCOME_BOOST]
        if b_fp[i] == L.FP_OPEN:
            if u_got_cur[i] == 1:
                b_fp[i] = L.FP_REPLIED
                pc[K_FIRST_REPL] += 1.0
                g *= P[L.P_REPLY_WELCOME]
            elif d - i_first_post[i] >= open_days:
                b_fp[i] = L.FP_UNANSWERED
                pc[K_FIRST_UNANS] += 1.0
                g *= P[L.P_NO_REPLY_CHILL]
            else:
                a |= L.A_FIRST
        u_got_cur[i] = 0
        u_act_cur[i] = a
        s = f_sat[i]
        if role < L.TROLL:
            # Outreach: spare welcoming hours reach members at risk; analytics finds them.
            at_risk = s < P[L.P_MOOD_THRESHOLD] or d - last >= 0.5 * P[L.P_LAPSE_DAYS]
            if at_risk:
                pc[K_AT_RISK] += 1.0
                if uniform(k_outreach, i) < Z[Z_P_OUTREACH]:
                    pc[K_OUTREACH] += 1.0
                    if s < base:
                        s += P[L.P_OUTREACH_LIFT] * (base - s)
                    g = max(g, 1.0)
            if role == L.MEMBER and i_posts[i] >= P[L.P_CHAMPION_POSTS]:
                b_role[i] = L.CHAMPION
            g = min(max(g, 0.05), 3.0)
            f_sat[i] = s
            f_eng[i] = g
            n_ordinary += 1.0
            sum_sat += s
            sum_eng += g
            if s >= base:
                n_satisfied += 1.0
        else:
            pc[K_BAD] += 1.0
        n_active += 1.0
    pc[K_WAU] = n_wau
    pc[K_MAU] = n_mau
    pc[K_LAPSED] = n_lapsed
    pc[K_ORDINARY] = n_ordinary
    pc[K_SAT] = sum_sat
    pc[K_ENG] = sum_eng
    pc[K_SATISFIED] = n_satisfied
    pc[K_ACTIVE] = n_active


@njit(cache=True)
def free_slot(u, indptr, indices, deg, status):
    """Where ``u``'s contact row can take a new contact: its next free slot or, when the row is
    full, the slot of one of its first ``REUSE_SCAN`` contacts who left or was removed; -1 when
    there is none."""
    e0 = indptr[u]
    n = deg[u]
    if e0 + n < indptr[u + 1]:
        return e0 + n
    for e in range(e0, e0 + min(n, REUSE_SCAN)):
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


@njit(cache=True, inline="always")
def _put(u, e, v, indptr, indices, deg):
    indices[e] = v
    if e == indptr[u] + deg[u]:
        deg[u] += 1


@njit(cache=True)
def arrive(d, seed, n_new, role, P, meta, indptr, indices, deg, F, B, I, U):
    """Add ``n_new`` accounts of ``role``; each links to ``graph.attach`` active members.

    A link goes to a uniformly found active member or, with chance ``FRIEND_OF_FRIEND``, to one
    of that member's contacts (so well-connected members attract more newcomers). Links are
    mutual; a member whose contact row is full takes the newcomer in the place of a contact who
    left, or is passed over (up to 8 tries per link). Returns the number added (fewer only if
    the capacity is full).
    """
    k_attach = key(seed, L.S_ATTACH, d)
    attach = int(P[L.P_ATTACH])
    added = 0
    for _ in range(n_new):
        slot = meta[0]
        if slot >= meta[1]:
            break
        n_before = slot
        set_member(seed, d, slot, role, False, d, d, P, F, B, I, U)
        meta[0] = slot + 1
        added += 1
        for a in range(attach):
            for attempt in range(8):
                t = int(uniform2(k_attach, slot, 4 * (8 * a + attempt)) * n_before)
                if B[L.B_STATUS, t] != L.ACTIVE:
                    continue
                if deg[t] > 0 and uniform2(k_attach, slot, 4 * (8 * a + attempt) + 1) < FRIEND_OF_FRIEND:
                    r = int(uniform2(k_attach, slot, 4 * (8 * a + attempt) + 2) * deg[t])
                    t2 = indices[indptr[t] + r]
                    if B[L.B_STATUS, t2] == L.ACTIVE and t2 != slot:
                        t = t2
                if link(slot, t, indptr, indices, deg, B[L.B_STATUS]):
                    break
    return added


@njit(cache=True)
def community_changes(d, seed, P, TL, M, H, Z, OUT, hist, tot, meta, indptr, indices, deg, F, B, I, U):
    """Phase 3 (serial): arrivals, the manager's day and the output row ``OUT[d]``."""
    k_joins = key(seed, L.S_JOINS, d)
    members = tot[K_ACTIVE] + tot[K_LAPSED]
    reach = Z[Z_REACH]
    season = TL[d, L.TL_SEASON]
    # Arrivals: acquisition (hires when membership is given), word of mouth (not then), trolls,
    # spammers, and removed trolls coming back under new accounts.
    n0 = P[L.P_INITIAL_MEMBERS]
    lam = P[L.P_ACQUISITION] * n0
    if P[L.P_MEMBERSHIP_GIVEN] == 0.0:
        lam = (lam + P[L.P_WORD_OF_MOUTH] * tot[K_SATISFIED]) * reach * season
        lam *= (1.0 + TL[d, L.TL_VIRAL]) / (1.0 + TL[d, L.TL_COMPETITOR])
    n_join = poisson(k_joins, 0, lam)
    per_k = members / 1000.0
    n_troll = poisson(k_joins, 1, (P[L.P_TROLL_ARRIVAL] + TL[d, L.TL_RAID]) * per_k)
    n_spam = poisson(k_joins, 2, P[L.P_SPAM_ARRIVAL] * per_k)
    n_back = int(tot[K_COMEBACKS])
    want = n_join + n_troll + n_spam + n_back
    joins = arrive(d, seed, n_join, L.MEMBER, P, meta, indptr, indices, deg, F, B, I, U)
    joins_members = joins
    joins += arrive(d, seed, n_troll + n_back, L.TROLL, P, meta, indptr, indices, deg, F, B, I, U)
    joins += arrive(d, seed, n_spam, L.SPAMMER, P, meta, indptr, indices, deg, F, B, I, U)
    # Loads seen by tomorrow's manager.
    posts = tot[K_POSTS]
    M[L.M_LOAD_OFFENDING] = tot[K_TOXIC] + tot[K_SPAM]
    M[L.M_LOAD_OPEN] = tot[K_PENDING]
    M[L.M_LOAD_NEWCOMERS] = tot[K_LOAD_NEW]
    M[L.M_LOAD_AT_RISK] = tot[K_AT_RISK]
    M[L.M_SATISFIED_ACTIVE] = tot[K_SATISFIED]
    M[L.M_MEMBERS] = members + joins
    # The manager's day: overwork and toxicity build stress, self-care and rest relieve it.
    n_mgr = max(P[L.P_MGR_COUNT], 1.0)
    E, mod_cap, resp_cap, content, welcome_cap, event, target, learn, care = manager_levers(P, M, H)
    hours = 0.0
    burned = 0.0
    present = M[L.M_PRESENT]
    if present > 0.0:
        for lever in range(8):
            hours += H[lever]
        work = (hours - H[7]) / n_mgr
        load = P[L.P_OVERWORK_STRESS] * max(0.0, work - P[L.P_SUSTAINABLE_HOURS]) / 7.0
        load += P[L.P_TOXICITY_STRESS] * tot[K_HANDLED] / n_mgr
        rec = P[L.P_RECOVERY] + P[L.P_SELF_CARE_RECOVERY] * care * P[L.P_SELF_CARE_SCALE]
        stress = min(max(M[L.M_STRESS] + load - rec * M[L.M_STRESS], 0.0), 1.0)
        M[L.M_STRESS] = stress
        if stress >= P[L.P_BURNOUT_THRESHOLD]:
            M[L.M_BURNED_OUT] = 1.0
        elif M[L.M_BURNED_OUT] > 0.0 and stress <= P[L.P_RECOVER_THRESHOLD]:
            M[L.M_BURNED_OUT] = 0.0
        k = M[L.M_KNOW_HOW]
        M[L.M_KNOW_HOW] = k + P[L.P_LEARNING_RATE] / 7.0 * learn * (1.0 - k)
        burned = M[L.M_BURNED_OUT]
        if burned > 0.0 and uniform(key(seed, L.S_QUIT, d), 0) < P[L.P_QUIT_RATE]:
            # The post stays empty from tomorrow for `vacancy_days` days.
            M[L.M_PRESENT] = 0.0
            M[L.M_BURNED_OUT] = 0.0
            M[L.M_VACANT_UNTIL] = d + 1 + P[L.P_VACANCY_DAYS]
            M[L.M_QUITS] += 1.0
    elif P[L.P_MGR_COUNT] > 0.0 and d + 1 >= M[L.M_VACANT_UNTIL]:
        # A new manager starts tomorrow, fresh but without the predecessor's know-how.
        M[L.M_PRESENT] = 1.0
        M[L.M_BURNED_OUT] = 0.0
        M[L.M_STRESS] = P[L.P_INITIAL_STRESS]
        M[L.M_KNOW_HOW] = 0.0
    for b in range(L.MAX_OPEN_DAYS + 1):
        hist[b] += tot[K_HIST + b]
    o = OUT[d]
    o[L.O_DAY] = d
    o[L.O_MEMBERS] = members + joins
    o[L.O_ACTIVE] = tot[K_ACTIVE] + joins
    o[L.O_LAPSED] = tot[K_LAPSED]
    o[L.O_DAU] = tot[K_VISITS]
    o[L.O_WAU] = tot[K_WAU]
    o[L.O_MAU] = tot[K_MAU]
    o[L.O_POSTS] = posts
    o[L.O_REPLIES] = tot[K_REPLIES]
    o[L.O_QUESTIONS] = tot[K_QUESTIONS]
    o[L.O_Q_ANSWERED] = tot[K_Q_ANS]
    o[L.O_Q_EXPIRED] = tot[K_Q_EXP]
    o[L.O_COMPLAINTS] = tot[K_COMPL]
    o[L.O_C_ANSWERED] = tot[K_C_ANS]
    o[L.O_TOXIC] = tot[K_TOXIC]
    o[L.O_TOXIC_MEMBERS] = tot[K_TOXIC_MEM]
    o[L.O_SPAM] = tot[K_SPAM]
    o[L.O_TROLLS] = tot[K_TROLLS]
    o[L.O_SPAMMERS] = tot[K_SPAMMERS]
    o[L.O_REMOVALS] = tot[K_REMOVALS]
    o[L.O_JOINS] = joins
    o[L.O_CHURNED] = tot[K_CHURNED]
    o[L.O_REENGAGED] = tot[K_REENGAGED]
    o[L.O_NEWCOMERS] = tot[K_NEWCOMERS]
    o[L.O_FIRST_POSTS] = tot[K_FIRST]
    o[L.O_FIRST_REPLIED] = tot[K_FIRST_REPL]
    o[L.O_FIRST_UNANSWERED] = tot[K_FIRST_UNANS]
    o[L.O_WELCOMED] = tot[K_WELCOMED]
    o[L.O_OUTREACH] = tot[K_OUTREACH]
    o[L.O_MEAN_SAT] = tot[K_SAT] / tot[K_ORDINARY] if tot[K_ORDINARY] > 0 else 0.0
    o[L.O_MEAN_ENG] = tot[K_ENG] / tot[K_ORDINARY] if tot[K_ORDINARY] > 0 else 0.0
    o[L.O_REACH] = reach
    o[L.O_MGR_HOURS] = hours
    o[L.O_MGR_STRESS] = M[L.M_STRESS]
    o[L.O_MGR_BURNED] = burned
    o[L.O_MGR_PRESENT] = present
    o[L.O_KNOW_HOW] = M[L.M_KNOW_HOW]
    o[L.O_RESP_DAYS_SUM] = tot[K_RESP_SUM]
    o[L.O_DUE30] = tot[K_DUE30]
    o[L.O_RET30] = tot[K_RET30]
    o[L.O_COMEBACKS] = n_back
    o[L.O_TRUNCATED] = want - joins
    o[L.O_BAD_ACCOUNTS] = tot[K_BAD] + joins - joins_members


@njit(cache=True)
def _sum_parts(part, tot):
    for k in range(tot.shape[0]):
        s = 0.0
        for c in range(part.shape[0]):
            s += part[c, k]
        tot[k] = s


@njit(cache=True, parallel=True)
def _phases_par(d, seed, P, Z, part, chunks, n_used, indptr, indices, deg, F, B, I, U):
    nc = chunks.shape[0]
    part[:, :] = 0.0
    for c in prange(nc):
        act_chunk(
            c, chunks[c], _chunk_end(chunks, c, n_used), d, seed, P, Z, part, indptr, indices, deg, F, B, I, U
        )
    for c in prange(nc):
        resolve_chunk(c, chunks[c], _chunk_end(chunks, c, n_used), d, seed, P, Z, part, F, B, I, U)


@njit(cache=True)
def _phases_ser(d, seed, P, Z, part, chunks, n_used, indptr, indices, deg, F, B, I, U):
    nc = chunks.shape[0]
    part[:, :] = 0.0
    for c in range(nc):
        act_chunk(
            c, chunks[c], _chunk_end(chunks, c, n_used), d, seed, P, Z, part, indptr, indices, deg, F, B, I, U
        )
    for c in range(nc):
        resolve_chunk(c, chunks[c], _chunk_end(chunks, c, n_used), d, seed, P, Z, part, F, B, I, U)


@njit(cache=True)
def run_days_ser(d0, d1, seed, P, TL, M, H, OUT, hist, chunks, part, meta, indptr, indices, deg, F, B, I, U):
    """Advance days ``d0..d1-1`` on one thread (for small communities and ensembles)."""
    Z = np.zeros(N_Z)
    tot = np.zeros(N_K)
    for d in range(d0, d1):
        day_scalars(d, P, TL, M, H, Z)
        _phases_ser(d, seed, P, Z, part, chunks, meta[0], indptr, indices, deg, F, B, I, U)
        _sum_parts(part, tot)
        community_changes(d, seed, P, TL, M, H, Z, OUT, hist, tot, meta, indptr, indices, deg, F, B, I, U)


@njit(cache=True)
def run_days_par(d0, d1, seed, P, TL, M, H, OUT, hist, chunks, part, meta, indptr, indices, deg, F, B, I, U):
    """Advance days ``d0..d1-1`` with members split over threads; identical to the serial run."""
    Z = np.zeros(N_Z)
    tot = np.zeros(N_K)
    for d in range(d0, d1):
        day_scalars(d, P, TL, M, H, Z)
        _phases_par(d, seed, P, Z, part, chunks, meta[0], indptr, indices, deg, F, B, I, U)
        _sum_parts(part, tot)
        community_changes(d, seed, P, TL, M, H, Z, OUT, hist, tot, meta, indptr, indices, deg, F, B, I, U)
