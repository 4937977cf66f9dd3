"""burdenshift: can Europe's NATO allies carry the majority of each conventional capability by
the US deadline — and if not, when, held back by what?

Public API: `load_world`, `load_scenario`, `assess`, `simulate`.
"""

from __future__ import annotations

from typing import Any

__all__ = ["assess", "load_scenario", "load_world", "simulate"]


def __getattr__(name: str) -> Any:
    # lazy, so that `burdenshift --help` does not pay for numpy and pydantic
    if name in __all__:
        from burdenshift import api

        return getattr(api, name)
    raise AttributeError(name)
