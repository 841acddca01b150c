"""/api/propositions/ and /api/stances/: the roles, the verdict action and bad input."""

import pytest

from claims import services
from claims.models import Proposition, PropositionStatusChange, Stance

READ_ROLES = [(None, 403), ("reader", 200), ("analyst", 200), ("admin", 200)]
WRITE_ROLES = [(None, 403), ("reader", 403), ("analyst", 201), ("admin", 201)]
CHANGE_ROLES = [(None, 403), ("reader", 403), ("analyst", 200), ("admin", 200)]
DELETE_ROLES = [(None, 403), ("reader", 403), ("analyst", 403), ("admin", 204)]
STANCE_DELETE_ROLES = [(None, 403), ("reader", 403), ("analyst", 204), ("admin", 204)]


@pytest.fixture
def world(story):
    proposition = services.create_proposition(
        by=None, statement="North Korean troops are deployed in Russia", slug="troops"
    )
    services.create_proposition(by=None, statement="North Korean units fight in Kursk")
    stance = services.set_stance(
        claim=story["claims"]["fake"], proposition=proposition, stance="denies", by=None
    )
    return {**story, "proposition": proposition, "stance": stance}


@pytest.mark.parametrize(
    "url", ["/api/propositions/", "/api/propositions/troops/", "/api/stances/"]
)
@pytest.mark.parametrize(("role", "expected"), READ_ROLES)
def test_reads_are_for_signed_in_roles(api_as, world, url, role, expected):
    assert api_as(role).get(url).status_code == expected


@pytest.mark.parametrize(("role", "expected"), WRITE_ROLES)
def test_create_proposition_is_for_analysts_and_admins(api_as, world, role, expected):
    response = api_as(role).post(
        "/api/propositions/", {"statement": "Troops were trained in Russia"}, format="json"
    )
    assert response.status_code == expected
    created = Proposition.objects.filter(statement="Troops were trained in Russia").exists()
    assert created == (expected == 201)


@pytest.mark.parametrize(("role", "expected"), CHANGE_ROLES)
def test_update_proposition_is_for_analysts_and_admins(api_as, world, role, expected):
    response = api_as(role).patch(
        "/api/propositions/troops/", {"description": "Edited.", "version": 2}, format="json"
    )
    assert response.status_code == expected, response.content
    assert Proposition.objects.filter(description="Edited.").exists() == (expected == 200)


@pytest.mark.parametrize(("role", "expected"), DELETE_ROLES)
def test_delete_proposition_is_for_admins(api_as, world, role, expected):
    response = api_as(role).delete("/api/propositions/troops/")
    assert response.status_code == expected
    assert Proposition.objects.filter(slug="troops").exists() == (expected != 204)


@pytest.mark.parametrize(("role", "expected"), CHANGE_ROLES)
def test_proposition_status_is_for_analysts_and_admins(api_as, world, role, expected):
    response = api_as(role).post(
        "/api/propositions/troops/status/",
        {"status": "confirmed", "rationale": "Rutte confirmed it.", "confidence": "high"},
        format="json",
    )
    assert response.status_code == expected
    changed = PropositionStatusChange.objects.filter(new_status="confirmed").exists()
    assert changed == (expected == 200)


@pytest.mark.parametrize(("role", "expected"), WRITE_ROLES)
def test_create_stance_is_for_analysts_and_admins(api_as, world, role, expected):
    claim = world["claims"]["troops"]
    response = api_as(role).post(
        "/api/stances/",
        {"claim": claim.pk, "proposition": "troops", "stance": "asserts"},
        format="json",
    )
    assert response.status_code == expected
    assert Stance.objects.filter(claim=claim).exists() == (expected == 201)


@pytest.mark.parametrize(("role", "expected"), CHANGE_ROLES)
def test_change_stance_is_for_analysts_and_admins(api_as, world, role, expected):
    url = f"/api/stances/{world['stance'].pk}/"
    response = api_as(role).patch(url, {"stance": "doubts"}, format="json")
    assert response.status_code == expected
    assert Stance.objects.get().stance == ("doubts" if expected == 200 else "denies")


@pytest.mark.parametrize(("role", "expected"), STANCE_DELETE_ROLES)
def test_detach_stance_is_for_analysts_and_admins(api_as, world, role, expected):
    response = api_as(role).delete(f"/api/stances/{world['stance'].pk}/")
    assert response.status_code == expected
    assert Stance.objects.exists() == (expected != 204)


def test_stance_names_the_proposition_by_words(api_as, world):
    claim = world["claims"]["troops"]
    response = api_as("analyst").post(
        "/api/stances/",
        {"claim": claim.pk, "proposition": "fight in Kursk", "stance": "asserts"},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["proposition"] == "north-korean-units-fight-in-kursk"


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"proposition": "zebra"}, "proposition", "No proposition matches “zebra”"),
        ({"proposition": "north korean"}, "proposition", "matches several propositions"),
        ({"stance": "maybe"}, "stance", "not a valid choice"),
        ({"claim": 999999}, "claim", "does not exist"),
    ],
)
def test_bad_stance_body_is_a_400_naming_the_field(api_as, world, body, field, message):
    payload = {
        "claim": world["claims"]["troops"].pk,
        "proposition": "troops",
        "stance": "asserts",
        **body,
    }
    response = api_as("analyst").post("/api/stances/", payload, format="json")
    assert response.status_code == 400
    assert message in " ".join(response.json()[field])
    assert Stance.objects.count() == 1


def test_the_same_claim_twice_is_a_400(api_as, world):
    payload = {"claim": world["claims"]["fake"].pk, "proposition": "troops", "stance": "asserts"}
    response = api_as("analyst").post("/api/stances/", payload, format="json")
    assert response.status_code == 400
    assert "already attached" in response.json()["proposition"][0]
    assert Stance.objects.get().stance == "denies"


def test_proposition_list_filters_by_words_and_status(api_as, world):
    response = api_as("reader").get("/api/propositions/", {"q": "kursk"})
    assert [p["slug"] for p in response.json()["results"]] == ["north-korean-units-fight-in-kursk"]
    assert api_as("reader").get("/api/propositions/", {"status": "nope"}).status_code == 400


def test_stances_filter_by_proposition(api_as, world):
    response = api_as("reader").get("/api/stances/", {"proposition": "troops"})
    assert [s["stance"] for s in response.json()["results"]] == ["denies"]
