"""Multi-run code: many run specs at once, on every core.

- :mod:`cmsim.batch.jobs`: :func:`~cmsim.batch.jobs.run_jobs` runs a list of
  :class:`~cmsim.RunSpec` serially, on threads or on forked processes (the backends), with a
  progress bar; results are identical whichever.
- :mod:`cmsim.batch.ensembles`: :func:`cmsim.ensemble`, one strategy over many seeds.
- :mod:`cmsim.batch.comparison`: :func:`cmsim.compare`, several strategies on the same seeds,
  paired by seed.
- :mod:`cmsim.batch.sweep` (with ``sweep_spec``, ``design``, ``store``, ``runner``, ``report``,
  ``discovery``): :func:`cmsim.sweep`, resumable sweeps over parameters, designs and strategies,
  on local processes or a Dask cluster, into Parquet.

The public names are ``cmsim.ensemble``, ``cmsim.compare``, ``cmsim.Ensemble`` and
``cmsim.Comparison``; the modules here are where they live.
"""

from __future__ import annotations

from cmsim.batch.comparison import Comparison, compare
from cmsim.batch.ensembles import Ensemble, ensemble
from cmsim.batch.jobs import default_workers, run_jobs

__all__ = ["Comparison", "Ensemble", "compare", "default_workers", "ensemble", "run_jobs"]
