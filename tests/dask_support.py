"""A Dask cluster started as a user would: ``dask scheduler`` and ``dask worker`` on 127.0.0.1.

Shared by the sweep's and the calibration's Dask tests (``tests/test_sweep_dask.py``,
``tests/test_calibration_dask.py``).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

DASK = Path(sys.executable).with_name("dask")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def dask_cluster(workers: int = 2) -> Iterator[str]:
    """A scheduler and ``workers`` one-thread worker processes; yields the address; killed after."""
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    procs = [
        subprocess.Popen([str(DASK), "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True),
    ]  # fmt: skip
    try:
        procs.append(
            subprocess.Popen([str(DASK), "worker", address, "--nworkers", str(workers), "--nthreads", "1",
                              "--no-dashboard", "--host", "127.0.0.1"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        )  # fmt: skip
        from distributed import Client

        client = Client(address, timeout=60)
        client.wait_for_workers(workers, timeout=120)
        client.close()
        yield address
    finally:
        for p in reversed(procs):
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for p in reversed(procs):
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
