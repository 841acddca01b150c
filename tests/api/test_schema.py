import io

import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command

SIDECAR = "/static/drf_spectacular_sidecar/swagger-ui-dist/"


def test_openapi_schema_validates_without_warnings(tmp_path):
    # --fail-on-warn turns any drf-spectacular warning into SystemExit(1).
    call_command(
        "spectacular",
        "--validate",
        "--fail-on-warn",
        "--file",
        str(tmp_path / "schema.yaml"),
        stderr=io.StringIO(),
    )
    assert "/api/claims/{id}/status/" in (tmp_path / "schema.yaml").read_text()


@pytest.mark.parametrize("url", ["/api/schema/", "/api/docs/", "/api/docs/?script="])
def test_anonymous_cannot_read_the_schema_or_the_docs(client, db, url):
    response = client.get(url)
    assert response.status_code == 403
    assert b"openapi" not in response.content and b"SwaggerUIBundle" not in response.content


@pytest.mark.parametrize("url", ["/api/schema/", "/api/docs/", "/api/docs/?script="])
def test_a_user_without_a_role_cannot_read_the_schema_or_the_docs(client, norole, url):
    client.force_login(norole)
    response = client.get(url)
    assert response.status_code == 403
    assert b"openapi" not in response.content and b"SwaggerUIBundle" not in response.content


def test_public_read_opens_the_schema_to_everyone(client, db, settings):
    settings.CLAIMTRACKER_PUBLIC_READ = True
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 200
    assert response.json()["openapi"].startswith("3.")


def test_schema_is_served_as_openapi_3(reader_client):
    response = reader_client.get("/api/schema/?format=json")
    assert response.status_code == 200
    assert response.json()["openapi"].startswith("3.")


def test_docs_page_loads_swagger_ui_from_this_server(reader_client):
    response = reader_client.get("/api/docs/")
    html = response.content.decode()
    assert response.status_code == 200
    assert f'src="{SIDECAR}swagger-ui-bundle.js"' in html
    assert "https://" not in html.split("<body>")[1]
    assert "<script>" not in html  # the CSP allows no inline script


def test_docs_script_is_served_separately(reader_client):
    response = reader_client.get("/api/docs/?script=")
    assert response.status_code == 200
    assert b"SwaggerUIBundle" in response.content


def test_swagger_ui_assets_are_collected_with_the_static_files():
    # collectstatic (and whitenoise in debug) serve what the finders find.
    for name in ["swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "swagger-ui.css"]:
        assert finders.find(f"drf_spectacular_sidecar/swagger-ui-dist/{name}")
