"""/api/propositions/ as of a date (?as_of=): the verdicts of the demo on that date."""

import io

import pytest
from django.core.management import call_command

from claims.models import Proposition

pytestmark = pytest.mark.django_db

MAIN = "north-korean-troops-deployed-to-russia"
KURSK = "north-korean-units-fighting-in-kursk"
BEFORE = "2024-10-20"


@pytest.fixture
def demo(db):
    call_command("load_demo", stdout=io.StringIO())


def test_api_detail_and_list_give_the_verdict_of_the_date(api_as, demo):
    client = api_as("reader")
    then = client.get(f"/api/propositions/{MAIN}/", {"as_of": BEFORE})
    assert then.status_code == 200
    assert (then.json()["status"], then.json()["status_rationale"]) == ("unverified", "")
    assert client.get(f"/api/propositions/{MAIN}/").json()["status"] == "confirmed"
    listed = client.get("/api/propositions/", {"as_of": BEFORE}).json()["results"]
    assert {p["slug"]: p["status"] for p in listed}[MAIN] == "unverified"
    confirmed = client.get("/api/propositions/", {"as_of": BEFORE, "status": "confirmed"})
    assert confirmed.json()["results"] == []
    assert client.get(f"/api/propositions/{MAIN}/", {"as_of": "2024-10-01"}).status_code == 404


@pytest.mark.parametrize("value", ["yesterday", "1800-01-01", "2999-01-01"])
def test_api_bad_date_is_a_400_naming_the_field(api_as, demo, value):
    client = api_as("reader")
    for url in ("/api/propositions/", f"/api/propositions/{MAIN}/"):
        response = client.get(url, {"as_of": value})
        assert response.status_code == 400, url
        assert list(response.json()) == ["as_of"], url


def test_api_writes_ignore_as_of(api_as, demo):
    # A verdict is always recorded on today's record; as_of only narrows what is read.
    response = api_as("analyst").post(
        f"/api/propositions/{KURSK}/status/?as_of={BEFORE}",
        {"status": "denied", "rationale": "Test.", "confidence": "low"},
        format="json",
    )
    assert response.status_code == 200
    assert Proposition.objects.get(slug=KURSK).status == "denied"
