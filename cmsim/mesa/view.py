"""Pictures of a Mesa community: members classified by state, a fixed layout, network and plots.

Shared by the *inside the model* notebook widget (:mod:`cmsim.widgets.inside`) and the SolaraViz
app (:mod:`cmsim.mesa.app`), so both show the same thing:

- :func:`member_state` puts each member in one of eight :data:`STATES` (newcomer, lurker,
  active, champion, troll, spammer, lapsed, gone), each with its colour and a legend line;
- :class:`FixedLayout` lays the network out once (``networkx.spring_layout``) and places each
  newcomer near the contacts it joined with, so a member stays where it is from day to day;
- :class:`CommunityPicture` draws the network (networkx and matplotlib) and the daily plots,
  with plain labels in days, and updates its artists in place at each step.

The day shown is ``model.day``, the number of days simulated: a plot's last point is at that
day, the day's row of ``model.daily`` (whose ``day`` column counts from 0) being plotted at
``day + 1``, so plots, title and counter agree.
"""

from __future__ import annotations

import io
import zlib
from typing import Any

import networkx as nx
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator
from PIL import Image

from cmsim.errors import ArgumentError
from cmsim.mesa import agents as A

__all__ = [
    "STATES",
    "STATE_COLOURS",
    "STATE_HEX",
    "STATE_MEANING",
    "member_state",
    "member_states",
    "state_counts",
    "busiest_member",
    "FixedLayout",
    "CommunityPicture",
    "PANELS",
]

#: The states a member is drawn in, in legend order.
STATES: tuple[str, ...] = ("newcomer", "lurker", "active", "champion", "troll", "spammer", "lapsed", "gone")
#: The colour of each state (matplotlib colours; the legend and the docs name them).
STATE_COLOURS: dict[str, str] = {
    "newcomer": "#f2b701",
    "lurker": "#9ecae1",
    "active": "#1f63b4",
    "champion": "tab:green",
    "troll": "tab:red",
    "spammer": "tab:brown",
    "lapsed": "#c7c7c7",
    "gone": "#eeeeee",
}
#: The same colours as CSS hex codes (for HTML legends).
STATE_HEX: dict[str, str] = {s: to_hex(c) for s, c in STATE_COLOURS.items()}
#: What each state means, as the legend and the docs say it.
STATE_MEANING: dict[str, str] = {
    "newcomer": "joined less than 30 days ago (dynamics.newcomer_days)",
    "lurker": "here, has not written anything yet",
    "active": "here and has written",
    "champion": "prolific helper (dynamics.champion_posts contributions)",
    "troll": "posts toxic content",
    "spammer": "posts spam",
    "lapsed": "has stayed away (dynamics.lapse_days); may come back",
    "gone": "left for good or removed by moderation",
}
#: The plots :class:`CommunityPicture` can show beside the network.
PANELS: tuple[str, ...] = ("network", "activity", "toxicity", "satisfaction")


def member_state(member: A.Member, day: int, newcomer_days: float) -> str:
    """The state a member is drawn in on ``day`` (one of :data:`STATES`).

    In order: ``gone`` (left or removed), ``lapsed``, ``troll``, ``spammer``, ``champion``;
    then an ordinary member who joined during the run less than ``newcomer_days`` days ago (the
    model's own rule, ``day - joined < newcomer_days``) is a ``newcomer``; else ``lurker`` if it
    has written nothing yet (no post, question, complaint, reply or answer) and ``active`` if it
    has.

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> m = NS(status="active", role="member", joined=10, posts=0)
    >>> member_state(m, 20, 30), member_state(m, 45, 30)
    ('newcomer', 'lurker')
    """
    if member.status in (A.LEFT, A.REMOVED):
        return "gone"
    if member.status == A.LAPSED:
        return "lapsed"
    if member.role in (A.TROLL, A.SPAMMER, A.CHAMPION):
        return member.role
    if member.joined >= 0 and day - member.joined < newcomer_days:
        return "newcomer"
    return "active" if member.posts > 0 else "lurker"


def _day_shown(model: Any) -> int:
    """The day the picture shows: the last one simulated (0 before the first step)."""
    return max(model.day - 1, 0)


def member_states(model: Any) -> list[str]:
    """The state of every member of ``model``, by slot."""
    day, nd = _day_shown(model), model.p.dynamics.newcomer_days
    return [member_state(m, day, nd) for m in model.member_list]


def state_counts(model: Any) -> dict[str, int]:
    """How many members are in each state now (every state, zeros included)."""
    counts = dict.fromkeys(STATES, 0)
    for s in member_states(model):
        counts[s] += 1
    return counts


def busiest_member(model: Any, state: str | None = None) -> int | None:
    """The slot of the most active member in ``state`` (default: the most active ordinary member,
    whose days have the most to tell); None when no member is in that state."""
    if state is None:
        found = [m for m in model.member_list if m.role == A.MEMBER] or list(model.member_list)
    else:
        found = [m for m, s in zip(model.member_list, member_states(model), strict=True) if s == state]
    return max(found, key=lambda m: (m.activity, -m.slot)).slot if found else None


def _jitter(seed: int, slot: int) -> np.ndarray:
    """A small, reproducible offset for a newcomer's place (the same on every run)."""
    h = zlib.crc32(f"{seed}:{slot}".encode())
    rng = np.random.default_rng(h)
    return rng.normal(0.0, 0.04, 2)


class FixedLayout:
    """Positions of the members on the picture, computed once and kept.

    The members present at the start are laid out with ``networkx.spring_layout`` (seeded);
    each newcomer is placed, when first seen, near the members it linked to (the mean of their
    places plus a small offset), or on the rim if it found no one. A member never moves.

    Parameters
    ----------
    model : CommunityModel
        The model whose members are laid out.
    seed : int, default 1
        Seed of the spring layout and the newcomers' offsets.
    """

    def __init__(self, model: Any, seed: int = 1) -> None:
        self.seed = seed
        G = model.space.G
        n = len(model.member_list)
        pos = nx.spring_layout(G, seed=seed, iterations=50, k=1.5 / np.sqrt(max(n, 1)))
        self.xy = np.array([pos[i] for i in range(n)], dtype=float).reshape(n, 2)

    def update(self, model: Any) -> np.ndarray:
        """Place members who arrived since the last call; return every member's position."""
        members = model.member_list
        n_old = len(self.xy)
        if len(members) > n_old:
            new = np.zeros((len(members) - n_old, 2))
            xy = np.vstack([self.xy, new])
            for slot in range(n_old, len(members)):
                known = [c.slot for c in members[slot].contacts if c.slot < slot]
                if known:
                    xy[slot] = xy[known].mean(axis=0) + _jitter(self.seed, slot)
                else:
                    angle = 2 * np.pi * (zlib.crc32(f"{self.seed}/{slot}".encode()) % 3600) / 3600
                    xy[slot] = 1.1 * np.array([np.cos(angle), np.sin(angle)])
            self.xy = xy
        return self.xy


def _nice_top(top: float) -> float:
    """The smallest of 1, 2, 5, 10, 20, 50... at or above ``1.15 * top``."""
    target = 1.15 * top
    step = 10.0 ** np.floor(np.log10(target))
    for m in (1.0, 2.0, 5.0, 10.0):
        if m * step >= target:
            return m * step
    return 10.0 * step


def node_sizes(model: Any) -> np.ndarray:
    """Dot sizes (points squared) by activity: the member's propensity to visit and post."""
    act = np.array([m.activity for m in model.member_list], dtype=float)
    return 8.0 + 30.0 * np.sqrt(np.clip(act, 0.0, 6.0))


def _series(model: Any) -> dict[str, np.ndarray]:
    """The plotted columns so far, with the day each belongs to (1 = end of the first day)."""
    mv = model.datacollector.model_vars
    n = len(mv.get("day", []))
    x = np.arange(1, n + 1, dtype=float)
    cols = ("members", "dau", "toxic_posts", "spam_posts", "mean_satisfaction")
    return {"day": x, **{c: np.asarray(mv.get(c, [])[:n], dtype=float) for c in cols}}


#: The lines of each plot: (column, label, colour).
_LINES: dict[str, tuple[str, tuple[tuple[str, str, str], ...]]] = {
    "activity": (
        "Members and daily visitors",
        (("members", "members here", "#1f63b4"), ("dau", "visited that day", "#f2b701")),
    ),
    "toxicity": (
        "Toxic posts and spam a day",
        (("toxic_posts", "toxic posts", "#d62728"), ("spam_posts", "spam", "#8c564b")),
    ),
    "satisfaction": (
        "Mean satisfaction of members (0 to 1)",
        (("mean_satisfaction", "satisfaction", "#2ca02c"),),
    ),
}


class CommunityPicture:
    """A figure of the community: its network and its daily plots, redrawn in place each day.

    Parameters
    ----------
    model : CommunityModel
        The model drawn first (:meth:`update` takes the model again, or a new one after a reset).
    panels : sequence of str, default all of :data:`PANELS`
        What to draw: ``"network"`` and any of the plots ``"activity"``, ``"toxicity"``,
        ``"satisfaction"``. The network, when asked for, is on the left, the plots stacked on
        the right.
    figsize : (float, float), optional
    dpi : int, default 80

    Attributes
    ----------
    fig : matplotlib.figure.Figure
    layout : FixedLayout or None
    signature : tuple
        What the picture shows now (day, states counts, points plotted): changes when it does.
    """

    def __init__(
        self,
        model: Any,
        panels: tuple[str, ...] = PANELS,
        figsize: tuple[float, float] | None = None,
        dpi: int = 80,
    ) -> None:
        unknown = [p for p in panels if p not in PANELS]
        if unknown or not panels:
            raise ArgumentError(f"panels must be a non-empty list of {PANELS}; got {panels!r}")
        self.panels = tuple(panels)
        plots = [p for p in self.panels if p != "network"]
        net = "network" in self.panels
        if figsize is None:
            figsize = (11.0 if net and plots else 6.5 if net else 6.0, 6.5 if net else 2.4 * len(plots) + 0.6)
        self.fig = Figure(figsize=figsize, dpi=dpi)  # (fixed margins: a layout engine costs a draw)
        self.ax: dict[str, Any] = {}
        if net and plots:
            grid = self.fig.add_gridspec(
                len(plots), 2, width_ratios=(1.35, 1), left=0.01, right=0.98, top=0.94, bottom=0.08,
                wspace=0.12, hspace=0.55,
            )  # fmt: skip
            self.ax["network"] = self.fig.add_subplot(grid[:, 0])
            for k, p in enumerate(plots):
                self.ax[p] = self.fig.add_subplot(grid[k, 1])
        elif net:
            self.ax["network"] = self.fig.add_axes((0.01, 0.12, 0.98, 0.82))
        else:
            grid = self.fig.add_gridspec(
                len(plots), 1, left=0.1, right=0.97, top=0.92, bottom=0.12, hspace=0.7
            )
            for k, p in enumerate(plots):
                self.ax[p] = self.fig.add_subplot(grid[k, 0])
        self.layout: FixedLayout | None = None
        self.highlight: int | None = None
        self._model: Any = None
        self._nodes: Any = None
        self._edges: Any = None
        self._ring: Any = None
        self._legend: Any = None
        self._lines: dict[str, Any] = {}
        self.signature: tuple = ()
        self._canvas = FigureCanvasAgg(self.fig)
        self._background: Any = None
        self._bg_key: tuple = ()
        self.update(model)

    # --- drawing -------------------------------------------------------------------------------
    def update(self, model: Any, highlight: int | None = None) -> None:
        """Redraw for the model's current day (a new model, after a reset, is laid out anew).

        ``highlight`` is the slot of a member to ring in black (the member being followed).
        """
        if model is not self._model:
            self._model = model
            self._start(model)
        self.highlight = highlight
        day = model.day
        if "network" in self.ax:
            self._draw_network(model, day)
        plotted = 0
        for p in self.panels:
            if p != "network":
                plotted = self._draw_plot(p, model)
        counts = state_counts(model)
        self.signature = (id(model), day, tuple(counts.values()), plotted, highlight)

    def _start(self, model: Any) -> None:
        """First drawing of a (new) model: layout, artists, axes."""
        self._background = None
        for ax in self.ax.values():
            ax.clear()
        self._lines = {}
        if "network" in self.ax:
            ax = self.ax["network"]
            self.layout = FixedLayout(model, seed=model.seed)
            xy = self.layout.update(model)
            pos = {i: xy[i] for i in range(len(xy))}
            G = model.space.G
            self._edges = nx.draw_networkx_edges(G, pos, ax=ax, edge_color="#999999", width=0.4, alpha=0.5)
            self._nodes = nx.draw_networkx_nodes(
                G, pos, ax=ax, nodelist=list(range(len(xy))), node_size=node_sizes(model),
                node_color=[STATE_COLOURS[s] for s in member_states(model)], edgecolors="#555555",
                linewidths=0.3,
            )  # fmt: skip
            (self._ring,) = ax.plot([], [], "o", ms=14, mfc="none", mec="black", mew=2.0)
            ax.set_axis_off()
            ax.set_xlim(-1.25, 1.25)
            ax.set_ylim(-1.25, 1.25)
            ax.set_aspect("equal")
            handles = [
                Line2D([], [], ls="", marker="o", ms=8, mfc=STATE_COLOURS[s], mec="#555555") for s in STATES
            ]
            self._legend = ax.legend(
                handles, STATES, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=4, frameon=False,
                fontsize=9, handletextpad=0.2, columnspacing=0.8,
            )  # fmt: skip
        for p in self.panels:
            if p == "network":
                continue
            ax = self.ax[p]
            title, lines = _LINES[p]
            for col, label, colour in lines:
                (self._lines[col],) = ax.plot([], [], color=colour, lw=1.6, label=label)
                (self._lines[col + "@now"],) = ax.plot([], [], "o", color=colour, ms=4)  # today's value
            ax.set_title(title, fontsize=10, loc="left")
            ax.set_xlim(0, max(model.days, 1))
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.set_xlabel("day")
            ax.grid(alpha=0.3)
            ax.legend(fontsize=8, loc="upper left", frameon=False)
            ax.set_ylim(0, 1 if p == "satisfaction" else 5)

    def _draw_network(self, model: Any, day: int) -> None:
        ax = self.ax["network"]
        assert self.layout is not None  # (made with the picture's first model)
        xy = self.layout.update(model)
        states = member_states(model)
        here = np.array([s != "gone" for s in states])
        self._nodes.set_offsets(xy)
        sizes = node_sizes(model)
        sizes[~here] = 4.0
        self._nodes.set_sizes(sizes)
        self._nodes.set_facecolor([STATE_COLOURS[s] for s in states])
        self._nodes.set_edgecolor(np.where(here, "#555555", "#dddddd").tolist())
        edges = [(u, v) for u, v in model.space.G.edges() if here[u] and here[v]]
        self._edges.set_segments([(xy[u], xy[v]) for u, v in edges])
        counts = dict.fromkeys(STATES, 0)
        for s in states:
            counts[s] += 1
        for text, s in zip(self._legend.get_texts(), STATES, strict=True):
            text.set_text(f"{s} ({counts[s]})")
        n_here = int(here.sum()) - counts["lapsed"]
        ax.set_title(
            f"Day {day} of {model.days}: {n_here} members here, {counts['lapsed']} lapsed", fontsize=11
        )
        h = self.highlight
        if h is not None and 0 <= h < len(xy):
            self._ring.set_data([xy[h, 0]], [xy[h, 1]])
        else:
            self._ring.set_data([], [])

    def _draw_plot(self, panel: str, model: Any) -> int:
        ax = self.ax[panel]
        data = _series(model)
        top = 0.0
        for col, _label, _colour in _LINES[panel][1]:
            y = data[col]
            self._lines[col].set_data(data["day"], y)
            self._lines[col + "@now"].set_data(data["day"][-1:], y[-1:])
            if len(y):
                top = max(top, float(np.nanmax(y)))
        if panel != "satisfaction" and 1.15 * top > ax.get_ylim()[1]:
            ax.set_ylim(0, _nice_top(top))  # grows in steps, so the axes rarely change
        return len(data["day"])

    # --- output ----------------------------------------------------------------------------------
    def _dynamic(self) -> list[Any]:
        """The artists that change from day to day (everything else is a cached background)."""
        arts = list(self._lines.values())
        if "network" in self.ax:
            arts += [self._edges, self._nodes, self._ring, self.ax["network"].title, self._legend]
        return arts

    def _static_key(self) -> tuple:
        return (id(self._model), *(ax.get_ylim() for ax in self.ax.values()))

    def rgba(self) -> np.ndarray:
        """The figure as an RGBA array (height x width x 4).

        The axes, ticks and labels are drawn once into a background that is reused while they
        do not change (a plot's scale grows in steps); each call draws only the network, the
        lines and the texts that change on it (blitting): about four times faster than a full
        draw.
        """
        canvas = self._canvas
        if self._background is None or self._static_key() != self._bg_key:
            dyn = self._dynamic()
            for a in dyn:
                a.set_animated(True)
            canvas.draw()
            self._background = canvas.copy_from_bbox(self.fig.bbox)
            self._bg_key = self._static_key()
        else:
            canvas.restore_region(self._background)
        for a in self._dynamic():
            self.fig.draw_artist(a)
        return np.asarray(canvas.buffer_rgba())

    def png(self) -> bytes:
        """The figure as PNG bytes (fast, lightly compressed)."""
        buf = io.BytesIO()
        Image.fromarray(self.rgba()).save(buf, format="png", compress_level=1)
        return buf.getvalue()

    def full_draw(self) -> None:
        """Make every artist part of ordinary drawing again (for ``savefig`` and animation writers)."""
        for a in self._dynamic():
            a.set_animated(False)
        self._background = None
