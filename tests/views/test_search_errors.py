"""A search the engine can't run is a 400 that names the `q` field on every face that takes
`q`, never a 500; a flood of lone operators (which once made PostgreSQL fail with "tsquery
stack too small") is dropped before the database sees it."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from claims.search import MAX_TERMS

# PostgreSQL once raised "tsquery stack too small" for this: the words are ignored now.
OPERATOR_FLOOD = "kursk " + "- - - - " * 10
# More words than a search may have: refused before any database work.
TOO_MANY_WORDS = " ".join(f"word{n}" for n in range(MAX_TERMS + 5))
ONLY_EXCLUDED = "-fake"

HTML_FACES = [
    lambda claim: reverse("claims:claim-list"),
    lambda claim: claim.actor.get_absolute_url(),
    lambda claim: reverse("claims:status-feed"),
    lambda claim: reverse("admin:claims_claim_changelist"),
    lambda claim: reverse("claims:claim-export-csv"),
    lambda claim: reverse("claims:claim-export-json"),
    lambda claim: reverse("claims:claim-export-jsonld"),
]
FACE_IDS = ["list", "actor", "feed", "admin", "csv", "json", "jsonld"]


@pytest.mark.parametrize("face", HTML_FACES, ids=FACE_IDS)
@pytest.mark.parametrize("query", [TOO_MANY_WORDS, ONLY_EXCLUDED], ids=["many", "excluded"])
def test_unsearchable_q_is_a_400_naming_the_field(admin_client, claim, face, query):
    response = admin_client.get(face(claim), {"q": query})
    assert response.status_code == 400
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert b"q" in body and (b"Text" in body or b"Search (q)" in body or b'"q"' in body)


@pytest.mark.parametrize("face", HTML_FACES, ids=FACE_IDS)
def test_a_flood_of_lone_operators_is_ignored_not_a_500(admin_client, claim, face):
    response = admin_client.get(face(claim), {"q": OPERATOR_FLOOD})
    assert response.status_code == 200


def test_the_claim_list_says_why_the_search_was_refused(analyst_client, claim):
    response = analyst_client.get(reverse("claims:claim-list"), {"q": ONLY_EXCLUDED})
    assert response.status_code == 400
    assert "Say what to look for" in response.content.decode()
    assert response.context["browser"].claims == []


def test_the_admin_says_which_field_was_refused(admin_client, claim):
    response = admin_client.get(reverse("admin:claims_claim_changelist"), {"q": TOO_MANY_WORDS})
    assert response.status_code == 400
    assert f"Search (q): Use at most {MAX_TERMS} words" in response.content.decode()


@pytest.mark.parametrize("query", [TOO_MANY_WORDS, ONLY_EXCLUDED])
def test_api_answers_a_json_400_naming_q(reader, claim, query):
    client = APIClient()
    client.force_authenticate(reader)
    response = client.get("/api/claims/", {"q": query})
    assert response.status_code == 400
    assert list(response.json()) == ["q"]


def test_api_ignores_a_flood_of_lone_operators(reader, claim):
    client = APIClient()
    client.force_authenticate(reader)
    response = client.get("/api/claims/", {"q": "fake " + "- " * 40})
    assert response.status_code == 200
    assert [c["id"] for c in response.json()["results"]] == [claim.pk]
