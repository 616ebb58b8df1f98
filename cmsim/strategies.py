"""Manager strategies: how the team splits its weekly hours over the eight levers.

A strategy runs once per simulated week, in Python, and returns ``{lever: hours}`` for the
whole team. It may be

- a built-in name (see :data:`BUILTIN`),
- a plain mapping of lever to hours per week (a fixed allocation),
- a callable ``f(obs) -> mapping``, or an object with ``allocate(obs) -> mapping`` (and
  optionally ``reset()``), where ``obs`` is the :class:`Observation` of the last week.

Built-in shares are fractions of the team's budget (``manager.count * manager.hours``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any, Protocol

import numpy as np

from cmsim._kernels import layout as L
from cmsim.errors import StrategyError
from cmsim.parameters import LEVERS

__all__ = [
    "BUILTIN",
    "SHARES",
    "Observation",
    "Strategy",
    "StrategyLike",
    "FixedStrategy",
    "ShareStrategy",
    "DataDriven",
    "as_strategy",
    "validate_allocation",
    "observe",
    "strategy_name",
]

#: An observation of the last week, as the manager's dashboards would show it. Keys:
#: ``day``, ``week``, ``budget`` (team hours available), ``members``, ``dau``, ``posts``,
#: ``replies``, ``questions``, ``questions_answered``, ``complaints``, ``complaints_answered``,
#: ``toxic_posts``, ``toxic_posts_members`` (those by ordinary members, who are warned, not removed),
#: ``spam_posts``, ``removals``, ``joins``, ``churned``, ``newcomers``,
#: ``first_posts_unanswered``, ``mean_satisfaction``, ``manager_stress``, ``manager_burned_out``,
#: ``reach`` (weekly sums of counts, end-of-week levels for the rest). The numbers carry the
#: dashboard's measurement error, smaller with more analytics hours (:mod:`cmsim.dashboard`).
Observation = dict[str, float]

#: Built-in fixed-share strategies: share of the budget per lever (sums to 1).
SHARES: dict[str, dict[str, float]] = {
    "balanced": dict(moderation=0.20, responding=0.20, content=0.15, welcoming=0.15, events=0.08,
                     analytics=0.08, learning=0.06, self_care=0.08),
    "moderation_first": dict(moderation=0.45, responding=0.15, content=0.10, welcoming=0.08, events=0.04,
                             analytics=0.08, learning=0.04, self_care=0.06),
    "content_first": dict(moderation=0.10, responding=0.10, content=0.45, welcoming=0.10, events=0.08,
                          analytics=0.05, learning=0.06, self_care=0.06),
    "community_builder": dict(moderation=0.10, responding=0.15, content=0.15, welcoming=0.30, events=0.15,
                              analytics=0.05, learning=0.04, self_care=0.06),
    "responsive": dict(moderation=0.15, responding=0.45, content=0.08, welcoming=0.12, events=0.04,
                       analytics=0.06, learning=0.04, self_care=0.06),
}  # fmt: skip

#: Every built-in strategy with a one-line description.
BUILTIN: dict[str, str] = {
    "absent": "no manager hours at all: the community runs itself",
    "balanced": "a bit of everything: 20% moderation, 20% responding, 15% content, 15% welcoming, rest spread",
    "moderation_first": "45% of the hours on moderation: trolls and spam first",
    "content_first": "45% of the hours on the manager's own content",
    "community_builder": "welcoming (30%) and events (15%), content as balanced: belonging first",
    "responsive": "45% of the hours answering questions and complaints",
    "data_driven": "analytics-led: every week moves hours to where last week's numbers hurt most",
}


class Strategy(Protocol):
    """What a strategy object provides."""

    name: str

    def allocate(self, obs: Observation) -> Mapping[str, float]: ...


StrategyLike = str | Mapping[str, float] | Callable[[Observation], Mapping[str, float]] | Strategy


class FixedStrategy:
    """The same hours every week."""

    def __init__(self, hours: Mapping[str, float], name: str = "fixed") -> None:
        self.hours = dict(hours)
        self.name = name

    def allocate(self, obs: Observation) -> Mapping[str, float]:
        return self.hours

    def __repr__(self) -> str:
        return f"FixedStrategy({self.hours!r})"


class ShareStrategy:
    """A fixed share of the week's budget per lever."""

    def __init__(self, shares: Mapping[str, float], name: str = "shares") -> None:
        self.shares = dict(shares)
        self.name = name

    def allocate(self, obs: Observation) -> Mapping[str, float]:
        b = obs["budget"]
        return {k: v * b for k, v in self.shares.items()}

    def __repr__(self) -> str:
        return f"ShareStrategy({self.name!r})"


class DataDriven:
    """Analytics-led: every week, more hours where last week's work fell short, fewer where it
    did not.

    It starts from ``balanced`` and keeps 10% on analytics. Each other lever's share is the
    balanced share scaled by ``1 + 3 * shortfall``, where the shortfall (0-1) is what last week's
    dashboard shows was left undone: trolls' and spammers' posts not removed (moderation; members'
    toxic posts are warned, not removed), questions and complaints not answered (responding),
    first posts left without a reply (welcoming), satisfaction below 0.65 (content and events),
    reach below 1 (learning). A capacity lever (moderation, responding, welcoming) that left
    nothing undone gets ``SLACK_TRIM`` of its balanced share, and the hours it frees go to content
    and events, the levers that grow activity. Self-care grows with stress. Shares move halfway
    towards the new target each week (no lurching), so a trimmed lever that falls short gets its
    hours back within weeks.
    """

    name = "data_driven"
    #: Share of its balanced weight a capacity lever keeps after a week with nothing left undone.
    SLACK_TRIM = 0.5

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.shares = dict(SHARES["balanced"])

    @staticmethod
    def _short(undone: float, total: float) -> float:
        return min(1.0, max(0.0, undone / total)) if total > 0 else 0.0

    def allocate(self, obs: Observation) -> Mapping[str, float]:
        g = obs.get
        offending = max(0.0, g("toxic_posts", 0.0) - g("toxic_posts_members", 0.0)) + g("spam_posts", 0.0)
        asked = g("questions", 0.0) + g("complaints", 0.0)
        answered = g("questions_answered", 0.0) + g("complaints_answered", 0.0)
        sat = g("mean_satisfaction", 0.65)
        sat = 0.65 if sat != sat else sat  # NaN before the first week
        mood = min(1.0, max(0.0, (0.65 - sat) / 0.3))
        short = {
            "moderation": self._short(offending - g("removals", 0.0), offending),
            "responding": self._short(asked - answered, asked),
            "welcoming": self._short(
                g("first_posts_unanswered", 0.0), g("first_posts_unanswered", 0.0) + 1.0
            ),
            "content": mood,
            "events": mood,
            "learning": min(1.0, max(0.0, 1.0 - g("reach", 1.0))),
        }
        base = SHARES["balanced"]
        care = base["self_care"] + 0.3 * max(0.0, g("manager_stress", 0.0) - 0.4)
        weights = {k: base[k] * (1.0 + 3.0 * v) for k, v in short.items()}
        if obs.get("week", 0.0) >= 1.0:  # (nothing to judge before the first week)
            freed = 0.0
            for k in ("moderation", "responding", "welcoming"):
                if short[k] == 0.0:
                    weights[k] = base[k] * self.SLACK_TRIM
                    freed += base[k] * (1.0 - self.SLACK_TRIM)
            growth = base["content"] + base["events"]
            for k in ("content", "events"):
                weights[k] += freed * base[k] / growth
        spread = 1.0 - 0.10 - care
        total = sum(weights.values())
        target = {k: spread * w / total for k, w in weights.items()}
        target["analytics"] = 0.10
        target["self_care"] = care
        self.shares = {k: 0.5 * self.shares.get(k, 0.0) + 0.5 * target[k] for k in LEVERS}
        b = obs["budget"]
        return {k: v * b for k, v in self.shares.items()}

    def __repr__(self) -> str:
        return "DataDriven()"


class _Callable:
    def __init__(self, fn: Callable[[Observation], Mapping[str, float]]) -> None:
        self.fn = fn
        self.name = getattr(fn, "__name__", "custom")

    def allocate(self, obs: Observation) -> Mapping[str, float]:
        return self.fn(obs)


def as_strategy(strategy: StrategyLike) -> Any:
    """Turn anything the public API accepts as a strategy into an object with ``allocate``.

    A fresh object is returned for built-in names and mappings, so a stateful built-in
    (``data_driven``) starts from scratch in every run.

    Examples
    --------
    >>> s = as_strategy("balanced")
    >>> round(sum(s.allocate({"budget": 30.0}).values()), 6)
    30.0
    """
    if isinstance(strategy, str):
        if strategy == "absent":
            return FixedStrategy({k: 0.0 for k in LEVERS}, name="absent")
        if strategy == "data_driven":
            return DataDriven()
        if strategy in SHARES:
            return ShareStrategy(SHARES[strategy], name=strategy)
        allowed = ", ".join(BUILTIN)
        raise StrategyError(
            f"the 'strategy' parameter must be one of {allowed}, a mapping or a callable; got {strategy!r}"
        )
    if isinstance(strategy, Mapping):
        return FixedStrategy(strategy)
    if hasattr(strategy, "allocate"):
        if hasattr(strategy, "reset"):
            strategy.reset()
        if not hasattr(strategy, "name"):
            try:
                setattr(strategy, "name", type(strategy).__name__)  # noqa: B010 (a Strategy without a name)
            except AttributeError:
                pass
        return strategy
    if callable(strategy):
        return _Callable(strategy)
    raise StrategyError(
        f"the 'strategy' parameter must be a name, a mapping or a callable; got {type(strategy).__name__}"
    )


def strategy_name(strategy: Any, obj: Any) -> str:
    """The name a run reports for ``strategy`` (as given), made into ``obj`` by :func:`as_strategy`."""
    if isinstance(strategy, str):
        return strategy
    return str(getattr(obj, "name", "custom"))


#: Observation keys summed over the week, and those read on the week's last day.
_SUMS = ("dau", "posts", "replies", "questions", "questions_answered", "complaints", "complaints_answered",
         "toxic_posts", "toxic_posts_members", "spam_posts", "removals", "joins", "churned",
         "first_posts_unanswered")  # fmt: skip
_LEVELS = ("members", "newcomers", "mean_satisfaction", "manager_stress", "manager_burned_out", "reach")


def observe(OUT: np.ndarray, day: int, budget: float) -> Observation:
    """The :data:`Observation` a strategy sees on ``day``: the last (up to) seven rows of the
    engine's output (``layout.OUT_COLUMNS``) before ``day``, summed or read on the last day."""
    obs: dict[str, float] = {"day": float(day), "week": float(day // 7), "budget": budget}
    lo = max(0, day - 7)
    rows = OUT[lo:day]
    idx = {c: i for i, c in enumerate(L.OUT_COLUMNS)}
    for c in _SUMS:
        obs[c] = float(rows[:, idx[c]].sum()) if len(rows) else 0.0
    for c in _LEVELS:
        obs[c] = float(rows[-1, idx[c]]) if len(rows) else 0.0
    if not len(rows):
        obs["mean_satisfaction"] = float("nan")
        obs["reach"] = 1.0
    return obs


def validate_allocation(alloc: Any, budget: float, day: int, name: str = "strategy") -> np.ndarray:
    """Check an allocation and return it as ``float64[8]`` in :data:`LEVERS` order.

    Raises :class:`StrategyError` naming the day, the lever and the values for an unknown lever,
    a negative, NaN or infinite number of hours, or more hours than the budget or the week.
    """
    if not isinstance(alloc, Mapping):
        raise StrategyError(
            f"day {day}: {name} must return a mapping of lever to hours; got {type(alloc).__name__}"
        )
    out = np.zeros(len(LEVERS))
    for lever, hours in alloc.items():
        if lever not in LEVERS:
            import difflib

            near = difflib.get_close_matches(str(lever), LEVERS, n=1)
            hint = f" (did you mean {near[0]!r}?)" if near else ""
            raise StrategyError(
                f"day {day}: {name} allocated hours to unknown lever {lever!r}{hint}; levers are {', '.join(LEVERS)}"
            )
        try:
            h = float(hours)
        except (TypeError, ValueError):
            raise StrategyError(
                f"day {day}: {name} gave {lever!r} {hours!r} hours; hours must be a number"
            ) from None
        if not math.isfinite(h) or h < 0:
            raise StrategyError(
                f"day {day}: {name} gave {lever!r} {hours!r} hours; hours must be finite and >= 0"
            )
        out[LEVERS.index(lever)] = h
    total = float(out.sum())
    if total > budget * (1 + 1e-9) + 1e-9:
        detail = ", ".join(f"{k}={v:g}" for k, v in zip(LEVERS, out, strict=True) if v)
        raise StrategyError(
            f"day {day}: {name} allocated {total:g} hours ({detail}), more than the team's weekly "
            f"budget of {budget:g} (manager.count x manager.hours)"
        )
    return out
