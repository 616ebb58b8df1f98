"""Packaging consistency: pyproject.toml, environment.yml, Makefile, CI script and README agree."""

from __future__ import annotations

import re
import shutil
import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement

import cmsim
import cmsim.scenario as scenario_module

REPO = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())
CONDA_ONLY = {"python", "pip"}


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pip_requirements() -> dict[str, str]:
    """{name: specifier} of runtime deps and every extra; `x[extra]` also names `extra` (conda splits it)."""
    project = PYPROJECT["project"]
    out: dict[str, str] = {}
    for line in project["dependencies"] + [
        d for deps in project["optional-dependencies"].values() for d in deps
    ]:
        req = Requirement(line)
        spec = str(req.specifier)
        assert out.get(_norm(req.name), spec) == spec, f"{req.name} has two different bounds"
        out[_norm(req.name)] = spec
        for extra in req.extras:
            out[_norm(extra)] = spec
    return out


def conda_requirements() -> dict[str, str]:
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    assert env["channels"] == ["conda-forge"]
    out = {}
    for item in env["dependencies"]:
        if isinstance(item, dict):
            assert item == {"pip": ["-e ."]}, "only the kit itself comes from pip"
            continue
        m = re.fullmatch(r"([A-Za-z0-9_.\-]+)\s*(.*)", item)
        assert m, item
        out[_norm(m.group(1))] = str(Requirement("x" + m.group(2).replace(" ", "")).specifier)
    return out


def test_environment_yml_names_the_same_packages_with_the_same_bounds():
    pip, conda = pip_requirements(), conda_requirements()
    assert set(conda) - CONDA_ONLY == set(pip)
    assert {k: v for k, v in conda.items() if k not in CONDA_ONLY} == pip


def test_every_dependency_has_a_lower_bound():
    for name, spec in pip_requirements().items():
        assert ">=" in spec, f"{name} needs a lower bound"


def test_required_runtime_dependencies_and_extras():
    names = {_norm(Requirement(d).name) for d in PYPROJECT["project"]["dependencies"]}
    for needed in [
        "numba",
        "numpy",
        "networkx",
        "mesa",
        "matplotlib",
        "ipywidgets",
        "pandas",
        "pyarrow",
        "pyyaml",
        "jsonschema",
    ]:
        assert needed in names
    extras = PYPROJECT["project"]["optional-dependencies"]
    assert {"lab", "distributed", "test", "viz"} <= set(extras)
    assert any(d.startswith("voila") for d in extras["lab"]) and any(
        d.startswith("jupyterlab") for d in extras["lab"]
    )
    mesa = Requirement(
        next(d for d in PYPROJECT["project"]["dependencies"] if d.startswith("mesa"))
    ).specifier
    assert mesa.contains("3.1.0") and mesa.contains("3.9") and not mesa.contains("4.0")


def test_console_script_and_version():
    assert PYPROJECT["project"]["scripts"] == {"cmsim": "cmsim.cli:main"}
    assert PYPROJECT["project"]["version"] == cmsim.__version__
    assert PYPROJECT["project"]["requires-python"] == ">=3.11"
    assert shutil.which("cmsim") or (Path(__import__("sys").executable).with_name("cmsim")).exists()


def test_scenarios_ship_with_a_regular_install():
    data_files = PYPROJECT["tool"]["setuptools"]["data-files"]
    assert data_files == {
        "share/cmsim/scenarios": ["scenarios/*.yaml"],
        "share/cmsim/scenarios/exercises": ["scenarios/exercises/*.yaml"],  # the manager game's
    }
    assert scenario_module.scenario_dirs()[1].parts[-3:] == ("share", "cmsim", "scenarios")


def test_loader_falls_back_to_installed_copy(tmp_path, monkeypatch):
    shared = tmp_path / "share" / "cmsim" / "scenarios"
    shared.mkdir(parents=True)
    for f in (REPO / "scenarios").glob("*.yaml"):
        shutil.copy(f, shared / f.name)
    monkeypatch.setattr(scenario_module, "scenario_dirs", lambda: [tmp_path / "missing", shared])
    assert cmsim.load_scenario("troll_raid").source == shared / "troll_raid.yaml"
    assert cmsim.load_scenario("troll_raid") == cmsim.load_scenario(REPO / "scenarios" / "troll_raid.yaml")
    monkeypatch.setattr(scenario_module, "scenario_dirs", lambda: [tmp_path / "missing"])
    with pytest.raises(cmsim.ScenarioError, match=r"not a shipped name \(none found\)"):
        cmsim.load_scenario("forum")


def test_ruff_configured():
    ruff = PYPROJECT["tool"]["ruff"]
    assert ruff["line-length"] == 110 and ruff["target-version"] == "py311"
    assert set(ruff["lint"]["select"]) >= {"E", "F", "W", "I", "B", "UP", "NPY"}


MAKEFILE = (REPO / "Makefile").read_text()


@pytest.mark.parametrize(
    "target",
    [
        "setup",
        "lab",
        "demo",
        "test",
        "lint",
        "format",
        "bench",
        "bench-quick",
        "facts",
        "clean",
        "system-deps",
    ],
)
def test_makefile_targets(target):
    assert re.search(rf"^{re.escape(target)}:", MAKEFILE, re.M), target
    assert re.search(rf"^\.PHONY:.*\b{re.escape(target)}\b", MAKEFILE, re.M), f"{target} is not .PHONY"


def test_makefile_install_is_stamped_on_pyproject():
    assert re.search(r"^\$\(STAMP\): pyproject\.toml", MAKEFILE, re.M)
    assert "pip install -e '.[lab,test,distributed,viz]'" in MAKEFILE
    assert re.search(r"^export MPLBACKEND\s*:?=\s*Agg$", MAKEFILE, re.M)
    assert "--ip=127.0.0.1" in MAKEFILE and "--no-browser" in MAKEFILE


def test_ci_runs_make_test_only():
    text = (REPO / ".ci" / "run").read_text()
    assert text.startswith("#!/usr/bin/env bash\n") and "set -euo pipefail" in text
    commands = [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    assert commands[-1].strip() == "make test"
    assert (REPO / ".ci" / "run").stat().st_mode & 0o111, ".ci/run must be executable"


def test_readme_documents_the_commands():
    readme = (REPO / "README.md").read_text()
    for needed in [
        "make lab",
        "make demo",
        "make test",
        "docs/model.md",
        "docs/validation.md",
        "benchmarks/README.md",
        "notebooks/",
    ]:
        assert needed in readme, needed
    for cmd in ["cmsim list", "cmsim params", "cmsim validate", "cmsim schema"]:
        assert cmd in readme, cmd


def test_changelog_keeps_a_changelog():
    text = (REPO / "CHANGELOG.md").read_text()
    assert "## [Unreleased]" in text and "keepachangelog.com" in text and "Model output" in text
