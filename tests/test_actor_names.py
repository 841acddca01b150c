"""Actors (and sources) by the names people know: one resolution rule (Actor.objects.resolve,
Source.objects.resolve) behind the forms, the filters, the API; derived slugs; sub-actors."""

import datetime
import json

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import QueryDict
from django.urls import reverse
from rest_framework.test import APIClient

from claims import services
from claims.exports import COLUMNS
from claims.filters import ClaimFilter
from claims.models import MAX_SUGGESTIONS, Actor, ActorName, Claim, Source, lookup_key
from tests.factories import ActorFactory, ClaimFactory, SourceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def actors():
    kremlin = ActorFactory(name="Kremlin", slug="kremlin", aliases="Кремль\nMoscow Kremlin")
    zelensky = ActorFactory(
        name="Volodymyr Zelenskyy", slug="zelenskyy", short_name="Zelenskyy", aliases="Zelensky"
    )
    sbu = ActorFactory(name="Security Service of Ukraine", slug="sbu", short_name="SBU")
    dgsi = ActorFactory(name="Direction générale de la Sécurité intérieure", short_name="DGSI")
    # Two actors both called "Ministry of Defence" by their short name.
    ru_mod = ActorFactory(name="Ministry of Defence of Russia", short_name="MoD")
    uk_mod = ActorFactory(name="Ministry of Defence (United Kingdom)", short_name="MoD")
    return {
        "kremlin": kremlin,
        "zelensky": zelensky,
        "sbu": sbu,
        "dgsi": dgsi,
        "ru_mod": ru_mod,
        "uk_mod": uk_mod,
    }


RESOLVES = [
    ("kremlin", "kremlin"),  # slug
    ("Kremlin", "kremlin"),  # name
    ("KREMLIN", "kremlin"),  # any case
    ("  kremlin  ", "kremlin"),
    ("Кремль", "kremlin"),  # an alias in another script
    ("кремль", "kremlin"),
    ("moscow   KREMLIN", "kremlin"),  # spaces collapsed
    ("Zelensky", "zelensky"),  # alias
    ("Zelenskyy", "zelensky"),  # short name
    ("zelenskyy", "zelensky"),  # slug
    ("SBU", "sbu"),
    ("security service of ukraine", "sbu"),
    ("Direction générale de la Sécurité intérieure", "dgsi"),
    ("direction generale de la securite interieure", "dgsi"),  # accents ignored
    ("DIRECTION GÉNÉRALE DE LA SÉCURITÉ INTÉRIEURE", "dgsi"),
    ("dgsi", "dgsi"),
]


@pytest.mark.parametrize(("text", "expected"), RESOLVES)
def test_resolve_finds_the_actor_by_any_of_its_names(actors, text, expected):
    assert Actor.objects.resolve(text) == actors[expected]


def test_an_ambiguous_name_lists_the_candidates(actors):
    with pytest.raises(ValidationError) as refused:
        Actor.objects.resolve("mod")
    assert set(refused.value.candidates) == {actors["ru_mod"], actors["uk_mod"]}
    assert "Ministry of Defence of Russia" in refused.value.messages[0]


@pytest.mark.parametrize("text", ["nobody", "", "   ", "krem", "\x00"])
def test_an_unknown_name_is_an_error(actors, text):
    with pytest.raises(ValidationError):
        Actor.objects.resolve(text)


def test_an_exact_slug_wins_over_another_actors_alias(actors):
    ActorFactory(name="Kremlin watchers", slug="watchers", aliases="kremlin")
    assert Actor.objects.resolve("kremlin") == actors["kremlin"]


def test_lookup_keys_follow_a_renamed_actor(actors, analyst):
    kremlin = actors["kremlin"]
    kremlin.aliases = "Kreml"
    services.save_versioned(kremlin, by=analyst, version=kremlin.version)
    assert Actor.objects.resolve("kreml") == kremlin
    assert not ActorName.objects.filter(key=lookup_key("Кремль")).exists()


# Slugs ---------------------------------------------------------------------------------------


def test_a_blank_slug_is_derived_from_the_name(analyst):
    actor = services.create_record(Actor(name="Security Service of Ukraine"), by=analyst)
    assert actor.slug == "security-service-of-ukraine"


def test_a_taken_slug_gets_a_number(analyst):
    ActorFactory(name="NATO", slug="nato")
    ActorFactory(name="NATO 2", slug="nato-2")
    actor = services.create_record(Actor(name="Nato!"), by=analyst)
    assert actor.slug == "nato-3"


def test_a_name_in_another_script_still_gets_a_slug(analyst):
    first = services.create_record(Actor(name="Кремль"), by=analyst)
    second = services.create_record(Actor(name="Москва"), by=analyst)
    assert (first.slug, second.slug) == ("actor", "actor-2")


def test_a_reserved_name_does_not_become_a_page_address(analyst):
    assert services.create_record(Actor(name="Suggest"), by=analyst).slug == "suggest-actor"


def test_the_database_still_refuses_an_empty_slug(actors):
    with pytest.raises(IntegrityError), transaction.atomic():
        Actor.objects.filter(pk=actors["sbu"].pk).update(slug="")


def test_actor_form_without_a_slug_derives_it(analyst_client):
    data = {"name": "Korean Central News Agency", "slug": "", "kind": "media", "country": "KP"}
    response = analyst_client.post(reverse("claims:actor-create"), data)
    assert response.status_code == 302
    assert Actor.objects.get(name="Korean Central News Agency").slug == "korean-central-news-agency"


def test_actor_form_still_checks_an_explicit_slug(analyst_client):
    data = {"name": "KCNA", "slug": "Bad Slug", "kind": "media"}
    response = analyst_client.post(reverse("claims:actor-create"), data)
    assert response.status_code == 400
    assert not Actor.objects.filter(name="KCNA").exists()


def test_actor_form_takes_the_parent_by_name(analyst_client, actors):
    data = {"name": "Dmitry Peskov", "kind": "person", "parent": "кремль"}
    response = analyst_client.post(reverse("claims:actor-create"), data)
    assert response.status_code == 302
    assert Actor.objects.get(name="Dmitry Peskov").parent == actors["kremlin"]


def test_actor_form_names_the_candidates_of_an_ambiguous_parent(analyst_client, actors):
    data = {"name": "Press office", "kind": "agency", "parent": "MoD"}
    response = analyst_client.post(reverse("claims:actor-create"), data)
    assert response.status_code == 400
    assert "Ministry of Defence (United Kingdom)" in response.content.decode()
    assert 'value="MoD"' in response.content.decode()  # what was typed stays
    assert not Actor.objects.filter(name="Press office").exists()


def test_admin_add_actor_without_a_slug_derives_it(admin_client):
    data = {"name": "Office of the Prosecutor", "slug": "", "kind": "court", "aliases": ""}
    response = admin_client.post(reverse("admin:claims_actor_add"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Actor.objects.get(name="Office of the Prosecutor").slug == "office-of-the-prosecutor"


def test_api_creates_an_actor_from_just_its_names(admin):
    client = APIClient()
    client.force_authenticate(admin)
    body = {"name": "Security Service of Ukraine", "short_name": "SBU", "kind": "agency"}
    response = client.post("/api/actors/", body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["slug"] == "security-service-of-ukraine"
    assert Actor.objects.resolve("sbu").name == "Security Service of Ukraine"


def test_api_refuses_an_ambiguous_claim_actor_naming_the_field(admin, actors):
    client = APIClient()
    client.force_authenticate(admin)
    body = {"actor_slug": "mod", "headline": "h", "text": "t", "stated_on": "2024-10-18"}
    response = client.post("/api/claims/", body, format="json")
    assert response.status_code == 400
    assert "could be several actors" in response.json()["actor_slug"][0]
    assert Claim.objects.count() == 0


def test_api_takes_the_claim_actor_by_alias(admin, actors):
    client = APIClient()
    client.force_authenticate(admin)
    body = {"actor_slug": "Кремль", "headline": "h", "text": "t", "stated_on": "2024-10-18"}
    response = client.post("/api/claims/", body, format="json")
    assert response.status_code == 201, response.json()
    assert Claim.objects.get().actor == actors["kremlin"]


def test_claim_form_takes_the_actor_by_alias(analyst_client, actors):
    data = {
        "actor": "Zelensky",
        "headline": "A new claim",
        "text": "What was said.",
        "stated_on": "2024-10-18",
        "citations-TOTAL_FORMS": "1",
        "citations-INITIAL_FORMS": "0",
        "citations-0-source": "https://example.org/peskov",
    }
    source = SourceFactory(title="Peskov news conference", url="https://example.org/peskov")
    response = analyst_client.post(reverse("claims:claim-create"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    claim = Claim.objects.get()
    assert (claim.actor, claim.citations.get().source) == (actors["zelensky"], source)


# Sources ---------------------------------------------------------------------------------------


def test_source_resolves_by_number_url_or_title_in_any_case():
    source = SourceFactory(title="Peskov news conference", url="https://example.org/peskov")
    found = [
        Source.objects.resolve(text)
        for text in [str(source.pk), "https://example.org/peskov", "PESKOV NEWS CONFERENCE"]
    ]
    assert found == [source, source, source]


def test_source_with_a_shared_title_lists_the_candidates():
    first = SourceFactory(title="Press release", url="https://example.org/a")
    second = SourceFactory(title="press release", url="https://example.org/b")
    with pytest.raises(ValidationError) as refused:
        Source.objects.resolve("Press release")
    assert set(refused.value.candidates) == {first, second}


# Filters and hierarchy -------------------------------------------------------------------------


def run(query):
    filterset = ClaimFilter(QueryDict(query), queryset=Claim.objects.all())
    return filterset.is_valid(), set(filterset.qs), filterset.errors


@pytest.fixture
def hierarchy(actors):
    kremlin = actors["kremlin"]
    peskov = ActorFactory(name="Dmitry Peskov", slug="peskov", parent=kremlin)
    deputy = ActorFactory(name="Peskov's deputy", slug="deputy", parent=peskov)
    return {
        "kremlin": ClaimFactory(actor=kremlin),
        "peskov": ClaimFactory(actor=peskov),
        "deputy": ClaimFactory(actor=deputy),
        "other": ClaimFactory(actor=actors["sbu"]),
    }


def test_actor_filter_takes_a_name_and_includes_sub_actors(hierarchy):
    valid, claims, _ = run("actor=Кремль")
    assert valid and claims == {hierarchy["kremlin"], hierarchy["peskov"], hierarchy["deputy"]}


def test_actor_filter_can_leave_sub_actors_out(hierarchy):
    assert run("actor=kremlin&subactors=0")[1] == {hierarchy["kremlin"]}


def test_actor_filter_of_a_sub_actor_includes_only_those_below_it(hierarchy):
    assert run("actor=Dmitry+Peskov")[1] == {hierarchy["peskov"], hierarchy["deputy"]}


def test_actor_filter_with_an_ambiguous_name_is_an_error(hierarchy):
    valid, _, errors = run("actor=mod")
    assert not valid and "could be several actors" in errors["actor"][0]


def test_source_filter_takes_a_title(hierarchy):
    source = SourceFactory(title="Peskov news conference")
    services.add_citation(claim=hierarchy["peskov"], source=source, role="appearance", by=None)
    assert run("source=peskov+news+conference")[1] == {hierarchy["peskov"]}


def test_actor_page_shows_sub_actors_claims_with_a_toggle(reader_client, hierarchy, actors):
    url = actors["kremlin"].get_absolute_url()
    included = reader_client.get(url)
    own = reader_client.get(url + "?subactors=0")
    assert set(included.context["browser"].claims) == {
        hierarchy["kremlin"],
        hierarchy["peskov"],
        hierarchy["deputy"],
    }
    assert set(own.context["browser"].claims) == {hierarchy["kremlin"]}
    assert b"subactors=0" in included.content and b"Include its sub-actors" in own.content


def test_api_and_export_include_sub_actors_unless_told(reader, reader_client, hierarchy):
    client = APIClient()
    client.force_authenticate(reader)
    api = client.get("/api/claims/?actor=kremlin&page_size=500").json()["results"]
    response = reader_client.get("/claims.json?actor=kremlin&subactors=0")
    export = json.loads(b"".join(response.streaming_content))
    assert {c["id"] for c in api} == {hierarchy[k].pk for k in ("kremlin", "peskov", "deputy")}
    assert [c["id"] for c in export] == [hierarchy["kremlin"].pk]


# Suggestions -----------------------------------------------------------------------------------


def test_suggest_finds_actors_by_the_start_of_any_name(reader_client, actors):
    names = [
        a["name"]
        for a in reader_client.get(reverse("claims:actor-suggest") + "?q=kre").json()["results"]
    ]
    by_alias = reader_client.get(reverse("claims:actor-suggest") + "?q=КРЕМ").json()["results"]
    assert names == ["Kremlin"] and [a["slug"] for a in by_alias] == ["kremlin"]


def test_suggest_ignores_accents(reader_client, actors):
    response = reader_client.get(reverse("claims:actor-suggest") + "?q=direction+gen")
    assert [a["slug"] for a in response.json()["results"]] == [actors["dgsi"].slug]


def test_suggest_answers_at_most_twenty(reader_client):
    for n in range(MAX_SUGGESTIONS + 5):
        ActorFactory(name=f"Ministry {n:02d}")
    response = reader_client.get(reverse("claims:actor-suggest") + "?q=ministry")
    assert len(response.json()["results"]) == MAX_SUGGESTIONS


def test_suggest_of_nothing_is_empty(reader_client, actors):
    assert reader_client.get(reverse("claims:actor-suggest") + "?q=").json() == {"results": []}


def test_claim_made_with_a_derived_slug_is_listed_by_the_actors_name(analyst, analyst_client):
    actor = services.create_record(Actor(name="Voice of Korea"), by=analyst)
    services.create_claim(
        by=analyst, actor=actor, headline="h", text="t", stated_on=datetime.date(2024, 1, 1)
    )
    response = analyst_client.get(reverse("claims:claim-list") + "?actor=voice+of+korea")
    assert response.status_code == 200 and len(response.context["browser"].claims) == 1


# Import ----------------------------------------------------------------------------------------

IMPORT_HEADER = ",".join(COLUMNS)


def test_import_row_may_name_its_actor_by_alias_without_a_slug(actors, analyst):
    from claims.imports import import_claims

    data = f"{IMPORT_HEADER}\n,Troops seen,Near Kursk.,,Кремль,2024-11-04,unverified,,,,,\n"
    report = import_claims(data.encode(), by=analyst)
    assert not report.errors, report.errors
    assert Claim.objects.get().actor == actors["kremlin"]


def test_import_creates_a_named_new_actor_with_a_derived_slug(actors, analyst):
    from claims.imports import import_claims

    data = (
        f"{IMPORT_HEADER}\n,Drills,Near Kursk.,,Voice of Korea,2024-11-04,unverified,,,,,\n"
        ",More drills,Near Kursk.,,Voice of Korea,2024-11-05,unverified,,,,,\n"
    )
    report = import_claims(data.encode(), by=analyst)
    assert not report.errors, report.errors
    assert Actor.objects.get(name="Voice of Korea").slug == "voice-of-korea"
    assert Claim.objects.filter(actor__slug="voice-of-korea").count() == 2


def test_import_row_with_an_ambiguous_actor_name_is_refused_by_line(actors, analyst):
    from claims.imports import import_claims

    data = f"{IMPORT_HEADER}\n,Drills,Near Kursk.,,MoD,2024-11-04,unverified,,,,,\n"
    report = import_claims(data.encode(), by=analyst)
    assert [e.line for e in report.errors] == [2]
    assert "could be several actors" in report.errors[0].reason
    assert Claim.objects.count() == 0
