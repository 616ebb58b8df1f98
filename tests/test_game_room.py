"""The room's pieces without a browser: the trainee's page (GameRoom), the server's checks and the
``make game`` command line (only values given on make's command line count)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from cmsim.game.room import main
from cmsim.widgets.room import GameRoom, settings_from_env

REPO = Path(__file__).resolve().parents[1]


def test_the_page_asks_a_name_then_plays_and_saves_that_players_game(tmp_path) -> None:
    room = GameRoom(weeks=2, seed=5, members=300, save_to=tmp_path)
    assert room.start("   ") is None and "Type your name" in room._msg.value
    game = room.start("Zoë O'Neil")
    assert game is not None and game.game.player == "Zoë O'Neil"
    assert room.start("someone else") is game  # one game per page
    game.advance()
    (record,) = tmp_path.glob("*.json")
    saved = json.loads(record.read_text())
    assert saved["player"] == "Zoë O'Neil" and saved["seed"] == 5 and len(saved["choices"]) == 1


def test_a_reloaded_page_offers_to_continue_the_unfinished_game(tmp_path) -> None:
    first = GameRoom(weeks=3, seed=5, members=300, save_to=tmp_path).start("Ana")
    first.allocate({"moderation": 30})
    first.advance()
    room = GameRoom(weeks=3, seed=5, members=300, save_to=tmp_path)  # the tab reloaded
    assert room.unfinished("Ben") == [] and room.start("Ben ") is not None  # another name: a new game
    again = GameRoom(weeks=3, seed=5, members=300, save_to=tmp_path)
    assert again.start("Ana") is None and "unfinished game here (week 1 of 3" in again._msg.value
    game = again.resume(again.unfinished("Ana")[0])
    assert game.week == 1 and game.game.plan() == first.game.plan() and game.score() == first.score()
    game.advance()
    ana = [json.loads(f.read_text()) for f in tmp_path.glob("Ana_*.json")]
    assert len(ana) == 1 and len(ana[0]["choices"]) == 2  # the same file, one week more
    other = GameRoom(weeks=4, seed=5, members=300, save_to=tmp_path)  # another game: nothing to continue
    assert other.unfinished("Ana") == []
    assert GameRoom(weeks=3, seed=5, members=300, save_to=tmp_path).start("Ana", new=True) is not None


def test_two_pages_with_the_same_name_keep_their_own_records(tmp_path) -> None:
    games = [GameRoom(weeks=2, seed=5, members=300, save_to=tmp_path).start("Ana") for _ in range(2)]
    games[0].allocate({"moderation": 30})
    for g in games:
        g.advance()
    records = [json.loads(f.read_text()) for f in tmp_path.glob("*.json")]
    assert len(records) == 2 and {r["choices"][0]["hours"]["moderation"] for r in records} == {30.0, 6.0}


def test_without_a_token_one_is_generated_printed_and_required(monkeypatch, capsys, tmp_path) -> None:
    ran = {}
    monkeypatch.setattr(os, "execve", lambda exe, cmd, env: ran.update(cmd=cmd, env=env))
    assert main([f"--records={tmp_path / 'room'}", "--token="]) == 0
    out = capsys.readouterr().out
    token = next(a.split("=", 1)[1] for a in ran["cmd"] if a.startswith("--token="))
    assert len(token) >= 16 and f"http://127.0.0.1:8866/?token={token}" in out and "(generated" in out
    assert "--Voila.ip=127.0.0.1" in ran["cmd"] and ran["cmd"][3].endswith("dashboard/game.ipynb")
    assert (
        ran["env"]["CMSIM_GAME_RECORDS"] == str((tmp_path / "room").resolve())
        and (tmp_path / "room").is_dir()
    )
    assert "MPLBACKEND" not in ran["env"]


def test_the_rooms_game_comes_from_the_environment() -> None:
    env = {"CMSIM_GAME_RECORDS": "/r", "CMSIM_GAME_EXERCISE": "civil_growth", "CMSIM_GAME_WEEKS": "6",
           "CMSIM_GAME_SEED": "9", "CMSIM_GAME_SCENARIO": ""}  # fmt: skip
    assert settings_from_env(env) == {
        "save_to": Path("/r"),
        "exercise": "civil_growth",
        "weeks": 6,
        "seed": 9,
    }
    assert settings_from_env({}) == {"save_to": Path("records")}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--token=short"], "--token: 'short' is too short"),
        (["--token=          "], "is too short"),
        (["--token=longenough", "--exercise=nope"], "no such exercise 'nope'"),
        (["--token=longenough", "--weeks=0"], "'weeks' parameter must be an integer in [1, 520]"),
        (["--token=longenough", "--port=70000"], "--port: 70000 is not a port number"),
    ],
)
def test_bad_choices_are_one_line_and_exit_2(args, message, capsys, tmp_path) -> None:
    assert main([*args, f"--records={tmp_path}"]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def _make_n(*args: str, env: dict[str, str] | None = None) -> str:
    full = {**os.environ, **(env or {})}
    out = subprocess.run(
        ["make", "-s", "-n", "game", *args], cwd=REPO, env=full, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    return " ".join(out.stdout.replace("\\\n", " ").split())


def test_make_game_passes_the_trainers_choices_and_ignores_the_shells() -> None:
    cmd = _make_n(
        "HOST=0.0.0.0", "RECORDS=room7", "TOKEN=secret123", "WEEKS=6", "SCENARIO=troll_raid", "MEMBERS=500"
    )
    assert "-m cmsim.game.room --host=0.0.0.0 --port=8866 --records=room7 --token=secret123" in cmd
    assert "--scenario=troll_raid --weeks=6" in cmd and "--members=500" in cmd
    # an exported HOST or TOKEN (a shell's own) is not the trainer's choice: defaults, a new token
    cmd = _make_n(env={"HOST": "example.org", "TOKEN": "leaked", "RECORDS": "elsewhere"})
    assert "--host=127.0.0.1" in cmd and "--token= " in cmd + " " and "--records=records" in cmd
    assert "leaked" not in cmd and "example.org" not in cmd
