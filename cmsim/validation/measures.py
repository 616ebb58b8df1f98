"""How each published fact is measured in the simulation (used by :mod:`cmsim.validation.facts`).

Every function takes a seed and a ``quick`` flag (a smaller, CI-sized design) and returns a
``{metric: value}`` dict for that one seed. They use only the public API: ``simulate`` and
``Simulation`` runs, their ``Run`` outputs, and (where a fact needs per-member conditioning)
read-only looks at ``Simulation.state`` between days, laid out as in ``cmsim._kernels.layout``.
"""

from __future__ import annotations

import numpy as np

from cmsim._kernels import layout as L
from cmsim.simulation import Simulation
from cmsim.spec import simulate
from cmsim.timeline import Intervention

__all__ = [
    "participation",
    "trolling_experiment",
    "ban_wave",
    "reply_return",
    "first_posts",
    "healthy_qa",
    "peer_answers",
    "welcome_trial",
    "growth_or_death",
    "burnout",
    "RETURN_WINDOW",
    "BAN_DAY",
]

#: Days after a newcomer's first post within which a further contribution counts as a return.
RETURN_WINDOW = 60
#: Day of the ban wave in the ``troll_raid`` scenario (the raid runs on days 60-73).
BAN_DAY = 74


def participation(scenario: str, seed: int, quick: bool = False) -> dict[str, float]:
    """Lurkers and the contribution shares of the top 1% / 10% after 90 days under ``balanced``."""
    s = simulate(scenario, "balanced", seed=seed, days=90).summary
    top1, top10 = s["top1_post_share"], s["top10_post_share"]
    rest = (top10 - top1) / (1.0 - top1) if top1 < 1.0 else float("nan")
    return {"lurker_share": s["lurker_share"], "top1_share": top1, "next9_of_rest": rest}


def _neighbour_any(sim: Simulation, flags: np.ndarray) -> np.ndarray:
    """For every member slot, whether any contact has ``flags`` set (bool array)."""
    g = sim.state.graph
    n = sim.state.n_used
    deg = g.deg[:n].astype(np.int64)
    starts = g.indptr[:n]
    rows = np.repeat(np.arange(n), deg)
    offs = np.arange(deg.sum()) - np.repeat(np.cumsum(deg) - deg, deg)
    nb = g.indices[starts[rows] + offs]
    hit = np.zeros(n, dtype=bool)
    hit[rows[flags[nb]]] = True
    return hit


#: The controlled setting of the trolling experiment (see ``docs/validation.md``): no manager,
#: no questions (every post is either toxic or ordinary), the community norm held constant
#: (``norm_gain`` 0), no conversion to troll, and toxic posts do not sour moods (mood and
#: context are independent, as when the experiment assigned them), so that only they vary. Trolling is made frequent (base rate 0.1) and bad moods and trolls common, as in
#: Cheng et al.'s lab design, so that each cell holds thousands of posts. Nobody moderated in
#: the past either (``manager.current_strategy`` absent): the steady start replays past
#: warnings, which would leave the frequent visitors (those in a good mood) with lower tempers
#: and confound mood with temper.
TROLL_EXPERIMENT = {
    "manager.current_strategy": "absent",
    "members.question_share": 0.0,
    "members.activity_sigma": 0.8,
    "members.visit_rate": 0.3,
    "members.post_rate": 0.1,
    "members.initial_satisfaction": 0.39,
    "members.satisfaction_baseline": 0.39,
    "trolls.norm_gain": 0.0,
    "trolls.conversion": 0.0,
    "trolls.base_rate": 0.1,
    "trolls.initial_share": 0.05,
    "dynamics.complaint_rate": 0.0,
    "dynamics.toxic_harm": 0.0,
}


def trolling_experiment(seed: int, quick: bool = False) -> dict[str, float]:
    """Trolling rate of ordinary members' posts by mood x context, relative to good mood / clean.

    Each day the experiment notes, before the day runs, which members have a contact who posted
    something toxic yesterday (context); after it runs, which ordinary members posted, whether
    the post was toxic, and whether they were in a bad mood (satisfaction below
    ``trolls.mood_threshold``). Returns the three rate ratios.
    """
    n, days = 12000, 60
    sim = Simulation("forum", "absent", seed=seed, members=n, days=days, overrides=TROLL_EXPERIMENT)
    thr = float(sim.state.P[L.P_MOOD_THRESHOLD])  # (as the model compares: at the members' precision)
    posts = np.zeros((2, 2))
    toxic = np.zeros((2, 2))
    for d in range(days):
        st = sim.state
        prev = st.U[L.U_ACT + ((d - 1) & 1), : st.n_used]
        ctx = _neighbour_any(sim, (prev & L.A_TOXIC) != 0)
        m = st.n_used
        ordinary = (st.B[L.B_ROLE, :m] < L.TROLL) & (st.B[L.B_STATUS, :m] == L.ACTIVE)
        ordinary &= st.I[L.I_CDAY, :m] < 0
        sim.advance(1)
        act = st.U[L.U_ACT + (d & 1), :m]
        posted = ordinary & ((act & (L.A_POSTED | L.A_TOXIC)) != 0)
        bad = st.F[L.F_SAT, :m] < thr
        tox = posted & ((act & L.A_TOXIC) != 0)
        for mood in (0, 1):
            for c in (0, 1):
                cell = (bad == bool(mood)) & (ctx == bool(c))
                posts[mood, c] += np.count_nonzero(posted & cell)
                toxic[mood, c] += np.count_nonzero(tox & cell)
    rate = np.divide(toxic, posts, out=np.full((2, 2), np.nan), where=posts > 0)
    return {
        "mood_ratio": rate[1, 0] / rate[0, 0],
        "context_ratio": rate[0, 1] / rate[0, 0],
        "both_ratio": rate[1, 1] / rate[0, 0],
        "base_rate": rate[0, 0],
    }


#: Size of the ban experiment (full, quick): large, because ordinary members post rarely and
#: toxic posts by the banned accounts' circles are counted. The moderation team has one manager
#: per 2,000 members, as in the forum scenario, so returning raiders meet the same moderation.
BAN_MEMBERS = (100_000, 50_000)
MEMBERS_PER_MANAGER = 2_000


def _ban_run(seed: int, days: int, members: int) -> Simulation:
    ivs = [
        Intervention(BAN_DAY, "switch_strategy", strategy="moderation_first"),
        Intervention(BAN_DAY, "ban_wave"),
    ]
    return Simulation(
        "troll_raid",
        "absent",
        seed=seed,
        days=days,
        members=members,
        interventions=ivs,
        overrides={"manager.count": members // MEMBERS_PER_MANAGER},
    )


def ban_wave(seed: int, quick: bool = False) -> dict[str, float]:
    """Toxic posting by the members who stay in the banned accounts' circles, and their churn.

    The ``troll_raid`` forum (``BAN_MEMBERS`` members, one manager per ``MEMBERS_PER_MANAGER``,
    the team staying away until the ban) gets a ban wave on day 74, the raid's last day, and moderation_first
    from then on. Circles are the ordinary members linked to an account the ban removed: the
    analogue of the banned subreddits' users whom Chandrasekharan et al. followed. Stayers are
    the circle members present on the ban day and still present (and not turned troll) at the
    end. Their toxic posts per member-day in the 14 days before the ban are compared with days
    14-41 after it (``stayer_drop``; ``stayer_drop_all`` is the same for every stayer, exposed
    or not). Churn compares engaged circle members (active, seen in the 14 days before the ban)
    with all other engaged ordinary members, 42 days later.
    """
    before, gap, after = 14, 14, 28
    sim = _ban_run(seed, BAN_DAY + gap + after, BAN_MEMBERS[1] if quick else BAN_MEMBERS[0])
    sim.advance(BAN_DAY - before)
    t0 = sim.state.I[L.I_TOXIC, : sim.state.n_used].copy()
    sim.advance(before)
    st = sim.state
    m = st.n_used
    t0 = np.concatenate([t0, np.zeros(m - len(t0), t0.dtype)])
    t1 = st.I[L.I_TOXIC, :m].copy()
    present = (st.B[L.B_ROLE, :m] < L.TROLL) & np.isin(st.B[L.B_STATUS, :m], (L.ACTIVE, L.LAPSED))
    engaged = present & (st.B[L.B_STATUS, :m] == L.ACTIVE) & (st.I[L.I_LAST_VISIT, :m] >= BAN_DAY - 14)
    sim.advance(1)  # the ban day
    removed = st.I[L.I_REMOVED, :m] == BAN_DAY
    circles = _neighbour_any(sim, np.concatenate([removed, np.zeros(st.n_used - m, bool)]))[:m]
    sim.advance(gap - 1)
    t2 = st.I[L.I_TOXIC, :m].copy()
    sim.advance(after)
    t3 = st.I[L.I_TOXIC, :m]
    status = st.B[L.B_STATUS, :m]
    stay = present & np.isin(status, (L.ACTIVE, L.LAPSED)) & (st.B[L.B_ROLE, :m] < L.TROLL)
    out: dict[str, float] = {"removed": float(removed.sum())}
    for name, sel in (("stayer_drop", stay & circles), ("stayer_drop_all", stay)):
        pre = (t1[sel] - t0[sel]).sum() / max(1, sel.sum() * before)
        post = (t3[sel] - t2[sel]).sum() / max(1, sel.sum() * after)
        out[name] = 1.0 - post / pre if pre > 0 else float("nan")
    left = status == L.LEFT
    circ = engaged & circles
    other = engaged & ~circles
    c_rate = left[circ].mean() if circ.any() else float("nan")
    o_rate = left[other].mean() if other.any() else float("nan")
    out["circle_churn_ratio"] = c_rate / o_rate if o_rate > 0 else float("nan")
    return out


def reply_return(seed: int, quick: bool = False) -> dict[str, float]:
    """Share of newcomers who contribute again within 60 days of a first post, with / without reply.

    Forum without a manager (Usenet-like, as in Joyce & Kraut) over 180 days; first posts made
    in the first 120 days, so every one has a full 60-day window.
    """
    days = 180
    # (quick alike: at 5,000 members 60-odd replied first posts a run leave the share seed-bound;
    # the run costs a fraction of a second)
    run = simulate("forum", "absent", seed=seed, days=days, members=10000)
    m = run.members
    fp = m["first_post_day"].to_numpy()
    again = m["posted_again_day"].to_numpy()
    state = m["first_post"].astype(str).to_numpy()
    ok = (fp >= 0) & (fp < days - RETURN_WINDOW) & np.isin(state, ("replied", "unanswered"))
    back = (again >= 0) & (again - fp <= RETURN_WINDOW)
    res = {}
    for name, which in (("with_reply", "replied"), ("without_reply", "unanswered")):
        sel = ok & (state == which)
        res[name] = float(back[sel].mean()) if sel.any() else float("nan")
        res[f"n_{name}"] = float(sel.sum())
    return res


def first_posts(seed: int, quick: bool = False) -> dict[str, float]:
    """Share of newcomers' first posts in an unmanaged forum that got no reply (90 days). Nobody
    managed it before either (``manager.current_strategy`` absent): the steady start is then the
    unmanaged community's (with ``balanced``'s past the share is about 0.29, a forum that has
    just lost its manager)."""
    s = simulate(
        "forum", "absent", seed=seed, days=90, overrides={"manager.current_strategy": "absent"}
    ).summary
    return {"unanswered": 1.0 - s["first_post_reply_share"]}


def healthy_qa(seed: int, quick: bool = False) -> dict[str, float]:
    """Share of questions answered in the customer community with its manager (90 days)."""
    s = simulate("customer", "balanced", seed=seed, days=90).summary
    return {"answered": s["answered_share"], "median_days": s["median_response_days"]}


def peer_answers(seed: int, quick: bool = False) -> dict[str, float]:
    """Questions answered without a manager (forum) and members' share of first answers with one
    (customer), on the same seed (180 days)."""
    forum = simulate("forum", "absent", seed=seed).summary
    customer = simulate("customer", "balanced", seed=seed).summary
    return {
        "answered": forum["answered_share"],
        "per_answered": forum["answers_per_answered_question"],
        "peer_share": customer["peer_answer_share"],
    }


#: Welcoming hours a week per 1,000 members in the welcome trial: about half the newcomers are
#: greeted in their first week, so the manager's limited capacity randomises who is.
WELCOME_TRIAL_HOURS = 1.0
#: Days the welcome trial runs (newcomers of the first ``days - 60`` days are followed to 60 days).
WELCOME_TRIAL_DAYS = 150


def welcome_trial(seed: int, quick: bool = False) -> dict[str, float]:
    """Welcomed vs not-welcomed newcomers, randomised within one run: 60-day survival ratio.

    Forum, 10,000 members (5,000 quick), hours on moderation, responding and welcoming only; the
    welcoming hours cannot greet every newcomer, and which ones are greeted is the luck of the
    daily draw. Newcomers still active a week after arriving are split by whether they were
    greeted in that week; survival is being active and seen in the second month (days 30-60).
    """
    members = 5_000 if quick else 10_000
    days = WELCOME_TRIAL_DAYS
    alloc = {"moderation": 6.0, "responding": 6.0, "welcoming": WELCOME_TRIAL_HOURS * members / 1000}
    team = {"manager.count": max(1, members // 2000)}  # one manager per 2,000 members, as in the forum
    sim = Simulation("forum", alloc, seed=seed, days=days, members=members, overrides=team)
    never = -(10**6)  # (a day no arrival has: the members of day 0)
    first = np.full(0, never, dtype=np.int64)  # day a slot's newcomer arrived
    greeted = np.full(0, -1, dtype=np.int64)  # greeted in its first week (1/0)
    alive = {0: 0, 1: 0}
    followed = {0: 0, 1: 0}
    for d in range(days):
        before = sim.state.n_used
        sim.advance(1)
        st = sim.state  # (the arrays grow with the community)
        n = st.n_used
        if len(first) < n:
            first = np.concatenate([first, np.full(n - len(first), never, dtype=np.int64)])
            greeted = np.concatenate([greeted, np.full(n - len(greeted), -1, dtype=np.int64)])
        first[before:n] = d
        week = np.nonzero(first[:n] == d - 7)[0]
        ok = (st.B[L.B_STATUS, week] == L.ACTIVE) & (st.B[L.B_ROLE, week] < L.TROLL)
        greeted[week[ok]] = st.B[L.B_GREETED, week[ok]]
        due = np.nonzero((first[:n] == d - 60) & (greeted[:n] >= 0))[0]
        kept = (st.B[L.B_STATUS, due] == L.ACTIVE) & (st.I[L.I_LAST_VISIT, due] >= d - 30)
        for g in (0, 1):
            sel = greeted[due] == g
            followed[g] += int(sel.sum())
            alive[g] += int(kept[sel].sum())
    surv = {g: alive[g] / followed[g] if followed[g] else float("nan") for g in (0, 1)}
    return {
        "survival_ratio": surv[1] / surv[0] if surv[0] > 0 else float("nan"),
        "welcomed_share": followed[1] / max(1, followed[0] + followed[1]),
    }


#: The word-of-mouth values that show the two regimes (weak, strong).
WORD_OF_MOUTH_REGIMES = (0.0, 0.004)


def growth_or_death(seed: int, quick: bool = False) -> dict[str, float]:
    """Members after 365 days relative to the start, for weak and strong ``growth.word_of_mouth``
    (the forum under ``balanced``; everything else at its default)."""
    out = {}
    for name, w in zip(("weak", "strong"), WORD_OF_MOUTH_REGIMES, strict=True):
        run = simulate("forum", "balanced", seed=seed, days=365, overrides={"growth.word_of_mouth": w})
        d = run.daily
        out[f"{name}_members_ratio"] = float(d["members"].iloc[-1] / d["members"].iloc[0])
    return out


def burnout(seed: int, quick: bool = False) -> dict[str, float]:
    """Whether the manager burns out within 12 months: ``understaffed`` vs ``forum`` (balanced)."""
    out = {}
    for name in ("understaffed", "forum"):
        s = simulate(name, "balanced", seed=seed, days=365).summary
        out[name] = 1.0 if s["burnout_days"] > 0 else 0.0
    return out
