"""The vocabulary of scenarios: the levers, the community kinds, the event and intervention types,
and :class:`Param`, the record that declares one parameter (the declarations themselves are in
:mod:`cmsim.parameters`, which re-exports every name here).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = [
    "Param",
    "LEVERS",
    "KINDS",
    "STRATEGY_NAMES",
    "EVENT_TYPES",
    "EVENT_FIELDS",
    "INTERVENTION_TYPES",
    "HOURS_PER_WEEK",
]

#: Hours in a week: no allocation or budget may exceed it.
HOURS_PER_WEEK = 168.0

#: The eight levers a manager spends hours on, in the order used by every array in the kit.
LEVERS: tuple[str, ...] = (
    "moderation",
    "responding",
    "content",
    "welcoming",
    "events",
    "analytics",
    "learning",
    "self_care",
)

#: The community kinds of DOMAIN.md; each selects a graph generator.
KINDS: tuple[str, ...] = ("social_media", "forum", "customer", "internal")

#: The built-in strategies (``cmsim.strategies.BUILTIN`` describes them): the values of
#: ``manager.current_strategy``, the strategy a community was managed with before day 0.
STRATEGY_NAMES: tuple[str, ...] = (
    "absent", "balanced", "moderation_first", "content_first", "community_builder", "responsive", "data_driven",
)  # fmt: skip

#: Timeline events a scenario may schedule (``events:`` list).
EVENT_TYPES: tuple[str, ...] = (
    "algorithm_change",  # reach multiplied by (1 - magnitude), softened by the manager's learning
    "troll_raid",  # magnitude = trolls arriving per day per 1000 members, for `duration` days
    "product_crisis",  # complaint wave: satisfaction shock `magnitude` and complaint propensity x3
    "viral_spike",  # arrivals multiplied by (1 + magnitude) for `duration` days
    "competitor_launch",  # churn multiplied by (1 + magnitude), acquisition by 1/(1 + magnitude)
    "new_channel",  # a new channel: reach rises by magnitude only for managers who learned
)

#: One-off manager interventions that can be added to any run (see ``cmsim.Intervention``).
INTERVENTION_TYPES: tuple[str, ...] = ("ban_wave", "welcome_campaign", "ama_event", "switch_strategy")

#: Fields of one event: name -> (type, low, high, description).
EVENT_FIELDS: dict[str, tuple[str, float, float, str]] = {
    "day": ("int", 0, 36500, "day the event starts (0 = first simulated day)"),
    "duration": ("int", 1, 36500, "days the event lasts"),
    "magnitude": ("float", 0.0, 1000.0, "strength; meaning depends on the event type"),
}


@dataclass(frozen=True)
class Param:
    """One declared parameter.

    Attributes
    ----------
    key : str
        Dotted key, e.g. ``"members.visit_rate"``.
    default : int, float, str or bool
        Value used when a scenario does not set it.
    unit : str
        Unit in words (``"per day"``, ``"hours/week"``, ``"share"``, ``"members"``...).
    low, high : float or None
        Inclusive bounds for numbers; ``None`` means unbounded on that side.
    choices : tuple or None
        Allowed values for strings.
    doc : str
        One-line description.
    source : str
        Where the default comes from: a fact of DOMAIN.md, or ``"assumption"``.
    """

    key: str
    default: Any
    unit: str
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] | None = None
    doc: str = ""
    source: str = "assumption"

    @property
    def type(self) -> str:
        """``"int"``, ``"float"``, ``"str"`` or ``"bool"``."""
        d = self.default
        if isinstance(d, bool):
            return "bool"
        if isinstance(d, int):
            return "int"
        if isinstance(d, float):
            return "float"
        return "str"

    def allowed(self) -> str:
        """Human description of the allowed values, used in error messages."""
        if self.choices:
            return "one of " + ", ".join(repr(c) for c in self.choices)
        if self.type == "bool":
            return "true or false"
        fmt = (lambda v: str(int(v))) if self.type == "int" else (lambda v: f"{v:g}")
        lo = "-inf" if self.low is None else fmt(self.low)
        hi = "inf" if self.high is None else fmt(self.high)
        word = "an integer" if self.type == "int" else "a number"
        return f"{word} in [{lo}, {hi}]"


def declare(key, default, unit, low=None, high=None, doc="", choices=None, source="assumption") -> Param:
    """A :class:`Param` (positional order of the declarations in :mod:`cmsim.parameters`)."""
    return Param(key, default, unit, low, high, choices, doc, source)
