"""How the moderation facts of "what the levers do" are measured (used by
:mod:`cmsim.validation.facts`).

As in :mod:`cmsim.validation.measures`, every function takes a seed and a ``quick`` flag and
returns a ``{metric: value}`` dict for that one seed, from the public API and read-only looks at
``Simulation.state`` between days.
"""

from __future__ import annotations

import numpy as np

from cmsim._kernels import layout as L
from cmsim._kernels.raid import raided_space
from cmsim.scenario import Scenario, load_scenario
from cmsim.simulation import Simulation
from cmsim.spec import simulate

__all__ = ["norm_range", "removal_deterrent", "raid_aftermath", "raided_space", "FOLLOW_DAYS", "DETERRENT_MEMBERS",
           "DETERRENT_DAYS", "RAID_DAYS", "AFTER_DAYS"]  # fmt: skip

#: Days a violator is followed after its post was removed (or, by the luck of moderation's
#: draw, was not): four weeks.
FOLLOW_DAYS = 28
#: Size of the deterrence trial (full, quick) and its days. Quick is full size too: at 10,000 members
#: too few violators are caught for a stable ratio in weeks 3-4 (model 3.1: 0.91 on 4-6 seeds, where
#: 20,000 members give 0.81-0.84 on 3-10 seeds), and the trial costs well under a second a seed.
DETERRENT_MEMBERS = (20_000, 20_000)
DETERRENT_DAYS = 150


def norm_range(seed: int, quick: bool = False) -> dict[str, float]:
    """Norm-breaking share of what members write in ``social_media`` under its best built-in
    strategy for moderation (``moderation_first``) and with no manager, on the same seed (the
    scenario as shipped: 5,000 members, 180 days, also in quick mode)."""
    best = simulate("social_media", "moderation_first", seed=seed).summary  # (quick: the same design,
    absent = simulate("social_media", "absent", seed=seed).summary  # a few seconds; smaller shifts it)
    return {"best": best["norm_breaking_share"], "absent": absent["norm_breaking_share"]}


def removal_deterrent(seed: int, quick: bool = False) -> dict[str, float]:
    """Toxic share of the posts of ordinary members whose toxic post moderation removed, against
    those whose toxic post it missed, in the four weeks after (and in the last two of them).

    ``social_media`` under ``balanced``: moderation's hours cannot review every offending post,
    so which violators are caught is the luck of the daily draw (a natural experiment within one
    run, as in the welcome trial). A caught member is warned, which lowers its temper
    (``trolls.warning``); the trial compares the two groups' next violations, per post written.
    """
    members = DETERRENT_MEMBERS[1 if quick else 0]
    team = {"manager.count": max(1, members // 5000)}  # one manager per 5,000, as in the scenario
    sim = Simulation(
        "social_media", "balanced", seed=seed, members=members, days=DETERRENT_DAYS, overrides=team
    )
    since = np.full(0, -1, dtype=np.int64)  # day of a member's last reviewed violation
    caught = np.zeros(0, dtype=np.int8)  # 1: that violation was removed, 0: it was missed
    posts = np.zeros((2, 2))  # [caught, weeks 3-4 only]
    toxic = np.zeros((2, 2))
    for d in range(DETERRENT_DAYS):
        st = sim.state
        m = st.n_used
        prev = st.U[L.U_ACT + ((d - 1) & 1), :m]
        temper = st.F[L.F_TEMPER, :m].copy()
        sim.advance(1)
        st = sim.state
        if len(since) < st.n_used:
            grow = st.n_used - len(since)
            since = np.concatenate([since, np.full(grow, -1, dtype=np.int64)])
            caught = np.concatenate([caught, np.zeros(grow, dtype=np.int8)])
        ordinary = (st.B[L.B_ROLE, :m] < L.TROLL) & (st.B[L.B_STATUS, :m] == L.ACTIVE)
        # today's posts of the members followed (a violation of day d-1 is reviewed on day d)
        act = st.U[L.U_ACT + (d & 1), :m]
        age = d - since[:m]
        wrote = ordinary & ((act & (L.A_POSTED | L.A_TOXIC)) != 0)
        for late in (0, 1):
            window = (age >= (FOLLOW_DAYS // 2 + 1 if late else 1)) & (age <= FOLLOW_DAYS)
            for g in (0, 1):
                sel = window & (since[:m] >= 0) & (caught[:m] == g) & wrote
                posts[g, late] += np.count_nonzero(sel)
                toxic[g, late] += np.count_nonzero(sel & ((act & L.A_TOXIC) != 0))
        # violations reviewed today: yesterday's toxic posts; removed ones were warned (temper fell)
        reviewed = np.nonzero(ordinary & ((prev & L.A_TOXIC) != 0) & (age > FOLLOW_DAYS))[0]
        since[reviewed] = d
        caught[reviewed] = (st.F[L.F_TEMPER, reviewed] < temper[reviewed]).astype(np.int8)
    rate = np.divide(toxic, posts, out=np.full((2, 2), np.nan), where=posts > 0)
    return {
        "ratio_4w": rate[1, 0] / rate[0, 0] if rate[0, 0] > 0 else float("nan"),
        "ratio_late": rate[1, 1] / rate[0, 1] if rate[0, 1] > 0 else float("nan"),
        "caught_posts": posts[1, 0],
        "missed_posts": posts[0, 0],
        "caught_toxic_late": toxic[1, 1],
        "missed_toxic_late": toxic[0, 1],
    }


#: Days of the raid in ``troll_raid`` (from its event) and the days after it that are compared.
RAID_DAYS = (60, 74)
AFTER_DAYS = (74, 180)


def _space_visits(sc: Scenario, strategy: str, seed: int, inside: np.ndarray) -> np.ndarray:
    """Visits a day of the initial members in (row 0) and outside (row 1) the raided space, and
    the community's replies a day (row 2)."""
    days = AFTER_DAYS[1]
    sim = Simulation(sc, strategy, seed=seed, days=days)
    n = len(inside)
    visits = np.zeros((3, days))
    for d in range(days):
        sim.advance(1)
        seen = sim.state.I[L.I_LAST_VISIT, :n] == d
        visits[0, d] = np.count_nonzero(seen & inside)
        visits[1, d] = np.count_nonzero(seen & ~inside)
    visits[2] = sim.daily["replies"].to_numpy()
    return visits


def raid_aftermath(seed: int, quick: bool = False) -> dict[str, float]:
    """Visits of the members of the raided space after a raid, against the same community without
    the raid (same seed), under ``balanced``: ``troll_raid`` as shipped (2,000 members), days
    74-179 after the raid of days 60-73; the members outside the raided space, for comparison;
    and during the raid, the raided space's visits and the replies written (the spike)."""
    sc = load_scenario("troll_raid")
    calm = Scenario(sc.values, name="troll_raid without the raid", events=[])
    n = int(sc["community.initial_members"])
    inside = raided_space(seed, n, float(sc["raid.target_share"]))
    raid = _space_visits(sc, "balanced", seed, inside)
    none = _space_visits(calm, "balanced", seed, inside)
    a, b = AFTER_DAYS
    r0, r1 = RAID_DAYS
    return {
        "target_ratio": raid[0, a:b].sum() / none[0, a:b].sum(),
        "outside_ratio": raid[1, a:b].sum() / none[1, a:b].sum(),
        "during_ratio": raid[0, r0:r1].sum() / none[0, r0:r1].sum(),
        "spike_ratio": raid[2, r0:r1].sum() / none[2, r0:r1].sum(),
    }
