"""Random draws of the Mesa engine: the fast engine's counter-based streams, in plain Python.

Every stochastic decision of the model draws ``uniform(key(seed, stream, day), member)``: a pure
function of the seed, the decision's named stream (``cmsim._kernels.layout.S_*``), the day and
the member. This module re-implements the hash of :mod:`cmsim._kernels.rng` on Python integers
(masked to 64 bits), so the Mesa engine makes exactly the draws the compiled engine makes, bit
for bit (``tests/test_mesa_draws.py`` checks it). Poisson counts and trait draws, which go
through ``math.log``/``math.cos``, call the compiled functions themselves.

Examples
--------
>>> k = key(1, 10, 0)
>>> 0.0 <= uniform(k, 5) < 1.0
True
>>> uniform(k, 5) == uniform(key(1, 10, 0), 5)
True
"""

from __future__ import annotations

import numpy as np

from cmsim._kernels import rng as _rng

__all__ = ["key", "uniform", "uniform2", "poisson", "int_power"]

_MASK = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15
_M1 = 0xBF58476D1CE4E5B9
_M2 = 0x94D049BB133111EB
_INV53 = 1.0 / 9007199254740992.0  # 2**-53


def _mix(x: int) -> int:
    """SplitMix64's finaliser on a 64-bit integer (as ``cmsim._kernels.rng.mix``)."""
    z = (x + _GOLDEN) & _MASK
    z = ((z ^ (z >> 30)) * _M1) & _MASK
    z = ((z ^ (z >> 27)) * _M2) & _MASK
    return z ^ (z >> 31)


def key(seed: int, stream: int, day: int) -> int:
    """The key of decision ``stream`` on ``day`` (``day >= -1``) for ``seed`` (``>= 0``)."""
    k = _mix((seed & _MASK) ^ ((stream * _GOLDEN) & _MASK))
    return _mix(k ^ ((day + 1) & _MASK))


def uniform(k: int, i: int) -> float:
    """A float in [0, 1) for member ``i`` under the day-stream key ``k``."""
    return float(_mix(k ^ i) >> 11) * _INV53


def uniform2(k: int, i: int, j: int) -> float:
    """A float in [0, 1) for the pair (member ``i``, member or counter ``j``) under ``k``."""
    return float(_mix(_mix(k ^ i) ^ j) >> 11) * _INV53


def poisson(k: int, i: int, lam: float) -> int:
    """A Poisson(``lam``) count for ``i`` under ``k`` (the compiled engine's own function)."""
    return int(_rng.poisson(np.uint64(k), i, float(lam)))


def int_power(base: float, n: int) -> float:
    """``base ** n`` for an integer ``n >= 0``, multiplied out as compiled code does it.

    Numba computes a float raised to an integer by repeated squaring, which can differ from
    Python's ``pow`` in the last bit; the Mesa engine must take the same decisions, so it
    multiplies in the same order.

    Examples
    --------
    >>> int_power(0.5, 3)
    0.125
    """
    r = 1.0
    a = base
    while n != 0:
        if n & 1:
            r *= a
        n >>= 1
        a *= a
    return r
