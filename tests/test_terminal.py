"""The terminal: tables fit 100 columns with one line per row where it matters, flags show no
placeholder, help does not break mid-phrase, a first run lists the commands to start with."""

from __future__ import annotations

import re

import pytest

from .conftest import run_cli

NARROW = {"COLUMNS": "100"}


@pytest.mark.parametrize(
    "args",
    [
        ("assess", "--no-store"),
        ("simulate", "--no-store"),
        ("risk", "--draws", "400", "--no-store"),
        ("data", "weakest", "--top", "5"),
        ("scenarios",),
        ("data", "sources", "--area", "c2"),
    ],
)
def test_every_line_fits_100_columns(args):
    proc = run_cli(*args, env=NARROW)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines and max(len(line) for line in lines) <= 100


def test_assess_keeps_one_line_per_area_at_100_columns():
    proc = run_cli("assess", "--no-store", env=NARROW)
    lines = proc.stdout.splitlines()
    rule = next(i for i, line in enumerate(lines) if set(line.strip()) == {"─"})
    end = next(i for i, line in enumerate(lines) if line.startswith("Engine:"))
    rows = lines[rule + 1 : end]
    assert len(rows) == 12, rows  # one line per area, none wrapped
    assert all(re.search(r"\d+%", row) for row in rows)
    assert proc.stdout.rstrip().splitlines()[-1].startswith("with the data") or (
        "Next: `burdenshift plan" in proc.stdout
    )


def test_piped_output_follows_columns():
    wide = run_cli("assess", "--no-store", env={"COLUMNS": "180"}).stdout.splitlines()
    assert max(len(line) for line in wide) > 100
    assert "Europe now" in "\n".join(wide)  # the full labels above the compact width


def test_flags_show_no_placeholder_and_help_keeps_phrases():
    out = run_cli("simulate", "--help", env={"COLUMNS": "200"}).stdout
    assert "--no-store" in out and "<bool>" not in out
    top = run_cli("--help", env={"COLUMNS": "200"}).stdout
    # the docstring's own line break no longer splits the sentence
    assert "stock and output, their ratio" in top


def test_a_first_run_lists_the_commands_to_start_with():
    proc = run_cli(env=NARROW)
    assert proc.returncode == 0
    start = proc.stdout[proc.stdout.index("Start here") :]
    for command in ("assess", "plan --mode both", "risk", "data weakest", "serve"):
        assert f"burdenshift {command}" in start


@pytest.mark.parametrize(
    ("share", "target", "shown"),
    [
        (0.4966, 0.5, "49.7%"),  # a miss would round up to the target
        (0.49961, 0.5, "49.96%"),
        (0.5, 0.5, "50%"),
        (0.494, 0.5, "49%"),  # already reads as a miss
        (0.9991, 1.0, "99.9%"),
        (0.62, 0.5, "62%"),
    ],
)
def test_a_share_beside_its_verdict_never_rounds_a_miss_up_to_the_target(share, target, shown):
    from burdenshift.percent import against

    assert against(share, target) == shown


def test_data_sources_links_each_address_in_a_terminal(tiny_copy):
    """In a terminal each source's address is a hyperlink (OSC 8) to the whole URL, even where
    the table folds it over several lines; piped output carries no escape codes."""
    path = tiny_copy / "holdings.csv"
    url = "https://www.example.org/a-long-path/that-the-table-will-fold/over-lines.html"
    text = path.read_text().replace(
        "hand-worked test world (2026),high", f"'x' (2026) read at {url},high", 1
    )
    path.write_text(text)
    shown = run_cli(
        "data", "sources", "--data", str(tiny_copy), env={"COLUMNS": "100", "FORCE_COLOR": "1"}
    )
    assert shown.returncode == 0, shown.stderr
    assert "\x1b]8;id=" in shown.stdout and f";{url}\x1b\\" in shown.stdout
    piped = run_cli("data", "sources", "--data", str(tiny_copy), env={"COLUMNS": "100"})
    assert "\x1b" not in piped.stdout
