"""Schemathesis against the OpenAPI document: generated requests never cause a 500, and the
responses match their schemas. Plan, risk and their jobs (each request may legally ask for a
minute of solving or 20,000 draws, or start background work) are fuzzed against a server on
the tiny test world, with draws and time limits held small and every job cancelled after each
case, so the run ends promptly and no job outlives it."""

from __future__ import annotations

import pytest

schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, settings  # noqa: E402
from schemathesis.specs.openapi.checks import positive_data_acceptance  # noqa: E402

from burdenshift.web.app import create_app  # noqa: E402
from burdenshift.web.levers import MAX_DRAWS, MAX_TIME_LIMIT  # noqa: E402
from tests.conftest import TINY  # noqa: E402

LONG_WORK = "^/api/(plan|risk|jobs)"
SMALL = {"draws": (50, MAX_DRAWS), "time_limit": (2.0, MAX_TIME_LIMIT)}
"""Legal draws and time limits above the first number are fuzzed as that number (the schema
allows far more; past the legal maximum they stay, to be refused)."""


def _app(data=None):
    import tempfile
    from pathlib import Path

    return create_app(
        Path(tempfile.mkdtemp()) / "runs.duckdb", data, allowed_hosts=["testserver"], queue=2
    )


APP = _app()
LONG_APP = _app(TINY)
schema = schemathesis.openapi.from_asgi("/openapi.json", APP).exclude(path_regex=LONG_WORK)
long_work = schemathesis.openapi.from_asgi("/openapi.json", LONG_APP).include(path_regex=LONG_WORK)
# Schemathesis's coverage phase sends every boundary case of a body (about 170 for a plan
# request), and each valid plan costs about a second to build even on the tiny world. The
# boundaries of these bodies (NaN, Infinity, out-of-range draws and time limits) are tested by
# name in test_web_security.py; here the examples and random fuzzing run.
long_work.config.phases.update(phases=["examples", "fuzzing"])


FUZZ = settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def _never_500(case, timeout: float = 10) -> None:
    response = case.call(timeout=timeout)
    assert response.status_code < 500, response.text
    # the API checks meaning beyond the schema (scenario text, names that must exist): a
    # schema-valid request may rightly get a 4xx, so that one check does not apply
    case.validate_response(response, excluded_checks=[positive_data_acceptance])


def _small(case) -> None:
    """Legal but large draws and time limits made small (their range is tested elsewhere)."""
    if isinstance(case.body, dict):
        for key, (most, legal) in SMALL.items():
            value = case.body.get(key)
            number = isinstance(value, int | float) and not isinstance(value, bool)
            if number and most < value <= legal:
                case.body[key] = type(value)(most)


@schema.parametrize()
@FUZZ
def test_api_never_500(case):
    _never_500(case)


@long_work.parametrize()
@FUZZ
def test_long_work_never_500(case):
    _small(case)
    try:
        _never_500(case, timeout=60)  # a plan's model build is not bound by its time limit
    finally:
        LONG_APP.state.pool.cancel_all()
        assert LONG_APP.state.pool.idle(timeout=30)  # no job outlives its case


def test_job_endpoints_are_fuzzed():
    """Every job endpoint is in the long-work schema, so the fuzz above reaches it."""
    ops = {(op.ok().method.upper(), op.ok().path) for op in long_work.get_all_operations()}
    assert {
        ("POST", "/api/jobs/risk"),
        ("POST", "/api/jobs/plan"),
        ("GET", "/api/jobs/{job_id}"),
        ("DELETE", "/api/jobs/{job_id}"),
    } <= ops
