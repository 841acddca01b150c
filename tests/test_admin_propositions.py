"""The proposition admin: stance inline and bulk verdicts through the services."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from claims.models import Claim, Proposition, PropositionStatusChange, Stance

pytestmark = pytest.mark.django_db
MAIN = "north-korean-troops-deployed-to-russia"


@pytest.fixture
def demo():
    call_command("load_demo")


def test_bulk_verdict_asks_for_a_rationale_then_writes_the_timeline(admin_client, admin, demo):
    proposition = Proposition.objects.get(slug="six-north-koreans-killed-in-donetsk-strike")
    url = reverse("admin:claims_proposition_changelist")
    data = {"action": "mark_denied", "_selected_action": [proposition.pk]}
    assert b"rationale" in admin_client.post(url, data).content.lower()
    admin_client.post(
        url, {**data, "apply": "1", "rationale": "Never happened.", "confidence": "high"}
    )
    change = PropositionStatusChange.objects.filter(proposition=proposition).last()
    assert (change.new_status, change.changed_by) == ("denied", admin)
    assert Claim.objects.get(actor__slug="ukrainian-media").status == "unverified"


def test_stance_inline_uses_autocomplete_not_a_list_of_claims(admin_client, demo):
    proposition = Proposition.objects.get(slug=MAIN)
    url = reverse("admin:claims_proposition_change", args=[proposition.pk])
    page = admin_client.get(url).content.decode()
    assert "admin-autocomplete" in page
    # A claim not attached to it is not offered in a dropdown.
    assert "Six North Koreans killed" not in page


def test_delete_confirmation_lists_the_stances_that_go(admin_client, demo):
    proposition = Proposition.objects.get(slug=MAIN)
    url = reverse("admin:claims_proposition_delete", args=[proposition.pk])
    assert b"Stance" in admin_client.get(url).content
    admin_client.post(url, {"post": "yes"})
    assert not Proposition.objects.filter(slug=MAIN).exists()
    assert not Stance.objects.filter(proposition_id=proposition.pk).exists()
    assert Claim.objects.count() == 16


def test_admin_creates_a_proposition_with_a_stance_through_the_services(admin_client, admin, demo):
    claim = Claim.objects.get(actor__slug="ukrainian-media")
    data = {
        "statement": "North Koreans were in Donetsk",
        "slug": "",
        "description": "",
        "version": "",
        "stances-TOTAL_FORMS": "1",
        "stances-INITIAL_FORMS": "0",
        "stances-0-claim": str(claim.pk),
        "stances-0-stance": "asserts",
        "stances-0-note": "Implied.",
        "status_changes-TOTAL_FORMS": "0",
        "status_changes-INITIAL_FORMS": "0",
    }
    response = admin_client.post(reverse("admin:claims_proposition_add"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    proposition = Proposition.objects.get(statement="North Koreans were in Donetsk")
    assert proposition.slug == "north-koreans-were-in-donetsk"
    stance = proposition.stances.get()
    assert (stance.claim, stance.history.get().history_user) == (claim, admin)
    assert proposition.status_changes.count() == 1
