"""Production configuration, checked in fresh processes with production environment
variables (the test process itself runs with DJANGO_DEBUG=true)."""

import json
import os
import secrets
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).with_name("gunicorn")


def production_env(**overrides):
    """The test's environment without any DJANGO_*/DATABASE_* settings, plus production ones."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    env.update(
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="example.org",
        DJANGO_SETTINGS_MODULE="claimtracker.settings",
        # Not this checkout's development settings (var/local.env).
        CLAIMTRACKER_LOCAL_ENV="",
    )
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def run(args, env):
    return subprocess.run(  # noqa: S603 - fixed argv built by the tests
        args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def manage(*args, env):
    return run([sys.executable, "manage.py", *args], env)


def test_check_deploy_passes_with_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_fails_on_a_weak_secret_key():
    env = production_env(DJANGO_SECRET_KEY="short")

    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)

    assert result.returncode != 0
    assert "security.W009" in result.stderr


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"DJANGO_SECRET_KEY": None}, "DJANGO_SECRET_KEY is required"),
        ({"DJANGO_SECRET_KEY": ""}, "DJANGO_SECRET_KEY is required"),
        ({"DJANGO_ALLOWED_HOSTS": None}, "DJANGO_ALLOWED_HOSTS is required"),
        ({"DJANGO_DEBUG": "maybe"}, "DJANGO_DEBUG must be true or false, not 'maybe'"),
        ({"DJANGO_SECURE_COOKIES": "si"}, "DJANGO_SECURE_COOKIES must be true or false"),
        ({"DJANGO_HSTS_SECONDS": "a year"}, "DJANGO_HSTS_SECONDS must be a whole number"),
        ({"DATABASE_CONN_MAX_AGE": "1.5"}, "DATABASE_CONN_MAX_AGE must be a whole number"),
        ({"DJANGO_LOGIN_FAILURE_LIMIT": "five"}, "DJANGO_LOGIN_FAILURE_LIMIT must be a whole"),
    ],
)
def test_missing_or_bad_settings_fail_loudly(overrides, message):
    result = manage("check", env=production_env(**overrides))

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


SMOKE = textwrap.dedent(
    """
    import json, django
    django.setup()
    from django.conf import settings
    from django.contrib.staticfiles.storage import staticfiles_storage
    from django.test import Client
    client = Client(HTTP_HOST="example.org", raise_request_exception=False)
    css = staticfiles_storage.url("css/claimtracker.css")
    plain = client.get("/no-such-page/")
    page = client.get("/no-such-page/", secure=True)
    asset = client.get(css, secure=True)
    api = client.get("/api/claims/", secure=True, HTTP_ACCEPT="text/html")
    print(json.dumps({
        "css": css,
        "plain_status": plain.status_code,
        "plain_location": plain.get("Location", ""),
        "status": page.status_code,
        "body": page.content.decode(),
        "headers": dict(page.headers),
        "asset_status": asset.status_code,
        "asset_cache": asset.get("Cache-Control", ""),
        "api_content_type": api.get("Content-Type", ""),
    }))
    """
)


@pytest.fixture(scope="module")
def production_smoke(tmp_path_factory):
    """collectstatic, then requests through the production middleware stack."""
    env = production_env(DJANGO_STATIC_ROOT=str(tmp_path_factory.mktemp("static")))
    collected = manage("collectstatic", "--noinput", env=env)
    assert collected.returncode == 0, collected.stderr
    result = run([sys.executable, "-c", SMOKE], env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_static_files_have_hashed_names_and_long_caching(production_smoke):
    assert production_smoke["css"].startswith("/static/css/claimtracker.")
    assert production_smoke["css"] != "/static/css/claimtracker.css"
    assert production_smoke["asset_status"] == 200
    assert "immutable" in production_smoke["asset_cache"]


def test_plain_http_is_redirected_to_https(production_smoke):
    assert production_smoke["plain_status"] == 301
    assert production_smoke["plain_location"] == "https://example.org/no-such-page/"


def test_production_error_page_uses_hashed_css_and_no_debug_output(production_smoke):
    assert production_smoke["status"] == 404
    assert production_smoke["css"] in production_smoke["body"]
    assert "Traceback" not in production_smoke["body"]
    assert "URLconf" not in production_smoke["body"]  # Django's debug 404 would name it


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Strict-Transport-Security", "max-age=31536000; includeSubDomains"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "same-origin"),
        ("X-Content-Type-Options", "nosniff"),
    ],
)
def test_production_security_headers(production_smoke, header, expected):
    assert production_smoke["headers"][header] == expected


def test_api_answers_json_even_to_browsers(production_smoke):
    """No browsable API in production: its forms can't carry a CSRF token under the CSP."""
    assert production_smoke["api_content_type"] == "application/json"


def test_content_security_policy_forbids_inline_script(production_smoke):
    policy = production_smoke["headers"]["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";") if d.strip())

    assert directives["script-src"] == "'self'"
    assert "unsafe-inline" not in policy
    assert directives["frame-ancestors"] == "'none'"


def test_gunicorn_config_uses_threads_and_no_control_socket():
    result = run([str(GUNICORN), "--print-config", "-c", "gunicorn.conf.py"], production_env())
    config = dict(
        (k.strip(), v.strip())
        for k, v in (line.split("=", 1) for line in result.stdout.splitlines())
        if k
    )

    assert result.returncode == 0, result.stderr
    assert config["worker_class"] == "gthread"
    assert config["control_socket_disable"] == "True"
    assert config["accesslog"] == "-"


def test_gunicorn_workers_come_from_the_environment():
    env = production_env(GUNICORN_WORKERS="3", GUNICORN_THREADS="6")

    result = run([str(GUNICORN), "--print-config", "-c", "gunicorn.conf.py"], env)

    assert "workers                            = 3" in result.stdout
    assert "threads                            = 6" in result.stdout


def test_gunicorn_refuses_a_bad_worker_count():
    env = production_env(GUNICORN_WORKERS="many")

    result = run([str(GUNICORN), "--print-config", "-c", "gunicorn.conf.py"], env)

    assert result.returncode != 0
    assert "GUNICORN_WORKERS must be a whole number" in result.stdout + result.stderr
