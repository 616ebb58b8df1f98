"""The metrics a comparison reports: labels, units, which direction is better, and the statistics.

:data:`METRICS` is the one table of what each summary metric (``Run.summary``) means to a
reader: a human label, a unit, whether higher or lower is better, and the daily series that
shows it over time in ``Comparison.plot()`` (see :data:`SERIES`). :data:`DEFAULT_METRICS` is the
short list a manager cares about. :func:`bands` and :func:`paired_difference` are the statistics
behind ``Comparison.bands`` and ``Comparison.summary``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from cmsim.errors import ArgumentError

__all__ = [
    "Metric",
    "METRICS",
    "DEFAULT_METRICS",
    "LOWER_IS_BETTER",
    "SERIES",
    "metric",
    "daily_series",
    "t_quantile",
    "bands",
    "paired_difference",
]


@dataclass(frozen=True)
class Metric:
    """How to read and show one summary metric.

    Attributes
    ----------
    name : str
        Key in ``Run.summary``.
    label, unit : str
        Human label and unit for tables and axes (``unit`` "%" means a share shown as percent).
    better : int
        +1 when higher is better, -1 when lower is better, 0 when neither (no "probability of
        beating" is reported then).
    series : str or None
        Name of the daily series in :data:`SERIES` that shows the metric over time.
    series_label : str
        Title of that daily series on plots.
    """

    name: str
    label: str
    unit: str
    better: int = 1
    series: str | None = None
    series_label: str = ""

    @property
    def axis_label(self) -> str:
        """``"Label (unit)"`` for plot axes."""
        return f"{self.label} ({self.unit})" if self.unit else self.label


_TABLE: tuple[Metric, ...] = (
    Metric("final_members", "Members at the end", "members", +1, "members", "Members"),
    Metric(
        "newcomer_retention_30d",
        "Newcomers still active after 30 days",
        "%",
        +1,
        "newcomer_retention_30d",
        "Newcomers still active after 30 days (so far)",
    ),  # fmt: skip
    Metric(
        "newcomer_retention_60d",
        "Newcomers still active after 60 days",
        "%",
        +1,
        "newcomer_retention_60d",
        "Newcomers still active after 60 days (so far)",
    ),  # fmt: skip
    Metric(
        "newcomer_retention_90d",
        "Newcomers still active after 90 days",
        "%",
        +1,
        "newcomer_retention_90d",
        "Newcomers still active after 90 days (so far)",
    ),  # fmt: skip
    Metric(
        "answered_share", "Questions answered", "%", +1, "answered_share", "Questions answered (last 7 days)"
    ),
    Metric("toxic_share", "Toxic posts", "%", -1, "toxic_share", "Toxic posts (last 7 days)"),
    Metric("health_index", "Health index", "0-100", +1, None),
    Metric(
        "burnout_days", "Manager burned out", "days", -1, "burnout_days", "Days manager burned out (so far)"
    ),
    Metric("mean_dau", "Daily active members", "members/day", +1, "dau", "Daily active members"),
    Metric("dau_mau", "Stickiness (DAU/MAU)", "%", +1, None),
    Metric("spam_share", "Spam posts", "%", -1, "spam_share", "Spam posts (last 7 days)"),
    Metric("median_response_days", "Median time to first answer", "days", -1, None),
    Metric("answers_per_answered_question", "Replies per answered question", "replies", +1, None),
    Metric("peer_answer_share", "First answers given by members", "%", 0, None),
    Metric(
        "norm_breaking_share",
        "Norm-breaking posts and replies",
        "%",
        -1,
        "norm_breaking_share",
        "Norm-breaking posts and replies (last 7 days)",
    ),  # fmt: skip
    Metric("first_post_reply_share", "First posts that got a reply", "%", +1, None),
    Metric("return_after_reply", "Newcomers posting again after a reply", "%", +1, None),
    Metric("return_without_reply", "Newcomers posting again without a reply", "%", +1, None),
    Metric("lurker_share", "Members who never posted", "%", 0, None),
    Metric("top1_post_share", "Posts by the top 1%", "%", 0, None),
    Metric("top10_post_share", "Posts by the top 10%", "%", 0, None),
    Metric("posts_gini", "Inequality of posting (Gini)", "0-1", 0, None),
    Metric("manager_quits", "Times a manager quit", "quits", -1, None),
    Metric("removals", "Accounts removed", "accounts", 0, None),
)

#: Every summary metric the kit knows how to label, by name.
METRICS: dict[str, Metric] = {m.name: m for m in _TABLE}

#: The short list a manager cares about (the default of ``compare``).
DEFAULT_METRICS: tuple[str, ...] = (
    "final_members",
    "newcomer_retention_30d",
    "answered_share",
    "toxic_share",
    "health_index",
    "burnout_days",
    "mean_dau",
)

#: Metrics where lower is better (everything else is higher-is-better or neutral).
LOWER_IS_BETTER: frozenset[str] = frozenset(m.name for m in _TABLE if m.better < 0)


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def _rolling(d: pd.DataFrame, num: str, den: Sequence[str], window: int = 7) -> np.ndarray:
    n = d[num].rolling(window, min_periods=1).sum().to_numpy(float)
    m = sum(d[c].rolling(window, min_periods=1).sum().to_numpy(float) for c in den)
    return _ratio(n, np.asarray(m, float))


def _cumulative(d: pd.DataFrame, num: str, den: str) -> np.ndarray:
    return _ratio(d[num].cumsum().to_numpy(float), d[den].cumsum().to_numpy(float))


#: Daily series for plots: name -> (function of ``Run.daily`` -> float array, description).
#: Any column of ``Run.daily`` may also be used by name.
SERIES: dict[str, tuple[Callable[[pd.DataFrame], np.ndarray], str]] = {
    "members": (
        lambda d: (d["members"] - d["bad_accounts"]).to_numpy(float),
        "members that day (people, not troll or spammer accounts)",
    ),
    "dau": (lambda d: d["dau"].to_numpy(float), "active members that day"),
    "answered_share": (
        lambda d: _rolling(d, "questions_answered", ["questions_answered", "questions_expired"]),
        "questions answered / resolved, over the last 7 days",
    ),
    "toxic_share": (lambda d: _rolling(d, "toxic_posts", ["posts"]), "toxic / all posts, last 7 days"),
    "spam_share": (lambda d: _rolling(d, "spam_posts", ["posts"]), "spam / all posts, last 7 days"),
    "newcomer_retention_30d": (
        lambda d: _cumulative(d, "newcomers_retained_30d", "newcomers_due_30d"),
        "newcomers retained at 30 days / due so far (cumulative)",
    ),
    "newcomer_retention_60d": (
        lambda d: _cumulative(d, "newcomers_retained_60d", "newcomers_due_60d"),
        "newcomers retained at 60 days / due so far (cumulative)",
    ),
    "newcomer_retention_90d": (
        lambda d: _cumulative(d, "newcomers_retained_90d", "newcomers_due_90d"),
        "newcomers retained at 90 days / due so far (cumulative)",
    ),
    "norm_breaking_share": (
        lambda d: _ratio(
            d["toxic_posts"].rolling(7, min_periods=1).sum().to_numpy(float),
            (d["posts"] - d["spam_posts"] + d["replies"]).rolling(7, min_periods=1).sum().to_numpy(float),
        ),
        "toxic / all posts and replies (spam excluded), last 7 days",
    ),
    "burnout_days": (lambda d: d["manager_burned_out"].cumsum().to_numpy(float), "burned-out days so far"),
}


def metric(name: str) -> Metric:
    """The :class:`Metric` of ``name`` (an unknown summary key gets a plain label).

    Examples
    --------
    >>> metric("toxic_share").better
    -1
    >>> metric("final_members").axis_label
    'Members at the end (members)'
    """
    if name in METRICS:
        return METRICS[name]
    return Metric(name, name.replace("_", " ").capitalize(), "", +1, None)


def daily_series(daily: pd.DataFrame, name: str) -> np.ndarray:
    """The daily series ``name`` (see :data:`SERIES`, or a ``Run.daily`` column) of one run."""
    if name in SERIES:
        return SERIES[name][0](daily)
    if name in daily.columns:
        return daily[name].to_numpy(float)
    allowed = ", ".join([*SERIES, "or a column of Run.daily"])
    raise ArgumentError(f"the daily series must be one of {allowed}; got {name!r}")


def t_quantile(df: int | float, q: float = 0.975) -> float:
    """Quantile ``q`` of Student's t with ``df`` degrees of freedom (NaN when ``df < 1``).

    Examples
    --------
    >>> round(t_quantile(9), 4)
    2.2622
    """
    if not df >= 1:
        return float("nan")
    from scipy.special import stdtrit

    return float(stdtrit(df, q))


def bands(values: np.ndarray, level: float = 0.95) -> dict[str, np.ndarray]:
    """Across-run statistics of ``values`` (runs x days): median, p10, p90, mean and its CI.

    The CI is the t-interval of the mean, ``mean +- t(n-1) * sd / sqrt(n)``, over the runs that
    are finite on each day (NaN where fewer than two are).

    Examples
    --------
    >>> b = bands(np.array([[1.0, 10.0], [2.0, 20.0], [3.0, 30.0]]))
    >>> b["median"].tolist(), b["mean"].tolist()
    ([2.0, 20.0], [2.0, 20.0])
    >>> [round(float(x), 2) for x in b["ci_high"]]
    [4.48, 44.84]
    """
    x = np.asarray(values, dtype=float)
    if x.ndim == 1:
        x = x[:, None]
    out: dict[str, np.ndarray] = {}
    n = np.sum(np.isfinite(x), axis=0)
    with np.errstate(invalid="ignore", divide="ignore"), _quiet():
        out["median"] = np.nanmedian(x, axis=0)
        out["p10"] = np.nanpercentile(x, 10, axis=0)
        out["p90"] = np.nanpercentile(x, 90, axis=0)
        out["mean"] = np.nanmean(x, axis=0)
        sd = np.nanstd(x, axis=0, ddof=1) if x.shape[0] > 1 else np.full(x.shape[1], np.nan)
        t = np.array([t_quantile(k - 1, 0.5 + level / 2) for k in n])
        half = t * sd / np.sqrt(np.maximum(n, 1))
    out["ci_low"] = out["mean"] - half
    out["ci_high"] = out["mean"] + half
    return out


def paired_difference(a: np.ndarray, b: np.ndarray, better: int = 1, level: float = 0.95) -> dict[str, float]:
    """Difference ``a - b`` paired by position (seed), with its t-interval and P(a beats b).

    Pairs where either value is NaN are dropped. ``p_better`` is the share of pairs where ``a``
    is better than ``b`` in the direction ``better`` (+1 higher, -1 lower), ties counting half;
    NaN when ``better`` is 0.

    Examples
    --------
    >>> d = paired_difference(np.array([3.0, 5.0, 4.0]), np.array([1.0, 2.0, 4.0]))
    >>> d["diff"], round(d["ci_low"], 3), round(d["ci_high"], 3), d["p_better"]
    (1.6666666666666667, -2.128, 5.461, 0.8333333333333334)
    """
    a, b = np.asarray(a, float), np.asarray(b, float)
    ok = np.isfinite(a) & np.isfinite(b)
    d = a[ok] - b[ok]
    n = len(d)
    nan = float("nan")
    if n == 0:
        return {"diff": nan, "ci_low": nan, "ci_high": nan, "p_better": nan, "n": 0}
    mean = float(d.mean())
    half = t_quantile(n - 1, 0.5 + level / 2) * float(d.std(ddof=1)) / math.sqrt(n) if n > 1 else nan
    p = nan
    if better:
        s = np.sign(d) * np.sign(better)
        p = float((np.sum(s > 0) + 0.5 * np.sum(s == 0)) / n)
    return {"diff": mean, "ci_low": mean - half, "ci_high": mean + half, "p_better": p, "n": n}


class _quiet:
    """Silence numpy's "all-NaN slice" warnings (a day where no run has a value is NaN)."""

    def __enter__(self) -> None:
        import warnings

        self._w = warnings.catch_warnings()
        self._w.__enter__()
        warnings.simplefilter("ignore", RuntimeWarning)

    def __exit__(self, *exc: Any) -> None:
        self._w.__exit__(*exc)
