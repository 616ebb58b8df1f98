"""Pictures of the manager game: the dashboard's weeks so far and the end-of-game debrief.

Plain matplotlib figures (``matplotlib.figure.Figure``, no pyplot state), rendered to PNG bytes
for an ``ipywidgets.Image`` or shown as they are in a notebook.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

import pandas as pd
from matplotlib.figure import Figure

__all__ = ["DASHBOARD_PANELS", "dashboard_figure", "debrief_figure", "png"]

#: The dashboard's panels: (title, function of one week's dashboard).
DASHBOARD_PANELS: tuple[tuple[str, str], ...] = (
    ("Members", "members"),
    ("Active members a day", "dau"),
    ("Toxic posts a week", "toxic_posts"),
    ("Questions answered (%)", "answered"),
    ("Mean satisfaction", "mean_satisfaction"),
    ("Your stress", "manager_stress"),
)


def _value(obs: Mapping[str, float], key: str) -> float:
    if key == "dau":
        return obs["dau"] / 7.0
    if key == "answered":
        asked = obs["questions"]
        return 100.0 * obs["questions_answered"] / asked if asked > 0 else float("nan")
    return float(obs[key])


def dashboard_figure(
    weeks: Sequence[Mapping[str, float]], total_weeks: int, events: Sequence[tuple[int, str]] = ()
) -> Figure:
    """Six small panels of the dashboard, one point a week played (as the manager saw them)."""
    fig = Figure(figsize=(9.0, 4.2), dpi=80, layout="constrained")
    axes = fig.subplots(2, 3, sharex=True)
    x = list(range(1, len(weeks) + 1))
    for ax, (title, key) in zip(axes.flat, DASHBOARD_PANELS, strict=True):
        ax.plot(x, [_value(o, key) for o in weeks], marker="o", ms=3, color="tab:blue")
        ax.set_title(title, fontsize=9)
        ax.set_xlim(0.5, total_weeks + 0.5)
        ax.tick_params(labelsize=7)
        for week, _label in events:
            ax.axvline(week, color="tab:red", lw=0.8, ls=":")
        if key == "manager_stress":
            ax.set_ylim(0, 1)
    for ax in axes[1]:
        ax.set_xlabel("week", fontsize=8)
    return fig


def debrief_figure(
    daily: Mapping[str, pd.DataFrame], columns: Sequence[str], effects: pd.DataFrame
) -> Figure:
    """Your run against the built-ins (one panel per column, by week) and each week's effect."""
    n = len(columns)
    fig = Figure(figsize=(4.0 * (n + 1), 3.4), dpi=80, layout="constrained")
    axes = fig.subplots(1, n + 1)
    for ax, col in zip(axes[:n], columns, strict=True):
        for name, d in daily.items():
            you = name == "you"
            ax.plot(d.index / 7.0, d[col], lw=2.5 if you else 1.0, color="black" if you else None,
                    alpha=1.0 if you else 0.7, label=name, zorder=3 if you else 2)  # fmt: skip
        ax.set_title(col.replace("_", " "), fontsize=10)
        ax.set_xlabel("week")
    axes[0].legend(fontsize=7)
    ax = axes[n]
    e = effects.sort_values("week")
    ax.bar(e["week"], e["effect"], color=["tab:green" if v >= 0 else "tab:red" for v in e["effect"]])
    ax.axhline(0, color="black", lw=0.8)
    ax.set_title("each week's effect on your score\n(your choice vs balanced)", fontsize=10)
    ax.set_xlabel("week")
    return fig


def png(fig: Figure) -> bytes:
    """The figure as PNG bytes."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()
