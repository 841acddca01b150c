"""Every endpoint for every role: readers read, analysts create and change, admins delete."""

import pytest

from claims.models import Actor, Claim, Source, StatusChange

READ_ROLES = [(None, 403), ("norole", 403), ("reader", 200), ("analyst", 200), ("admin", 200)]
WRITE_ROLES = [(None, 403), ("norole", 403), ("reader", 403), ("analyst", 201), ("admin", 201)]
CHANGE_ROLES = [(None, 403), ("norole", 403), ("reader", 403), ("analyst", 200), ("admin", 200)]
DELETE_ROLES = [(None, 403), ("norole", 403), ("reader", 403), ("analyst", 403), ("admin", 204)]


def _detail_url(kind, story):
    if kind == "actors":
        return "/api/actors/dmitry-peskov/"
    if kind == "sources":
        return f"/api/sources/{story['sources']['article'].pk}/"
    return f"/api/claims/{story['claims']['peskov'].pk}/"


NEW = {
    "actors": (Actor, {"slug": "nato", "name": "NATO", "kind": "alliance"}),
    "sources": (Source, {"title": "NATO statement", "url": "https://example.org/nato"}),
    "claims": (
        Claim,
        {
            "actor_slug": "kremlin",
            "headline": "No troops",
            "text": "There are no troops.",
            "stated_on": "2024-10-19",
        },
    ),
}


@pytest.mark.parametrize("kind", ["actors", "sources", "claims", "changes"])
@pytest.mark.parametrize(("role", "expected"), READ_ROLES)
def test_list_is_for_signed_in_roles(api_as, story, kind, role, expected):
    response = api_as(role).get(f"/api/{kind}/")
    assert response.status_code == expected
    if expected == 200:
        assert len(response.json()["results"]) > 0
    else:
        assert "detail" in response.json()


@pytest.mark.parametrize("kind", ["actors", "sources", "claims"])
@pytest.mark.parametrize(("role", "expected"), READ_ROLES)
def test_retrieve_is_for_signed_in_roles(api_as, story, kind, role, expected):
    response = api_as(role).get(_detail_url(kind, story))
    assert response.status_code == expected


@pytest.mark.parametrize("kind", ["actors", "sources", "claims"])
@pytest.mark.parametrize(("role", "expected"), WRITE_ROLES)
def test_create_is_for_analysts_and_admins(api_as, story, kind, role, expected):
    model, payload = NEW[kind]
    before = model.objects.count()
    response = api_as(role).post(f"/api/{kind}/", payload, format="json")
    assert response.status_code == expected, response.content
    assert model.objects.count() == before + (1 if expected == 201 else 0)


@pytest.mark.parametrize("kind", ["actors", "sources", "claims"])
@pytest.mark.parametrize(("role", "expected"), CHANGE_ROLES)
def test_update_is_for_analysts_and_admins(api_as, story, kind, role, expected):
    url = _detail_url(kind, story)
    field = {"actors": "description", "sources": "notes", "claims": "text"}[kind]
    response = api_as(role).patch(url, {field: "Edited.", "version": 1}, format="json")
    assert response.status_code == expected, response.content
    model = NEW[kind][0]
    edited = model.objects.filter(**{field: "Edited."}).count()
    assert edited == (1 if expected == 200 else 0)


@pytest.mark.parametrize("kind", ["actors", "sources", "claims"])
@pytest.mark.parametrize(("role", "expected"), DELETE_ROLES)
def test_delete_is_for_admins(api_as, story, kind, role, expected):
    model = NEW[kind][0]
    if kind == "actors":
        story["claims"]["peskov"].delete()  # an actor with claims can't be deleted
    before = model.objects.count()
    response = api_as(role).delete(_detail_url(kind, story))
    assert response.status_code == expected
    assert model.objects.count() == before - (1 if expected == 204 else 0)


@pytest.mark.parametrize(("role", "expected"), CHANGE_ROLES)
def test_status_change_is_for_analysts_and_admins(api_as, story, role, expected):
    claim = story["claims"]["peskov"]
    response = api_as(role).post(
        f"/api/claims/{claim.pk}/status/",
        {"status": "denied", "rationale": "He commented later.", "confidence": "high"},
        format="json",
    )
    assert response.status_code == expected
    changed = StatusChange.objects.filter(claim=claim, new_status="denied").exists()
    assert changed == (expected == 200)


def test_public_read_opens_reads_but_not_writes(api_as, story, settings):
    settings.CLAIMTRACKER_PUBLIC_READ = True
    anonymous = api_as(None)
    assert anonymous.get("/api/claims/").status_code == 200
    response = anonymous.post("/api/actors/", NEW["actors"][1], format="json")
    assert response.status_code == 403
    assert not Actor.objects.filter(slug="nato").exists()


def test_signed_in_user_without_a_role_cannot_read_the_api(api_client, story):
    from tests.factories import UserFactory

    api_client.force_authenticate(UserFactory(username="nobody"))
    assert api_client.get("/api/claims/").status_code == 403


def test_token_authenticates_scripts(story, reader):
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    token = Token.objects.create(user=reader)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert client.get("/api/claims/").status_code == 200
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert client.get("/api/claims/").status_code == 403


def test_admin_manages_tokens_in_the_admin(admin_client, reader):
    response = admin_client.post(
        "/admin/authtoken/tokenproxy/add/", {"user": reader.pk}, follow=True
    )
    assert response.status_code == 200
    from rest_framework.authtoken.models import Token

    assert Token.objects.filter(user=reader).exists()


def test_analyst_cannot_see_tokens_in_the_admin(analyst_client):
    assert analyst_client.get("/admin/authtoken/tokenproxy/").status_code == 403
