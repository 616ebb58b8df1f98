"""Every compiled (numba) kernel of cmsim, kept in one private package.

Kernels take arrays and scalars and fill arrays; they never import plotting, widgets, mesa or
networkx. ``layout`` names the columns of the packed parameter, timeline, manager and output
arrays; ``rng`` is the counter-based random number generator; ``graphs`` builds member graphs;
``members`` creates members; ``step`` advances a community by days.

Numba's on-disk cache only notices changes to the file a kernel is defined in, not to the
constants it imports from ``layout``. So the cache lives in a folder named after a hash of all
kernel sources: any edit here gives a fresh cache (under ``NUMBA_CACHE_DIR`` when that is set,
else in this package's ``__pycache__``, or ``~/.cache/cmsim`` when the package is read-only).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

import numba

if TYPE_CHECKING:
    from numba.core.dispatcher import Dispatcher

__all__ = ["njit"]

_F = TypeVar("_F", bound=Callable[..., object])


def _cache_dir() -> str:
    here = Path(__file__).parent
    h = hashlib.sha256()
    for name in sorted(p.name for p in here.glob("*.py")):
        h.update((here / name).read_bytes())
    tag = f"cmsim-kernels-{h.hexdigest()[:12]}"
    root = os.environ.get("NUMBA_CACHE_DIR")
    if not root:
        # beside the sources when they are writable (a checkout), else in the user's cache
        if os.access(here, os.W_OK):
            root = str(here / "__pycache__")
            _prune(Path(root), tag)
        else:
            root = str(Path.home() / ".cache" / "cmsim")
    return str(Path(root) / tag)


def _prune(root: Path, keep: str, older_than_s: float = 86400.0) -> None:
    """Remove this checkout's caches of earlier kernel sources (~20 MB each) once a day has passed
    since they were last written (a process still running on one keeps it meanwhile)."""
    import shutil
    import time

    try:
        for d in root.glob("cmsim-kernels-*"):
            if d.name != keep and time.time() - d.stat().st_mtime > older_than_s:
                shutil.rmtree(d, ignore_errors=True)
    except OSError:
        pass


numba.config.CACHE_DIR = _cache_dir()  # type: ignore[attr-defined]  # (numba.config is filled at run time)


def njit(*signature: Any, **options: Any) -> Callable[[_F], Dispatcher[_F]]:
    """``numba.njit`` with cmsim's default ``no_cfunc_wrapper=True``, for every kernel here.

    Numba gives each compiled function, besides the wrapper Python calls it through, a C-callable
    one (for passing it to ``ctypes`` or as a first-class function), which cmsim never uses. A
    kernel's module links in the whole module of every kernel it calls, that wrapper included,
    and optimises and emits it all again: so each unused wrapper was compiled once more in every
    kernel above it (``benchmarks/README.md`` has the figures). The code of the kernels
    themselves is the same either way.
    """
    options.setdefault("no_cfunc_wrapper", True)
    return cast("Callable[[_F], Dispatcher[_F]]", numba.njit(*signature, **options))
