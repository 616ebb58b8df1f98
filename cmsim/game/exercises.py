"""Exercises of the manager game, as data: YAML files in ``scenarios/exercises/``.

An exercise file::

    name: civil_growth               # defaults to the file's stem
    title: Keep it civil and keep its members
    teaches: one line: what the trainee should take away
    goal: >-
      What the trainee must achieve, in words.
    scenario: troll_raid             # a shipped scenario or a path relative to this file
    overrides:                       # optional: sections or dotted keys, checked like a scenario
      community: {initial_members: 2000}
    events: []                       # optional: replaces the scenario's events
    weeks: 12
    seed: 1                          # the seed the classroom plays (any seed may be passed)
    scoring:                         # optional: the score's weights and penalties (cmsim.game.scoring)
      weights: {civility: 2}
      burnout_day: 0.2
      quit: 10
    checks:                          # the goal: every check must hold
      - {metric: toxic_share, at_most: 0.02, why: "civil: at most 2% of posts toxic"}
    notice: ["things to notice", ...]
    debrief_charts: [toxic_posts, members]   # daily columns the debrief draws
    evidence: ["trolling is situational"]    # facts of docs/validation.md behind the lesson

Every mistake is one line naming the file, the key, the value and what is allowed, raised as
:class:`~cmsim.errors.ScenarioError` (the CLI prints it and exits 2).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from cmsim.errors import ScenarioError
from cmsim.game.scoring import COMPONENTS, DERIVED, PENALTIES

__all__ = ["Exercise", "Check", "load_exercise", "list_exercises", "exercise_dirs", "check_metrics"]

_KEYS = ("name", "title", "teaches", "goal", "scenario", "overrides", "events", "weeks", "seed", "scoring",
         "checks", "notice", "debrief_charts", "evidence")  # fmt: skip
_REQUIRED = ("title", "goal", "scenario", "weeks", "checks")
_MAX_WEEKS = 104


def _summary_keys() -> tuple[str, ...]:
    from cmsim.run import SUMMARY_KEYS

    return SUMMARY_KEYS


def _daily_columns() -> tuple[str, ...]:
    from cmsim.run import DAILY_COLUMNS

    return DAILY_COLUMNS


def check_metrics() -> tuple[str, ...]:
    """The metric names a check may use (summary metrics, then the game's derived metrics)."""
    return tuple(_summary_keys()) + tuple(DERIVED)


@dataclass(frozen=True)
class Check:
    """One condition of a goal: ``metric`` at least / at most a value."""

    metric: str
    at_least: float | None = None
    at_most: float | None = None
    why: str = ""

    def holds(self, value: float) -> bool:
        """Whether ``value`` meets the check (NaN never does)."""
        if not math.isfinite(value):
            return False
        if self.at_least is not None and value < self.at_least:
            return False
        return not (self.at_most is not None and value > self.at_most)

    def describe(self) -> str:
        """The condition in words, e.g. ``toxic_share <= 0.02``."""
        parts = []
        if self.at_least is not None:
            parts.append(f"{self.metric} >= {self.at_least:g}")
        if self.at_most is not None:
            parts.append(f"{self.metric} <= {self.at_most:g}")
        return " and ".join(parts)


@dataclass(frozen=True)
class Exercise:
    """A validated exercise (see the module documentation for the file's keys)."""

    name: str
    title: str
    goal: str
    scenario: str
    weeks: int
    checks: tuple[Check, ...]
    overrides: dict[str, Any] = field(default_factory=dict)
    teaches: str = ""
    seed: int = 1
    scoring: dict[str, Any] = field(default_factory=dict)
    notice: tuple[str, ...] = ()
    debrief_charts: tuple[str, ...] = ("members", "dau")
    evidence: tuple[str, ...] = ()
    source: str = ""

    def load_scenario(self) -> Any:
        """The exercise's scenario with its overrides applied."""
        from cmsim.scenario import load_scenario

        sc = load_scenario(self.scenario)
        return sc.with_overrides(self.overrides, source=self.source) if self.overrides else sc


def _show(v: Any) -> str:
    text = repr(v)
    return text if len(text) <= 60 else text[:57] + "..."


def _bad(where: str, key: str, allowed: str, value: Any) -> ScenarioError:
    return ScenarioError(f"{where}: {key!r} must be {allowed}, got {_show(value)}")


def _text(where: str, key: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _bad(where, key, "a non-empty text", value)
    return " ".join(value.split())


def _texts(where: str, key: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list | tuple):
        raise _bad(where, key, "a list of texts", value)
    return tuple(_text(where, f"{key}[{i}]", v) for i, v in enumerate(value))


def _number(where: str, key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _bad(where, key, "a finite number", value)
    return float(value)


def _checks(where: str, value: Any) -> tuple[Check, ...]:
    if not isinstance(value, list | tuple) or not value:
        raise _bad(where, "checks", "a non-empty list of {metric, at_least and/or at_most, why}", value)
    metrics = check_metrics()
    out = []
    for i, item in enumerate(value):
        at = f"checks[{i}]"
        if not isinstance(item, Mapping):
            raise _bad(where, at, "a mapping with keys metric, at_least, at_most, why", item)
        for k in item:
            if k not in ("metric", "at_least", "at_most", "why"):
                raise _bad(where, f"{at}.{k}", "absent (allowed keys: metric, at_least, at_most, why)", k)
        metric = item.get("metric")
        if metric not in metrics:
            raise _bad(where, f"{at}.metric", f"one of {', '.join(metrics)}", metric)
        lo, hi = item.get("at_least"), item.get("at_most")
        if lo is None and hi is None:
            raise _bad(where, at, "a check with 'at_least' or 'at_most'", dict(item))
        lo = None if lo is None else _number(where, f"{at}.at_least", lo)
        hi = None if hi is None else _number(where, f"{at}.at_most", hi)
        why = _text(where, f"{at}.why", item["why"]) if "why" in item else ""
        out.append(Check(metric, lo, hi, why))
    return tuple(out)


def _scoring(where: str, value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise _bad(where, "scoring", "a mapping with keys weights, burnout_day, quit", value)
    out: dict[str, Any] = {}
    for k, v in value.items():
        if k == "weights":
            if not isinstance(v, Mapping):
                raise _bad(where, "scoring.weights", f"a mapping of {', '.join(COMPONENTS)} to weights", v)
            weights = {}
            for c, w in v.items():
                if c not in COMPONENTS:
                    raise _bad(where, f"scoring.weights.{c}", f"one of {', '.join(COMPONENTS)}", c)
                w = _number(where, f"scoring.weights.{c}", w)
                if w < 0:
                    raise _bad(where, f"scoring.weights.{c}", "a number >= 0", w)
                weights[c] = w
            out["weights"] = weights
        elif k in PENALTIES:
            p = _number(where, f"scoring.{k}", v)
            if p < 0:
                raise _bad(where, f"scoring.{k}", "a number >= 0", v)
            out[k] = p
        else:
            raise _bad(where, f"scoring.{k}", "absent (allowed keys: weights, burnout_day, quit)", k)
    return out


def _scenario_ref(where: str, path: Path, value: Any) -> str:
    from cmsim.scenario import list_scenarios

    if not isinstance(value, str) or not value:
        raise _bad(where, "scenario", "a shipped scenario name or a path", value)
    if value in list_scenarios():
        return value
    candidate = (path.parent / value).resolve()
    if candidate.is_file():
        return str(candidate)
    allowed = f"a shipped scenario ({', '.join(list_scenarios())}) or an existing file"
    raise _bad(where, "scenario", allowed, value)


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _from_mapping(where: str, path: Path, data: Any) -> Exercise:
    if not isinstance(data, Mapping):
        raise ScenarioError(f"{where}: an exercise must be a mapping of keys, got {_show(data)}")
    for k in data:
        if k not in _KEYS:
            raise _bad(where, str(k), f"absent (allowed keys: {', '.join(_KEYS)})", k)
    for k in _REQUIRED:
        if k not in data:
            raise ScenarioError(f"{where}: {k!r} is missing")
    weeks = data["weeks"]
    if isinstance(weeks, bool) or not isinstance(weeks, int) or not 1 <= weeks <= _MAX_WEEKS:
        raise _bad(where, "weeks", f"an integer in [1, {_MAX_WEEKS}]", weeks)
    seed = data.get("seed", 1)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise _bad(where, "seed", "an integer >= 0", seed)
    overrides = data.get("overrides") or {}
    if not isinstance(overrides, Mapping):
        raise _bad(where, "overrides", "a mapping of scenario sections or dotted keys", overrides)
    overrides = dict(overrides)
    if "events" in data:
        overrides["events"] = data["events"] if data["events"] is not None else []
    charts = data.get("debrief_charts", ["members", "dau"])
    charts = _texts(where, "debrief_charts", charts)
    for i, c in enumerate(charts):
        if c not in _daily_columns():
            raise _bad(
                where, f"debrief_charts[{i}]", "a column of Run.daily (see cmsim.run.DAILY_COLUMNS)", c
            )
    ex = Exercise(
        name=_text(where, "name", data.get("name", path.stem)),
        title=_text(where, "title", data["title"]),
        goal=_text(where, "goal", data["goal"]),
        scenario=_scenario_ref(where, path, data["scenario"]),
        weeks=int(weeks),
        checks=_checks(where, data["checks"]),
        overrides=overrides,
        teaches=_text(where, "teaches", data["teaches"]) if "teaches" in data else "",
        seed=int(seed),
        scoring=_scoring(where, data.get("scoring")),
        notice=_texts(where, "notice", data.get("notice", [])),
        debrief_charts=charts,
        evidence=_texts(where, "evidence", data.get("evidence", [])),
        source=where,
    )
    ex.load_scenario()  # overrides and events checked like a scenario file, named by this file
    return ex


def exercise_dirs() -> list[Path]:
    """Folders searched for shipped exercises: ``exercises/`` in each scenario folder."""
    from cmsim.scenario import scenario_dirs

    return [d / "exercises" for d in scenario_dirs()]


def list_exercises() -> dict[str, Path]:
    """The shipped exercises: ``{name: file}`` (file stems; the first folder that has any)."""
    for d in exercise_dirs():
        found = {f.stem: f for f in sorted(d.glob("*.yaml"))}
        if found:
            return found
    return {}


def load_exercise(name_or_path: str | Path | Exercise) -> Exercise:
    """Load and validate a shipped exercise by name, or an exercise file by path.

    Examples
    --------
    >>> ex = load_exercise("civil_growth")
    >>> ex.weeks, ex.checks[0].metric
    (12, 'toxic_share')
    """
    if isinstance(name_or_path, Exercise):
        return name_or_path
    path = Path(name_or_path)
    if not path.is_file():
        shipped = list_exercises()
        if str(name_or_path) not in shipped:
            names = ", ".join(shipped) or "none found"
            raise ScenarioError(
                f"no such exercise {str(name_or_path)!r}: not a shipped name ({names}) nor an existing file"
            )
        path = shipped[str(name_or_path)]
    where = _display(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise ScenarioError(f"{where}: cannot read: {e.strerror or e}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(e, "problem", None) or str(e)
        raise ScenarioError(f"{where}{line}: invalid YAML: {' '.join(str(problem).split())}") from None
    return _from_mapping(where, path, data)
