"""`make bench`: measure cmsim against its goals, its ceiling and its peers.

Prints one table (figure, value, goal, met) and writes it as JSON under ``out/bench/`` with the
machine's core count and the versions of Python, numba, numpy and Mesa. Every figure is the
median of at least three runs (``--quick``: one run at tiny sizes, a smoke test of the bench
itself, not of the speed). ``--only NAME`` runs one figure; ``--list`` names them.
See ``benchmarks/README.md`` for what each figure measures and how to profile.

Only public tools are used: ``time.perf_counter``, ``resource.getrusage`` and subprocesses.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import numpy as np  # noqa: E402

import cmsim  # noqa: E402
from cmsim import start_cache  # noqa: E402
from cmsim.simulation import Simulation  # noqa: E402


@dataclass
class Row:
    """One line of the table."""

    figure: str
    value: float | None
    unit: str
    goal: str
    met: bool | None
    note: str = ""
    runs: list[float] = field(default_factory=list)


@dataclass
class Config:
    quick: bool
    reps: int


def median_of(fn: Callable[[], float], reps: int) -> tuple[float, list[float]]:
    """Median (and the list) of ``reps`` calls of ``fn``, each returning one measurement."""
    runs = [fn() for _ in range(reps)]
    return statistics.median(runs), runs


def _unavailable(figure: str, goal: str, why: BaseException) -> Row:
    msg = f"{type(why).__name__}: {why}".splitlines()[0][:160]
    return Row(figure, None, "", goal, None, f"unavailable ({msg})")


# --- (1) + (2): full model at 1M members, and the graph-walk ceiling ---------------------------
#: Runs of the figures that sit near their goals and move by up to 10% with the load of a shared
#: machine (engine, ensemble), whatever ``--reps`` below it: a median of 5 is steadier than one of 3.
NOISY_REPS = 5
NOISY_FIGURES = ("engine", "ensemble")


def noisy_reps(cfg: Config) -> int:
    """Runs of a figure in ``NOISY_FIGURES``: ``--reps``, at least ``NOISY_REPS`` (not in --quick)."""
    return cfg.reps if cfg.quick else max(cfg.reps, NOISY_REPS)


def fig_engine(cfg: Config) -> list[Row]:
    """Member-steps/s of the full model (stepping only), and its ratio to the graph walk."""
    from walk import edge_chunks, walk_graph

    n, days = (20_000, 10) if cfg.quick else (1_000_000, 100)
    over = {"graph.mean_degree": 10}
    cmsim.simulate("social_media", "balanced", seed=1, members=60_000, days=3, overrides=over)  # compile
    model, walk_rates = [], []
    reps = noisy_reps(cfg)  # (seeds 1..reps; ~3 s a run)
    for rep in range(reps):
        sim = Simulation("social_media", "balanced", seed=rep + 1, members=n, days=days, overrides=over)
        st = sim.state
        g = st.graph
        indptr, indices, deg = g.indptr.copy(), g.indices.copy(), g.deg.copy()
        chunks = st.chunks()
        act = np.ascontiguousarray(st.U[0])
        t = time.perf_counter()
        sim.advance(days)
        model.append(n * days / (time.perf_counter() - t))
        # The walk over the same (day-0) graph, in the same process, on as many chunks as the
        # model's, each holding equal numbers of contacts (see walk.py).
        chunks = edge_chunks(deg, n, len(chunks))
        walk_graph(chunks, n, indptr, indices, deg, act, 1)
        passes = max(3, days // 5)
        t = time.perf_counter()
        walk_graph(chunks, n, indptr, indices, deg, act, passes)
        walk_rates.append(n * passes / (time.perf_counter() - t))
    m = statistics.median(model)
    ratios = [a / b for a, b in zip(model, walk_rates, strict=True)]
    r = statistics.median(ratios)
    w = statistics.median(walk_rates)
    size = f"{n:,} members, mean degree 10, {days} days, social_media; median of {reps}"
    return [
        Row("engine_1m", m / 1e6, "M member-steps/s", ">= 50", m >= 50e6, size, [x / 1e6 for x in model]),
        Row(
            "walk_ratio", r, "x graph walk", ">= 0.5", r >= 0.5, f"walk {w / 1e6:.0f}M member-steps/s", ratios
        ),
    ]


# --- (3) fast vs Mesa ---------------------------------------------------------------------------
def fig_mesa(cfg: Config) -> list[Row]:
    """Wall-time ratio Mesa / fast engine on the same scenario and seed, at 2k and 10k members.

    Both engines start from the same graph and steady start, built and drawn by compiled kernels
    they share and remembered after the untimed first run (``cmsim.start_cache``), so
    ``mesa_ratio_*`` compares the engines' days; ``mesa_ratio_*_drawn`` (reported) times runs
    that each build their graph and draw their start, as a new process's first run of a seed
    does."""
    goal = ">= 300 at 10k"
    sizes, days = ((300, 1_000), 5) if cfg.quick else ((2_000, 10_000), 30)
    try:
        cmsim.simulate("forum", "balanced", seed=1, members=200, days=3, engine="mesa")
    except Exception as exc:  # noqa: BLE001 - the Mesa engine may not be ready
        return [_unavailable("mesa_ratio", goal, exc)]
    rows = []
    for k, n in enumerate(sizes):

        def once(engine: str, n: int = n, draw: bool = False) -> float:
            if draw:
                start_cache.clear()
            t = time.perf_counter()
            cmsim.simulate("forum", "balanced", seed=2, members=n, days=days, engine=engine)
            return time.perf_counter() - t

        once("fast")  # untimed: loads this size's kernel (the parallel one from 8,000 members)
        fast, _ = median_of(lambda: once("fast"), max(cfg.reps, 3))
        mesa, _ = median_of(lambda: once("mesa"), cfg.reps)
        ratio = mesa / fast
        last = k == len(sizes) - 1
        fast_d, _ = median_of(lambda: once("fast", draw=True), max(cfg.reps, 3))
        mesa_d, _ = median_of(lambda: once("mesa", draw=True), cfg.reps)
        name = f"mesa_ratio_{n // 1000}k" if n >= 1000 else f"mesa_ratio_{n}"
        rows.append(
            Row(
                name,
                ratio,
                "x faster than Mesa",
                ">= 300" if last else "(report)",
                (ratio >= 300) if last else None,
                f"forum, {days} days, graph and start remembered: fast {fast * 1e3:.0f} ms, Mesa {mesa:.1f} s",
            )  # fmt: skip
        )
        rows.append(
            Row(
                f"{name}_drawn",
                mesa_d / fast_d,
                "x faster than Mesa",
                "(report)",
                None,
                f"each run builds its graph, draws its start: fast {fast_d * 1e3:.0f} ms, Mesa {mesa_d:.1f} s",
            )  # fmt: skip
        )
    return rows


# --- (4) lab-size comparison --------------------------------------------------------------------
def fig_compare(cfg: Config) -> list[Row]:
    """A warm ``cmsim.compare``: 2 strategies x 10 seeds x 2k members x 180 days, as the lab runs
    it again after a control moved (the seeds' graphs and starts remembered: ``cmsim.start_cache``), and
    cold, each seed's graph built and steady start drawn anew (``compare_cold``, reported)."""
    goal = "<= 0.2"
    seeds, n, days = (2, 300, 30) if cfg.quick else (10, 2_000, 180)
    try:
        compare = cmsim.compare
    except AttributeError:
        try:
            from cmsim.batch import compare
        except Exception as exc:  # noqa: BLE001
            return [_unavailable("compare_lab", goal, exc)]
    strategies = {"balanced": "balanced", "moderation_first": "moderation_first"}

    def once() -> float:
        t = time.perf_counter()
        compare("forum", strategies, seeds=seeds, members=n, days=days)
        return time.perf_counter() - t

    try:
        once()
    except Exception as exc:  # noqa: BLE001
        return [_unavailable("compare_lab", goal, exc)]
    v, runs = median_of(once, cfg.reps)

    def cold() -> float:
        start_cache.clear()
        return once()

    c, cold_runs = median_of(cold, cfg.reps)
    return [
        Row(
            "compare_lab",
            v,
            "s",
            goal,
            v <= 0.2,
            f"forum, 2 x {seeds} seeds x {n} x {days} days; graphs and starts remembered",
            runs,
        ),
        Row(
            "compare_cold",
            c,
            "s",
            "(report)",
            None,
            "the same, each seed's graph built and start drawn",
            cold_runs,
        ),
    ]


# --- the manager game: one week played and the dashboard redrawn --------------------------------
def fig_game_week(cfg: Config) -> list[Row]:
    """``ManagerGame.advance()`` at 2k members: seven days simulated, the dashboard table and chart
    redrawn (the median over a game's weeks, the first one, which warms up, left out)."""
    goal = "<= 0.3"
    n, weeks = (300, 3) if cfg.quick else (2_000, 12)
    try:
        from cmsim.widgets import ManagerGame
    except Exception as exc:  # noqa: BLE001
        return [_unavailable("game_week", goal, exc)]

    def game() -> float:
        g = ManagerGame("forum", weeks=weeks, seed=1, members=n)
        g.advance()
        times = []
        while g.week < weeks - 1:  # the last week also draws the debrief: not a week's redraw
            t = time.perf_counter()
            g.advance()
            times.append(time.perf_counter() - t)
        return statistics.median(times)

    v, runs = median_of(game, cfg.reps)
    return [Row("game_week", v, "s", goal, v <= 0.3, f"forum, {n} members: 7 days + dashboard redraw", runs)]


# --- (5) start-up in a new process --------------------------------------------------------------
_FIRST = "import cmsim; cmsim.simulate('forum', 'balanced', seed=1, members={n}, days={days})"


def _child(code: str, env: dict[str, str] | None = None) -> float:
    t = time.perf_counter()
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    dt = time.perf_counter() - t
    if p.returncode != 0:
        raise RuntimeError(p.stderr.strip().splitlines()[-1] if p.stderr.strip() else "child failed")
    return dt


def _alive(pid: int) -> bool:
    """Whether process ``pid`` still runs (a zombie does not)."""
    try:
        os.kill(pid, 0)
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def _settle(folder: Path) -> None:
    """Wait until no compile helper works in the numba cache under ``folder``: the one a cold
    child started compiles ``run_days_ser`` after the child's first run (``cmsim.precompile``);
    the next timing must not share the cores with it. A lock names its helper's process: the
    wait ends when that process has, at most ``LOCK_FRESH_S`` (a lock without a process id
    while it exists)."""
    deadline = time.monotonic() + cmsim.precompile.LOCK_FRESH_S
    pids: list[int | None] = []
    for lock in folder.rglob(cmsim.precompile.LOCK):
        try:
            pids.append(int(lock.read_text()))
        except (OSError, ValueError):
            pids.append(None)
    while time.monotonic() < deadline and any(
        _alive(pid) if pid is not None else any(folder.rglob(cmsim.precompile.LOCK)) for pid in pids
    ):
        time.sleep(0.05)


def _cold(code: str, pythonpath: str | None = None) -> float:
    """Seconds of ``code`` in a new process with an empty numba cache (``start_cold``'s child),
    ``pythonpath`` put first on its path; returns once its helper is done too."""
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as d:
        env = {**os.environ, "NUMBA_CACHE_DIR": d}
        if pythonpath is not None:
            env["PYTHONPATH"] = os.pathsep.join(filter(None, (pythonpath, env.get("PYTHONPATH"))))
        dt = _child(code, env)
        _settle(Path(d))
        return dt


def fig_startup(cfg: Config) -> list[Row]:
    """New process: ``import cmsim`` and a first 2k-member run (180 days), warm and cold cache."""
    n, days = (300, 10) if cfg.quick else (2_000, 180)
    code = _FIRST.format(n=n, days=days)
    _child(code)  # fills the on-disk compile cache
    folder = cmsim.precompile._folder()
    if folder is not None:
        _settle(folder)  # (if it was cold, with its helper's share)
    warm, wruns = median_of(lambda: _child(code), cfg.reps)
    rows = [Row("start_warm", warm, "s", "<= 1.5", warm <= 1.5, f"forum, {n} members, {days} days", wruns)]
    if cfg.quick:
        rows.append(Row("start_cold", None, "s", "<= 10", None, "skipped in --quick (compiles everything)"))
        return rows

    v, cruns = median_of(lambda: _cold(code), cfg.reps)
    rows.append(Row("start_cold", v, "s", "<= 10", v <= 10, "empty NUMBA_CACHE_DIR", cruns))
    return rows


# --- (6) graph build ----------------------------------------------------------------------------
def fig_graph(cfg: Config) -> list[Row]:
    """``cmsim.build_graph`` at 1M and 10M members (mean degree 10) for every community kind."""
    default_kind = cmsim.load_scenario("forum").values["community.kind"]
    rows = []
    for n, goal in ((20_000, 1.0), (200_000, 10.0)) if cfg.quick else ((1_000_000, 1.0), (10_000_000, 10.0)):
        times = {}
        for kind in cmsim.KINDS:
            cmsim.build_graph(kind, 1000, mean_degree=10, seed=0)

            def once(kind: str = kind, n: int = n) -> float:
                t = time.perf_counter()
                cmsim.build_graph(kind, n, mean_degree=10, seed=1)
                return time.perf_counter() - t

            times[kind] = median_of(once, cfg.reps)
        worst = max(times, key=lambda k: times[k][0])
        label = f"{n // 1_000_000}m" if n >= 1_000_000 else f"{n // 1000}k"
        for tag, kind in (("default", default_kind), ("worst", worst)):
            v, runs = times[kind]
            rows.append(Row(f"graph_{label}_{tag}", v, "s", f"<= {goal:g}", v <= goal, kind, runs))
        rows[-1].note += " (" + ", ".join(f"{k} {t[0]:.2f}" for k, t in times.items()) + ")"
    return rows


# --- (7) peak memory ----------------------------------------------------------------------------
# The child reads its own high-water mark from /proc (VmHWM: this process image only) where it
# can: getrusage's ru_maxrss survives exec on Linux, so it would report a big parent's peak.
_HWM = """
import resource
def hwm():
    try:
        for line in open('/proc/self/status'):
            if line.startswith('VmHWM:'):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
"""
_MEM = (
    _HWM
    + """
import sys, json
import cmsim
cmsim.simulate('social_media', 'balanced', seed=1, members=300, days=3)
base = hwm()
sim = cmsim.Simulation('social_media', 'balanced', seed=1, members={n}, days={days},
                       overrides={{'graph.mean_degree': 10}})
edges = sim.state.graph.n_edges
sim.advance({days})
peak = hwm()
print(json.dumps({{'base_kb': base, 'peak_kb': peak, 'edges': edges, 'n_used': sim.state.n_used}}))
"""
)


def fig_memory(cfg: Config) -> list[Row]:
    """Peak resident memory of a 1M-member run (100 days), minus the imported interpreter."""
    n, days = (20_000, 5) if cfg.quick else (1_000_000, 100)

    def once() -> tuple[float, dict[str, Any]]:
        p = subprocess.run(
            [sys.executable, "-c", _MEM.format(n=n, days=days)], capture_output=True, text=True
        )
        if p.returncode != 0:
            raise RuntimeError(p.stderr.strip().splitlines()[-1])
        info = json.loads(p.stdout.strip().splitlines()[-1])
        return (info["peak_kb"] - info["base_kb"]) * 1024 / 1e6, info

    results = [once() for _ in range(cfg.reps)]
    mb = statistics.median(r[0] for r in results)
    info = results[0][1]
    # Both parts of the goal: 400 MB, and the budget of 150 B a member and 8 B an edge.
    budget = (150 * n + 8 * info["edges"]) / 1e6
    note = (f"social_media, {n:,} members, {days} days; {mb * 1e6 / n:.0f} B/member all in; "
            f"budget 150 B/member + 8 B/edge = {budget:.0f} MB")  # fmt: skip
    met = mb <= 400 and mb <= budget
    return [Row("memory_1m", mb, "MB", f"<= {min(400, round(budget))}", met, note, [r[0] for r in results])]


# --- (8) ensembles on 1 and 2 cores -------------------------------------------------------------
def fig_ensemble(cfg: Config) -> list[Row]:
    """``cmsim.ensemble`` of 200 runs (2k members x 180 days) on 1 and 2 workers, each run's steady
    start included (no start remembered from the call before)."""
    goal = ">= 1.8"
    runs_n, n, days = (8, 300, 20) if cfg.quick else (200, 2_000, 180)
    try:
        ensemble = cmsim.ensemble
    except AttributeError:
        try:
            from cmsim.batch import ensemble
        except Exception as exc:  # noqa: BLE001
            return [_unavailable("ensemble_ratio", goal, exc)]

    def rate(workers: int) -> float:
        start_cache.clear()
        t = time.perf_counter()
        ensemble("forum", "balanced", seeds=runs_n, members=n, days=days, workers=workers, progress=False)
        return runs_n / (time.perf_counter() - t)

    try:
        rate(1)
    except Exception as exc:  # noqa: BLE001
        return [_unavailable("ensemble_ratio", goal, exc)]
    one, two = [], []
    reps = noisy_reps(cfg)  # (~3 s a pair)
    for _ in range(reps):  # interleaved, so load from other processes hits both alike
        one.append(rate(1))
        two.append(rate(2))
    r1, r2 = statistics.median(one), statistics.median(two)
    ratios = [b / a for a, b in zip(one, two, strict=True)]
    r = statistics.median(ratios)
    return [
        Row(
            "ensemble_1core",
            r1,
            "runs/s",
            "(report)",
            None,
            f"forum, {runs_n} runs x {n} x {days} days; median of {reps}",
            one,
        ),
        Row(
            "ensemble_2core",
            r2,
            "runs/s",
            ">= 150",
            None if cfg.quick else r2 >= 150,
            "steady starts included",
            two,
        ),
        Row("ensemble_ratio", r, "x", goal, r >= 1.8, "2 workers / 1 worker", ratios),
    ]


# --- (8) the strategy lab: control change to new outputs, in Python and in Chromium ---------------
def fig_lab(cfg: Config) -> list[Row]:
    """StrategyLab: control change to new outputs in Python (``lab_update``) and in Chromium (``lab_browser``)."""
    import lab

    return lab.figures(cfg, Row)


def fig_calibrate_3p(cfg: Config) -> list[Row]:
    """``cmsim.calibrate``: 3 parameters fitted to 26 weekly rows (182 days) of a 2,000-member forum
    on 2 workers, the default trials and seeds (80 and 8 in the recovery check; here 60 x 6)."""
    goal = "<= 120"
    n, days, trials, seeds = (300, 28, 4, 2) if cfg.quick else (2_000, 182, 60, 6)
    try:
        from cmsim.calibration.synthetic import synthetic_data
    except Exception as exc:  # noqa: BLE001
        return [_unavailable("calibrate_3p", goal, exc)]
    truth = {"members.visit_rate": 0.016, "members.post_rate": 0.008, "growth.acquisition": 0.0028}
    data = synthetic_data("forum", truth, members=n, days=days, seed=4242, noise=0.03,
                          columns=["members", "dau", "posts", "new_members"])  # fmt: skip

    def once() -> float:
        t = time.perf_counter()
        cmsim.calibrate(data, "forum", fit=list(truth), trials=trials, seeds=seeds, holdout_weeks=1 if cfg.quick else 4,
                        workers=2, quiet=True)  # fmt: skip
        return time.perf_counter() - t

    value, runs = median_of(once, cfg.reps)
    note = f"forum {n} members x {days} days, 3 parameters, {trials} trials x {seeds} seeds, 2 workers"
    return [Row("calibrate_3p", value, "s", goal, None if cfg.quick else value <= 120, note, runs)]


# --- sweeps ---------------------------------------------------------------------------------------
def _sweep_spec(runs: int, members: int, days: int) -> dict[str, Any]:
    """A grid of 10 troll-pressure levels x ``runs / 10`` seeds on the forum."""
    return {"scenario": "forum", "members": members, "days": days, "seeds": max(1, runs // 10),
            "axes": [{"key": "trolls.arrival_rate", "range": [0.0, 0.9], "steps": 10}],
            "metrics": ["final_members", "health_index", "toxic_share"]}  # fmt: skip


def _sweep_seconds(spec: dict[str, Any], **where: Any) -> float:
    # No start remembered from the sweep before: this process's runs (one worker) would reuse the
    # starts of the last one-worker sweep, and local workers forked from it would inherit them,
    # while a Dask cluster's workers never could (until 2026-12-06 this put a quarter of a run on
    # the local side's scales only: ``sweep_ratio`` and ``sweep_dask_vs_local`` read it).
    start_cache.clear()
    with tempfile.TemporaryDirectory() as d:
        t = time.perf_counter()
        cmsim.sweep(spec, out=Path(d) / "s", progress=False, **where)
        return time.perf_counter() - t


# (the driver's own high-water mark, as the memory figure reads it: ru_maxrss would report the
# bench process's, which the child inherits through fork and exec, 1.5 GB after the big sweep)
_SWEEP_MEMORY = (
    _HWM
    + """
import tempfile, cmsim
spec = {spec!r}
with tempfile.TemporaryDirectory() as d:
    cmsim.sweep(spec, out=d + "/s", workers=2, progress=False)
print(hwm() / 1024)
"""
)


def fig_sweep(cfg: Config) -> list[Row]:
    """``cmsim.sweep``: 10,000 runs (2k members x 180 days) on 2 workers including the start and the
    Parquet files; 2 workers against 1; a 2-worker Dask LocalCluster against 2 local processes;
    the driver's peak memory at 1,000 and 20,000 (tiny) runs."""
    if not hasattr(cmsim, "sweep"):
        return [_unavailable("sweep_10k_2w", "<= 120", AttributeError("no cmsim.sweep"))]
    big, n, days = (40, 300, 20) if cfg.quick else (10_000, 2_000, 180)
    rows = []
    t = _sweep_seconds(_sweep_spec(big, n, days), workers=2)
    rows.append(Row("sweep_10k_2w", t, "s", "<= 120" if not cfg.quick else "(quick)", None if cfg.quick else t <= 120,
                    f"{big} runs x {n} members x {days} days, 2 workers, fresh folder", [t]))  # fmt: skip
    small = _sweep_spec(40 if cfg.quick else 400, n, days)
    one, two, two_beside, dask = [], [], [], []
    for _ in range(cfg.reps):  # interleaved, so load from other processes hits both alike
        one.append(_sweep_seconds(small, workers=1))
        two.append(_sweep_seconds(small, workers=2))
    ratio = statistics.median(a / b for a, b in zip(one, two, strict=True))
    rows.append(
        Row("sweep_ratio", ratio, "x", ">= 1.8", ratio >= 1.8, "2 workers / 1 worker, time ratio", one + two)
    )
    # The Dask figure apart, once the local one is measured: an idle cluster's five processes (its
    # scheduler, nannies and workers tick and heartbeat) take a little of both cores, which slowed
    # the local 2-worker sweeps beside it (sweep_ratio 1.72 with it running, 1.85 without).
    try:  # an existing 2-worker cluster (started once, warmed by a tiny sweep), as an analyst's would be
        from distributed import LocalCluster

        cluster = LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=":0")
        _sweep_seconds(_sweep_spec(10, 100, 10), scheduler=cluster.scheduler_address)
    except Exception as exc:  # noqa: BLE001 - distributed not installed
        cluster = None
        rows.append(_unavailable("sweep_dask_vs_local", "<= 1.10", exc))
    if cluster is not None:
        try:
            for _ in range(cfg.reps):  # interleaved, both beside the cluster
                two_beside.append(_sweep_seconds(small, workers=2))
                dask.append(_sweep_seconds(small, scheduler=cluster.scheduler_address))
        finally:
            cluster.close()
    if dask:
        dr = statistics.median(d / b for d, b in zip(dask, two_beside, strict=True))
        rows.append(Row("sweep_dask_vs_local", dr, "x", "<= 1.10", dr <= 1.10,
                        "time on a running 2-worker Dask cluster / on 2 local processes", dask))  # fmt: skip
    peaks = []
    for runs in (1_000, 20_000) if not cfg.quick else (100, 400):
        code = _SWEEP_MEMORY.format(spec=_sweep_spec(runs, 50, 10))
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        peaks.append(float(out.stdout.strip().splitlines()[-1]))
    growth = peaks[1] / peaks[0]
    rows.append(
        Row("sweep_driver_peak_small", peaks[0], "MB", "(report)", None, "driver's peak RSS, 1,000 runs")
    )
    rows.append(Row("sweep_driver_peak_ratio", growth, "x", "<= 1.1", growth <= 1.1,
                    "driver's peak RSS at 20,000 runs / at 1,000 (flat: no per-run state)", peaks))  # fmt: skip
    return rows


# --- before and after: the engine against the code before issue 18, in one process ---------------
def fig_before(cfg: Config) -> list[Row]:
    """Speed against the code before issue 18 (``before.BEFORE``), runs interleaved in one process:
    the 1M-member engine's stepping, and a 2k-member, 180-day run stepping and whole (start
    included); then, in turn, ``ensemble_2core``'s call and ``start_cold``'s child of each code."""
    import before

    goal = ">= 0.85"
    names = ("engine_vs_before", "small_step_vs_before", "small_run_vs_before", "ensemble_vs_before",
             "start_cold_vs_before")  # fmt: skip
    if cfg.quick:  # (compiles a second package from cold: a minute of CI for no check of the bench)
        return [Row(n, None, "x before", goal, None, "skipped in --quick (compiles the earlier package)")
                for n in names]  # fmt: skip
    try:
        folder = before.export(ROOT, before.BEFORE, ROOT / "out" / "bench")
        before.load(folder)
        old_sim = importlib.import_module(before.PACKAGE + ".simulation").Simulation
    except Exception as exc:  # noqa: BLE001 - no git history, or the export fails to import
        return [_unavailable(n, goal, exc) for n in names]
    engines = {"new": (Simulation, start_cache.clear), "old": (old_sim, None)}
    over = {"graph.mean_degree": 10}
    for sim_cls in (Simulation, old_sim):  # compile both (untimed)
        sim_cls("social_media", "balanced", seed=1, members=60_000, days=3, overrides=over).advance(3)
        sim_cls("forum", "balanced", seed=1, members=2_000, days=180).advance(180)
    # engine_1m's runs (1M members, 100 days), both in memory, stepped 5 days at a time in turn:
    # 60 pairs of spans over 3 seeds. The figure is engine_1m's ratio: whole runs' stepping time.
    seeds, days, span = 3, 100, 5
    big = before.paired_steps({"new": Simulation, "old": old_sim}, "social_media", 1_000_000, days,
                              range(1, seeds + 1), span, over)  # fmt: skip
    small = before.paired_runs(engines, "forum", 2_000, 180, range(2, 102))
    eng = before.total_ratio(big["new"], big["old"])
    _, eng_r = before.speed_ratio(big["new"], big["old"])
    # Model 1.0 had no lapsed member before day 46 (its start was not steady): the ratio by halves.
    early = [k for k in range(len(eng_r)) if (k % (days // span)) * span < days // 2]
    late = [k for k in range(len(eng_r)) if k not in early]
    halves = [
        before.total_ratio([big["new"][k] for k in ks], [big["old"][k] for k in ks]) for ks in (early, late)
    ]
    step, step_r = before.speed_ratio(small["new"]["step"], small["old"]["step"])
    whole = [a + b for a, b in zip(small["new"]["start"], small["new"]["step"], strict=True)]
    whole_old = [a + b for a, b in zip(small["old"]["start"], small["old"]["step"], strict=True)]
    run, run_r = before.speed_ratio(whole, whole_old)
    ms = {k: 1e3 * statistics.median(small[k]["start"]) for k in ("new", "old")}
    when = f"before = {before.BEFORE} (model 1.0)"
    rows = [
        Row(names[0], eng, "x before", goal, eng >= 0.85,
            f"engine_1m's runs (social_media, 1M members, mean degree 10, {days} days), stepping time summed over "
            f"{len(eng_r)} pairs of {span}-day spans; days 0-{days // 2 - 1} {halves[0]:.3f}, "
            f"days {days // 2}-{days - 1} {halves[1]:.3f}; {when}; {_where_set(eng, 'engine_1m', 'M')}", eng_r),
        Row(names[1], step, "x before", goal, step >= 0.85,
            "forum, 2000 members x 180 days, stepping; median of 100 pairs", step_r),
        Row(names[2], run, "x before", "(report)", None,
            f"the same runs whole: start {ms['old']:.1f} -> {ms['new']:.1f} ms (the steady start)", run_r),
    ]  # fmt: skip
    for name, row in ((names[3], lambda: _ensemble_vs_before(cfg, names[3])),
                      (names[4], lambda: _start_cold_vs_before(cfg, names[4], folder))):  # fmt: skip
        try:  # (a failure here must not lose the rows above)
            rows.append(row())
        except Exception as exc:  # noqa: BLE001
            rows.append(_unavailable(name, "(report)", exc))
    return rows


def _where_set(ratio: float, figure: str, unit: str) -> str:
    """What the code before read for ``figure`` where the goals were set, and that times ``ratio``."""
    import before

    ref = before.REFERENCE[figure]
    return f"the code before read {ref:.1f} {unit} on {before.REFERENCE_MACHINE}: x this ratio = {ratio * ref:.1f} {unit}"


def _ensemble_vs_before(cfg: Config, name: str) -> Row:
    """``fig_ensemble``'s 2-worker call of each code, in turn: the median over pairs of runs/s
    now / before."""
    import before

    old_ensemble = importlib.import_module(before.PACKAGE).ensemble
    runs_n = 200

    def call(fn: Callable[..., Any], clear: Callable[[], None] | None) -> Callable[[], None]:
        def once() -> None:
            if clear is not None:
                clear()
            fn("forum", "balanced", seeds=runs_n, members=2_000, days=180, workers=2, progress=False)

        return once

    calls = {"new": call(cmsim.ensemble, start_cache.clear), "old": call(old_ensemble, None)}
    before.alternate(calls, 1)  # (untimed: the workers' first runs)
    secs = before.alternate(calls, noisy_reps(cfg))
    ratio, ratios = before.speed_ratio(secs["new"], secs["old"])
    rate = {k: runs_n / statistics.median(v) for k, v in secs.items()}
    return Row(name, ratio, "x before", "(report)", None,
               f"ensemble_2core's call (2 workers), runs/s now / before, median of {len(ratios)} pairs: "
               f"{rate['old']:.0f} -> {rate['new']:.0f} runs/s here; "
               f"{_where_set(ratio, 'ensemble_2core', 'runs/s')}", ratios)  # fmt: skip


def _start_cold_vs_before(cfg: Config, name: str, folder: Path) -> Row:
    """``start_cold``'s child of each code, in turn (which goes first alternating between pairs):
    the median over pairs of seconds now / before."""
    import before

    code = _FIRST.format(n=2_000, days=180)
    secs: dict[str, list[float]] = {"new": [], "old": []}
    child = {"new": lambda: _cold(code), "old": lambda: _cold(before.rename(code), str(folder))}
    for i in range(cfg.reps):
        for which, call in before.in_turn(child, i):
            secs[which].append(call())
    ratios = [n / o for n, o in zip(secs["new"], secs["old"], strict=True)]
    ratio, s = statistics.median(ratios), {k: statistics.median(v) for k, v in secs.items()}
    return Row(name, ratio, "x before", "(report)", None,
               f"start_cold's child, seconds now / before, median of {len(ratios)} pairs: "
               f"{s['old']:.1f} -> {s['new']:.1f} s here; {_where_set(ratio, 'start_cold', 's')}", ratios)  # fmt: skip


# --- inside the model: one step of the notebook widget, picture redrawn -------------------------
def fig_inside(cfg: Config) -> list[Row]:
    """One step of *inside the model* at 300 members: the Mesa day, the picture redrawn, the PNG."""
    goal = "<= 0.2"
    n, warm, steps = (300, 2, 5) if cfg.quick else (300, 5, 30)
    try:
        from cmsim.widgets import InsideTheModel

        inside = InsideTheModel("forum", "balanced", members=n, days=warm + steps * cfg.reps + 1, seed=1)
    except Exception as exc:  # noqa: BLE001 - the widget needs ipywidgets and Mesa
        return [_unavailable("inside_step", goal, exc)]
    inside.step(warm)  # untimed: first draws

    def once() -> float:
        t = time.perf_counter()
        for _ in range(steps):
            inside.step()
        return (time.perf_counter() - t) / steps

    value, runs = median_of(once, cfg.reps)
    note = f"forum, {n} members, mean of {steps} steps (Mesa day + picture + PNG)"
    return [Row("inside_step", value, "s", goal, value <= 0.2, note, runs)]


FIGURES: dict[str, Callable[[Config], list[Row]]] = {
    "engine": fig_engine,
    "mesa": fig_mesa,
    "compare": fig_compare,
    "startup": fig_startup,
    "graph": fig_graph,
    "memory": fig_memory,
    "ensemble": fig_ensemble,
    "lab": fig_lab,
    "calibrate_3p": fig_calibrate_3p,
    "sweep": fig_sweep,
    "game": fig_game_week,
    "inside": fig_inside,
    "before": fig_before,
}


def _cpu_model() -> str:
    """The processor's name, family and model as Linux gives them (``/proc/cpuinfo``: a VM's name
    may be generic), else what ``platform`` knows."""
    info: dict[str, str] = {}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                if not key.strip():  # (the first processor's block ends)
                    break
                info.setdefault(key.strip(), value.strip())
    except OSError:
        pass
    if "model name" not in info:
        return platform.processor() or platform.machine()
    return f"{info['model name']} (family {info.get('cpu family', '?')}, model {info.get('model', '?')})"


def machine() -> dict[str, Any]:
    """Where the figures were measured: the absolute goals were set on a 2-core AMD EPYC (Zen 4)
    VM (``before.REFERENCE_MACHINE``); another processor moves every figure."""
    import llvmlite.binding as llvm
    import numba

    try:
        import mesa

        mesa_v = mesa.__version__
    except Exception:  # noqa: BLE001
        mesa_v = None
    return {
        "cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "numba_threads": numba.get_num_threads(),
        "cpu": platform.processor() or platform.machine(),
        "cpu_model": _cpu_model(),
        "llvm_cpu": llvm.get_host_cpu_name(),
        "python": platform.python_version(),
        "numba": numba.__version__,
        "numpy": np.__version__,
        "mesa": mesa_v,
        "cmsim": cmsim.__version__,
        "platform": platform.platform(),
    }


def _fmt(v: float | None) -> str:
    if v is None:
        return "-"
    return f"{v:.3g}" if abs(v) < 100 else f"{v:,.0f}"


def table(rows: list[Row]) -> str:
    """The rows as a plain-text table."""
    head = ("figure", "value", "unit", "goal", "met", "note")
    cells = [
        (r.figure, _fmt(r.value), r.unit, r.goal, {True: "yes", False: "NO", None: "-"}[r.met], r.note)
        for r in rows
    ]
    widths = [max(len(h), *(len(c[k]) for c in cells)) if cells else len(h) for k, h in enumerate(head)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(cell, widths, strict=True)).rstrip() for cell in cells]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Measure cmsim against its performance goals.")
    ap.add_argument("--quick", action="store_true", help="tiny sizes, one run each: checks the bench runs")
    ap.add_argument("--only", metavar="NAME", action="append", help="run only this figure (repeatable)")
    ap.add_argument("--list", action="store_true", help="list the figures and exit")
    ap.add_argument(
        "--reps",
        type=int,
        default=None,
        help=f"runs per figure (default 3, and at least {NOISY_REPS} for engine and ensemble; 1 with --quick)",
    )
    ap.add_argument("--out", default=str(ROOT / "out" / "bench"), help="folder for the JSON (out/bench)")
    args = ap.parse_args(argv)
    if args.list:
        for name, fn in FIGURES.items():
            print(f"{name:10s} {(fn.__doc__ or '').strip()}")
        return 0
    names = args.only or list(FIGURES)
    unknown = [n for n in names if n not in FIGURES]
    if unknown:
        print(f"bench: unknown figure {unknown[0]!r}; allowed: {', '.join(FIGURES)}", file=sys.stderr)
        return 2
    reps = args.reps or (1 if args.quick else 3)
    if reps < 1 or (not args.quick and reps < 3):
        print(f"bench: --reps must be >= 3 (>= 1 with --quick); got {reps}", file=sys.stderr)
        return 2
    cfg = Config(quick=args.quick, reps=reps)
    rows: list[Row] = []
    t0 = time.perf_counter()
    for name in names:
        t = time.perf_counter()
        try:
            got = FIGURES[name](cfg)
        except Exception as exc:  # noqa: BLE001 - one broken figure must not hide the others
            got = [Row(name, None, "", "", False, f"FAILED: {type(exc).__name__}: {exc}"[:200])]
        rows += got
        print(f"  {name}: {time.perf_counter() - t:.1f} s", file=sys.stderr, flush=True)
    info = machine()
    noisy = [n for n in names if n in NOISY_FIGURES and noisy_reps(cfg) > reps]
    more = f" ({noisy_reps(cfg)} for {' and '.join(noisy)})" if noisy else ""
    print(f"cmsim bench{' --quick' if cfg.quick else ''}: {info['cores']} cores ({info['cpu_model']}, "
          f"LLVM {info['llvm_cpu']}), numba {info['numba']}, "
          f"numpy {info['numpy']}, mesa {info['mesa']}, Python {info['python']}; median of {reps}{more}")  # fmt: skip
    print(table(rows))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stem = "quick" if cfg.quick else ("bench" if not args.only else "bench-" + "-".join(names))
    doc = {"machine": info, "quick": cfg.quick, "reps": reps, "reps_by_figure": {n: noisy_reps(cfg) for n in noisy},
           "seconds": time.perf_counter() - t0,
           "date": time.strftime("%Y-%m-%dT%H:%M:%S"), "figures": [asdict(r) for r in rows]}  # fmt: skip
    (out / f"{stem}.json").write_text(json.dumps(doc, indent=1))
    print(f"written {out / f'{stem}.json'}")
    failed = any(r.note.startswith("FAILED") for r in rows)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
