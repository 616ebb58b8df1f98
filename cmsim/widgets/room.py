"""The page a trainee sees in a served room (``make game``): a name, then their own game.

``make game`` serves ``dashboard/game.ipynb`` with Voilà, one kernel per browser tab; that
notebook shows :class:`GameRoom`. The trainer's choices reach each kernel as environment variables
(set by :mod:`cmsim.game.room`): ``CMSIM_GAME_RECORDS`` (the records folder), and optionally
``CMSIM_GAME_EXERCISE``, ``CMSIM_GAME_SCENARIO``, ``CMSIM_GAME_WEEKS``, ``CMSIM_GAME_SEED`` and
``CMSIM_GAME_MEMBERS``, so every trainee plays the same game and the debrief
(``notebooks/08_classroom_debrief.ipynb``) compares like with like.
"""

from __future__ import annotations

import html
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import ipywidgets as w

from cmsim.widgets.game import ManagerGame

__all__ = ["GameRoom", "settings_from_env"]


def settings_from_env(env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The game every trainee of the room plays, from the ``CMSIM_GAME_*`` variables."""
    env = os.environ if env is None else env
    out: dict[str, Any] = {"save_to": Path(env.get("CMSIM_GAME_RECORDS", "records"))}
    for key in ("exercise", "scenario"):
        if env.get(f"CMSIM_GAME_{key.upper()}"):
            out[key] = env[f"CMSIM_GAME_{key.upper()}"]
    for key in ("weeks", "seed", "members"):
        if env.get(f"CMSIM_GAME_{key.upper()}"):
            out[key] = int(env[f"CMSIM_GAME_{key.upper()}"])
    return out


class GameRoom:
    """A name box and a start button; then the trainee's own :class:`ManagerGame`, saved to the
    room's records folder after every week.

    Parameters
    ----------
    **settings
        :class:`ManagerGame`'s arguments (``scenario``, ``weeks``, ``seed``, ``exercise``,
        ``members``, ``save_to``); default :func:`settings_from_env`.
    """

    def __init__(self, **settings: Any) -> None:
        self.settings = settings or settings_from_env()
        self.game: ManagerGame | None = None
        self._name = w.Text(placeholder="your name", description="Your name", layout=w.Layout(width="360px"))
        self._start = w.Button(description="Start my game", button_style="primary", icon="play")
        self._start.on_click(lambda _b: self.start(self._name.value))
        self._msg = w.HTML()
        intro = w.HTML("<h2>The manager game</h2><p>You are the community manager. Type your name (it goes "
                       "with your game to the trainer's debrief) and start. Your game is yours alone: "
                       "other trainees in the room play their own.</p>")  # fmt: skip
        self.widget = w.VBox([intro, w.HBox([self._name, self._start]), self._msg])
        self.widget.add_class("cmsim-game-room")

    def start(self, name: str) -> ManagerGame | None:
        """Start the game of the trainee ``name`` (a name is required); returns the game."""
        name = name.strip()
        if not name:
            self._msg.value = "<span style='color:#b00020'>Type your name first.</span>"
            return None
        if self.game is not None:
            return self.game
        self.game = ManagerGame(player=name, **self.settings)
        path = self.game.record_path
        if path is not None:  # two tabs with the same name in the same second must not share a file
            self.game.record_path = path.with_name(f"{path.stem}_{secrets.token_hex(3)}{path.suffix}")
        who = w.HTML(f"<p class='cmsim-player'>Player: <b>{html.escape(name)}</b></p>")
        self.widget.children = [who, self.game.widget]
        return self.game

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)
