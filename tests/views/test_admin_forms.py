"""The admin's add and change forms open (they carry the version field for stale saves)."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("model", ["actor", "source", "claim"])
def test_admin_add_form_opens(analyst_client, model):
    assert analyst_client.get(reverse(f"admin:claims_{model}_add")).status_code == 200


@pytest.mark.parametrize("model", ["actor", "source", "claim"])
def test_admin_change_form_carries_the_version(analyst_client, claim, model):
    obj = {"actor": claim.actor, "source": claim.citations.get().source, "claim": claim}[model]
    response = analyst_client.get(reverse(f"admin:claims_{model}_change", args=[obj.pk]))
    assert response.status_code == 200
    assert f'name="version" value="{obj.version}"'.encode() in response.content
