"""Semantic checks across files, apart from the per-row checks of the reader.

Each `check_*` returns the problems it finds, so `data validate` can list them all at once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from burdenshift.dims import EUROPE_AGGREGATE, US
from burdenshift.domain.entities import (
    OPTIONAL_FILES,
    AlliesFile,
    AreasFile,
    GreenfieldFile,
    LinesFile,
    RequirementsFile,
    SystemsFile,
)
from burdenshift.domain.figures import INPUT_USE_PREFIX, PARAMETERS, TABLES, Figure
from burdenshift.domain.reader import RawData, show
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
    if isinstance(allies, AlliesFile) and EUROPE_AGGREGATE in allies.allies:
        out.append(
            InputError(
                f"'{EUROPE_AGGREGATE}' is not an ally code: it is the holder of European "
                "holdings known only as an aggregate",
                file=f"{folder}/allies.yaml",
                field=f"allies.{EUROPE_AGGREGATE}",
                fix="use the ISO 3166 alpha-3 codes of the allies",
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
    greenfield = d.get("greenfield.yaml")
    if isinstance(greenfield, GreenfieldFile):
        for fid, fam in greenfield.families.items():
            if isinstance(systems, SystemsFile) and fam.system not in systems.systems:
                out.append(
                    InputError(
                        f"greenfield family '{fid}' makes unknown system '{fam.system}'",
                        file=f"{folder}/greenfield.yaml",
                        field=f"families.{fid}.system",
                        fix="use a system id from systems.yaml",
                    )
                )
            unknown = [
                h for h in fam.hosts if isinstance(allies, AlliesFile) and h not in allies.allies
            ]
            if unknown:
                out.append(
                    InputError(
                        f"greenfield family '{fid}' names unknown host '{unknown[0]}'",
                        file=f"{folder}/greenfield.yaml",
                        field=f"families.{fid}.hosts",
                        fix="use ally codes (ISO 3166 alpha-3) from allies.yaml",
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
    sets = set(getattr(d.get("requirements.yaml"), "sets", {}))
    return {
        "requirements.csv": sets | {f"{s}:{m}" for s in sets for m in metrics},
        "expenditure.csv": metrics,
        "readiness.csv": systems | {f"{h}:{s}" for h in allies for s in systems},
        "threat.csv": metrics,
        "ukraine.csv": systems,
        "greenfield.csv": set(getattr(d.get("greenfield.yaml"), "families", {})),
        "delivery.csv": systems | {f"{s}:{h}" for s in systems for h in allies},
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
            kind = {
                "holdings.csv": "holder:system",
                "requirements.csv": "set or set:area:metric",
                "readiness.csv": "system or holder:system",
                "expenditure.csv": "area:metric",
                "threat.csv": "area:metric",
                "greenfield.csv": "greenfield family (greenfield.yaml)",
                "delivery.csv": "system or system:seller",
            }.get(f.table, "key")
            out.append(
                _err(
                    f,
                    folder,
                    f"unknown {kind} '{show(f.key)}'",
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
        "greenfield.csv": keys["greenfield.csv"],
    }
    areas = getattr(raw.definitions.get("areas.yaml"), "areas", {})

    def missing(table: str, key: str, field: str) -> bool:
        """Missing and not already reported: the file was read, and the row was not refused."""
        return (
            table not in raw.unread
            and (key, field) not in have[table]
            and (table, key, field) not in raw.rejected
        )

    for table, entities in entity_keys.items():
        for key in sorted(entities):
            for field, spec in TABLES[table].items():
                if spec.required and missing(table, key, field):
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
            if missing("areas.csv", area_id, field):
                out.append(
                    InputError(
                        f"area '{area_id}' has no figure '{field}'",
                        file=f"{folder}/areas.csv",
                        field=field,
                        fix=f"add a row {area_id},{field},<value>,share,...",
                    )
                )
        for m in area.metrics:
            if missing("areas.csv", f"{area_id}:{m}", "weight"):
                out.append(
                    InputError(
                        f"metric '{area_id}:{m}' has no weight",
                        file=f"{folder}/areas.csv",
                        field="weight",
                        fix=f"add a row {area_id}:{m},weight,<share>,share,...",
                    )
                )
    for name in PARAMETERS:
        if PARAMETERS[name].required and missing("parameters.csv", name, "value"):
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
    """The metric weights of each area sum to one (areas with a refused weight row are left to
    that row's problem)."""
    if "areas.csv" in raw.unread:
        return []
    refused = {k.split(":")[0] for t, k, f in raw.rejected if t == "areas.csv" and f == "weight"}
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
        if abs(total - 1.0) > 1e-6 and area not in refused
    ]


def check_lines(raw: RawData) -> list[InputError]:
    """Today's and the planned capacity never exceed the ceiling; a planned capacity comes with
    a year after the base year, and a year with a capacity."""
    of = {(f.key, f.field): f for f in raw.figures if f.table == "lines.csv"}
    refused = {(k, f) for t, k, f in raw.rejected if t == "lines.csv"}
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
        year_row = (key, "planned_capacity_year")
        if field == "planned_capacity_per_year" and year_row not in of and year_row not in refused:
            out.append(
                _err(
                    f,
                    folder,
                    f"line '{key}' has a planned capacity but no year",
                    "add a planned_capacity_year row for the line",
                )
            )
        if field == "planned_capacity_year":
            if (key, "planned_capacity_per_year") in refused:
                pass
            elif (key, "planned_capacity_per_year") not in of:
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


def check_shares(raw: RawData) -> list[InputError]:
    """The figures make every share meaningful.

    The engines count a metric with no requirement as covered (engine/counting.py, `coverage`),
    and the requirement is what Europe holds plus what the US contributes today: a metric that
    nobody holds would read 100 % whatever happens. Burden shares divide by Europe's GDP and
    defence spending, and the `EUR` aggregate is spread by equipment spending. So: some holding
    is positive, each weighted metric is held by a European ally, `EUR` or the US, and Europe
    spends on defence. Metrics whose figures were refused or are missing are left to those
    problems.
    """
    d = raw.definitions
    allies_f, areas_f, systems_f = d.get("allies.yaml"), d.get("areas.yaml"), d.get("systems.yaml")
    if not (
        isinstance(allies_f, AlliesFile)
        and isinstance(areas_f, AreasFile)
        and isinstance(systems_f, SystemsFile)
    ):
        return []
    folder = str(raw.folder)
    value = {(f.table, f.key, f.field): f.value for f in raw.figures}
    refused = {(t, k) for t, k, _ in raw.rejected}
    out: list[InputError] = []
    europe = [a for a, ally in allies_f.allies.items() if ally.region == "europe"]

    money: float | None = 0.0
    equipment: float | None = 0.0
    for a in europe:
        gdp = value.get(("allies.csv", a, "gdp_usd_bn"))
        pct = value.get(("allies.csv", a, "defence_pct_gdp"))
        eq = value.get(("allies.csv", a, "equipment_share"))
        if gdp is None or pct is None or eq is None or money is None or equipment is None:
            money = equipment = None  # missing or refused: reported by its own check
            break
        money += gdp * pct
        equipment += gdp * pct * eq
    if money is not None and europe and money <= 0:
        out.append(
            InputError(
                "no European ally spends anything on defence: Europe's burden shares would "
                "divide by zero",
                file=f"{folder}/allies.csv",
                field="defence_pct_gdp",
                fix="give the European allies' defence spending in % of GDP (NATO's figures)",
            )
        )

    if "holdings.csv" in raw.unread or "systems.csv" in raw.unread:
        return out
    holdings = [f for f in raw.figures if f.table == "holdings.csv" and f.field == "quantity"]
    if not any(f.value > 0 for f in holdings) and not any(t == "holdings.csv" for t, _ in refused):
        out.append(
            InputError(
                f"no holding has a positive quantity ({len(holdings)} rows): with nothing held "
                "the requirement is zero and every area would read 100 %",
                file=f"{folder}/holdings.csv",
                field="quantity",
                fix="give what each ally holds today and what the US contributes (holder USA), "
                "one row per holder:system",
            )
        )
        return out
    metrics = {f"{a}:{m}": (a, m) for a, area in areas_f.areas.items() for m in area.metrics}
    held = dict.fromkeys(metrics, 0.0)
    unknown: set[str] = set()
    counted = {*europe, US} | ({EUROPE_AGGREGATE} if equipment else set())
    for sid, s in systems_f.systems.items():
        metric = f"{s.area}:{s.metric}"
        if metric not in held:
            continue  # reported by check_definitions
        if ("systems.csv", sid, "value_per_unit") not in value:
            unknown.add(metric)
    for f in holdings:
        holder, _, sid = f.key.partition(":")
        s = systems_f.systems.get(sid)
        if s is None or holder not in counted:
            continue
        metric = f"{s.area}:{s.metric}"
        per_item = value.get(("systems.csv", sid, "value_per_unit"))
        if metric in held and per_item is not None:
            held[metric] += f.value * per_item
    for t, k in refused:
        if t == "holdings.csv":
            s = systems_f.systems.get(k.partition(":")[2])
            if s is not None:
                unknown.add(f"{s.area}:{s.metric}")
    for metric, (a, m) in metrics.items():
        weight = value.get(("areas.csv", metric, "weight"))
        if metric in unknown or weight is None or weight <= 0 or held[metric] > 0:
            continue
        out.append(
            InputError(
                f"area '{a}' ({areas_f.areas[a].name}): nothing in metric '{m}' is held by a "
                "European ally or contributed by the US, so its requirement is zero and "
                "Europe's share of it would read 100 % whatever happens",
                file=f"{folder}/holdings.csv",
                field="quantity",
                fix=f"add holdings of a system that counts toward {metric} (holder: a European "
                "ally, EUR or USA) with a positive value_per_unit in systems.csv, or remove "
                "the metric from areas.yaml",
            )
        )
    return out


def check_requirements(raw: RawData) -> list[InputError]:
    """Every requirement set resolves every metric: its own figure, a campaign, or a fallback."""
    reqs = raw.definitions.get("requirements.yaml")
    if not isinstance(reqs, RequirementsFile):
        return []
    folder = f"{raw.folder}/requirements.yaml"
    areas = getattr(raw.definitions.get("areas.yaml"), "areas", {})
    metrics = [f"{a}:{m}" for a, area in areas.items() for m in area.metrics]
    rows = {(f.table, f.field, f.key) for f in raw.figures}
    given = {k for t, name, k in rows if (t, name) == ("requirements.csv", "quantity")}
    campaign = {k for t, name, k in rows if (t, name) == ("expenditure.csv", "daily_use")}
    out: list[InputError] = []
    if reqs.default not in reqs.sets:
        out.append(
            InputError(
                f"the default set '{reqs.default}' is not defined",
                file=folder,
                field="default",
                fix=f"name one of the sets: {', '.join(reqs.sets)}",
            )
        )
    for sid, rset in reqs.sets.items():
        chain, at = [sid], rset.fallback
        while at is not None and at not in chain:
            chain.append(at)
            nxt = reqs.sets.get(at)
            at = nxt.fallback if nxt is not None else None
        if at is not None or any(c not in reqs.sets for c in chain):
            out.append(
                InputError(
                    f"set '{sid}' falls back to an unknown set or in a circle "
                    f"({' → '.join(chain)})",
                    file=folder,
                    field=f"sets.{sid}.fallback",
                    fix="name a defined set, or null for a set that gives every metric",
                )
            )
            continue
        missing = [
            m for m in metrics if m not in campaign and not any(f"{c}:{m}" in given for c in chain)
        ]
        if missing:
            out.append(
                InputError(
                    f"set '{sid}' gives no requirement for {', '.join(missing[:5])}"
                    + (f" and {len(missing) - 5} more" if len(missing) > 5 else ""),
                    file=f"{raw.folder}/requirements.csv",
                    field="quantity",
                    fix=f"add rows {sid}:<area:metric>,quantity,<value>,cu,... or a fallback set"
                    " (munitions take theirs from a daily_use in expenditure.csv)",
                )
            )
    return out


def check_greenfield(raw: RawData) -> list[InputError]:
    """A greenfield family's smallest plant is no larger than its largest."""
    out = []
    rows = {(f.key, f.field): f for f in raw.figures if f.table == "greenfield.csv"}
    for (key, name), f in rows.items():
        if name != "min_capacity_per_year" or (key, "max_capacity_per_year") not in rows:
            continue
        if f.value > rows[key, "max_capacity_per_year"].value:
            out.append(
                _err(
                    f,
                    str(raw.folder),
                    f"the smallest plant ({f.value:g}) is larger than the largest "
                    f"({rows[key, 'max_capacity_per_year'].value:g})",
                    "give min_capacity_per_year at most max_capacity_per_year",
                )
            )
    return out


def check_all(raw: RawData) -> list[InputError]:
    """Every problem in a data folder: per-row problems first, then cross-file ones."""
    problems = list(raw.problems)
    if len(set(raw.definitions) - OPTIONAL_FILES) < 5:
        return problems
    for check in (
        check_definitions,
        check_references,
        check_required,
        check_weights,
        check_lines,
        check_shares,
        check_requirements,
        check_greenfield,
    ):
        problems.extend(check(raw))
    return problems
