"""cmsim.room: room for arrivals that is resident only once used, and the start's scratch
memory handed back (Linux; elsewhere both are plain numpy and a no-op, and the tests skip)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from cmsim.room import NOHUGEPAGE_FROM, zeros

LINUX = sys.platform.startswith("linux") and Path("/proc/self/smaps").exists()


def _resident_kb(a: np.ndarray) -> int:
    """Resident kB of the mappings that hold ``a`` (from /proc/self/smaps)."""
    lo, hi = a.ctypes.data, a.ctypes.data + a.nbytes
    total, inside = 0, False
    for line in Path("/proc/self/smaps").read_text().splitlines():
        head = line.split()[0]
        if "-" in head and not head.endswith(":"):
            start, end = (int(x, 16) for x in head.split("-"))
            inside = start < hi and end > lo
        elif inside and head == "Rss:":
            total += int(line.split()[1])
    return total


@pytest.mark.parametrize("shape, dtype", [((3, 5), np.int32), (7, np.float32), ((2, 4 * 2**20), np.int8)])
def test_zeros_are_numpy_zeros(shape, dtype) -> None:
    a = zeros(shape, dtype)
    b = np.zeros(shape, dtype)
    assert a.shape == b.shape and a.dtype == b.dtype and a.flags.c_contiguous
    assert not a.any()


@pytest.mark.skipif(not LINUX, reason="residency is read from Linux's /proc/self/smaps")
def test_room_after_each_row_stays_out_of_memory() -> None:
    # 4 rows of 8 MiB, the first 100 bytes of each written: with huge pages each write would make
    # 2 MiB resident (8 MiB in all); with ordinary pages 4 kB a row
    a = zeros((4, 8 * 2**20), np.uint8)
    assert a.nbytes >= NOHUGEPAGE_FROM
    a[:, :100] = 1
    assert _resident_kb(a) <= 4 * 2 * 4 + 64  # a page or two a row, and a little for neighbours
    a[:, : 2**20] = 1  # written memory is resident, as always
    assert _resident_kb(a) >= 4 * 1024


@pytest.mark.skipif(not LINUX, reason="glibc's malloc_trim, read from Linux's /proc")
def test_give_back_scratch_returns_freed_heap_memory() -> None:
    # in a fresh interpreter whose C library keeps what it frees (as after a large start: glibc
    # raises its thresholds once big arrays are freed; here set outright, so the test does not
    # hang on that history), 60 freed 1 MiB arrays stay with the process until handed back
    code = textwrap.dedent(
        """
        import ctypes
        import numpy as np
        from cmsim.room import give_back_scratch
        libc = ctypes.CDLL(None)
        libc.mallopt(-3, 64 * 2**20)  # M_MMAP_THRESHOLD: 1 MiB arrays come from the heap
        libc.mallopt(-1, 2**30)  # M_TRIM_THRESHOLD: nothing handed back on free
        def rss():
            for line in open('/proc/self/status'):
                if line.startswith('VmRSS:'):
                    return int(line.split()[1])
        keep = [np.ones(2**20, np.uint8) for _ in range(60)]; del keep
        a = rss(); give_back_scratch(); print(a - rss())
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert int(out.stdout.strip()) >= 10 * 1024  # kB: at least 10 of the 60 MiB came back
