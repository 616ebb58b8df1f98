"""``CommunityModel``: the community as a Mesa model, one step a day.

The model holds the members (one :class:`~cmsim.mesa.agents.Member` agent per member, on a
cell of Mesa's :class:`~mesa.discrete_space.Network` space), the
:class:`~cmsim.mesa.manager.Manager`, the scenario's parameters (``model.p.<section>.<name>``)
and timeline, and a ``DataCollector`` that records one row a day with the same columns as the
fast engine's ``Run.daily``. Same scenario, strategy and seed give the same results as
``cmsim.simulate(..., engine="fast")``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import partial
from types import SimpleNamespace
from typing import Any

import mesa
import networkx as nx
import numpy as np
import pandas as pd
from mesa.discrete_space import Cell, Network

from cmsim._kernels import layout as L
from cmsim._kernels.members import draw_traits
from cmsim._kernels.step import FIXED_POINT, FRIEND_OF_FRIEND
from cmsim.dashboard import dashboard, dashboard_error
from cmsim.graphs import SLACK_NEW, Graph, build_graph, from_networkx
from cmsim.mesa import agents as A
from cmsim.mesa.draws import key, poisson, uniform, uniform2
from cmsim.mesa.manager import Tally
from cmsim.parameters import LEVERS
from cmsim.run import Run, members_table, summarize
from cmsim.scenario import Scenario
from cmsim.simulation import daily_frame, observe, pack_params, resolve_scenario
from cmsim.strategies import StrategyLike, as_strategy, validate_allocation
from cmsim.timeline import Intervention, as_interventions, build_timeline, schedule

__all__ = ["CommunityModel"]

_N_STREAMS = 32  # decision streams used by the daily step: layout.S_VISIT .. S_CHAMP_ANSWER
_STATUS = {A.ACTIVE: L.ACTIVE, A.LAPSED: L.LAPSED, A.LEFT: L.LEFT, A.REMOVED: L.REMOVED}
_ROLE = {A.MEMBER: L.MEMBER, A.CHAMPION: L.CHAMPION, A.TROLL: L.TROLL, A.SPAMMER: L.SPAMMER}
_FP = {
    A.FP_NONE: L.FP_NONE,
    A.FP_OPEN: L.FP_OPEN,
    A.FP_REPLIED: L.FP_REPLIED,
    A.FP_UNANSWERED: L.FP_UNANSWERED,
}


def _reported(column: str, model: CommunityModel) -> float:
    """DataCollector reporter: ``column`` of the day's report."""
    return model.report[column]


def _params(P: np.ndarray) -> SimpleNamespace:
    """The packed parameters as nested namespaces: ``p.dynamics.reply_rate``."""
    sections: dict[str, dict[str, float]] = {}
    for dotted, value in zip(L.P_KEYS, P.tolist(), strict=True):
        section, name = dotted.split(".")
        sections.setdefault(section, {})[name] = value
    return SimpleNamespace(**{s: SimpleNamespace(**v) for s, v in sections.items()})


class CommunityModel(mesa.Model):
    """An online community and its manager as a Mesa model; ``step()`` simulates one day.

    Parameters
    ----------
    scenario : str or Scenario, default "forum"
        A shipped scenario name, a YAML path or a loaded scenario.
    strategy : str, mapping, callable or object, default "balanced"
        The manager's strategy (see :mod:`cmsim.strategies`), called every 7 days.
    members, days : int, optional
        Shortcuts for ``community.initial_members`` and ``community.days``.
    overrides : mapping, optional
        Dotted scenario keys to values.
    graph : networkx.Graph or cmsim.Graph, optional
        Use this member graph instead of the scenario's generator.
    interventions : iterable, optional
        One-off actions (:class:`~cmsim.Intervention` or ``(day, kind)`` pairs).
    seed : int, optional
        Seed of every random stream; ``None`` draws one (kept in ``model.seed``).

    Attributes
    ----------
    members : AgentSet
        Every member ever present (``status`` tells who is still here), in order of arrival.
    manager : Manager
    space : mesa.discrete_space.Network
        The contact network: one cell per member, a link between each pair of contacts.
    datacollector : mesa.DataCollector
        One row a day (row ``k`` is day ``k``), the columns of ``Run.daily`` without the hours.

    Examples
    --------
    >>> model = CommunityModel("forum", "balanced", members=200, days=14, seed=1)
    >>> model.step()
    >>> model.day
    1
    >>> trolls = model.agents.select(lambda a: getattr(a, "role", None) == "troll")
    >>> len(model.datacollector.get_model_vars_dataframe())
    1
    """

    def __init__(
        self,
        scenario: str | Scenario = "forum",
        strategy: StrategyLike = "balanced",
        members: int | None = None,
        days: int | None = None,
        overrides: Mapping[str, Any] | None = None,
        graph: Any = None,
        interventions: Iterable[Any] | None = None,
        *,
        seed: int | None = None,
    ) -> None:
        if seed is None:
            seed = int(np.random.SeedSequence().generate_state(1)[0])
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ValueError(f"the 'seed' parameter must be an integer >= 0; got {seed!r}")
        super().__init__(seed=int(seed))
        if graph is not None and not isinstance(graph, Graph):
            members = graph.number_of_nodes()
        self.scenario = resolve_scenario(scenario, days=days, members=members, overrides=overrides)
        v = self.scenario.values
        self.seed = int(seed)
        self.days = int(v["community.days"])
        self.day = 0
        self.budget = float(v["manager.count"]) * float(v["manager.hours"])
        self.interventions: list[Intervention] = as_interventions(interventions)
        self.p = _params(pack_params(v))
        self.timeline = build_timeline(v, self.scenario.events, self.days, self.interventions)
        self._strategy = as_strategy(strategy)
        self.strategy_name = (
            strategy if isinstance(strategy, str) else str(getattr(self._strategy, "name", "custom"))
        )
        self._fixed: list[float] | None = None
        self._alloc_week = -1
        self._switched: set[int] = set()
        self.hours_log: list[list[float]] = []
        self.response_days = np.zeros(L.MAX_OPEN_DAYS + 1)
        self.keys: list[int] = []
        self.report: dict[str, float] = {}
        self._place_initial_members(self._graph(v, graph))
        self.manager = A.Manager(self)
        self.datacollector = mesa.DataCollector(
            model_reporters={c: partial(_reported, c) for c in L.OUT_COLUMNS}
        )
        self.running = self.days > 0

    # --- building ------------------------------------------------------------------------------
    def _graph(self, v: Mapping[str, Any], graph: Any) -> Graph:
        attach = int(v["graph.attach"])
        n = int(v["community.initial_members"])
        if graph is None:
            return build_graph(
                v["community.kind"], n, mean_degree=v["graph.mean_degree"], clustering=v["graph.clustering"],
                blocks=v["graph.blocks"], mixing=v["graph.mixing"], hub_share=v["graph.hub_share"],
                rewire=v["graph.rewire"], attach=attach, seed=self.seed,
            )  # fmt: skip
        return graph if isinstance(graph, Graph) else from_networkx(graph, attach=attach)

    def _place_initial_members(self, g: Graph) -> None:
        """One member per node of the graph, on Mesa's network space, with the same traits,
        roles and histories as the fast engine draws (``cmsim._kernels.members.init_members``)."""
        n = g.n
        rows = [g.indices[g.indptr[i] : g.indptr[i] + g.deg[i]].tolist() for i in range(n)]
        G = nx.Graph()  # contacts are mutual: row i lists j exactly when row j lists i
        G.add_nodes_from(range(n))
        G.add_edges_from((i, j) for i in range(n) for j in rows[i] if i < j)
        self.space = Network(G, capacity=1, random=self.random)
        p = self.p
        kr = key(self.seed, L.S_TRAIT_ROLE, -1)
        half_lapse = max(1.0, p.dynamics.lapse_days / 2.0)
        troll, spam = p.trolls.initial_share, p.spam.initial_share
        self.member_list: list[A.Member] = []
        for i in range(n):
            u = uniform(kr, i)
            role = A.TROLL if u < troll else A.SPAMMER if u < troll + spam else A.MEMBER
            joined = -1 - int(365.0 * uniform(kr, n + i))
            last = -int(half_lapse * uniform(kr, 2 * n + i))
            room = int(g.indptr[i + 1] - g.indptr[i] - g.deg[i])
            self._new_member(i, -1, role, i < g.n_hubs, joined, last, room)
        for i, row in enumerate(rows):
            self.member_list[i].contacts = [self.member_list[j] for j in row]
        self.members = self.agents_by_type[A.Member]

    def _new_member(
        self, slot: int, day: int, role: str, hub: bool, joined: int, last: int, room: int
    ) -> A.Member:
        p = self.p.members
        traits = draw_traits(self.seed, day, slot, p.activity_sigma, p.expert_share, p.temper_mean, hub)
        m = A.Member(self, slot, traits, role=role, joined=joined, last_visit=last, room=room)
        self.member_list.append(m)
        return m

    def connect(self, member: A.Member, other: A.Member) -> None:
        """Mirror two members' new mutual contact on the network space."""
        self.space.add_connection(member.cell, other.cell)

    def disconnect(self, member: A.Member, gone: A.Member) -> None:
        """Drop the link to a member who left, whose place in a contact list was taken."""
        if self.space.G.has_edge(member.cell.coordinate, gone.cell.coordinate):
            self.space.remove_connection(member.cell, gone.cell)

    # --- the manager's plan ----------------------------------------------------------------------
    @property
    def allocation(self) -> dict[str, float]:
        """The hours per lever in force now."""
        return dict(zip(LEVERS, self.manager.hours, strict=True))

    def set_strategy(self, strategy: StrategyLike) -> None:
        """Use ``strategy`` from the current day on (it allocates at once, then every week)."""
        self._strategy = as_strategy(strategy)
        self.strategy_name = (
            strategy if isinstance(strategy, str) else str(getattr(self._strategy, "name", "custom"))
        )
        self._fixed = None
        self._alloc_week = -1

    def set_allocation(self, hours: Mapping[str, float]) -> None:
        """Fix the hours per lever from the current day on, until changed again."""
        self._fixed = validate_allocation(hours, self.budget, self.day, "the allocation").tolist()
        self.manager.hours = list(self._fixed)
        self._alloc_week = self.day // 7

    def add_intervention(self, intervention: Intervention | tuple | Mapping) -> None:
        """Schedule a one-off action on a day not yet simulated."""
        self.interventions = schedule(self.interventions, intervention, self.day)
        tl = build_timeline(self.scenario.values, self.scenario.events, self.days, self.interventions)
        self.timeline[self.day :] = tl[self.day :]

    def observe(self, exact: bool = False) -> dict[str, float]:
        """The last (up to) seven days as the manager's dashboard shows them: with the measurement
        error of :mod:`cmsim.dashboard` (less with more analytics hours), or ``exact``."""
        obs = observe(self._out(), self.day, self.budget)
        if exact or self.day == 0:
            return obs
        error = dashboard_error(self.hours_log[-1][LEVERS.index("analytics")], self.scenario.values)
        return dashboard(obs, seed=self.seed, error=error)

    def _plan_week(self, d: int) -> None:
        """Switch strategy on its day; at the start of each week the strategy allocates hours."""
        for iv in self.interventions:
            if iv.kind == "switch_strategy" and iv.day == d and d not in self._switched:
                self._switched.add(d)
                self.set_strategy(iv.strategy)
        week = d // 7
        if self._fixed is None and self._alloc_week != week:
            alloc = self._strategy.allocate(self.observe())
            self.manager.hours = validate_allocation(
                alloc, self.budget, d, f"strategy {self.strategy_name!r}"
            ).tolist()
            self._alloc_week = week

    # --- one day -------------------------------------------------------------------------------
    def step(self) -> None:
        """Simulate one day: members act, threads resolve, the community changes."""
        if self.day >= self.days:
            self.running = False
            return
        d = self.day
        self._plan_week(d)
        self.keys = [key(self.seed, s, d) for s in range(_N_STREAMS)]
        tl = self.timeline[d].tolist()
        self.today = self.manager.plan_day(tl)
        self.tally = tally = Tally()
        for m in self.member_list:  # today's feed is what each member showed yesterday
            m.shown_yesterday = m.shown_today
        self.members.do("act")
        self.members.do("resolve")
        members = float(tally.active + tally.lapsed)
        joins, bad_joins, wanted = self.welcome_arrivals(tl, members)
        self.manager.see_the_day(tally)
        present = self.manager.present  # in post today (a quit takes effect tomorrow)
        hours = self.manager.end_day(tally)
        self._record(members, joins, bad_joins, wanted, hours, present)
        self.datacollector.collect(self)
        self.hours_log.append(list(self.manager.hours) if hours > 0 else [0.0] * len(LEVERS))
        self.day += 1
        if self.day >= self.days:
            self.running = False

    def welcome_arrivals(self, tl: list[float], members: float) -> tuple[int, int]:
        """Newcomers arrive (acquisition and word of mouth from satisfied members, unless membership
        is given), trolls and spammers too, and removed trolls come back under new accounts.

        Returns ``(joined, bad, wanted)``: the accounts that joined, how many of them are trolls
        or spammers, and the accounts that wanted to join (the Mesa engine has no capacity limit,
        so all join).
        """
        p, d = self.p, self.day
        lam = p.growth.acquisition * p.community.initial_members
        if p.community.membership_given == 0.0:
            lam = (lam + p.growth.word_of_mouth * self.tally.satisfied) * self.today.reach * tl[L.TL_SEASON]
            lam *= (1.0 + tl[L.TL_VIRAL]) / (1.0 + tl[L.TL_COMPETITOR])
        k = key(self.seed, L.S_JOINS, d)
        per_k = members / 1000.0
        n_join = poisson(k, 0, lam)
        n_troll = poisson(k, 1, (p.trolls.arrival_rate + tl[L.TL_RAID]) * per_k)
        n_spam = poisson(k, 2, p.spam.arrival_rate * per_k)
        n_back = self.tally.comebacks
        joins = self.arrive(n_join, A.MEMBER)
        bad = self.arrive(n_troll + n_back, A.TROLL)
        bad += self.arrive(n_spam, A.SPAMMER)
        return joins + bad, bad, n_join + n_troll + n_spam + n_back

    def arrive(self, count: int, role: str) -> int:
        """Add ``count`` accounts of ``role``; each links to ``graph.attach`` active members.

        A link goes to an active member found at random or, with chance ``FRIEND_OF_FRIEND``, to
        one of that member's contacts (so well-connected members attract more newcomers). Links
        are mutual: a member whose contact list is full (or who is already a contact) is passed
        over and the next try is made, up to 8 tries per link.
        """
        d = self.day
        k = key(self.seed, L.S_ATTACH, d)
        attach = int(self.p.graph.attach)
        for _ in range(count):
            slot = len(self.member_list)
            self.space.add_cell(Cell(slot, capacity=1, random=self.random))
            newcomer = self._new_member(slot, d, role, False, d, d, attach + SLACK_NEW)
            for a in range(attach):
                for attempt in range(8):
                    c = 4 * (8 * a + attempt)
                    found = self.member_list[int(uniform2(k, slot, c) * slot)]
                    if found.status != A.ACTIVE:
                        continue
                    if found.contacts and uniform2(k, slot, c + 1) < FRIEND_OF_FRIEND:
                        friend = found.contacts[int(uniform2(k, slot, c + 2) * len(found.contacts))]
                        if friend.status == A.ACTIVE and friend is not newcomer:
                            found = friend
                    if newcomer.befriend(found):
                        break
        return count

    def _record(
        self, members: float, joins: int, bad_joins: int, wanted: int, hours: float, present: bool
    ) -> None:
        """The day's report, one value per column of ``Run.daily`` (read by the DataCollector)."""
        t, mgr = self.tally, self.manager
        r = {c: float(getattr(t, c)) for c in _TALLY_COLUMNS}
        r.update(
            day=float(self.day), members=members + joins, active_members=t.active + float(joins),
            lapsed_members=float(t.lapsed), dau=float(t.visits), joins=float(joins),
            mean_satisfaction=t.satisfaction_sum / FIXED_POINT / t.ordinary if t.ordinary > 0 else 0.0,
            mean_engagement=t.engagement_sum / FIXED_POINT / t.ordinary if t.ordinary > 0 else 0.0,
            reach=self.today.reach, manager_hours=hours, manager_stress=mgr.stress,
            manager_burned_out=1.0 if mgr.burned_today else 0.0,
            manager_present=1.0 if present else 0.0, know_how=mgr.know_how,
            truncated_joins=float(wanted - joins), bad_accounts=float(t.bad_accounts + bad_joins),
        )  # fmt: skip
        self.report = r

    # --- results -------------------------------------------------------------------------------
    def _out(self) -> np.ndarray:
        """The DataCollector's rows as the fast engine's ``OUT`` array (days so far x columns)."""
        mv = self.datacollector.model_vars
        if not mv or not mv[L.OUT_COLUMNS[0]]:
            return np.zeros((0, L.N_OUT))
        return np.array([mv[c] for c in L.OUT_COLUMNS], dtype=np.float64).T

    @property
    def daily(self) -> pd.DataFrame:
        """The daily table so far (the columns of ``Run.daily``)."""
        return daily_frame(self._out(), np.array(self.hours_log, dtype=np.float64).reshape(-1, len(LEVERS)))

    def member_arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Members packed like the fast engine's state: ``(F, B, I, deg)`` (see ``layout``)."""
        ms = self.member_list
        n = len(ms)
        F = np.zeros((L.N_F, n))
        B = np.zeros((L.N_B, n), np.int8)
        I = np.full((L.N_I, n), -1, np.int32)  # noqa: E741
        deg = np.array([len(m.contacts) for m in ms], np.int32)
        for i, m in enumerate(ms):
            F[:, i] = (m.activity, m.expertise, m.temper, m.satisfaction, m.engagement, m.exposure)
            B[:, i] = (_STATUS[m.status], _ROLE[m.role], _FP[m.first_post], m.greeted, m.question_answered,
                       m.complaint_answered)  # fmt: skip
            for row, value in ((L.I_JOIN, m.joined), (L.I_LAST_VISIT, m.last_visit), (L.I_POSTS, m.posts),
                               (L.I_TOXIC, m.toxic_posts), (L.I_FIRST_POST, m.first_post_day),
                               (L.I_SECOND_POST, m.second_post_day), (L.I_QDAY, m.question_day),
                               (L.I_CDAY, m.complaint_day), (L.I_REMOVED, m.removed_day),
                               (L.I_COMEBACK, m.comeback_day)):  # fmt: skip
                if value is not None:
                    I[row, i] = value
        return F, B, I, deg

    def result(self) -> Run:
        """The run so far as a :class:`~cmsim.run.Run` (``engine="mesa"``)."""
        if self.day == 0:
            raise ValueError("nothing simulated yet: call step() first")
        F, B, I, deg = self.member_arrays()  # noqa: E741
        n = F.shape[1]
        daily = self.daily
        arrays = {"status": B[L.B_STATUS], "role": B[L.B_ROLE], "posts": I[L.I_POSTS],
                  "fp_state": B[L.B_FP], "second_post_day": I[L.I_SECOND_POST]}  # fmt: skip
        summary = summarize(daily, self.response_days, arrays, int(self.p.community.initial_members),
                            self.manager.quits)  # fmt: skip
        members = members_table(F, B, I, deg, n, self.day - 1)
        events = [{"day": int(e["day"]), "label": e["type"].replace("_", " ")}
                  for e in self.scenario.events if int(e["day"]) < self.day]  # fmt: skip
        events += [{"day": iv.day, "label": iv.label} for iv in self.interventions if iv.day < self.day]
        return Run(daily, summary, members, self.scenario.name, self.strategy_name, self.seed, "mesa",
                   sorted(events, key=lambda e: e["day"]))  # fmt: skip


#: Report columns that are plain tallies of the day (same name on the Tally).
_TALLY_COLUMNS = (
    "wau", "mau", "posts", "replies", "questions", "questions_answered", "questions_expired",
    "complaints", "complaints_answered", "toxic_posts", "toxic_posts_members", "spam_posts",
    "active_trolls", "active_spammers", "removals", "churned", "reengaged", "newcomers",
    "first_posts", "first_posts_replied", "first_posts_unanswered", "welcomed", "outreach",
    "response_days_sum", "newcomers_due_30d", "newcomers_retained_30d", "comebacks",
)  # fmt: skip
