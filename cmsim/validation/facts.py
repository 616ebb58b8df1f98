"""Does the default calibration reproduce the published facts of ``DOMAIN.md``?

:data:`FACTS` declares each fact once: what the literature says, where, the band the simulation
must hit and why, and how it is measured (scenario, strategy, size, days, seeds; the measuring
functions are in :mod:`cmsim.validation.measures`). :func:`check_facts` runs them and returns a
:class:`FactsReport`, the table ``cmsim check-facts`` prints and ``docs/validation.md`` shows.

A criterion passes when the statistic over seeds (the median, or the mean for yes/no outcomes
such as "the manager burned out") lies inside its band; a fact passes when all its criteria do.
The table also shows the 10-90% range over seeds, so a reader sees how solid each pass is.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial

import numpy as np
import pandas as pd

from cmsim.errors import ArgumentError
from cmsim.validation import measures as fm
from cmsim.validation import moderation as fmod

__all__ = ["Criterion", "Fact", "FACTS", "FactResult", "FactsReport", "check_facts"]


@dataclass(frozen=True)
class Criterion:
    """One measured quantity of a fact and the band it must fall in.

    ``low`` / ``high`` are inclusive; ``None`` means open on that side. ``agg`` is how seeds
    are combined: ``"median"`` or ``"mean"`` (for 0/1 outcomes: a share of runs).
    """

    metric: str
    label: str
    low: float | None = None
    high: float | None = None
    agg: str = "median"

    def band(self) -> str:
        """The band as text, e.g. ``"0.50-0.85"`` or ``">= 0.75"``."""
        if self.low is not None and self.high is not None:
            return f"{self.low:g}-{self.high:g}"
        if self.low is not None:
            return f">= {self.low:g}"
        return f"<= {self.high:g}"

    def contains(self, x: float) -> bool:
        """Whether ``x`` lies inside the band (NaN never does)."""
        if not math.isfinite(x):
            return False
        return (self.low is None or x >= self.low) and (self.high is None or x <= self.high)


@dataclass(frozen=True)
class Fact:
    """A published fact and how the simulation is held to it."""

    name: str
    statement: str
    source: str
    justification: str
    measurement: str
    measure: Callable[[int, bool], dict[str, float]]
    criteria: tuple[Criterion, ...]
    seeds: int = 8
    quick_seeds: int = 3
    #: ``"published facts"`` (what communities do) or ``"what the levers do"`` (what the
    #: manager's levers do, measured on paired runs).
    section: str = "published facts"


_RULE_CRITERIA = (
    Criterion("lurker_share", "never posted in 90 days", 0.75, 1.0),
    Criterion("top1_share", "share of posts by the top 1%", 0.50, 0.85),
    Criterion("next9_of_rest", "next 9%'s share of the rest", 0.5, 1.0),
)

#: Every fact of DOMAIN.md, in its order.
FACTS: tuple[Fact, ...] = (
    Fact(
        "participation inequality",
        "About 90% of members lurk, 9% contribute a little and 1% contribute most.",
        "Nielsen, 'Participation Inequality', NN/g, 2006",
        "Nielsen's 90-9-1 is a rule of thumb, not a measurement: we ask for at least 75% "
        "lurkers (the van Mierlo figure below), the top 1% writing half to 85% of posts "
        "('most'), and the next 9% writing most of what is left.",
        "forum, balanced, 2,000 members, 90 days; contributions are posts, questions, "
        "complaints, replies and answers",
        partial(fm.participation, "forum"),
        _RULE_CRITERIA,
    ),
    Fact(
        "1% rule in support communities",
        "Superusers (1%) wrote 74.7% of posts, contributors (9%) 24.0%, lurkers 1.3%; fewer "
        "than 25% of members ever posted.",
        "van Mierlo, JMIR 16(2):e33, 2014",
        "Four health support networks gave 73.6-75.1% for the top 1%; bands widen this to "
        "50-85% for a 90-day window on a younger, smaller community. 'Fewer than 25% ever "
        "posted' gives at least 75% lurkers.",
        "customer, balanced, 2,000 members, 90 days",
        partial(fm.participation, "customer"),
        _RULE_CRITERIA,
    ),
    Fact(
        "trolling is situational",
        "A bad mood or a trolled thread each raise trolling (35% to about 50%); both together "
        "double it (68%).",
        "Cheng et al., 'Anyone Can Become a Troll', CSCW 2017",
        "50/35 = 1.43 and 68/35 = 1.94 in the experiment: bands 1.3-1.5 for one condition and "
        "1.8-2.2 for both (the experiment's own uncertainty is of that order).",
        "controlled experiment in the forum: 12,000 members, 60 days, no manager, no questions, "
        "the community norm held constant; ordinary members' posts are classed each day by "
        "mood (satisfaction below trolls.mood_threshold) and context (a contact posted "
        "something toxic yesterday); ratios of trolling rates to good mood, clean context",
        fm.trolling_experiment,
        (
            Criterion("mood_ratio", "bad mood / neither", 1.3, 1.5),
            Criterion("context_ratio", "trolled context / neither", 1.3, 1.5),
            Criterion("both_ratio", "both / neither", 1.8, 2.2),
        ),
    ),
    Fact(
        "banning works on those who stay",
        "After Reddit's 2015 bans, hate-speech use by remaining members fell by at least 80%; "
        "many of the accounts left.",
        "Chandrasekharan et al., 'You Can't Stay Here', CSCW 2017",
        "The study measured an 80-90% fall among the banned communities' users who stayed; we "
        "ask for at least 70% (a smaller, simulated ban), and that the circles of banned accounts churn more than other members (by at least "
        "10%, above the seed-to-seed noise).",
        f"troll_raid (forum), {fm.BAN_MEMBERS[0]:,} members ({fm.BAN_MEMBERS[1]:,} in quick mode) and "
        f"one manager per {fm.MEMBERS_PER_MANAGER:,}, who stay away until day {fm.BAN_DAY}, when a "
        "ban wave hits and moderation_first takes over; toxic posts per day of the members who "
        "stay in the banned accounts' circles (their ordinary contacts: the analogue of the "
        "banned subreddits' users the study followed), 14 days before vs days 14-41 after; "
        "churn of the ban's circles vs other engaged members over the 42 days after",
        fm.ban_wave,
        (
            Criterion("stayer_drop", "fall in stayers' toxic posting", 0.70, 1.0),
            Criterion("circle_churn_ratio", "circles' churn / others'", 1.1, None),
        ),
    ),
    Fact(
        "a reply keeps newcomers",
        "Newcomers who got a reply posted again 56% of the time, against 44% without.",
        "Joyce & Kraut, JCMC 11(3), 2006",
        "56% and 44% with a few points of sampling error each: bands 0.52-0.62 and 0.40-0.50.",
        f"forum with no manager (as on Usenet), 10,000 members, 180 days; newcomers' first posts "
        f"of days 0-119; a return is any further contribution within {fm.RETURN_WINDOW} days",
        fm.reply_return,
        (
            Criterion("with_reply", "posted again, after a reply", 0.52, 0.62),
            Criterion("without_reply", "posted again, no reply", 0.40, 0.50),
        ),
    ),
    Fact(
        "many first posts go unanswered",
        "About 40% of thread-starting messages got no reply.",
        "Burke et al., 2007",
        "40% give or take ten points across the groups studied: band 0.30-0.50.",
        "forum, no manager now or before ('absent', manager.current_strategy 'absent'), 2,000 "
        "members, 90 days; newcomers' first posts",
        fm.first_posts,
        (Criterion("unanswered", "first posts with no reply", 0.30, 0.50),),
        quick_seeds=5,  # cheap, and seed to seed it spreads 0.26-0.48
    ),
    Fact(
        "healthy Q&A answers nearly all",
        "92.6% of Stack Overflow questions were answered, the median first answer in 11 minutes.",
        "Mamykina et al., CHI 2011",
        "A healthy, managed Q&A community answers more than 85% of questions (92.6% minus a "
        "margin for a smaller community); the median first answer comes on the day asked (the grouped "
        "median, in days, below 1: the model steps in whole days, so 11 minutes is below its resolution).",
        "customer, balanced, 2,000 members, 90 days",
        fm.healthy_qa,
        (
            Criterion("answered", "questions answered", 0.85, 1.0),
            Criterion("median_days", "median days to first answer", 0.0, 1.0),
        ),
    ),
    Fact(
        "growth or death",
        "Membership sites either sustain themselves (re-engagement through active members "
        "outweighs decay) or die.",
        "Ribeiro, WWW 2014",
        "Qualitative: one parameter, the pull of active members on others "
        "(growth.word_of_mouth), must give both regimes: a community that loses over 20% of "
        "its members in a year, and one that at least keeps them.",
        f"forum, balanced, 2,000 members, 365 days, growth.word_of_mouth = "
        f"{fm.WORD_OF_MOUTH_REGIMES[0]:g} (weak) and {fm.WORD_OF_MOUTH_REGIMES[1]:g} (strong)",
        fm.growth_or_death,
        (
            Criterion("weak_members_ratio", "members after a year / start, weak", None, 0.8),
            Criterion("strong_members_ratio", "members after a year / start, strong", 1.0, None),
        ),
        seeds=5,
        quick_seeds=2,
    ),
    Fact(
        "manager burnout is common",
        "About half of community professionals reported high burnout in the past 12 months.",
        "Community Roundtable, State of Community Management",
        "Burnout is 'the common outcome' for the understaffed manager: at least half of the "
        "runs; a manager working sustainable hours (forum) mostly does not burn out (at most "
        "30% of runs).",
        "understaffed (6,000 members, 50 h/week) and forum (2,000 members, 30 h/week), "
        "balanced, 365 days; share of runs in which the manager burned out",
        fm.burnout,
        (
            Criterion("understaffed", "understaffed runs with burnout", 0.5, 1.0, agg="mean"),
            Criterion("forum", "forum runs with burnout", 0.0, 0.3, agg="mean"),
        ),
        seeds=6,
        quick_seeds=2,
    ),
    # --- what the levers do -------------------------------------------------------------------
    Fact(
        "members answer each other",
        "Peers answer most questions: 92.6% on Stack Overflow; 40-60% of questions answered by "
        "peers in mature vendor communities; 1.2 to 4.4 replies per answered thread.",
        "Mamykina et al., CHI 2011; inSided benchmark; Stack Overflow 2016; Higher Logic 2014",
        "Without a manager a smaller forum answers less than Stack Overflow but, as in vendor "
        "communities where peers answer before staff step in, at least half; replies per answered "
        "thread from Stack Overflow's 1.2 to Higher Logic's 4.4 (the Teahouse's about 3 between); "
        "peers' share of first answers 40-70% with the manager in post (the vendor benchmark's "
        "40-60%, widened up to 70% for the customer scenario's keen experts).",
        "paired runs, same seeds: forum with no manager ('absent') and customer with its manager "
        "('balanced'), 2,000 members, 180 days; answered share and answers per answered question "
        "of the forum, share of first answers given by members in the customer community",
        fm.peer_answers,
        (
            Criterion("answered", "no manager: questions answered", 0.5, 1.0),
            Criterion("per_answered", "no manager: replies per answered question", 1.2, 4.4),
            Criterion("peer_share", "customer: first answers by members", 0.4, 0.7),
        ),
        seeds=6,
        quick_seeds=2,
        section="what the levers do",
    ),
    Fact(
        "welcoming keeps newcomers",
        "Newcomers invited to the Wikipedia Teahouse survived better than randomised controls at "
        "2-6 months; nudging members to be kind to newcomers made them 10% likelier to return.",
        "Morgan & Halfaker, OpenSym 2018; Pethig et al., MISQ 2025",
        "The Teahouse's relative effect was perhaps 10-30% (diluted: few invitees visited), "
        "Pethig et al.'s 10%: a 60-day survival ratio of 1.05-1.30 for welcomed against "
        "not-welcomed newcomers.",
        f"randomised within one run: forum, 10,000 members (5,000 in quick mode), one manager per "
        f"2,000, {fm.WELCOME_TRIAL_HOURS:g} hours of welcoming a week per 1,000 members (about "
        f"half the newcomers greeted in their first week, which ones by the luck of the daily "
        f"draw), {fm.WELCOME_TRIAL_DAYS} days; newcomers active a week after arriving, split by "
        f"whether they were greeted in that week; survival = active and seen in days 30-60",
        fm.welcome_trial,
        (Criterion("survival_ratio", "60-day survival, welcomed / not", 1.05, 1.30),),
        seeds=8,
        quick_seeds=3,
        section="what the levers do",
    ),
    Fact(
        "moderation keeps norm-breaking in range",
        "In large moderated communities 4-6% of comments break the communities' norms.",
        "Park et al., 'Measuring the Prevalence of Anti-Social Behavior in Online Communities', CSCW 2022",
        "A moderated social-media group should look like the moderated communities measured: "
        "4-6% of what members write breaking norms under its best built-in strategy for "
        "moderation (the social_media scenario's trolls.base_rate is calibrated to this), and "
        "far more with nobody moderating (at least 10%, twice the top of the band).",
        "paired runs, same seeds: social_media as shipped (5,000 members, 180 days, also in quick mode), "
        "'moderation_first' and 'absent'; toxic posts / (posts + replies), spam excluded",
        fmod.norm_range,
        (
            Criterion("best", "moderation_first: norm-breaking share", 0.04, 0.06),
            Criterion("absent", "no manager: norm-breaking share", 0.10, None),
        ),
        seeds=6,
        quick_seeds=2,
        section="what the levers do",
    ),
    Fact(
        "a removal deters the violator for weeks",
        "Members whose comment moderators removed broke the rules less afterwards; removal "
        "explanations lowered later removals.",
        "Srinivasan et al., CSCW 2019 (r/ChangeMyView); Jhaver et al., CSCW 2019 (Reddit)",
        "The studies give the direction, not a size we could hold the model to: the model assumes "
        "a caught violation halves the violator's next-violation chance (trolls.warning 0.5), down to a "
        "floor (trolls.warning_floor). The band "
        "asks that removed violators break norms clearly less per post than violators whose post "
        "was missed, over four weeks (ratio 0.3-0.8), and still less in the last two of those "
        "weeks (ratio at most 0.9): the effect lasts at least four weeks.",
        f"natural experiment within one run: social_media under 'balanced', "
        f"{fmod.DETERRENT_MEMBERS[0]:,} members (also in quick mode), one "
        f"manager per 5,000, {fmod.DETERRENT_DAYS} days; moderation cannot review every toxic "
        f"post, so which violators are caught is the luck of the daily draw; each violator is "
        f"followed {fmod.FOLLOW_DAYS} days; toxic share of its posts, caught / missed",
        fmod.removal_deterrent,
        (
            Criterion("ratio_4w", "next violations per post, removed / missed, 4 weeks", 0.3, 0.8),
            Criterion("ratio_late", "... in weeks 3-4", None, 0.9),
        ),
        seeds=6,
        quick_seeds=3,
        section="what the levers do",
    ),
    Fact(
        "a raid leaves its target less active",
        "Members of communities attacked by a raid from another community become less active "
        "afterwards; the raided threads see a short spike of activity.",
        "Kumar, Hamilton, Leskovec & Jurafsky, 'Community Interaction and Conflict on the Web', WWW 2018",
        "The study gives the direction, not a size for a forum like ours: the band asks that the "
        "raided space's members visit clearly less in the 106 days after the raid than the same "
        "members without it (ratio at most 0.97, and above 0.7: a moderated forum recovers most "
        "of its activity), while the members outside the raided space lose little (ratio at least "
        "0.95): the aftermath is the target's. The raid's spike: more replies written during the "
        "raid than without it (ratio at least 1.1; replies to raid posts are counted).",
        f"paired runs, same seeds: troll_raid as shipped (2,000 members, raid days "
        f"{fmod.RAID_DAYS[0]}-{fmod.RAID_DAYS[1] - 1}) and the same scenario without its raid event, "
        f"'balanced'; visits of the initial members in and outside the raided space (raid.target_share), "
        f"days {fmod.AFTER_DAYS[0]}-{fmod.AFTER_DAYS[1] - 1}, raid / no raid; replies written during the raid, "
        f"raid / no raid",
        fmod.raid_aftermath,
        (
            Criterion("target_ratio", "raided space's visits after, raid / none", 0.7, 0.97),
            Criterion("outside_ratio", "visits outside it, raid / none", 0.95, None),
            Criterion("spike_ratio", "replies during the raid, raid / none", 1.1, None),
        ),
        seeds=8,
        quick_seeds=3,
        section="what the levers do",
    ),
)


@dataclass
class FactResult:
    """The outcome of one fact: per-seed values of every metric and the verdict per criterion."""

    fact: Fact
    values: dict[str, list[float]]
    seeds: list[int] = field(default_factory=list)

    def stat(self, c: Criterion) -> float:
        """The statistic the band is checked on (median or mean over seeds, NaNs ignored)."""
        v = np.asarray(self.values.get(c.metric, []), dtype=float)
        v = v[np.isfinite(v)]
        if len(v) == 0:
            return float("nan")
        return float(np.mean(v) if c.agg == "mean" else np.median(v))

    def spread(self, c: Criterion) -> tuple[float, float]:
        """10% and 90% quantiles over seeds."""
        v = np.asarray(self.values.get(c.metric, []), dtype=float)
        v = v[np.isfinite(v)]
        if len(v) == 0:
            return float("nan"), float("nan")
        return float(np.quantile(v, 0.1)), float(np.quantile(v, 0.9))

    def criterion_passed(self, c: Criterion) -> bool:
        return c.contains(self.stat(c))

    @property
    def passed(self) -> bool:
        """Whether every criterion of the fact passed."""
        return all(self.criterion_passed(c) for c in self.fact.criteria)


@dataclass
class FactsReport:
    """The facts table: one row per criterion, grouped by fact.

    Examples
    --------
    >>> f = Fact("demo", "s", "src", "j", "m", lambda seed, quick: {"x": 0.5},
    ...          (Criterion("x", "a half", 0.4, 0.6),), seeds=2)
    >>> report = check_facts(facts=[f])
    >>> report.passed, report.n_passed
    (True, 1)
    """

    results: list[FactResult]

    @property
    def passed(self) -> bool:
        """Whether every fact passed."""
        return all(r.passed for r in self.results)

    @property
    def n_passed(self) -> int:
        return sum(r.passed for r in self.results)

    def verdict(self) -> str:
        """One line, e.g. ``"9 of 9 facts reproduced"``."""
        n = len(self.results)
        word = "fact" if n == 1 else "facts"
        return f"{self.n_passed} of {n} {word} reproduced"

    def to_frame(self) -> pd.DataFrame:
        """One row per criterion: fact, source, measured, band, value, p10, p90, seeds, passed."""
        rows = []
        for r in self.results:
            for c in r.fact.criteria:
                lo, hi = r.spread(c)
                rows.append(
                    {
                        "fact": r.fact.name,
                        "source": r.fact.source,
                        "measured": c.label,
                        "band": c.band(),
                        "value": r.stat(c),
                        "p10": lo,
                        "p90": hi,
                        "statistic": c.agg,
                        "seeds": len(r.seeds),
                        "passed": r.criterion_passed(c),
                    }
                )
        return pd.DataFrame(rows)

    def _cells(self) -> list[list[str]]:
        rows = []
        for _, x in self.to_frame().iterrows():
            val = f"{x['value']:.2f} ({x['p10']:.2f}-{x['p90']:.2f})"
            if x["statistic"] == "mean":
                val = f"{x['value']:.2f} of runs"
            rows.append(
                [x["fact"], x["source"], x["measured"], x["band"], val, "pass" if x["passed"] else "FAIL"]
            )
        return rows

    def to_markdown(self) -> str:
        """The table in Markdown, then the verdict."""
        head = ["fact", "source", "measured", "target", "simulated: median (10-90%)", "result"]
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for cells in self._cells():
            lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
        return "\n".join(lines) + f"\n\n**{self.verdict()}**\n"

    def to_text(self) -> str:
        """A plain-text table for the terminal, then the verdict as the last line."""
        head = ["fact", "measured", "target", "simulated (10-90%)", "result"]
        rows = [[c[0], c[2], c[3], c[4], c[5]] for c in self._cells()]
        widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
        out = ["  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True))]
        out.append("  ".join("-" * w for w in widths))
        sections = [r.fact.section for r in self.results for _ in r.fact.criteria]
        for k, r in enumerate(rows):
            if k > 0 and sections[k] != sections[k - 1]:
                out.append(f"-- {sections[k]} --")
            out.append("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)))
        return "\n".join(out) + "\n\n" + self.verdict()


def check_facts(
    seeds: int | Sequence[int] | None = None,
    quick: bool = False,
    progress: Callable[[str], None] | None = None,
    facts: Sequence[Fact] | None = None,
) -> FactsReport:
    """Run every fact's measurement and return the report.

    Parameters
    ----------
    seeds : int or sequence of int, optional
        Seeds per fact: a count (seeds ``0..n-1``) or explicit seeds. Default: each fact's own
        count (``Fact.seeds``, or ``Fact.quick_seeds`` when ``quick``).
    quick : bool
        The CI-sized design: fewer seeds and a smaller trolling experiment.
    progress : callable, optional
        Called with a short message before each fact.
    facts : sequence of Fact, optional
        Check these instead of :data:`FACTS`.

    Returns
    -------
    FactsReport

    Examples
    --------
    >>> from cmsim.validation import FACTS
    >>> [f.name for f in FACTS][:2]
    ['participation inequality', '1% rule in support communities']
    """
    results = []
    for fact in FACTS if facts is None else facts:
        if seeds is None:
            chosen = list(range(fact.quick_seeds if quick else fact.seeds))
        elif isinstance(seeds, (int, np.integer)):
            if seeds < 1:
                raise ArgumentError(f"the 'seeds' parameter must be at least 1; got {seeds}")
            chosen = list(range(int(seeds)))
        else:
            chosen = [int(s) for s in seeds]
        if progress is not None:
            progress(f"{fact.name} ({len(chosen)} seeds)")
        values: dict[str, list[float]] = {}
        for s in chosen:
            for k, v in fact.measure(s, quick).items():
                values.setdefault(k, []).append(float(v))
        results.append(FactResult(fact, values, chosen))
    return FactsReport(results)


if __name__ == "__main__":  # pragma: no cover
    import sys

    rep = check_facts(quick="--quick" in sys.argv, progress=lambda m: print("..", m, file=sys.stderr))
    print(rep.to_text())
