"""Compiled creation of members: traits drawn from named streams keyed by (seed, day, slot).

Initial members use day ``-1``; a member joining on day ``d`` in slot ``i`` draws its traits
with day ``d`` and member ``i``, so both engines and every strategy give the same newcomer the
same traits. Member arrays are packed by dtype (``F``, ``B``, ``I``, ``U``; see ``layout``).
"""

from __future__ import annotations

import math

import numpy as np
from numba import prange

from cmsim._kernels import layout as L
from cmsim._kernels import njit
from cmsim._kernels import tally as T
from cmsim._kernels.rng import key, normal, uniform, uniform2


@njit("float64(int64, int64, int64, float64)", cache=True)
def draw_activity(seed, day, i, sigma):
    """The activity of :func:`draw_traits` alone (a rejected try at an initial member's past
    needs no other trait)."""
    return math.exp(sigma * normal(key(seed, L.S_TRAIT_ACTIVITY, day), i))


@njit("UniTuple(float64, 2)(int64, int64, int64, float64, float64, boolean)", cache=True)
def draw_expertise_temper(seed, day, i, expert_share, temper_mean, is_hub):
    """The expertise and temper of :func:`draw_traits` alone."""
    if is_hub or uniform(key(seed, L.S_TRAIT_EXPERT, day), i) < expert_share:
        expertise = 0.5 + 0.5 * uniform(key(seed, L.S_TRAIT_EXPERT2, day), i)
    else:
        expertise = 0.1 * uniform(key(seed, L.S_TRAIT_EXPERT2, day), i)
    t = -temper_mean * math.log(1.0 - uniform(key(seed, L.S_TRAIT_TEMPER, day), i))
    return expertise, t if t < 1.0 else 1.0


@njit("UniTuple(float64, 3)(int64, int64, int64, float64, float64, float64, boolean)", cache=True)
def draw_traits(seed, day, i, sigma, expert_share, temper_mean, is_hub):
    """Traits of the member in slot ``i`` created on ``day``.

    Returns ``(activity, expertise, temper)``: activity is lognormal with median 1 and log-sd
    ``sigma`` (heavy-tailed: participation inequality emerges from it); expertise is high
    (0.5-1) for experts (hubs of a customer graph, or a share ``expert_share``), low (0-0.1)
    otherwise; temper is exponential with mean ``temper_mean``, capped at 1. Each trait is its own
    stream's draw (:func:`draw_activity`, :func:`draw_expertise_temper`).
    """
    expertise, temper = draw_expertise_temper(seed, day, i, expert_share, temper_mean, is_hub)
    return draw_activity(seed, day, i, sigma), expertise, temper


#: A day count no draw reaches (a chance of 0).
NEVER = 1 << 40
#: Tries at an initial member's past before the last one is taken as it is (a try is redrawn when
#: the member would have left before day 0).
HISTORY_TRIES = 64
#: Draws of one try at a member's past (counters ``try * HISTORY_DRAWS + k`` of its stream).
HISTORY_DRAWS = 1 << 20
#: Rounds of :func:`start_comebacks`: each draws the members with the comeback chances the round
#: before gave them (the first with the community's mean) and gives each its contacts' posts. A
#: second round moved week 1's lapsed share by less than 0.003 in every scenario tried (internal,
#: customer, social media, forum; 10 seeds) at twice the cost.
COMEBACK_ROUNDS = 1  # (start_step assumes one)


@njit("float64(float64)", cache=True)
def log_fail(p):
    """``log(1 - p)`` for ``0 < p < 1`` as :func:`geometric` divides by it (``-p`` where ``1 - p``
    rounds to 1, below 1e-16): worked out once for many draws with the same ``p``."""
    den = math.log(1.0 - p)
    return -p if den == 0.0 else den


@njit("int64(float64, float64)", cache=True)
def geometric_by(u, den):
    """:func:`geometric` for ``0 < p < 1`` given ``den = log_fail(p)`` (the same result)."""
    g = 1.0 + math.floor(math.log(1.0 - u) / den)
    return int(g) if g < NEVER else NEVER


@njit("int64(float64, float64)", cache=True)
def geometric(u, p):
    """Days (>= 1) until the first success of a daily chance ``p``, from a uniform ``u``
    (``NEVER`` when ``p <= 0``)."""
    if p <= 0.0:
        return NEVER
    if p >= 1.0:
        return 1
    return geometric_by(u, log_fail(p))


@njit("float64(float64, float64)", cache=True)
def steady_engagement(base, gain):
    """Engagement at which a member's drift towards 1 balances the events it attends: ``g = 1 +
    gain * visit(g)`` with ``visit(g) = min(base * g, MAX_VISIT)`` (``base``: its visit chance at
    engagement 1; ``gain``: ``S[ST_EVENT_GAIN]``), at most 3."""
    if gain <= 0.0:
        return 1.0
    if base * gain < 1.0:
        g = 1.0 / (1.0 - base * gain)
        if base * g <= T.MAX_VISIT:
            return min(g, 3.0)
    return min(1.0 + T.MAX_VISIT * gain, 3.0)


@njit("float64(float64, float64, float64)", cache=True)
def warned(temper, warning, floor):
    """Temper after a warning: ``temper * warning``, but not below ``floor`` (a temper already
    below it stays as it is): warnings deter, they do not make a member norm-proof.

    Examples
    --------
    >>> warned.py_func(0.4, 0.5, 0.12), warned.py_func(0.2, 0.5, 0.12), warned.py_func(0.1, 0.5, 0.12)
    (0.2, 0.12, 0.1)
    """
    return max(temper * warning, min(temper, floor))


#: Draws of one try at a member's past warnings (:func:`warned_temper`): the ``n``-th toxic post
#: that counted (a warning or a conversion) at counter ``c + n``, which of the two at ``c + PAST_WHICH + n``.
PAST_WHICH = 1 << 19


@njit(
    "Tuple((float64, boolean))(int64, int64, int64, float64, int64, float64, float64, float64, float64, float64,"
    " float64)",
    cache=True,
)
def warned_temper(seed, i, c, temper, visits, post, toxic_rate, caught, warning, floor, conversion):
    """Temper of initial member ``i`` after the warnings of its past, and whether it turned troll
    in it: on each of its ``visits`` it posts with chance ``post``, the post is toxic with chance
    ``min(1, toxic_rate * temper)``; a toxic post turns its author troll with chance
    ``conversion`` (``trolls.conversion``: the member is gone), else moderation catches it with
    chance ``caught`` and multiplies the temper by ``warning`` (``trolls.warning``;
    :func:`warned`: not below ``floor``), so the next warning comes later. The visits until the
    next toxic post that counts (a conversion or a warning) are geometric (draw ``c + n`` of
    stream ``S_HISTORY``, day -2, for the ``n``-th; which of the two, draw ``c + PAST_WHICH + n``);
    at the floor only conversions change anything: one draw (``c + PAST_WHICH - 1``) for the
    visits left. ``c``: the first counter of the try at the member's past (``try * HISTORY_DRAWS``).

    Returns ``(temper, turned)``."""
    kw = key(seed, L.S_HISTORY, -2)
    left = visits
    turn = conversion / (conversion + (1.0 - conversion) * caught) if conversion + caught > 0.0 else 0.0
    for n in range(visits):  # (at most one toxic post a visit)
        toxic = post * min(1.0, toxic_rate * temper)
        g = geometric(uniform2(kw, i, c + n), toxic * (conversion + (1.0 - conversion) * caught))
        if g > left:
            break
        left -= g
        if uniform2(kw, i, c + PAST_WHICH + n) < turn:
            return temper, True
        t = warned(temper, warning, floor)
        if t == temper:  # at the floor: later warnings change nothing; a conversion still may come
            return temper, geometric(uniform2(kw, i, c + PAST_WHICH - 1), toxic * conversion) <= left
        temper = t
    return temper, False


@njit("float64(float64, float64, float64[::1], float64[::1])", cache=True)
def toxic_rate(temper, exposure, P, S):
    """Chance a post of an ordinary member with ``temper`` and ``exposure`` is toxic at the steady
    state (before the cap at 1): ``S[ST_TOXIC_RATE]`` (base rate over the mean temper, mood)
    times the context boost on the share of visits that see a toxic post (``S[ST_EXPOSURE]``
    seen a visit, Poisson) times the norm's ``1 + trolls.norm_gain * exposure``."""
    seen = S[L.ST_EXPOSURE]
    context = 1.0 + (P[L.P_CONTEXT_BOOST] - 1.0) * (1.0 - math.exp(-seen))
    return S[L.ST_TOXIC_RATE] * temper * context * (1.0 + P[L.P_NORM_GAIN] * exposure)


@njit("UniTuple(int64, 5)()", cache=True)
def no_resume():
    """The resume point of a past that did not read ``back`` (:func:`_initial_member`), typed as
    the resume points a draw returns (a global tuple is typed by its literal values: a second
    compiled copy of :func:`_initial_member`)."""
    return (0, -1, 0, 0, 0)


#: :func:`no_resume` for callers in Python.
NO_RESUME = no_resume()


@njit(cache=True)
def _initial_member(seed, i, is_hub, P, S, back, resume):
    """:func:`initial_member_at`, and where its past first read ``back``.

    Returns the member (as :func:`initial_member_at`) and ``(try, k, since, last, seen)``: the
    try at the past and the state in which it first began a lapsed spell (``k = -1``: the past
    never lapsed, so it is the same whatever ``back``). Given that point as ``resume``, the draw
    starts there: every earlier try ended without reading ``back``, and so did that try up to
    there, so the member is the one a draw from the start would give with this ``back``
    (:func:`start_again` draws again only from there). ``NO_RESUME``: from the start."""
    kr = key(seed, L.S_TRAIT_ROLE, -1)
    u = uniform(kr, i)
    sigma, xs, tm = P[L.P_ACTIVITY_SIGMA], P[L.P_EXPERT_SHARE], P[L.P_TEMPER_MEAN]
    if u < S[L.ST_TROLL_SHARE] + S[L.ST_SPAM_SHARE]:
        role = L.TROLL if u < S[L.ST_TROLL_SHARE] else L.SPAMMER
        a, x, t = draw_traits(seed, -1, i, sigma, xs, tm, is_hub)
        join = -1 - int(30.0 * uniform(kr, i + (1 << 40)))
        return (role, join, -1, L.ACTIVE, a, x, t, 1.0, 0.0), no_resume()
    kh = key(seed, L.S_HISTORY, -1)
    first = no_resume()  # where the past first read ``back`` (a lapsed spell)
    s0 = P[L.P_INITIAL_SAT]
    churn = P[L.P_CHURN_BASE] + P[L.P_CHURN_UNHAPPY] * (1.0 - s0) * (1.0 - s0)
    leave = P[L.P_LAPSED_LEAVE]
    lapse = math.ceil(P[L.P_LAPSE_DAYS])
    join, last, status, since = -1, -1, L.ACTIVE, -1
    a, x, t, eng, p, exposure = 1.0, 0.0, 0.0, 1.0, 0.0, 0.0
    seen = 0
    for attempt in range(resume[0], HISTORY_TRIES):
        # (the first try keeps the member's own trait draws; later tries draw new members; a try
        # that ends before day 0 needs its activity only)
        slot = i + attempt * (1 << 32)
        a = draw_activity(seed, -1, slot, sigma)
        base = P[L.P_VISIT_RATE] * a * (0.5 + s0) * S[L.ST_VISIT_MULT]
        eng = steady_engagement(base, S[L.ST_EVENT_GAIN])
        c = attempt * HISTORY_DRAWS
        join = -1 - int(S[L.ST_MAX_AGE] * uniform2(kh, i, c))
        last = join
        status = L.ACTIVE
        gone = last + geometric(uniform2(kh, i, c + 1), churn)
        if uniform2(kh, i, c + 2) < S[L.ST_WELCOMED]:  # a welcome's lift, faded since
            fade = (1.0 - P[L.P_ENGAGEMENT_DRIFT]) ** (-1 - join)
            eng = min(eng * (1.0 + (P[L.P_WELCOME_BOOST] - 1.0) * fade), 3.0)
        p = min(base * eng, T.MAX_VISIT)
        den = log_fail(p) if 0.0 < p < 1.0 else 0.0  # (one log for the spell's many visit gaps)
        k = c + 3
        stays = False
        seen = 0  # visits before day 0
        if attempt == resume[0] and resume[1] >= 0:  # (the first lapse: ``gone`` is still this try's first)
            k, since, last, seen = resume[1], resume[2], resume[3], resume[4]
            status = L.LAPSED
        while k < c + HISTORY_DRAWS - 2:
            if status == L.ACTIVE:
                u = uniform2(kh, i, k)
                g = geometric(u, p) if den == 0.0 else geometric_by(u, den)
                k += 1
                nxt = last + g if g < lapse else last + lapse
                if gone < min(nxt, 0):
                    break  # left
                if nxt >= 0:
                    stays = True
                    break
                if g < lapse:
                    last = nxt
                    seen += 1
                else:
                    status = L.LAPSED
                    since = nxt
            else:
                if first[1] < 0:
                    first = (attempt, k, since, last, seen)
                out = geometric(uniform2(kh, i, k), leave)
                comes = geometric(uniform2(kh, i, k + 1), back)
                k += 2
                if since + min(out, comes) >= 0:
                    stays = True
                    break
                if out <= comes:
                    break  # left
                status = L.ACTIVE
                last = since + comes
                seen += 1
                gone = last + geometric(uniform2(kh, i, k), churn)
                k += 1
        if not stays and attempt < HISTORY_TRIES - 1:
            continue
        x, t = draw_expertise_temper(seed, -1, slot, xs, tm, is_hub)
        # Its past warnings lowered its temper, or it turned troll (gone: a new member is drawn).
        # Exposure: a visit a day with chance p, each seeing S[ST_EXPOSURE] toxic posts, faded by
        # NORM_SMOOTHING a day (a lapsed member's has faded away).
        exposure = p * S[L.ST_EXPOSURE]
        post = min(1.0, P[L.P_POST_RATE] * a * eng)
        t, turned = warned_temper(seed, i, c, t, seen, post, toxic_rate(1.0, exposure, P, S), S[L.ST_CAUGHT],
                                  P[L.P_WARNING], P[L.P_WARNING_FLOOR] * P[L.P_TEMPER_MEAN],
                                  P[L.P_CONVERSION])  # fmt: skip
        if not turned:
            break
    # (the last try is taken as it is)
    return (L.MEMBER, join, last, status, a, x, t, eng, exposure if status == L.ACTIVE else 0.0), first


@njit(
    "Tuple((int64, int64, int64, int64, float64, float64, float64, float64, float64))(int64, int64, boolean,"
    " float64[::1], float64[::1], float64)",
    cache=True,
)
def initial_member_at(seed, i, is_hub, P, S, back):
    """Role, join day, last visit, status and traits of initial member ``i``: the steady start.

    Returns ``(role, join, last, status, activity, expertise, temper, engagement, exposure)``. A troll with chance
    ``S[ST_TROLL_SHARE]``, else a spammer with chance ``S[ST_SPAM_SHARE]`` (their steady counts:
    ``cmsim.steady``); bad actors joined up to 30 days ago and were here yesterday. An ordinary
    member's past is replayed (stream ``S_HISTORY``, day -1): a tenure uniform in
    ``1..S[ST_MAX_AGE]`` days, then spells of activity, visiting on each day with the chance of a
    member at its baseline satisfaction (``S[ST_VISIT_MULT]``: the current strategy's reach and
    content) and its steady engagement (:func:`steady_engagement`, lifted by a welcome with chance
    ``S[ST_WELCOMED]``, faded over its tenure), lapsing after ``dynamics.lapse_days`` without a visit, leaving (``churn_base`` and
    ``churn_unhappy`` at the baseline while active; ``lapsed_leave`` while lapsed) or coming back
    (``back`` a day: :func:`start_comebacks`). A past that ends before day 0 is drawn again with new traits: members
    present on day 0 are those a steady inflow leaves (older, more active members more often).
    The member's temper is lowered by the warnings of its past visits (:func:`warned_temper`,
    ``S[ST_TOXIC_RATE]``, ``S[ST_CAUGHT]``): the frequent posters moderation has warned. Its
    exposure is its visit chance times the toxic posts a visit sees, ``S[ST_EXPOSURE]`` (0 if
    lapsed). Both engines call it (``CommunityModel._place_initial_members``).
    """
    return _initial_member(seed, i, is_hub, P, S, back, no_resume())[0]


@njit(
    "Tuple((int64, int64, int64, int64, float64, float64, float64, float64, float64))(int64, int64, boolean,"
    " float64[::1],"
    " float64[::1])",
    cache=True,
)
def initial_member(seed, i, is_hub, P, S):
    """:func:`initial_member_at` with the community's mean comeback chance ``S[ST_REENGAGE]``
    (members' pasts drawn on their own, before their contacts are known)."""
    return initial_member_at(seed, i, is_hub, P, S, S[L.ST_REENGAGE])


@njit(
    "void(int64, int64, float64, float64, float64, float64, int64, int64, int64, float64[::1], float32[:, ::1],"
    " int8[:, ::1], int32[:, ::1], uint8[:, ::1])",
    cache=True,
)
def place_member(
    i, role, activity, expertise, temper, engagement, join_day, last_visit, status, P, F, B, I, U
):
    """Fill slot ``i`` with a member of ``role``, these traits and ``engagement``, ``status``
    (active or lapsed), at the initial satisfaction."""
    F[L.F_ACTIVITY, i] = activity
    F[L.F_EXPERTISE, i] = expertise
    F[L.F_TEMPER, i] = temper
    F[L.F_SAT, i] = P[L.P_INITIAL_SAT]
    F[L.F_ENG, i] = engagement
    F[L.F_EXPOSURE, i] = 0.0
    for r in range(L.N_B):
        B[r, i] = 0
    B[L.B_STATUS, i] = status
    B[L.B_ROLE, i] = role
    for r in range(L.N_I):
        I[r, i] = -1
    I[L.I_POSTS, i] = 0
    I[L.I_TOXIC, i] = 0
    I[L.I_JOIN, i] = join_day
    I[L.I_LAST_VISIT, i] = last_visit
    for r in range(L.N_U):
        U[r, i] = 0


# (declared signatures: one compiled copy each, whatever constants callers pass; see ``rng``)
@njit(
    "void(int64, int64, int64, int64, boolean, int64, int64, float64[::1], float32[:, ::1], int8[:, ::1],"
    " int32[:, ::1], uint8[:, ::1])",
    cache=True,
)
def set_member(seed, day, i, role, is_hub, join_day, last_visit, P, F, B, I, U):
    """Fill slot ``i`` with a fresh active member of ``role`` (traits drawn for ``day``, ``i``)."""
    a, x, t = draw_traits(
        seed, day, i, P[L.P_ACTIVITY_SIGMA], P[L.P_EXPERT_SHARE], P[L.P_TEMPER_MEAN], is_hub
    )
    place_member(i, role, a, x, t, 1.0, join_day, last_visit, L.ACTIVE, P, F, B, I, U)


@njit(cache=True)
def init_members(seed, n, n_hubs, P, S, F, B, I, U, lo=0, hi=-1, back=None):
    """Create the ``n`` initial members (slots ``0..n-1``; or only ``lo..hi-1`` of them) at the
    steady start (:func:`initial_member_at`; ``S``: ``cmsim.steady.start_scalars``; ``back``:
    each member's daily comeback chance, :func:`start_comebacks`, else ``S[ST_REENGAGE]`` for
    all); the first ``n_hubs`` members are experts (customer hubs)."""
    for i in range(lo, n if hi < 0 else hi):
        b = S[L.ST_REENGAGE] if back is None else back[i]
        role, join, last, status, a, x, t, g, e = initial_member_at(seed, i, i < n_hubs, P, S, b)
        place_member(i, role, a, x, t, g, join, last, status, P, F, B, I, U)
        F[L.F_EXPOSURE, i] = e


@njit(cache=True, parallel=True)
def init_members_par(seed, n, n_hubs, P, S, F, B, I, U, back):
    """:func:`init_members` on every core (each member's traits are its own draws: same result)."""
    nc = max(1, n // 4096)
    for c in prange(nc):
        init_members(seed, n, n_hubs, P, S, F, B, I, U, n * c // nc, n * (c + 1) // nc, back)


@njit(cache=True)
def _member_posts(seed, n_hubs, P, S, back, post, lo, hi):
    """``post[i]`` for members ``lo..hi-1`` (:func:`start_comebacks`)."""
    for i in range(lo, hi):
        role, join, last, status, a, x, t, eng, e = initial_member_at(seed, i, i < n_hubs, P, S, back[i])
        post[i] = _posts_a_day(role, status, a, eng, t, e, P, S)


@njit(cache=True)
def _posts_a_day(role, status, a, eng, t, e, P, S):
    """What an initial member shows its contacts on a day, the posts that may bring a lapsed
    contact back: its visit chance times posts a visit, less the toxic ones (:func:`toxic_rate`
    at its temper ``t`` and exposure ``e``; the run counts no toxic post), times the days each
    shows, ``S[ST_SHOWN]`` (a question answered the day it is asked never shows:
    ``cmsim.steady.shown_per_post``). 0 if lapsed or a bad actor."""
    if role != L.MEMBER or status != L.ACTIVE:
        return 0.0
    _, posts, toxic = _start_day(a, eng, t, e, P, S)
    return posts * (1.0 - toxic) * S[L.ST_SHOWN]


@njit(cache=True)
def _start_day(a, eng, t, e, P, S):
    """An active initial member's day at the start ``S``: its visit chance (at the baseline
    satisfaction), its posts (visit chance times posts a visit) and the share of them toxic
    (:func:`toxic_rate` at its temper ``t`` and exposure ``e``, at most 1)."""
    p = min(P[L.P_VISIT_RATE] * a * (0.5 + P[L.P_INITIAL_SAT]) * S[L.ST_VISIT_MULT] * eng, T.MAX_VISIT)
    return p, p * min(1.0, P[L.P_POST_RATE] * a * eng), min(1.0, toxic_rate(t, e, P, S))


@njit(cache=True, nogil=True)
def contacts_bring_back(r, post, indptr, indices, deg, back, lo, hi):
    """``back[i]`` for members ``lo..hi-1`` from their contacts' ``post`` (:func:`start_comebacks`)."""
    n = len(post)
    for i in range(lo, hi):
        stay = 1.0
        for k in range(indptr[i], indptr[i] + deg[i]):
            j = indices[k]
            if j < n:
                stay *= 1.0 - r * post[j]
        back[i] = 1.0 - stay


@njit(cache=True)
def start_comebacks(seed, n, n_hubs, P, S, indptr, indices, deg):
    """Each initial member's daily chance to come back while lapsed, from its own contacts: a
    lapsed member comes back when a contact's post brings it back (``dynamics.reengagement``
    each), so its chance is ``1 - prod_j (1 - reengagement * post_j)`` over its contacts ``j``,
    ``post_j`` the chance contact ``j`` posts on a day (its visit chance times posts a visit;
    0 if lapsed or a bad actor) as :func:`initial_member` draws it on its own. So lapsed members
    start where the graph keeps them: among contacts who post little (the community's mean,
    ``S[ST_REENGAGE]``, would place them at random)."""
    post = np.zeros(n)
    back = np.full(n, S[L.ST_REENGAGE])
    for _ in range(COMEBACK_ROUNDS):
        _member_posts(seed, n_hubs, P, S, back, post, 0, n)
        contacts_bring_back(P[L.P_REENGAGEMENT], post, indptr, indices, deg, back, 0, n)
    return back


@njit(cache=True, parallel=True)
def start_comebacks_par(seed, n, n_hubs, P, S, indptr, indices, deg):
    """:func:`start_comebacks` on every core (the same result)."""
    post = np.zeros(n)
    back = np.full(n, S[L.ST_REENGAGE])
    nc = max(1, n // 4096)
    for _ in range(COMEBACK_ROUNDS):
        for c in prange(nc):
            _member_posts(seed, n_hubs, P, S, back, post, n * c // nc, n * (c + 1) // nc)
        for c in prange(nc):
            contacts_bring_back(
                P[L.P_REENGAGEMENT], post, indptr, indices, deg, back, n * c // nc, n * (c + 1) // nc
            )
    return back


#: The steps of the start (:func:`start_step`), each done on every member before the next.
START_STEPS = 3


@njit(cache=True, nogil=True)
def start_step(step, seed, n_hubs, P, S, indptr, indices, deg, F, B, I, U, post, redo, back, lo, hi):
    """Step ``step`` of the one-pass start for members ``lo..hi-1`` (``post``, ``back``:
    float64[n]; ``redo``: int64[n, 5], where each past first read the comeback chance):
    0, :func:`start_first`; 1, :func:`contacts_bring_back` (``back`` from every member's ``post``);
    2, :func:`start_again`. One kernel for the three, so a process loads one from numba's cache.

    The three steps, each on every member before the next (``cmsim.state.draw_start``, on one
    thread or several), give the members of :func:`start_comebacks` then :func:`init_members`
    (one round: ``COMEBACK_ROUNDS``), drawing each past once where they can: a past that never
    lapsed did not read the comeback chance, so the first step's draw stands, and only the
    members whose past lapsed are drawn again, from their first lapse, with their own chance."""
    if step == 0:
        start_first(seed, n_hubs, P, S, F, B, I, U, post, redo, lo, hi)
    elif step == 1:
        contacts_bring_back(P[L.P_REENGAGEMENT], post, indptr, indices, deg, back, lo, hi)
    else:
        start_again(seed, n_hubs, P, S, F, B, I, U, back, redo, lo, hi)


@njit(cache=True, nogil=True)
def start_first(seed, n_hubs, P, S, F, B, I, U, post, redo, lo, hi):
    """The first step of :func:`start_step` for members ``lo..hi-1``: each drawn with the
    community's mean comeback chance, its daily posts in ``post[i]`` and, in ``redo[i]``, where
    its past first read the chance (``redo[i, 1] = -1``: never, and the member is placed)."""
    for i in range(lo, hi):
        (role, join, last, status, a, x, t, g, e), first = _initial_member(
            seed, i, i < n_hubs, P, S, S[L.ST_REENGAGE], no_resume()
        )
        post[i] = _posts_a_day(role, status, a, g, t, e, P, S)
        for r in range(5):
            redo[i, r] = first[r]
        if first[1] < 0:
            place_member(i, role, a, x, t, g, join, last, status, P, F, B, I, U)
            F[L.F_EXPOSURE, i] = e


@njit(cache=True, nogil=True)
def start_again(seed, n_hubs, P, S, F, B, I, U, back, redo, lo, hi):
    """The last step of :func:`start_step` for members ``lo..hi-1``: each whose past read
    the comeback chance drawn again from there (``redo[i]``) with its own chance ``back[i]``,
    and placed."""
    for i in range(lo, hi):
        if redo[i, 1] >= 0:
            at = (redo[i, 0], redo[i, 1], redo[i, 2], redo[i, 3], redo[i, 4])
            (role, join, last, status, a, x, t, g, e), _ = _initial_member(
                seed, i, i < n_hubs, P, S, back[i], at
            )
            place_member(i, role, a, x, t, g, join, last, status, P, F, B, I, U)
            F[L.F_EXPOSURE, i] = e


#: What :func:`start_rates` returns, per member a day: toxic posts, the other posts, visits times
#: expertise (what the front page can answer).
RATE_TOXIC, RATE_POSTS, RATE_EXPERTISE = 0, 1, 2


@njit("float64[::1](int64, int64, float64[::1], float64[::1])", cache=True)
def start_rates(seed, n, P, S):
    """Per member a day, what ordinary initial members ``0..n-1`` of ``seed`` do at the start
    ``S`` (each active one: its visit chance; times posts a visit; the share of them toxic by
    :func:`toxic_rate` at its temper and exposure): ``float64[3]`` of toxic posts
    (``RATE_TOXIC``), the other posts (``RATE_POSTS``) and visits times expertise
    (``RATE_EXPERTISE``). ``cmsim.steady`` finds the exposure that reproduces itself and the
    days a post shows (``S[ST_SHOWN]``) from them."""
    out = np.zeros(3)
    for i in range(n):
        role, join, last, status, a, x, t, eng, e = initial_member(seed, i, False, P, S)
        if role != L.MEMBER or status != L.ACTIVE:
            continue
        p, posts, toxic = _start_day(a, eng, t, e, P, S)
        out[RATE_TOXIC] += posts * toxic
        out[RATE_POSTS] += posts * (1.0 - toxic)
        out[RATE_EXPERTISE] += p * x
    return out / max(n, 1)
