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
