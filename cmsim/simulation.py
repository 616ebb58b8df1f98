"""The steppable simulation and ``simulate``, its one-call form.

A :class:`Simulation` advances one community day by day on the compiled engine. Between steps
the user may change the strategy or the allocation, add interventions and read the metrics so
far; ``result()`` gives a :class:`~cmsim.run.Run` at any point. The manager game, the notebook
lab and the sweeps all stand on it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from functools import partial
from typing import Any

import numba
import numpy as np
import pandas as pd

from cmsim import precompile
from cmsim._kernels import layout as L
from cmsim._kernels.members import init_members
from cmsim._kernels.step import EARLY_JOINS_FROM, run_days_par, run_days_ser
from cmsim.dashboard import dashboard, dashboard_error
from cmsim.graphs import Graph, build_graph, from_networkx
from cmsim.parameters import LEVERS
from cmsim.run import Run, members_table, summarize
from cmsim.scenario import Scenario, load_scenario
from cmsim.state import PARALLEL_MIN_MEMBERS, State, arrivals_bound, new_state
from cmsim.strategies import StrategyLike, as_strategy, validate_allocation
from cmsim.timeline import Intervention, as_interventions, build_timeline, schedule

__all__ = ["Simulation", "simulate", "resolve_scenario", "pack_params", "one_thread", "DAILY_COLUMNS"]

#: Days of arrivals the member arrays and graph rows are laid out for when a run starts (they
#: grow by half when a longer run outgrows them).
CAPACITY_DAYS = 120
_one_thread_depth = 0
_ANALYTICS = LEVERS.index("analytics")
_serial_ready = False  # whether this process has called the one-thread kernel yet


def _threaded(members: int) -> bool:
    """Whether a community of ``members`` steps on every core here."""
    return members >= PARALLEL_MIN_MEMBERS and not _one_thread_depth


@contextmanager
def one_thread() -> Iterator[None]:
    """Within this block every run steps on one thread, whatever its size (results are the same).

    For callers that already keep every core busy with many runs at once, such as
    :func:`cmsim.ensemble`'s worker processes (a forked process must not start threads its
    parent's thread pool owns).
    """
    global _one_thread_depth
    _one_thread_depth += 1
    try:
        yield
    finally:
        _one_thread_depth -= 1


#: Columns of ``Run.daily``: the kernel's output plus hours per lever.
DAILY_COLUMNS: tuple[str, ...] = L.OUT_COLUMNS + tuple(f"hours_{lever}" for lever in LEVERS)

_INT_COLUMNS = frozenset(L.OUT_COLUMNS) - {"mean_satisfaction", "mean_engagement", "reach", "manager_hours",
                                           "manager_stress", "know_how", "response_days_sum"}  # fmt: skip


def resolve_scenario(
    scenario: str | Scenario,
    *,
    days: int | None = None,
    members: int | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Scenario:
    """Load a scenario and apply ``overrides`` and the ``days`` / ``members`` shortcuts."""
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    extra: dict[str, Any] = dict(overrides or {})
    if days is not None:
        extra["community.days"] = days
    if members is not None:
        extra["community.initial_members"] = members
    return sc.with_overrides(extra) if extra else sc


def pack_params(values: Mapping[str, Any]) -> np.ndarray:
    """The packed parameter array ``P`` (float64[N_PARAMS]) of a validated scenario; the levels of
    satisfaction (``layout.SAT_LEVEL_KEYS``) rounded to the precision members hold it in."""
    return np.array(
        [float(L.F_DTYPE(values[k])) if k in L.SAT_LEVEL_KEYS else float(values[k]) for k in L.P_KEYS],
        dtype=np.float64,
    )


def _manager_state(P: np.ndarray) -> np.ndarray:
    M = np.zeros(L.N_M)
    M[L.M_PRESENT] = 1.0 if P[L.P_MGR_COUNT] > 0 else 0.0
    M[L.M_STRESS] = P[L.P_INITIAL_STRESS]
    M[L.M_MEMBERS] = P[L.P_INITIAL_MEMBERS]
    return M


class Simulation:
    """A run of one community under one strategy, advanced step by step.

    Parameters
    ----------
    scenario : str or Scenario
        A shipped scenario name, a YAML path, or a loaded :class:`~cmsim.Scenario`.
    strategy : str, mapping, callable or object, default "balanced"
        See :mod:`cmsim.strategies`. Called at the start of every week (days 0, 7, 14...).
    seed : int
        Seed of every random stream. Same inputs and seed give identical results.
    days, members : int, optional
        Shortcuts for ``community.days`` and ``community.initial_members``.
    overrides : mapping, optional
        Dotted scenario keys to values, validated like a scenario file.
    graph : networkx.Graph or Graph, optional
        Use this member graph instead of the scenario's generator (its nodes become members).
    interventions : iterable, optional
        One-off actions (:class:`~cmsim.timeline.Intervention` or ``(day, kind)`` pairs).

    Examples
    --------
    >>> sim = Simulation("forum", "balanced", seed=1, members=300, days=28)
    >>> sim.advance(7).day
    7
    >>> sim.set_allocation({"moderation": 10, "responding": 10})
    >>> run = sim.advance(21).result()
    >>> len(run.daily)
    28
    """

    def __init__(
        self,
        scenario: str | Scenario,
        strategy: StrategyLike = "balanced",
        *,
        seed: int = 0,
        days: int | None = None,
        members: int | None = None,
        overrides: Mapping[str, Any] | None = None,
        graph: Any = None,
        interventions: Iterable[Any] | None = None,
    ) -> None:
        if graph is not None and not isinstance(graph, Graph):
            members = graph.number_of_nodes()
        self.scenario = resolve_scenario(scenario, days=days, members=members, overrides=overrides)
        v = self.scenario.values
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ValueError(f"the 'seed' parameter must be an integer >= 0; got {seed!r}")
        self.seed = int(seed)
        self.days = int(v["community.days"])
        self.budget = float(v["manager.count"]) * float(v["manager.hours"])
        self.interventions: list[Intervention] = as_interventions(interventions)
        self._strategy = as_strategy(strategy)
        self.strategy_name = _name(strategy, self._strategy)
        P = pack_params(v)
        TL = build_timeline(v, self.scenario.events, self.days, self.interventions)
        n = int(v["community.initial_members"])
        attach = int(v["graph.attach"])
        # Room for the arrivals of the first months, laid out at once (growing copies every array).
        capacity = n + arrivals_bound(P, TL, 0, min(self.days, CAPACITY_DAYS), 1.1 * n, 0)
        if graph is None:
            g = build_graph(
                v["community.kind"], n, mean_degree=v["graph.mean_degree"], clustering=v["graph.clustering"],
                blocks=v["graph.blocks"], mixing=v["graph.mixing"], hub_share=v["graph.hub_share"],
                rewire=v["graph.rewire"], attach=attach, seed=self.seed, capacity=capacity,
            )  # fmt: skip
        elif isinstance(graph, Graph):
            g = graph.copy()  # the run grows its graph: never change the caller's
        else:
            g = from_networkx(graph, attach=attach, capacity=capacity)
        threads = _threaded(n)
        self.state: State = new_state(self.seed, P, TL, g, _manager_state(P), threads)
        self.day = 0
        self.hours = np.zeros((self.days, len(LEVERS)))
        self._alloc = np.zeros(len(LEVERS))
        self._alloc_week = -1
        self._fixed: np.ndarray | None = None
        self._switched: set[int] = set()

    # --- controls ------------------------------------------------------------------------------
    @property
    def allocation(self) -> dict[str, float]:
        """The hours per lever in force now."""
        return dict(zip(LEVERS, self._alloc.tolist(), strict=True))

    def set_strategy(self, strategy: StrategyLike) -> None:
        """Use ``strategy`` from the current day on (it allocates at once, then every week)."""
        self._strategy = as_strategy(strategy)
        self.strategy_name = _name(strategy, self._strategy)
        self._fixed = None
        self._alloc_week = -1

    def set_allocation(self, hours: Mapping[str, float]) -> None:
        """Fix the hours per lever from the current day on, until changed again."""
        self._fixed = validate_allocation(hours, self.budget, self.day, "the allocation")
        self._alloc = self._fixed.copy()
        self._alloc_week = self.day // 7

    def add_intervention(self, intervention: Intervention | tuple | Mapping) -> None:
        """Schedule a one-off action on a day not yet simulated."""
        self.interventions = schedule(self.interventions, intervention, self.day)
        tl = build_timeline(self.scenario.values, self.scenario.events, self.days, self.interventions)
        self.state.TL[self.day :] = tl[self.day :]

    # --- stepping ------------------------------------------------------------------------------
    @property
    def done(self) -> bool:
        """True once the horizon is reached."""
        return self.day >= self.days

    def observe(self, exact: bool = False) -> dict[str, float]:
        """The last (up to) seven days as the manager's dashboard shows them: with the measurement
        error of :mod:`cmsim.dashboard` (less with more analytics hours), or ``exact``."""
        obs = observe(self.state.OUT, self.day, self.budget)
        if exact or self.day == 0:
            return obs
        error = dashboard_error(self.hours[self.day - 1, _ANALYTICS], self.scenario.values)
        return dashboard(obs, seed=self.seed, error=error)

    def advance(self, days: int = 1) -> Simulation:
        """Simulate ``days`` more days (stopping at the horizon). Returns ``self``."""
        if isinstance(days, bool) or not isinstance(days, (int, np.integer)) or days < 0:
            raise ValueError(f"the 'days' parameter must be an integer >= 0; got {days!r}")
        end = min(self.days, self.day + int(days))
        while self.day < end:
            d = self.day
            for iv in self.interventions:
                if iv.kind == "switch_strategy" and iv.day == d and d not in self._switched:
                    self._switched.add(d)
                    self.set_strategy(iv.strategy)
            week = d // 7
            if self._fixed is None and self._alloc_week != week:
                alloc = self._strategy.allocate(self.observe())
                self._alloc = validate_allocation(alloc, self.budget, d, f"strategy {self.strategy_name!r}")
                self._alloc_week = week
            stop = min(end, (week + 1) * 7)
            for iv in self.interventions:
                if iv.kind == "switch_strategy" and d < iv.day < stop:
                    stop = iv.day
            self._run(d, stop)
        return self

    def run(self) -> Run:
        """Simulate to the horizon and return the result."""
        return self.advance(self.days - self.day).result()

    def _run(self, d0: int, d1: int) -> None:
        st = self.state
        pending = int(np.count_nonzero(st.I[L.I_COMEBACK, : st.n_used] >= d0))
        members = float(st.M[L.M_MEMBERS]) * 1.1
        st.ensure_capacity(st.n_used + arrivals_bound(st.P, st.TL, d0, d1, members, pending))
        threads = _threaded(st.n_used)
        share = 0.1
        if d0 > 0:
            share = max(st.OUT[d0 - 1, L.O_DAU] / max(1.0, st.OUT[d0 - 1, L.O_MEMBERS]), 0.02)
        chunks = self._chunks(st, share)
        if st.part.shape[0] != len(chunks):
            st.part = np.zeros((len(chunks), st.part.shape[1]))
        g = st.graph
        args = (st.seed, st.P, st.TL, st.M, self._alloc, st.OUT, st.hist, chunks, st.part, st.meta,
                g.indptr, g.indices, g.deg, st.F, st.B, st.I, st.U)  # fmt: skip
        global _serial_ready
        precompile.ready()  # (first run after `import cmsim` started a helper: share the compiling)
        if threads and not _serial_ready:
            # Ready the one-thread kernels too (zero days, zero members: loaded from numba's
            # cache, or compiled), so the first small run after a big one does not pay ~20 ms.
            run_days_ser(d0, d0, *args)
            init_members(st.seed, 0, 0, st.P, st.F, st.B, st.I, st.U)
            _serial_ready = True
        if threads:
            run_days_par(d0, d1, *args, numba.get_num_threads(), EARLY_JOINS_FROM)
        else:
            run_days_ser(d0, d1, *args)
        present = st.OUT[d0:d1, L.O_MGR_HOURS] > 0
        self.hours[d0:d1] = np.where(present[:, None], self._alloc[None, :], 0.0)
        self.day = d1

    def _chunks(self, st: State, share: float) -> np.ndarray:
        """The parallel split, recomputed when members or the visiting share moved (by 2% / 25%):
        results never depend on it, only the balance of the threads' work does."""
        n = st.n_used
        cached = getattr(self, "_split", None)
        if (
            cached is None
            or cached[0] is not st
            or n > 1.02 * cached[1]
            or abs(math.log(share / cached[2])) > 0.25
        ):
            self._split = cached = (st, n, share, st.chunks(share))
        return cached[3]

    # --- results -------------------------------------------------------------------------------
    @property
    def daily(self) -> pd.DataFrame:
        """The daily table so far."""
        return daily_frame(self.state.OUT[: self.day], self.hours[: self.day])

    def result(self) -> Run:
        """The run so far as a :class:`~cmsim.run.Run` (summary over the days simulated)."""
        if self.day == 0:
            raise ValueError("nothing simulated yet: call advance(days) first")
        st = self.state
        n = st.n_used
        out = st.OUT[: self.day].copy()
        columns = {c: out[:, k] for k, c in enumerate(L.OUT_COLUMNS)}
        arrays = {
            "status": st.B[L.B_STATUS, :n], "role": st.B[L.B_ROLE, :n], "posts": st.I[L.I_POSTS, :n],
            "fp_state": st.B[L.B_FP, :n], "second_post_day": st.I[L.I_SECOND_POST, :n],
        }  # fmt: skip
        summary = summarize(columns, st.hist, arrays, int(st.P[L.P_INITIAL_MEMBERS]), int(st.M[L.M_QUITS]))
        # the tables are built on first use, from copies of today's arrays
        daily = partial(daily_frame, out, self.hours[: self.day].copy())
        members = partial(
            members_table, st.F[:, :n].copy(), st.B[:, :n].copy(), st.I[:, :n].copy(), st.graph.deg[:n].copy(),
            n, self.day - 1,
        )  # fmt: skip
        events = [
            {"day": int(e["day"]), "label": e["type"].replace("_", " ")}
            for e in self.scenario.events
            if int(e["day"]) < self.day
        ]
        events += [{"day": iv.day, "label": iv.label} for iv in self.interventions if iv.day < self.day]
        return Run(daily, summary, members, self.scenario.name, self.strategy_name, self.seed, "fast",
                   sorted(events, key=lambda e: e["day"]))  # fmt: skip


def daily_frame(out: np.ndarray, hours: np.ndarray) -> pd.DataFrame:
    """Build the daily DataFrame from the kernel's output rows and the hours per lever."""
    cols: dict[str, np.ndarray] = {}
    for k, c in enumerate(L.OUT_COLUMNS):
        cols[c] = out[:, k].astype(np.int64) if c in _INT_COLUMNS else out[:, k].copy()
    for k, lever in enumerate(LEVERS):
        cols[f"hours_{lever}"] = hours[:, k].copy()
    return pd.DataFrame(cols)


def observe(OUT: np.ndarray, day: int, budget: float) -> dict[str, float]:
    """Summarise the last (up to) seven output rows before ``day`` for a strategy."""
    obs: dict[str, float] = {"day": float(day), "week": float(day // 7), "budget": budget}
    lo = max(0, day - 7)
    rows = OUT[lo:day]
    sums = ("dau", "posts", "replies", "questions", "questions_answered", "complaints", "complaints_answered",
            "toxic_posts", "spam_posts", "removals", "joins", "churned", "first_posts_unanswered")  # fmt: skip
    levels = ("members", "newcomers", "mean_satisfaction", "manager_stress", "manager_burned_out", "reach")
    idx = {c: i for i, c in enumerate(L.OUT_COLUMNS)}
    for c in sums:
        obs[c] = float(rows[:, idx[c]].sum()) if len(rows) else 0.0
    for c in levels:
        obs[c] = float(rows[-1, idx[c]]) if len(rows) else 0.0
    if not len(rows):
        obs["mean_satisfaction"] = float("nan")
        obs["reach"] = 1.0
    return obs


def _name(strategy: Any, obj: Any) -> str:
    if isinstance(strategy, str):
        return strategy
    return str(getattr(obj, "name", "custom"))


def simulate(
    scenario: str | Scenario,
    strategy: StrategyLike = "balanced",
    *,
    seed: int = 0,
    days: int | None = None,
    members: int | None = None,
    overrides: Mapping[str, Any] | None = None,
    engine: str = "fast",
    graph: Any = None,
    interventions: Iterable[Any] | None = None,
) -> Run:
    """Simulate one community under one strategy and return a :class:`~cmsim.run.Run`.

    Parameters are those of :class:`Simulation`; ``engine`` is ``"fast"`` (compiled, default)
    or ``"mesa"`` (the same model as readable Mesa agents, identical results, much slower).

    Examples
    --------
    >>> run = simulate("forum", "balanced", seed=1, members=500, days=30)
    >>> len(run.daily), run.daily["members"].iloc[0] > 0
    (30, True)
    """
    if engine == "fast":
        sim = Simulation(scenario, strategy, seed=seed, days=days, members=members, overrides=overrides,
                         graph=graph, interventions=interventions)  # fmt: skip
        return sim.run()
    if engine == "mesa":
        from cmsim.mesa import simulate_mesa

        return simulate_mesa(scenario, strategy, seed=seed, days=days, members=members, overrides=overrides,
                             graph=graph, interventions=interventions)  # fmt: skip
    raise ValueError(f"the 'engine' parameter must be 'fast' or 'mesa'; got {engine!r}")
