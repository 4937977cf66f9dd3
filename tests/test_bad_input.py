"""Every kind of bad input gets a one-paragraph error naming file, field and fix; exit 2;
no traceback; nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import TINY, run_cli

TINY_SCENARIO = "horizon: [2026, 2028]\ndeadline: 2027\n"


def _edit(folder: Path, name: str, old: str, new: str) -> None:
    path = folder / name
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def _assert_user_error(proc, *needles: str) -> None:
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    message = proc.stderr.strip()
    assert message.startswith("error:") or message.startswith("- "), message
    assert "Fix:" in message
    # the library's own wording (links, input dumps) never reaches the analyst
    assert "errors.pydantic.dev" not in message and "input_value" not in message, message
    for needle in needles:
        assert needle in message, message


def _scenario(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "scenario.yaml"
    path.write_text(text)
    return path


def test_malformed_yaml_names_file_and_line(tmp_path):
    sc = _scenario(tmp_path, "deadline: 2027\nhorizon: [2026, 2035\n")
    proc = run_cli("assess", "--scenario", str(sc))
    _assert_user_error(proc, "scenario.yaml", "line", "not valid YAML")


def test_unknown_scenario_key_names_the_field_and_line(tmp_path):
    sc = _scenario(tmp_path, "deadline: 2027\nus_drawdown:\n  paht: blunt\n")
    proc = run_cli("assess", "--scenario", str(sc))
    _assert_user_error(proc, "us_drawdown.paht", "line 3", "unknown field")


def test_unknown_ally_in_scenario(tmp_path):
    sc = _scenario(tmp_path, "budget:\n  by_ally:\n    XXX: {2030: 3.0}\n")
    _assert_user_error(run_cli("assess", "--scenario", str(sc)), "unknown ally 'XXX'")


def test_deadline_outside_horizon(tmp_path):
    sc = _scenario(tmp_path, "deadline: 2040\n")
    _assert_user_error(run_cli("assess", "--scenario", str(sc)), "deadline", "horizon")
    _assert_user_error(
        run_cli("assess", "--deadline", "2050"), "--deadline", "deadline 2050 is outside"
    )


def test_share_outside_unit_interval_in_scenario(tmp_path):
    sc = _scenario(tmp_path, "target_share: 1.5\n")
    _assert_user_error(run_cli("assess", "--scenario", str(sc)), "target_share")


def test_bad_override_value(tmp_path):
    sc = _scenario(
        tmp_path,
        "overrides:\n  - {table: lines.csv, key: DEU-RHM-UNTERLUESS-155, "
        "field: europe_share, value: 2}\n",
    )
    _assert_user_error(run_cli("assess", "--scenario", str(sc)), "overrides.0.value")


@pytest.mark.parametrize(
    ("file", "old", "new", "needles"),
    [
        ("holdings.csv", "FRA:tanker", "FRA:zeppelin", ("holdings.csv", "line", "zeppelin")),
        ("holdings.csv", "FRA:tanker", "XXX:tanker", ("holdings.csv", "XXX:tanker")),
        ("lines.csv", "capacity_per_year,1,", "capacity_per_year,-1,", ("lines.csv", "negative")),
        ("lines.csv", "capacity_per_year,1,", "capacity_per_year,one,", ("not a number",)),
        ("areas.csv", "integration_penalty,0.5", "integration_penalty,1.5", ("share",)),
        (
            "systems.csv",
            "tanker,unit_cost_musd,100,USD_m",
            "tanker,unit_cost_musd,100,EUR",
            ("unit 'EUR'", "USD_m"),
        ),
        (
            "systems.csv",
            "2026,hand-worked test world (2026),high,,,\nhq",
            "2026,,high,,,\nhq",
            ("no source",),
        ),
        ("allies.yaml", "region: europe}", "region: europe", ("allies.yaml", "YAML")),
        ("lines.yaml", "system: tanker}", "system: blimp}", ("lines.yaml", "blimp")),
    ],
)
def test_bad_data_folder(tiny_copy, tmp_path, file, old, new, needles):
    _edit(tiny_copy, file, old, new)
    sc = _scenario(tmp_path, TINY_SCENARIO)
    out = tmp_path / "out.csv"
    proc = run_cli("simulate", "--data", str(tiny_copy), "--scenario", str(sc), "--csv", str(out))
    _assert_user_error(proc, *needles)
    assert not out.exists()
    assert not list(tmp_path.glob(".out.csv.*"))
    validate = run_cli("data", "validate", str(tiny_copy))
    _assert_user_error(validate, *needles)


def test_validate_accepts_good_folder():
    proc = run_cli("data", "validate", str(TINY))
    assert proc.returncode == 0 and "pass" in proc.stdout


def test_missing_data_folder(tmp_path):
    _assert_user_error(run_cli("assess", "--data", str(tmp_path / "nope")), "does not exist")
    # the server refuses to start on bad data, before announcing an address
    served = run_cli("serve", "--port", "1", "--data", str(tmp_path / "nope"))
    _assert_user_error(served, "does not exist")
    assert "http://" not in served.stderr


@pytest.mark.parametrize(
    "args", [("risk", "--draws", "0"), ("risk", "--seed", "-1"), ("assess", "--deadline", "soon")]
)
def test_bad_option_values_are_usage_errors(args):
    proc = run_cli(*args, "--no-store")
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "Invalid value" in proc.stderr
