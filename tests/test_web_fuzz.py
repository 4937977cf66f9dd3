"""Schemathesis against the OpenAPI document: generated requests never cause a 500, and the
responses match their schemas. Plan, risk and their jobs are left out of the fuzzing (each
request may legally ask for a minute of solving or 20,000 draws, or start background work);
their bad inputs are tested by hand in test_web.py."""

from __future__ import annotations

import pytest

schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, settings  # noqa: E402
from schemathesis.specs.openapi.checks import positive_data_acceptance  # noqa: E402

from burdenshift.web.app import create_app  # noqa: E402


def _schema():
    import tempfile
    from pathlib import Path

    app = create_app(Path(tempfile.mkdtemp()) / "runs.duckdb")
    return schemathesis.openapi.from_asgi("/openapi.json", app)


schema = _schema().exclude(path_regex="^/api/(plan|risk|jobs)")


@schema.parametrize()
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_api_never_500(case):
    response = case.call()
    assert response.status_code < 500, response.text
    # the API checks meaning beyond the schema (scenario text, names that must exist): a
    # schema-valid request may rightly get a 4xx, so that one check does not apply
    case.validate_response(response, excluded_checks=[positive_data_acceptance])
