"""All matplotlib code of the kit: figures a manager can paste into a slide.

The functions take tables (``Comparison.bands``, ``Comparison.summary``), not the objects that
made them. matplotlib is imported inside the functions, so importing :mod:`cmsim` never pulls it in.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from cmsim.metrics import metric

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from matplotlib.figure import Figure

__all__ = ["plot_bands", "plot_differences", "draw_events", "EVENT_GID"]

#: ``gid`` of the vertical lines that mark events and interventions (tests look for it).
EVENT_GID = "cmsim-event"
_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf")


def _percent_axis(ax: Any, axis: str = "y") -> None:
    from matplotlib.ticker import PercentFormatter

    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(PercentFormatter(1.0, decimals=0))


def draw_events(ax: Any, events: Sequence[dict[str, Any]], *, label: bool = True) -> list[Any]:
    """Draw each ``{day, label}`` as a dashed vertical line, labelled at the top of ``ax``."""
    lines = []
    for k, e in enumerate(events):
        line = ax.axvline(e["day"], color="0.35", linestyle="--", linewidth=1.0, zorder=1, gid=EVENT_GID)
        line.set_label(f"_event: {e['label']}")
        lines.append(line)
        if label:
            ax.annotate(
                str(e["label"]), xy=(e["day"], 1.0), xycoords=("data", "axes fraction"),
                xytext=(3, -3 - 11 * (k % 2)), textcoords="offset points", fontsize=8, color="0.25",
                va="top", ha="left", gid=EVENT_GID,
            )  # fmt: skip
    return lines


def plot_bands(
    bands: pd.DataFrame,
    *,
    events: Sequence[dict[str, Any]] = (),
    ncols: int | None = None,
    figsize: tuple[float, float] | None = None,
    title: str | None = None,
) -> Figure:
    """Time series of each metric: median line and 10-90% band per strategy; events as lines.

    Parameters
    ----------
    bands : pandas.DataFrame
        One row per strategy, day and metric with columns ``strategy``, ``day``, ``metric``,
        ``median``, ``p10`` and ``p90`` (as ``Comparison.bands``); one panel per metric and one
        colour per strategy, in the order they first appear.
    events : list of dict
        ``{day, label}`` drawn as dashed vertical lines.
    ncols : int, optional
        Panels per row (default up to 3).
    figsize : (width, height), optional
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    names = list(dict.fromkeys(bands["metric"]))
    strategies = list(dict.fromkeys(bands["strategy"]))
    ncols = ncols or min(3, len(names))
    nrows = math.ceil(len(names) / ncols)
    fig, axes = plt.subplots(
        nrows, ncols, figsize=figsize or (4.6 * ncols, 3.3 * nrows + 0.8), squeeze=False, sharex=True,
        layout="constrained",
    )  # fmt: skip
    for ax in axes.flat[len(names) :]:
        ax.set_visible(False)
    for ax, name in zip(axes.flat, names, strict=False):
        m = metric(name)
        sub = bands[bands["metric"] == name]
        for k, strat in enumerate(strategies):
            s = sub[sub["strategy"] == strat]
            colour = _COLOURS[k % len(_COLOURS)]
            ax.fill_between(s["day"], s["p10"], s["p90"], color=colour, alpha=0.18, linewidth=0)
            ax.plot(s["day"], s["median"], color=colour, linewidth=1.8, label=strat)
        draw_events(ax, events)
        ax.set_title(m.series_label or m.label, fontsize=11)
        ax.set_ylabel(m.unit or "value", fontsize=9)
        ax.set_xlabel("day")
        if m.unit == "%":
            _percent_axis(ax)
        ax.grid(alpha=0.3)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=min(len(labels), 6), frameon=False)
    fig.suptitle(title or "median and 10-90% range over seeds", fontsize=12)
    return fig


def plot_differences(
    summary: pd.DataFrame,
    baseline: str,
    metrics: Sequence[str] | None = None,
    *,
    ncols: int | None = None,
    figsize: tuple[float, float] | None = None,
    title: str | None = None,
) -> Figure:
    """Forest plot: each strategy's difference from the baseline with its 95% CI, per metric.

    A point is the mean paired difference over seeds; green when its CI lies on the better side
    of zero, red when on the worse side, grey when the CI crosses zero. The share of seeds where
    the strategy beat the baseline is written beside each point.

    Parameters
    ----------
    summary : pandas.DataFrame
        One row per metric and strategy with columns ``metric``, ``strategy``, ``diff``,
        ``diff_ci_low``, ``diff_ci_high`` and ``p_better`` (as ``Comparison.summary``).
    baseline : str
        The strategy the differences are taken from (not drawn).
    metrics : list of str, optional
        Metrics to draw (default: every metric of ``summary``, in order).

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    s = summary
    names = list(metrics or dict.fromkeys(s["metric"]))
    others = [x for x in dict.fromkeys(s["strategy"]) if x != baseline]
    ncols = ncols or min(2, len(names))
    nrows = math.ceil(len(names) / ncols)
    height = max(1.6, 0.45 * len(others) + 1.1)
    fig, axes = plt.subplots(
        nrows, ncols, figsize=figsize or (5.6 * ncols, height * nrows + 0.6), squeeze=False,
        layout="constrained",
    )  # fmt: skip
    for ax in axes.flat[len(names) :]:
        ax.set_visible(False)
    for ax, name in zip(axes.flat, names, strict=False):
        m = metric(name)
        rows = s[(s["metric"] == name)].set_index("strategy")
        scale = 100.0 if m.unit == "%" else 1.0
        for y, strat in enumerate(others):
            r = rows.loc[strat]
            d, lo, hi = r["diff"] * scale, r["diff_ci_low"] * scale, r["diff_ci_high"] * scale
            colour = "0.45"
            if m.better and np.isfinite(lo) and np.isfinite(hi):
                if (lo > 0 and m.better > 0) or (hi < 0 and m.better < 0):
                    colour = "#2ca02c"
                elif (hi < 0 and m.better > 0) or (lo > 0 and m.better < 0):
                    colour = "#d62728"
            if np.isfinite(d):
                err = [[d - lo], [hi - d]] if np.isfinite(lo) else None
                ax.errorbar(d, y, xerr=err, fmt="o", color=colour, capsize=4, markersize=6)
                if np.isfinite(r["p_better"]):
                    ax.annotate(f"better in {r['p_better']:.0%} of seeds", xy=(d, y), xytext=(0, 7),
                                textcoords="offset points", ha="center", fontsize=7, color="0.3")  # fmt: skip
        ax.axvline(0.0, color="0.2", linewidth=1.0)
        ax.set_yticks(range(len(others)), others)
        ax.set_ylim(-0.7, len(others) - 0.3)
        ax.invert_yaxis()
        unit = "percentage points" if m.unit == "%" else m.unit
        arrow = {1: " (higher is better)", -1: " (lower is better)"}.get(m.better, "")
        ax.set_title(m.label + arrow, fontsize=10)
        ax.set_xlabel(f"difference from {baseline} ({unit})" if unit else "difference", fontsize=9)
        ax.set_ylabel("strategy", fontsize=9)
        ax.grid(axis="x", alpha=0.3)
    fig.suptitle(title or f"difference from {baseline}, paired by seed (mean and 95% CI)", fontsize=11)
    return fig
