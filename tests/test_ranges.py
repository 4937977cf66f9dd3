"""Plausible ranges on figures: read from the optional `low` and `high` columns, checked, shown."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pytest

from burdenshift.domain.checks import check_all
from burdenshift.domain.reader import read_folder
from burdenshift.errors import InputError

from .conftest import run_cli


def _with_range(folder: Path, name: str, needle: str, low: str, high: str) -> int:
    """Give one row of a tiny file a range; the row's line."""
    path = folder / name
    rows = list(csv.reader(path.read_text().splitlines()))
    if rows[0][-1] != "high":
        rows[0] += ["low", "high"]
    hit = next(i for i, row in enumerate(rows) if ",".join(row).startswith(needle))
    rows[hit] = [*rows[hit][:8], low, high]
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path.write_text(out.getvalue())
    return hit + 1


def _problems(folder: Path) -> list[InputError]:
    return check_all(read_folder(folder))


def test_a_range_is_read_and_rows_without_one_stay_valid(tiny_copy):
    line = _with_range(tiny_copy, "holdings.csv", "FRA:tanker,quantity", "2", "9")
    assert _problems(tiny_copy) == []
    figs = {(f.key, f.field): f for f in read_folder(tiny_copy).figures}
    fig = figs["FRA:tanker", "quantity"]
    assert (fig.low, fig.high, fig.line) == (2.0, 9.0, line)
    others = [f for f in figs.values() if f.table == "holdings.csv" and f.key != "FRA:tanker"]
    assert any(f.low is None and f.high is None and not f.weak for f in others)


@pytest.mark.parametrize(
    ("low", "high", "needle"),
    [
        ("2", "", "only one end"),
        ("x", "9", "'x' is not a number"),
        ("7", "9", "does not contain the value"),
        ("-1", "9", "not zero or more"),
    ],
)
def test_a_bad_range_is_one_problem_on_its_row(tiny_copy, low, high, needle):
    line = _with_range(tiny_copy, "holdings.csv", "FRA:tanker,quantity", low, high)
    problems = _problems(tiny_copy)
    assert len(problems) == 1, [p.message for p in problems]
    p = problems[0]
    assert p.file.endswith("holdings.csv") and p.line == line
    assert needle in p.message and "quantity" in p.message and p.fix


def test_data_sources_shows_the_range(tiny_copy):
    _with_range(tiny_copy, "holdings.csv", "FRA:tanker,quantity", "2", "9")
    proc = run_cli("data", "sources", "--data", str(tiny_copy), "--json")
    assert proc.returncode == 0, proc.stderr
    import json

    rows = json.loads(proc.stdout)
    rows = rows if isinstance(rows, list) else rows["figures"]
    row = next(r for r in rows if r["key"] == "FRA:tanker" and r["field"] == "quantity")
    assert (row["low"], row["high"]) == (2.0, 9.0)
    table = run_cli("data", "sources", "--data", str(tiny_copy), env={"COLUMNS": "200"})
    assert "2–9" in table.stdout


def test_gdp_is_put_on_the_one_money_basis(tiny_copy):
    """allies.csv gives GDP in its year's dollars; `gdp_price_factor` puts it in constant 2025
    USD, and every budget follows (a tiny world without the row keeps factor 1)."""
    from burdenshift.domain.load import load_world
    from burdenshift.engine import counting
    from burdenshift.scenario.schema import Scenario

    years = np.array([2027, 2028])
    import shutil

    plain = load_world(tiny_copy)
    other = tiny_copy.parent / "deflated"  # worlds are cached by folder
    shutil.copytree(tiny_copy, other)
    with (other / "parameters.csv").open("a") as f:
        f.write("gdp_price_factor,value,1.25,factor,2026,hand-worked test world (2026),high,,,\n")
    deflated = load_world(other)
    np.testing.assert_allclose(deflated.gdp_usd_bn, plain.gdp_usd_bn / 1.25)
    sc = Scenario(horizon=(2026, 2028), deadline=2027)
    np.testing.assert_allclose(
        counting.procurement_money(deflated, sc, years),
        counting.procurement_money(plain, sc, years) / 1.25,
    )


def test_every_weak_shipped_figure_has_an_ordered_range_and_says_why():
    from burdenshift.domain.load import load_raw

    weak = [f for f in load_raw().figures if f.weak]
    assert weak
    for f in weak:
        assert f.low is not None and f.high is not None, (f.table, f.key, f.field)
        assert f.low <= f.value <= f.high, (f.table, f.key, f.field)
        assert "range" in f.note.lower(), (f.table, f.key, f.field)


def test_data_sources_prints_the_note(tiny_copy):
    proc = run_cli("data", "sources", "--data", str(tiny_copy), env={"COLUMNS": "240"})
    assert proc.returncode == 0 and "┃ note" in proc.stdout and "weak on" in proc.stdout


def _set_confidence(folder: Path, needle: str, confidence: str) -> None:
    path = folder / "holdings.csv"
    rows = list(csv.reader(path.read_text().splitlines()))
    hit = next(i for i, row in enumerate(rows) if ",".join(row).startswith(needle))
    rows[hit][6] = confidence
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path.write_text(out.getvalue())


def test_a_medium_figure_shows_the_default_range_it_is_drawn_within(tiny_copy):
    """A `medium` row without its own range is drawn over value × (1 ± the table's default):
    `data sources` shows that range, marked as the default, and it is the range risk draws."""
    from burdenshift.domain.figures import MEDIUM_RELATIVE_RANGE
    from burdenshift.domain.load import load_world
    from burdenshift.engine.data_draws import data_space
    from burdenshift.scenario.schema import Scenario

    _set_confidence(tiny_copy, "FRA:tanker,quantity", "medium")
    r = MEDIUM_RELATIVE_RANGE["holdings.csv"]
    proc = run_cli("data", "sources", "--data", str(tiny_copy), "--json")
    assert proc.returncode == 0, proc.stderr
    import json

    rows = {(x["key"], x["field"]): x for x in json.loads(proc.stdout)}
    fra = rows["FRA:tanker", "quantity"]
    assert (fra["low"], fra["high"]) == (None, None)
    assert fra["range_low"] == pytest.approx(4 * (1 - r))
    assert fra["range_high"] == pytest.approx(4 * (1 + r))
    assert fra["range_basis"] == f"default ±{100 * r:.0f} %"
    deu = rows["DEU:tanker", "quantity"]
    assert (deu["range_low"], deu["range_high"], deu["range_basis"]) == (0.0, 4.0, "stated")
    usa = rows["USA:tanker", "quantity"]
    assert (usa["range_low"], usa["range_high"], usa["range_basis"]) == (None, None, None)

    space = data_space(load_world(tiny_copy), Scenario(horizon=(2026, 2028), deadline=2027))
    drawn = next(d for d in space.figures if d.figure.key == "FRA:tanker")
    assert (drawn.low, drawn.high) == pytest.approx((fra["range_low"], fra["range_high"]))
    table = run_cli("data", "sources", "--data", str(tiny_copy), env={"COLUMNS": "240"})
    assert f"3.4–4.6, default ±{100 * r:.0f} %" in table.stdout
