"""Login throttling (django-axes): per username + client IP, lifted after the cool-off."""

import datetime
import ipaddress

import pytest
from axes.models import AccessAttempt
from axes.utils import reset
from django.db.models import F
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.test import Client, RequestFactory

from claims.security import client_ip
from tests.conftest import PASSWORD

LOGIN_URL = "/admin/login/"
ATTACKER_IP = "203.0.113.7"
OTHER_IP = "198.51.100.20"


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Dozens of logins per test: the production hasher's deliberate slowness adds nothing here.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _login(client, username, password, ip=ATTACKER_IP, **extra):
    return client.post(
        LOGIN_URL,
        {"username": username, "password": password, "next": "/admin/"},
        REMOTE_ADDR=ip,
        **extra,
    )


def _logged_in(client):
    return "_auth_user_id" in client.session


@pytest.fixture
def locked_analyst(settings, analyst):
    """The analyst's account after an attacker at ATTACKER_IP guessed wrong up to the limit."""
    client = Client()
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "analyst", f"guess-{attempt}")
    return analyst


def _travel_past_cooloff(settings):
    later = settings.AXES_COOLOFF_TIME + datetime.timedelta(minutes=1)
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - later)


def test_wrong_password_below_the_limit_still_lets_the_right_one_in(settings, analyst, client):
    for attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _login(client, "analyst", f"guess-{attempt}").status_code == 200

    response = _login(client, "analyst", PASSWORD)

    assert response.status_code == 302
    assert _logged_in(client)
    assert not AccessAttempt.objects.filter(username="analyst").exists()  # reset on success


def test_the_last_allowed_failure_answers_429(settings, analyst, client):
    for attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        _login(client, "analyst", f"guess-{attempt}")

    response = _login(client, "analyst", "one-too-many")

    assert response.status_code == 429
    attempt = AccessAttempt.objects.get(username="analyst")
    assert attempt.failures_since_start == settings.AXES_FAILURE_LIMIT


def test_locked_username_and_ip_is_refused_even_with_the_right_password(locked_analyst, client):
    response = _login(client, "analyst", PASSWORD)

    assert response.status_code == 429
    assert not _logged_in(client)


def test_lockout_page_is_friendly_and_says_when_to_retry(settings, locked_analyst, client):
    settings.AXES_COOLOFF_TIME = datetime.timedelta(minutes=15)

    response = _login(client, "analyst", PASSWORD)

    assert response["Retry-After"] == "900"
    assert "Too many failed logins" in response.content.decode()
    assert "paused for 15 minutes" in response.content.decode()


def test_lockout_answers_json_to_api_clients(settings, locked_analyst, client):
    settings.AXES_COOLOFF_TIME = datetime.timedelta(minutes=15)

    response = _login(client, "analyst", PASSWORD, HTTP_ACCEPT="application/json")

    assert response.status_code == 429
    assert "try again in 15 minutes" in response.json()["detail"]


def test_same_user_from_another_ip_still_logs_in(locked_analyst, client):
    response = _login(client, "analyst", PASSWORD, ip=OTHER_IP)

    assert response.status_code == 302
    assert _logged_in(client)


def test_another_user_from_the_same_ip_still_logs_in(locked_analyst, admin, client):
    response = _login(client, "admin", PASSWORD, ip=ATTACKER_IP)

    assert response.status_code == 302
    assert _logged_in(client)


def test_right_password_works_after_the_cooloff(settings, locked_analyst, client):
    _travel_past_cooloff(settings)

    response = _login(client, "analyst", PASSWORD)

    assert response.status_code == 302
    assert _logged_in(client)


def test_guessing_during_the_lockout_does_not_prolong_it(settings, locked_analyst, client):
    locked_at = AccessAttempt.objects.get(username="analyst").attempt_time
    for attempt in range(3):
        assert _login(client, "analyst", f"more-{attempt}").status_code == 429

    assert AccessAttempt.objects.get(username="analyst").attempt_time == locked_at
    _travel_past_cooloff(settings)
    assert _login(client, "analyst", PASSWORD).status_code == 302


def test_admin_reset_lifts_the_lock(locked_analyst, client):
    assert reset(username="analyst") == 1

    response = _login(client, "analyst", PASSWORD)

    assert response.status_code == 302
    assert _logged_in(client)


@pytest.mark.parametrize(
    ("proxies", "remote_addr", "forwarded_for", "expected"),
    [
        ("", "10.0.0.1", "1.1.1.1", "10.0.0.1"),  # no proxy: a client-sent header is ignored
        ("10.0.0.0/8", "203.0.113.9", "1.1.1.1", "203.0.113.9"),  # not from the proxy
        ("10.0.0.0/8", "10.0.0.1", "", "10.0.0.1"),  # proxy configured but header missing
        ("10.0.0.0/8", "10.0.0.1", "6.6.6.6, 192.0.2.1", "192.0.2.1"),  # forged left entry
        ("10.0.0.0/8", "10.0.0.1", "6.6.6.6, 192.0.2.1, 10.9.9.9", "192.0.2.1"),  # two proxies
        ("10.0.0.0/8", "10.0.0.1", "6.6.6.6, junk", "10.0.0.1"),  # not an address
        ("10.0.0.0/8,::1", "::1", "2001:db8::7", "2001:db8::7"),
    ],
)
def test_client_ip_trusts_only_the_configured_proxies(
    settings, proxies, remote_addr, forwarded_for, expected
):
    settings.TRUSTED_PROXIES = [ipaddress.ip_network(p) for p in proxies.split(",") if p]
    request = RequestFactory().get("/", REMOTE_ADDR=remote_addr, HTTP_X_FORWARDED_FOR=forwarded_for)

    assert client_ip(request) == expected


def test_rotating_x_forwarded_for_from_outside_the_proxies_does_not_escape_the_lock(
    settings, analyst, client
):
    settings.TRUSTED_PROXIES = [ipaddress.ip_network("10.0.0.0/8")]
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            "/admin/login/",
            {"username": "analyst", "password": f"guess-{attempt}"},
            REMOTE_ADDR=ATTACKER_IP,
            HTTP_X_FORWARDED_FOR=f"198.51.100.{attempt}",
        )

    response = client.post(
        "/admin/login/",
        {"username": "analyst", "password": PASSWORD},
        REMOTE_ADDR=ATTACKER_IP,
        HTTP_X_FORWARDED_FOR="198.51.100.200",
    )

    assert response.status_code == 429
    assert not _logged_in(client)


def test_site_login_page_is_throttled_too(settings, analyst, client):
    try:
        get_template("registration/login.html")
    except TemplateDoesNotExist:
        pytest.skip("the site's login page (registration/login.html) is not built yet")
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            "/accounts/login/",
            {"username": "analyst", "password": f"guess-{attempt}"},
            REMOTE_ADDR=ATTACKER_IP,
        )

    response = client.post(
        "/accounts/login/", {"username": "analyst", "password": PASSWORD}, REMOTE_ADDR=ATTACKER_IP
    )

    assert response.status_code == 429
    assert not _logged_in(client)


def test_server_side_login_without_a_request_still_works(analyst, client):
    """The test client's login() calls authenticate() without a request; axes alone would
    refuse it (there is no visitor to throttle)."""
    assert client.login(username="analyst", password=PASSWORD)
    assert _logged_in(client)
