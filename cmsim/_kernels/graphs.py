"""Compiled generators of member graphs, and the growable CSR layout the step kernel reads.

Each generator returns an edge list ``(src, dst)`` of int32 arrays (undirected links, each
listed once); :func:`fill_csr` turns it into per-member contact rows with spare room for the
links newcomers make later. All draws come from the ``S_GRAPH`` stream keyed by the seed, so a
graph is a pure function of (kind, size, parameters, seed).
"""

from __future__ import annotations

import numpy as np

from cmsim._kernels import layout as L
from cmsim._kernels import njit
from cmsim._kernels.rng import key, uniform2


@njit(cache=True, nogil=True)
def social_edges(n, m, triad, seed):
    """Scale-free graph with clustering (Holme & Kim 2002): ``n`` members, ``m`` links each.

    Every new member links to ``m`` earlier members: the first by preferential attachment
    (an endpoint of a random existing link), each further one, with chance ``triad``, to a
    contact of the member it just linked to (closing a triangle), else preferentially again.
    Returns ``(src, dst)`` int32 arrays of length about ``n * m``.
    """
    m0 = m + 1
    cap = m0 * (m0 - 1) // 2 + (n - m0) * m if n > m0 else n * (n - 1) // 2
    src = np.empty(max(cap, 0), np.int32)
    dst = np.empty(max(cap, 0), np.int32)
    k = key(seed, L.S_GRAPH, 0)
    e = 0
    for i in range(min(n, m0)):
        for j in range(i):
            src[e] = i
            dst[e] = j
            e += 1
    for v in range(m0, n):
        e_start = e
        last = -1
        for a in range(m):
            t = -1
            for attempt in range(16):
                r = 3 * (16 * a + attempt)
                if last >= 0 and uniform2(k, v, r) < triad:
                    # a contact of `last`: one of the links it made when it arrived
                    if last >= m0:
                        cand = dst[m0 * (m0 - 1) // 2 + (last - m0) * m + int(uniform2(k, v, r + 1) * m)]
                    else:
                        cand = int(uniform2(k, v, r + 1) * m0)
                else:
                    pick = int(uniform2(k, v, r + 2) * (2 * e_start))
                    cand = src[pick >> 1] if (pick & 1) == 0 else dst[pick >> 1]
                if cand == v:
                    continue
                dup = False
                for f in range(e_start, e):
                    if dst[f] == cand:
                        dup = True
                        break
                if not dup:
                    t = cand
                    break
            if t < 0:
                t = int(uniform2(k, v, 3 * 16 * m + a) * v)
            src[e] = v
            dst[e] = t
            e += 1
            last = t
    return src[:e], dst[:e]


@njit(cache=True, nogil=True)
def block_edges(n, m, blocks, mixing, seed):
    """Sub-forums: ``blocks`` groups of decreasing size (weights ``1/(b+1)^0.8``).

    Each member makes ``m`` links: with chance ``mixing`` to any member, otherwise to a member of
    its own sub-forum. Members of a block are contiguous. Returns ``(src, dst)``.
    """
    w = np.empty(blocks)
    for b in range(blocks):
        w[b] = 1.0 / (b + 1.0) ** 0.8
    w /= w.sum()
    start = np.empty(blocks + 1, np.int64)
    start[0] = 0
    acc = 0.0
    for b in range(blocks):
        acc += w[b]
        start[b + 1] = min(n, int(round(acc * n)))
    start[blocks] = n
    block_of = np.empty(n, np.int32)
    for b in range(blocks):
        for i in range(start[b], start[b + 1]):
            block_of[i] = b
    src = np.empty(n * m, np.int32)
    dst = np.empty(n * m, np.int32)
    k = key(seed, L.S_GRAPH, 1)
    e = 0
    for v in range(n):
        b = block_of[v]
        lo = start[b]
        size = start[b + 1] - lo
        for a in range(m):
            if size <= 1 or uniform2(k, v, 2 * a) < mixing:
                t = int(uniform2(k, v, 2 * a + 1) * n)
            else:
                t = lo + int(uniform2(k, v, 2 * a + 1) * size)
            if t != v:
                src[e] = v
                dst[e] = t
                e += 1
    return src[:e], dst[:e]


@njit(cache=True, nogil=True)
def hub_edges(n, m, n_hubs, seed):
    """Customer community: askers around a few experts.

    Members ``0..n_hubs-1`` are hubs. Every member makes ``m`` links, each with chance 1/2 to a
    hub and otherwise to any member, so hubs see very many askers. Returns ``(src, dst)``.
    """
    src = np.empty(n * m, np.int32)
    dst = np.empty(n * m, np.int32)
    k = key(seed, L.S_GRAPH, 2)
    e = 0
    for v in range(n):
        for a in range(m):
            if n_hubs > 0 and uniform2(k, v, 2 * a) < 0.5:
                t = int(uniform2(k, v, 2 * a + 1) * n_hubs)
            else:
                t = int(uniform2(k, v, 2 * a + 1) * n)
            if t != v:
                src[e] = v
                dst[e] = t
                e += 1
    return src[:e], dst[:e]


@njit(cache=True, nogil=True)
def smallworld_edges(n, m, blocks, rewire, seed):
    """Internal community: departments as Watts-Strogatz rings.

    Members are split into ``blocks`` equal departments; each links to the ``m`` next colleagues
    on its department's ring, and each link is rewired to a random member of the whole
    organisation with chance ``rewire``. Returns ``(src, dst)``.
    """
    src = np.empty(n * m, np.int32)
    dst = np.empty(n * m, np.int32)
    k = key(seed, L.S_GRAPH, 3)
    size = max(1, n // max(blocks, 1))
    e = 0
    for v in range(n):
        lo = (v // size) * size
        hi = min(n, lo + size)
        if n - hi < size:
            hi = n  # the last department takes the remainder
            lo = min(lo, n - 1)
        width = hi - lo
        for a in range(m):
            if uniform2(k, v, 2 * a) < rewire or width <= 1:
                t = int(uniform2(k, v, 2 * a + 1) * n)
            else:
                t = lo + (v - lo + a + 1) % width
            if t != v:
                src[e] = v
                dst[e] = t
                e += 1
    return src[:e], dst[:e]


@njit(cache=True, nogil=True)
def fill_csr(n, src, dst, indptr, indices, deg):
    """Write undirected links into CSR rows that already have room (``indptr`` preset).

    Each link ``(u, v)`` is stored in both rows, every row sorted by contact, and a repeated
    link is kept once, so links stay mutual. ``deg`` counts the used part of each row. ``src``
    must be non-decreasing (every generator lists a member's links together).

    No row is sorted: contacts are written in increasing order to begin with. Contact ``c``
    joins the rows of the members ``c`` linked to (its own links, together in ``src``) and of
    the members who linked to ``c`` (found by a counting sort of ``dst``), for ``c = 0, 1, ...``.
    Its reads jump around memory, so it is faster than :func:`fill_csr_sorting` only while the
    graph fits in cache (``graphs.SORT_ROWS_FROM``).
    """
    n_links = src.shape[0]
    for e in range(1, n_links):
        if src[e] < src[e - 1]:
            raise ValueError("fill_csr: links must be listed by their first member (src non-decreasing)")
    first = np.zeros(n + 1, np.int64)  # links ending at v: by_dst[first[v]:first[v + 1]]
    for e in range(n_links):
        first[dst[e] + 1] += 1
    for v in range(n):
        first[v + 1] += first[v]
    by_dst = np.empty(n_links, np.int32)
    fill = first[:n].copy()
    for e in range(n_links):
        v = dst[e]
        by_dst[fill[v]] = e
        fill[v] += 1
    for i in range(n):
        deg[i] = 0
    e = 0
    for c in range(n):
        while e < n_links and src[e] == c:
            if dst[e] != c:
                _append(dst[e], c, indptr, indices, deg)
            e += 1
        for k in range(first[c], first[c + 1]):
            if src[by_dst[k]] != c:
                _append(src[by_dst[k]], c, indptr, indices, deg)
    for i in range(n):
        deg[i] = _unique(indices, indptr[i], indptr[i] + deg[i])


@njit(cache=True)
def _append(u, v, indptr, indices, deg):
    """Put ``v`` at the end of ``u``'s row (which has room)."""
    indices[indptr[u] + deg[u]] = v
    deg[u] += 1


@njit(cache=True)
def _unique(a, lo, hi):
    """Drop repeats from the sorted ``a[lo:hi]`` in place; return the number kept."""
    if hi - lo < 2:
        return hi - lo
    w = lo + 1
    for k in range(lo + 1, hi):
        if a[k] != a[w - 1]:
            a[w] = a[k]
            w += 1
    return w - lo


@njit(cache=True, nogil=True)
def fill_csr_sorting(n, src, dst, indptr, indices, deg):
    """Like :func:`fill_csr` (same rows), for large graphs: links are written as listed, then
    every row is sorted. Its memory access is sequential but for one write per link end.

    Each link ``(u, v)`` is stored in both rows; then every row is sorted and a repeated link
    is kept once, so links stay mutual. ``deg`` counts the used part of each row.
    """
    for i in range(n):
        deg[i] = 0
    for e in range(src.shape[0]):
        u = src[e]
        v = dst[e]
        if u == v:
            continue
        _append(u, v, indptr, indices, deg)
        _append(v, u, indptr, indices, deg)
    for i in range(n):
        deg[i] = _sort_unique(indices, indptr[i], indptr[i] + deg[i])


@njit(cache=True)
def _sort_unique(a, lo, hi):
    """Sort ``a[lo:hi]`` in place, drop repeats; return the number kept."""
    if hi - lo < 2:
        return hi - lo
    # Shell sort (Ciura's gaps, ending with a plain insertion sort): short rows sort by insertion
    # alone, hubs' long rows in O(n^1.3); and it compiles in a fraction of the time np.sort takes.
    for gap in (701, 301, 132, 57, 23, 10, 4, 1):
        if gap >= hi - lo or (gap > 1 and hi - lo <= 32):
            continue
        for k in range(lo + gap, hi):
            x = a[k]
            j = k
            while j - gap >= lo and a[j - gap] > x:
                a[j] = a[j - gap]
                j -= gap
            a[j] = x
    return _unique(a, lo, hi)


@njit(cache=True, nogil=True)
def degree_counts(n, src, dst):
    """Number of link ends at each member (int64[n])."""
    c = np.zeros(n, np.int64)
    for e in range(src.shape[0]):
        c[src[e]] += 1
        c[dst[e]] += 1
    return c
