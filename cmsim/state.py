"""The state of one run: member arrays, the graph, the manager and the output so far.

Everything is a numpy array or a plain number, so a state pickles cheaply (Dask workers,
multiprocessing) and can be copied to branch a run.
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from cmsim._kernels import layout as L
from cmsim._kernels.community import growing_arrivals_bound
from cmsim._kernels.members import START_STEPS, init_members_par, start_comebacks_par, start_step
from cmsim._kernels.step import N_K, chunk_starts
from cmsim.graphs import Graph
from cmsim.room import zeros
from cmsim.start_cache import recall, remember, start_key

__all__ = [
    "State",
    "new_state",
    "draw_start",
    "ready_start",
    "PARALLEL_MIN_MEMBERS",
    "CHUNK_MEMBERS",
    "START_THREADS_MIN",
]

#: From this many members a run steps on every core (two chunks; below, threads cost more than
#: they save: measured in ``benchmarks/README.md``).
PARALLEL_MIN_MEMBERS = 8_000
#: From this many members (and below ``PARALLEL_MIN_MEMBERS``) a run that may use every core
#: (``threads=None``) draws its steady start on them (:func:`draw_start`), though it steps on one:
#: a 2,000-member start takes 2.7 ms on 2 threads against 5.5 ms on one (``benchmarks/README.md``).
START_THREADS_MIN = 1_000
#: Members a start's thread draws at the least (a thread more costs about 0.1 ms to start and to
#: hand each step to: below this many members a part is not worth it).
START_THREAD_MEMBERS = 500
#: Target members per chunk of the parallel split (chunks are balanced by expected work).
CHUNK_MEMBERS = 4_000
#: Work of one member's day, in contacts read (for balancing chunks). Measured at 1M members,
#: phase 1 on one thread, the halves of the split at days 20 / 60 / 90: 8 gives 9.5 / 8.8,
#: 11.1 / 10.1 and 12.1 / 11.0 ms, 4 gives 9.3 / 9.0, (60: 5) 10.6 / 10.2 and 11.6 / 11.3 ms.
MEMBER_WORK = 4.0


@dataclass
class State:
    """All arrays of one run (shapes in ``cmsim._kernels.step``)."""

    seed: int
    P: np.ndarray
    TL: np.ndarray
    M: np.ndarray
    OUT: np.ndarray
    hist: np.ndarray
    meta: np.ndarray
    graph: Graph
    F: np.ndarray
    B: np.ndarray
    I: np.ndarray  # noqa: E741
    U: np.ndarray
    part: np.ndarray = field(default_factory=lambda: np.zeros((1, N_K)))

    @property
    def n_used(self) -> int:
        """Member slots used so far (everyone who was ever a member)."""
        return int(self.meta[0])

    @property
    def capacity(self) -> int:
        return int(self.meta[1])

    def ensure_capacity(self, needed: int) -> None:
        """Grow every per-member array (and the graph rows) to hold ``needed`` slots."""
        cap = self.capacity
        if needed <= cap:
            return
        new = max(needed, int(cap * 1.5) + 16)
        self.graph.grow(new, int(self.P[L.P_ATTACH]))
        self.F = _grow(self.F, new)
        self.B = _grow(self.B, new)
        self.I = _grow(self.I, new)
        self.U = _grow(self.U, new)
        self.meta[1] = new

    def chunks(self, visit_share: float = 0.1) -> np.ndarray:
        """Chunk starts balancing the expected work per chunk (results never depend on them).

        Every member costs about as much as reading ``MEMBER_WORK`` contacts, and only visitors
        read their contacts, so a member weighs ``MEMBER_WORK + contacts * visit_share``. Splitting
        by contacts alone would give the thread holding a scale-free graph's hubs far fewer
        members (measured: 43 ms a day at 1M members on 2 threads, against 27 ms this way).
        """
        n = self.n_used
        nc = max(1, n // CHUNK_MEMBERS)
        if nc == 1:
            return np.zeros(1, np.int64)
        share = min(max(visit_share, 0.02), 1.0)
        return chunk_starts(self.graph.deg, n, nc, MEMBER_WORK, share)

    def copy(self) -> State:
        """A deep copy (to branch a run)."""
        return State(
            self.seed, self.P.copy(), self.TL.copy(), self.M.copy(), self.OUT.copy(), self.hist.copy(),
            self.meta.copy(), self.graph.copy(),
            self.F.copy(), self.B.copy(), self.I.copy(), self.U.copy(),
        )  # fmt: skip


def _grow(a: np.ndarray, n: int) -> np.ndarray:
    out = zeros((a.shape[0], n), a.dtype)
    out[:, : a.shape[1]] = a
    return out


def draw_start(
    seed: int,
    n: int,
    n_hubs: int,
    P: np.ndarray,
    S: np.ndarray,
    graph: Graph,
    F: np.ndarray,
    B: np.ndarray,
    I: np.ndarray,  # noqa: E741
    U: np.ndarray,
    workers: int = 1,
) -> None:
    """Place the ``n`` initial members at the steady start ``S`` in slots ``0..n-1`` of ``F``,
    ``B``, ``I``, ``U``, on ``workers`` threads: the steps of
    :func:`~cmsim._kernels.members.start_step` (every member drawn with the mean comeback chance;
    each one's chance from its contacts' posts; the lapsed pasts drawn again with it), each on
    every member before the next. Each member's
    draws are its own, so the members are the same whatever ``workers``. The kernel releases the
    GIL, so the threads run at once: this one takes the first part, ``workers - 1`` Python threads
    of this call the others (numba's own threads are not started: a process that used them could
    not fork safely), and the call ends when every part has, whatever fails."""
    g = graph
    post, redo, back = np.zeros(n), np.empty((n, 5), np.int64), np.empty(n)
    workers = max(1, min(workers, n))
    cuts = [n * c // workers for c in range(workers + 1)]
    parts = list(zip(cuts[:-1], cuts[1:], strict=True))
    if workers == 1:
        for step in range(START_STEPS):
            start_step(
                step, seed, n_hubs, P, S, g.indptr, g.indices, g.deg, F, B, I, U, post, redo, back, 0, n
            )
        return
    with ThreadPoolExecutor(max_workers=workers - 1, thread_name_prefix="cmsim-start") as pool:
        for step in range(START_STEPS):
            args = (step, seed, n_hubs, P, S, g.indptr, g.indices, g.deg, F, B, I, U, post, redo, back)
            others = [pool.submit(start_step, *args, lo, hi) for lo, hi in parts[1:]]
            try:
                start_step(*args, *parts[0])
            finally:
                for f in others:
                    f.result()  # (each part's end awaited, even when this one failed)


def ready_start(
    P: np.ndarray,
    graph: Graph,
    F: np.ndarray,
    B: np.ndarray,
    I: np.ndarray,  # noqa: E741
    U: np.ndarray,
) -> None:
    """Call the start's kernel on no member, typed as :func:`draw_start` calls it, so a process's
    first small run loads nothing from numba's cache (``Simulation`` readies it after its first
    run on every core: the first small run after a big one then pays no load, 10 ms and more)."""
    draw_start(0, 0, 0, P, np.zeros(L.N_ST), graph, F, B, I, U)


def new_state(
    seed: int,
    P: np.ndarray,
    TL: np.ndarray,
    graph: Graph,
    M0: np.ndarray,
    S: np.ndarray,
    threads: bool = False,
    origin: tuple | None = None,
    start_workers: int = 1,
) -> State:
    """Create the state of a run at day 0 with ``graph.n`` initial members at the steady start
    ``S`` (``cmsim.steady.start_scalars``; on every core if ``threads``, else on
    ``start_workers`` threads (:func:`draw_start`); the same members every way). A start drawn
    before in this process is copied (:mod:`cmsim.start_cache`; ``origin``: the generator's
    arguments of ``graph``, as built, else None: its rows are hashed)."""
    n = graph.n
    cap = graph.capacity
    F = zeros((L.N_F, cap), L.F_DTYPE)
    B = zeros((L.N_B, cap), np.int8)
    I = zeros((L.N_I, cap), np.int32)  # noqa: E741
    U = zeros((L.N_U, cap), np.uint8)
    key = start_key(seed, P, S, graph, origin)
    kept = recall(key)
    if kept is not None:  # the same start as an earlier run (another strategy, same seed)
        F[:, :n], B[:, :n], I[:, :n], U[:, :n] = kept
    else:
        g = graph
        if threads:
            back = start_comebacks_par(seed, n, g.n_hubs, P, S, g.indptr, g.indices, g.deg)
            init_members_par(seed, n, g.n_hubs, P, S, F, B, I, U, back)
        else:
            draw_start(seed, n, g.n_hubs, P, S, g, F, B, I, U, start_workers)
        remember(key, (F[:, :n], B[:, :n], I[:, :n], U[:, :n]))
    days = TL.shape[0]
    meta = np.array([n, cap], np.int64)
    return State(seed, P, TL, M0, np.zeros((days, L.N_OUT)), np.zeros(L.MAX_OPEN_DAYS + 1), meta,
                 graph, F, B, I, U)  # fmt: skip


def arrivals_bound(
    P: np.ndarray, TL: np.ndarray, d0: int, d1: int, members: float, removed: int, grow: bool = True
) -> int:
    """An upper bound on the accounts that can arrive on days ``d0..d1-1`` (for capacity).

    Arrivals grow with ``members`` (word of mouth, trolls and spammers in proportion); with
    ``grow`` each day's bound counts the earlier days' arrivals as members, so the bound holds
    over a span of any length (a fixed plan runs months in one call). Without, every day uses
    ``members`` (a layout hint for the first months, not a bound)."""
    if d1 <= d0:
        return 0
    tl = TL[d0:d1]
    reach = P[L.P_REACH] + float(tl[:, L.TL_CHANNEL].max())
    season = float(tl[:, L.TL_SEASON].max())
    viral = 1.0 + float(tl[:, L.TL_VIRAL].max())
    lift = max(reach, 1.0) * max(season, 1.0) * viral
    fixed = P[L.P_ACQUISITION] * P[L.P_INITIAL_MEMBERS] * lift
    per_member = P[L.P_WORD_OF_MOUTH] * lift
    per_member += (P[L.P_TROLL_ARRIVAL] + float(tl[:, L.TL_RAID].max()) + P[L.P_SPAM_ARRIVAL]) / 1000.0
    if not grow:
        lam = fixed + per_member * members
        return int((d1 - d0) * (lam + 8.0 * math.sqrt(lam) + 8.0)) + removed + 8
    return int(growing_arrivals_bound(fixed, per_member, float(members), d1 - d0)) + removed + 8
