"""The background compile of step kernels: right signatures, started only when useful."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import numba
import numpy as np
import pandas as pd
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
    from cmsim._kernels import graphs as kg
    from cmsim._kernels import layout as L

    for name in ("block_edges", "fill_csr"):  # called from cmsim.graphs, as ``_g.<name>``
        real_kernel = getattr(kg, name)
        monkeypatch.setattr(kg, name, lambda *a, _k=real_kernel, _n=name: seen.setdefault(_n, a) and _k(*a))
    cmsim.start_cache.clear()
    cmsim.simulate("forum", "balanced", seed=1, members=300, days=3)
    d0, d1, seed, P, TL, M, H, OUT, hist, chunks, part, meta, indptr, indices, deg, F, B, I, U = seen["args"]  # noqa: E741
    t = numba.typeof
    i64 = numba.int64
    assert t(d0) == t(d1) == t(seed) == i64 and t(chunks).dtype == i64  # day, seed, chunk bounds
    z = numba.float64[::1]  # Z and tot are np.zeros inside the kernel
    members = tuple(map(t, (F, B, I, U)))
    graph = (t(indptr), t(indices), t(deg))
    expected = {
        "act_chunk": (i64, i64, i64, i64, i64, t(P), z, t(part), *graph, *members, numba.types.literal(True)),
        "community_changes": (i64, i64, t(P), t(TL), t(M), t(H), z, t(OUT), t(hist), z, t(meta), *graph,
                              *members),
        "day_scalars": (i64, t(P), t(TL), t(M), t(H), z),
        "resolve_chunk": (i64, i64, i64, i64, i64, t(P), z, t(part), *members),
        "count_posters": (i64, *graph, t(B[L.B_STATUS]), t(U[L.U_ACT]), t(U[L.U_POSTERS])),
        "block_edges": tuple(map(t, seen["block_edges"])),
        "fill_csr": tuple(map(t, seen["fill_csr"])),
        "run_days_ser": tuple(map(t, seen["args"])),
    }  # fmt: skip
    assert expected["fill_csr"][3:] == graph  # (the rows the run then reads)
    expected["sort_batch"] = precompile.SIGNATURES["sort_batch"]  # (act_chunk's callee: next test)
    assert precompile.SIGNATURES == expected
    # the helper's share and the first run's cover every kernel, none twice
    mine = [n for n in precompile.SIGNATURES if n not in precompile.HELPER_KERNELS]
    assert sorted(mine) == sorted([precompile.LAST[0], *(n for n, _ in precompile.FIRST_RUN)])
    assert sorted(mine) == ["act_chunk", "count_posters", "run_days_ser"]
    assert set(precompile.HELPER_KERNELS) < set(precompile.SIGNATURES)
    assert dict(precompile.FIRST_RUN)["act_chunk"] == ("sort_batch",)  # (it links the helper's copy)


def _typed_calls(kernel, args: tuple, callee) -> set[tuple]:
    """The argument types of every call of ``callee`` in ``kernel`` typed for ``args``, as numba's
    own pipeline types it (its untyped passes, then type inference; nothing lowered)."""
    from numba.core import compiler
    from numba.core.compiler_machinery import FunctionPass, register_pass
    from numba.core.registry import cpu_target
    from numba.core.typed_passes import NopythonTypeInference

    @register_pass(mutates_CFG=False, analysis_only=True)
    class Typed(FunctionPass):
        _name = "cmsim_test_typed"

        def __init__(self) -> None:
            FunctionPass.__init__(self)

        def run_pass(self, state) -> bool:
            state.cr = (state.typemap, state.calltypes)  # (the pipeline's result: no lowering)
            return False

    class TypingOnly(compiler.CompilerBase):
        def define_pipelines(self):
            pm = compiler.DefaultPassBuilder.define_untyped_pipeline(self.state, "typing only")
            pm.add_pass(NopythonTypeInference, "nopython type inference")
            pm.add_pass(Typed, "keep the types")
            pm.finalize()
            return [pm]

    flags = compiler.Flags()
    flags.nrt = True
    typemap, calltypes = compiler.compile_extra(cpu_target.typing_context, cpu_target.target_context,
                                                kernel.py_func, args, None, flags, {}, pipeline_class=TypingOnly)  # fmt: skip
    return {
        tuple(sig.args)
        for expr, sig in calltypes.items()
        if getattr(expr, "op", None) == "call"
        and isinstance(ft := typemap[expr.func.name], numba.types.Dispatcher)
        and ft.dispatcher is callee
    }


def test_act_chunk_calls_its_first_pass_with_the_helpers_signature() -> None:
    """The helper compiles ``quiet.sort_batch`` for the first run's ``act_chunk`` to link: typing
    ``act_chunk`` with its signature must ask for exactly that copy (another would be compiled
    again by the first run, and the helper's work lost)."""
    from cmsim._kernels import act, quiet

    sigs = precompile.SIGNATURES
    assert _typed_calls(act.act_chunk, sigs["act_chunk"], quiet.sort_batch) == {sigs["sort_batch"]}


def test_the_helpers_last_kernel_links_the_copies_the_first_run_and_the_helper_saved() -> None:
    """The helper compiles ``run_days_ser`` once the kernels it calls are in the cache
    (``precompile.LAST``): typed with its signature, it must call each of them with exactly the
    signature compiled for it, and call no other kernel of ``SIGNATURES``."""
    from cmsim._kernels import step

    sigs = precompile.SIGNATURES
    name, links = precompile.LAST
    assert name == "run_days_ser"
    kernels = precompile._kernels()
    for other, kernel in kernels.items():
        calls = _typed_calls(step.run_days_ser, sigs[name], kernel)
        assert calls == ({sigs[other]} if other in links else set()), other
    assert set(links) >= {"act_chunk", "count_posters"}  # (the first run's: the helper waits for them)


def test_the_parallel_step_calls_the_kernels_with_the_one_thread_signatures(monkeypatch) -> None:
    """``run_days_par`` calls ``act_chunk`` and ``resolve_chunk`` with the types the one-thread
    step and the helper compile them for: a prange index (typed uint64) or a literal 0 would
    compile another copy of each, about 15 s of a big run's first start."""
    from cmsim._kernels import act, resolve, step

    seen = {}
    real = cmsim.simulation.run_days_par

    def capture(*args):
        seen["args"] = args
        return real(*args)

    monkeypatch.setattr(cmsim.simulation, "run_days_par", capture)
    cmsim.run_spec("forum", seed=1, members=300, days=2, threads=2).run()
    # a new dispatcher of the same function (no cache): typing it asks for its callees' copies
    fresh = numba.njit(parallel=True)(step.run_days_par.py_func)
    fresh.compile(tuple(numba.typeof(a) for a in seen["args"]))
    from cmsim._kernels import comebacks

    kernels = (("act_chunk", act.act_chunk), ("resolve_chunk", resolve.resolve_chunk),
               ("count_posters", comebacks.count_posters))  # fmt: skip
    for name, kernel in kernels:
        sigs = [tuple(sig) for sig in kernel.signatures]  # (other tests may call them from Python)
        assert precompile.SIGNATURES[name] in sigs, name
        for sig in sigs:  # the chunk index an int64, no literal integer
            assert sig[0] == numba.int64 and not any(  # (count_posters: the member count)
                isinstance(a, numba.types.IntegerLiteral) for a in sig
            ), sig


class _Helper:
    """A stand-in for the helper's process: alive until ``exit_after`` polls (never if None)."""

    def __init__(self, exit_after: int | None = None) -> None:
        self.polls, self.exit_after = 0, exit_after

    def poll(self) -> int | None:
        self.polls += 1
        return 0 if self.exit_after is not None and self.polls > self.exit_after else None


def _fake_cache(monkeypatch, tmp_path) -> tuple[list, dict]:
    compiled: list = []
    monkeypatch.setattr(precompile, "compile_ahead", lambda names: compiled.append(names))
    paths = {n: tmp_path / f"{n}.nbi" for n in precompile.SIGNATURES}
    monkeypatch.setattr(precompile, "_kernels", lambda *a: {n: n for n in precompile.SIGNATURES})
    monkeypatch.setattr(precompile, "_index_path", lambda name: paths[name])
    return compiled, paths


def test_the_helpers_first_kernels_import_no_members_and_the_cold_probe_compiles_nothing() -> None:
    """The helper compiles the graph's kernels, ``sort_batch``, ``day_scalars`` and
    ``resolve_chunk`` while the first run's import compiles ``members``: their modules must not
    import it (the helper would compile it a second time). ``start`` asks whether the cache is
    cold through ``PROBE``, whose module imports no compiled kernel, so the helper starts before
    anything compiles."""
    package = os.path.dirname(precompile.__file__)
    code = (
        f"import sys, types; m = types.ModuleType('cmsim'); m.__path__ = [{package!r}]; sys.modules['cmsim'] = m\n"
        "from cmsim import precompile\n"
        "precompile.cache_is_cold()\n"
        "marker = sorted(k for k in sys.modules if k.startswith('cmsim._kernels.'))\n"
        "precompile._kernels(precompile.HELPER_KERNELS[:5])\n"
        "print(marker, 'cmsim._kernels.members' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["['cmsim._kernels.comebacks',", "'cmsim._kernels.layout',",
                                   "'cmsim._kernels.prefetch']", "False"]  # fmt: skip
    assert precompile.HELPER_KERNELS[:5] == ("block_edges", "fill_csr", "day_scalars", "sort_batch",
                                             "resolve_chunk")  # fmt: skip
    assert precompile.PROBE in precompile.SIGNATURES


def test_ready_compiles_the_first_runs_share_then_waits_for_the_helpers(monkeypatch, tmp_path) -> None:
    import threading

    compiled, paths = _fake_cache(monkeypatch, tmp_path)
    monkeypatch.setattr(precompile, "_helper", None)
    assert precompile.ready() is False and compiled == []  # no helper started: nothing to do
    monkeypatch.setattr(precompile, "_helper", _Helper())

    linked = []  # whether the helper's sort_batch was saved when this process compiled a kernel
    monkeypatch.setattr(precompile, "compile_ahead",
                        lambda names: (compiled.append(names), linked.append(precompile._saved(paths["sort_batch"]))))  # fmt: skip

    def helper_finishes() -> None:
        for name in precompile.HELPER_KERNELS:
            time.sleep(0.05)
            paths[name].write_bytes(b"")  # numba writes the index first, then the data
            time.sleep(0.02)
            (tmp_path / f"{name}.1.nbc").write_bytes(b"")

    threading.Thread(target=helper_finishes).start()
    t0 = time.monotonic()
    assert precompile.ready() is True
    assert time.monotonic() - t0 >= 0.14  # it waited for the last of the helper's kernels
    assert compiled == [("count_posters",), ("act_chunk",)] and linked == [False, True]
    assert all(precompile._saved(paths[n]) for n in precompile.HELPER_KERNELS)
    assert precompile.ready() is False and len(compiled) == 2  # once a process


def test_a_kernel_counts_as_saved_once_its_data_is_beside_its_index(tmp_path) -> None:
    index = tmp_path / "quiet.sort_batch-140.py311.nbi"
    assert not precompile._saved(index)
    index.write_bytes(b"")
    (tmp_path / "quiet.sort_batch-140.py311.1.nbc.tmp.0123456789abcdef").write_bytes(b"")  # (being written)
    (tmp_path / "quiet.sort_batch_other-140.py311.1.nbc").write_bytes(b"")  # another kernel's
    assert not precompile._saved(index)
    (tmp_path / "quiet.sort_batch-140.py311.1.nbc").write_bytes(b"")
    assert precompile._saved(index)


def test_ready_stops_waiting_when_the_helper_ends_or_takes_too_long(monkeypatch, tmp_path) -> None:
    compiled, _ = _fake_cache(monkeypatch, tmp_path)
    gone = _Helper(exit_after=3)
    monkeypatch.setattr(precompile, "_helper", gone)
    assert precompile.ready(wait_s=60.0) is False and gone.polls == 5  # it died: the run compiles
    assert compiled == [("count_posters",), ("act_chunk",)]  # (its own share all the same)
    slow = _Helper()
    monkeypatch.setattr(precompile, "_helper", slow)
    t0 = time.monotonic()
    assert precompile.ready(wait_s=0.1) is False and 0.1 <= time.monotonic() - t0 < 5.0
    assert len(compiled) == 4  # one deadline for all the waiting
    monkeypatch.setattr(precompile, "compile_ahead", lambda names: 1 / 0)
    monkeypatch.setattr(precompile, "_helper", _Helper())
    assert precompile.ready() is False  # a failure in the speed-up never breaks the run
    assert len(compiled) == 4


def _in_a_cold_session(code: str, cache) -> str:
    """The output of ``code`` in a new process on the empty numba cache ``cache``, helper on."""
    if (os.cpu_count() or 1) < 2:
        pytest.skip("the helper runs only on machines with more than one core")
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache), "CMSIM_PRECOMPILE": "1"}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_import_starts_the_helper_before_the_heavy_imports(tmp_path) -> None:
    """``import cmsim`` launches the helper before the public API (the engine, the tables) and any
    module with kernels compiled at import (``rng``, ``members``) is imported; pandas and the
    many-run API wait for their first use."""
    code = (
        "import subprocess, sys\n"
        "seen = []\n"
        "heavy = ('cmsim.simulation', 'cmsim._kernels.rng', 'cmsim._kernels.graphs', 'cmsim._kernels.members')\n"
        "subprocess.Popen = lambda *a, **k: seen.append(any(m in sys.modules for m in heavy))\n"
        "import cmsim\n"
        "print(seen, 'cmsim.simulation' in sys.modules, 'pandas' in sys.modules, 'cmsim.batch' in sys.modules)\n"
        "cmsim.compare\n"
        "print('pandas' in sys.modules, 'cmsim.batch' in sys.modules)\n"
    )
    assert _in_a_cold_session(code, tmp_path).split() == ["[False]", "True", "False", "False", "True", "True"]


def test_the_many_run_subpackages_are_found_after_a_plain_import() -> None:
    """``cmsim.calibration.read_provenance`` (docs/calibration.md) and ``cmsim.batch`` are found after
    ``import cmsim`` alone, as when the package imported them, and only on first use."""
    code = (
        "import sys, cmsim\n"
        "print('cmsim.calibration' in sys.modules, 'cmsim.batch' in sys.modules)\n"
        "print(callable(cmsim.calibration.read_provenance), cmsim.batch.compare is cmsim.compare)\n"
        "print('batch' in dir(cmsim), 'calibration' in dir(cmsim))\n"
        "print(not hasattr(cmsim, 'widgets_nothing'))\n"
    )
    env = {**os.environ, "CMSIM_PRECOMPILE": "0"}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "False", "True", "True", "True", "True", "True"]


def test_start_launches_one_helper_only_when_the_cache_is_cold(monkeypatch, tmp_path) -> None:
    launched = []

    class Launched:
        pid = 4321

    monkeypatch.setattr(
        precompile.subprocess, "Popen", lambda *a, **k: (launched.append((a, k)), Launched())[1]
    )
    index = tmp_path / "step" / "count_posters.nbi"  # (the probe's: its folder is the cache's)
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
    lock = index.parent / precompile.LOCK
    assert lock.read_text() == "4321"  # (naming it: the bench waits for that process)
    old = time.time() - 2 * precompile.LOCK_FRESH_S
    os.utime(lock, (old, old))
    assert again() and len(launched) == 2  # a stale lock does not block
    folder = index.parent
    (folder / "comebacks.count_posters-102.py311.nbi").write_bytes(b"")  # numba's index names
    os.utime(lock, (old, old))
    assert again() and len(launched) == 3  # the probe compiled (by its doctest, say): still cold
    for name in precompile.HELPER_KERNELS:
        (folder / f"{precompile.MODULES[name]}.{name}-7.py311.nbi").write_bytes(b"")
    (folder / "community.community_changes-7.py311.nbi").unlink()
    os.utime(lock, (old, old))
    assert again() and len(launched) == 4  # one helper kernel missing: cold
    (folder / "community.community_changes-9.py311.nbi").write_bytes(b"")
    (folder / "graphs.fill_csr-7.py311.nbi").unlink()
    (folder / "graphs.fill_csr_sorting-7.py311.nbi").write_bytes(b"")  # another kernel, not fill_csr
    os.utime(lock, (old, old))
    assert again() and len(launched) == 5
    (folder / "graphs.fill_csr-8.py311.nbi").write_bytes(b"")
    os.utime(lock, (old, old))
    assert not again() and len(launched) == 5  # warm (filled by the helper or by runs without it)
    monkeypatch.setenv("CMSIM_PRECOMPILE", "0")
    (folder / "community.community_changes-9.py311.nbi").unlink()
    assert not again() and len(launched) == 5  # switched off


@pytest.mark.slow
def test_compile_ahead_fills_the_cache_a_new_process_then_uses(tmp_path) -> None:
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path), "CMSIM_PRECOMPILE": "0"}
    probe = "from cmsim import precompile; print(precompile.cache_is_cold())"
    run = lambda code: subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)  # noqa: E731
    assert run(probe).stdout.strip() == "True"
    # the helper's own program: the kernels without cmsim/__init__ (nor pandas, which it imports)
    package = os.path.dirname(precompile.__file__)
    # (parent -1: no first run will save its kernels, so it does not wait for them)
    done = run(precompile._HELPER.format(package=package, parent=-1) + "; print('pandas' in sys.modules)")
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


class _Kernel:
    """A stand-in for a dispatcher: its compiled copies in this process."""

    def __init__(self) -> None:
        self.overloads: dict = {}


def test_runs_step_from_python_while_the_helper_compiles_the_days_loop(monkeypatch, tmp_path) -> None:
    kernel = _Kernel()
    index = tmp_path / "step.run_days_ser-200.py311.nbi"
    monkeypatch.setattr(precompile, "_kernels", lambda names: {n: kernel for n in names})
    monkeypatch.setattr(precompile, "_index_path", lambda k: index)
    monkeypatch.setattr(precompile, "_launched", None)
    assert not precompile.steps_from_python()  # this process started no helper
    monkeypatch.setattr(precompile, "_launched", _Helper())
    assert precompile.steps_from_python() and precompile.steps_from_python()  # the helper at work
    index.write_bytes(b"")
    assert precompile.steps_from_python()  # (an index alone: the data not yet written)
    (tmp_path / "step.run_days_ser-200.py311.1.nbc").write_bytes(b"")
    assert not precompile.steps_from_python()  # saved: numba loads the helper's copy
    index.unlink()
    assert not precompile.steps_from_python()  # and from then on the run never looks again
    monkeypatch.setattr(precompile, "_launched", _Helper(exit_after=0))
    assert not precompile.steps_from_python()  # the helper ended without it: the run compiles it
    monkeypatch.setattr(precompile, "_launched", _Helper())
    kernel.overloads["sig"] = object()
    assert not precompile.steps_from_python()  # this process has its own copy
    monkeypatch.setattr(precompile, "_launched", _Helper())
    monkeypatch.setattr(precompile, "_index_path", lambda k: 1 / 0)
    assert not precompile.steps_from_python()  # a failure in the speed-up never breaks the run


@pytest.mark.parametrize("scenario", ["forum", "customer", "troll_raid", "product_crisis", "internal"])
def test_a_run_stepped_from_python_is_the_same_run(monkeypatch, scenario) -> None:
    """``step.run_days_loop`` calls the compiled kernels as ``run_days_ser`` does: same results,
    with one chunk or several (the split never changes results)."""
    from cmsim._kernels import step

    kw = dict(seed=4, members=600, days=70)
    expected = cmsim.simulate(scenario, "balanced", **kw)
    names = precompile.LAST[1]  # (the kernels the daily loop calls)
    before = {n: set(getattr(step, n).signatures) for n in names}
    stepped: list = []
    real = cmsim.simulation.run_days_loop
    monkeypatch.setattr(precompile, "steps_from_python", lambda: True)
    monkeypatch.setattr(cmsim.simulation, "run_days_ser", lambda *a: 1 / 0)  # (never called)
    monkeypatch.setattr(cmsim.simulation, "run_days_loop", lambda *a: (stepped.append(len(a[9])), real(*a)))
    got = cmsim.simulate(scenario, "balanced", **kw)
    monkeypatch.setattr(cmsim.simulation.Simulation, "_chunks",
                        lambda self, st, share: np.array([0, st.n_used // 3, 2 * st.n_used // 3], np.int64))  # fmt: skip
    split = cmsim.simulate(scenario, "balanced", **kw)
    assert stepped and set(stepped) == {1, 3}
    for n in names:  # each called with the one-thread step's own types (act_chunk's literal True)
        assert set(getattr(step, n).signatures) - before[n] <= {precompile.SIGNATURES[n]}, n
        assert precompile.SIGNATURES[n] in getattr(step, n).signatures, n
    for run in (got, split):
        pd.testing.assert_frame_equal(run.daily, expected.daily, check_exact=True)
        pd.testing.assert_frame_equal(run.members, expected.members, check_exact=True)
        assert pd.Series(run.summary).equals(pd.Series(expected.summary))


def test_the_helper_compiles_the_days_loop_once_the_first_runs_kernels_are_saved(
    monkeypatch, tmp_path
) -> None:
    import threading

    compiled, paths = _fake_cache(monkeypatch, tmp_path)
    monkeypatch.setattr(precompile, "_folder", lambda: tmp_path)
    lock = tmp_path / precompile.LOCK
    name, links = precompile.LAST

    def first_run_saves() -> None:
        for link in links:
            time.sleep(0.03)
            paths[link].write_bytes(b"")
            (tmp_path / f"{link}.1.nbc").write_bytes(b"")

    lock.write_bytes(b"")
    saver = threading.Thread(target=first_run_saves)
    saver.start()
    t0 = time.monotonic()
    precompile.help_first_run(os.getppid())  # (its parent: this process's, alive)
    assert time.monotonic() - t0 >= 0.1  # it waited for the first run's kernels
    assert compiled == [precompile.HELPER_KERNELS, (name,)] and not lock.exists()
    saver.join()
    # the process that started it ended before saving them: no wait, no days loop, no lock
    for link in links:
        paths[link].unlink()
    lock.write_bytes(b"")
    precompile.help_first_run(-1)
    assert compiled[2:] == [precompile.HELPER_KERNELS] and not lock.exists()
    # it waits at most LAST_WAIT_S
    monkeypatch.setattr(precompile, "LAST_WAIT_S", 0.1)
    lock.write_bytes(b"")
    t0 = time.monotonic()
    precompile.help_first_run(os.getppid())
    assert 0.1 <= time.monotonic() - t0 < 5.0 and len(compiled) == 4 and not lock.exists()
    # it fails (a compile error, say): the lock goes all the same
    monkeypatch.setattr(precompile, "compile_ahead", lambda names: 1 / 0)
    lock.write_bytes(b"")
    with pytest.raises(ZeroDivisionError):
        precompile.help_first_run(os.getppid())
    assert not lock.exists()


@pytest.mark.slow
def test_a_cold_session_steps_its_first_run_from_python_and_the_helper_saves_the_days_loop(tmp_path) -> None:
    """A new process on an empty cache with its helper: the first run's days are stepped from
    Python (same results as a warm run here), the helper then saves ``run_days_ser``, and the
    session's later runs use it."""
    code = (
        "import hashlib, time, cmsim, cmsim.simulation as s\n"
        "from cmsim import precompile\n"
        "from cmsim._kernels import step\n"
        "loops = []\n"
        "real = s.run_days_loop\n"
        "s.run_days_loop = lambda *a: (loops.append(1), real(*a))\n"
        "h = lambda r: hashlib.sha256((r.daily.to_csv() + r.members.to_csv()).encode()).hexdigest()\n"
        "first = h(cmsim.simulate('forum', 'balanced', seed=2, members=800, days=60))\n"
        "n = len(loops)\n"
        "folder = precompile._folder()\n"
        "t = time.monotonic()\n"
        "while (folder / precompile.LOCK).exists() and time.monotonic() - t < 300: time.sleep(0.1)\n"
        "again = h(cmsim.simulate('forum', 'balanced', seed=2, members=800, days=60))\n"
        "print(first == again, n, len(loops), sum(step.run_days_ser._cache_hits.values()), first)\n"
    )
    same, n, total, hits, digest = _in_a_cold_session(code, tmp_path).split()
    # the first run stepped from Python (in one or more spans), the second with run_days_ser
    # loaded from the helper's copy (not compiled)
    assert same == "True" and int(n) >= 1 and total == n and hits == "1"
    warm = cmsim.simulate("forum", "balanced", seed=2, members=800, days=60)
    import hashlib

    assert digest == hashlib.sha256((warm.daily.to_csv() + warm.members.to_csv()).encode()).hexdigest()
