from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

# pytest-xdist's workers set COLUMNS=80 and LINES=24; the outputs under test follow COLUMNS, so
# a test that wants a width sets its own (as `run_cli(..., env={"COLUMNS": "100"})` does)
for _name in ("COLUMNS", "LINES"):
    os.environ.pop(_name, None)

from burdenshift.domain.load import load_world  # noqa: E402
from burdenshift.scenario.schema import Scenario  # noqa: E402

TINY = Path(__file__).parent / "fixtures" / "tiny"


@pytest.fixture(scope="session")
def tiny_world():
    return load_world(TINY)


@pytest.fixture
def tiny_scenario() -> Scenario:
    return Scenario(horizon=(2026, 2028), deadline=2027)


@pytest.fixture(scope="session")
def default_world():
    return load_world()


@pytest.fixture
def tiny_copy(tmp_path: Path) -> Path:
    """A writable copy of the tiny data folder, for tests that break it."""
    dest = tmp_path / "data"
    shutil.copytree(TINY, dest)
    return dest


STORE = Path(tempfile.gettempdir()) / f"burdenshift-tests-{os.getpid()}.duckdb"
"""Runs that CLI tests keep go here, never into the working tree."""


def run_cli(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "burdenshift", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
        env={**os.environ, "BURDENSHIFT_DB": str(STORE), **(env or {})},
    )


def with_ranges(text: str) -> str:
    """CSV rows a test writes, with a range collapsed onto the value on every weak row that has
    none (the data checks ask every low or assumed figure for a range)."""
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for row in csv.reader(io.StringIO(text)):
        if len(row) == 8 and row[6] in ("low", "assumption"):
            row += [row[2], row[2]]
        writer.writerow(row)
    return out.getvalue()
