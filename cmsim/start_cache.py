"""Initial members and member graphs remembered per start, so the strategies of a comparison
share one steady start and one graph.

The steady start (:func:`cmsim.state.new_state`) depends on the scenario's parameters, the steady
scalars, the seed and the graph only, never on the strategy run, so every strategy of a
comparison starts each seed from the same members. Drawing them is a third of a small run's time
(2,000 members, 180 days), so the members drawn are remembered for the next run with the same
start: a paired comparison of ``k`` strategies draws each seed's start once instead of ``k``
times. Results are identical either way (the cached arrays are copied into each run).

The memory is bounded (:data:`MAX_BYTES`, least recently used first out) and only starts of at
most :data:`MAX_MEMBERS` members are kept (beyond, the days dominate a run's time).

The member graph a scenario's generator builds is remembered the same way, by the generator's
arguments (its *origin*: ``cmsim.inputs.graph_origin``), within :data:`GRAPH_MAX_BYTES`: a run
of the same seed gets a copy (a run grows its own graph) instead of building it again, and the
start's key names the graph by its origin instead of hashing its rows (at 10,000 members the
graph's build and hash were a quarter of a 30-day run).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numpy as np

from cmsim.graphs import Graph
from cmsim.room import zeros

__all__ = ["start_key", "recall", "remember", "recall_graph", "remember_graph", "clear", "MAX_BYTES",
           "MAX_MEMBERS", "GRAPH_MAX_BYTES"]  # fmt: skip

#: Most bytes of initial member arrays kept (about 900 starts of 2,000 members).
MAX_BYTES = 64 * 2**20
#: Largest start kept, in initial members.
MAX_MEMBERS = 100_000

#: Most bytes of member graphs kept (their arrays as laid out, room for arrivals included).
GRAPH_MAX_BYTES = 64 * 2**20

_LOCK = threading.Lock()


class _Kept:
    """Values remembered per key within a budget of bytes (read at each call, so it can be
    changed), the least recently used first out; the newest is always kept."""

    def __init__(self, budget: Callable[[], int]) -> None:
        self.items: OrderedDict[tuple, Any] = OrderedDict()
        self.bytes = 0
        self.budget = budget

    def __len__(self) -> int:
        return len(self.items)

    def get(self, key: tuple) -> Any:
        with _LOCK:
            got = self.items.get(key)
            if got is not None:
                self.items.move_to_end(key)
            return got

    def put(self, key: tuple, value: Any, size: Callable[[Any], int]) -> None:
        with _LOCK:
            if key in self.items:
                return
            self.items[key] = value
            self.bytes += size(value)
            while self.bytes > self.budget() and len(self.items) > 1:
                _, old = self.items.popitem(last=False)
                self.bytes -= size(old)

    def clear(self) -> None:
        with _LOCK:
            self.items.clear()
            self.bytes = 0


def _arrays_size(arrays: tuple[np.ndarray, ...]) -> int:
    return sum(a.nbytes for a in arrays)


def _graph_size(g: Graph) -> int:
    return g.indptr.nbytes + g.indices.nbytes + g.deg.nbytes


_CACHE = _Kept(lambda: MAX_BYTES)  # starts: (F, B, I, U) of the first n slots
_GRAPHS = _Kept(lambda: GRAPH_MAX_BYTES)  # graphs as built


def start_key(
    seed: int, P: np.ndarray, S: np.ndarray, graph: Graph, origin: tuple | None = None
) -> tuple | None:
    """What a start depends on: the seed, the packed parameters ``P``, the steady scalars ``S``
    and the initial members' rows of ``graph``; ``None`` for a start too big to keep.

    ``origin``: the generator's arguments ``graph`` was built with, unchanged since
    (``cmsim.inputs.graph_origin``), which name its rows as well as their hash does; ``None``
    (a graph given by the user) hashes the rows."""
    n = graph.n
    if n > MAX_MEMBERS:
        return None
    if origin is not None:
        rows: object = ("generated", *origin)
    else:
        h = hashlib.blake2b(digest_size=16)
        for a in (graph.indptr[: n + 1], graph.deg[:n], graph.indices[graph.indptr[0] : graph.indptr[n]]):
            h.update(np.ascontiguousarray(a).data)  # (a view, not a copy: the same bytes)
        rows = h.digest()
    return (int(seed), n, int(graph.n_hubs), P.tobytes(), S.tobytes(), rows)


def _graph_copy(g: Graph) -> Graph:
    """A copy of a graph as built (nothing linked in its room for arrivals yet), whose room stays
    unresident until used, as the original's (``cmsim.room.zeros``)."""
    used = int(g.indptr[g.n])
    indices = zeros(len(g.indices), np.int32)
    indices[:used] = g.indices[:used]
    deg = zeros(len(g.deg), np.int32)
    deg[: g.n] = g.deg[: g.n]
    return Graph(g.indptr.copy(), indices, deg, g.n, g.n_hubs)


def recall_graph(origin: tuple) -> Graph | None:
    """A copy of the graph remembered for ``origin`` (the generator's arguments), or None."""
    got = _GRAPHS.get(origin)
    return None if got is None else _graph_copy(got)


def remember_graph(origin: tuple, graph: Graph) -> None:
    """Keep a copy of ``graph``, just built from ``origin`` (graphs of at most ``MAX_MEMBERS``
    members; the least recently used dropped beyond ``GRAPH_MAX_BYTES``)."""
    if graph.n > MAX_MEMBERS:
        return
    _GRAPHS.put(origin, _graph_copy(graph), _graph_size)


def recall(key: tuple | None) -> tuple[np.ndarray, ...] | None:
    """The member arrays ``(F, B, I, U)`` (first ``n`` slots) remembered for ``key``, or None."""
    return None if key is None else _CACHE.get(key)


def remember(key: tuple | None, arrays: tuple[np.ndarray, ...]) -> None:
    """Keep copies of ``arrays`` for ``key`` (dropping the least recently used beyond MAX_BYTES)."""
    if key is not None:
        _CACHE.put(key, tuple(a.copy() for a in arrays), _arrays_size)


def clear() -> None:
    """Forget every start and graph (tests; a long session that wants its memory back)."""
    _CACHE.clear()
    _GRAPHS.clear()
