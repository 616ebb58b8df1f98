"""The Mesa engine: the same model as readable agents, identical to the fast engine.

Agreement tests report the first differing day and column, so a change to the compiled kernel
that the agents do not mirror (or the reverse) is easy to locate.
"""

from __future__ import annotations

import math
import subprocess
import sys

import mesa
import networkx as nx
import numpy as np
import pandas as pd
import pytest

import cmsim
from cmsim import Intervention
from cmsim._kernels import layout as L
from cmsim._kernels.tally import EXPOSURE_FLOOR
from cmsim.mesa import CommunityModel, Manager, Member, simulate_mesa
from cmsim.mesa import agents as A
from cmsim.mesa.draws import key
from cmsim.mesa.manager import Tally

SCENARIOS = sorted(cmsim.list_scenarios())
INT_COLUMNS = [c for c in cmsim.run.DAILY_COLUMNS if not c.startswith("hours_")]


def first_difference(fast: pd.DataFrame, other: pd.DataFrame, rtol: float = 1e-9) -> str | None:
    """``None`` when two daily tables agree (floats to ``rtol``), else where they first differ."""
    if list(fast.columns) != list(other.columns):
        return f"columns differ: {sorted(set(fast.columns) ^ set(other.columns))}"
    if len(fast) != len(other):
        return f"lengths differ: fast {len(fast)} days, mesa {len(other)} days"
    a, b = fast.to_numpy(float), other.to_numpy(float)
    same = np.isclose(a, b, rtol=rtol, atol=0.0) | (np.isnan(a) & np.isnan(b))
    if same.all():
        return None
    day, c = np.argwhere(~same)[0]
    return f"day {day}, column {fast.columns[c]!r}: fast {float(a[day, c])!r} vs mesa {float(b[day, c])!r}"


def assert_same_runs(fast: cmsim.Run, other: cmsim.Run) -> None:
    diff = first_difference(fast.daily, other.daily)
    assert diff is None, f"engines differ first on {diff}"
    assert fast.daily.dtypes.equals(other.daily.dtypes)
    assert fast.summary.keys() == other.summary.keys()
    for k, x in fast.summary.items():
        y = other.summary[k]
        assert (math.isnan(x) and math.isnan(y)) or math.isclose(x, y, rel_tol=1e-9), (
            f"summary {k!r}: {x} vs {y}"
        )
    pd.testing.assert_frame_equal(fast.members, other.members, check_exact=False, rtol=1e-12)
    assert fast.events == other.events
    assert other.engine == "mesa"


def both(*args, **kwargs) -> tuple[cmsim.Run, cmsim.Run]:
    return cmsim.simulate(*args, **kwargs), cmsim.simulate(*args, engine="mesa", **kwargs)


# --- agreement with the fast engine ------------------------------------------------------------
@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_every_scenario_gives_the_same_daily_table_on_both_engines(scenario: str, seed: int) -> None:
    # 75 days covers the events of platform_shift, product_crisis (day 45) and troll_raid (day 60)
    fast, other = both(scenario, "balanced", seed=seed, members=250, days=75)
    assert_same_runs(fast, other)
    assert fast.daily["posts"].sum() > 0  # the runs did something


@pytest.mark.parametrize("strategy", ["absent", "moderation_first", "data_driven"])
def test_strategies_agree_including_the_adaptive_one(strategy: str) -> None:
    assert_same_runs(*both("troll_raid", strategy, seed=3, members=300, days=80))


def test_interventions_callables_and_a_custom_graph_agree() -> None:
    def lopsided(obs: dict) -> dict:
        # a callable strategy that reacts to what it observes
        return {"moderation": 20.0, "responding": 10.0} if obs["toxic_posts"] > 3 else {"content": 30.0}

    ivs = [Intervention(5, "ban_wave"), Intervention(9, "welcome_campaign"), Intervention(12, "ama_event"),
           Intervention(20, "switch_strategy", strategy="responsive")]  # fmt: skip
    g = nx.connected_watts_strogatz_graph(220, 6, 0.1, seed=4)
    fast, other = both("forum", lopsided, seed=4, days=40, graph=g, interventions=ivs,
                       overrides={"trolls.initial_share": 0.05})  # fmt: skip
    assert_same_runs(fast, other)
    assert fast.daily["removals"].iloc[5] > 0  # the ban wave removed someone
    assert fast.daily["welcomed"].iloc[9] > 0


def test_a_burned_out_manager_quits_identically_and_the_post_stays_empty_exactly_vacancy_days() -> None:
    over = {
        "manager.quit_rate": 0.3,
        "manager.burnout_threshold": 0.2,
        "manager.recover_threshold": 0.1,
        "manager.vacancy_days": 5,
    }
    fast, other = both("understaffed", "balanced", seed=5, members=300, days=60, overrides=over)
    assert_same_runs(fast, other)
    assert fast.summary["manager_quits"] >= 1
    present = other.daily["manager_present"].to_numpy()
    # the quitter is still in post on the day it quits; the post is empty the next 5 days
    starts = [d for d in range(1, len(present)) if present[d - 1] == 1 and present[d] == 0]
    assert starts
    for d in starts:
        gap = present[d : d + 6]
        assert list(gap) == [0, 0, 0, 0, 0, 1][: len(gap)], (d, gap)
        assert (other.daily["manager_hours"].iloc[d : d + 5] == 0).all()
    assert present.sum() + 5 * len(starts) >= len(present) - 5  # vacancies are the only absences


def test_toxic_exposure_and_mutual_newcomer_links_agree_in_a_toxic_crowded_community() -> None:
    # many trolls and touchy members: exposure often tips a post into trolling; high acquisition
    # on a small graph fills contact lists, so newcomers are often passed over or meet themselves
    # as a contact's contact
    over = {"trolls.initial_share": 0.08, "trolls.base_rate": 0.08, "trolls.norm_gain": 20.0,
            "members.post_rate": 0.5, "members.visit_rate": 0.5, "growth.acquisition": 0.05,
            "graph.attach": 3}  # fmt: skip
    fast, other = both("troll_raid", "moderation_first", seed=6, members=60, days=50, overrides=over)
    assert_same_runs(fast, other)
    assert fast.daily["toxic_posts_members"].sum() >= 100
    assert fast.daily["joins"].sum() >= 100


# --- a Mesa model: steps, agents, space, data collection ---------------------------------------
def test_model_steps_one_day_at_a_time_and_matches_the_simulation() -> None:
    model = CommunityModel("customer", "balanced", members=200, days=30, seed=8)
    sim = cmsim.Simulation("customer", "balanced", members=200, days=30, seed=8)
    for day in range(1, 15):
        model.step()
        assert model.day == model.steps == day
    sim.advance(14)
    assert first_difference(sim.daily, model.daily) is None
    # the user takes over the hours mid-run, on both engines
    hours = {"responding": 20.0, "welcoming": 10.0}
    model.set_allocation(hours)
    sim.set_allocation(hours)
    while model.running:
        model.step()
    sim.advance(16)
    assert model.day == 30 and not model.running
    model.step()  # past the horizon: nothing happens
    assert model.day == 30
    assert_same_runs(sim.result(), model.result())
    assert model.allocation["responding"] == 20.0


def test_agents_can_be_inspected_and_agree_with_the_daily_counts() -> None:
    model = CommunityModel("troll_raid", "absent", members=300, days=70, seed=2)
    model.run_model()
    last = model.daily.iloc[-1]
    members = model.agents.select(agent_type=Member)
    assert len(members) == len(model.member_list) == 300 + model.daily["joins"].sum()
    active = members.select(lambda m: m.status == A.ACTIVE)
    lapsed = members.select(lambda m: m.status == A.LAPSED)
    assert len(active) == last["active_members"] and len(lapsed) == last["lapsed_members"]
    trolls = active.select(lambda m: m.role == A.TROLL)
    assert len(trolls) > 0  # the raid brought trolls and nobody moderates
    assert all(isinstance(m, Member) and m.is_bad_actor for m in trolls)
    (manager,) = model.agents_by_type[Manager]
    assert manager is model.manager and manager.hours == [0.0] * 8
    # one member per cell of the network space; contacts are mutual, without repeats or self-links,
    # and the space's links are exactly the contact lists (a newcomer may take the place of a
    # contact who left, so only the lists of members still here must be mutual and on the space)
    assert len(model.space.G) == len(members)
    assert not model.space.G.is_directed()
    stay = (A.ACTIVE, A.LAPSED)
    for m in members:
        slots = [c.slot for c in m.contacts]
        assert len(set(slots)) == len(slots) and m.slot not in slots
        assert m.cell.agents == [m]
        assert m.room >= 0
        if m.status not in stay:
            continue
        assert all(m in c.contacts for c in m.contacts if c.status in stay)
        linked = {c.slot for c in m.contacts if c.status in stay}
        assert {k for k in model.space.G.neighbors(m.slot) if model.member_list[k].status in stay} == linked
    newcomer = model.member_list[-1]
    assert newcomer.joined >= 0 and newcomer.contacts  # newcomers are linked when they arrive
    # bad_accounts counts the troll and spammer accounts still here; final_members the people
    here = members.select(lambda m: m.status in (A.ACTIVE, A.LAPSED))
    bad = here.select(lambda m: m.is_bad_actor)
    assert last["bad_accounts"] == len(bad) > 0
    assert model.result().summary["final_members"] == len(here) - len(bad)


def test_data_collector_holds_one_row_a_day() -> None:
    model = CommunityModel("forum", "balanced", members=150, days=12, seed=1)
    model.run_model()
    df = model.datacollector.get_model_vars_dataframe()
    assert len(df) == 12 and list(df["day"]) == list(range(12))
    daily = model.daily
    for c in ("members", "dau", "posts", "mean_satisfaction", "manager_stress"):
        assert np.array_equal(df[c].to_numpy(float), daily[c].to_numpy(float)), c


def test_batch_run_over_scenarios() -> None:
    params = {"scenario": ["forum", "internal"], "members": [120], "days": [10], "seed": [3]}
    rows = mesa.batch_run(CommunityModel, parameters=params, iterations=1, max_steps=20,
                          number_processes=1, display_progress=False)  # fmt: skip
    assert sorted(r["scenario"] for r in rows) == ["forum", "internal"]
    for r in rows:
        assert r["Step"] == 9  # the last of 10 days: the model stops at its horizon
        fast = cmsim.simulate(r["scenario"], seed=3, members=120, days=10)
        assert r["members"] == fast.daily["members"].iloc[-1]
        assert r["posts"] == fast.daily["posts"].iloc[-1]


def test_batch_run_with_default_keywords_and_fresh_seeds() -> None:
    rows = mesa.batch_run(CommunityModel, parameters={"members": [100], "days": [5]}, iterations=2,
                          max_steps=3, number_processes=1, display_progress=False)  # fmt: skip
    assert len(rows) == 2 and all(r["Step"] == 3 for r in rows)


# --- mechanisms read off the agents (known answers) --------------------------------------------
def _pair(**over) -> CommunityModel:
    model = CommunityModel("forum", "absent", graph=nx.path_graph(10), days=3, seed=1, overrides=over)
    model.keys = [key(1, s, 0) for s in range(L.S_SHOCK + 1)]
    model.member_list[1].activity = 1.0  # the reader: p_reply = reply_rate
    return model


def test_a_member_beside_a_troll_sees_the_toxic_post_and_feeding_it_counts_twice() -> None:
    model = _pair(**{"trolls.reply_draw": 0.0, "trolls.report_rate": 0.0})
    troll, reader = model.member_list[:2]
    troll.shown_yesterday = A.TOXIC
    none = {"posts": 0, "spam": 0, "complaints": 0, "answers": 0, "reports": 0}
    assert reader.read_feed() == {**none, "toxic": 1, "replies": 0}
    model = _pair(**{"trolls.reply_draw": 1.0, "dynamics.reply_rate": 1.0, "trolls.report_rate": 1.0})
    troll, reader = model.member_list[:2]
    troll.shown_yesterday = A.TOXIC
    assert reader.read_feed() == {**none, "toxic": 2, "replies": 1, "reports": 1}
    assert troll.fed_today and troll.reported_today  # it was fed, and moderation will review it


def test_toxic_posts_seen_build_exposure_that_fades_day_by_day() -> None:
    model = _pair(**{"trolls.reply_draw": 0.0, "members.visit_rate": 1.0})
    model.today = model.manager.plan_day(model.timeline[0].tolist())
    model.tally = Tally()
    troll, reader, other = model.member_list[:3]
    troll.shown_yesterday = A.TOXIC
    reader.exposure = 1.0
    reader.live_the_day()
    assert reader.last_visit == 0  # it visited: saw one toxic post
    assert reader.exposure == pytest.approx(0.9 * 1.0 + 0.1 * 1)
    other.exposure = 1.0  # sees nothing toxic (its contacts showed nothing)
    other.live_the_day()
    assert other.exposure == pytest.approx(0.9)


def test_a_members_day_is_held_in_single_precision_and_faint_exposure_fades_to_zero() -> None:
    # As the compiled engine stores them: computed in double, rounded once at the end of the day
    # (tests/test_precision.py holds the compiled side of the same cases).
    model = _pair(**{"members.visit_rate": 1.0, "dynamics.reversion": 0.3})
    model.today = model.manager.plan_day(model.timeline[0].tolist())
    model.tally = Tally()
    member = model.member_list[5]
    s = float(np.float32(0.41180906))  # in single-precision arithmetic its drift would differ
    member.satisfaction, member.exposure = s, EXPOSURE_FLOOR / 0.95
    member.live_the_day()
    b = model.p.members.satisfaction_baseline
    assert b == float(np.float32(0.65)) != 0.65  # packed at the members' precision
    assert member.satisfaction == float(np.float32(s + 0.3 * (b - s)))
    assert member.satisfaction != float(np.float32(s) + np.float32(0.3) * (np.float32(b) - np.float32(s)))
    assert member.exposure == 0.0  # below EXPOSURE_FLOOR after fading
    assert A.held(1e-20) == float(np.float32(1e-20)) != 1e-20


@pytest.mark.parametrize("exposure, toxic", [(0.0, False), (0.25, True)])
def test_exposure_multiplies_the_chance_of_a_toxic_post(exposure: float, toxic: bool) -> None:
    model = _pair(**{"members.post_rate": 1.0, "trolls.norm_gain": 8.0})
    model.today = model.manager.plan_day(model.timeline[0].tolist())
    model.tally = Tally()
    reader = model.member_list[1]
    reader.temper = model.p.members.temper_mean
    reader.satisfaction = 0.9  # good mood, no complaint
    u = reader.chance(L.S_TOXIC)
    model.p.trolls.base_rate = u / 2  # p_toxic = u/2 at no exposure, 3u/2 at exposure 0.25
    reader.exposure = exposure
    assert reader.write(toxic_seen=0)
    assert bool(reader.shown_today & A.TOXIC) == toxic


def test_a_newcomer_is_linked_only_to_members_with_room_and_never_to_itself() -> None:
    # a triangle and a loner; member 2 has no room left for a newcomer, the others one slot each
    G = nx.Graph([(0, 1), (1, 2), (2, 0)])
    G.add_node(3)
    linked: set[int] = set()
    for seed in range(12):
        model = CommunityModel("forum", "absent", graph=G, days=5, seed=seed,
                               overrides={"graph.attach": 3, "trolls.initial_share": 0.0,
                                          "spam.initial_share": 0.0})  # fmt: skip
        for m, room in zip(model.member_list, (1, 1, 0, 1), strict=True):
            m.room = room
        model.keys = [key(seed, s, 0) for s in range(L.S_SHOCK + 1)]
        model.arrive(1, A.MEMBER)
        newcomer = model.member_list[4]
        slots = [c.slot for c in newcomer.contacts]
        assert len(set(slots)) == len(slots) and set(slots) <= {0, 1, 3}, slots  # not 2, not itself
        assert all(newcomer in model.member_list[j].contacts for j in slots)  # mutual
        assert [m.room for m in model.member_list[:4]] == [0 if j in slots else r
                                                            for j, r in enumerate((1, 1, 0, 1))]  # fmt: skip
        assert newcomer.room == 3 + cmsim.graphs.SLACK_NEW - len(slots)
        assert set(model.space.G.neighbors(4)) == set(slots)
        linked |= set(slots)
    assert linked == {0, 1, 3}


def test_a_reply_to_a_first_post_is_noticed_by_its_author() -> None:
    model = _pair(**{"dynamics.reply_rate": 1.0})
    author, reader = model.member_list[:2]
    author.shown_yesterday = A.FIRST_POST
    seen = reader.read_feed()
    assert seen["posts"] == 1 and seen["replies"] == 1 and author.got_reply


# --- public surface ----------------------------------------------------------------------------
def test_simulate_with_engine_mesa_returns_a_mesa_run() -> None:
    run = cmsim.simulate("internal", seed=1, members=100, days=8, engine="mesa")
    assert run.engine == "mesa" and len(run.daily) == 8
    assert list(run.daily.columns) == list(cmsim.run.DAILY_COLUMNS)
    assert set(run.summary) >= set(cmsim.run.SUMMARY_KEYS)
    assert simulate_mesa("internal", seed=1, members=100, days=8).daily.equals(run.daily)


def test_bad_seed_is_a_one_line_error() -> None:
    with pytest.raises(ValueError, match="'seed' parameter must be an integer >= 0; got -1"):
        CommunityModel("forum", members=50, days=2, seed=-1)


def test_import_cmsim_does_not_import_mesa() -> None:
    code = "import sys, cmsim; cmsim.simulate('forum', members=50, days=2); print('mesa' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# --- distributions over many seeds -------------------------------------------------------------
@pytest.mark.slow
def test_summary_distributions_agree_over_100_seeds() -> None:
    """Fast engine on seeds 0-99 vs Mesa engine on seeds 100-199: two independent samples.

    Per metric, a Welch t-test and a two-sample Kolmogorov-Smirnov test, each at alpha = 0.001
    (twelve tests: a family error of at most 0.012, Bonferroni). Power: with 100 runs a side,
    the t-test detects a mean shift of 0.7 standard deviations with probability
    Phi(0.7 * sqrt(100 / 2) - z_0.9995) = 0.95 (computed below), so a real difference of that
    size between the engines would fail. (Same-seed runs are identical, which is stronger.)
    """
    from scipy import stats

    metrics = ["final_members", "mean_dau", "dau_mau", "lurker_share", "toxic_share", "health_index"]
    n, alpha = 100, 0.001
    fast = pd.DataFrame([cmsim.simulate("forum", seed=s, members=120, days=45).summary for s in range(n)])
    other = pd.DataFrame(
        [simulate_mesa("forum", seed=100 + s, members=120, days=45).summary for s in range(n)]
    )
    power = stats.norm.cdf(0.7 * math.sqrt(n / 2) - stats.norm.ppf(1 - alpha / 2))
    assert power > 0.94
    for m in metrics:
        a, b = fast[m].to_numpy(float), other[m].to_numpy(float)
        assert np.isfinite(a).all() and a.std() > 0, m  # the metric varies, so the test means something
        assert stats.ttest_ind(a, b, equal_var=False).pvalue > alpha, m
        assert stats.ks_2samp(a, b).pvalue > alpha, m


def test_docstring_examples_run() -> None:
    import doctest

    import cmsim.mesa
    import cmsim.mesa.draws
    import cmsim.mesa.model

    for module in (cmsim.mesa, cmsim.mesa.draws, cmsim.mesa.model):
        result = doctest.testmod(module)
        assert result.attempted > 0 and result.failed == 0, module.__name__
