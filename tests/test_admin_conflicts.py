"""Two people edit the same record in the admin: the second save is refused, input kept."""

import pytest
from django.urls import reverse

from claims.models import Actor
from tests.factories import ActorFactory

pytestmark = pytest.mark.django_db


def actor_form(actor, **changes):
    data = {
        "name": actor.name,
        "slug": actor.slug,
        "kind": actor.kind,
        "country": actor.country,
        "version": actor.version,
    }
    return data | changes


def test_stale_admin_save_is_refused_and_keeps_the_input(admin_client):
    actor = ActorFactory(name="Kremlin")
    url = reverse("admin:claims_actor_change", args=[actor.pk])
    first = admin_client.post(url, actor_form(actor, description="first analyst"))
    second = admin_client.post(url, actor_form(actor, description="second analyst"))
    assert first.status_code == 302
    assert second.status_code == 200
    assert "Someone else saved this record" in second.content.decode()
    assert "second analyst" in second.content.decode()
    assert Actor.objects.get(pk=actor.pk).description == "first analyst"


def test_saving_again_after_a_conflict_overwrites(admin_client):
    actor = ActorFactory(name="Kremlin")
    url = reverse("admin:claims_actor_change", args=[actor.pk])
    admin_client.post(url, actor_form(actor, description="first analyst"))
    refused = admin_client.post(url, actor_form(actor, description="second analyst"))
    retry = refused.context["adminform"].form.data
    response = admin_client.post(url, retry)
    assert response.status_code == 302
    assert Actor.objects.get(pk=actor.pk).description == "second analyst"


def test_stale_admin_save_names_the_change_and_keeps_it_on_saving_again(admin_client):
    actor = ActorFactory(name="Kremlin")
    url = reverse("admin:claims_actor_change", args=[actor.pk])
    admin_client.post(url, actor_form(actor, name="The Kremlin"))
    refused = admin_client.post(url, actor_form(actor, description="second analyst"))
    assert "Name: “Kremlin” → “The Kremlin”" in refused.content.decode()
    admin_client.post(url, refused.context["adminform"].form.data)
    saved = Actor.objects.get(pk=actor.pk)
    assert (saved.name, saved.description) == ("The Kremlin", "second analyst")


def test_admin_stores_aliases_with_plain_newlines(admin_client):
    actor = ActorFactory(name="Kremlin")
    url = reverse("admin:claims_actor_change", args=[actor.pk])
    response = admin_client.post(url, actor_form(actor, aliases="Moscow\r\nThe Kremlin"))
    assert response.status_code == 302
    assert Actor.objects.get(pk=actor.pk).aliases == "Moscow\nThe Kremlin"
