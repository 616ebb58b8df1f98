"""The published facts at a CI-sized design, and the report machinery on hand-built facts."""

from __future__ import annotations

import math

import pytest

from cmsim.validation import FACTS, Criterion, Fact, FactResult, check_facts


def _fact(values, criteria, seeds=3):
    it = iter(values)
    return Fact("demo", "s", "src", "j", "m", lambda seed, quick: next(it), tuple(criteria), seeds=seeds)


# --- machinery ------------------------------------------------------------------------------------
def test_criterion_bands():
    c = Criterion("x", "x", 0.5, 0.85)
    assert c.contains(0.5) and c.contains(0.85) and not c.contains(0.49) and not c.contains(0.9)
    assert not c.contains(math.nan)
    assert Criterion("x", "x", 0.75).band() == ">= 0.75"
    assert Criterion("x", "x", None, 0.3).band() == "<= 0.3"
    assert c.band() == "0.5-0.85"


def test_median_and_spread_over_seeds():
    f = _fact([{"x": 0.1}, {"x": 0.5}, {"x": 0.9}], [Criterion("x", "x", 0.4, 0.6)])
    rep = check_facts(facts=[f])
    r = rep.results[0]
    assert r.values["x"] == [0.1, 0.5, 0.9]
    assert r.stat(f.criteria[0]) == 0.5
    lo, hi = r.spread(f.criteria[0])
    assert lo == pytest.approx(0.18) and hi == pytest.approx(0.82)
    assert rep.passed and rep.verdict() == "1 of 1 fact reproduced"


def test_mean_aggregation_for_outcome_shares():
    c = Criterion("burn", "burn", 0.5, 1.0, agg="mean")
    r = FactResult(_fact([], [c]), {"burn": [1.0, 0.0, 0.0, 1.0]}, [0, 1, 2, 3])
    assert r.stat(c) == 0.5 and r.passed
    r = FactResult(_fact([], [c]), {"burn": [1.0, 0.0, 0.0, 0.0]}, [0, 1, 2, 3])
    assert r.stat(c) == 0.25 and not r.passed


def test_a_fact_fails_if_any_criterion_fails_and_nan_fails():
    ok, bad = Criterion("a", "a", 0.0, 1.0), Criterion("b", "b", 0.0, 1.0)
    f = _fact([{"a": 0.5, "b": 2.0}] * 2, [ok, bad], seeds=2)
    rep = check_facts(facts=[f])
    assert not rep.passed
    frame = rep.to_frame()
    assert list(frame["passed"]) == [True, False]
    assert "FAIL" in rep.to_markdown() and rep.to_text().splitlines()[-1] == "0 of 1 fact reproduced"
    g = _fact([{"a": math.nan}] * 2, [ok], seeds=2)
    assert not check_facts(facts=[g]).passed


def test_seed_argument():
    seen = []
    f = Fact("d", "s", "src", "j", "m", lambda seed, quick: seen.append((seed, quick)) or {"x": 1.0},
             (Criterion("x", "x", 0.0, 2.0),), seeds=4, quick_seeds=2)  # fmt: skip
    check_facts(facts=[f])
    check_facts(facts=[f], quick=True)
    check_facts(seeds=[7, 9], facts=[f])
    assert seen == [
        (0, False),
        (1, False),
        (2, False),
        (3, False),
        (0, True),
        (1, True),
        (7, False),
        (9, False),
    ]
    with pytest.raises(ValueError, match="seeds"):
        check_facts(seeds=0, facts=[f])


def test_declared_facts_are_complete():
    assert len(FACTS) == 14
    assert [f.section for f in FACTS].count("what the levers do") == 5
    for f in FACTS:
        assert f.statement and f.source and f.justification and f.measurement and f.criteria
        assert f.quick_seeds >= 2


# --- the facts at CI size -----------------------------------------------------------------------------
def _fact_params() -> list:
    return [pytest.param(f, id=f.name.replace(" ", "_")) for f in FACTS]


@pytest.mark.parametrize("fact", _fact_params())
def test_fact_reproduced_at_ci_size(fact):
    rep = check_facts(quick=True, facts=[fact])
    assert rep.passed, rep.to_text()


def test_what_matters_notebook_runs_and_ranks_every_parameter():
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "notebooks" / "09_what_matters.ipynb"
    nb = nbformat.read(path, as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), "stored with outputs"
    nbclient.NotebookClient(nb, timeout=300, kernel_name="python3").execute()
    ranking = nb.cells[-2].outputs[-1]["data"]["text/plain"]
    assert "members.activity_sigma" in ranking and "calibrated" in ranking and "guess" in ranking
