"""A user's own data folder: every defect of issue 10 as a reproducer, the domains of figures and
uncertain parameters, and a fuzz of corrupted folders through the reader, the checks, the
loader and `assess`."""

from __future__ import annotations

import dataclasses
import math
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from burdenshift.domain.checks import check_all
from burdenshift.domain.figures import PARAMETERS, TABLES, field_spec
from burdenshift.domain.load import _world, load_raw, load_world
from burdenshift.domain.reader import read_folder
from burdenshift.domain.uncertainty import DOMAINS, Uncertainty
from burdenshift.engine.assess import assess
from burdenshift.errors import InputError
from burdenshift.scenario.schema import Scenario
from tests.conftest import TINY, run_cli

DEFAULT_DATA = Path(__file__).resolve().parent.parent / "src" / "burdenshift" / "data"
TINY_FILES = sorted(p.name for p in TINY.iterdir())
ROW = "hand-worked test world (2026),high,"
"""The source, confidence and note of a fixture row."""


def _problems(folder: Path) -> list[InputError]:
    return check_all(read_folder(folder))


def _edit(folder: Path, name: str, old: str, new: str) -> None:
    path = folder / name
    text = path.read_text()
    assert old in text, (name, old)
    path.write_text(text.replace(old, new, 1))


def _line_of(folder: Path, name: str, needle: str) -> int:
    """The 1-based line of the first line containing `needle`."""
    lines = (folder / name).read_text(encoding="utf-8-sig").splitlines()
    return next(i for i, line in enumerate(lines, start=1) if needle in line)


def _one(problems: list[InputError], file: str, line: int | None, *needles: str) -> InputError:
    assert len(problems) == 1, [p.message for p in problems]
    p = problems[0]
    assert p.file is not None and p.file.endswith(file), p.message
    assert p.line == line, p.message
    for needle in needles:
        assert needle in p.message, p.message
    assert "\n" not in p.message and p.fix, p.message
    return p


# -- the shipped data -----------------------------------------------------------------------


def test_every_shipped_figure_lies_in_its_domain():
    """The bounds are generous: no shipped figure is near its bound (a bound that refused one
    would be wrong, not the figure)."""
    raw = read_folder(DEFAULT_DATA)
    assert raw.problems == () and check_all(raw) == []
    for f in raw.figures:
        spec = field_spec(f.table, f.field, f.key)
        assert spec is not None and spec.problem(f.value) is None, f
        if f.unit not in ("share", "year", "years", "pct_gdp") and f.key != "learning_rate":
            assert f.value <= spec.upper / 10, f


def test_every_bound_is_finite():
    specs = [s for table in TABLES.values() for s in table.values()] + list(PARAMETERS.values())
    for spec in specs:
        assert math.isfinite(spec.upper) and math.isfinite(spec.lower) and spec.lower >= 0
    assert TABLES["allies.csv"]["gdp_usd_bn"].positive
    assert PARAMETERS["base_year"].integer and PARAMETERS["base_year"].lower >= 2000


# -- CSV: lines, BOM, one problem per fault -----------------------------------------------------


def test_line_numbers_after_a_quoted_multi_line_note(tiny_copy):
    path = tiny_copy / "holdings.csv"
    rows = path.read_text().splitlines()
    rows.insert(2, f'DEU:hq,quantity,1,items,2026,{ROW}"a note\nover\nthree lines"')
    rows.append(f"FRA:tanker,quantity,abc,items,2026,{ROW}")
    path.write_text("\n".join(rows) + "\n")
    assert _line_of(tiny_copy, "holdings.csv", "abc") == 10
    _one(_problems(tiny_copy), "holdings.csv", 10, "'abc' is not a number", "quantity")


def test_the_figure_of_a_multi_line_note_keeps_its_first_line(tiny_copy):
    path = tiny_copy / "holdings.csv"
    rows = path.read_text().splitlines()
    rows.insert(1, 'DEU:hq,quantity,1,items,2026,src (2026),low,"two\nlines",0,2')
    path.write_text("\n".join(rows) + "\n")
    raw = read_folder(tiny_copy)
    line = {f.key: f.line for f in raw.figures if f.table == "holdings.csv"}
    assert line["DEU:hq"] == 2 and line["FRA:tanker"] == 4


def test_an_unclosed_quote_is_one_problem_on_its_line(tiny_copy):
    _edit(tiny_copy, "lines.csv", "FRA-TANKER,lead_time_years,1,years,2026,", 'x,"y\n')
    line = _line_of(tiny_copy, "lines.csv", 'x,"y')
    _one(_problems(tiny_copy), "lines.csv", line, "quotes")


def test_a_csv_saved_by_excel_with_a_bom_is_read(tiny_copy):
    for name in ("systems.csv", "holdings.csv"):
        path = tiny_copy / name
        path.write_bytes(b"\xef\xbb\xbf" + path.read_text().replace("\n", "\r\n").encode())
    assert _problems(tiny_copy) == []
    plain = read_folder(TINY)
    bom = read_folder(tiny_copy)
    assert [(f.key, f.field, f.value, f.line) for f in bom.figures] == [
        (f.key, f.field, f.value, f.line) for f in plain.figures
    ]


def test_a_yaml_file_with_a_bom_is_read(tiny_copy):
    path = tiny_copy / "areas.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert _problems(tiny_copy) == []


def test_one_bad_value_is_one_problem(tiny_copy):
    _edit(
        tiny_copy, "lines.csv", "FRA-TANKER,capacity_per_year,1,", "FRA-TANKER,capacity_per_year,x,"
    )
    _one(_problems(tiny_copy), "lines.csv", 2, "capacity_per_year", "not a number")


def test_one_row_with_too_few_columns_is_one_problem(tiny_copy):
    _edit(tiny_copy, "systems.csv", "hq,unit_cost_musd,50,USD_m,2026,", "hq,unit_cost_musd,50\n#")
    problems = _problems(tiny_copy)
    assert [p.line for p in problems] == [6, 7], [p.message for p in problems]
    assert "has 3 columns" in problems[0].message


@pytest.mark.parametrize("name", [n for n in TINY_FILES if n.endswith(".csv")])
def test_a_missing_table_is_one_problem(tiny_copy, name):
    (tiny_copy / name).unlink()
    _one(_problems(tiny_copy), name, None, "missing")


@pytest.mark.parametrize("name", [n for n in TINY_FILES if n.endswith(".csv")])
def test_a_table_without_its_header_is_one_problem(tiny_copy, name):
    path = tiny_copy / name
    path.write_text("".join(path.read_text().splitlines(keepends=True)[1:]))
    _one(_problems(tiny_copy), name, 1, "header")


def test_a_missing_table_of_the_default_data_is_one_problem(tmp_path):
    """Issue 10: a missing systems.csv gave 265 problems."""
    folder = tmp_path / "data"
    shutil.copytree(DEFAULT_DATA, folder)
    (folder / "systems.csv").unlink()
    _one(_problems(folder), "systems.csv", None, "missing")


def test_a_folder_that_is_a_file_in_place_of_a_table(tiny_copy):
    (tiny_copy / "inputs.csv").unlink()
    (tiny_copy / "inputs.csv").mkdir()
    _one(_problems(tiny_copy), "inputs.csv", None, "folder")


def test_a_file_that_is_not_utf8(tiny_copy):
    path = tiny_copy / "allies.csv"
    path.write_bytes(path.read_bytes().replace(b"hand-worked", b"hand\xe9worked", 1))
    _one(_problems(tiny_copy), "allies.csv", 2, "UTF-8")


# -- CSV: the domain of each figure ---------------------------------------------------------------


BAD_FIGURES = [
    # (file, old, new, needles)
    ("holdings.csv", "FRA:tanker,quantity,4,", "FRA:tanker,quantity,1_000,", ("'1_000'",)),
    ("holdings.csv", "FRA:tanker,quantity,4,", "FRA:tanker,quantity,inf,", ("'inf'",)),
    ("holdings.csv", "FRA:tanker,quantity,4,", "FRA:tanker,quantity,nan,", ("'nan'",)),
    ("holdings.csv", "FRA:tanker,quantity,4,", "FRA:tanker,quantity,0x10,", ("'0x10'",)),
    ("holdings.csv", "FRA:tanker,quantity,4,", "FRA:tanker,quantity,1e400,", ("not a finite",)),
    ("holdings.csv", "FRA:tanker,quantity,4,", "FRA:tanker,quantity,1e308,", ("maximum 1e+09",)),
    ("holdings.csv", "FRA:tanker,quantity,4,", "FRA:tanker,quantity,-1,", ("not zero or more",)),
    ("holdings.csv", "quantity,4,items,2026", "quantity,4,items,-99999", ("year '-99999'",)),
    ("holdings.csv", "quantity,4,items,2026", "quantity,4,items,1e20", ("year '1e20'",)),
    ("holdings.csv", "quantity,4,items,2026", "quantity,4,items,2026.7", ("year '2026.7'",)),
    ("holdings.csv", "quantity,4,items,2026", "quantity,4,items,1850", ("year '1850'",)),
    ("allies.csv", "FRA,gdp_usd_bn,1000,", "FRA,gdp_usd_bn,0,", ("gdp_usd_bn", "not positive")),
    ("allies.csv", "FRA,gdp_usd_bn,1000,", "FRA,gdp_usd_bn,2e6,", ("maximum 1e+06",)),
    ("parameters.csv", "base_year,value,2026,", "base_year,value,2026.7,", ("whole number",)),
    ("parameters.csv", "base_year,value,2026,", "base_year,value,0,", ("base_year", "2000")),
    ("parameters.csv", "base_year,value,2026,", "base_year,value,2101,", ("maximum 2100",)),
    ("parameters.csv", "learning_rate,value,0.9,", "learning_rate,value,0,", ("minimum 0.5",)),
    ("systems.csv", "tanker,service_life_years,10,", "tanker,service_life_years,0,", ("1",)),
    ("systems.csv", "tanker,unit_cost_musd,100,", "tanker,unit_cost_musd,1e9,", ("maximum",)),
    (
        "lines.csv",
        "FRA-TANKER,capacity_ceiling_per_year,3,",
        "FRA-TANKER,capacity_ceiling_per_year,1e10,",
        ("maximum",),
    ),
    ("lines.csv", "FRA-TANKER,uses_seekers,1,", "FRA-TANKER,uses_seekers,1e7,", ("maximum",)),
]


@pytest.mark.parametrize(("file", "old", "new", "needles"), BAD_FIGURES)
def test_a_figure_out_of_its_domain_is_one_problem(tiny_copy, file, old, new, needles):
    _edit(tiny_copy, file, old, new)
    line = _line_of(tiny_copy, file, new)
    _one(_problems(tiny_copy), file, line, *needles)


def test_exponent_notation_and_plain_decimals_are_accepted(tiny_copy):
    _edit(tiny_copy, "holdings.csv", "FRA:tanker,quantity,4,", "FRA:tanker,quantity,4.0e0,")
    _edit(tiny_copy, "systems.csv", "tanker,value_per_unit,100,", "tanker,value_per_unit,1E2,")
    _edit(tiny_copy, "allies.csv", "FRA,equipment_share,0.25,", "FRA,equipment_share,.25,")
    _edit(tiny_copy, "parameters.csv", "base_year,value,2026,", "base_year,value,2026.0,")
    assert _problems(tiny_copy) == []
    w = _fresh_world(tiny_copy)
    assert w.base_year == 2026 and w.holdings[0, 0] == 4 and w.value_per_unit[0] == 100


def test_a_planned_capacity_year_must_be_a_whole_plausible_year(tiny_copy):
    path = tiny_copy / "lines.csv"
    path.write_text(
        path.read_text()
        + f"FRA-TANKER,planned_capacity_per_year,2,items_per_year,2026,{ROW}\n"
        + f"FRA-TANKER,planned_capacity_year,2027.5,year,2026,{ROW}\n"
    )
    _one(_problems(tiny_copy), "lines.csv", 16, "whole number")


# -- nonsense that printed 100 % -----------------------------------------------------------------


def test_holdings_with_only_a_header_are_a_data_error(tiny_copy):
    path = tiny_copy / "holdings.csv"
    path.write_text(path.read_text().splitlines()[0] + "\n")
    p = _one(_problems(tiny_copy), "holdings.csv", None, "no holding", "100 %")
    assert p.field == "quantity"


def test_all_zero_quantities_are_a_data_error(tiny_copy):
    path = tiny_copy / "holdings.csv"
    rows = path.read_text().splitlines()
    path.write_text(
        "\n".join(
            [rows[0], *(",".join([*r.split(",")[:2], "0", *r.split(",")[3:]]) for r in rows[1:])]
        )
        + "\n"
    )
    _one(_problems(tiny_copy), "holdings.csv", None, "no holding has a positive quantity")


def test_an_area_nobody_holds_is_a_data_error(tiny_copy):
    """The requirement is Europe's plus the US contribution; with neither, every share of the
    area would read 100 % (engine/counting.py counts a zero requirement as covered)."""
    path = tiny_copy / "holdings.csv"
    rows = path.read_text().splitlines(keepends=True)
    path.write_text("".join(ln for ln in rows if ":hq," not in ln))
    _one(_problems(tiny_copy), "holdings.csv", None, "area 'c2'", "metric 'hq'", "100 %")


def test_an_area_held_by_the_us_only_is_a_share_of_zero(tiny_copy):
    path = tiny_copy / "holdings.csv"
    rows = path.read_text().splitlines(keepends=True)
    path.write_text("".join(ln for ln in rows if not ln.startswith("FRA:hq")))
    assert _problems(tiny_copy) == []
    c2 = {a.area: a for a in _assess(_fresh_world(tiny_copy)).areas}["c2"]
    assert c2.europe_share_now == 0 and c2.us == 1


def test_a_zero_value_per_unit_leaves_nothing_held(tiny_copy):
    _edit(tiny_copy, "systems.csv", "hq,value_per_unit,1,", "hq,value_per_unit,0,")
    _one(_problems(tiny_copy), "holdings.csv", None, "metric 'hq'")


def test_no_european_defence_spending_is_a_data_error(tiny_copy):
    for ally in ("FRA", "DEU"):
        _edit(tiny_copy, "allies.csv", f"{ally},defence_pct_gdp,2,", f"{ally},defence_pct_gdp,0,")
    problems = _problems(tiny_copy)
    assert any("spends anything on defence" in p.message for p in problems), problems
    assert all(p.file and p.file.endswith("allies.csv") for p in problems)


def test_zero_gdp_of_one_ally_is_refused_so_burden_shares_stay_finite(tiny_copy):
    _edit(tiny_copy, "allies.csv", "DEU,gdp_usd_bn,1000,", "DEU,gdp_usd_bn,0,")
    _one(_problems(tiny_copy), "allies.csv", 6, "gdp_usd_bn", "not positive")


def test_eur_is_not_an_ally_code(tiny_copy):
    _edit(tiny_copy, "allies.yaml", "  DEU:", "  EUR: {name: Europe, region: europe}\n  DEU:")
    assert any("EUR" in p.message for p in _problems(tiny_copy))


def test_an_id_with_a_colon_is_refused_with_its_line(tiny_copy):
    _edit(tiny_copy, "systems.yaml", "  hq:", "  'h:q':")
    p = _problems(tiny_copy)[0]
    assert p.file.endswith("systems.yaml") and p.line == 3, p.message


# -- YAML definitions ----------------------------------------------------------------------------


def test_deep_nesting_in_uncertainty_yaml_is_one_problem(tiny_copy):
    (tiny_copy / "uncertainty.yaml").write_text(
        "ramp_realisation:\n  dist: " + "[" * 3000 + "]" * 3000 + "\n"
    )
    _one(_problems(tiny_copy), "uncertainty.yaml", 2, "nested")


def test_a_repeated_yaml_key_is_one_problem(tiny_copy):
    _edit(tiny_copy, "allies.yaml", "  DEU:", "  FRA: {name: France, region: europe}\n  DEU:")
    _one(_problems(tiny_copy), "allies.yaml", 3, "'FRA' twice")


def test_a_yaml_alias_is_refused(tiny_copy):
    _edit(tiny_copy, "allies.yaml", "  FRA: {", "  FRA: &f {")
    _edit(tiny_copy, "allies.yaml", "  DEU: {name: Germany, region: europe}", "  DEU: *f")
    _one(_problems(tiny_copy), "allies.yaml", 3, "alias")


def test_a_schema_error_names_its_line(tiny_copy):
    _edit(tiny_copy, "areas.yaml", "coordination_dependent: true", "coordination_dependent: 7")
    _one(_problems(tiny_copy), "areas.yaml", 9, "c2.coordination_dependent")


def test_an_unknown_key_names_its_line_and_fix(tiny_copy):
    _edit(tiny_copy, "lines.yaml", "system: tanker}\n  USA", "system: tanker, colour: red}\n  USA")
    p = _one(_problems(tiny_copy), "lines.yaml", 2, "FRA-TANKER.colour")
    assert "unknown keys" in (p.fix or "")


# -- uncertainty domains --------------------------------------------------------------------------


UNC_LINE = "  dist: uniform\n  low: {low}\n  high: {high}\n"

BAD_UNCERTAINTY = [
    ("ramp_realisation", "{dist: uniform, low: -5, high: -1}", "[0, 1]"),
    ("ramp_realisation", "{dist: triangular, low: 0.5, mode: 1, high: 2}", "[0, 1]"),
    ("licence_level", "{dist: uniform, low: 2, high: 3}", "[0, 1]"),
    ("licence_level", "{dist: uniform, low: 0, high: .inf}", "finite"),
    ("licence_level", "{dist: beta, a: .nan, b: 2}", "finite"),
    ("lead_delay_years", "{dist: uniform, low: 0, high: 1e19}", "[0, 30]"),
    ("lead_delay_years", "{dist: discrete, values: [0, 1.5], probs: [0.5, 0.5]}", "whole"),
    ("drawdown_start", "{dist: discrete, values: [2027, 1.0e+30], probs: [0.5, 0.5]}", "2100"),
    ("drawdown_start", "{dist: uniform, low: -5, high: 2030}", "[2000, 2100]"),
    ("coordination_year", "{dist: discrete, values: [1000, null], probs: [0.5, 0.5]}", "2000"),
    ("cost_overrun", "{dist: lognormal, median: 1.1, sigma: 0.15}", "high"),
    ("cost_overrun", "{dist: uniform, low: 0, high: 2}", "[0.1, 10]"),
    ("cost_overrun", "{dist: normal, mean: 1, sd: 0.2, low: 0.5, high: 1e9}", "[0.1, 10]"),
    ("us_floor_factor", "{dist: normal, mean: 1, sd: 0.2}", "low and high"),
    ("us_floor_factor", "{dist: uniform, low: -1, high: 1}", "[0, 10]"),
    ("budget_realisation", "{distribution: {dist: uniform, low: 0, high: 5}}", "[0, 2]"),
    ("budget_realisation", "{distribution: {dist: discrete, values: [null], probs: [1]}}", "null"),
    ("ramp_realisation", "{dist: discrete, values: [a], probs: [1]}", "numbers"),
]


@pytest.mark.parametrize(("name", "dist", "needle"), BAD_UNCERTAINTY)
def test_an_uncertain_parameter_out_of_its_domain_is_refused(tiny_copy, name, dist, needle):
    (tiny_copy / "uncertainty.yaml").write_text(
        "ramp_realisation: {dist: uniform, low: 0.5, high: 1}\n" * (name != "ramp_realisation")
        + f"{name}: {dist}\n"
    )
    line = 1 if name == "ramp_realisation" else 2
    p = _one(_problems(tiny_copy), "uncertainty.yaml", line, name, needle)
    assert "Fix:" in p.message


def test_the_domain_table_covers_every_numeric_parameter():
    numeric = set(Uncertainty.model_fields) - {"drawdown_path"}
    assert set(DOMAINS) == numeric
    for dom in DOMAINS.values():
        assert math.isfinite(dom.low) and math.isfinite(dom.high) and dom.low < dom.high


@pytest.mark.parametrize(
    "block",
    [
        {"ramp_realisation": {"dist": "uniform", "low": 0, "high": 1}},
        {"cost_overrun": {"dist": "lognormal", "median": 1.1, "sigma": 0.2, "low": 0.9, "high": 3}},
        {"cost_overrun": {"dist": "lognormal", "median": 1, "sigma": 0}},
        {"budget_realisation": {"distribution": {"dist": "normal", "mean": 1, "sd": 0}}},
        {"us_floor_factor": {"dist": "beta", "a": 2, "b": 3, "low": 0.5, "high": 1.5}},
        {"coordination_year": {"dist": "discrete", "values": [2027, None], "probs": [0.5, 0.5]}},
        {"lead_delay_years": {"dist": "triangular", "low": 0, "mode": 1, "high": 30}},
    ],
)
def test_distributions_inside_their_domain_are_accepted(block):
    Uncertainty.model_validate(block)


def test_shipped_distributions_draw_inside_their_domains(default_world):
    unc = default_world.uncertainty
    u = np.linspace(0, 1, 1001)
    for name, dom in DOMAINS.items():
        d = getattr(unc, name)
        if d is None:
            continue
        d = getattr(d, "distribution", d)
        drawn = np.array([np.nan if v is None else v for v in d.ppf(u)], dtype=float)
        drawn = drawn[~np.isnan(drawn)] if name == "coordination_year" else drawn
        assert np.all((drawn >= dom.low) & (drawn <= dom.high)), name


@pytest.mark.parametrize("value", [float("inf"), float("nan"), float("-inf")])
def test_no_distribution_takes_a_non_finite_number(value):
    for block in (
        {"dist": "uniform", "low": 0.1, "high": value},
        {"dist": "normal", "mean": value, "sd": 0.1, "low": 0, "high": 1},
        {"dist": "normal", "mean": 0.5, "sd": value, "low": 0, "high": 1},
        {"dist": "discrete", "values": [0.5, value], "probs": [0.5, 0.5]},
        {"dist": "discrete", "values": [0.5], "probs": [value]},
    ):
        with pytest.raises(ValidationError):
            Uncertainty.model_validate({"licence_level": block})


# -- through the CLI ----------------------------------------------------------------------------


def _reproducers() -> dict[str, tuple[Callable[[Path], None], str, int | None, str]]:
    def holdings_header_only(f: Path) -> None:
        p = f / "holdings.csv"
        p.write_text(p.read_text().splitlines()[0] + "\n")

    def multi_line_note(f: Path) -> None:
        p = f / "holdings.csv"
        rows = p.read_text().splitlines()
        rows.insert(2, 'DEU:hq,quantity,1,items,2026,src (2026),low,"a\nb\nc",0,2')
        rows.append(f"FRA:tanker,quantity,abc,items,2026,{ROW}")
        p.write_text("\n".join(rows) + "\n")

    def deep(f: Path) -> None:
        (f / "uncertainty.yaml").write_text("ramp_realisation: " + "[" * 3000 + "]" * 3000)

    def sub(name: str, old: str, new: str) -> Callable[[Path], None]:
        return lambda f: _edit(f, name, old, new)

    def missing(f: Path) -> None:
        (f / "systems.csv").unlink()

    def unc(text: str) -> Callable[[Path], None]:
        return lambda f: (f / "uncertainty.yaml").write_text(text)

    return {
        "holdings header only": (holdings_header_only, "holdings.csv", None, "no holding"),
        "multi-line note": (multi_line_note, "holdings.csv", 10, "'abc' is not a number"),
        "deep nesting": (deep, "uncertainty.yaml", 1, "nested"),
        "missing systems.csv": (missing, "systems.csv", None, "missing"),
        "underscore number": (
            sub("holdings.csv", "quantity,4,", "quantity,1_000,"),
            "holdings.csv",
            2,
            "'1_000'",
        ),
        "year -99999": (
            sub("holdings.csv", "quantity,4,items,2026", "quantity,4,items,-99999"),
            "holdings.csv",
            2,
            "year",
        ),
        "base_year 2026.7": (
            sub("parameters.csv", "base_year,value,2026,", "base_year,value,2026.7,"),
            "parameters.csv",
            2,
            "whole number",
        ),
        "base_year 0": (
            sub("parameters.csv", "base_year,value,2026,", "base_year,value,0,"),
            "parameters.csv",
            2,
            "minimum 2000",
        ),
        "holdings 1e308": (
            sub("holdings.csv", "quantity,4,", "quantity,1e308,"),
            "holdings.csv",
            2,
            "maximum",
        ),
        "zero gdp": (
            sub("allies.csv", "FRA,gdp_usd_bn,1000,", "FRA,gdp_usd_bn,0,"),
            "allies.csv",
            2,
            "not positive",
        ),
        "ramp uniform(-5, -1)": (
            unc("\nramp_realisation: {dist: uniform, low: -5, high: -1}\n"),
            "uncertainty.yaml",
            2,
            "[0, 1]",
        ),
        "high .inf": (
            unc("licence_level:\n  dist: uniform\n  low: 0\n  high: .inf\n"),
            "uncertainty.yaml",
            4,
            "finite",
        ),
        "lead delay 1e19": (
            unc("lead_delay_years: {dist: uniform, low: 0, high: 1e19}\n"),
            "uncertainty.yaml",
            1,
            "[0, 30]",
        ),
        "repeated key": (
            unc("cost_overrun: {dist: uniform, low: 1, high: 2}\ncost_overrun: {dist: x}\n"),
            "uncertainty.yaml",
            2,
            "twice",
        ),
    }


REPRODUCERS = _reproducers()


@pytest.mark.parametrize("case", list(REPRODUCERS))
def test_data_validate_names_file_and_line(tiny_copy, case):
    corrupt, file, line, needle = REPRODUCERS[case]
    corrupt(tiny_copy)
    proc = run_cli("data", "validate", str(tiny_copy))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 2 and lines[-1].endswith("1 problem(s)."), proc.stderr
    where = f"{tiny_copy / file}" + (f", line {line}:" if line is not None else ":")
    assert lines[0].startswith(f"- {where}"), lines[0]
    assert needle in lines[0] and "Fix:" in lines[0], lines[0]


@pytest.mark.parametrize("case", ["holdings header only", "ramp uniform(-5, -1)", "zero gdp"])
def test_assess_on_a_broken_folder_is_one_error(tiny_copy, case):
    corrupt, file, _, needle = REPRODUCERS[case]
    corrupt(tiny_copy)
    proc = run_cli("assess", "--data", str(tiny_copy), "--no-store")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert proc.stderr.startswith(f"error: {tiny_copy / file}") and needle in proc.stderr
    assert proc.stdout == ""


# -- the fuzz -----------------------------------------------------------------------------------


SCENARIO = Scenario(horizon=(2026, 2028), deadline=2027)
JUNK = [
    "",
    " ",
    "abc",
    "inf",
    "-inf",
    "nan",
    "NaN",
    "Infinity",
    "-1",
    "-0",
    "0",
    "1e308",
    "1e400",
    "-1e308",
    "1e-320",
    "1_000",
    "1,000",
    "0x10",
    "1e20",
    "-99999",
    "2026.7",
    "2026",
    "1e9",
    "999999999",
    "0.5",
    "1",
    "2",
    "٣",
    '"',
    '"a\nb"',
    "a\nb",
    "\x00",
    "é",
    "1" * 60,
    "1.0.0",
    "+5",
    ".5",
    "5.",
    "1E+2",
]
YAML_JUNK = [
    "null",
    "~",
    "[]",
    "{}",
    ".inf",
    ".nan",
    "-1",
    "1e400",
    "1" * 50,
    "*x",
    "&x a",
    "!!python/object:os.system",
    "[" * 40 + "]" * 40,
    "{a: {b: {c: {d: 1}}}}",
    "'x: y'",
    "mars",
    "true",
    '"a:b"',
    "x,y",
]
DIST_NUMBER = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, 1, -1, 0.5, 2, 30, 1e19, 2027, 1e308, -5]),
)


@st.composite
def _distribution(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["uniform", "triangular", "normal", "lognormal", "beta", "disc"]))
    n = [repr(draw(DIST_NUMBER)).replace("inf", ".inf").replace("nan", ".nan") for _ in range(4)]
    if kind == "uniform":
        return f"{{dist: uniform, low: {n[0]}, high: {n[1]}}}"
    if kind == "triangular":
        return f"{{dist: triangular, low: {n[0]}, mode: {n[1]}, high: {n[2]}}}"
    if kind == "normal":
        return f"{{dist: normal, mean: {n[0]}, sd: {n[1]}, low: {n[2]}, high: {n[3]}}}"
    if kind == "lognormal":
        return f"{{dist: lognormal, median: {n[0]}, sigma: {n[1]}, high: {n[2]}}}"
    if kind == "beta":
        return f"{{dist: beta, a: {n[0]}, b: {n[1]}, low: {n[2]}, high: {n[3]}}}"
    return f"{{dist: discrete, values: [{n[0]}, {n[1]}], probs: [0.5, 0.5]}}"


@st.composite
def _corruption(draw: st.DrawFn) -> tuple[str, str, Any]:
    """(kind, file, detail) of one corruption."""
    csvs = [n for n in TINY_FILES if n.endswith(".csv")]
    yamls = [n for n in TINY_FILES if n.endswith(".yaml")]
    kind = draw(
        st.sampled_from(
            [
                "delete",
                "truncate",
                "value",
                "cell",
                "bom",
                "multiline",
                "duplicate",
                "drop_header",
                "crlf",
                "bytes",
                "deep_yaml",
                "dup_yaml_key",
                "yaml_value",
                "uncertainty",
                "drop_row",
                "bound",
            ]
        )
    )
    if kind in ("deep_yaml", "dup_yaml_key", "yaml_value"):
        return (
            kind,
            draw(st.sampled_from(yamls)),
            (draw(st.integers(0, 50)), draw(st.sampled_from(YAML_JUNK))),
        )
    if kind == "uncertainty":
        name = draw(st.sampled_from([*DOMAINS, "drawdown_path"]))
        return kind, "uncertainty.yaml", (name, draw(_distribution()))
    file = draw(st.sampled_from([*csvs, *yamls] if kind in ("delete", "truncate", "bom") else csvs))
    detail = (
        draw(st.integers(0, 50)),
        draw(st.integers(0, 7)),
        draw(st.one_of(st.sampled_from(JUNK), st.text(max_size=12))),
        draw(st.floats(0, 1)),
    )
    return kind, file, detail


def _apply(folder: Path, kind: str, file: str, detail: Any) -> None:
    path = folder / file
    if kind == "uncertainty":
        name, dist = detail
        if name == "budget_realisation":
            dist = f"{{per_ally: true, distribution: {dist}}}"
        with path.open("a") as out:
            out.write(f"{name}: {dist}\n")
        return
    if not path.is_file():
        return
    text = path.read_bytes().decode("utf-8", errors="replace")
    lines = text.splitlines(keepends=True) or ["\n"]
    if kind in ("deep_yaml", "dup_yaml_key", "yaml_value"):
        index, junk = detail
        i = index % len(lines)
        if kind == "deep_yaml":
            lines.insert(i, "deep: " + "[" * (40 + index * 60) + "]" * (40 + index * 60) + "\n")
        elif kind == "dup_yaml_key":
            lines.insert(i, lines[i])
        else:
            head, sep, _ = lines[i].rstrip("\n").partition(": ")
            lines[i] = f"{head}{sep or ': '}{junk}\n"
        path.write_text("".join(lines))
        return
    index, column, junk, fraction = detail
    i = 1 + index % max(len(lines) - 1, 1)
    if kind == "delete":
        path.unlink()
    elif kind == "truncate":
        data = path.read_bytes()
        path.write_bytes(data[: int(len(data) * fraction)])
    elif kind == "bom":
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    elif kind == "crlf":
        path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    elif kind == "bytes":
        data = bytearray(path.read_bytes())
        data.insert(int(len(data) * fraction), [0x00, 0xFF, 0xC3, 0x0D][column % 4])
        path.write_bytes(bytes(data))
    elif kind == "drop_header":
        path.write_text("".join(lines[1:]))
    elif kind == "duplicate" and len(lines) > 1:
        lines.insert(i, lines[i] if lines[i].endswith("\n") else lines[i] + "\n")
        path.write_text("".join(lines))
    elif kind == "drop_row" and len(lines) > 1:
        del lines[i]
        path.write_text("".join(lines))
    elif kind == "multiline":
        note = '"a note\nover, two\n""quoted"" lines"'
        row = lines[i].rstrip("\n").split(",") if len(lines) > 1 else ["x"] * 8
        lines.insert(i, ",".join([*row[:7], note]) + "\n")
        path.write_text("".join(lines))
    elif kind in ("value", "cell", "bound") and len(lines) > 1:
        cells = lines[i].rstrip("\r\n").split(",")
        col = 2 if kind in ("value", "bound") else column % max(len(cells), 1)
        if col < len(cells):
            if kind == "bound" and len(cells) > 2:
                spec = field_spec(file, cells[1], cells[0])
                if spec is not None:
                    junk = repr(_in_domain(spec.lower, spec.upper, spec.integer, fraction))
            quoted = any(c in junk for c in ',"\n\r')
            cells[col] = '"' + junk.replace('"', '""') + '"' if quoted else junk
            lines[i] = ",".join(cells) + "\n"
            path.write_text("".join(lines))


def _in_domain(low: float, high: float, integer: bool, fraction: float) -> float:
    """A value inside [low, high]: one of the bounds, or between them (mostly small values)."""
    if fraction < 0.25:
        value = low
    elif fraction > 0.75:
        value = high
    else:
        value = low + (high - low) * ((fraction - 0.25) * 2) ** 12
    return float(round(value)) if integer else value


def _fresh_world(folder: Path) -> Any:
    load_raw.cache_clear()
    _world.cache_clear()
    return load_world(folder)


def _assess(world: Any) -> Any:
    return assess(world, SCENARIO)


def _numbers(value: Any) -> list[float]:
    """Every number in an assessment (dataclasses, dicts, tuples, arrays)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [x for f in dataclasses.fields(value) for x in _numbers(getattr(value, f.name))]
    if isinstance(value, dict):
        return [x for v in value.values() for x in _numbers(v)]
    if isinstance(value, list | tuple):
        return [x for v in value for x in _numbers(v)]
    if isinstance(value, np.ndarray):
        return [float(x) for x in value.ravel()] if value.dtype.kind in "fiub" else []
    if isinstance(value, bool | int | float | np.number):
        return [float(value)]
    return []


def _check_folder(corruptions: list[tuple[str, str, Any]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "data"
        shutil.copytree(TINY, folder)
        for kind, file, detail in corruptions:
            _apply(folder, kind, file, detail)
        problems = check_all(read_folder(folder))  # anything but InputError fails the test
        for p in problems:
            assert isinstance(p, InputError) and p.file and p.fix, p
            assert p.file.startswith(str(folder)), p.message
            assert "\n" not in p.message and "Traceback" not in p.message, p.message
        try:
            world = _fresh_world(folder)
        except InputError as exc:
            assert problems, "load_world refused a folder that data validate passes"
            assert exc.file and exc.file.startswith(str(folder)), exc.message
            return
        finally:
            load_raw.cache_clear()
            _world.cache_clear()
        assert problems == [], "load_world accepted a folder that data validate refuses"
        result = _assess(world)
        numbers = _numbers(result)
        assert numbers and all(math.isfinite(x) for x in numbers), [
            x for x in numbers if not math.isfinite(x)
        ]
        for area in result.areas:
            assert 0 <= area.europe_share_now <= 1


FUZZ = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)
FUZZ_EXAMPLES = 300


@settings(FUZZ, max_examples=FUZZ_EXAMPLES)
@given(st.lists(_corruption(), min_size=1, max_size=3))
def test_fuzz_corrupted_data_folders(corruptions):
    """300 corrupted copies of the tiny folder: every failure is an InputError naming a file in
    the folder, and what loads assesses to finite numbers."""
    _check_folder(corruptions)


@pytest.mark.slow
@settings(FUZZ, max_examples=3_000)
@given(st.lists(_corruption(), min_size=1, max_size=5))
def test_fuzz_corrupted_data_folders_at_scale(corruptions):
    _check_folder(corruptions)


@pytest.mark.parametrize(
    "corruption",
    [
        ("bound", "holdings.csv", (0, 2, "", 0.9)),
        ("bound", "systems.csv", (1, 2, "", 0.9)),
        ("bound", "lines.csv", (0, 2, "", 0.9)),
        ("bound", "lines.csv", (4, 2, "", 0.9)),
        ("bound", "allies.csv", (0, 2, "", 0.1)),
    ],
)
def test_figures_at_their_bounds_assess_to_finite_numbers(corruption):
    _check_folder([corruption])


def test_every_figure_at_its_upper_bound_assesses_to_finite_numbers(tiny_copy):
    """The bounds keep the arithmetic finite: the tiny world with every figure but the
    parameters at its maximum."""
    for name in TINY_FILES:
        if not name.endswith(".csv") or name == "parameters.csv":
            continue
        path = tiny_copy / name
        rows = path.read_text().splitlines()
        out = [rows[0]]
        for row in rows[1:]:
            cells = row.split(",")
            spec = field_spec(name, cells[1], cells[0])
            assert spec is not None
            cells[2] = repr(spec.upper)
            if len(cells) == 10 and cells[8]:  # the range moves with the value
                cells[8] = cells[9] = cells[2]
            out.append(",".join(cells))
        path.write_text("\n".join(out) + "\n")
    assert _problems(tiny_copy) == []
    numbers = _numbers(_assess(_fresh_world(tiny_copy)))
    assert all(math.isfinite(x) for x in numbers)


def test_every_figure_at_its_lower_bound_assesses_to_finite_numbers(tiny_copy):
    """Zero prices, capacities, shares and supplies, one-year service lives: still finite (the
    holdings, values per unit, GDP and spending that make shares meaningful are kept)."""
    keep = {"quantity", "value_per_unit", "gdp_usd_bn", "defence_pct_gdp", "weight"}
    for name in TINY_FILES:
        if not name.endswith(".csv") or name == "parameters.csv":
            continue
        path = tiny_copy / name
        rows = path.read_text().splitlines()
        out = [rows[0]]
        for row in rows[1:]:
            cells = row.split(",")
            spec = field_spec(name, cells[1], cells[0])
            assert spec is not None
            if cells[1] not in keep:
                cells[2] = repr(spec.lower)
                if len(cells) == 10 and cells[8]:  # the range moves with the value
                    cells[8] = cells[9] = cells[2]
            out.append(",".join(cells))
        path.write_text("\n".join(out) + "\n")
    assert _problems(tiny_copy) == []
    numbers = _numbers(_assess(_fresh_world(tiny_copy)))
    assert all(math.isfinite(x) for x in numbers)
