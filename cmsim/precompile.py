"""Compile kernels on a second core while the first run of a session compiles the rest.

Numba compiles a kernel the first time it is called, one function after another on one core, and
keeps the machine code in its on-disk cache. With an empty cache (a fresh install, an upgrade, an
edited kernel) the first run spends most of its time compiling. :func:`start`, called first
thing when ``cmsim`` is imported, launches once per cache a helper process that compiles
``HELPER_KERNELS`` into that cache, while the first run imports ``cmsim`` (compiling the kernels
that declare their signatures), builds its graph and draws its start:

- first the forum graph's ``block_edges`` and ``fill_csr``, which the first run needs soonest
  (it compiles the small ``degree_counts`` itself);
- then ``day_scalars`` (with ``manager_levers``, which the steady start calls) and
  ``sort_batch``, ``act_chunk``'s first pass (a fifth of its compiling): the first run's
  ``act_chunk`` links the cached copy instead of compiling its own;
- then ``resolve_chunk``: none of these modules imports ``members`` (the bulk of the import's
  compiling), so the helper does not compile it a second time while the first run's import does;
- then ``community_changes``, once that import has put ``members`` in the cache;
- last (:data:`LAST`) the one-thread daily step ``run_days_ser``, once the first run's
  ``count_posters`` and ``act_chunk`` are in the cache too. Compiling that loop optimises again,
  and emits again, every kernel it calls (about 2 s of one core), so the session's first runs
  do not wait for it: while the helper compiles it they step their days from Python
  (``step.run_days_loop``: the same compiled kernels in the same order, so the same results;
  :func:`steps_from_python`), and the runs after it load the helper's copy. The helper then
  removes its lock file (also when it gave up waiting, or failed), and ends: its exit skips the
  interpreter's last garbage collection (``gc.freeze``; half a second of numba's compile data,
  and no user code runs there).

The cache is cold while its folder lacks a compiled copy of any of ``HELPER_KERNELS`` (whoever
compiled them: the helper, or runs and tests without it). :func:`start` finds the folder through
``count_posters`` (``PROBE``), whose module imports no other compiled kernel, and looks for the
kernels' index files by name, so it asks without compiling anything and the helper starts before
the first run's import compiles. The order above is what the timing usually gives, not a
guarantee: a kernel the helper has not finished when the first run needs it is compiled by the
run too (the same code, so the same results), and both processes compile the few kernels of
``rng`` (and ``quiet``) that declare their signatures, at import.

The first run, once it has drawn its start, compiles ``count_posters``, then ``act_chunk`` once
the helper's ``sort_batch`` is in the cache, and then waits for the rest of the helper's kernels
(:func:`ready`), so the two processes do not compile the same step kernel while the helper keeps
up (``benchmarks/README.md`` has the figures).

Nothing depends on the helper: if it is slow, fails or is turned off, the run compiles those
kernels itself, with the same results. It starts only when the cache is cold, on a machine with
more than one core, and not when ``CMSIM_PRECOMPILE=0``. :func:`compile_ahead` does the helper's
work in the foreground.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from numba import types as nt

__all__ = [
    "FIRST_RUN",
    "HELPER_KERNELS",
    "LAST",
    "PROBE",
    "MODULES",
    "SIGNATURES",
    "cache_is_cold",
    "compile_ahead",
    "help_first_run",
    "ready",
    "start",
    "steps_from_python",
]

_F1, _F2 = nt.float64[::1], nt.float64[:, ::1]
_MEMBERS = (nt.float32[:, ::1], nt.int8[:, ::1], nt.int32[:, ::1], nt.uint8[:, ::1])  # F, B, I, U
_GRAPH = (nt.int64[::1], nt.int32[::1], nt.int32[::1])  # indptr, indices, deg
_I = nt.int64

_EDGES = (nt.int32[::1], nt.int32[::1])  # src, dst
# d0, d1, seed, P, TL, M, H, OUT, hist, chunks, part, meta (the daily loop's)
_DAYS = (_I, _I, _I, _F1, _F2, _F1, _F1, _F2, _F1, nt.int64[::1], _F2, nt.int64[::1])
#: The argument types a run calls these kernels with: ``run_days_ser`` and ``run_days_par`` the
#: step's, ``cmsim.graphs`` the graph's, ``act_chunk`` its first pass ``sort_batch`` (checked in
#: ``tests/test_precompile.py`` against a real first run, and ``sort_batch``'s against
#: ``act_chunk``'s typing).
SIGNATURES: dict[str, tuple] = {
    "act_chunk": (_I, _I, _I, _I, _I, _F1, _F1, _F2, *_GRAPH, *_MEMBERS, nt.literal(True)),
    "block_edges": (_I, _I, _I, nt.float64, _I),
    "community_changes": (_I, _I, _F1, _F2, _F1, _F1, _F1, _F2, _F1, _F1, nt.int64[::1], *_GRAPH, *_MEMBERS),
    "count_posters": (_I, *_GRAPH, nt.int8[::1], nt.uint8[::1], nt.uint8[::1]),
    "day_scalars": (_I, _F1, _F2, _F1, _F1, _F1),
    "fill_csr": (_I, *_EDGES, *_GRAPH),
    "resolve_chunk": (_I, _I, _I, _I, _I, _F1, _F1, _F2, *_MEMBERS),
    "run_days_ser": (*_DAYS, *_GRAPH, *_MEMBERS),
    # ``act_chunk``'s first pass (a callee: the first run's ``act_chunk`` links its cached copy)
    "sort_batch": (
        _I,
        _I,
        _I,
        nt.int64[::1],
        nt.int8[::1],
        _I,
        _F1,
        _F1,
        nt.UniTuple(nt.uint64, 5),
        nt.int64[::1],
        nt.int32[::1],
        nt.int32[::1],
        nt.int8[::1],
        nt.int8[::1],
        *(nt.float32[::1],) * 4,
        *(nt.int32[::1],) * 3,
        *(nt.uint8[::1],) * 4,
    ),
}
#: Where each kernel lives (the helper imports only the modules of the kernel at hand).
MODULES = {
    "act_chunk": "act", "community_changes": "community", "count_posters": "comebacks", "day_scalars": "levers",
    "block_edges": "graphs", "fill_csr": "graphs", "resolve_chunk": "resolve", "run_days_ser": "step",
    "sort_batch": "quiet",
}  # fmt: skip
#: The helper compiles these, in this order (see the module doc); the first run compiles the
#: others itself, then waits for these (:func:`ready`).
HELPER_KERNELS = (
    "block_edges",
    "fill_csr",
    "day_scalars",
    "sort_batch",
    "resolve_chunk",
    "community_changes",
)
#: The first run's share (:func:`ready`), in this order, each with the helper's kernels it links
#: (waited for first, so that neither process compiles what the other does).
FIRST_RUN: tuple[tuple[str, tuple[str, ...]], ...] = (("count_posters", ()), ("act_chunk", ("sort_batch",)))
#: What the helper compiles last, once the first run's kernels it links are in the cache (the
#: first run, meanwhile, steps its days from Python: :func:`steps_from_python`).
LAST: tuple[str, tuple[str, ...]] = (
    "run_days_ser",
    ("day_scalars", "count_posters", "act_chunk", "resolve_chunk", "community_changes"),
)
#: The longest the helper waits for the first run's kernels (seconds); it also stops waiting when
#: the process that started it ended before saving them.
LAST_WAIT_S = 120.0
#: The kernel whose cache folder :func:`start` looks in (its module imports no compiled kernel).
PROBE = "count_posters"
#: The helper's program. It registers the package without running ``cmsim/__init__.py`` (which
#: imports the public API, time it need not wait: the kernels import only numba and each other),
#: then compiles.
_HELPER = (
    "import sys, types; m = types.ModuleType('cmsim'); m.__path__ = [{package!r}]; sys.modules['cmsim'] = m; "
    "from cmsim.precompile import help_first_run; help_first_run({parent}); "
    "import gc; gc.freeze()"  # (its exit leaves numba's compile data to the system: 0.5 s less)
)
#: The helper's lock file in the cache folder (made at its start, holding its process id;
#: removed at its end).
LOCK = "cmsim-precompile.lock"
#: A helper started less than this long ago (seconds) is still at work: no second one.
LOCK_FRESH_S = 120.0
#: The longest the first run waits for the helper (seconds); it then compiles what is missing
#: (the helper ends 11-15 s after the start on 2 cores here, within about a second of the first
#: run's own share).
WAIT_S = 30.0
_started = False
_helper: subprocess.Popen | None = None  # (until ready(): the helper this process started)
_launched: subprocess.Popen | None = None  # (the same, kept for steps_from_python())


def _kernels(names: tuple[str, ...] = tuple(SIGNATURES)) -> dict:
    """The dispatchers of ``names``, importing their modules only."""
    import importlib

    return {n: getattr(importlib.import_module(f"cmsim._kernels.{MODULES[n]}"), n) for n in names}


def _index_path(dispatcher) -> Path | None:
    try:  # numba's cache layout (private): where this kernel's index of compiled versions lives
        return Path(dispatcher._cache._cache_file._index_path)
    except AttributeError:
        return None


def _folder() -> Path | None:
    """The folder of numba's cache for the kernels (``PROBE``'s), None where numba keeps none."""
    path = _index_path(_kernels((PROBE,))[PROBE])
    return None if path is None else path.parent


def cache_is_cold() -> bool:
    """True when numba's cache lacks a compiled copy of any of ``HELPER_KERNELS`` (False where its
    folder is not known). Looks for their index files by numba's naming,
    ``module.kernel-line.pyXY.nbi`` (private, as ``_index_path``), without importing their modules."""
    folder = _folder()
    if folder is None:
        return False
    return not all(any(folder.glob(f"{MODULES[n]}.{n}-*.nbi")) for n in HELPER_KERNELS)


def compile_ahead(names: tuple[str, ...] = HELPER_KERNELS) -> None:
    """Compile (into the on-disk cache) the kernels ``names`` of :data:`SIGNATURES`, in that order."""
    for name in names:  # (each module imported when its first kernel's turn comes)
        _kernels((name,))[name].compile(SIGNATURES[name])


def help_first_run(parent: int) -> None:
    """The helper's program: :data:`HELPER_KERNELS`, then :data:`LAST` once the first run's
    kernels it links are in the cache (while the process ``parent`` lives or has saved them, at
    most ``LAST_WAIT_S``); then it removes its lock file, also when it gave up or failed."""
    try:
        compile_ahead(HELPER_KERNELS)
        name, links = LAST
        if _wait_saved(links, lambda: os.getppid() != parent, time.monotonic() + LAST_WAIT_S, 0.02):
            compile_ahead((name,))
    finally:
        folder = _folder()
        if folder is not None:
            (folder / LOCK).unlink(missing_ok=True)


def steps_from_python() -> bool:
    """Whether this process's one-thread runs should step their days from Python
    (``step.run_days_loop``, same results) rather than compile ``run_days_ser``: while the
    helper this process started lives and has not yet saved its copy, and this process has none.
    Cheap: a look at the cache folder while the helper works, nothing once it has ended."""
    global _launched
    helper = _launched
    if helper is None:
        return False
    try:
        kernel = _kernels((LAST[0],))[LAST[0]]
        path = _index_path(kernel)
        if kernel.overloads or helper.poll() is not None or path is None or _saved(path):
            _launched = None  # (from now on numba loads the helper's copy, or compiles its own)
            return False
        return True
    except Exception:  # noqa: BLE001 - an optional speed-up must never break a run
        _launched = None
        return False


def ready(wait_s: float = WAIT_S) -> bool:
    """Before this process's first run: if it started the helper, compile the kernels the helper
    leaves to it (:data:`FIRST_RUN`, each once the helper's kernels it links are in the cache),
    then wait until all the helper's are (while the helper lives, and at most ``wait_s`` seconds
    in all), so that neither process compiles what the other does. Returns whether the helper's
    kernels were found there; does nothing (False) after the first call or when this process
    started no helper. Never raises: the run then compiles what is missing."""
    global _helper
    helper, _helper = _helper, None
    if helper is None:
        return False
    try:
        deadline = time.monotonic() + wait_s

        def gone() -> bool:
            return helper.poll() is not None

        for name, links in FIRST_RUN:
            # (if the helper is late or gone, this process compiles them too)
            _wait_saved(links, gone, deadline, 0.01)
            compile_ahead((name,))
        return _wait_saved(HELPER_KERNELS, gone, deadline, 0.01)
    except Exception:  # noqa: BLE001 - an optional speed-up must never break a run
        return False


def _wait_saved(names: tuple[str, ...], stop: Callable[[], bool], deadline: float, every: float) -> bool:
    """Wait until the kernels ``names`` are saved in the cache (True), unless ``stop()`` holds or
    the ``deadline`` (``time.monotonic``) passes first (False); looking every ``every`` seconds."""
    kernels = _kernels(names)
    paths = [_index_path(kernels[n]) for n in names]
    while not all(p is not None and _saved(p) for p in paths):
        if stop() or time.monotonic() >= deadline:
            return False
        time.sleep(every)
    return True


def _saved(index: Path) -> bool:
    """Whether numba has saved a compiled copy under this index: the index and a data file beside
    it (numba writes the index first, then the data file, whole, by renaming it into place)."""
    return index.exists() and any(index.parent.glob(index.stem + ".*.nbc"))


def start() -> bool:
    """Launch the helper if the cache is cold (once per process). Returns whether it started."""
    global _started
    if _started or os.environ.get("CMSIM_PRECOMPILE", "1") == "0" or (os.cpu_count() or 1) < 2:
        return False
    _started = True
    try:
        if not cache_is_cold():
            return False
        lock = _folder() / LOCK  # type: ignore[operator]
        lock.parent.mkdir(parents=True, exist_ok=True)
        try:
            if time.time() - lock.stat().st_mtime < LOCK_FRESH_S:
                return False  # another process's helper is at it
        except OSError:
            pass
        lock.touch()
        env = {**os.environ, "CMSIM_PRECOMPILE": "0"}
        global _helper, _launched
        _helper = _launched = subprocess.Popen(  # noqa: S603 - our own module, same interpreter
            [sys.executable, "-c", _HELPER.format(package=str(Path(__file__).parent), parent=os.getpid())],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            env=env, start_new_session=True,
        )  # fmt: skip
        lock.write_text(str(_helper.pid))  # (who is at it: the bench waits for it to end)
        return True
    except Exception:  # noqa: BLE001 - an optional speed-up must never break an import
        return False
