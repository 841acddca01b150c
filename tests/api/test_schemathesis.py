"""Property-based: schemathesis generates requests from the OpenAPI schema (valid and
invalid) for every operation; no answer may be a server error. Bounded: a fixed number of
examples per operation, derandomized so a run is repeatable."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import override_settings
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token

MAX_EXAMPLES = 30


# Loaded at collection: serving the schema needs no database. (schemathesis' lazy
# from_fixture loader does not run under pytest 9.) The schema follows the read rule, so it
# is fetched with public reads on.
with override_settings(CLAIMTRACKER_PUBLIC_READ=True):
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())


@pytest.fixture
def wsgi_calls_keep_the_test_transaction():
    # Calls go straight to the WSGI app, whose request signals would close the database
    # connection (and with it the test's transaction); Django's test client does the same.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def admin_token(admin, story, wsgi_calls_keep_the_test_transaction):
    # The admin may call every operation, so every code path is reachable.
    return Token.objects.create(user=admin).key


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_operation_answers_500(case, admin_token):
    response = case.call(headers={"Authorization": f"Token {admin_token}"})
    assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.text}"
