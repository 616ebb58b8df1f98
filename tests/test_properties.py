"""Property tests: invariants of every run over random valid scenarios (hypothesis)."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cmsim
from cmsim.parameters import LEVERS, PARAMS

#: Parameters drawn for each example, with an upper cap inside the declared range where the
#: declared maximum would make a run large (arrival rates) or slow.
DRAWN: dict[str, float | None] = {
    "members.visit_rate": None,
    "members.post_rate": 0.3,
    "members.question_share": None,
    "members.temper_mean": None,
    "members.activity_sigma": None,
    "members.initial_satisfaction": None,
    "dynamics.toxic_harm": None,
    "dynamics.complaint_rate": None,
    "dynamics.churn_unhappy": None,
    "dynamics.reply_rate": None,
    "dynamics.open_days": None,
    "dynamics.reply_welcome": None,
    "dynamics.no_reply_chill": None,
    "growth.acquisition": 0.05,
    "growth.word_of_mouth": 0.02,
    "trolls.initial_share": None,
    "trolls.arrival_rate": 20.0,
    "trolls.base_rate": None,
    "trolls.context_boost": None,
    "trolls.comeback": None,
    "spam.initial_share": None,
    "manager.count": 3,
    "manager.hours": None,
    "manager.quit_rate": None,
    "manager.vacancy_days": 60,
    "manager.initial_stress": None,
    "levers.moderation_rate": 200.0,
    "platform.reach": 3.0,
    "platform.seasonality": None,
}


@st.composite
def overrides(draw) -> dict:
    keys = draw(st.lists(st.sampled_from(sorted(DRAWN)), min_size=2, max_size=8, unique=True))
    out: dict = {
        "community.kind": draw(st.sampled_from(cmsim.KINDS)),
        "community.initial_members": draw(st.integers(50, 300)),
        "community.days": draw(st.integers(10, 40)),
    }
    for k in keys:
        p = PARAMS[k]
        hi = p.high if DRAWN[k] is None else min(p.high, DRAWN[k])
        if p.type == "int":
            out[k] = draw(st.integers(int(p.low), int(hi)))
        else:
            out[k] = draw(st.floats(p.low, hi, allow_nan=False, allow_infinity=False))
    if out.get("trolls.initial_share", 0) + out.get("spam.initial_share", 0) > 0.6:
        out["spam.initial_share"] = 0.0
    events = draw(st.lists(st.sampled_from(cmsim.EVENT_TYPES), max_size=2))
    out["events"] = [
        {"type": e, "day": draw(st.integers(0, 30)), "duration": draw(st.integers(1, 10)),
         "magnitude": draw(st.floats(0.0, 1.0))}
        for e in events
    ]  # fmt: skip
    return out


STRATEGY = st.sampled_from([*cmsim.STRATEGIES, "mapping"])


def _strategy(name: str, budget: float):
    if name == "mapping":
        return {"moderation": budget / 2, "welcoming": budget / 4}
    return name


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(over=overrides(), name=STRATEGY, seed=st.integers(0, 2**31 - 1))
def test_invariants_of_any_run(over: dict, name: str, seed: int) -> None:
    sc = cmsim.load_scenario("forum").with_overrides(over)
    sim = cmsim.Simulation(sc, _strategy(name, sc.hours_budget), seed=seed)
    run = sim.run()
    d = run.daily
    n0 = over["community.initial_members"]
    assert len(d) == over["community.days"]
    assert d["day"].tolist() == list(range(len(d)))
    # no NaN or inf anywhere in the daily table
    assert np.isfinite(d.to_numpy(dtype=float)).all()
    # counts are non-negative integers
    ints = [c for c in d.columns if d[c].dtype.kind == "i"]
    assert len(ints) > 30 and (d[ints] >= 0).all().all()
    # levels within their ranges
    assert d["mean_satisfaction"].between(0, 1).all()
    assert d["mean_engagement"].between(0, 3).all()
    assert d["manager_stress"].between(0, 1).all() and d["know_how"].between(0, 1).all()
    assert d["manager_burned_out"].isin([0, 1]).all() and d["manager_present"].isin([0, 1]).all()
    assert (d["reach"] >= 0).all()
    assert ((d["dau"] <= d["wau"]) & (d["wau"] <= d["mau"])).all()
    # hours within the budget, per lever non-negative, and they add up
    hours = d[[f"hours_{lever}" for lever in LEVERS]]
    assert (hours >= 0).all().all()
    assert np.allclose(hours.sum(axis=1), d["manager_hours"])
    assert (d["manager_hours"] <= sc.hours_budget * (1 + 1e-9) + 1e-9).all()
    # members are conserved
    flow = (d["joins"] - d["churned"] - d["removals"]).to_numpy()
    assert (d["members"].to_numpy() == n0 + np.cumsum(flow)).all()
    assert (d["members"] == d["active_members"] + d["lapsed_members"]).all()
    assert sim.state.n_used == n0 + d["joins"].sum()
    # threads resolve at most once each
    for made, *done in (("questions", "questions_answered", "questions_expired"),
                        ("complaints", "complaints_answered"),
                        ("first_posts", "first_posts_replied", "first_posts_unanswered")):  # fmt: skip
        assert (np.cumsum(sum(d[c] for c in done)) <= np.cumsum(d[made])).all(), made
    assert (d["toxic_posts"] + d["spam_posts"] <= d["posts"]).all()
    # summary shares in [0, 1] (or NaN when undefined), the health index in [0, 100]
    s = run.summary
    for k in ("dau_mau", "lurker_share", "top1_post_share", "top10_post_share", "posts_gini",
              "newcomer_retention_30d", "answered_share", "first_post_reply_share", "return_after_reply",
              "return_without_reply", "toxic_share", "spam_share"):  # fmt: skip
        assert math.isnan(s[k]) or 0.0 <= s[k] <= 1.0, (k, s[k])
    assert s["top1_post_share"] <= s["top10_post_share"] + 1e-12
    assert math.isnan(s["health_index"]) or 0.0 <= s["health_index"] <= 100.0
    assert s["final_members"] == d["members"].iloc[-1] - d["bad_accounts"].iloc[-1]
    assert 0 <= d["bad_accounts"].iloc[-1] <= d["members"].iloc[-1]
    assert s["burnout_days"] <= len(d)
