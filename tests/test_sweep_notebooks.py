"""notebooks/09_what_matters and 10_sweeps run top to bottom at their CMSIM_QUICK size."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def _run(name: str, tmp_path: Path, monkeypatch) -> nbformat.NotebookNode:
    monkeypatch.setenv("CMSIM_QUICK", "1")
    monkeypatch.delenv("MPLBACKEND", raising=False)
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    NotebookClient(
        nb, kernel_name="python3", timeout=300, resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    return nb


def _text(cell) -> str:
    return "".join(o.get("text", "") or o.get("data", {}).get("text/plain", "") for o in cell.outputs)


@pytest.mark.parametrize("name", ["09_what_matters.ipynb", "10_sweeps.ipynb"])
def test_stored_without_outputs(name):
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    assert all(c.outputs == [] and c.execution_count is None for c in nb.cells if c.cell_type == "code")


def test_what_matters_runs_a_sobol_sweep_and_ranks_every_parameter(tmp_path, monkeypatch):
    nb = _run("09_what_matters.ipynb", tmp_path, monkeypatch)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert "136 runs, 136 design points" in _text(code[1])  # 8 x (15 + 2) Sobol points, one seed
    ranking = _text(code[-1])
    for key in ("members.activity_sigma", "levers.welcome_rate", "dynamics.churn_unhappy"):
        assert key in ranking
    assert "calibrated" in ranking and "guess" in ranking
    figures = [o for c in code for o in c.outputs if "image/png" in o.get("data", {})]
    assert len(figures) >= 1


def test_sweeps_notebook_runs_resumes_reports_and_discovers(tmp_path, monkeypatch):
    nb = _run("10_sweeps.ipynb", tmp_path, monkeypatch)
    text = "\n".join(_text(c) for c in nb.cells if c.cell_type == "code")
    assert "runs=90/90" in text and "90 runs on disk; complete" in text
    page = Path(text.split("report: ", 1)[1].split()[0])
    assert page.name == "report.html" and (page.parent / "heatmap.png").exists()
    assert "moderation_first beats balanced on health index in" in text
