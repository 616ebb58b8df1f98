"""``benchmarks/run.py --quick``: the benchmark's smoke run in CI. It checks that every figure runs
and is written, never a speed (speed is measured by ``make bench``, not asserted in tests)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO / "benchmarks" / "run.py"


def test_quick_bench_measures_and_writes_every_figure(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, str(BENCH), "--quick", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=REPO,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    doc = json.loads((tmp_path / "quick.json").read_text())
    assert doc["quick"] is True and doc["reps"] == 1 and doc["machine"]["cores"] >= 1
    rows = {r["figure"]: r for r in doc["figures"]}
    for name in (
        "engine_1m",
        "walk_ratio",
        "compare_lab",
        "compare_cold",
        "start_warm",
        "start_cold",
        "memory_1m",
        "lab_update",
        "game_week",
        "inside_step",
    ):
        assert name in rows, name
    assert {"ensemble_1core", "ensemble_2core", "ensemble_ratio", "calibrate_3p"} <= set(rows)
    assert {"sweep_10k_2w", "sweep_ratio", "sweep_dask_vs_local", "sweep_driver_peak_ratio"} <= set(rows)
    assert any(n.startswith("mesa_ratio_") for n in rows) and any(n.startswith("graph_") for n in rows)
    before = {"engine_vs_before", "small_step_vs_before", "small_run_vs_before", "ensemble_vs_before",
              "start_cold_vs_before"}  # fmt: skip
    assert before <= set(rows)
    assert doc["machine"]["cpu_model"] and doc["machine"]["llvm_cpu"]  # (the goals were set on one processor)
    for name, row in rows.items():
        assert not row["note"].startswith(("FAILED", "unavailable")), row
        # skipped in --quick: a cold compile; a browser; the earlier package compiled from cold
        if name in ("start_cold", "lab_browser") or name in before:
            assert row["value"] is None and "skipped" in row["note"]
        else:
            assert isinstance(row["value"], (int, float)) and row["value"] > 0, row
    for name in rows:  # the table printed is the one written
        assert name in proc.stdout


def test_bench_refuses_an_unknown_figure_with_exit_2() -> None:
    proc = subprocess.run(
        [sys.executable, str(BENCH), "--only", "nope"], capture_output=True, text=True, timeout=120, cwd=REPO
    )
    assert proc.returncode == 2
    assert "unknown figure 'nope'" in proc.stderr and "engine" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_sweep_ratio_is_timed_with_no_dask_cluster_running(monkeypatch) -> None:
    """An idle Dask cluster's processes take a little of both cores and slow the 2-worker sweeps,
    not the 1-worker ones (benchmarks/README.md, seventh session): ``sweep_ratio`` is timed
    before the cluster of ``sweep_dask_vs_local`` starts, and that figure's local sweeps beside it."""
    import distributed

    sys.path.insert(0, str(REPO / "benchmarks"))
    import run

    alive: list[bool] = []
    timed: list[tuple[str, bool]] = []

    class Cluster:
        scheduler_address = "tcp://127.0.0.1:1"

        def __init__(self, **_: object) -> None:
            alive.append(True)

        def close(self) -> None:
            alive.pop()

    def seconds(spec: dict, **where: object) -> float:
        kind = "dask" if "scheduler" in where else f"{where['workers']}w"
        if spec["seeds"] > 1:  # (not the cluster's tiny warm-up)
            timed.append((kind, bool(alive)))
        return {"1w": 2.0, "2w": 1.0, "dask": 1.05}[kind]

    class Done:
        stdout = "100\n"

    monkeypatch.setattr(distributed, "LocalCluster", Cluster)
    monkeypatch.setattr(run, "_sweep_seconds", seconds)
    monkeypatch.setattr(run.subprocess, "run", lambda *a, **k: Done())
    rows = {r.figure: r for r in run.fig_sweep(run.Config(quick=True, reps=3))}
    assert rows["sweep_ratio"].value == 2.0 and rows["sweep_dask_vs_local"].value == 1.05
    no_cluster = [k for k, a in timed if not a]
    beside = [k for k, a in timed if a]
    assert no_cluster == ["2w"] + ["1w", "2w"] * 3  # the big sweep, then 3 pairs
    assert beside == ["2w", "dask"] * 3 and not alive
