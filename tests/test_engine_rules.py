"""The two engines agree on runs that, together, reach every rule of the model at least once.

Each rule is recognised in a run's tables (a count that only that rule makes, or a change of
state only it causes). The test runs a few small agreement runs on both engines, asserts they
give the same tables, and reports which run first reached each rule (``pytest -s`` prints the
report; it is also recorded as the test's ``rules_reached`` property). A rule no run reaches
fails the test: agreement on a rule never exercised proves nothing.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

import cmsim
from cmsim import Intervention as Iv


def _went(column: str, a: float, b: float) -> Callable[[cmsim.Run], bool]:
    """Whether ``column`` went from ``a`` one day to ``b`` the next."""

    def check(r: cmsim.Run) -> bool:
        x = r.daily[column].to_numpy()
        return bool(((x[:-1] == a) & (x[1:] == b)).any())

    return check


def _recovered(r: cmsim.Run) -> bool:
    """A burned-out manager, still in post, is no longer burned out the next day."""
    b, p = r.daily["manager_burned_out"].to_numpy(), r.daily["manager_present"].to_numpy()
    return bool(((b[:-1] == 1) & (b[1:] == 0) & (p[1:] == 1)).any())


def _total(column: str) -> Callable[[cmsim.Run], bool]:
    return lambda r: bool(r.daily[column].sum() > 0)


#: Each rule of the model and how a run's tables show it was applied.
RULES: dict[str, Callable[[cmsim.Run], bool]] = {
    "members visit": _total("dau"),
    "members post": _total("posts"),
    "members reply": _total("replies"),
    "a question is answered": _total("questions_answered"),
    "a question expires unanswered": _total("questions_expired"),
    "a complaint is answered": _total("complaints_answered"),
    "champions answer complaints (no manager hours that day)": lambda r: bool(
        ((r.daily["complaints_answered"] > 0) & (r.daily["manager_hours"] == 0)).any()
    ),
    "a member posts something toxic": _total("toxic_posts_members"),
    "trolls post": lambda r: bool((r.daily["toxic_posts"] > r.daily["toxic_posts_members"]).any()),
    "spammers post": _total("spam_posts"),
    "moderation removes an account": _total("removals"),
    "members report toxic or spam posts": _total("reports"),
    "a reported account awaits review": _total("reported_accounts"),
    "the spam filter removes spam unseen": _total("spam_filtered"),
    "a troll or spammer gives up": _total("gave_up"),
    "a removed troll comes back": _total("comebacks"),
    "raiders post into the raided space": _total("raid_posts"),
    "visitors of the raided space read raid posts": _total("raid_reads"),
    "members lapse": _total("lapsed_members"),
    "lapsed members re-engage": _total("reengaged"),
    "members churn": _total("churned"),
    "newcomers join": _total("joins"),
    "a first post gets a reply": _total("first_posts_replied"),
    "a first post goes unanswered": _total("first_posts_unanswered"),
    "newcomers are welcomed": _total("welcomed"),
    "outreach reaches members at risk": _total("outreach"),
    "a member is promoted to champion": lambda r: bool((r.members["role"] == "champion").any()),
    "30-day retention is checked": _total("newcomers_due_30d"),
    "a newcomer is retained": _total("newcomers_retained_30d"),
    "the manager learns": lambda r: bool(r.daily["know_how"].iloc[-1] > r.daily["know_how"].iloc[0]),
    "reach falls (an algorithm change)": lambda r: bool(r.daily["reach"].min() < 1.0),
    "the manager burns out": _total("manager_burned_out"),
    "a burned-out manager recovers": _recovered,
    "a manager quits": _went("manager_present", 1, 0),
    "the vacancy is filled": _went("manager_present", 0, 1),
}

_INTERVENTIONS = [Iv(5, "ban_wave"), Iv(9, "welcome_campaign"), Iv(12, "ama_event"),
                  Iv(20, "switch_strategy", strategy="responsive")]  # fmt: skip

#: The agreement runs: name -> keyword arguments of cmsim.run_spec.
RUNS: dict[str, dict] = {
    "product_crisis, absent, early champions": dict(
        scenario="product_crisis", strategy="absent", seed=3, members=300, days=80,
        overrides={"dynamics.champion_posts": 5},
    ),
    "troll_raid, moderation_first, trolls come back": dict(
        scenario="troll_raid", strategy="moderation_first", seed=4, members=300, days=60,
        overrides={"trolls.comeback": 1.0, "trolls.comeback_days": 3, "trolls.initial_share": 0.05},
    ),
    "troll_raid, absent, a wide raided space": dict(
        scenario="troll_raid", strategy="absent", seed=4, members=300, days=75,
        overrides={"raid.target_share": 0.5, "raid.read_share": 0.5, "trolls.report_rate": 0.3},
    ),
    "platform_shift, data_driven, every intervention": dict(
        scenario="platform_shift", strategy="data_driven", seed=2, members=250, days=75,
        interventions=_INTERVENTIONS,
    ),
    "understaffed, burnout, recovery and a quit": dict(
        scenario="understaffed", strategy="balanced", seed=5, members=300, days=90,
        overrides={"manager.quit_rate": 0.02, "manager.burnout_threshold": 0.2,
                   "manager.recover_threshold": 0.19, "manager.recovery": 0.2, "manager.vacancy_days": 5},
    ),
}  # fmt: skip


def _same(fast: cmsim.Run, mesa: cmsim.Run, name: str) -> None:
    for table in ("daily", "members"):
        a, b = getattr(fast, table), getattr(mesa, table)
        pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-9, obj=f"{name}: {table}")
    assert list(fast.summary) == list(mesa.summary)
    for k, v in fast.summary.items():
        assert np.isclose(v, mesa.summary[k], rtol=1e-9, equal_nan=True), (name, k)


def test_the_engines_agree_on_runs_that_reach_every_rule(record_property) -> None:
    reached: dict[str, str] = {}
    for name, kw in RUNS.items():
        kw = dict(kw)
        spec = cmsim.run_spec(kw.pop("scenario"), kw.pop("strategy"), **kw)
        fast, mesa = spec.run(), spec.run("mesa")
        _same(fast, mesa, name)
        for rule, applied in RULES.items():
            if rule not in reached and applied(fast):
                reached[rule] = name
    report = "\n".join(
        f"{'reached' if r in reached else 'MISSED '}  {r:58s} {reached.get(r, '')}" for r in RULES
    )
    print("\nrules reached by the engine-agreement runs:\n" + report)
    record_property("rules_reached", report)
    missed = [r for r in RULES if r not in reached]
    assert not missed, "rules no agreement run reaches: " + ", ".join(missed)


def test_each_rule_detector_can_fail() -> None:
    """A run with nothing in it reaches none of the count-based rules (the detectors are not
    vacuous)."""
    quiet = cmsim.simulate("forum", "absent", seed=1, members=20, days=3,
                           overrides={"members.visit_rate": 0.0, "growth.acquisition": 0.0})  # fmt: skip
    never = [r for r, applied in RULES.items() if applied(quiet)]
    assert "members visit" not in never and "newcomers join" not in never
    assert "a burned-out manager recovers" not in never and "a manager quits" not in never
