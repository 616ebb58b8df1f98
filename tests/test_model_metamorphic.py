"""Metamorphic checks: change one input, paired by seed, and the output must move the right way."""

from __future__ import annotations

import numpy as np
import pytest

import cmsim

SEEDS = (1, 2, 3, 4)
HOURS = (0.0, 0.3, 1.0, 20.0)


def _toxic(seed: int, moderation: float) -> int:
    alloc = {"moderation": moderation, "responding": 5.0, "content": 3.0, "welcoming": 2.0}
    run = cmsim.simulate(
        "troll_raid", alloc, seed=seed, members=600, days=90, overrides={"manager.hours": 30.0}
    )
    return int(run.daily["toxic_posts"].sum())


def test_more_moderation_hours_fewer_toxic_posts() -> None:
    table = np.array([[_toxic(seed, h) for h in HOURS] for seed in SEEDS])
    # paired by seed: never more toxic posts with more hours (tolerance: 5% + 2 posts)
    assert (table[:, 1:] <= table[:, :-1] * 1.05 + 2).all(), table
    # and far fewer with a moderator than without one
    assert (table[:, -1] < 0.5 * table[:, 0]).all(), table
    assert table[:, -1].sum() < 0.3 * table[:, 0].sum()


def _answered(seed: int, responding: float) -> float:
    # peers rarely answer here (answer_rate 0.05), so the manager's responding hours matter
    run = cmsim.simulate("forum", {"moderation": 5.0, "responding": responding, "welcoming": 3.0}, seed=seed,
                         members=1000, days=60, overrides={"dynamics.answer_rate": 0.05, "manager.hours": 30.0})  # fmt: skip
    return float(run.summary["answered_share"])


def test_more_responding_hours_higher_answered_share() -> None:
    table = np.array([[_answered(seed, h) for h in HOURS] for seed in SEEDS])
    assert (table[:, 1:] >= table[:, :-1] - 0.02).all(), table
    assert (table[:, -1] > table[:, 0] + 0.5).all(), table


@pytest.mark.parametrize("seed", SEEDS)
def test_absent_manager_more_toxic_than_moderation_first_on_troll_raid(seed: int) -> None:
    absent = cmsim.simulate("troll_raid", "absent", seed=seed, members=600, days=90)
    mod = cmsim.simulate("troll_raid", "moderation_first", seed=seed, members=600, days=90)
    assert absent.summary["toxic_share"] > 1.5 * mod.summary["toxic_share"]
    assert absent.summary["removals"] == 0 < mod.summary["removals"]


def test_more_welcoming_more_newcomers_greeted() -> None:
    def greeted(welcoming: float, seed: int) -> float:
        run = cmsim.simulate("forum", {"welcoming": welcoming}, seed=seed, members=800, days=60,
                             overrides={"growth.acquisition": 0.01})  # fmt: skip
        return float(run.daily["welcomed"].sum())

    for seed in SEEDS[:2]:
        assert greeted(0.0, seed) == 0 < greeted(2.0, seed) <= greeted(20.0, seed)


def test_higher_toxic_harm_lowers_satisfaction() -> None:
    for seed in SEEDS[:2]:
        sat = [
            cmsim.simulate("troll_raid", "absent", seed=seed, members=600, days=90,
                           overrides={"dynamics.toxic_harm": h}).daily["mean_satisfaction"].iloc[-1]
            for h in (0.0, 0.05, 0.2)
        ]  # fmt: skip
        assert sat[0] > sat[1] > sat[2]


def test_more_welcoming_keeps_more_newcomers_at_60_days() -> None:
    # paired by seed: a manager who greets newcomers keeps more of them into their third month
    def kept(welcoming: float, seed: int) -> float:
        alloc = {"moderation": 6.0, "responding": 6.0, "welcoming": welcoming}
        return float(cmsim.simulate("forum", alloc, seed=seed, days=180).summary["newcomer_retention_60d"])

    diff = np.array([kept(3.0, seed) - kept(0.0, seed) for seed in SEEDS])
    assert (diff > 0).all(), diff
    assert diff.mean() > 0.01, diff
