"""Time the steady start's cost: a warm ``compare`` (2 strategies x 10 seeds x 2,000 members x
180 days, as ``make bench``'s compare_lab) and serial runs a second (2,000 members x 180 days, one
thread), each the median of ``--reps``. Run it on two checkouts back to back to compare.

Usage: ``python benchmarks/steady_timing.py [--reps 5]``
"""

from __future__ import annotations

import argparse
import statistics
import time

import cmsim
from cmsim.batch import compare
from cmsim.spec import run_spec


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=5)
    args = ap.parse_args()
    strategies = {"balanced": "balanced", "moderation_first": "moderation_first"}
    compare("forum", strategies, seeds=10, members=2000, days=180)  # warm
    times = []
    for _ in range(args.reps):
        t = time.perf_counter()
        compare("forum", strategies, seeds=10, members=2000, days=180)
        times.append(time.perf_counter() - t)
    rates = []
    for _ in range(args.reps):
        t = time.perf_counter()
        for seed in range(20):
            run_spec("forum", "balanced", seed=seed, members=2000, days=180, threads=1).run()
        rates.append(20 / (time.perf_counter() - t))
    start = []
    for _ in range(args.reps):
        t = time.perf_counter()
        for seed in range(20):
            cmsim.Simulation("forum", "balanced", seed=seed, members=2000, days=180)
        start.append((time.perf_counter() - t) / 20 * 1000)
    print(
        f"model {cmsim.MODEL_VERSION}: compare_lab {statistics.median(times):.3f} s; "
        f"serial {statistics.median(rates):.1f} runs/s; start of a run {statistics.median(start):.2f} ms"
    )


if __name__ == "__main__":
    main()
