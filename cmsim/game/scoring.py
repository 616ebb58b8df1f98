"""The manager game's score, its breakdown and the metrics an exercise's goal is checked on.

The score of a game (0-100, higher is better) is the community's health at the end of the weeks
played, with the health index's five components weighted as the exercise says (equal weights by
default, which gives exactly :func:`cmsim.run.health_index`), less points for the manager's
burnout:

    score = 100 * sum(w_i * c_i) / sum(w_i) - burnout_day * burnout_days - quit * manager_quits

over the components ``c_i`` that are defined (answering is undefined when nobody asked):

- ``growth`` = clip(0.5 + (final members - initial) / initial, 0, 1),
- ``activity`` = min(1, DAU/MAU / 0.25),
- ``answering`` = share of questions answered,
- ``civility`` = max(0, 1 - 10 * (toxic share + spam share)),
- ``satisfaction`` = members' mean satisfaction on the last day;

``burnout_day`` (default 0.2 points a day burned out) and ``quit`` (default 10 points a time the
manager quit) come from the exercise's ``scoring:``. ``docs/teaching.md`` states the same.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = ["COMPONENTS", "PENALTIES", "DERIVED", "components", "score_breakdown", "game_metrics"]

#: The health index's components, in order.
COMPONENTS: tuple[str, ...] = ("growth", "activity", "answering", "civility", "satisfaction")
#: Default points off: a day burned out, a time the manager quit.
PENALTIES: dict[str, float] = {"burnout_day": 0.2, "quit": 10.0}
#: Metrics of a game besides the run's summary (``Run.summary``), for goals and the debrief.
DERIVED: dict[str, str] = {
    "score": "the game's score (0-100)",
    "growth": "final members / initial members - 1",
    "final_satisfaction": "members' mean satisfaction on the last day",
    "final_reach": "mean platform reach over the last week",
    "peak_stress": "the manager's highest stress (0-1)",
    "last_week_toxic_share": "toxic posts / posts over the last week",
    "last_week_dau": "mean daily active members over the last week",
}


def components(summary: Mapping[str, float], initial: int, satisfaction: float) -> dict[str, float]:
    """The five health components (0-1; NaN where undefined) of a run's summary."""
    return {
        "growth": min(1.0, max(0.0, 0.5 + (summary["final_members"] - initial) / max(initial, 1))),
        "activity": min(1.0, summary["dau_mau"] / 0.25),
        "answering": float(summary["answered_share"]),
        "civility": max(0.0, 1.0 - 10.0 * (summary["toxic_share"] + summary["spam_share"])),
        "satisfaction": float(satisfaction),
    }


def score_breakdown(
    summary: Mapping[str, float], initial: int, satisfaction: float, scoring: Mapping[str, Any] | None = None
) -> dict[str, float]:
    """Points each component and penalty brings, and their total ``score``.

    Examples
    --------
    >>> s = {"final_members": 100, "dau_mau": 0.25, "answered_share": 1.0, "toxic_share": 0.0,
    ...      "spam_share": 0.0, "burnout_days": 5.0, "manager_quits": 0.0}
    >>> b = score_breakdown(s, 100, 0.5)
    >>> b["growth"], b["activity"], b["burnout"], round(b["score"], 6)
    (10.0, 20.0, -1.0, 79.0)
    """
    scoring = dict(scoring or {})
    weights = {c: float(w) for c, w in (scoring.get("weights") or {}).items()}
    comps = components(summary, initial, satisfaction)
    defined = {c: v for c, v in comps.items() if math.isfinite(v)}
    total_w = sum(weights.get(c, 1.0) for c in defined)
    out: dict[str, float] = {}
    for c in COMPONENTS:
        out[c] = 100.0 * weights.get(c, 1.0) * defined[c] / total_w if c in defined and total_w > 0 else 0.0
    burnout = float(scoring.get("burnout_day", PENALTIES["burnout_day"])) * float(summary["burnout_days"])
    quits = float(scoring.get("quit", PENALTIES["quit"])) * float(summary["manager_quits"])
    out["burnout"] = -burnout if burnout else 0.0  # (no "-0.0" in a table)
    out["quits"] = -quits if quits else 0.0
    out["score"] = sum(out[c] for c in COMPONENTS) - burnout - quits
    return out


def game_metrics(run: Any, initial: int, scoring: Mapping[str, Any] | None = None) -> dict[str, float]:
    """Every metric a goal may check: the run's summary, the score and :data:`DERIVED`."""
    daily = run.daily
    last = daily.iloc[-7:]
    posts = float(last["posts"].sum())
    sat = float(daily["mean_satisfaction"].iloc[-1])
    m: dict[str, float] = {k: float(v) for k, v in run.summary.items()}
    m["score"] = score_breakdown(run.summary, initial, sat, scoring)["score"]
    m["growth"] = m["final_members"] / max(initial, 1) - 1.0
    m["final_satisfaction"] = sat
    m["final_reach"] = float(last["reach"].mean())
    m["peak_stress"] = float(np.max(daily["manager_stress"].to_numpy()))
    m["last_week_toxic_share"] = float(last["toxic_posts"].sum()) / posts if posts > 0 else 0.0
    m["last_week_dau"] = float(last["dau"].mean())
    return m
