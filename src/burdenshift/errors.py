"""One error type for everything a user can get wrong (the CLI prints it without a traceback),
and the signal of work stopped at the user's request."""

from __future__ import annotations

from typing import Any


class Cancelled(Exception):
    """Work stopped at the user's request (a cancelled web job)."""


class InputError(Exception):
    """Bad user input: names the file, the place in it, the field and the fix."""

    def __init__(
        self,
        problem: str,
        *,
        file: str | None = None,
        line: int | None = None,
        field: str | None = None,
        fix: str | None = None,
    ) -> None:
        self.problem = problem
        self.file = file
        self.line = line
        self.field = field
        self.fix = fix
        super().__init__(self.message)

    @property
    def message(self) -> str:
        where = ""
        if self.file:
            where = f"{self.file}"
            if self.line is not None:
                where += f", line {self.line}"
            where += ": "
        field = f"field '{self.field}': " if self.field else ""
        fix = f" Fix: {self.fix}" if self.fix else ""
        # one paragraph, whatever the parts hold (a parser's message may span lines)
        return " ".join(f"{where}{field}{self.problem}.{fix}".split())


def from_validation(
    exc: Any, file: str | None = None, root: Any = None, field_prefix: str = ""
) -> InputError:
    """The first error of a pydantic ValidationError as one InputError: the field's dotted path,
    its line in the YAML node tree `root` (when the input came from a file), and a fix that
    states the field's domain. Never the input value itself or pydantic's links."""
    from burdenshift.yamltext import key_path, line_of

    err = exc.errors(include_url=False, include_input=False)[0]
    loc = [p for p in err["loc"] if not isinstance(p, int) or err["type"] != "literal_error"]
    if root is not None:  # the keys as written (a distribution's `uniform` tag dropped)
        loc, path = key_path(root, err["loc"])
    else:
        path = ".".join(str(p) for p in err["loc"] if p != "[key]")
    path = ".".join(p for p in (field_prefix, path) if p) or "(top level)"
    msg = str(err["msg"]).removeprefix("Value error, ")
    ctx = err.get("ctx") or {}
    kind = err["type"]
    if kind == "extra_forbidden":
        msg, fix = "unknown field", "remove or rename it; see the scenario fields in README.md"
    elif kind == "literal_error":
        fix = f"use {msg.removeprefix('Input should be ')}"
    elif kind in _RANGE:
        bound = next((ctx[k] for k in _BOUND_KEYS if k in ctx), None)
        fix = f"give a value {_RANGE[kind]} {bound}" if bound is not None else "correct the value"
    elif kind == "finite_number":
        fix = "give a finite number (not .inf or .nan)"
    elif "[key]" in err["loc"]:
        fix = "correct the key"
    else:
        fix = "correct the value"
    line = line_of(root, [p for p in loc if p != "[key]"]) if root is not None else None
    return InputError(msg.rstrip("."), file=file, line=line, field=path, fix=fix)


_BOUND_KEYS = ("gt", "ge", "lt", "le", "max_length", "min_length")
_RANGE = {
    "greater_than": "above",
    "greater_than_equal": "of at least",
    "less_than": "below",
    "less_than_equal": "of at most",
    "too_long": "with at most this many items or characters:",
    "too_short": "with at least this many items or characters:",
}
