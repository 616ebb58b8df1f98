"""One error type for bad arguments: every error about a user's input is a CmsimError (and, for
callers that catch it, a ValueError), with a one-line message."""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest

import cmsim
from cmsim.graphs import build_graph, from_networkx

PACKAGE = Path(__file__).resolve().parents[1] / "cmsim"
BUILTIN_ERRORS = {"ValueError", "TypeError", "KeyError", "RuntimeError", "Exception"}


def test_the_package_raises_no_bare_builtin_error_outside_the_compiled_kernels():
    found = []
    for path in PACKAGE.rglob("*.py"):
        if "_kernels" in path.parts:
            continue  # (numba kernels raise what numba can compile)
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
                name = getattr(node.exc.func, "id", None)
                if name in BUILTIN_ERRORS:
                    found.append(f"{path.relative_to(PACKAGE)}:{node.lineno} raises {name}")
    allowed = {"spec.py"}  # json.dumps' default= hook must raise TypeError for what it cannot write
    assert [f for f in found if f.split(":")[0] not in allowed] == []


@pytest.mark.parametrize(
    "call, words",
    [
        (lambda: build_graph("wiki", 10), "'kind' parameter"),
        (lambda: from_networkx(nx.Graph()), "at least one node"),
        (lambda: cmsim.simulate("forum", seed=-2, members=50, days=3), "'seed' parameter"),
        (lambda: cmsim.simulate("forum", members=50, days=3, engine="gpu"), "'engine' parameter"),
        (lambda: cmsim.Simulation("forum", members=50, days=3).advance(-1), "'days' parameter"),
        (lambda: cmsim.Simulation("forum", members=50, days=3).result(), "nothing simulated yet"),
        (
            lambda: (
                cmsim.Simulation("forum", members=50, days=9).advance(5).add_intervention((2, "ban_wave"))
            ),
            "current day 5",
        ),
        (lambda: cmsim.ensemble("forum", seeds=0, members=50, days=3), "'seeds' parameter"),
        (lambda: cmsim.run_spec("forum", members=50, days=3, threads=-1), "'threads' parameter"),
    ],
)
def test_bad_arguments_raise_a_one_line_cmsim_error(call, words):
    with pytest.raises(cmsim.CmsimError, match=words) as info:
        call()
    assert isinstance(info.value, ValueError) and "\n" not in str(info.value)
