"""The counter-based hash RNG (cmsim._kernels.rng): range, moments, independence, Poisson."""

from __future__ import annotations

import numpy as np
import pytest
from numba import njit

from cmsim._kernels import layout as L
from cmsim._kernels.rng import key, normal, poisson, uniform, uniform2

N = 200_000


@njit(cache=True)
def _uniforms(seed, stream, day, n, offset):
    k = key(seed, stream, day)
    out = np.empty(n)
    for i in range(n):
        out[i] = uniform(k, i + offset)
    return out


@njit(cache=True)
def _pairs(seed, stream, day, i, n):
    k = key(seed, stream, day)
    out = np.empty(n)
    for j in range(n):
        out[j] = uniform2(k, i, j)
    return out


@njit(cache=True)
def _normals(seed, n):
    k = key(seed, 99, 0)
    out = np.empty(n)
    for i in range(n):
        out[i] = normal(k, i)
    return out


@njit(cache=True)
def _poissons(seed, lam, n):
    k = key(seed, 98, 0)
    out = np.empty(n, np.int64)
    for i in range(n):
        out[i] = poisson(k, i, lam)
    return out


def test_uniform_range_mean_variance_and_histogram() -> None:
    u = _uniforms(1, L.S_VISIT, 0, N, 0)
    assert u.min() >= 0.0 and u.max() < 1.0
    se = (1 / 12 / N) ** 0.5
    assert abs(u.mean() - 0.5) < 4 * se
    assert u.var() == pytest.approx(1 / 12, rel=0.01)
    counts = np.bincount((u * 20).astype(int), minlength=20)
    chi2 = ((counts - N / 20) ** 2 / (N / 20)).sum()
    assert chi2 < 50  # 19 degrees of freedom: p ~ 1e-4


def test_uniform_is_a_pure_function_of_its_inputs() -> None:
    a = _uniforms(7, L.S_POST, 3, 1000, 0)
    assert np.array_equal(a, _uniforms(7, L.S_POST, 3, 1000, 0))
    assert np.array_equal(a[500:], _uniforms(7, L.S_POST, 3, 500, 500))  # order does not matter
    assert float(uniform(key(7, L.S_POST, 3), 10)) == a[10]  # callable from Python too


@pytest.mark.parametrize(
    "other",
    [
        (1, L.S_REPLY, 0),  # another stream
        (1, L.S_VISIT, 1),  # the next day
        (2, L.S_VISIT, 0),  # another seed
        (1, L.S_VISIT + 1, 0),  # the neighbouring stream number
    ],
)
def test_streams_days_and_seeds_are_independent(other) -> None:
    n = 50_000
    a = _uniforms(1, L.S_VISIT, 0, n, 0)
    b = _uniforms(*other, n, 0)
    assert abs(np.corrcoef(a, b)[0, 1]) < 4 / n**0.5
    assert not np.array_equal(a, b)
    # joint histogram of the two streams is flat (no hidden dependence)
    joint = np.bincount((a * 5).astype(int) * 5 + (b * 5).astype(int), minlength=25)
    chi2 = ((joint - n / 25) ** 2 / (n / 25)).sum()
    assert chi2 < 60  # 24 degrees of freedom


def test_neighbouring_members_are_independent() -> None:
    a = _uniforms(3, L.S_TOXIC, 5, N, 0)
    assert abs(np.corrcoef(a[:-1], a[1:])[0, 1]) < 4 / N**0.5


def test_pair_draws_are_uniform_and_differ_from_single_draws() -> None:
    p = _pairs(4, L.S_REPLY, 2, 17, N)
    assert p.min() >= 0 and p.max() < 1
    assert abs(p.mean() - 0.5) < 4 * (1 / 12 / N) ** 0.5
    q = _pairs(4, L.S_REPLY, 2, 18, N)
    assert abs(np.corrcoef(p, q)[0, 1]) < 4 / N**0.5


def test_normal_moments() -> None:
    z = _normals(5, N)
    assert abs(z.mean()) < 4 / N**0.5
    assert z.var() == pytest.approx(1.0, rel=0.02)
    assert np.mean(np.abs(z) < 1.96) == pytest.approx(0.95, abs=0.005)


@pytest.mark.parametrize("lam", [0.05, 0.7, 4.0, 25.0, 29.9, 30.0, 400.0])
def test_poisson_mean_and_variance(lam: float) -> None:
    n = 100_000
    x = _poissons(6, lam, n)
    assert x.min() >= 0
    assert abs(x.mean() - lam) < 5 * (lam / n) ** 0.5
    assert x.var() == pytest.approx(lam, rel=0.05)


def test_poisson_of_zero_or_negative_rate_is_zero() -> None:
    assert (_poissons(6, 0.0, 100) == 0).all()
    assert (_poissons(6, -1.0, 100) == 0).all()
