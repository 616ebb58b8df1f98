"""How far the model is from the data: a Gaussian synthetic likelihood over weekly points.

For each series ``j`` (members, posts, ...) and fitted week ``w`` the trial's paired runs give a
mean ``m`` and a between-seed variance ``s2``; the observed value ``y`` (in the model's scale,
see ``docs/calibration.md``) then scores

    z = (y - m) / sqrt(v),   v = s2 + (MODEL_ERROR * m)^2 + 1,
    nll = (z^2 + log(2 pi v)) / 2,

and a trial's score is the sum over series of the **mean** ``nll`` of that series' points (each
series weighs the same, however many points it has and whatever its size). Why this form:

* Stocks (members, MAU) and flows (posts, joins) are treated alike: the model's own seed noise
  sets the scale of each point, so a 2,000-member stock and a count of 40 posts are both read in
  units of "how surprising is this under the model". It is the Gaussian likelihood Starsim's
  calibration offers (``ss.Normal`` with the simulated variance) and Wood's synthetic likelihood
  (Nature 2010); the ``log v`` term keeps a parameter from winning by making runs noisier.
* ``MODEL_ERROR`` (2% of the mean) stands for what seed noise does not cover (the model is not
  the community): without it, a stock whose runs barely differ would swamp every other series.
  The ``+ 1`` keeps a point whose runs are all equal (often zero) finite.
* Weekly totals (``data.ObservedData.weekly``) rather than days: weekday dips in real data are
  not a misfit of a model without weekdays, and weekly sums are closer to Gaussian.
* Covasim's default, a normalised absolute difference ``|y - m| / max(y)``, is reported in the
  mismatch table (``nad``) for reading, not optimised: it ignores how noisy each point is.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["MODEL_ERROR", "point_scores", "score", "mismatch_table", "band"]

#: Relative model error added to the between-seed variance of every point (2% of the mean).
MODEL_ERROR = 0.02


def point_scores(
    obs: np.ndarray, sims: np.ndarray, model_error: float = MODEL_ERROR
) -> tuple[np.ndarray, np.ndarray]:
    """``z`` and ``nll`` of every point.

    Parameters
    ----------
    obs : float[weeks, series]
        Observed values in the model's scale, NaN for gaps.
    sims : float[runs, weeks, series]
        The trial's runs.

    Returns
    -------
    z, nll : float[weeks, series]
        NaN where ``obs`` is NaN.

    Examples
    --------
    >>> sims = np.array([[[10.0]], [[12.0]]])  # two runs, one week, one series
    >>> z, nll = point_scores(np.array([[11.0]]), sims, model_error=0.0)
    >>> float(z[0, 0])
    0.0
    """
    m = sims.mean(axis=0)
    s2 = sims.var(axis=0, ddof=1) if sims.shape[0] > 1 else np.zeros_like(m)
    v = s2 + (model_error * m) ** 2 + 1.0
    z = (obs - m) / np.sqrt(v)
    nll = 0.5 * (z**2 + np.log(2 * np.pi * v))
    return z, nll


def score(
    obs: np.ndarray, sims: np.ndarray, fit_weeks: np.ndarray, model_error: float = MODEL_ERROR
) -> tuple[float, np.ndarray]:
    """A trial's score (lower is better) and each series' mean ``nll`` over the fitted weeks.

    ``fit_weeks`` (``bool[weeks]``) marks the weeks fitted (the held-out ones are False). A series
    with no fitted point adds nothing.
    """
    _, nll = point_scores(obs, sims, model_error)
    nll = np.where(fit_weeks[:, None], nll, np.nan)
    with np.errstate(invalid="ignore"):
        counts = np.isfinite(nll).sum(axis=0)
        per_series = np.where(counts > 0, np.nansum(nll, axis=0) / np.maximum(counts, 1), 0.0)
    return float(per_series.sum()), per_series


def band(sims: np.ndarray, low: float = 0.1, high: float = 0.9) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Median and the ``low``-``high`` quantile band of runs ``[runs, ...]``."""
    q = np.quantile(sims, [0.5, low, high], axis=0)
    return q[0], q[1], q[2]


def mismatch_table(obs: np.ndarray, sims: np.ndarray, series: list[str], fit_weeks: np.ndarray,
                   model_error: float = MODEL_ERROR) -> pd.DataFrame:  # fmt: skip
    """One row a series: points fitted and held out, mean ``z^2`` (about 1 when the data look like
    one more run), normalised absolute difference (Covasim's), share of points in the 10-90% band.
    """
    z, nll = point_scores(obs, sims, model_error)
    med, lo, hi = band(sims)
    inside = (obs >= lo) & (obs <= hi)
    rows = []
    for j, name in enumerate(series):
        ok = np.isfinite(obs[:, j])
        fit, held = ok & fit_weeks, ok & ~fit_weeks
        scale = np.nanmax(np.abs(obs[ok, j])) if ok.any() else np.nan
        rows.append({
            "series": name,
            "points_fitted": int(fit.sum()),
            "points_held_out": int(held.sum()),
            "mean_z2": float(np.mean(z[fit, j] ** 2)) if fit.any() else np.nan,
            "nll": float(np.mean(nll[fit, j])) if fit.any() else np.nan,
            "nad": float(np.sum(np.abs(obs[fit, j] - med[fit, j])) / (fit.sum() * scale)) if fit.any() and scale > 0 else np.nan,
            "in_band_fitted": float(inside[fit, j].mean()) if fit.any() else np.nan,
            "in_band_held_out": float(inside[held, j].mean()) if held.any() else np.nan,
        })  # fmt: skip
    return pd.DataFrame(rows)
