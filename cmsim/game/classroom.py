"""A classroom's debrief: a folder of game records, their ranking, paths and separating decisions.

A trainer collects every trainee's record in one folder (``make game RECORDS=folder`` or
``ManagerGame(save_to=folder)``) and reads it back with :func:`load_records`. The records of one
game (same scenario or exercise, seed, weeks and size) share their luck (common random numbers),
so their scores differ only by the trainees' decisions; :func:`ranking` ranks them,
:func:`paths` draws each trainee's community against the built-in strategies day by day, and
:func:`separating_decisions` says what the best third did differently from the rest. No
plotting here: ``notebooks/08_classroom_debrief.ipynb`` draws these tables.
"""

from __future__ import annotations

import json
import math
import warnings
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cmsim.errors import CmsimError
from cmsim.game.core import RECORD_FORMAT, Game
from cmsim.game.scoring import game_metrics
from cmsim.parameters import LEVERS
from cmsim.simulation import Simulation
from cmsim.strategies import BUILTIN

__all__ = [
    "Entry", "Records", "Separation", "builtin_scores", "load_records", "paths", "ranking", "read_record",
    "separating_decisions",
]  # fmt: skip

#: Keys every record must have, with the type each value must be (the rest are optional).
REQUIRED: dict[str, type | tuple[type, ...]] = {
    "player": str, "seed": int, "weeks": int, "choices": list, "scenario": (str, dict),
}  # fmt: skip


@dataclass
class Entry:
    """One trainee's game read from a record file.

    ``game`` is the record replayed (:meth:`Game.from_record`), so every number the debrief shows
    is recomputed by this model; ``label`` names the game the record belongs to (records with the
    same label are comparable).
    """

    path: Path
    player: str
    game: Game
    label: str

    @property
    def finished(self) -> bool:
        """Whether every week of the game was played."""
        return self.game.done

    @property
    def score(self) -> float:
        """The replayed score of the weeks played (NaN when none is played)."""
        return self.game.score() if self.game.week else math.nan


class Records(list):
    """The entries of a folder (a list of :class:`Entry`), and the files that could not be read.

    ``problems`` holds one line per file skipped (file, key, value, what is allowed).
    """

    def __init__(self, entries: Sequence[Entry] = (), problems: Sequence[str] = ()) -> None:
        super().__init__(entries)
        self.problems = list(problems)

    def labels(self) -> Counter:
        """How many records each game (label) has."""
        return Counter(e.label for e in self)

    def of(self, label: str | None = None) -> Records:
        """The records of one game: ``label``, or the game most records belong to."""
        if not self:
            return Records()
        label = label if label is not None else self.labels().most_common(1)[0][0]
        return Records([e for e in self if e.label == label], self.problems)


def _label(rec: dict[str, Any]) -> str:
    what = rec.get("exercise") or (rec["scenario"] if isinstance(rec["scenario"], str) else "custom scenario")
    size = f", {rec['members']} members" if rec.get("members") else ""
    return f"{what}, seed {rec['seed']}, {rec['weeks']} weeks{size}"


def read_record(path: str | Path) -> Entry:
    """Read and replay one record file; a bad file raises :class:`~cmsim.CmsimError` in one line."""
    path = Path(path)
    try:
        rec = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise CmsimError(f"{path}: not a text file; a game record is JSON") from None
    except json.JSONDecodeError as e:
        raise CmsimError(f"{path}:{e.lineno}: invalid JSON: {e.msg}") from None
    if not isinstance(rec, dict) or rec.get("format") != RECORD_FORMAT:
        got = rec.get("format") if isinstance(rec, dict) else type(rec).__name__
        raise CmsimError(f"{path}: 'format' is {got!r}, must be {RECORD_FORMAT!r}: this is not a game record")
    for key, kind in REQUIRED.items():
        value = rec.get(key)
        if isinstance(value, bool) or not isinstance(value, kind):
            names = " or ".join(k.__name__ for k in (kind if isinstance(kind, tuple) else (kind,)))
            raise CmsimError(f"{path}: '{key}' is {value!r}, must be a {names}")
    for i, c in enumerate(rec["choices"]):
        if not isinstance(c, dict) or not isinstance(c.get("hours"), dict):
            raise CmsimError(
                f"{path}: 'choices'[{i}] is {c!r}, must be {{'week': n, 'hours': {{lever: hours}}}}"
            )
    if len(rec["choices"]) > rec["weeks"]:
        raise CmsimError(
            f"{path}: 'choices' has {len(rec['choices'])} weeks, more than 'weeks' = {rec['weeks']}"
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # a replay that differs from the saved score is a bad file
            game = Game.from_record(rec, where=str(path))
    except UserWarning as w:
        raise CmsimError(str(w)) from None
    except CmsimError as e:
        raise CmsimError(f"{path}: {e}" if str(path) not in str(e) else str(e)) from None
    except (KeyError, TypeError, ValueError) as e:
        raise CmsimError(f"{path}: cannot replay this record ({type(e).__name__}: {e})") from None
    return Entry(path, rec["player"] or path.stem, game, _label(rec))


def load_records(folder: str | Path, strict: bool = True) -> Records:
    """Every game record (``*.json``) in ``folder``, replayed, in file-name order.

    Parameters
    ----------
    folder : str or path
        The folder the trainees' games were saved to.
    strict : bool
        True: the first bad file raises :class:`~cmsim.CmsimError` (one line naming the file, the
        key and its value). False: bad files are skipped and their lines kept in
        :attr:`Records.problems`, so one broken file does not stop a class's debrief.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise CmsimError(f"{folder}: no such folder (the records folder the game saved to)")
    entries, problems = [], []
    for path in sorted(folder.glob("*.json")):
        try:
            entries.append(read_record(path))
        except CmsimError as e:
            if strict:
                raise
            problems.append(str(e))
    return Records(entries, problems)


def _one_game(records: Sequence[Entry]) -> None:
    labels = sorted({e.label for e in records})
    if len(labels) > 1:
        raise CmsimError(f"these records belong to {len(labels)} different games ({'; '.join(labels)}): "
                         f"compare one at a time, e.g. records.of(label)")  # fmt: skip


def ranking(records: Sequence[Entry]) -> pd.DataFrame:
    """Trainees ranked by their replayed score, per game.

    One row per record: ``rank`` (1 = best within its game; ties share the best rank; empty for
    a game not finished), ``player``, ``score``, ``weeks_played``, ``finished``, ``game`` and
    ``file``. Finished games come first, by score, highest first.
    """
    rows = [{"player": e.player, "score": e.score, "weeks_played": e.game.week, "weeks": e.game.weeks,
             "finished": e.finished, "game": e.label, "file": e.path.name} for e in records]  # fmt: skip
    cols = ["rank", "player", "score", "weeks_played", "weeks", "finished", "game", "file"]
    if not rows:
        return pd.DataFrame(columns=cols)
    table = pd.DataFrame(rows)
    done = table["finished"]
    ranks = table[done].groupby("game")["score"].rank(ascending=False, method="min")
    table["rank"] = pd.array([pd.NA] * len(table), dtype="Int64")
    table.loc[done, "rank"] = ranks.astype(int)
    table = table.sort_values(["finished", "score"], ascending=[False, False], kind="stable")
    return table[cols].reset_index(drop=True)


def paths(records: Sequence[Entry], metric: str = "members", builtins: bool = True) -> pd.DataFrame:
    """Each trainee's community day by day, against every built-in strategy on the same seed.

    Returns a table indexed by ``day`` with one column per trainee (its player name; a repeated
    name gets ``(2)``...) and, with ``builtins``, one per built-in strategy over the game's full
    length. ``metric`` is a column of :attr:`cmsim.Run.daily` (``members``, ``dau``,
    ``mean_satisfaction``, ``toxic_posts``...). The records must belong to one game.
    """
    if not records:
        raise CmsimError("no records to draw: the folder has no game record")
    _one_game(records)
    first = records[0].game
    daily = first.result().daily
    if metric not in daily.columns:
        raise CmsimError(
            f"paths: metric {metric!r} is not a daily column; allowed: {', '.join(daily.columns)}"
        )
    out: dict[str, pd.Series] = {}
    for e in records:
        name, k = e.player, 2
        while name in out:
            name, k = f"{e.player} ({k})", k + 1
        out[name] = e.game.result().daily[metric]
    if builtins:
        for s in BUILTIN:
            run = Simulation(
                first.scenario, s, seed=first.seed, members=first.members, days=7 * first.weeks
            ).run()
            out[s] = run.daily[metric]
    table = pd.DataFrame(out)
    table.index.name = "day"
    return table


@dataclass
class Separation:
    """What the best trainees did differently (see :func:`separating_decisions`)."""

    top: list[str]
    rest: list[str]
    levers: pd.DataFrame
    phases: pd.DataFrame
    weeks: pd.DataFrame


def separating_decisions(records: Sequence[Entry], top_share: float = 1 / 3) -> Separation:
    """The decisions that separated the best from the rest, in hours per lever.

    The finished games of one game are ranked; the ``top`` are the best ``ceil(top_share * n)``
    (at least one), the ``rest`` the others (at least one: two finished games are needed).

    Returns a :class:`Separation` with three tables:

    - ``levers``: mean weekly hours per lever of the top and of the rest, and ``difference``
      (top - rest), sorted by the size of the difference;
    - ``phases``: the same difference per phase of the game (``early``, ``middle``, ``late``:
      the weeks split in three as evenly as possible), one row per lever, one column per phase;
    - ``weeks``: for each week, ``hours_apart`` (half the summed absolute difference between the
      top's and the rest's mean hours: the hours the rest would have had to move to plan like
      the top) and the lever that differed most, weeks that differed most first.
    """
    done = [e for e in records if e.finished]
    _one_game(done)
    if len(done) < 2:
        raise CmsimError(f"separating decisions needs at least 2 finished games; got {len(done)}")
    ordered = sorted(done, key=lambda e: -e.score)
    n_top = min(len(done) - 1, max(1, math.ceil(top_share * len(done))))
    hours = np.array(
        [[[c[k] for k in LEVERS] for c in e.game.choices] for e in ordered]
    )  # (player, week, lever)
    return _separation(hours, n_top, [e.player for e in ordered])


def _separation(hours: np.ndarray, n_top: int, players: list[str]) -> Separation:
    """:func:`separating_decisions` on ``hours[player, week, lever]``, players best first."""
    top, rest = hours[:n_top], hours[n_top:]
    mean_top, mean_rest = top.mean(axis=(0, 1)), rest.mean(axis=(0, 1))
    levers = pd.DataFrame({"lever": list(LEVERS), "top": mean_top, "rest": mean_rest,
                           "difference": mean_top - mean_rest})  # fmt: skip
    order = levers["difference"].abs().sort_values(ascending=False, kind="stable").index
    levers = levers.loc[order].reset_index(drop=True)
    weeks = hours.shape[1]
    bounds = np.linspace(0, weeks, 4).round().astype(int)
    phases = pd.DataFrame({"lever": list(LEVERS)})
    for name, a, b in zip(("early", "middle", "late"), bounds[:-1], bounds[1:], strict=True):
        if b > a:
            phases[f"{name} (weeks {a + 1}-{b})"] = top[:, a:b].mean(axis=(0, 1)) - rest[:, a:b].mean(
                axis=(0, 1)
            )
    diff = top.mean(axis=0) - rest.mean(axis=0)  # (week, lever)
    rows = []
    for w in range(weeks):
        i = int(np.argmax(np.abs(diff[w])))
        rows.append({"week": w + 1, "hours_apart": 0.5 * float(np.abs(diff[w]).sum()), "lever": LEVERS[i],
                     "top_hours": float(top[:, w, i].mean()), "rest_hours": float(rest[:, w, i].mean())})  # fmt: skip
    table = pd.DataFrame(rows)
    table = table.loc[table["hours_apart"].sort_values(ascending=False, kind="stable").index].reset_index(
        drop=True
    )
    return Separation(players[:n_top], players[n_top:], levers, phases, table)


def builtin_scores(records: Sequence[Entry]) -> pd.DataFrame:
    """The score every built-in strategy gets on the records' game (same scenario, seed, weeks).

    One row per built-in, best first: ``strategy`` and ``score``, the yardstick of :func:`ranking`.
    """
    if not records:
        raise CmsimError("no records: the folder has no game record")
    _one_game(records)
    g = records[0].game
    rows = []
    for s in BUILTIN:
        run = Simulation(g.scenario, s, seed=g.seed, members=g.members, days=7 * g.weeks).run()
        rows.append({"strategy": s, "score": game_metrics(run, g.initial_members, g.scoring)["score"]})
    return pd.DataFrame(rows).sort_values("score", ascending=False, kind="stable").reset_index(drop=True)
