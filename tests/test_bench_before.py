"""``benchmarks/before.py``: the earlier commit's package exported and renamed, so the bench can
time it beside the current one in one process (the ``before`` figure of ``make bench``)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))

import before  # noqa: E402


def _has_commit(commit: str) -> bool:
    p = subprocess.run(
        ["git", "-C", str(REPO), "cat-file", "-e", f"{commit}^{{commit}}"], capture_output=True
    )
    return p.returncode == 0


def test_rename_takes_whole_words_only() -> None:
    src = "import cmsim\nfrom cmsim._kernels import layout\nx = cmsim.simulate  # mycmsim cmsim_x 'cmsim'\n"
    assert before.rename(src) == (
        "import cmsim_before\nfrom cmsim_before._kernels import layout\n"
        "x = cmsim_before.simulate  # mycmsim cmsim_x 'cmsim_before'\n"
    )


def test_an_unknown_commit_is_one_clear_line(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match=r"^commit 0000000 not in this clone \(.+\)$"):
        before.export(REPO, "0000000", tmp_path)
    assert not (tmp_path / "before-0000000").exists()


@pytest.mark.skipif(not _has_commit(before.BEFORE), reason="a shallow clone: the earlier commit is not here")
def test_export_renames_the_earlier_package_and_it_imports_beside_the_current_one(tmp_path: Path) -> None:
    folder = before.export(REPO, before.BEFORE, tmp_path)
    pkg = folder / before.PACKAGE
    assert (pkg / "__init__.py").exists() and (folder / "scenarios" / "forum.yaml").exists()
    assert not (folder / "cmsim").exists()
    left = [p for p in pkg.rglob("*.py") if re.search(r"\bcmsim\b", p.read_text())]
    assert left == []
    (pkg / "marker.txt").write_text("kept")
    assert before.export(REPO, before.BEFORE, tmp_path) == folder and (pkg / "marker.txt").exists()  # reused
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import cmsim, cmsim_before;"
        "from cmsim_before.simulation import Simulation;"
        "print(cmsim.MODEL_VERSION, cmsim_before.MODEL_VERSION, cmsim_before.__file__)"
    )
    env = {**os.environ, "CMSIM_PRECOMPILE": "0"}
    p = subprocess.run(
        [sys.executable, "-c", code, str(folder)], capture_output=True, text=True, env=env, cwd=REPO
    )
    assert p.returncode == 0, p.stderr
    new, old, where = p.stdout.split()
    assert old == "1.0" and new != old and where.startswith(str(pkg))


def test_speed_ratio_is_old_time_over_new_time() -> None:
    med, r = before.speed_ratio([1.0, 2.0, 4.0], [2.0, 2.0, 2.0])
    assert r == [2.0, 1.0, 0.5] and med == 1.0


class _Sim:
    """A stand-in ``Simulation`` that records who steps when."""

    name = ""
    log: list[str] = []

    def __init__(
        self, scenario: str, strategy: str, *, seed: int, members: int, days: int, overrides: dict
    ) -> None:
        self.log.append(f"{self.name}{seed}")

    def advance(self, days: int) -> None:
        self.log.append(self.name)


class _New(_Sim):
    name = "n"


class _Old(_Sim):
    name = "o"


def test_which_code_goes_first_alternates_between_pairs() -> None:
    seen: list[str] = []
    calls = {"new": lambda: seen.append("n"), "old": lambda: seen.append("o")}
    out = before.alternate(calls, 4)
    assert seen == ["n", "o", "o", "n", "n", "o", "o", "n"] and [len(v) for v in out.values()] == [4, 4]
    _Sim.log = []
    steps = before.paired_steps({"new": _New, "old": _Old}, "forum", 10, 6, range(1, 2), 2)
    assert _Sim.log == ["n1", "o1", "n", "o", "o", "n", "n", "o"]
    assert [len(v) for v in steps.values()] == [3, 3]
    _Sim.log = []
    runs = before.paired_runs({"new": (_New, None), "old": (_Old, None)}, "forum", 10, 5, range(1, 4))
    assert _Sim.log == ["n1", "n", "o1", "o", "o2", "o", "n2", "n", "n3", "n", "o3", "o"]
    assert [len(runs[k]["step"]) for k in ("new", "old")] == [3, 3]


def test_a_cold_timing_waits_for_its_helper_before_the_next(tmp_path) -> None:
    """``start_cold``'s helper compiles ``run_days_ser`` after its child's first run: the next
    timing starts once its lock is gone (``run._settle``), and at once when there is none."""
    import threading
    import time

    import run

    import cmsim

    lock = tmp_path / "nested" / "kernels" / cmsim.precompile.LOCK
    lock.parent.mkdir(parents=True)
    t0 = time.monotonic()
    run._settle(tmp_path)
    assert time.monotonic() - t0 < 0.05
    lock.write_bytes(b"")  # (no process id: as long as the lock is there)
    threading.Timer(0.3, lock.unlink).start()
    t0 = time.monotonic()
    run._settle(tmp_path)
    assert 0.3 <= time.monotonic() - t0 < 5.0
    # a lock names its helper: the wait lasts as long as that process, lock or no lock
    helper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(0.6)"])
    lock.write_text(str(helper.pid))
    threading.Timer(0.1, lock.unlink).start()
    t0 = time.monotonic()
    run._settle(tmp_path)
    assert 0.5 <= time.monotonic() - t0 < 5.0
    helper.wait()
    lock.write_text(str(helper.pid))  # a helper killed before removing its lock: no wait
    t0 = time.monotonic()
    run._settle(tmp_path)
    assert time.monotonic() - t0 < 0.5
