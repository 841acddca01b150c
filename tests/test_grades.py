"""Admiralty grades on sources and evidence, and the confidence of verdicts: the database's
rules, the services, the one FilterSet, the forms, the API, the import and the pages."""

import datetime
import json

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError, transaction
from django.http import QueryDict
from django.urls import reverse

from claims import grades, services
from claims.exports import COLUMNS
from claims.filters import ClaimFilter
from claims.imports import import_claims
from claims.models import Citation, Claim, Source, StatusChange
from tests.factories import ActorFactory, CitationFactory, ClaimFactory, SourceFactory

pytestmark = pytest.mark.django_db


def assert_refused(make):
    with pytest.raises((IntegrityError, DataError)), transaction.atomic():
        make()


def evidence(claim, *, reliability="F", credibility=6, direction="context", override=""):
    return services.add_citation(
        claim=claim,
        source=SourceFactory(reliability=reliability),
        role="evidence",
        credibility=credibility,
        direction=direction,
        reliability_override=override,
        by=None,
    )


# The database's rules ---------------------------------------------------------------------


def test_source_reliability_outside_a_to_f_is_refused_by_the_database():
    source = SourceFactory()
    assert_refused(lambda: Source.objects.filter(pk=source.pk).update(reliability="G"))
    assert Source.objects.get(pk=source.pk).reliability == "F"


@pytest.mark.parametrize(
    "grades",
    [
        {"role": "evidence", "credibility": 7, "direction": "context"},
        {"role": "evidence", "credibility": 0, "direction": "context"},
        {"role": "evidence", "credibility": None, "direction": "context"},
        {"role": "evidence", "credibility": 3, "direction": "maybe"},
        {"role": "evidence", "credibility": 3, "direction": ""},
        {
            "role": "evidence",
            "credibility": 3,
            "direction": "supports",
            "reliability_override": "Z",
        },
        {"role": "appearance", "credibility": None, "direction": "supports"},
        {"role": "appearance", "credibility": 2, "direction": ""},
        {"role": "appearance", "credibility": None, "direction": "", "reliability_override": "A"},
    ],
)
def test_bad_citation_grades_are_refused_by_the_database(grades):
    claim, source = ClaimFactory(), SourceFactory()
    assert_refused(lambda: Citation.objects.create(claim=claim, source=source, **grades))
    assert not Citation.objects.exists()


def test_a_verdict_without_confidence_is_refused_by_the_database():
    claim = ClaimFactory()
    row = {
        "claim": claim,
        "new_status": "denied",
        "rationale": "No.",
        "changed_at": claim.created_at,
    }
    assert_refused(lambda: StatusChange.objects.create(confidence="", **row))
    assert_refused(lambda: StatusChange.objects.create(confidence="sure", **row))
    assert list(StatusChange.objects.values_list("new_status", flat=True)) == ["unverified"]


def test_a_past_verdict_may_keep_its_confidence_not_recorded():
    claim = ClaimFactory()
    StatusChange.objects.create(
        claim=claim,
        new_status="denied",
        rationale="No.",
        confidence=None,
        changed_at=claim.created_at,
    )
    change = StatusChange.objects.get(new_status="denied")
    assert (change.confidence, change.confidence_label) == (None, "not recorded")


def test_migration_grades_existing_rows_without_inventing_values():
    from importlib import import_module

    migration = import_module("claims.migrations.0011_grades")
    claim = ClaimFactory()
    citation = CitationFactory(claim=claim, role="evidence", credibility=2, direction="supports")
    services.claim_set_status(
        claim=claim, status="denied", rationale="No.", confidence="low", by=None
    )
    migration.grade_existing_rows(apps, None)
    citation.refresh_from_db()
    claim.refresh_from_db()
    assert (citation.credibility, citation.direction) == (6, "context")
    assert claim.status_changes.last().confidence is None
    assert (claim.status_confidence, claim.confidence_label) == (None, "not recorded")


# Services ---------------------------------------------------------------------------------


def test_denied_without_confidence_is_refused_and_nothing_is_written():
    claim = services.create_claim(
        by=None, actor=ActorFactory(), headline="H", text="T", stated_on=datetime.date(2024, 10, 1)
    )
    with pytest.raises(ValidationError) as error:
        services.claim_set_status(claim=claim, status="denied", rationale="No.", by=None)
    assert "confidence" in error.value.message_dict
    claim.refresh_from_db()
    assert (claim.status, claim.status_changes.count()) == ("unverified", 1)


def test_confidence_is_recorded_on_the_change_and_cached_on_the_claim():
    claim = services.create_claim(
        by=None, actor=ActorFactory(), headline="H", text="T", stated_on=datetime.date(2024, 10, 1)
    )
    change = services.claim_set_status(
        claim=claim, status="confirmed", rationale="Seen.", confidence="high", by=None
    )
    claim.refresh_from_db()
    assert (change.confidence, claim.status_confidence) == ("high", "high")
    assert claim.confidence_label == "High confidence"


def test_unverified_may_go_without_confidence():
    claim = ClaimFactory()
    change = services.claim_set_status(claim=claim, status="unverified", by=None)
    assert change.confidence == ""


def test_evidence_defaults_to_truth_cannot_be_judged_and_context():
    citation = services.add_citation(
        claim=ClaimFactory(), source=SourceFactory(), role="evidence", by=None
    )
    citation.refresh_from_db()
    assert (citation.credibility, citation.direction, citation.rating) == (6, "context", "F6")


def test_a_direction_on_an_appearance_is_a_field_error():
    with pytest.raises(ValidationError) as error:
        services.add_citation(
            claim=ClaimFactory(),
            source=SourceFactory(),
            role="appearance",
            direction="supports",
            by=None,
        )
    assert "direction" in error.value.message_dict
    assert not Citation.objects.exists()


def test_the_override_takes_the_place_of_the_sources_reliability_in_the_rating():
    citation = evidence(ClaimFactory(), reliability="B", credibility=4, override="D")
    assert citation.rating == "D4"
    assert "the source itself is graded B" in citation.rating_meaning


def test_grading_a_source_records_who_in_its_history(analyst):
    source = SourceFactory()
    services.source_set_reliability(source=source, reliability="B", by=analyst)
    source.refresh_from_db()
    assert (source.reliability, source.version) == ("B", 2)
    assert source.history.latest().history_user == analyst


def test_evidence_is_grouped_by_direction_best_graded_first_with_a_summary():
    claim = ClaimFactory()
    evidence(claim, reliability="B", credibility=2, direction="supports")
    best = evidence(claim, reliability="A", credibility=1, direction="supports")
    evidence(claim, reliability="C", credibility=3, direction="refutes")
    groups = grades.evidence_groups(list(claim.citations.select_related("source")))
    assert [g["direction"] for g in groups] == ["supports", "refutes"]
    assert groups[0]["citations"][0] == best
    assert grades.evidence_summary(groups) == "2 supporting, best A1; 1 refuting, C3"


# The one FilterSet -----------------------------------------------------------------------


def run(query):
    filterset = ClaimFilter(QueryDict(query), queryset=Claim.objects.all())
    valid = filterset.is_valid()
    return valid, set(filterset.qs) if valid else set(), filterset.errors


def test_min_reliability_keeps_claims_with_evidence_at_or_above_the_grade():
    good, poor, appearance_only = ClaimFactory(), ClaimFactory(), ClaimFactory()
    evidence(good, reliability="B")
    evidence(poor, reliability="C")
    CitationFactory(claim=appearance_only, source=SourceFactory(reliability="A"))
    assert run("min_reliability=B")[1] == {good}


def test_min_reliability_uses_the_override_when_set():
    lifted, lowered = ClaimFactory(), ClaimFactory()
    evidence(lifted, reliability="E", override="A")
    evidence(lowered, reliability="A", override="E")
    assert run("min_reliability=B")[1] == {lifted}


def test_min_credibility_keeps_claims_with_evidence_at_or_above_the_grade():
    good, poor = ClaimFactory(), ClaimFactory()
    evidence(good, credibility=2)
    evidence(poor, credibility=3)
    assert run("min_credibility=2")[1] == {good}


def test_direction_and_grades_must_hold_for_one_citation():
    claim, other = ClaimFactory(), ClaimFactory()
    evidence(claim, credibility=1, direction="refutes")
    evidence(other, credibility=1, direction="supports")
    evidence(other, credibility=5, direction="refutes")
    assert run("direction=refutes&min_credibility=2")[1] == {claim}


def test_confidence_filter_keeps_claims_whose_verdict_has_it():
    sure, unsure = ClaimFactory(), ClaimFactory()
    services.claim_set_status(
        claim=sure, status="denied", rationale="x", confidence="high", by=None
    )
    services.claim_set_status(
        claim=unsure, status="denied", rationale="x", confidence="low", by=None
    )
    assert run("confidence=high")[1] == {sure}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("min_reliability=G", "min_reliability"),
        ("min_reliability=b", "min_reliability"),
        ("min_credibility=7", "min_credibility"),
        ("min_credibility=two", "min_credibility"),
        ("direction=sideways", "direction"),
        ("confidence=certain", "confidence"),
    ],
)
def test_bad_grade_filter_is_an_error_naming_the_field(query, field):
    valid, _, errors = run(query)
    assert not valid
    assert set(errors) == {field}


@pytest.mark.parametrize(
    ("query", "label"),
    [
        ("min_reliability=G", b"Evidence reliability at least"),
        ("min_credibility=9", b"Evidence credibility at least"),
    ],
)
def test_bad_grade_filter_is_the_lists_400_page_naming_the_field(reader_client, query, label):
    response = reader_client.get(reverse("claims:claim-list") + "?" + query)
    assert response.status_code == 400
    assert b"<strong>" + label + b"</strong>" in response.content


# Forms ------------------------------------------------------------------------------------


def test_status_form_denied_without_confidence_is_a_field_error_keeping_the_input(analyst_client):
    claim = ClaimFactory()
    response = analyst_client.post(
        reverse("claims:claim-status", args=[claim.pk]),
        {"status": "denied", "rationale": "Refuted by Gerasimov."},
    )
    assert response.status_code == 400
    assert response.context["status_form"].errors["confidence"]
    assert b"Refuted by Gerasimov.</textarea>" in response.content
    assert not claim.status_changes.filter(new_status="denied").exists()


def test_status_form_records_the_confidence(analyst_client):
    claim = ClaimFactory()
    analyst_client.post(
        reverse("claims:claim-status", args=[claim.pk]),
        {"status": "denied", "rationale": "Refuted.", "confidence": "moderate"},
    )
    claim.refresh_from_db()
    assert (claim.status, claim.status_confidence) == ("denied", "moderate")


def _claim_form(actor, **row):
    data = {
        "actor": actor.slug,
        "headline": "Graded claim",
        "text": "Text.",
        "stated_on": "2024-10-10",
        "citations-TOTAL_FORMS": "1",
        "citations-INITIAL_FORMS": "0",
        "citations-MIN_NUM_FORMS": "0",
        "citations-MAX_NUM_FORMS": "20",
    }
    data.update({f"citations-0-{k}": v for k, v in row.items()})
    return data


@pytest.mark.parametrize(
    ("row", "field"),
    [
        ({"role": "appearance", "direction": "supports"}, "direction"),
        ({"role": "appearance", "credibility": "2"}, "credibility"),
        ({"role": "evidence", "credibility": "7"}, "credibility"),
        ({"role": "evidence", "reliability_override": "Q"}, "reliability_override"),
    ],
)
def test_bad_citation_grade_in_the_claim_form_is_a_field_error(analyst_client, row, field):
    source = SourceFactory()
    data = _claim_form(ActorFactory(), source=str(source.pk), **row)
    response = analyst_client.post(reverse("claims:claim-create"), data)
    assert response.status_code == 400
    assert field in response.context["citation_formset"].forms[0].errors
    assert not Claim.objects.exists()


def test_claim_form_saves_graded_evidence(analyst_client):
    source = SourceFactory(reliability="C")
    data = _claim_form(
        ActorFactory(), source=str(source.pk), role="evidence", direction="refutes", credibility="3"
    )
    analyst_client.post(reverse("claims:claim-create"), data)
    citation = Citation.objects.get()
    assert (citation.rating, citation.direction) == ("C3", "refutes")


def test_claim_page_shows_ratings_summary_and_confidence(reader_client):
    claim = ClaimFactory()
    evidence(claim, reliability="C", credibility=3, direction="refutes")
    services.claim_set_status(
        claim=claim, status="denied", rationale="x", confidence="high", by=None
    )
    response = reader_client.get(claim.get_absolute_url())
    assert b'title="C: fairly reliable; 3: possibly true"' in response.content
    assert b">C3</abbr>" in response.content
    assert response.context["evidence_summary"] == "1 refuting, C3"
    assert b"High confidence" in response.content


def test_source_page_shows_its_reliability_and_track_record(reader_client):
    source = SourceFactory(reliability="B")
    for status in ("confirmed", "confirmed", "denied"):
        claim = ClaimFactory()
        services.add_citation(
            claim=claim, source=source, role="evidence", direction="supports", by=None
        )
        services.claim_set_status(
            claim=claim, status=status, rationale="x", confidence="low", by=None
        )
    response = reader_client.get(source.get_absolute_url())
    (row,) = response.context["track_record"]["rows"]
    assert (row["direction"], row["counts"]) == ("supports", [2, 1, 0])
    assert b"B: usually reliable" in response.content


# Import and export -----------------------------------------------------------------------

HEADER = ",".join(COLUMNS)


def test_import_reports_a_verdict_without_confidence_on_its_line():
    data = f"{HEADER}\n,H,T,nis,NIS,2024-11-04,denied,Refuted.,,,,\n".encode()
    report = import_claims(data)
    assert [e.line for e in report.errors] == [2]
    assert "status_confidence" in str(report.errors[0])
    assert not Claim.objects.exists()


@pytest.mark.parametrize(
    "entry",
    [
        "refutes:7::https://example.org/a",
        "sideways:3::https://example.org/a",
        "refutes:3:Z:https://example.org/a",
        "refutes:3",
    ],
)
def test_import_reports_bad_evidence_on_its_line(entry):
    data = f"{HEADER}\n,H,T,nis,NIS,2024-11-04,unverified,,,{entry},,\n".encode()
    report = import_claims(data)
    assert [e.line for e in report.errors] == [2]
    assert "evidence" in str(report.errors[0])
    assert not Claim.objects.exists()


def test_grades_survive_an_export_and_import_round_trip(reader_client):
    claim = ClaimFactory(actor=ActorFactory(slug="nis", name="NIS"))
    evidence(claim, reliability="B", credibility=2, direction="refutes", override="C")
    services.claim_set_status(
        claim=claim, status="denied", rationale="No.", confidence="high", by=None
    )
    exported = b"".join(reader_client.get("/claims.json").streaming_content)
    csv_data = b"".join(reader_client.get("/claims.csv").streaming_content)
    for model in (Citation, StatusChange, Claim):
        model.objects.all().delete()
    report = import_claims(csv_data)
    assert report.ok, report.errors
    again = b"".join(reader_client.get("/claims.json").streaming_content)
    strip = lambda data: [{k: v for k, v in r.items() if k != "id"} for r in json.loads(data)]  # noqa: E731
    assert strip(again) == strip(exported)
    assert Citation.objects.get().rating == "C2"


# Propositions, the admin and the record as of a date ---------------------------------------


def _proposition(status="unverified", confidence=""):
    return services.create_proposition(
        by=None,
        statement="North Korean troops are deployed in Russia",
        status=status,
        rationale="" if status == "unverified" else "Seen.",
        confidence=confidence,
    )


def test_a_proposition_verdict_without_confidence_is_refused():
    proposition = _proposition()
    with pytest.raises(ValidationError) as error:
        services.proposition_set_status(
            proposition=proposition, status="confirmed", rationale="Seen.", by=None
        )
    assert "confidence" in error.value.message_dict
    assert proposition.status_changes.count() == 1


def test_proposition_verdict_form_records_the_confidence(analyst_client):
    proposition = _proposition()
    url = reverse("claims:proposition-status", args=[proposition.slug])
    refused = analyst_client.post(url, {"status": "confirmed", "rationale": "Pentagon."})
    assert refused.status_code == 400
    assert refused.context["status_form"].errors["confidence"]
    analyst_client.post(
        url, {"status": "confirmed", "rationale": "Pentagon.", "confidence": "high"}
    )
    proposition.refresh_from_db()
    assert (proposition.status, proposition.status_confidence) == ("confirmed", "high")
    assert proposition.status_changes.latest_first().first().confidence == "high"


def test_applying_a_proposition_verdict_gives_each_claim_the_confidence(analyst_client):
    proposition = _proposition("confirmed", "moderate")
    claim = ClaimFactory()
    services.set_stance(claim=claim, proposition=proposition, stance="asserts", by=None)
    url = reverse("claims:proposition-apply", args=[proposition.slug])
    data = {"claims": f"{claim.pk}:{claim.version}:{claim.status}", "rationale": "Follows."}
    refused = analyst_client.post(url, data)
    assert refused.status_code == 400
    assert refused.context["apply_form"].errors["confidence"]
    analyst_client.post(url, {**data, "confidence": "low"})
    claim.refresh_from_db()
    assert (claim.status, claim.status_confidence) == ("confirmed", "low")


def test_admin_bulk_verdict_asks_for_the_confidence(admin_client):
    claim = ClaimFactory()
    url = reverse("admin:claims_claim_changelist")
    data = {"action": "mark_denied", "_selected_action": [claim.pk], "apply": "1"}
    refused = admin_client.post(url, {**data, "rationale": "Refuted."})
    assert refused.context["form"].errors["confidence"]
    admin_client.post(url, {**data, "rationale": "Refuted.", "confidence": "high"})
    claim.refresh_from_db()
    assert (claim.status, claim.status_confidence) == ("denied", "high")


def test_as_of_shows_the_confidence_of_that_dates_verdict(reader_client):
    claim = ClaimFactory(
        stated_on=datetime.date(2024, 10, 10),
        at=datetime.datetime(2024, 10, 10, 12, tzinfo=datetime.UTC),
    )
    for day, confidence in ((20, "low"), (30, "high")):
        services.claim_set_status(
            claim=claim,
            status="confirmed",
            rationale=f"Seen on the {day}th.",
            confidence=confidence,
            at=datetime.datetime(2024, 10, day, 12, tzinfo=datetime.UTC),
            by=None,
        )
    then = reader_client.get(claim.get_absolute_url() + "?as_of=2024-10-25")
    assert then.context["claim"].status_confidence == "low"
    assert b"Low confidence" in then.content.split(b'id="timeline"')[0]
    listed = reader_client.get(reverse("claims:claim-list") + "?as_of=2024-10-25&confidence=low")
    assert [c.pk for c in listed.context["browser"].claims] == [claim.pk]
