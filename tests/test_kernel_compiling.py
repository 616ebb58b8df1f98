"""How the kernels compile: nothing compiled that no run uses (a cold start's seconds).

A kernel's module links in the whole module of every kernel it calls and optimises and emits it
all again, so each unused piece is paid once per kernel above it: the C-callable wrapper numba
adds by default, and the extra copies numba compiles of a helper called with a constant (``0``,
``1``) beside a variable (one per constant value).
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import subprocess
import sys

import pytest
from numba.core.registry import CPUDispatcher

import cmsim._kernels


def _kernels() -> dict[str, CPUDispatcher]:
    out = {}
    for info in pkgutil.iter_modules(cmsim._kernels.__path__):
        module = importlib.import_module(f"cmsim._kernels.{info.name}")
        for name, value in vars(module).items():
            if isinstance(value, CPUDispatcher) and value.py_func.__module__ == module.__name__:
                out[f"{info.name}.{name}"] = value
    return out


def test_every_kernel_is_compiled_without_the_c_callable_wrapper() -> None:
    kernels = _kernels()
    assert len(kernels) > 80  # (every module of the package was looked at)
    plain = [name for name, k in kernels.items() if k.targetoptions.get("no_cfunc_wrapper") is not True]
    assert plain == [], f"compiled with numba.njit, not cmsim._kernels.njit: {plain}"


def test_the_kernels_njit_keeps_what_it_is_given() -> None:
    kernel = cmsim._kernels.njit("int64(int64)", cache=False, nogil=True)(lambda x: x + 1)
    assert kernel(41) == 42  # called from Python (its CPython wrapper is kept)
    assert kernel.targetoptions == {
        "nopython": True,
        "boundscheck": None,
        "no_cfunc_wrapper": True,
        "nogil": True,
    }


@pytest.mark.slow
def test_a_first_run_compiles_each_kernel_once(tmp_path) -> None:
    """On an empty cache, every kernel a run uses is compiled in one version (a helper given a
    constant somewhere and a variable elsewhere was compiled three times, ``_add``, ``_found``,
    ``_try``; one given an ``int32`` and an ``int64``, twice, ``_room``)."""
    code = (
        "import gc, cmsim\n"
        "from numba.core.registry import CPUDispatcher\n"
        "for scenario in ('forum', 'customer', 'troll_raid'):\n"
        "    cmsim.simulate(scenario, 'balanced', seed=1, members=200, days=8)\n"
        "for k in gc.get_objects():\n"
        "    if isinstance(k, CPUDispatcher) and k.py_func.__module__.startswith('cmsim') and len(k.overloads) > 1:\n"
        "        print(k.py_func.__name__, [str(s) for s in k.overloads])\n"
    )
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path), "CMSIM_PRECOMPILE": "0"}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "", f"kernels compiled in more than one version:\n{done.stdout}"
