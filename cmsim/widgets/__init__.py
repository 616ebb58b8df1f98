"""Notebook faces of cmsim (ipywidgets), imported only when used: ``import cmsim`` does not load them.

``from cmsim.widgets import ManagerGame`` loads the manager game (and ipywidgets) on first use.
``from cmsim.widgets import InsideTheModel`` loads the widget (and ipywidgets, Mesa) on first use.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__all__ = ["GameRoom", "InsideTheModel", "ManagerGame"]

#: Public name -> module that defines it (loaded on first access).
_LAZY: dict[str, str] = {
    "GameRoom": "cmsim.widgets.room",
    "InsideTheModel": "cmsim.widgets.inside",
    "ManagerGame": "cmsim.widgets.game",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'cmsim.widgets' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])
