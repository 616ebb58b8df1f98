"""notebooks/07_manager_game.ipynb runs headlessly (nbclient, CMSIM_QUICK=1) and says what a trainee needs."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "07_manager_game.ipynb"


def _text(cell) -> str:
    out = []
    for o in cell.get("outputs", []):
        out.append(o.get("text", ""))
        out.append(o.get("data", {}).get("text/plain", ""))
        out.append(o.get("data", {}).get("text/html", ""))
    return "".join(out)


def test_notebook_is_stored_without_outputs() -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.delenv("MPLBACKEND", raising=False)
    mp.setenv("CMSIM_QUICK", "1")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(nb, kernel_name="python3", timeout=600,
                            resources={"metadata": {"path": str(tmp_path_factory.mktemp("nb"))}})  # fmt: skip
    client.execute()
    mp.undo()
    return nb


def test_the_game_and_every_exercise_render_as_widgets(executed) -> None:
    views = [
        c
        for c in executed.cells
        if c.cell_type == "code" and "application/vnd.jupyter.widget-view+json" in str(c.outputs)
    ]
    assert len(views) >= 5  # the free game and the four exercises
    state = executed.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    sliders = [m for m in state.values() if m["model_name"] == "FloatSliderModel"]
    assert len(sliders) >= 5 * 8 and {m["state"]["description"] for m in sliders} >= {
        "moderation",
        "self care",
    }


def test_check_cells_say_whether_the_goal_was_met_and_why(executed) -> None:
    code = [c for c in executed.cells if c.cell_type == "code"]
    checks = [c for c in code if c.source.strip().endswith(".verdict())") and "for plan" not in c.source]
    assert len(checks) == 5
    for c in checks:  # nothing played yet in a headless run: the check says what to do
        assert "Play the remaining weeks" in _text(c)
    over = [c for c in code if "more than the budget" in c.source][0]
    assert "more than the team's weekly budget of 30" in _text(over) and "Traceback" not in _text(over)
    example = _text([c for c in code if "example = Game(exercise=" in c.source][0])
    assert "Goal missed" in example and "Goal met" in example and "toxic_share" in example
    table = _text([c for c in code if c.source.strip().endswith('debrief["builtins"]')][0])
    assert "data_driven" in table and "you" in table
    shown = [c for c in code if c.source.strip() == "shown"][0]
    assert "application/vnd.jupyter.widget-view+json" in shown.outputs[0]["data"]
