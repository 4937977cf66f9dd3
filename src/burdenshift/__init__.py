"""burdenshift: can Europe's NATO allies carry the majority of each conventional capability by
the US deadline — and if not, when, held back by what?

Public API (`burdenshift.api`): `load_world`, `load_scenario`, the engines `assess`, `simulate`,
`plan`, `risk`, `sensitivity`, `sweep` and `threat`, the queries `time_to_stock`,
`cost_of_list`, `spending_needed`, `weakest`, `sources`, `scenarios`, `compare` and `validate`,
and the run store `open_store`.
"""

from __future__ import annotations

import importlib
import types
from typing import Any

__all__ = [
    "assess",
    "compare",
    "cost_of_list",
    "load_scenario",
    "load_world",
    "open_store",
    "plan",
    "risk",
    "scenarios",
    "sensitivity",
    "simulate",
    "sources",
    "spending_needed",
    "sweep",
    "threat",
    "time_to_stock",
    "validate",
    "weakest",
]


def __getattr__(name: str) -> Any:
    # lazy, so that `burdenshift --help` does not pay for numpy and pydantic
    if name in __all__:
        from burdenshift import api

        return getattr(api, name)
    raise AttributeError(name)


class _SweepPackage(types.ModuleType):
    """`burdenshift.sweep` is the sweep subpackage and, called, the API's `sweep`: importing the
    subpackage would otherwise replace the function on this package by the module."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from burdenshift.api import sweep

        return sweep(*args, **kwargs)


importlib.import_module("burdenshift.sweep").__class__ = _SweepPackage
