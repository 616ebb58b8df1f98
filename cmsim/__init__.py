"""cmsim: simulate online communities and the strategies of the people who manage them."""

from __future__ import annotations

from cmsim import precompile as _precompile

# First of all: on a cold compile cache a helper starts compiling kernels on the second core, a
# second sooner than after the imports below (see cmsim.precompile).
_precompile.start()

from cmsim.compare import Comparison, compare
from cmsim.ensemble import Ensemble, ensemble
from cmsim.errors import CmsimError, ScenarioError, StrategyError
from cmsim.graphs import Graph, build_graph, from_networkx
from cmsim.parameters import EVENT_TYPES, KINDS, LEVERS, PARAMS
from cmsim.run import Run
from cmsim.scenario import Scenario, list_scenarios, load_scenario
from cmsim.simulation import Simulation, simulate
from cmsim.strategies import BUILTIN as STRATEGIES
from cmsim.timeline import Intervention
from cmsim.version import MODEL_VERSION

__version__ = "0.1.0"

__all__ = [
    "CmsimError",
    "Comparison",
    "Ensemble",
    "EVENT_TYPES",
    "KINDS",
    "LEVERS",
    "MODEL_VERSION",
    "PARAMS",
    "Graph",
    "Intervention",
    "Run",
    "STRATEGIES",
    "Scenario",
    "Simulation",
    "ScenarioError",
    "StrategyError",
    "build_graph",
    "compare",
    "ensemble",
    "from_networkx",
    "list_scenarios",
    "load_scenario",
    "simulate",
    "__version__",
]
