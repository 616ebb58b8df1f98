"""Scenarios: validated parameter sets loaded from YAML files.

A scenario file nests the dotted keys of :mod:`cmsim.parameters` under their sections, plus four
top-level keys::

    name: troll_raid                      # optional; defaults to the file name
    description: A forum hit by a raid.   # optional, free text
    extends: forum                        # optional: a shipped name, or a path relative to this file
    community:
      initial_members: 3000
    events:                               # optional timeline, replaces the parent's list
      - {type: troll_raid, day: 60, duration: 14, magnitude: 2.0}

Rules (each violation raises :class:`~cmsim.errors.ScenarioError` with one line naming the file,
the dotted key, the bad value and what is allowed):

* Every key must be declared in :data:`cmsim.parameters.PARAMS`; unknown keys and sections get the
  nearest valid key suggested.
* Numbers: ``bool`` is never a number. An ``int`` is accepted where a float is declared. A float
  with an integral value (``2000.0``) is accepted where an int is declared and stored as ``int``
  (as in JSON Schema); ``2000.5`` is not. NaN and infinities are rejected. ``1e3`` is read as a
  number (plain PyYAML would read it as a string).
* Values must lie in the declared inclusive range or choices.
* Events need ``type`` (one of :data:`~cmsim.parameters.EVENT_TYPES`), ``day`` (>= 0) and
  ``magnitude``; ``duration`` defaults to 1 day. An event may start after the horizon (it then
  never fires).
* Cross-field rules: ``manager.recover_threshold`` < ``manager.burnout_threshold``.
* ``extends`` chains are resolved parent first; the child's keys win; cycles are reported.

An optional top-level ``provenance:`` mapping records where a fitted scenario's values came from
(``cmsim.calibrate``: data file hash, dates, trials, score, model version); it is checked to be a
mapping and otherwise ignored (``cmsim.calibration.read_provenance`` reads it).

``name``, ``description`` and ``events`` are not inherited through ``extends`` (``events`` in a
child replaces the parent's list only when present; without it the parent's events are kept).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from cmsim.errors import ScenarioError
from cmsim.parameters import PARAMS, defaults
from cmsim.scenario_rules import (
    EVENT_KEYS,
    META,
    SECTIONS,
    Checked,
    check_cross,
    check_events,
    check_key,
    check_values,
    flatten,
    show,
)

__all__ = ["Scenario", "load_scenario", "list_scenarios", "scenario_dirs", "SECTIONS"]


def scenario_dirs() -> list[Path]:
    """Folders searched for shipped scenarios, in order.

    The top-level ``scenarios/`` folder next to the package (a checkout or an editable install),
    then ``<prefix>/share/cmsim/scenarios`` (a regular install, see ``pyproject.toml``).
    """
    return [Path(__file__).resolve().parents[1] / "scenarios", Path(sys.prefix) / "share/cmsim/scenarios"]


def _shipped() -> dict[str, Path]:
    for d in scenario_dirs():
        try:
            stamp = d.stat().st_mtime_ns  # changes when a file is added, removed or renamed
        except OSError:
            continue
        hit = _SHIPPED.get(d)
        if hit is None or hit[0] != stamp:
            hit = _SHIPPED[d] = (stamp, {f.stem: f for f in sorted(d.glob("*.yaml"))})
        if hit[1]:
            return dict(hit[1])
    return {}


#: The shipped scenario files of each folder, with the folder's mtime when listed.
_SHIPPED: dict[Path, tuple[int, dict[str, Path]]] = {}


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


# --- YAML reading ----------------------------------------------------------------------------------
class _Loader(yaml.SafeLoader):
    """Safe loader that reads ``1e3`` as a float and rejects duplicate keys."""


_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
        |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
        |\.[0-9_]+(?:[eE][-+]?[0-9]+)?
        |[-+]?\.(?:inf|Inf|INF)
        |\.(?:nan|NaN|NAN))$""",
        re.X,
    ),
    list("-+0123456789."),
)


def _construct_mapping(loader: _Loader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: dict = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        seen[key] = True
    return loader.construct_mapping(node, deep=deep)


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _read_yaml(path: Path) -> Any:
    where = _display(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(f"{where}: no such file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ScenarioError(f"{where}: cannot read: {e}") from None
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(e, "problem", None) or str(e)
        raise ScenarioError(f"{where}{line}: invalid YAML: {' '.join(str(problem).split())}") from None


# --- the Scenario ----------------------------------------------------------------------------------
class Scenario:
    """A complete, validated set of parameter values and timeline events.

    Build one with :func:`load_scenario` or :meth:`with_overrides`; the constructor accepts a
    partial flat mapping (dotted keys) and fills in the defaults. Scenarios are immutable,
    picklable and hashable, and compare equal when name, description, values and events are equal
    (``source`` is where it came from and is ignored by ``==``).

    Examples
    --------
    >>> s = Scenario({"community.initial_members": 500}, name="tiny")
    >>> s["community.initial_members"], s["community.kind"]
    (500, 'forum')
    >>> s.with_overrides({"manager.count": 2}).hours_budget
    60.0
    """

    __slots__ = ("name", "description", "source", "_values", "_events")
    name: str
    description: str
    source: str | Path | None
    _values: dict[str, Any]
    _events: tuple[dict[str, Any], ...]

    def __init__(
        self,
        values: Mapping[str, Any] | None = None,
        *,
        name: str = "custom",
        description: str = "",
        events: list | tuple = (),
        source: str | Path | None = None,
        _where: str | None = None,
    ) -> None:
        where = _where or (str(source) if source is not None else "scenario")
        for field, text in (("name", name), ("description", description)):
            if not isinstance(text, str):
                raise ScenarioError(f"{where}: {field!r} must be a string, got {show(text)}")
        if isinstance(values, Checked):  # from with_overrides: every value already checked
            full = dict(values)
        else:
            full = defaults()
            full.update(check_values(where, values or {}))
        check_cross(where, full)
        events = tuple(check_events(where, events))
        for attr, value in zip(self.__slots__, (name, description, source, full, events), strict=True):
            object.__setattr__(self, attr, value)

    def __setattr__(self, attr: str, value: Any) -> None:
        raise AttributeError(f"a Scenario is immutable: use with_overrides() to change {attr!r}")

    # --- access -------------------------------------------------------------------------------
    @property
    def values(self) -> Mapping[str, Any]:
        """Read-only flat mapping ``{dotted key: value}`` of every parameter."""
        return MappingProxyType(self._values)

    @property
    def events(self) -> list[dict[str, Any]]:
        """The timeline: a fresh list of ``{type, day, duration, magnitude}`` dicts."""
        return [dict(e) for e in self._events]

    @property
    def hours_budget(self) -> float:
        """Weekly manager hours of the whole team: ``manager.count * manager.hours``."""
        return float(self._values["manager.count"] * self._values["manager.hours"])

    def get(self, key: str) -> Any:
        """Value of a dotted key; an unknown key raises ScenarioError with a suggestion."""
        check_key(self.name, key)
        return self._values[key]

    __getitem__ = get

    def __contains__(self, key: object) -> bool:
        return key in self._values

    # --- derivation ---------------------------------------------------------------------------
    def with_overrides(self, mapping: Mapping[str, Any], source: str = "overrides") -> Scenario:
        """Return a copy with some values replaced.

        ``mapping`` holds dotted keys (``{"manager.hours": 40}``) or whole sections
        (``{"manager": {"hours": 40}}``), and may replace ``name``, ``description`` or ``events``.
        Values are validated like a file; ``source`` names the origin in error messages.
        """
        if not isinstance(mapping, Mapping):
            raise ScenarioError(f"{source}: overrides must be a mapping, got {show(mapping)}")
        flat: dict[str, Any] = {}
        for key, value in mapping.items():
            if key in META:
                continue
            if isinstance(key, str) and key in SECTIONS and isinstance(value, Mapping):
                flat.update(flatten(source, {key: value}))
            else:
                flat[key] = value
        if "extends" in mapping:
            raise ScenarioError(f"{source}: 'extends' is only allowed in scenario files")
        values = Checked(self._values)
        values.update(check_values(source, flat))
        return Scenario(
            values,
            name=mapping.get("name", self.name),
            description=mapping.get("description", self.description),
            events=mapping.get("events", self._events),
            source=self.source,
            _where=source,
        )

    # --- output -------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Nested mapping in the file layout: name, description, every section, events."""
        out: dict[str, Any] = {"name": self.name, "description": self.description}
        for key, value in self._values.items():
            section, leaf = key.split(".", 1)
            out.setdefault(section, {})[leaf] = value
        out["events"] = self.events
        return out

    def save(self, path: str | Path) -> Path:
        """Write the scenario as a self-contained YAML file (every value, no ``extends``)."""
        path = Path(path)
        header = f"# cmsim scenario {self.name!r}: every parameter written out (see `cmsim params`).\n"
        text = yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True, width=100)
        path.write_text(header + text, encoding="utf-8")
        return path

    # --- protocol -----------------------------------------------------------------------------
    def _key(self) -> tuple:
        events = tuple(tuple(e[k] for k in EVENT_KEYS) for e in self._events)
        return (self.name, self.description, tuple(self._values.items()), events)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Scenario):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __getstate__(self):
        return {s: getattr(self, s) for s in self.__slots__}

    def __setstate__(self, state) -> None:
        for k, v in state.items():
            object.__setattr__(self, k, v)

    def __repr__(self) -> str:
        changed = {k: v for k, v in self._values.items() if v != PARAMS[k].default}
        return (
            f"Scenario(name={self.name!r}, kind={self._values['community.kind']!r}, "
            f"{len(changed)} non-default values, {len(self._events)} events)"
        )


# --- loading ---------------------------------------------------------------------------------------
def _resolve(name_or_path: str | Path, base: Path | None = None) -> Path:
    """Find the file for a shipped name or a path (relative to ``base`` when given)."""
    text = str(name_or_path)
    candidate = Path(text) if base is None else base / text
    if candidate.is_file():
        return candidate
    shipped = _shipped()
    if isinstance(name_or_path, str) and text in shipped:
        return shipped[text]
    names = ", ".join(shipped) or "none found"
    raise ScenarioError(f"no such scenario {text!r}: not a shipped name ({names}) nor an existing file")


def _load_file(path: Path, chain: tuple[Path, ...], read: list[Path]) -> Scenario:
    where = _display(path)
    real = path.resolve()
    read.append(real)
    if real in chain:
        loop = [p.stem for p in chain[chain.index(real) :]] + [real.stem]
        raise ScenarioError(f"{_display(chain[chain.index(real)])}: extends cycle {' -> '.join(loop)}")
    data = _read_yaml(path)
    if data is None:  # an empty file (or only comments) is a mistake, not the default forum
        raise ScenarioError(f"{where}: the file is empty: a scenario needs at least 'extends' or one section")
    if not isinstance(data, Mapping):
        raise ScenarioError(f"{where}: a scenario must be a mapping of sections, got {show(data)}")
    if "provenance" in data and not isinstance(data["provenance"], Mapping):
        raise ScenarioError(
            f"{where}: 'provenance' must be a mapping of keys to values, got {show(data['provenance'])}"
        )
    flat = check_values(where, flatten(where, data))
    parent_values: dict[str, Any] = {}
    events = data.get("events")
    if "extends" in data:
        ext = data["extends"]
        if not isinstance(ext, str) or not ext:
            raise ScenarioError(f"{where}: 'extends' must be a scenario name or a path, got {show(ext)}")
        try:
            parent_path = _resolve(ext, base=path.parent)
        except ScenarioError as e:
            raise ScenarioError(f"{where}: 'extends': {e}") from None
        parent = _load_file(parent_path, (*chain, real), read)
        parent_values = dict(parent.values)
        if events is None:
            events = parent.events
    values = {**parent_values, **flat}
    return Scenario(
        values,
        name=data.get("name", path.stem),
        description=data.get("description", "") or "",
        events=events or [],
        source=path,
        _where=where,
    )


def load_scenario(name_or_path: str | Path | Scenario) -> Scenario:
    """Load a shipped scenario by name (``"forum"``) or a YAML file by path.

    A :class:`Scenario` passes through unchanged. Raises :class:`~cmsim.errors.ScenarioError`
    with a one-line message for every problem (missing file, bad YAML, bad value...).

    Examples
    --------
    >>> load_scenario("forum")["community.kind"]
    'forum'
    """
    if isinstance(name_or_path, Scenario):
        return name_or_path
    path = _resolve(name_or_path)
    real = path.resolve()
    hit = _CACHE.get(real)
    if hit is not None and hit[0] == _stamps(stamp[0] for stamp in hit[0]):
        return hit[1]
    read: list[Path] = []
    sc = _load_file(path, (), read)
    _CACHE[real] = (_stamps(read), sc)
    return sc


#: Loaded scenarios by file, with the (path, mtime, size) of every file read (``extends``
#: included): a scenario is immutable, so a file is parsed again only when one of them changed.
_CACHE: dict[Path, tuple[tuple[tuple[Path, int, int], ...], Scenario]] = {}


def _stamps(paths) -> tuple[tuple[Path, int, int], ...]:
    out = []
    for p in paths:
        try:
            st = p.stat()
        except OSError:
            return ()
        out.append((p, st.st_mtime_ns, st.st_size))
    return tuple(out)


def resolve_scenario(
    scenario: str | Path | Scenario,
    *,
    days: int | None = None,
    members: int | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Scenario:
    """Load a scenario and apply ``overrides`` and the ``days`` / ``members`` shortcuts.

    Examples
    --------
    >>> resolve_scenario("forum", days=30, members=500)["community.days"]
    30
    """
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    extra: dict[str, Any] = dict(overrides or {})
    if days is not None:
        extra["community.days"] = days
    if members is not None:
        extra["community.initial_members"] = members
    return sc.with_overrides(extra) if extra else sc


def list_scenarios() -> dict[str, str]:
    """Shipped scenarios: ``{name: first sentence of its description}``, sorted by name."""
    out = {}
    for name, path in _shipped().items():
        data = _read_yaml(path)
        text = " ".join(str((data or {}).get("description", "")).split())
        first = re.split(r"(?<=\.)\s", text, maxsplit=1)[0]
        out[name] = first
    return out
