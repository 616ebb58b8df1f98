"""The fit report: does the fitted model look like the community, and what did the data pin down?

:func:`write_report` writes into a folder:

* ``fit.png``: each series' weekly observed values over the model's median and 10-90% band,
  before (base values) and after the fit, with the held-out weeks shaded;
* ``mismatch.csv``: per series, before and after (``objective.mismatch_table``);
* ``parameters.csv``: each parameter, before and fitted, the search range, the range of values
  whose score is within seed noise of the best, and whether the data pinned it down;
* ``report.md``: all of it in words, with the held-out coverage and the flat directions.

Pinned or flat: a trial is *acceptable* when its score is within ``2 * score_noise`` of the best
(``score_noise``: the score's standard deviation over seed sets at the fitted values, so what
luck alone moves it by). A parameter whose acceptable values span at most ``PINNED_SPAN`` of its
search range (on the search's scale, log for rates) is *pinned*; otherwise the data leave it
*flat*. Two parameters whose acceptable values correlate (``|r| >= TRADE_OFF_R``) trade off: the
data pin a combination of them, not each (a flat direction).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cmsim.calibration.objective import band

__all__ = ["parameter_table", "trade_offs", "write_report", "plot_fit", "PINNED_SPAN", "TRADE_OFF_R"]

#: Largest share of its search range the acceptable values of a pinned parameter may span.
PINNED_SPAN = 0.35
#: Correlation of acceptable trials' values above which two parameters trade off.
TRADE_OFF_R = 0.7
#: At least this many trials count as acceptable (the best ones), however small the noise.
MIN_ACCEPTABLE = 5


def _scaled(values: np.ndarray, lo: float, hi: float, log: bool) -> np.ndarray:
    if log:
        return (np.log(values) - math.log(lo)) / (math.log(hi) - math.log(lo))
    return (values - lo) / (hi - lo)


def _acceptable(result: Any) -> pd.DataFrame:
    t = result.trials.dropna(subset=["score"]).sort_values("score")
    noise = result.score_noise if np.isfinite(result.score_noise) else 0.0
    ok = t[t["score"] <= t["score"].iloc[0] + 2 * noise]
    return ok if len(ok) >= MIN_ACCEPTABLE else t.head(MIN_ACCEPTABLE)


def parameter_table(result: Any) -> pd.DataFrame:
    """One row a fitted parameter: ``before``, ``fitted``, ``low``/``high`` (search range),
    ``accept_low``/``accept_high`` (acceptable trials), ``span`` (their share of the range) and
    ``verdict`` (``pinned``, ``flat`` or ``at the edge``: widen the range)."""
    ok = _acceptable(result)
    rows = []
    for key, (lo, hi, log) in result.space.items():
        vals = ok[key].to_numpy(float)
        s = _scaled(vals, lo, hi, log)
        span = float(s.max() - s.min()) if len(s) else float("nan")
        best = float(_scaled(np.array([result.values[key]]), lo, hi, log)[0])
        if span <= PINNED_SPAN and (best < 0.02 or best > 0.98):
            verdict = "at the edge"
        elif span <= PINNED_SPAN:
            verdict = "pinned"
        else:
            verdict = "flat"
        rows.append({"parameter": key, "before": result.before[key], "fitted": result.values[key], "low": lo,
                     "high": hi, "accept_low": float(vals.min()), "accept_high": float(vals.max()),
                     "span": span, "verdict": verdict})  # fmt: skip
    return pd.DataFrame(rows)


def trade_offs(result: Any) -> list[tuple[str, str, float]]:
    """Pairs of parameters the data trade against each other: ``(a, b, r)`` with ``|r| >= TRADE_OFF_R``."""
    ok = _acceptable(result)
    keys = list(result.space)
    if len(ok) < MIN_ACCEPTABLE or len(keys) < 2:
        return []
    cols = {k: _scaled(ok[k].to_numpy(float), *result.space[k]) for k in keys}
    out = []
    for i, a in enumerate(keys):
        for b in keys[i + 1 :]:
            if np.std(cols[a]) > 0 and np.std(cols[b]) > 0:
                r = float(np.corrcoef(cols[a], cols[b])[0, 1])
                if abs(r) >= TRADE_OFF_R:
                    out.append((a, b, r))
    return out


def plot_fit(result: Any):
    """Figure: one row a series, observed (data scale) over the model's median and 10-90% band,
    before (left) and after (right) the fit; held-out weeks shaded."""
    import matplotlib.pyplot as plt

    series = result.series
    obs = result.weekly.to_numpy(float)
    weeks = np.arange(len(obs))
    fig, axes = plt.subplots(
        len(series), 2, figsize=(11, 2.3 * len(series) + 0.6), sharex=True, squeeze=False
    )
    for col, (title, runs) in enumerate((("before (base values)", result.runs_before),
                                         ("after (fitted values)", result.runs_after))):  # fmt: skip
        med, lo, hi = band(runs / result.scale)
        for j, name in enumerate(series):
            ax = axes[j, col]
            ax.fill_between(weeks, lo[:, j], hi[:, j], color="tab:blue", alpha=0.25, label="model 10-90%")
            ax.plot(weeks, med[:, j], color="tab:blue", lw=1.5, label="model median")
            ax.plot(weeks, obs[:, j], "o", color="black", ms=3, label="observed")
            held = ~result.fit_weeks
            if held.any():
                ax.axvspan(weeks[held][0] - 0.5, weeks[-1] + 0.5, color="grey", alpha=0.15, label="held out")
            ax.set_ylabel(name)
            if j == 0:
                ax.set_title(title)
    axes[-1, 0].set_xlabel("week")
    axes[-1, 1].set_xlabel("week")
    axes[0, 1].legend(loc="best", fontsize=7)
    fig.tight_layout()
    return fig


def _md_table(df: pd.DataFrame) -> str:
    def cell(v: Any) -> str:
        if isinstance(v, float):
            return "" if math.isnan(v) else f"{v:.4g}"
        return str(v)

    lines = ["| " + " | ".join(df.columns) + " |", "|" + "---|" * len(df.columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join(lines)


def write_report(result: Any, directory: Path) -> list[Path]:
    """Write ``fit.png``, ``mismatch.csv``, ``parameters.csv`` and ``report.md``; returns their paths."""
    import matplotlib.pyplot as plt  # whatever backend is in use (the CLI picks Agg)

    directory.mkdir(parents=True, exist_ok=True)
    paths = [directory / n for n in ("fit.png", "mismatch.csv", "parameters.csv", "report.md")]
    fig = plot_fit(result)
    fig.savefig(paths[0], dpi=110)
    plt.close(fig)
    before, after = result.mismatch("before"), result.mismatch("after")
    mismatch = pd.concat([before.assign(fit="before"), after.assign(fit="after")], ignore_index=True)
    mismatch.to_csv(paths[1], index=False)
    params = parameter_table(result)
    params.to_csv(paths[2], index=False)
    obs = result.observed
    pinned = [r.parameter for r in params.itertuples() if r.verdict == "pinned"]
    flat = [r.parameter for r in params.itertuples() if r.verdict != "pinned"]
    trades = trade_offs(result)
    lines = [
        f"# Fit of `{result.base_name}` to `{Path(obs.source).name}`",
        "",
        f"Data: {obs.freq} rows from {obs.start.date()} to {obs.end.date()}, columns {', '.join(obs.columns)}; "
        f"compared in {len(result.weekly)} weeks, the last {int((~result.fit_weeks).sum())} held out.",
        f"Simulated at {result.sim_members:,} members ({1 / result.scale:.4g} real member(s) per simulated member).",
        *(f"Note: {n}" for n in result.notes),
        "",
        f"{len(result.trials)} trials of {len(result.seeds)} paired seeds; best score {result.score:.3f} "
        f"(seed noise of the score: {result.score_noise:.3f}). Bands: {result.runs_after.shape[0]} runs.",
        "",
        "## Parameters",
        "",
        _md_table(params),
        "",
        f"Pinned down by the data: {', '.join(pinned) or 'none'}.",
        f"Not pinned (flat, or at the edge of the search range): {', '.join(flat) or 'none'}.",
        *(
            f"Flat direction: {a} and {b} trade off (r = {r:+.2f}): the data fix a combination, not each."
            for a, b, r in trades
        ),  # fmt: skip
        "",
        "## Mismatch per series",
        "",
        "`mean_z2` is about 1 when the data look like one more run of the model; `nad` is the normalised "
        "absolute difference; `in_band_*` the share of observed points inside the 10-90% band.",
        "",
        _md_table(mismatch[["fit", *before.columns]]),
        "",
        "## Held-out weeks",
        "",
        f"Observed points of the held-out weeks inside the fitted 10-90% band: {result.holdout_coverage:.0%} "
        "(about 80% is what one more run of a well-fitted model would give).",
        "",
        "![fit](fit.png)",
        "",
    ]
    paths[3].write_text("\n".join(lines), encoding="utf-8")
    return paths
