"""The manager's dashboard: last week's numbers as a manager sees them, noisy unless measured.

A manager does not see the community's true numbers. Platform insights sample, count late and
double-count; satisfaction comes from a handful of survey answers. The dashboard every strategy
(and the trainee of the manager game) sees is therefore the true week
(:func:`cmsim.strategies.observe`) with a measurement error that analytics hours shrink:

    error = levers.dashboard_noise * (1 - sat_analytics)
    sat_analytics = 1 - exp(-analytics_hours / (manager.count * levers.analytics_scale))

where ``analytics_hours`` are the hours on the analytics lever on the last day the dashboard
covers (0 while no manager is in post). Each weekly count (visits, posts, questions, toxic
posts, joins...) is shown as ``round(true * exp(error * z - error**2 / 2))`` (unbiased, never negative, zero stays
zero), reach as ``true * exp(error * z - error**2 / 2)``, mean satisfaction as
``clip(true + error * z / 4, 0, 1)``, with ``z`` standard normal draws of a stream of their own
(the run's seed and the day), so the dashboard never takes a draw from the model. Answered
questions and complaints are never shown above those asked. The manager's own stress and
burnout, the member counts (``members``, ``newcomers``: the platform counts accounts exactly),
the day, week and budget are shown exactly.

Every engine and every strategy reads this one rule: ``data_driven`` sees the same noise a
trainee sees with the same analytics hours, so the manager game compares like with like.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = ["DASHBOARD_STREAM", "NOISY_COUNTS", "dashboard", "dashboard_error"]

#: Stream id of the dashboard's draws (with the seed and the day): no model stream uses it.
DASHBOARD_STREAM = 0xDA5B0A2D

#: Dashboard keys shown as noisy counts, in the order of their draws.
NOISY_COUNTS: tuple[str, ...] = (
    "dau", "posts", "replies", "questions", "questions_answered", "complaints",
    "complaints_answered", "toxic_posts", "spam_posts", "removals", "joins", "churned",
    "first_posts_unanswered", "toxic_posts_members",
)  # fmt: skip
_OTHERS = ("reach", "mean_satisfaction")


def dashboard_error(analytics_hours: float, values: Mapping[str, Any]) -> float:
    """The dashboard's relative error (standard deviation) for ``analytics_hours`` a week.

    ``values`` is a scenario's flat values (``Scenario.values``).

    Examples
    --------
    >>> from cmsim import load_scenario
    >>> v = load_scenario("forum").values
    >>> dashboard_error(0.0, v) == v["levers.dashboard_noise"]
    True
    >>> dashboard_error(8.0, v) < dashboard_error(2.0, v)
    True
    """
    noise = float(values["levers.dashboard_noise"])
    h = float(analytics_hours)
    if h <= 0.0:
        return noise
    scale = max(float(values["manager.count"]), 1.0) * float(values["levers.analytics_scale"])
    return noise * math.exp(-h / scale)


def dashboard(obs: Mapping[str, float], *, seed: int, error: float) -> dict[str, float]:
    """The dashboard shown for the true observation ``obs`` with relative ``error``.

    Deterministic in ``(seed, obs["day"])``; ``error <= 0`` (or day 0, nothing to show yet)
    returns an exact copy.
    """
    out = dict(obs)
    day = int(obs.get("day", 0))
    if error <= 0.0 or day <= 0:
        return out
    rng = np.random.default_rng([int(seed), DASHBOARD_STREAM, day])
    z = rng.standard_normal(len(NOISY_COUNTS) + len(_OTHERS))
    bias = -0.5 * error * error
    for k, key in enumerate(NOISY_COUNTS):
        if key in out:
            out[key] = float(round(out[key] * math.exp(error * z[k] + bias)))
    k = len(NOISY_COUNTS)
    if "reach" in out:
        out["reach"] = float(out["reach"] * math.exp(error * z[k] + bias))
    sat = out.get("mean_satisfaction")
    if sat is not None and sat == sat:
        out["mean_satisfaction"] = float(min(1.0, max(0.0, sat + error * z[k + 1] / 4.0)))
    for asked, answered in (("questions", "questions_answered"), ("complaints", "complaints_answered"),
                            ("toxic_posts", "toxic_posts_members")):  # fmt: skip
        if asked in out and answered in out:
            out[answered] = min(out[answered], out[asked])
    return out
