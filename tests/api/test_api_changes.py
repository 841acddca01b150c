"""/api/changes/: the /changes/ page as JSON, with the same filters and errors."""

import io

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db
RANGE = {"from": "2024-10-01", "to": "2025-05-01"}


@pytest.fixture
def demo(db):
    call_command("load_demo", stdout=io.StringIO())


def test_api_changes(api_as, demo):
    response = api_as("reader").get("/api/changes/", {**RANGE, "status": "denied"})
    results = response.json()["results"]
    assert response.status_code == 200
    assert {r["new_status"] for r in results} == {"denied"} and len(results) == 3


def test_api_changes_reversed_range_is_a_400_naming_from(api_as, demo):
    response = api_as("reader").get("/api/changes/", {"from": "2025-05-01", "to": "2024-10-01"})
    assert response.status_code == 400 and "from" in response.json()


def test_api_changes_pages_by_cursor(api_as, demo):
    first = api_as("reader").get("/api/changes/", {**RANGE, "page_size": 10}).json()
    second = api_as("reader").get(first["next"]).json()
    ids = [r["id"] for r in first["results"] + second["results"]]
    assert len(ids) == 16 and len(set(ids)) == 16


def test_api_claims_as_of(api_as, demo):
    response = api_as("reader").get("/api/claims/", {"as_of": "2024-10-20", "actor": "kremlin"})
    (claim,) = response.json()["results"]
    detail = api_as("reader").get(f"/api/claims/{claim['id']}/", {"as_of": "2025-05-01"})
    assert (claim["status"], claim["status_rationale"]) == ("unverified", "")
    assert detail.json()["status"] == "denied"


@pytest.mark.parametrize("value", ["junk", "1899-12-31", "2999-01-01"])
def test_api_bad_as_of_is_a_400_naming_the_field(api_as, demo, value):
    listed = api_as("reader").get("/api/claims/", {"as_of": value})
    assert listed.status_code == 400 and "as_of" in listed.json()


def test_api_schema_documents_as_of_and_changes(api_as):
    schema = api_as("reader").get("/api/schema/", {"format": "json"}).json()
    claim_params = {p["name"] for p in schema["paths"]["/api/claims/"]["get"]["parameters"]}
    change_params = {p["name"] for p in schema["paths"]["/api/changes/"]["get"]["parameters"]}
    assert "as_of" in claim_params and {"from", "to", "actor"} <= change_params
