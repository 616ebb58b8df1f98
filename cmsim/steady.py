"""The steady start: the scalars that place a community's day-0 members at its steady state.

A run starts from the community as it is today, under the strategy it has been managed with
(``manager.current_strategy``, ``balanced`` by default), with the scenario's events off: members
who joined over the past years, some of them lapsed, each last seen when its own visiting rate
says, and trolls and spammers at the count that their arrivals and moderation keep. The manager
starts as the scenario says (stress, no know-how): only the community is at its steady state.

:func:`start_scalars` computes, once per run, the few numbers that the compiled
:func:`cmsim._kernels.members.initial_member` needs (``layout.ST_*``); both engines call both, so
they place the same members. ``docs/model.md`` ("The steady start") states the rules and shows
that week 1 and week 20 of a run agree within seed noise.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from cmsim._kernels import layout as L
from cmsim._kernels import tally as T
from cmsim._kernels.levers import manager_levers, saturation
from cmsim._kernels.members import RATE_EXPERTISE, RATE_POSTS, RATE_TOXIC, start_rates
from cmsim.plan import Plan
from cmsim.strategies import observe

__all__ = ["start_scalars", "start_hours", "shown_per_post", "MIN_REMOVAL", "MAX_TENURE_DAYS"]

#: The least daily chance that a troll or spammer is removed when the count is drawn (with no
#: moderation at all a bad actor stays a year on average, rather than for ever).
MIN_REMOVAL = 1.0 / 90.0
#: The oldest tenure an initial member is drawn with (days); members whose expected stay is
#: shorter are drawn up to four expected stays back.
MAX_TENURE_DAYS = 3650
#: Initial members (slots ``0..EXPOSURE_SAMPLE-1`` of seed ``EXPOSURE_SEED``) whose toxic posts
#: give the exposure of the start, and the rounds of its fixed point (the start depends on the
#: scenario only through them, not on the run's seed).
EXPOSURE_SAMPLE = 2048
EXPOSURE_SEED = 0
EXPOSURE_ROUNDS = 8
#: Points of the quadrature over members' activity (lognormal) for the daily share who post.
_QUADRATURE = 64


def start_hours(values: Mapping[str, Any]) -> np.ndarray:
    """Hours per lever (``float64[8]``) of the current strategy in its first week (day 0, nothing
    observed yet), for the scenario's budget."""
    budget = float(values["manager.count"]) * float(values["manager.hours"])
    plan = Plan(str(values["manager.current_strategy"]), [], budget)
    plan.start_day(0, lambda: observe(np.zeros((0, L.N_OUT)), 0, budget))
    return plan.hours.copy()


def _initial_manager(P: np.ndarray) -> np.ndarray:
    M = np.zeros(L.N_M)
    M[L.M_PRESENT] = 1.0 if P[L.P_MGR_COUNT] > 0 else 0.0
    M[L.M_STRESS] = P[L.P_INITIAL_STRESS]
    return M


def _steady_count(arrivals: float, post_rate: float, detect: float, returns: float, gives_up: float) -> float:
    """Bad actors present when ``arrivals`` a day meet removal at ``post_rate * detect`` a day
    (a share ``returns`` of those removed coming back) and give up at ``gives_up`` a day."""
    removal = max(post_rate * detect * (1.0 - returns) + gives_up, MIN_REMOVAL)
    return arrivals / removal


def start_scalars(values: Mapping[str, Any], P: np.ndarray) -> np.ndarray:
    """The scalars of the steady start (``float64[layout.N_ST]``) of a validated scenario's
    ``values`` and packed parameters ``P`` (computed once per scenario and process: a fresh copy
    of the remembered result after that; see :func:`_start_scalars`)."""
    key = (
        np.ascontiguousarray(P, dtype=np.float64).tobytes(),
        str(values["manager.current_strategy"]),
        float(values["manager.count"]),
        float(values["manager.hours"]),
        float(values["graph.mean_degree"]),
    )
    S = _START_CACHE.get(key)
    if S is None:
        if len(_START_CACHE) >= _CACHE_SIZE:
            _START_CACHE.pop(next(iter(_START_CACHE)))
        S = _START_CACHE[key] = _start_scalars(values, np.asarray(P, dtype=np.float64))
    return S.copy()


#: Remembered starts (the exposure's fixed point costs tens of milliseconds), oldest dropped first.
_START_CACHE: dict[tuple, np.ndarray] = {}
_CACHE_SIZE = 64


def _start_scalars(values: Mapping[str, Any], P: np.ndarray) -> np.ndarray:
    """The scalars of the steady start (:func:`start_scalars`, without the cache).

    - trolls (spammers): ``trolls.initial_share`` plus the steady count, arrivals per day over
      the daily chance one is removed: it posts (``post_rate``) and moderation catches the post
      (``levers.detection`` times the share of the day's offending posts the current strategy's
      moderation capacity reviews), less the removed trolls who come back (``trolls.comeback``),
      plus those who give up (``trolls.give_up``, as if no troll were fed; ``spam.give_up``); only
      the spam the platform's filter lets through (``spam.filter``) is seen and moderated (reports
      are left out: the count is a little high where members report much);
    - the visit multiplier: reach and the current strategy's content;
    - the daily chance a lapsed member comes back: each contact who posted the day before
      brings it back with chance ``dynamics.reengagement``, with ``graph.mean_degree`` contacts
      posting at the mean daily rate of members at their baseline (the community's mean: the
      first draw of each member's past; :func:`cmsim._kernels.members.start_comebacks` then
      gives each member the chance its own contacts give it);
    - the engagement events bring: a visit's chance to attend (``levers.event_reach`` times the
      current strategy's events) times ``levers.event_boost``, over ``dynamics.engagement_drift``
      (:func:`cmsim._kernels.members.steady_engagement` balances it for each member);
    - the chance a newcomer was welcomed in its first week: the current strategy's welcoming
      capacity over the newcomers waiting (acquisition, and word of mouth from half the members);
    - the oldest tenure: four expected stays of a member at its baseline (at most
      ``MAX_TENURE_DAYS``);
    - the chance moderation catches an ordinary member's toxic post (removed the day it is
      posted, or reviewed the next day) and the chance a post is toxic per unit of temper
      (``trolls.base_rate`` over ``members.temper_mean``, ``trolls.mood_boost`` when the
      initial satisfaction is below ``trolls.mood_threshold``): the warnings of each initial
      member's past are replayed with them, and its conversions to troll (``trolls.conversion``
      a toxic post; a past that turned is drawn again) (:func:`cmsim._kernels.members.warned_temper`);
    - the toxic posts a visit sees: ``graph.mean_degree`` contacts, each posting toxic posts
      that stay up (trolls at their steady count; ordinary members at their warned tempers and
      their own exposure, over a sample of ``EXPOSURE_SAMPLE`` initial members of seed
      ``EXPOSURE_SEED``), to a fixed point in ``EXPOSURE_ROUNDS`` rounds. A member's exposure
      starts at its visit chance times it (a visit a day adds what it sees, faded by
      ``NORM_SMOOTHING``).
    """
    H = start_hours(values)
    E, mod_cap, resp_cap, content, welcome_cap, event, target, *_ = manager_levers(P, _initial_manager(P), H)
    n = float(P[L.P_INITIAL_MEMBERS])
    per_k = n / 1000.0
    trolls_in = P[L.P_TROLL_ARRIVAL] * per_k
    spam_in = P[L.P_SPAM_ARRIVAL] * per_k
    trolls = spam = 0.0
    detect = 0.0
    for _ in range(50):  # the offending load and the share moderation reviews, to a fixed point
        spam_shown = P[L.P_SPAM_POST_RATE] * (1.0 - P[L.P_SPAM_FILTER])
        load = max(1.0, trolls * P[L.P_TROLL_POST_RATE] + spam * spam_shown)
        detect = P[L.P_DETECTION] * min(1.0, mod_cap * target / load)
        trolls = _steady_count(
            trolls_in, P[L.P_TROLL_POST_RATE], detect, P[L.P_COMEBACK], P[L.P_TROLL_GIVE_UP]
        )
        spam = _steady_count(spam_in, spam_shown, detect, 0.0, P[L.P_SPAM_GIVE_UP])
    S = np.zeros(L.N_ST)
    S[L.ST_TROLL_SHARE] = min(0.5, P[L.P_TROLL_INITIAL] + trolls / n)
    S[L.ST_SPAM_SHARE] = min(0.5, P[L.P_SPAM_INITIAL] + spam / n)
    # A member's toxic post is removed the day it is posted (then its author is reviewed for
    # sure) or reviewed the next day; either way a catch is a warning.
    quick = detect * saturation(H[0] * E, P[L.P_QUICK_REVIEW_SCALE])
    S[L.ST_CAUGHT] = quick + (1.0 - quick) * detect
    s0 = P[L.P_INITIAL_SAT]
    mood = P[L.P_MOOD_BOOST] if s0 < P[L.P_MOOD_THRESHOLD] else 1.0
    S[L.ST_TOXIC_RATE] = P[L.P_TROLL_BASE_RATE] / max(P[L.P_TEMPER_MEAN], 1e-9) * mood
    vm = P[L.P_REACH] * (1.0 + P[L.P_CONTENT_VISITS] * content)
    S[L.ST_VISIT_MULT] = vm
    # Events: each visit's chance to attend, times the engagement it brings, over the daily drift.
    p_event = min(1.0, P[L.P_EVENT_REACH] * event)
    drift = P[L.P_ENGAGEMENT_DRIFT]
    S[L.ST_EVENT_GAIN] = p_event * P[L.P_EVENT_BOOST] / drift if drift > 0 else 0.0
    # Welcoming: newcomers a day (acquisition, and word of mouth from the members at their
    # baseline, half of them satisfied), each greeted in its first week while capacity lasts.
    joins = P[L.P_ACQUISITION] * n
    if P[L.P_MEMBERSHIP_GIVEN] == 0.0:
        joins = (joins + P[L.P_WORD_OF_MOUTH] * 0.5 * n) * P[L.P_REACH]
    p_day = 0.0
    for _ in range(50):
        waiting = joins * sum((1.0 - p_day) ** k for k in range(T.WELCOME_DAYS))
        p_day = min(1.0, welcome_cap / max(1.0, waiting))
    S[L.ST_WELCOMED] = 1.0 - (1.0 - p_day) ** T.WELCOME_DAYS
    # Daily share of members who post: visit chance times posts a visit, over the lognormal activity
    # (the comeback chance's first guess; the exposure's rounds below refine it).
    z = (np.arange(_QUADRATURE) + 0.5) / _QUADRATURE
    from statistics import NormalDist

    a = np.exp(P[L.P_ACTIVITY_SIGMA] * np.array([NormalDist().inv_cdf(float(q)) for q in z]))
    visit = np.minimum(P[L.P_VISIT_RATE] * a * (0.5 + s0) * vm, T.MAX_VISIT)
    posting = float(np.mean(visit * np.minimum(1.0, P[L.P_POST_RATE] * a)))
    contacts = float(values["graph.mean_degree"]) * posting
    S[L.ST_REENGAGE] = 1.0 - (1.0 - P[L.P_REENGAGEMENT]) ** contacts
    churn = P[L.P_CHURN_BASE] + P[L.P_CHURN_UNHAPPY] * (1.0 - s0) ** 2
    S[L.ST_MAX_AGE] = min(float(MAX_TENURE_DAYS), 4.0 / churn) if churn > 0 else float(MAX_TENURE_DAYS)
    S[L.ST_MAX_AGE] = max(1.0, math.floor(S[L.ST_MAX_AGE]))
    # Exposure: the toxic posts a visit sees, from the trolls and from the members drawn with it
    # (their tempers warned, their posts boosted by it), to a fixed point; what moderation
    # removes the day it is posted is seen by no one.
    # Members who troll turn trolls (trolls.conversion a toxic post): they join the arrivals.
    degree = float(values["graph.mean_degree"])
    for _ in range(EXPOSURE_ROUNDS):
        rates = start_rates(EXPOSURE_SEED, EXPOSURE_SAMPLE, P, S)
        members_out = rates[RATE_TOXIC]
        converted = P[L.P_CONVERSION] * members_out * n
        trolls = _steady_count(
            trolls_in + converted, P[L.P_TROLL_POST_RATE], detect, P[L.P_COMEBACK], P[L.P_TROLL_GIVE_UP]
        )
        S[L.ST_TROLL_SHARE] = min(0.5, P[L.P_TROLL_INITIAL] + trolls / n)
        trolls_out = S[L.ST_TROLL_SHARE] * P[L.P_TROLL_POST_RATE]
        S[L.ST_EXPOSURE] = degree * (trolls_out + members_out) * (1.0 - quick)
        # Comebacks: what a contact shows, its posts less the toxic ones, each for the days it shows.
        S[L.ST_SHOWN] = shown_per_post(P, n, degree, rates[RATE_POSTS], rates[RATE_EXPERTISE], resp_cap)
        S[L.ST_REENGAGE] = 1.0 - (1.0 - P[L.P_REENGAGEMENT]) ** (degree * rates[RATE_POSTS] * S[L.ST_SHOWN])
    return S


def shown_per_post(
    P: np.ndarray, n: float, degree: float, posts: float, expertise: float, capacity: float
) -> float:
    """Days a member's non-toxic post shows to its contacts, on average per post (``S[ST_SHOWN]``).

    A lapsed member comes back on what its contacts showed the day before (``act_chunk``): an
    ordinary post (one day) or a question while it is open. A question (``members.question_share``
    of the posts) shows at the end of each day it is still open, until ``dynamics.open_days``:
    the day it is asked the front page's readers answer it with chance ``1 - exp(-lam)``, ``lam =
    dynamics.front_page * dynamics.answer_rate * expertise * n / questions`` (as
    ``levers.day_scalars``), on later days the asker's contacts who visit, with ``1 - exp(-answer_rate
    * degree * expertise)``; the manager answers those waiting ``levers.responding_wait`` days or
    more with chance ``capacity / waiting`` and earlier ones with what capacity the waiting leave,
    over the day's questions (``waiting`` to a fixed point; complaints left out).

    Parameters
    ----------
    P : float64[N_PARAMS]
        Packed parameters.
    n, degree : float
        Members, and contacts a member has.
    posts, expertise : float
        Per member a day: non-toxic posts, and visits times expertise (``members.start_rates``).
    capacity : float
        Questions the manager answers a day (``levers.manager_levers``'s third).

    Returns
    -------
    float
        ``1 - question_share + question_share * days``, ``days`` the days a question shows.

    Examples
    --------
    >>> from cmsim._kernels import layout as L
    >>> P = np.zeros(L.N_PARAMS); P[L.P_QUESTION_SHARE] = 0.5; P[L.P_OPEN_DAYS] = 10
    >>> shown_per_post(P, 1000, 8, 0.01, 0.0, 0.0)  # nobody answers: a question shows 10 days
    5.5
    >>> P[L.P_FRONT_PAGE] = P[L.P_ANSWER_RATE] = 1e9
    >>> shown_per_post(P, 1000, 8, 0.01, 1.0, 0.0)  # the front page answers each the day it is asked
    0.5
    """
    share = P[L.P_QUESTION_SHARE]
    questions = max(1.0, n * posts * share)
    p_front = 1.0 - math.exp(-P[L.P_FRONT_PAGE] * P[L.P_ANSWER_RATE] * expertise * n / questions)
    p_contacts = 1.0 - math.exp(-P[L.P_ANSWER_RATE] * degree * expertise)
    wait = P[L.P_RESPONDING_WAIT]
    waiting = days = 0.0
    for _ in range(50):
        p_waiting = min(1.0, capacity / max(1.0, waiting))
        p_early = min(1.0, max(0.0, capacity - waiting) / questions)
        still, days, mine = 1.0, 0.0, 0.0
        for k in range(math.ceil(P[L.P_OPEN_DAYS])):
            if k >= wait:
                mine += still
            peers = p_front if k == 0 else p_contacts
            still *= (1.0 - peers) * (1.0 - (p_waiting if k >= wait else p_early))
            days += still
        waiting = questions * mine
    return float(1.0 - share + share * days)
