"""The steppable simulation on the compiled engine.

A :class:`Simulation` advances one community day by day. Between steps the user may change the
strategy or the allocation, add interventions and read the metrics so far; ``result()`` gives a
:class:`~cmsim.run.Run` at any point. The manager game, the notebook lab and the sweeps all stand
on it; :func:`cmsim.simulate` and :meth:`cmsim.RunSpec.run` run one to its horizon.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from contextlib import AbstractContextManager, nullcontext
from functools import partial
from typing import TYPE_CHECKING, Any

import numba
import numpy as np

from cmsim import precompile
from cmsim._kernels import layout as L
from cmsim._kernels.step import EARLY_JOINS_FROM, run_days_loop, run_days_par, run_days_ser
from cmsim.dashboard import dashboard, dashboard_error
from cmsim.errors import ArgumentError
from cmsim.graphs import Graph
from cmsim.inputs import check_days, check_seed, graph_origin, resolve_inputs, run_graph
from cmsim.parameters import LEVERS
from cmsim.plan import Plan, event_labels
from cmsim.room import GIVE_BACK_FROM, give_back_scratch
from cmsim.run import Run, daily_frame, members_table, summarize
from cmsim.scenario import Scenario
from cmsim.state import (
    PARALLEL_MIN_MEMBERS,
    START_THREAD_MEMBERS,
    START_THREADS_MIN,
    State,
    arrivals_bound,
    new_state,
    ready_start,
)
from cmsim.steady import start_scalars
from cmsim.strategies import Observation, StrategyLike, observe
from cmsim.timeline import Intervention, as_interventions, build_timeline

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from cmsim.spec import RunSpec

__all__ = ["Simulation"]

#: Days of arrivals the member arrays and graph rows are laid out for when a run starts (they
#: grow by half when a longer run outgrows them).
CAPACITY_DAYS = 120
_ANALYTICS = LEVERS.index("analytics")
_serial_ready = False  # whether this process has called the one-thread kernel yet


def _threaded(members: int, threads: int | None) -> bool:
    """Whether a community of ``members`` steps on several threads: when ``threads`` > 1 is
    asked, or automatically (``None``) from ``PARALLEL_MIN_MEMBERS`` members on (results are
    the same either way)."""
    return threads > 1 if threads is not None else members >= PARALLEL_MIN_MEMBERS


def _start_workers(members: int, threads: int | None) -> int:
    """Threads that draw the steady start of a run that steps on one (``threads`` not given, from
    ``START_THREADS_MIN`` members on: the threads numba's kernels may use here, at most one per
    ``START_THREAD_MEMBERS`` members; else one). Asks without starting numba's threads (a
    process that started them cannot fork safely): their count as set once they run, else the
    count they would start with."""
    if threads is not None or members < START_THREADS_MIN:
        return 1
    if _numba_threads_started():
        cores = int(numba.get_num_threads())
    else:
        cores = int(numba.config.NUMBA_NUM_THREADS)  # type: ignore[attr-defined]
    return max(1, min(cores, members // START_THREAD_MEMBERS))


def _numba_threads_started() -> bool:
    """Whether numba's threading layer has started in this process (asked without starting it)."""
    try:
        from numba.np.ufunc import parallel
    except ImportError:  # pragma: no cover - numba moved it: ask as if not started (no fork risk)
        return False
    return bool(getattr(parallel, "_is_initialized", False))


def _thread_count(threads: int | None) -> AbstractContextManager[Any]:
    """Within this block numba's parallel kernels use ``threads`` threads (this thread only; at
    most numba's pool; ``None`` leaves the count as it is)."""
    if threads is None:
        return nullcontext()
    return _NumbaThreads(min(threads, numba.config.NUMBA_NUM_THREADS))  # type: ignore[attr-defined]


class _NumbaThreads:
    def __init__(self, n: int) -> None:
        self.n, self.before = n, 0

    def __enter__(self) -> None:
        self.before = numba.get_num_threads()
        numba.set_num_threads(self.n)

    def __exit__(self, *exc: object) -> None:
        numba.set_num_threads(self.before)


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

    See Also
    --------
    Simulation.from_spec : the same from a :class:`~cmsim.RunSpec` (which also sets the threads).

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
        sc, g = resolve_inputs(scenario, days, members, overrides, graph)
        self._start(sc, strategy, check_seed(seed), as_interventions(interventions), g, None)

    @classmethod
    def from_spec(cls, spec: RunSpec) -> Simulation:
        """A simulation of ``spec`` (a :class:`~cmsim.RunSpec`), at day 0."""
        sim = cls.__new__(cls)
        sim._start(
            spec.scenario, spec.strategy, spec.seed, list(spec.interventions), spec.graph, spec.threads
        )
        return sim

    def _start(self, sc: Scenario, strategy: StrategyLike, seed: int, interventions: list[Intervention],
               graph: Graph | None, threads: int | None) -> None:  # fmt: skip
        self.scenario = sc
        v = sc.values
        self.seed = seed
        self.threads = threads
        self.days = int(v["community.days"])
        self.budget = float(v["manager.count"]) * float(v["manager.hours"])
        self.plan = Plan(strategy, interventions, self.budget)
        P = L.pack_params(v)
        TL = build_timeline(v, sc.events, self.days, interventions)
        n = int(v["community.initial_members"])
        # Room for the arrivals of the first months, laid out at once (growing copies every array).
        capacity = n + arrivals_bound(P, TL, 0, min(self.days, CAPACITY_DAYS), 1.1 * n, 0, grow=False)
        g = run_graph(v, seed, graph, capacity)
        S = start_scalars(v, P)
        origin = graph_origin(v, seed) if graph is None else None  # (names the start's graph)
        self.state: State = new_state(seed, P, TL, g, _manager_state(P), S, _threaded(n, threads), origin,
                                      _start_workers(n, threads))  # fmt: skip
        if n >= GIVE_BACK_FROM:
            give_back_scratch()  # the start's scratch arrays, kept by the C library otherwise
        self.day = 0
        self.hours = np.zeros((self.days, len(LEVERS)))

    # --- controls ------------------------------------------------------------------------------
    @property
    def strategy_name(self) -> str:
        """The name of the strategy in force."""
        return self.plan.strategy_name

    @property
    def interventions(self) -> list[Intervention]:
        """The run's one-off actions, by day."""
        return self.plan.interventions

    @property
    def allocation(self) -> dict[str, float]:
        """The hours per lever in force now."""
        return self.plan.allocation

    def set_strategy(self, strategy: StrategyLike) -> None:
        """Use ``strategy`` from the current day on (it allocates at once, then every week)."""
        self.plan.set_strategy(strategy)

    def set_allocation(self, hours: Mapping[str, float]) -> None:
        """Fix the hours per lever from the current day on, until changed again."""
        self.plan.set_allocation(hours, self.day)

    def add_intervention(self, intervention: Intervention | tuple | Mapping) -> None:
        """Schedule a one-off action on a day not yet simulated."""
        self.plan.add(intervention, self.day)
        tl = build_timeline(self.scenario.values, self.scenario.events, self.days, self.plan.interventions)
        self.state.TL[self.day :] = tl[self.day :]

    # --- stepping ------------------------------------------------------------------------------
    @property
    def done(self) -> bool:
        """True once the horizon is reached."""
        return self.day >= self.days

    def observe(self, exact: bool = False) -> Observation:
        """The last (up to) seven days as the manager's dashboard shows them: with the measurement
        error of :mod:`cmsim.dashboard` (less with more analytics hours), or ``exact``."""
        obs = observe(self.state.OUT, self.day, self.budget)
        if exact or self.day == 0:
            return obs
        error = dashboard_error(self.hours[self.day - 1, _ANALYTICS], self.scenario.values)
        return dashboard(obs, seed=self.seed, error=error)

    def advance(self, days: int = 1) -> Simulation:
        """Simulate ``days`` more days (stopping at the horizon). Returns ``self``."""
        end = min(self.days, self.day + check_days(days))
        while self.day < end:
            self.plan.start_day(self.day, self.observe)
            self._run(self.day, self._span(self.day, self.plan.stop(self.day, end)))
        return self

    def run(self) -> Run:
        """Simulate to the horizon and return the result."""
        return self.advance(self.days - self.day).result()

    def _span(self, d0: int, stop: int) -> int:
        """The end of the next kernel call: ``stop`` (the plan's next change), but at most a week
        on threads (their split is balanced again weekly) or where the room laid out for
        arrivals would have to grow (halved down to a week, which grows it if it must)."""
        week = min(stop, (d0 // 7 + 1) * 7)
        if stop <= week or _threaded(self.state.n_used, self.threads):
            return week
        room = self.state.capacity - self.state.n_used
        while stop > week and self._arrivals(d0, stop) > room:
            stop = max(week, d0 + (stop - d0) // 2)
        return stop

    def _arrivals(self, d0: int, d1: int) -> int:
        """A bound on the accounts that arrive on days ``d0..d1-1`` (comebacks included)."""
        st = self.state
        pending = int(np.count_nonzero(st.I[L.I_COMEBACK, : st.n_used] >= d0))
        return arrivals_bound(st.P, st.TL, d0, d1, float(st.M[L.M_MEMBERS]) * 1.1, pending)

    def _run(self, d0: int, d1: int) -> None:
        st = self.state
        st.ensure_capacity(st.n_used + self._arrivals(d0, d1))
        threaded = _threaded(st.n_used, self.threads)
        share = 0.1
        if d0 > 0:
            share = max(st.OUT[d0 - 1, L.O_DAU] / max(1.0, st.OUT[d0 - 1, L.O_MEMBERS]), 0.02)
        chunks = self._chunks(st, share)
        if st.part.shape[0] != len(chunks):
            st.part = np.zeros((len(chunks), st.part.shape[1]))
        g = st.graph
        args = (st.seed, st.P, st.TL, st.M, self.plan.hours, st.OUT, st.hist, chunks, st.part, st.meta,
                g.indptr, g.indices, g.deg, st.F, st.B, st.I, st.U)  # fmt: skip
        global _serial_ready
        precompile.ready()  # (first run after `import cmsim` started a helper: share the compiling)
        from_python = precompile.steps_from_python()  # (the helper compiles run_days_ser)
        if threaded and not _serial_ready:
            # Ready the one-thread kernels too (zero days, zero members: loaded from numba's
            # cache, or compiled), so the first small run after a big one does not pay ~20 ms:
            # the one-thread step and a small run's start kernel (``ready_start``; the first
            # 2,000-member run after a big one paid 23 ms when the start's was not readied)
            if not from_python:
                run_days_ser(d0, d0, *args)
            ready_start(st.P, g, st.F, st.B, st.I, st.U)
            _serial_ready = True
        if threaded:
            with _thread_count(self.threads):
                run_days_par(d0, d1, *args, numba.get_num_threads(), EARLY_JOINS_FROM)
        elif from_python:
            run_days_loop(d0, d1, *args)
        else:
            run_days_ser(d0, d1, *args)
        present = st.OUT[d0:d1, L.O_MGR_HOURS] > 0
        self.hours[d0:d1] = np.where(present[:, None], self.plan.hours[None, :], 0.0)
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
            raise ArgumentError("nothing simulated yet: call advance(days) first")
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
        events = event_labels(self.scenario, self.plan.interventions, self.day)
        return Run(daily, summary, members, self.scenario.name, self.strategy_name, self.seed, "fast", events)
