"""Read a data folder: definition YAML and figure CSV files (the only module that opens them)."""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from burdenshift.domain.entities import (
    DEFINITION_FILES,
    OPTIONAL_FILES,
    RequirementSet,
    RequirementsFile,
)
from burdenshift.domain.figures import (
    COLUMNS,
    CONFIDENCE,
    FIRST_YEAR,
    LAST_YEAR,
    OPTIONAL_TABLES,
    SHORT_COLUMNS,
    TABLES,
    WEAK,
    Figure,
    field_spec,
)
from burdenshift.domain.source_policy import FIX as POLICY_FIX
from burdenshift.domain.source_policy import UNDATED, UNDATED_FIX, breach
from burdenshift.errors import InputError
from burdenshift.yamltext import key_path, line_of, read_yaml

DEFAULT_DATA = Path(__file__).resolve().parent.parent / "data"


@dataclass(frozen=True, eq=False)
class RawData:
    """A data folder as read: definitions, figures, the problems found, and a hash of the bytes."""

    folder: Path
    definitions: dict[str, BaseModel]
    figures: tuple[Figure, ...]
    problems: tuple[InputError, ...]
    data_hash: str
    unread: frozenset[str] = frozenset()
    """Figure tables that are missing, unreadable, have a wrong header or broken quoting: their
    problem is already reported, so no check reports each of their figures as missing."""
    rejected: frozenset[tuple[str, str, str]] = frozenset()
    """(table, key, field) of rows refused by the reader: reported once, not again as missing."""


def read_folder(folder: Path | str | None = None) -> RawData:
    """Read every file of a data folder, collecting problems instead of stopping at the first."""
    root = Path(folder) if folder is not None else DEFAULT_DATA
    if not root.is_dir():
        raise InputError(
            "is a file, not a data folder" if root.exists() else "the data folder does not exist",
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
    unread: set[str] = set()
    rejected: set[tuple[str, str, str]] = set()
    for name in TABLES:
        path = root / name
        if name in OPTIONAL_TABLES and not path.exists():
            continue
        text = _read_text(path, problems)
        if text is None:
            unread.add(name)
            continue
        digest.update(name.encode() + text.encode())
        table = _parse_table(path, text, problems)
        figures.extend(table.figures)
        rejected |= table.rejected
        if not table.whole:
            unread.add(name)
    return RawData(
        root,
        definitions,
        tuple(figures),
        tuple(problems),
        digest.hexdigest()[:16],
        frozenset(unread),
        frozenset(rejected),
    )


MAX_FILE_BYTES = 20_000_000
"""A data file larger than this is refused before it is read (the default data's largest file
is about 200 KB)."""


def _read_text(path: Path, problems: list[InputError]) -> str | None:
    """The text of a file, UTF-8 with or without the byte-order mark Excel writes."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            problems.append(
                InputError(
                    f"is larger than {MAX_FILE_BYTES // 1_000_000} MB",
                    file=str(path),
                    fix="a data file holds definitions or figures only; check it is the right file",
                )
            )
            return None
        return path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        problems.append(
            InputError("the file is missing", file=str(path), fix="add it (see docs/data.md)")
        )
    except IsADirectoryError:
        problems.append(
            InputError(
                "is a folder, not a file", file=str(path), fix="put the file itself in its place"
            )
        )
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        problems.append(
            InputError(
                f"is not UTF-8 text (byte {exc.start + 1})",
                file=str(path),
                line=line,
                fix="save it as UTF-8 (in Excel: CSV UTF-8)",
            )
        )
    except OSError as exc:
        problems.append(
            InputError(
                f"cannot be read ({exc.strerror or type(exc).__name__})",
                file=str(path),
                fix="check that the file exists and is readable",
            )
        )
    return None


def _parse_definition(
    path: Path, text: str, schema: type[BaseModel], problems: list[InputError]
) -> BaseModel | None:
    try:
        doc = read_yaml(text, str(path), embedded=path.parent == DEFAULT_DATA)
    except InputError as exc:
        problems.append(exc)
        return None
    try:
        return schema.model_validate(doc.data)
    except ValidationError as exc:
        for err in exc.errors(include_url=False)[:5]:
            kept, field = key_path(doc.root, err["loc"], show)
            problems.append(
                InputError(
                    _message(err),
                    file=str(path),
                    line=line_of(doc.root, kept) if doc.root is not None else None,
                    field=field or None,
                    fix=_FIXES.get(err["type"], "follow the layout in docs/data.md"),
                )
            )
        return None


_FIXES = {
    "extra_forbidden": "remove it or correct its spelling: unknown keys are not allowed "
    "(docs/data.md lists the layout)",
    "missing": "add it (docs/data.md lists the layout)",
    "finite_number": "write a finite number (.inf and .nan are not figures)",
    "value_error": "correct the value as said (docs/data.md and the README's 'Uncertainty and "
    "sweeps' give the layout)",
    "string_pattern_mismatch": "write the id with letters, digits, '_', '.' and '-' only",
}
"""The fix offered for each kind of pydantic error in a definition file."""


def show(text: str, limit: int = 40) -> str:
    """User text as it may appear in a message: control characters (terminal escapes, line
    breaks) written as escapes, and at most `limit` characters."""
    out = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text[: limit + 1])
    return out if len(out) <= limit else out[:limit] + "…"


def _message(err: Any) -> str:
    """pydantic's message without its 'Value error, ' prefix or trailing full stop."""
    msg = str(err["msg"]).removeprefix("Value error, ").removeprefix("Assertion failed, ")
    return msg.rstrip(".")


@dataclass
class _Table:
    figures: list[Figure]
    rejected: set[tuple[str, str, str]]
    whole: bool
    """The header is right and every record could be split into its columns."""


FILE_SET = "file"
"""The set id of a requirements CSV a scenario names."""


def with_requirement_file(raw: RawData, path: str, text: str) -> RawData:
    """The data plus a requirements CSV (rows `area:metric,quantity,…`) as the set `file`, which
    falls back to the data's default set where it gives no figure."""
    problems: list[InputError] = []
    table = _parse_table(Path(path), text, problems, table="requirements.csv")
    areas = getattr(raw.definitions.get("areas.yaml"), "areas", {})
    metrics = {f"{a}:{m}" for a, area in areas.items() for m in area.metrics}
    for f in table.figures:
        if f.field == "quantity" and f.key not in metrics:
            problems.append(
                InputError(
                    f"unknown area:metric '{show(f.key)}'",
                    file=path,
                    line=f.line,
                    field="key",
                    fix="use an area:metric of the data (`burdenshift data sources` lists them)",
                )
            )
    if problems:
        raise problems[0]
    current = raw.definitions.get("requirements.yaml")
    sets = dict(current.sets) if isinstance(current, RequirementsFile) else {}
    default = current.default if isinstance(current, RequirementsFile) else None
    sets[FILE_SET] = RequirementSet(
        name=Path(path).name, description=f"read from {path}", fallback=default
    )
    figures = tuple(f for f in raw.figures if not f.key.startswith(f"{FILE_SET}:")) + tuple(
        replace(f, key=f"{FILE_SET}:{f.key}" if f.field == "quantity" else FILE_SET)
        for f in table.figures
    )
    definitions = {
        **raw.definitions,
        "requirements.yaml": RequirementsFile(default=default or FILE_SET, sets=sets),
    }
    return replace(raw, definitions=definitions, figures=figures)


def _parse_table(
    path: Path, text: str, problems: list[InputError], table: str | None = None
) -> _Table:
    # a file-like object keeps quoted line breaks inside their field, and line_num counts the
    # physical lines read, so each record's first line is the previous record's last line + 1
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    out = _Table([], set(), whole=True)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        header = [f"unreadable: {exc}"]
    if header is None or tuple(h.strip() for h in header) not in (COLUMNS, SHORT_COLUMNS):
        shown = "empty" if not header else show(",".join(header), 120)
        problems.append(
            InputError(
                f"the header is '{shown}'",
                file=str(path),
                line=1,
                fix=f"make the first line exactly {','.join(COLUMNS)}",
            )
        )
        out.whole = False
        return out
    table = table or path.name
    seen: dict[tuple[str, str], int] = {}
    last_line = reader.line_num
    while True:
        lineno = last_line + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append(
                InputError(
                    f"the quotes of this row do not match ({exc})",
                    file=str(path),
                    line=lineno,
                    fix='put a quoted value in double quotes and double any quote inside it ("")',
                )
            )
            out.whole = False
            last_line = reader.line_num
            continue
        last_line = reader.line_num
        if not row or all(not c.strip() for c in row):
            continue
        where = {"file": str(path), "line": lineno}
        if len(row) not in (len(COLUMNS), len(SHORT_COLUMNS)):
            problems.append(
                InputError(
                    f"has {len(row)} columns, expected {len(COLUMNS)} "
                    f"({len(SHORT_COLUMNS)} without a range)",
                    **where,
                    fix="quote any value that contains a comma",
                )
            )
            if len(row) >= 2:
                out.rejected.add((table, row[0].strip(), row[1].strip()))
            continue
        key, field, value, unit, year, source, confidence, note, low, high = (
            c.strip() for c in [*row, "", ""][: len(COLUMNS)]
        )
        figure = _check_row(table, key, field, value, unit, year, source, confidence, note, where)
        if isinstance(figure, Figure):
            figure = _with_range(figure, low, high, where)
        if isinstance(figure, InputError):
            problems.append(figure)
            out.rejected.add((table, key, field))
            continue
        if (key, field) in seen:
            problems.append(
                InputError(
                    f"duplicates the figure {show(key)} / {field} of line {seen[key, field]}",
                    **where,
                    field=field,
                    fix="keep one row per key and field (one vintage per figure)",
                )
            )
            continue
        seen[key, field] = lineno
        out.figures.append(figure)
    return out


_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]{1,3})?")
"""A plain decimal, optionally with an exponent: no thousands separators, underscores, hex,
'inf' or 'nan' (Python's float() accepts the last four)."""
_YEAR = re.compile(r"[0-9]{4}")


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
            f"'{show(field)}' is not a field of {table} (key '{show(key)}')",
            **where,
            field="field",
            fix="use one of the fields listed for this table in docs/data.md",
        )
    if len(value) > 40 or not _NUMBER.fullmatch(value):
        return InputError(
            f"value '{show(value)}' is not a number",
            **where,
            field=field,
            fix="write a plain decimal such as 1200 or 0.35 (or 1.2e3), "
            "without thousands separators, underscores or words",
        )
    number = float(value)
    wrong = spec.problem(number)
    if wrong is not None:
        # a parameter's name is its key (field 'value')
        name = key if table == "parameters.csv" else field
        return InputError(wrong[0], **where, field=name, fix=wrong[1])
    if spec.unit != "*" and unit != spec.unit:
        return InputError(
            f"unit '{show(unit)}' is wrong for this field",
            **where,
            field=field,
            fix=f"convert the figure to '{spec.unit}' and write that unit",
        )
    if not _YEAR.fullmatch(year) or not FIRST_YEAR <= int(year) <= LAST_YEAR:
        return InputError(
            f"year '{show(year, 20)}' is not a year from {FIRST_YEAR} to {LAST_YEAR}",
            **where,
            field=field,
            fix="write the year the figure refers to as four digits, e.g. 2026",
        )
    year_int = int(year)
    if not source:
        return InputError(
            "the figure has no source",
            **where,
            field=field,
            fix="cite the publisher, title and date, then the URL where it was read (or label "
            "it an assumption and say why)",
        )
    banned = breach(source)
    if banned is not None:
        return InputError(
            f"the source cites {banned[0]} ('{show(banned[1], 60)}')",
            **where,
            field=f"{key} {field} source",
            fix=POLICY_FIX,
        )
    if confidence not in CONFIDENCE:
        return InputError(
            f"confidence '{show(confidence)}' is not one of {', '.join(CONFIDENCE)}",
            **where,
            field=field,
            fix="label the figure high, medium, low or assumption",
        )
    if confidence in ("high", "medium", "low") and not UNDATED.search(source):
        return InputError(
            "the source gives no date",
            **where,
            field=f"{key} {field} source",
            fix=UNDATED_FIX,
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


def _with_range(figure: Figure, low: str, high: str, where: dict[str, Any]) -> Figure | InputError:
    """The row's plausible range: both ends or neither, numbers in the field's domain, with
    low ≤ value ≤ high."""
    name = figure.key if figure.table == "parameters.csv" else f"{figure.key} {figure.field}"
    if not low and not high:
        if figure.weak:
            return InputError(
                f"{'an' if figure.confidence[0] in 'aeiou' else 'a'} {figure.confidence}-"
                "confidence figure has no range",
                **where,
                field=f"{name} low/high",
                fix="give low and high: a plausible range, with its reasoning in the note "
                "(docs/data.md, Ranges)",
            )
        return figure
    if not low or not high:
        return InputError(
            "the range has only one end",
            **where,
            field=f"{name} low/high",
            fix="give both low and high (a plausible range, its reasoning in the note), or neither",
        )
    spec = field_spec(figure.table, figure.field, figure.key)
    ends = []
    for end, text in (("low", low), ("high", high)):
        if len(text) > 40 or not _NUMBER.fullmatch(text):
            return InputError(
                f"{end} '{show(text)}' is not a number",
                **where,
                field=f"{name} {end}",
                fix="write a plain decimal such as 1200 or 0.35",
            )
        wrong = spec.problem(float(text)) if spec is not None else None
        if wrong is not None:
            return InputError(f"{name}: {wrong[0]}", **where, field=f"{name} {end}", fix=wrong[1])
        ends.append(float(text))
    lo, hi = ends
    if not lo <= figure.value <= hi:
        return InputError(
            f"the range {lo:g}–{hi:g} does not contain the value {figure.value:g}",
            **where,
            field=f"{name} low/high",
            fix="give low ≤ value ≤ high",
        )
    return replace(figure, low=lo, high=hi)
