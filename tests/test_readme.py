"""The README says what the CLI does: every command and option in its command block exists in
`--help`, and every JSON key it lists appears in the command's output."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from .conftest import run_cli

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
BLOCK = README[README.index("## Commands") :]
BLOCK = BLOCK[BLOCK.index("```sh") + 5 : BLOCK.index("```", BLOCK.index("```sh") + 5)]
SUBCOMMANDS = {"data", "runs", "query"}


def _commands() -> dict[tuple[str, ...], set[str]]:
    """{command path: the options the README gives it}; `runs list|show|…` names several."""
    found: dict[tuple[str, ...], set[str]] = {}
    current: list[tuple[str, ...]] = []
    for line in BLOCK.splitlines():
        line = line.split("#", 1)[0]
        if line.startswith("burdenshift "):
            words = line.split()[1:]
            head = words[0]
            if head in SUBCOMMANDS:
                subs = re.findall(r"(?:^|\|)([a-z][a-z-]*)", words[1])
                current = [(head, sub) for sub in subs]
                if head == "runs":  # `runs list|show RUN|export RUN …|delete RUN`
                    current = [
                        ("runs", s) for s in re.findall(r"\b(list|show|export|delete)\b", line)
                    ]
            else:
                current = [(head,)]
            for path in current:
                found.setdefault(path, set())
        for path in current:
            found[path] |= set(re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", line))
    return found


COMMANDS = _commands()


def test_the_block_names_every_command():
    tops = {path[0] for path in COMMANDS}
    assert {"assess", "plan", "risk", "sweep", "report", "serve", "runs", "data", "query"} <= tops


@pytest.mark.parametrize("path", sorted(COMMANDS), ids=" ".join)
def test_every_command_and_option_in_the_readme_exists(path):
    proc = run_cli(*path, "--help", env={"COLUMNS": "200"})
    assert proc.returncode == 0, f"`burdenshift {' '.join(path)}` does not exist: {proc.stderr}"
    options = COMMANDS[path]
    if path[0] == "runs":  # the block gives the subcommands' options on one line
        helps = " ".join(run_cli("runs", s, "--help").stdout for s in ("list", "show", "export"))
        missing = [o for o in options if o not in helps]
    else:
        missing = [o for o in options if o not in proc.stdout]
    assert not missing, f"README gives `burdenshift {' '.join(path)}` options it lacks: {missing}"


def _listed_keys(command: str) -> set[str]:
    """The quoted keys of the JSON shapes (`{…}` spans) the README gives for `command --json`."""
    start = README.index(f"- `{command} --json`:")
    ends = [i for i in (README.find("\n- ", start + 1), README.find("\n\n", start)) if i > 0]
    bullet = README[start : min(ends)]
    shapes = re.findall(r"`(\{[^`]*)`", bullet)
    return {k for shape in shapes for k in re.findall(r'"([a-z_]+)"', shape)}


def _keys(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _keys(v)}
    return set()


SWEEP = (
    "name: readme\nbase: baseline-2027-blunt\nengines: [assess]\ngrid:\n  deadline: [2027, 2030]\n"
)


@pytest.mark.parametrize(
    ("command", "args"),
    [
        ("assess", ["assess", "--no-store"]),
        ("threat", ["threat"]),
        ("simulate", ["simulate", "--no-store"]),
        ("plan", ["plan", "--mode", "both", "--no-store"]),
        ("risk", ["risk", "--draws", "400", "--no-store"]),
        ("sensitivity", ["sensitivity", "--n", "16", "--no-store"]),
        ("sweep", ["sweep", "SWEEP", "--workers", "0"]),
        ("data sources", ["data", "sources", "--area", "c2"]),
        ("data weakest", ["data", "weakest", "--top", "3"]),
        (
            "query time-to-stock",
            ["query", "time-to-stock", "--system", "a330_mrtt", "--target", "80"],
        ),
        ("query cost-of-list", ["query", "cost-of-list", "a330_mrtt=2"]),
        (
            "query spending-needed",
            ["query", "spending-needed", "--area", "iamd", "--engine", "simulate"],
        ),
    ],
)
def test_every_json_key_the_readme_lists_is_in_the_output(command, args, tmp_path):
    if "SWEEP" in args:
        (tmp_path / "sweep.yaml").write_text(SWEEP)
        args = [str(tmp_path / "sweep.yaml") if a == "SWEEP" else a for a in args]
    env = {"BURDENSHIFT_DB": str(tmp_path / "runs.duckdb")}
    proc = run_cli(*args, "--json", env=env)
    assert proc.returncode == 0, proc.stderr
    missing = _listed_keys(command) - _keys(json.loads(proc.stdout))
    assert not missing, f"README lists keys `{command} --json` does not give: {sorted(missing)}"
