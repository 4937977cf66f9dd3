"""Error replies in one shape, saying what is wrong and how to fix it through the API: never
a server path, a Python exception's repr, the input echoed back, or a CLI flag."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import PurePath
from typing import Any

from fastapi.responses import JSONResponse

from burdenshift.errors import InputError
from burdenshift.web.levers import MAX_TIME_LIMIT


class Refusal(Exception):
    """A request refused by the server itself (not for what it asked): status and message."""

    def __init__(self, status: int, message: str) -> None:
        self.status = status
        self.message = message
        super().__init__(message)


def _error(
    status: int,
    message: str,
    field: str | None = None,
    fix: str | None = None,
    headers: dict[str, str] | None = None,
    loc: list[str | int] | None = None,
) -> JSONResponse:
    """Errors in FastAPI's own shape (a list under `detail`), with the fix added."""
    if loc is None:
        loc = ["body", *(field.split(".") if field else [])]
    return JSONResponse(
        status_code=status,
        content={"detail": [{"loc": loc, "msg": message, "type": "value_error", "fix": fix}]},
        headers=headers,
    )


_ABSOLUTE_PATH = re.compile(r"(?<![\w.~-])(?:[A-Za-z]:)?(?:[/\\][^\s/\\\"'`()<>:,;]+){2,}")
"""Two or more components from the root, as the store or a library names its files."""

_WEB_FIXES: list[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]]] = [
    (
        re.compile(r"\(?e\.g\. --time-limit \d+\)?"),
        f"(a larger 'time_limit', up to {MAX_TIME_LIMIT:g} s here)",
    ),
    (
        re.compile(r"run an engine first \(e\.g\. `burdenshift assess`\) or give --db PATH"),
        'run an engine with "store": true first',
    ),
    (
        re.compile(r"wait for the other burdenshift process to finish,? or use --db[^.]*"),
        "try again in a moment (another burdenshift process is using the run store)",
    ),
    (re.compile(r"see `burdenshift runs list` for the ids"), "see GET /api/runs for the ids"),
    (
        re.compile(r"give the path of a file written by burdenshift \(--db PATH\)"),
        "ask whoever runs this server to give it a burdenshift run store",
    ),
    (
        re.compile(r"start a new store with --db PATH"),
        "ask whoever runs this server to start a new store",
    ),
    (re.compile(r"\s*\(`burdenshift [^`]*`\)"), ""),
    (re.compile(r"`burdenshift ([^`]*)`"), "the CLI's '\\1'"),
    (re.compile(r"(?<![\w-])--([a-z][a-z-]*)"), lambda m: f"'{m[1].replace('-', '_')}'"),
]
"""CLI advice in shared messages, in the words of the API (the CLI's `--time-limit 300` is
past the web's limit; there is no `--db` to give a server)."""


def scrub(text: str) -> str:
    """`text` without the server's paths (each becomes its last component)."""
    return _ABSOLUTE_PATH.sub(lambda m: PurePath(m[0].replace("\\", "/")).name, text)


def web_fix(text: str) -> str:
    """`text` without server paths, its CLI advice in the API's words."""
    text = scrub(text)
    for pattern, repl in _WEB_FIXES:
        text = pattern.sub(repl, text)
    return text


def web_field(field: str | None) -> str | None:
    """A CLI option named as the request field it stands for (`--time-limit` → `time_limit`)."""
    if field is None:
        return None
    return field.lstrip("-").replace("-", "_") if field.startswith("--") else field


def describe(exc: InputError) -> tuple[str, str | None, str | None]:
    """(message, field, fix) of a user error, for the web: the file by its name only (a run
    store's file not at all), the fix in the API's words."""
    file = exc.file
    if file is not None:
        name = PurePath(file.replace("\\", "/")).name if ("/" in file or "\\" in file) else file
        file = None if name.endswith(".duckdb") else name
    field = web_field(exc.field)
    fix = web_fix(exc.fix) if exc.fix else None
    shown = InputError(web_fix(exc.problem), file=file, line=exc.line, field=field, fix=fix)
    return shown.message, field, fix


def input_error(exc: InputError, status: int = 422) -> JSONResponse:
    message, field, fix = describe(exc)
    return _error(status, message, field, fix)


def job_message(exc: InputError) -> str:
    return describe(exc)[0]


def _fix_for(err: dict[str, Any]) -> str:
    kind = err.get("type", "")
    ctx = err.get("ctx") or {}
    if kind == "extra_forbidden":
        return "remove or rename it; see the request schemas at /docs"
    if kind == "missing":
        return "add it"
    if kind == "literal_error" and "expected" in ctx:
        return f"use {ctx['expected']}"
    bounds = [
        f"{word} {ctx[key]}"
        for key, word in (("ge", "≥"), ("gt", ">"), ("le", "≤"), ("lt", "<"))
        if key in ctx and isinstance(ctx[key], int | float)
    ]
    if bounds:
        return f"use a value {' and '.join(bounds)}"
    if kind in ("finite_number", "int_from_float", "int_type", "int_parsing"):
        return "use a finite whole number" if kind.startswith("int") else "use a finite number"
    if kind == "json_invalid":
        return "send the request body as JSON"
    if kind == "string_type" and tuple(err.get("loc", ()))[-1:] == ("scenario",):
        # a scenario of one's own is sent as its text, not as a JSON object
        return (
            "give a shipped scenario's name (GET /api/scenarios), or send your scenario's YAML "
            "text as 'yaml'"
        )
    return "correct the value; see the request schemas at /docs"


def _json_kind(value: Any) -> str:
    """What a JSON value is, in words (the value itself is never echoed)."""
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int | float):
        return "a number"
    return "null" if value is None else "another kind of value"


def validation_entry(err: dict[str, Any]) -> dict[str, Any]:
    """One of pydantic's errors with its message and fix only: the input is not echoed
    (NaN cannot be written as JSON, and a long upload would come back whole), nor are links."""
    loc = [p if isinstance(p, int) else str(p) for p in err.get("loc", ())]
    kind = err.get("type", "")
    msg = str(err.get("msg", "invalid value")).removeprefix("Value error, ")
    if kind == "extra_forbidden":
        msg = "unknown field"
    elif kind == "string_type":
        msg = f"expected text, got {_json_kind(err.get('input'))}"
    elif kind == "json_invalid":
        loc = loc[:1]
        msg = "the request body is not valid JSON"
    msg = scrub(msg)
    field = ".".join(str(p) for p in loc[1:])
    fix = _fix_for(err)
    text = f"field '{field}': {msg}. Fix: {fix}" if field else f"{msg}. Fix: {fix}"
    return {"loc": loc, "msg": text, "type": "value_error", "fix": fix}


def validation_error(errors: list[dict[str, Any]]) -> JSONResponse:
    return JSONResponse(
        status_code=422, content={"detail": [validation_entry(e) for e in errors[:20]]}
    )
