"""The run spec: one frozen description of a run that both engines take, with a dict form and a
stable key; and the model version every saved result records."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import pickle
import subprocess
import sys

import networkx as nx
import pandas as pd
import pytest

import cmsim
from cmsim.spec import RunSpec

SMALL = dict(members=150, days=15)


def module_level_strategy(obs):
    """A custom strategy defined at a module's top level: it travels."""
    return {"responding": 0.5 * obs["budget"]}


class Halves:
    """A custom strategy object of a module-level class, with plain-data state."""

    name = "halves"

    def __init__(self) -> None:
        self.share = 0.5

    def allocate(self, obs):
        return {"moderation": self.share * obs["budget"]}


def test_run_spec_resolves_defaults_and_runs_like_simulate():
    spec = cmsim.run_spec("forum", "balanced", seed=4, **SMALL)
    assert isinstance(spec, cmsim.RunSpec)
    assert (spec.days, spec.members, spec.seed, spec.threads, spec.interventions) == (15, 150, 4, None, ())
    assert spec.scenario["community.days"] == 15 and spec.scenario["community.initial_members"] == 150
    full = cmsim.run_spec("forum")
    forum = cmsim.load_scenario("forum")
    assert full.days == forum["community.days"] and full.members == forum["community.initial_members"]
    a, b = spec.run(), cmsim.simulate("forum", "balanced", seed=4, **SMALL)
    pd.testing.assert_frame_equal(a.daily, b.daily, check_exact=True)
    assert a.summary == pytest.approx(b.summary, nan_ok=True)


def test_a_spec_is_frozen_and_applies_days_and_members_to_its_scenario():
    forum = cmsim.load_scenario("forum")
    spec = RunSpec(forum, "absent", 1, 20, 120)
    assert spec.scenario["community.days"] == 20 and spec.scenario["community.initial_members"] == 120
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.seed = 2  # type: ignore[misc]
    assert (
        RunSpec(forum, "absent", 1, forum["community.days"], forum["community.initial_members"]).scenario
        is forum
    )


@pytest.mark.parametrize(
    "kwargs, word",
    [
        (dict(seed=-1), "seed"),
        (dict(seed=1.5), "seed"),
        (dict(threads=0), "threads"),
        (dict(threads=True), "threads"),
    ],
)
def test_bad_spec_arguments_raise_one_cmsim_error(kwargs, word):
    with pytest.raises(cmsim.ArgumentError, match=word) as info:
        cmsim.run_spec("forum", **{**SMALL, **kwargs})
    assert isinstance(info.value, ValueError) and "\n" not in str(info.value)


def test_the_spec_travels_as_a_dict_and_as_a_pickle_with_the_same_key():
    ivs = [cmsim.Intervention(3, "ban_wave"), cmsim.Intervention(7, "switch_strategy", strategy="absent")]
    for strategy in ("data_driven", {"moderation": 4.0, "welcoming": 2.0}, module_level_strategy, Halves()):
        spec = cmsim.run_spec("troll_raid", strategy, seed=9, interventions=ivs, **SMALL)
        d = spec.to_dict()
        back = RunSpec.from_dict(json.loads(json.dumps(d)))
        assert back.to_dict() == d and back.key() == spec.key()
        again = pickle.loads(pickle.dumps(spec))
        assert again.key() == spec.key()
        pd.testing.assert_frame_equal(back.run().daily, spec.run().daily, check_exact=True)


def test_keys_differ_for_any_other_run_but_not_for_threads():
    spec = cmsim.run_spec("forum", "balanced", seed=1, **SMALL)
    others = [
        dataclasses.replace(spec, seed=2),
        dataclasses.replace(spec, strategy="absent"),
        dataclasses.replace(spec, days=16),
        dataclasses.replace(spec, members=151),
        dataclasses.replace(spec, interventions=(cmsim.Intervention(3, "ban_wave"),)),
        cmsim.run_spec("forum", "balanced", seed=1, overrides={"dynamics.reply_rate": 0.31}, **SMALL),
    ]
    keys = {spec.key()} | {o.key() for o in others}
    assert len(keys) == len(others) + 1
    assert dataclasses.replace(spec, threads=2).key() == spec.key()
    assert all(len(k) == 64 and int(k, 16) >= 0 for k in keys)


def test_the_key_is_the_same_in_another_process():
    spec = cmsim.run_spec("customer", {"responding": 10.0}, seed=5, **SMALL)
    code = "import cmsim; print(cmsim.run_spec('customer', {'responding': 10.0}, seed=5, members=150, days=15).key())"
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout.strip()
    assert out == spec.key()


def test_a_spec_with_a_graph_keeps_its_rows_through_the_dict():
    G = nx.watts_strogatz_graph(80, 6, 0.1, seed=3)
    spec = cmsim.run_spec("forum", "balanced", seed=2, days=12, graph=G)
    assert spec.members == 80 and isinstance(spec.graph, cmsim.Graph)
    back = RunSpec.from_dict(json.loads(json.dumps(spec.to_dict())))
    assert back.key() == spec.key()
    run = cmsim.simulate("forum", "balanced", seed=2, days=12, graph=G)
    pd.testing.assert_frame_equal(back.run().daily, run.daily, check_exact=True)
    with pytest.raises(cmsim.ArgumentError, match="members"):
        dataclasses.replace(spec, members=81)


def test_lambdas_and_closures_run_here_but_refuse_to_travel_by_name():
    def closure(obs):
        return {"content": 1.0}

    for strategy, word in ((lambda obs: {}, "lambda"), (closure, "closure")):
        spec = cmsim.run_spec("forum", strategy, seed=1, **SMALL)
        assert len(spec.run().daily) == SMALL["days"]  # runs in the calling process
        with pytest.raises(cmsim.StrategyError, match=word) as info:
            pickle.dumps(spec)
        assert ("<lambda>" if word == "lambda" else "closure") in str(info.value)
        with pytest.raises(cmsim.StrategyError, match=word):
            spec.to_dict()
    switch = cmsim.Intervention(5, "switch_strategy", strategy=lambda obs: {})
    with pytest.raises(cmsim.StrategyError, match="lambda"):
        pickle.dumps(cmsim.run_spec("forum", interventions=[switch], **SMALL))


def test_the_fast_and_mesa_engines_run_the_same_spec_alike():
    spec = cmsim.run_spec("troll_raid", "data_driven", seed=3, members=120, days=10)
    fast, slow = spec.run(), spec.run("mesa")
    assert slow.engine == "mesa"
    pd.testing.assert_frame_equal(fast.daily, slow.daily, check_exact=True)
    with pytest.raises(cmsim.ArgumentError, match="engine"):
        spec.run("gpu")


# --- the model version ----------------------------------------------------------------------------
#: The model's output on a small run, per MODEL_VERSION. A change to the model's results must bump
#: cmsim.version.MODEL_VERSION and add its fingerprint here (the test fails until both are done).
FINGERPRINTS = {
    "1.0": "6d5842838c08aed2",
    "2.0": "fc5cf40cddea93dd",  # capacity follows hours, members answer each other, welcoming, the dashboard's noise
    "3.0": "82fd88f9e942d147",  # the steady start; reports, the spam filter, giving up; hours beyond the load; raids
    "3.1": "4f965fe9fd339bfb",  # the steady start's comebacks: what contacts show (no toxic posts, unseen questions)
}


def _fingerprint() -> str:
    run = cmsim.simulate("troll_raid", "data_driven", seed=11, members=400, days=45)
    text = run.daily.to_csv() + json.dumps(run.summary, sort_keys=True, default=str) + run.members.to_csv()
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def test_model_output_is_pinned_to_the_model_version():
    assert cmsim.MODEL_VERSION in FINGERPRINTS, "a new MODEL_VERSION needs its fingerprint here"
    assert _fingerprint() == FINGERPRINTS[cmsim.MODEL_VERSION], (
        "the model's output changed: bump cmsim.version.MODEL_VERSION and record the new fingerprint"
    )


def test_every_saved_result_records_the_model_version():
    run = cmsim.simulate("forum", seed=1, **SMALL)
    assert run.metadata["model_version"] == cmsim.MODEL_VERSION
    assert pickle.loads(pickle.dumps(run)).metadata["model_version"] == cmsim.MODEL_VERSION
