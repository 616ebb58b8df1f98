"""Sensitivity indices of a sweep's design, through SALib.

A Sobol design gives first-order indices (``S1``: the share of an outcome's variance a parameter
explains on its own) and total indices (``ST``: with all its interactions), each with a 95%
bootstrap confidence interval; a Morris design gives the mean absolute elementary effect
(``mu_star``, with its interval) and its spread (``sigma``). The outcome of a point is its metric
averaged over the point's seeds. Where the design is crossed with grid axes, the indices are
computed for each combination of the grid's levels.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from cmsim.errors import SweepError

__all__ = ["sensitivity", "CONF_LEVEL"]

CONF_LEVEL = 0.95
RESAMPLES = 1000


def _group_label(spec: Any, g: int) -> dict[str, Any]:
    if not spec.axes:
        return {}
    p = spec.point(g * len(spec.design_rows))
    return {k: p[k] for a in spec.axes for k in a.keys}


def sensitivity(sweep: Any, metric: str | None = None) -> pd.DataFrame:
    """Indices of every design key for ``metric`` (default: every metric of the spec).

    Returns
    -------
    pandas.DataFrame
        One row per (grid cell,) metric and parameter: for Sobol ``S1``, ``S1_low``, ``S1_high``,
        ``ST``, ``ST_low``, ``ST_high``; for Morris ``mu_star``, ``mu_star_low``, ``mu_star_high``,
        ``sigma``. Intervals are 95%.
    """
    spec = sweep.spec
    design = spec.design
    if design is None or design.method not in ("sobol", "morris"):
        raise SweepError(f"{spec.source}: sensitivity indices need a Sobol or Morris design")
    metrics = [metric] if metric else list(spec.metrics)
    for m in metrics:
        if m not in spec.metrics:
            raise SweepError(f"metric {m!r} is not kept by the sweep ({', '.join(spec.metrics)})")
    df = sweep.to_frame(columns=["point", *metrics])
    means = df.groupby("point")[metrics].mean()
    if len(means) < spec.n_points:
        raise SweepError(f"{sweep.out}: the sweep is not complete ({len(means)} of {spec.n_points} points)")
    rows_per = len(spec.design_rows)
    problem = design.problem()
    out = []
    for g in range(spec.n_points // rows_per):
        label = _group_label(spec, g)
        block = means.iloc[g * rows_per : (g + 1) * rows_per]
        for m in metrics:
            Y = block[m].to_numpy(dtype=float)
            if not np.isfinite(Y).all():
                continue
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                res = _analyze(design, problem, Y, spec.design_rows)
            for j, k in enumerate(design.keys):
                out.append({**label, "metric": m, "parameter": k, **{c: float(v[j]) for c, v in res.items()}})
    return pd.DataFrame(out)


def _analyze(design: Any, problem: dict, Y: np.ndarray, X: np.ndarray) -> dict[str, np.ndarray]:
    if design.method == "sobol":
        from SALib.analyze import sobol

        if np.ptp(Y) == 0:
            z = np.zeros(len(design.keys))
            return {"S1": z, "S1_low": z, "S1_high": z, "ST": z, "ST_low": z, "ST_high": z}
        r = sobol.analyze(problem, Y, calc_second_order=False, num_resamples=RESAMPLES, conf_level=CONF_LEVEL,
                          seed=0)  # fmt: skip
        s1, s1c, st, stc = (np.asarray(r[k]) for k in ("S1", "S1_conf", "ST", "ST_conf"))
        return {
            "S1": s1,
            "S1_low": s1 - s1c,
            "S1_high": s1 + s1c,
            "ST": st,
            "ST_low": st - stc,
            "ST_high": st + stc,
        }
    from SALib.analyze import morris

    r = morris.analyze(problem, X, Y, conf_level=CONF_LEVEL, num_levels=design.levels, num_resamples=RESAMPLES,
                       seed=0)  # fmt: skip
    mu, muc = np.asarray(r["mu_star"]), np.asarray(r["mu_star_conf"])
    return {"mu_star": mu, "mu_star_low": mu - muc, "mu_star_high": mu + muc, "sigma": np.asarray(r["sigma"])}
