"""The steady start is drawn once per seed and shared by a comparison's strategies (cmsim.start_cache)."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

import cmsim
from cmsim import start_cache, state
from cmsim.simulation import Simulation


@pytest.fixture(autouse=True)
def _fresh_cache():
    start_cache.clear()
    yield
    start_cache.clear()


def _count_draws(monkeypatch) -> list[int]:
    calls: list[int] = []
    real = state.draw_start
    monkeypatch.setattr(state, "draw_start", lambda *a: calls.append(a[1]) or real(*a))
    return calls


def _members(sim: Simulation) -> tuple[np.ndarray, ...]:
    st = sim.state
    n = st.graph.n
    return st.F[:, :n].copy(), st.B[:, :n].copy(), st.I[:, :n].copy(), st.U[:, :n].copy()


def test_strategies_of_one_seed_share_one_start_drawn_once(monkeypatch) -> None:
    calls = _count_draws(monkeypatch)
    a = Simulation("forum", "balanced", seed=4, members=300, days=20)
    b = Simulation("forum", "absent", seed=4, members=300, days=20)
    assert calls == [300]  # drawn for the first, copied for the second
    for x, y in zip(_members(a), _members(b), strict=True):
        assert np.array_equal(x, y)
    a.advance(20)  # a run changes its own copy only
    assert not np.array_equal(a.state.F[:, :300], b.state.F[:, :300])
    c = Simulation("forum", "absent", seed=4, members=300, days=20)
    for x, y in zip(_members(b), _members(c), strict=True):
        assert np.array_equal(x, y)


def test_another_seed_size_or_parameter_draws_its_own_start(monkeypatch) -> None:
    calls = _count_draws(monkeypatch)
    Simulation("forum", "balanced", seed=4, members=300, days=20)
    Simulation("forum", "balanced", seed=5, members=300, days=20)
    Simulation("forum", "balanced", seed=4, members=301, days=20)
    Simulation("forum", "balanced", seed=4, members=300, days=20, overrides={"trolls.base_rate": 0.2})
    assert calls == [300, 300, 301, 300]


def test_results_are_the_same_with_the_start_remembered_or_drawn() -> None:
    first = cmsim.simulate("forum", "responsive", seed=2, members=400, days=40).daily
    again = cmsim.simulate("forum", "responsive", seed=2, members=400, days=40).daily  # remembered
    start_cache.clear()
    fresh = cmsim.simulate("forum", "responsive", seed=2, members=400, days=40).daily
    assert first.equals(again) and first.equals(fresh)
    c = cmsim.compare("forum", ["balanced", "responsive"], seeds=[1, 2], members=400, days=40,
                      workers=1, progress=False)  # fmt: skip
    assert c.ensembles["responsive"].daily[1].equals(fresh)


@pytest.mark.parametrize(("budget", "kept"), [("MAX_BYTES", "_CACHE"), ("GRAPH_MAX_BYTES", "_GRAPHS")])
def test_memory_is_bounded_least_recently_used_first_out(monkeypatch, budget: str, kept: str) -> None:
    monkeypatch.setattr(start_cache, budget, 1)
    Simulation("forum", "balanced", seed=1, members=200, days=10)
    Simulation("forum", "balanced", seed=2, members=200, days=10)
    assert len(getattr(start_cache, kept)) == 1  # the newest only
    monkeypatch.setattr(start_cache, "MAX_MEMBERS", 100)
    Simulation("forum", "balanced", seed=3, members=200, days=10)
    assert len(getattr(start_cache, kept)) == 1  # too big to keep


def _rows(g) -> tuple[np.ndarray, ...]:  # noqa: ANN001
    return g.indptr.copy(), g.indices.copy(), g.deg.copy()


def test_a_run_of_the_same_seed_copies_the_graph_built_before(monkeypatch) -> None:
    import cmsim.inputs

    built: list[int] = []
    real = cmsim.inputs.build_graph
    monkeypatch.setattr(cmsim.inputs, "build_graph", lambda *a, **k: built.append(k["seed"]) or real(*a, **k))
    a = Simulation("forum", "balanced", seed=4, members=300, days=20)
    pristine = _rows(a.state.graph)
    b = Simulation("forum", "absent", seed=4, members=300, days=20)
    assert built == [4]  # built for the first, copied for the second
    assert b.state.graph is not a.state.graph
    for x, y in zip(pristine, _rows(b.state.graph), strict=True):
        assert np.array_equal(x, y)
    a.advance(20)  # newcomers link into a's own rows only, and b's into b's
    b.advance(20)
    assert not np.array_equal(a.state.graph.deg, pristine[2])
    assert not np.array_equal(b.state.graph.deg, pristine[2])
    c = Simulation("forum", "absent", seed=4, members=300, days=20)
    for x, y in zip(pristine, _rows(c.state.graph), strict=True):
        assert np.array_equal(x, y)
    Simulation("forum", "balanced", seed=5, members=300, days=20)
    Simulation("forum", "balanced", seed=4, members=300, days=20, overrides={"graph.mean_degree": 6})
    assert built == [4, 5, 4]
    start_cache.clear()
    fresh = Simulation("forum", "balanced", seed=4, members=300, days=20)  # built again
    assert built == [4, 5, 4, 4]
    for x, y in zip(pristine, _rows(fresh.state.graph), strict=True):
        assert np.array_equal(x, y)


def test_the_start_names_a_generated_graph_by_its_origin_and_hashes_a_given_one(monkeypatch) -> None:
    keys: list = []
    real = state.start_key
    monkeypatch.setattr(state, "start_key", lambda *a: keys.append(real(*a)) or keys[-1])
    a = Simulation("forum", "balanced", seed=4, members=300, days=20)
    Simulation("forum", "balanced", seed=4, members=300, days=200)  # more room laid out, same rows
    given = Simulation("forum", "balanced", seed=4, days=20, graph=a.state.graph.to_networkx())
    assert keys[0] == keys[1] and keys[0][-1][:2] == ("generated", "forum")
    assert isinstance(keys[2][-1], bytes)  # a given graph: its rows hashed
    assert len(start_cache._GRAPHS) == 2  # the two layouts; a given graph is not kept
    assert given.state.graph.n == 300


def test_one_thread_start_draws_the_same_members_as_comebacks_then_members() -> None:
    # the one-pass start (draw_start) draws a past once where it never lapsed; the two-step
    # reference draws all twice
    from cmsim._kernels import layout as L
    from cmsim._kernels.members import init_members, start_comebacks
    from cmsim.steady import start_scalars

    sim = Simulation("internal", "balanced", seed=6, members=1500, days=10)  # many lapsed members
    st, g = sim.state, sim.state.graph
    n = g.n
    S = start_scalars(sim.scenario.values, st.P)
    ref = [
        np.zeros((r, st.F.shape[1]), a.dtype)
        for r, a in ((L.N_F, st.F), (L.N_B, st.B), (L.N_I, st.I), (L.N_U, st.U))
    ]
    back = start_comebacks(6, n, g.n_hubs, st.P, S, g.indptr, g.indices, g.deg)
    init_members(6, n, g.n_hubs, st.P, S, *ref, 0, -1, back)
    got = [np.zeros_like(a) for a in ref]
    state.draw_start(6, n, g.n_hubs, st.P, S, g, *got)
    assert (st.B[L.B_STATUS, :n] == L.LAPSED).sum() > 300
    for x, y in zip(ref, got, strict=True):
        assert np.array_equal(x, y)


@pytest.mark.parametrize("name", ["forum", "social_media", "warned"])
def test_a_past_drawn_again_from_its_first_lapse_is_the_past_drawn_from_the_start(name: str) -> None:
    # the one-pass start draws a lapsed past again from where it first read the comeback chance: every
    # earlier try, and that try up to there, did not read it, so the member is the same as drawn
    # from the start, whatever the comeback chance (0, the mean, its own, 1). "warned": a forum
    # whose members post toxic posts on most visits and are always caught, so a member's temper
    # depends on every visit of its past (the visits before the first lapse included)
    from cmsim._kernels import layout as L
    from cmsim._kernels.members import NO_RESUME, _initial_member
    from cmsim.steady import start_scalars

    sim = Simulation("forum" if name == "warned" else name, "balanced", seed=3, members=400, days=10)
    st = sim.state
    S = start_scalars(sim.scenario.values, st.P)
    if name == "warned":
        st.P[L.P_POST_RATE], st.P[L.P_CONVERSION], st.P[L.P_WARNING] = 0.5, 0.0, 0.9
        S[L.ST_TOXIC_RATE], S[L.ST_CAUGHT] = 20.0, 1.0
    later = mid = 0
    for i in range(400):
        member, first = _initial_member(3, i, False, st.P, S, S[L.ST_REENGAGE], NO_RESUME)
        if first[1] < 0:  # never lapsed: the comeback chance is never read
            assert _initial_member(3, i, False, st.P, S, 1.0, NO_RESUME)[0] == member
            continue
        later += first[0] > 0
        mid += first[1] > first[0] * (1 << 20) + 3  # (past the try's first three draws)
        for back in (0.0, S[L.ST_REENGAGE], 0.01 * (i % 7), 1.0):
            assert (
                _initial_member(3, i, False, st.P, S, back, first)[0]
                == _initial_member(3, i, False, st.P, S, back, NO_RESUME)[0]
            )
    assert later > 20 and mid > 100  # it skips earlier tries and resumes inside one


@pytest.mark.parametrize(("name", "n"), [("forum", 0), ("forum", 1), ("forum", 7), ("internal", 1500),
                                         ("customer", 1200), ("social_media", 700)])  # fmt: skip
def test_the_start_on_several_threads_places_the_members_one_thread_does(name: str, n: int) -> None:
    # each member's draws are its own and each step ends on every member before the next begins,
    # so the split between threads changes nothing (internal: many lapsed pasts drawn again;
    # customer: hubs; 0, 1 and 7 members: fewer members than parts)
    from cmsim._kernels import layout as L
    from cmsim.steady import start_scalars

    sim = Simulation(name, "balanced", seed=8, members=max(n, 2), days=5)
    st, g = sim.state, sim.state.graph
    S = start_scalars(sim.scenario.values, st.P)

    def blank() -> list[np.ndarray]:
        return [np.zeros_like(a) for a in (st.F, st.B, st.I, st.U)]

    ref = blank()
    state.draw_start(8, n, g.n_hubs, st.P, S, g, *ref)  # one thread
    if n >= 1000:
        assert (ref[1][L.B_STATUS, :n] == L.LAPSED).sum() > 50  # pasts drawn again
    for workers in (2, 3, 5):
        got = blank()
        state.draw_start(8, n, g.n_hubs, st.P, S, g, *got, workers)
        for x, y in zip(ref, got, strict=True):
            assert np.array_equal(x, y)


def test_a_small_run_draws_its_start_on_every_core_unless_told_one_thread(monkeypatch) -> None:
    import numba

    from cmsim import simulation
    from cmsim.simulation import _start_workers

    monkeypatch.setattr(numba.config, "NUMBA_NUM_THREADS", 16)  # (numba's threads not started)
    monkeypatch.setattr(simulation, "_numba_threads_started", lambda: False)
    assert _start_workers(state.START_THREADS_MIN, None) == 2  # a thread per 500 members at most
    assert _start_workers(7999, None) == 15
    assert _start_workers(state.START_THREADS_MIN - 1, None) == 1  # threads cost more than they save
    assert _start_workers(5000, 1) == 1  # a batch's run: its siblings use the other cores
    # (asked for several threads, a run steps on them and draws its start on them as a big run does)
    assert _start_workers(5000, 2) == 1
    monkeypatch.setattr(numba.config, "NUMBA_NUM_THREADS", 1)
    assert _start_workers(5000, None) == 1


def test_a_small_runs_start_does_not_start_numbas_threads() -> None:
    # a process that started numba's OpenMP threads is killed when a child it forks runs a
    # parallel kernel: a small run on several threads must use Python's, not numba's
    code = (
        "import cmsim\n"
        "from numba.np.ufunc import parallel\n"
        "from cmsim.simulation import _start_workers\n"
        "cmsim.simulate('forum', 'balanced', seed=1, members=2000, days=3)\n"
        "print(_start_workers(2000, None), parallel._is_initialized)\n"
    )
    env = {**os.environ, "NUMBA_NUM_THREADS": "2", "CMSIM_PRECOMPILE": "0"}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["2", "False"]
