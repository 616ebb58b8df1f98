"""Fingerprints of simulation results, to prove a performance change leaves results bit-identical.

Every shipped scenario under two strategies and two seeds (2,000 members, 60 days, the one-thread
kernel), plus the parallel kernel (60,000 members, 10 days) run once on the default threads and
once in a subprocess with ``NUMBA_NUM_THREADS=1``. Each entry holds the sha256 of
``run.daily.to_csv()``, of the summary and of ``run.members.to_csv()``.

Other people may change parameter defaults and scenario files while you work, which changes
results for reasons that are not yours. So freeze the inputs first, and fingerprint the frozen
scenarios before and after your change::

    python benchmarks/fingerprint.py --freeze /tmp/frozen.pkl         # once, before any edit
    python benchmarks/fingerprint.py --frozen /tmp/frozen.pkl > /tmp/before.json
    # ... change a kernel ...
    python benchmarks/fingerprint.py --frozen /tmp/frozen.pkl --compare /tmp/before.json

Without ``--frozen`` the shipped scenarios are loaded as they are now.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import pickle
import subprocess
import sys

import cmsim

STRATEGIES = ("balanced", "data_driven")
SEEDS = (1, 2)
ONE_THREAD = "social_media/balanced/3/parallel/1-thread"


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def fingerprint(sc: cmsim.Scenario, strategy: str, seed: int, members: int, days: int) -> dict[str, str]:
    """Hashes of one run's daily table, summary and members table."""
    run = cmsim.simulate(sc, strategy, seed=seed, members=members, days=days)
    return {
        "daily": _sha(run.daily.to_csv()),
        "summary": _sha(json.dumps(run.summary, sort_keys=True, default=str)),
        "members": _sha(run.members.to_csv()),
    }


def scenarios(frozen: str | None) -> dict[str, cmsim.Scenario]:
    """The frozen scenarios of ``frozen`` (a pickle), or the shipped ones as loaded now."""
    if frozen:
        with open(frozen, "rb") as fh:
            return pickle.load(fh)
    return {name: cmsim.load_scenario(name) for name in cmsim.list_scenarios()}


def parallel_run(scs: dict[str, cmsim.Scenario]) -> dict[str, str]:
    return fingerprint(scs["social_media"], "balanced", 3, 60_000, 10)


def all_fingerprints(frozen: str | None) -> dict[str, dict[str, str]]:
    scs = scenarios(frozen)
    out = {}
    for name, sc in scs.items():
        for strategy in STRATEGIES:
            for seed in SEEDS:
                out[f"{name}/{strategy}/{seed}"] = fingerprint(sc, strategy, seed, 2000, 60)
    out["social_media/balanced/3/parallel"] = parallel_run(scs)
    cmd = [sys.executable, __file__, "--parallel-only"] + (["--frozen", frozen] if frozen else [])
    env = dict(os.environ, NUMBA_NUM_THREADS="1")
    out[ONE_THREAD] = json.loads(subprocess.run(cmd, env=env, check=True, capture_output=True).stdout)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--compare", metavar="JSON", help="compare with fingerprints saved earlier")
    ap.add_argument("--freeze", metavar="PKL", help="pickle the shipped scenarios as they are now, then stop")
    ap.add_argument("--frozen", metavar="PKL", help="fingerprint the scenarios pickled by --freeze")
    ap.add_argument("--parallel-only", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.freeze:
        with open(args.freeze, "wb") as fh:
            pickle.dump(scenarios(None), fh)
        print(f"froze {len(cmsim.list_scenarios())} scenarios in {args.freeze}")
        return 0
    if args.parallel_only:
        print(json.dumps(parallel_run(scenarios(args.frozen))))
        return 0
    now = all_fingerprints(args.frozen)
    if not args.compare:
        print(json.dumps(now, indent=1))
        return 0
    with open(args.compare) as fh:
        before = json.load(fh)
    bad = 0
    for k, v in now.items():
        b = before.get(k)
        if b is None:
            print(f"{k}: new")
        elif b != v:
            bad += 1
            print(f"{k}: DIFFERENT")
    print(f"{len(now) - bad}/{len(now)} identical")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
