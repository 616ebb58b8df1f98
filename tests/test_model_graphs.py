"""The compiled graph generators and the networkx bridge (cmsim.graphs)."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

import cmsim
from cmsim import build_graph, from_networkx

N = 3000


def _check_rows(g: cmsim.Graph) -> None:
    for i in range(g.n):
        row = g.indices[g.indptr[i] : g.indptr[i] + g.deg[i]]
        assert g.indptr[i] + g.deg[i] <= g.indptr[i + 1]
        assert ((row >= 0) & (row < g.n)).all()
        assert (row != i).all()


@pytest.mark.parametrize("kind", cmsim.KINDS)
def test_sizes_mean_degree_and_symmetry(kind: str) -> None:
    g = build_graph(kind, N, mean_degree=10, seed=1)
    assert g.n == N and g.capacity == N and len(g.indptr) == N + 1
    _check_rows(g)
    assert g.n_edges / N == pytest.approx(10, rel=0.1)
    G = g.to_networkx()
    assert G.number_of_nodes() == N
    assert 2 * G.number_of_edges() == pytest.approx(g.n_edges, rel=0.02)


@pytest.mark.parametrize("kind", ["social_media", "forum", "customer", "internal"])
def test_every_link_is_stored_once_in_both_rows(kind: str) -> None:
    g = build_graph(kind, N, mean_degree=10, seed=1)
    rows = [g.indices[g.indptr[i] : g.indptr[i] + g.deg[i]] for i in range(N)]
    assert all(len(set(r.tolist())) == len(r) for r in rows)
    assert all(i in rows[j] for i in range(N) for j in rows[i])


@pytest.mark.parametrize("kind", cmsim.KINDS)
def test_same_seed_same_graph_other_seed_other_graph(kind: str) -> None:
    a, b, c = (build_graph(kind, 500, seed=s) for s in (3, 3, 4))
    assert np.array_equal(a.indices, b.indices) and np.array_equal(a.deg, b.deg)
    assert not (np.array_equal(a.indices, c.indices) and np.array_equal(a.deg, c.deg))


def test_social_media_is_scale_free_with_clustering() -> None:
    g = build_graph("social_media", N, mean_degree=10, clustering=0.5, seed=2)
    G = g.to_networkx()
    R = nx.gnm_random_graph(N, G.number_of_edges(), seed=2)
    assert nx.average_clustering(G) > 4 * nx.average_clustering(R)
    deg = g.deg[:N]
    assert deg.max() > 8 * deg.mean()  # hubs: a heavy tail
    assert np.median(deg) < deg.mean()
    # more triad closure, more clustering
    low = build_graph("social_media", N, mean_degree=10, clustering=0.0, seed=2).to_networkx()
    assert nx.average_clustering(G) > 1.5 * nx.average_clustering(low)


def test_customer_community_has_hubs_that_see_many_askers() -> None:
    g = build_graph("customer", N, mean_degree=10, hub_share=0.01, seed=3)
    assert g.n_hubs == 30
    deg = g.deg[:N]
    assert deg[:30].min() > 10 * np.median(deg[30:])
    # about half of all links end at a hub
    assert deg[:30].sum() / deg.sum() == pytest.approx(0.25, abs=0.05)


def _blocks(n: int, blocks: int) -> np.ndarray:
    """Block of each member: contiguous groups with weights 1/(b+1)^0.8 (the documented layout)."""
    w = 1.0 / (np.arange(blocks) + 1.0) ** 0.8
    starts = np.minimum(n, np.round(np.cumsum(w / w.sum()) * n).astype(int))
    return np.searchsorted(starts, np.arange(n), side="right")


@pytest.mark.parametrize(("mixing", "inside"), [(0.1, 0.9), (0.5, 0.5)])
def test_forum_links_stay_inside_sub_forums(mixing: float, inside: float) -> None:
    g = build_graph("forum", N, mean_degree=10, blocks=8, mixing=mixing, seed=4)
    block = _blocks(N, 8)
    assert len(np.unique(block)) == 8
    G = g.to_networkx()
    same = np.mean([block[u] == block[v] for u, v in G.edges()])
    # a mixing link lands inside the own block by chance too (block sizes ~ 1/8 .. 1/4)
    assert same == pytest.approx(inside + mixing * 0.15, abs=0.05)
    sizes = np.bincount(block)
    assert (np.diff(sizes) <= 0).all()  # decreasing sizes


def test_internal_is_small_world() -> None:
    g = build_graph("internal", N, mean_degree=10, blocks=10, rewire=0.05, seed=5)
    G = g.to_networkx()
    R = nx.gnm_random_graph(N, G.number_of_edges(), seed=5)
    assert nx.average_clustering(G) > 0.4 > 10 * nx.average_clustering(R)
    # departments: almost every link inside the own block of N / 10 members
    same = np.mean([u // 300 == v // 300 for u, v in G.edges()])
    assert same > 0.9


def test_from_networkx_round_trip() -> None:
    G = nx.karate_club_graph()
    g = from_networkx(G)
    assert g.n == 34 and g.n_edges == 2 * G.number_of_edges()
    H = g.to_networkx()
    assert set(map(frozenset, H.edges())) == set(map(frozenset, G.edges()))


def test_from_networkx_uses_node_order_and_drops_self_loops() -> None:
    G = nx.DiGraph()
    G.add_nodes_from(["c", "a", "b", "d"])
    G.add_edges_from([("a", "b"), ("b", "a"), ("c", "c"), ("d", "c")])
    g = from_networkx(G)
    H = g.to_networkx()
    assert set(map(frozenset, H.edges())) == {frozenset({1, 2}), frozenset({3, 0})}
    with pytest.raises(ValueError, match="at least one node"):
        from_networkx(nx.Graph())


def test_networkx_graph_in_a_simulation_keeps_its_links() -> None:
    G = nx.relabel_nodes(nx.karate_club_graph(), lambda v: f"m{v}")
    sim = cmsim.Simulation("forum", "balanced", seed=1, days=5, graph=G)
    assert sim.scenario["community.initial_members"] == 34
    assert sim.state.n_used == 34
    H = sim.state.graph.to_networkx(34)
    assert nx.is_isomorphic(H, nx.karate_club_graph())
    run = sim.run()
    assert len(run.daily) == 5 and run.members["member"].iloc[:34].tolist() == list(range(34))


def test_grow_keeps_rows_and_adds_room() -> None:
    g = build_graph("forum", 200, seed=6)
    before = [g.indices[g.indptr[i] : g.indptr[i] + g.deg[i]].copy() for i in range(200)]
    g.grow(260, attach=4)
    assert g.capacity == 260 and (g.deg[200:] == 0).all()
    assert (np.diff(g.indptr[200:]) >= 4).all()
    for i in range(200):
        assert np.array_equal(g.indices[g.indptr[i] : g.indptr[i] + g.deg[i]], before[i])


@pytest.mark.parametrize("kind", ["social_media", "forum", "customer", "internal"])
def test_small_and_large_graph_fills_write_the_same_rows(kind: str) -> None:
    """Below ``SORT_ROWS_FROM`` rows are written in order, above they are sorted: same rows."""
    from cmsim import graphs
    from cmsim._kernels import graphs as kg

    n = 3000
    g = build_graph(kind, n, mean_degree=8, seed=5)
    src, dst = _edges(kind, n)
    rows = []
    for fill in (kg.fill_csr, kg.fill_csr_sorting):
        indptr = np.zeros(n + 1, np.int64)
        np.cumsum(kg.degree_counts(n, src, dst), out=indptr[1:])  # room for every listed link end
        indices = np.full(int(indptr[-1]), -1, np.int32)
        deg = np.zeros(n, np.int32)
        fill(n, src, dst, indptr, indices, deg)
        rows.append([indices[indptr[i] : indptr[i] + deg[i]].tolist() for i in range(n)])
    assert rows[0] == rows[1]
    assert rows[0] == [g.indices[g.indptr[i] : g.indptr[i] + g.deg[i]].tolist() for i in range(n)]
    assert sum(map(len, rows[0])) == g.n_edges
    assert all(r == sorted(set(r)) for r in rows[0])  # sorted, no repeats
    assert graphs.SORT_ROWS_FROM > n


def _edges(kind: str, n: int) -> tuple[np.ndarray, np.ndarray]:
    from cmsim._kernels import graphs as kg

    m = 4
    if kind == "social_media":
        src, dst = kg.social_edges(n, m, 0.3, 5)
    elif kind == "forum":
        src, dst = kg.block_edges(n, m, 12, 0.1, 5)
    elif kind == "customer":
        src, dst = kg.hub_edges(n, m, 60, 5)
    else:
        src, dst = kg.smallworld_edges(n, m, 12, 0.05, 5)
    # repeated links and self-links must be dropped by both fills
    src, dst = np.concatenate([src, src[:50], [7]]), np.concatenate([dst, dst[:50], [7]])
    order = np.argsort(src, kind="stable")
    return src[order].astype(np.int32), dst[order].astype(np.int32)


def test_in_order_fill_needs_links_listed_by_first_member() -> None:
    from cmsim._kernels import graphs as kg

    indptr = np.arange(0, 4 * 4, 4, dtype=np.int64)
    with pytest.raises(ValueError, match="src non-decreasing"):
        kg.fill_csr(3, np.array([1, 0], np.int32), np.array([2, 2], np.int32), indptr, np.zeros(12, np.int32),
                    np.zeros(3, np.int32))  # fmt: skip


def test_from_networkx_with_links_listed_in_any_order() -> None:
    G = nx.Graph()
    G.add_nodes_from(range(6))
    G.add_edges_from([(5, 0), (3, 1), (0, 2), (4, 1), (2, 5)])
    g = from_networkx(G)
    assert [g.indices[g.indptr[i] : g.indptr[i] + g.deg[i]].tolist() for i in range(6)] == [
        [2, 5], [3, 4], [0, 5], [1], [1], [0, 2]
    ]  # fmt: skip
