"""The API against its own description: schemathesis reads /api/openapi.json and sends what it allows.

Every operation, a bounded number of examples (derandomised: the same requests on every run), a real
campaign (tests/scenario.py) and a valid API token, through the Flask app itself (WSGI, no server):
- no answer is a server error (5xx), whatever the schema lets through;
- a request the schema says is valid is not refused as bad input (400): the schema declares its
  constraints (ticket pattern, required fields, bounds, enums) as the code checks them.
Runs in seconds; CI runs it with the other web tests.
"""
from __future__ import annotations

import pytest

schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is in the test extra (pip install -e .[test])")

from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402

from countapp.services import users  # noqa: E402
from countapp.web.api.openapi import document  # noqa: E402

from ..scenario import build_scenario  # noqa: E402

CODE = "FY2025"
EXAMPLES = 20
OPERATIONS = sorted((path, method.upper()) for path, item in document()["paths"].items() for method in item)
# Who calls: staff see everything; a counter's answers go through the blind views.
CALLERS = ("manager", "ann")


# What a schema cannot say: the content of an uploaded file (a stock file with the right columns and
# values, for a campaign still planning). Those operations are held to "no server error" only.
CONTENT_NOT_IN_SCHEMA = {("/v1/campaigns/{code}/imports/{kind}", "POST")}


def _checks(path: str, method: str):
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import positive_data_acceptance

    if (path, method) in CONTENT_NOT_IN_SCHEMA:
        return [not_a_server_error]
    return [not_a_server_error, positive_data_acceptance]


@pytest.fixture
def api(app, tmp_path):
    s = build_scenario(tmp_path)
    tokens = {login: users.new_api_token(s.users[login]) for login in CALLERS}
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", _fresh_context(app))
    return s, tokens, schema


def _fresh_context(app):
    """The app as a server runs it: each request in its own application context (its own ``g`` and
    session), not in the one the ``app`` fixture keeps pushed for the test (see tests.conftest)."""
    from countapp.extensions import db

    def wsgi(environ, start_response):
        with app.app_context():
            body = list(app(environ, start_response))
        db.session.expire_all()
        return body

    return wsgi


@pytest.mark.parametrize("path, method", OPERATIONS, ids=[f"{m} {p}" for p, m in OPERATIONS])
@pytest.mark.parametrize("caller", CALLERS)
def test_no_server_error_and_valid_data_accepted(api, path, method, caller):
    s, tokens, schema = api
    operation = schema[path][method]
    fixed = {"code": CODE} if "{code}" in path else None
    strategy = operation.as_strategy(path_parameters=fixed, headers={"Authorization": f"Bearer {tokens[caller]}"})
    checks = _checks(path, method)
    calls = []

    @given(case=strategy)
    @settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    def run(case):
        response = case.call()
        calls.append(response.status_code)
        case.validate_response(response, checks=checks)

    run()
    assert calls, "no request was sent"
