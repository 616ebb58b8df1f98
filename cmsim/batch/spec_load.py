"""Reading a sweep spec from YAML (or a mapping) and checking every key and value.

Each problem raises :class:`~cmsim.errors.SweepError` with one line naming the file, the key, the
value and what is allowed. The format is described in :mod:`cmsim.batch.sweep_spec` and
``docs/sweeps.md``.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from cmsim.batch.sweep_spec import (
    _EVENT_KEY,
    _IV_FIELDS,
    _IV_KEY,
    _TOP,
    DESIGNS,
    MAX_POINTS,
    OVER_BUDGET,
    Axis,
    Design,
    SweepSpec,
    _is_int_key,
)
from cmsim.errors import CmsimError, SweepError
from cmsim.metrics import METRICS
from cmsim.parameters import EVENT_FIELDS, LEVERS, PARAMS
from cmsim.run import DAILY_COLUMNS
from cmsim.scenario import Scenario, _read_yaml, load_scenario, resolve_scenario
from cmsim.scenario_rules import check_value as _check_value
from cmsim.scenario_rules import show as _show
from cmsim.scenario_rules import suggest as _suggest
from cmsim.strategies import BUILTIN
from cmsim.timeline import Intervention

__all__ = ["load_spec"]


def _err(where: str, key: str, value: Any, allowed: str) -> SweepError:
    return SweepError(f"{where}: {key!r} must be {allowed}, got {_show(value)}")


def _int(where: str, key: str, value: Any, low: int, high: int | None = None) -> int:
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Integral)
        or int(value) < low
        or (high is not None and int(value) > high)
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
        value = int(float(value))
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

    Keys and values are checked here; ``cmsim.sweep`` then resolves every point before the first
    run (cross-field rules, the manager's budget), so no run fails half-way through on bad input.
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
        if data.get("overrides") is not None and not isinstance(data["overrides"], Mapping):
            raise _err(where, "overrides", data["overrides"], "a mapping of parameter keys to values")
        extra = dict(data.get("overrides") or {})
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
