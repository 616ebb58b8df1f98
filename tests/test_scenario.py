"""Scenario loading, validation messages, extends, overrides and round trips (cmsim.scenario)."""

from __future__ import annotations

import pickle
import textwrap
from pathlib import Path

import numpy as np
import pytest
import yaml

from cmsim import PARAMS, Scenario, ScenarioError, list_scenarios, load_scenario
from cmsim.errors import CmsimError
from cmsim.parameters import EVENT_TYPES, defaults
from cmsim.scenario import SECTIONS, scenario_dirs

REPO = Path(__file__).resolve().parents[1]
SHIPPED = sorted(p.stem for p in (REPO / "scenarios").glob("*.yaml"))
REQUIRED = [
    "social_media",
    "forum",
    "customer",
    "internal",
    "troll_raid",
    "platform_shift",
    "product_crisis",
    "understaffed",
]


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def error_of(path_or_name) -> str:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path_or_name)
    message = str(info.value)
    assert "\n" not in message, message
    return message


# --- shipped scenarios ---------------------------------------------------------------------------------
def test_every_required_scenario_is_shipped():
    assert set(REQUIRED) <= set(SHIPPED)
    assert set(list_scenarios()) == set(SHIPPED)


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_scenario_loads_completely(name):
    s = load_scenario(name)
    assert s.name == name
    assert set(s.values) == set(PARAMS)
    assert s.source == scenario_dirs()[0] / f"{name}.yaml"
    assert len(s.description.split()) >= 15, "describe the scenario in words a manager understands"


@pytest.mark.parametrize("name", SHIPPED)
def test_save_load_round_trip(name, tmp_path):
    s = load_scenario(name)
    again = load_scenario(s.save(tmp_path / f"{name}.yaml"))
    assert again == s
    assert again.values == s.values and again.events == s.events
    assert {k: type(v) for k, v in again.values.items()} == {k: type(v) for k, v in s.values.items()}
    assert again.save(tmp_path / "twice.yaml").read_text() == (tmp_path / f"{name}.yaml").read_text()


def test_kinds_follow_domain():
    assert {
        n: load_scenario(n)["community.kind"] for n in ["social_media", "forum", "customer", "internal"]
    } == {
        "social_media": "social_media",
        "forum": "forum",
        "customer": "customer",
        "internal": "internal",
    }
    internal = load_scenario("internal")
    assert internal["community.membership_given"] is True
    assert internal["trolls.arrival_rate"] < load_scenario("forum")["trolls.arrival_rate"]
    social, forum = load_scenario("social_media"), load_scenario("forum")
    assert social["trolls.arrival_rate"] > forum["trolls.arrival_rate"]
    assert social["members.question_share"] < forum["members.question_share"]
    customer = load_scenario("customer")
    assert customer["members.question_share"] > forum["members.question_share"]
    assert customer["members.expert_share"] < forum["members.expert_share"]


def test_stress_scenarios_extend_and_schedule_events():
    assert [e["type"] for e in load_scenario("troll_raid").events] == ["troll_raid"]
    assert load_scenario("troll_raid")["community.kind"] == "forum"
    shift = load_scenario("platform_shift")
    assert shift["community.kind"] == "social_media"
    assert "algorithm_change" in [e["type"] for e in shift.events]
    crisis = load_scenario("product_crisis")
    assert crisis["community.kind"] == "customer" and crisis.events[0]["type"] == "product_crisis"
    under = load_scenario("understaffed")
    assert under["manager.hours"] > under["manager.sustainable_hours"]
    assert under["community.initial_members"] > forum_size()


def forum_size() -> int:
    return load_scenario("forum")["community.initial_members"]


# --- the Scenario object -------------------------------------------------------------------------------
def test_defaults_filled_and_access():
    s = Scenario({"community.initial_members": 500}, name="tiny")
    assert s["community.initial_members"] == 500
    assert s.get("community.kind") == defaults()["community.kind"]
    assert "manager.hours" in s and "nope" not in s
    assert s.source is None and s.events == []
    with pytest.raises(ScenarioError, match=r"unknown key 'manager\.hour'; did you mean 'manager\.hours'\?"):
        s["manager.hour"]
    with pytest.raises(TypeError):
        s.values["manager.hours"] = 3  # read-only view


def test_equality_hash_and_pickle():
    a = load_scenario("troll_raid")
    b = load_scenario(a.source)
    assert a == b and hash(a) == hash(b)
    c = pickle.loads(pickle.dumps(a))
    assert c == a and c.source == a.source and c.events == a.events
    assert a != a.with_overrides({"manager.hours": 31})
    assert a != a.with_overrides({"description": "other"})
    assert a == a.with_overrides({})


def test_immutable():
    s = load_scenario("forum")
    with pytest.raises(AttributeError, match="with_overrides"):
        s.name = "other"
    with pytest.raises(AttributeError):
        s.description = "x"
    assert s.name == "forum"


def test_docstring_examples():
    import doctest

    import cmsim.jsonschema
    import cmsim.scenario

    for module in (cmsim.scenario, cmsim.jsonschema):
        result = doctest.testmod(module)
        assert result.attempted > 0 and result.failed == 0, module.__name__


def test_events_property_is_a_copy():
    s = load_scenario("troll_raid")
    s.events[0]["day"] = 999
    s.events.clear()
    assert s.events[0]["day"] == 60


def test_hours_budget():
    s = load_scenario("forum").with_overrides({"manager.count": 3, "manager.hours": 12.5})
    assert s.hours_budget == pytest.approx(37.5)
    assert load_scenario("forum").with_overrides({"manager.count": 0}).hours_budget == 0.0


def test_with_overrides_dotted_nested_and_numpy():
    base = load_scenario("forum")
    s = base.with_overrides(
        {"manager.hours": np.int64(40), "members": {"visit_rate": np.float64(0.2)}, "community.days": 90.0}
    )
    assert s["manager.hours"] == 40.0 and type(s["manager.hours"]) is float
    assert s["members.visit_rate"] == 0.2 and type(s["members.visit_rate"]) is float
    assert s["community.days"] == 90 and type(s["community.days"]) is int
    assert base["manager.hours"] == 30.0, "overrides must not change the original"
    assert s.name == base.name and s.source == base.source


def test_with_overrides_replaces_events_and_validates():
    base = load_scenario("troll_raid")
    s = base.with_overrides({"events": [{"type": "viral_spike", "day": 3, "magnitude": 1.0}]})
    assert s.events == [{"type": "viral_spike", "day": 3, "duration": 1, "magnitude": 1.0}]
    assert base.with_overrides({"events": []}).events == []
    with pytest.raises(ScenarioError) as info:
        base.with_overrides({"members.visit_rate": 1.5}, source="sweep row 3")
    assert str(info.value) == "sweep row 3: 'members.visit_rate' must be a number in [0, 1], got 1.5"
    with pytest.raises(ScenarioError, match=r"^overrides: unknown key 'members\.vist_rate'; did you mean"):
        base.with_overrides({"members.vist_rate": 0.1})
    with pytest.raises(ScenarioError, match=r"^overrides: 'events\[0\]\.type' must be one of"):
        base.with_overrides({"events": [{"type": "party", "day": 1, "magnitude": 1}]})
    with pytest.raises(ScenarioError, match="recover_threshold"):
        base.with_overrides({"manager.burnout_threshold": 0.3})


def test_errors_are_value_errors_and_cmsim_errors():
    with pytest.raises(ValueError):
        Scenario({"members.visit_rate": -1})
    with pytest.raises(CmsimError):
        Scenario({"members.visit_rate": -1})


# --- bad files: one line naming file, key, value, what is allowed -------------------------------------
BAD = [
    # (file content, expected message after "FILE: ")
    ("members:\n  visit_rate: 1.5\n", "'members.visit_rate' must be a number in [0, 1], got 1.5"),
    (
        "community:\n  initial_members: -5\n",
        "'community.initial_members' must be an integer in [2, 50000000], got -5",
    ),
    ("manager:\n  hours: 200\n", "'manager.hours' must be a number in [0, 168], got 200"),
    ("members:\n  expert_share: 1.2\n", "'members.expert_share' must be a number in [0, 1], got 1.2"),
    (
        "community:\n  initial_members: true\n",
        "'community.initial_members' must be an integer in [2, 50000000], got true",
    ),
    ("members:\n  visit_rate: false\n", "'members.visit_rate' must be a number in [0, 1], got false"),
    ("members:\n  visit_rate: high\n", "'members.visit_rate' must be a number in [0, 1], got 'high'"),
    ("members:\n  visit_rate: .nan\n", "'members.visit_rate' must be a number in [0, 1], got nan"),
    ("community:\n  days: 90.5\n", "'community.days' must be an integer in [1, 3650], got 90.5"),
    ("community:\n  membership_given: 1\n", "'community.membership_given' must be true or false, got 1"),
    (
        "community:\n  kind: forums\n",
        "'community.kind' must be one of 'social_media', 'forum', 'customer', 'internal', got 'forums'; "
        "did you mean 'forum'?",
    ),
    ("memebrs:\n  visit_rate: 0.1\n", "unknown section 'memebrs'; did you mean 'members'?"),
    ("members:\n  visit_rat: 0.1\n", "unknown key 'members.visit_rat'; did you mean 'members.visit_rate'?"),
    (
        "members:\n  reply_rate: 0.1\n",
        "unknown key 'members.reply_rate'; did you mean 'dynamics.reply_rate'?",
    ),
    ("members.visit_rate: 0.1\n", "write 'members.visit_rate' nested, as 'visit_rate' under 'members:'"),
    ("members: 3\n", "'members' must be a mapping of members.* parameters, got 3"),
    ("- a\n- b\n", "a scenario must be a mapping of sections, got ['a', 'b']"),
    ("name: 3\n", "'name' must be a string, got 3"),
    ("extends: 7\n", "'extends' must be a scenario name or a path, got 7"),
    (
        "manager:\n  recover_threshold: 0.9\n",
        "'manager.recover_threshold' must be below 'manager.burnout_threshold' (0.8), got 0.9",
    ),
    ("events: {type: troll_raid}\n", "'events' must be a list of events, got {'type': 'troll_raid'}"),
    ("events:\n  - 5\n", "'events[0]' must be a mapping with keys type, day, duration, magnitude, got 5"),
    (
        "events:\n  - {type: troll_rade, day: 3, magnitude: 1}\n",
        "'events[0].type' must be one of " + ", ".join(map(repr, EVENT_TYPES)) + ", got 'troll_rade'; "
        "did you mean 'troll_raid'?",
    ),
    (
        "events:\n  - {type: troll_raid, day: -3, magnitude: 1}\n",
        "'events[0].day' must be an integer in [0, 36500], got -3",
    ),
    (
        "events:\n  - {type: troll_raid, day: 1, magnitude: 1}\n  - {type: troll_raid, day: 2, duration: 0, magnitude: 1}\n",
        "'events[1].duration' must be an integer in [1, 36500], got 0",
    ),
    (
        "events:\n  - {type: troll_raid, magnitude: 1}\n",
        "'events[0].day' is missing: it must be an integer in [0, 36500]",
    ),
    (
        "events:\n  - {day: 1, magnitude: 1}\n",
        "'events[0].type' is missing: it must be one of 'algorithm_change'",
    ),
    ("events:\n  - {type: troll_raid, day: 1, magnitude: 1, lenght: 3}\n", "unknown key 'events[0].lenght'"),
]


@pytest.mark.parametrize(("text", "expected"), BAD, ids=[b[1][:40] for b in BAD])
def test_bad_file_one_line_message(tmp_path, monkeypatch, text, expected):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "x.yaml", text)
    message = error_of("x.yaml")
    assert message.startswith(f"x.yaml: {expected}"), message


def test_message_names_path_as_given(tmp_path, monkeypatch):
    (tmp_path / "sub").mkdir()
    write(tmp_path / "sub", "x.yaml", "members:\n  visit_rate: 1.5\n")
    monkeypatch.chdir(tmp_path)
    assert error_of("sub/x.yaml").startswith("sub/x.yaml: 'members.visit_rate'")
    assert error_of(tmp_path / "sub" / "x.yaml").startswith("sub/x.yaml: ")


def test_malformed_yaml_has_line_number(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(
        tmp_path, "x.yaml", "name: x\ncommunity:\n  days: 10\n  kind: [forum\nmembers:\n  visit_rate: 0.1\n"
    )
    message = error_of("x.yaml")
    assert message.startswith("x.yaml:5: invalid YAML:"), message
    write(tmp_path, "y.yaml", "members:\n  visit_rate: 0.1\n\tpost_rate: 0.1\n")
    assert error_of("y.yaml").startswith("y.yaml:3: invalid YAML:")


def test_duplicate_key_is_an_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "x.yaml", "members:\n  visit_rate: 0.1\n  visit_rate: 0.2\n")
    assert error_of("x.yaml") == "x.yaml:3: invalid YAML: duplicate key 'visit_rate'"


def test_type_leniency_documented_in_module(tmp_path):
    s = load_scenario(
        write(tmp_path, "x.yaml", "community:\n  initial_members: 3000.0\nmanager:\n  hours: 40\n")
    )
    assert s["community.initial_members"] == 3000 and type(s["community.initial_members"]) is int
    assert s["manager.hours"] == 40.0 and type(s["manager.hours"]) is float
    s = load_scenario(write(tmp_path, "y.yaml", "community:\n  initial_members: 2e3\n"))
    assert s["community.initial_members"] == 2000


@pytest.mark.parametrize("text", ["", "# only a comment\n", "---\n"])
def test_empty_file_is_an_error(tmp_path, text):
    with pytest.raises(ScenarioError, match=r"empty\.yaml: the file is empty"):
        load_scenario(write(tmp_path, "empty.yaml", text))


def test_a_file_with_only_a_name_is_all_defaults(tmp_path):
    s = load_scenario(write(tmp_path, "named.yaml", "name: plain\n"))
    assert s.name == "plain" and dict(s.values) == defaults() and s.events == []


def test_missing_scenario(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    message = error_of("foo")
    assert message.startswith("no such scenario 'foo': not a shipped name (customer, forum, ")
    assert message.endswith("nor an existing file")
    assert error_of("nope/x.yaml").startswith("no such scenario 'nope/x.yaml'")
    assert error_of(tmp_path / "forum").startswith("no such scenario"), "a Path is never a shipped name"


# --- extends -------------------------------------------------------------------------------------------
def test_extends_shipped_and_chain(tmp_path):
    write(tmp_path, "a.yaml", "extends: troll_raid\nmanager:\n  hours: 20\n")
    (tmp_path / "deeper").mkdir()
    write(tmp_path / "deeper", "b.yaml", "extends: ../a.yaml\nname: bee\nmembers:\n  visit_rate: 0.3\n")
    b = load_scenario(tmp_path / "deeper" / "b.yaml")
    assert b.name == "bee" and b.description == ""
    assert b["members.visit_rate"] == 0.3  # own
    assert b["manager.hours"] == 20.0  # from a
    assert b["trolls.comeback"] == load_scenario("troll_raid")["trolls.comeback"]  # from troll_raid
    assert b["graph.blocks"] == load_scenario("forum")["graph.blocks"]  # from forum
    assert b.events == load_scenario("troll_raid").events  # inherited when not given
    c = load_scenario(write(tmp_path, "c.yaml", "extends: a.yaml\nevents: []\n"))
    assert c.events == [], "an events list in the child replaces the parent's"
    assert c.name == "c"


def test_extends_local_file_wins_over_shipped_name(tmp_path):
    write(tmp_path, "forum", "members:\n  visit_rate: 0.42\n")
    s = load_scenario(write(tmp_path, "x.yaml", "extends: forum\n"))
    assert s["members.visit_rate"] == 0.42


def test_extends_errors_name_the_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "x.yaml", "extends: nope\n")
    assert error_of("x.yaml").startswith("x.yaml: 'extends': no such scenario 'nope': not a shipped name")
    write(tmp_path, "parent.yaml", "manager:\n  hours: -1\n")
    write(tmp_path, "child.yaml", "extends: parent.yaml\n")
    assert error_of("child.yaml").startswith(
        "parent.yaml: 'manager.hours' must be a number in [0, 168], got -1"
    )


def test_extends_cycles(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "a.yaml", "extends: b.yaml\n")
    write(tmp_path, "b.yaml", "extends: a.yaml\n")
    assert error_of("a.yaml") == "a.yaml: extends cycle a -> b -> a"
    assert error_of("b.yaml") == "b.yaml: extends cycle b -> a -> b"
    write(tmp_path, "self.yaml", "extends: self.yaml\n")
    assert error_of("self.yaml") == "self.yaml: extends cycle self -> self"
    write(tmp_path, "c.yaml", "extends: d.yaml\n")
    write(tmp_path, "d.yaml", "extends: e.yaml\n")
    write(tmp_path, "e.yaml", "extends: d.yaml\n")
    assert error_of("c.yaml") == "d.yaml: extends cycle d -> e -> d"


def test_cross_rule_checked_after_merge(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "p.yaml", "manager:\n  burnout_threshold: 0.5\n")
    write(tmp_path, "c.yaml", "extends: p.yaml\nmanager:\n  recover_threshold: 0.45\n")
    assert load_scenario("c.yaml")["manager.recover_threshold"] == 0.45
    write(tmp_path, "d.yaml", "extends: p.yaml\nmanager:\n  recover_threshold: 0.5\n")
    assert error_of("d.yaml").startswith("d.yaml: 'manager.recover_threshold' must be below")


# --- to_dict / save ------------------------------------------------------------------------------------
def test_to_dict_is_nested_by_section():
    d = load_scenario("troll_raid").to_dict()
    assert list(d) == ["name", "description", *SECTIONS, "events"]
    assert d["members"]["visit_rate"] == load_scenario("troll_raid")["members.visit_rate"]
    assert "extends" not in d
    assert not any("." in k for k in d)


def test_saved_file_is_plain_yaml(tmp_path):
    path = load_scenario("platform_shift").save(tmp_path / "p.yaml")
    data = yaml.safe_load(path.read_text())
    assert data["community"]["kind"] == "social_media" and len(data["events"]) == 2


def test_list_scenarios_one_line_each():
    listed = list_scenarios()
    assert list(listed) == sorted(listed)
    for name, text in listed.items():
        assert text and "\n" not in text and len(text) < 250, name


def test_loading_is_cached_until_a_file_in_the_chain_changes(tmp_path) -> None:
    parent = tmp_path / "parent.yaml"
    child = tmp_path / "child.yaml"
    parent.write_text("community:\n  initial_members: 500\n")
    child.write_text("extends: parent.yaml\nmanager:\n  hours: 20\n")
    first = load_scenario(child)
    assert load_scenario(child) is first  # parsed once
    parent.write_text("community:\n  initial_members: 7000\n")  # a different size and content
    again = load_scenario(child)
    assert again is not first and again["community.initial_members"] == 7000
    child.write_text("extends: parent.yaml\nmanager:\n  hours: 25.5\n")
    assert load_scenario(child)["manager.hours"] == 25.5
