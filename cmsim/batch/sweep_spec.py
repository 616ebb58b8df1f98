"""Sweep specs: which runs a sweep makes, read from YAML and checked before any run starts.

A spec names a base scenario and the axes to vary (see ``docs/sweeps.md`` for the full format)::

    scenario: forum                  # a shipped name or a path relative to the spec file
    days: 180
    members: 2000
    seeds: 4                         # per point: 0..3, or a list
    strategy: balanced               # a built-in strategy, or fixed weekly hours:
    hours: {moderation: 6, responding: 6}
    over_budget: reject              # or: shares
    axes:
      - {key: hours.moderation, values: [0, 4, 8]}              # a grid axis
      - {key: 'events[0].magnitude', range: [0, 4], steps: 5}   # a grid axis by steps
      - {keys: [community.kind, manager.hours], values: [[forum, 30], [customer, 40]]}  # a list
    design: {method: sobol, samples: 64, seed: 1, ranges: {trolls.base_rate: [0.5, 2]}}
    metrics: [final_members, health_index]
    daily: [members, dau]            # false (default), true (every column) or a list

Axis keys: a scenario parameter (``trolls.base_rate``), an event of the scenario
(``events[0].day``, ``.duration``, ``.magnitude``), an intervention of the spec
(``interventions[0].day``, ``.value``), a lever's weekly hours (``hours.moderation``) or
``strategy``. Grid axes and list axes are crossed; a design (Latin hypercube, Sobol or Morris,
drawn by SALib) is crossed with them. Every key and value is checked when the spec is loaded
(:mod:`cmsim.batch.spec_load`), and every point is resolved when the sweep plans its chunks,
before the first run: a broken cross-field rule or hours over the manager's budget
(``over_budget: reject``) stops the sweep before it starts; with ``over_budget: shares`` such
hours are read as shares of the budget.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from cmsim.errors import CmsimError, SweepError
from cmsim.parameters import LEVERS, PARAMS
from cmsim.scenario import Scenario
from cmsim.scenario_rules import show as _show
from cmsim.spec import canonical_json
from cmsim.timeline import Intervention

__all__ = [
    "SweepSpec",
    "Axis",
    "Design",
    "spec_from_manifest",
    "DESIGNS",
    "OVER_BUDGET",
]

#: Designs a spec may draw through SALib.
DESIGNS: tuple[str, ...] = ("latin", "sobol", "morris")
#: How lever hours over the manager's budget are treated.
OVER_BUDGET: tuple[str, ...] = ("reject", "shares")
_TOP = ("name", "description", "scenario", "overrides", "events", "days", "members", "seeds", "strategy",
        "hours", "over_budget", "interventions", "axes", "design", "metrics", "daily", "chunk_runs")  # fmt: skip
_EVENT_KEY = re.compile(r"events\[(\d+)\]\.(day|duration|magnitude)")
_IV_KEY = re.compile(r"interventions\[(\d+)\]\.(day|value)")
_IV_FIELDS = ("day", "kind", "value")
MAX_POINTS = 5_000_000


@dataclass(frozen=True)
class Axis:
    """A grid axis (one key) or a list axis (several keys varied together): one value tuple per level."""

    keys: tuple[str, ...]
    levels: tuple[tuple[Any, ...], ...]


@dataclass(frozen=True)
class Design:
    """A SALib design over continuous ranges: ``method``, ``samples`` (N), ``seed`` and bounds."""

    method: str
    samples: int
    seed: int
    keys: tuple[str, ...]
    bounds: tuple[tuple[float, float], ...]
    levels: int = 4  # Morris grid levels

    def problem(self) -> dict[str, Any]:
        """The SALib ``problem`` mapping."""
        return {
            "num_vars": len(self.keys),
            "names": list(self.keys),
            "bounds": [list(b) for b in self.bounds],
        }

    def matrix(self) -> np.ndarray:
        """The design's points, ``float[rows, keys]`` (integer parameters rounded)."""
        import warnings

        prob = self.problem()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if self.method == "sobol":
                from SALib.sample import sobol

                X = sobol.sample(prob, self.samples, calc_second_order=False, seed=self.seed)
            elif self.method == "morris":
                from SALib.sample import morris

                X = morris.sample(prob, self.samples, num_levels=self.levels, seed=self.seed)
            else:
                from SALib.sample import latin

                X = latin.sample(prob, self.samples, seed=self.seed)
        X = np.asarray(X, dtype=float)
        for j, k in enumerate(self.keys):
            if PARAMS[k].type == "int" if k in PARAMS else k.endswith((".day", ".duration")):
                X[:, j] = np.round(X[:, j])
        return X


@dataclass(frozen=True)
class SweepSpec:
    """A validated sweep: the base run, the axes, the design, seeds and what to keep.

    Build one with :func:`load_spec`. Points are numbered grid-major (the last axis fastest, then
    the design's rows); runs are numbered ``point * len(seeds) + k`` for the ``k``-th seed.
    """

    name: str
    base: Scenario
    strategy: str
    hours: dict[str, float] | None
    over_budget: str
    interventions: tuple[dict[str, Any], ...]
    axes: tuple[Axis, ...]
    design: Design | None
    seeds: tuple[int, ...]
    metrics: tuple[str, ...]
    daily: tuple[str, ...]
    chunk_runs: int | None = None
    description: str = ""
    source: str = "spec"

    # --- shape ----------------------------------------------------------------------------------
    @property
    def axis_keys(self) -> tuple[str, ...]:
        """Every varied key, grid and list axes first, then the design's: the point columns."""
        keys = tuple(k for a in self.axes for k in a.keys)
        return keys + (self.design.keys if self.design else ())

    @cached_property
    def design_rows(self) -> np.ndarray:
        """The design's matrix (one row per design point; one empty row without a design)."""
        return self.design.matrix() if self.design else np.zeros((1, 0))

    @property
    def n_points(self) -> int:
        """Points: grid levels multiplied together, times the design's rows."""
        return math.prod(len(a.levels) for a in self.axes) * len(self.design_rows)

    @property
    def n_runs(self) -> int:
        """Runs: points times seeds."""
        return self.n_points * len(self.seeds)

    def point(self, i: int) -> dict[str, Any]:
        """The axis values of point ``i`` (``{key: value}`` in :attr:`axis_keys` order)."""
        rows = self.design_rows
        g, r = divmod(i, len(rows))
        out: dict[str, Any] = {}
        levels = []
        for a in reversed(self.axes):
            g, j = divmod(g, len(a.levels))
            levels.append((a, j))
        for a, j in reversed(levels):
            out.update(zip(a.keys, a.levels[j], strict=True))
        if self.design:
            for k, v in zip(self.design.keys, rows[r], strict=True):
                out[k] = int(v) if _is_int_key(k) else float(v)
        return out

    def run(self, j: int) -> tuple[int, int, dict[str, Any]]:
        """``(point, seed, axis values)`` of run ``j``."""
        p, k = divmod(j, len(self.seeds))
        return p, self.seeds[k], self.point(p)

    # --- resolving a point ------------------------------------------------------------------------
    def resolve(
        self, point: Mapping[str, Any], where: str = ""
    ) -> tuple[Scenario, Any, tuple[Intervention, ...]]:
        """The scenario, strategy and interventions of one point (raises a one-line SweepError)."""
        where = where or self.source
        params: dict[str, Any] = {}
        events = None
        ivs = [dict(iv) for iv in self.interventions]
        strategy: Any = self.strategy
        hours = dict(self.hours) if self.hours is not None else None
        for key, value in point.items():
            if key in PARAMS:
                params[key] = value
            elif key == "strategy":
                strategy = value
            elif key.startswith("hours."):
                hours = hours if hours is not None else {}
                hours[key[6:]] = float(value)
            elif m := _EVENT_KEY.fullmatch(key):
                events = events if events is not None else self.base.events
                events[int(m[1])][m[2]] = value
            elif m := _IV_KEY.fullmatch(key):
                ivs[int(m[1])][m[2]] = value
        if events is not None:
            params["events"] = events
        try:
            sc = self.base.with_overrides(params, source=where) if params else self.base
            interventions = tuple(Intervention(**iv) for iv in ivs)
        except CmsimError as e:
            raise SweepError(str(e)) from None
        if hours is not None and "strategy" not in point:
            strategy = _allocation(hours, sc.hours_budget, self.over_budget, where, point)
        return sc, strategy, interventions

    # --- identity ---------------------------------------------------------------------------------
    def canonical(self) -> dict[str, Any]:
        """Everything that decides the runs and what is kept, as plain JSON (name and text excluded)."""
        return {
            "base": {"values": dict(self.base.values), "events": self.base.events},
            "strategy": self.strategy,
            "hours": self.hours,
            "over_budget": self.over_budget,
            "interventions": [dict(iv) for iv in self.interventions],
            "axes": [{"keys": list(a.keys), "levels": [list(v) for v in a.levels]} for a in self.axes],
            "design": None
            if self.design is None
            else {
                "method": self.design.method,
                "samples": self.design.samples,
                "seed": self.design.seed,
                "keys": list(self.design.keys),
                "bounds": [list(b) for b in self.design.bounds],
                "levels": self.design.levels,
            },
            "seeds": list(self.seeds),
            "metrics": list(self.metrics),
            "daily": list(self.daily),
            "chunk_runs": self.chunk_runs,
            # the drawn points themselves: another SALib or SciPy drawing other points is another sweep
            "design_points": None
            if self.design is None
            else hashlib.sha256(np.ascontiguousarray(self.design_rows, dtype="<f8").tobytes()).hexdigest(),
        }

    def spec_hash(self) -> str:
        """sha256 of :meth:`canonical`."""
        return hashlib.sha256(canonical_json(self.canonical()).encode()).hexdigest()


def _is_int_key(key: str) -> bool:
    if key in PARAMS:
        return PARAMS[key].type == "int"
    return key.endswith((".day", ".duration"))


def _allocation(
    hours: dict[str, float], budget: float, rule: str, where: str, point: Mapping[str, Any]
) -> dict:
    total = sum(hours.values())
    if total <= budget * (1 + 1e-9) + 1e-9:
        return {lever: hours.get(lever, 0.0) for lever in LEVERS}
    if rule == "reject":
        shown = ", ".join(f"{k}={_show(v)}" for k, v in point.items()) or "the base point"
        raise SweepError(
            f"{where}: point ({shown}) asks {total:g} h a week, over the manager's budget of {budget:g} h "
            "(manager.count x manager.hours); lower the hours or set 'over_budget: shares'"
        )
    return {lever: budget * hours.get(lever, 0.0) / total for lever in LEVERS}


def spec_from_manifest(d: Mapping[str, Any], where: str = "manifest") -> SweepSpec:
    """Rebuild a spec from what a results folder's manifest recorded (see ``SweepSpec.canonical``)."""
    try:
        base = Scenario(d["base"]["values"], events=d["base"]["events"], name=str(d.get("name", "sweep")))
        ds = d.get("design")
        design = None
        if ds is not None:
            bounds = tuple((float(lo), float(hi)) for lo, hi in ds["bounds"])
            design = Design(ds["method"], int(ds["samples"]), int(ds["seed"]), tuple(ds["keys"]), bounds,
                            int(ds["levels"]))  # fmt: skip
        return SweepSpec(
            name=str(d.get("name", "sweep")), base=base, strategy=d["strategy"], hours=d["hours"],
            over_budget=d["over_budget"], interventions=tuple(d["interventions"]),
            axes=tuple(Axis(tuple(a["keys"]), tuple(tuple(v) for v in a["levels"])) for a in d["axes"]),
            design=design, seeds=tuple(d["seeds"]), metrics=tuple(d["metrics"]), daily=tuple(d["daily"]),
            chunk_runs=d["chunk_runs"], description=str(d.get("description", "")), source=str(d.get("source", where)),
        )  # fmt: skip
    except (KeyError, TypeError, ValueError) as e:
        raise SweepError(f"{where}: the recorded spec is incomplete or damaged ({e})") from None
