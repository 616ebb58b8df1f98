"""Synthetic community data: the model's own output, from known parameters, as a manager's CSV.

Used for the shipped example (``scenarios/data/make_example.py``), the parameter-recovery check
(``benchmarks/calibration_recovery.py``) and the tests. The data are one run of the model at a
seed the fit never uses, formed exactly as :func:`cmsim.calibrate` forms the runs it compares
(``WARMUP_DAYS`` simulated first and dropped), plus optional reporting noise.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from cmsim.calibration.data import COLUMNS, weekly_from_daily
from cmsim.calibration.fit import WARMUP_DAYS
from cmsim.errors import ArgumentError

__all__ = ["synthetic_data", "DEFAULT_COLUMNS"]

#: The columns of the shipped example.
DEFAULT_COLUMNS: tuple[str, ...] = (
    "members",
    "dau",
    "posts",
    "new_members",
    "questions",
    "questions_answered",
)


def synthetic_data(
    scenario: Any = "forum",
    values: Mapping[str, Any] | None = None,
    *,
    members: int = 2000,
    days: int = 182,
    seed: int = 9_999,
    columns: Sequence[str] = DEFAULT_COLUMNS,
    freq: str = "weekly",
    noise: float = 0.0,
    start: str = "2024-01-01",
    strategy: Any = "balanced",
) -> pd.DataFrame:
    """A table of a simulated community in the layout :func:`cmsim.calibrate` reads.

    Parameters
    ----------
    scenario, values :
        The base scenario and the parameter values to set (the "truth").
    members, days :
        Size at the first date and days covered (after the warm-up).
    seed : int
        The run's seed (keep it away from the fit's seeds, 0..k-1, and the report's, 1000...).
    columns : sequence of str
        Data columns (:data:`cmsim.calibration.data.COLUMNS`) to write.
    freq : {"weekly", "daily"}
        Weekly rows (flows summed, ``dau`` averaged, stocks at the week's end) or daily rows.
    noise : float
        Reporting noise: each flow and ``dau`` value times ``exp(N(0, noise))`` (stocks such as
        ``members`` are exact), then rounded (0: none).

    Examples
    --------
    >>> df = synthetic_data(members=200, days=21, columns=["members", "posts"])
    >>> list(df.columns), len(df)
    (['date', 'members', 'posts'], 3)
    """
    from cmsim.scenario import load_scenario
    from cmsim.spec import simulate

    sc = load_scenario(scenario).with_overrides(
        {
            **dict(values or {}),
            "community.initial_members": int(members),
            "community.days": WARMUP_DAYS + int(days),
        }
    )
    daily = simulate(sc, strategy, seed=int(seed)).daily
    cols = list(columns)
    vals = np.column_stack([daily[list(COLUMNS[c].model)].sum(axis=1).to_numpy(float) for c in cols])
    if freq == "weekly":
        table = weekly_from_daily(vals, cols, offset=WARMUP_DAYS, days=int(days)).to_numpy()
        dates = pd.date_range(start, periods=len(table), freq="7D")
    elif freq == "daily":
        table = vals[WARMUP_DAYS:]
        dates = pd.date_range(start, periods=len(table), freq="D")
    else:
        raise ArgumentError(f"freq must be 'weekly' or 'daily', got {freq!r}")
    if noise > 0:  # counts of events and visits are noisy; a member count is read exactly
        rng = np.random.default_rng(int(seed))
        noisy = np.array([COLUMNS[c].kind != "stock" for c in cols])
        table = table * np.where(noisy, np.exp(rng.normal(0.0, noise, size=table.shape)), 1.0)
    out = pd.DataFrame(np.round(table).astype(np.int64), columns=cols)
    out.insert(0, "date", dates.strftime("%Y-%m-%d"))
    return out
