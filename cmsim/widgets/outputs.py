"""The lab's words and tables: the one-sentence answer on top and the paired-difference table.

Better and worse are coloured with the Okabe-Ito blue and vermillion (told apart by colour-blind
readers) and also marked by a symbol and a word, so nothing depends on colour alone.
"""

from __future__ import annotations

import html
import math
from typing import Any

import numpy as np
import pandas as pd

from cmsim.widgets.results import LabResult

__all__ = ["answer", "answer_html", "table_frame", "table_html", "bands_frame", "BETTER", "WORSE"]

BETTER = "#0072B2"
WORSE = "#D55E00"

#: How a sentence states a difference: metric -> (shown in pp, "{verb} {x} {unit} {more/fewer} {noun}").
_PHRASES: dict[str, tuple[bool, str, tuple[str, str]]] = {
    "newcomer_retention_30d": (True, "keeps {x} pp {w} newcomers at 30 days", ("more", "fewer")),
    "final_members": (False, "ends with {x} {w} members", ("more", "fewer")),
    "mean_dau": (False, "has {x} {w} daily active members", ("more", "fewer")),
    "answered_share": (True, "answers {x} pp {w} questions", ("more", "fewer")),
    "toxic_share": (True, "has {x} pp {w} toxic posts", ("more", "fewer")),
    "spam_share": (True, "has {x} pp {w} spam posts", ("more", "fewer")),
    "health_index": (False, "scores {x} points {w} on the health index", ("higher", "lower")),
    "burnout_days": (False, "spends {x} {w} days burned out", ("more", "fewer")),
}

#: Better direction of the table's metrics (+1 higher, -1 lower).
_BETTER = {
    "newcomer_retention_30d": 1, "final_members": 1, "mean_dau": 1, "answered_share": 1, "toxic_share": -1,
    "spam_share": -1, "health_index": 1, "burnout_days": -1,
}  # fmt: skip


def _num(v: float, pp: bool) -> str:
    v = 100 * v if pp else v
    a = abs(v)
    return f"{a:,.0f}" if a >= 100 else f"{a:.1f}" if a >= 1 or pp else f"{a:.2f}"


def _signed(v: float, pp: bool) -> str:
    if not math.isfinite(v):
        return "n/a"
    s = _num(v, pp)
    return ("-" if v < 0 else "+") + s


def _counts(result: LabResult, strategy: str, metric: str) -> tuple[int, int, int]:
    cmp = result.comparison
    a = cmp.ensembles[strategy].values(metric)
    b = cmp.ensembles[cmp.baseline].values(metric)
    ok = np.isfinite(a) & np.isfinite(b)
    d = (a[ok] - b[ok]) * _BETTER.get(metric, 1)
    return int(np.sum(d > 0)), int(np.sum(d == 0)), int(ok.sum())


def answer(result: LabResult, metric: str | None = None) -> list[str]:
    """One sentence per strategy against the baseline, on ``metric`` (default the first charted)."""
    cmp = result.comparison
    metric = metric or (result.spec.metrics[0] if result.spec.metrics else "newcomer_retention_30d")
    if metric not in _PHRASES:
        metric = "newcomer_retention_30d"
    pp, phrase, words = _PHRASES[metric]
    s = result.summary
    out = []
    for strat in cmp.strategies:
        if strat == cmp.baseline:
            continue
        row = s[(s["metric"] == metric) & (s["strategy"] == strat)].iloc[0]
        d, lo, hi = float(row["diff"]), float(row["diff_ci_low"]), float(row["diff_ci_high"])
        better, tied, n = _counts(result, strat, metric)
        if not math.isfinite(d):
            out.append(f"{strat}: no value of this metric to compare with {cmp.baseline} at this size.")
            continue
        if tied == n:
            out.append(f"{strat} does exactly as well as {cmp.baseline} here, in all {n} histories.")
            continue
        ci = f"95% CI {_signed(lo, pp)} to {_signed(hi, pp)}" if math.isfinite(lo) else "one seed: no CI"
        sure = "" if (math.isfinite(lo) and (lo > 0 or hi < 0)) else "; not clearly different"
        ties = f" ({tied} tied)" if tied else ""
        if float(_num(d, pp).replace(",", "")) == 0:  # rounds to zero: "0.0 pp more" reads oddly
            label = str(row["label"]).lower()
            out.append(
                f"{strat} and {cmp.baseline} are level on {label} ({ci}); {strat} was better in {better} of "
                f"{n} histories{ties}."
            )
            continue
        word = words[0] if d >= 0 else words[1]
        text = phrase.format(x=_num(d, pp), w=word)
        out.append(
            f"{strat} {text} than {cmp.baseline} ({ci}{sure}); better in {better} of {n} histories{ties}."
        )
    return out


def answer_html(result: LabResult) -> str:
    """:func:`answer` as HTML for the lab's top line."""
    lines = "".join(f"<div>{html.escape(s)}</div>" for s in answer(result))
    return f"<div class='cmsim-lab-answer' style='font-size:1.15em;line-height:1.5'>{lines}</div>"


def table_frame(result: LabResult) -> pd.DataFrame:
    """The difference table as data: ``Comparison.summary`` plus a ``verdict`` column."""
    s = result.summary.copy()
    verdict = []
    for _, r in s.iterrows():
        lo, hi, good = r["diff_ci_low"], r["diff_ci_high"], _BETTER.get(r["metric"], 0)
        if r["strategy"] == result.comparison.baseline:
            verdict.append("baseline")
        elif not (np.isfinite(lo) and np.isfinite(hi)) or good == 0 or lo <= 0 <= hi:
            verdict.append("unclear")
        else:
            verdict.append("better" if (lo > 0) == (good > 0) else "worse")
    s["verdict"] = verdict
    return s


_MARK = {
    "better": f"<span style='color:{BETTER};font-weight:bold'>&#9650; better</span>",
    "worse": f"<span style='color:{WORSE};font-weight:bold'>&#9660; worse</span>",
    "unclear": "<span style='color:#555'>&#8776; unclear</span>",
    "baseline": "<span style='color:#555'>baseline</span>",
}


def _value(v: float, unit: str) -> str:
    if not math.isfinite(v):
        return "n/a"
    if unit == "%":
        return f"{100 * v:.1f}%"
    return f"{v:,.0f}" if abs(v) >= 100 else f"{v:.2f}" if abs(v) < 10 else f"{v:.1f}"


def table_html(result: LabResult) -> str:
    """The difference table for people: each metric, each strategy, difference with 95% CI, P(better)."""
    t = table_frame(result)
    base = result.comparison.baseline
    head = (
        "<tr><th>metric</th><th>strategy</th><th>median (10-90%)</th>"
        f"<th>vs {html.escape(base)} (95% CI)</th><th>P(better)</th><th>verdict</th></tr>"
    )
    rows = []
    for _, r in t.iterrows():
        unit, pp = r["unit"], r["unit"] == "%"
        diff = ""
        if r["strategy"] != base:
            u = " pp" if pp else ""
            diff = f"{_signed(r['diff'], pp)}{u} [{_signed(r['diff_ci_low'], pp)}, {_signed(r['diff_ci_high'], pp)}]"
        p = "" if not np.isfinite(r["p_better"]) else f"{r['p_better']:.0%}"
        bg = {"better": "#e3f0fa", "worse": "#fbe9df"}.get(r["verdict"], "transparent")
        rows.append(
            f"<tr style='background:{bg}'><td>{html.escape(r['label'])}</td><td>{html.escape(r['strategy'])}</td>"
            f"<td>{_value(r['median'], unit)} ({_value(r['p10'], unit)} to {_value(r['p90'], unit)})</td>"
            f"<td>{diff}</td><td>{p}</td><td>{_MARK[r['verdict']]}</td></tr>"
        )
    seeds = result.comparison.seeds
    note = (
        f"{len(seeds)} histories per strategy (seeds {seeds[0]}-{seeds[-1]}), paired by seed. "
        "P(better): share of histories where the strategy beat the baseline."
    )
    style = "border-collapse:collapse;font-size:0.92em"
    return (
        f"<table class='cmsim-lab-table' style='{style}' cellpadding='4'>{head}{''.join(rows)}</table>"
        f"<div style='color:#555;font-size:0.85em'>{html.escape(note)}</div>"
    )


def bands_frame(result: LabResult) -> pd.DataFrame:
    """The charted bands as a tidy table: strategy, metric, day, p10, median, p90."""
    frames = []
    for m, per in result.bands.items():
        for s, arr in per.items():
            frames.append(
                pd.DataFrame(
                    {
                        "strategy": s,
                        "metric": m,
                        "day": result.days,
                        "p10": arr[0],
                        "median": arr[1],
                        "p90": arr[2],
                    }
                )
            )
    return pd.concat(frames, ignore_index=True)


def export_tables(result: LabResult, folder: Any) -> list[Any]:
    """Write the summary, the per-run table and the bands as CSV and Parquet into ``folder``."""
    from pathlib import Path

    folder = Path(folder)
    written = []
    tables = {
        "summary": table_frame(result),
        "runs": result.comparison.to_frame(),
        "bands": bands_frame(result),
    }
    for name, df in tables.items():
        for ext in ("csv", "parquet"):
            path = folder / f"{name}.{ext}"
            df.to_csv(path, index=False) if ext == "csv" else df.to_parquet(path, index=False)
            written.append(path)
    return written
