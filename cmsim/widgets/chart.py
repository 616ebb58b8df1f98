"""The lab's charts: one matplotlib figure kept for the lab's life and updated in place.

Each update moves the median lines (``set_data``) and replaces the bands and event marks of the
figure it already has, then renders it once to PNG for an ``ipywidgets.Image`` (no pyplot, so
nothing is displayed twice and the figure works in JupyterLab, Voilà and headless runs alike,
with no JavaScript extension to install). The same figure exports as PNG and SVG.

Colours are the Okabe-Ito palette (colour-blind safe), and each strategy also gets its own line
style, so the lines can be told apart in grey.
"""

from __future__ import annotations

import io
from functools import lru_cache
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from cmsim.widgets.results import CHART_METRICS, LabResult

__all__ = ["Chart", "network_png", "COLOURS", "STYLES"]

COLOURS: tuple[str, ...] = ("#0072B2", "#D55E00", "#009E73", "#CC79A7")
STYLES: tuple[str, ...] = ("-", "--", "-.", ":")
DPI = 80


class Chart:
    """The over-time figure: one panel per charted metric, median line and 10-90% band per strategy."""

    def __init__(self, width: float = 10.0, height: float = 3.4) -> None:
        # A fixed layout: constrained layout measures every label again on each draw (half the time).
        self.figure = Figure(figsize=(width, height), dpi=DPI)
        self.canvas = FigureCanvasAgg(self.figure)
        self._key: tuple = ()
        self._lines: dict[tuple[str, str], Any] = {}
        self._bands: list[Any] = []
        self._marks: list[Any] = []
        self.draws = 0  # renders so far
        self.rebuilds = 0  # times the panels had to be laid out again

    def _layout(self, metrics: list[str], strategies: list[str]) -> None:
        self.figure.clear()
        self._lines, self._bands, self._marks = {}, [], []
        axes = self.figure.subplots(1, len(metrics), squeeze=False)[0]
        self.figure.subplots_adjust(left=0.07, right=0.99, bottom=0.14, top=0.80, wspace=0.28)
        for ax, m in zip(axes, metrics, strict=True):
            ax.set_title(CHART_METRICS[m].title, fontsize=10)
            ax.set_xlabel("day", fontsize=9)
            ax.tick_params(labelsize=8)
            ax.grid(alpha=0.3)
            for i, s in enumerate(strategies):
                (line,) = ax.plot([], [], color=COLOURS[i], ls=STYLES[i], lw=2, label=s)
                self._lines[(m, s)] = line
        handles = [self._lines[(metrics[0], s)] for s in strategies]
        labels = [f"{s}: median, 10-90% band" if i == 0 else s for i, s in enumerate(strategies)]
        self.figure.legend(handles, labels, loc="upper center", ncol=len(strategies), frameon=False,
                           fontsize=9, bbox_to_anchor=(0.5, 1.0))  # fmt: skip
        self._axes = dict(zip(metrics, axes, strict=True))
        self.rebuilds += 1

    def update(self, result: LabResult) -> bytes:
        """Show ``result`` (reusing the panels when metrics and strategies are unchanged); PNG bytes."""
        metrics = list(result.bands)
        strategies = list(result.comparison.ensembles)
        key = (tuple(metrics), tuple(strategies))
        if key != self._key:
            self._layout(metrics, strategies)
            self._key = key
        for artist in (*self._bands, *self._marks):
            artist.remove()
        self._bands, self._marks = [], []
        days = result.days
        for m, ax in self._axes.items():
            for i, s in enumerate(strategies):
                lo, med, hi = result.bands[m][s]
                self._lines[(m, s)].set_data(days, med)
                self._bands.append(ax.fill_between(days, lo, hi, color=COLOURS[i], alpha=0.18, lw=0))
            for e in result.comparison.events:
                self._marks.append(ax.axvline(e["day"], color="0.35", lw=1, ls=":"))
                if ax is not self._axes[metrics[0]]:
                    continue  # the event's name once, on the first panel
                self._marks.append(
                    ax.annotate(
                        e["label"],
                        (e["day"], 1.0),
                        xycoords=("data", "axes fraction"),
                        fontsize=7,
                        rotation=90,
                        va="top",
                        ha="right",
                        color="0.3",
                    )  # fmt: skip
                )
            finite = np.concatenate([result.bands[m][s][np.isfinite(result.bands[m][s])] for s in strategies])
            if finite.size:
                lo, hi = float(finite.min()), float(finite.max())
                pad = 0.05 * (hi - lo) if hi > lo else max(1.0, abs(hi) * 0.05)
                ax.set_ylim(lo - pad, hi + pad)
            ax.set_xlim(0, max(1, len(days) - 1))
        return self.png()

    def png(self) -> bytes:
        """The figure as it stands, rendered to PNG."""
        buf = io.BytesIO()
        self.canvas.print_png(buf, pil_kwargs={"compress_level": 1})  # fast to encode, still small
        self.draws += 1
        return buf.getvalue()

    def save(self, path: Any, fmt: str) -> None:
        """Write the figure to ``path`` as ``fmt`` ("png" or "svg"), at print resolution for PNG."""
        self.figure.savefig(path, format=fmt, dpi=150 if fmt == "png" else DPI)


@lru_cache(maxsize=16)
def _network(kind: str, mean_degree: float, seed: int = 1, n: int = 150) -> tuple[bytes, str]:
    import networkx as nx

    import cmsim

    g = cmsim.build_graph(kind, n, mean_degree=min(float(mean_degree), 8.0), seed=seed)
    G = g.to_networkx()
    pos = nx.spring_layout(G, seed=seed, iterations=40)
    xy = np.array([pos[i] for i in range(n)])
    deg = np.array([G.degree(i) for i in range(n)], dtype=float)
    fig = Figure(figsize=(3.0, 3.0), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    segs = np.array([(xy[a], xy[b]) for a, b in G.edges()])
    if len(segs):
        from matplotlib.collections import LineCollection

        ax.add_collection(LineCollection(segs, colors="0.75", linewidths=0.5))
    ax.scatter(xy[:, 0], xy[:, 1], s=8 + 4 * deg, c=deg, cmap="viridis", zorder=2, edgecolors="white", lw=0.4)
    ax.set_title(f"Who sees whom: {n} members\nof a {kind.replace('_', ' ')} community", fontsize=9)
    ax.set_axis_off()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    svg = io.StringIO()
    fig.savefig(svg, format="svg")
    return buf.getvalue(), svg.getvalue()


def network_png(scenario: Any) -> tuple[bytes, str]:
    """A small picture of the member network of ``scenario``'s kind (PNG bytes, SVG text), cached."""
    v = scenario.values
    return _network(str(v["community.kind"]), float(v["graph.mean_degree"]))
