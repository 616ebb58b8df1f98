"""What a run is made of, checked once for both engines: the seed, the thread count, the scenario
with its shortcuts and the member graph.

:func:`cmsim.run_spec` and both engines (:class:`~cmsim.Simulation`,
:class:`~cmsim.mesa.CommunityModel`) read their inputs through these functions, so a bad input
gets the same one-line :class:`~cmsim.errors.ArgumentError` whichever the entry point.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from cmsim.errors import ArgumentError
from cmsim.graphs import Graph, build_graph, from_networkx
from cmsim.scenario import Scenario, resolve_scenario

__all__ = [
    "check_seed",
    "check_threads",
    "check_days",
    "check_choice",
    "check_int",
    "resolve_inputs",
    "run_graph",
    "graph_origin",
]


def _is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def check_seed(seed: Any) -> int:
    """``seed`` as an int, or :class:`ArgumentError` unless it is an integer >= 0.

    Examples
    --------
    >>> check_seed(7)
    7
    """
    if not _is_int(seed) or seed < 0:
        raise ArgumentError(f"the 'seed' parameter must be an integer >= 0; got {seed!r}")
    return int(seed)


def check_days(days: Any) -> int:
    """A number of days to advance: an integer >= 0."""
    if not _is_int(days) or days < 0:
        raise ArgumentError(f"the 'days' parameter must be an integer >= 0; got {days!r}")
    return int(days)


def check_threads(threads: Any) -> int | None:
    """``None`` (automatic) or an integer >= 1."""
    if threads is None:
        return None
    if not _is_int(threads) or threads < 1:
        raise ArgumentError(
            f"the 'threads' parameter must be None (automatic) or an integer >= 1; got {threads!r}"
        )
    return int(threads)


def check_int(name: str, value: Any, minimum: int | None = None) -> int:
    """``value`` as an int, or :class:`ArgumentError` naming parameter ``name`` unless it is an
    integer (not a bool) of at least ``minimum``.

    Examples
    --------
    >>> check_int("workers", 2, 1)
    2
    """
    if not _is_int(value) or (minimum is not None and value < minimum):
        bound = "" if minimum is None else f" >= {minimum}"
        raise ArgumentError(f"the '{name}' parameter must be an integer{bound}; got {value!r}")
    return int(value)


def check_choice(name: str, value: Any, allowed: Sequence[str]) -> str:
    """``value`` if it is one of ``allowed``, or :class:`ArgumentError` naming them.

    Examples
    --------
    >>> check_choice("engine", "mesa", ("fast", "mesa"))
    'mesa'
    """
    if not isinstance(value, str) or value not in allowed:
        raise ArgumentError(f"the '{name}' parameter must be one of {', '.join(allowed)}; got {value!r}")
    return value


def resolve_inputs(
    scenario: str | Scenario,
    days: int | None,
    members: int | None,
    overrides: Mapping[str, Any] | None,
    graph: Any,
) -> tuple[Scenario, Graph | None]:
    """The run's scenario (``overrides`` and the shortcuts applied) and its given graph, if any,
    as a :class:`~cmsim.Graph` (a networkx graph's nodes become the members: its node count
    replaces ``members``)."""
    if graph is not None and not isinstance(graph, Graph):
        members = graph.number_of_nodes()
    sc = resolve_scenario(scenario, days=days, members=members, overrides=overrides)
    if graph is not None and not isinstance(graph, Graph):
        graph = from_networkx(graph, attach=int(sc.values["graph.attach"]))
    return sc, graph


def run_graph(
    values: Mapping[str, Any], seed: int, graph: Graph | None, capacity: int | None = None
) -> Graph:
    """The member graph a run starts from: the scenario's generator (seeded by the run's seed),
    or a copy of ``graph`` (a run grows its graph: the caller's is never changed); rows laid out
    for ``capacity`` members (the results never depend on it). A generated graph is remembered
    by its origin (:func:`graph_origin`) and layout, so a run of the same seed copies it
    (:mod:`cmsim.start_cache`)."""
    from cmsim import start_cache

    attach = int(values["graph.attach"])
    if graph is None:
        kept = (*graph_origin(values, seed), None if capacity is None else int(capacity))
        g = start_cache.recall_graph(kept)
        if g is not None:
            return g
        n = int(values["community.initial_members"])
        g = build_graph(
            values["community.kind"], n, mean_degree=values["graph.mean_degree"],
            clustering=values["graph.clustering"], blocks=values["graph.blocks"], mixing=values["graph.mixing"],
            hub_share=values["graph.hub_share"], rewire=values["graph.rewire"], attach=attach, seed=seed,
            capacity=capacity,
        )  # fmt: skip
        start_cache.remember_graph(kept, g)
        return g
    g = graph.copy()
    if capacity is not None:
        g.grow(capacity, attach)
    return g


def graph_origin(values: Mapping[str, Any], seed: int) -> tuple:
    """The generator's arguments of a scenario's graph for ``seed`` (every one
    :func:`run_graph` passes, the layout's ``capacity`` aside): two runs with the same origin
    start from the same contact rows."""
    num = ("graph.mean_degree", "graph.clustering", "graph.blocks", "graph.mixing", "graph.hub_share",
           "graph.rewire", "graph.attach")  # fmt: skip
    return (str(values["community.kind"]), int(values["community.initial_members"]),
            *(float(values[k]) for k in num), int(seed))  # fmt: skip
