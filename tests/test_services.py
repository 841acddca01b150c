import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from claims import services
from claims.models import Citation, Claim, Source, StatusChange
from tests.factories import ActorFactory, ClaimFactory, SourceFactory

pytestmark = pytest.mark.django_db


def new_claim(by, **kwargs):
    return services.create_claim(
        by=by,
        actor=kwargs.pop("actor", None) or ActorFactory(),
        headline="North Korea sent troops",
        text="North Korea has dispatched troops to Russia.",
        stated_on=datetime.date(2024, 10, 18),
        **kwargs,
    )


def test_create_claim_writes_the_initial_status_change(analyst):
    claim = new_claim(analyst)
    change = StatusChange.objects.get(claim=claim)
    assert (change.old_status, change.new_status, change.changed_by) == (
        "",
        "unverified",
        analyst,
    )
    assert claim.created_by == analyst


def test_create_claim_with_citations_saves_them(analyst):
    source = SourceFactory()
    claim = new_claim(analyst, citations=[Citation(source=source, role="appearance", quote="q")])
    assert list(claim.citations.values_list("source", "quote")) == [(source.pk, "q")]


def test_each_status_change_writes_exactly_one_row_with_user_and_rationale(analyst):
    claim = new_claim(analyst)
    services.claim_set_status(
        confidence="moderate", claim=claim, status="denied", rationale="Refuted", by=analyst
    )
    changes = list(claim.status_changes.order_by("pk"))
    assert len(changes) == 2
    assert (changes[1].old_status, changes[1].new_status, changes[1].rationale) == (
        "unverified",
        "denied",
        "Refuted",
    )
    assert changes[1].changed_by == analyst


def test_status_change_updates_the_current_status(analyst):
    claim = new_claim(analyst)
    services.claim_set_status(
        confidence="moderate", claim=claim, status="confirmed", rationale="Seen", by=analyst
    )
    claim.refresh_from_db()
    assert (claim.status, claim.status_rationale) == ("confirmed", "Seen")


@pytest.mark.parametrize("status", ["confirmed", "denied"])
def test_verdict_without_rationale_is_refused_and_writes_nothing(analyst, status):
    claim = new_claim(analyst)
    with pytest.raises(ValidationError) as error:
        services.claim_set_status(
            confidence="moderate", claim=claim, status=status, rationale="  ", by=analyst
        )
    assert "rationale" in error.value.message_dict
    assert claim.status_changes.count() == 1


def test_unknown_status_is_refused(analyst):
    claim = new_claim(analyst)
    with pytest.raises(ValidationError):
        services.claim_set_status(
            confidence="moderate", claim=claim, status="maybe", rationale="x", by=analyst
        )
    claim.refresh_from_db()
    assert claim.status == "unverified"


def test_status_change_is_recorded_in_history_with_the_user(analyst):
    claim = new_claim(analyst)
    services.claim_set_status(
        confidence="moderate", claim=claim, status="denied", rationale="Refuted", by=analyst
    )
    latest = claim.history.latest()
    assert (latest.status, latest.history_user) == ("denied", analyst)


def test_save_versioned_refuses_a_stale_edit(analyst):
    claim = ClaimFactory(headline="first")
    stale_version = claim.version
    claim.headline = "second"
    services.save_versioned(claim, by=analyst, version=stale_version)
    stale = Claim.objects.get(pk=claim.pk)
    stale.headline = "third"
    with pytest.raises(services.VersionConflict):
        services.save_versioned(stale, by=analyst, version=stale_version)
    assert Claim.objects.get(pk=claim.pk).headline == "second"


def test_save_versioned_does_not_overwrite_the_status(analyst):
    claim = new_claim(analyst)
    form_copy = Claim.objects.get(pk=claim.pk)
    services.claim_set_status(
        confidence="moderate", claim=claim, status="denied", rationale="Refuted", by=analyst
    )
    form_copy.headline = "Edited headline"
    services.save_versioned(form_copy, by=analyst, version=form_copy.version)
    claim.refresh_from_db()
    assert (claim.headline, claim.status) == ("Edited headline", "denied")


def test_save_versioned_history_shows_no_status_rollback(analyst):
    claim = new_claim(analyst)
    form_copy = Claim.objects.get(pk=claim.pk)
    services.claim_set_status(
        confidence="moderate", claim=claim, status="denied", rationale="Refuted", by=analyst
    )
    form_copy.headline = "Edited headline"
    services.save_versioned(form_copy, by=analyst, version=form_copy.version)
    latest = claim.history.latest("history_date")
    assert (latest.headline, latest.status, latest.status_rationale) == (
        "Edited headline",
        "denied",
        "Refuted",
    )


def test_status_change_dated_before_the_latest_one_is_refused(analyst):
    claim = new_claim(analyst)
    earlier = claim.status_changes.get().changed_at - datetime.timedelta(days=1)
    with pytest.raises(ValidationError) as refused:
        services.claim_set_status(
            confidence="moderate",
            claim=claim,
            status="denied",
            rationale="Refuted",
            by=analyst,
            at=earlier,
        )
    assert "at" in refused.value.message_dict
    claim.refresh_from_db()
    assert (claim.status, claim.status_changes.count()) == ("unverified", 1)


def test_update_claim_edits_fields_and_citations_in_one_step(analyst):
    claim = new_claim(analyst)
    old = services.add_citation(claim=claim, source=SourceFactory(), role="appearance", by=analyst)
    kept_source = SourceFactory()
    services.update_claim(
        claim=claim,
        changes={"headline": "Edited"},
        add_citations=[
            services.CitationSpec(source=kept_source, role="evidence", quote="q"),
            services.CitationSpec(new_source_title="Typed", new_source_url="https://e.org/t"),
        ],
        remove_citations=[old],
        by=analyst,
        version=claim.version,
    )
    claim = Claim.objects.get(pk=claim.pk)
    assert (claim.headline, claim.version, claim.updated_by) == ("Edited", 2, analyst)
    assert sorted(claim.citations.values_list("source__title", "role", "quote")) == [
        (kept_source.title, "evidence", "q"),
        ("Typed", "appearance", ""),
    ]
    assert claim.history.latest().history_user == analyst


def test_update_claim_on_a_stale_version_writes_nothing(analyst):
    claim = new_claim(analyst)
    services.save_versioned(claim, by=analyst, version=claim.version)  # someone else, first
    stale = Claim.objects.get(pk=claim.pk)
    with pytest.raises(services.VersionConflict):
        services.update_claim(
            claim=stale,
            changes={"headline": "Late"},
            add_citations=[services.CitationSpec(new_source_title="Never made")],
            by=analyst,
            version=1,
        )
    assert Claim.objects.get(pk=claim.pk).headline == "North Korea sent troops"
    assert not Citation.objects.exists()
    assert not Source.objects.filter(title="Never made").exists()


def test_delete_claim_is_for_admins_and_says_what_went(analyst, admin):
    claim = new_claim(analyst)
    services.add_citation(claim=claim, source=SourceFactory(), role="appearance", by=analyst)
    with pytest.raises(PermissionDenied):
        services.delete_claim(claim, by=analyst)
    assert Claim.objects.filter(pk=claim.pk).exists()
    gone = services.delete_claim(claim, by=admin)
    assert gone == [
        "its citations (1); the sources themselves stay",
        "its verdict timeline (1 entries)",
    ]
    assert not Claim.objects.filter(pk=claim.pk).exists()
    assert not StatusChange.objects.exists() and not Citation.objects.exists()
