"""Every write path leaves a simple-history row naming the user who acted."""

import datetime

import pytest
from django.core.management import call_command
from django.urls import reverse

from claims import services
from claims.models import Actor, Claim
from tests.factories import ActorFactory

pytestmark = pytest.mark.django_db


def test_service_call_records_the_user(analyst):
    claim = services.create_claim(
        by=analyst, actor=ActorFactory(), headline="h", text="t", stated_on=datetime.date.today()
    )
    services.claim_set_status(
        confidence="moderate", claim=claim, status="confirmed", rationale="seen", by=analyst
    )
    assert {h.history_user for h in claim.history.all()} == {analyst}


def test_admin_edit_records_the_user(admin_client, admin):
    actor = ActorFactory(name="Old name")
    response = admin_client.post(
        reverse("admin:claims_actor_change", args=[actor.pk]),
        {
            "name": "New name",
            "slug": actor.slug,
            "kind": "agency",
            "country": "KR",
            "version": actor.version,
        },
    )
    assert response.status_code == 302
    latest = Actor.history.filter(id=actor.pk).latest()
    assert (latest.name, latest.history_user) == ("New name", admin)


def test_admin_bulk_action_records_the_user(admin_client, admin):
    call_command("load_demo")
    claim = Claim.objects.get(actor__slug="ukrainian-media")
    admin_client.post(
        reverse("admin:claims_claim_changelist"),
        {
            "action": "mark_confirmed",
            "_selected_action": [claim.pk],
            "apply": "1",
            "rationale": "Confirmed by a named outlet",
            "confidence": "moderate",
        },
    )
    latest = claim.history.latest()
    assert (latest.status, latest.history_user) == ("confirmed", admin)


def test_management_command_writes_history_rows():
    call_command("load_demo")
    claim = Claim.objects.get(actor__slug="kremlin")
    # The loader acts as nobody in particular: history rows exist, with no user.
    assert claim.history.count() >= 2
    assert claim.history.latest().status == "denied"


def test_admin_can_revert_to_an_earlier_version(admin_client, admin):
    actor = ActorFactory(name="Original")
    first = actor.history.latest()
    actor.name = "Changed"
    services.save_versioned(actor, by=admin, version=actor.version)
    url = reverse("admin:claims_actor_simple_history", args=[actor.pk, first.history_id])
    form = admin_client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None}
    data["version"] = form.fields["version"].initial
    response = admin_client.post(url, data)
    assert response.status_code == 302
    assert Actor.objects.get(pk=actor.pk).name == "Original"
