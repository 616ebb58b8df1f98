"""notebooks/06_inside_the_model.ipynb runs top to bottom headless (``CMSIM_QUICK=1``), widgets included."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "06_inside_the_model.ipynb"


def test_notebook_is_stored_without_outputs() -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert all(c.outputs == [] and c.execution_count is None for c in nb.cells if c.cell_type == "code")


def test_model_card_has_the_models_library_sections() -> None:
    text = "\n".join(
        c.source for c in nbformat.read(NOTEBOOK, as_version=4).cells if c.cell_type == "markdown"
    )
    for heading in ("What it is", "How it works", "How to use it", "Things to notice", "Things to try",
                    "Extending it"):  # fmt: skip
        assert f"## {heading}" in text, heading


def test_inside_the_model_notebook_runs(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("CMSIM_QUICK", "1")
    monkeypatch.delenv("MPLBACKEND", raising=False)
    nb = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(
        nb, kernel_name="python3", timeout=300, resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    views = [o for o in outputs if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    assert len(views) == 1  # the widget itself
    state = nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    names = {m["model_name"] for m in state.values()}
    assert {"PlayModel", "ImageModel", "ButtonModel", "DropdownModel"} <= names
    text = "".join(o.get("text", "") for o in outputs)
    assert "Day 14 of 20" in text and "Day 15, member #" in text and "Visit today?" in text
    gif = tmp_path / "out" / "inside_the_model.gif"
    assert gif.exists() and gif.stat().st_size > 10_000
