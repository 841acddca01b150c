"""Development set-up: var/local.env (written by `make install` and `make run`) lets
`manage.py` commands typed by hand run as `make run` does, the environment still wins; and
under DEBUG the app shows its own error pages unless DJANGO_DEBUG_ERROR_PAGES asks for
Django's."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

ROOT = Path(__file__).resolve().parent.parent


def clean_env(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    env.pop("CLAIMTRACKER_LOCAL_ENV", None)
    env.update(extra)
    return env


def manage(*args, env):
    return subprocess.run(  # noqa: S603 - fixed argv
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def local_env(tmp_path):
    """The file `make` writes, written by the Makefile's own rule into a scratch folder."""
    makefile = str(ROOT / "Makefile")
    # make from PATH, as a developer runs it.
    subprocess.run(  # noqa: S603 - fixed argv
        ["make", "--no-print-directory", "-f", makefile, "var/local.env"],  # noqa: S607
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return tmp_path / "var" / "local.env"


def test_manage_py_runs_with_the_local_settings_file(local_env):
    result = manage("check", env=clean_env(CLAIMTRACKER_LOCAL_ENV=str(local_env)))

    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_manage_py_without_the_file_still_requires_a_secret(tmp_path):
    missing = tmp_path / "none.env"

    result = manage("check", env=clean_env(CLAIMTRACKER_LOCAL_ENV=str(missing)))

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is required" in result.stderr


def test_environment_wins_over_the_local_settings_file(local_env):
    env = clean_env(CLAIMTRACKER_LOCAL_ENV=str(local_env), DJANGO_DEBUG="false")

    result = manage("check", env=env)

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is required" in result.stderr


def test_a_malformed_local_settings_line_names_the_file_and_line(tmp_path):
    bad = tmp_path / "local.env"
    bad.write_text("# comment\nDJANGO_DEBUG true\n")

    result = manage("check", env=clean_env(CLAIMTRACKER_LOCAL_ENV=str(bad)))

    assert result.returncode != 0
    assert f"{bad}, line 2" in result.stderr


@pytest.fixture
def debug(settings):
    settings.DEBUG = True
    settings.DEBUG_ERROR_PAGES = False
    return settings


@pytest.mark.django_db
def test_debug_shows_the_apps_404_page(debug):
    response = Client().get("/no-such-page/")

    assert response.status_code == 404
    assert "Not found · ClaimTracker" in response.content.decode()
    assert "URLconf" not in response.content.decode()


@pytest.mark.django_db
def test_debug_shows_the_apps_404_page_for_a_missing_record(debug, admin_client):
    response = admin_client.get("/claims/999999/")

    assert response.status_code == 404
    assert "Not found · ClaimTracker" in response.content.decode()


@pytest.mark.django_db
def test_debug_shows_the_apps_403_page(debug, reader_client):
    response = reader_client.get("/actors/new/")

    assert response.status_code == 403
    assert "Technical details" not in response.content.decode()
    assert "ClaimTracker" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.urls("tests.error_urls")
def test_debug_shows_the_apps_500_page_without_the_traceback(debug):
    response = Client(raise_request_exception=False).get("/test/bug/")

    assert response.status_code == 500
    assert "internal detail that must not leak" not in response.content.decode()
    assert "Traceback" not in response.content.decode()


@pytest.mark.django_db
def test_debug_error_pages_on_request_show_djangos_page(debug):
    debug.DEBUG_ERROR_PAGES = True

    response = Client().get("/no-such-page/")

    assert response.status_code == 404
    assert "URLconf" in response.content.decode()


@pytest.mark.django_db
def test_debug_keeps_the_slash_redirect(debug):
    response = Client().get("/claims")

    assert response.status_code == 301
    assert response["Location"] == "/claims/"
