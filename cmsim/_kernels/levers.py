"""The manager's levers and the day's scalars (compiled): capacity that follows hours, shares of
saturation, effectiveness, reach after algorithm changes. See ``docs/model.md``, "The manager's
levers".

:func:`throughput` and :func:`saturation` are the two lever curves; they are written once, here,
and the Mesa engine calls the same Python functions (``throughput.py_func``,
``saturation.py_func``), so both engines use one formula.
"""

from __future__ import annotations

import math

from cmsim._kernels import layout as L
from cmsim._kernels import njit
from cmsim._kernels import tally as T


@njit(cache=True)
def saturation(hours, scale):
    """Share of a lever's full effect reached with ``hours`` a week: ``1 - exp(-hours / scale)``.

    For the levers whose effect is a share (content, events, analytics, learning, self-care).
    """
    if hours <= 0.0:
        return 0.0
    return 1.0 - math.exp(-hours / scale)


@njit(cache=True)
def throughput(hours, rate, scale):
    """Items a week that ``hours`` a week of the whole team get done: ``rate * scale * ln(1 + hours / scale)``.

    For the capacity levers (moderation, responding, welcoming, outreach). The first hour gets
    about ``rate`` items done (the quick, obvious ones first), the hour after ``h`` hours
    ``rate / (1 + h / scale)``: diminishing returns, but no ceiling that hours cannot move. It
    depends on the team's hours only, not on how many people share them.

    Examples
    --------
    >>> round(throughput.py_func(20.0, 6.0, 20.0), 6)  # 20 h at 6 items/hour, halved at 20 h
    83.177662
    """
    if hours <= 0.0:
        return 0.0
    return rate * scale * math.log(1.0 + hours / scale)


@njit(cache=True)
def spare_hours(hours, cap, load):
    """Hours of a capacity lever that its load leaves: ``hours * max(0, cap - load) / cap``.

    Examples
    --------
    >>> spare_hours.py_func(10.0, 8.0, 2.0)  # a quarter of the capacity is used: 7.5 of 10 hours left
    7.5
    """
    if cap <= 0.0:
        return 0.0
    return hours * max(0.0, cap - load) / cap


@njit(cache=True)
def approval_queue(mod_cap, reviews, new_posts, cost):
    """The approval queue for new accounts: ``(coverage, load)``.

    ``coverage`` is the chance a post by an account with no published contribution yet goes
    through the queue today, ``min(1, spare / cost / max(1, new_posts))``, where ``spare =
    max(0, mod_cap - reviews)`` is the moderation capacity (items a day) that the reviews leave
    and ``cost`` a queue item's cost in reviews; ``load`` is the capacity the queue uses,
    ``cost * min(new_posts, spare / cost)`` (what visible norms cannot use).

    Examples
    --------
    >>> approval_queue.py_func(30.0, 10.0, 80.0, 0.5)  # 20 spare reviews = 40 queue items, of 80
    (0.5, 20.0)
    >>> approval_queue.py_func(30.0, 10.0, 10.0, 0.5)  # all 10 held, at the cost of 5 reviews
    (1.0, 5.0)
    """
    spare = max(0.0, mod_cap - reviews)
    if spare <= 0.0 or cost <= 0.0:
        return 0.0, 0.0
    items = spare / cost
    return min(1.0, items / max(1.0, new_posts)), cost * min(new_posts, items)


@njit(cache=True)
def manager_levers(P, M, H):
    """Scalar lever effects for today from the week's hours ``H`` and the manager state ``M``.

    Returns ``(E, mod_cap, resp_cap, content, welcome_cap, event, target, learn, self_care,
    outreach_cap)``: ``E`` effectiveness (0 when no manager is in post, reduced by burnout);
    capacities in items per day (``welcome_cap`` and ``outreach_cap`` if all welcoming hours went
    to the one or the other); ``content``, ``event``, ``learn`` and ``self_care`` as shares of
    saturation in [0, 1); ``target`` the share of effort that analytics aims at the right members.

    Mesa: ``Manager.lever_effects`` (calls this function's Python version).
    """
    n = max(P[L.P_MGR_COUNT], 1.0)
    E = M[L.M_PRESENT]
    if M[L.M_BURNED_OUT] > 0.0:
        E *= P[L.P_BURNOUT_EFFECTIVENESS]
    s_cont = saturation(H[2], n * P[L.P_CONTENT_SCALE])
    s_ev = saturation(H[4], n * P[L.P_EVENTS_SCALE])
    s_an = saturation(H[5], n * P[L.P_ANALYTICS_SCALE])
    s_learn = saturation(H[6], n * P[L.P_LEARNING_SCALE])
    s_care = saturation(H[7], n * P[L.P_SELF_CARE_SCALE])
    mod_cap = throughput(H[0], P[L.P_MODERATION_RATE], P[L.P_MODERATION_SCALE]) * E / 7.0
    resp_cap = throughput(H[1], P[L.P_RESPONDING_RATE], P[L.P_RESPONDING_SCALE]) * E / 7.0
    welcome_cap = throughput(H[3], P[L.P_WELCOME_RATE], P[L.P_WELCOMING_SCALE]) * E / 7.0
    outreach_cap = throughput(H[3], P[L.P_OUTREACH_RATE], P[L.P_WELCOMING_SCALE]) * E / 7.0
    g = P[L.P_ANALYTICS_GAIN]
    target = (1.0 + g * s_an * E) / (1.0 + g)
    return E, mod_cap, resp_cap, s_cont * E, welcome_cap, s_ev * E, target, s_learn * E, s_care, outreach_cap


@njit(cache=True, nogil=True)
def day_scalars(d, P, TL, M, H, Z):
    """Fill ``Z`` with today's lever effects, event factors and reach; update the reach shock.

    Mesa: ``Manager.plan_day``.
    """
    E, mod_cap, resp_cap, content, welcome_cap, event, target, learn, care, outreach_cap = manager_levers(
        P, M, H
    )
    know = M[L.M_KNOW_HOW]
    # Moderation reviews the accounts members reported yesterday first, then yesterday's
    # offending posts with the hours left; analytics aims the search for the unreported ones.
    reported = M[L.M_LOAD_REPORTED]
    Z[T.Z_P_REPORTED] = P[L.P_DETECTION] * min(1.0, mod_cap / max(1.0, reported))
    load = max(1.0, M[L.M_LOAD_OFFENDING])
    Z[T.Z_P_DETECT] = P[L.P_DETECTION] * min(1.0, max(0.0, mod_cap - reported) * target / load)
    # The hours a moderator watches catch a share of offending posts the day they are posted,
    # before members read them (as many as the reviews keep up with).
    Z[T.Z_P_QUICK] = Z[T.Z_P_DETECT] * saturation(H[0] * E, P[L.P_QUICK_REVIEW_SCALE])
    # Capacity the reviews leave runs the approval queue first (cheap triage): it holds new
    # accounts' posts, each costing `queue_cost` reviews; the hours left after both make the norms
    # visible (rules restated, removals explained, moderators seen in threads): a share of
    # members' toxic posts is never written.
    reviews = reported + M[L.M_LOAD_OFFENDING]
    p_queue, queue_load = approval_queue(mod_cap, reviews, M[L.M_LOAD_NEW_POSTS], P[L.P_QUEUE_COST])
    Z[T.Z_P_QUEUE] = p_queue
    Z[T.Z_NORM] = P[L.P_NORM_MAX] * saturation(spare_hours(H[0] * E, mod_cap, reviews + queue_load),
                                                 P[L.P_NORM_SCALE])  # fmt: skip
    Z[T.Z_BAN] = TL[d, L.TL_BAN_WAVE]
    Z[T.Z_P_MGR] = min(1.0, resp_cap / max(1.0, M[L.M_LOAD_OPEN]))
    # Answering capacity the waiting questions leave answers today's new ones that peers left.
    Z[T.Z_P_MGR_NOW] = min(1.0, max(0.0, resp_cap - M[L.M_LOAD_OPEN]) / max(1.0, M[L.M_LOAD_QUESTIONS]))
    Z[T.Z_CONTENT] = content
    Z[T.Z_P_WELCOME] = min(1.0, welcome_cap / max(1.0, M[L.M_LOAD_NEWCOMERS]))
    # Welcoming hours greet newcomers first, then reply to their open first posts (a reply costs
    # FIRST_REPLY_COST greetings), then follow up with newcomers past their first week (one
    # greeting each); the share they leave goes to outreach.
    spare = 0.0
    if welcome_cap > 0.0:
        left = max(0.0, welcome_cap - M[L.M_LOAD_NEWCOMERS])
        replies = T.FIRST_REPLY_COST * M[L.M_LOAD_FIRST_POSTS]
        Z[T.Z_P_FP_REPLY] = min(1.0, left / max(T.FIRST_REPLY_COST, replies))
        left = max(0.0, left - replies)
        follow = T.FOLLOW_UP_COST * M[L.M_LOAD_FOLLOW_UPS]
        Z[T.Z_P_FOLLOW_UP] = min(1.0, left / max(T.FOLLOW_UP_COST, follow))
        spare = max(0.0, left - follow) / welcome_cap
    else:
        Z[T.Z_P_FP_REPLY] = 0.0
        Z[T.Z_P_FOLLOW_UP] = 0.0
    Z[T.Z_P_OUTREACH] = min(1.0, spare * outreach_cap * target / max(1.0, M[L.M_LOAD_AT_RISK]))
    if TL[d, L.TL_WELCOME_CAMPAIGN] > 0.0:
        Z[T.Z_P_WELCOME] = 1.0
        Z[T.Z_P_OUTREACH] = 1.0
    Z[T.Z_P_EVENT] = min(1.0, P[L.P_EVENT_REACH] * event + TL[d, L.TL_AMA])
    # Reach: algorithm changes cut it; the know-how the manager has today softens the cut (so a
    # manager who keeps learning adapts to a change that lasts) and speeds the recovery.
    tau = P[L.P_RECOVERY_DAYS] * (1.0 - T.LEARN_SPEED * know)
    shock = M[L.M_SHOCK] * math.exp(-1.0 / tau) + TL[d, L.TL_ALGO]
    M[L.M_SHOCK] = shock
    reach = (
        P[L.P_REACH] * (1.0 - min(shock * (1.0 - T.LEARN_SOFTEN * know), 1.0)) + TL[d, L.TL_CHANNEL] * know
    )
    Z[T.Z_REACH] = max(reach, 0.0)
    Z[T.Z_VISIT_MULT] = Z[T.Z_REACH] * TL[d, L.TL_SEASON] * (1.0 + P[L.P_CONTENT_VISITS] * content)
    Z[T.Z_COMPLAINT_MULT] = 3.0 if TL[d, L.TL_CRISIS] > 0.0 else 1.0
    Z[T.Z_SHOCK] = TL[d, L.TL_CRISIS_SHOCK]
    Z[T.Z_CHURN_MULT] = 1.0 + TL[d, L.TL_COMPETITOR]
    Z[T.Z_E] = E
    # A raid (raid.py): yesterday's raid posts left to read today, and how often one was read.
    Z[T.Z_RAID_POSTS] = M[L.M_RAID_POSTS]
    Z[T.Z_RAID_READS] = M[L.M_RAID_READS]
    # The front page: yesterday's visitors each read `front_page` of the questions asked that day;
    # a new question gets Poisson(lam) answers from them, so at least one with chance 1 - exp(-lam).
    expertise = M[L.M_LOAD_EXPERTISE] / T.FIXED_POINT
    lam = P[L.P_FRONT_PAGE] * P[L.P_ANSWER_RATE] * expertise / max(1.0, M[L.M_LOAD_QUESTIONS])
    Z[T.Z_FRONT_LAMBDA] = lam
    Z[T.Z_P_FRONT] = 1.0 - math.exp(-lam)


@njit(cache=True)
def front_answers(lam, u):
    """Answers a question answered from the front page gets: a Poisson(``lam``) count given at
    least one, drawn by inverting its distribution at ``u`` (uniform in [0, 1)); at most 50."""
    p = lam * math.exp(-lam) / (1.0 - math.exp(-lam))
    k = 1
    cum = p
    while u >= cum and k < 50:
        k += 1
        p *= lam / k
        cum += p
    return k
