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
from typing import TYPE_CHECKING, Any

import mesa
import networkx as nx
import numpy as np
import pandas as pd
from mesa.discrete_space import Cell, Network

from cmsim._kernels import layout as L
from cmsim._kernels import tally as T
from cmsim._kernels.community import join_rate
from cmsim._kernels.members import draw_traits, initial_member_at, start_comebacks
from cmsim._kernels.step import FIXED_POINT, FRIEND_OF_FRIEND
from cmsim.dashboard import dashboard, dashboard_error
from cmsim.errors import ArgumentError
from cmsim.graphs import SLACK_NEW, Graph
from cmsim.inputs import check_seed, resolve_inputs, run_graph
from cmsim.mesa import agents as A
from cmsim.mesa.draws import key, poisson, uniform2
from cmsim.mesa.manager import Tally
from cmsim.parameters import LEVERS
from cmsim.plan import Plan, event_labels
from cmsim.run import Run, daily_frame, members_table, summarize
from cmsim.scenario import Scenario
from cmsim.steady import start_scalars
from cmsim.strategies import Observation, StrategyLike, observe
from cmsim.timeline import Intervention, as_interventions, build_timeline

if TYPE_CHECKING:  # pragma: no cover
    from cmsim.spec import RunSpec

__all__ = ["CommunityModel"]

_N_STREAMS = 40  # decision streams used by the daily step: layout.S_VISIT .. S_QUEUE
_STATUS = {A.ACTIVE: L.ACTIVE, A.LAPSED: L.LAPSED, A.LEFT: L.LEFT, A.REMOVED: L.REMOVED}
_ROLE = {A.MEMBER: L.MEMBER, A.CHAMPION: L.CHAMPION, A.TROLL: L.TROLL, A.SPAMMER: L.SPAMMER}
_ROLE_NAME = {code: name for name, code in _ROLE.items()}
_STATUS_NAME = {code: name for name, code in _STATUS.items()}
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
        sc, g = resolve_inputs(scenario, days, members, overrides, graph)
        self._start(sc, strategy, check_seed(seed), as_interventions(interventions), g)

    @classmethod
    def from_spec(cls, spec: RunSpec) -> CommunityModel:
        """A model of ``spec`` (a :class:`~cmsim.RunSpec`), at day 0 (the spec's ``threads`` do
        not apply: the Mesa engine steps on one thread)."""
        model = cls.__new__(cls)
        model._start(spec.scenario, spec.strategy, spec.seed, list(spec.interventions), spec.graph)
        return model

    def _start(self, sc: Scenario, strategy: StrategyLike, seed: int, interventions: list[Intervention],
               graph: Graph | None) -> None:  # fmt: skip
        super().__init__(seed=seed)
        self.scenario = sc
        v = sc.values
        self.seed = seed
        self.days = int(v["community.days"])
        self.day = 0
        self.budget = float(v["manager.count"]) * float(v["manager.hours"])
        self.plan = Plan(strategy, interventions, self.budget)
        self._P = L.pack_params(v)
        self._Z = np.zeros(T.N_Z)  # (the day's scalars join_rate reads: reach)
        self.p = _params(self._P)
        self.timeline = build_timeline(v, sc.events, self.days, interventions)
        self.hours_log: list[list[float]] = []
        self.response_days = np.zeros(L.MAX_OPEN_DAYS + 1)
        self.keys: list[int] = []
        self.raid_space_key = key(seed, L.S_RAID, -1)  # who is in the raided space (raid.py)
        self.report: dict[str, float] = {}
        self._place_initial_members(run_graph(v, seed, graph))
        self.manager = A.Manager(self)
        self.datacollector = mesa.DataCollector(
            model_reporters={c: partial(_reported, c) for c in L.OUT_COLUMNS}
        )
        self.running = self.days > 0

    # --- building ------------------------------------------------------------------------------
    def _place_initial_members(self, g: Graph) -> None:
        """One member per node of the graph, on Mesa's network space, with the same traits,
        roles, histories and status as the fast engine draws at the steady start
        (``cmsim._kernels.members.init_members``, ``cmsim.steady``).

        Kernel: ``members.init_members``.
        """
        n = g.n
        rows = [g.indices[g.indptr[i] : g.indptr[i] + g.deg[i]].tolist() for i in range(n)]
        G = nx.Graph()  # contacts are mutual: row i lists j exactly when row j lists i
        G.add_nodes_from(range(n))
        G.add_edges_from((i, j) for i in range(n) for j in rows[i] if i < j)
        self.space = Network(G, capacity=1, random=self.random)
        S = start_scalars(self.scenario.values, self._P)  # (the steady start: cmsim.steady)
        self.member_list: list[A.Member] = []
        back = start_comebacks(self.seed, n, g.n_hubs, self._P, S, g.indptr, g.indices, g.deg)
        for i in range(n):
            # the kernels' own draws
            code, joined, last, status, a, x, t, eng, e = initial_member_at(
                self.seed, i, i < g.n_hubs, self._P, S, back[i]
            )
            room = int(g.indptr[i + 1] - g.indptr[i] - g.deg[i])
            m = A.Member(self, i, (a, x, t), role=_ROLE_NAME[code], joined=joined, last_visit=last, room=room)
            m.status = _STATUS_NAME[status]
            m.engagement = A.held(eng)
            m.exposure = A.held(e)
            self.member_list.append(m)
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
    def strategy_name(self) -> str:
        """The name of the strategy in force."""
        return self.plan.strategy_name

    @property
    def interventions(self) -> list[Intervention]:
        """The run's one-off actions, by day."""
        return self.plan.interventions

    @property
    def allocation(self) -> dict[str, float]:
        """The hours per lever in force now."""
        return dict(zip(LEVERS, self.manager.hours, strict=True))

    def set_strategy(self, strategy: StrategyLike) -> None:
        """Use ``strategy`` from the current day on (it allocates at once, then every week)."""
        self.plan.set_strategy(strategy)

    def set_allocation(self, hours: Mapping[str, float]) -> None:
        """Fix the hours per lever from the current day on, until changed again."""
        self.plan.set_allocation(hours, self.day)
        self.manager.hours = self.plan.hours.tolist()

    def add_intervention(self, intervention: Intervention | tuple | Mapping) -> None:
        """Schedule a one-off action on a day not yet simulated."""
        self.plan.add(intervention, self.day)
        tl = build_timeline(self.scenario.values, self.scenario.events, self.days, self.plan.interventions)
        self.timeline[self.day :] = tl[self.day :]

    def observe(self, exact: bool = False) -> Observation:
        """The last (up to) seven days as the manager's dashboard shows them: with the measurement
        error of :mod:`cmsim.dashboard` (less with more analytics hours), or ``exact``."""
        obs = observe(self._out(), self.day, self.budget)
        if exact or self.day == 0:
            return obs
        error = dashboard_error(self.hours_log[-1][LEVERS.index("analytics")], self.scenario.values)
        return dashboard(obs, seed=self.seed, error=error)

    def _plan_week(self, d: int) -> None:
        """Switch strategy on its day; at the start of each week the strategy allocates hours
        (:meth:`cmsim.plan.Plan.start_day`, as the fast engine's ``Simulation.advance``)."""
        if self.plan.start_day(d, self.observe):
            self.manager.hours = self.plan.hours.tolist()

    # --- one day -------------------------------------------------------------------------------
    def step(self) -> None:
        """Simulate one day: members act, threads resolve, the community changes.

        Kernel: ``step.run_days_ser`` / ``run_days_par`` (one day: the three phases).
        """
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
            m.reported_yesterday, m.reported_today = m.reported_today, False
            m.fed_yesterday, m.fed_today = m.fed_today, False
        self.members.do("act")
        self.members.do("resolve")
        reported = sum(1 for m in self.member_list if m.reported_today and m.status == A.ACTIVE)
        members = float(tally.active + tally.lapsed)
        joins, bad_joins, wanted = self.welcome_arrivals(tl, members)
        self.manager.see_the_day(tally, reported)
        present = self.manager.present  # in post today (a quit takes effect tomorrow)
        hours = self.manager.end_day(tally)
        self._record(members, joins, bad_joins, wanted, hours, present, reported)
        self.datacollector.collect(self)
        self.hours_log.append(list(self.manager.hours) if hours > 0 else [0.0] * len(LEVERS))
        self.day += 1
        if self.day >= self.days:
            self.running = False

    def welcome_arrivals(self, tl: list[float], members: float) -> tuple[int, int, int]:
        """Newcomers arrive (acquisition and word of mouth from satisfied members, unless membership
        is given), trolls and spammers too, and removed trolls come back under new accounts.

        Returns ``(joined, bad, wanted)``: the accounts that joined, how many of them are trolls
        or spammers, and the accounts that wanted to join (the Mesa engine has no capacity limit,
        so all join).

        Kernel: ``community.community_changes``, "Arrivals" (``community.join_rate``).
        """
        p, d = self.p, self.day
        self._Z[T.Z_REACH] = self.today.reach
        lam = join_rate(
            d, self._P, self.timeline, self._Z, float(self.tally.satisfied)
        )  # (the kernels' formula)
        k = key(self.seed, L.S_JOINS, d)
        per_k = members / 1000.0
        n_join = poisson(k, 0, lam)
        n_troll = poisson(k, 1, p.trolls.arrival_rate * per_k)
        n_spam = poisson(k, 2, p.spam.arrival_rate * per_k)
        n_raid = poisson(k, 3, tl[L.TL_RAID] * per_k) if tl[L.TL_RAID] > 0.0 else 0
        n_back = self.tally.comebacks
        joins = self.arrive(n_join, A.MEMBER)
        bad = self.arrive(n_troll + n_back, A.TROLL)
        bad += self.arrive(n_spam, A.SPAMMER)
        first_raider = len(self.member_list)
        bad += self.arrive(n_raid, A.TROLL)  # raiders: they post into the raided space as well
        for m in self.member_list[first_raider:]:
            m.raider = True
        return joins + bad, bad, n_join + n_troll + n_spam + n_raid + n_back

    def arrive(self, count: int, role: str) -> int:
        """Add ``count`` accounts of ``role``; each links to ``graph.attach`` active members.

        A link goes to an active member found at random or, with chance ``FRIEND_OF_FRIEND``, to
        one of that member's contacts (so well-connected members attract more newcomers). Links
        are mutual: a member whose contact list is full (or who is already a contact) is passed
        over and the next try is made, up to 8 tries per link.

        Kernel: ``community.arrive``.
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
        self,
        members: float,
        joins: int,
        bad_joins: int,
        wanted: int,
        hours: float,
        present: bool,
        reported: int,
    ) -> None:
        """The day's report, one value per column of ``Run.daily`` (read by the DataCollector).

        Kernel: ``community.community_changes``, "The day's output row".
        """
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
            reported_accounts=float(reported),
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
                       m.complaint_answered, m.raider)  # fmt: skip
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
            raise ArgumentError("nothing simulated yet: call step() first")
        F, B, I, deg = self.member_arrays()  # noqa: E741
        n = F.shape[1]
        daily = self.daily
        arrays = {"status": B[L.B_STATUS], "role": B[L.B_ROLE], "posts": I[L.I_POSTS],
                  "fp_state": B[L.B_FP], "second_post_day": I[L.I_SECOND_POST]}  # fmt: skip
        summary = summarize(daily, self.response_days, arrays, int(self.p.community.initial_members),
                            self.manager.quits)  # fmt: skip
        members = members_table(F, B, I, deg, n, self.day - 1)
        events = event_labels(self.scenario, self.plan.interventions, self.day)
        return Run(daily, summary, members, self.scenario.name, self.strategy_name, self.seed, "mesa", events)


#: Report columns that are plain tallies of the day, as in the kernels (``tally.COPY_K``): the
#: output columns the Tally counts under the same name (``_record`` computes the others).
_TALLY_COLUMNS = tuple(T.TALLIES[k] for k in T.COPY_K if T.TALLIES[k] not in T.KERNEL_ONLY)
