"""Running a sweep's chunks: in this process, on a pool of local processes, or on Dask (through
:class:`cmsim.batch.workers.Workers`, the runner the calibration's trials use too).

The runs are cut into chunks of consecutive runs (about ``CHUNK_SECONDS`` of work each, sized from
the members and days of a run so the cut is the same on every resume). Only a few chunks are in
flight at a time (``IN_FLIGHT_PER_WORKER`` per worker): the next is submitted when one comes back,
so neither the scheduler nor the driver's memory grows with the size of the sweep. A worker runs
its chunk on one thread and sends back the Parquet bytes; the driver writes them (so Dask workers
need no access to the output folder).
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from cmsim.batch.keys import point_key
from cmsim.batch.store import table_bytes
from cmsim.batch.sweep_spec import SweepSpec, canonical_json
from cmsim.batch.workers import CONNECT_TIMEOUT_S, IN_FLIGHT_PER_WORKER, Workers, default_workers
from cmsim.errors import SweepError
from cmsim.version import MODEL_VERSION

__all__ = ["Chunk", "plan", "chunk_size", "run_chunk", "execute", "default_workers", "CHUNK_SECONDS",
           "CONNECT_TIMEOUT_S", "IN_FLIGHT_PER_WORKER"]  # fmt: skip

#: Work per chunk (seconds, estimated): long enough that scheduling costs little.
CHUNK_SECONDS = 1.0
#: Estimated seconds of one run: a fixed part plus a part per member-day (measured: 21 ms for 2,000 members x 180 days).
RUN_FIXED_S, RUN_MEMBER_DAY_S = 3e-3, 5e-8


@dataclass(frozen=True)
class Chunk:
    """Runs ``start .. stop - 1`` of the sweep, and the name of their files."""

    name: str
    start: int
    stop: int

    @property
    def runs(self) -> int:
        return self.stop - self.start


def chunk_size(spec: SweepSpec) -> int:
    """Runs per chunk: the spec's ``chunk_runs``, else about ``CHUNK_SECONDS`` of estimated work
    (at most a sixteenth of the sweep, so small sweeps still spread over the workers)."""
    if spec.chunk_runs:
        return spec.chunk_runs
    per_run = (
        RUN_FIXED_S + RUN_MEMBER_DAY_S * spec.base["community.initial_members"] * spec.base["community.days"]
    )
    size = max(1, round(CHUNK_SECONDS / per_run))
    return max(1, min(size, math.ceil(spec.n_runs / 16)))


def _row_ids(spec: SweepSpec, j: int, cache: dict[int, tuple]) -> tuple[int, int, dict[str, Any], str]:
    """(point, seed, axis values, run key) of run ``j``, resolving each point once."""
    p, seed, point = spec.run(j)
    hit = cache.get(p)
    if hit is None:
        cache.clear()
        hit = cache[p] = spec.resolve(point, where=f"{spec.source}: point {p}")
    sc, strategy, ivs = hit
    return p, seed, point, point_key(sc, strategy, seed, ivs)[1]


def plan(spec: SweepSpec, size: int) -> Iterator[Chunk]:
    """The sweep's chunks, in order: resolves every point (a bad one raises a SweepError)."""
    cache: dict[int, tuple] = {}
    outputs = canonical_json({"model_version": MODEL_VERSION, "metrics": spec.metrics, "daily": spec.daily})
    for start in range(0, spec.n_runs, size):
        stop = min(start + size, spec.n_runs)
        h = hashlib.sha256(outputs.encode())
        for j in range(start, stop):
            p, seed, point, key = _row_ids(spec, j, cache)
            h.update(canonical_json([j, p, seed, point, key]).encode())
        yield Chunk(h.hexdigest()[:32], start, stop)


# --- the worker's side ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Task:
    """What a worker needs to run one chunk: the spec (without its design matrix) and the run range."""

    spec: SweepSpec
    chunk: Chunk
    points: tuple[tuple[int, dict[str, Any]], ...]  # (point index, axis values) of the runs' points
    model_version: str


def make_task(spec: SweepSpec, chunk: Chunk) -> Task:
    """The task of one chunk (the design's rows it needs travel as plain values)."""
    light = replace(spec)  # a copy without the cached design matrix
    first, last = chunk.start // len(spec.seeds), (chunk.stop - 1) // len(spec.seeds)
    points = tuple((p, spec.point(p)) for p in range(first, last + 1))
    return Task(light, chunk, points, MODEL_VERSION)


def run_chunk(task: Task) -> tuple[bytes, bytes | None, float]:
    """Run one chunk; returns the runs file's bytes, the daily file's bytes (or None) and seconds."""
    from cmsim.spec import run_spec

    if task.model_version != MODEL_VERSION:
        raise SweepError(
            f"a worker runs model version {MODEL_VERSION!r}, the sweep {task.model_version!r}: "
            "install the same kit on every worker"
        )
    t0 = time.perf_counter()
    spec, chunk = task.spec, task.chunk
    points = dict(task.points)
    rows, days = [], []
    n_seeds = len(spec.seeds)
    resolved: dict[int, tuple] = {}
    for j in range(chunk.start, chunk.stop):
        p, k = divmod(j, n_seeds)
        seed, point = spec.seeds[k], points[p]
        if p not in resolved:
            resolved.clear()
            resolved[p] = spec.resolve(point, where=f"{spec.source}: point {p}")
        sc, strategy, ivs = resolved[p]
        # each run steps on one thread (threads=1): the sibling workers use the other cores
        one = run_spec(sc, strategy, seed=seed, interventions=ivs, threads=1)
        run = one.run()
        row: dict[str, Any] = {"run": j, "point": p, "seed": seed, **point}
        for m in spec.metrics:
            row[m] = float(run.summary.get(m, np.nan))
        row["run_key"] = one.key()  # the same as point_key(sc, strategy, seed, ivs)
        rows.append(row)
        if spec.daily:
            d = run.daily
            frame = pd.DataFrame({"run": np.full(len(d), j, dtype=np.int64), "day": np.arange(len(d))})
            for c in spec.daily:
                frame[c] = d[c].to_numpy()
            days.append(frame)
    runs = pd.DataFrame(rows)
    for c in ("run", "point", "seed"):
        runs[c] = runs[c].astype(np.int64)
    daily = table_bytes(pd.concat(days, ignore_index=True), chunk.name) if spec.daily else None
    return table_bytes(runs, chunk.name), daily, time.perf_counter() - t0


# --- executing -----------------------------------------------------------------------------------
Done = Callable[[Chunk, tuple[bytes, bytes | None, float]], None]


def execute(
    spec: SweepSpec, chunks: list[Chunk], done: Done, *, workers: int = 1, scheduler: str | None = None
) -> None:
    """Run ``chunks`` on :class:`~cmsim.batch.workers.Workers` (this process, local processes or
    Dask), calling ``done(chunk, result)`` in the driver as each one finishes."""
    with Workers(workers, scheduler, warm=lambda: _warm(spec), error=SweepError) as w:
        w.stream(
            run_chunk,  # (looked up now: a test may replace it)
            (make_task(spec, c) for c in chunks),
            lambda i, result: done(chunks[i], result),
            key=lambda i, task: f"cmsim-chunk-{task.chunk.name}",
        )


def _warm(spec: SweepSpec) -> None:
    """Load the compiled kernels in this process before forking, so no worker loads them again."""
    from cmsim.spec import run_spec

    run_spec(spec.base, "balanced", seed=0, days=7, members=50, threads=1).run()
