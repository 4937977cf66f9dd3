"""Semantic checks across files, apart from the per-row checks of the reader.

Each `check_*` returns the problems it finds, so `data validate` can list them all at once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from burdenshift.dims import EUROPE_AGGREGATE, US
from burdenshift.domain.entities import AlliesFile, AreasFile, LinesFile, SystemsFile
from burdenshift.domain.figures import INPUT_USE_PREFIX, PARAMETERS, TABLES, Figure
from burdenshift.domain.reader import RawData
from burdenshift.errors import InputError


def _err(f: Figure, folder: str, problem: str, fix: str) -> InputError:
    return InputError(problem, file=f"{folder}/{f.table}", line=f.line, field=f.field, fix=fix)


def check_definitions(raw: RawData) -> list[InputError]:
    """Systems name real areas and metrics; lines name real systems and allies."""
    d = raw.definitions
    allies, areas = d.get("allies.yaml"), d.get("areas.yaml")
    systems, lines = d.get("systems.yaml"), d.get("lines.yaml")
    folder = str(raw.folder)
    out: list[InputError] = []
    if isinstance(allies, AlliesFile) and US not in allies.allies:
        out.append(
            InputError(
                "the United States is missing",
                file=f"{folder}/allies.yaml",
                field="allies.USA",
                fix="add USA: the US contribution is measured against it",
            )
        )
    if isinstance(systems, SystemsFile) and isinstance(areas, AreasFile):
        for sid, s in systems.systems.items():
            area = areas.areas.get(s.area)
            if area is None or s.metric not in area.metrics:
                out.append(
                    InputError(
                        f"system '{sid}' counts toward unknown area/metric {s.area}/{s.metric}",
                        file=f"{folder}/systems.yaml",
                        field=f"systems.{sid}",
                        fix=f"use an area and metric defined in areas.yaml "
                        f"(areas: {', '.join(areas.areas)})",
                    )
                )
    if isinstance(lines, LinesFile):
        for lid, line in lines.lines.items():
            if isinstance(systems, SystemsFile) and line.system not in systems.systems:
                out.append(
                    InputError(
                        f"line '{lid}' produces unknown system '{line.system}'",
                        file=f"{folder}/lines.yaml",
                        field=f"lines.{lid}.system",
                        fix="use a system id from systems.yaml",
                    )
                )
            if isinstance(allies, AlliesFile) and line.country not in allies.allies:
                out.append(
                    InputError(
                        f"line '{lid}' is in unknown ally '{line.country}'",
                        file=f"{folder}/lines.yaml",
                        field=f"lines.{lid}.country",
                        fix="use an ally code (ISO 3166 alpha-3) from allies.yaml",
                    )
                )
    return out


def _keys(raw: RawData) -> dict[str, set[str]]:
    """The keys each figure table may use, from the definitions."""
    d = raw.definitions
    allies = set(getattr(d.get("allies.yaml"), "allies", {}))
    areas_file = d.get("areas.yaml")
    areas = getattr(areas_file, "areas", {})
    systems = set(getattr(d.get("systems.yaml"), "systems", {}))
    lines = set(getattr(d.get("lines.yaml"), "lines", {}))
    inputs = set(getattr(d.get("inputs.yaml"), "inputs", {}))
    metrics = {f"{a}:{m}" for a, area in areas.items() for m in area.metrics}
    holders = (allies | {EUROPE_AGGREGATE}) - {""}
    return {
        "allies.csv": allies,
        "areas.csv": set(areas) | metrics,
        "systems.csv": systems,
        "holdings.csv": {f"{h}:{s}" for h in holders for s in systems},
        "lines.csv": lines,
        "inputs.csv": inputs,
        "parameters.csv": set(PARAMETERS),
    }


def check_references(raw: RawData) -> list[InputError]:
    """Every figure's key names something defined; input uses name defined inputs."""
    keys = _keys(raw)
    inputs = set(getattr(raw.definitions.get("inputs.yaml"), "inputs", {}))
    folder = str(raw.folder)
    out = []
    for f in raw.figures:
        if f.key not in keys[f.table]:
            kind = {"holdings.csv": "holder:system"}.get(f.table, "key")
            out.append(
                _err(
                    f,
                    folder,
                    f"unknown {kind} '{f.key}'",
                    "use codes and ids defined in the YAML files (holders: ally codes, USA, EUR)",
                )
            )
        elif (
            f.field.startswith(INPUT_USE_PREFIX) and f.field[len(INPUT_USE_PREFIX) :] not in inputs
        ):
            out.append(_err(f, folder, "unknown critical input", "use an input from inputs.yaml"))
    return out


def check_required(raw: RawData) -> list[InputError]:
    """Each entity has every required figure."""
    have: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for f in raw.figures:
        have[f.table].add((f.key, f.field))
    keys = _keys(raw)
    folder = str(raw.folder)
    out = []
    entity_keys: dict[str, Iterable[str]] = {
        "allies.csv": keys["allies.csv"],
        "systems.csv": keys["systems.csv"],
        "lines.csv": keys["lines.csv"],
        "inputs.csv": keys["inputs.csv"],
    }
    areas = getattr(raw.definitions.get("areas.yaml"), "areas", {})
    for table, entities in entity_keys.items():
        for key in sorted(entities):
            for field, spec in TABLES[table].items():
                if spec.required and (key, field) not in have[table]:
                    out.append(
                        InputError(
                            f"'{key}' has no figure '{field}'",
                            file=f"{folder}/{table}",
                            field=field,
                            fix=f"add a row {key},{field},<value>,{spec.unit},<year>,<source>,...",
                        )
                    )
    for area_id, area in areas.items():
        for field in ("integration_penalty", "us_floor_share"):
            if (area_id, field) not in have["areas.csv"]:
                out.append(
                    InputError(
                        f"area '{area_id}' has no figure '{field}'",
                        file=f"{folder}/areas.csv",
                        field=field,
                        fix=f"add a row {area_id},{field},<value>,share,...",
                    )
                )
        for m in area.metrics:
            if (f"{area_id}:{m}", "weight") not in have["areas.csv"]:
                out.append(
                    InputError(
                        f"metric '{area_id}:{m}' has no weight",
                        file=f"{folder}/areas.csv",
                        field="weight",
                        fix=f"add a row {area_id}:{m},weight,<share>,share,...",
                    )
                )
    for name in PARAMETERS:
        if (name, "value") not in have["parameters.csv"]:
            out.append(
                InputError(
                    f"parameter '{name}' is missing",
                    file=f"{folder}/parameters.csv",
                    field=name,
                    fix=f"add a row {name},value,<value>,{PARAMETERS[name].unit},...",
                )
            )
    return out


def check_weights(raw: RawData) -> list[InputError]:
    """The metric weights of each area sum to one."""
    totals: dict[str, float] = defaultdict(float)
    for f in raw.figures:
        if f.table == "areas.csv" and f.field == "weight":
            totals[f.key.split(":")[0]] += f.value
    return [
        InputError(
            f"the metric weights of area '{area}' sum to {total:.3f}",
            file=f"{raw.folder}/areas.csv",
            field="weight",
            fix="make the weights of one area's metrics sum to 1",
        )
        for area, total in totals.items()
        if abs(total - 1.0) > 1e-6
    ]


def check_lines(raw: RawData) -> list[InputError]:
    """Today's and the planned capacity never exceed the ceiling; a planned capacity comes with
    a year after the base year, and a year with a capacity."""
    of = {(f.key, f.field): f for f in raw.figures if f.table == "lines.csv"}
    base = next(
        (f.value for f in raw.figures if f.table == "parameters.csv" and f.key == "base_year"), None
    )
    out = []
    folder = str(raw.folder)
    for (key, field), f in of.items():
        if field != "capacity_ceiling_per_year":
            continue
        for below, what in (
            ("capacity_per_year", "today's capacity"),
            ("planned_capacity_per_year", "the planned capacity"),
        ):
            other = of.get((key, below))
            if other is not None and f.value < other.value:
                out.append(
                    _err(
                        f,
                        folder,
                        f"line '{key}' has a ceiling ({f.value:g}) below {what} ({other.value:g})",
                        f"raise the ceiling to at least {what}",
                    )
                )
    for (key, field), f in of.items():
        if field == "planned_capacity_per_year" and (key, "planned_capacity_year") not in of:
            out.append(
                _err(
                    f,
                    folder,
                    f"line '{key}' has a planned capacity but no year",
                    "add a planned_capacity_year row for the line",
                )
            )
        if field == "planned_capacity_year":
            if (key, "planned_capacity_per_year") not in of:
                out.append(
                    _err(
                        f,
                        folder,
                        f"line '{key}' has a planned capacity year but no capacity",
                        "add a planned_capacity_per_year row for the line",
                    )
                )
            elif base is not None and f.value <= base:
                out.append(
                    _err(
                        f,
                        folder,
                        f"planned capacity year {f.value:g} is not after the base year {base:g}",
                        "give today's output as capacity_per_year instead",
                    )
                )
    return out


def check_all(raw: RawData) -> list[InputError]:
    """Every problem in a data folder: per-row problems first, then cross-file ones."""
    problems = list(raw.problems)
    if len(set(raw.definitions) - {"uncertainty.yaml"}) < 5:
        return problems
    for check in (check_definitions, check_references, check_required, check_weights, check_lines):
        problems.extend(check(raw))
    return problems
