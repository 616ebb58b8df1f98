"""The identity of one run: its inputs as plain data and a sha256 key.

:func:`point_key` is the one place in the sweep that decides when two runs are the same run (a
sweep names its result files by these keys); it is the run spec's own :meth:`cmsim.RunSpec.key`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from cmsim.scenario import Scenario
from cmsim.timeline import Intervention
from cmsim.version import MODEL_VERSION

__all__ = ["point_key"]


def point_key(
    scenario: Scenario,
    strategy: str | Mapping[str, float],
    seed: int,
    interventions: Iterable[Intervention] = (),
) -> tuple[dict[str, Any], str]:
    """The canonical inputs of one run and their sha256 key (hex).

    Parameters
    ----------
    scenario : Scenario
        Every parameter value (days and members included) and the events; its name and
        description do not change a run and are left out.
    strategy : str or mapping
        A built-in strategy name or fixed weekly hours per lever.
    seed : int
    interventions : iterable of Intervention
        Only plain ones (no ``switch_strategy`` object).

    Returns
    -------
    (dict, str)
        The canonical inputs (``model_version`` included) and ``sha256`` of their sorted JSON.

    Examples
    --------
    >>> from cmsim import load_scenario
    >>> a = point_key(load_scenario("forum"), "balanced", 1)[1]
    >>> a == point_key(load_scenario("forum"), "balanced", 1)[1], a == point_key(load_scenario("forum"), "balanced", 2)[1]
    (True, False)
    """
    from cmsim.spec import run_spec

    spec = run_spec(scenario, strategy, seed=seed, interventions=interventions)
    inputs = spec.to_dict()
    del inputs["threads"], inputs["scenario"]["name"], inputs["scenario"]["description"]
    inputs["model_version"] = MODEL_VERSION
    return inputs, spec.key()
