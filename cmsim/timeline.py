"""Scenario events and one-off interventions, laid out as a day-by-day timeline array.

Events come from the scenario (``events:``); interventions are added to a run by its user
(a ban wave, a welcome campaign, an AMA event, a strategy switch). Both are drawn on plots.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from cmsim._kernels import layout as L
from cmsim.errors import ArgumentError, ScenarioError
from cmsim.parameters import INTERVENTION_TYPES

__all__ = ["Intervention", "build_timeline", "as_interventions", "schedule"]

#: Attendance chance of an AMA event when an intervention gives no value.
AMA_DEFAULT_REACH = 0.3


@dataclass(frozen=True)
class Intervention:
    """A one-off action on a given day.

    Parameters
    ----------
    day : int
        Day of the action (0 = first simulated day).
    kind : {"ban_wave", "welcome_campaign", "ama_event", "switch_strategy"}
        ``ban_wave``: moderation reviews every active troll and spammer that day.
        ``welcome_campaign``: every visiting newcomer is welcomed and every member at risk is
        contacted that day. ``ama_event``: a big event; ``value`` is the chance a visitor
        attends (default 0.3). ``switch_strategy``: from that day on, ``strategy`` runs.
    value : float, optional
    strategy : optional
        Anything ``cmsim.simulate`` accepts as a strategy (for ``switch_strategy``).

    Examples
    --------
    >>> Intervention(30, "ban_wave")
    Intervention(day=30, kind='ban_wave', value=None, strategy=None)
    """

    day: int
    kind: str
    value: float | None = None
    strategy: Any = None

    def __post_init__(self) -> None:
        if self.kind not in INTERVENTION_TYPES:
            allowed = ", ".join(INTERVENTION_TYPES)
            raise ScenarioError(f"the 'kind' of an intervention must be one of {allowed}; got {self.kind!r}")
        if not isinstance(self.day, (int, np.integer)) or isinstance(self.day, bool) or self.day < 0:
            raise ScenarioError(f"the 'day' of an intervention must be an integer >= 0; got {self.day!r}")
        if self.kind == "switch_strategy" and self.strategy is None:
            raise ScenarioError(f"a switch_strategy intervention on day {self.day} needs a 'strategy'")
        if self.value is not None and not (0.0 <= float(self.value) <= 1.0):
            raise ScenarioError(f"the 'value' of an intervention must be in [0, 1]; got {self.value!r}")

    @property
    def label(self) -> str:
        """Short text for plots."""
        if self.kind == "switch_strategy":
            if isinstance(self.strategy, str):
                name = self.strategy
            elif isinstance(self.strategy, Mapping):
                name = "fixed hours"
            else:
                name = getattr(self.strategy, "name", getattr(self.strategy, "__name__", "custom"))
            return f"switch to {name}"
        return self.kind.replace("_", " ")


def as_interventions(items: Iterable[Any] | None) -> list[Intervention]:
    """Accept ``Intervention`` objects, mappings with the same fields, or ``(day, kind)`` pairs."""
    out: list[Intervention] = []
    for it in items or ():
        if isinstance(it, Intervention):
            out.append(it)
        elif isinstance(it, Mapping):
            out.append(Intervention(**dict(it)))
        else:
            out.append(Intervention(*it))
    return sorted(out, key=lambda x: x.day)


def schedule(interventions: Iterable[Intervention], intervention: Any, day: int) -> list[Intervention]:
    """Add one intervention to a run now at ``day``: it may not be in the past.

    Returns the new list, sorted by day (both engines then lay their timelines out again).
    """
    (iv,) = as_interventions([intervention])
    if iv.day < day:
        raise ArgumentError(f"the intervention's 'day' must be >= the current day {day}; got {iv.day}")
    return sorted([*interventions, iv], key=lambda x: x.day)


def build_timeline(values: Mapping[str, Any], events: Iterable[Mapping[str, Any]], days: int,
                   interventions: Iterable[Intervention] = ()) -> np.ndarray:  # fmt: skip
    """Lay the scenario's seasonality, events and the interventions out as ``float64[days, N_TL]``.

    Examples
    --------
    >>> tl = build_timeline({"platform.seasonality": 0.0, "platform.season_period": 365},
    ...                     [{"type": "troll_raid", "day": 2, "duration": 3, "magnitude": 5.0}], 10)
    >>> tl[:6, 2].tolist()
    [0.0, 0.0, 5.0, 5.0, 5.0, 0.0]
    """
    tl = np.zeros((days, L.N_TL))
    amp = float(values.get("platform.seasonality", 0.0))
    period = float(values.get("platform.season_period", 365))
    t = np.arange(days)
    tl[:, L.TL_SEASON] = 1.0 + amp * np.sin(2.0 * math.pi * t / period)
    for ev in events:
        day, dur, mag = int(ev["day"]), int(ev.get("duration", 1)), float(ev.get("magnitude", 0.0))
        if day >= days:
            continue
        span = slice(day, min(days, day + dur))
        kind = ev["type"]
        if kind == "algorithm_change":
            tl[day, L.TL_ALGO] += mag
        elif kind == "troll_raid":
            tl[span, L.TL_RAID] += mag
        elif kind == "product_crisis":
            tl[span, L.TL_CRISIS] = np.maximum(tl[span, L.TL_CRISIS], mag)
            tl[day, L.TL_CRISIS_SHOCK] += mag
        elif kind == "viral_spike":
            tl[span, L.TL_VIRAL] += mag
        elif kind == "competitor_launch":
            tl[span, L.TL_COMPETITOR] += mag
        elif kind == "new_channel":
            tl[span, L.TL_CHANNEL] += mag
    for iv in interventions:
        if iv.day >= days:
            continue
        if iv.kind == "ban_wave":
            tl[iv.day, L.TL_BAN_WAVE] = 1.0
        elif iv.kind == "welcome_campaign":
            tl[iv.day, L.TL_WELCOME_CAMPAIGN] = 1.0
        elif iv.kind == "ama_event":
            tl[iv.day, L.TL_AMA] = AMA_DEFAULT_REACH if iv.value is None else float(iv.value)
    return tl
