"""The manager game's logic, without widgets: a community run week by week by a trainee.

:class:`Game` stands on :class:`cmsim.Simulation`: each week the trainee splits the team's hours
over the levers (:meth:`Game.allocate`), advances seven days (:meth:`Game.advance`) and reads the
dashboard a manager sees (:attr:`Game.dashboard`, noisy unless analytics hours measure it, the
rule of :mod:`cmsim.dashboard` that ``data_driven`` also sees). A game saves to a small JSON record
(:meth:`Game.save`) that :meth:`Game.load` replays to the same score; :mod:`cmsim.game.debrief`
compares the trainee's path with every built-in strategy on the same seed.
"""

from __future__ import annotations

import datetime as dt
import json
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cmsim.errors import CmsimError, ScenarioError, StrategyError
from cmsim.game.exercises import Exercise, load_exercise
from cmsim.game.scoring import game_metrics, score_breakdown
from cmsim.parameters import LEVERS
from cmsim.scenario import Scenario, list_scenarios, load_scenario
from cmsim.simulation import Simulation
from cmsim.strategies import SHARES, validate_allocation
from cmsim.version import MODEL_VERSION

__all__ = ["Game", "RECORD_FORMAT", "balanced_hours"]

#: ``format`` field of a game record; ``record_version`` is bumped when its fields change.
RECORD_FORMAT = "cmsim-game-record"
RECORD_VERSION = 1


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def balanced_hours(budget: float) -> dict[str, float]:
    """The ``balanced`` strategy's split of ``budget`` hours (the game's first-week default)."""
    return {k: SHARES["balanced"][k] * budget for k in LEVERS}


class Game:
    """One trainee's game: a community managed week by week.

    Parameters
    ----------
    scenario : str, Scenario or None
        A shipped scenario, a YAML path or a :class:`~cmsim.Scenario`; default ``"forum"``, or the
        exercise's scenario when ``exercise`` is given.
    weeks : int or None
        Weeks to play (default 12, or the exercise's).
    seed : int or None
        The run's seed (default the exercise's, else 1). The same seed and choices always give
        the same game.
    exercise : str, path or Exercise, optional
        A shipped exercise (``cmsim exercises``) or an exercise file: its scenario, overrides,
        weeks, scoring rule and goal.
    members : int, optional
        Community size at the start (default the scenario's).
    player : str
        The trainee's name, kept in the record.

    Examples
    --------
    >>> g = Game("forum", weeks=2, seed=3, members=300)
    >>> g.allocate({"moderation": 10, "responding": 10, "welcoming": 10})
    >>> g.advance().week
    1
    >>> g.advance().done
    True
    """

    def __init__(
        self,
        scenario: str | Path | Scenario | None = None,
        weeks: int | None = None,
        seed: int | None = None,
        exercise: str | Path | Exercise | None = None,
        members: int | None = None,
        player: str = "",
        *,
        overrides: Mapping[str, Any] | None = None,
    ) -> None:
        self.exercise: Exercise | None = load_exercise(exercise) if exercise is not None else None
        ex = self.exercise
        base: str | Path | Scenario = scenario if scenario is not None else (ex.scenario if ex else "forum")
        weeks = weeks if weeks is not None else (ex.weeks if ex else 12)
        if isinstance(weeks, bool) or not isinstance(weeks, int) or not 1 <= weeks <= 520:
            raise ScenarioError(f"the 'weeks' parameter must be an integer in [1, 520]; got {weeks!r}")
        self.weeks = int(weeks)
        self.seed = int(seed if seed is not None else (ex.seed if ex else 1))
        self.members = members
        self.player = str(player)
        extra = dict(ex.overrides) if ex and scenario is None else {}
        extra.update(overrides or {})
        self.overrides = extra
        self.scoring: dict[str, Any] = dict(ex.scoring) if ex else {}
        sc = load_scenario(base)
        # the record names a shipped scenario; any other is written out whole (values, events)
        shipped = isinstance(base, str) and base in list_scenarios()
        self._base: str | dict[str, Any] = str(base) if shipped else _frozen(sc)
        if extra:
            sc = sc.with_overrides(extra, source=ex.source if ex else "overrides")
        self.sim = Simulation(sc, "balanced", seed=self.seed, members=members, days=7 * self.weeks)
        self.scenario = self.sim.scenario
        self.initial_members = int(self.scenario["community.initial_members"])
        self.budget = self.sim.budget
        self.choices: list[dict[str, float]] = []
        self.decided: list[str] = []
        self.dashboards: list[dict[str, float]] = []
        self.started = _now()
        self.finished: str | None = None
        self._pending = balanced_hours(self.budget)

    # --- playing -------------------------------------------------------------------------------
    @property
    def week(self) -> int:
        """Weeks played so far."""
        return len(self.choices)

    @property
    def done(self) -> bool:
        """True once every week is played."""
        return self.week >= self.weeks

    @property
    def allocation(self) -> dict[str, float]:
        """The hours per lever the next week will use (last week's until changed)."""
        return dict(self._pending)

    @property
    def dashboard(self) -> dict[str, float]:
        """Last week's dashboard as the manager sees it (noisy: see :mod:`cmsim.dashboard`)."""
        return self.sim.observe()

    def allocate(self, hours: Mapping[str, float]) -> None:
        """Split next week's hours: ``{lever: hours}`` (levers left out get 0).

        Raises :class:`~cmsim.StrategyError` (one line) for an unknown lever, a negative number or
        more hours than the team's weekly budget; the previous allocation then stays.
        """
        if self.done:
            raise CmsimError(f"the game is over: all {self.weeks} weeks are played")
        arr = validate_allocation(hours, self.budget, self.sim.day, f"your plan for week {self.week + 1}")
        self._pending = dict(zip(LEVERS, arr.tolist(), strict=True))

    def advance(self) -> Game:
        """Play one week with the current allocation. Returns ``self``."""
        if self.done:
            raise CmsimError(f"the game is over: all {self.weeks} weeks are played")
        self.sim.set_allocation(self._pending)
        self.sim.advance(7)
        self.choices.append(dict(self._pending))
        self.decided.append(_now())
        self.dashboards.append(self.sim.observe())
        if self.done:
            self.finished = _now()
        return self

    def play(self, plan: Any) -> Game:
        """Play the remaining weeks: ``plan`` is a list of allocations (one a week, the last one
        repeated) or a function ``f(week, dashboard) -> allocation``; an allocation may also be the
        name of a fixed built-in split (``"balanced"``, ``"absent"``...). Returns ``self``."""
        while not self.done:
            if callable(plan):
                alloc = plan(self.week, self.dashboard)
            else:
                alloc = plan[min(self.week, len(plan) - 1)]
            if isinstance(alloc, str):
                alloc = self._named(alloc)
            self.allocate(alloc)
            self.advance()
        return self

    def _named(self, name: str) -> dict[str, float]:
        """The hours of a fixed built-in split (``absent`` or a name of ``SHARES``) for this budget."""
        if name == "absent":
            return {}
        if name not in SHARES:
            allowed = ", ".join(["absent", *SHARES])
            raise StrategyError(f"a plan's week must be hours per lever or one of {allowed}; got {name!r}")
        return {k: SHARES[name][k] * self.budget for k in LEVERS}

    # --- results -------------------------------------------------------------------------------
    def result(self) -> Any:
        """The run so far (:class:`cmsim.Run`)."""
        return self.sim.result()

    def metrics(self) -> dict[str, float]:
        """Every metric of the weeks played (summary, score, derived: :mod:`cmsim.game.scoring`)."""
        return game_metrics(self.result(), self.initial_members, self.scoring)

    def breakdown(self) -> dict[str, float]:
        """The score's parts: points per health component, penalties, ``score``."""
        run = self.result()
        sat = float(run.daily["mean_satisfaction"].iloc[-1])
        return score_breakdown(run.summary, self.initial_members, sat, self.scoring)

    def score(self) -> float:
        """The score of the weeks played (0-100; definition in ``docs/teaching.md``)."""
        return self.breakdown()["score"]

    def goal(self) -> tuple[bool, list[str]]:
        """Whether the exercise's goal is met, and one line per check saying why.

        Without an exercise there is no goal: ``(True, [])``.
        """
        if self.exercise is None:
            return True, []
        m = self.metrics()
        lines, met = [], True
        for c in self.exercise.checks:
            ok = c.holds(m[c.metric])
            met &= ok
            why = f" ({c.why})" if c.why else ""
            lines.append(
                f"{'met' if ok else 'missed'}: {c.metric} = {m[c.metric]:.3g}, wanted {c.describe()}{why}"
            )
        return met, lines

    def verdict(self) -> str:
        """For a trainee: whether the goal is met and why, in a few lines (or what is left to play)."""
        name = self.exercise.title if self.exercise else "the game"
        if not self.done:
            return (f"{name}: week {self.week} of {self.weeks} played. Play the remaining weeks, then "
                    f"ask again.")  # fmt: skip
        head = f"{name}: score {self.score():.1f}."
        if self.exercise is None:
            return head + " (No exercise: no goal to check; compare with the built-ins in the debrief.)"
        met, lines = self.goal()
        verdict = "Goal met" if met else "Goal missed"
        return "\n".join([f"{head} {verdict}.", *(f"  - {line}" for line in lines)])

    # --- records -------------------------------------------------------------------------------
    def record(self) -> dict[str, Any]:
        """The game as a plain dict (the JSON record of :meth:`save`)."""
        rec: dict[str, Any] = {
            "format": RECORD_FORMAT,
            "record_version": RECORD_VERSION,
            "model_version": MODEL_VERSION,
            "player": self.player,
            "scenario": self._base,
            "overrides": _plain(self.overrides),
            "exercise": self.exercise.name if self.exercise else None,
            "seed": self.seed,
            "weeks": self.weeks,
            "members": self.members,
            "budget": self.budget,
            "started": self.started,
            "finished": self.finished,
            "choices": [
                {"week": w + 1, "decided": self.decided[w], "hours": self.choices[w]}
                for w in range(self.week)
            ],  # fmt: skip
        }
        if self.week:
            b = self.breakdown()
            met, why = self.goal()
            rec.update(score=b["score"], score_breakdown=b, goal_met=met if self.exercise else None, goal=why)
        return rec

    def save(self, path: str | Path) -> Path:
        """Write the record as JSON to ``path``; returns the path."""
        path = Path(path)
        path.write_text(json.dumps(self.record(), indent=1, allow_nan=False) + "\n", encoding="utf-8")
        return path

    @classmethod
    def from_record(cls, record: Mapping[str, Any], where: str = "record") -> Game:
        """Replay a record (a dict like :meth:`record`'s): a game in the same state."""
        if not isinstance(record, Mapping) or record.get("format") != RECORD_FORMAT:
            raise CmsimError(f"{where}: 'format' must be {RECORD_FORMAT!r}: this is not a game record")
        base = record.get("scenario")
        if isinstance(base, Mapping):
            scenario: Any = Scenario(
                base["values"], name=base.get("name", "custom"), events=base.get("events", ())
            )
        else:
            scenario = base
        exercise = record.get("exercise")
        ex = None
        if exercise:
            try:
                ex = load_exercise(exercise)
            except ScenarioError:
                ex = None  # an exercise no longer shipped: replay its recorded scenario anyway
        game = cls(scenario, weeks=int(record["weeks"]), seed=int(record["seed"]), members=record.get("members"),
                   player=str(record.get("player", "")), overrides=record.get("overrides") or {})  # fmt: skip
        if ex is not None:
            game.exercise, game.scoring = ex, dict(ex.scoring)
        game.started = str(record.get("started", game.started))
        for i, choice in enumerate(record.get("choices", [])):
            game.allocate(choice["hours"])
            game.advance()
            game.decided[i] = str(choice.get("decided", game.decided[i]))
        game.finished = record.get("finished", game.finished)
        saved = record.get("score")
        if saved is not None and game.week and abs(game.score() - float(saved)) > 1e-9:
            version = record.get("model_version")
            reason = f"the record was made with model version {version}, this is {MODEL_VERSION}"
            if version == MODEL_VERSION:
                reason = "the scenario or exercise files changed since"
            warnings.warn(f"{where}: replayed score {game.score():.6g} differs from the saved {float(saved):.6g}: "
                          f"{reason}", stacklevel=2)  # fmt: skip
        return game

    @classmethod
    def load(cls, path: str | Path) -> Game:
        """Load a record written by :meth:`save` and replay it to the same state and score."""
        path = Path(path)
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise CmsimError(f"{path}: no such file") from None
        except json.JSONDecodeError as e:
            raise CmsimError(f"{path}:{e.lineno}: invalid JSON: {e.msg}") from None
        return cls.from_record(record, where=str(path))

    def plan(self) -> list[dict[str, float]]:
        """The trainee's choices so far, one allocation a week."""
        return [dict(c) for c in self.choices]

    def __repr__(self) -> str:
        ex = f", exercise={self.exercise.name!r}" if self.exercise else ""
        return f"Game({self.scenario.name!r}, week {self.week} of {self.weeks}, seed={self.seed}{ex})"


def _plain(value: Any) -> Any:
    """A JSON-ready copy of overrides (tuples to lists)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _frozen(sc: Scenario) -> dict[str, Any]:
    return {"name": sc.name, "values": dict(sc.values), "events": sc.events}
