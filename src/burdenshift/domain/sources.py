"""Which figures stand behind an area: for `data sources --area`."""

from __future__ import annotations

from burdenshift.domain.figures import INPUT_USE_PREFIX, Figure
from burdenshift.domain.world import World
from burdenshift.errors import InputError


def figures_for_area(world: World, area: str | None) -> list[Figure]:
    """All figures, or those of an area: its weights, systems, holdings, lines and their inputs."""
    if area is None:
        return list(world.figures)
    if area not in world.areas:
        raise InputError(
            f"unknown area '{area}'", field="--area", fix=f"use one of: {', '.join(world.areas)}"
        )
    a = world.areas.index(area)
    systems = {s for i, s in enumerate(world.systems) if world.system_area[i] == a}
    lines = {
        ln for i, ln in enumerate(world.lines) if world.systems[world.line_system[i]] in systems
    }
    inputs = {
        f.field.removeprefix(INPUT_USE_PREFIX)
        for f in world.figures
        if f.table == "lines.csv" and f.key in lines and f.field.startswith(INPUT_USE_PREFIX)
    }

    def keep(f: Figure) -> bool:
        match f.table:
            case "areas.csv":
                return f.key.split(":")[0] == area
            case "systems.csv":
                return f.key in systems
            case "holdings.csv":
                return f.key.split(":")[1] in systems
            case "lines.csv":
                return f.key in lines
            case "inputs.csv":
                return f.key in inputs
        return False

    return [f for f in world.figures if keep(f)]
