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


def test_planning_visits_ahead_changes_no_result() -> None:
    """act_chunk with visits planned a batch ahead (large communities) = drawn in place."""
    from cmsim._kernels.act import BATCH, act_chunk
    from cmsim._kernels.levers import day_scalars
    from cmsim._kernels.step import N_K, N_Z

    sim = cmsim.Simulation("social_media", "balanced", seed=7, members=3000, days=40,
                           overrides={"dynamics.lapse_days": 5, "trolls.initial_share": 0.02})  # fmt: skip
    sim.advance(20)
    st, g, d = sim.state, sim.state.graph, sim.day
    n = st.n_used
    assert n > 4 * BATCH and (st.B[L.B_STATUS, :n] == L.LAPSED).sum() > 50
    Z = np.zeros(N_Z)
    day_scalars(d, st.P, st.TL, st.M, sim._alloc, Z)
    out = []
    for ahead in (False, True):
        F, B, I, U = st.F.copy(), st.B.copy(), st.I.copy(), st.U.copy()  # noqa: E741
        part = np.zeros((2, N_K))
        for c, (lo, hi) in enumerate(((0, 1000), (1000, n))):  # two chunks, uneven batches
            act_chunk(c, lo, hi, d, st.seed, st.P, Z, part, g.indptr, g.indices, g.deg, F, B, I, U, ahead)
        out.append((F, B, I, U, part))
    for a, b in zip(*out, strict=True):
        assert np.array_equal(a, b)
    assert out[0][4][:, 0].sum() > 100  # visits happened
