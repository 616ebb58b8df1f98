"""Calibration: fit a scenario to a community's own data (``cmsim.calibrate``).

Modules, one concept each: :mod:`~cmsim.calibration.data` (reading and checking a manager's CSV,
column names, platform aliases, the data-to-model column table), :mod:`~cmsim.calibration.objective`
(the synthetic likelihood over weekly points), :mod:`~cmsim.calibration.fit` (default parameters,
search ranges, the runs of a trial, the Optuna study), :mod:`~cmsim.calibration.report` (the fit
report) and :mod:`~cmsim.calibration.scenario_out` (the fitted scenario file). Optuna is
imported only when a fit runs. See ``docs/calibration.md``.
"""

from __future__ import annotations

from cmsim.calibration.api import CalibrationResult, calibrate
from cmsim.calibration.data import COLUMNS, PLATFORMS, ObservedData, read_data
from cmsim.calibration.fit import DEFAULT_FIT
from cmsim.calibration.scenario_out import read_provenance

__all__ = ["CalibrationResult", "COLUMNS", "DEFAULT_FIT", "ObservedData", "PLATFORMS", "calibrate",
           "read_data", "read_provenance"]  # fmt: skip
