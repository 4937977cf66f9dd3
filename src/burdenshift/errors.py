"""One error type for everything a user can get wrong (the CLI prints it without a traceback),
and the signal of work stopped at the user's request."""

from __future__ import annotations


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
        return f"{where}{field}{self.problem}.{fix}"
