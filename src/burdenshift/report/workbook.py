"""One Excel workbook of stored runs: a sheet that says how each run was made, one sheet per
table of each run (the report's own tables, plus each engine's areas by year), and the data's
sources. Numbers are stored as numbers, at the payload's full precision, with the unit in the
column header and an Excel number format that shows it."""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from burdenshift.engine.runinfo import label_of
from burdenshift.errors import InputError
from burdenshift.output import URL
from burdenshift.report import page

Table = tuple[str, list[str], list[list[Any]]]

RUN_SHEET = "Run"
CONTENTS_SHEET = "Contents"
SOURCES_SHEET = "Sources"

RUN_HEADERS = [
    "run id",
    "engine",
    "engine label",
    "scenario",
    "data hash",
    "version",
    "seed",
    "created (UTC)",
    "requirement set",
    "headline",
]
SOURCE_HEADERS = [
    "table",
    "key",
    "field",
    "value",
    "low",
    "high",
    "range_low",
    "range_high",
    "range_basis",
    "drawn",
    "unit",
    "year",
    "confidence",
    "source",
    "note",
]

SHORT_NAMES = {
    "Per area": "areas",
    "Deterrence gap": "areas",
    "Days of war": "days of war",
    "Per ally": "burden",
    "Money": "money",
    "Earliest year": "earliest year",
    "Bottlenecks": "bottlenecks",
    "Probabilities": "probabilities",
    "Ranking": "ranking",
    "Race against Russia": "race",
    "Areas by year": "areas by year",
    "Plan benchmarks": "benchmarks",
    "Spending by year": "spending by year",
}
"""A sheet name for each of the report's tables, by the start of its title."""

UNITS = {
    "defence USD bn": "defence spending (USD bn)",
    "% GDP": "defence spending (% of GDP)",
    "share of spending": "share of spending (%)",
    "share of GDP": "share of GDP (%)",
    "burden ratio": "burden ratio (share of spending ÷ share of GDP)",
    "USD bn": "value (USD bn)",
    "P(target)": "P(target) (%)",
    "P, data as stated": "P, data as stated (%)",
    "effect": "effect (requirement-share-years)",
    "s.e.": "s.e. (% points)",
    "held from p50": "held from p50 (year)",
    "gap p50": "gap p50 (requirement-share-years)",
    "largest total index": "largest total index (Sobol ST, 0–1)",
}
"""Headers of the report's tables whose numbers are written unformatted, with their unit."""

FORMATS = {
    "%": "0.0%",
    "% points": "0.0%",
    "USD bn": "#,##0.0",
    "days": "#,##0.0",
    "% of GDP": "0.00",
    "year": "0",
    "requirement-share-years": "0.000",
    "ratio": '0.00"×"',
}
"""Excel number formats by the unit a header ends with."""

_BAD_NAME = re.compile(r"[\[\]:*?/\\]")
_NUMBER = re.compile(r"-?\d{1,3}(?:,\d{3})+(?:\.\d+)?|-?\d+(?:\.\d+)?")

# page.py formats its numbers as text ("44%", "1.23×"). To write the payload's own numbers
# through its table builders, every float is handed in as `_Exact`, whose formatting leaves a
# marker with the number and the format asked for: the marker becomes a number cell again.
_OPEN, _SEP, _CLOSE = "\ue000", "\ue001", "\ue002"
_MARK = re.compile(f"{_OPEN}([^{_SEP}]*){_SEP}([^{_CLOSE}]*){_CLOSE}")


def _exactly(op: str) -> Callable[..., Any]:
    """float's operator `op`, with a float result kept as `_Exact`."""

    def method(self: float, *args: Any) -> Any:
        out = getattr(float, op)(self, *args)
        return _Exact(out) if isinstance(out, float) else out

    return method


class _Exact(float):
    """A payload float that keeps its full value through the report's text formatting (and
    through arithmetic, so money converted from USD m to USD bn stays exact)."""

    def __format__(self, spec: str) -> str:
        return f"{_OPEN}{spec}{_SEP}{float.__repr__(self)}{_CLOSE}"


for _op in ("add", "radd", "sub", "rsub", "mul", "rmul", "truediv", "rtruediv", "neg", "abs"):
    setattr(_Exact, f"__{_op}__", _exactly(f"__{_op}__"))


def _exact(x: Any) -> Any:
    """The payload with every float as `_Exact`."""
    if isinstance(x, dict):
        return {k: _exact(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_exact(v) for v in x]
    if isinstance(x, float):
        return _Exact(x)
    return x


def _text(s: str) -> str:
    """Text with any number markers formatted as page.py asked."""
    return _MARK.sub(lambda m: format(float(m.group(2)), m.group(1)), s)


def _excel_format(spec: str, suffix: str = "") -> str | None:
    """An Excel number format for a Python format spec (",.0f", ".0%", ".2g")."""
    m = re.fullmatch(r"[<>^=]?[+\- ]?(,)?(?:\.(\d+))?([fFgG%]?)", spec)
    if not m:
        return None
    comma, digits, kind = m.group(1), int(m.group(2) or 0), m.group(3)
    decimals = "." + "0" * digits if digits else ""
    if kind == "%":
        return f"0{decimals}%"
    if kind in ("f", "F"):
        base = ("#,##0" if comma else "0") + decimals
    else:
        base = "#,##0.###" if comma else "0.###"
    return base + (f'"{suffix}"' if suffix else "")


def _cell(c: Any) -> tuple[Any, str | None]:
    """A table cell as (value, number format): numbers as numbers, "—" as empty."""
    if c is None or isinstance(c, bool):
        return c, None
    if isinstance(c, int):
        return c, None
    if isinstance(c, float):
        return float(c), None
    s = str(c)
    m = re.fullmatch(f"{_MARK.pattern}(.{{0,2}})", s)
    if m and _OPEN not in m.group(3):
        return float(m.group(2)), _excel_format(m.group(1), m.group(3).strip())
    s = _text(s)
    if s in ("—", ""):
        return None, None
    if s.endswith("%") and _NUMBER.fullmatch(s[:-1]):
        return float(s[:-1].replace(",", "")) / 100, "0%"
    if _NUMBER.fullmatch(s):
        n = s.replace(",", "")
        return (float(n), None) if "." in n else (int(n), None)
    return s, None


def _unit(header: str) -> str | None:
    m = re.search(r"\(([^()]*)\)$", header)
    return m.group(1) if m else None


def _sheet_table(title: str, headers: list[str], rows: list[list[Any]]) -> dict[str, Any]:
    """One of the report's tables as a sheet: exact numbers, units in the headers."""
    cells = [[_cell(c) for c in r] for r in rows]
    title = _text(title)
    heads = [_text(h) for h in headers]
    has_unit_column = "unit" in heads
    out_heads, formats = [], []
    for j, h in enumerate(heads):
        col = [r[j] for r in cells if j < len(r)]
        numbers = [v for v, _ in col if isinstance(v, int | float) and not isinstance(v, bool)]
        fmts = [f for _, f in col if f]
        head = UNITS.get(h, h)
        if numbers and _unit(head) is None:
            if any(f.endswith("%") for f in fmts):
                head += " (%)"
            elif any(f.endswith('"×"') for f in fmts):
                head += " (ratio)"
            elif title.startswith("Days of war") and h.isdigit():
                head += " (days)"
            elif has_unit_column:
                head += " (in the row's unit)"
            elif h.startswith("held from"):
                head += " (year)"
        if h == "… (fastest ramp)":
            head = "Europe out-produces Russia from (fastest ramp)"
        unit = _unit(head)
        formats.append(FORMATS.get(unit or "") or (fmts[0] if fmts else None))
        out_heads.append(head)
    values = [[v for v, _ in r] for r in cells]
    return {"title": title, "headers": out_heads, "rows": values, "formats": formats}


def _by_year(engine: str, p: dict[str, Any]) -> list[Table]:
    """Each engine's yearly figures by area (the report draws them as charts), in long form:
    one row per area and year; areas named as the engine's own tables name them."""
    years = [int(y) for y in p.get("years", [])]
    if engine == "assess" and p.get("paths"):
        areas = {a["area"]: a.get("name", a["area"]) for a in p.get("areas", [])}
        rows = [
            [areas.get(a, a), y, v["current_rates"][i], v["max_ramp"][i], v["us"][i]]
            for a, v in p["paths"].items()
            for i, y in enumerate(years)
        ]
        return [
            (
                "Areas by year: Europe's coverage of the requirement and the US's",
                [
                    "area",
                    "year",
                    "coverage, today's rates (%)",
                    "coverage, fastest ramp (%)",
                    "US (%)",
                ],
                rows,
            )
        ]
    if engine == "simulate" and isinstance(p.get("areas"), dict):
        rows = [
            [
                a,
                y,
                v["europe_share"][i],
                v["force_share"][i] if "force_share" in v else None,
                v["us_share"][i],
                v["gap"][i],
            ]
            for a, v in p["areas"].items()
            for i, y in enumerate(years)
        ]
        out = [
            (
                "Areas by year under the simulated policy",
                [
                    "area",
                    "year",
                    "coverage (%)",
                    f"{page.FORCE_SHARE} (%)",
                    "US (%)",
                    "deterrence gap (%)",
                ],
                rows,
            )
        ]
        cost = (p.get("cost_musd") or {}).get("total")
        if isinstance(cost, list) and len(cost) == len(years):
            out.append(
                (
                    "Spending by year",
                    ["year", "spending (USD bn)"],
                    [[y, c / 1000] for y, c in zip(years, cost, strict=True)],
                )
            )
        return out
    if engine == "plan":
        out = [
            (
                "Plan benchmarks: coverage under the cheapest plan by year",
                ["area", "year", "coverage under the plan (%)", "target (%)"],
                [
                    [a["area"], int(y), v, _target(p, a)]
                    for a in p["areas"]
                    for y, v in (a.get("benchmarks") or {}).items()
                ],
            )
        ]
        by_year = (p.get("cost_musd") or {}).get("by_year") or {}
        if by_year:
            out.append(
                (
                    "Spending by year",
                    ["year", "spending (USD bn)"],
                    [[int(y), c / 1000] for y, c in by_year.items()],
                )
            )
        return out
    if engine == "risk":
        rows = [
            [a["area"], int(y), q.get("p10"), q.get("p50"), q.get("p90")]
            for a in p["areas"]
            for y, q in (a.get("share_quantiles") or {}).items()
        ]
        if rows:
            return [
                (
                    "Areas by year: coverage across the draws",
                    ["area", "year", "coverage p10 (%)", "coverage p50 (%)", "coverage p90 (%)"],
                    rows,
                )
            ]
    return []


def _target(p: dict[str, Any], area: dict[str, Any]) -> float | None:
    """An area's target share: its own, or the scenario's as applied."""
    if area.get("target") is not None:
        return float(area["target"])
    applied = (p.get("run") or {}).get("applied") or {}
    by_area = applied.get("target_share_by_area") or {}
    value = by_area.get(area["area"], applied.get("target_share"))
    return None if value is None else float(value)


def _sheet_name(name: str, taken: set[str]) -> str:
    """A valid, unique Excel sheet name: at most 31 characters, none of []:*?/\\, not opening
    or closing with an apostrophe, unique regardless of case."""
    base = _BAD_NAME.sub("-", name).strip().strip("'") or "sheet"
    if base.lower() == "history":  # reserved by Excel
        base = "history table"
    out, n = base[:31], 1
    while out.lower() in taken:
        n += 1
        tail = f" ({n})"
        out = base[: 31 - len(tail)].rstrip() + tail
    taken.add(out.lower())
    return out


def _short(title: str) -> str:
    for start, short in SHORT_NAMES.items():
        if title.startswith(start):
            return short
    return title


def _created(text: Any) -> Any:
    try:
        return datetime.fromisoformat(str(text)).replace(tzinfo=None)
    except ValueError:
        return text


def _run_row(run: dict[str, Any]) -> list[Any]:
    engine, p = run["engine"], run["result"]
    return [
        str(run["run_id"]),
        engine,
        label_of(p, engine),
        run.get("scenario"),
        run.get("data_hash"),
        run.get("version"),
        run.get("seed"),
        _created(run.get("created_at")),
        page.requirement_of(p) or None,
        page.headline(engine, p),
    ]


def workbook_sheets(
    runs: list[dict[str, Any]], sources: list[dict[str, Any]] | None
) -> list[dict[str, Any]]:
    """The workbook's sheets in order, each {name, title, headers, rows, formats}."""
    taken: set[str] = set()
    sheets = [
        {
            "name": _sheet_name(RUN_SHEET, taken),
            "title": "How each run was made, and its verdict",
            "headers": RUN_HEADERS,
            "rows": [_run_row(r) for r in runs],
            "formats": [None] * 7 + ["yyyy-mm-dd hh:mm:ss", None, None],
        }
    ]
    contents = {
        "name": _sheet_name(CONTENTS_SHEET, taken),
        "title": "The sheets of this workbook",
        "headers": ["sheet", "run id", "engine", "table"],
        "rows": [],
        "formats": [None] * 4,
    }
    sheets.append(contents)
    names = page.metric_names(runs)
    for run in runs:
        engine, p = run["engine"], run["result"]
        if engine == "plan" and "money" not in p:
            p = {**p, "money": page._plan_money(run)}
        made = [_sheet_table(*t) for t in page.tables(engine, _exact(p), names)]
        made += [_sheet_table(*t) for t in _by_year(engine, _exact(p))]
        for t in made:
            if not t["rows"]:
                continue
            short = _short(t["title"])
            label = short if len(runs) == 1 else f"{engine} {short}"
            t["name"] = _sheet_name(label, taken)
            sheets.append(t)
            contents["rows"].append([t["name"], str(run["run_id"]), engine, t["title"]])
    if sources is not None:
        sheets.append(
            {
                "name": _sheet_name(SOURCES_SHEET, taken),
                "title": "Every figure of the data, with its range, source and note",
                "headers": SOURCE_HEADERS,
                "rows": [[s.get(h) for h in SOURCE_HEADERS] for s in sources],
                "formats": [None, None, None] + ["General"] * 5 + [None] * 3 + ["0"] + [None] * 3,
            }
        )
        contents["rows"].append([SOURCES_SHEET, None, None, sheets[-1]["title"]])
    return sheets


WIDE = {"engine label", "headline", "explanation", "meaning", "source", "note", "table"}
"""Columns of running text: wrapped at a fixed width instead of fitted."""


def _fill(ws: Any, sheet: dict[str, Any]) -> None:
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    ws.append(sheet["headers"])
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(vertical="top", wrap_text=True)
    for row in sheet["rows"]:
        ws.append(row)
    for j, (head, fmt) in enumerate(zip(sheet["headers"], sheet["formats"], strict=True), 1):
        letter = get_column_letter(j)
        texts = [
            len(f"{v:,.3f}" if isinstance(v, float) else str(v))
            for v in (r[j - 1] for r in sheet["rows"])
            if v is not None
        ]
        longest = max([min(len(str(head)), 24), *texts])  # long headers wrap
        wide = head in WIDE and longest > 60
        ws.column_dimensions[letter].width = 60 if wide else min(max(10, longest + 2), 48)
        for (cell,) in ws.iter_rows(min_row=2, min_col=j, max_col=j):
            value = cell.value
            if isinstance(value, float) and fmt:
                cell.number_format = fmt
            elif isinstance(value, float):
                cell.number_format = "0.000" if abs(value) < 10 else "#,##0.0"
            elif isinstance(value, int) and not isinstance(value, bool) and fmt:
                cell.number_format = fmt if fmt != "0.0%" else "0%"
            elif isinstance(value, datetime) and fmt:
                cell.number_format = fmt
            if wide:
                cell.alignment = Alignment(vertical="top", wrap_text=True)
    ws.freeze_panes = "B2"
    if sheet["rows"]:
        ws.auto_filter.ref = ws.dimensions


def _link_sources(ws: Any) -> None:
    """Each source cell opens the first address it cites (a cell holds one link; the text
    keeps every citation)."""
    col = SOURCE_HEADERS.index("source") + 1
    for (cell,) in ws.iter_rows(min_row=2, min_col=col, max_col=col):
        found = URL.search(cell.value or "")
        if found:
            cell.hyperlink = found.group(0)


def write_workbook(
    runs: list[dict[str, Any]], sources: list[dict[str, Any]] | None, path: Path
) -> list[str]:
    """Write stored runs (each: the run row from the store plus 'result', the engine's JSON
    payload) and, when given, the data's sources (`Figure.as_dict()` rows) to one .xlsx file,
    complete or not at all; returns the sheet names in order.

    >>> write_workbook([{**store.run(r), "result": store.payload(r)}], None, Path("run.xlsx"))
    ['Run', 'Contents', 'areas', 'days of war', 'burden', 'areas by year']
    """
    from openpyxl import Workbook

    path = Path(path)
    if not path.parent.is_dir():
        raise InputError(
            "the folder does not exist",
            file=str(path),
            fix="create the folder or choose another path",
        )
    if path.is_dir():
        raise InputError("this is a folder", file=str(path), fix="give a file name, e.g. run.xlsx")
    wb = Workbook()
    sheets = workbook_sheets(runs, sources)
    for i, sheet in enumerate(sheets):
        ws = wb.active if i == 0 else wb.create_sheet()
        ws.title = sheet["name"]
        _fill(ws, sheet)
        if sheet["name"] == CONTENTS_SHEET:
            for (cell,) in ws.iter_rows(min_row=2, max_col=1):
                cell.hyperlink = f"#'{cell.value}'!A1"
                cell.style = "Hyperlink"
        if sheet["headers"] == SOURCE_HEADERS:
            _link_sources(ws)
    tmp = path.parent / f".{path.name}.{secrets.token_hex(6)}.tmp"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except OSError as exc:
        raise InputError(
            f"cannot write here ({exc.strerror})",
            file=str(path),
            fix="choose a folder you can write to",
        ) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            wb.save(fh)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return [s["name"] for s in sheets]
