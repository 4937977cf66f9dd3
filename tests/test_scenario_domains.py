"""Each field of a scenario has its domain, checked once in the schema for every entry point:
the reproducers of the hardening review, each refused with the field and the line it is on."""

from __future__ import annotations

import pytest

from burdenshift.errors import InputError
from burdenshift.scenario.apply import applied_world
from burdenshift.scenario.loader import parse_scenario
from tests.conftest import run_cli

REFUSED = [
    # (scenario text, field named, line named)
    ("horizon: [2026, 2226]\n", "horizon.1", 1),
    ("name: x\nhorizon: [2026, 3000]\n", "horizon.1", 2),
    ("horizon: [2026, 1e12]\n", "horizon.1", 1),
    ("horizon: [2026, 1.0e+30]\n", "horizon.1", 1),
    ("horizon: [2026, 2060]\n", "horizon", 1),
    ("name: x\nhorizon: [2026, 2035]\n\n\ndeadline: 2040\n", "deadline", 5),
    ("requirement_growth_by_area: {isr: -1}\n", "requirement_growth_by_area.isr", 1),
    ("requirement_growth_by_area:\n  isr: 0\n", "requirement_growth_by_area.isr", 2),
    ("requirement_growth: .inf\n", "requirement_growth", 1),
    ("requirement_growth: .nan\n", "requirement_growth", 1),
    ("requirement_growth: 1.0e+300\n", "requirement_growth", 1),
    ("budget:\n  multiplier: .inf\n", "budget.multiplier", 2),
    ("budget:\n  pct_gdp: {2030: 50}\n", "budget.pct_gdp.2030", 2),
    ("budget:\n  pct_gdp: {1800: 3}\n", "budget.pct_gdp.1800", 2),
    (
        "overrides:\n  - {table: allies.csv, key: DEU, field: gdp_usd_bn, value: .nan}\n",
        "overrides.0.value",
        2,
    ),
    (
        "overrides:\n  - {table: allies.csv, key: DEU, field: gdp_usd_bn, value: .inf}\n",
        "overrides.0.value",
        2,
    ),
    ("us_drawdown:\n  start_year: -5\n", "us_drawdown.start_year", 2),
    ("us_drawdown:\n  start_year: 1.0e+30\n", "us_drawdown.start_year", 2),
    ("us_drawdown:\n  start_year: 2030\n  end_year: 2028\n", "us_drawdown.end_year", 3),
    (
        "us_drawdown:\n  by_area:\n    isr: {start_year: 2031, end_year: 2029}\n",
        "us_drawdown.by_area.isr.end_year",
        3,
    ),
    ("coordination_withdrawal: 1000\n", "coordination_withdrawal", 1),
    ("coordination_withdrawal: 1.0e+30\n", "coordination_withdrawal", 1),
    ("deadline: 2027.5\n", "deadline", 1),
    ("target_share_by_area: {isr: 1.5}\n", "target_share_by_area.isr", 1),
    ("export:\n  licence_cap_share: .nan\n", "export.licence_cap_share", 2),
]


@pytest.mark.parametrize(("text", "field", "line"), REFUSED)
def test_out_of_domain_is_refused_with_its_field_and_line(text, field, line):
    with pytest.raises(InputError) as err:
        parse_scenario(text, "s.yaml")
    assert err.value.field == field
    assert err.value.line == line
    assert err.value.message.startswith(f"s.yaml, line {line}: field '{field}'")
    assert "pydantic" not in err.value.message and "input_value" not in err.value.message


def test_integral_years_written_as_decimals_are_years():
    assert parse_scenario("deadline: 2030.0\n").deadline == 2030


def test_the_longest_horizon_is_accepted():
    sc = parse_scenario("horizon: [2026, 2056]\ndeadline: 2030\n")
    assert len(sc.years) == 31


CHECKED_AGAINST_THE_DATA = [
    (
        "overrides:\n  - table: allies.csv\n    key: DEU\n    field: gdp_usd_bn\n    value: 0\n",
        "overrides.0.value",
        5,
    ),
    (
        'overrides:\n  - {table: holdings.csv, key: "DEU:taurus", field: quantity, '
        "value: 1.0e+308}\n",
        "overrides.0.value",
        2,
    ),
    ("name: x\n\ntarget_share_by_area:\n  atlantis: 0.5\n", "target_share_by_area.atlantis", 4),
    ("name: x\nhorizon: [2025, 2035]\n", "horizon", 2),
    ("budget:\n  by_ally:\n    ATL: {2030: 3}\n", "budget.by_ally.ATL", 3),
    ("export:\n  closed_routes:\n    - line: NOPE\n", "export.closed_routes.0.line", 3),
    (
        "overrides:\n  - table: parameters.csv\n    key: base_year\n    field: value\n"
        "    value: 2000\n",
        "overrides.0.key",
        3,
    ),
]


@pytest.mark.parametrize(("text", "field", "line"), CHECKED_AGAINST_THE_DATA)
def test_checks_against_the_data_name_the_file_and_line(default_world, text, field, line):
    sc = parse_scenario(text, "s.yaml")
    with pytest.raises(InputError) as err:
        applied_world(default_world, sc)
    assert (err.value.file, err.value.line, err.value.field) == ("s.yaml", line, field)


@pytest.mark.parametrize(
    "text",
    [
        "horizon: [2026, 3000]\n",
        "horizon: [2026, 1e12]\n",
        "horizon: [2026, 1.0e+30]\n",
        "requirement_growth: .inf\n",
        "deadline: 2027\ndeadline: 2030\n",
        "a: " + "[" * 3000 + "]" * 3000 + "\n",
        "deadline: " + "9" * 5000 + "\n",
    ],
)
def test_the_cli_refuses_them_in_one_paragraph(tmp_path, text):
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    done = run_cli("plan", "-s", str(path), "--db", str(tmp_path / "runs.duckdb"))
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith(f"error: {path}, line ")
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert not (tmp_path / "runs.duckdb").exists()


def test_an_error_quoting_a_terminal_escape_shows_it_without_acting(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text('target_share_by_area:\n  "\\e[2Jx": 0.5\n', encoding="utf-8")
    done = run_cli("assess", "-s", str(path), "--no-store")
    assert done.returncode == 2
    assert "\x1b" not in done.stderr and "\\x1b[2Jx" in done.stderr


def test_overrides_that_leave_a_metric_unheld_are_refused(tiny_world):
    """Zero holdings on both sides would read as 100 % covered: the data checks apply to the
    overridden data too."""
    sc = parse_scenario(
        "overrides:\n"
        '  - {table: holdings.csv, key: "FRA:hq", field: quantity, value: 0}\n'
        '  - {table: holdings.csv, key: "USA:hq", field: quantity, value: 0}\n',
        "s.yaml",
    )
    with pytest.raises(InputError) as err:
        applied_world(tiny_world, sc)
    assert err.value.field == "overrides" and err.value.file == "s.yaml"
    assert "c2" in err.value.message


def test_a_distribution_field_is_named_as_written():
    """The field is the path of keys in the file, without the distribution's union tag."""
    with pytest.raises(InputError) as err:
        parse_scenario(
            "uncertainty:\n  cost_overrun: {dist: normal, mean: 1, sd: 0.1, low: 0.5, high: .inf}\n"
        )
    assert err.value.field == "uncertainty.cost_overrun.high"


@pytest.mark.filterwarnings("default")  # the CLI's own filter is under test, not pytest's
def test_a_runtime_warning_in_burdenshift_stops_with_the_internal_error_line(monkeypatch, capsys):
    """A numpy overflow in burdenshift's code would otherwise print a warning with a source path
    and go on to a wrong number."""
    import numpy as np

    from burdenshift import cli
    from burdenshift.engine import assess as assess_module
    from burdenshift.engine import counting

    real = assess_module.assess

    def overflowing(world, scenario):
        # a denormal requirement: E / R overflows inside burdenshift.engine.counting
        counting.coverage(np.array([600.0]), np.array([7.9e-321]))
        return real(world, scenario)

    monkeypatch.setattr(assess_module, "assess", overflowing)
    monkeypatch.setattr("sys.argv", ["burdenshift", "assess", "--no-store"])
    with pytest.raises(SystemExit) as done:
        cli.main()
    assert done.value.code == 1
    err = capsys.readouterr().err
    assert err.startswith("error: internal error (RuntimeWarning)") and "Traceback" not in err


FIVE_HUNDREDS = [
    # the review's ways to a plain "Internal Server Error", each now a 422 naming its field
    ("/api/validate", "a: " + "[" * 3000 + "]" * 3000 + "\n", None),
    ("/api/assess", "deadline: " + "9" * 4400 + "\n", None),
    ("/api/plan", "requirement_growth: .inf\n", "requirement_growth"),
    (
        "/api/simulate",
        "overrides:\n  - {table: allies.csv, key: FRA, field: gdp_usd_bn, value: .nan}\n",
        "overrides.0.value",
    ),
    ("/api/assess", "horizon: [2026, 5026]\n", "horizon.1"),
]


@pytest.mark.parametrize(("endpoint", "text", "field"), FIVE_HUNDREDS)
def test_the_web_api_refuses_them_by_field(tmp_path, endpoint, text, field):
    from fastapi.testclient import TestClient

    from burdenshift.web.app import create_app
    from tests.conftest import TINY

    with TestClient(create_app(tmp_path / "r.duckdb", TINY, allowed_hosts=["testserver"])) as c:
        reply = c.post(
            endpoint, json={"yaml": text, "time_limit": 5} if "plan" in endpoint else {"yaml": text}
        )
        if endpoint == "/api/validate":
            assert reply.status_code == 200 and reply.json()["valid"] is False
            message = reply.json()["error"]["message"]
        else:
            assert reply.status_code == 422, reply.text
            (detail,) = reply.json()["detail"]
            message = detail["msg"]
            if field is not None:
                assert detail["loc"] == ["body", *field.split(".")]
        assert message.startswith("uploaded scenario, line ")
    assert not (tmp_path / "r.duckdb").exists() or (tmp_path / "r.duckdb").stat().st_size == 0
