"""Members who answer each other: the front page, the manager who waits for peers, and the count
of answers; tiny cases with known answers and paired metamorphic checks."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_model_support import col, graph, quiet_sim

import cmsim
from cmsim._kernels import layout as L
from cmsim._kernels.levers import front_answers, throughput

_fa = front_answers.py_func


@given(lam=st.floats(0.01, 20.0))
def test_front_answers_is_a_poisson_count_of_at_least_one(lam: float) -> None:
    u = (np.arange(4000) + 0.5) / 4000  # an even grid of uniforms: the quantiles
    k = np.array([_fa(lam, x) for x in u])
    assert k.min() >= 1 and (np.diff(k) >= 0).all()  # at least one, monotone in u
    assert front_answers(lam, 0.3) == _fa(lam, 0.3)  # one formula for both engines
    if lam < 15:  # (the cap of 50 answers is out of reach)
        assert k.mean() == pytest.approx(lam / (1.0 - math.exp(-lam)), rel=0.01)


def _front_sim(front_page: float, answer_rate: float = 0.1, days: int = 20) -> cmsim.Simulation:
    # 200 unlinked experts (expertise 1): no contact ever answers; everyone without an open
    # question asks on every visit; only the front page answers, on the day a question is asked
    sim = quiet_sim(graph(200), days=days, members__post_rate=1.0, members__question_share=1.0,
                    dynamics__front_page=front_page, dynamics__answer_rate=answer_rate)  # fmt: skip
    sim.state.F[L.F_EXPERTISE, :200] = 1.0
    sim.run()
    return sim


def test_front_page_answers_new_questions_with_chance_one_minus_exp_lambda() -> None:
    sim = _front_sim(1.0)
    q, dau, ans = col(sim, "questions"), col(sim, "dau"), col(sim, "questions_answered")
    # lam today = front_page * answer_rate * (yesterday's visitors' expertise) / yesterday's questions
    lam = 1.0 * 0.1 * dau[:-1] / np.maximum(q[:-1], 1)
    expected = q[1:] * (1.0 - np.exp(-lam))
    assert ans[0] == 0  # nobody read the front page the day before
    assert expected.sum() > 100
    # a sum of binomials: within 4 standard deviations
    sd = math.sqrt((expected * np.exp(-lam)).sum())
    assert abs(ans[1:].sum() - expected.sum()) < 4 * sd
    # each answered question got a Poisson(lam) count of at least one
    per = (lam / (1.0 - np.exp(-lam)))[ans[1:] > 0]
    assert col(sim, "peer_answers")[1:].sum() == pytest.approx((per * ans[1:][ans[1:] > 0]).sum(), rel=0.1)
    assert (col(sim, "questions_answered_peer") == ans).all()


def test_no_front_page_no_answers_without_contacts() -> None:
    sim = _front_sim(0.0)
    assert col(sim, "questions").sum() > 100
    assert col(sim, "questions_answered").sum() == 0


def _waiting_sim(wait: int, waiting: float = 0.0) -> cmsim.Simulation:
    sim = quiet_sim(graph(50), {"responding": 30.0}, days=3, members__post_rate=1.0,
                    members__question_share=1.0, levers__responding_wait=wait)  # fmt: skip
    sim.state.F[L.F_EXPERTISE, :50] = 0.0
    sim.state.M[L.M_LOAD_OPEN] = waiting  # questions the manager saw waiting the day before day 0
    sim.run()
    return sim


def test_the_manager_waits_for_peers_when_the_waiting_questions_take_the_hours() -> None:
    now, later = _waiting_sim(0), _waiting_sim(1, waiting=1e6)
    asked = col(now, "questions")[0]
    assert asked > 40
    assert col(now, "questions_answered")[0] == asked  # the same day
    assert col(later, "questions_answered")[0] == 0  # no hours left over: left to peers for a day...
    assert col(later, "questions_answered")[1] == asked  # ...then answered, a day late
    # the answers of day k spread over [k, k + 1): all on day 1, the median is 1.5
    assert later.result().summary["median_response_days"] == 1.5


def test_hours_the_waiting_questions_leave_answer_new_ones_the_same_day() -> None:
    # 30 h of responding and nothing waiting: the manager does not wait for peers
    sim = _waiting_sim(1)
    asked = col(sim, "questions")[0]
    assert asked > 40
    assert col(sim, "questions_answered")[0] == asked
    # day 1: as many as the day's capacity over yesterday's questions, of today's new ones
    cap = throughput.py_func(30.0, 6.0, 20.0) / 7.0
    q1, p_now = col(sim, "questions")[1], min(1.0, cap / asked)
    assert 0.0 < p_now < 1.0 and q1 > 20
    sd = math.sqrt(q1 * p_now * (1.0 - p_now))
    assert abs(col(sim, "questions_answered")[1] - q1 * p_now) < 4 * sd


def _forum(front_page: float, seed: int, strategy: str = "absent") -> dict[str, float]:
    return cmsim.simulate("forum", strategy, seed=seed, members=1000, days=90,
                          overrides={"dynamics.front_page": front_page}).summary  # fmt: skip


@pytest.mark.parametrize("seed", (1, 2))
def test_more_front_page_reading_more_questions_answered_by_peers(seed: int) -> None:
    table = [_forum(fp, seed) for fp in (0.0, 1.0, 2.0, 4.0)]
    answered = [s["answered_share"] for s in table]
    assert all(b >= a - 0.02 for a, b in zip(answered, answered[1:], strict=False)), answered
    assert answered[-1] > answered[0] + 0.4
    per = [s["answers_per_answered_question"] for s in table]
    assert per[-1] > per[1] > 1.0


def test_peers_leave_the_manager_fewer_questions() -> None:
    # paired: the same seeds with and without the front page, the manager in post
    for seed in (1, 2):
        without, with_ = _forum(0.0, seed, "balanced"), _forum(2.0, seed, "balanced")
        assert with_["peer_answer_share"] > without["peer_answer_share"] + 0.3
        assert with_["answered_share"] >= without["answered_share"] - 0.01
