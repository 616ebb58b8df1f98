"""Phase 1 of the day (compiled): every active or lapsed member acts, in parallel chunks.

A member writes only its own state, plus idempotent "1" flags on the neighbours it replies to or
answers, so the result does not depend on the order members are processed. See
``docs/model.md``, "Phase 1: members act".

Members' arrays are indexed with ``iu = np.uint64(i)``: with a signed index numba adds code for
negative indices (wrapping them around from the end) to every access, three or four instructions
each, about 25 accesses a member; an unsigned index needs none (phase 1 10% faster at 1M members).
"""

from __future__ import annotations

import math

import numpy as np

from cmsim._kernels import layout as L
from cmsim._kernels import njit
from cmsim._kernels import tally as T
from cmsim._kernels.comebacks import POSTED
from cmsim._kernels.members import warned
from cmsim._kernels.quiet import (
    BATCH,
    OTHER,
    VISITS,
    comeback_chance,
    drift,
    fade,
    leaves,
    sort_batch,
    visits,
)
from cmsim._kernels.raid import (
    in_raided_space,
    raid_reads,
    raid_reply,
    raid_report,
    raider_chances,
    raider_fed,
    raider_reported,
)
from cmsim._kernels.rng import key, uniform, uniform2


@njit(cache=True, nogil=True)
def act_chunk(c, lo, hi, d, seed, P, Z, part, indptr, indices, deg, F, B, I, U, ahead):
    """Phase 1 for members ``lo..hi-1``: every active or lapsed member's day (see module doc).

    ``ahead`` (both runners pass True): sort each batch of members a batch ahead
    (:func:`sort_batch`: quiet days finished there, readers' rows prefetched) and give the main
    pass only the members listed; phase 1 takes 46% less time than one pass over every member at
    1M members, 32% less at 20,000 and 18% less at 2,000 (one thread, day 60). ``ahead=False``
    is that plain pass, kept as the reference the sorted one is tested against
    (``tests/test_kernels_prefetch.py``): the result is the same either way.
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
    u_rep_cur = U[L.U_REP + cur]
    u_rep_prev = U[L.U_REP + prev]
    u_fed_cur = U[L.U_FED + cur]
    u_fed_prev = U[L.U_FED + prev]
    u_posters = U[L.U_POSTERS]
    k_report = key(seed, L.S_REPORT, d)
    k_filter = key(seed, L.S_FILTER, d)
    k_give_up = key(seed, L.S_GIVE_UP, d)
    report_rate = P[L.P_REPORT_RATE]
    k_detect = key(seed, L.S_DETECT, d)
    k_comeback = key(seed, L.S_COMEBACK, d)
    k_queue = key(seed, L.S_QUEUE, d)
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
    churn_base = P[L.P_CHURN_BASE]
    churn_unhappy = P[L.P_CHURN_UNHAPPY]
    churn_mult = Z[T.Z_CHURN_MULT]
    lapse_days = math.ceil(P[L.P_LAPSE_DAYS])  # (whole days: k >= x exactly when k >= ceil(x))
    p_lapsed_leave = P[L.P_LAPSED_LEAVE] * churn_mult
    k_shock = key(seed, L.S_SHOCK, d)
    keys = (k_visit, k_reengage, k_churn, k_lapsed, k_shock)
    # A raid (raid.py): yesterday's raid posts left to read, the raided space, the raiders' chances.
    raid_posts = Z[T.Z_RAID_POSTS]
    k_space = key(seed, L.S_RAID, -1)
    k_raid = key(seed, L.S_RAID, d)
    k_raider = key(seed, L.S_RAID2, d)
    p_raid_reported, p_raid_fed = raider_chances(P, Z[T.Z_RAID_READS])
    b_raider = B[L.B_RAIDER]
    n_raid_posts = 0
    n_raid_reads = 0
    # Busy tallies as integers in locals: whole counts, so their sum is the same in any order.
    n_visits = 0
    n_posts = 0
    n_replies = 0
    n_answers = 0
    n_expertise = 0
    n_satisfied = 0
    n_left = 0
    n_reports = 0
    n_new_posts = 0
    n_back = 0
    # Ahead: each batch is sorted (sort_batch) while the one before is in the main pass, the two
    # alternating between the halves of ``todo`` and ``codes``; the main pass takes only the
    # members listed. Else the main pass takes every member.
    todo = np.empty(2 * BATCH, np.int64)
    codes = np.empty(2 * BATCH, np.int8)
    listed = np.zeros(2, np.int64)
    nb = (hi - lo + BATCH - 1) // BATCH
    for b in range(-1 if ahead else 0, nb):
        if ahead and b + 1 < nb:
            b1 = lo + (b + 1) * BATCH
            h = (b + 1) & 1
            listed[h], x, y, z = sort_batch(b1, min(b1 + BATCH, hi), h * BATCH, todo, codes, d, P, Z, keys, indptr,
                                            indices, deg, b_status, b_role, f_sat, f_eng, f_activity, f_exposure,
                                            i_last_visit, i_posts, i_toxic, u_act_prev, u_act_cur, u_rep_prev,
                                            u_posters)  # fmt: skip
            n_satisfied += x
            n_left += y
            n_back += z
        if b < 0:
            continue
        b0 = lo + b * BATCH
        h = b & 1
        for k in range(listed[h] if ahead else min(BATCH, hi - b0)):
            i = todo[h * BATCH + k] if ahead else b0 + k
            code = codes[h * BATCH + k] if ahead else OTHER
            iu = np.uint64(i)
            st = b_status[iu]
            if st == L.ACTIVE:
                role = b_role[iu]
                seen = u_act_prev[iu]
                # Mesa: Member.faces_moderation (step 1), Member.post_as_bad_actor (2), Member.live_the_day (3-7).
                # 1. Moderation reviews yesterday's toxic or spam post, and first the accounts
                #    members reported yesterday (a ban wave reviews every troll and spammer):
                #    offenders are removed, ordinary members are warned. A post removed the day it
                #    was posted (hidden) was caught already.
                offended = (seen & (L.A_TOXIC | L.A_SPAM)) != 0
                pd = Z[T.Z_P_DETECT] if offended else 0.0
                if u_rep_prev[iu] != 0:
                    pd = max(pd, Z[T.Z_P_REPORTED])
                raider = b_raider[iu] != 0
                if raider and (seen & L.A_TOXIC) != 0 and raider_reported(k_raider, i, p_raid_reported):
                    pd = max(pd, Z[T.Z_P_REPORTED])  # reported in the raided space (raid.py)
                if seen & L.A_HIDDEN:
                    pd = 1.0
                if Z[T.Z_BAN] > 0.0 and role >= L.TROLL:
                    pd = max(pd, P[L.P_DETECTION])
                if pd > 0.0 and uniform(k_detect, i) < pd:
                    pc[T.K_HANDLED] += 1.0
                    if role >= L.TROLL:
                        b_status[iu] = L.REMOVED
                        i_removed[iu] = d
                        pc[T.K_REMOVALS] += 1.0
                        if role == L.TROLL and uniform2(k_comeback, i, 0) < P[L.P_COMEBACK]:
                            wait = -P[L.P_COMEBACK_DAYS] * math.log(1.0 - uniform2(k_comeback, i, 1))
                            i_comeback[iu] = d + 1 + int(wait)
                        u_act_cur[iu] = 0
                        continue
                    f_temper[iu] = warned(
                        f_temper[iu], P[L.P_WARNING], P[L.P_WARNING_FLOOR] * P[L.P_TEMPER_MEAN]
                    )
                # 2. Trolls and spammers come every day and post what they post. A troll nobody
                #    replied to yesterday, and any spammer, may give up for good first; the
                #    platform's filter removes most spam before anyone sees it. The approval queue
                #    may hold the post of a new account (joined during the run, nothing published
                #    yet): rejected, never published, and the account removed as a review removes it.
                if role == L.TROLL or role == L.SPAMMER:
                    troll = role == L.TROLL
                    if troll:
                        p_give_up = P[L.P_TROLL_GIVE_UP] if u_fed_prev[iu] == 0 else 0.0
                        if raider and (seen & L.A_TOXIC) != 0 and raider_fed(k_raider, i, p_raid_fed):
                            p_give_up = 0.0  # fed in the raided space
                    else:
                        p_give_up = P[L.P_SPAM_GIVE_UP]
                    if p_give_up > 0.0 and uniform(k_give_up, i) < p_give_up:
                        b_status[iu] = L.LEFT
                        pc[T.K_CHURNED] += 1.0  # (churned counts every account that left)
                        pc[T.K_GAVE_UP] += 1.0
                        u_act_cur[iu] = 0
                        continue
                    i_last_visit[iu] = d  # (not counted in dau/wau/mau, which count people)
                    a = 0
                    pc[T.K_TROLLS if troll else T.K_SPAMMERS] += 1.0
                    if uniform(k_post, i) < P[L.P_TROLL_POST_RATE if troll else L.P_SPAM_POST_RATE]:
                        if not troll and uniform(k_filter, i) < P[L.P_SPAM_FILTER]:
                            pc[T.K_SPAM_FILTERED] += 1.0
                        else:
                            # (raiders pass the queue: established accounts elsewhere, Kumar et al. 2018)
                            if i_posts[iu] == 0 and i_join[iu] >= 0 and not raider:
                                pc[T.K_NEW_POSTS] += 1.0
                                if uniform(k_queue, i) < Z[T.Z_P_QUEUE]:
                                    pc[T.K_HELD] += 1.0
                                    pc[T.K_HANDLED] += 1.0
                                    b_status[iu] = L.REMOVED
                                    i_removed[iu] = d
                                    pc[T.K_REMOVALS] += 1.0
                                    if troll and uniform2(k_comeback, i, 0) < P[L.P_COMEBACK]:  # (as step 1)
                                        u = uniform2(k_comeback, i, 1)
                                        wait = -P[L.P_COMEBACK_DAYS] * math.log(1.0 - u)
                                        i_comeback[iu] = d + 1 + int(wait)
                                    u_act_cur[iu] = 0
                                    continue
                            a = L.A_TOXIC if troll else L.A_SPAM
                            if uniform2(k_detect, i, 1) < Z[T.Z_P_QUICK]:
                                a = L.A_HIDDEN  # removed the same day: nobody reads it
                            pc[T.K_TOXIC if troll else T.K_SPAM] += 1.0
                            n_raid_posts += raider and a == L.A_TOXIC
                            n_posts += 1
                            i_posts[iu] += 1
                            i_toxic[iu] += troll
                    u_act_cur[iu] = a
                    continue
                # 3. An ordinary member: satisfaction drifts to its baseline, engagement to 1.
                s, g = drift(f_sat[iu], f_eng[iu], base, P, Z, k_shock, i)
                # Exposure: a smoothed count of toxic posts seen, which normalises trolling.
                exposure = fade(f_exposure[iu])
                activity = float(f_activity[iu])  # (float64: sqrt below, as the Mesa engine)
                a = 0
                # Visit (drawn in sort_batch when sorted ahead: the same draw).
                if (code == VISITS) if ahead else visits(k_visit, i, activity, s, g, P, Z):
                    i_last_visit[iu] = d
                    n_visits += 1
                    n_expertise += int(f_expertise[iu] * T.FIXED_POINT)  # (x >= 0: int() is the floor)
                    # Mesa: Member.read_feed.
                    # 4. Read what each neighbour showed yesterday; reply, answer.
                    p_reply = min(1.0, P[L.P_REPLY_RATE] * math.sqrt(activity))
                    p_reply_toxic = min(1.0, p_reply * P[L.P_REPLY_DRAW])
                    champion = role == L.CHAMPION
                    n_post = 0
                    n_toxic = 0
                    n_spam = 0
                    n_compl = 0
                    n_out = 0
                    e0 = indptr[iu]
                    for e in range(e0, e0 + deg[iu]):
                        j = indices[np.uint64(e)]
                        ju = np.uint64(j)
                        aj = u_act_prev[ju]
                        if aj == 0:
                            continue
                        if aj & L.A_TOXIC:
                            n_toxic += 1
                            if uniform2(k_reply, i, j) < p_reply_toxic:
                                n_out += 1
                                n_toxic += 1  # feeding a troll sours the feeder twice
                                u_fed_cur[ju] = 1
                        if aj & L.A_SPAM:
                            n_spam += 1
                        if aj & (L.A_TOXIC | L.A_SPAM) and uniform2(k_report, i, j) < report_rate:
                            n_reports += 1  # reported: moderation reviews the account tomorrow
                            u_rep_cur[ju] = 1
                        if aj & (L.A_POSTED | L.A_FIRST):
                            n_post += 1
                            if uniform2(k_reply, i, j) < p_reply:
                                n_out += 1
                                u_got_cur[ju] = 1
                        if aj & L.A_QUESTION:
                            if uniform2(k_answer, i, j) < P[L.P_ANSWER_RATE] * f_expertise[iu]:
                                n_out += 1
                                n_answers += 1
                                b_qans[ju] = 1
                        if aj & L.A_COMPLAINT:
                            n_compl += 1
                            if champion and uniform2(k_champ, i, j) < P[L.P_ANSWER_RATE]:
                                n_out += 1
                                b_cans[ju] = 1
                    # Mesa: Member.read_the_raid.
                    # 4b. A visitor of the raided space reads some of yesterday's raid posts:
                    #     like toxic posts of contacts, each may draw a reply or a report.
                    if raid_posts > 0.0 and in_raided_space(k_space, i, P[L.P_RAID_TARGET]):
                        nr = raid_reads(k_raid, i, raid_posts, P[L.P_RAID_READ], P[L.P_RAID_CAP])
                        n_raid_reads += nr
                        for r in range(nr):
                            n_toxic += 1
                            if raid_reply(k_raid, i, r, p_reply_toxic):
                                n_out += 1
                                n_toxic += 1  # feeding a troll sours the feeder twice
                            if raid_report(k_raid, i, r, report_rate):
                                n_reports += 1
                    # Mesa: Member.feel, Member.maybe_attend_event.
                    # 5. What they saw changes how they feel.
                    s += P[L.P_CONTENT_JOY] * min(n_post, 10) + P[L.P_LEVER_CONTENT_JOY] * Z[T.Z_CONTENT]
                    s -= P[L.P_TOXIC_HARM] * n_toxic + P[L.P_SPAM_HARM] * n_spam
                    s -= P[L.P_COMPLAINT_HARM] * n_compl
                    exposure += T.NORM_SMOOTHING * n_toxic
                    if Z[T.Z_P_EVENT] > 0.0 and uniform(k_event, i) < Z[T.Z_P_EVENT]:
                        g += P[L.P_EVENT_BOOST]
                        s += T.EVENT_SAT * P[L.P_EVENT_BOOST]
                    # Mesa: Member.write, Member.count_contributions.
                    # 6. Complain, or post: toxic (situational trolling), a question, or a post.
                    posted = False
                    if (
                        s < P[L.P_COMPLAINT_THRESHOLD]
                        and i_cday[iu] < 0
                        and uniform(k_complain, i) < P[L.P_COMPLAINT_RATE] * Z[T.Z_COMPLAINT_MULT]
                    ):
                        i_cday[iu] = d
                        b_cans[iu] = 0
                        pc[T.K_COMPL] += 1.0
                        posted = True
                    elif uniform(k_post, i) < P[L.P_POST_RATE] * activity * g:
                        posted = True
                        p_toxic = P[L.P_TROLL_BASE_RATE] * f_temper[iu] / temper_mean
                        if s < P[L.P_MOOD_THRESHOLD]:
                            p_toxic *= P[L.P_MOOD_BOOST]
                        if n_toxic > 0:
                            p_toxic *= P[L.P_CONTEXT_BOOST]
                        p_toxic *= 1.0 + P[L.P_NORM_GAIN] * exposure
                        p_toxic *= 1.0 - Z[T.Z_NORM]  # norms the moderators make visible
                        if uniform(k_toxic, i) < p_toxic:
                            a |= L.A_HIDDEN if uniform2(k_detect, i, 1) < Z[T.Z_P_QUICK] else L.A_TOXIC
                            pc[T.K_TOXIC] += 1.0
                            pc[T.K_TOXIC_MEM] += 1.0
                            i_toxic[iu] += 1
                            if uniform(k_convert, i) < P[L.P_CONVERSION]:
                                b_role[iu] = L.TROLL
                        elif i_qday[iu] < 0 and uniform(k_kind, i) < P[L.P_QUESTION_SHARE]:
                            i_qday[iu] = d
                            b_qans[iu] = 0
                            pc[T.K_QUESTIONS] += 1.0
                        else:
                            a |= L.A_POSTED
                    if posted:
                        n_posts += 1
                        # (the approval queue's load; a member's post it holds is approved)
                        n_new_posts += (i_posts[iu] == 0) & (i_join[iu] >= 0)
                        if i_first_post[iu] < 0 and i_join[iu] >= 0:
                            i_first_post[iu] = d
                            b_fp[iu] = L.FP_OPEN
                            pc[T.K_FIRST] += 1.0
                    n_replies += n_out
                    n_contrib = n_out + (1 if posted else 0)
                    if n_contrib > 0:
                        i_posts[iu] += n_contrib
                        fp = i_first_post[iu]
                        if fp >= 0 and fp < d and i_second_post[iu] < 0:
                            i_second_post[iu] = d
                s = min(max(s, 0.0), 1.0)
                f_sat[iu] = s
                f_eng[iu] = min(max(g, 0.05), 3.0)
                f_exposure[iu] = exposure
                u_act_cur[iu] = a
                # Mesa: Member.leave_or_lapse.
                # 7. Leave (unhappy members leave sooner) or lapse after a long absence.
                if leaves(k_churn, i, s, churn_base, churn_unhappy, churn_mult):
                    b_status[iu] = L.LEFT
                    n_left += 1
                elif d - i_last_visit[iu] >= lapse_days:
                    b_status[iu] = L.LAPSED
                else:  # still satisfied after phase 2, which only raises s (counted without a branch)
                    n_satisfied += (s >= base) & (b_role[iu] < L.TROLL)
            elif st == L.LAPSED:
                # Mesa: Member.stay_away_or_come_back.
                # (Sorted ahead, sort_batch has finished its day from its count of contacts who
                # posted, comebacks.count_posters, unless the count saturated: then it is listed
                # to read its row, sort_batch having drawn whether it leaves. The plain pass
                # reads every row: the reference the counts are tested against.)
                if not ahead:
                    u_act_cur[iu] = 0
                    if uniform(k_lapsed, i) < p_lapsed_leave:
                        b_status[iu] = L.LEFT
                        n_left += 1
                        continue
                # Re-engagement: every contact who posted yesterday may bring them back.
                n_active = 0
                e0 = indptr[iu]
                for e in range(e0, e0 + deg[iu]):
                    if u_act_prev[np.uint64(indices[np.uint64(e)])] & POSTED:
                        n_active += 1
                if n_active > 0:
                    if uniform(k_reengage, i) < comeback_chance(P[L.P_REENGAGEMENT], n_active):
                        b_status[iu] = L.ACTIVE
                        i_last_visit[iu] = d
                        f_eng[iu] = 1.0
                        pc[T.K_REENGAGED] += 1.0
            elif st != L.EMPTY:
                u_act_cur[iu] = 0
        if not ahead:  # (sorted ahead, sort_batch clears the counts it read)
            for i in range(b0, min(b0 + BATCH, hi)):
                u_posters[np.uint64(i)] = 0
    pc[T.K_REENGAGED] += n_back
    pc[T.K_VISITS] += n_visits
    pc[T.K_POSTS] += n_posts
    pc[T.K_REPLIES] += n_replies
    pc[T.K_PEER_ANS] += n_answers
    pc[T.K_EXPERTISE] += n_expertise
    pc[T.K_SAT_FLOOR] += n_satisfied
    pc[T.K_CHURNED] += n_left
    pc[T.K_REPORTS] += n_reports
    pc[T.K_RAID_POSTS] += n_raid_posts
    pc[T.K_RAID_READS] += n_raid_reads
    pc[T.K_NEW_POSTS] += n_new_posts
