"""The manager's plan of a run: the strategy, the allocation in force and the interventions.

Both engines hold one :class:`Plan` (``Simulation.plan``, ``CommunityModel.plan``) and ask it, at
the start of each day, which hours per lever are in force: a ``switch_strategy`` intervention
switches strategy on its day, and at the start of each week (days 0, 7, 14...) the strategy
allocates the week's hours, unless the user fixed an allocation. The engines differ only in how
they simulate the days in between.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

from cmsim.parameters import LEVERS
from cmsim.scenario import Scenario
from cmsim.strategies import (
    FixedStrategy,
    Observation,
    ShareStrategy,
    StrategyLike,
    as_strategy,
    strategy_name,
    validate_allocation,
)
from cmsim.timeline import Intervention, schedule

__all__ = ["Plan", "event_labels"]

#: Strategies whose weekly hours read nothing but the budget: the same every week.
_STATIC = (FixedStrategy, ShareStrategy)


class Plan:
    """Strategy, allocation and interventions of one run.

    Parameters
    ----------
    strategy : str, mapping, callable or object
        Anything :func:`cmsim.simulate` accepts as a strategy.
    interventions : iterable of Intervention
        Already checked (see :func:`cmsim.timeline.as_interventions`), sorted by day.
    budget : float
        The team's weekly hours (``manager.count * manager.hours``).

    Examples
    --------
    >>> plan = Plan("balanced", [], 30.0)
    >>> plan.start_day(0, lambda: {"budget": 30.0})
    True
    >>> round(plan.allocation["moderation"], 6)
    6.0
    >>> plan.start_day(3, lambda: {"budget": 30.0}), plan.stop(3, 28)
    (False, 28)

    A fixed share of the hours stays all run; a strategy that reads the dashboard allocates
    again each week:

    >>> from cmsim.strategies import observe
    >>> adaptive = Plan("data_driven", [], 30.0)
    >>> adaptive.start_day(0, lambda: observe(np.zeros((0, 60)), 0, 30.0))
    True
    >>> adaptive.stop(0, 28)
    7
    """

    def __init__(self, strategy: StrategyLike, interventions: Iterable[Intervention], budget: float) -> None:
        self.budget = float(budget)
        self.interventions: list[Intervention] = list(interventions)
        self.hours = np.zeros(len(LEVERS))
        self._fixed: np.ndarray | None = None
        self._week = -1
        self._switched: set[int] = set()
        self.set_strategy(strategy)

    @property
    def allocation(self) -> dict[str, float]:
        """The hours per lever in force now."""
        return dict(zip(LEVERS, self.hours.tolist(), strict=True))

    def set_strategy(self, strategy: StrategyLike) -> None:
        """Use ``strategy`` from now on (it allocates at the start of the next day, then every week)."""
        self.strategy = as_strategy(strategy)
        self.strategy_name = strategy_name(strategy, self.strategy)
        self._fixed = None
        self._week = -1

    def set_allocation(self, hours: Mapping[str, float], day: int) -> None:
        """Fix the hours per lever from ``day`` on, until changed again."""
        self._fixed = validate_allocation(hours, self.budget, day, "the allocation")
        self.hours = self._fixed.copy()
        self._week = day // 7

    def add(self, intervention: Intervention | tuple | Mapping, day: int) -> None:
        """Schedule a one-off action on ``day`` or later (the engine lays its timeline out again)."""
        self.interventions = schedule(self.interventions, intervention, day)

    def start_day(self, day: int, observe: Callable[[], Observation]) -> bool:
        """Switch strategy on its day; at the start of each week the strategy allocates the week's
        hours from ``observe()``. Returns True when the strategy allocated."""
        for iv in self.interventions:
            if iv.kind == "switch_strategy" and iv.day == day and day not in self._switched:
                self._switched.add(day)
                self.set_strategy(iv.strategy)
        week = day // 7
        if self._fixed is not None or self._week == week:
            return False
        # A strategy of fixed hours or shares reads nothing but the budget: spare it the
        # dashboard (a few milliseconds a week, a third of a small run's time).
        static = type(self.strategy) in _STATIC
        alloc = self.strategy.allocate({"budget": self.budget} if static else observe())
        self.hours = validate_allocation(alloc, self.budget, day, f"strategy {self.strategy_name!r}")
        self._week = week
        return True

    def stop(self, day: int, end: int) -> int:
        """The first day after ``day`` (at most ``end``) on which the plan may change: a strategy
        switch, or the next week's start if the strategy reads the dashboard (the hours of a
        fixed allocation, or of a strategy of fixed hours or shares, stay as they are)."""
        fixed = self._fixed is not None or (self._week >= 0 and type(self.strategy) in _STATIC)
        stop = end if fixed else min(end, (day // 7 + 1) * 7)
        for iv in self.interventions:
            if iv.kind == "switch_strategy" and day < iv.day < stop:
                stop = iv.day
        return stop


def event_labels(
    scenario: Scenario, interventions: Iterable[Intervention], days: int
) -> list[dict[str, Any]]:
    """The scenario's events and the interventions before ``days`` as ``{day, label}``, by day."""
    events = [
        {"day": int(e["day"]), "label": e["type"].replace("_", " ")}
        for e in scenario.events
        if int(e["day"]) < days
    ]
    events += [{"day": iv.day, "label": iv.label} for iv in interventions if iv.day < days]
    return sorted(events, key=lambda e: e["day"])
