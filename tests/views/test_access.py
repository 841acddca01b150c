"""Who may open and post to every page of the analyst UI: anonymous, a signed-in user with
no role, reader, analyst, admin."""

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from claims import services
from claims import urls as claim_urls
from claims.models import Actor, Capture, Claim, Proposition, Source, Stance
from tests.factories import ActorFactory, UserFactory
from tests.views.conftest import actor_form_data, claim_form_data, source_form_data

ROLES = ["anonymous", "norole", "reader", "analyst", "admin"]
READ_PAGES = {
    "home": lambda w: {},
    "claim-list": lambda w: {},
    "claim-detail": lambda w: {"pk": w["claim"].pk},
    "actor-list": lambda w: {},
    "actor-suggest": lambda w: {},
    "actor-detail": lambda w: {"slug": w["actor"].slug},
    "source-list": lambda w: {},
    "source-detail": lambda w: {"pk": w["source"].pk},
    "claim-export-csv": lambda w: {},
    "claim-export-json": lambda w: {},
    "proposition-list": lambda w: {},
    "proposition-grid": lambda w: {},
    "proposition-detail": lambda w: {"slug": w["proposition"].slug},
    "claim-export-jsonld": lambda w: {},
    "claim-export-bundle": lambda w: {},
    "status-feed": lambda w: {},
    "changes": lambda w: {},
    "changes-export-csv": lambda w: {},
    "capture-download": lambda w: {"pk": w["source"].pk, "capture_pk": w["capture"].pk},
}


def import_file():
    content = (
        "id,headline,text,actor_slug,actor_name,stated_on,status,status_rationale,source_urls\n"
        ",Imported,Imported text,imported,Imported actor,2024-10-18,unverified,,\n"
    )
    return SimpleUploadedFile("claims.csv", content.encode(), content_type="text/csv")


def _state():
    return (
        sorted(Proposition.objects.values_list("pk", "statement", "status", "version")),
        sorted(Stance.objects.values_list("pk", "claim_id", "proposition_id", "stance")),
        sorted(Claim.objects.values_list("pk", "headline", "status", "version")),
        sorted(Actor.objects.values_list("pk", "name", "version")),
        sorted(Source.objects.values_list("pk", "title", "version")),
        Capture.objects.count(),
    )


# name: (kwargs, POST data, who may write)
WRITE_PAGES = {
    "claim-create": (lambda w: {}, lambda w: claim_form_data(), {"analyst", "admin"}),
    "claim-update": (
        lambda w: {"pk": w["claim"].pk},
        lambda w: claim_form_data(w["claim"], headline="Edited"),
        {"analyst", "admin"},
    ),
    "claim-delete": (lambda w: {"pk": w["claim"].pk}, lambda w: {}, {"admin"}),
    "claim-status": (
        lambda w: {"pk": w["claim"].pk},
        lambda w: {"status": "denied", "rationale": "Refuted.", "confidence": "high"},
        {"analyst", "admin"},
    ),
    "claim-import": (lambda w: {}, lambda w: {"file": import_file()}, {"analyst", "admin"}),
    "actor-create": (lambda w: {}, lambda w: actor_form_data(), {"analyst", "admin"}),
    "actor-update": (
        lambda w: {"slug": w["actor"].slug},
        lambda w: actor_form_data(w["actor"], name="Edited"),
        {"analyst", "admin"},
    ),
    "actor-delete": (lambda w: {"slug": w["lonely"].slug}, lambda w: {}, {"admin"}),
    "source-create": (lambda w: {}, lambda w: source_form_data(), {"analyst", "admin"}),
    "source-update": (
        lambda w: {"pk": w["source"].pk},
        lambda w: source_form_data(w["source"], title="Edited"),
        {"analyst", "admin"},
    ),
    "source-delete": (lambda w: {"pk": w["source"].pk}, lambda w: {}, {"admin"}),
    "source-capture": (lambda w: {"pk": w["source"].pk}, lambda w: {}, {"analyst", "admin"}),
    "proposition-create": (
        lambda w: {},
        lambda w: {"statement": "Troops are in Kursk", "slug": "", "description": ""},
        {"analyst", "admin"},
    ),
    "proposition-update": (
        lambda w: {"slug": w["proposition"].slug},
        lambda w: {
            "statement": "Edited statement",
            "slug": w["proposition"].slug,
            "description": "",
            "version": w["proposition"].version,
        },
        {"analyst", "admin"},
    ),
    "proposition-delete": (lambda w: {"slug": w["proposition"].slug}, lambda w: {}, {"admin"}),
    "proposition-status": (
        lambda w: {"slug": w["proposition"].slug},
        lambda w: {"status": "denied", "rationale": "Refuted.", "confidence": "high"},
        {"analyst", "admin"},
    ),
    "proposition-apply": (
        lambda w: {"slug": w["decided"].slug},
        lambda w: {
            "claims": [f"{w['claim'].pk}:{w['claim'].version}:{w['claim'].status}"],
            "rationale": "Follows from the proposition.",
            "confidence": "moderate",
        },
        {"analyst", "admin"},
    ),
    "claim-stance-add": (
        lambda w: {"pk": w["claim"].pk},
        lambda w: {"proposition": w["proposition"].slug, "stance": "asserts", "note": ""},
        {"analyst", "admin"},
    ),
    "claim-stance-remove": (
        lambda w: {"pk": w["claim"].pk, "stance_pk": w["stance"].pk},
        lambda w: {},
        {"analyst", "admin"},
    ),
}
# POST-only actions: a GET answers 405 for everyone.
POST_ONLY = {
    "claim-status",
    "source-capture",
    "proposition-status",
    "proposition-apply",
    "claim-stance-add",
    "claim-stance-remove",
}


@pytest.fixture
def world(claim, actor, source, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    # The source's URL queued a capture when it was saved; this world has a finished one
    # only, so "Capture again" has a capture to queue.
    Capture.objects.filter(source=source).delete()
    capture = Capture(source=source, url=source.url, state="done", requested_at=timezone.now())
    capture.warc.save("captures/test.warc.gz", ContentFile(b"WARC/1.1\r\n"), save=False)
    capture.save()
    proposition = services.create_proposition(by=None, statement="Troops are in Russia")
    # The claim asserts a confirmed proposition while unverified: "apply" has work to do.
    decided = services.create_proposition(by=None, statement="Troops were sent")
    services.proposition_set_status(
        confidence="moderate",
        proposition=decided,
        status="confirmed",
        rationale="Confirmed.",
        by=None,
    )
    stance = services.set_stance(claim=claim, proposition=decided, stance="asserts", by=None)
    return {
        "claim": claim,
        "actor": actor,
        "source": source,
        "lonely": ActorFactory(slug="lone"),
        "capture": capture,
        "proposition": proposition,
        "decided": decided,
        "stance": stance,
    }


def client_for(role):
    client = Client()
    if role != "anonymous":
        client.force_login(UserFactory(username=role, role=None if role == "norole" else role))
    return client


def test_every_url_of_the_app_is_in_the_matrix():
    names = {pattern.name for pattern in claim_urls.urlpatterns}
    assert names == set(READ_PAGES) | set(WRITE_PAGES)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(READ_PAGES))
def test_read_page_get(world, role, name):
    response = client_for(role).get(reverse(f"claims:{name}", kwargs=READ_PAGES[name](world)))
    if role == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login") + "?next=")
    elif role == "norole":
        assert response.status_code == 403
        assert world["claim"].headline.encode() not in response.content
    else:
        assert response.status_code == 200


# The claim page also takes its verdict form (an empty one is refused: 400, or 403 for a
# reader); every other read page answers a POST with 405.
POST_ON_READ_PAGE = {"claim-detail": {"reader": 403, "analyst": 400, "admin": 400}}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(READ_PAGES))
def test_read_page_post_changes_nothing(world, role, name):
    before = _state()
    response = client_for(role).post(reverse(f"claims:{name}", kwargs=READ_PAGES[name](world)))
    expected = {"anonymous": 302, "norole": 403}.get(role)  # the read rule comes first
    expected = expected or POST_ON_READ_PAGE.get(name, {}).get(role, 405)
    assert response.status_code == expected
    assert _state() == before


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(WRITE_PAGES))
def test_write_page_get(world, role, name):
    kwargs, _, writers = WRITE_PAGES[name]
    response = client_for(role).get(reverse(f"claims:{name}", kwargs=kwargs(world)))
    if name in POST_ONLY:
        expected = 405  # POST only, for everyone
    elif role == "anonymous":
        expected = 302
    else:
        expected = 200 if role in writers else 403
    assert response.status_code == expected


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(WRITE_PAGES))
def test_write_page_post(world, role, name):
    kwargs, data, writers = WRITE_PAGES[name]
    url = reverse(f"claims:{name}", kwargs=kwargs(world))
    before = _state()
    response = client_for(role).post(url, data(world))
    if role == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    else:
        success = 200 if name == "claim-import" else 302  # the import shows its report
        assert response.status_code == (success if role in writers else 403)
    assert (_state() != before) == (role in writers)


@pytest.mark.parametrize("name", sorted(WRITE_PAGES))
def test_write_without_csrf_token_is_refused(world, admin, name):
    kwargs, data, _ = WRITE_PAGES[name]
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin)
    before = _state()
    response = client.post(reverse(f"claims:{name}", kwargs=kwargs(world)), data(world))
    assert response.status_code == 403
    assert _state() == before


@pytest.mark.parametrize("name", sorted(READ_PAGES))
def test_public_read_lets_anonymous_visitors_browse(world, settings, name):
    settings.CLAIMTRACKER_PUBLIC_READ = True
    response = Client().get(reverse(f"claims:{name}", kwargs=READ_PAGES[name](world)))
    assert response.status_code == 200


@pytest.mark.parametrize("name", sorted(WRITE_PAGES))
def test_public_read_still_sends_anonymous_writers_to_login(world, settings, name):
    settings.CLAIMTRACKER_PUBLIC_READ = True
    kwargs, data, _ = WRITE_PAGES[name]
    before = _state()
    response = Client().post(reverse(f"claims:{name}", kwargs=kwargs(world)), data(world))
    assert response.status_code == 302
    assert _state() == before


def test_reader_sees_no_write_buttons(world, reader_client):
    response = reader_client.get(world["claim"].get_absolute_url())
    assert b"Mark status" not in response.content
    assert reverse("claims:claim-update", kwargs={"pk": world["claim"].pk}).encode() not in (
        response.content
    )


def test_analyst_sees_edit_but_not_delete(world, analyst_client):
    response = analyst_client.get(world["claim"].get_absolute_url())
    assert reverse("claims:claim-update", kwargs={"pk": world["claim"].pk}).encode() in (
        response.content
    )
    assert b"Delete claim" not in response.content


def test_refusal_page_is_in_the_site_style_and_says_why(world, reader_client):
    response = reader_client.post(reverse("claims:claim-create"), claim_form_data())
    assert response.status_code == 403
    assert b"You can't do that with this account" in response.content
    assert b"css/claimtracker.css" in response.content


@pytest.mark.parametrize("name", ["claim-list", "claim-export-csv", "status-feed"])
def test_leaving_the_reader_group_ends_web_access(world, reader, name):
    client = Client()
    client.force_login(reader)
    url = reverse(f"claims:{name}", kwargs=READ_PAGES[name](world))
    assert client.get(url).status_code == 200
    reader.groups.clear()
    assert client.get(url).status_code == 403
