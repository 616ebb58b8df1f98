"""Pictures of the manager game: the dashboard's weeks so far and the end-of-game debrief.

Plain matplotlib figures (``matplotlib.figure.Figure``, no pyplot state), rendered to PNG bytes
for an ``ipywidgets.Image`` or shown as they are in a notebook.
"""

from __future__ import annotations

import html
import io
from collections.abc import Mapping, Sequence

import pandas as pd
from matplotlib.figure import Figure

__all__ = ["DASHBOARD_PANELS", "dashboard_svg", "dashboard_figure", "debrief_figure", "png"]

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


def _fmt(v: float) -> str:
    if abs(v) >= 100:
        return f"{v:,.0f}"
    return f"{v:.2g}" if abs(v) < 1 else f"{v:.3g}"


def _panel_svg(
    title: str, ys: Sequence[float], total_weeks: int, events: Sequence[int], fixed: tuple | None
) -> str:
    width, height, left, right, top, bottom = 240, 120, 44, 8, 20, 18
    pw, ph = width - left - right, height - top - bottom
    finite = [y for y in ys if y == y]
    lo, hi = fixed if fixed else ((min(finite), max(finite)) if finite else (0.0, 1.0))
    if hi - lo < 1e-9:
        lo, hi = lo - 0.5 if lo else 0.0, hi + 0.5 if hi else 1.0
    pad = 0.0 if fixed else 0.08 * (hi - lo)
    lo, hi = lo - pad, hi + pad

    def px(week: float) -> float:
        return left + pw * (week - 0.5) / total_weeks

    def py(y: float) -> float:
        return top + ph * (1.0 - (y - lo) / (hi - lo))

    parts = [
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' class='cmsim-panel'>",
        f"<text x='{left}' y='13' font-size='12' font-weight='bold'>{html.escape(title)}</text>",
        f"<rect x='{left}' y='{top}' width='{pw}' height='{ph}' fill='none' stroke='#bbb'/>",
        f"<text x='{left - 3}' y='{top + 9}' font-size='9' text-anchor='end'>{_fmt(hi)}</text>",
        f"<text x='{left - 3}' y='{top + ph}' font-size='9' text-anchor='end'>{_fmt(lo)}</text>",
        f"<text x='{left}' y='{height - 4}' font-size='9'>week 1</text>",
        f"<text x='{left + pw}' y='{height - 4}' font-size='9' text-anchor='end'>{total_weeks}</text>",
    ]
    for week in events:
        x = px(week)
        parts.append(
            f"<line x1='{x:.1f}' y1='{top}' x2='{x:.1f}' y2='{top + ph}' stroke='#d62728' stroke-dasharray='3,3'/>"
        )
    points = [(px(i + 1), py(y)) for i, y in enumerate(ys) if y == y]
    if len(points) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        parts.append(f"<polyline points='{path}' fill='none' stroke='#1f77b4' stroke-width='2'/>")
    for x, y in points:
        parts.append(f"<circle cx='{x:.1f}' cy='{y:.1f}' r='2.5' fill='#1f77b4'/>")
    if finite:
        parts.append(f"<text x='{left + pw - 2}' y='{top + 11}' font-size='10' text-anchor='end' "
                     f"class='cmsim-last'>{_fmt(finite[-1])}</text>")  # fmt: skip
    parts.append("</svg>")
    return "".join(parts)


def dashboard_svg(weeks: Sequence[Mapping[str, float]], total_weeks: int, events: Sequence[int] = ()) -> str:
    """The dashboard's six panels as inline SVG (one point a week played, as the manager saw it):
    drawn in well under a millisecond, so a week's redraw costs nothing next to the model."""
    cells = []
    for title, key in DASHBOARD_PANELS:
        fixed = (0.0, 1.0) if key in ("manager_stress", "mean_satisfaction") else None
        cells.append(_panel_svg(title, [_value(o, key) for o in weeks], total_weeks, events, fixed))
    return (
        "<div class='cmsim-chart' style='display:grid;grid-template-columns:repeat(3,240px);gap:4px'>"
        + "".join(cells)
        + "</div>"
    )


def dashboard_figure(
    weeks: Sequence[Mapping[str, float]], total_weeks: int, events: Sequence[int] = ()
) -> Figure:
    """The same six panels as a matplotlib figure (for a notebook or a printed handout)."""
    fig = Figure(figsize=(9.0, 4.2), dpi=80, layout="constrained")
    axes = fig.subplots(2, 3, sharex=True)
    x = list(range(1, len(weeks) + 1))
    for ax, (title, key) in zip(axes.flat, DASHBOARD_PANELS, strict=True):
        ax.plot(x, [_value(o, key) for o in weeks], marker="o", ms=3, color="tab:blue")
        ax.set_title(title, fontsize=9)
        ax.set_xlim(0.5, total_weeks + 0.5)
        ax.tick_params(labelsize=7)
        for week in events:
            ax.axvline(week, color="tab:red", lw=0.8, ls=":")
        if key in ("manager_stress", "mean_satisfaction"):
            ax.set_ylim(0, 1)
    for ax in axes[1]:
        ax.set_xlabel("week", fontsize=8)
    return fig


def debrief_figure(
    daily: Mapping[str, pd.DataFrame], columns: Sequence[str], effects: pd.DataFrame
) -> Figure:
    """Your run against the built-ins (one panel per daily column, 7-day means) and each week's effect."""
    n = len(columns)
    fig = Figure(figsize=(4.0 * (n + 1), 3.4), dpi=80, layout="constrained")
    axes = fig.subplots(1, n + 1)
    for ax, col in zip(axes[:n], columns, strict=True):
        for name, d in daily.items():
            you = name == "you"
            ax.plot((d.index + 1) / 7.0, d[col].rolling(7, min_periods=1).mean(), lw=2.5 if you else 1.0, color="black" if you else None,
                    alpha=1.0 if you else 0.7, label=name, zorder=3 if you else 2)  # fmt: skip
        ax.set_title(f"{col.replace('_', ' ')} (7-day mean)", fontsize=10)
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
