"""Exceptions raised for bad user input. Every message is one line a person can act on."""

from __future__ import annotations

__all__ = ["CmsimError", "ScenarioError", "StrategyError", "SweepError"]


class CmsimError(Exception):
    """Base class of every error cmsim raises about its inputs."""


class ScenarioError(CmsimError, ValueError):
    """A scenario file or override is invalid: names the file, the dotted key, the value and what is allowed."""


class StrategyError(CmsimError, ValueError):
    """A strategy or allocation is invalid: names the day, the lever and the values."""


class SweepError(CmsimError, ValueError):
    """A sweep spec, or the output folder of a sweep, is invalid: names the file, the key, the value and what is allowed."""
