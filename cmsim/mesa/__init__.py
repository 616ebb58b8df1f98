"""The Mesa engine: the community model as readable Mesa agents.

``cmsim.simulate(..., engine="mesa")`` runs here. The same scenario, strategy and seed give the
same daily table as the fast engine (see ``docs/mesa.md``). Importing this package imports Mesa;
``import cmsim`` does not.

Examples
--------
>>> from cmsim.mesa import CommunityModel
>>> model = CommunityModel("forum", members=200, days=7, seed=1)
>>> for _ in range(7):
...     model.step()
>>> model.running, len(model.daily)
(False, 7)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from cmsim.mesa.agents import Member
from cmsim.mesa.manager import Manager
from cmsim.mesa.model import CommunityModel
from cmsim.run import Run
from cmsim.scenario import Scenario
from cmsim.strategies import StrategyLike

__all__ = ["CommunityModel", "Member", "Manager", "simulate_mesa"]


def simulate_mesa(
    scenario: str | Scenario,
    strategy: StrategyLike = "balanced",
    *,
    seed: int = 0,
    days: int | None = None,
    members: int | None = None,
    overrides: Mapping[str, Any] | None = None,
    graph: Any = None,
    interventions: Iterable[Any] | None = None,
) -> Run:
    """Run a scenario to its horizon on the Mesa engine (what ``simulate(engine="mesa")`` calls).

    Parameters are those of :func:`cmsim.simulate`. Returns a :class:`~cmsim.Run` with
    ``engine == "mesa"``.

    Examples
    --------
    >>> run = simulate_mesa("forum", "balanced", seed=1, members=200, days=10)
    >>> run.engine, len(run.daily)
    ('mesa', 10)
    """
    model = CommunityModel(scenario, strategy, members=members, days=days, overrides=overrides, graph=graph,
                           interventions=interventions, seed=seed)  # fmt: skip
    # (the same as cmsim.run_spec(...).run("mesa"); built here without cmsim.spec, which imports this)
    model.run_model()
    return model.result()
