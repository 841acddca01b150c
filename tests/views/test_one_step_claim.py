"""The new-claim form in one submit: the claim, its first verdict and its citations, each new
source with its title, URL, kind, publisher and date; the edit form changes existing
citations' role and quote. All through claims.services, in one transaction."""

import datetime

import pytest
from django.urls import reverse

from claims import services
from claims.models import Citation, Claim, Source
from tests.views.conftest import claim_form_data

pytestmark = pytest.mark.django_db
CREATE = reverse("claims:claim-create")


def new_source_row(data, row=0, **fields):
    defaults = {
        "new_source_title": "KCNA report",
        "new_source_url": "https://example.org/kcna",
        "new_source_kind": "news_report",
        "new_source_publisher": "KCNA",
        "new_source_published_on": "2024-10-17",
        "role": "appearance",
    }
    defaults.update(fields)
    data.update({f"citations-{row}-{name}": value for name, value in defaults.items()})
    return data


def test_claim_with_a_new_source_and_its_verdict_in_one_submit(analyst_client, analyst, actor):
    data = new_source_row(claim_form_data(), quote="What was said")
    data.update(
        {
            "verdict-status": "denied",
            "verdict-rationale": "Satellite images show it.",
            "verdict-confidence": "high",
        }
    )
    response = analyst_client.post(CREATE, data)
    claim = Claim.objects.get(headline="A new claim")
    assert response.status_code == 302 and response["Location"] == claim.get_absolute_url()
    assert (claim.status, claim.status_rationale) == ("denied", "Satellite images show it.")
    assert list(claim.status_changes.values_list("old_status", "new_status", "changed_by")) == [
        ("", "denied", analyst.pk)
    ]
    source = Source.objects.get()
    assert (source.title, source.url, source.kind, source.publisher, source.published_on) == (
        "KCNA report",
        "https://example.org/kcna",
        "news_report",
        "KCNA",
        datetime.date(2024, 10, 17),
    )
    assert list(claim.citations.values_list("source", "role", "quote")) == [
        (source.pk, "appearance", "What was said")
    ]


def test_no_verdict_given_starts_unverified(analyst_client, actor):
    assert analyst_client.post(CREATE, claim_form_data()).status_code == 302
    claim = Claim.objects.get()
    assert claim.status == "unverified" and claim.status_changes.count() == 1


@pytest.mark.parametrize("status", ["confirmed", "denied"])
def test_a_verdict_without_rationale_is_refused_and_nothing_is_written(
    analyst_client, actor, status
):
    data = new_source_row(claim_form_data(headline="Kept headline"))
    data.update({"verdict-status": status, "verdict-rationale": "  "})
    response = analyst_client.post(CREATE, data)
    assert response.status_code == 400
    body = response.content.decode()
    assert "<title>Error: " in body
    assert "First verdict: " in body and "rationale is required" in body
    assert 'value="Kept headline"' in body and 'value="KCNA"' in body
    assert not Claim.objects.exists() and not Source.objects.exists()


def test_an_unknown_verdict_is_a_form_error(analyst_client, actor):
    data = claim_form_data(**{"verdict-status": "maybe"})
    assert analyst_client.post(CREATE, data).status_code == 400
    assert not Claim.objects.exists()


def test_a_bad_new_source_date_or_kind_keeps_everything_and_writes_nothing(analyst_client, actor):
    data = new_source_row(claim_form_data(), new_source_published_on="17/13/2024")
    new_source_row(data, 1, new_source_url="https://example.org/b", new_source_kind="rumour")
    response = analyst_client.post(CREATE, data)
    assert response.status_code == 400
    body = response.content.decode()
    assert 'href="#id_citations-0-new_source_published_on"' in body
    assert 'href="#id_citations-1-new_source_kind"' in body
    assert not Claim.objects.exists() and not Source.objects.exists()


def test_the_new_source_is_created_in_the_claims_transaction(analyst_client, actor, monkeypatch):
    # The claim fails after its source was created: neither stays.
    def fail(**kwargs):
        raise services.ValidationError({"at": "refused"})

    monkeypatch.setattr(services, "claim_set_status", fail)
    response = analyst_client.post(CREATE, new_source_row(claim_form_data()))
    assert response.status_code == 400
    assert not Claim.objects.exists() and not Source.objects.exists()


def test_the_create_form_shows_the_verdict_and_new_source_fields(analyst_client, actor):
    body = analyst_client.get(CREATE).content.decode()
    for name in [
        "verdict-status",
        "verdict-rationale",
        "citations-0-new_source_kind",
        "citations-0-new_source_publisher",
        "citations-0-new_source_published_on",
    ]:
        assert f'name="{name}"' in body


# Editing existing citations ------------------------------------------------------------------


def edit_data(claim, **extra):
    citations = list(claim.citations.order_by("pk"))
    data = claim_form_data(claim, **{"citations-TOTAL_FORMS": "0"})
    data.update(
        {"cited-TOTAL_FORMS": str(len(citations)), "cited-INITIAL_FORMS": str(len(citations))}
    )
    for n, citation in enumerate(citations):
        data[f"cited-{n}-citation"] = str(citation.pk)
        data[f"cited-{n}-role"] = citation.role
        data[f"cited-{n}-quote"] = citation.quote
    data.update(extra)
    return data


def test_the_edit_form_changes_a_citations_role_and_quote(analyst_client, analyst, claim):
    citation = claim.citations.get()
    url = reverse("claims:claim-update", args=[claim.pk])
    assert 'name="cited-0-quote"' in analyst_client.get(url).content.decode()
    data = edit_data(claim, **{"cited-0-role": "evidence", "cited-0-quote": "fake news"})
    response = analyst_client.post(url, data)
    assert response.status_code == 302
    citation.refresh_from_db()
    assert (citation.role, citation.quote) == ("evidence", "fake news")
    assert citation.claim_id == claim.pk and Citation.objects.count() == 1


def test_an_unchanged_citation_writes_nothing(analyst_client, claim):
    citation = claim.citations.get()
    before = citation.history.count() if hasattr(citation, "history") else None
    url = reverse("claims:claim-update", args=[claim.pk])
    assert analyst_client.post(url, edit_data(claim)).status_code == 302
    if before is not None:
        assert citation.history.count() == before


def test_two_citations_of_one_source_in_one_role_are_refused(analyst_client, claim, source):
    services.add_citation(claim=claim, source=source, role="evidence", by=None)
    url = reverse("claims:claim-update", args=[claim.pk])
    data = edit_data(claim, **{"cited-0-role": "evidence", "cited-1-role": "evidence"})
    response = analyst_client.post(url, data)
    assert response.status_code == 400
    assert b"cited twice in one role" in response.content, response.context["error_list"]
    assert sorted(claim.citations.values_list("role", flat=True)) == ["appearance", "evidence"]


def test_a_citation_of_another_claim_is_not_edited(analyst_client, claim, actor, source):
    other = services.create_claim(
        by=None,
        actor=actor,
        headline="Another",
        text="Else.",
        stated_on=datetime.date(2024, 1, 1),
        citations=[Citation(source=source, role="appearance", quote="kept")],
    )
    foreign = other.citations.get()
    url = reverse("claims:claim-update", args=[claim.pk])
    data = edit_data(claim, **{"cited-0-citation": str(foreign.pk), "cited-0-quote": "changed"})
    analyst_client.post(url, data)
    foreign.refresh_from_db()
    assert foreign.quote == "kept"


def test_edit_citation_service_refuses_an_unknown_role(claim):
    citation = claim.citations.get()
    with pytest.raises(services.ValidationError):
        services.edit_citation(citation=citation, role="rumour", quote="", by=None)
    citation.refresh_from_db()
    assert citation.role == "appearance"
