"""Initial members remembered per start, so the strategies of a comparison share one steady start.

The steady start (:func:`cmsim.state.new_state`) depends on the scenario's parameters, the steady
scalars, the seed and the graph only, never on the strategy run, so every strategy of a
comparison starts each seed from the same members. Drawing them is a third of a small run's time
(2,000 members, 180 days), so the members drawn are remembered for the next run with the same
start: a paired comparison of ``k`` strategies draws each seed's start once instead of ``k``
times. Results are identical either way (the cached arrays are copied into each run).

The memory is bounded (:data:`MAX_BYTES`, least recently used first out) and only starts of at
most :data:`MAX_MEMBERS` members are kept (beyond, the days dominate a run's time).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict

import numpy as np

from cmsim.graphs import Graph

__all__ = ["start_key", "recall", "remember", "clear", "MAX_BYTES", "MAX_MEMBERS"]

#: Most bytes of initial member arrays kept (about 900 starts of 2,000 members).
MAX_BYTES = 64 * 2**20
#: Largest start kept, in initial members.
MAX_MEMBERS = 100_000

_LOCK = threading.Lock()
_CACHE: OrderedDict[tuple, tuple[np.ndarray, ...]] = OrderedDict()
_BYTES = [0]


def start_key(seed: int, P: np.ndarray, S: np.ndarray, graph: Graph) -> tuple | None:
    """What a start depends on: the seed, the packed parameters ``P``, the steady scalars ``S``
    and the initial members' rows of ``graph``; ``None`` for a start too big to keep."""
    n = graph.n
    if n > MAX_MEMBERS:
        return None
    h = hashlib.blake2b(digest_size=16)
    for a in (graph.indptr[: n + 1], graph.deg[:n], graph.indices[graph.indptr[0] : graph.indptr[n]]):
        h.update(np.ascontiguousarray(a).tobytes())
    return (int(seed), n, int(graph.n_hubs), P.tobytes(), S.tobytes(), h.digest())


def recall(key: tuple | None) -> tuple[np.ndarray, ...] | None:
    """The member arrays ``(F, B, I, U)`` (first ``n`` slots) remembered for ``key``, or None."""
    if key is None:
        return None
    with _LOCK:
        got = _CACHE.get(key)
        if got is not None:
            _CACHE.move_to_end(key)
        return got


def remember(key: tuple | None, arrays: tuple[np.ndarray, ...]) -> None:
    """Keep copies of ``arrays`` for ``key`` (dropping the least recently used beyond MAX_BYTES)."""
    if key is None:
        return
    kept = tuple(a.copy() for a in arrays)
    size = sum(a.nbytes for a in kept)
    with _LOCK:
        if key in _CACHE:
            return
        _CACHE[key] = kept
        _BYTES[0] += size
        while _BYTES[0] > MAX_BYTES and len(_CACHE) > 1:
            _, old = _CACHE.popitem(last=False)
            _BYTES[0] -= sum(a.nbytes for a in old)


def clear() -> None:
    """Forget every start (tests; a long session that wants its memory back)."""
    with _LOCK:
        _CACHE.clear()
        _BYTES[0] = 0
