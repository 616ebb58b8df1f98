"""The approval queue for new accounts: moderation capacity the reviews leave holds their posts.

Tiny hand-built cases with known answers (``docs/model.md``, "What hours beyond the load buy"),
both engines on a run where the queue works, then a paired metamorphic check (same seeds, more
moderation hours).
"""

from __future__ import annotations

import numpy as np
import pytest
from test_mesa import assert_same_runs, both
from test_model_support import col, graph, quiet_sim, set_role

import cmsim
from cmsim._kernels import layout as L
from cmsim._kernels import tally as T
from cmsim._kernels.levers import approval_queue, day_scalars, saturation, spare_hours, throughput
from cmsim._kernels.step import N_Z

_queue = approval_queue.py_func


def test_queue_coverage_and_load_on_known_numbers() -> None:
    # 30 reviews a day of capacity, 10 taken by the reviews: 20 spare = 40 queue items at half a review
    assert _queue(30.0, 10.0, 80.0, 0.5) == (0.5, 20.0)  # half of 80 new-account posts
    assert _queue(30.0, 10.0, 10.0, 0.5) == (1.0, 5.0)  # all 10, at the cost of 5 reviews
    assert _queue(30.0, 10.0, 0.0, 0.5) == (1.0, 0.0)  # no load yet: a first post would be held
    assert _queue(30.0, 10.0, 80.0, 2.0) == (0.125, 20.0)  # dearer items: 10 of 80
    assert _queue(30.0, 30.0, 5.0, 0.5) == (0.0, 0.0) == _queue(30.0, 50.0, 5.0, 0.5)  # no spare capacity
    assert _queue(0.0, 0.0, 5.0, 0.5) == (0.0, 0.0)  # no moderation hours


def _day(hours: dict[str, float], **loads: float) -> tuple[np.ndarray, dict]:
    sim = quiet_sim(graph(20), hours, days=1, levers__analytics_gain=0.0)  # target = 1
    sim.advance(1)
    M = sim.state.M.copy()
    for name, v in loads.items():
        M[getattr(L, name)] = v
    H = np.array([sim.allocation.get(lever, 0.0) for lever in cmsim.LEVERS])
    Z = np.zeros(N_Z)
    day_scalars(0, sim.state.P, sim.state.TL, M, H, Z)
    return Z, sim.scenario


def test_the_queue_takes_the_capacity_the_reviews_leave_and_the_norms_what_it_leaves() -> None:
    Z, sc = _day({"moderation": 10.0})
    cap = throughput.py_func(10.0, sc["levers.moderation_rate"], sc["levers.moderation_scale"]) / 7.0
    cost = sc["levers.queue_cost"]
    # the reviews take a quarter of the capacity; the queue's load is twice what the rest holds
    items = 0.75 * cap / cost
    Z, _ = _day({"moderation": 10.0}, M_LOAD_OFFENDING=cap / 4, M_LOAD_NEW_POSTS=2 * items)
    assert Z[T.Z_P_QUEUE] == pytest.approx(0.5, rel=1e-12)
    assert Z[T.Z_NORM] == 0.0  # the queue took every spare hour
    # a load of a third of that: the queue uses a quarter of the capacity, half the hours are left
    Z, _ = _day({"moderation": 10.0}, M_LOAD_OFFENDING=cap / 4, M_LOAD_NEW_POSTS=cap / 4 / cost)
    assert Z[T.Z_P_QUEUE] == 1.0
    expected = sc["levers.norm_max"] * saturation.py_func(spare_hours.py_func(10.0, cap, cap / 2),
                                                          sc["levers.norm_scale"])  # fmt: skip
    assert Z[T.Z_NORM] == pytest.approx(expected, rel=1e-12)
    assert spare_hours.py_func(10.0, cap, cap / 2) == pytest.approx(5.0, rel=1e-12)
    assert _day({}, M_LOAD_NEW_POSTS=3.0)[0][T.Z_P_QUEUE] == 0.0  # no moderation hours: no queue


def _new_troll(hours: dict[str, float], days: int = 1, **overrides: float) -> cmsim.Simulation:
    """Member 0 a troll who joined on day 0 and published nothing: it posts every day."""
    sim = quiet_sim(
        graph(10), hours, days=days, **{"trolls__post_rate": 1.0, "trolls__comeback": 0.0, **overrides}
    )
    set_role(sim, [0], L.TROLL)
    sim.state.I[L.I_JOIN, 0] = 0
    sim.state.I[L.I_POSTS, 0] = 0
    return sim


def test_a_new_trolls_post_is_held_and_rejected_with_full_coverage() -> None:
    sim = _new_troll({"moderation": 30.0})  # plenty spare, no load: coverage 1 on day 0
    sim.advance(1)
    st = sim.state
    assert st.B[L.B_STATUS, 0] == L.REMOVED
    assert st.I[L.I_REMOVED, 0] == 0
    assert st.I[L.I_POSTS, 0] == 0  # never published
    assert col(sim, "held_posts").tolist() == [1]
    assert col(sim, "removals").tolist() == [1]
    assert col(sim, "toxic_posts").tolist() == [0]
    assert col(sim, "posts").tolist() == [0]
    assert st.M[L.M_LOAD_NEW_POSTS] == 1.0  # tomorrow's queue load


def test_a_new_trolls_post_is_published_without_the_queue() -> None:
    sim = _new_troll({"responding": 30.0})  # no moderation hours: coverage 0
    sim.advance(1)
    st = sim.state
    assert st.B[L.B_STATUS, 0] == L.ACTIVE
    assert st.I[L.I_POSTS, 0] == 1
    assert col(sim, "held_posts").tolist() == [0]
    assert col(sim, "toxic_posts").tolist() == [1]
    assert st.M[L.M_LOAD_NEW_POSTS] == 1.0  # a new account's post, held or not


def test_an_account_with_a_published_post_is_not_held() -> None:
    sim = _new_troll({"moderation": 30.0})
    sim.state.I[L.I_POSTS, 0] = 1  # its first post was published
    sim.advance(1)
    assert sim.state.B[L.B_STATUS, 0] == L.ACTIVE
    assert col(sim, "toxic_posts").tolist() == [1]
    assert col(sim, "held_posts").tolist() == [0]
    assert sim.state.M[L.M_LOAD_NEW_POSTS] == 0.0


def test_a_member_present_at_the_start_is_not_a_new_account() -> None:
    sim = _new_troll({"moderation": 30.0})
    sim.state.I[L.I_JOIN, 0] = -100  # joined before the run: its past posts were published
    sim.advance(1)
    assert col(sim, "toxic_posts").tolist() == [1]
    assert col(sim, "held_posts").tolist() == [0]


def test_a_newcomers_held_post_is_approved_and_published() -> None:
    sim = quiet_sim(graph(10), {"moderation": 30.0}, days=2, members__post_rate=1.0)
    st = sim.state
    st.I[L.I_JOIN, 0] = 0  # a newcomer of today; the others joined long ago
    st.I[L.I_JOIN, 1:10] = -100
    st.I[L.I_POSTS, :10] = 0
    sim.advance(1)
    assert st.B[L.B_STATUS, 0] == L.ACTIVE
    assert st.I[L.I_POSTS, 0] == 1
    assert col(sim, "first_posts").tolist() == [1]
    assert col(sim, "held_posts").tolist() == [0]
    assert col(sim, "removals").tolist() == [0]
    posts = int(col(sim, "posts")[0])
    assert posts >= 8  # every visitor (chance 0.95) posts
    assert st.M[L.M_LOAD_NEW_POSTS] == 1.0  # only the newcomer's post went through the queue
    sim.advance(1)
    assert st.M[L.M_LOAD_NEW_POSTS] == 0.0  # approved: not a new account any more


def test_a_comeback_is_a_new_account_and_is_held_again() -> None:
    # every removed troll comes back (after a day on average) under a new account
    sim = _new_troll({"moderation": 30.0}, days=40, trolls__comeback=1.0, trolls__comeback_days=1)
    sim.advance(1)
    back = int(sim.state.I[L.I_COMEBACK, 0])
    assert back >= 1
    sim.advance(back + 1)  # it arrives on that day and posts the next
    assert col(sim, "comebacks")[back] == 1
    held = col(sim, "held_posts")
    assert held[0] == 1 and held[back + 1] == 1, held
    assert held.sum() == 2
    assert col(sim, "toxic_posts").sum() == 0  # nothing published
    assert col(sim, "removals").sum() == 2


def test_both_engines_agree_with_the_approval_queue() -> None:
    fast, other = both("forum", "moderation_first", seed=3, members=300, days=90)
    assert_same_runs(fast, other)
    assert fast.daily["held_posts"].sum() > 0  # the queue worked


# --- paired by seed: more moderation hours, a lower norm-breaking share ---------------------------
SEEDS = (1, 2, 3, 4)
SOME = {"moderation": 1.0, "responding": 6.0, "content": 4.0, "welcoming": 4.0, "events": 2.0, "analytics": 2.0,
        "learning": 2.0, "self_care": 3.0}  # fmt: skip


def test_more_moderation_hours_hold_more_new_accounts_and_lower_the_norm_breaking_share() -> None:
    runs = [
        [cmsim.simulate("forum", {**SOME, "moderation": h}, seed=seed, days=240,
                        overrides={"manager.hours": 50.0}) for h in (1.0, 12.0)]
        for seed in range(1, 13)
    ]  # fmt: skip
    share = np.array([[r.summary["norm_breaking_share"] for r in pair] for pair in runs[: len(SEEDS)]])
    held = np.array([[r.daily["held_posts"].sum() for r in pair] for pair in runs])
    assert (share[:, 1] < share[:, 0]).all(), share
    assert share[:, 1].mean() < 0.85 * share[:, 0].mean(), share  # (measured: 30% lower)
    # 1 hour already holds most new trolls (about 3 queue items a day): a few more with 12 over 12
    # seeds (model 3.1: 777 against 764; 3.0: 794 against 769), though not in every seed (the
    # communities part ways: 9 of 12 in both models)
    assert held[:, 1].sum() > held[:, 0].sum() and (held[:, 1] >= held[:, 0]).sum() >= 8, held
