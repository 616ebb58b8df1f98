"""The prefetch hint and the code that uses it change no result."""

from __future__ import annotations

import numpy as np
import pytest
from numba import njit
from numba.core.errors import TypingError

import cmsim
from cmsim._kernels import layout as L
from cmsim._kernels.community import WARM_LEADS, _warm
from cmsim._kernels.prefetch import prefetch
from cmsim._kernels.rng import key


@njit
def _hint_all(a, idx):
    s = 0.0
    for i in idx:
        prefetch(a, i)
        s += a[i]
    return s


@pytest.mark.parametrize("dtype", [np.int8, np.uint8, np.int32, np.int64, np.float64])
def test_prefetch_reads_and_writes_nothing(dtype) -> None:
    a = (np.arange(1000) % 100).astype(dtype)
    before = a.copy()
    idx = np.array([0, 999, 5, 500], np.int64)
    assert _hint_all(a, idx) == float(a[idx].astype(np.float64).sum())
    assert np.array_equal(a, before)


def test_prefetch_takes_a_1d_array_and_an_integer() -> None:
    @njit
    def bad(a):
        prefetch(a, 0.5)

    with pytest.raises(TypingError):
        bad(np.zeros(3))


def test_warming_newcomers_links_changes_no_array() -> None:
    sim = cmsim.Simulation("social_media", "balanced", seed=3, members=3000, days=20)
    sim.advance(10)
    st, g = sim.state, sim.state.graph
    arrays = (g.indptr, g.indices, g.deg, st.B[L.B_STATUS])
    before = [a.copy() for a in arrays]
    k = key(st.seed, L.S_ATTACH, 10)
    for stage in range(1, len(WARM_LEADS) + 1):
        for s in range(st.n_used - 50, st.n_used):
            _warm(stage, s, k, 5, g.indptr, g.indices, g.deg, st.B[L.B_STATUS])
    for a, b in zip(arrays, before, strict=True):
        assert np.array_equal(a, b)
