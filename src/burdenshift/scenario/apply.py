"""Check a scenario against the World and apply its overrides: the World a run actually uses."""

from __future__ import annotations

from burdenshift.domain.checks import (
    check_all,
    check_lines,
    check_references,
    check_shares,
    check_weights,
)
from burdenshift.domain.figures import field_spec
from burdenshift.domain.reader import FILE_SET, with_requirement_file
from burdenshift.domain.world import (
    RATIO_TO_RUSSIA,
    TODAY,
    World,
    build_world,
    override_figures,
)
from burdenshift.errors import InputError
from burdenshift.scenario.schema import Scenario
from burdenshift.yamltext import line_of


def check_scenario(world: World, scenario: Scenario) -> None:
    """Names in the scenario exist in the World; years fit the data."""
    if scenario.horizon[0] != world.base_year:
        raise InputError(
            f"the horizon starts in {scenario.horizon[0]}, not in the data's base year "
            f"{world.base_year}",
            field="horizon",
            fix=f"start the horizon in {world.base_year} (holdings are counted in that year)",
        )

    def known(
        names: object, labels: tuple[str, ...], field: str, what: str, keyed: bool = True
    ) -> None:
        """`keyed`: the names are keys of a mapping (the field path goes on to the key)."""
        for name in names:  # type: ignore[attr-defined]
            if name not in labels:
                raise InputError(
                    f"unknown {what} '{name}'",
                    field=f"{field}.{name}" if keyed else field,
                    fix=f"use one of: {', '.join(labels)}",
                )

    points = {f"budget.pct_gdp.{y}": y for y in scenario.budget.pct_gdp} | {
        f"budget.by_ally.{a}.{y}": y for a, pts in scenario.budget.by_ally.items() for y in pts
    }
    for field, y in points.items():
        if not world.base_year < y <= 2100:
            raise InputError(
                f"a spending point in {y} is not after the base year {world.base_year}",
                field=field,
                fix=f"give points for years after {world.base_year} (today's figure is the start)",
            )
    known(scenario.target_share_by_area, world.areas, "target_share_by_area", "area")
    known(scenario.requirement_growth_by_area, world.areas, "requirement_growth_by_area", "area")
    known(scenario.us_drawdown.by_area, world.areas, "us_drawdown.by_area", "area")
    known(scenario.budget.by_ally, world.allies, "budget.by_ally", "ally")
    known(scenario.ukraine_support.by_system, world.systems, "ukraine_support.by_system", "system")
    known(scenario.force_ratio_by_metric, world.metrics, "force_ratio_by_metric", "metric")
    if scenario.requirement is not None and not scenario.requirement_is_file:
        known(
            [scenario.requirement],
            requirement_choices(world),
            "requirement",
            "requirement set",
            False,
        )
    for i, rule in enumerate(scenario.export.closed_routes):
        if rule.line is not None:
            known([rule.line], world.lines, f"export.closed_routes.{i}.line", "line", False)
        if rule.from_country is not None:
            known(
                [rule.from_country],
                world.allies,
                f"export.closed_routes.{i}.from_country",
                "ally",
                False,
            )
        if rule.to != "all":
            known(rule.to, world.allies, f"export.closed_routes.{i}.to", "ally", False)


def _with_requirement_file(world: World, scenario: Scenario) -> World:
    """The World with the scenario's requirements CSV as the set `file`."""
    if scenario._requirement_file is None:
        raise InputError(
            f"'{scenario.requirement}' names a file, which only a scenario file on disk may do",
            field="requirement",
            fix=f"name a requirement set: {', '.join(requirement_choices(world))}",
        )
    assert world.raw is not None, "a World built by build_world keeps its data"
    path, text = scenario._requirement_file
    raw = with_requirement_file(world.raw, path, text)
    problems = check_all(raw)
    if problems:
        first = problems[0]
        if FILE_SET in first.problem:
            raise InputError(first.problem, file=path, field="quantity", fix=first.fix)
        raise first
    return build_world(raw)


def requirement_choices(world: World) -> tuple[str, ...]:
    """The sets a scenario may name: the data's, then the computed ones."""
    return (*world.requirement_sets, RATIO_TO_RUSSIA, TODAY)


def applied_world(world: World, scenario: Scenario) -> World:
    """The World with the scenario's overrides; unchanged when there are none. A problem names
    the scenario file and line when the scenario came from one."""
    try:
        return _applied(world, scenario)
    except InputError as exc:
        raise located(exc, scenario) from None


def located(exc: InputError, scenario: Scenario) -> InputError:
    """The error with the scenario's file and the line of its field, where known."""
    source = scenario._source
    if source is None or exc.file is not None:
        return exc
    file, root = source
    loc = [int(p) if p.isdigit() else p for p in (exc.field or "").split(".") if p]
    return InputError(exc.problem, file=file, line=line_of(root, loc), field=exc.field, fix=exc.fix)


def _applied(world: World, scenario: Scenario) -> World:
    check_scenario(world, scenario)
    if scenario.requirement_is_file:
        world = _with_requirement_file(world, scenario)
    if not scenario.overrides:
        return world
    raw = world.raw
    assert raw is not None, "a World built by build_world keeps its data"
    overrides: dict[tuple[str, str, str], float] = {}
    for i, o in enumerate(scenario.overrides):
        where = f"overrides.{i}"
        spec = field_spec(o.table, o.field, o.key)
        if spec is None:
            raise InputError(
                f"'{o.field}' is not a field of table '{o.table}'",
                field=f"{where}.field",
                fix="name a table and field as listed by `burdenshift data sources`",
            )
        if (o.table, o.key, o.field) == ("parameters.csv", "base_year", "value"):
            raise InputError(
                "the base year cannot be overridden: it is the year the holdings are counted in",
                field=f"{where}.key",
                fix="use a data folder whose holdings are counted in that year (--data)",
            )
        bad = spec.problem(o.value)
        if bad is not None:
            raise InputError(bad[0], field=f"{where}.value", fix=bad[1])
        if (o.table, o.key, o.field) in overrides:
            raise InputError(
                f"overrides {o.table} {o.key} {o.field} twice",
                field=where,
                fix="keep one override per figure",
            )
        overrides[o.table, o.key, o.field] = o.value
    changed = override_figures(raw, overrides)
    problems = [
        p
        for check in (check_references, check_weights, check_lines, check_shares)
        for p in check(changed)
    ]
    if problems:
        p = problems[0]
        raise InputError(p.problem, field="overrides", fix=p.fix)
    return build_world(changed)
