"""Validation: does the model reproduce the published facts of online communities?

- :mod:`cmsim.validation.facts`: the facts (:data:`FACTS`), their bands and
  :func:`check_facts` (what ``cmsim check-facts`` runs).
- :mod:`cmsim.validation.measures`: how each fact is measured in the simulation, one seed at a
  time.

Calibration will join them here.
"""

from __future__ import annotations

from cmsim.validation.facts import FACTS, Criterion, Fact, FactResult, FactsReport, check_facts

__all__ = ["Criterion", "Fact", "FACTS", "FactResult", "FactsReport", "check_facts"]
