"""Exceptions raised for bad user input. Every message is one line a person can act on.

Every error about a user's input is a :class:`CmsimError`; the kinds below also subclass
``ValueError``, so code that catches ``ValueError`` keeps working. The CLI prints a
``CmsimError``'s one line and exits 2.
"""

from __future__ import annotations

__all__ = ["CmsimError", "ArgumentError", "ScenarioError", "StrategyError", "DataError", "SweepError"]


class CmsimError(Exception):
    """Base class of every error cmsim raises about its inputs."""


class ScenarioError(CmsimError, ValueError):
    """A scenario file or override is invalid: names the file, the dotted key, the value and what is allowed."""


class StrategyError(CmsimError, ValueError):
    """A strategy or allocation is invalid: names the day, the lever and the values."""


class ArgumentError(CmsimError, ValueError):
    """A function was called with a bad argument: names the parameter, the value and what is allowed."""


class DataError(CmsimError, ValueError):
    """A community's data file is unusable: names the file, the column, the row and what is allowed."""


class SweepError(CmsimError, ValueError):
    """A sweep spec, or the output folder of a sweep, is invalid: names the file, the key, the value and what is allowed."""
