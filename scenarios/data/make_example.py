"""Regenerate ``example_forum_weekly.csv``: SYNTHETIC data, made by the model, not a real forum.

The example community is the ``forum`` scenario at 2,000 members with three values changed (the
"truth" a calibration should find again), simulated for 26 weeks after a 30-day warm-up with a
seed no fit uses, then given 3% reporting noise (each count of posts, joins, questions and daily actives times
exp(N(0, 0.03)), rounded; the member count is exact) and
two gaps (empty cells, as an export with a missing week has)::

    .venv/bin/python scenarios/data/make_example.py
"""

from __future__ import annotations

from pathlib import Path

from cmsim.calibration.synthetic import synthetic_data

#: The values the example was generated with (the fit should come close to them).
TRUTH = {"members.visit_rate": 0.016, "members.post_rate": 0.008, "growth.acquisition": 0.0028}
OUT = Path(__file__).resolve().parent / "example_forum_weekly.csv"


def main() -> Path:
    df = synthetic_data("forum", TRUTH, members=2000, days=182, seed=4242, noise=0.03)
    df = df.astype(object)
    df.loc[9, "posts"] = ""  # a week the export missed
    df.loc[17, "dau"] = ""
    df.to_csv(OUT, index=False)
    return OUT


if __name__ == "__main__":
    print(f"wrote {main()}")
