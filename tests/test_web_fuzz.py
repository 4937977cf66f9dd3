"""Schemathesis against the OpenAPI document: generated requests never cause a 500, and the
responses match their schemas. Plan, risk and their jobs (each request may legally ask for a
minute of solving or 20,000 draws, or start background work) are fuzzed against a server on
the tiny test world, where the largest legal request still takes a moment."""

from __future__ import annotations

import pytest

schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, settings  # noqa: E402
from schemathesis.specs.openapi.checks import positive_data_acceptance  # noqa: E402

from burdenshift.web.app import create_app  # noqa: E402
from tests.conftest import TINY  # noqa: E402

LONG_WORK = "^/api/(plan|risk|jobs)"


def _schema(data=None):
    import tempfile
    from pathlib import Path

    app = create_app(Path(tempfile.mkdtemp()) / "runs.duckdb", data)
    return schemathesis.openapi.from_asgi("/openapi.json", app)


schema = _schema().exclude(path_regex=LONG_WORK)
long_work = _schema(TINY).include(path_regex=LONG_WORK)


FUZZ = settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def _never_500(case) -> None:
    response = case.call()
    assert response.status_code < 500, response.text
    # the API checks meaning beyond the schema (scenario text, names that must exist): a
    # schema-valid request may rightly get a 4xx, so that one check does not apply
    case.validate_response(response, excluded_checks=[positive_data_acceptance])


@schema.parametrize()
@FUZZ
def test_api_never_500(case):
    _never_500(case)


@long_work.parametrize()
@FUZZ
def test_long_work_never_500(case):
    _never_500(case)
