"""Notebook widgets (ipywidgets), imported lazily: ``import cmsim`` never loads them.

``cmsim.widgets.ManagerGame`` (``game.py``): the manager game.
"""

from __future__ import annotations

import importlib
from typing import Any

#: Public name -> module (relative to this package) that defines it.
_LAZY: dict[str, str] = {"ManagerGame": ".game"}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
