"""Tests that pin what the summary metrics and the random streams mean.

Every summary metric is recomputed here from a run's own daily and member tables, written out
from its definition (``cmsim.run``'s documentation), on small runs whose lengths sit on the
edges of the metrics' windows (the 30-day DAU/MAU window and the 30-day retention window); and
on hand-built tables with known answers.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import cmsim
from cmsim._kernels import layout as L
from cmsim.run import SUMMARY_KEYS, summarize

NO_BAD_ACCOUNTS = {"trolls.initial_share": 0.0, "trolls.arrival_rate": 0.0, "trolls.base_rate": 0.0,
                   "spam.initial_share": 0.0, "spam.arrival_rate": 0.0}  # fmt: skip


def _gini(x: np.ndarray) -> float:
    """Mean absolute difference over all pairs / (2 * mean): the textbook definition."""
    if len(x) == 0 or x.sum() <= 0:
        return 0.0
    return float(np.abs(x[:, None] - x[None, :]).sum() / (2 * len(x) ** 2 * x.mean()))


def _top(x: np.ndarray, frac: float) -> float:
    if len(x) == 0 or x.sum() <= 0:
        return 0.0
    k = max(1, math.ceil(frac * len(x)))
    return float(np.sort(x)[::-1][:k].sum() / x.sum())


def _ratio(a: float, b: float) -> float:
    return a / b if b > 0 else float("nan")


def expected_summary(run: cmsim.Run, initial: int) -> dict[str, float]:
    """Every summary metric from the run's tables and the definitions in ``cmsim.run``."""
    d, m = run.daily, run.members
    ordinary = m["role"].isin(["member", "champion"])
    present = ordinary & m["status"].isin(["active", "lapsed"])
    ever = ordinary  # (every row is a member slot used: someone who was present during the run)
    contrib = m.loc[ever, "posts"].to_numpy(float)
    ratio = np.where(d["mau"] > 0, d["dau"] / d["mau"].where(d["mau"] > 0, 1), 0.0)
    dau_mau = float(ratio[29:].mean()) if len(d) >= 30 else float(ratio.mean())  # from day 29 on
    replied, unanswered = m["first_post"] == "replied", m["first_post"] == "unanswered"
    again = m["posted_again_day"] >= 0
    posts = float(d["posts"].sum())
    s = {
        "final_members": float(d["members"].iloc[-1] - d["bad_accounts"].iloc[-1]),
        "mean_dau": float(d["dau"].mean()),
        "dau_mau": dau_mau,
        "lurker_share": _ratio(float((m.loc[present, "posts"] == 0).sum()), float(present.sum())),
        "top1_post_share": _top(contrib, 0.01),
        "top10_post_share": _top(contrib, 0.10),
        "posts_gini": _gini(contrib),
        "newcomer_retention_30d": _ratio(d["newcomers_retained_30d"].sum(), d["newcomers_due_30d"].sum()),
        "newcomer_retention_60d": _ratio(d["newcomers_retained_60d"].sum(), d["newcomers_due_60d"].sum()),
        "newcomer_retention_90d": _ratio(d["newcomers_retained_90d"].sum(), d["newcomers_due_90d"].sum()),
        # replies per answered question: every peer answer, plus the manager's on the questions no
        # peer answered first
        "answers_per_answered_question": _ratio(
            d["peer_answers"].sum() + d["questions_answered"].sum() - d["questions_answered_peer"].sum(),
            d["questions_answered"].sum(),
        ),
        "peer_answer_share": _ratio(d["questions_answered_peer"].sum(), d["questions_answered"].sum()),
        "answered_share": _ratio(
            d["questions_answered"].sum(), d["questions_answered"].sum() + d["questions_expired"].sum()
        ),
        "first_post_reply_share": _ratio(float(replied.sum()), float((replied | unanswered).sum())),
        "return_after_reply": _ratio(float((replied & again).sum()), float(replied.sum())),
        "return_without_reply": _ratio(float((unanswered & again).sum()), float(unanswered.sum())),
        "toxic_share": d["toxic_posts"].sum() / posts if posts > 0 else 0.0,
        "spam_share": d["spam_posts"].sum() / posts if posts > 0 else 0.0,
        # toxic posts over every post and reply, spam excluded
        "norm_breaking_share": (
            _ratio(d["toxic_posts"].sum(), posts - d["spam_posts"].sum() + d["replies"].sum())
            if posts - d["spam_posts"].sum() + d["replies"].sum() > 0
            else 0.0
        ),
        "burnout_days": float(d["manager_burned_out"].sum()),
        "removals": float(d["removals"].sum()),
    }
    parts = [
        min(1.0, max(0.0, 0.5 + (s["final_members"] - initial) / initial)),
        min(1.0, s["dau_mau"] / 0.25),
        s["answered_share"],
        max(0.0, 1.0 - 10.0 * (s["toxic_share"] + s["spam_share"])),
        float(d["mean_satisfaction"].iloc[-1]),
    ]
    finite = [p for p in parts if math.isfinite(p)]
    s["health_index"] = 100.0 * sum(finite) / len(finite)
    return s


@pytest.mark.parametrize(
    "scenario, strategy, days",
    [("forum", "balanced", 30), ("troll_raid", "absent", 31), ("customer", "data_driven", 29),
     ("understaffed", "responsive", 61)],
)  # fmt: skip
def test_every_summary_metric_recomputed_from_the_tables(scenario, strategy, days):
    run = cmsim.simulate(scenario, strategy, seed=7, members=250, days=days)
    want = expected_summary(run, 250)
    got = run.summary
    assert set(want) | {"median_response_days", "manager_quits"} == set(SUMMARY_KEYS)
    for k, v in want.items():
        assert got[k] == pytest.approx(v, rel=1e-12, abs=1e-12, nan_ok=True), k
    assert math.isfinite(got["dau_mau"]) and math.isfinite(got["health_index"])  # a 30-day run too
    # the median response is within the days a question stays open; answered questions make it defined
    if run.daily["questions_answered"].sum() > 0:
        assert 0 < got["median_response_days"] <= L.MAX_OPEN_DAYS + 1


#: Daily counts behind the newer summary metrics (replies, 60/90-day retention, peer answers).
NEW_COUNTS = ("replies", "newcomers_retained_60d", "newcomers_due_60d", "newcomers_retained_90d",
              "newcomers_due_90d", "questions_answered_peer", "peer_answers")  # fmt: skip


def test_dau_mau_averages_from_day_29_on_hand_built_tables():
    def summary(days: int) -> dict[str, float]:
        k = np.arange(days, dtype=float)
        daily = {c: np.zeros(days) for c in ("members", "bad_accounts", "questions_answered", "questions_expired",
                                             "posts", "toxic_posts", "spam_posts", "newcomers_retained_30d",
                                             "newcomers_due_30d", "manager_burned_out", "removals",
                                             "mean_satisfaction", *NEW_COUNTS)}  # fmt: skip
        daily["members"][:] = 10
        daily["dau"], daily["mau"] = k, np.full(days, 100.0)  # DAU/MAU on day k is k / 100
        members = {"status": np.full(3, L.ACTIVE), "role": np.full(3, L.MEMBER), "posts": np.array([0, 1, 3]),
                   "fp_state": np.full(3, L.FP_NONE), "second_post_day": np.full(3, -1)}  # fmt: skip
        return summarize(daily, np.zeros(L.MAX_OPEN_DAYS + 1), members, 10)

    assert summary(30)["dau_mau"] == pytest.approx(0.29)  # day 29 alone
    assert summary(40)["dau_mau"] == pytest.approx(np.mean(np.arange(29, 40)) / 100)
    assert summary(20)["dau_mau"] == pytest.approx(np.mean(np.arange(20)) / 100)  # shorter: every day
    s = summary(30)
    assert s["lurker_share"] == pytest.approx(1 / 3) and s["top1_post_share"] == pytest.approx(3 / 4)
    assert s["posts_gini"] == pytest.approx(_gini(np.array([0.0, 1.0, 3.0])))
    # health: growth 0.5, activity min(1, 0.29 / 0.25) = 1, no answers (NaN, left out), civility 1,
    # satisfaction 0
    assert s["health_index"] == pytest.approx(100 * (0.5 + 1 + 1 + 0) / 4)


def test_the_median_response_is_the_middle_of_the_histogram():
    daily = {c: np.ones(5) for c in ("members", "bad_accounts", "dau", "mau", "questions_answered",
                                     "questions_expired", "posts", "toxic_posts", "spam_posts",
                                     "newcomers_retained_30d", "newcomers_due_30d", "manager_burned_out",
                                     "removals", "mean_satisfaction", *NEW_COUNTS)}  # fmt: skip
    members = {"status": np.full(1, L.ACTIVE), "role": np.full(1, L.MEMBER), "posts": np.zeros(1),
               "fp_state": np.full(1, L.FP_NONE), "second_post_day": np.full(1, -1)}  # fmt: skip
    hist = np.zeros(L.MAX_OPEN_DAYS + 1)
    # each day's answers spread evenly over the day: those of day k over [k, k + 1)
    hist[[0, 2, 5]] = [2, 1, 4]  # 7 answers, 3 before day 5: the middle (3.5) is 0.5 of 4 into day 5
    assert summarize(daily, hist, members, 1)["median_response_days"] == 5.125
    hist[:] = 0
    hist[[1, 3]] = [3, 3]  # 6 answers: half are answered by the end of day 1
    assert summarize(daily, hist, members, 1)["median_response_days"] == 2.0
    hist[:] = 0
    hist[0] = 4  # all on the day asked: the middle of that day
    assert summarize(daily, hist, members, 1)["median_response_days"] == 0.5


@pytest.mark.parametrize("days", [30, 31, 45, 75])
def test_the_30_day_retention_check_counts_each_newcomer_once_on_its_30th_day(days):
    run = cmsim.simulate("forum", "balanced", seed=3, members=200, days=days,
                         overrides={**NO_BAD_ACCOUNTS, "growth.acquisition": 0.02})  # fmt: skip
    m, d = run.members, run.daily
    assert set(m["role"]) <= {"member", "champion"}
    due = m[(m["join_day"] >= 0) & (m["join_day"] <= days - 31)]  # joined day j, checked on day j + 30
    assert d["newcomers_due_30d"].sum() == len(due) and (days < 31 or len(due) > 0)
    for j, n in due.groupby("join_day").size().items():
        assert d["newcomers_due_30d"].iloc[j + 30] == n
    # retained: active and seen in the last week before the check; last visits only move forward
    seen = (due["last_visit"] >= due["join_day"] + 23).sum()
    assert d["newcomers_retained_30d"].sum() <= seen


def test_every_random_stream_has_its_own_id_and_is_drawn_by_both_engines():
    from pathlib import Path

    streams = {k: v for k, v in vars(L).items() if k.startswith("S_") and isinstance(v, int)}
    assert len(streams) >= 25
    assert len(set(streams.values())) == len(streams), "two streams share an id"
    root = Path(cmsim.__file__).parent
    kernels = "".join((root / "_kernels" / f).read_text() for f in ("act.py", "quiet.py", "resolve.py",
                                                                    "community.py", "levers.py"))  # fmt: skip
    mesa = "".join(p.read_text() for p in (root / "mesa").glob("*.py"))
    decisions = [k for k, v in streams.items() if L.S_VISIT <= v <= L.S_CHAMP_ANSWER]
    assert len(decisions) == L.S_CHAMP_ANSWER - L.S_VISIT + 1
    for name in decisions:  # a stream no rule draws means two decisions share another one
        assert f"L.{name}" in kernels, f"{name} is drawn by no kernel"
        assert f"L.{name}" in mesa, f"{name} is drawn by no Mesa method"


def test_recomputed_metrics_catch_a_changed_window():
    """The recomputation is not vacuous: a summary averaged from day 30 differs on a 31-day run."""
    run = cmsim.simulate("forum", "balanced", seed=7, members=250, days=31)
    d = run.daily
    ratio = (d["dau"] / d["mau"]).to_numpy()
    assert ratio[30:].mean() != pytest.approx(run.summary["dau_mau"])
    assert expected_summary(run, 250)["dau_mau"] == pytest.approx(run.summary["dau_mau"])
    assert isinstance(d, pd.DataFrame)
