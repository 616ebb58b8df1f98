"""Counter-based hash random numbers: common random numbers for every decision.

Every stochastic decision draws ``uniform(key(seed, stream, day), member[, other])``: a pure
function of the seed, the decision's named stream, the day and the member(s) involved. Two runs
that differ only in strategy therefore share every draw the strategy does not change, draws do not
depend on the order members are visited in (so results are identical whatever the number of
threads), and the Mesa engine reproduces the fast engine draw for draw.

The mixer is SplitMix64's finaliser (Steele, Lea & Flood 2014), applied once per input word.
All arithmetic is on uint64 and wraps modulo 2**64.

Each function is compiled once, for the signature it declares: called with constants (``uniform2(k,
i, 0)``), numba would otherwise compile a copy for every constant (13 copies of ``uniform2``),
seconds of a cold start.
"""

from __future__ import annotations

import math

import numpy as np

from cmsim._kernels import njit

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_INV53 = 1.0 / 9007199254740992.0  # 2**-53


@njit("uint64(uint64)", cache=True)
def mix(x):
    """SplitMix64 finaliser of a uint64 ``x`` (returns uint64)."""
    z = x + _GOLDEN
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@njit("uint64(int64, int64, int64)", cache=True)
def key(seed, stream, day):
    """The key of one decision stream on one day: uint64 from int seed, stream and day."""
    k = mix(np.uint64(seed) ^ (np.uint64(stream) * _GOLDEN))
    return mix(k ^ np.uint64(day + 1))


@njit("float64(uint64, int64)", cache=True)
def uniform(k, i):
    """A float64 in [0, 1) for member ``i`` under day-stream key ``k``."""
    return float(mix(k ^ np.uint64(i)) >> _S11) * _INV53


@njit("float64(uint64, int64, int64)", cache=True)
def uniform2(k, i, j):
    """A float64 in [0, 1) for the pair (member ``i``, member or counter ``j``) under key ``k``."""
    return float(mix(mix(k ^ np.uint64(i)) ^ np.uint64(j)) >> _S11) * _INV53


@njit("float64(uint64, int64)", cache=True)
def normal(k, i):
    """A standard normal draw for ``i`` under key ``k`` (Box-Muller from two uniforms)."""
    u1 = uniform2(k, i, 0)
    u2 = uniform2(k, i, 1)
    return math.sqrt(-2.0 * math.log(1.0 - u1)) * math.cos(2.0 * math.pi * u2)


@njit("int64(uint64, int64, float64)", cache=True)
def poisson(k, i, lam):
    """A Poisson(``lam``) count for ``i`` under key ``k``.

    Inversion of the CDF for ``lam < 30`` (exact), a rounded normal approximation above.
    """
    if lam <= 0.0:
        return 0
    if lam >= 30.0:
        x = lam + math.sqrt(lam) * normal(k, i) + 0.5
        return int(x) if x > 0.0 else 0
    u = uniform2(k, i, 7)
    p = math.exp(-lam)
    c = p
    n = 0
    while u > c and n < 1000:
        n += 1
        p *= lam / n
        c += p
    return n
