"""Load and check a data folder into a World."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from burdenshift.domain.checks import check_all
from burdenshift.domain.reader import RawData, read_folder
from burdenshift.domain.world import World, build_world
from burdenshift.errors import InputError


@lru_cache(maxsize=8)
def load_raw(folder: str | None = None) -> RawData:
    """A checked data folder; the first problem is raised, naming how many more there are."""
    raw = read_folder(folder)
    problems = check_all(raw)
    if problems:
        first = problems[0]
        more = len(problems) - 1
        if more:
            first.fix = (first.fix or "") + (
                f" ({more} more problem{'s' if more > 1 else ''}: "
                f"run `burdenshift data validate {raw.folder}` to list them all)"
            )
        raise first
    return raw


def load_world(folder: str | Path | None = None) -> World:
    """The World of a data folder (default: the embedded data)."""
    raw = load_raw(str(folder) if folder is not None else None)
    return _world(raw)


@lru_cache(maxsize=8)
def _world(raw: RawData) -> World:
    return build_world(raw)


__all__ = ["InputError", "load_raw", "load_world"]
