"""The JSON Schema of scenario files agrees with the loader on shipped and bad scenarios."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import pytest
import yaml

from cmsim import PARAMS, load_scenario
from cmsim.jsonschema import scenario_schema, write_schema

REPO = Path(__file__).resolve().parents[1]
FILES = sorted((REPO / "scenarios").glob("*.yaml"))


@pytest.fixture(scope="module")
def validator():
    schema = scenario_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_schema_covers_every_parameter():
    props = scenario_schema()["properties"]
    for key, p in PARAMS.items():
        section, leaf = key.split(".", 1)
        entry = props[section]["properties"][leaf]
        assert entry["default"] == p.default
        assert entry["description"].startswith(p.doc)
        if p.choices:
            assert entry["enum"] == list(p.choices)
        if p.low is not None:
            assert entry["minimum"] == p.low
        if p.high is not None:
            assert entry["maximum"] == p.high
        assert props[section]["additionalProperties"] is False
    assert scenario_schema()["additionalProperties"] is False


@pytest.mark.parametrize("path", FILES, ids=[f.stem for f in FILES])
def test_shipped_files_are_valid(validator, path):
    validator.validate(yaml.safe_load(path.read_text()))


@pytest.mark.parametrize("path", FILES, ids=[f.stem for f in FILES])
def test_saved_scenarios_are_valid(validator, path, tmp_path):
    saved = load_scenario(path).save(tmp_path / "s.yaml")
    validator.validate(yaml.safe_load(saved.read_text()))


@pytest.mark.parametrize(
    "bad",
    [
        {"members": {"visit_rate": 1.5}},
        {"members": {"visit_rat": 0.1}},
        {"memebrs": {}},
        {"community": {"kind": "forums"}},
        {"community": {"initial_members": True}},
        {"community": {"initial_members": 20.5}},
        {"manager": {"hours": 169}},
        {"events": [{"type": "party", "day": 1, "magnitude": 1}]},
        {"events": [{"type": "troll_raid", "magnitude": 1}]},
        {"events": [{"type": "troll_raid", "day": -1, "magnitude": 1}]},
    ],
)
def test_bad_scenarios_are_rejected(validator, bad):
    assert not validator.is_valid(bad)


def test_write_schema(tmp_path):
    import json

    assert json.loads(write_schema(tmp_path / "x.json").read_text()) == scenario_schema()
