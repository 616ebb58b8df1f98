"""How many trainees one machine serves with ``make game``: N real kernels playing at once.

Starts ``--kernels`` ipykernels at once (what a room opening the page does: one kernel per tab),
each importing cmsim and starting its trainee's game through the page's own widget
(:class:`cmsim.widgets.GameRoom`, the default game: forum, 2,000 members, 12 weeks). Then, for
each N in ``--active``, the first N kernels press "play" at the same moment (the worst case:
everybody clicks together), ``--rounds`` times; a week's response time is from the request to the
kernel's reply, queueing included. Prints start-up times, the response time per week (median and
worst) for each N, the kernels' memory and the load average (the machine may be shared: say so).

    python benchmarks/game_room_load.py --kernels 30 --active 1 5 10 20 30
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

from jupyter_client.manager import start_new_kernel

SETUP = """
import time
from cmsim.widgets import GameRoom
room = GameRoom(save_to={records!r})
game = room.start("trainee {i}")
"""
WEEK = "t0 = time.perf_counter(); game.advance(); print(round(time.perf_counter() - t0, 4))"


def _run(kc, code: str) -> tuple[float, str]:
    t0 = time.perf_counter()
    msg_id = kc.execute(code)
    out = []
    while True:
        msg = kc.get_iopub_msg(timeout=600)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "stream":
            out.append(msg["content"]["text"])
        elif msg["msg_type"] == "error":
            raise RuntimeError("\n".join(msg["content"]["traceback"]))
        elif msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            return time.perf_counter() - t0, "".join(out)


def _rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--kernels", type=int, default=30)
    p.add_argument("--active", type=int, nargs="+", default=[1, 5, 10, 20, 30])
    p.add_argument("--rounds", type=int, default=2)
    args = p.parse_args()
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    env["CMSIM_PRECOMPILE"] = "0"
    records = tempfile.mkdtemp(prefix="room_load_")
    print(f"load average before: {os.getloadavg()}; cores: {os.cpu_count()}", flush=True)
    t0 = time.perf_counter()
    with ThreadPoolExecutor(args.kernels) as pool:
        kernels = list(
            pool.map(lambda _i: start_new_kernel(kernel_name="python3", env=env), range(args.kernels))
        )
        started = time.perf_counter() - t0
        setups = list(pool.map(lambda ik: _run(ik[1][1], SETUP.format(records=records, i=ik[0]))[0],
                               enumerate(kernels)))  # fmt: skip
    ready = time.perf_counter() - t0
    print(f"{args.kernels} kernels started together: all running after {started:.1f} s, every game on screen "
          f"after {ready:.1f} s (one game's import and start: median {statistics.median(setups):.1f} s, "
          f"slowest {max(setups):.1f} s)", flush=True)  # fmt: skip
    rss = [_rss_mb(km.provisioner.process.pid) for km, _ in kernels]  # type: ignore[union-attr]  # (started above)
    print(
        f"memory: {statistics.median(rss):.0f} MB a kernel (median), {sum(rss) / 1024:.1f} GB for all",
        flush=True,
    )
    try:
        print(
            "N clicking at once | week response (request to reply): median / worst | in-kernel week: median"
        )
        for n in args.active:
            if n > args.kernels:
                continue
            resp, inner = [], []
            for _ in range(args.rounds):
                with ThreadPoolExecutor(n) as pool:
                    for took, out in pool.map(lambda kk: _run(kk[1], WEEK), kernels[:n]):
                        resp.append(took)
                        inner.append(float(out.strip()))
            print(f"{n:>18} | {statistics.median(resp):.2f} s / {max(resp):.2f} s | {statistics.median(inner):.2f} s",
                  flush=True)  # fmt: skip
        print(f"load average after: {os.getloadavg()}")
    finally:
        for km, kc in kernels:
            kc.stop_channels()
            km.shutdown_kernel(now=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
