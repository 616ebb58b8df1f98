"""cmsim: simulate online communities and the strategies of the people who manage them."""

from __future__ import annotations

from cmsim import precompile as _precompile

# First of all: on a cold compile cache a helper starts compiling kernels on the second core, a
# second sooner than after the imports below (see cmsim.precompile).
_precompile.start()

from importlib import import_module
from typing import TYPE_CHECKING, Any

from cmsim.errors import ArgumentError, CmsimError, DataError, ScenarioError, StrategyError, SweepError
from cmsim.graphs import Graph, build_graph, from_networkx
from cmsim.parameters import EVENT_TYPES, KINDS, LEVERS, PARAMS
from cmsim.run import Run
from cmsim.scenario import Scenario, list_scenarios, load_scenario
from cmsim.simulation import Simulation
from cmsim.spec import RunSpec, run_spec, simulate
from cmsim.strategies import BUILTIN as STRATEGIES
from cmsim.strategies import Observation, Strategy
from cmsim.timeline import Intervention
from cmsim.version import MODEL_VERSION

if TYPE_CHECKING:
    from cmsim.batch import Comparison, Ensemble, compare, ensemble
    from cmsim.batch.sweep import Sweep, open_sweep, sweep
    from cmsim.calibration import CalibrationResult, calibrate

#: Names of the many-run API and the module each comes from, imported on first use: ``import
#: cmsim`` and a first run need neither them nor pandas (a third of the import's time).
_LAZY = {
    "Comparison": "cmsim.batch", "Ensemble": "cmsim.batch", "compare": "cmsim.batch",
    "ensemble": "cmsim.batch", "Sweep": "cmsim.batch.sweep", "open_sweep": "cmsim.batch.sweep",
    "sweep": "cmsim.batch.sweep", "CalibrationResult": "cmsim.calibration", "calibrate": "cmsim.calibration",
}  # fmt: skip
#: Subpackages ``import cmsim`` used to import with the many-run API: ``cmsim.batch.compare`` and
#: ``cmsim.calibration.read_provenance`` still work after a plain ``import cmsim`` (on first use).
_LAZY_PACKAGES = ("batch", "calibration")


# (hidden from type checkers, which see the imports above: a module __getattr__ typed Any would let
# `cmsim.Simulaton` and `from cmsim import simulat` pass mypy)
if not TYPE_CHECKING:

    def __getattr__(name: str) -> Any:
        if name in _LAZY_PACKAGES:
            return import_module(f"cmsim.{name}")  # (which sets it here: found directly from now on)
        module = _LAZY.get(name)
        if module is None:
            raise AttributeError(f"module 'cmsim' has no attribute {name!r}")
        value = getattr(import_module(module), name)
        globals()[name] = value  # (found directly from now on)
        return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY) | set(_LAZY_PACKAGES))


#: The package's version (of the code); ``MODEL_VERSION`` is the model's (of its results).
__version__ = "0.1.0"

__all__ = [
    "ArgumentError",
    "CalibrationResult",
    "CmsimError",
    "DataError",
    "Comparison",
    "Ensemble",
    "EVENT_TYPES",
    "KINDS",
    "MODEL_VERSION",
    "LEVERS",
    "PARAMS",
    "Graph",
    "Intervention",
    "Observation",
    "Run",
    "RunSpec",
    "STRATEGIES",
    "Scenario",
    "Simulation",
    "ScenarioError",
    "Strategy",
    "StrategyError",
    "build_graph",
    "calibrate",
    "compare",
    "ensemble",
    "from_networkx",
    "list_scenarios",
    "load_scenario",
    "run_spec",
    "simulate",
    "Sweep",
    "sweep",
    "open_sweep",
    "SweepError",
    "__version__",
]
