"""Read scenario files and check them against the World; errors point at the file line."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from burdenshift.errors import InputError, from_validation
from burdenshift.scenario.schema import Scenario
from burdenshift.yamltext import read_yaml

LIBRARY = Path(__file__).resolve().parent / "library"


def library() -> dict[str, Path]:
    """The shipped scenarios by name."""
    return {p.stem: p for p in sorted(LIBRARY.glob("*.yaml"))}


DEFAULT = "baseline-2027-blunt"


def shipped_text(name: str, field: str = "scenario") -> str:
    """A shipped scenario's YAML, by name only: what a web request may name (it never opens a
    path). `field` is the request field that named it."""
    shipped = library()
    if name not in shipped:
        upload = ", or upload the scenario's text as 'yaml'" if field == "scenario" else ""
        raise InputError(
            f"no shipped scenario named '{name}'",
            field=field,
            fix=f"use one of: {', '.join(shipped)}{upload}",
        )
    return shipped[name].read_text(encoding="utf-8")


def shipped_scenario(name: str, field: str = "scenario") -> Scenario:
    """A shipped scenario by name only (see `shipped_text`)."""
    return parse_scenario(shipped_text(name, field), name)


def with_deadline(sc: Scenario, deadline: int | None, field: str = "deadline") -> Scenario:
    """The scenario with its deadline overridden (`--deadline`, the API's `deadline=`), checked
    against its horizon; `field` names the option in the error."""
    if deadline is None:
        return sc
    try:
        return Scenario.model_validate({**sc.model_dump(), "deadline": deadline})
    except ValidationError as exc:
        raise InputError(
            exc.errors()[0]["msg"].removeprefix("Value error, "),
            field=field,
            fix=f"choose a deadline inside the horizon {sc.horizon[0] + 1}–{sc.horizon[1]}",
        ) from None


def load_scenario(path_or_name: str | Path | None = None) -> Scenario:
    """A scenario from a shipped name or a YAML path; None gives the 2027 blunt baseline."""
    if path_or_name is None:
        path_or_name = DEFAULT
    shipped = library()
    path = shipped.get(str(path_or_name), Path(path_or_name))
    if not path.is_file():
        raise InputError(
            f"no scenario named '{path_or_name}'",
            file=str(path_or_name),
            fix=f"give a YAML file path or one of the shipped scenarios: {', '.join(shipped)}",
        )
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(
            f"cannot be read ({exc})", file=str(path), fix="save it as UTF-8"
        ) from None
    scenario = parse_scenario(text, str(path))
    if scenario.requirement_is_file:
        scenario._requirement_file = _requirement_text(scenario, path)
    return scenario


def _requirement_text(scenario: Scenario, scenario_path: Path) -> tuple[str, str]:
    """The requirements CSV a scenario file names, relative to the scenario file."""
    assert scenario.requirement is not None
    path = scenario_path.parent / scenario.requirement
    try:
        return str(path), path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(
            f"the requirement file '{scenario.requirement}' cannot be read "
            f"({exc.__class__.__name__})",
            file=str(scenario_path),
            field="requirement",
            fix="give the path of a CSV file (relative to the scenario file) with rows "
            "area:metric,quantity,<value>,cu,<year>,<source>,<confidence>,<note>, "
            "or a set name such as nato-2025",
        ) from None


def parse_scenario(text: str, file: str = "<scenario>") -> Scenario:
    """A scenario from YAML text (an upload, or a file's contents); never touches a file."""
    doc = read_yaml(text, file)
    raw, root = doc.data, doc.root
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise InputError(
            "is not a mapping of scenario fields",
            file=file,
            fix="write fields such as 'deadline: 2027' at the top level",
        )
    try:
        scenario = Scenario.model_validate(raw)
    except ValidationError as exc:
        raise from_validation(exc, file, root) from None
    scenario._source = (file, root)
    return scenario
