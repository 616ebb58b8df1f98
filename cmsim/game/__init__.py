"""The manager game without widgets: play, score, save, replay and debrief (see ``docs/teaching.md``).

``cmsim.widgets.ManagerGame`` is the notebook face of :class:`Game`; scripts, tests and a trainer
preparing a session play :class:`Game` directly.
"""

from __future__ import annotations

from cmsim.game.core import RECORD_FORMAT, Game, balanced_hours
from cmsim.game.debrief import against_builtins, replay_plan, week_effects
from cmsim.game.exercises import Check, Exercise, list_exercises, load_exercise
from cmsim.game.scoring import COMPONENTS, score_breakdown

__all__ = [
    "COMPONENTS",
    "Check",
    "Exercise",
    "Game",
    "RECORD_FORMAT",
    "against_builtins",
    "balanced_hours",
    "list_exercises",
    "load_exercise",
    "replay_plan",
    "score_breakdown",
    "week_effects",
]
