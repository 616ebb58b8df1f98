"""Member graphs: who sees whom. Python front of the compiled generators.

A :class:`Graph` stores contact rows in a growable CSR layout: row ``i`` holds
``indices[indptr[i] : indptr[i] + deg[i]]`` and has spare room up to ``indptr[i + 1]`` for links
that newcomers make later. Generators handle 10 million members without networkx; any networkx
graph can be used instead (its nodes become members, in ``G.nodes`` order).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from cmsim._kernels import graphs as _g
from cmsim.errors import ArgumentError
from cmsim.room import zeros

__all__ = ["Graph", "build_graph", "from_networkx", "SLACK_INITIAL", "SLACK_NEW"]

#: Spare contact slots given to each initial member for links from newcomers.
SLACK_INITIAL = 4
#: Spare contact slots of a newcomer beyond its own ``graph.attach`` links.
SLACK_NEW = 4
#: From this many members rows are written as listed and then sorted (sequential memory access);
#: below, written in order directly (no sort; faster while the graph fits in cache: 0.7 against
#: 1.3 ms at 10,000 members, 420 against 160 ms at 1M). Both give the same rows.
SORT_ROWS_FROM = 65_536


@dataclass
class Graph:
    """Contact rows of ``n`` members with room for growth.

    Attributes
    ----------
    indptr : int64 array, shape (capacity + 1,)
    indices : int32 array, shape (indptr[-1],)
    deg : int32 array, shape (capacity,)
    n : int
        Members placed in the graph (slots ``0..n-1``).
    n_hubs : int
        The first ``n_hubs`` members are hubs (experts of a customer community).
    """

    indptr: np.ndarray
    indices: np.ndarray
    deg: np.ndarray
    n: int
    n_hubs: int = 0

    @property
    def capacity(self) -> int:
        """Number of member slots the rows are laid out for."""
        return len(self.deg)

    @property
    def n_edges(self) -> int:
        """Number of stored contact entries (each undirected link counts twice)."""
        return int(self.deg.sum())

    def grow(self, capacity: int, attach: int) -> None:
        """Lay out rows for slots up to ``capacity``, each new row with ``attach + SLACK_NEW`` room."""
        old = self.capacity
        if capacity <= old:
            return
        width = attach + SLACK_NEW
        extra = np.arange(1, capacity - old + 1, dtype=np.int64) * width + self.indptr[-1]
        self.indptr = np.concatenate([self.indptr, extra])
        indices = zeros(int(self.indptr[-1]), np.int32)  # the room is resident once used
        indices[: len(self.indices)] = self.indices
        self.indices = indices
        deg = zeros(capacity, np.int32)
        deg[:old] = self.deg
        self.deg = deg

    def copy(self) -> Graph:
        """A deep copy."""
        return Graph(self.indptr.copy(), self.indices.copy(), self.deg.copy(), self.n, self.n_hubs)

    def to_networkx(self, n: int | None = None) -> Any:
        """The first ``n`` members (default all placed) as an undirected ``networkx.Graph``."""
        import networkx as nx

        n = self.n if n is None else n
        G = nx.Graph()
        G.add_nodes_from(range(n))
        for i in range(n):
            row = self.indices[self.indptr[i] : self.indptr[i] + self.deg[i]]
            G.add_edges_from((i, int(j)) for j in row if j < n and j > i)
        return G


def _from_edges(n: int, src: np.ndarray, dst: np.ndarray, capacity: int, attach: int, n_hubs: int) -> Graph:
    counts = _g.degree_counts(n, src, dst)
    indptr = np.zeros(n + 1, np.int64)
    np.cumsum(counts + SLACK_INITIAL, out=indptr[1:])
    g = Graph(indptr, zeros(int(indptr[-1]), np.int32), zeros(n, np.int32), n, n_hubs)
    fill = _g.fill_csr_sorting if n >= SORT_ROWS_FROM else _g.fill_csr  # the same rows, faster
    fill(n, src, dst, g.indptr, g.indices, g.deg)
    g.grow(capacity, attach)
    return g


def build_graph(
    kind: str,
    n: int,
    *,
    mean_degree: float = 10.0,
    clustering: float = 0.3,
    blocks: int = 12,
    mixing: float = 0.1,
    hub_share: float = 0.02,
    rewire: float = 0.05,
    attach: int = 4,
    capacity: int | None = None,
    seed: int = 0,
) -> Graph:
    """Build the member graph of a community kind.

    Parameters
    ----------
    kind : {"social_media", "forum", "customer", "internal"}
        Scale-free with clustering; sub-forum blocks; askers around hubs; small-world
        departments.
    n : int
        Members.
    mean_degree : float
        Mean number of contacts (each member makes ``round(mean_degree / 2)`` links).
    clustering, blocks, mixing, hub_share, rewire : float or int
        Kind-specific structure (see ``cmsim params``).
    attach : int
        Links a newcomer makes; sets the room laid out for slots beyond ``n``.
    capacity : int, optional
        Member slots to lay out (default ``n``).
    seed : int
        Seed of the graph's random stream.

    Returns
    -------
    Graph

    Examples
    --------
    >>> g = build_graph("forum", 1000, mean_degree=10, seed=1)
    >>> g.n, round(g.n_edges / g.n, 2)
    (1000, 9.47)

    A little under ``mean_degree``: links drawn twice or to oneself are dropped, which matters
    less in larger communities (9.97 at 20,000 members).
    """
    m = max(1, int(round(mean_degree / 2.0)))
    n_hubs = 0
    if kind == "social_media":
        src, dst = _g.social_edges(n, m, clustering, seed)
    elif kind == "forum":
        src, dst = _g.block_edges(n, m, max(1, blocks), mixing, seed)
    elif kind == "customer":
        n_hubs = max(1, int(round(hub_share * n))) if hub_share > 0 else 0
        src, dst = _g.hub_edges(n, m, n_hubs, seed)
    elif kind == "internal":
        src, dst = _g.smallworld_edges(n, m, max(1, blocks), rewire, seed)
    else:
        raise ArgumentError(
            f"the 'kind' parameter must be one of social_media, forum, customer, internal; got {kind!r}"
        )
    return _from_edges(n, src, dst, capacity or n, attach, n_hubs)


def from_networkx(G: Any, *, capacity: int | None = None, attach: int = 4) -> Graph:
    """Use any networkx graph as the member graph (nodes become members in ``G.nodes`` order).

    Directed graphs are treated as undirected; self-loops are dropped.

    Examples
    --------
    >>> import networkx as nx
    >>> g = from_networkx(nx.karate_club_graph())
    >>> g.n, g.n_edges
    (34, 156)
    """
    nodes = list(G.nodes)
    index = {v: i for i, v in enumerate(nodes)}
    pairs = [(index[u], index[v]) for u, v in G.edges() if u != v]
    n = len(nodes)
    if n == 0:
        raise ArgumentError("the 'graph' parameter must have at least one node; got an empty graph")
    src = np.fromiter((p[0] for p in pairs), np.int32, len(pairs))
    dst = np.fromiter((p[1] for p in pairs), np.int32, len(pairs))
    order = np.argsort(src, kind="stable")  # links listed by their first member (fill_csr)
    src, dst = src[order], dst[order]
    return _from_edges(n, src, dst, capacity or n, attach, 0)
