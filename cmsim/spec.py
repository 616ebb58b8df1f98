"""The run spec: everything that determines one run, frozen, and ``simulate``, its one-call form.

A :class:`RunSpec` holds the scenario (with the ``days`` and ``members`` shortcuts applied), the
strategy, the seed, the interventions, the member graph and the thread count. The same spec gives
the same run on either engine, in any thread, process or machine. Batches (ensembles, comparisons,
sweeps) are lists of specs; :meth:`RunSpec.key` names a run wherever it is stored.

A spec has a plain-dict form (:meth:`RunSpec.to_dict`, JSON-able) and pickles, when its
strategies are built-in names, mappings, or functions and classes defined at a module's top
level. A lambda or a closure runs in the calling process only: saving or sending such a spec
raises a :class:`~cmsim.errors.StrategyError` that names it.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import importlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from cmsim.errors import ArgumentError, StrategyError
from cmsim.graphs import Graph
from cmsim.inputs import check_choice, check_int, check_seed, check_threads, resolve_inputs
from cmsim.run import Run
from cmsim.scenario import Scenario
from cmsim.simulation import Simulation
from cmsim.strategies import StrategyLike
from cmsim.timeline import Intervention, as_interventions
from cmsim.version import MODEL_VERSION

__all__ = ["RunSpec", "run_spec", "simulate", "canonical_json", "ENGINES"]

#: The engines a spec runs on: ``fast`` (compiled) and ``mesa`` (readable agents, same results).
ENGINES: tuple[str, ...] = ("fast", "mesa")


def _where(obj: Any) -> str | None:
    """``module:qualname`` of a function or class importable from its module, else None."""
    module, qualname = getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)
    if not module or not qualname or "<" in qualname or module == "__main__":
        return None
    return f"{module}:{qualname}"


def _label(strategy: Any) -> str:
    return str(
        getattr(strategy, "__qualname__", None) or getattr(strategy, "name", None) or type(strategy).__name__
    )


def _local(strategy: Any) -> str | None:
    """Why ``strategy`` cannot leave this process (None when it can)."""
    if strategy is None or isinstance(strategy, (str, Mapping)):
        return None
    target = strategy if callable(strategy) and not hasattr(strategy, "allocate") else type(strategy)
    qualname = getattr(target, "__qualname__", "")
    if "<lambda>" in qualname:
        return "a lambda"
    if "<locals>" in qualname:
        return "a closure (defined inside a function)"
    if getattr(target, "__module__", None) == "__main__":
        return "defined in __main__ (a notebook or script)"
    if _where(target) is None:
        return "not importable from a module"
    return None


def _check_travels(strategy: Any, what: str) -> None:
    why = _local(strategy)
    if why is not None:
        raise StrategyError(
            f"strategy {_label(strategy)!r} is {why}: it runs in this process only and cannot be {what}; "
            "define it at the top level of a module, or use a built-in name or a mapping of lever to hours"
        )


def _strategy_to_data(strategy: Any) -> Any:
    if isinstance(strategy, str):
        return strategy
    if isinstance(strategy, Mapping):
        return {"hours": {str(k): float(v) for k, v in strategy.items()}}
    _check_travels(strategy, "written as a plain dict")
    if callable(strategy) and not hasattr(strategy, "allocate"):
        return {"function": _where(strategy)}
    state = dict(getattr(strategy, "__dict__", {}))
    try:
        json.dumps(state, sort_keys=True)
    except TypeError:
        raise StrategyError(
            f"strategy {_label(strategy)!r} holds attributes that are not plain data "
            f"({', '.join(sorted(state))}); it cannot be written as a plain dict"
        ) from None
    return {"object": _where(type(strategy)), "state": state}


def _import(ref: str) -> Any:
    module, _, qualname = ref.partition(":")
    obj: Any = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj


def _strategy_from_data(data: Any) -> Any:
    if isinstance(data, str):
        return data
    if isinstance(data, Mapping) and "hours" in data:
        return dict(data["hours"])
    if isinstance(data, Mapping) and "function" in data:
        return _import(data["function"])
    if isinstance(data, Mapping) and "object" in data:
        cls = _import(data["object"])
        obj = cls.__new__(cls)
        obj.__dict__.update(copy.deepcopy(dict(data.get("state", {}))))
        return obj
    raise StrategyError(
        f"a run spec's 'strategy' must be a name, {{hours}}, {{function}} or {{object}}; got {data!r}"
    )


def _graph_to_data(g: Graph) -> dict[str, Any]:
    n = g.n
    end = int(g.indptr[n])
    return {"n": n, "n_hubs": int(g.n_hubs), "indptr": g.indptr[: n + 1].tolist(),
            "indices": g.indices[:end].tolist(), "deg": g.deg[:n].tolist()}  # fmt: skip


def _graph_from_data(d: Mapping[str, Any]) -> Graph:
    return Graph(np.asarray(d["indptr"], np.int64), np.asarray(d["indices"], np.int32),
                 np.asarray(d["deg"], np.int32), int(d["n"]), int(d["n_hubs"]))  # fmt: skip


def _plain(value: Any) -> Any:
    """numpy scalars as Python numbers (for ``json.dumps``)."""
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"not JSON-able: {type(value).__name__}")


def canonical_json(obj: Any) -> str:
    """The text a key is hashed from: sorted keys, no spaces, numpy scalars as plain numbers.

    :meth:`RunSpec.key` hashes it, and so do the sweep's chunk names, so equal values give equal
    keys wherever they are computed.

    Examples
    --------
    >>> canonical_json({"b": np.float64(0.5), "a": [1, np.int64(2)]})
    '{"a":[1,2],"b":0.5}'
    """
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=_plain)


@dataclass(frozen=True, eq=True)
class RunSpec:
    """Everything that determines one run. Immutable; build one with :func:`run_spec`.

    Parameters
    ----------
    scenario : Scenario
        The scenario; ``days`` and ``members`` are applied to it (``community.days``,
        ``community.initial_members``) when it says otherwise.
    strategy : str, mapping or callable
        A built-in name, a mapping lever -> weekly hours, a function ``f(obs) -> mapping`` or an
        object with ``allocate(obs)`` (see :mod:`cmsim.strategies`).
    seed : int
        Seed of every random stream (>= 0).
    days, members : int
        Horizon and initial members.
    interventions : tuple of Intervention
        One-off actions, sorted by day.
    graph : Graph or None
        The member graph to start from (``members`` must equal its ``n``); None: the scenario's
        generator, seeded by ``seed``.
    threads : int or None
        Threads the run steps on (1: the one-thread kernel); None: automatic (every core for
        large communities, one for small ones). Results never depend on it.

    Examples
    --------
    >>> spec = run_spec("forum", "balanced", seed=1, days=14, members=200)
    >>> spec.days, spec.members, spec.scenario["community.days"]
    (14, 200, 14)
    >>> RunSpec.from_dict(spec.to_dict()) == spec, len(spec.key())
    (True, 64)
    >>> len(spec.run().daily)
    14
    """

    scenario: Scenario
    strategy: StrategyLike
    seed: int
    days: int
    members: int
    interventions: tuple[Intervention, ...] = ()
    graph: Graph | None = None
    threads: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.scenario, Scenario):
            raise ArgumentError(
                f"the 'scenario' of a RunSpec must be a Scenario (see cmsim.run_spec); got {type(self.scenario).__name__}"
            )
        set_ = object.__setattr__
        set_(self, "seed", check_seed(self.seed))
        set_(self, "threads", check_threads(self.threads))
        for name in ("days", "members"):
            set_(self, name, check_int(name, getattr(self, name)))
        if self.graph is not None:
            if not isinstance(self.graph, Graph):
                raise ArgumentError(
                    f"the 'graph' of a RunSpec must be None or a cmsim.Graph (see cmsim.run_spec); got {type(self.graph).__name__}"
                )
            if self.graph.n != self.members:
                raise ArgumentError(
                    f"the 'members' parameter must be the graph's {self.graph.n} members; got {self.members}"
                )
        v = self.scenario.values
        extra = {k: x for k, x in (("community.days", self.days), ("community.initial_members", self.members))
                 if v[k] != x}  # fmt: skip
        if extra:
            set_(self, "scenario", self.scenario.with_overrides(extra))
        if isinstance(self.strategy, Mapping):
            set_(self, "strategy", dict(self.strategy))
        set_(self, "interventions", tuple(as_interventions(self.interventions)))

    def __hash__(self) -> int:
        return hash((self.scenario, self.seed, self.days, self.members, self.threads))

    # --- travelling ------------------------------------------------------------------------------
    def _strategies(self) -> list[Any]:
        return [self.strategy] + [iv.strategy for iv in self.interventions if iv.strategy is not None]

    def __getstate__(self) -> dict[str, Any]:
        for s in self._strategies():
            _check_travels(s, "pickled (sent to another process or saved)")
        return dict(self.__dict__)

    def __setstate__(self, state: Mapping[str, Any]) -> None:
        for k, v in state.items():
            object.__setattr__(self, k, v)

    def __copy__(self) -> RunSpec:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> RunSpec:
        """A spec whose strategy objects are copies (a stateful strategy is not shared)."""
        return dataclasses.replace(self, strategy=copy.deepcopy(self.strategy, memo))

    def to_dict(self) -> dict[str, Any]:
        """The spec as plain data (JSON-able): what :meth:`from_dict` reads back."""
        ivs = []
        for iv in self.interventions:
            d: dict[str, Any] = {"day": iv.day, "kind": iv.kind}
            if iv.value is not None:
                d["value"] = float(iv.value)
            if iv.strategy is not None:
                d["strategy"] = _strategy_to_data(iv.strategy)
            ivs.append(d)
        sc = self.scenario
        return {
            "scenario": {
                "name": sc.name,
                "description": sc.description,
                "values": dict(sc.values),
                "events": sc.events,
            },  # fmt: skip
            "strategy": _strategy_to_data(self.strategy),
            "seed": self.seed,
            "days": self.days,
            "members": self.members,
            "interventions": ivs,
            "graph": None if self.graph is None else _graph_to_data(self.graph),
            "threads": self.threads,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> RunSpec:
        """The spec written by :meth:`to_dict`."""
        s = d["scenario"]
        sc = Scenario(
            s["values"], name=s["name"], description=s.get("description", ""), events=s.get("events", ())
        )
        ivs = []
        for iv in d.get("interventions", ()):
            iv = dict(iv)
            if "strategy" in iv:
                iv["strategy"] = _strategy_from_data(iv["strategy"])
            ivs.append(Intervention(**iv))
        graph = d.get("graph")
        return cls(sc, _strategy_from_data(d["strategy"]), d["seed"], d["days"], d["members"], tuple(ivs),
                   None if graph is None else _graph_from_data(graph), d.get("threads"))  # fmt: skip

    def key(self) -> str:
        """A stable hex digest (sha256) of the spec's plain-dict form and :data:`MODEL_VERSION`:
        the same in every process and on every machine, different for any other run or model.
        The thread count and the scenario's name and description are left out (results never
        depend on them), so two specs that run alike share a key."""
        d = self.to_dict()
        d.pop("threads")
        d["scenario"] = {k: v for k, v in d["scenario"].items() if k not in ("name", "description")}
        text = canonical_json({"model_version": MODEL_VERSION, "spec": d})
        return hashlib.sha256(text.encode()).hexdigest()

    # --- running ---------------------------------------------------------------------------------
    def run(self, engine: str = "fast") -> Run:
        """Simulate the spec to its horizon on ``engine`` (``"fast"`` or ``"mesa"``)."""
        if check_choice("engine", engine, ENGINES) == "mesa":
            from cmsim.mesa import CommunityModel

            model = CommunityModel.from_spec(self)
            model.run_model()
            return model.result()
        return Simulation.from_spec(self).run()


def run_spec(
    scenario: str | Scenario,
    strategy: StrategyLike = "balanced",
    *,
    seed: int = 0,
    days: int | None = None,
    members: int | None = None,
    overrides: Mapping[str, Any] | None = None,
    graph: Any = None,
    interventions: Iterable[Any] | None = None,
    threads: int | None = None,
) -> RunSpec:
    """A :class:`RunSpec` from what :func:`cmsim.simulate` accepts, defaults resolved: the
    scenario loaded and overridden, ``days`` and ``members`` from it unless given, a networkx
    ``graph`` turned into a :class:`~cmsim.Graph` (its nodes become the members).

    Examples
    --------
    >>> spec = run_spec("forum", {"moderation": 5.0}, seed=3, members=100)
    >>> spec.members, spec.days == spec.scenario["community.days"], spec.strategy
    (100, True, {'moderation': 5.0})
    """
    sc, g = resolve_inputs(scenario, days, members, overrides, graph)
    v = sc.values
    return RunSpec(sc, strategy, check_seed(seed), int(v["community.days"]), int(v["community.initial_members"]),
                   tuple(as_interventions(interventions)), g, threads)  # fmt: skip


def simulate(
    scenario: str | Scenario,
    strategy: StrategyLike = "balanced",
    *,
    seed: int = 0,
    days: int | None = None,
    members: int | None = None,
    overrides: Mapping[str, Any] | None = None,
    engine: str = "fast",
    graph: Any = None,
    interventions: Iterable[Any] | None = None,
) -> Run:
    """Simulate one community under one strategy and return a :class:`~cmsim.run.Run`.

    Parameters are those of :class:`~cmsim.Simulation`; ``engine`` is ``"fast"`` (compiled,
    default) or ``"mesa"`` (the same model as readable Mesa agents, identical results, much slower).

    Examples
    --------
    >>> run = simulate("forum", "balanced", seed=1, members=500, days=30)
    >>> len(run.daily), bool(run.daily["members"].iloc[0] > 0)
    (30, True)
    """
    check_choice("engine", engine, ENGINES)
    spec = run_spec(scenario, strategy, seed=seed, days=days, members=members, overrides=overrides, graph=graph,
                    interventions=interventions)  # fmt: skip
    return spec.run(engine)
