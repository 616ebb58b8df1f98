"""The manager: stress, burnout, quitting, learning, strategies and their validation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from test_model_support import col, graph, quiet_sim, with_events

import cmsim
from cmsim import Intervention, StrategyError
from cmsim._kernels import layout as L
from cmsim._kernels.step import LEARN_SOFTEN, LEARN_SPEED, manager_levers
from cmsim.parameters import LEVERS
from cmsim.simulation import observe


# --- stress and burnout ------------------------------------------------------------------------
def test_overwork_builds_stress_by_the_stated_recursion() -> None:
    # stress' = clip(stress + overwork * max(0, work - sustainable) / 7 - recovery * stress, 0, 1)
    sim = quiet_sim(graph(20), {"moderation": 30.0, "responding": 20.0}, days=40, manager__hours=50.0,
                    manager__sustainable_hours=32.0, manager__overwork_stress=0.01, manager__recovery=0.02,
                    manager__initial_stress=0.1, manager__burnout_threshold=1.0)  # fmt: skip
    sim.run()
    s, expected = 0.1, []
    for _ in range(40):
        s = min(max(s + 0.01 * 18 / 7 - 0.02 * s, 0.0), 1.0)
        expected.append(s)
    assert np.allclose(col(sim, "manager_stress"), expected, rtol=1e-12)
    assert col(sim, "manager_hours").tolist() == [50.0] * 40


def test_self_care_hours_lower_stress_at_equal_work() -> None:
    kw = dict(days=30, manager__hours=60.0, manager__sustainable_hours=20.0, manager__overwork_stress=0.01,
              manager__self_care_recovery=0.05, manager__burnout_threshold=1.0)  # fmt: skip
    work = quiet_sim(graph(20), {"moderation": 40.0}, **kw)
    care = quiet_sim(graph(20), {"moderation": 40.0, "self_care": 10.0}, **kw)
    a, b = col(work.advance(30), "manager_stress"), col(care.advance(30), "manager_stress")
    assert b[0] == a[0] and (b[1:] < a[1:]).all()  # self-care is not work and speeds recovery


def test_toxicity_handled_builds_stress() -> None:
    def stress(toxicity_stress: float) -> float:
        sim = quiet_sim(graph(200), {"moderation": 30.0}, days=10, trolls__post_rate=1.0,
                        manager__toxicity_stress=toxicity_stress, trolls__comeback=1.0, trolls__comeback_days=1)  # fmt: skip
        sim.state.B[L.B_ROLE, :50] = L.TROLL
        return float(col(sim.advance(10), "manager_stress")[-1])

    assert stress(0.0) == 0.0
    assert stress(0.002) > 0.05


def test_burned_out_manager_works_at_burnout_effectiveness() -> None:
    sim = quiet_sim(graph(20), "balanced", days=5, manager__initial_stress=0.9, manager__burnout_threshold=0.8,
                    manager__recovery=0.0, manager__burnout_effectiveness=0.4, manager__quit_rate=0.0)  # fmt: skip
    sim.advance(5)
    assert col(sim, "manager_burned_out").tolist() == [1] * 5
    assert sim.result().summary["burnout_days"] == 5.0
    # the lever effects: every capacity is scaled by the effectiveness
    st = sim.state
    H = np.array([sim.allocation[lever] for lever in LEVERS])
    fresh = st.M.copy()
    fresh[L.M_BURNED_OUT] = 0.0
    burned = manager_levers(st.P, st.M, H)
    ok = manager_levers(st.P, fresh, H)
    assert burned[0] == pytest.approx(0.4) and ok[0] == 1.0
    for k in (1, 2, 3, 4, 5, 7):  # moderation, responding, content, welcome, events, learning
        assert burned[k] == pytest.approx(0.4 * ok[k])
        assert ok[k] > 0


def test_burned_out_manager_answers_fewer_questions() -> None:
    def answered(initial_stress: float) -> float:
        n = 600
        sim = quiet_sim(graph(n), {"responding": 12.0}, days=15, members__post_rate=1.0, members__question_share=1.0,
                        manager__initial_stress=initial_stress, manager__recovery=0.0, manager__quit_rate=0.0,
                        manager__burnout_effectiveness=0.5)  # fmt: skip
        sim.state.F[L.F_EXPERTISE, :n] = 0.0
        return float(col(sim.advance(15), "questions_answered")[1:].sum())

    assert answered(0.9) / answered(0.0) == pytest.approx(0.5, abs=0.12)


def test_burned_out_manager_recovers_below_recover_threshold() -> None:
    sim = quiet_sim(graph(20), {"self_care": 30.0}, days=60, manager__initial_stress=0.95, manager__recovery=0.05,
                    manager__recover_threshold=0.4, manager__quit_rate=0.0, manager__self_care_recovery=0.01,
                    manager__burnout_threshold=0.8)  # fmt: skip
    sim.advance(60)
    stress, burned = col(sim, "manager_stress"), col(sim, "manager_burned_out")
    assert burned[0] == 1 and burned[-1] == 0
    assert ((burned == 1) == (stress > 0.4)).all()  # stress only falls here


def _quitting_sim(vacancy_days: int, days: int = 16):
    sim = quiet_sim(graph(20), {"moderation": 10.0}, days=days, manager__quit_rate=1.0,
                    manager__vacancy_days=vacancy_days, manager__recovery=0.0, manager__initial_stress=0.1,
                    manager__burnout_threshold=0.8)  # fmt: skip
    sim.state.M[L.M_STRESS] = 0.9  # the manager in post is burned out; a successor starts at 0.1
    sim.state.M[L.M_KNOW_HOW] = 0.5
    return sim


def test_burned_out_manager_quits_and_a_successor_starts_fresh() -> None:
    sim = _quitting_sim(5)
    run = sim.run()
    hours = col(sim, "manager_hours")
    assert hours[0] == 10.0  # worked on day 0, then quit
    assert hours[1] == 0.0 and hours[-1] == 10.0
    assert (col(sim, "hours_moderation") == hours).all()
    back = int(np.argmax(hours[1:] > 0)) + 1
    assert col(sim, "manager_stress")[back] == pytest.approx(0.1)
    assert col(sim, "manager_burned_out")[back:].tolist() == [0] * (16 - back)
    assert col(sim, "know_how")[back] == 0.0  # the predecessor's know-how left with them
    assert run.summary["manager_quits"] == 1.0


@pytest.mark.parametrize("vacancy", [1, 2, 5])
def test_vacancy_lasts_vacancy_days(vacancy: int) -> None:
    sim = _quitting_sim(vacancy)
    sim.run()
    hours = col(sim, "manager_hours")
    assert (hours[1 : 1 + vacancy] == 0).all()
    assert hours[1 + vacancy] == 10.0


def test_vacancy_leaves_the_community_unmanaged() -> None:
    sim = _quitting_sim(8)
    sim.run()
    vacant = col(sim, "manager_hours") == 0
    assert vacant.sum() >= 6
    assert (col(sim, "manager_present")[1:6] == 0).all()
    assert (col(sim, "hours_moderation")[vacant] == 0).all()


def test_manager_count_zero_means_no_manager() -> None:
    sim = quiet_sim(graph(20), "absent", days=5, manager__count=0)
    sim.advance(5)
    assert col(sim, "manager_present").tolist() == [0] * 5
    assert col(sim, "manager_hours").tolist() == [0.0] * 5


# --- learning and the platform ---------------------------------------------------------------
ALGO = with_events([{"type": "algorithm_change", "day": 2, "duration": 1, "magnitude": 0.4}])


@pytest.mark.parametrize("know", [0.0, 1.0])
def test_algorithm_change_cuts_reach_and_know_how_softens_it(know: float) -> None:
    sim = quiet_sim(graph(20), "absent", days=10, platform__recovery_days=20, platform__reach=1.0, **ALGO)
    sim.state.M[L.M_KNOW_HOW] = know  # with no hours, know-how stays where it is
    sim.advance(10)
    reach = col(sim, "reach")
    tau = 20 * (1 - LEARN_SPEED * know)
    shock = 0.4 * (1 - LEARN_SOFTEN * know)
    expected = [1.0, 1.0] + [1 - shock * math.exp(-t / tau) for t in range(8)]
    assert np.allclose(reach, expected, rtol=1e-12)
    assert col(sim, "know_how").tolist() == [know] * 10


def test_know_how_gained_after_an_algorithm_change_softens_it_from_then_on() -> None:
    # no know-how when the change comes (day 2); full know-how from day 5: a lasting change adapted to
    sim = quiet_sim(graph(20), "absent", days=10, platform__recovery_days=20, platform__reach=1.0, **ALGO)
    sim.advance(5)
    sim.state.M[L.M_KNOW_HOW] = 1.0
    sim.advance(5)
    expected, shock = [], 0.0
    for d in range(10):
        k = 1.0 if d >= 5 else 0.0
        shock = shock * math.exp(-1 / (20 * (1 - LEARN_SPEED * k))) + (0.4 if d == 2 else 0.0)
        expected.append(1 - shock * (1 - LEARN_SOFTEN * k))
    reach = col(sim, "reach")
    assert np.allclose(reach, expected, rtol=1e-12)
    assert reach[5] - reach[4] > 0.25  # the cut shrinks by 70% the day know-how is there


def test_reach_loss_lowers_visits() -> None:
    n = 2000
    kw = dict(days=6, members__visit_rate=0.3, platform__recovery_days=1000, platform__reach=1.0)
    calm = quiet_sim(graph(n), **kw)
    cut = quiet_sim(graph(n), **kw, **with_events([{"type": "algorithm_change", "day": 3, "magnitude": 0.5}]))
    a, b = col(calm.advance(6), "dau"), col(cut.advance(6), "dau")
    assert (a[:3] == b[:3]).all()
    assert b[3:].sum() / a[3:].sum() == pytest.approx(0.5, abs=0.07)


def test_learning_hours_build_know_how() -> None:
    learn = quiet_sim(graph(20), {"learning": 20.0}, days=60, levers__learning_rate=0.2)
    none = quiet_sim(graph(20), {"moderation": 20.0}, days=60, levers__learning_rate=0.2)
    k = col(learn.advance(60), "know_how")
    assert (np.diff(k) > 0).all() and 0.5 < k[-1] < 1.0
    assert col(none.advance(60), "know_how").tolist() == [0.0] * 60


def test_new_channel_only_helps_managers_who_learned() -> None:
    ev = with_events([{"type": "new_channel", "day": 1, "duration": 5, "magnitude": 0.2}])
    for know in (0.0, 0.5):
        sim = quiet_sim(graph(20), days=6, platform__reach=1.0, **ev)
        sim.state.M[L.M_KNOW_HOW] = know
        assert col(sim.advance(6), "reach").tolist() == pytest.approx([1.0] + [1.0 + 0.2 * know] * 5)


# --- strategies in a Simulation ----------------------------------------------------------------
def test_strategy_allocates_weekly_and_set_allocation_takes_effect_at_once() -> None:
    calls = []

    def strategy(obs):
        calls.append(obs["day"])
        return {"moderation": 10.0}

    sim = quiet_sim(graph(20), strategy, days=21)
    sim.advance(10)
    assert calls == [0.0, 7.0]
    sim.set_allocation({"responding": 5.0, "welcoming": 5.0})
    sim.advance(11)
    assert calls == [0.0, 7.0]  # a fixed allocation replaces the strategy
    d = sim.daily
    assert d["hours_moderation"].tolist() == [10.0] * 10 + [0.0] * 11
    assert d["hours_responding"].tolist() == [0.0] * 10 + [5.0] * 11
    assert d["manager_hours"].tolist() == [10.0] * 10 + [10.0] * 11


def test_set_strategy_allocates_at_once_then_weekly() -> None:
    sim = quiet_sim(graph(20), "balanced", days=14)
    sim.advance(3)
    sim.set_strategy("moderation_first")
    sim.advance(11)
    share = sim.daily["hours_moderation"] / sim.budget
    assert share[:3].tolist() == pytest.approx([0.20] * 3)
    assert share[3:].tolist() == pytest.approx([0.45] * 11)
    assert sim.result().strategy == "moderation_first"


def test_fixed_and_share_strategies_allocate_without_reading_the_dashboard(monkeypatch) -> None:
    # They read only the budget, so the week's dashboard is not computed for them (speed); a
    # strategy that reads it still gets it, and the hours are the same either way.
    from cmsim import simulation

    reads = []
    real = simulation.observe
    monkeypatch.setattr(simulation, "observe", lambda *a: reads.append(a[1]) or real(*a))
    sim = quiet_sim(graph(20), "balanced", days=21)
    sim.advance(21)
    assert reads == []
    assert (sim.daily["hours_moderation"] / sim.budget).tolist() == pytest.approx([0.20] * 21)
    quiet_sim(graph(20), "data_driven", days=21).advance(21)
    assert reads == [0, 7, 14]


def test_switch_strategy_intervention_on_a_given_day() -> None:
    iv = Intervention(10, "switch_strategy", strategy={"events": 12.0})
    sim = quiet_sim(graph(20), "absent", days=20, interventions=[iv])
    run = sim.run()
    assert run.daily["hours_events"].tolist() == [0.0] * 10 + [12.0] * 10
    assert [e["day"] for e in run.events if e["label"].startswith("switch to")] == [10]


def test_observation_sums_last_week() -> None:
    seen = []

    def strategy(obs):
        seen.append(dict(obs))
        return {}

    # an exact dashboard (no measurement error): the strategy sees the true sums
    sim = quiet_sim(graph(20), strategy, days=15, members__post_rate=0.3, levers__dashboard_noise=0.0)
    sim.advance(15)
    posts = col(sim, "posts")
    assert seen[1]["posts"] == posts[0:7].sum()
    assert seen[2]["posts"] == posts[7:14].sum()
    assert seen[2]["members"] == 20 and seen[0]["budget"] == 30.0
    assert sim.observe() == sim.observe(exact=True)


def test_strategies_see_the_noisy_dashboard_sharper_with_analytics() -> None:
    """Every strategy reads the dashboard of cmsim.dashboard: with no analytics hours the weekly
    counts are off by about levers.dashboard_noise; analytics hours shrink the error."""
    errors = {}
    for hours in (0.0, 12.0):
        seen = []

        def strategy(obs, hours=hours, seen=seen):
            seen.append(dict(obs))
            return {"analytics": hours, "responding": 10.0}

        sim = cmsim.Simulation("forum", strategy, seed=3, members=2000, days=57)
        sim.advance(57)
        exact = [observe(sim.state.OUT, d, sim.budget) for d in range(7, 57, 7)]
        rel = [abs(s["dau"] / e["dau"] - 1.0) for s, e in zip(seen[1:], exact, strict=True)]
        errors[hours] = float(np.sqrt(np.mean(np.square(rel))))
        assert all(s["members"] == e["members"] for s, e in zip(seen[1:], exact, strict=True))
    noise = cmsim.load_scenario("forum")["levers.dashboard_noise"]
    assert 0.4 * noise < errors[0.0] < 2.0 * noise  # 8 weeks: a loose band around the declared error
    assert errors[12.0] < 0.5 * errors[0.0]  # 12 h of analytics: error x exp(-3)


BAD = [
    ({"moderation": -1.0}, ["day 7", "'moderation'", "-1"]),
    ({"moderation": 20.0, "content": 20.0}, ["day 7", "40", "30", "moderation=20", "content=20"]),
    ({"moderaton": 5.0}, ["day 7", "'moderaton'", "did you mean 'moderation'"]),
    ({"responding": float("nan")}, ["day 7", "'responding'", "nan"]),
    ({"responding": float("inf")}, ["day 7", "'responding'", "inf"]),
    ({"responding": "lots"}, ["day 7", "'responding'", "'lots'"]),
    ([("moderation", 5.0)], ["day 7", "mapping", "list"]),
    (None, ["day 7", "mapping", "NoneType"]),
]


@pytest.mark.parametrize(("output", "words"), BAD)
def test_invalid_strategy_output_names_the_day_and_values(output, words) -> None:
    def strategy(obs):
        return {"moderation": 5.0} if obs["day"] < 7 else output

    sim = quiet_sim(graph(20), strategy, days=14)
    sim.advance(7)
    with pytest.raises(StrategyError) as exc:
        sim.advance(7)
    msg = str(exc.value)
    assert "\n" not in msg
    for w in words:
        assert w in msg, (w, msg)


@pytest.mark.parametrize(("output", "words"), BAD[:4])
def test_invalid_allocation_is_refused_by_set_allocation_and_simulate(output, words) -> None:
    sim = quiet_sim(graph(20), "absent", days=14)
    with pytest.raises(StrategyError):
        sim.set_allocation(output)
    with pytest.raises(StrategyError, match="day 0"):
        cmsim.simulate("forum", output, members=50, days=5, overrides={"manager.hours": 30.0})


def test_unknown_strategy_name_is_refused() -> None:
    with pytest.raises(StrategyError, match="balanced"):
        cmsim.simulate("forum", "balancd", members=50, days=5)


def test_builtin_strategies_spend_their_shares_of_the_budget() -> None:
    budget = cmsim.load_scenario("forum").hours_budget
    for name in cmsim.STRATEGIES:
        run = cmsim.simulate("forum", name, seed=1, members=100, days=8)
        hours = run.daily[[f"hours_{lever}" for lever in LEVERS]].sum(axis=1)
        assert hours.tolist() == pytest.approx([0.0 if name == "absent" else budget] * 8), name
        assert np.allclose(run.daily["manager_hours"], hours)


def test_data_driven_moves_hours_to_where_last_week_fell_short() -> None:
    from cmsim.strategies import SHARES, DataDriven

    calm = {"budget": 40.0, "members": 1000.0, "questions": 50.0, "questions_answered": 50.0,
            "toxic_posts": 10.0, "removals": 10.0, "mean_satisfaction": 0.7, "reach": 1.0}  # fmt: skip
    s = DataDriven()
    first = s.allocate(calm)
    assert sum(first.values()) == pytest.approx(40.0)
    assert first["analytics"] > SHARES["balanced"]["analytics"] * 40.0  # analytics-led
    backlog = {**calm, "questions_answered": 10.0}  # 80% of questions left unanswered
    s2 = DataDriven()
    shifted = s2.allocate(backlog)
    assert shifted["responding"] > first["responding"] + 1.0
    assert shifted["moderation"] < first["moderation"]
    stressed = DataDriven().allocate({**calm, "manager_stress": 0.9})
    assert stressed["self_care"] > first["self_care"] + 2.0
    assert sum(stressed.values()) == pytest.approx(40.0)
