"""The metrics managers ask about: newcomer retention at 60 and 90 days, replies per answered
question, peers' share of first answers, norm-breaking share; tiny cases with known answers."""

from __future__ import annotations

import numpy as np
import pytest
from test_model_support import col, graph, quiet_sim

import cmsim
from cmsim._kernels import layout as L
from cmsim.metrics import METRICS, SERIES, daily_series
from cmsim.run import SUMMARY_KEYS, summarize

NEW = ("newcomer_retention_60d", "newcomer_retention_90d", "answers_per_answered_question",
       "peer_answer_share", "norm_breaking_share")  # fmt: skip


def test_new_metrics_are_summary_keys_with_labels() -> None:
    for name in NEW:
        assert name in SUMMARY_KEYS and name in METRICS
    assert METRICS["norm_breaking_share"].better == -1
    assert METRICS["newcomer_retention_90d"].better == +1


def test_retention_checks_each_newcomer_at_30_60_and_90_days() -> None:
    # everyone visits nearly daily and nobody leaves: every newcomer is checked exactly at 30, 60
    # and 90 days after joining, and kept
    sim = quiet_sim(graph(200), days=100, growth__acquisition=0.01)
    run = sim.run()
    d = run.daily
    joins = d["joins"].to_numpy()
    assert joins[:10].sum() > 10
    for days in (30, 60, 90):
        due = d[f"newcomers_due_{days}d"].to_numpy()
        assert (due[days:] == joins[:-days]).all() and due[:days].sum() == 0
        kept = d[f"newcomers_retained_{days}d"].to_numpy()
        assert (kept <= due).all() and kept.sum() >= 0.99 * due.sum()
    assert run.summary["newcomer_retention_90d"] == pytest.approx(1.0, abs=0.01)


def test_newcomers_who_leave_are_not_retained_at_60_days() -> None:
    sim = quiet_sim(graph(200), days=70, growth__acquisition=0.01, dynamics__churn_base=0.02)
    run = sim.run()
    # leaving 2% a day: about 0.98^60 = 30% of newcomers are still there at 60 days
    assert run.summary["newcomer_retention_60d"] == pytest.approx(0.98**60, abs=0.1)


def _asker_sim(strategy, *, experts: bool, days: int = 40) -> cmsim.Simulation:
    # member 0 asks whenever it can; members 1-3 see its questions and, as experts, always answer
    sim = quiet_sim(graph(10, [(0, 1), (0, 2), (0, 3)]), strategy, days=days, members__post_rate=1.0,
                    members__question_share=1.0, dynamics__answer_rate=1.0)  # fmt: skip
    sim.state.F[L.F_EXPERTISE, :10] = 0.0
    if experts:
        sim.state.F[L.F_EXPERTISE, 1:4] = 1.0
    return sim


def test_every_visiting_expert_answers_and_peers_give_every_first_answer() -> None:
    sim = _asker_sim("absent", experts=True)
    run = sim.run()
    answered = col(sim, "questions_answered")
    assert answered.sum() > 8
    assert (col(sim, "questions_answered_peer") == answered).all()
    assert run.summary["peer_answer_share"] == 1.0
    # up to three answers a question, each contact visiting with chance 0.95: about 2.85
    per = col(sim, "peer_answers")[answered > 0] / answered[answered > 0]
    assert ((per >= 1) & (per <= 3)).all()
    assert run.summary["answers_per_answered_question"] == pytest.approx(2.85, abs=0.25)


def test_the_manager_alone_gives_one_answer_a_question() -> None:
    sim = _asker_sim({"responding": 10.0}, experts=False)
    run = sim.run()
    assert col(sim, "questions_answered").sum() > 8
    assert col(sim, "peer_answers").sum() == 0
    assert run.summary["peer_answer_share"] == 0.0
    assert run.summary["answers_per_answered_question"] == 1.0


def test_norm_breaking_share_is_toxic_over_posts_and_replies_without_spam() -> None:
    days = 3
    daily = {c: np.zeros(days) for c in L.OUT_COLUMNS}
    daily["members"][:] = 10
    daily["posts"][:] = [10, 10, 20]  # toxic and spam posts included
    daily["toxic_posts"][:] = [1, 0, 2]
    daily["spam_posts"][:] = [2, 2, 4]
    daily["replies"][:] = [5, 0, 10]
    members = {k: np.zeros(0, np.int64) for k in ("status", "role", "posts", "fp_state", "second_post_day")}
    s = summarize(daily, np.zeros(L.MAX_OPEN_DAYS + 1), members, 10)
    assert s["norm_breaking_share"] == pytest.approx(3 / (40 - 8 + 15))
    assert s["toxic_share"] == pytest.approx(3 / 40)
    assert np.isnan(s["peer_answer_share"]) and np.isnan(s["answers_per_answered_question"])
    assert np.isnan(s["newcomer_retention_60d"])


def test_new_daily_series() -> None:
    run = cmsim.simulate("troll_raid", "absent", seed=1, members=400, days=100)
    for name in ("newcomer_retention_60d", "newcomer_retention_90d", "norm_breaking_share"):
        assert name in SERIES
        x = daily_series(run.daily, name)
        assert len(x) == 100 and np.nanmax(x) <= 1.0
    assert daily_series(run.daily, "norm_breaking_share")[-1] > 0


@pytest.mark.parametrize("engine", ["fast", "mesa"])
def test_wau_and_mau_count_members_seen_in_the_last_7_and_30_days(engine: str) -> None:
    """Nobody visits: each day's WAU and MAU are the members whose initial last visit is within 6
    and 29 days before it (a window of 7 and 30 days, today included)."""
    sim = quiet_sim(graph(300), days=40, members__visit_rate=0.0, dynamics__lapse_days=120)
    # hand-built last visits (the steady start draws its own): member i was last seen i % 60 days ago
    last = -(np.arange(300, dtype=np.int32) % 60)
    sim.state.I[L.I_LAST_VISIT, :300] = last
    if engine == "fast":
        d = sim.advance(40).daily
    else:
        from test_model_support import QUIET

        from cmsim.mesa import CommunityModel

        over = {**QUIET, "members.visit_rate": 0.0, "dynamics.lapse_days": 120}
        model = CommunityModel("forum", "absent", days=40, overrides=over, graph=graph(300), seed=1)
        for i, m in enumerate(model.member_list[:300]):
            m.last_visit = int(last[i])
        model.run_model()
        d = model.daily
    days = np.arange(40)
    assert d["dau"].sum() == 0
    assert (d["wau"].to_numpy() == [(last >= x - 6).sum() for x in days]).all()
    assert (d["mau"].to_numpy() == [(last >= x - 29).sum() for x in days]).all()
    assert d["wau"].iloc[6] > 0 and d["wau"].iloc[7] == 0  # last seen on day 0 counts up to day 6
