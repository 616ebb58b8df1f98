"""Shared helpers for the model tests: a quiet community and hand-built graphs.

The model tests build tiny communities from networkx graphs (nodes become members in order),
switch off every mechanism but the one under test with :data:`QUIET`, then edit member state
directly (roles, traits) through ``sim.state`` and read it back after each day.

This module holds no tests of its own beyond a check that the quiet community is quiet.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import networkx as nx
import numpy as np

import cmsim
from cmsim._kernels import layout as L

#: Overrides that switch off arrivals, churn, trolls, spam, posting, drift and complaints.
#: ``visit_rate`` 1 with ``activity_sigma`` 0 makes every member visit with chance MAX_VISIT.
QUIET: dict[str, Any] = {
    "growth.acquisition": 0.0,
    "growth.word_of_mouth": 0.0,
    "trolls.initial_share": 0.0,
    "trolls.arrival_rate": 0.0,
    "trolls.base_rate": 0.0,
    "trolls.norm_gain": 0.0,
    "trolls.conversion": 0.0,
    "spam.initial_share": 0.0,
    "spam.arrival_rate": 0.0,
    "trolls.report_rate": 0.0,
    "trolls.give_up": 0.0,
    "spam.give_up": 0.0,
    "spam.filter": 0.0,
    "dynamics.churn_base": 0.0,
    "dynamics.churn_unhappy": 0.0,
    "dynamics.lapsed_leave": 0.0,
    "dynamics.lapse_days": 3650,
    "dynamics.reversion": 0.0,
    "dynamics.engagement_drift": 0.0,
    "dynamics.content_joy": 0.0,
    "dynamics.reply_rate": 0.0,
    "dynamics.complaint_rate": 0.0,
    "dynamics.reengagement": 0.0,
    "members.visit_rate": 1.0,
    "members.activity_sigma": 0.0,
    "members.post_rate": 0.0,
    "members.question_share": 0.0,
    "levers.content_joy": 0.0,
    "levers.content_visits": 0.0,
    "levers.event_reach": 0.0,
    "manager.toxicity_stress": 0.0,
    "manager.overwork_stress": 0.0,
    "manager.initial_stress": 0.0,
    # values the tests' expected answers use, pinned against recalibration of the defaults
    "members.initial_satisfaction": 0.65,
    "members.satisfaction_baseline": 0.65,
    "dynamics.complaint_threshold": 0.35,
    "dynamics.recovery_decay": 1.0,  # an answer turns around as often however late it comes
    "trolls.mood_threshold": 0.4,
    "trolls.mood_boost": 1.0,
    "trolls.context_boost": 1.0,
    "trolls.warning": 1.0,
    "dynamics.open_days": 7,
    "dynamics.reply_welcome": 1.35,
    "dynamics.no_reply_chill": 0.75,
    "levers.detection": 1.0,
    "levers.moderation_rate": 60.0,
    "levers.responding_rate": 10.0,
    "levers.welcome_rate": 10.0,
    "dynamics.front_page": 0.0,  # only contacts answer, unless a test says otherwise
    "levers.responding_wait": 0,  # the manager answers on the day a question is asked
    "manager.count": 1,
    "manager.hours": 30.0,
    # a past without manager hours: the steady start welcomed nobody, held no events
    "manager.current_strategy": "absent",
}

#: No manager hours at all.
ABSENT = "absent"


def graph(n: int, edges: Iterable[tuple[int, int]] = ()) -> nx.Graph:
    """``n`` members ``0..n-1`` (at least 10, the smallest community) with the given links."""
    G = nx.Graph()
    G.add_nodes_from(range(max(n, 10)))
    G.add_edges_from(edges)
    return G


def quiet_sim(
    G: nx.Graph,
    strategy: Any = ABSENT,
    *,
    seed: int = 1,
    days: int = 60,
    scenario: str = "forum",
    interventions: Iterable[Any] | None = None,
    **overrides: Any,
) -> cmsim.Simulation:
    """A quiet :class:`cmsim.Simulation` on ``G``; keyword overrides use ``__`` for dots."""
    extra = {k.replace("__", "."): v for k, v in overrides.items()}
    return cmsim.Simulation(
        scenario,
        strategy,
        seed=seed,
        days=days,
        overrides={**QUIET, **extra},
        graph=G,
        interventions=interventions,
    )


def lever_day(hours: Mapping[str, float], front_page: float = 0.0, **loads: float) -> tuple[np.ndarray, Any]:
    """Today's lever effects ``Z`` (``levers.day_scalars``) for the week's ``hours`` on a quiet
    20-member forum (analytics off: its target is 1) with the manager-state loads given by name
    (``M_LOAD_NEWCOMERS=...``) and ``dynamics.front_page``; returns ``(Z, scenario)``."""
    from cmsim._kernels.levers import day_scalars
    from cmsim._kernels.step import N_Z

    sim = quiet_sim(graph(20), hours, days=1, levers__analytics_gain=0.0, dynamics__front_page=front_page)
    sim.advance(1)
    st = sim.state
    M = st.M.copy()
    for name, v in loads.items():
        M[getattr(L, name)] = v
    H = np.array([sim.allocation.get(lever, 0.0) for lever in cmsim.LEVERS])
    Z = np.zeros(N_Z)
    day_scalars(0, st.P, st.TL, M, H, Z)
    return Z, sim.scenario


def set_role(sim: cmsim.Simulation, members: Iterable[int], role: int) -> None:
    """Give ``members`` the ``role`` (layout constants ``MEMBER``, ``TROLL``...)."""
    for i in members:
        sim.state.B[L.B_ROLE, i] = role


def col(sim: cmsim.Simulation, name: str) -> np.ndarray:
    """A column of the daily table so far as a numpy array."""
    return sim.daily[name].to_numpy()


def with_events(events: list[Mapping[str, Any]]) -> dict[str, Any]:
    """An overrides entry replacing the scenario's timeline events."""
    return {"events": [dict(e) for e in events]}


def test_quiet_community_is_quiet() -> None:
    sim = quiet_sim(graph(30, [(i, i + 1) for i in range(29)]), days=20)
    sim.advance(20)
    d = sim.daily
    for c in ("posts", "joins", "churned", "removals", "complaints", "questions", "toxic_posts"):
        assert d[c].sum() == 0, c
    assert (d["members"] == 30).all()
    # every member visits with chance MAX_VISIT (0.95): about 0.95 * 30 * 20 = 570 visits
    assert 530 <= d["dau"].sum() <= 598
    assert np.allclose(sim.state.F[L.F_SAT, :30], 0.65)
