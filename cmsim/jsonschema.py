"""JSON Schema (draft 2020-12) for scenario files, built from :data:`cmsim.parameters.PARAMS`.

Editors with YAML language servers use it for completion and checking::

    # yaml-language-server: $schema=cmsim-scenario.schema.json

The schema checks types, ranges, choices and unknown keys. The cross-field rule
(``manager.recover_threshold`` below ``manager.burnout_threshold``) and ``extends`` resolution are
only checked by :func:`cmsim.load_scenario` / ``cmsim validate``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cmsim.parameters import EVENT_FIELDS, EVENT_TYPES, PARAMS, Param

__all__ = ["scenario_schema", "write_schema", "SCHEMA_DIALECT"]

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
_JSON_TYPES = {"int": "integer", "float": "number", "str": "string", "bool": "boolean"}


def _param_schema(p: Param) -> dict[str, Any]:
    out: dict[str, Any] = {"type": _JSON_TYPES[p.type]}
    unit = f" ({p.unit})" if p.unit else ""
    out["description"] = f"{p.doc}{unit}"
    if p.choices:
        out["enum"] = list(p.choices)
    if p.type in ("int", "float"):
        if p.low is not None:
            out["minimum"] = p.low
        if p.high is not None:
            out["maximum"] = p.high
    out["default"] = p.default
    return out


def _event_schema() -> dict[str, Any]:
    props: dict[str, Any] = {"type": {"enum": list(EVENT_TYPES), "description": "event type"}}
    for name, (typ, low, high, doc) in EVENT_FIELDS.items():
        props[name] = {"type": _JSON_TYPES[typ], "minimum": low, "maximum": high, "description": doc}
    props["duration"]["default"] = 1
    return {
        "type": "object",
        "properties": props,
        "required": ["type", "day", "magnitude"],
        "additionalProperties": False,
    }


def scenario_schema() -> dict[str, Any]:
    """Return the JSON Schema of a scenario file as a plain dict.

    Examples
    --------
    >>> s = scenario_schema()
    >>> s["properties"]["members"]["properties"]["visit_rate"]["maximum"]
    1.0
    """
    sections: dict[str, dict[str, Any]] = {}
    for key, p in PARAMS.items():
        section, leaf = key.split(".", 1)
        sections.setdefault(section, {})[leaf] = _param_schema(p)
    properties: dict[str, Any] = {
        "name": {"type": "string", "description": "scenario name (defaults to the file name)"},
        "description": {"type": "string", "description": "what the scenario represents, in words"},
        "extends": {
            "type": "string",
            "description": "a shipped scenario name or a path relative to this file; its values are the base",
        },
    }
    properties["provenance"] = {
        "type": "object",
        "description": "where a fitted scenario's values came from (cmsim.calibrate); ignored by the model",
    }
    for section, props in sections.items():
        properties[section] = {
            "type": "object",
            "description": f"{section} parameters",
            "properties": props,
            "additionalProperties": False,
        }
    properties["events"] = {
        "type": "array",
        "description": "timeline events; replaces the events of the scenario extended",
        "items": _event_schema(),
    }
    return {
        "$schema": SCHEMA_DIALECT,
        "$id": "https://cmsim.invalid/schema/scenario.json",
        "title": "cmsim scenario",
        "description": "A cmsim scenario file: parameter sections, events and an optional base to extend.",
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
    }


def write_schema(path: str | Path) -> Path:
    """Write :func:`scenario_schema` as indented JSON to ``path`` and return the path."""
    path = Path(path)
    path.write_text(json.dumps(scenario_schema(), indent=2) + "\n", encoding="utf-8")
    return path
