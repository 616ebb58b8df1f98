"""What the lab is set to (:class:`LabSpec`), saved to YAML and read back, and the export of results.

A saved state names the scenario (a shipped name, a YAML path, or the whole scenario written
out when it was built in Python), the size, the seeds, each strategy (a built-in name or hours
per lever), the scenario knobs, the crisis and platform-shift days, the interventions, the
charted metrics, and the model version, so a result can be recreated later, or its difference
explained when the model has changed since.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

import cmsim
from cmsim.errors import CmsimError
from cmsim.version import MODEL_VERSION

__all__ = ["LabSpec", "save_spec", "load_spec", "spec_to_dict", "spec_from_dict", "INTERVENTION_KINDS"]

#: The interventions the lab offers, with the words it shows for them.
INTERVENTION_KINDS: dict[str, str] = {
    "ban_wave": "ban wave",
    "welcome_campaign": "welcome campaign",
    "ama_event": "event (AMA)",
    "switch_strategy": "strategy switch",
}

#: Keys a saved state may hold (anything else is reported, not ignored).
_KEYS = (
    "model_version", "cmsim_version", "scenario", "members", "days", "seeds", "strategies", "overrides",
    "crisis_day", "platform_shift_day", "interventions", "metrics",
)  # fmt: skip


@dataclass
class LabSpec:
    """Everything one lab computation needs: the plain data behind the controls.

    Attributes
    ----------
    scenario : str or cmsim.Scenario
        A shipped scenario name, a YAML path, or a scenario built in Python.
    members, days : int or None
        Community size and horizon (None: the scenario's own).
    seeds : list of int
        The seeds every strategy runs (shown in the lab, so any result can be recreated).
    strategies : dict
        Name -> built-in strategy name, ``{lever: hours a week}``, or a Python function
        (the first is the baseline).
    overrides : dict
        Dotted scenario keys -> values (the knobs).
    crisis_day, platform_shift_day : int or None
        Day of a product crisis / platform shift added to the scenario's events (None: none).
    interventions : list of dict
        ``{day, kind}`` (and ``strategy`` for ``switch_strategy``), applied to every strategy.
    metrics : list of str
        Metrics drawn over time (the table shows every metric of the comparison).
    """

    scenario: Any = "forum"
    members: int | None = None
    days: int | None = None
    seeds: list[int] = field(default_factory=lambda: list(range(10)))
    strategies: dict[str, Any] = field(
        default_factory=lambda: {"balanced": "balanced", "community_builder": "community_builder"}
    )
    overrides: dict[str, Any] = field(default_factory=dict)
    crisis_day: int | None = None
    platform_shift_day: int | None = None
    interventions: list[dict[str, Any]] = field(default_factory=list)
    metrics: list[str] = field(
        default_factory=lambda: ["newcomer_retention_30d", "final_members", "toxic_share"]
    )

    def copy(self) -> LabSpec:
        """A copy whose lists and mappings can be changed freely (functions are shared)."""
        out = copy.copy(self)
        out.seeds = list(self.seeds)
        out.strategies = {k: dict(v) if isinstance(v, Mapping) else v for k, v in self.strategies.items()}
        out.overrides = dict(self.overrides)
        out.interventions = [dict(i) for i in self.interventions]
        out.metrics = list(self.metrics)
        return out


def _strategy_to_yaml(name: str, strategy: Any) -> Any:
    if isinstance(strategy, str):
        return strategy
    if isinstance(strategy, Mapping):
        return {str(k): float(v) for k, v in strategy.items()}
    what = getattr(strategy, "__name__", type(strategy).__name__)
    raise CmsimError(
        f"strategy {name!r} is a Python object ({what}) and cannot be written to a YAML file; "
        "save it as a built-in name or hours per lever, or keep it in your notebook"
    )


def spec_to_dict(spec: LabSpec) -> dict[str, Any]:
    """The spec as plain YAML-ready data (raises :class:`CmsimError` naming a Python-function strategy)."""
    sc = spec.scenario
    if isinstance(sc, cmsim.Scenario):
        scenario: Any = sc.to_dict()
    else:
        scenario = str(sc)
    ivs = []
    for iv in spec.interventions:
        item = {"day": int(iv["day"]), "kind": str(iv["kind"])}
        if iv.get("strategy") is not None:
            item["strategy"] = _strategy_to_yaml(f"switch on day {iv['day']}", iv["strategy"])
        if iv.get("value") is not None:
            item["value"] = float(iv["value"])
        ivs.append(item)
    return {
        "model_version": MODEL_VERSION,
        "cmsim_version": cmsim.__version__,
        "scenario": scenario,
        "members": spec.members,
        "days": spec.days,
        "seeds": [int(s) for s in spec.seeds],
        "strategies": {str(k): _strategy_to_yaml(k, v) for k, v in spec.strategies.items()},
        "overrides": {str(k): v for k, v in spec.overrides.items()},
        "crisis_day": spec.crisis_day,
        "platform_shift_day": spec.platform_shift_day,
        "interventions": ivs,
        "metrics": list(spec.metrics),
    }


def save_spec(spec: LabSpec, path: str | Path) -> Path:
    """Write the spec to a YAML file (with the model version); returns the path."""
    data = spec_to_dict(spec)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    header = (
        "# cmsim StrategyLab state: load it with cmsim.widgets.StrategyLab.load(path).\n"
        f"# Results depend on the model version ({MODEL_VERSION} here) and the seeds.\n"
    )
    path.write_text(header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100), "utf-8")
    return path


def _need(where: str, key: str, value: Any, ok: Callable[[Any], bool], allowed: str) -> Any:
    if not ok(value):
        raise CmsimError(f"{where}: {key!r} must be {allowed}; got {value!r}")
    return value


def _int_or_none(v: Any) -> bool:
    return v is None or (isinstance(v, int) and not isinstance(v, bool) and v >= 0)


def spec_from_dict(data: Any, where: str = "lab state") -> tuple[LabSpec, str]:
    """A spec from :func:`spec_to_dict` data, and a note ('' or a line about the model version)."""
    if not isinstance(data, Mapping):
        raise CmsimError(f"{where}: a lab state must be a mapping; got {type(data).__name__}")
    unknown = [k for k in data if k not in _KEYS]
    if unknown:
        raise CmsimError(f"{where}: unknown key {unknown[0]!r}; allowed keys are {', '.join(_KEYS)}")
    scenario = data.get("scenario", "forum")
    if isinstance(scenario, Mapping):
        base = cmsim.Scenario({}, name=str(scenario.get("name", "custom")))
        scenario = base.with_overrides(dict(scenario), source=f"{where}: scenario")
    _need(
        where,
        "scenario",
        scenario,
        lambda v: isinstance(v, (str, cmsim.Scenario)),
        "a name, a path or a mapping",
    )
    seeds = data.get("seeds", list(range(10)))
    _need(where, "seeds", seeds, lambda v: isinstance(v, list) and bool(v) and all(_int_or_none(s) and s is not None for s in v),
          "a non-empty list of integers >= 0")  # fmt: skip
    strategies = data.get("strategies") or {}
    _need(where, "strategies", strategies, lambda v: isinstance(v, Mapping) and 2 <= len(v) <= 4,
          "a mapping of two to four names to a built-in strategy or hours per lever")  # fmt: skip
    for name, s in strategies.items():
        ok = (isinstance(s, str) and s in cmsim.STRATEGIES) or (
            isinstance(s, Mapping) and all(k in cmsim.LEVERS for k in s)
        )
        if not ok:
            raise CmsimError(
                f"{where}: strategy {name!r} must be one of {', '.join(cmsim.STRATEGIES)} or hours per lever "
                f"({', '.join(cmsim.LEVERS)}); got {s!r}"
            )
    overrides = data.get("overrides") or {}
    _need(
        where, "overrides", overrides, lambda v: isinstance(v, Mapping), "a mapping of dotted keys to values"
    )
    bad = [k for k in overrides if k not in cmsim.PARAMS]
    if bad:
        raise CmsimError(f"{where}: unknown override {bad[0]!r}; see `cmsim params` for the keys")
    ivs = data.get("interventions") or []
    _need(where, "interventions", ivs, lambda v: isinstance(v, list), "a list of {day, kind}")
    for iv in ivs:
        ok = isinstance(iv, Mapping) and iv.get("kind") in INTERVENTION_KINDS and _int_or_none(iv.get("day"))
        if not ok or iv.get("day") is None:
            raise CmsimError(
                f"{where}: each intervention must be {{day: integer >= 0, kind: one of "
                f"{', '.join(INTERVENTION_KINDS)}}}; got {iv!r}"
            )
    for key in ("members", "days", "crisis_day", "platform_shift_day"):
        _need(where, key, data.get(key), _int_or_none, "an integer >= 0 or empty")
    metrics = data.get("metrics") or LabSpec().metrics
    spec = LabSpec(
        scenario=scenario,
        members=data.get("members"),
        days=data.get("days"),
        seeds=[int(s) for s in seeds],
        strategies={str(k): (dict(v) if isinstance(v, Mapping) else v) for k, v in strategies.items()},
        overrides=dict(overrides),
        crisis_day=data.get("crisis_day"),
        platform_shift_day=data.get("platform_shift_day"),
        interventions=[dict(iv) for iv in ivs],
        metrics=[str(m) for m in metrics],
    )
    saved = str(data.get("model_version", "unknown"))
    note = ""
    if saved != MODEL_VERSION:
        note = (
            f"{where} was saved with model version {saved}; this kit runs model version {MODEL_VERSION}, "
            "so its numbers may differ from the saved ones"
        )
    return spec, note


def load_spec(path: str | Path) -> tuple[LabSpec, str]:
    """Read a state written by :func:`save_spec`: the spec and a note about the model version."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text("utf-8"))
    except OSError as exc:
        raise CmsimError(f"{path}: cannot read the lab state ({exc.strerror or exc})") from None
    except yaml.YAMLError as exc:
        line = getattr(getattr(exc, "problem_mark", None), "line", None)
        at = f" (line {line + 1})" if line is not None else ""
        raise CmsimError(f"{path}: not a valid YAML file{at}") from None
    return spec_from_dict(data, where=str(path))
