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
import json
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import ipywidgets as w

from cmsim.game import Game
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

    def unfinished(self, name: str) -> list[Path]:
        """Records in the room's folder of an unfinished game of ``name`` in the room's game."""
        folder = self.settings.get("save_to")
        if folder is None or not Path(folder).is_dir():
            return []
        fresh = Game(self.settings.get("scenario"), self.settings.get("weeks"), self.settings.get("seed"),
                     self.settings.get("exercise"), self.settings.get("members")).record()  # fmt: skip
        same = ("scenario", "exercise", "seed", "weeks", "members", "overrides")
        found = []
        for path in sorted(Path(folder).glob("*.json")):
            try:
                rec = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if (isinstance(rec, dict) and rec.get("player") == name and not rec.get("finished")
                    and all(rec.get(k) == fresh[k] for k in same)):  # fmt: skip
                found.append(path)
        return found

    def start(self, name: str, new: bool = False) -> ManagerGame | None:
        """Start the game of the trainee ``name`` (a name is required); returns the game.

        If the folder holds an unfinished game of the same name (a tab closed or reloaded by
        mistake), the page asks whether to continue it or start a new one, and this returns
        ``None``; ``new=True`` starts a new game without asking, :meth:`resume` continues one.
        """
        name = name.strip()
        if not name:
            self._msg.value = "<span style='color:#b00020'>Type your name first.</span>"
            return None
        if self.game is not None:
            return self.game
        left = [] if new else self.unfinished(name)
        if left:
            rec = json.loads(left[-1].read_text(encoding="utf-8"))
            week = len(rec.get("choices", []))
            self._msg.value = (f"<p>{html.escape(name)}, you have an unfinished game here (week {week} of "
                               f"{rec.get('weeks')} played). Continue it, or start a new one?</p>")  # fmt: skip
            cont = w.Button(description="Continue my game", button_style="primary")
            cont.on_click(lambda _b: self.resume(left[-1]))
            fresh = w.Button(description="Start a new game")
            fresh.on_click(lambda _b: self.start(name, new=True))
            self.widget.children = [*self.widget.children[:3], w.HBox([cont, fresh])]
            return None
        self.game = ManagerGame(player=name, **self.settings)
        path = self.game.record_path
        if path is not None:  # two tabs with the same name in the same second must not share a file
            self.game.record_path = path.with_name(f"{path.stem}_{secrets.token_hex(3)}{path.suffix}")
        self._show(name)
        return self.game

    def resume(self, path: str | Path) -> ManagerGame:
        """Continue the game of a record file (replayed to where it stopped), saving to the same file."""
        if self.game is not None:
            return self.game
        game = Game.load(path)
        folder = self.settings.get("save_to")
        self.game = ManagerGame(game=game, save_to=folder)
        self.game.record_path = Path(path)
        self._show(game.player)
        return self.game

    def _show(self, name: str) -> None:
        who = w.HTML(f"<p class='cmsim-player'>Player: <b>{html.escape(name)}</b></p>")
        assert self.game is not None  # (called once a game is made or loaded)
        self.widget.children = [who, self.game.widget]

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)
