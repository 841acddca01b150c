"""The API's face of the grades: a verdict's confidence, graded citations, 400s naming the
field."""

import pytest

from claims import services
from claims.models import Claim
from tests.factories import ActorFactory, ClaimFactory, SourceFactory

pytestmark = pytest.mark.django_db


def evidence(claim, *, reliability, credibility, direction):
    return services.add_citation(
        claim=claim,
        source=SourceFactory(reliability=reliability),
        role="evidence",
        credibility=credibility,
        direction=direction,
        by=None,
    )


# API --------------------------------------------------------------------------------------


def test_api_status_without_confidence_is_a_400_naming_it(api_as):
    claim = ClaimFactory()
    response = api_as("analyst").post(
        f"/api/claims/{claim.pk}/status/", {"status": "denied", "rationale": "No."}, format="json"
    )
    assert response.status_code == 400
    assert "confidence" in response.json()
    assert not claim.status_changes.filter(new_status="denied").exists()


def test_api_status_records_the_confidence(api_as):
    claim = ClaimFactory()
    response = api_as("analyst").post(
        f"/api/claims/{claim.pk}/status/",
        {"status": "denied", "rationale": "No.", "confidence": "high"},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["status_confidence"] == "high"


@pytest.mark.parametrize(
    "citation",
    [
        {"role": "evidence", "credibility": 9},
        {"role": "appearance", "direction": "refutes"},
        {"role": "evidence", "reliability_override": "X"},
    ],
)
def test_api_bad_citation_grade_is_a_400_naming_the_field(api_as, citation):
    source = SourceFactory()
    actor = ActorFactory()
    payload = {
        "actor_slug": actor.slug,
        "headline": "H",
        "text": "T",
        "stated_on": "2024-10-10",
        "new_citations": [{"source": source.pk, **citation}],
    }
    response = api_as("analyst").post("/api/claims/", payload, format="json")
    assert response.status_code == 400
    assert "new_citations" in response.json()
    assert not Claim.objects.exists()


def test_api_citations_carry_their_rating(api_as):
    claim = ClaimFactory()
    evidence(claim, reliability="B", credibility=2, direction="supports")
    (citation,) = api_as("reader").get(f"/api/claims/{claim.pk}/").json()["citations"]
    assert (citation["rating"], citation["direction"], citation["credibility"]) == (
        "B2",
        "supports",
        2,
    )
