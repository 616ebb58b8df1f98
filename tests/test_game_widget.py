"""The ManagerGame widget through its Python API (no browser): controls, messages, redraws, debrief."""

from __future__ import annotations

import pytest

pytest.importorskip("ipywidgets")

from cmsim.game import balanced_hours  # noqa: E402
from cmsim.widgets import ManagerGame  # noqa: E402


@pytest.fixture
def game() -> ManagerGame:
    return ManagerGame("forum", weeks=3, seed=1, members=400, player="Ada")


def test_over_budget_is_one_line_no_traceback(game, capsys) -> None:
    assert game.allocate({"moderation": 20, "responding": 20}) is None  # no "False" echoed in a notebook
    printed = capsys.readouterr().out
    assert printed.count("\n") == 1 and "more than the team's weekly budget of 30" in printed
    assert "Traceback" not in printed and game.message == printed.strip()
    assert "weekly budget of 30" in game._msg.value
    assert game.game.allocation == balanced_hours(30.0)  # unchanged
    game.allocate({"moderation": 12, "responding": 12})
    assert game.message == "" and game.game.allocation["moderation"] == 12.0


def test_sliders_show_the_total_against_the_budget(game) -> None:
    game._sliders["moderation"].value = 25.0
    assert "h over the budget" in game._total.value and game._play.disabled
    game._sliders["moderation"].value = 0.0
    assert "h over the budget" not in game._total.value and not game._play.disabled
    game.allocate({"welcoming": 10})
    assert game._sliders["welcoming"].value == 10.0 and game._sliders["moderation"].value == 0.0
    assert "Total <b>10</b> of 30 hours (20 h unused)" in game._total.value


def test_playing_a_week_redraws_the_dashboard(game) -> None:
    before_table, before_chart = game._table.value, game._chart.value
    assert "No week played yet" in before_table and "Week 1 of 3" in game._week.value
    assert not game._play.disabled  # the balanced split (on the sliders' 0.1 h steps) fits the budget
    game.allocate({"moderation": 10, "responding": 10})
    game._sliders["moderation"].value = 12.0
    game._on_play()  # the "Play week 1" button
    assert game.week == 1 and game.game.choices[0]["moderation"] == 12.0
    assert game._table.value != before_table and "Toxic posts" in game._table.value
    assert game._chart.value != before_chart and game._chart.value.count("<svg") == 6
    assert game._chart.value.count("<circle") == 6  # one point a panel: week 1
    assert "Week 2 of 3" in game._week.value and game._play.description == "Play week 2"


def test_the_debrief_appears_at_the_end(game, tmp_path) -> None:
    assert game._debrief.layout.display == "none"
    for _ in range(3):
        game.advance()
    assert game.done and game._debrief.layout.display is None
    assert "Your score" in game._debrief_text.value and "data_driven" in game._debrief_text.value
    assert game._debrief_image.value[:4] == b"\x89PNG" and game._play.disabled
    game.advance()  # one more: a message, not an error
    assert game.message == "the game is over: all 3 weeks are played"
    again = ManagerGame.load(game.save(tmp_path / "g.json"))
    assert again.score() == game.score() and again.done and "Your score" in again._debrief_text.value


def test_exercise_game_shows_its_goal() -> None:
    g = ManagerGame(exercise="product_crisis")
    assert "Survive a product crisis" in g._head.value and g.weeks == 12
    g.game.play(["responsive"])  # (balanced answers 98.96%, just under the goal: tests/test_game.py)
    out = g.debrief()
    assert "Goal met" in g._debrief_text.value and len(out["builtins"]) == 8


def test_records_are_saved_to_a_folder_after_every_week(tmp_path) -> None:
    g = ManagerGame("forum", weeks=2, seed=4, members=300, player="Ada Lovelace", save_to=tmp_path / "room")
    assert g.record_path.parent == tmp_path / "room" and g.record_path.name.startswith(
        "Ada_Lovelace_forum_seed4_"
    )
    assert not g.record_path.exists()
    g.advance()
    assert ManagerGame.load(g.record_path).week == 1
    g.advance()
    again = ManagerGame.load(g.record_path)
    assert again.done and again.score() == g.score() and again.game.player == "Ada Lovelace"
