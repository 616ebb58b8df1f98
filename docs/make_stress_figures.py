"""Draw the stress scenarios' figures of ``docs/model.md`` ("The stress scenarios") and print
which built-in strategy copes best with each (``python docs/make_stress_figures.py``).

Every built-in strategy runs each stress scenario on the same seeds (paired); a figure shows the
scenario's challenge day by day (the mean over seeds of each strategy), and the table below it
ranks the strategies on the scenario's own measure of coping. Name scenarios to draw only those
(``python docs/make_stress_figures.py product_crisis``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import cmsim  # noqa: E402

HERE = Path(__file__).parent
SEEDS = range(4)
STRATEGIES = ("absent", "balanced", "moderation_first", "responsive", "community_builder", "content_first",
              "data_driven")  # fmt: skip


def _series(d, column):
    if column == "norm_breaking":
        writing = (d["posts"] + d["replies"] - d["spam_posts"]).clip(lower=1)
        return (d["toxic_posts"] / writing).rolling(7, min_periods=1).mean()
    if column == "active_share":
        return d["active_members"] / d["members"]
    if column == "unanswered_complaints":
        return (d["complaints"] - d["complaints_answered"]).rolling(7, min_periods=1).mean()
    return d[column]


#: scenario -> (columns drawn, the coping measure: (label, column, first day, last day, higher is better))
STRESS = {
    "platform_shift": (("reach", "dau"), ("mean reach, days 45-180", "reach", 45, 180, True)),
    "product_crisis": (("mean_satisfaction", "unanswered_complaints"),
                       ("mean satisfaction, days 45-90", "mean_satisfaction", 45, 90, True)),
    "troll_raid": (("norm_breaking", "raid_reads", "dau"), ("daily actives, days 74-180", "dau", 74, 180, True)),
    "internal": (("members", "active_share"), ("active share, days 90-180", "active_share", 90, 180, True)),
    "understaffed": (("manager_stress", "dau"), ("daily actives, days 90-180", "dau", 90, 180, True)),
}  # fmt: skip


def main(names: list[str]) -> None:
    for name, (columns, (label, col, lo, hi, higher)) in STRESS.items():
        if names and name not in names:
            continue
        runs = {s: [cmsim.simulate(name, s, seed=k).daily for k in SEEDS] for s in STRATEGIES}
        fig, axes = plt.subplots(1, len(columns), figsize=(5 * len(columns), 3.4))
        for ax, c in zip(axes, columns, strict=True):
            for s, ds in runs.items():
                y = np.mean([_series(d, c).to_numpy() for d in ds], axis=0)
                ax.plot(y, label=s, lw=1.2)
            ax.set_title(c.replace("_", " "))
            ax.set_xlabel("day")
        axes[0].legend(fontsize=7)
        fig.suptitle(f"{name}: every built-in strategy, mean of {len(SEEDS)} seeds")
        fig.tight_layout()
        fig.savefig(HERE / "figures" / f"stress_{name}.png", dpi=90)
        plt.close(fig)
        score = {
            s: float(np.mean([_series(d, col).iloc[lo:hi].mean() for d in ds])) for s, ds in runs.items()
        }
        ranked = sorted(score, key=score.get, reverse=higher)
        print(f"{name}: {label}: " + ", ".join(f"{s} {score[s]:.3g}" for s in ranked))
        sys.stdout.flush()


if __name__ == "__main__":
    main(sys.argv[1:])
