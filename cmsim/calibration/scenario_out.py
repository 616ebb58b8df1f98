"""The fitted scenario as a YAML file: ``extends:`` the base, the fitted values, and ``provenance:``.

The file loads everywhere a scenario does (``cmsim.load_scenario``, ``cmsim.compare``, the
StrategyLab, the game, sweeps); ``provenance`` is a top-level key of the scenario schema that
records where the values came from and is otherwise ignored by the model::

    name: forum_fitted
    extends: forum
    community: {initial_members: 2000}
    members: {visit_rate: 0.0151, post_rate: 0.0087}
    provenance:
      data_file: my_forum.csv
      data_sha256: 3f2a...
      data_start: '2024-01-01'
      ...
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import yaml

__all__ = ["write_fitted", "read_provenance", "provenance"]


def provenance(result: Any) -> dict[str, Any]:
    """The ``provenance:`` mapping of a :class:`~cmsim.calibration.api.CalibrationResult`."""
    from cmsim.version import MODEL_VERSION

    obs = result.observed
    return {
        "data_file": Path(obs.source).name,
        "data_sha256": obs.sha256,
        "data_start": str(obs.start.date()),
        "data_end": str(obs.end.date()),
        "frequency": obs.freq,
        "columns": list(obs.columns),
        "strategy": result.strategy if isinstance(result.strategy, str) else "custom",
        "fitted": {k: float(v) for k, v in result.values.items()},
        "trials": int(len(result.trials)),
        "seeds_per_trial": len(result.seeds),
        "holdout_weeks": int((~result.fit_weeks).sum()),
        "score": round(float(result.score), 4),
        "score_noise": round(float(result.score_noise), 4),
        "holdout_coverage": round(float(result.holdout_coverage), 4),
        "members_per_simulated_member": round(1.0 / result.scale, 6),
        "model_version": MODEL_VERSION,
        "created": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def _extends(base: Any, folder: Path) -> tuple[str | None, dict[str, Any]]:
    """What the file extends (a shipped name or a path relative to ``folder``) and its values."""
    from cmsim.scenario import load_scenario, scenario_dirs

    src = getattr(base, "source", None)
    if src is None or not Path(src).is_file():
        return None, {}
    src = Path(src).resolve()
    shipped = any(src.parent == d.resolve() for d in scenario_dirs())
    ref = src.stem if shipped else os.path.relpath(src, folder.resolve())
    return ref, dict(load_scenario(src).values)


def write_fitted(result: Any, path: Path) -> Path:
    """Write the fitted scenario of ``result`` to ``path`` (YAML) and return the path.

    Only the values that differ from the base file's are written (the fitted ones and the size),
    under ``extends:``; a base without a file is written out in full.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fitted = result.fitted_scenario
    ref, parent = _extends(result.base_scenario, path.parent)
    doc: dict[str, Any] = {"name": fitted.name, "description": fitted.description}
    if ref is not None:
        doc["extends"] = ref
    for key, value in fitted.values.items():
        if ref is None or parent.get(key) != value or key in result.values:
            section, leaf = key.split(".", 1)
            doc.setdefault(section, {})[leaf] = value
    if result.base_scenario.events and ref is None:
        doc["events"] = result.base_scenario.events
    doc["provenance"] = provenance(result)
    header = ("# Fitted by cmsim.calibrate: the base scenario with the values the data pinned down.\n"
              "# 'provenance' records the data and the fit; it does not change the model.\n")  # fmt: skip
    path.write_text(
        header + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100), encoding="utf-8"
    )
    return path


def read_provenance(path: str | Path) -> dict[str, Any]:
    """The ``provenance:`` mapping of a scenario file (empty when it has none)."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    value = data.get("provenance") if isinstance(data, dict) else None
    return dict(value) if isinstance(value, dict) else {}
