"""The result of one run: the daily table, the summary metrics and the member table.

Summary metrics (``Run.summary``), each computed from the run's own records:

``final_members``
    Members (active or lapsed) at the end of the last day, not counting troll and spammer
    accounts (the daily ``members`` column counts every account; ``bad_accounts`` those).
``mean_dau``
    Mean daily active members (members who visited; troll and spammer accounts not counted).
``dau_mau``
    Mean of DAU / MAU over the days from day 29 on (over all days for shorter runs).
``lurker_share``
    Share of the ordinary members present at the end who wrote nothing during the run.
``top1_post_share``, ``top10_post_share``
    Share of all contributions (posts, questions, complaints, replies, answers) written by the
    most active 1% / 10% of the ordinary members who were ever present during the run.
``posts_gini``
    Gini coefficient of contributions over the same members.
``newcomer_retention_30d``, ``newcomer_retention_60d``, ``newcomer_retention_90d``
    Of the members who joined during the run at least 30 (60, 90) days before its end, the share
    still active and seen in the last week of their first 30 (60, 90) days (NaN when nobody
    qualifies).
``answered_share``
    Questions answered / questions resolved (answered or expired); NaN when none was asked.
``median_response_days``
    Median days from a question to its first answer, the answers of day ``k`` after the question
    spread evenly over ``[k, k + 1)`` (the grouped median: 0.4 = the median answer came on the
    day asked, after 40% of that day's answers); NaN when none.
``answers_per_answered_question``
    Replies per answered thread, for questions: answers (every peer's, and the manager's when
    no peer answered) per answered question; NaN when none was answered.
``peer_answer_share``
    Share of answered questions whose first answer came from a peer, not the manager.
``first_post_reply_share``
    Share of newcomers' resolved first posts that got a reply or a welcome.
``return_after_reply``, ``return_without_reply``
    Share of newcomers who posted again, among those whose first post got a reply / did not.
``toxic_share``, ``spam_share``
    Toxic / spam posts as a share of all posts.
``norm_breaking_share``
    Toxic posts as a share of all posts and replies, spam excluded (Park et al. 2022 measured
    4-6% of comments in large subreddits breaking their norms).
``burnout_days``
    Days the manager spent burned out. ``manager_quits``: times a manager quit.
``health_index``
    0-100: ``100 * mean(G, A, Q, C, S)`` over the components that are defined, where
    G = clip(0.5 + (final - initial) / initial, 0, 1) (growth), A = min(1, dau_mau / 0.25)
    (activity), Q = answered_share (answering), C = max(0, 1 - 10 * (toxic_share + spam_share))
    (civility) and S = mean satisfaction on the last day.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeAlias, Union, overload

import numpy as np

from cmsim._kernels import layout as L
from cmsim.parameters import LEVERS
from cmsim.version import MODEL_VERSION

if TYPE_CHECKING:  # (pandas is imported when a table is built: a run needs none)
    import pandas as pd

__all__ = ["Run", "LazyTables", "summarize", "members_table", "daily_frame", "SUMMARY_KEYS", "DAILY_COLUMNS"]

#: Columns of ``Run.daily``: the kernel's output (``layout.OUT_COLUMNS``) plus hours per lever.
DAILY_COLUMNS: tuple[str, ...] = L.OUT_COLUMNS + tuple(f"hours_{lever}" for lever in LEVERS)

_INT_COLUMNS = frozenset(L.OUT_COLUMNS) - {"mean_satisfaction", "mean_engagement", "reach", "manager_hours",
                                           "manager_stress", "know_how", "response_days_sum"}  # fmt: skip

SUMMARY_KEYS: tuple[str, ...] = (
    "final_members",
    "mean_dau",
    "dau_mau",
    "lurker_share",
    "top1_post_share",
    "top10_post_share",
    "posts_gini",
    "newcomer_retention_30d",
    "newcomer_retention_60d",
    "newcomer_retention_90d",
    "answered_share",
    "median_response_days",
    "answers_per_answered_question",
    "peer_answer_share",
    "first_post_reply_share",
    "return_after_reply",
    "return_without_reply",
    "toxic_share",
    "spam_share",
    "norm_breaking_share",
    "burnout_days",
    "manager_quits",
    "removals",
    "health_index",
)

#: A table, or the function that builds it on first use.
TableSource: TypeAlias = Union["pd.DataFrame", Callable[[], "pd.DataFrame"]]  # noqa: UP007 (a name that does not exist yet)

_STATUS = {L.EMPTY: "empty", L.ACTIVE: "active", L.LAPSED: "lapsed", L.LEFT: "left", L.REMOVED: "removed"}
_ROLE = {L.MEMBER: "member", L.CHAMPION: "champion", L.TROLL: "troll", L.SPAMMER: "spammer"}
_FP = {L.FP_NONE: "none", L.FP_OPEN: "open", L.FP_REPLIED: "replied", L.FP_UNANSWERED: "unanswered"}


class Run:
    """One simulated run.

    Attributes
    ----------
    daily : pandas.DataFrame
        One row a day (columns in ``docs/model.md``, "Outputs").
    summary : dict
        Summary metrics (see the module documentation).
    members : pandas.DataFrame
        One row per member ever present: traits, role, status, contributions, tenure.
    scenario, strategy : str
        Names. ``seed``: the seed. ``engine``: ``"fast"`` or ``"mesa"``.
    events : list of dict
        Scenario events and interventions ``{day, label}`` (for plots).
    model_version : str
        :data:`cmsim.MODEL_VERSION` of the model that made the run (see :attr:`metadata`).

    ``daily`` and ``members`` may be given as tables or as functions that build them: a table is
    then built on first use (most of a small run's cost is building tables nobody reads), from
    arrays copied when the run ended, so it is the same whenever it is built. Runs pickle.
    """

    def __init__(
        self,
        daily: TableSource,
        summary: dict[str, float],
        members: TableSource,
        scenario: str = "",
        strategy: str = "",
        seed: int = 0,
        engine: str = "fast",
        events: list[dict[str, Any]] | None = None,
    ) -> None:
        self._daily = daily
        self.summary = summary
        self._members = members
        self.scenario = scenario
        self.strategy = strategy
        self.seed = seed
        self.engine = engine
        self.events = list(events or [])
        self.model_version = MODEL_VERSION

    @property
    def metadata(self) -> dict[str, Any]:
        """What made the run: ``model_version``, ``scenario``, ``strategy``, ``seed``, ``engine``
        (plain data, to save beside the tables; a run of another model version is another model's)."""
        return {"model_version": self.model_version, "scenario": self.scenario, "strategy": self.strategy,
                "seed": self.seed, "engine": self.engine}  # fmt: skip

    @property
    def daily(self) -> pd.DataFrame:
        if callable(self._daily):
            self._daily = self._daily()
        return self._daily

    @property
    def members(self) -> pd.DataFrame:
        if callable(self._members):
            self._members = self._members()
        return self._members

    def table_sources(self) -> tuple[TableSource, TableSource]:
        """``daily`` and ``members`` as they are held: each the table, or the function that builds it.

        What an ensemble's worker sends back: the arrays behind a function pickle in microseconds,
        while building, pickling and unpickling a 2,000-member run's daily table took about a
        tenth of the run.
        """
        return self._daily, self._members

    def __repr__(self) -> str:
        s = self.summary
        return (
            f"Run({self.scenario!r}, {self.strategy!r}, seed={self.seed}, days={len(self.daily)}, "
            f"final_members={s.get('final_members', float('nan')):.0f}, health_index={s.get('health_index', float('nan')):.1f})"
        )


class LazyTables(Sequence["pd.DataFrame"]):
    """A list of tables, each built on first use (and kept) from the function that builds it.

    ``Ensemble.daily`` is one: an ensemble of hundreds of runs builds no table until one is read,
    so a batch read through its summaries costs nothing for the tables. Indexing, slicing, ``len``
    and iteration work as on a list; a slice is a plain list of tables. It pickles.

    Examples
    --------
    >>> from functools import partial
    >>> import pandas as pd
    >>> tables = LazyTables([partial(pd.DataFrame, {"x": [1, 2]}), pd.DataFrame({"x": [3]})])
    >>> len(tables), tables.built()
    (2, 1)
    >>> int(tables[0]["x"].sum()), tables.built()
    (3, 2)
    >>> [len(t) for t in tables]
    [2, 1]
    """

    def __init__(self, sources: Iterable[TableSource]) -> None:
        self._items = list(sources)

    def __len__(self) -> int:
        return len(self._items)

    @overload
    def __getitem__(self, i: int) -> pd.DataFrame: ...
    @overload
    def __getitem__(self, i: slice) -> list[pd.DataFrame]: ...
    def __getitem__(self, i: int | slice) -> pd.DataFrame | list[pd.DataFrame]:
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self._items)))]
        item = self._items[i]
        if callable(item):
            item = self._items[i] = item()
        return item

    def built(self) -> int:
        """How many of the tables have been built so far."""
        return sum(not callable(t) for t in self._items)

    def __repr__(self) -> str:
        return f"LazyTables({len(self)} tables, {self.built()} built)"


def daily_frame(out: np.ndarray, hours: np.ndarray) -> pd.DataFrame:
    """Build the daily DataFrame from the engine's output rows (``layout.OUT_COLUMNS``) and the
    hours per lever (``LEVERS``), one row a day."""
    import pandas as pd

    cols: dict[str, np.ndarray] = {}
    for k, c in enumerate(L.OUT_COLUMNS):
        cols[c] = out[:, k].astype(np.int64) if c in _INT_COLUMNS else out[:, k].copy()
    for k, lever in enumerate(LEVERS):
        cols[f"hours_{lever}"] = hours[:, k].copy()
    return pd.DataFrame(cols)


def _gini(xs: np.ndarray) -> float:
    """Gini coefficient of values sorted ascending."""
    n = len(xs)
    if n == 0 or xs[-1] <= 0:
        return 0.0
    cum = np.cumsum(xs)
    return float((n + 1 - 2 * (cum.sum() / cum[-1])) / n)


def _top_share(xs: np.ndarray, frac: float) -> float:
    """Share of the total held by the top ``frac`` of values sorted ascending."""
    total = xs.sum()
    if len(xs) == 0 or total <= 0:
        return 0.0
    k = max(1, int(math.ceil(frac * len(xs))))
    return float(xs[len(xs) - k :].sum() / total)


def _ratio(a: float, b: float) -> float:
    return float(a / b) if b > 0 else float("nan")


def summarize(
    daily: pd.DataFrame | Mapping[str, np.ndarray],
    hist: np.ndarray,
    members: Mapping[str, np.ndarray],
    initial: int,
    quits: int = 0,
) -> dict[str, float]:
    """Compute the summary metrics of a run from its daily table, histogram and member arrays.

    ``members`` holds per-member arrays ``status``, ``role``, ``posts``, ``fp_state``,
    ``second_post_day`` over every slot used.
    """
    cols = ("members", "bad_accounts", "dau", "mau", "questions_answered", "questions_expired", "posts",
            "toxic_posts", "spam_posts", "newcomers_retained_30d", "newcomers_due_30d",
            "manager_burned_out", "removals", "mean_satisfaction", "replies", "newcomers_retained_60d",
            "newcomers_due_60d", "newcomers_retained_90d", "newcomers_due_90d", "questions_answered_peer",
            "peer_answers")  # fmt: skip
    if not isinstance(daily, Mapping):  # a DataFrame (pandas is imported by whoever built it)
        d = dict(zip(cols, daily[list(cols)].to_numpy(float).T, strict=True))
    else:
        d = {c: np.asarray(daily[c], float) for c in cols}
    status, role, posts = members["status"], members["role"], members["posts"]
    ordinary = role < L.TROLL
    present = ordinary & ((status == L.ACTIVE) | (status == L.LAPSED))
    ever = ordinary & (status != L.EMPTY)
    contrib = np.sort(posts[ever].astype(np.float64))
    mau = d["mau"]
    ratio = np.divide(d["dau"], mau, out=np.zeros_like(mau), where=mau > 0)
    dau_mau = float(ratio[29:].mean() if len(ratio) > 29 else ratio.mean())
    answered, expired = float(d["questions_answered"].sum()), float(d["questions_expired"].sum())
    n_ans = hist.sum()
    median = float("nan")
    if n_ans > 0:
        cum = np.cumsum(hist)
        k = int(np.searchsorted(cum, n_ans / 2.0, side="left"))
        below = float(cum[k - 1]) if k > 0 else 0.0
        median = k + (n_ans / 2.0 - below) / float(hist[k])
    fp, second = members["fp_state"], members["second_post_day"]
    replied, unanswered = fp == L.FP_REPLIED, fp == L.FP_UNANSWERED
    posts_total = float(d["posts"].sum())
    peer_first = float(d["questions_answered_peer"].sum())
    # Every peer answer lands on a question answered that day; the manager answers only the others.
    all_answers = float(d["peer_answers"].sum()) + answered - peer_first
    # Norm-breaking: toxic posts over every post and reply, spam excluded.
    writing = posts_total - float(d["spam_posts"].sum()) + float(d["replies"].sum())
    s: dict[str, float] = {
        "final_members": float(d["members"][-1] - d["bad_accounts"][-1]),
        "mean_dau": float(d["dau"].mean()),
        "dau_mau": dau_mau,
        "lurker_share": _ratio(float((posts[present] == 0).sum()), float(present.sum())),
        "top1_post_share": _top_share(contrib, 0.01),
        "top10_post_share": _top_share(contrib, 0.10),
        "posts_gini": _gini(contrib),
        "newcomer_retention_30d": _ratio(
            float(d["newcomers_retained_30d"].sum()), float(d["newcomers_due_30d"].sum())
        ),
        "newcomer_retention_60d": _ratio(
            float(d["newcomers_retained_60d"].sum()), float(d["newcomers_due_60d"].sum())
        ),
        "newcomer_retention_90d": _ratio(
            float(d["newcomers_retained_90d"].sum()), float(d["newcomers_due_90d"].sum())
        ),
        "answered_share": _ratio(answered, answered + expired),
        "median_response_days": median,
        "answers_per_answered_question": _ratio(all_answers, answered),
        "peer_answer_share": _ratio(peer_first, answered),
        "first_post_reply_share": _ratio(float(replied.sum()), float((replied | unanswered).sum())),
        "return_after_reply": _ratio(float((replied & (second >= 0)).sum()), float(replied.sum())),
        "return_without_reply": _ratio(float((unanswered & (second >= 0)).sum()), float(unanswered.sum())),
        "toxic_share": _ratio(float(d["toxic_posts"].sum()), posts_total) if posts_total > 0 else 0.0,
        "spam_share": _ratio(float(d["spam_posts"].sum()), posts_total) if posts_total > 0 else 0.0,
        "norm_breaking_share": _ratio(float(d["toxic_posts"].sum()), writing) if writing > 0 else 0.0,
        "burnout_days": float(d["manager_burned_out"].sum()),
        "manager_quits": float(quits),
        "removals": float(d["removals"].sum()),
    }
    s["health_index"] = health_index(s, initial, float(d["mean_satisfaction"][-1]))
    return s


def health_index(s: Mapping[str, float], initial: int, satisfaction: float) -> float:
    """The 0-100 health index (formula in the module documentation)."""
    comps = [
        min(1.0, max(0.0, 0.5 + (s["final_members"] - initial) / max(initial, 1))),
        min(1.0, s["dau_mau"] / 0.25),
        s["answered_share"],
        max(0.0, 1.0 - 10.0 * (s["toxic_share"] + s["spam_share"])),
        satisfaction,
    ]
    vals = [c for c in comps if isinstance(c, float) and math.isfinite(c)]
    return 100.0 * sum(vals) / len(vals) if vals else float("nan")


def _cat(codes: np.ndarray, names: Mapping[int, str]) -> pd.Categorical:
    import pandas as pd

    return pd.Categorical.from_codes(codes.astype(np.int8), categories=[names[k] for k in sorted(names)])


def members_table(
    F: np.ndarray, B: np.ndarray, ints: np.ndarray, deg: np.ndarray, n: int, day: int
) -> pd.DataFrame:
    """One row per member slot used: traits, role, status, contributions and tenure at ``day``
    (traits and moods as float64: the values members hold in single precision, exactly)."""
    import pandas as pd

    join = ints[L.I_JOIN, :n]
    F = F[:, :n].astype(np.float64)
    return pd.DataFrame(
        {
            "member": np.arange(n),
            "status": _cat(B[L.B_STATUS, :n], _STATUS),
            "role": _cat(B[L.B_ROLE, :n], _ROLE),
            "activity": F[L.F_ACTIVITY, :n],
            "expertise": F[L.F_EXPERTISE, :n],
            "temper": F[L.F_TEMPER, :n],
            "satisfaction": F[L.F_SAT, :n],
            "engagement": F[L.F_ENG, :n],
            "join_day": join,
            "tenure": day - join,
            "last_visit": ints[L.I_LAST_VISIT, :n],
            "posts": ints[L.I_POSTS, :n],
            "toxic_posts": ints[L.I_TOXIC, :n],
            "first_post_day": ints[L.I_FIRST_POST, :n],
            "first_post": _cat(B[L.B_FP, :n], _FP),
            "posted_again_day": ints[L.I_SECOND_POST, :n],
            "removed_day": ints[L.I_REMOVED, :n],
            "contacts": deg[:n],
        }
    )
