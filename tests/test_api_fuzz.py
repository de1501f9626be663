"""Schemathesis over the whole OpenAPI document: valid and invalid requests generated from the
schema of every operation, sent as an operator with a token; no answer may be a 5xx."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from openday.accounts.services import create_token
from openday.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)


@pytest.fixture
def one_connection():
    """Keep the test's database connection across requests, as Django's test client does
    (the raw WSGI handler closes it at each request's start and end)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def operator_token(world):
    return create_token(world.users["operator"], name="schemathesis")[1]


@schema.parametrize()
@hypothesis_settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_generated_request_gets_a_server_error(case, operator_token, one_connection):
    headers = {"Host": "127.0.0.1", "Authorization": f"Bearer {operator_token}"}
    response = case.call(headers=headers)
    assert response.status_code < 500, (
        f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:300]}"
    )
