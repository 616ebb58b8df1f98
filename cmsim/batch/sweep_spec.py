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
      - {key: events[0].magnitude, range: [0, 4], steps: 5}     # a grid axis by steps
      - {keys: [community.kind, manager.hours], values: [[forum, 30], [customer, 40]]}  # a list
    design: {method: sobol, samples: 64, seed: 1, ranges: {trolls.base_rate: [0.5, 2]}}
    metrics: [final_members, health_index]
    daily: [members, dau]            # false (default), true (every column) or a list

Axis keys: a scenario parameter (``trolls.base_rate``), an event of the scenario
(``events[0].day``, ``.duration``, ``.magnitude``), an intervention of the spec
(``interventions[0].day``, ``.value``), a lever's weekly hours (``hours.moderation``) or
``strategy``. Grid axes and list axes are crossed; a design (Latin hypercube, Sobol or Morris,
drawn by SALib) is crossed with them. Every point is resolved when the spec is loaded, so a bad
value, a broken cross-field rule or hours over the manager's budget (``over_budget: reject``) is
an error before the first run; with ``over_budget: shares`` such hours are read as shares of the
budget.
"""

from __future__ import annotations

import hashlib
import json
import math
import numbers
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from cmsim.errors import CmsimError, SweepError
from cmsim.metrics import METRICS
from cmsim.parameters import EVENT_FIELDS, LEVERS, PARAMS
from cmsim.scenario import Scenario, _check_value, _read_yaml, _show, _suggest, load_scenario
from cmsim.simulation import DAILY_COLUMNS, resolve_scenario
from cmsim.strategies import BUILTIN
from cmsim.timeline import Intervention

__all__ = [
    "SweepSpec",
    "Axis",
    "Design",
    "load_spec",
    "spec_from_manifest",
    "grid_values",
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

    def points(self) -> Iterator[dict[str, Any]]:
        """Every point's axis values, in order."""
        return (self.point(i) for i in range(self.n_points))

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
        }

    def spec_hash(self) -> str:
        """sha256 of :meth:`canonical`."""
        return hashlib.sha256(canonical_json(self.canonical()).encode()).hexdigest()


def canonical_json(obj: Any) -> str:
    """Sorted-keys compact JSON (the text that is hashed)."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=_jsonable)


def _jsonable(v: Any) -> Any:
    if isinstance(v, np.generic):
        return v.item()
    raise TypeError(f"not JSON: {v!r}")


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


# --- loading ---------------------------------------------------------------------------------------
def _err(where: str, key: str, value: Any, allowed: str) -> SweepError:
    return SweepError(f"{where}: {key!r} must be {allowed}, got {_show(value)}")


def _int(where: str, key: str, value: Any, low: int, high: int | None = None) -> int:
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Integral)
        or value < low
        or (high is not None and value > high)
    ):
        allowed = f"an integer >= {low}" + (f" and <= {high}" if high is not None else "")
        raise _err(where, key, value, allowed)
    return int(value)


def _axis_key(where: str, at: str, key: Any, spec: Mapping[str, Any], base: Scenario) -> str:
    """Check one axis key; returns it."""
    if not isinstance(key, str):
        raise _err(
            where,
            at,
            key,
            "a parameter key, events[i].field, interventions[i].field, hours.LEVER or strategy",
        )
    if key in PARAMS or key == "strategy":
        return key
    if key.startswith("hours."):
        if key[6:] not in LEVERS:
            raise SweepError(f"{where}: {at!r}: unknown lever {key[6:]!r}; levers: {', '.join(LEVERS)}")
        return key
    if m := _EVENT_KEY.fullmatch(key):
        if int(m[1]) >= len(base.events):
            raise SweepError(
                f"{where}: {at!r}: {key!r} names event {m[1]}, the scenario has {len(base.events)}"
            )
        return key
    if m := _IV_KEY.fullmatch(key):
        n = len(spec.get("interventions") or [])
        if int(m[1]) >= n:
            raise SweepError(f"{where}: {at!r}: {key!r} names intervention {m[1]}, the spec has {n}")
        return key
    hint = _suggest(key, list(PARAMS) + ["strategy"] + [f"hours.{lv}" for lv in LEVERS])
    raise SweepError(
        f"{where}: {at!r}: unknown axis key {key!r} (a parameter key, events[i].day|duration|magnitude, "
        f"interventions[i].day|value, hours.LEVER or strategy){hint}"
    )


def _axis_value(where: str, at: str, key: str, value: Any) -> Any:
    """Check one value of an axis key alone (cross-field rules are checked per point later)."""
    if key in PARAMS:
        try:
            return _check_value(where, at, value, PARAMS[key])
        except CmsimError as e:
            raise SweepError(str(e)) from None
    if key == "strategy":
        if not isinstance(value, str) or value not in BUILTIN:
            raise _err(where, at, value, f"a built-in strategy ({', '.join(BUILTIN)})")
        return value
    kind, low, high = ("float", 0.0, 168.0) if key.startswith("hours.") else ("float", 0.0, 1000.0)
    if key.endswith((".day", ".duration")):
        kind, low, high = "int", EVENT_FIELDS["day"][1], EVENT_FIELDS["day"][2]
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(float(value)):
        raise _err(where, at, value, f"a number from {low:g} to {high:g}")
    if kind == "int":
        if not float(value).is_integer():
            raise _err(where, at, value, f"an integer from {low:g} to {high:g}")
        value = int(value)
    if not low <= value <= high:
        raise _err(where, at, value, f"a number from {low:g} to {high:g}")
    return value if kind == "int" else float(value)


def _axes(where: str, spec: Mapping[str, Any], base: Scenario) -> tuple[Axis, ...]:
    raw = spec.get("axes") or []
    if not isinstance(raw, list):
        raise _err(
            where, "axes", raw, "a list of axes ({key, values}, {key, range, steps} or {keys, values})"
        )
    out, seen = [], set()
    for i, ax in enumerate(raw):
        at = f"axes[{i}]"
        if not isinstance(ax, Mapping):
            raise _err(where, at, ax, "a mapping {key, values}, {key, range, steps} or {keys, values}")
        extra = set(ax) - {"key", "keys", "values", "range", "steps"}
        if extra:
            raise SweepError(
                f"{where}: unknown key '{at}.{sorted(extra)[0]}'; allowed: key, keys, values, range, steps"
            )
        if ("key" in ax) == ("keys" in ax):
            raise SweepError(
                f"{where}: {at!r} needs exactly one of 'key' (a grid axis) or 'keys' (a list axis)"
            )
        keys = [ax["key"]] if "key" in ax else ax["keys"]
        if not isinstance(keys, list) or not keys:
            raise _err(where, f"{at}.keys", keys, "a non-empty list of axis keys")
        keys = [_axis_key(where, f"{at}.key", k, spec, base) for k in keys]
        for k in keys:
            if k in seen:
                raise SweepError(f"{where}: {at!r}: {k!r} is varied twice")
            seen.add(k)
        if "range" in ax:
            if "keys" in ax or "values" in ax:
                raise SweepError(
                    f"{where}: {at!r}: 'range' goes with one 'key' and 'steps', not with 'values'"
                )
            r = ax["range"]
            if not (isinstance(r, list) and len(r) == 2 and all(isinstance(x, numbers.Real) for x in r)):
                raise _err(where, f"{at}.range", r, "[low, high]")
            steps = _int(where, f"{at}.steps", ax.get("steps", 5), 2, 10_000)
            vals = [float(x) for x in np.linspace(float(r[0]), float(r[1]), steps)]
            values = [v if not _is_int_key(keys[0]) else round(v) for v in vals]
        elif "values" in ax:
            values = ax["values"]
        else:
            raise SweepError(f"{where}: {at!r} needs 'values' (or 'range' and 'steps')")
        if not isinstance(values, list) or not values:
            raise _err(where, f"{at}.values", values, "a non-empty list")
        levels = []
        for j, v in enumerate(values):
            row = v if "keys" in ax else [v]
            if not isinstance(row, list) or len(row) != len(keys):
                raise _err(where, f"{at}.values[{j}]", v, f"a list of {len(keys)} values ({', '.join(keys)})")
            levels.append(
                tuple(_axis_value(where, f"{at}.values[{j}]", k, x) for k, x in zip(keys, row, strict=True))
            )
        if len(set(levels)) != len(levels):
            raise SweepError(f"{where}: '{at}.values' repeats a value")
        out.append(Axis(tuple(keys), tuple(levels)))
    return tuple(out)


def _design(where: str, spec: Mapping[str, Any], base: Scenario, taken: set[str]) -> Design | None:
    raw = spec.get("design")
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise _err(where, "design", raw, "a mapping {method, samples, seed, ranges}")
    extra = set(raw) - {"method", "samples", "seed", "ranges", "levels"}
    if extra:
        raise SweepError(
            f"{where}: unknown key 'design.{sorted(extra)[0]}'; allowed: method, samples, seed, ranges, levels"
        )
    method = raw.get("method")
    if method not in DESIGNS:
        raise _err(where, "design.method", method, f"one of {', '.join(DESIGNS)}")
    samples = _int(where, "design.samples", raw.get("samples"), 2, 1_000_000)
    if method == "sobol" and samples & (samples - 1):
        raise _err(where, "design.samples", samples, "a power of 2 for a Sobol design (64, 128, 256...)")
    seed = _int(where, "design.seed", raw.get("seed", 0), 0, 2**32 - 1)
    levels = _int(where, "design.levels", raw.get("levels", 4), 2, 100)
    ranges = raw.get("ranges")
    if not isinstance(ranges, Mapping) or not ranges:
        raise _err(where, "design.ranges", ranges, "a mapping {key: [low, high]} or {key: {times: [a, b]}}")
    keys, bounds = [], []
    for key, r in ranges.items():
        at = f"design.ranges.{key}"
        key = _axis_key(where, at, key, spec, base)
        if key == "strategy" or (key in PARAMS and PARAMS[key].type not in ("int", "float")):
            raise SweepError(f"{where}: {at!r}: a design varies numbers only; put {key!r} on a grid axis")
        if key in taken:
            raise SweepError(f"{where}: {at!r}: {key!r} is varied twice")
        taken.add(key)
        if isinstance(r, Mapping) and set(r) == {"times"}:
            if key not in PARAMS:
                raise SweepError(f"{where}: {at!r}: 'times' applies to scenario parameters only")
            lo_hi = r["times"]
            ok = (
                isinstance(lo_hi, list)
                and len(lo_hi) == 2
                and all(isinstance(x, numbers.Real) for x in lo_hi)
            )
            if not ok:
                raise _err(where, f"{at}.times", lo_hi, "[a, b]: multiples of the base value")
            p, v = PARAMS[key], float(base[key])
            lo, hi = sorted((lo_hi[0] * v, lo_hi[1] * v))
            lo = max(lo, p.low) if p.low is not None else lo
            hi = min(hi, p.high) if p.high is not None else hi
        elif (
            isinstance(r, list)
            and len(r) == 2
            and all(isinstance(x, numbers.Real) and not isinstance(x, bool) for x in r)
        ):
            lo, hi = float(r[0]), float(r[1])
            for x in (lo, hi):
                _axis_value(where, at, key, int(x) if _is_int_key(key) and float(x).is_integer() else x)
        else:
            raise _err(where, at, r, "[low, high] or {times: [a, b]}")
        if not lo < hi:
            raise _err(where, at, r, "a range with low < high")
        keys.append(key)
        bounds.append((float(lo), float(hi)))
    if method == "sobol" and len(keys) < 2:
        raise SweepError(f"{where}: 'design.ranges' needs at least 2 keys for a Sobol design")
    return Design(method, samples, seed, tuple(keys), tuple(bounds), levels)


def load_spec(spec: str | Path | Mapping[str, Any], *, where: str | None = None) -> SweepSpec:
    """Read and check a sweep spec (a YAML path or a mapping); raises a one-line SweepError.

    Every point is resolved once here, so no run fails half-way through a sweep on bad input.
    """
    base_dir = Path.cwd()
    if isinstance(spec, str | Path):
        path = Path(spec)
        where = where or str(spec)
        try:
            data = _read_yaml(path)
        except CmsimError as e:
            raise SweepError(str(e)) from None
        if data is None:
            raise SweepError(
                f"{where}: the file is empty: a sweep spec needs at least 'scenario' and 'axes' or 'design'"
            )
        base_dir = path.parent
        default_name = path.stem
    else:
        data, where, default_name = spec, where or "spec", "sweep"
    if not isinstance(data, Mapping):
        raise SweepError(
            f"{where}: a sweep spec must be a mapping of keys ({', '.join(_TOP)}), got {_show(data)}"
        )
    for key in data:
        if key not in _TOP:
            raise SweepError(
                f"{where}: unknown key {key!r}{_suggest(str(key), _TOP)}; allowed: {', '.join(_TOP)}"
            )
    name = data.get("name", default_name)
    if not isinstance(name, str) or not name:
        raise _err(where, "name", name, "a non-empty string")
    scen = data.get("scenario")
    if not isinstance(scen, str) or not scen:
        raise _err(where, "scenario", scen, "a shipped scenario name or a path to a scenario file")
    cand = base_dir / scen
    try:
        sc = load_scenario(cand if cand.is_file() else scen)
        extra = dict(data.get("overrides") or {})
        if "overrides" in data and not isinstance(data["overrides"], Mapping):
            raise _err(where, "overrides", data["overrides"], "a mapping of parameter keys to values")
        if "events" in data:
            extra["events"] = data["events"]
        days = None if data.get("days") is None else _int(where, "days", data["days"], 1, 36500)
        members = None if data.get("members") is None else _int(where, "members", data["members"], 1)
        sc = resolve_scenario(sc, days=days, members=members)
        sc = sc.with_overrides(extra, source=where) if extra else sc
    except SweepError:
        raise
    except CmsimError as e:
        msg = str(e)
        raise SweepError(msg if msg.startswith(where) else f"{where}: 'scenario': {msg}") from None
    seeds_raw = data.get("seeds", 1)
    if isinstance(seeds_raw, list):
        seeds = tuple(_int(where, f"seeds[{i}]", s, 0) for i, s in enumerate(seeds_raw))
        if not seeds or len(set(seeds)) != len(seeds):
            raise _err(
                where, "seeds", seeds_raw, "a number >= 1 or a non-empty list of distinct integers >= 0"
            )
    else:
        seeds = tuple(range(_int(where, "seeds", seeds_raw, 1, 1_000_000)))
    strategy = data.get("strategy", "balanced")
    if not isinstance(strategy, str) or strategy not in BUILTIN:
        raise _err(where, "strategy", strategy, f"a built-in strategy ({', '.join(BUILTIN)})")
    hours = data.get("hours")
    if hours is not None:
        if not isinstance(hours, Mapping):
            raise _err(where, "hours", hours, "a mapping of lever to weekly hours")
        hours = {str(k): _axis_value(where, f"hours.{k}", _axis_key(where, f"hours.{k}", f"hours.{k}", data, sc), v)
                 for k, v in hours.items()}  # fmt: skip
    over = data.get("over_budget", "reject")
    if over not in OVER_BUDGET:
        raise _err(where, "over_budget", over, f"one of {', '.join(OVER_BUDGET)}")
    ivs_raw = data.get("interventions") or []
    if not isinstance(ivs_raw, list):
        raise _err(where, "interventions", ivs_raw, "a list of {day, kind, value}")
    ivs = []
    for i, iv in enumerate(ivs_raw):
        if not isinstance(iv, Mapping) or set(iv) - set(_IV_FIELDS):
            raise _err(where, f"interventions[{i}]", iv, "a mapping with keys day, kind and optionally value")
        try:
            Intervention(**iv)
        except (CmsimError, TypeError) as e:
            raise SweepError(f"{where}: 'interventions[{i}]': {e}") from None
        ivs.append(dict(iv))
    axes = _axes(where, data, sc)
    taken = {k for a in axes for k in a.keys}
    design = _design(where, data, sc, taken)
    if not axes and design is None:
        raise SweepError(f"{where}: a sweep needs 'axes' or a 'design' (or both)")
    keys = taken | set(design.keys if design else ())
    if "strategy" in keys and (hours is not None or any(k.startswith("hours.") for k in keys)):
        raise SweepError(
            f"{where}: 'strategy' is varied, so lever hours ('hours', 'hours.*') cannot be set too"
        )
    metrics = data.get("metrics", list(METRICS))
    if not isinstance(metrics, list) or not metrics:
        raise _err(where, "metrics", metrics, f"a non-empty list of summary metrics ({', '.join(METRICS)})")
    for i, m in enumerate(metrics):
        if m not in METRICS:
            hint = _suggest(m, METRICS) if isinstance(m, str) else ""
            raise SweepError(f"{where}: 'metrics[{i}]' must be a summary metric, got {_show(m)}{hint}")
    daily = data.get("daily", False)
    if daily is True:
        daily = list(DAILY_COLUMNS)
    elif daily is False or daily is None:
        daily = []
    if not isinstance(daily, list):
        raise _err(where, "daily", daily, "false, true or a list of daily columns")
    for i, c in enumerate(daily):
        if c not in DAILY_COLUMNS:
            hint = _suggest(c, DAILY_COLUMNS) if isinstance(c, str) else ""
            raise SweepError(f"{where}: 'daily[{i}]' must be a daily column, got {_show(c)}{hint}")
    chunk = data.get("chunk_runs")
    chunk = None if chunk is None else _int(where, "chunk_runs", chunk, 1, 1_000_000)
    out = SweepSpec(
        name=name, base=sc, strategy=strategy, hours=hours, over_budget=over, interventions=tuple(ivs),
        axes=axes, design=design, seeds=seeds, metrics=tuple(dict.fromkeys(metrics)),
        daily=tuple(dict.fromkeys(daily)), chunk_runs=chunk, description=str(data.get("description", "") or ""),
        source=where,
    )  # fmt: skip
    if out.n_points > MAX_POINTS:
        raise SweepError(f"{where}: the sweep has {out.n_points} points; at most {MAX_POINTS} are allowed")
    return out


def check_points(spec: SweepSpec) -> None:
    """Resolve every point once (raises the first point's one-line SweepError)."""
    for i in range(spec.n_points):
        spec.resolve(spec.point(i), where=f"{spec.source}: point {i}")


def grid_values(spec: SweepSpec) -> dict[str, list[Any]]:
    """The distinct values of each grid or list axis key, in the spec's order."""
    out: dict[str, list[Any]] = {}
    for a in spec.axes:
        for j, k in enumerate(a.keys):
            out[k] = list(dict.fromkeys(level[j] for level in a.levels))
    return out


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
