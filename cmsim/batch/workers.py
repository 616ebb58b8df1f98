"""Where batches of model runs execute: this process, a pool of local processes, or a Dask cluster.

:class:`Workers` is the one parallel runner of the sweeps (:mod:`cmsim.batch.runner` sends its
chunks through it) and of the calibration (:mod:`cmsim.calibration.fit` sends each trial's runs
through it). It is opened once and used for many batches, so a calibration's pool or Dask client
lives for the whole study, not one trial.

- ``workers=1`` and no scheduler: every task runs in this process.
- ``workers=N``: a pool of N local processes, forked (after ``warm``, so the compiled kernels are
  loaded once) where the platform allows. A worker ignores Ctrl-C (the driver's to handle); a
  worker that dies (killed, out of memory) takes its tasks with it: the pool is replaced and those
  tasks run again, at most ``MAX_POOL_RESTARTS`` times.
- ``scheduler="tcp://HOST:PORT"``: an existing Dask cluster, the kit installed on its workers;
  ``scheduler="local"``: a Dask ``LocalCluster`` of ``workers`` one-thread processes, started
  here and closed by :meth:`Workers.close`.

Only a few tasks are in flight at a time (``IN_FLIGHT_PER_WORKER`` per worker slot): the next is
submitted when one comes back, so neither the scheduler nor the driver's memory grows with the
number of tasks. Results come back to the driver, which alone writes files.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from cmsim.errors import CmsimError, SweepError

__all__ = ["Workers", "default_workers", "check_scheduler", "IN_FLIGHT_PER_WORKER", "MAX_POOL_RESTARTS",
           "CONNECT_TIMEOUT_S", "SCHEMES"]  # fmt: skip

#: Tasks in flight per worker slot: one running, one waiting.
IN_FLIGHT_PER_WORKER = 2
#: Seconds to wait for a Dask scheduler to answer.
CONNECT_TIMEOUT_S = 20
#: Lost local pools are replaced at most this many times in the life of one :class:`Workers`.
MAX_POOL_RESTARTS = 3
#: Address schemes of a Dask scheduler.
SCHEMES = ("tcp://", "tls://", "inproc://", "ws://", "wss://")


def default_workers() -> int:
    """Cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def check_scheduler(scheduler: Any, workers: Any, error: type[CmsimError] = SweepError) -> None:
    """Raise ``error`` (one line) for a bad ``scheduler`` or ``workers`` argument, or a bad pair."""
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
        raise error(f"the 'workers' parameter must be an integer >= 1; got {workers!r}")
    if scheduler is not None and (
        not isinstance(scheduler, str) or not (scheduler == "local" or scheduler.startswith(SCHEMES))
    ):
        raise error(
            f"the 'scheduler' parameter must be 'local' or an address like tcp://HOST:PORT; got {scheduler!r}"
        )
    if scheduler not in (None, "local") and workers is not None:
        raise error(
            "the 'workers' parameter sets local processes or the size of --scheduler local; "
            f"the cluster at {scheduler} has its own workers"
        )


def _start_method() -> str:
    import multiprocessing as mp
    import threading

    fork = sys.platform.startswith("linux") and "fork" in mp.get_all_start_methods()
    return "fork" if fork and threading.current_thread() is threading.main_thread() else "spawn"


def _ignore_ctrl_c() -> None:
    """In a worker: Ctrl-C is the driver's to handle (it stops the pool), not every worker's."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


class Workers:
    """A runner of tasks ``fn(task)``, kept open for many batches (use as a context manager).

    Parameters
    ----------
    workers : int
        Local processes (1: this process), or the size of ``scheduler="local"``.
    scheduler : str, optional
        ``"local"`` or the address of a running Dask scheduler (``tcp://HOST:PORT``).
    warm : callable, optional
        Called once in this process before local workers are forked (to load compiled code once).
    error : CmsimError subclass
        Raised, in one line, when the scheduler cannot be reached or the workers keep dying.
    """

    def __init__(
        self,
        workers: int = 1,
        scheduler: str | None = None,
        *,
        warm: Callable[[], None] | None = None,
        error: type[CmsimError] = SweepError,
    ) -> None:
        self.workers, self.scheduler, self.error = max(1, int(workers)), scheduler, error
        self._warm = warm
        self._pool: Any = None  # a ProcessPoolExecutor, started on first use
        self._client: Any = None  # a distributed.Client
        self._cluster: Any = None  # the LocalCluster of scheduler="local"
        self.restarts = 0
        if scheduler is not None:
            self._connect(scheduler)
        elif self.workers > 1 and warm is not None and _start_method() == "fork":
            warm()

    # --- set-up and tear-down --------------------------------------------------------------------
    def _connect(self, scheduler: str) -> None:
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise self.error("--scheduler needs Dask distributed: pip install 'cmsim[distributed]'") from None
        if scheduler == "local":
            self._cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1, processes=True,
                                         host="127.0.0.1", dashboard_address=":0")  # fmt: skip
            self._client = Client(self._cluster)
        else:
            try:
                self._client = Client(scheduler, timeout=CONNECT_TIMEOUT_S)
            except (OSError, TimeoutError) as e:
                raise self.error(f"--scheduler {scheduler}: cannot reach the Dask scheduler ({e})") from None

    @property
    def slots(self) -> int:
        """Tasks that run at once: the local workers, or the Dask cluster's threads now."""
        if self._client is not None:
            return max(1, sum(self._client.nthreads().values()))
        return self.workers

    def _local_pool(self):
        if self._pool is None:
            import multiprocessing as mp
            from concurrent.futures import ProcessPoolExecutor

            self._pool = ProcessPoolExecutor(
                self.workers, mp_context=mp.get_context(_start_method()), initializer=_ignore_ctrl_c
            )
        return self._pool

    def close(self) -> None:
        """Stop the local pool, or close the Dask client (and the LocalCluster started here)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- running ---------------------------------------------------------------------------------
    def map(self, fn: Callable[[Any], Any], tasks: Sequence[Any]) -> list[Any]:
        """``[fn(t) for t in tasks]``, run by the workers; results in task order."""
        out: list[Any] = [None] * len(tasks)

        def keep(i: int, result: Any) -> None:
            out[i] = result

        self.stream(fn, tasks, keep)
        return out

    def stream(
        self,
        fn: Callable[[Any], Any],
        tasks: Iterable[Any],
        done: Callable[[int, Any], None],
        key: Callable[[int, Any], str] | None = None,
    ) -> None:
        """Run ``fn`` on every task, calling ``done(index, result)`` in this process as each
        finishes (in any order). ``tasks`` is read lazily, a few ahead of the results. ``key``
        names a task on Dask (default: a random key)."""
        if self._client is not None:
            self._dask(fn, tasks, done, key)
        elif self.workers <= 1:
            for i, t in enumerate(tasks):
                done(i, fn(t))
        else:
            self._local(fn, tasks, done)

    def _local(
        self, fn: Callable[[Any], Any], tasks: Iterable[Any], done: Callable[[int, Any], None]
    ) -> None:
        from concurrent.futures import FIRST_COMPLETED, wait
        from concurrent.futures.process import BrokenProcessPool

        source = enumerate(tasks)
        again: list[tuple[int, Any]] = []  # the tasks of a lost pool, run first on the next
        while True:
            ex = self._local_pool()
            running: dict[Any, tuple[int, Any]] = {}
            try:
                while True:
                    while len(running) < IN_FLIGHT_PER_WORKER * self.workers:
                        item = again.pop() if again else next(source, None)
                        if item is None:
                            break
                        running[ex.submit(fn, item[1])] = item
                    if not running:
                        return
                    finished, _ = wait(running, return_when=FIRST_COMPLETED)
                    for f in finished:
                        result = f.result()  # (a lost worker raises here: the task stays in `running`)
                        i, _t = running.pop(f)
                        done(i, result)
            except BrokenProcessPool:  # a worker was killed: run its tasks again on a new pool
                self.restarts += 1
                again.extend(reversed(sorted(running.values(), key=lambda it: it[0])))
                running.clear()
                self._pool = None
                ex.shutdown(wait=True, cancel_futures=True)
                if self.restarts > MAX_POOL_RESTARTS:
                    raise self.error(
                        f"local workers died {self.restarts} times; stopped (run it again to resume)"
                    ) from None
            except BaseException:
                for f in running:
                    f.cancel()
                raise

    def _dask(
        self,
        fn: Callable[[Any], Any],
        tasks: Iterable[Any],
        done: Callable[[int, Any], None],
        key: Callable[[int, Any], str] | None,
    ) -> None:
        from distributed import as_completed

        client = self._client
        assert client is not None
        slots = self.slots * IN_FLIGHT_PER_WORKER
        source = enumerate(tasks)
        pending = as_completed()
        index: dict[str, int] = {}
        live: dict[str, Any] = {}

        def submit(i: int, t: Any) -> None:
            kw = {"key": key(i, t)} if key is not None else {}
            f = client.submit(fn, t, pure=False, **kw)
            index[str(f.key)] = i
            live[str(f.key)] = f
            pending.add(f)

        try:
            for i, t in source:
                submit(i, t)
                if pending.count() >= slots:
                    break
            for f in pending:
                result = f.result()
                i = index.pop(str(f.key))
                live.pop(str(f.key), None)
                f.release()
                done(i, result)
                nxt = next(source, None)
                if nxt is not None:
                    submit(*nxt)
        except BaseException:
            if live:
                client.cancel(list(live.values()))
            raise
