"""Raids that reach a community (``docs/model.md``, "Raids"): tiny hand-built cases with known
answers, paired metamorphic runs and the two engines on a raid."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_model_support import col, graph, quiet_sim, set_role

import cmsim
from cmsim._kernels import layout as L
from cmsim._kernels.raid import raided_space, raider_chances
from cmsim.scenario import Scenario, load_scenario

#: Every member in the raided space, each reads every raid post (one raider: one a day).
EVERYONE_READS = {"raid__target_share": 1.0, "raid__read_share": 1.0, "raid__read_cap": 5,
                  "trolls__post_rate": 1.0, "dynamics__toxic_harm": 0.0}  # fmt: skip


def _raider_alone(
    n: int = 40, days: int = 10, raider: bool = True, strategy=None, **over
) -> cmsim.Simulation:
    """Member 0 a troll with no contacts (a raider unless told); members 1.. share no link with it."""
    kw = {**EVERYONE_READS, **over}
    sim = (
        quiet_sim(graph(n), days=days, **kw)
        if strategy is None
        else quiet_sim(graph(n), strategy, days=days, **kw)
    )
    set_role(sim, [0], L.TROLL)
    sim.state.B[L.B_RAIDER, 0] = 1 if raider else 0
    return sim


def test_a_raiders_post_is_read_by_members_of_the_raided_space_who_are_not_its_contacts() -> None:
    sim = _raider_alone()
    assert sim.state.graph.deg[0] == 0  # no contacts: only the raided space reads it
    sim.advance(10)
    assert col(sim, "raid_posts").tolist() == [1] * 10  # it posts every day, nobody removes it
    reads = col(sim, "raid_reads")
    assert reads[0] == 0  # the post of day d is read on day d + 1
    assert reads[1:].tolist() == col(sim, "dau")[1:].tolist()  # every visit reads yesterday's one post
    assert reads[1:].sum() >= 300  # 39 members visit with chance 0.95 a day


def test_a_member_outside_the_raided_space_reads_no_raid_post() -> None:
    sim = _raider_alone(raid__target_share=0.5)
    n = 40
    inside = raided_space(1, n, 0.5)
    assert 5 < inside[1:].sum() < 35  # seed 1: some members in, some out
    reads_inside = 0
    for d in range(10):
        sim.advance(1)
        visited = sim.state.I[L.I_LAST_VISIT, :n] == d
        reads_inside += int(np.count_nonzero(visited[1:] & inside[1:])) if d >= 1 else 0
    assert col(sim, "raid_reads").sum() == reads_inside


def test_reading_a_raid_post_harms_like_a_toxic_post_of_a_contact() -> None:
    harm = 0.01
    sim = _raider_alone(days=2, dynamics__toxic_harm=harm)
    sim.advance(1)
    s0 = sim.state.F[L.F_SAT, :40].copy()
    sim.advance(1)
    read = sim.state.I[L.I_LAST_VISIT, 1:40] == 1
    # satisfaction sits at its baseline: a visit that read one raid post loses exactly the harm
    # (the quiet scenario has no content joy, no reply draws: reply_rate 0)
    assert read.sum() > 30
    assert np.allclose(sim.state.F[L.F_SAT, 1:40][read], s0[1:40][read] - harm, atol=1e-6)
    assert np.allclose(sim.state.F[L.F_SAT, 1:40][~read], s0[1:40][~read], atol=1e-6)


def test_a_troll_who_is_not_a_raider_reaches_only_its_contacts() -> None:
    sim = _raider_alone(raider=False)
    sim.advance(10)
    assert col(sim, "raid_posts").sum() == 0 and col(sim, "raid_reads").sum() == 0
    assert col(sim, "toxic_posts").sum() == 10


def test_a_raid_post_removed_the_same_day_is_read_by_nobody() -> None:
    # 30 h of moderation a week, detection certain and quick review at once: every post is hidden
    sim = _raider_alone(strategy={"moderation": 30.0}, levers__detection=1.0, levers__quick_review_scale=0.1,
                        levers__moderation_rate=100.0)  # fmt: skip
    sim.advance(10)
    assert col(sim, "toxic_posts")[0] == 1  # it posted on day 0, removed that day
    assert col(sim, "raid_posts").sum() == 0 and col(sim, "raid_reads").sum() == 0
    assert col(sim, "removals")[1] == 1  # and it is gone the next day


def test_no_raid_no_raid_reading() -> None:
    run = cmsim.simulate("forum", "balanced", seed=3, members=1000, days=120)
    assert run.daily["raid_posts"].sum() == 0 and run.daily["raid_reads"].sum() == 0


def test_raid_arrivals_are_marked_raiders_and_other_trolls_are_not() -> None:
    sim = cmsim.Simulation("troll_raid", "absent", seed=2, days=80)
    sim.advance(80)
    st = sim.state
    m = st.n_used
    raiders = st.B[L.B_RAIDER, :m] == 1
    assert raiders.sum() > 30  # 2 a day per 1,000 members for 14 days at 2,000 members: about 56
    assert (st.B[L.B_ROLE, :m][raiders] == L.TROLL).all()
    joined = st.I[L.I_JOIN, :m][raiders]
    assert joined.min() >= 60 and joined.max() <= 73
    assert (st.B[L.B_RAIDER, :2000] == 0).all()  # nobody at the start is a raider


def test_raider_chances_follow_the_readings() -> None:
    sc = load_scenario("forum")
    P = L.pack_params(
        {**sc.values, "trolls.report_rate": 0.1, "dynamics.reply_rate": 0.05, "trolls.reply_draw": 3.0}
    )
    assert raider_chances(P, 0.0) == (0.0, 0.0)
    reported, fed = raider_chances(P, 10.0)
    assert reported == pytest.approx(1 - 0.9**10)
    assert fed == pytest.approx(1 - 0.85**10)


def _calm(sc: Scenario) -> Scenario:
    return Scenario(sc.values, name="no raid", events=[])


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_more_moderation_hours_end_the_raid_sooner(seed: int) -> None:
    sc = load_scenario("troll_raid")
    last = {}
    posts = {}
    for hours in (3.0, 25.0):
        d = cmsim.simulate(sc, {"moderation": hours, "responding": 5.0}, seed=seed).daily
        live = np.nonzero(d["raid_posts"].to_numpy() > 0)[0]
        last[hours] = int(live.max())
        posts[hours] = int(d["raid_posts"].sum())
    assert last[25.0] < last[3.0]
    assert posts[25.0] < posts[3.0]


def test_a_raid_leaves_the_raided_space_less_active_than_without_it() -> None:
    sc = load_scenario("troll_raid")
    ratios = []
    for seed in (1, 2, 3):
        inside = raided_space(seed, 2000, float(sc["raid.target_share"]))
        visits = []
        for s in (sc, _calm(sc)):
            sim = cmsim.Simulation(s, "balanced", seed=seed, days=120)
            v = 0
            for d in range(120):
                sim.advance(1)
                if d >= 74:
                    v += int(np.count_nonzero((sim.state.I[L.I_LAST_VISIT, :2000] == d) & inside))
            visits.append(v)
        ratios.append(visits[0] / visits[1])
    assert all(r < 1.0 for r in ratios), ratios
    assert np.mean(ratios) < 0.97, ratios


def test_both_engines_agree_on_a_raid_that_reads_feeds_and_reports() -> None:
    over = {"raid.target_share": 0.5, "raid.read_share": 0.5, "trolls.report_rate": 0.3}
    for strategy in ("absent", "balanced"):
        spec = cmsim.run_spec("troll_raid", strategy, seed=4, members=300, days=75, overrides=over)
        fast, mesa = spec.run(), spec.run("mesa")
        assert fast.daily["raid_reads"].sum() > 0 and fast.daily["raid_posts"].sum() > 0
        pd.testing.assert_frame_equal(fast.daily, mesa.daily, check_exact=False, rtol=1e-9)
        pd.testing.assert_frame_equal(fast.members, mesa.members, check_exact=False, rtol=1e-9)


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("raid.target_share", 1.5, "'raid.target_share' must be"),
        ("raid.read_share", -0.1, "'raid.read_share' must be"),
        ("raid.read_cap", -1, "'raid.read_cap' must be an integer in [0, 1000], got -1"),
    ],
)
def test_a_bad_raid_value_is_a_one_line_error(key: str, value: float, message: str) -> None:
    with pytest.raises(cmsim.ScenarioError) as err:
        load_scenario("troll_raid").with_overrides({key: value})
    assert message in str(err.value) and "\n" not in str(err.value)
