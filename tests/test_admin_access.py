"""Who may open and post to every admin page of every registered model, by role.

anonymous, a user with no role and reader (not staff) are sent to the admin login; analyst
has the role's model permissions (view/add/change on the domain, delete only citations, no
users or groups); admin has everything. A model registered later without a row here fails
the first test."""

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from claims.models import Actor, Citation, Claim, Source, StatusChange
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "norole", "reader", "analyst", "admin"]
# model label: what the analyst may do there
ANALYST_RIGHTS = {
    "claims.actor": {"view", "add", "change"},
    "claims.source": {"view", "add", "change"},
    "claims.claim": {"view", "add", "change"},
    "claims.citation": {"view", "add", "change", "delete"},
    "claims.statuschange": {"view"},
    "claims.proposition": {"view", "add", "change"},
    "auth.user": set(),
    "auth.group": set(),
    "authtoken.tokenproxy": set(),
    "axes.accessattempt": set(),
    "axes.accessfailurelog": set(),
    "axes.accesslog": set(),
    # The background-job queue: admins only.
    "django_tasks_database.dbtaskresult": set(),
}
MODELS = sorted(admin.site._registry, key=lambda m: m._meta.label_lower)


def client_for(role):
    client = Client()
    if role != "anonymous":
        client.force_login(UserFactory(username=role, role=None if role == "norole" else role))
    return client


def expected(role, model, action):
    if role in ("anonymous", "norole", "reader"):
        return 302  # to the admin login: not staff
    if role == "admin":
        return 200
    return 200 if action in ANALYST_RIGHTS[model._meta.label_lower] else 403


def snapshot():
    return [m.objects.count() for m in (Actor, Source, Claim, Citation, StatusChange)]


def test_every_registered_model_is_in_the_matrix():
    assert {m._meta.label_lower for m in MODELS} == set(ANALYST_RIGHTS)


@pytest.fixture
def demo():
    call_command("load_demo")


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("model", MODELS, ids=lambda m: m._meta.label_lower)
def test_admin_changelist_by_role(demo, role, model):
    opts = model._meta
    response = client_for(role).get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
    assert response.status_code == expected(role, model, "view")


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    "model", [Actor, Source, Claim, Citation], ids=lambda m: m._meta.model_name
)
def test_admin_delete_by_role_changes_the_database_only_when_allowed(demo, role, model):
    obj = Citation.objects.first() if model is Citation else None
    if obj is None:  # an actor or source nobody cites, or a claim
        obj = {
            Actor: lambda: Actor.objects.create(name="Lone", slug="lone"),
            Source: lambda: Source.objects.create(title="Lone source"),
            Claim: lambda: Claim.objects.first(),
        }[model]()
    url = reverse(f"admin:claims_{model._meta.model_name}_delete", args=[obj.pk])
    before = snapshot()
    response = client_for(role).post(url, {"post": "yes"})
    allowed = role == "admin" or (role == "analyst" and model is Citation)
    if role in ("anonymous", "norole", "reader"):
        assert response.status_code == 302
        assert "/admin/login/" in response["Location"]
    else:
        assert response.status_code == (302 if allowed else 403)
    assert model.objects.filter(pk=obj.pk).exists() != allowed
    assert (snapshot() != before) == allowed


@pytest.mark.parametrize("role", ROLES)
def test_admin_bulk_status_action_by_role(demo, role):
    claim = Claim.objects.get(actor__slug="ukrainian-media")
    before = snapshot()
    client_for(role).post(
        reverse("admin:claims_claim_changelist"),
        {
            "action": "mark_denied",
            "_selected_action": [claim.pk],
            "apply": "1",
            "rationale": "Refuted",
            "confidence": "moderate",
        },
    )
    claim.refresh_from_db()
    allowed = role in ("analyst", "admin")
    assert (claim.status == "denied") == allowed
    assert (snapshot() != before) == allowed


def test_admin_post_without_csrf_token_is_refused(demo, admin):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin)
    claim = Claim.objects.first()
    response = client.post(
        reverse("admin:claims_claim_changelist"),
        {
            "action": "mark_denied",
            "_selected_action": [claim.pk],
            "apply": "1",
            "rationale": "Refuted",
            "confidence": "moderate",
        },
    )
    assert response.status_code == 403
    assert claim.status_changes.filter(new_status="denied", rationale="Refuted").count() == 0
