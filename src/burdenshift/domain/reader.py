"""Read a data folder: definition YAML and figure CSV files (the only module that opens them)."""

from __future__ import annotations

import csv
import hashlib
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from burdenshift.domain.entities import DEFINITION_FILES, OPTIONAL_FILES
from burdenshift.domain.figures import COLUMNS, CONFIDENCE, TABLES, WEAK, Figure, field_spec
from burdenshift.errors import InputError

DEFAULT_DATA = Path(__file__).resolve().parent.parent / "data"


@dataclass(frozen=True, eq=False)
class RawData:
    """A data folder as read: definitions, figures, the problems found, and a hash of the bytes."""

    folder: Path
    definitions: dict[str, BaseModel]
    figures: tuple[Figure, ...]
    problems: tuple[InputError, ...]
    data_hash: str


def read_folder(folder: Path | str | None = None) -> RawData:
    """Read every file of a data folder, collecting problems instead of stopping at the first."""
    root = Path(folder) if folder is not None else DEFAULT_DATA
    if not root.is_dir():
        raise InputError(
            "the data folder does not exist",
            file=str(root),
            fix="give the path of a folder holding the files listed in docs/data.md",
        )
    digest = hashlib.sha256()
    problems: list[InputError] = []
    definitions: dict[str, BaseModel] = {}
    for name, schema in DEFINITION_FILES.items():
        path = root / name
        if name in OPTIONAL_FILES and not path.exists():
            continue
        text = _read_text(path, problems)
        if text is None:
            continue
        digest.update(name.encode() + text.encode())
        model = _parse_definition(path, text, schema, problems)
        if model is not None:
            definitions[name] = model
    figures: list[Figure] = []
    for name in TABLES:
        path = root / name
        text = _read_text(path, problems)
        if text is None:
            continue
        digest.update(name.encode() + text.encode())
        figures.extend(_parse_table(path, text, problems))
    return RawData(root, definitions, tuple(figures), tuple(problems), digest.hexdigest()[:16])


def _read_text(path: Path, problems: list[InputError]) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        problems.append(
            InputError("the file is missing", file=str(path), fix="add it (see docs/data.md)")
        )
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(
            InputError(f"cannot be read ({exc})", file=str(path), fix="save it as UTF-8")
        )
    return None


def _parse_definition(
    path: Path, text: str, schema: type[BaseModel], problems: list[InputError]
) -> BaseModel | None:
    try:
        raw: Any = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problems.append(
            InputError(
                f"is not valid YAML ({getattr(exc, 'problem', exc)})",
                file=str(path),
                line=mark.line + 1 if mark else None,
                fix="check indentation, colons and quotes near that line",
            )
        )
        return None
    try:
        return schema.model_validate(raw)
    except ValidationError as exc:
        for err in exc.errors()[:5]:
            problems.append(
                InputError(
                    err["msg"].rstrip("."),
                    file=str(path),
                    field=".".join(str(p) for p in err["loc"]),
                    fix="follow the layout in docs/data.md (unknown keys are not allowed)",
                )
            )
        return None


def _parse_table(path: Path, text: str, problems: list[InputError]) -> list[Figure]:
    reader = csv.reader(text.splitlines())
    header = next(reader, None)
    if header is None or tuple(h.strip() for h in header) != COLUMNS:
        problems.append(
            InputError(
                f"the header is {header!r}",
                file=str(path),
                line=1,
                fix=f"use exactly the columns {','.join(COLUMNS)}",
            )
        )
        return []
    table = path.name
    out: list[Figure] = []
    seen: dict[tuple[str, str], int] = {}
    for lineno, row in enumerate(reader, start=2):
        if not row or all(not c.strip() for c in row):
            continue
        where = {"file": str(path), "line": lineno}
        if len(row) != len(COLUMNS):
            problems.append(
                InputError(
                    f"has {len(row)} columns, expected {len(COLUMNS)}",
                    **where,
                    fix="quote any value that contains a comma",
                )
            )
            continue
        key, field, value, unit, year, source, confidence, note = (c.strip() for c in row)
        figure = _check_row(table, key, field, value, unit, year, source, confidence, note, where)
        if isinstance(figure, InputError):
            problems.append(figure)
            continue
        if (key, field) in seen:
            problems.append(
                InputError(
                    f"duplicates the figure {key} / {field} of line {seen[key, field]}",
                    **where,
                    field=field,
                    fix="keep one row per key and field (one vintage per figure)",
                )
            )
            continue
        seen[key, field] = lineno
        out.append(figure)
    return out


def _check_row(
    table: str,
    key: str,
    field: str,
    value: str,
    unit: str,
    year: str,
    source: str,
    confidence: str,
    note: str,
    where: dict[str, Any],
) -> Figure | InputError:
    spec = field_spec(table, field, key)
    if spec is None:
        return InputError(
            f"'{field}' is not a field of {table} (key '{key}')",
            **where,
            field="field",
            fix="use one of the fields listed for this table in docs/data.md",
        )
    try:
        number = float(value)
    except ValueError:
        return InputError(
            f"value '{value}' is not a number", **where, field=field, fix="write a plain decimal"
        )
    if not math.isfinite(number) or number < 0:
        return InputError(
            f"value {value} is negative or not finite",
            **where,
            field=field,
            fix="figures are non-negative quantities; correct the sign",
        )
    if spec.upper is not None and number > spec.upper:
        hint = "a share is a fraction between 0 and 1" if spec.unit == "share" else "check it"
        return InputError(
            f"value {value} is above the allowed maximum {spec.upper:g}",
            **where,
            field=field,
            fix=hint,
        )
    if spec.unit != "*" and unit != spec.unit:
        return InputError(
            f"unit '{unit}' is wrong for this field",
            **where,
            field=field,
            fix=f"convert the figure to '{spec.unit}' and write that unit",
        )
    try:
        year_int = int(year)
    except ValueError:
        return InputError(
            f"year '{year}' is not a year", **where, field=field, fix="write the year as e.g. 2026"
        )
    if not source:
        return InputError(
            "the figure has no source",
            **where,
            field=field,
            fix="give the URL or document it comes from (or label it an assumption and say why)",
        )
    if confidence not in CONFIDENCE:
        return InputError(
            f"confidence '{confidence}' is not one of {', '.join(CONFIDENCE)}",
            **where,
            field=field,
            fix="label the figure high, medium, low or assumption",
        )
    if confidence in WEAK and not note:
        return InputError(
            f"a {confidence}-confidence figure has no note",
            **where,
            field=field,
            fix="explain in the note how it was derived or why the assumption is reasonable",
        )
    return Figure(
        table, key, field, number, unit, year_int, source, confidence, note, where["line"]
    )
