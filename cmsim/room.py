"""Arrays with room to grow that cost memory only where they are used.

A run lays out its member arrays and contact rows for the arrivals of its first months at once
(growing them would copy every array). Fresh zeroed memory costs nothing until it is written, so
the room for members who have not arrived yet is free, unless the pages are huge: numpy asks
Linux for 2 MiB pages on large arrays, and one write then makes a whole 2 MiB resident. Each row
of a ``(rows, capacity)`` array ends its used part inside such a page, so the room after it became
resident too, and more of it each day as members arrived (measured: a 1M-member social media run
of 100 days peaked at 237 MB with huge pages and at 226 MB without; the stepping speed did not
move beyond its run-to-run noise).

:func:`zeros` gives a zeroed array whose pages are ordinary (``MADV_NOHUGEPAGE``) where the
platform allows it, and a plain ``numpy.zeros`` elsewhere. The values are the same either way:
only the memory that the room occupies changes.

Building a large start (the graph's edge lists, the members' comeback chances) uses scratch
arrays that the C library keeps for later instead of handing back: 15 MB at 1M members, held
for the whole run. :func:`give_back_scratch` hands it back (glibc's ``malloc_trim``; nothing
elsewhere).
"""

from __future__ import annotations

import ctypes
import mmap
import sys
from typing import Any

import numpy as np

__all__ = ["zeros", "give_back_scratch", "NOHUGEPAGE_FROM", "GIVE_BACK_FROM"]

#: Runs from this many members give their start's scratch memory back (:func:`give_back_scratch`).
GIVE_BACK_FROM = 100_000
#: Arrays from this many bytes get ordinary pages (numpy asks for huge pages from 4 MiB).
NOHUGEPAGE_FROM = 4 * 2**20
_MADV_NOHUGEPAGE = 15  # <linux/mman.h>

_LIBC: dict[str, Any] = {}


def _libc(name: str, argtypes: list[Any]) -> Any:
    """The C library's function ``name`` returning an int, on Linux; else ``False`` (looked up once)."""
    if name not in _LIBC:
        _LIBC[name] = False
        if sys.platform.startswith("linux"):
            try:
                f = getattr(ctypes.CDLL(None, use_errno=True), name)
                f.argtypes, f.restype = argtypes, ctypes.c_int
                _LIBC[name] = f
            except (OSError, AttributeError):  # no such symbol (musl has no malloc_trim): do nothing
                pass
    return _LIBC[name]


def zeros(shape: int | tuple[int, ...], dtype: Any) -> np.ndarray:
    """A zeroed array (as ``numpy.zeros(shape, dtype)``) that is resident only where written.

    Examples
    --------
    >>> a = zeros((2, 3), np.int32)
    >>> a.shape, a.dtype.name, int(a.sum())
    ((2, 3), 'int32', 0)
    """
    a = np.zeros(shape, dtype)
    if a.nbytes >= NOHUGEPAGE_FROM:
        f = _libc("madvise", [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int])
        if f:
            page = mmap.PAGESIZE
            lo = -(-a.ctypes.data // page) * page
            hi = (a.ctypes.data + a.nbytes) // page * page
            if hi > lo:
                f(lo, hi - lo, _MADV_NOHUGEPAGE)  # advice only: a refusal changes nothing
    return a


def give_back_scratch() -> None:
    """Hand the C library's free memory back to the system (glibc ``malloc_trim(0)``; a no-op
    where there is none). Costs about a millisecond; called once after a large start."""
    f = _libc("malloc_trim", [ctypes.c_size_t])
    if f:
        f(0)
