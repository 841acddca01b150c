"""Error pages: the site's own, standalone, no internals outside debug; 503 when the
database is unreachable."""

from unittest import mock

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.db import InterfaceError, OperationalError, connection
from django.test import Client

from tests.factories import ClaimFactory

SITE_CSS = "/static/css/claimtracker.css"


@pytest.fixture
def production(settings):
    settings.DEBUG = False
    return settings


@pytest.fixture
def database_down():
    """Every new query fails the way psycopg2 does when PostgreSQL refuses connections.
    Undone before the test database is rolled back (fixtures tear down in reverse)."""
    refused = OperationalError('connection to server at "127.0.0.1", port 5432 failed')
    with mock.patch.object(connection, "ensure_connection", side_effect=refused):
        yield


def _assert_error_page(response, status, heading):
    body = response.content.decode()
    assert response.status_code == status
    assert heading in body
    assert SITE_CSS in body
    assert "Traceback" not in body


def test_404_page(production, client):
    response = client.get("/no-such-page/")

    _assert_error_page(response, 404, "Nothing here")


def test_400_page_for_a_host_not_allowed(production, client):
    response = client.get("/", HTTP_HOST="attacker.example")

    _assert_error_page(response, 400, "That request could not be understood")


def test_403_page_when_the_role_lacks_permission(production, analyst_client):
    claim = ClaimFactory()

    response = analyst_client.post(f"/admin/claims/claim/{claim.pk}/delete/", {"post": "yes"})

    _assert_error_page(response, 403, "do that with this account")
    assert type(claim).objects.filter(pk=claim.pk).exists()


def test_403_page_for_a_missing_csrf_token(production, analyst):
    client = Client(enforce_csrf_checks=True)

    response = client.post("/admin/login/", {"username": "analyst", "password": "x"})

    _assert_error_page(response, 403, "This form has expired")
    assert "_auth_user_id" not in client.session


@pytest.mark.urls("tests.error_urls")
def test_500_page_hides_the_error(production, db):
    client = Client(raise_request_exception=False)

    response = client.get("/test/bug/")

    _assert_error_page(response, 500, "Something went wrong on our side")
    assert "internal detail" not in response.content.decode()


@pytest.mark.urls("tests.error_urls")
def test_database_reachable_baseline(db):
    ClaimFactory()

    assert Client().get("/test/count-claims/").content == b"1"


@pytest.mark.urls("tests.error_urls")
@pytest.mark.parametrize("debug", [False, True])
def test_503_page_while_the_database_is_unreachable(settings, database_down, debug):
    settings.DEBUG = debug

    response = Client(raise_request_exception=False).get("/test/count-claims/")

    _assert_error_page(response, 503, "ClaimTracker is briefly unavailable")
    assert response["Retry-After"] == "5"


@pytest.mark.urls("tests.error_urls")
@pytest.mark.parametrize("error", [OperationalError, InterfaceError])
def test_503_when_the_database_fails_outside_a_view(production, error):
    """E.g. saving the session after the view: Django's 500 handler gets it, not the
    middleware; it answers 503 too."""
    production.MIDDLEWARE = [
        m for m in production.MIDDLEWARE if m != "claims.middleware.DatabaseUnavailableMiddleware"
    ]

    with mock.patch.object(connection, "ensure_connection", side_effect=error("closed")):
        response = Client(raise_request_exception=False).get("/test/count-claims/")

    _assert_error_page(response, 503, "ClaimTracker is briefly unavailable")


def test_admin_shows_503_for_a_logged_in_user_while_the_database_is_down(
    production, analyst_client, database_down
):
    analyst_client.raise_request_exception = False

    response = analyst_client.get("/admin/claims/claim/")

    _assert_error_page(response, 503, "ClaimTracker is briefly unavailable")


def test_login_answers_503_while_the_database_is_down(production, database_down):
    client = Client(raise_request_exception=False)

    response = client.post("/admin/login/", {"username": "analyst", "password": "x"})

    _assert_error_page(response, 503, "ClaimTracker is briefly unavailable")
    assert "sessionid" not in response.cookies  # not logged in


@pytest.mark.urls("tests.error_urls")
def test_api_gets_a_json_503_while_the_database_is_down(production, database_down):
    response = Client(raise_request_exception=False).get("/api/test/count-claims/")

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert "briefly unavailable" in response.json()["detail"]


@pytest.mark.urls("tests.error_urls")
def test_503_when_the_session_cannot_be_saved_because_the_database_went_away(
    production, analyst_client
):
    """Django turns a failed session update into "session interrupted", a 400; when the
    database is the cause, it is the 503 page."""
    analyst_client.raise_request_exception = False
    gone = OperationalError("server closed the connection unexpectedly")
    with mock.patch.object(SessionStore, "create_model_instance", side_effect=gone):
        response = analyst_client.get("/test/touch-session/")

    _assert_error_page(response, 503, "ClaimTracker is briefly unavailable")


@pytest.mark.urls("tests.error_urls")
def test_other_bad_requests_still_get_the_400_page(production, db):
    response = Client().get("/test/touch-session/", HTTP_HOST="attacker.example")

    _assert_error_page(response, 400, "That request could not be understood")
