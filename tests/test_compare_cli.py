"""`cmsim compare` and `cmsim demo`: files written, short table printed, exit 2 on bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

import cmsim
from cmsim.cli import main

REPO = Path(__file__).resolve().parents[1]


def test_compare_writes_tables_and_figures(tmp_path):
    exe = Path(sys.executable).with_name("cmsim")
    out = tmp_path / "cmp"
    args = ["compare", "forum", "--strategies", "balanced,absent", "--seeds", "3", "--days", "20",
            "--members", "200", "--out", str(out), "--quiet"]  # fmt: skip
    r = subprocess.run([str(exe), *args], capture_output=True, text=True, timeout=300,
                       env={**os.environ, "MPLBACKEND": "Agg"})  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "Members at the end" in r.stdout and "vs balanced (95% CI)" in r.stdout
    for name in ("summary.csv", "runs.csv", "runs.parquet", "bands.csv", "comparison.png", "differences.png"):
        assert (out / name).stat().st_size > 0, name
    runs = pd.read_parquet(out / "runs.parquet")
    assert sorted(runs["strategy"].unique()) == ["absent", "balanced"] and len(runs) == 6
    assert set(pd.read_csv(out / "summary.csv")["strategy"]) == {"balanced", "absent"}
    assert (out / "comparison.png").read_bytes()[:4] == b"\x89PNG"
    meta = json.loads((out / "metadata.json").read_text())
    assert meta["model_version"] == cmsim.MODEL_VERSION and meta["strategies"] == ["balanced", "absent"]
    assert (
        pq.read_schema(out / "runs.parquet").metadata[b"cmsim.model_version"] == cmsim.MODEL_VERSION.encode()
    )


@pytest.mark.parametrize(
    "args, message",
    [
        (["forum", "--strategies", "balanced,nope"], "unknown strategy 'nope'"),
        (["nowhere", "--strategies", "balanced,absent"], "no such scenario 'nowhere'"),
        (
            ["forum", "--strategies", "balanced,absent", "--baseline", "x"],
            "'baseline' parameter must be one of",
        ),
        (["forum", "--strategies", "balanced"], "at least two strategies"),
    ],
)
def test_compare_bad_input_is_one_line_and_exit_2(args, message, tmp_path, capsys):
    status = main(
        ["compare", *args, "--seeds", "1", "--days", "5", "--members", "50", "--out", str(tmp_path)]
    )
    err = capsys.readouterr().err
    assert status == 2
    assert len(err.strip().splitlines()) == 1 and message in err and "Traceback" not in err


@pytest.mark.parametrize("bad", [["--seeds", "0"], ["--days", "x"]])
def test_compare_usage_errors_exit_2(bad, tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        main(["compare", "forum", "--strategies", "balanced,absent", "--out", str(tmp_path), *bad])
    assert e.value.code == 2 and "Traceback" not in capsys.readouterr().err


def test_demo_runs_the_default_comparison(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path), "--seeds", "2", "--quiet"]) == 0
    out = capsys.readouterr().out
    for name in ("balanced", "community_builder", "moderation_first", "absent"):
        assert name in out
    assert (tmp_path / "comparison.png").exists() and (tmp_path / "runs.parquet").exists()
