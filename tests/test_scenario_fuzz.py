"""Hostile scenarios through every entry point: whatever the text, the run either works and
prints only finite numbers, or stops with burdenshift's own error (exit 2) and keeps nothing.

The dictionaries come from the scenario's own fields with values drawn from plausible and
hostile ones alike (NaN, infinities, 1e300, negative years, wrong types, unknown names), so most
cases get deep into the checks instead of failing at the first key. The YAML texts are
mutations of the shipped scenarios. `FUZZ_SCALE` (the `slow` marker runs ×10) sets the counts.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from burdenshift.domain.load import load_world
from burdenshift.engine.assess import assess
from burdenshift.engine.risk import risk
from burdenshift.engine.simulate import simulate
from burdenshift.errors import InputError
from burdenshift.scenario.apply import applied_world
from burdenshift.scenario.loader import library, parse_scenario
from tests.conftest import TINY

TINY_WORLD = load_world(TINY)
AREAS = list(TINY_WORLD.areas)
ALLIES = list(TINY_WORLD.allies)
LINES = list(TINY_WORLD.lines)
FIGURES = [(f.table, f.key, f.field) for f in TINY_WORLD.figures]

junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=6),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


def _mostly(good: st.SearchStrategy[Any], bad: st.SearchStrategy[Any], n: int = 12) -> Any:
    """`good` about n times as often as `bad`: each field is hostile now and then, so most
    cases pass the first checks and reach the deeper ones (and the engines)."""
    return st.sampled_from([True] * n + [False]).flatmap(lambda ok: good if ok else bad)


number = _mostly(
    st.floats(min_value=0, max_value=2),
    st.one_of(
        st.sampled_from([0, -1, -0.0, 1e300, -1e300, 1e-300, 10, 11]),
        st.floats(),
        st.integers(min_value=-(10**30), max_value=10**30),
    ),
    n=6,
)
year = _mostly(
    st.integers(2026, 2036),
    st.one_of(
        st.sampled_from([2000, 2025, 2056, 2057, 2100, 2101, 1999, 0, -5, 10**20]),
        st.sampled_from([2030.0, 2030.5, float("nan"), float("inf")]),
    ),
    n=8,
)
share = _mostly(st.floats(0, 1), number, n=6)


def _maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return _mostly(strategy, junk, n=20)


def _names(known: list[str]) -> st.SearchStrategy[str]:
    return _mostly(st.sampled_from(known), st.sampled_from(["atlantis", "", "X" * 80]), n=10)


def _dist() -> st.SearchStrategy[dict[str, Any]]:
    bounded = {"low": number, "high": number}
    return st.one_of(
        st.fixed_dictionaries({"dist": st.just("uniform"), "low": number, "high": number}),
        st.fixed_dictionaries(
            {"dist": st.just("triangular"), "low": number, "mode": number, "high": number}
        ),
        st.fixed_dictionaries(
            {"dist": st.just("normal"), "mean": number, "sd": number}, optional=bounded
        ),
        st.fixed_dictionaries(
            {"dist": st.just("lognormal"), "median": number, "sigma": number}, optional=bounded
        ),
        st.fixed_dictionaries(
            {"dist": st.just("beta"), "a": number, "b": number}, optional=bounded
        ),
        st.fixed_dictionaries(
            {
                "dist": st.just("discrete"),
                "values": st.lists(st.one_of(number, year, st.none()), min_size=1, max_size=3),
                "probs": st.lists(st.floats(0, 1), min_size=1, max_size=3),
            }
        ),
        junk,
    )


UNCERTAIN = [
    "ramp_realisation",
    "lead_delay_years",
    "cost_overrun",
    "drawdown_start",
    "us_floor_factor",
    "licence_level",
    "coordination_year",
]

scenario_dicts = st.fixed_dictionaries(
    {"horizon": _maybe(st.tuples(st.just(2026), st.integers(2029, 2036)).map(list))},
    optional={
        "name": _maybe(st.text(max_size=40)),
        "deadline": _maybe(_mostly(st.integers(2027, 2029), year, n=4)),
        "target_share": _maybe(share),
        "target_share_by_area": _maybe(st.dictionaries(_names(AREAS), share, max_size=2)),
        "requirement_growth": _maybe(number),
        "requirement_growth_by_area": _maybe(st.dictionaries(_names(AREAS), number, max_size=2)),
        "procurement": _mostly(st.sampled_from(["national", "pooled"]), junk),
        "europe_includes_canada": _maybe(st.booleans()),
        "budget": _maybe(
            st.fixed_dictionaries(
                {},
                optional={
                    "path": _maybe(st.sampled_from(["latest", "pledge"])),
                    "pct_gdp": _maybe(st.dictionaries(year, number, max_size=2)),
                    "by_ally": _maybe(
                        st.dictionaries(
                            _names(ALLIES), st.dictionaries(year, number, max_size=2), max_size=2
                        )
                    ),
                    "multiplier": _maybe(number),
                },
            )
        ),
        "us_drawdown": _maybe(
            st.fixed_dictionaries(
                {},
                optional={
                    "path": _maybe(st.sampled_from(["blunt", "phased", "none"])),
                    "start_year": _maybe(year),
                    "end_year": _maybe(year),
                    "by_area": _maybe(
                        st.dictionaries(
                            _names(AREAS),
                            st.fixed_dictionaries(
                                {},
                                optional={
                                    "start_year": year,
                                    "end_year": year,
                                    "floor_share": share,
                                },
                            ),
                            max_size=2,
                        )
                    ),
                },
            )
        ),
        "coordination_withdrawal": _maybe(st.one_of(year, st.none())),
        "export": _maybe(
            st.fixed_dictionaries(
                {},
                optional={
                    "us_licences": _maybe(st.sampled_from(["granted", "capped", "refused"])),
                    "licence_cap_share": _maybe(share),
                    "closed_routes": _maybe(
                        st.lists(
                            st.fixed_dictionaries(
                                {},
                                optional={
                                    "line": _names(LINES),
                                    "from_country": _names(ALLIES),
                                    "to": st.one_of(
                                        st.just("all"), st.lists(_names(ALLIES), max_size=2)
                                    ),
                                    "until": st.one_of(year, st.none()),
                                },
                            ),
                            max_size=2,
                        )
                    ),
                },
            )
        ),
        "overrides": _maybe(
            st.lists(
                st.builds(
                    lambda f, v: {"table": f[0], "key": f[1], "field": f[2], "value": v},
                    st.sampled_from([*FIGURES, ("parameters.csv", "base_year", "value")]),
                    number,
                ),
                max_size=2,
            )
        ),
        "uncertainty": _maybe(
            st.fixed_dictionaries({}, optional={name: _dist() for name in UNCERTAIN})
        ),
    },
).flatmap(
    # now and then a field the schema does not know
    lambda d: _mostly(st.just(d), junk.map(lambda v: {**d, "bogus_field": v}), n=20)
)

SCALE = float(os.environ.get("FUZZ_SCALE", "0.35"))


def _fuzz(n: int) -> settings:
    return settings(
        max_examples=max(1, int(n * SCALE)),
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


def assert_finite(payload: Any, where: str = "") -> None:
    """Every number in a JSON payload is finite (None stands for 'never')."""
    if isinstance(payload, dict):
        for k, v in payload.items():
            assert_finite(v, f"{where}.{k}")
    elif isinstance(payload, list):
        for i, v in enumerate(payload):
            assert_finite(v, f"{where}[{i}]")
    elif isinstance(payload, float):
        assert math.isfinite(payload), f"{where} = {payload}"


def _to_yaml(d: dict[str, Any]) -> str:
    return yaml.safe_dump(d, sort_keys=False, allow_unicode=True)


def run_engines(text: str) -> None:
    """The Python API path: parse, check against the World, run assess and simulate (and a
    tiny risk run when the scenario declares uncertainty). Only InputError may escape."""
    from burdenshift.engine.runinfo import run_info
    from burdenshift.output import assessment_json, simulation_json

    try:
        sc = parse_scenario(text, "fuzz.yaml")
        world = applied_world(TINY_WORLD, sc)
        info = run_info("assess", world, sc)
        assert_finite(assessment_json(assess(world, sc), info))
        assert_finite(simulation_json(simulate(world, sc), info))
        if sc.uncertainty is not None:
            assert_finite(risk(world, sc, 16, 1).as_dict())
    except InputError as exc:
        assert exc.message and "Traceback" not in exc.message
        assert "\n" not in exc.message.strip(), exc.message


@given(scenario_dicts)
@_fuzz(3000)
def test_scenario_dicts_through_the_python_api(d):
    run_engines(_to_yaml(d))


SHIPPED = [p.read_text(encoding="utf-8") for p in library().values()]
mutations = st.one_of(
    st.text(max_size=3),
    st.sampled_from(
        [
            "\n  - ",
            ": ",
            ": .nan",
            ": .inf",
            ": -1e300",
            ": 1e30",
            "\t",
            "&a ",
            "*a",
            "[",
            "{",
            "'",
            '"',
            "\n",
            "deadline: 2099\n",
            "horizon: [2026, 3000]\n",
            "us_drawdown:\n  start_year: 1e30\n",
        ]
    ),
)


@st.composite
def mutated_yaml(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(SHIPPED))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        cut = draw(st.integers(0, 8))
        text = text[:at] + draw(mutations) + text[at + cut :]
    return text


@given(mutated_yaml())
@_fuzz(1700)
def test_scenario_yaml_text_through_the_python_api(text):
    run_engines(text)


def _cli(args: list[str]) -> tuple[int, str, str]:
    """burdenshift's own entry point in this process (a subprocess per case would take an
    hour): its exit code, stdout and stderr."""
    from burdenshift import cli

    out, err = io.StringIO(), io.StringIO()
    old = sys.argv
    sys.argv = ["burdenshift", *args]
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                cli.main()
                code = 0
            except SystemExit as exc:
                code = int(exc.code or 0)
    finally:
        sys.argv = old
    return code, out.getvalue(), err.getvalue()


def _stamp(db: Path) -> tuple[int, int] | None:
    """The store file's size and modification time: unchanged means nothing was written."""
    return (db.stat().st_size, db.stat().st_mtime_ns) if db.exists() else None


@pytest.fixture(scope="module")
def cli_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cli-fuzz")


@given(
    st.one_of(scenario_dicts.map(_to_yaml), mutated_yaml()), st.sampled_from(["assess", "simulate"])
)
@_fuzz(400)
def test_scenarios_through_the_cli(cli_dir, text, engine):
    path = cli_dir / "scenario.yaml"
    path.write_text(text, encoding="utf-8")
    db = cli_dir / "runs.duckdb"
    before = _stamp(db)
    code, out, err = _cli([engine, "-s", str(path), "--data", str(TINY), "--db", str(db), "--json"])
    assert code in (0, 2), err
    assert "Traceback" not in err
    if code == 2:
        assert err.startswith("error: ") and err.count("\n") == 1, err
        assert _stamp(db) == before, "a refused run touched the store"
        assert out == ""
    else:
        assert_finite(json.loads(out))
        assert _stamp(db) != before, "an accepted run was not kept"


@pytest.mark.slow
def test_fuzz_at_ten_times_scale():
    """The same fuzz with ten times the cases (`pytest -m slow`)."""
    import subprocess

    env = {**os.environ, "FUZZ_SCALE": "3.5"}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            __file__,
            "-m",
            "not slow",
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout[-3000:]


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from fastapi.testclient import TestClient

    from burdenshift.web.app import create_app

    db = tmp_path_factory.mktemp("web-fuzz") / "runs.duckdb"
    with TestClient(create_app(db, TINY, allowed_hosts=["testserver"])) as client:
        yield client, db


@given(
    st.one_of(scenario_dicts.map(_to_yaml), mutated_yaml()),
    st.sampled_from(["/api/validate", "/api/assess", "/api/simulate"]),
)
@_fuzz(600)
def test_scenarios_through_the_web_api(web, text, endpoint):
    client, db = web
    before = _stamp(db)
    reply = client.post(endpoint, json={"yaml": text, "store": endpoint != "/api/validate"})
    assert reply.status_code in (200, 422), reply.text
    body = reply.json()
    if reply.status_code == 422:
        (detail,) = body["detail"]
        assert detail["msg"] and "Traceback" not in detail["msg"]
        assert "input" not in detail
        assert _stamp(db) == before, "a refused run touched the store"
    else:
        assert_finite(body)
