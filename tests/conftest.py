"""The test session's own process."""

from __future__ import annotations

from cmsim import precompile

# Where ``import cmsim`` found numba's cache cold (a fresh clone), it started the compile helper;
# the helper still shares the compiling, but this process's runs step their days with
# ``run_days_ser`` from the first (not from Python while the helper compiles it), as the tests
# that watch that kernel's calls expect. tests/test_precompile.py tests stepping from Python.
precompile._launched = None
