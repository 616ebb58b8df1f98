"""The graph-walk ceiling: a kernel that reads every neighbour once and does nothing else.

It walks the same contact rows the model reads (``indptr``, ``indices``, ``deg``), over the same
edge-balanced chunks, on the same threads, and sums each neighbour's one-byte activity flag. No
member-step of the model can be cheaper than this, so the model's speed as a share of the walk's
says how much of the time goes to the model's logic rather than to reading the graph.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange


@njit(parallel=True, cache=True)
def walk(chunks, n, indptr, indices, deg, act, out):
    """Sum ``act[j]`` over every contact ``j`` of members ``0..n-1``; one sum per chunk in ``out``."""
    nc = chunks.shape[0]
    for c in prange(nc):
        lo = chunks[c]
        hi = chunks[c + 1] if c + 1 < nc else n
        s = 0
        for i in range(lo, hi):
            e0 = indptr[i]
            for e in range(e0, e0 + deg[i]):
                s += act[indices[e]]
        out[c] = s


def walk_graph(chunks: np.ndarray, n: int, indptr: np.ndarray, indices: np.ndarray, deg: np.ndarray,
               act: np.ndarray, passes: int) -> int:  # fmt: skip
    """Walk the graph ``passes`` times (each pass is one "day" of ``n`` member-steps)."""
    out = np.zeros(len(chunks), np.int64)
    total = 0
    for _ in range(passes):
        walk(chunks, n, indptr, indices, deg, act, out)
        total += int(out.sum())
    return total
