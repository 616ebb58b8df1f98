"""The rules a scenario's values and events must follow, checked for :class:`~cmsim.Scenario`.

Each check raises a :class:`~cmsim.errors.ScenarioError` with one line naming where the value came
from (file or ``overrides``), the dotted key, the bad value and what is allowed; the rules are
listed in :mod:`cmsim.scenario`.
"""

from __future__ import annotations

import difflib
import math
import numbers
from collections.abc import Mapping
from typing import Any

import numpy as np

from cmsim.errors import ScenarioError
from cmsim.parameters import EVENT_FIELDS, EVENT_TYPES, PARAMS, Param

__all__ = [
    "SECTIONS", "META", "EVENT_KEYS", "Checked", "check_values", "check_events", "check_cross", "check_key",
    "flatten", "show", "suggest",
]  # fmt: skip

#: Parameter sections, in declaration order (``community``, ``graph``, ...).
SECTIONS: tuple[str, ...] = tuple(dict.fromkeys(k.split(".", 1)[0] for k in PARAMS))


META = ("name", "description", "extends", "events", "provenance")


EVENT_KEYS = ("type", *EVENT_FIELDS)


EVENT_REQUIRED = ("type", "day", "magnitude")


EVENT_DEFAULTS = {"duration": 1}


def show(v: Any) -> str:
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "null"
    text = repr(v)
    return text if len(text) <= 60 else text[:57] + "..."


def suggest(word: str, candidates) -> str:
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


# --- validation ------------------------------------------------------------------------------------
def check_value(where: str, key: str, value: Any, param: Param) -> Any:
    """Return ``value`` converted to the parameter's type, or raise a one-line ScenarioError."""

    given = value

    def bad() -> ScenarioError:
        return ScenarioError(f"{where}: {key!r} must be {param.allowed()}, got {show(given)}")

    kind = param.type
    if kind == "bool":
        if not isinstance(value, bool | np.bool_):
            raise bad()
        return bool(value)
    if kind == "str":
        if not isinstance(value, str) or (param.choices and value not in param.choices):
            hint = suggest(value, param.choices) if isinstance(value, str) and param.choices else ""
            raise ScenarioError(f"{where}: {key!r} must be {param.allowed()}, got {show(value)}{hint}")
        return str(value)
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise bad()
    if not math.isfinite(float(value)):
        raise bad()
    if kind == "int":
        if isinstance(value, numbers.Integral):
            value = int(value)
        elif float(value).is_integer():
            value = int(float(value))
        else:
            raise bad()
    else:
        value = float(value)
    if (param.low is not None and value < param.low) or (param.high is not None and value > param.high):
        raise bad()
    return value


def check_key(where: str, key: Any) -> Param:
    if not isinstance(key, str):
        raise ScenarioError(f"{where}: keys must be dotted strings, got {show(key)}")
    if key in PARAMS:
        return PARAMS[key]
    section, _, leaf = key.partition(".")
    if section not in SECTIONS:
        raise ScenarioError(f"{where}: unknown section {section!r}{suggest(section, SECTIONS + META)}")
    same_leaf = [k for k in PARAMS if k.split(".", 1)[1] == leaf]
    hint = f"; did you mean {same_leaf[0]!r}?" if same_leaf else suggest(key, PARAMS)
    raise ScenarioError(f"{where}: unknown key {key!r}{hint}")


class Checked(dict):
    """A complete mapping of values each already checked (skips re-checking them one by one)."""


def check_values(where: str, flat: Mapping[str, Any]) -> dict[str, Any]:
    return {key: check_value(where, key, value, check_key(where, key)) for key, value in flat.items()}


def event_param(at: str, field: str) -> Param:
    typ, low, high, doc = EVENT_FIELDS[field]
    return Param(f"{at}.{field}", 0 if typ == "int" else 0.0, "", low, high, doc=doc)


def check_events(where: str, events: Any) -> list[dict[str, Any]]:
    if not isinstance(events, list | tuple):
        raise ScenarioError(f"{where}: 'events' must be a list of events, got {show(events)}")
    out = []
    for i, event in enumerate(events):
        at = f"events[{i}]"
        if not isinstance(event, Mapping):
            raise ScenarioError(
                f"{where}: {at!r} must be a mapping with keys {', '.join(EVENT_KEYS)}, got {show(event)}"
            )
        for k in event:
            if k not in EVENT_KEYS:
                raise ScenarioError(f"{where}: unknown key '{at}.{k}'{suggest(str(k), EVENT_KEYS)}")
        for k in EVENT_REQUIRED:
            if k not in event:
                what = (
                    f"one of {', '.join(map(repr, EVENT_TYPES))}"
                    if k == "type"
                    else event_param(at, k).allowed()
                )
                raise ScenarioError(f"{where}: '{at}.{k}' is missing: it must be {what}")
        etype = event["type"]
        if etype not in EVENT_TYPES:
            hint = suggest(etype, EVENT_TYPES) if isinstance(etype, str) else ""
            allowed = ", ".join(repr(t) for t in EVENT_TYPES)
            raise ScenarioError(f"{where}: '{at}.type' must be one of {allowed}, got {show(etype)}{hint}")
        clean: dict[str, Any] = {"type": etype}
        for k in EVENT_FIELDS:
            value = event.get(k, EVENT_DEFAULTS.get(k))
            clean[k] = check_value(where, f"{at}.{k}", value, event_param(at, k))
        out.append(clean)
    return out


def check_cross(where: str, values: Mapping[str, Any]) -> None:
    rec, burn = values["manager.recover_threshold"], values["manager.burnout_threshold"]
    if not rec < burn:
        raise ScenarioError(
            f"{where}: 'manager.recover_threshold' must be below 'manager.burnout_threshold' ({burn:g}), got {rec:g}"
        )


def flatten(where: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """Nested sections -> flat dotted keys (meta keys excluded), checking the structure."""
    flat: dict[str, Any] = {}
    for section, body in data.items():
        if section in META:
            continue
        if not isinstance(section, str):
            raise ScenarioError(f"{where}: keys must be strings, got {show(section)}")
        if "." in section:
            if section in PARAMS:
                head, leaf = section.split(".", 1)
                raise ScenarioError(f"{where}: write {section!r} nested, as '{leaf}' under '{head}:'")
            check_key(where, section)
        if section not in SECTIONS:
            raise ScenarioError(f"{where}: unknown section {section!r}{suggest(section, SECTIONS + META)}")
        if body is None:
            continue
        if not isinstance(body, Mapping):
            raise ScenarioError(
                f"{where}: {section!r} must be a mapping of {section}.* parameters, got {show(body)}"
            )
        for leaf, value in body.items():
            flat[f"{section}.{leaf}"] = value
    return flat
