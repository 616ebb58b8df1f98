"""Same inputs and seed give identical results: across runs, kernels, chunkings and thread counts.

Also common random numbers: two strategies on the same seed share every draw the strategy does
not change.
"""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hst

import cmsim
import cmsim.plan
import cmsim.simulation
import cmsim.state
from cmsim._kernels import layout as L
from cmsim._kernels import step
from cmsim._kernels import tally as T
from cmsim.scenario import resolve_scenario
from cmsim.steady import MAX_TENURE_DAYS, start_scalars

REPO = Path(__file__).resolve().parents[1]
SCENARIO = "social_media"  # scale-free: skewed degrees stress the edge-balanced split
BIG = dict(members=3000, days=60, overrides={"growth.acquisition": 0.01, "trolls.initial_share": 0.01})


def _same_summary(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for k in a:
        assert (a[k] == b[k]) or (np.isnan(a[k]) and np.isnan(b[k])), k


def _same_state(a: cmsim.Simulation, b: cmsim.Simulation) -> None:
    sa, sb = a.state, b.state
    n = sa.n_used
    assert n == sb.n_used
    for x, y in ((sa.F, sb.F), (sa.B, sb.B), (sa.I, sb.I), (sa.U, sb.U)):
        assert np.array_equal(x[:, :n], y[:, :n])
    assert np.array_equal(sa.graph.deg[:n], sb.graph.deg[:n])
    assert np.array_equal(sa.M, sb.M) and np.array_equal(sa.hist, sb.hist)


@pytest.mark.parametrize("strategy", ["balanced", "data_driven"])
def test_same_seed_identical_daily_summary_and_members(strategy: str) -> None:
    a = cmsim.simulate("troll_raid", strategy, seed=11, members=400, days=80)
    b = cmsim.simulate("troll_raid", strategy, seed=11, members=400, days=80)
    pd.testing.assert_frame_equal(a.daily, b.daily, check_exact=True)
    pd.testing.assert_frame_equal(a.members, b.members, check_exact=True)
    _same_summary(a.summary, b.summary)


def test_different_seeds_differ() -> None:
    a = cmsim.simulate("forum", "balanced", seed=1, members=400, days=30)
    b = cmsim.simulate("forum", "balanced", seed=2, members=400, days=30)
    assert not a.daily["dau"].equals(b.daily["dau"])
    assert not np.array_equal(a.members["activity"], b.members["activity"])


def test_stepping_in_pieces_equals_one_run() -> None:
    whole = cmsim.Simulation("forum", "data_driven", seed=5, members=400, days=50)
    whole.advance(50)
    parts = cmsim.Simulation("forum", "data_driven", seed=5, members=400, days=50)
    for days in (1, 2, 3, 5, 8, 13, 18):
        parts.advance(days)
    assert parts.day == 50
    pd.testing.assert_frame_equal(whole.daily, parts.daily, check_exact=True)
    _same_state(whole, parts)


def test_copied_state_branches_identically() -> None:
    sim = cmsim.Simulation("forum", "balanced", seed=5, members=300, days=40)
    sim.advance(20)
    twin = cmsim.Simulation("forum", "balanced", seed=5, members=300, days=40)
    twin.advance(20)
    twin.state = sim.state.copy()
    sim.advance(20)
    twin.advance(20)
    pd.testing.assert_frame_equal(sim.daily, twin.daily, check_exact=True)


def _kernel_calls(monkeypatch) -> dict[str, int]:
    calls = {"par": 0, "ser": 0}
    par, ser = step.run_days_par, step.run_days_ser

    def count_par(*a):
        calls["par"] += 1
        return par(*a)

    def count_ser(*a):
        calls["ser"] += 1
        return ser(*a)

    monkeypatch.setattr(cmsim.simulation, "run_days_par", count_par)
    monkeypatch.setattr(cmsim.simulation, "run_days_ser", count_ser)
    return calls


def _run(monkeypatch, *, parallel: bool, chunk: int) -> tuple[cmsim.Simulation, dict]:
    calls = _kernel_calls(monkeypatch)
    monkeypatch.setattr(cmsim.simulation, "PARALLEL_MIN_MEMBERS", 0 if parallel else 10**12)
    monkeypatch.setattr(cmsim.simulation, "_serial_ready", True)  # (no zero-day readying call)
    monkeypatch.setattr(cmsim.state, "CHUNK_MEMBERS", chunk)
    sim = cmsim.Simulation(SCENARIO, "balanced", seed=3, **BIG)
    sim.run()
    return sim, calls


def test_parallel_and_serial_kernels_agree_exactly(monkeypatch) -> None:
    par, calls_p = _run(monkeypatch, parallel=True, chunk=100)
    ser, calls_s = _run(monkeypatch, parallel=False, chunk=100)
    assert calls_p["par"] > 0 and calls_p["ser"] == 0
    assert calls_s["ser"] > 0 and calls_s["par"] == 0
    assert len(par.state.chunks()) > 20  # many chunks, split by contacts
    assert par.daily["joins"].sum() > 100 and par.daily["removals"].sum() > 0
    pd.testing.assert_frame_equal(par.daily, ser.daily, check_exact=True)
    _same_state(par, ser)


def test_chunking_changes_no_count(monkeypatch) -> None:
    many, _ = _run(monkeypatch, parallel=True, chunk=100)
    one, _ = _run(monkeypatch, parallel=False, chunk=10**9)
    assert len(one.state.chunks()) == 1
    a, b = many.daily, one.daily
    ints = [c for c in a.columns if a[c].dtype.kind == "i"]
    assert len(ints) > 30
    pd.testing.assert_frame_equal(a[ints], b[ints], check_exact=True)
    # float tallies are summed chunk by chunk: equal up to rounding
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-12)
    _same_state(many, one)


_SCRIPT = textwrap.dedent(
    """
    import hashlib, json, numba, sys
    import cmsim, cmsim.simulation, cmsim.state
    cmsim.simulation.PARALLEL_MIN_MEMBERS = 0
    cmsim.state.CHUNK_MEMBERS = 100
    sim = cmsim.Simulation("social_media", "balanced", seed=3, members=3000, days=40,
                           overrides={"growth.acquisition": 0.01, "trolls.initial_share": 0.01})
    run = sim.run()
    st = sim.state
    h = hashlib.sha256(run.daily.to_numpy().tobytes())
    for a in (st.F, st.B, st.I):
        h.update(a[:, : st.n_used].tobytes())
    print(json.dumps({"threads": numba.get_num_threads(), "hash": h.hexdigest(), "n": st.n_used}))
    """
)


def _in_subprocess(threads: int) -> dict:
    env = dict(os.environ, NUMBA_NUM_THREADS=str(threads))
    out = subprocess.run([sys.executable, "-c", _SCRIPT], env=env, cwd=REPO, capture_output=True, text=True,
                         timeout=300, check=True)  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_identical_across_numba_thread_counts() -> None:
    one, two = _in_subprocess(1), _in_subprocess(2)
    assert one["threads"] == 1 and two["threads"] == 2
    assert one["n"] > 3000
    assert one["hash"] == two["hash"]


# --- common random numbers ----------------------------------------------------------------------
def test_strategies_on_one_seed_share_the_initial_community() -> None:
    a = cmsim.Simulation("customer", "absent", seed=9, members=500, days=10)
    b = cmsim.Simulation("customer", "content_first", seed=9, members=500, days=10)
    _same_state(a, b)
    assert np.array_equal(a.state.graph.indices, b.state.graph.indices)
    c = cmsim.Simulation("customer", "absent", seed=10, members=500, days=10)
    assert not np.array_equal(a.state.F[L.F_ACTIVITY, :500], c.state.F[L.F_ACTIVITY, :500])


def _day0_visitors(strategy) -> np.ndarray:
    sim = cmsim.Simulation("forum", strategy, seed=4, members=2000, days=5,
                           overrides={"levers.content_visits": 0.5})  # fmt: skip
    sim.advance(1)
    return sim.state.I[L.I_LAST_VISIT, :2000] == 0


def test_day0_visits_are_shared_when_content_hours_are_equal() -> None:
    # day 0 visits depend on the allocation only through content hours (more visits)
    mod, resp = _day0_visitors({"moderation": 20.0}), _day0_visitors({"responding": 20.0})
    assert mod.sum() > 50  # (a steady start: a third of the members have lapsed)
    assert np.array_equal(mod, resp)


def test_more_content_adds_visitors_without_removing_any() -> None:
    none, content = _day0_visitors({"moderation": 20.0}), _day0_visitors({"content": 20.0})
    assert content.sum() > none.sum() * 1.1
    assert (none <= content).all()  # same draws: everyone who came still comes


def test_a_strategy_switch_leaves_the_past_untouched() -> None:
    a = cmsim.Simulation("forum", "balanced", seed=6, members=400, days=40)
    b = cmsim.Simulation("forum", "balanced", seed=6, members=400, days=40,
                         interventions=[cmsim.Intervention(21, "switch_strategy", strategy="absent")])  # fmt: skip
    ra, rb = a.run(), b.run()
    pd.testing.assert_frame_equal(ra.daily.iloc[:21], rb.daily.iloc[:21], check_exact=True)
    assert not ra.daily.iloc[21:].equals(rb.daily.iloc[21:])


def test_a_result_keeps_its_tables_when_the_simulation_goes_on() -> None:
    sim = cmsim.Simulation("forum", "balanced", seed=5, members=300, days=40)
    early = sim.advance(20).result()  # tables not built yet
    sim.advance(20)
    late = sim.result()
    assert len(early.daily) == 20 and len(late.daily) == 40
    pd.testing.assert_frame_equal(early.daily, late.daily.iloc[:20])
    assert (early.members["tenure"] <= 20 + MAX_TENURE_DAYS).all() and early.members["last_visit"].max() <= 19
    assert len(early.members) <= len(late.members)
    again = pickle.loads(pickle.dumps(sim.advance(0).result()))
    pd.testing.assert_frame_equal(again.daily, late.daily)
    pd.testing.assert_frame_equal(again.members, late.members)


def test_daily_table_does_not_depend_on_how_members_are_split_into_chunks(monkeypatch) -> None:
    import cmsim.simulation as simulation
    import cmsim.state as state

    monkeypatch.setattr(simulation, "PARALLEL_MIN_MEMBERS", 0)
    a = cmsim.simulate("troll_raid", "balanced", seed=4, members=3000, days=25).daily
    original = state.State.chunks
    monkeypatch.setattr(state, "CHUNK_MEMBERS", 150)
    monkeypatch.setattr(state.State, "chunks", lambda self, visit_share=0.1: original(self, 1.0))
    b = cmsim.simulate("troll_raid", "balanced", seed=4, members=3000, days=25).daily
    # every column, floats included: means are summed in fixed point, so the order cannot matter
    pd.testing.assert_frame_equal(a, b, check_exact=True)


def test_communities_from_parallel_min_members_step_on_threads_unless_the_spec_says_one(monkeypatch) -> None:
    calls = _kernel_calls(monkeypatch)
    monkeypatch.setattr(cmsim.simulation, "_serial_ready", True)
    n = cmsim.state.PARALLEL_MIN_MEMBERS
    threaded = cmsim.simulate("forum", "balanced", seed=2, members=n, days=8)
    assert calls == {"par": 2, "ser": 0}  # one call a week
    single = cmsim.run_spec("forum", "balanced", seed=2, members=n, days=8, threads=1).run()
    assert calls == {"par": 2, "ser": 2}
    cmsim.simulate("forum", "balanced", seed=2, members=n - 1, days=1)
    assert calls == {"par": 2, "ser": 3}
    two = cmsim.run_spec("forum", "balanced", seed=2, members=300, days=8, threads=2).run()
    assert calls == {"par": 4, "ser": 3}  # asked for: threads even for a small community
    pd.testing.assert_frame_equal(threaded.daily, single.daily, check_exact=True)
    pd.testing.assert_frame_equal(two.daily, cmsim.simulate("forum", seed=2, members=300, days=8).daily)


def test_a_thread_count_changes_numba_s_threads_for_its_run_only(monkeypatch) -> None:
    import numba

    monkeypatch.setattr(cmsim.simulation, "_serial_ready", True)
    seen = []
    par = step.run_days_par
    monkeypatch.setattr(cmsim.simulation, "run_days_par", lambda *a: (seen.append(a[-2]), par(*a))[1])
    before = numba.get_num_threads()
    cmsim.run_spec("forum", "balanced", seed=2, members=300, days=3, threads=1000).run()
    assert seen == [numba.config.NUMBA_NUM_THREADS] and numba.get_num_threads() == before


@pytest.mark.parametrize("backend", ["serial", "thread", "process"])
def test_ensemble_runs_step_on_one_thread_each(monkeypatch, backend) -> None:
    calls = _kernel_calls(monkeypatch)
    monkeypatch.setattr(cmsim.simulation, "PARALLEL_MIN_MEMBERS", 0)  # every run would use threads
    ens = cmsim.ensemble("forum", "balanced", seeds=3, members=300, days=7, backend=backend, workers=2)
    assert len(ens.daily) == 3
    assert calls["par"] == 0 and calls["ser"] >= 1  # (a forked worker counts in its own copy)
    assert cmsim.simulate("forum", "balanced", seed=0, members=300, days=7).daily.equals(ens.daily[0])
    assert calls["par"] == 1  # a run outside the ensemble steps on threads again


def test_runs_lay_out_room_for_their_arrivals_at_the_start() -> None:
    sim = cmsim.Simulation("social_media", "balanced", seed=1, members=5000, days=60,
                           overrides={"growth.acquisition": 0.01})  # fmt: skip
    cap = sim.state.capacity
    assert cap > 5000 and sim.state.graph.capacity == cap
    sim.run()
    assert 5000 < sim.state.n_used <= cap and sim.state.capacity == cap  # never grown (copied)


def test_runs_longer_than_the_laid_out_room_still_grow() -> None:
    short = cmsim.Simulation("forum", "balanced", seed=2, members=300, days=400,
                             overrides={"growth.acquisition": 0.05})  # fmt: skip
    cap = short.state.capacity
    run = short.run()
    assert short.state.n_used > cap > 300 and run.daily["truncated_joins"].sum() == 0


@pytest.fixture
def spans(monkeypatch) -> list[tuple[int, int]]:
    """The day spans of the one-thread kernel's calls, as the runs of a test make them."""
    calls: list[tuple[int, int]] = []
    ser = step.run_days_ser
    monkeypatch.setattr(
        cmsim.simulation, "run_days_ser", lambda d0, d1, *a: (calls.append((d0, d1)), ser(d0, d1, *a))
    )
    return calls


@pytest.mark.parametrize("strategy", ["balanced", "absent"])
def test_a_fixed_plan_steps_its_run_in_one_call_with_the_weekly_calls_results(
    monkeypatch, spans, strategy
) -> None:
    # a fast-growing community (word of mouth doubles it in about two months): one call of 200
    # days must lay out room for arrivals that grow with the arrivals themselves
    kw = dict(seed=3, members=300, days=200, overrides={"growth.word_of_mouth": 0.012})
    one = cmsim.simulate("forum", strategy, **kw)
    assert (
        spans[0][0] == 0
        and spans[-1][1] == 200
        and all(a[1] == b[0] for a, b in zip(spans, spans[1:], strict=False))
    )
    assert len(spans) <= 10, spans  # months at a time, where the room laid out holds the arrivals
    spans.clear()
    monkeypatch.setattr(cmsim.plan.Plan, "stop", lambda self, day, end: min(end, (day // 7 + 1) * 7))
    weekly = cmsim.simulate("forum", strategy, **kw)
    assert len(spans) == 29
    assert one.daily["truncated_joins"].sum() == 0 and one.daily["members"].iloc[-1] > 2 * 300
    pd.testing.assert_frame_equal(one.daily, weekly.daily, check_exact=True)
    pd.testing.assert_frame_equal(one.members, weekly.members, check_exact=True)


def test_a_fixed_plan_in_a_steady_community_steps_months_at_a_time(spans) -> None:
    cmsim.simulate("forum", "balanced", seed=3, members=2000, days=180)
    assert spans == [(0, 90), (90, 135), (135, 180)]  # where the room laid out at the start holds


def test_a_strategy_that_reads_the_dashboard_still_allocates_weekly(spans) -> None:
    cmsim.simulate("forum", "data_driven", seed=3, members=300, days=30)
    assert spans == [(0, 7), (7, 14), (14, 21), (21, 28), (28, 30)]


@settings(max_examples=40, deadline=None)
@given(days=hst.integers(1, 400), members=hst.floats(10, 1e6), wom=hst.floats(0, 0.05))
def test_arrivals_bound_holds_as_the_arrivals_join(days, members, wom) -> None:
    # with growth, each day's bound counts the earlier days' arrivals as members: at least the
    # bound at a fixed size, growing with the span, and the day-by-day bound (a day's rate lam
    # from the members and every arrival so far, lam + 8 sqrt(lam) + 8 arrivals)
    sc = resolve_scenario("forum", members=1000, overrides={"growth.word_of_mouth": wom})
    P = L.pack_params(sc.values)
    TL = np.zeros((400, L.N_TL))
    TL[:, L.TL_SEASON] = 1.0
    bound = cmsim.state.arrivals_bound
    grow = bound(P, TL, 0, days, members, 0)
    assert grow >= bound(P, TL, 0, days, members, 0, grow=False)
    assert grow <= bound(P, TL, 0, days + 1, members, 0)
    per_member = wom + (P[L.P_TROLL_ARRIVAL] + P[L.P_SPAM_ARRIVAL]) / 1000.0
    total = 0.0
    for _ in range(days):
        lam = P[L.P_ACQUISITION] * P[L.P_INITIAL_MEMBERS] + per_member * (members + total)
        total += lam + 8.0 * np.sqrt(lam) + 8.0
    assert int(total) + 8 == grow


def test_first_threaded_run_readies_the_one_thread_kernel_without_stepping(monkeypatch) -> None:
    seen = []
    ser = step.run_days_ser
    monkeypatch.setattr(
        cmsim.simulation, "run_days_ser", lambda d0, d1, *a: (seen.append((d0, d1)), ser(d0, d1, *a))
    )
    monkeypatch.setattr(cmsim.simulation, "PARALLEL_MIN_MEMBERS", 0)
    monkeypatch.setattr(cmsim.simulation, "_serial_ready", False)
    a = cmsim.simulate("forum", "balanced", seed=5, members=500, days=10)
    assert seen == [(0, 0)] and cmsim.simulation._serial_ready
    b = cmsim.simulate("forum", "balanced", seed=5, members=500, days=10)
    assert seen == [(0, 0)]  # once a process
    pd.testing.assert_frame_equal(a.daily, b.daily, check_exact=True)


def test_first_threaded_run_leaves_the_one_thread_kernel_to_the_helper_compiling_it(monkeypatch) -> None:
    """While the compile helper works on ``run_days_ser`` (``precompile.steps_from_python``), a
    big first run does not ready it (the helper saves it), and the small runs step from Python."""
    seen, looped = [], []
    monkeypatch.setattr(cmsim.simulation, "run_days_ser", lambda *a: seen.append(a))
    loop = cmsim.simulation.run_days_loop
    monkeypatch.setattr(cmsim.simulation, "run_days_loop", lambda *a: (looped.append(a[0]), loop(*a)))
    monkeypatch.setattr(cmsim.precompile, "steps_from_python", lambda: True)
    monkeypatch.setattr(cmsim.simulation, "_serial_ready", False)
    a = cmsim.run_spec("forum", seed=5, members=500, days=10, threads=2).run()
    assert seen == [] and looped == [] and cmsim.simulation._serial_ready
    b = cmsim.run_spec("forum", seed=5, members=500, days=10, threads=1).run()
    assert seen == [] and looped and looped[0] == 0
    pd.testing.assert_frame_equal(a.daily, b.daily, check_exact=True)


def test_first_threaded_run_readies_the_small_runs_start(monkeypatch) -> None:
    """The readying call types its arguments as a small run's start does (on one thread, and on
    several: ``draw_start`` calls one kernel either way), so the first small run after a big one
    loads no kernel (it paid 23 ms when the readying called another kernel)."""
    import numba

    calls: list = []
    real = cmsim.state.start_step

    def spy(*a):  # noqa: ANN002, ANN202
        calls.append(tuple(numba.typeof(x) for x in a))
        return real(*a)

    monkeypatch.setattr(cmsim.state, "start_step", spy)
    monkeypatch.setattr(cmsim.simulation, "_serial_ready", False)
    cmsim.start_cache.clear()
    cmsim.run_spec("forum", seed=5, members=500, days=3, threads=2).run()  # readies
    readied = set(calls)
    assert len(readied) == 1 and len(calls) == 3  # the three steps, on no member
    calls.clear()
    cmsim.run_spec("forum", seed=6, members=500, days=3, threads=1).run()  # starts on one thread
    assert len(calls) == 3 and set(calls) == readied
    calls.clear()
    monkeypatch.setattr(cmsim.simulation, "_start_workers", lambda n, threads: 2)
    cmsim.run_spec("forum", seed=7, members=1500, days=3).run()  # starts on two threads
    assert len(calls) == 6 and set(calls) == readied


def _expected_starts(deg: np.ndarray, nc: int, member_work: float, share: float) -> np.ndarray:
    """The first member at which the running work reaches each k / nc of the whole, each once."""
    w = np.cumsum(round(member_work * 1024) + deg.astype(np.int64) * round(share * 1024))  # (1/1024ths)
    return np.unique(np.r_[0, np.searchsorted(w * nc, np.arange(1, nc) * w[-1], side="left")])


@pytest.mark.parametrize("seed", range(6))
def test_chunk_starts_split_members_into_equal_work(seed: int) -> None:
    from cmsim._kernels.step import chunk_starts

    rng = np.random.default_rng(seed)
    n = int(rng.integers(8000, 40000))
    nc = n // 4000
    deg = rng.zipf(2.0, n).astype(np.int32)
    deg[int(rng.integers(n))] = 10**6  # a member heavier than several chunks
    got = chunk_starts(deg, n, nc, 8.0, 0.1)
    assert got.dtype == np.int64 and np.array_equal(got, _expected_starts(deg, nc, 8.0, 0.1))
    assert got[0] == 0 and (np.diff(got) > 0).all() and len(got) <= nc


@pytest.mark.parametrize(
    ("n", "nc", "member_work", "share"),
    [(1, 1, 4.0, 0.1), (255, 7, 4.0, 0.1), (257, 200, 0.0, 1.0), (5000, 40, 0.0, 1.0),
     (100_003, 25, 4.0, 0.02), (1_000_000, 250, 4.0, 0.1)],
)  # fmt: skip
def test_chunk_starts_by_blocks_match_member_by_member(n: int, nc: int, member_work: float,
                                                       share: float) -> None:  # fmt: skip
    """Block sums then a walk of the blocks that reach a share give the member-by-member split:
    rows whose ends are not whole blocks, members with no contacts (a run of zero weight when
    members weigh nothing themselves), more chunks than blocks, and the bench's 1M members."""
    from cmsim._kernels.step import SPLIT_BLOCK, chunk_starts

    rng = np.random.default_rng(n)
    deg = rng.zipf(2.0, n).astype(np.int32)
    deg[rng.random(n) < 0.3] = 0
    deg[: min(n, 3 * SPLIT_BLOCK) // 2] = 0
    got = chunk_starts(deg, n, nc, member_work, share)
    assert np.array_equal(got, _expected_starts(deg, nc, member_work, share))


@pytest.mark.parametrize(
    ("n", "nc", "member_work", "heavy", "expected"),
    [(512, 2, 1.0, 0, [0, 255]),  # a share reached exactly at a block's last member
     (600, 4, 0.0, 0, [0]),  # nothing weighs anything: every share is reached at member 0
     (300, 5, 1.0, 697, [0, 100])],  # member 0 alone reaches three of the four shares
)  # fmt: skip
def test_chunk_starts_exact_ties_and_member_zero(n: int, nc: int, member_work: float, heavy: int,
                                                expected: list[int]) -> None:  # fmt: skip
    from cmsim._kernels.step import chunk_starts

    deg = np.zeros(n, np.int32)
    deg[0] = heavy
    share = 1.0 if heavy else 0.0
    got = chunk_starts(deg, n, nc, member_work, share).tolist()
    assert got == expected == _expected_starts(deg, nc, member_work, share).tolist()


def test_initial_members_created_on_threads_are_the_same() -> None:
    from cmsim._kernels.members import init_members, init_members_par, start_comebacks, start_comebacks_par
    from cmsim.inputs import run_graph

    sc = cmsim.scenario.resolve_scenario("customer", members=20_000, overrides={"trolls.initial_share": 0.03})
    P = L.pack_params(sc.values)
    S = start_scalars(sc.values, P)
    g = run_graph(sc.values, 9, None)
    n, hubs = 20_000, g.n_hubs
    backs = [f(9, n, hubs, P, S, g.indptr, g.indices, g.deg) for f in (start_comebacks, start_comebacks_par)]
    assert np.array_equal(*backs) and backs[0].std() > 0  # (each member's own contacts)
    out = []
    for fill in (init_members, init_members_par):
        arrays = (np.zeros((L.N_F, n), L.F_DTYPE), np.zeros((L.N_B, n), np.int8), np.zeros((L.N_I, n), np.int32),
                  np.zeros((L.N_U, n), np.uint8))  # fmt: skip
        if fill is init_members:
            fill(9, n, hubs, P, S, *arrays, 0, -1, backs[0])
        else:
            fill(9, n, hubs, P, S, *arrays, backs[0])
        out.append(arrays)
    for a, b in zip(*out, strict=True):
        assert np.array_equal(a, b)
    assert (out[0][1][L.B_ROLE] == L.TROLL).sum() > 300
    assert (out[0][1][L.B_STATUS] == L.LAPSED).sum() > 1000  # (a steady start)


def test_early_newcomers_joining_during_phase_2_change_nothing(monkeypatch) -> None:
    """The parallel runner's big-community path (newcomers sure to come linked while
    phase 2 runs) gives exactly the serial run."""
    from cmsim._kernels.community import early_joins
    from cmsim._kernels.levers import day_scalars

    kw = dict(members=4000, days=30, overrides={"growth.acquisition": 0.03, "dynamics.lapse_days": 10})
    monkeypatch.setattr(cmsim.simulation, "_serial_ready", True)
    monkeypatch.setattr(cmsim.simulation, "PARALLEL_MIN_MEMBERS", 10**12)
    ser = cmsim.Simulation("social_media", "balanced", seed=8, **kw)
    ser.run()
    monkeypatch.setattr(cmsim.simulation, "PARALLEL_MIN_MEMBERS", 0)
    monkeypatch.setattr(cmsim.simulation, "EARLY_JOINS_FROM", 0)
    monkeypatch.setattr(cmsim.state, "CHUNK_MEMBERS", 100)  # more chunks than threads
    par = cmsim.Simulation("social_media", "balanced", seed=8, **kw)
    par.run()
    pd.testing.assert_frame_equal(par.daily, ser.daily, check_exact=True)
    _same_state(par, ser)
    # the early path did run: on day 10, dozens of newcomers were sure to come
    st = ser.state
    Z = np.zeros(step.N_Z)
    day_scalars(10, st.P, st.TL, st.M, ser.plan.hours, Z)
    floor = 0.9 * ser.daily["active_members"].iloc[10]
    assert 50 < early_joins(10, 8, st.P, st.TL, Z, floor) <= ser.daily["joins"].iloc[10]


@settings(max_examples=200, deadline=None)
@given(
    seed=hst.integers(0, 10**6), day=hst.integers(0, 300), floor=hst.floats(0, 1e6), extra=hst.floats(0, 1e5)
)
def test_early_joins_never_exceed_the_day_s_newcomers(seed, day, floor, extra) -> None:
    from cmsim._kernels.community import early_joins, join_rate
    from cmsim._kernels.rng import key, poisson

    sc = cmsim.scenario.resolve_scenario("social_media", members=500_000)
    P = L.pack_params(sc.values)
    TL = np.ones((301, L.N_TL))
    TL[:, L.TL_VIRAL] = TL[:, L.TL_COMPETITOR] = 0.0
    Z = np.zeros(step.N_Z)
    Z[T.Z_REACH] = 1.0
    satisfied = floor + extra  # phase 2 only adds satisfied members
    n_join = poisson(key(seed, L.S_JOINS, day), 0, join_rate(day, P, TL, Z, satisfied))
    assert 0 <= early_joins(day, seed, P, TL, Z, floor) <= n_join


def test_every_kernel_a_run_calls_from_python_releases_the_gil() -> None:
    # runs side by side on threads (a notebook's compare, the lab, backend="thread") then step
    # on every core at once; a kernel that held the GIL would make them take turns
    from cmsim._kernels import graphs as kg
    from cmsim._kernels import members as km

    kernels = [step.run_days_ser, step.chunk_starts, km.start_step, kg.social_edges, kg.block_edges,
               kg.hub_edges, kg.smallworld_edges, kg.fill_csr, kg.fill_csr_sorting, kg.degree_counts,
               # (step.run_days_loop's, the days of a session's first runs stepped from Python)
               step.day_scalars, step.count_posters, step.act_chunk, step.resolve_chunk, step.community_changes]  # fmt: skip
    held = [k.py_func.__name__ for k in kernels if not k.targetoptions.get("nogil")]
    assert held == []
    # the threaded kernels keep it: numba's default thread pool must not be entered by two
    # Python threads at once (runs in a batch step on one thread each)
    threaded = [step.run_days_par, km.init_members_par, km.start_comebacks_par]
    assert not any(k.targetoptions.get("nogil") for k in threaded)
