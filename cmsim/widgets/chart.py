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
from matplotlib.lines import Line2D

from cmsim.widgets.results import CHART_METRICS, LabResult

__all__ = ["Chart", "network_png", "COLOURS", "STYLES"]

COLOURS: tuple[str, ...] = ("#0072B2", "#D55E00", "#009E73", "#CC79A7")
STYLES: tuple[str, ...] = ("-", "--", "-.", ":")
DPI = 80
#: The least share of a panel's height its numbers fill before its range is fitted to them again.
#: A third, not a half: a metric whose band peaks in one result and not in the next (the toxic
#: share's p90 at a small knob step: 2.8% against 7%) keeps one range, and the axes are not drawn
#: again at every move (0.1 s of the lab's update, against 0.02 s blitted).
FILL = 1.0 / 3.0


class Chart:
    """The over-time figure: one panel per charted metric, median line and 10-90% band per strategy.

    The panels (axes, ticks, labels, titles, legend) are drawn once and kept as a background
    bitmap; an update draws only the lines, bands and event marks over it (blitting), which is
    about ten times cheaper than drawing the figure. The axes' ranges are sticky: they change (and
    the background is drawn again) only when the new numbers leave them (they grow to hold the old
    numbers and the new) or fill less than a third of them (``FILL``).
    """

    def __init__(self, width: float = 10.0, height: float = 3.4) -> None:
        # A fixed layout: constrained layout measures every label again on each draw (half the time).
        self.figure = Figure(figsize=(width, height), dpi=DPI)
        self.canvas = FigureCanvasAgg(self.figure)
        self._key: tuple = ()
        self._lines: dict[tuple[str, str], Any] = {}
        self._bands: list[Any] = []
        self._marks: list[Any] = []
        self._background: Any = None
        self.draws = 0  # renders so far
        self.rebuilds = 0  # times the panels had to be laid out again
        self.full_draws = 0  # times the background (axes, ticks, labels) was drawn again

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
                (line,) = ax.plot([], [], color=COLOURS[i], ls=STYLES[i], lw=2, label=s, animated=True)
                self._lines[(m, s)] = line
        handles = [
            Line2D([], [], color=COLOURS[i], ls=STYLES[i], lw=2) for i in range(len(strategies))
        ]  # static twins of the (animated) lines
        labels = [f"{s}: median, 10-90% band" if i == 0 else s for i, s in enumerate(strategies)]
        self.figure.legend(handles, labels, loc="upper center", ncol=len(strategies), frameon=False,
                           fontsize=9, bbox_to_anchor=(0.5, 1.0))  # fmt: skip
        self._axes = dict(zip(metrics, axes, strict=True))
        self._background = None
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
        drawn = self._background is not None  # (the axes' ranges as drawn: kept or grown, below)
        for m, ax in self._axes.items():
            for i, s in enumerate(strategies):
                lo, med, hi = result.bands[m][s]
                self._lines[(m, s)].set_data(days, med)
                band = ax.fill_between(days, lo, hi, color=COLOURS[i], alpha=0.18, lw=0, animated=True)
                self._bands.append(band)
            for e in result.comparison.events:
                self._marks.append(ax.axvline(e["day"], color="0.35", lw=1, ls=":", animated=True))
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
                        animated=True,
                    )  # fmt: skip
                )
            values = [result.bands[m][s] for s in strategies]
            finite = np.concatenate([v[np.isfinite(v)] for v in values])
            if finite.size:
                self._sticky_ylim(ax, float(finite.min()), float(finite.max()), drawn)
            xlim = (0, max(1, len(days) - 1))
            if tuple(ax.get_xlim()) != xlim:
                ax.set_xlim(*xlim)
                self._background = None
        return self.png()

    def _sticky_ylim(self, ax: Any, lo: float, hi: float, drawn: bool) -> None:
        """Keep ``ax``'s range where the numbers ``lo..hi`` fit it and fill at least ``FILL`` of
        it; where they leave it, grow it to hold them too (a knob moved back and forth between
        results of similar spread draws the axes once, not at every move), unless they would then
        fill less than ``FILL``: fit them afresh."""
        pad = 0.05 * (hi - lo) if hi > lo else max(1.0, abs(hi) * 0.05)
        a, b = ax.get_ylim()
        new = (lo - pad, hi + pad)
        if drawn:
            inside = a <= lo and hi <= b
            # (a flat line keeps the padded limits it was given: no range to grow into them)
            if inside and ((hi - lo) >= FILL * (b - a) or hi == lo):
                return
            grown = (min(a, new[0]), max(b, new[1]))
            if not inside and (hi - lo) >= FILL * (grown[1] - grown[0]):
                new = grown
        ax.set_ylim(*new)
        self._background = None

    def _draw(self) -> None:
        if self._background is None:
            self.canvas.draw()  # the animated artists are left out of it
            self._background = self.canvas.copy_from_bbox(self.figure.bbox)
            self.full_draws += 1
        else:
            self.canvas.restore_region(self._background)
        for ax in self._axes.values():
            for artist in (*ax.collections, *ax.lines, *ax.texts):
                if artist.get_animated():
                    ax.draw_artist(artist)

    def png(self) -> bytes:
        """The figure as it stands, rendered to PNG."""
        from PIL import Image

        self._draw()
        buf = io.BytesIO()
        Image.fromarray(np.asarray(self.canvas.buffer_rgba())).save(buf, format="png", compress_level=1)
        self.draws += 1
        return buf.getvalue()

    def save(self, path: Any, fmt: str) -> None:
        """Write the figure to ``path`` as ``fmt`` ("png" or "svg"), at print resolution for PNG."""
        moving = [
            a
            for ax in self._axes.values()
            for a in (*ax.collections, *ax.lines, *ax.texts)
            if a.get_animated()
        ]
        for a in moving:
            a.set_animated(False)  # a plain draw leaves animated artists out
        try:
            self.figure.savefig(path, format=fmt, dpi=150 if fmt == "png" else DPI)
        finally:
            for a in moving:
                a.set_animated(True)
            self._background = None  # savefig drew at another resolution


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

        ax.add_collection(LineCollection(list(segs), colors="0.75", linewidths=0.5))
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
