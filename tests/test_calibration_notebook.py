"""notebooks/11_your_community.ipynb runs from top to bottom in quick mode (CMSIM_QUICK=1)."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "11_your_community.ipynb"


def test_notebook_is_stored_without_outputs():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


def test_your_community_notebook_runs_quick(tmp_path, monkeypatch):
    monkeypatch.setenv("CMSIM_QUICK", "1")
    monkeypatch.delenv("MPLBACKEND", raising=False)
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(nb, kernel_name="python3", timeout=600,
                            resources={"metadata": {"path": str(tmp_path)}})  # fmt: skip
    client.execute()  # in tmp_path: the notebook finds the example through the package, writes its YAML here
    assert (tmp_path / "my_community_fitted.yaml").is_file()
    text = "\n".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert "held-out points inside the 10-90% band" in text and "extends: forum" in text
    tables = [o["data"]["text/html"] for c in nb.cells if c.cell_type == "code" for o in c.outputs
              if "text/html" in o.get("data", {})]  # fmt: skip
    assert any("welcome more" in t for t in tables) and any("pinned" in t or "flat" in t for t in tables)
    figures = [
        o for c in nb.cells if c.cell_type == "code" for o in c.outputs if "image/png" in o.get("data", {})
    ]
    assert len(figures) >= 2
