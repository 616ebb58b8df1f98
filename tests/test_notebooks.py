"""Every notebook (notebooks/ and the dashboard) runs top to bottom headlessly, stored without outputs.

The tests run the notebooks small: ``CMSIM_QUICK=1`` in the kernel's environment is the one switch
the notebooks read to shrink members, days and seeds. Notebooks with a test of their own (which
also checks what they show) are run there, not twice.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted([*REPO.glob("notebooks/*.ipynb"), *REPO.glob("dashboard/*.ipynb")])
#: Notebooks run by a test of their own.
OWN_TEST = {
    "01_first_look.ipynb": "tests/test_compare_notebook.py",
    "09_what_matters.ipynb": "tests/test_facts.py",
    "02_strategy_lab.ipynb": "tests/test_notebooks.py",  # test_strategy_lab_notebook_answers_and_exports
}


def ids(paths):
    return [p.relative_to(REPO).as_posix() for p in paths]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids(NOTEBOOKS))
def test_stored_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{path.name} is stored with outputs"


def test_every_notebook_is_run_somewhere():
    for name, test in OWN_TEST.items():
        assert (REPO / test).read_text().count(name) >= 1, f"{test} no longer runs {name}"


def execute(path: Path, tmp_path: Path, monkeypatch) -> nbformat.NotebookNode:
    monkeypatch.delenv("MPLBACKEND", raising=False)  # the kernel draws with its own inline backend
    monkeypatch.setenv("CMSIM_QUICK", "1")
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("import sys; print(sys.executable)"))
    client = NotebookClient(
        nb, kernel_name="python3", timeout=300, resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()
    assert nb.cells[-1].outputs[0]["text"].strip() == sys.executable
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            assert out.get("output_type") != "error", f"{path.name}: {out.get('ename')}: {out.get('evalue')}"
    return nb


RUN = [p for p in NOTEBOOKS if p.name not in OWN_TEST]


#: The manager notebooks of issue 20: each answers with paired sentences and draws its bands.
MANAGER = ("03_trolls_and_moderation.ipynb", "04_newcomers_and_questions.ipynb",
           "05_crises_platform_shifts_and_burnout.ipynb")  # fmt: skip


@pytest.mark.parametrize("path", RUN, ids=ids(RUN))
def test_notebook_runs_headless(path, tmp_path, monkeypatch):
    nb = execute(path, tmp_path, monkeypatch)
    check_lab_widgets(nb)
    if path.name in MANAGER:
        check_manager_answers(nb)


def check_manager_answers(nb: nbformat.NotebookNode) -> None:
    """Every comparison cell printed its paired answer and the notebook drew figures."""
    outputs = [out for c in nb.cells if c.cell_type == "code" for out in c.get("outputs", [])]
    text = "".join(out.get("text", "") for out in outputs if out.get("output_type") == "stream")
    sentences = [line for line in text.splitlines() if "95% CI" in line]
    assert len(sentences) >= 8 and all(" histories" in s or "First answers" in s for s in sentences), text
    assert "nan" not in " ".join(sentences).lower(), text
    assert sum("image/png" in out.get("data", {}) for out in outputs) >= 2


def check_lab_widgets(nb: nbformat.NotebookNode) -> None:
    widgets = nb.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {})
    source = "".join(c.source for c in nb.cells)
    if "StrategyLab(" in source:
        # the lab displayed itself as widgets (their state is stored with the notebook)...
        states = widgets.get("state", {})
        assert any(s["model_name"] == "FloatSliderModel" for s in states.values())
        assert any("cmsim-lab" in s["state"].get("_dom_classes", []) for s in states.values())
        if ".wait()" in source:  # ...and drew its chart and table where the notebook waited for them
            html = json.dumps(
                [s["state"].get("value", "") for s in states.values() if s["model_name"] == "HTMLModel"]
            )
            assert "P(better)" in html and "histories" in html


def test_strategy_lab_notebook_answers_and_exports(tmp_path, monkeypatch):
    nb = execute(REPO / "notebooks" / "02_strategy_lab.ipynb", tmp_path, monkeypatch)
    check_lab_widgets(nb)
    text = json.dumps([c.get("outputs", []) for c in nb.cells])
    assert "4 h more welcoming" in text and "P(better)" in text and "welcome campaign" in text
    assert "Engine ready in" in text
    for name in ("chart.png", "chart.svg", "summary.csv", "runs.parquet"):
        assert (tmp_path / "out" / "my_strategy_lab" / name).exists()
    assert "model_version" in (tmp_path / "out" / "my_strategy_lab.yaml").read_text()
