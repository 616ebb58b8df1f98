"""Compile step kernels on a second core while the first run of a session compiles the rest.

Numba compiles a kernel the first time it is called, one function after another on one core, and
keeps the machine code in its on-disk cache. With an empty cache (a fresh install, an upgrade, an
edited kernel) the first run spends most of ten seconds compiling. :func:`start`, called when
``cmsim.simulation`` is imported, launches once per cache a helper process that compiles the two
kernels the first run needs last (``resolve_chunk`` and ``community_changes``, a third of the
compile work) into that cache, so the first run finds them there instead of compiling them
(``benchmarks/README.md`` has the figures).

Nothing depends on the helper: if it is slow, fails or is turned off, the run compiles those
kernels itself, with the same results. It starts only when the cache holds no ``community_changes``
yet, on a machine with more than one core, and not when ``CMSIM_PRECOMPILE=0``.
:func:`compile_ahead` does the helper's work in the foreground.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from numba import types as nt

__all__ = ["SIGNATURES", "cache_is_cold", "compile_ahead", "start"]

_F1, _F2 = nt.float64[::1], nt.float64[:, ::1]
_MEMBERS = (_F2, nt.int8[:, ::1], nt.int32[:, ::1], nt.uint8[:, ::1])  # F, B, I, U
_GRAPH = (nt.int64[::1], nt.int32[::1], nt.int32[::1])  # indptr, indices, deg
_I = nt.int64

#: The argument types ``run_days_ser`` and ``run_days_par`` call these kernels with (checked
#: against a real first run in ``tests/test_precompile.py``).
SIGNATURES: dict[str, tuple] = {
    "resolve_chunk": (_I, _I, _I, _I, _I, _F1, _F1, _F2, *_MEMBERS),
    "community_changes": (_I, _I, _F1, _F2, _F1, _F1, _F1, _F2, _F1, _F1, nt.int64[::1], *_GRAPH, *_MEMBERS),
}
#: The helper's program. It registers the package without running ``cmsim/__init__.py`` (which
#: imports pandas and the whole public API, 0.3 s it need not wait: the kernels import only numba
#: and each other), then compiles.
_HELPER = (
    "import sys, types; m = types.ModuleType('cmsim'); m.__path__ = [{package!r}]; sys.modules['cmsim'] = m; "
    "from cmsim.precompile import compile_ahead; compile_ahead()"
)
#: A helper started less than this long ago (seconds) is still at work: no second one.
LOCK_FRESH_S = 120.0
_started = False


def _kernels() -> dict:
    from cmsim._kernels.community import community_changes
    from cmsim._kernels.resolve import resolve_chunk

    return {"community_changes": community_changes, "resolve_chunk": resolve_chunk}


def _index_path(dispatcher) -> Path | None:
    try:  # numba's cache layout (private): where this kernel's index of compiled versions lives
        return Path(dispatcher._cache._cache_file._index_path)
    except AttributeError:
        return None


def cache_is_cold() -> bool:
    """True when numba's cache holds no compiled ``community_changes`` (nor a known location)."""
    path = _index_path(_kernels()["community_changes"])
    return path is not None and not path.exists()


def compile_ahead() -> None:
    """Compile (into the on-disk cache) the kernels of :data:`SIGNATURES`, in that order."""
    kernels = _kernels()
    for name, sig in SIGNATURES.items():
        kernels[name].compile(sig)


def start() -> bool:
    """Launch the helper if the cache is cold (once per process). Returns whether it started."""
    global _started
    if _started or os.environ.get("CMSIM_PRECOMPILE", "1") == "0" or (os.cpu_count() or 1) < 2:
        return False
    _started = True
    try:
        if not cache_is_cold():
            return False
        index = _index_path(_kernels()["community_changes"])
        lock = index.parent / "cmsim-precompile.lock"  # type: ignore[union-attr]
        lock.parent.mkdir(parents=True, exist_ok=True)
        try:
            if time.time() - lock.stat().st_mtime < LOCK_FRESH_S:
                return False  # another process's helper is at it
        except OSError:
            pass
        lock.touch()
        env = {**os.environ, "CMSIM_PRECOMPILE": "0"}
        subprocess.Popen(  # noqa: S603 - our own module, same interpreter
            [sys.executable, "-c", _HELPER.format(package=str(Path(__file__).parent))],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            env=env, start_new_session=True,
        )  # fmt: skip
        return True
    except Exception:  # noqa: BLE001 - an optional speed-up must never break an import
        return False
