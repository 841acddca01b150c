import pytest
from django.urls import reverse

from claims import services
from claims.models import Claim, StatusChange
from tests.factories import CitationFactory, SourceFactory

pytestmark = pytest.mark.django_db


def status_url(claim):
    return reverse("claims:claim-status", kwargs={"pk": claim.pk})


def test_detail_shows_text_actor_and_current_status(reader_client, claim):
    response = reader_client.get(claim.get_absolute_url())
    assert response.status_code == 200
    assert claim.text.encode() in response.content
    assert claim.actor.get_absolute_url().encode() in response.content
    assert b"No verdict yet" in response.content


def test_detail_groups_citations_by_role_with_quote_and_link(reader_client, claim):
    evidence = CitationFactory(
        claim=claim, source=SourceFactory(title="Gerasimov speech"), role="evidence", quote="Q2"
    )
    response = reader_client.get(claim.get_absolute_url())
    assert [c.source.title for c in response.context["appearances"]] == ["Peskov news conference"]
    assert response.context["evidence"] == [evidence]
    assert b"another piece of fake news</blockquote>" in response.content
    assert b'href="https://example.org/peskov"' in response.content


def test_timeline_says_system_when_nobody_is_recorded(reader_client, claim):
    response = reader_client.get(claim.get_absolute_url())
    assert b"system (demo data or import)" in response.content
    assert list(response.context["timeline"]) == list(claim.status_changes.all())


def test_timeline_shows_who_changed_what_and_why(reader_client, claim, analyst):
    services.claim_set_status(
        confidence="moderate",
        claim=claim,
        status="denied",
        rationale="Gerasimov said so.",
        by=analyst,
    )
    response = reader_client.get(claim.get_absolute_url())
    timeline = response.content.decode().split('id="timeline"')[1]
    assert "analyst" in timeline and "Gerasimov said so." in timeline
    assert 'status-unverified">Unverified</span> → <span class="status status-denied">' in timeline


def test_unknown_claim_is_404(reader_client):
    assert (
        reader_client.get(reverse("claims:claim-detail", kwargs={"pk": 999999})).status_code == 404
    )


def test_head_extra_block_is_there_for_later_metadata(reader_client, claim):
    # base.html keeps the block empty; the check is that pages still render with it.
    assert reader_client.get(claim.get_absolute_url()).status_code == 200


def test_analyst_marks_a_claim_denied_with_a_rationale(analyst_client, analyst, claim):
    response = analyst_client.post(
        status_url(claim),
        {"status": "denied", "rationale": "Refuted by Gerasimov.", "confidence": "high"},
    )
    assert response.status_code == 302
    assert response["Location"] == claim.get_absolute_url() + "#timeline"
    claim.refresh_from_db()
    assert (claim.status, claim.status_rationale) == ("denied", "Refuted by Gerasimov.")
    assert claim.status_changes.last().changed_by == analyst


def test_verdict_without_rationale_is_refused_and_keeps_the_choice(analyst_client, claim):
    response = analyst_client.post(status_url(claim), {"status": "confirmed", "rationale": " "})
    assert response.status_code == 400
    assert b"a rationale is required" in response.content
    assert b'value="confirmed" required id="id_status_0" checked' in response.content
    assert StatusChange.objects.filter(claim=claim).count() == 1
    assert Claim.objects.get(pk=claim.pk).status == "unverified"


def test_unknown_status_is_refused(analyst_client, claim):
    response = analyst_client.post(status_url(claim), {"status": "true", "rationale": "x"})
    assert response.status_code == 400
    assert StatusChange.objects.filter(claim=claim).count() == 1


def test_rationale_text_is_kept_after_an_error(analyst_client, claim):
    response = analyst_client.post(status_url(claim), {"status": "", "rationale": "My notes"})
    assert response.status_code == 400
    assert b"My notes</textarea>" in response.content


def test_marking_unverified_needs_no_rationale(analyst_client, claim):
    services.claim_set_status(
        confidence="moderate", claim=claim, status="denied", rationale="x", by=None
    )
    response = analyst_client.post(status_url(claim), {"status": "unverified", "rationale": ""})
    assert response.status_code == 302
    assert Claim.objects.get(pk=claim.pk).status == "unverified"


def test_status_of_unknown_claim_is_404(analyst_client):
    url = reverse("claims:claim-status", kwargs={"pk": 999999})
    assert analyst_client.post(url, {"status": "denied", "rationale": "x"}).status_code == 404
