"""The package's import graph has no cycle, counting every import that runs: at module level and
inside functions alike (imports under ``if TYPE_CHECKING:`` never run and do not count)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "cmsim"


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _type_checking_block(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and (
        (isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING")
        or (isinstance(node.test, ast.Attribute) and node.test.attr == "TYPE_CHECKING")
    )


def _imports(tree: ast.AST, module: str, is_package: bool, known: set[str]) -> set[str]:
    """The cmsim modules ``module`` imports when it runs (``from cmsim import x`` names module
    ``cmsim.x`` when there is one, else the package ``cmsim``)."""
    out: set[str] = set()
    stack = [tree]
    while stack:
        node = stack.pop()
        if _type_checking_block(node):
            stack.extend(node.orelse)  # (the else branch runs)
            continue
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.split(".")[0] == "cmsim")
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                pkg = module.split(".") if is_package else module.split(".")[:-1]
                pkg = pkg[: len(pkg) - (node.level - 1)]
                base = ".".join(pkg + ([node.module] if node.module else []))
            if base.split(".")[0] == "cmsim":
                for a in node.names:
                    sub = f"{base}.{a.name}"
                    out.add(sub if sub in known else base)
        stack.extend(ast.iter_child_nodes(node))
    out.discard(module)
    return out


def import_graph(root: Path = PACKAGE) -> dict[str, set[str]]:
    """``{module: the cmsim modules it imports}`` over every module under ``root``."""
    files = {_module_name(p, root): p for p in root.rglob("*.py")}
    known = set(files)
    return {
        name: {
            m for m in _imports(ast.parse(p.read_text()), name, p.name == "__init__.py", known) if m in known
        }
        for name, p in files.items()
    }


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of two or more modules (each holds a cycle), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on, stack, out = set(), [], []

    def visit(v: str) -> None:  # Tarjan's algorithm
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                out.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(out)


def test_the_package_has_no_import_cycle():
    graph = import_graph()
    assert len(graph) > 40 and "cmsim.simulation" in graph["cmsim.spec"]
    assert cycles(graph) == [], "import cycle(s): " + "; ".join(" <-> ".join(c) for c in cycles(graph))


def test_the_checker_finds_a_cycle_through_a_function_level_import(tmp_path):
    pkg = tmp_path / "cmsim"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("from cmsim.a import f\n")
    (pkg / "a.py").write_text("from cmsim.sub import b\n\ndef f():\n    return b\n")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "sub" / "b.py").write_text("def g():\n    from cmsim import a\n    return a\n")
    (pkg / "c.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from cmsim import a\n"
    )
    (pkg / "d.py").write_text("from . import c\n")
    graph = import_graph(pkg)
    assert (
        graph["cmsim.sub.b"] == {"cmsim.a"} and graph["cmsim.c"] == set() and graph["cmsim.d"] == {"cmsim.c"}
    )
    assert cycles(graph) == [["cmsim.a", "cmsim.sub.b"]]


def test_the_compiled_core_never_imports_the_faces():
    graph = import_graph()
    faces = ("cmsim.plotting", "cmsim.widgets", "cmsim.cli", "cmsim.mesa", "cmsim.batch")
    for module, imported in graph.items():
        if module.startswith("cmsim._kernels"):
            assert not [m for m in imported if m.startswith(faces)], module


def test_import_cmsim_leaves_the_faces_and_heavy_libraries_unimported():
    import subprocess
    import sys

    code = (
        "import sys, cmsim; cmsim.run_spec('forum', members=50, days=2).run(); "
        "print(sorted(m for m in ('cmsim.widgets', 'cmsim.mesa', 'cmsim.plotting', 'cmsim.cli', 'ipywidgets', "
        "'matplotlib', 'mesa') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_widgets_package_names_its_faces_lazily():
    import pytest

    import cmsim.widgets

    assert set(cmsim.widgets.__all__) == set(cmsim.widgets._LAZY)
    with pytest.raises(AttributeError, match="no attribute 'Nothing'"):
        cmsim.widgets.Nothing  # noqa: B018
