"""notebooks/08_classroom_debrief.ipynb runs headlessly (nbclient, CMSIM_QUICK=1): on a folder of
records made by scripted plays (one of them a bad file) and, with no records, on its demonstration
class."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from cmsim.game import Game

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "08_classroom_debrief.ipynb"


def _text(nb) -> str:
    out = []
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            out.append(o.get("text", ""))
            out.append(o.get("data", {}).get("text/plain", ""))
            out.append(o.get("data", {}).get("text/html", ""))
    return "".join(out)


def _run(tmp: Path, records: Path | None):
    mp = pytest.MonkeyPatch()
    mp.delenv("MPLBACKEND", raising=False)
    mp.setenv("CMSIM_QUICK", "1")
    if records is not None:
        mp.setenv("CMSIM_RECORDS", str(records))
    else:
        mp.delenv("CMSIM_RECORDS", raising=False)
    nb = nbformat.read(NOTEBOOK, as_version=4)
    try:
        NotebookClient(
            nb, kernel_name="python3", timeout=600, resources={"metadata": {"path": str(tmp)}}
        ).execute()
    finally:
        mp.undo()
    return nb


def test_notebook_is_stored_without_outputs() -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


def test_the_debrief_of_a_folder_ranks_the_scripted_trainees(tmp_path) -> None:
    folder = tmp_path / "records"
    folder.mkdir()
    scores = {}
    for name, plan in {"Ana": ["balanced"], "Ben": ["absent"], "Cy": ["moderation_first"]}.items():
        g = Game("forum", weeks=3, seed=2, members=300, player=name).play(plan)
        scores[name] = g.save(folder / f"{name}.json") and g.score()
    (folder / "broken.json").write_text("{oops")
    nb = _run(tmp_path, folder)
    text = _text(nb)
    assert "skipped: " in text and "broken.json:1: invalid JSON" in text
    assert "3 records in" in text and "Debriefing: forum, seed 2, 3 weeks, 300 members (3 trainees)" in text
    ranking_html = next(o["data"]["text/html"] for c in nb.cells for o in c.get("outputs", [])
                        if "weeks_played" in o.get("data", {}).get("text/html", ""))  # fmt: skip
    order = sorted(scores, key=lambda p: -scores[p])
    positions = [ranking_html.index(f">{p}<") for p in order]
    assert positions == sorted(positions), "the ranking follows the scores"
    assert f"{scores[order[0]]:.1f}" in ranking_html
    assert "Top third: " + order[0] in text
    images = [o for c in nb.cells for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
    assert len(images) == 2  # the paths and the levers


def test_without_records_it_shows_a_demonstration_class(tmp_path) -> None:
    nb = _run(tmp_path, tmp_path / "nothing_here")
    text = _text(nb)
    assert "a demonstration class was made" in text and "(6 trainees)" in text
    assert len(list((tmp_path / "out" / "demonstration_class").glob("*.json"))) == 6
