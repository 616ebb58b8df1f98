"""Before and after, side by side: the kit's speed against the code of an earlier commit.

Issue 18 lets the engine's figures drop by up to 15% where the new rules need the work, and asks
for the figures before and after. On a shared machine whose speed moves by a factor of two within
an hour, two ``make bench`` runs minutes apart cannot say that; this module can. It exports the
earlier commit's package from git (``git archive``) into ``out/bench/before-<commit>/`` as a
package named ``cmsim_before`` (every ``cmsim`` name in its sources renamed, so both import in
one process), and times the two engines' runs in one process, one pair at a time, alternating.
Each pair's ratio is taken while the machine runs at one speed; the median of the ratios is
the figure. Calls of each package's API (an ensemble) take turns the same way (:func:`alternate`).

The export is kept between runs (its numba cache with it): the first run compiles the earlier
package once.

Examples
--------
>>> rename("from cmsim._kernels import layout as L  # cmsim, not cmsim_x")
'from cmsim_before._kernels import layout as L  # cmsim_before, not cmsim_x'
"""

from __future__ import annotations

import gc
import importlib
import io
import os
import re
import shutil
import statistics
import subprocess
import sys
import tarfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

#: Main just before issue 18's model changes (model 1.0: no steady start, capacity capped,
#: peers answering contacts only): the "before" of issue 18 and 19's bench limits.
BEFORE = "7ec5dcf"
#: The code before issue 18 where the goals were set and met: `make bench` of round 8
#: (2026-11-26, recorded in commit f1f5e0e; model 1.0 as ``BEFORE``, which only refactored the
#: kernels since, with the same results) on a
#: 2-core AMD EPYC (Zen 4) VM, LLVM's ``znver4`` (benchmarks/README.md, "Measured"). Used only
#: to say what a ratio measured here, side by side, would give there.
REFERENCE = {"engine_1m": 70.3, "ensemble_2core": 218.0, "start_cold": 8.8}  # M member-steps/s, runs/s, s
REFERENCE_MACHINE = "round 8's 2-core AMD EPYC (Zen 4) VM"
#: The name the earlier package is imported under.
PACKAGE = "cmsim_before"
_T = TypeVar("_T")

_WORD = re.compile(r"\bcmsim\b")


def rename(text: str) -> str:
    """``text`` with every whole word ``cmsim`` renamed :data:`PACKAGE` (``cmsim_x`` untouched)."""
    return _WORD.sub(PACKAGE, text)


def export(root: Path, commit: str, dest: Path) -> Path:
    """The folder holding ``commit``'s package as :data:`PACKAGE` and its ``scenarios/``
    (``dest/before-<commit>``; made from ``git archive`` if not there yet).

    Raises ``RuntimeError`` (one line) where ``root`` is not a git clone holding ``commit``
    (a shallow clone, an unpacked release)."""
    folder = dest / f"before-{commit}"
    done = folder / ".exported"
    if done.exists():
        return folder
    p = subprocess.run(["git", "-C", str(root), "archive", "--format=tar", commit, "cmsim", "scenarios"],
                       capture_output=True)  # fmt: skip
    if p.returncode != 0:
        why = p.stderr.decode(errors="replace").strip().splitlines()
        raise RuntimeError(f"commit {commit} not in this clone ({why[-1] if why else 'git archive failed'})")
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(p.stdout)) as tar:
        tar.extractall(folder, filter="data")
    (folder / "cmsim").rename(folder / PACKAGE)
    for path in (folder / PACKAGE).rglob("*.py"):
        path.write_text(rename(path.read_text()))
    done.write_text(commit + "\n")
    return folder


def load(folder: Path) -> Any:
    """Import the exported package (its helper process that compiles ahead is left off)."""
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
    old = os.environ.get("CMSIM_PRECOMPILE")
    os.environ["CMSIM_PRECOMPILE"] = "0"
    try:
        return importlib.import_module(PACKAGE)
    finally:
        if old is None:
            del os.environ["CMSIM_PRECOMPILE"]
        else:
            os.environ["CMSIM_PRECOMPILE"] = old


def paired_runs(
    engines: dict[str, tuple[Any, Any]], scenario: str, members: int, days: int, seeds: range,
    overrides: dict[str, Any] | None = None,
) -> dict[str, dict[str, list[float]]]:  # fmt: skip
    """Seconds to start and to step each run, per engine, the engines alternating run by run
    (which goes first alternating between seeds).

    ``engines`` maps a name to ``(Simulation class, clear)``: ``clear()`` (or None) forgets the
    remembered starts and graphs before each run, so every run draws its own. Returns
    ``{name: {"start": [...], "step": [...]}}`` in seed order."""
    out: dict[str, dict[str, list[float]]] = {k: {"start": [], "step": []} for k in engines}
    for i, seed in enumerate(seeds):
        for name, (sim_cls, clear) in in_turn(engines, i):
            if clear is not None:
                clear()
            t = time.perf_counter()
            sim = sim_cls(
                scenario, "balanced", seed=seed, members=members, days=days, overrides=overrides or {}
            )
            t1 = time.perf_counter()
            sim.advance(days)
            t2 = time.perf_counter()
            out[name]["start"].append(t1 - t)
            out[name]["step"].append(t2 - t1)
            del sim
    return out


def paired_steps(
    engines: dict[str, Any], scenario: str, members: int, days: int, seeds: range, span: int,
    overrides: dict[str, Any] | None = None,
) -> dict[str, list[float]]:  # fmt: skip
    """Seconds to step each ``span`` days, per engine (``{name: Simulation class}``): for each
    seed both runs are started, then stepped ``span`` days at a time, the engines taking turns
    (which goes first alternating between pairs), so each pair of spans is timed within a second
    of each other (a whole 1M-member run takes seconds, over which this machine's speed can
    change). Returns ``{name: [...]}``."""
    out: dict[str, list[float]] = {k: [] for k in engines}
    for seed in seeds:
        sims = {k: c(scenario, "balanced", seed=seed, members=members, days=days, overrides=overrides or {})
                for k, c in engines.items()}  # fmt: skip
        for i in range(days // span):
            for name, sim in in_turn(sims, i):
                t = time.perf_counter()
                sim.advance(span)
                out[name].append(time.perf_counter() - t)
        del sims
        gc.collect()
    return out


def alternate(calls: Mapping[str, Callable[[], object]], pairs: int) -> dict[str, list[float]]:
    """Seconds of each call, per name, the calls taking turns ``pairs`` times (one pair is one
    call of each, timed while the machine runs at one speed; which goes first alternates between
    pairs, so a drift of the machine's speed or a call's effect on the next favours neither).
    Returns ``{name: [...]}``.

    >>> seen = []
    >>> out = alternate({"new": lambda: seen.append("n"), "old": lambda: seen.append("o")}, 3)
    >>> seen, [len(v) for v in out.values()]
    (['n', 'o', 'o', 'n', 'n', 'o'], [3, 3])
    """
    out: dict[str, list[float]] = {k: [] for k in calls}
    for i in range(pairs):
        for name, call in in_turn(calls, i):
            t = time.perf_counter()
            call()
            out[name].append(time.perf_counter() - t)
    return out


def in_turn(items: Mapping[str, _T], pair: int) -> list[tuple[str, _T]]:
    """``items``' entries in order for even pairs, reversed for odd ones: which of two goes first
    in pair ``pair``.

    >>> in_turn({"a": 1, "b": 2}, 1)
    [('b', 2), ('a', 1)]
    """
    order = list(items.items())
    return order[::-1] if pair % 2 else order


def total_ratio(new: list[float], old: list[float]) -> float:
    """Old seconds over new seconds, summed over all pairs: the ratio of two whole runs' speeds
    (what ``engine_1m`` measures), each pair timed side by side.

    >>> total_ratio([1.0, 3.0], [2.0, 2.0])
    1.0
    """
    return sum(old) / sum(new)


def speed_ratio(new: list[float], old: list[float]) -> tuple[float, list[float]]:
    """Median over pairs of old seconds / new seconds (above 1: faster now), and the ratios."""
    r = [o / n for n, o in zip(new, old, strict=True)]
    return statistics.median(r), r
