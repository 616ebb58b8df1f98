"""The results folder of a sweep: a manifest and one Parquet file per finished chunk.

Layout of ``DIR``::

    manifest.json                 the spec, its hash, the model and kit versions, the environment
    runs/part-<hash>.parquet      one row per run: run, point, seed, the axis values, metrics, run_key
    daily/part-<hash>.parquet     (when the spec keeps daily series) run, day and the chosen columns

A chunk's files are named by the hash of its inputs (the keys of its runs, their positions and
what is kept), so a resumed sweep knows what is done by listing names. Files are written under a
hidden temporary name, flushed to disk, then renamed: a file with the final name is complete. The
daily file is renamed first and the runs file last, so a chunk counts as done only when both are
there. On resume each file's footer is read and its row count and chunk name checked; a truncated
or foreign file is removed and its chunk run again.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from cmsim.errors import SweepError
from cmsim.version import MODEL_VERSION

__all__ = ["Store", "table_bytes", "CHUNK_META"]

#: Parquet key-value metadata holding the chunk's name (checked on resume).
CHUNK_META = b"cmsim.chunk"
FORMAT = 1


def table_bytes(frame: pd.DataFrame, chunk: str) -> bytes:
    """A Parquet file's bytes for ``frame``, its chunk name in the metadata."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), CHUNK_META: chunk.encode()})
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd")
    return sink.getvalue().to_pybytes()


def _environment() -> dict[str, str]:
    import importlib.metadata as md

    env = {"python": platform.python_version(), "platform": platform.platform(), "host": platform.node()}
    for pkg in ("cmsim", "numpy", "numba", "pandas", "pyarrow", "SALib", "dask", "distributed"):
        try:
            env[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            pass
    return env


class Store:
    """A sweep's results folder (see the module docs)."""

    def __init__(self, out: str | Path) -> None:
        self.dir = Path(out)
        self.manifest_path = self.dir / "manifest.json"
        self.runs_dir = self.dir / "runs"
        self.daily_dir = self.dir / "daily"

    # --- manifest -------------------------------------------------------------------------------
    def manifest(self) -> dict[str, Any] | None:
        """The manifest, or None when the folder holds no sweep yet."""
        try:
            text = self.manifest_path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        try:
            data = json.loads(text)
        except json.JSONDecodeError:
            raise SweepError(f"{self.manifest_path}: not a sweep manifest (invalid JSON)") from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise SweepError(f"{self.manifest_path}: not a sweep manifest of format {FORMAT}")
        return data

    def open(self, spec_data: dict[str, Any], spec_hash: str, chunk_runs: int, allow_changed: bool) -> int:
        """Start or resume a sweep in this folder; returns the chunk size to use.

        A folder made by another spec or model version is refused (one line) unless
        ``allow_changed``; then its manifest keeps the earlier ones under ``history``.
        """
        if self.dir.exists() and not self.dir.is_dir():
            raise SweepError(f"{self.dir}: not a folder")
        old = self.manifest()
        if old is None and self.dir.is_dir() and any(self.dir.iterdir()):
            raise SweepError(
                f"{self.dir}: the folder is not empty and holds no sweep; choose a new --out folder"
            )
        history: list[dict[str, Any]] = []
        if old is not None:
            same = old.get("spec_hash") == spec_hash and old.get("model_version") == MODEL_VERSION
            if same:
                self._clean_temporary()
                return int(old["chunk_runs"])
            if not allow_changed:
                if old.get("model_version") != MODEL_VERSION:
                    why = f"model version {old.get('model_version')!r}, this kit runs {MODEL_VERSION!r}"
                else:
                    why = f"another spec (hash {str(old.get('spec_hash'))[:12]}, this one {spec_hash[:12]})"
                raise SweepError(
                    f"{self.dir}: holds a sweep of {why}; use a new --out folder, or --force "
                    "(allow_changed=True) to add to it"
                )
            history = [
                *old.get("history", []),
                {k: old[k] for k in ("spec_hash", "model_version", "created")},
            ]
        self.runs_dir.mkdir(parents=True, exist_ok=True)
        self.daily_dir.mkdir(parents=True, exist_ok=True)
        manifest = {
            "format": FORMAT,
            "spec_hash": spec_hash,
            "model_version": MODEL_VERSION,
            "chunk_runs": chunk_runs,
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "environment": _environment(),
            "spec": spec_data,
            "history": history,
        }
        self._write(self.manifest_path, json.dumps(manifest, indent=1, sort_keys=True).encode())
        self._clean_temporary()
        return chunk_runs

    # --- chunks ---------------------------------------------------------------------------------
    def _paths(self, chunk: str) -> tuple[Path, Path]:
        return self.runs_dir / f"part-{chunk}.parquet", self.daily_dir / f"part-{chunk}.parquet"

    def done(self, chunk: str, rows: int, daily: bool) -> bool:
        """Whether the chunk's files are complete; an incomplete or foreign one is removed."""
        runs, days = self._paths(chunk)
        if not runs.exists():
            return False
        ok = self._valid(runs, chunk, rows) and (not daily or self._valid(days, chunk, None))
        if not ok:
            for p in (runs, days):
                p.unlink(missing_ok=True)
        return ok

    @staticmethod
    def _valid(path: Path, chunk: str, rows: int | None) -> bool:
        try:
            meta = pq.read_metadata(path)
            schema = pq.read_schema(path)
        except (OSError, pa.ArrowException):
            return False
        if (schema.metadata or {}).get(CHUNK_META) != chunk.encode():
            return False
        return rows is None or meta.num_rows == rows

    def write(self, chunk: str, runs: bytes, daily: bytes | None) -> None:
        """Write a finished chunk: the daily file first, the runs file (which marks it done) last."""
        runs_path, daily_path = self._paths(chunk)
        if daily is not None:
            self._write(daily_path, daily)
        self._write(runs_path, runs)

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        if sys.platform != "win32":
            fd = os.open(path.parent, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)

    def _clean_temporary(self) -> None:
        for d in (self.dir, self.runs_dir, self.daily_dir):
            if d.is_dir():
                for p in d.glob(".*.tmp-*"):
                    p.unlink(missing_ok=True)

    # --- reading --------------------------------------------------------------------------------
    def files(self, kind: str = "runs") -> list[Path]:
        """The finished Parquet files of ``kind`` (``runs`` or ``daily``), by name."""
        d = self.runs_dir if kind == "runs" else self.daily_dir
        return sorted(d.glob("part-*.parquet")) if d.is_dir() else []

    def iter_frames(self, kind: str = "runs", columns: list[str] | None = None) -> Iterator[pd.DataFrame]:
        """Each finished file as a DataFrame (unreadable ones skipped)."""
        for p in self.files(kind):
            try:
                yield pq.read_table(p, columns=columns).to_pandas()
            except (OSError, pa.ArrowException):
                continue

    def read(self, kind: str = "runs", columns: list[str] | None = None) -> pd.DataFrame:
        """Every finished row of ``kind``, sorted by run (and day)."""
        frames = list(self.iter_frames(kind, columns))
        if not frames:
            return pd.DataFrame()
        df = pd.concat(frames, ignore_index=True)
        order = [c for c in ("run", "day") if c in df.columns]
        return df.sort_values(order, kind="stable").reset_index(drop=True) if order else df
