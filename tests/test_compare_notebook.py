"""notebooks/01_first_look.ipynb runs from top to bottom, headless, in this environment's kernel."""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "01_first_look.ipynb"


def test_notebook_is_stored_without_outputs():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


def test_first_look_notebook_runs(tmp_path, monkeypatch):
    monkeypatch.delenv("MPLBACKEND", raising=False)  # the kernel's own inline backend draws the figures
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("import sys; print(sys.executable)"))
    # "python3" is a kernelspec whose command is `python`: jupyter_client runs it with sys.executable,
    # the interpreter of this environment (the last cell checks it).
    client = NotebookClient(
        nb, kernel_name="python3", timeout=300, resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()
    assert nb.cells[-1].outputs[0]["text"].strip() == sys.executable
    table = [c for c in nb.cells if c.cell_type == "code" and "comparison.table()" in c.source][0]
    html = [o["data"]["text/html"] for o in table.outputs if "text/html" in o.get("data", {})][0]
    assert "4 h more welcoming" in html and "P(better)" in html
    figures = [
        o for c in nb.cells if c.cell_type == "code" for o in c.outputs if "image/png" in o.get("data", {})
    ]
    assert len(figures) >= 3
