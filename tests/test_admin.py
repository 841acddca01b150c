import pytest
from django.contrib import admin
from django.core.management import call_command
from django.urls import reverse

from claims.models import Actor, Claim, StatusChange

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    call_command("load_demo")


MODELS = [m for m in admin.site._registry if m._meta.app_label in ("claims", "auth")]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m._meta.model_name)
def test_admin_changelist_add_and_change_pages_answer_200(admin_client, demo, model):
    opts = model._meta
    base = f"admin:{opts.app_label}_{opts.model_name}"
    assert admin_client.get(reverse(f"{base}_changelist")).status_code == 200
    if model is not StatusChange:  # the timeline is written by the service only
        assert admin_client.get(reverse(f"{base}_add")).status_code == 200
    obj = model.objects.first()
    assert admin_client.get(reverse(f"{base}_change", args=[obj.pk])).status_code == 200


def test_admin_search_and_filters_answer_200(admin_client, demo):
    url = reverse("admin:claims_claim_changelist")
    response = admin_client.get(url, {"q": "Kursk", "status__exact": "confirmed"})
    assert response.status_code == 200


def test_bulk_action_asks_for_a_rationale_before_marking(admin_client, admin, demo):
    claims = list(Claim.objects.filter(status="unverified").values_list("pk", flat=True))
    before = StatusChange.objects.count()
    response = admin_client.post(
        reverse("admin:claims_claim_changelist"),
        {"action": "mark_denied", "_selected_action": claims},
    )
    assert response.status_code == 200
    assert b"rationale" in response.content.lower()
    assert StatusChange.objects.count() == before


def test_bulk_action_without_rationale_changes_nothing(admin_client, demo):
    claims = list(Claim.objects.filter(status="unverified").values_list("pk", flat=True))
    before = StatusChange.objects.count()
    admin_client.post(
        reverse("admin:claims_claim_changelist"),
        {"action": "mark_denied", "_selected_action": claims, "apply": "1", "rationale": ""},
    )
    assert StatusChange.objects.count() == before
    assert not Claim.objects.filter(pk__in=claims, status="denied").exists()


def test_bulk_action_writes_one_status_change_per_claim_with_user(admin_client, admin, demo):
    claims = list(Claim.objects.filter(status="unverified").values_list("pk", flat=True))
    response = admin_client.post(
        reverse("admin:claims_claim_changelist"),
        {
            "action": "mark_denied",
            "_selected_action": claims,
            "apply": "1",
            "rationale": "Refuted by later reporting",
            "confidence": "moderate",
        },
    )
    assert response.status_code == 302
    written = StatusChange.objects.filter(claim__in=claims, new_status="denied")
    assert written.count() == len(claims)
    assert set(written.values_list("changed_by", "rationale")) == {
        (admin.pk, "Refuted by later reporting")
    }


def test_admin_add_claim_writes_the_initial_status_change(admin_client, admin, demo):
    actor = Actor.objects.get(slug="nato")
    response = admin_client.post(
        reverse("admin:claims_claim_add"),
        {
            "actor": actor.pk,
            "headline": "A new claim",
            "text": "Said today.",
            "stated_on": "2024-10-20",
            "citations-TOTAL_FORMS": "0",
            "citations-INITIAL_FORMS": "0",
            "status_changes-TOTAL_FORMS": "0",
            "status_changes-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.context["errors"] if response.context else ""
    claim = Claim.objects.get(headline="A new claim")
    assert list(claim.status_changes.values_list("new_status", "changed_by")) == [
        ("unverified", admin.pk)
    ]


def test_the_changelists_action_checkbox_is_djangos_markup(story):
    """The checkbox is written by hand for speed; it must stay what Django's widget renders
    (the admin's JavaScript selects rows by its name and class)."""
    from django.contrib import admin as django_admin
    from django.contrib.admin.options import ModelAdmin

    from claims.models import Claim

    claim = Claim.objects.select_related("actor").first()
    model_admin = django_admin.site._registry[Claim]
    assert str(model_admin.action_checkbox(claim)) == str(
        ModelAdmin.action_checkbox(model_admin, claim)
    )
