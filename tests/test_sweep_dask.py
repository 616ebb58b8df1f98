"""Sweeps on Dask: a cluster started as a user would (``dask scheduler`` and ``dask worker`` on
127.0.0.1) and a LocalCluster give the same results as one local process."""

from __future__ import annotations

import time

import pandas as pd
import pytest
from dask_support import dask_cluster, free_port

import cmsim
from cmsim import SweepError

pytest.importorskip("distributed")

SPEC = {
    "scenario": "forum",
    "days": 30,
    "members": 300,
    "seeds": 3,
    "strategy": "balanced",
    "axes": [{"key": "trolls.arrival_rate", "values": [0.0, 0.5]}],
    "design": {
        "method": "latin",
        "samples": 3,
        "seed": 2,
        "ranges": {"dynamics.churn_unhappy": [0.01, 0.04]},
    },
    "metrics": ["final_members", "health_index"],
    "daily": ["members"],
    "chunk_runs": 4,
}


@pytest.fixture(scope="module")
def cluster():
    """`dask scheduler` and `dask worker` (2 processes, 1 thread each) on 127.0.0.1, killed at teardown."""
    with dask_cluster(2) as address:
        yield address


@pytest.fixture(scope="module")
def serial(tmp_path_factory):
    return cmsim.sweep(SPEC, out=tmp_path_factory.mktemp("serial") / "s", workers=1, progress=False)


def test_a_dask_cluster_gives_the_results_of_one_process(cluster, serial, tmp_path):
    s = cmsim.sweep(SPEC, out=tmp_path / "dask", scheduler=cluster, progress=False)
    assert len(s.to_frame()) == 2 * 3 * 3
    pd.testing.assert_frame_equal(s.to_frame(), serial.to_frame())
    pd.testing.assert_frame_equal(s.daily(), serial.daily())


def test_a_dask_sweep_resumes_a_local_one(cluster, serial, tmp_path):
    import shutil

    out = tmp_path / "mixed"
    shutil.copytree(serial.out, out)
    files = sorted((out / "runs").glob("part-*.parquet"))
    for f in files[::2]:  # half the chunks lost
        f.unlink()
    s = cmsim.sweep(SPEC, out=out, scheduler=cluster, progress=False)
    pd.testing.assert_frame_equal(s.to_frame(), serial.to_frame())


def test_a_local_dask_cluster_gives_the_same_results(serial, tmp_path):
    s = cmsim.sweep(SPEC, out=tmp_path / "local", scheduler="local", workers=2, progress=False)
    pd.testing.assert_frame_equal(s.to_frame(), serial.to_frame())


def test_an_unreachable_scheduler_is_one_line(tmp_path, monkeypatch):
    from cmsim.batch import workers

    monkeypatch.setattr(workers, "CONNECT_TIMEOUT_S", 2)
    port = free_port()
    t0 = time.monotonic()
    with pytest.raises(SweepError, match="cannot reach the Dask scheduler"):
        cmsim.sweep(SPEC, out=tmp_path / "x", scheduler=f"tcp://127.0.0.1:{port}", progress=False)
    assert time.monotonic() - t0 < 60
    with pytest.raises(SweepError, match="'local' or an address like tcp://HOST:PORT"):
        cmsim.sweep(SPEC, out=tmp_path / "y", scheduler="127.0.0.1:8786", progress=False)
    with pytest.raises(SweepError, match="has its own workers"):
        cmsim.sweep(SPEC, out=tmp_path / "z", scheduler=f"tcp://127.0.0.1:{port}", workers=2, progress=False)
