import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from claims.models import Actor

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(db):
    call_command("load_demo", stdout=io.StringIO())


def test_kremlin_filter_shows_only_the_kremlins_claims_with_the_denial(reader_client, demo):
    kremlin = Actor.objects.get(slug="kremlin")
    response = reader_client.get(reverse("claims:claim-list") + "?actor=kremlin")
    claims = response.context["browser"].claims
    assert response.status_code == 200
    assert claims and {c.actor for c in claims} == {kremlin}
    assert [c.status for c in claims] == ["denied"]
    assert b"fake news" in response.content
    assert b'class="status status-denied">Denied</span>' in response.content


def test_kremlin_claim_page_shows_the_denial_and_its_reason(reader_client, demo):
    claim = Actor.objects.get(slug="kremlin").claims.get()
    response = reader_client.get(claim.get_absolute_url())
    assert b"Refuted by Russia itself" in response.content
    assert b"Gerasimov acknowledges" in response.content  # the evidence citation


def test_demo_actor_page_has_its_spokesman_and_track_record(reader_client, demo):
    response = reader_client.get(reverse("claims:actor-detail", args=["nis"]))
    counts = {entry["value"]: entry["count"] for entry in response.context["track_record"]}
    assert counts == {"confirmed": 5, "denied": 0, "unverified": 0}
