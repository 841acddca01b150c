import pytest
from django.urls import reverse

from claims import services
from claims.models import Actor, Claim
from tests.factories import ActorFactory, ClaimFactory
from tests.views.conftest import actor_form_data

pytestmark = pytest.mark.django_db
LIST = reverse("claims:actor-list")
CREATE = reverse("claims:actor-create")


def edit_url(actor):
    return reverse("claims:actor-update", kwargs={"slug": actor.slug})


def delete_url(actor):
    return reverse("claims:actor-delete", kwargs={"slug": actor.slug})


def test_actor_list_shows_actors_with_their_claim_counts(reader_client, claim, actor):
    response = reader_client.get(LIST)
    assert response.status_code == 200
    assert [(a, a.claim_count) for a in response.context["actor_list"]] == [(actor, 1)]


def test_actor_list_finds_by_part_of_name_or_slug(reader_client):
    kremlin = ActorFactory(name="The Kremlin", slug="kremlin")
    ActorFactory(name="NATO", slug="nato")
    response = reader_client.get(LIST + "?q=kreml")
    assert list(response.context["actor_list"]) == [kremlin]


def test_actor_list_with_no_match_says_what_to_do(reader_client):
    response = reader_client.get(LIST + "?q=nobody")
    assert response.status_code == 200
    assert "No actor matches “nobody”".encode() in response.content


def test_actor_page_shows_description_parent_aliases(reader_client, actor):
    peskov = ActorFactory(
        slug="peskov",
        name="Dmitry Peskov",
        parent=actor,
        aliases="Дмитрий Песков\nPeskov",
        description="Kremlin press secretary.",
    )
    response = reader_client.get(peskov.get_absolute_url())
    content = response.content.decode()
    assert response.status_code == 200
    assert "Kremlin press secretary." in content
    assert actor.get_absolute_url() in content
    assert "<li>Дмитрий Песков</li>" in content


def test_actor_page_track_record_counts_each_status(reader_client, actor):
    for status in ["denied", "denied", "confirmed"]:
        services.claim_set_status(
            confidence="moderate",
            claim=ClaimFactory(actor=actor),
            status=status,
            rationale="x",
            by=None,
        )
    ClaimFactory(actor=actor)
    ClaimFactory()  # someone else's
    response = reader_client.get(actor.get_absolute_url())
    counts = {entry["value"]: entry["count"] for entry in response.context["track_record"]}
    assert counts == {"confirmed": 1, "denied": 2, "unverified": 1}


def test_actor_page_lists_only_its_claims_and_filters_them(reader_client, actor):
    theirs = ClaimFactory(actor=actor)
    denied = ClaimFactory(actor=actor)
    services.claim_set_status(
        confidence="moderate", claim=denied, status="denied", rationale="x", by=None
    )
    ClaimFactory()
    assert reader_client.get(actor.get_absolute_url()).context["browser"].claims == [denied, theirs]
    response = reader_client.get(actor.get_absolute_url() + "?status=denied")
    assert response.context["browser"].claims == [denied]


def test_actor_page_ignores_an_actor_parameter(reader_client, actor):
    mine = ClaimFactory(actor=actor)
    other = ClaimFactory()
    response = reader_client.get(f"{actor.get_absolute_url()}?actor={other.actor.slug}")
    assert response.context["browser"].claims == [mine]


def test_actor_page_with_a_bad_filter_is_400_with_a_message(reader_client, actor):
    response = reader_client.get(actor.get_absolute_url() + "?stated_to=soon")
    assert response.status_code == 400
    assert b"<strong>Stated to</strong>:" in response.content


def test_unknown_actor_is_404(reader_client):
    assert reader_client.get(reverse("claims:actor-detail", args=["nobody"])).status_code == 404


def test_analyst_creates_an_actor_with_a_parent(analyst_client, analyst, actor):
    data = actor_form_data(parent="kremlin", country="kp")
    response = analyst_client.post(CREATE, data)
    created = Actor.objects.get(slug="kcna")
    assert response.status_code == 302 and response["Location"] == created.get_absolute_url()
    assert (created.parent, created.country) == (actor, "KP")
    assert created.history.get().history_user == analyst


def test_unknown_parent_is_refused(analyst_client):
    response = analyst_client.post(CREATE, actor_form_data(parent="nobody"))
    assert response.status_code == 400
    assert not Actor.objects.filter(slug="kcna").exists()


def test_slug_new_is_refused_because_it_is_a_page(analyst_client):
    response = analyst_client.post(CREATE, actor_form_data(slug="new"))
    assert response.status_code == 400
    assert not Actor.objects.filter(slug="new").exists()


def test_duplicate_slug_is_a_field_error(analyst_client, actor):
    response = analyst_client.post(CREATE, actor_form_data(slug="kremlin", name="Other"))
    assert response.status_code == 400
    assert Actor.objects.count() == 1


@pytest.mark.parametrize("field", [("country", "Russia"), ("wikidata_id", "42"), ("kind", "x")])
def test_bad_field_value_is_refused(analyst_client, field):
    response = analyst_client.post(CREATE, actor_form_data(**dict([field])))
    assert response.status_code == 400
    assert not Actor.objects.exists()


def test_actor_cannot_become_its_own_ancestor(analyst_client, actor):
    child = ActorFactory(slug="peskov", parent=actor)
    response = analyst_client.post(edit_url(actor), actor_form_data(actor, parent="peskov"))
    assert response.status_code == 400
    assert Actor.objects.get(pk=actor.pk).parent is None and child.parent == actor


def test_edit_form_shows_the_parent_name(analyst_client, actor):
    child = ActorFactory(slug="peskov", parent=actor)
    response = analyst_client.get(edit_url(child))
    assert f'name="parent" value="{actor.name}"'.encode() in response.content


def test_analyst_edits_an_actor(analyst_client, actor):
    response = analyst_client.post(edit_url(actor), actor_form_data(actor, name="Kremlin"))
    assert response.status_code == 302
    assert Actor.objects.get(pk=actor.pk).name == "Kremlin"


def test_stale_actor_edit_is_409_and_names_the_change(analyst_client, admin, actor):
    stale = actor_form_data(actor, description="Mine")
    first = Actor.objects.get(pk=actor.pk)
    first.country = "UA"
    services.save_versioned(first, by=admin, version=actor.version)
    response = analyst_client.post(edit_url(actor), stale)
    assert response.status_code == 409
    assert "Country: “RU” → “UA”" in response.content.decode()
    assert b"Mine</textarea>" in response.content
    assert Actor.objects.get(pk=actor.pk).description == ""


def test_delete_page_for_an_actor_with_claims_says_it_cannot_go(admin_client, claim, actor):
    response = admin_client.get(delete_url(actor))
    assert response.status_code == 200
    assert b"has 1 claim(s)" in response.content
    assert b"Yes, delete it" not in response.content


def test_deleting_an_actor_with_claims_is_refused_not_a_500(admin_client, claim, actor):
    response = admin_client.post(delete_url(actor))
    assert response.status_code == 409
    assert Actor.objects.filter(pk=actor.pk).exists() and Claim.objects.count() == 1


def test_deleting_a_parent_leaves_its_children_without_one(admin_client, actor):
    child = ActorFactory(slug="peskov", parent=actor)
    assert b"1 actor(s) that name it as parent" in admin_client.get(delete_url(actor)).content
    assert admin_client.post(delete_url(actor)).status_code == 302
    child.refresh_from_db()
    assert not Actor.objects.filter(pk=actor.pk).exists() and child.parent is None


def test_stale_actor_edit_shows_the_other_persons_values_in_untouched_fields(
    analyst_client, admin, actor
):
    stale = actor_form_data(actor, description="Mine")
    first = Actor.objects.get(pk=actor.pk)
    first.country, first.name = "UA", "Their name"
    services.save_versioned(first, by=admin, version=actor.version)
    response = analyst_client.post(edit_url(actor), stale)
    form = response.context["form"]
    assert response.status_code == 409
    assert (form["country"].value(), form["name"].value()) == ("UA", "Their name")
    assert form["description"].value() == "Mine"


def test_stale_actor_edit_says_so_once(analyst_client, admin, actor):
    stale = actor_form_data(actor, description="Mine")
    first = Actor.objects.get(pk=actor.pk)
    first.country = "UA"
    services.save_versioned(first, by=admin, version=actor.version)
    response = analyst_client.post(edit_url(actor), stale)
    assert response.status_code == 409
    assert response.content.decode().count("Someone else saved this record") == 1


def test_actor_edit_without_version_says_so_once(analyst_client, actor):
    data = actor_form_data(actor, name="Kremlin")
    del data["version"]
    response = analyst_client.post(edit_url(actor), data)
    assert response.status_code == 400
    assert response.content.decode().count("missing its version") == 1
    assert Actor.objects.get(pk=actor.pk).name == actor.name


def test_aliases_typed_in_a_browser_are_stored_with_plain_newlines(analyst_client, actor):
    data = actor_form_data(actor, aliases="Moscow\r\nThe Kremlin\rRussian presidency")
    assert analyst_client.post(edit_url(actor), data).status_code == 302
    saved = Actor.objects.get(pk=actor.pk)
    assert saved.aliases == "Moscow\nThe Kremlin\nRussian presidency"
    assert saved.history.first().aliases == saved.aliases


def test_uppercase_slug_is_a_field_error_so_nato_and_nato_cannot_coexist(analyst_client):
    ActorFactory(slug="nato", name="NATO")
    response = analyst_client.post(CREATE, actor_form_data(slug="NATO", name="Nato"))
    assert response.status_code == 400
    assert "slug" in response.context["form"].errors
    assert Actor.objects.filter(slug__iexact="nato").count() == 1


def test_over_long_actor_description_is_a_field_error(analyst_client):
    response = analyst_client.post(CREATE, actor_form_data(description="x" * 10_001))
    assert response.status_code == 400
    assert "description" in response.context["form"].errors
    assert not Actor.objects.filter(slug="kcna").exists()
