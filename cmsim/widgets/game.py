"""``ManagerGame``: the manager game as a notebook widget (the view of :class:`cmsim.game.Game`).

Each week the trainee reads the dashboard a manager sees, splits the team's hours over the eight
levers with sliders (the total shown against the budget) and plays the week. At the end the
debrief shows the score, the path against every built-in strategy on the same seed and the
weeks that mattered most. Everything the widget does is also a method (``allocate``,
``advance``, ``score``, ``save``, ``load``, ``debrief``), so a script or a test plays it too.
"""

from __future__ import annotations

import html
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import ipywidgets as w

from cmsim.errors import CmsimError
from cmsim.game import Game, against_builtins, week_effects
from cmsim.parameters import LEVERS
from cmsim.strategies import SHARES
from cmsim.widgets.game_figures import dashboard_svg, debrief_figure, png

__all__ = ["ManagerGame"]

_ROWS = (
    ("members", "Members", "{:,.0f}"),
    ("dau", "Visits (active member-days)", "{:,.0f}"),
    ("joins", "Joined", "{:,.0f}"),
    ("churned", "Left", "{:,.0f}"),
    ("posts", "Posts", "{:,.0f}"),
    ("toxic_posts", "Toxic posts", "{:,.0f}"),
    ("spam_posts", "Spam posts", "{:,.0f}"),
    ("questions", "Questions asked", "{:,.0f}"),
    ("questions_answered", "Questions answered", "{:,.0f}"),
    ("complaints", "Complaints", "{:,.0f}"),
    ("first_posts_unanswered", "First posts unanswered", "{:,.0f}"),
    ("mean_satisfaction", "Mean satisfaction (0-1)", "{:.2f}"),
    ("reach", "Platform reach", "{:.2f}"),
    ("manager_stress", "Your stress (0-1; burnout above the threshold)", "{:.2f}"),
)


class ManagerGame:
    """The manager game in a notebook: you are the community manager for ``weeks`` weeks.

    Parameters
    ----------
    scenario : str or Scenario, optional
        Default ``"forum"`` (or the exercise's scenario).
    weeks : int, optional
        Default 12 (or the exercise's).
    seed : int, optional
        Default 1 (or the exercise's): the same seed and choices always give the same game.
    exercise : str or path, optional
        A shipped exercise (``cmsim exercises``) or an exercise file.
    members : int, optional
        Community size at the start (default the scenario's).
    player : str
        The trainee's name, kept in the saved record.
    save_to : str or path, optional
        A folder (made if missing) where the game's record is written after every week played,
        as ``<player>_<exercise or scenario>_seed<seed>_<start time>.json``: a classroom collects
        every trainee's game there, finished or not.

    Examples
    --------
    >>> game = ManagerGame("forum", weeks=2, seed=1, members=300)
    >>> game.allocate({"moderation": 40})  # more than the 30 h budget: a one-line message
    day 0: your plan for week 1 allocated 40 hours (moderation=40), more than the team's weekly budget of 30 (manager.count x manager.hours)
    >>> game.allocate({"moderation": 10, "responding": 10, "welcoming": 10})
    >>> game.advance().week
    1
    """

    def __init__(
        self,
        scenario: Any = None,
        weeks: int | None = None,
        seed: int | None = None,
        exercise: Any = None,
        members: int | None = None,
        player: str = "",
        *,
        save_to: str | Path | None = None,
        game: Game | None = None,
    ) -> None:
        self.game = game if game is not None else Game(scenario, weeks, seed, exercise, members, player)
        self.record_path: Path | None = None
        if save_to is not None:
            g = self.game
            what = g.exercise.name if g.exercise else g.scenario.name
            stamp = g.started.replace(":", "").replace("-", "").replace("+0000", "Z")
            name = "".join(c if c.isalnum() or c in "-_" else "_" for c in (g.player or "player"))
            self.record_path = Path(save_to) / f"{name}_{what}_seed{g.seed}_{stamp}.json"
            self.record_path.parent.mkdir(parents=True, exist_ok=True)
        self.message = ""
        self.last_redraw_s = 0.0
        self._build()
        self._set_sliders(self.game.allocation)
        self._redraw()
        if self.game.done:
            self.debrief()

    # --- the API (what the buttons call) -------------------------------------------------------
    @property
    def week(self) -> int:
        """Weeks played."""
        return self.game.week

    @property
    def weeks(self) -> int:
        """Weeks in the game."""
        return self.game.weeks

    @property
    def done(self) -> bool:
        """Whether every week is played."""
        return self.game.done

    @property
    def dashboard(self) -> dict[str, float]:
        """Last week's dashboard, as shown (noisy unless analytics measures it)."""
        return self.game.dashboard

    def allocate(self, hours: Mapping[str, float]) -> None:
        """Split next week's hours. A mistake (unknown lever, over the budget) is shown as one line
        in the game and printed, not raised; the allocation then stays as it was and
        :attr:`message` holds the line (it is empty after an allocation that was taken)."""
        try:
            self.game.allocate(hours)
        except CmsimError as e:
            self._say(str(e), error=True)
            print(self.message)
            return
        self._set_sliders(self.game.allocation)
        self._say("")

    def advance(self) -> ManagerGame:
        """Play one week with the current allocation, redraw the dashboard; the debrief at the end."""
        if self.game.done:
            self._say(f"the game is over: all {self.game.weeks} weeks are played", error=True)
            return self
        self.game.advance()
        if self.record_path is not None:
            self.game.save(self.record_path)
        self._redraw()
        self._say("")
        if self.game.done:
            self.debrief()
        return self

    def score(self) -> float:
        """The score of the weeks played (0-100; ``docs/teaching.md``)."""
        return self.game.score()

    def breakdown(self) -> dict[str, float]:
        """The score's parts (points per health component, penalties)."""
        return self.game.breakdown()

    def goal(self) -> tuple[bool, list[str]]:
        """Whether the exercise's goal is met and why (one line per check)."""
        return self.game.goal()

    def verdict(self) -> str:
        """Whether the goal is met and why, in words (or what is left to play)."""
        return self.game.verdict()

    def save(self, path: str | Path) -> Path:
        """Save the game's record (JSON) for the debrief or a replay."""
        return self.game.save(path)

    @classmethod
    def load(cls, path: str | Path) -> ManagerGame:
        """A game replayed from a saved record, at the week it was saved."""
        return cls(game=Game.load(path))

    def debrief(self) -> dict[str, Any]:
        """The end-of-game debrief: score, your path against every built-in, the weeks that
        mattered; shown in the widget and returned as ``{"builtins", "weeks", "figure"}``."""
        table, daily = against_builtins(self.game)
        effects = week_effects(self.game)
        columns = self.game.exercise.debrief_charts if self.game.exercise else ("members", "toxic_posts")
        fig = debrief_figure(daily, columns, effects)
        self._debrief_image.value = png(fig)
        met, why = self.game.goal()
        you = table.iloc[0]
        best = table.iloc[1]
        lines = [f"<h3>Your score: {you['score']:.1f} (rank {int(you['rank'])} of {len(table)})</h3>"]
        lines.append(f"<p>Best built-in on the same seed: <b>{html.escape(best['strategy'])}</b> "
                     f"with {best['score']:.1f}.</p>")  # fmt: skip
        if self.game.exercise is not None:
            verdict = "Goal met" if met else "Goal missed"
            lines.append(f"<p><b>{verdict}</b>:<br>" + "<br>".join(html.escape(x) for x in why) + "</p>")
        parts = self.game.breakdown()
        lines.append(
            "<p>Score: " + ", ".join(f"{k} {v:+.1f}" for k, v in parts.items() if k != "score") + "</p>"
        )
        top = effects.iloc[0]
        lines.append(f"<p>The week that mattered most: week {int(top['week'])} ({html.escape(top['your_hours'])}): "
                     f"{top['effect']:+.1f} points against a balanced week.</p>")  # fmt: skip
        cols = [
            "strategy",
            "score",
            "health_index",
            "final_members",
            "toxic_share",
            "answered_share",
            "burnout_days",
        ]
        lines.append(
            table[cols].to_html(
                index=False,
                float_format=lambda v: f"{v:,.0f}" if abs(v) >= 100 else f"{v:.3g}",
                classes="cmsim-debrief",
            )
        )
        self._debrief_text.value = "\n".join(lines)
        self._debrief.layout.display = None
        return {"builtins": table, "weeks": effects, "figure": fig}

    # --- the view -------------------------------------------------------------------------------
    def _build(self) -> None:
        g = self.game
        ex = g.exercise
        head = f"<h3>{html.escape(ex.title if ex else 'The manager game')}</h3>"
        if ex:
            head += f"<p>{html.escape(ex.goal)}</p>"
        head += (f"<p>Scenario <b>{html.escape(g.scenario.name)}</b>, {g.initial_members:,} members, "
                 f"{g.budget:g} hours a week for the team, seed {g.seed}.</p>")  # fmt: skip
        self._head = w.HTML(head)
        self._week = w.HTML()
        self._event_weeks = [int(e["day"]) // 7 + 1 for e in g.scenario.events if int(e["day"]) < 7 * g.weeks]
        step = 0.1  # the built-in shares of 30 h (2.4, 1.8 h) fall on it
        self._sliders = {
            k: w.FloatSlider(value=0.0, min=0.0, max=g.budget, step=step, description=k.replace("_", " "),
                             continuous_update=False, readout_format=".1f",
                             style={"description_width": "90px"}, layout=w.Layout(width="340px"))
            for k in LEVERS
        }  # fmt: skip
        for s in self._sliders.values():
            s.observe(self._on_slider, names="value")
        self._total = w.HTML()
        self._play = w.Button(description="Play this week", button_style="primary", icon="play")
        self._play.on_click(lambda _b: self._on_play())
        self._balanced = w.Button(description="Balanced split")
        self._balanced.on_click(
            lambda _b: self._set_sliders({k: SHARES["balanced"][k] * g.budget for k in LEVERS})
        )
        self._msg = w.HTML()
        self._table = w.HTML()
        self._chart = w.HTML()
        self._debrief_text = w.HTML()
        self._debrief_image = w.Image(format="png")
        self._debrief = w.VBox([self._debrief_text, self._debrief_image], layout=w.Layout(display="none"))
        controls = w.VBox([w.HTML("<b>Next week's hours</b>"), *self._sliders.values(), self._total,
                           w.HBox([self._play, self._balanced]), self._msg])  # fmt: skip
        self.widget = w.VBox(
            [self._head, self._week, w.HBox([controls, w.VBox([self._table])]), self._chart, self._debrief]
        )
        self.widget.add_class("cmsim-manager-game")

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)

    def _slider_hours(self) -> dict[str, float]:
        return {k: float(s.value) for k, s in self._sliders.items()}

    def _set_sliders(self, hours: Mapping[str, float]) -> None:
        for k, s in self._sliders.items():
            s.value = round(float(hours.get(k, 0.0)) / s.step) * s.step
        self._on_slider()

    def _on_slider(self, _change: Any = None) -> None:
        total = sum(self._slider_hours().values())
        budget = self.game.budget
        over = total > budget + 1e-9
        colour = "#b00020" if over else "inherit"
        extra = (
            f": {total - budget:g} h over the budget"
            if over
            else f" ({budget - total:g} h unused)"
            if total < budget
            else ""
        )
        self._total.value = (
            f"<span style='color:{colour}'>Total <b>{total:g}</b> of {budget:g} hours{extra}</span>"
        )
        self._play.disabled = over or self.game.done

    def _on_play(self) -> None:
        self.allocate(self._slider_hours())
        if not self.message:
            self.advance()

    def _say(self, text: str, error: bool = False) -> None:
        self.message = " ".join(text.split())
        style = "color:#b00020" if error else ""
        self._msg.value = f"<span class='cmsim-message' style='{style}'>{html.escape(self.message)}</span>"

    def _redraw(self) -> None:
        t0 = time.perf_counter()
        g = self.game
        state = (
            f"All {g.weeks} weeks played: the debrief is below"
            if g.done
            else f"Week {g.week + 1} of {g.weeks}"
        )
        self._week.value = f"<h4 class='cmsim-week'>{state}</h4>"
        self._table.value = self._dashboard_html()
        self._chart.value = dashboard_svg(g.dashboards, g.weeks, self._event_weeks)
        self._play.description = "Game over" if g.done else f"Play week {g.week + 1}"
        self._on_slider()
        self.last_redraw_s = time.perf_counter() - t0

    def _dashboard_html(self) -> str:
        g = self.game
        if not g.dashboards:
            return "<p class='cmsim-dashboard'><i>No week played yet: set the hours and play week 1.</i></p>"
        now = g.dashboards[-1]
        before = g.dashboards[-2] if len(g.dashboards) > 1 else None
        rows = []
        for key, label, fmt in _ROWS:
            v = now.get(key, float("nan"))
            change = ""
            if (
                before is not None
                and v == v
                and before.get(key, float("nan")) == before.get(key, float("nan"))
            ):
                d = v - before[key]
                change = ("+" if d > 0 else "") + fmt.format(d) if d else "="
            rows.append(f"<tr><td>{label}</td><td style='text-align:right'>{fmt.format(v)}</td>"
                        f"<td style='text-align:right;color:#666'>{change}</td></tr>")  # fmt: skip
        return ("<table class='cmsim-dashboard'><tr><th>Last week (dashboard)</th><th>value</th><th>change</th></tr>"
                + "".join(rows) + "</table>")  # fmt: skip

    def __repr__(self) -> str:
        return f"ManagerGame({self.game!r})"
