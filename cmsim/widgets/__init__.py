"""The kit's notebook faces (the lab, the manager game), as ipywidgets.

Imported lazily, like :mod:`cmsim.mesa`: ``import cmsim`` never imports this package or
ipywidgets; ``from cmsim.widgets import Name`` imports only the module that defines ``Name``.
Each face lives in one module of this package and calls only the public API (``import cmsim``).
To add one, add its module here and its public names to ``_LAZY``.
"""

from __future__ import annotations

import importlib
from typing import Any

#: Public name -> the module of this package that defines it (imported on first use).
_LAZY: dict[str, str] = {
    "GameRoom": "cmsim.widgets.room",
    "InsideTheModel": "cmsim.widgets.inside",
    "ManagerGame": "cmsim.widgets.game",
    "StrategyLab": "cmsim.widgets.lab",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'cmsim.widgets' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
