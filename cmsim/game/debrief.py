"""The debrief of a played game: what would have happened, and which weeks mattered.

Every comparison replays the same scenario on the same seed (common random numbers): the only
difference between two runs is the hours, so a difference in score is the decisions' effect,
not luck.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from cmsim.errors import ArgumentError
from cmsim.game.scoring import game_metrics
from cmsim.parameters import LEVERS
from cmsim.simulation import Simulation
from cmsim.strategies import BUILTIN, SHARES

__all__ = ["against_builtins", "week_effects", "replay_plan", "DEBRIEF_METRICS"]

#: Metrics the debrief tables show besides the score.
DEBRIEF_METRICS: tuple[str, ...] = ("health_index", "final_members", "toxic_share", "answered_share",
                                    "final_satisfaction", "burnout_days")  # fmt: skip


def _sim(game: Any, strategy: Any = "balanced") -> Simulation:
    return Simulation(game.scenario, strategy, seed=game.seed, days=7 * game.week)


def replay_plan(game: Any, plan: list[dict[str, float]]) -> dict[str, float]:
    """The metrics of ``plan`` (one allocation a week) played on the game's scenario and seed."""
    sim = _sim(game)
    for hours in plan:
        sim.set_allocation(hours)
        sim.advance(7)
    return game_metrics(sim.result(), game.initial_members, game.scoring)


def _row(name: str, m: dict[str, float]) -> dict[str, Any]:
    return {"strategy": name, "score": m["score"], **{k: m[k] for k in DEBRIEF_METRICS}}


def against_builtins(game: Any) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """The trainee's weeks against every built-in strategy over the same weeks and seed.

    Returns ``(table, daily)``: one row per strategy (``you`` first, then the built-ins by
    score) with the score and :data:`DEBRIEF_METRICS`, and each run's daily table.
    """
    if game.week == 0:
        raise ArgumentError("nothing played yet: advance at least one week first")
    runs = {"you": game.result()}
    for name in BUILTIN:
        runs[name] = _sim(game, name).run()
    rows = [_row(n, game_metrics(r, game.initial_members, game.scoring)) for n, r in runs.items()]
    table = pd.DataFrame(rows)
    you, rest = table.iloc[:1], table.iloc[1:].sort_values("score", ascending=False)
    table = pd.concat([you, rest], ignore_index=True)
    table["rank"] = table["score"].rank(ascending=False, method="min").astype(int)
    return table, {n: r.daily for n, r in runs.items()}


def week_effects(game: Any, instead: str = "balanced") -> pd.DataFrame:
    """Which weeks mattered: the trainee's plan replayed with one week changed to ``instead``.

    One row per week played: the trainee's hours that week, the score with that week changed
    and ``effect`` = your score - that score (positive: your choice that week helped). Rows are
    ranked by the size of the effect, largest first.
    """
    if game.week == 0:
        raise ArgumentError("nothing played yet: advance at least one week first")
    plan = game.plan()
    mine = game.score()
    alt = {k: SHARES[instead][k] * game.budget for k in LEVERS}
    rows = []
    for w in range(len(plan)):
        changed = [*plan[:w], alt, *plan[w + 1 :]]
        score = replay_plan(game, changed)["score"]
        top = sorted(plan[w].items(), key=lambda kv: -kv[1])[:3]
        rows.append({
            "week": w + 1,
            "your_hours": ", ".join(f"{k} {v:g}" for k, v in top if v > 0) or "none",
            f"score_with_{instead}": score,
            "effect": mine - score,
        })  # fmt: skip
    table = pd.DataFrame(rows)
    order = table["effect"].abs().sort_values(ascending=False, kind="stable").index
    return table.loc[order].reset_index(drop=True)
