"""Fingerprints of simulation results, to prove a performance change leaves results bit-identical.

``python benchmarks/fingerprint.py > before.json`` before a change, again after, then
``python benchmarks/fingerprint.py --compare before.json``: every shipped scenario under two
strategies and two seeds (2,000 members, 60 days, the one-thread kernel) plus one run of the
parallel kernel (60,000 members, 10 days). Each entry holds the sha256 of ``run.daily.to_csv()``
and of the summary, and of the scenario's values (a changed scenario explains a changed result).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys

import cmsim

STRATEGIES = ("balanced", "data_driven")
SEEDS = (1, 2)


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def fingerprint(name: str, strategy: str, seed: int, members: int, days: int) -> dict[str, str]:
    run = cmsim.simulate(name, strategy, seed=seed, members=members, days=days)
    sc = cmsim.load_scenario(name)
    return {
        "daily": _sha(run.daily.to_csv()),
        "summary": _sha(json.dumps(run.summary, sort_keys=True, default=str)),
        "scenario": _sha(json.dumps(sc.values, sort_keys=True, default=str)),
    }


def all_fingerprints() -> dict[str, dict[str, str]]:
    out = {}
    for name in cmsim.list_scenarios():
        for strategy in STRATEGIES:
            for seed in SEEDS:
                out[f"{name}/{strategy}/{seed}"] = fingerprint(name, strategy, seed, 2000, 60)
    out["social_media/balanced/3/parallel"] = fingerprint("social_media", "balanced", 3, 60_000, 10)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--compare", metavar="JSON", help="compare with fingerprints saved earlier")
    args = ap.parse_args()
    now = all_fingerprints()
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
        elif b["daily"] != v["daily"] or b["summary"] != v["summary"]:
            bad += 1
            why = " (scenario changed)" if b["scenario"] != v["scenario"] else ""
            print(f"{k}: DIFFERENT{why}")
    print(f"{len(now) - bad}/{len(now)} identical")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
