"""Scenario discovery: under which conditions does something happen? A small PRIM.

PRIM (the Patient Rule Induction Method, Friedman & Fisher 1999) looks for a box in the space of
the sweep's axes where an outcome (say, "strategy A beats strategy B") happens far more often
than overall. It starts from the box holding every case and peels: at each step it removes the
slice (``alpha`` of the cases at the low or the high end of one numeric axis, or one category of
another) whose removal raises the share of cases with the outcome the most, until the box holds
fewer than ``min_support`` of the cases. Of the boxes along the way it keeps the one that holds
the most cases with the outcome while the outcome is true in at least ``threshold`` of its cases.

The kit carries its own PRIM (about a hundred lines, tested on cases with a known box) rather than
EMA Workbench's, which would add scikit-learn, statsmodels and more to every install for one
method; the peeling is the same, without pasting or box covering.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from cmsim.errors import SweepError

__all__ = ["Box", "prim", "where_better", "where_better_frame"]


@dataclass
class Box:
    """A PRIM box: limits on some axes, and how well it singles out the outcome.

    Attributes
    ----------
    limits : dict
        ``{axis: (low, high)}`` for restricted numeric axes (inclusive), ``{axis: [categories]}``
        for restricted categorical ones; unrestricted axes are left out.
    density : float
        Share of the cases in the box where the outcome happens.
    coverage : float
        Share of all the cases with the outcome that fall in the box.
    support : float
        Share of all cases in the box.
    base_rate : float
        Share of all cases with the outcome.
    trajectory : pandas.DataFrame
        ``step``, ``support``, ``density``, ``coverage`` of every box along the peeling.
    outcome : str
        What the outcome is, in words (for :meth:`describe`).
    """

    limits: dict[str, Any]
    density: float
    coverage: float
    support: float
    base_rate: float
    trajectory: pd.DataFrame
    outcome: str = "The outcome happens"

    def conditions(self) -> list[str]:
        """Each limit in words (``"trolls.arrival_rate >= 0.2"``)."""
        out = []
        for k, lim in self.limits.items():
            if isinstance(lim, list):
                out.append(f"{k} is {' or '.join(map(str, lim))}")
                continue
            lo, hi = lim
            if lo is not None and hi is not None:
                out.append(f"{k} is between {lo:.3g} and {hi:.3g}")
            elif lo is not None:
                out.append(f"{k} >= {lo:.3g}")
            else:
                out.append(f"{k} <= {hi:.3g}")
        return out

    def describe(self) -> str:
        """The box in one plain sentence."""
        if not self.limits:
            return (
                f"{self.outcome} in {self.base_rate:.0%} of all cases, "
                "with no condition on the axes that singles out where it happens more."
            )
        return (
            f"{self.outcome} in {self.density:.0%} of the cases where "
            f"{' and '.join(self.conditions())} (against {self.base_rate:.0%} overall); these are "
            f"{self.support:.0%} of all cases and hold {self.coverage:.0%} of those where it happens."
        )

    def mask(self, X: pd.DataFrame) -> np.ndarray:
        """Which rows of ``X`` lie in the box."""
        inside = np.ones(len(X), dtype=bool)
        for k, lim in self.limits.items():
            x = X[k]
            if isinstance(lim, list):
                inside &= x.isin(lim).to_numpy()
            else:
                lo, hi = lim
                if lo is not None:
                    inside &= (x >= lo).to_numpy()
                if hi is not None:
                    inside &= (x <= hi).to_numpy()
        return inside


def _numeric(x: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(x) and not pd.api.types.is_bool_dtype(x)


def prim(
    X: pd.DataFrame,
    y: Sequence[bool] | np.ndarray,
    *,
    alpha: float = 0.05,
    min_support: float = 0.05,
    threshold: float = 0.8,
    outcome: str = "The outcome happens",
) -> Box:
    """Find a box of ``X``'s columns where ``y`` is mostly true (see the module docs).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"a": rng.uniform(size=2000), "b": rng.uniform(size=2000)})
    >>> box = prim(X, X["a"] > 0.7, threshold=0.95)
    >>> sorted(box.limits), round(box.limits["a"][0], 2), box.density > 0.95, box.coverage
    (['a'], 0.7, True, 1.0)
    """
    y = np.asarray(y, dtype=bool)
    if len(X) != len(y) or len(y) == 0:
        raise SweepError(f"prim needs one outcome per case; got {len(X)} cases and {len(y)} outcomes")
    if not 0 < alpha < 0.5 or not 0 < min_support <= 1:
        raise SweepError(f"prim needs 0 < alpha < 0.5 and 0 < min_support <= 1; got {alpha}, {min_support}")
    n, total = len(y), max(int(y.sum()), 1)
    cols = {c: (X[c].to_numpy(dtype=float) if _numeric(X[c]) else X[c].astype(str).to_numpy()) for c in X}
    inside = np.ones(n, dtype=bool)
    sides: dict[str, frozenset[str]] = {}  # which ends of each axis the peeling has cut
    boxes = [(inside, sides)]
    while inside.sum() / n > min_support and y[inside].mean() < 1.0:
        best, best_key, best_cut = None, None, ("", "")
        for c, x in cols.items():
            xin = x[inside]
            if x.dtype.kind == "f":
                lo, hi = np.quantile(xin, alpha), np.quantile(xin, 1 - alpha)
                cut_lo = x < lo if (xin < lo).any() else x <= xin.min()
                cut_hi = x > hi if (xin > hi).any() else x >= xin.max()
                cands = [(cut_lo, "low"), (cut_hi, "high")]
            else:
                cands = [(x == v, "set") for v in np.unique(xin)]
            for cut, side in cands:
                rest = inside & ~cut
                m = int(rest.sum())
                if m == 0 or m == int(inside.sum()):
                    continue
                key = (y[rest].mean(), m)
                if best_key is None or key > best_key:
                    best, best_key, best_cut = rest, key, (c, side)
        if (
            best is None
            or best_key is None
            or best_key[0] <= y[inside].mean()
            or best.sum() / n < min_support
        ):
            break
        c, side = best_cut
        inside, sides = best, {**sides, c: sides.get(c, frozenset()) | {side}}
        boxes.append((inside, sides))
    rows = [(i, b.sum() / n, y[b].mean(), y[b].sum() / total) for i, (b, _) in enumerate(boxes)]
    traj = pd.DataFrame(rows, columns=["step", "support", "density", "coverage"])
    good = traj[traj["density"] >= threshold]
    pick = (
        int(good.sort_values(["coverage", "step"], ascending=[False, True]).iloc[0]["step"])
        if len(good)
        else int(traj["density"].idxmax())
    )
    chosen, cut_sides = boxes[pick]
    limits: dict[str, Any] = {}
    for c, cut in cut_sides.items():
        xin = cols[c][chosen]
        if "set" in cut:
            limits[c] = sorted(set(xin.tolist()))
        else:
            limits[c] = (
                float(xin.min()) if "low" in cut else None,
                float(xin.max()) if "high" in cut else None,
            )
    return Box(limits, float(y[chosen].mean()), float(y[chosen].sum() / total), float(chosen.mean()),
               float(y.mean()), traj, outcome)  # fmt: skip


def where_better_frame(
    df: pd.DataFrame, axes: Sequence[str], metric: str, a: str, b: str, **kwargs: Any
) -> Box:
    """Where strategy ``a`` beats ``b`` on ``metric``, from a frame of runs with a ``strategy`` column.

    Runs are paired by seed and every other axis; "beats" means a higher value, or a lower one for
    metrics where lower is better (``toxic_share``, ``burnout_days``...).
    """
    from cmsim.metrics import LOWER_IS_BETTER, METRICS

    if "strategy" not in df.columns:
        raise SweepError("scenario discovery needs a sweep with a 'strategy' axis")
    present = set(df["strategy"])
    for s in (a, b):
        if s not in present:
            raise SweepError(
                f"strategy {s!r} is not on the sweep's strategy axis ({', '.join(sorted(present))})"
            )
    if metric not in df.columns:
        raise SweepError(f"metric {metric!r} is not in the sweep's results")
    others = [k for k in axes if k != "strategy"]
    if not others:
        raise SweepError("scenario discovery needs at least one axis besides 'strategy'")
    wide = df[df["strategy"].isin([a, b])].pivot_table(
        index=[*others, "seed"], columns="strategy", values=metric
    )
    wide = wide.dropna().reset_index()
    sign = -1.0 if metric in LOWER_IS_BETTER else 1.0
    y = sign * (wide[a] - wide[b]) > 0
    label = METRICS[metric].label.lower() if metric in METRICS else metric
    return prim(wide[others], y.to_numpy(), outcome=f"{a} beats {b} on {label.lower()}", **kwargs)


def where_better(sweep: Any, metric: str, a: str, b: str, **kwargs: Any) -> Box:
    """:func:`where_better_frame` on a sweep's results (``cmsim.sweep(...).discover``)."""
    return where_better_frame(sweep.to_frame(), sweep.spec.axis_keys, metric, a, b, **kwargs)
