"""Every write goes through claims.services: each path that writes (site forms, admin pages
and actions, API, import, management commands) is driven here with a guard that fails the
test when a domain row (any table of the claims app) changes while no service function is
on the call stack.

The guard sees writes two ways: Django's post_save/post_delete signals (a model's save() or
delete()), and every SQL statement the connection runs (INSERT, UPDATE, DELETE on a claims_
table: also QuerySet.update(), bulk_create() and raw SQL, which send no signals)."""

import datetime
import re

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.db.models.signals import post_delete, post_save
from django.urls import reverse
from rest_framework.test import APIClient

from claims import services
from claims.exports import COLUMNS
from claims.models import (
    Actor,
    Capture,
    Citation,
    Claim,
    IdempotencyKey,
    Proposition,
    Source,
    Stance,
    StatusChange,
)
from tests.factories import ActorFactory, CitationFactory, ClaimFactory, SourceFactory

pytestmark = pytest.mark.django_db

WRITE_SQL = re.compile(r'\s*(INSERT\s+INTO|UPDATE|DELETE\s+FROM|COPY)\s+"?claims_', re.I)
DOMAIN_MODELS = {
    model
    for model in apps.get_models(include_auto_created=True)
    if model._meta.app_label == "claims"
}


class WriteGuard:
    """Records writes to domain tables: `bypasses` outside a service, `writes` inside."""

    def __init__(self):
        self.bypasses, self.writes = [], 0

    def _seen(self, what):
        if services.in_service():
            self.writes += 1
        else:
            self.bypasses.append(what)

    def __call__(self, execute, sql, params, many, context):
        if WRITE_SQL.match(sql):
            self._seen(sql[:100])
        return execute(sql, params, many, context)

    def on_save(self, sender, instance, **kwargs):
        if sender in DOMAIN_MODELS:
            self._seen(f"{sender.__name__}.save()")

    def on_delete(self, sender, instance, **kwargs):
        if sender in DOMAIN_MODELS:
            self._seen(f"{sender.__name__}.delete()")


@pytest.fixture
def guard():
    watcher = WriteGuard()
    post_save.connect(watcher.on_save, weak=False, dispatch_uid="write-guard-save")
    post_delete.connect(watcher.on_delete, weak=False, dispatch_uid="write-guard-delete")
    try:
        with connection.execute_wrapper(watcher):
            yield watcher
    finally:
        post_save.disconnect(dispatch_uid="write-guard-save")
        post_delete.disconnect(dispatch_uid="write-guard-delete")


def assert_all_through_services(guard):
    assert guard.bypasses == [], "written outside claims.services"
    assert guard.writes > 0, "this path wrote nothing: the check would prove nothing"


# The guard itself ---------------------------------------------------------------------------


def test_every_public_write_in_services_is_marked():
    writers = [
        name
        for name in dir(services)
        if callable(getattr(services, name))
        and getattr(getattr(services, name), "__module__", "") == services.__name__
        and not name.startswith("_")
        and name not in {"service", "in_service", "validate_status_change", "CitationSpec"}
        and name not in {"NewClaim", "BulkClaimInvalid", "CitationEdit"}
        and name not in {"claim_delete_consequences", "latest_readable_capture"}
        and name not in {"validate_confidence", "validate_citation_grades", "citation_defaults"}
    ]
    assert writers, "no services found"
    assert [n for n in writers if not getattr(getattr(services, n), "is_service", False)] == []


@pytest.mark.parametrize(
    "bypass",
    [
        lambda claim: Claim.objects.filter(pk=claim.pk).update(headline="Changed quietly"),
        lambda claim: claim.actor.save(),
        lambda claim: Source.objects.bulk_create([Source(title="Bulk")]),
        lambda claim: claim.citations.all().delete(),
        lambda claim: StatusChange.objects.filter(claim=claim).delete(),
    ],
    ids=["queryset-update", "model-save", "bulk-create", "queryset-delete", "timeline-delete"],
)
def test_the_guard_flags_a_write_outside_the_services(guard, bypass):
    claim = ClaimFactory()
    CitationFactory(claim=claim)
    assert guard.bypasses == []
    bypass(claim)
    assert guard.bypasses, "a write past the services went unnoticed"


def test_the_guard_accepts_a_service_call(guard):
    claim = ClaimFactory()
    services.claim_set_status(
        confidence="moderate", claim=claim, status="denied", rationale="Refuted.", by=None
    )
    assert_all_through_services(guard)


# Site forms ---------------------------------------------------------------------------------


def test_site_forms(guard, admin_client):
    actor = ActorFactory()
    source = SourceFactory()
    client = admin_client
    response = client.post(
        reverse("claims:actor-create"),
        {"name": "New actor", "slug": "new-actor", "kind": "agency", "country": "KR"},
    )
    assert response.status_code == 302
    new_actor = Actor.objects.get(slug="new-actor")
    response = client.post(
        reverse("claims:actor-update", args=[new_actor.slug]),
        {
            "name": "Renamed actor",
            "slug": "new-actor",
            "kind": "agency",
            "country": "KR",
            "version": new_actor.version,
        },
    )
    assert response.status_code == 302
    assert Actor.objects.get(slug="new-actor").name == "Renamed actor"
    response = client.post(reverse("claims:source-create"), {"title": "Report", "kind": "other"})
    assert response.status_code == 302
    response = client.post(
        reverse("claims:source-update", args=[source.pk]),
        {"title": "Retitled", "kind": "other", "version": source.version},
    )
    assert response.status_code == 302
    formset = {
        "citations-TOTAL_FORMS": "2",
        "citations-INITIAL_FORMS": "0",
        "citations-0-source": str(source.pk),
        "citations-0-role": "appearance",
        "citations-1-new_source_title": "Typed inline",
        "citations-1-new_source_url": "https://example.org/inline",
        "citations-1-role": "evidence",
    }
    claim_fields = {
        "actor": actor.slug,
        "headline": "Site claim",
        "text": "Said on the site.",
        "stated_on": "2024-10-20",
    }
    response = client.post(reverse("claims:claim-create"), {**claim_fields, **formset})
    assert response.status_code == 302
    claim = Claim.objects.get(headline="Site claim")
    assert claim.citations.count() == 2
    assert Source.objects.filter(title="Typed inline").exists()
    response = client.post(
        reverse("claims:claim-update", args=[claim.pk]),
        {
            **claim_fields,
            "headline": "Site claim, edited",
            "version": claim.version,
            "remove_citations": [claim.citations.get(role="appearance").pk],
            "citations-TOTAL_FORMS": "1",
            "citations-INITIAL_FORMS": "0",
            "citations-0-new_source_title": "Added on edit",
            "citations-0-role": "evidence",
        },
    )
    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.headline == "Site claim, edited"
    assert sorted(claim.citations.values_list("source__title", flat=True)) == [
        "Added on edit",
        "Typed inline",
    ]
    response = client.post(
        reverse("claims:claim-status", args=[claim.pk]),
        {"status": "confirmed", "rationale": "Seen.", "confidence": "high"},
    )
    assert response.status_code == 302
    assert Claim.objects.get(pk=claim.pk).status == "confirmed"
    response = client.post(reverse("claims:claim-delete", args=[claim.pk]))
    assert response.status_code == 302
    assert not Claim.objects.filter(pk=claim.pk).exists()
    response = client.post(reverse("claims:source-delete", args=[source.pk]))
    assert response.status_code == 302
    response = client.post(reverse("claims:actor-delete", args=[new_actor.slug]))
    assert response.status_code == 302
    assert not Actor.objects.filter(pk=new_actor.pk).exists()
    assert_all_through_services(guard)


# Admin --------------------------------------------------------------------------------------


def _admin_claim_data(actor, **extra):
    return {
        "actor": actor.pk,
        "headline": "Admin claim",
        "text": "Said in the admin.",
        "stated_on": "2024-10-20",
        "citations-TOTAL_FORMS": "0",
        "citations-INITIAL_FORMS": "0",
        "status_changes-TOTAL_FORMS": "0",
        "status_changes-INITIAL_FORMS": "0",
        **extra,
    }


def _inline(claim, rows, *, initial):
    """The admin claim form's inline data: citation rows as dicts, the timeline unchanged."""
    data = {"citations-TOTAL_FORMS": str(len(rows)), "citations-INITIAL_FORMS": str(initial)}
    for n, row in enumerate(rows):
        data.update({f"citations-{n}-{key}": value for key, value in row.items()})
        data[f"citations-{n}-claim"] = claim.pk if claim else ""
    if claim is not None:
        data.update(
            {
                "status_changes-TOTAL_FORMS": "1",
                "status_changes-INITIAL_FORMS": "1",
                "status_changes-0-id": claim.status_changes.get().pk,
                "status_changes-0-claim": claim.pk,
            }
        )
    return data


def admin_delete(client, obj):
    """Confirm the admin's delete page for `obj`; the row must be gone."""
    name = obj._meta.model_name
    response = client.post(reverse(f"admin:claims_{name}_delete", args=[obj.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not type(obj).objects.filter(pk=obj.pk).exists()


def test_admin_add_change_inline_and_delete(guard, admin_client):
    actor, source, other = ActorFactory(), SourceFactory(), SourceFactory()
    first = {"source": source.pk, "role": "appearance", "quote": "words"}
    response = admin_client.post(
        reverse("admin:claims_claim_add"),
        _admin_claim_data(actor, **_inline(None, [first], initial=0)),
    )
    assert response.status_code == 302
    claim = Claim.objects.get(headline="Admin claim")
    assert claim.status_changes.count() == 1
    citation = claim.citations.get()
    assert citation.source == source
    edited = {**first, "id": citation.pk, "quote": "other words"}
    added = {"source": other.pk, "role": "evidence"}

    def change(rows, initial):
        claim.refresh_from_db()
        data = _admin_claim_data(actor, headline="Admin claim, edited", version=claim.version)
        data.update(_inline(claim, rows, initial=initial))
        url = reverse("admin:claims_claim_change", args=[claim.pk])
        response = admin_client.post(url, data)
        assert response.status_code == 302, response.context and response.context["errors"]

    change([edited, added], initial=1)
    claim.refresh_from_db()
    assert claim.headline == "Admin claim, edited"
    assert sorted(claim.citations.values_list("role", "quote")) == [
        ("appearance", "other words"),
        ("evidence", ""),
    ]
    # The inline's delete box.
    kept = claim.citations.get(role="evidence")
    change([{**edited, "DELETE": "on"}, {**added, "id": kept.pk}], initial=2)
    assert list(claim.citations.values_list("pk", flat=True)) == [kept.pk]
    admin_delete(admin_client, claim)
    assert not StatusChange.objects.filter(claim_id=claim.pk).exists()
    admin_delete(admin_client, actor)
    assert_all_through_services(guard)


def test_admin_citation_pages(guard, admin_client):
    claim, source = ClaimFactory(), SourceFactory()
    response = admin_client.post(
        reverse("admin:claims_citation_add"),
        {"claim": claim.pk, "source": source.pk, "role": "evidence", "quote": "", "note": ""},
    )
    assert response.status_code == 302
    citation = Citation.objects.get(claim=claim, source=source)
    response = admin_client.post(
        reverse("admin:claims_citation_change", args=[citation.pk]),
        {"claim": claim.pk, "source": source.pk, "role": "evidence", "quote": "q", "note": "n"},
    )
    assert response.status_code == 302
    assert Citation.objects.get(pk=citation.pk).note == "n"
    admin_delete(admin_client, citation)
    assert_all_through_services(guard)


def test_admin_bulk_actions(guard, admin_client):
    claims = [ClaimFactory(), ClaimFactory()]
    sources = [SourceFactory(), SourceFactory()]
    changelist = reverse("admin:claims_claim_changelist")
    response = admin_client.post(
        changelist,
        {
            "action": "mark_denied",
            "_selected_action": [c.pk for c in claims],
            "apply": "1",
            "rationale": "Refuted.",
            "confidence": "high",
        },
    )
    assert response.status_code == 302
    assert set(Claim.objects.values_list("status", flat=True)) == {"denied"}
    response = admin_client.post(
        changelist,
        {"action": "delete_selected", "_selected_action": [c.pk for c in claims], "post": "yes"},
    )
    assert response.status_code == 302
    assert not Claim.objects.exists() and not StatusChange.objects.exists()
    response = admin_client.post(
        reverse("admin:claims_source_changelist"),
        {"action": "delete_selected", "_selected_action": [s.pk for s in sources], "post": "yes"},
    )
    assert response.status_code == 302
    assert not Source.objects.filter(pk__in=[s.pk for s in sources]).exists()
    assert_all_through_services(guard)


def test_admin_history_revert(guard, admin_client, admin):
    claim = ClaimFactory(headline="Original")
    first = claim.history.earliest()
    claim.headline = "Changed"
    services.save_versioned(claim, by=admin, version=claim.version)
    url = reverse("admin:claims_claim_simple_history", args=[claim.pk, first.history_id])
    form = admin_client.get(url).context["adminform"].form
    data = _admin_claim_data(
        claim.actor,
        headline="Original",
        version=form.fields["version"].initial,
    )
    response = admin_client.post(url, data)
    assert response.status_code == 302
    assert Claim.objects.get(pk=claim.pk).headline == "Original"
    assert_all_through_services(guard)


# API ----------------------------------------------------------------------------------------


def test_api_writes(guard, admin):
    api = APIClient()
    api.force_authenticate(admin)
    actor, source = ActorFactory(), SourceFactory()
    response = api.post(
        "/api/actors/", {"name": "API actor", "slug": "api-actor", "kind": "agency"}, format="json"
    )
    assert response.status_code == 201, response.json()
    new_actor = Actor.objects.get(slug="api-actor")
    response = api.patch(
        f"/api/actors/{new_actor.slug}/",
        {"name": "API actor, renamed", "version": new_actor.version},
        format="json",
    )
    assert response.status_code == 200, response.json()
    response = api.post(
        "/api/claims/",
        {
            "actor_slug": actor.slug,
            "headline": "API claim",
            "text": "Said to the API.",
            "stated_on": "2024-10-20",
            "new_citations": [{"source": source.pk, "role": "appearance"}],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    claim = Claim.objects.get(headline="API claim")
    assert claim.citations.count() == 1 and claim.status_changes.count() == 1
    response = api.patch(
        f"/api/claims/{claim.pk}/", {"headline": "API claim, edited", "version": 1}, format="json"
    )
    assert response.status_code == 200, response.json()
    response = api.post(
        f"/api/claims/{claim.pk}/status/",
        {"status": "confirmed", "rationale": "Seen.", "confidence": "high"},
        format="json",
    )
    assert response.status_code in (200, 201), response.json()
    assert Claim.objects.get(pk=claim.pk).status == "confirmed"
    # A write with an Idempotency-Key stores its answer for a retry to replay.
    response = api.post(
        f"/api/claims/{claim.pk}/status/",
        {"status": "denied", "rationale": "Refuted.", "confidence": "high"},
        format="json",
        headers={"Idempotency-Key": "write-paths-1"},
    )
    assert response.status_code in (200, 201), response.json()
    assert IdempotencyKey.objects.filter(key="write-paths-1").exists()
    response = api.delete(f"/api/claims/{claim.pk}/")
    assert response.status_code == 204
    response = api.delete(f"/api/actors/{new_actor.slug}/")
    assert response.status_code == 204
    assert not Claim.objects.filter(pk=claim.pk).exists()
    assert not Actor.objects.filter(pk=new_actor.pk).exists()
    assert_all_through_services(guard)


# Import and management commands -------------------------------------------------------------


def _csv():
    """Two rows; the first, graded evidence and a confidence, takes a stance on the
    proposition "troops" (stances column)."""
    header = ",".join(COLUMNS)
    row = (
        ",Troops seen,Troops near Kursk.,nis,NIS,2024-11-04,confirmed,Satellite images.,high,"
        "refutes:2::https://e.org/b,,"
    )
    other = ",Drills seen,Drills near Kursk.,nis,NIS,2024-11-05,unverified,,,,https://e.org/a,"
    return f"{header}\n{row}asserts:troops\n{other}\n".encode()


def _troops():
    return services.create_proposition(by=None, statement="Troops are in Kursk", slug="troops")


def test_import_command(guard, tmp_path):
    troops = _troops()
    path = tmp_path / "claims.csv"
    path.write_bytes(_csv())
    call_command("import_claims", str(path), verbosity=0)
    assert set(Claim.objects.values_list("headline", flat=True)) == {"Troops seen", "Drills seen"}
    assert Actor.objects.filter(slug="nis").exists()
    assert list(troops.stances.values_list("claim__headline", "stance")) == [
        ("Troops seen", "asserts")
    ]
    assert_all_through_services(guard)


def test_import_page(guard, admin_client):
    troops = _troops()
    upload = SimpleUploadedFile("claims.csv", _csv(), content_type="text/csv")
    response = admin_client.post(reverse("claims:claim-import"), {"file": upload})
    assert response.status_code == 200
    assert Claim.objects.filter(headline="Drills seen").exists()
    assert Source.objects.filter(url="https://e.org/a").exists()
    assert troops.stances.filter(claim__headline="Troops seen", stance="asserts").exists()
    assert_all_through_services(guard)


def test_load_demo(guard):
    call_command("load_demo")
    assert Claim.objects.exists() and StatusChange.objects.exists()
    assert_all_through_services(guard)


def test_generate_claims(guard):
    # On PostgreSQL the rows go in by COPY, which the statement guard can't see; the
    # INSERTs of other databases are checked statement by statement.
    call_command("generate_claims", claims=20, actors=3, seed=3, verbosity=0)
    assert Claim.objects.count() == 20
    if connection.vendor != "postgresql":
        assert_all_through_services(guard)
    assert guard.bypasses == []


def test_create_demo_users_writes_no_domain_rows(guard):
    call_command("create_demo_users", verbosity=0)
    assert guard.bypasses == [] and guard.writes == 0


def test_every_claim_made_by_the_factory_has_its_timeline():
    claim = ClaimFactory(status=Claim.Status.DENIED, status_rationale="Refuted.")
    assert list(claim.status_changes.values_list("old_status", "new_status")) == [("", "denied")]
    assert datetime.date.today() >= claim.stated_on  # noqa: DTZ011


# Propositions and stances -------------------------------------------------------------------


def test_proposition_pages_and_stances(guard, admin_client):
    claim = ClaimFactory()
    client = admin_client
    response = client.post(
        reverse("claims:proposition-create"),
        {"statement": "Troops are in Kursk", "slug": "", "description": ""},
    )
    assert response.status_code == 302
    proposition = Proposition.objects.get(statement="Troops are in Kursk")
    response = client.post(
        reverse("claims:proposition-update", args=[proposition.slug]),
        {
            "statement": "Troops are in Kursk",
            "slug": proposition.slug,
            "description": "Edited.",
            "version": proposition.version,
        },
    )
    assert response.status_code == 302
    assert Proposition.objects.get(pk=proposition.pk).description == "Edited."
    response = client.post(
        reverse("claims:proposition-status", args=[proposition.slug]),
        {"status": "confirmed", "rationale": "Seen.", "confidence": "high"},
    )
    assert response.status_code == 302
    assert Proposition.objects.get(pk=proposition.pk).status == "confirmed"
    response = client.post(
        reverse("claims:claim-stance-add", args=[claim.pk]),
        {"proposition": proposition.slug, "stance": "asserts"},
    )
    assert response.status_code == 302
    response = client.post(
        reverse("claims:claim-stance-add", args=[claim.pk]),
        {"new_statement": "Troops fight in Kursk", "stance": "doubts"},
    )
    assert response.status_code == 302
    assert claim.stances.count() == 2
    claim.refresh_from_db()
    response = client.post(
        reverse("claims:proposition-apply", args=[proposition.slug]),
        {
            "claims": [f"{claim.pk}:{claim.version}:{claim.status}"],
            "rationale": "Follows.",
            "confidence": "moderate",
        },
    )
    assert response.status_code == 302
    assert Claim.objects.get(pk=claim.pk).status == "confirmed"
    doubt = claim.stances.get(stance="doubts")
    response = client.post(reverse("claims:claim-stance-remove", args=[claim.pk, doubt.pk]))
    assert response.status_code == 302
    assert not Stance.objects.filter(pk=doubt.pk).exists()
    response = client.post(reverse("claims:proposition-delete", args=[proposition.slug]))
    assert response.status_code == 302
    assert not Proposition.objects.filter(pk=proposition.pk).exists()
    assert_all_through_services(guard)


def test_admin_propositions(guard, admin_client):
    claim, other = ClaimFactory(), ClaimFactory()
    data = {
        "statement": "Troops are in Kursk",
        "slug": "",
        "description": "",
        "version": "",
        "stances-TOTAL_FORMS": "1",
        "stances-INITIAL_FORMS": "0",
        "stances-0-claim": str(claim.pk),
        "stances-0-stance": "asserts",
        "stances-0-note": "",
        "status_changes-TOTAL_FORMS": "0",
        "status_changes-INITIAL_FORMS": "0",
    }
    response = admin_client.post(reverse("admin:claims_proposition_add"), data)
    assert response.status_code == 302
    proposition = Proposition.objects.get(statement="Troops are in Kursk")
    stance = proposition.stances.get()
    # The change page: the stance row deleted, another claim's stance added.
    response = admin_client.post(
        reverse("admin:claims_proposition_change", args=[proposition.pk]),
        {
            **data,
            "slug": proposition.slug,
            "description": "Edited.",
            "version": proposition.version,
            "stances-TOTAL_FORMS": "2",
            "stances-INITIAL_FORMS": "1",
            "stances-0-id": stance.pk,
            "stances-0-proposition": proposition.pk,
            "stances-0-DELETE": "on",
            "stances-1-claim": str(other.pk),
            "stances-1-stance": "denies",
            "stances-1-note": "",
            "stances-1-proposition": proposition.pk,
            "status_changes-TOTAL_FORMS": "1",
            "status_changes-INITIAL_FORMS": "1",
            "status_changes-0-id": proposition.status_changes.get().pk,
            "status_changes-0-proposition": proposition.pk,
        },
    )
    assert response.status_code == 302, response.context and response.context["errors"]
    assert list(proposition.stances.values_list("claim", "stance")) == [(other.pk, "denies")]
    assert Proposition.objects.get(pk=proposition.pk).description == "Edited."
    response = admin_client.post(
        reverse("admin:claims_proposition_changelist"),
        {
            "action": "mark_denied",
            "_selected_action": [proposition.pk],
            "apply": "1",
            "rationale": "Refuted.",
            "confidence": "high",
        },
    )
    assert response.status_code == 302
    assert Proposition.objects.get(pk=proposition.pk).status == "denied"
    admin_delete(admin_client, proposition)
    assert not Stance.objects.exists()
    assert_all_through_services(guard)


def test_api_propositions_and_stances(guard, admin):
    api = APIClient()
    api.force_authenticate(admin)
    claim = ClaimFactory()
    response = api.post("/api/propositions/", {"statement": "Troops are in Kursk"}, format="json")
    assert response.status_code == 201, response.json()
    slug = response.json()["slug"]
    response = api.patch(
        f"/api/propositions/{slug}/", {"description": "Edited.", "version": 2}, format="json"
    )
    assert response.status_code == 200, response.json()
    response = api.post(
        f"/api/propositions/{slug}/status/",
        {"status": "confirmed", "rationale": "Seen.", "confidence": "high"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    response = api.post(
        "/api/stances/",
        {"claim": claim.pk, "proposition": slug, "stance": "asserts"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    stance = Stance.objects.get(claim=claim)
    response = api.patch(f"/api/stances/{stance.pk}/", {"stance": "doubts"}, format="json")
    assert response.status_code == 200, response.json()
    assert Stance.objects.get(pk=stance.pk).stance == "doubts"
    response = api.delete(f"/api/stances/{stance.pk}/")
    assert response.status_code == 204
    response = api.delete(f"/api/propositions/{slug}/")
    assert response.status_code == 204
    assert not Proposition.objects.exists() and not Stance.objects.exists()
    assert_all_through_services(guard)


# Page captures ------------------------------------------------------------------------------


def test_capture_request_and_run(guard, admin_client, settings, tmp_path):
    from tests.captures.pageserver import PageServer

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    settings.MEDIA_ROOT = str(tmp_path)
    with PageServer() as server:
        settings.CAPTURE_ALLOW_PRIVATE_ADDRESSES = True
        settings.CAPTURE_ALLOWED_PORTS = [80, 443, server.port]
        settings.CAPTURE_TIMEOUT_SECONDS = 1
        # A new source with a URL queues its capture; a citation's quote is checked later.
        source = services.create_record(Source(title="Page", url=server.url("/page/old")), by=None)
        CitationFactory(source=source, quote="words")
        first = source.captures.get()
        assert services.run_capture(capture_id=first.pk) == Capture.State.DONE
        response = admin_client.post(reverse("claims:source-capture", args=[source.pk]))
        assert response.status_code == 302
        again = source.captures.exclude(pk=first.pk).get()
        assert again.state == Capture.State.QUEUED
        assert services.run_capture(capture_id=again.pk) == Capture.State.DONE
        call_command("recapture", "--older-than", "0d", verbosity=0)
    assert Capture.objects.filter(state=Capture.State.DONE).count() == 2
    assert_all_through_services(guard)


def test_actor_suggestions_write_nothing(guard, reader_client):
    ActorFactory(name="The Kremlin", aliases="Kremlin")
    response = reader_client.get(reverse("claims:actor-suggest"), {"q": "krem"})
    assert response.status_code == 200
    assert [a["name"] for a in response.json()["results"]] == ["The Kremlin"]
    assert guard.bypasses == []


# One-step claim, citation edits, duplicates -------------------------------------------------


def test_one_step_claim_citation_edits_and_save_anyway(guard, admin_client, admin):
    actor = ActorFactory(name="The Kremlin")
    data = {
        "actor": "The Kremlin",
        "headline": "Troops are fake news",
        "text": "Said on the site.",
        "stated_on": "2024-10-20",
        "citations-TOTAL_FORMS": "1",
        "citations-INITIAL_FORMS": "0",
        "citations-0-new_source_title": "KCNA report",
        "citations-0-new_source_url": "https://example.org/kcna",
        "citations-0-new_source_kind": "news_report",
        "citations-0-new_source_publisher": "KCNA",
        "citations-0-new_source_published_on": "2024-10-19",
        "citations-0-role": "appearance",
        "verdict-status": "denied",
        "verdict-rationale": "Seen.",
        "verdict-confidence": "high",
    }
    response = admin_client.post(reverse("claims:claim-create"), data)
    assert response.status_code == 302
    claim = Claim.objects.get(headline="Troops are fake news")
    assert claim.status == "denied" and Source.objects.get().publisher == "KCNA"
    # A near-copy, saved anyway (new source row left out: its URL is recorded already).
    copy = {**data, "citations-TOTAL_FORMS": "0", "save_anyway": "1"}
    response = admin_client.post(reverse("claims:claim-create"), copy)
    assert response.status_code == 302
    assert Claim.objects.filter(actor=actor).count() == 2
    citation = claim.citations.get()
    claim.refresh_from_db()
    response = admin_client.post(
        reverse("claims:claim-update", args=[claim.pk]),
        {
            **data,
            "version": claim.version,
            "citations-TOTAL_FORMS": "0",
            "cited-TOTAL_FORMS": "1",
            "cited-INITIAL_FORMS": "1",
            "cited-0-citation": str(citation.pk),
            "cited-0-role": "evidence",
            "cited-0-quote": "fake news",
        },
    )
    assert response.status_code == 302
    citation.refresh_from_db()
    assert (citation.role, citation.quote) == ("evidence", "fake news")
    api = APIClient()
    api.force_authenticate(admin)
    body = {
        "actor_slug": "The Kremlin",
        "headline": "Troops are fake news",
        "text": "Said on the site.",
        "stated_on": "2024-10-20",
        "save_anyway": True,
        "new_citations": [{"new_source": {"title": "TASS", "url": "https://example.org/tass"}}],
    }
    response = api.post("/api/claims/", body, format="json")
    assert response.status_code == 201, response.json()
    assert Source.objects.filter(url="https://example.org/tass").exists()
    assert_all_through_services(guard)


def test_import_citing_a_source_under_another_spelling(guard):
    SourceFactory(url="https://example.org/page")
    header = ",".join(COLUMNS)
    row = ",New claim,Said.,nis,NIS,2024-11-04,unverified,,,,https://EXAMPLE.org/page/?utm_a=1,"
    from claims.imports import import_claims

    report = import_claims(f"{header}\n{row}\n".encode())
    assert report.ok, report.errors
    assert Source.objects.count() == 1 and Claim.objects.get().citations.count() == 1
    assert_all_through_services(guard)
