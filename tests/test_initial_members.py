"""The initial members' roles, join days and last visits (``members.initial_history``, which both
engines call): shares, ranges and independent draws, on 20,000 members with a fixed seed."""

from __future__ import annotations

import numpy as np
import pytest

from cmsim._kernels import layout as L
from cmsim._kernels.members import initial_history
from cmsim._kernels.rng import key

N = 20_000


def _histories(troll=0.05, spam=0.02, lapse_days=60.0, seed=7):
    kr = key(seed, L.S_TRAIT_ROLE, -1)
    return np.array([initial_history(kr, N, i, troll, spam, lapse_days) for i in range(N)])


def test_roles_come_in_their_shares():
    role = _histories()[:, 0]
    sd = np.sqrt(0.05 * 0.95 / N)
    assert abs((role == L.TROLL).mean() - 0.05) < 4 * sd
    assert abs((role == L.SPAMMER).mean() - 0.02) < 4 * np.sqrt(0.02 * 0.98 / N)
    assert set(np.unique(role)) == {L.MEMBER, L.TROLL, L.SPAMMER}  # no champion at the start


def test_joined_within_a_year_and_seen_within_half_the_lapse_time():
    h = _histories(lapse_days=60.0)
    join, last = h[:, 1], h[:, 2]
    assert join.min() == -365 and join.max() == -1  # every day of the past year, no other
    assert last.min() == -29 and last.max() == 0  # half of 60 days: 30 values, 0..-29
    assert np.mean(last) == pytest.approx(-14.5, abs=0.3)  # uniform over them
    assert np.mean(join) == pytest.approx(-183.0, abs=2.0)


def test_short_lapse_time_means_seen_today():
    assert (_histories(lapse_days=1.0)[:, 2] == 0).all()  # half of it is less than a day: at least 1


def test_role_join_day_and_last_visit_are_independent_draws():
    """Each comes from its own counter of the role stream; a shared draw would tie them."""
    h = _histories().astype(float)
    corr = np.corrcoef(h.T)
    # 4 standard errors of a correlation of independent draws (1 / sqrt(N) = 0.007)
    assert abs(corr[1, 2]) < 0.03 and abs(corr[0, 1]) < 0.03 and abs(corr[0, 2]) < 0.03
