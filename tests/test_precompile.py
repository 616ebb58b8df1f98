"""The background compile of step kernels: right signatures, started only when useful."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import numba
import pytest

import cmsim
import cmsim.simulation
from cmsim import precompile


def test_signatures_are_the_ones_a_run_calls_the_kernels_with(monkeypatch) -> None:
    seen = {}
    real = cmsim.simulation.run_days_ser

    def capture(d0, d1, *args):
        seen["args"] = (d0, d1, *args)
        return real(d0, d1, *args)

    monkeypatch.setattr(cmsim.simulation, "run_days_ser", capture)
    cmsim.simulate("forum", "balanced", seed=1, members=300, days=3)
    d0, _, seed, P, TL, M, H, OUT, hist, chunks, part, meta, indptr, indices, deg, F, B, I, U = seen["args"]  # noqa: E741
    t = numba.typeof
    i64 = numba.int64
    assert t(d0) == t(seed) == i64 and t(chunks).dtype == i64  # day, seed, chunk bounds
    z = numba.float64[::1]  # Z and tot are np.zeros inside the kernel
    members = tuple(map(t, (F, B, I, U)))
    expected = {
        "community_changes": (i64, i64, t(P), t(TL), t(M), t(H), z, t(OUT), t(hist), z, t(meta),
                              t(indptr), t(indices), t(deg), *members),
        "resolve_chunk": (i64, i64, i64, i64, i64, t(P), z, t(part), *members),
    }  # fmt: skip
    assert precompile.SIGNATURES == expected


def test_start_launches_one_helper_only_when_the_cache_is_cold(monkeypatch, tmp_path) -> None:
    launched = []
    monkeypatch.setattr(precompile.subprocess, "Popen", lambda *a, **k: launched.append((a, k)))
    index = tmp_path / "step" / "community_changes.nbi"
    monkeypatch.setattr(precompile, "_index_path", lambda dispatcher: index)
    monkeypatch.setenv("CMSIM_PRECOMPILE", "1")

    def again() -> bool:
        monkeypatch.setattr(precompile, "_started", False)
        return precompile.start()

    assert again() and len(launched) == 1  # cold: one helper, with the switch off for itself
    args, kw = launched[0]
    assert args[0][0] == sys.executable and kw["env"]["CMSIM_PRECOMPILE"] == "0"
    assert not precompile.start()  # once per process
    assert not again()  # a helper started moments ago is still at work (lock file)
    lock = index.parent / "cmsim-precompile.lock"
    old = time.time() - 2 * precompile.LOCK_FRESH_S
    os.utime(lock, (old, old))
    assert again() and len(launched) == 2  # a stale lock does not block
    index.write_bytes(b"")
    assert not again() and len(launched) == 2  # warm cache: nothing to do
    index.unlink()
    monkeypatch.setenv("CMSIM_PRECOMPILE", "0")
    assert not again() and len(launched) == 2  # switched off


@pytest.mark.slow
def test_compile_ahead_fills_the_cache_a_new_process_then_uses(tmp_path) -> None:
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path), "CMSIM_PRECOMPILE": "0"}
    probe = "from cmsim import precompile; print(precompile.cache_is_cold())"
    run = lambda code: subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)  # noqa: E731
    assert run(probe).stdout.strip() == "True"
    # the helper's own program: the kernels without cmsim/__init__ (nor pandas, which it imports)
    package = os.path.dirname(precompile.__file__)
    done = run(precompile._HELPER.format(package=package) + "; print('pandas' in sys.modules)")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
    assert run(probe).stdout.strip() == "False"


def test_caches_of_earlier_kernel_sources_are_pruned_after_a_day(tmp_path) -> None:
    from cmsim._kernels import _prune

    old, recent, keep, other = (tmp_path / n for n in ("cmsim-kernels-old", "cmsim-kernels-new",
                                                       "cmsim-kernels-cur", "unrelated"))  # fmt: skip
    for d in (old, recent, keep, other):
        d.mkdir()
        (d / "x.nbi").write_bytes(b"")
    two_days_ago = time.time() - 2 * 86400
    for d in (old, keep, other):
        os.utime(d, (two_days_ago, two_days_ago))
    _prune(tmp_path, keep="cmsim-kernels-cur")
    assert not old.exists() and recent.exists() and keep.exists() and other.exists()
