"""``cmsim.sweep``: run a sweep spec into a results folder, resumably, and read it back.

>>> import cmsim
>>> s = cmsim.sweep("scenarios/sweeps/forum_moderation_trolls.yaml", out="out/sweep")  # doctest: +SKIP
>>> s.to_frame().groupby("hours.moderation")["health_index"].mean()  # doctest: +SKIP

Running the same call again continues an interrupted sweep (Ctrl-C, a killed process, a lost
worker, a power cut): finished chunks are kept, the rest run; nothing is repeated or duplicated.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from cmsim.batch.runner import Chunk, chunk_size, default_workers, execute, plan
from cmsim.batch.spec_load import load_spec
from cmsim.batch.store import Store
from cmsim.batch.sweep_spec import SweepSpec, spec_from_manifest
from cmsim.batch.workers import check_scheduler
from cmsim.errors import SweepError

__all__ = ["Sweep", "sweep", "open_sweep"]


class Sweep:
    """A sweep's results folder, read lazily.

    Attributes
    ----------
    spec : SweepSpec
        What the sweep runs (as recorded in the folder's manifest).
    out : pathlib.Path
        The results folder.
    """

    def __init__(self, out: Path, spec: SweepSpec, manifest: dict[str, Any]) -> None:
        self.out, self.spec, self.manifest = Path(out), spec, manifest
        self._store = Store(out)

    def __repr__(self) -> str:
        return f"Sweep({self.spec.name!r}, out={str(self.out)!r}, runs={self.runs_done()}/{self.spec.n_runs})"

    def runs_done(self) -> int:
        """Runs whose results are on disk (read from the files' footers)."""
        import pyarrow.parquet as pq

        n = 0
        for p in self._store.files("runs"):
            try:
                n += pq.read_metadata(p).num_rows
            except Exception:  # noqa: BLE001 - a damaged file counts as not done
                continue
        return n

    @property
    def complete(self) -> bool:
        """Whether every run of the spec has its results on disk."""
        return self.runs_done() >= self.spec.n_runs

    def to_frame(self, columns: list[str] | None = None) -> pd.DataFrame:
        """One row per finished run, sorted by run: ``run``, ``point``, ``seed``, the axis values
        (named by their keys), the metrics and ``run_key``. Read from the Parquet files now."""
        return self._store.read("runs", columns)

    def daily(self, columns: list[str] | None = None) -> pd.DataFrame:
        """The kept daily series (``run``, ``day`` and the spec's ``daily`` columns); empty if none."""
        return self._store.read("daily", columns)

    def point_means(self, metrics: list[str] | None = None) -> pd.DataFrame:
        """Each point's axis values and its metrics averaged over the seeds."""
        df = self.to_frame()
        metrics = list(metrics or self.spec.metrics)
        keys = ["point", *self.spec.axis_keys]
        return df.groupby(keys, sort=True, dropna=False)[metrics].mean().reset_index()

    def sensitivity(self, metric: str | None = None) -> pd.DataFrame:
        """Sobol (first-order and total) or Morris indices with confidence intervals (needs a design)."""
        from cmsim.batch.sensitivity import sensitivity

        return sensitivity(self, metric)

    def discover(self, metric: str, a: str, b: str, **kwargs: Any):
        """Where strategy ``a`` beats ``b`` on ``metric``: a PRIM box over the other axes (see
        :func:`cmsim.batch.discovery.where_better`)."""
        from cmsim.batch.discovery import where_better

        return where_better(self, metric, a, b, **kwargs)

    def report(self, out: str | Path | None = None, metrics: list[str] | None = None) -> Path:
        """Write the figures (PNG) and a one-page ``report.html``; returns the HTML's path."""
        from cmsim.batch.report import write_report

        return write_report(self, out=Path(out) if out else self.out / "report", metrics=metrics)


def _spec(spec: str | Path | Mapping[str, Any] | SweepSpec) -> SweepSpec:
    if isinstance(spec, SweepSpec):
        return spec
    if isinstance(spec, str | Path | Mapping):
        return load_spec(spec)
    raise SweepError(f"the 'spec' parameter must be a YAML path, a mapping or a SweepSpec; got {spec!r}")


def sweep(
    spec: str | Path | Mapping[str, Any] | SweepSpec,
    out: str | Path,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool | None = None,
    allow_changed: bool = False,
) -> Sweep:
    """Run a sweep into the folder ``out`` (or finish an interrupted one) and return its handle.

    Parameters
    ----------
    spec : path, mapping or SweepSpec
        The sweep spec (see ``docs/sweeps.md``); checked fully before any run.
    out : path
        Results folder: created, or resumed when it holds this sweep.
    workers : int, optional
        Local processes (default: every core); 1 runs in this process. With ``scheduler="local"``,
        the number of Dask workers.
    scheduler : str, optional
        ``"tcp://HOST:PORT"``: an existing Dask cluster (the kit installed on its workers);
        ``"local"``: a Dask ``LocalCluster`` started for the sweep.
    progress : bool, optional
        A tqdm bar with runs done, runs per second and the time left (default: shown).
    allow_changed : bool
        Add to a folder made by another spec or model version (refused by default).

    Returns
    -------
    Sweep
    """
    s = _spec(spec)
    check_scheduler(scheduler, workers, SweepError)
    store = Store(out)
    wanted = chunk_size(s)
    old = store.manifest()
    size = int(old["chunk_runs"]) if old and old.get("spec_hash") == s.spec_hash() else wanted
    chunks = list(plan(s, size))  # resolves every point first: a bad one stops the sweep before any run
    size = store.open(spec_manifest(s), s.spec_hash(), size, allow_changed)
    daily = bool(s.daily)
    todo: list[Chunk] = [c for c in chunks if not store.done(c.name, c.runs, daily)]
    done_runs = s.n_runs - sum(c.runs for c in todo)
    bar = _bar(s, done_runs, progress)

    def finished(chunk: Chunk, result: tuple[bytes, bytes | None, float]) -> None:
        store.write(chunk.name, result[0], result[1])
        if bar is not None:
            bar.update(chunk.runs)

    try:
        if todo:
            execute(s, todo, finished, workers=workers or default_workers(), scheduler=scheduler)
    finally:
        if bar is not None:
            bar.close()
    return Sweep(Path(out), s, store.manifest() or {})


def _bar(s: SweepSpec, done: int, progress: bool | None):
    if progress is False:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=s.n_runs, initial=done, desc=s.name, unit="run", smoothing=0.1, dynamic_ncols=True)


def spec_manifest(s: SweepSpec) -> dict[str, Any]:
    """What the manifest records of a spec: its canonical form plus its name, text and source."""
    return {**s.canonical(), "name": s.name, "description": s.description, "source": s.source}


def open_sweep(out: str | Path) -> Sweep:
    """The handle of an existing results folder (for reading and reports)."""
    store = Store(out)
    m = store.manifest()
    if m is None:
        raise SweepError(f"{out}: holds no sweep (no manifest.json)")
    return Sweep(Path(out), spec_from_manifest(m["spec"], where=str(store.manifest_path)), m)
