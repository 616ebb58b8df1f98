"""``cmsim report DIR``: a sweep's figures as PNG files and a one-page HTML that shows them.

What it draws depends on the sweep:

- **main effects** of every axis (a grid or list axis by its levels; a design key in five bins of
  equal counts): each metric's mean over every other axis and seed, with its 95% confidence band;
- a **heatmap** of each metric over the first two grid axes with several levels;
- **sensitivity indices** with 95% intervals for a Sobol or Morris design (``sensitivity.py``);
- **scenario discovery** where a strategy axis holds two or more strategies: in which part of
  the other axes does the second strategy beat the first (``discovery.py``), in words.

The page links its images by relative path and loads nothing from the network.
"""

from __future__ import annotations

import html
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cmsim.errors import SweepError

__all__ = ["write_report", "main_effects", "axis_levels", "BINS"]

#: Design keys are shown in this many bins of equal counts.
BINS = 5


def _label(metric: str) -> str:
    from cmsim.metrics import METRICS

    return METRICS[metric].axis_label if metric in METRICS else metric


def _level_names(axis: Any) -> list[str]:
    """Short names of a list axis's levels: the keys that differ from the first level (leaving out
    keys that every other level sets alike, such as a budget raised for all of them)."""
    if len(axis.keys) == 1:
        return [str(v[0]) for v in axis.levels]
    first, rest = axis.levels[0], axis.levels[1:]
    alike = {j for j in range(len(axis.keys)) if len({lv[j] for lv in rest}) == 1 and len(rest) > 1}
    names = ["first level"]
    for i, level in enumerate(rest, start=1):
        diff = [j for j, (v, v0) in enumerate(zip(level, first, strict=True)) if v != v0]
        shown = [j for j in diff if j not in alike] or diff
        text = ", ".join(f"{axis.keys[j].split('.')[-1]}={_short(level[j])}" for j in shown)
        names.append(text or f"level {i}")
    return names


def _short(v: Any) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


def axis_levels(spec: Any, df: pd.DataFrame) -> dict[str, tuple[pd.Series, list[Any], bool]]:
    """For each axis: ``(level of every row, level order, numeric?)``; list axes by level index,
    design keys binned by quantiles (each bin named by its middle value)."""
    out: dict[str, tuple[pd.Series, list[Any], bool]] = {}
    for a in spec.axes:
        if len(a.levels) < 2:
            continue
        if len(a.keys) == 1:
            k = a.keys[0]
            vals = [lv[0] for lv in a.levels]
            numeric = all(isinstance(v, int | float) for v in vals)
            out[k] = (df[k], sorted(vals) if numeric else vals, numeric)
        else:
            names = _level_names(a)
            idx = {lv: i for i, lv in enumerate(a.levels)}
            keyed = pd.Series(
                [names[idx[tuple(r)]] for r in df[list(a.keys)].itertuples(index=False)], index=df.index
            )
            label = " / ".join(k.split(".")[-1] for k in a.keys)
            out[label if len(a.keys) <= 2 else f"{a.keys[0].split('.')[-1]} / ... ({len(a.keys)} keys)"] = (
                keyed,
                names,
                False,
            )
    if spec.design:
        for k in spec.design.keys:
            bins = pd.qcut(df[k], BINS, duplicates="drop")
            mids = bins.map(lambda iv: iv.mid).astype(float)
            out[k] = (mids, sorted(mids.unique()), True)
    return out


def main_effects(spec: Any, df: pd.DataFrame, metrics: list[str]) -> pd.DataFrame:
    """Mean, 95% CI and runs of each metric at each level of each axis (long format)."""
    from cmsim.metrics import t_quantile

    rows = []
    for name, (level, order, numeric) in axis_levels(spec, df).items():
        for m in metrics:
            g = df[m].groupby(level)
            stats = pd.DataFrame({"mean": g.mean(), "sd": g.std(ddof=1), "n": g.count()}).reindex(order)
            for lv, r in stats.iterrows():
                half = t_quantile(max(r["n"] - 1, 1)) * r["sd"] / np.sqrt(r["n"]) if r["n"] > 1 else np.nan
                rows.append({"axis": name, "level": lv, "metric": m, "mean": r["mean"], "ci_low": r["mean"] - half,
                             "ci_high": r["mean"] + half, "runs": int(r["n"]), "numeric": numeric})  # fmt: skip
    return pd.DataFrame(rows)


def _plot_main_effects(effects: pd.DataFrame, metrics: list[str], path: Path) -> Path:
    import matplotlib.pyplot as plt

    axes_names = list(dict.fromkeys(effects["axis"]))
    fig, grid = plt.subplots(len(axes_names), len(metrics), figsize=(3.4 * len(metrics), 2.8 * len(axes_names)),
                             squeeze=False)  # fmt: skip
    for i, name in enumerate(axes_names):
        for j, m in enumerate(metrics):
            ax = grid[i][j]
            e = effects[(effects["axis"] == name) & (effects["metric"] == m)]
            is_num = bool(e["numeric"].iloc[0])
            x = e["level"].to_numpy(dtype=float) if is_num else np.arange(len(e))
            ax.plot(x, e["mean"], marker="o", color="tab:blue")
            ax.fill_between(x, e["ci_low"], e["ci_high"], color="tab:blue", alpha=0.2, lw=0)
            if not is_num:
                ax.set_xticks(x, [str(v) for v in e["level"]], rotation=35, ha="right", fontsize=7)
            if i == 0:
                ax.set_title(_label(m), fontsize=9)
            if j == 0:
                ax.set_ylabel(name, fontsize=8)
            ax.tick_params(labelsize=7)
    fig.suptitle("Main effects: mean over the other axes and seeds, 95% band", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _plot_heatmaps(df: pd.DataFrame, kx: str, ky: str, metrics: list[str], path: Path) -> Path:
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(metrics), figsize=(4.2 * len(metrics), 3.6), squeeze=False)
    for ax, m in zip(axes[0], metrics, strict=True):
        table = df.pivot_table(index=ky, columns=kx, values=m, aggfunc="mean")
        im = ax.imshow(table.to_numpy(), origin="lower", aspect="auto", cmap="viridis")
        ax.set_xticks(range(table.shape[1]), [f"{v:g}" if isinstance(v, float) else str(v) for v in table.columns],
                      fontsize=7, rotation=35)  # fmt: skip
        ax.set_yticks(range(table.shape[0]), [f"{v:g}" if isinstance(v, float) else str(v) for v in table.index],
                      fontsize=7)  # fmt: skip
        for (r, c), v in np.ndenumerate(table.to_numpy()):
            ax.text(
                c,
                r,
                f"{v:.0f}" if abs(v) >= 100 else f"{v:.3g}",
                ha="center",
                va="center",
                fontsize=6,
                color="white",
            )
        ax.set_xlabel(kx, fontsize=8)
        ax.set_ylabel(ky, fontsize=8)
        ax.set_title(_label(m), fontsize=9)
        fig.colorbar(im, ax=ax, shrink=0.8)
    fig.suptitle("Mean over seeds (and any other axis)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _plot_indices(table: pd.DataFrame, method: str, metrics: list[str], path: Path) -> Path:
    import matplotlib.pyplot as plt

    cols = [("S1", "first-order"), ("ST", "total")] if method == "sobol" else [("mu_star", "mu*")]
    fig, axes = plt.subplots(1, len(metrics), figsize=(4.2 * len(metrics), 0.35 * table["parameter"].nunique() + 1.6),
                             squeeze=False, sharey=True)  # fmt: skip
    for ax, m in zip(axes[0], metrics, strict=True):
        t = table[table["metric"] == m].groupby("parameter", sort=False).mean(numeric_only=True)
        y = np.arange(len(t))
        for k, (c, name) in enumerate(cols):
            err = np.vstack([t[c] - t[f"{c}_low"], t[f"{c}_high"] - t[c]]).clip(min=0)
            ax.barh(y + 0.38 * k - 0.19 * (len(cols) - 1), t[c], height=0.36, xerr=err, label=name, capsize=2)
        ax.set_yticks(y, t.index, fontsize=7)
        ax.axvline(0, color="black", lw=0.5)
        ax.set_title(_label(m), fontsize=9)
        ax.tick_params(labelsize=7)
    axes[0][0].legend(fontsize=7)
    fig.suptitle(f"{'Sobol' if method == 'sobol' else 'Morris'} indices with 95% intervals", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def write_report(sweep: Any, out: Path, metrics: list[str] | None = None) -> Path:
    """Write the report of ``sweep`` into ``out``; returns the path of ``report.html``."""
    import matplotlib

    if matplotlib.get_backend().lower() not in ("agg", "module://matplotlib_inline.backend_inline"):
        matplotlib.use("Agg")
    spec = sweep.spec
    df = sweep.to_frame()
    if df.empty:
        raise SweepError(f"{sweep.out}: no finished runs to report")
    metrics = list(metrics or spec.metrics[:4])
    for m in metrics:
        if m not in spec.metrics:
            raise SweepError(f"metric {m!r} is not kept by the sweep ({', '.join(spec.metrics)})")
    out.mkdir(parents=True, exist_ok=True)
    parts: list[str] = []
    effects = main_effects(spec, df, metrics)
    if not effects.empty:
        _plot_main_effects(effects, metrics, out / "main_effects.png")
        effects.to_csv(out / "main_effects.csv", index=False)
        parts.append(_section("Main effects", "main_effects.png", "Each line: the metric's mean at each level of "
                              "one axis, averaged over every other axis and seed; the band is its 95% confidence "
                              "interval."))  # fmt: skip
    grid_keys = [a.keys[0] for a in spec.axes if len(a.keys) == 1 and len(a.levels) > 1]
    if len(grid_keys) >= 2:
        _plot_heatmaps(df, grid_keys[0], grid_keys[1], metrics, out / "heatmap.png")
        parts.append(_section(f"{grid_keys[1]} against {grid_keys[0]}", "heatmap.png", "Each cell: the mean over "
                              "the seeds (and any other axis) of the runs with those two values."))  # fmt: skip
    if spec.design and spec.design.method in ("sobol", "morris") and len(df) >= spec.n_runs:
        from cmsim.batch.sensitivity import sensitivity

        table = sensitivity(sweep)
        shown = [m for m in metrics if m in set(table.get("metric", []))]
        if shown:
            _plot_indices(table, spec.design.method, shown, out / "sensitivity.png")
            table.to_csv(out / "sensitivity.csv", index=False)
            text = ("First-order index: the share of the outcome's variance a parameter explains alone; total "
                    "index: with its interactions. Bars: 95% bootstrap intervals; indices whose interval "
                    "reaches 0 are indistinguishable from noise.") if spec.design.method == "sobol" else (
                    "mu*: the mean absolute change of the outcome when the parameter moves one grid step; "
                    "bars: 95% intervals.")  # fmt: skip
            parts.append(_section("Sensitivity", "sensitivity.png", text, _table_html(table, shown)))
    strategies = next(
        (list(dict.fromkeys(lv[0] for lv in a.levels)) for a in spec.axes if a.keys == ("strategy",)), []
    )
    if len(strategies) >= 2 and len(spec.axis_keys) >= 2:
        from cmsim.batch.discovery import where_better_frame

        a, b = strategies[1], strategies[0]
        lines = [html.escape(where_better_frame(df, spec.axis_keys, m, a, b).describe()) for m in metrics]
        parts.append(f"<h2>Where does {html.escape(a)} beat {html.escape(b)}?</h2><ul>"
                     + "".join(f"<li>{t}</li>" for t in lines) + "</ul>")  # fmt: skip
    page = out / "report.html"
    page.write_text(_page(sweep, df, parts), encoding="utf-8")
    return page


def _section(title: str, image: str, text: str, extra: str = "") -> str:
    return (f"<h2>{html.escape(title)}</h2><p>{html.escape(text)}</p>"
            f'<img src="{image}" alt="{html.escape(title)}">{extra}')  # fmt: skip


def _table_html(table: pd.DataFrame, metrics: list[str]) -> str:
    t = table[table["metric"].isin(metrics)]
    return t.to_html(index=False, float_format=lambda v: f"{v:.3f}", border=0, classes="t")


def _page(sweep: Any, df: pd.DataFrame, parts: list[str]) -> str:
    spec, m = sweep.spec, sweep.manifest
    axes = ", ".join(spec.axis_keys)
    facts = [
        ("runs", f"{len(df):,} of {spec.n_runs:,} ({spec.n_points:,} points x {len(spec.seeds)} seeds)"),
        ("axes", axes),
        (
            "base",
            f"{spec.base['community.kind']}, {spec.base['community.initial_members']:,} members, "
            f"{spec.base['community.days']} days",
        ),  # fmt: skip
        ("design", f"{spec.design.method}, {spec.design.samples} samples" if spec.design else "grid"),
        ("model version", str(m.get("model_version"))),
        ("spec hash", str(m.get("spec_hash", ""))[:16]),
        ("written", time.strftime("%Y-%m-%d %H:%M")),
    ]
    rows = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in facts)
    style = ("body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}img{max-width:100%}"
             "table{border-collapse:collapse;font-size:13px}th,td{padding:2px 8px;text-align:left}"
             ".t td{text-align:right}")  # fmt: skip
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(spec.name)}</title>"
        f"<style>{style}</style></head><body><h1>Sweep: {html.escape(spec.name)}</h1>"
        f"<p>{html.escape(spec.description)}</p><table>{rows}</table>{''.join(parts)}</body></html>"
    )
