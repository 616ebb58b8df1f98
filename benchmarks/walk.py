"""The graph-walk ceiling: a kernel that reads every neighbour once and does nothing else.

It walks the same contact rows the model reads (``indptr``, ``indices``, ``deg``), on the same
threads, and sums each neighbour's one-byte activity flag. Its chunks hold equal numbers of
contacts (:func:`edge_chunks`): the model's own chunks balance the model's work, in which only
visitors read their rows, and would leave one thread of a scale-free graph's walk with most of the
contacts (measured: 64M member-steps/s on 2 threads with the model's chunks, 90M with these). It
indexes with unsigned integers, as the model's kernels do, so neither pays numba's negative-index
wraparound. No member-step of the model can be cheaper than this, so the model's speed as a share
of the walk's says how much of the time goes to the model's logic rather than to reading the graph.
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
        for i in range(np.uint64(lo), np.uint64(hi)):
            e0 = np.uint64(indptr[i])
            for e in range(e0, e0 + np.uint64(deg[i])):
                s += act[np.uint64(indices[e])]
        out[c] = s


def edge_chunks(deg: np.ndarray, n: int, nc: int) -> np.ndarray:
    """Starts of ``nc`` chunks of members ``0..n-1`` holding equal numbers of contacts."""
    from cmsim._kernels.step import chunk_starts

    return chunk_starts(deg, n, nc, 0.0, 1.0)


def walk_graph(chunks: np.ndarray, n: int, indptr: np.ndarray, indices: np.ndarray, deg: np.ndarray,
               act: np.ndarray, passes: int) -> int:  # fmt: skip
    """Walk the graph ``passes`` times (each pass is one "day" of ``n`` member-steps)."""
    out = np.zeros(len(chunks), np.int64)
    total = 0
    for _ in range(passes):
        walk(chunks, n, indptr, indices, deg, act, out)
        total += int(out.sum())
    return total
