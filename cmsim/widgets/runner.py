"""The lab's runner: one worker thread of the kernel, where the newest request always wins.

Every control change submits a request (after a short debounce); the worker thread takes the
newest request, computes it, and publishes the result only if no newer request arrived in the
meantime. A computation checks :meth:`Runner.stale` between chunks of runs and stops early
when it has been superseded, so a quick succession of slider moves costs one full computation,
not one per move. No process pool is forked per update: the runs of a chunk go on threads
started from this one (the compiled engine releases the GIL, so they use every core).
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable
from typing import Any

import cmsim

__all__ = ["Runner", "Superseded", "TooSlow"]


class Superseded(Exception):
    """Raised inside a computation whose request was replaced by a newer one."""


class TooSlow(Exception):
    """Raised inside a computation that ran longer than the runner's cap."""


class Runner:
    """Debounced requests computed on one daemon thread; only the newest result is published.

    Parameters
    ----------
    compute : callable
        ``compute(request, check)`` returns a result; it should call ``check()`` between chunks of
        work (``check`` raises :class:`Superseded` or :class:`TooSlow`).
    publish : callable
        ``publish(request, result)`` called on the worker thread with the newest result.
    fail : callable
        ``fail(request, exc)`` called with the error of the newest request (the last good
        result stays where ``publish`` put it).
    busy : callable
        ``busy(flag)`` called when the runner starts (True) and stops (False) working.
    debounce : float
        Seconds to wait after the last :meth:`submit` before starting (0 = at once).
    max_seconds : float
        Cap on one computation's wall time; beyond it ``check()`` raises :class:`TooSlow`.
    """

    def __init__(
        self,
        compute: Callable[[Any, Callable[[], None]], Any],
        publish: Callable[[Any, Any], None],
        fail: Callable[[Any, BaseException], None],
        busy: Callable[[bool], None] = lambda flag: None,
        debounce: float = 0.25,
        max_seconds: float = 60.0,
    ) -> None:
        self._compute, self._publish, self._fail, self._busy = compute, publish, fail, busy
        self.debounce = float(debounce)
        self.max_seconds = float(max_seconds)
        self._cond = threading.Condition()
        self._request: Any = None
        self._generation = 0  # bumped by every submit
        self._done_generation = 0  # the generation last finished (published, failed or dropped)
        self._due = 0.0  # when the pending request may start (debounce)
        self._started = 0.0
        self._thread: threading.Thread | None = None
        self._closed = False
        self.published = 0  # results published so far (for tests and benchmarks)

    # --- the caller's side --------------------------------------------------------------------
    def submit(self, request: Any, debounce: float | None = None) -> int:
        """Queue ``request``, replacing any pending or running one; returns its generation."""
        delay = self.debounce if debounce is None else float(debounce)
        with self._cond:
            if self._closed:
                raise cmsim.ArgumentError("the runner is closed: make a new lab")
            self._generation += 1
            self._request = request
            self._due = time.monotonic() + delay
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="cmsim-lab-runner", daemon=True)
                self._thread.start()
            self._cond.notify_all()
            return self._generation

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the newest request is finished; False if ``timeout`` passed first."""
        end = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while self._done_generation < self._generation:
                left = None if end is None else end - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._cond.wait(left)
            return True

    @property
    def idle(self) -> bool:
        """True when every submitted request has been finished."""
        with self._cond:
            return self._done_generation >= self._generation

    def close(self) -> None:
        """Stop the worker thread (a running computation stops at its next check)."""
        with self._cond:
            self._closed = True
            self._generation += 1
            self._cond.notify_all()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)

    # --- the worker's side --------------------------------------------------------------------
    def stale(self, generation: int) -> bool:
        """True when a newer request than ``generation`` has been submitted."""
        return self._generation != generation

    def _check(self, generation: int) -> None:
        if self._generation != generation:
            raise Superseded()
        if time.monotonic() - self._started > self.max_seconds:
            raise TooSlow()

    def _loop(self) -> None:
        while True:
            with self._cond:
                while not self._closed and self._done_generation >= self._generation:
                    self._cond.wait()
                if self._closed:
                    return
                while not self._closed and (left := self._due - time.monotonic()) > 0:
                    self._cond.wait(left)  # debounce: a newer submit moves the due time on
                if self._closed:
                    return
                gen, request = self._generation, self._request
            self._busy(True)
            self._started = time.monotonic()
            try:
                result = self._compute(request, functools.partial(self._check, gen))
            except Superseded:
                result, error = None, None
            except BaseException as exc:  # noqa: BLE001 - shown to the user as one line
                result, error = None, exc
            else:
                error = None
            with self._cond:
                newest = gen == self._generation
            if newest and error is not None:
                self._safe(self._fail, request, error)
            elif newest and result is not None:
                if self._safe(self._publish, request, result):
                    self.published += 1
            with self._cond:
                if newest:
                    self._done_generation = gen
                    self._busy(False)
                self._cond.notify_all()

    def _safe(self, fn: Callable[..., None], *args: Any) -> bool:
        try:
            fn(*args)
            return True
        except BaseException as exc:  # noqa: BLE001 - a drawing error must not kill the thread
            if fn is not self._fail:
                try:
                    self._fail(args[0], exc)
                except BaseException:  # noqa: BLE001
                    pass
            return False
