import base64
import json

import pytest
from django.db import IntegrityError, connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.utils.http import urlencode

from claims import services
from claims.filters import ClaimFilter
from claims.models import Actor, Claim, Source, StatusChange
from tests.factories import ClaimFactory


def _ids(client, params):
    url = f"/api/claims/?{urlencode({**params, 'page_size': 500}, doseq=True)}"
    response = client.get(url)
    assert response.status_code == 200, response.content
    return [claim["id"] for claim in response.json()["results"]]


def _filter_ids(params):
    # What the claim list page gets for the same URL query.
    filterset = ClaimFilter(QueryDict(urlencode(params, doseq=True)), queryset=Claim.objects.all())
    assert filterset.is_valid(), filterset.errors
    return list(filterset.qs.values_list("pk", flat=True))


def test_claim_embeds_actor_and_citations(api_as, story):
    claim = story["claims"]["troops"]
    data = api_as("reader").get(f"/api/claims/{claim.pk}/").json()
    assert data["actor"] == {"slug": "nis", "name": "National Intelligence Service"}
    assert {(c["role"], c["source"]["url"]) for c in data["citations"]} == {
        ("appearance", "https://example.org/yonhap"),
        ("evidence", "https://example.org/tass"),
    }


FILTERS = [
    {"actor": "nis"},
    {"actor": ["nis", "kremlin"]},
    {"status": "denied"},
    {"status": ["denied", "confirmed"]},
    {"source": "SOURCE"},
    {"kind": "person"},
    {"country": "ru"},
    {"stated_from": "2024-10-21"},
    {"stated_to": "2024-10-21"},
    {"q": "Far East"},
    {"ordering": "headline"},
    {"ordering": "-actor"},
    {"ordering": "status"},
    {"ordering": "-updated"},
    {"actor": "nis", "status": "unverified", "ordering": "stated"},
]


@pytest.mark.parametrize("params", FILTERS, ids=lambda p: urlencode(p, doseq=True))
def test_api_list_filters_like_the_claim_filter(api_as, story, params):
    if params.get("source") == "SOURCE":
        params = {"source": str(story["sources"]["denial"].pk)}
    expected = _filter_ids(params)
    assert _ids(api_as("reader"), params) == expected
    assert 0 < len(expected) < len(story["claims"]) or "ordering" in params


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"actor": "nobody"}, "actor"),
        ({"status": "maybe"}, "status"),
        ({"stated_from": "yesterday"}, "stated_from"),
        ({"country": "Korea"}, "country"),
        ({"source": "x"}, "source"),
        ({"ordering": "text"}, "ordering"),
    ],
)
def test_bad_filter_answers_400_naming_the_parameter(api_as, story, params, field):
    response = api_as("reader").get(f"/api/claims/?{urlencode(params)}")
    assert response.status_code == 400
    assert field in response.json()


@pytest.mark.parametrize("ordering", ["", "headline", "-actor", "status"])
def test_cursor_pages_cover_every_claim_once(api_as, story, ordering):
    for n in range(7):
        ClaimFactory(actor=story["actors"]["nis"], headline=f"Same day {n % 3}")
    client = api_as("reader")
    url = f"/api/claims/?page_size=2&ordering={ordering}"
    seen = []
    while url:
        page = client.get(url).json()
        seen += [c["id"] for c in page["results"]]
        url = page["next"]
    assert seen == _filter_ids({"ordering": ordering} if ordering else {})


def test_a_garbled_cursor_is_400_naming_the_parameter(api_as, story):
    cursor = base64.b64encode(b"p=not-a-date").decode()
    response = api_as("reader").get(f"/api/claims/?cursor={cursor}")
    assert response.status_code == 400
    assert "cursor" in response.json()


def test_a_cursor_from_another_ordering_is_400_not_500(api_as, story):
    client = api_as("reader")
    next_url = client.get("/api/claims/?page_size=1").json()["next"]
    response = client.get(f"{next_url}&ordering=headline")
    assert response.status_code == 400
    assert "before" in response.json()


def _follow(client, url):
    seen, pages = [], 0
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content
        seen += [c["id"] for c in response.json()["results"]]
        url, pages = response.json()["next"], pages + 1
        assert pages < 100, "following next never ends"
    return seen


@pytest.mark.parametrize("ordering", ["", "status", "stated"])
def test_following_next_across_many_tied_rows_returns_each_once(api_as, story, ordering):
    # More rows than DRF's cursor offset cutoff (1000) share one date and one status.
    nis = story["actors"]["nis"]
    Claim.objects.bulk_create(
        Claim(actor=nis, headline=f"Tied {n}", text="Same day.", stated_on="2024-10-01")
        for n in range(1100)
    )
    client = api_as("reader")
    seen = _follow(client, f"/api/claims/?page_size=100&ordering={ordering}")
    assert seen == _filter_ids({"ordering": ordering} if ordering else {})
    assert len(seen) == Claim.objects.count() == 1104


def test_previous_walks_back_over_tied_rows(api_as, story):
    nis = story["actors"]["nis"]
    Claim.objects.bulk_create(
        Claim(actor=nis, headline=f"Tied {n}", text="Same day.", stated_on="2024-10-01")
        for n in range(5)
    )
    client = api_as("reader")
    first = client.get("/api/claims/?page_size=3").json()
    second = client.get(first["next"]).json()
    back = client.get(second["previous"])
    assert back.status_code == 200
    assert back.json()["results"] == first["results"]


def test_a_page_costs_the_same_queries_whatever_its_size(api_as, story):
    client = api_as("reader")
    client.get("/api/claims/?page_size=1")  # warm up the session and permission caches
    with CaptureQueriesContext(connection) as small:
        client.get("/api/claims/?page_size=1")
    with CaptureQueriesContext(connection) as large:
        client.get("/api/claims/?page_size=4")
    assert len(small) == len(large)


def test_analyst_creates_a_claim_with_citations_and_verdict(api_as, story):
    source = story["sources"]["article"]
    response = api_as("analyst").post(
        "/api/claims/",
        {
            "actor_slug": "kremlin",
            "headline": "Troops are a provocation",
            "text": "The reports are a provocation.",
            "stated_on": "2024-10-24",
            "status": "denied",
            "status_rationale": "Troops were seen.",
            "status_confidence": "high",
            "new_citations": [{"source": source.pk, "role": "appearance", "quote": "provoc"}],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    claim = Claim.objects.get(pk=response.json()["id"])
    assert (claim.status, claim.citations.get().source) == ("denied", source)
    assert claim.status_changes.get().rationale == "Troops were seen."


GOOD_CLAIM = {
    "actor_slug": "kremlin",
    "headline": "A headline",
    "text": "A text.",
    "stated_on": "2024-10-24",
}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"headline": ""}, "headline"),
        ({"headline": "x" * 121}, "headline"),
        ({"text": None}, "text"),
        ({"actor_slug": "nobody"}, "actor_slug"),
        ({"stated_on": "2024-13-45"}, "stated_on"),
        ({"status": "maybe"}, "status"),
        ({"status": "confirmed"}, "status_rationale"),
        ({"new_citations": [{"source": 999999, "role": "appearance"}]}, "new_citations"),
        ({"new_citations": [{"source": 1, "role": "gossip"}]}, "new_citations"),
        ({"text": "lone \ud800 surrogate"}, "text"),
        ({"text": "nul \x00 byte"}, "text"),
        ({"text": "x" * 20_001}, "text"),
        ({"stated_on": "2999-01-01"}, "stated_on"),
        ({"stated_on": "1899-12-31"}, "stated_on"),
        ({"status": "confirmed", "status_rationale": "x" * 10_001}, "status_rationale"),
    ],
)
def test_bad_claim_payload_answers_400_naming_the_field(api_as, story, change, field):
    before = Claim.objects.count()
    payload = {k: v for k, v in {**GOOD_CLAIM, **change}.items() if v is not None}
    body = json.dumps(payload)  # ASCII-escaped, so a lone surrogate survives the trip
    response = api_as("analyst").post("/api/claims/", body, content_type="application/json")
    assert response.status_code == 400
    assert field in response.json()
    assert Claim.objects.count() == before


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"slug": "nis", "name": "Another"}, "slug"),
        ({"slug": "new", "name": "The Kremlin"}, "name"),
        ({"slug": "new", "name": "New", "country": "Korea"}, "country"),
        ({"slug": "new", "name": "New", "kind": "alien"}, "kind"),
        ({"slug": "new", "name": "New", "wikidata_id": "42"}, "wikidata_id"),
        ({"slug": "new", "name": "New", "parent": "nobody"}, "parent"),
        ({"slug": "not a slug", "name": "New"}, "slug"),
    ],
)
def test_bad_actor_payload_answers_400_naming_the_field(api_as, story, payload, field):
    before = Actor.objects.count()
    response = api_as("analyst").post("/api/actors/", payload, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert Actor.objects.count() == before


def test_an_actor_cannot_be_its_own_parent(api_as, story):
    response = api_as("analyst").patch(
        "/api/actors/nis/", {"parent": "nis", "version": 1}, format="json"
    )
    assert response.status_code == 400
    assert Actor.objects.get(slug="nis").parent is None


def test_a_source_url_names_one_source(api_as, story):
    response = api_as("analyst").post(
        "/api/sources/", {"title": "Copy", "url": "https://example.org/yonhap"}, format="json"
    )
    assert response.status_code == 400
    assert Source.objects.filter(url="https://example.org/yonhap").count() == 1


def test_update_without_version_answers_400(api_as, story):
    claim = story["claims"]["peskov"]
    response = api_as("analyst").patch(f"/api/claims/{claim.pk}/", {"text": "New."}, format="json")
    assert response.status_code == 400
    assert "version" in response.json()


def test_stale_update_answers_409_with_the_current_row(api_as, story):
    claim = story["claims"]["peskov"]
    client = api_as("analyst")
    first = client.patch(f"/api/claims/{claim.pk}/", {"text": "First.", "version": 1}, "json")
    second = client.patch(f"/api/claims/{claim.pk}/", {"text": "Second.", "version": 1}, "json")
    assert (first.status_code, second.status_code) == (200, 409)
    assert second.json()["current"]["text"] == "First."
    claim.refresh_from_db()
    assert (claim.text, claim.version) == ("First.", 2)


def test_put_replaces_the_claim_and_bumps_the_version(api_as, story):
    claim = story["claims"]["peskov"]
    payload = {**GOOD_CLAIM, "version": claim.version}
    response = api_as("analyst").put(f"/api/claims/{claim.pk}/", payload, format="json")
    assert response.status_code == 200, response.content
    claim.refresh_from_db()
    assert (claim.headline, claim.actor.slug, claim.version) == ("A headline", "kremlin", 2)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("status", "confirmed"),
        ("status_rationale", "Seen on camera."),
        ("new_citations", None),  # the article, below
    ],
)
def test_update_naming_a_create_only_field_answers_400(api_as, story, field, value):
    claim = story["claims"]["peskov"]
    if field == "new_citations":
        value = [{"source": story["sources"]["article"].pk, "role": "evidence"}]
    response = api_as("analyst").patch(
        f"/api/claims/{claim.pk}/", {field: value, "text": "New.", "version": 1}, format="json"
    )
    assert response.status_code == 400
    assert "on create only" in str(response.json()[field])
    claim.refresh_from_db()
    assert (claim.status, claim.text, claim.citations.count()) == (
        "unverified",
        "Peskov: no comment on troops, said in full.",
        0,
    )


def test_the_same_citation_twice_on_create_answers_400(api_as, story):
    source = story["sources"]["article"]
    twice = [{"source": source.pk, "role": "evidence"}, {"source": source.pk, "role": "evidence"}]
    response = api_as("analyst").post(
        "/api/claims/", {**GOOD_CLAIM, "new_citations": twice}, format="json"
    )
    assert response.status_code == 400
    assert "new_citations" in response.json()
    assert Claim.objects.count() == len(story["claims"])


def test_a_database_conflict_on_create_answers_409(api_as, story, monkeypatch):
    def collide(**kwargs):
        raise IntegrityError("duplicate key value violates unique constraint")

    monkeypatch.setattr(services, "create_claim", collide)
    response = api_as("analyst").post("/api/claims/", GOOD_CLAIM, format="json")
    assert response.status_code == 409
    assert "duplicate key" not in response.json()["detail"]
    assert Claim.objects.count() == len(story["claims"])


def test_status_action_appends_to_the_timeline(api_as, story, analyst):
    claim = story["claims"]["peskov"]
    response = api_as("analyst").post(
        f"/api/claims/{claim.pk}/status/",
        {"status": "confirmed", "rationale": "He said it on camera.", "confidence": "high"},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["status"] == "confirmed"
    latest = claim.status_changes.last()
    assert (latest.old_status, latest.new_status, latest.changed_by) == (
        "unverified",
        "confirmed",
        analyst,
    )


@pytest.mark.parametrize(
    ("payload", "field"),
    [({"status": "maybe"}, "status"), ({"status": "denied"}, "rationale"), ({}, "status")],
)
def test_bad_status_change_answers_400(api_as, story, payload, field):
    claim = story["claims"]["peskov"]
    response = api_as("analyst").post(f"/api/claims/{claim.pk}/status/", payload, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert StatusChange.objects.filter(claim=claim).count() == 1


@pytest.mark.parametrize("url", ["/api/claims/999999/", "/api/claims/abc/", "/api/actors/nobody/"])
def test_unknown_record_answers_404_json(api_as, story, url):
    response = api_as("reader").get(url)
    assert response.status_code == 404
    assert "detail" in response.json()


def test_status_of_unknown_claim_answers_404(api_as, story):
    response = api_as("analyst").post(
        "/api/claims/999999/status/", {"status": "unverified"}, format="json"
    )
    assert response.status_code == 404


def test_deleting_an_actor_with_claims_answers_409(api_as, story):
    response = api_as("admin").delete("/api/actors/nis/")
    assert response.status_code == 409
    assert Actor.objects.filter(slug="nis").exists()


def test_malformed_json_answers_400(api_as, story):
    response = api_as("analyst").post(
        "/api/claims/", data="{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert Claim.objects.count() == len(story["claims"])


def test_a_percent_sign_in_an_unknown_actor_is_a_400_not_a_500(api_as, story):
    response = api_as("reader").get("/api/claims/?actor=100%25")
    assert response.status_code == 400
    assert response.json()["actor"][0].startswith("Unknown actor: 100%.")


@pytest.mark.parametrize(
    "query", ["actor=a%00b", "q=a%00b", "country=%00%00", "source=99999999999999999999"]
)
def test_odd_filter_values_never_answer_500(api_as, story, query):
    response = api_as("reader").get(f"/api/claims/?{query}")
    assert response.status_code == 400, response.content
    assert Claim.objects.count() == len(story["claims"])


def test_api_refuses_the_reserved_actor_slug(api_as, story):
    response = api_as("analyst").post(
        "/api/actors/", {"slug": "new", "name": "New Agency"}, format="json"
    )
    assert response.status_code == 400
    assert "slug" in response.json()
    assert not Actor.objects.filter(slug="new").exists()


def test_api_refuses_a_parent_loop(api_as, story):
    kremlin, peskov = story["actors"]["kremlin"], story["actors"]["peskov"]
    peskov.parent = kremlin
    peskov.save()
    response = api_as("analyst").patch(
        "/api/actors/kremlin/", {"parent": "dmitry-peskov", "version": 1}, format="json"
    )
    assert response.status_code == 400
    assert "parent" in response.json()
    kremlin.refresh_from_db()
    assert kremlin.parent is None


def test_the_apis_older_cursor_links_keep_working(api_as, story):
    troops = story["claims"]["troops"]
    old_link = base64.b64encode(f"p={troops.stated_on}_{troops.pk + 1}".encode()).decode()
    response = api_as("reader").get(f"/api/claims/?cursor={old_link}")
    assert response.status_code == 200
    assert [c["id"] for c in response.json()["results"]] == [troops.pk]


def test_api_list_links_carry_the_same_cursor_as_the_claim_list(api_as, story):
    page = api_as("reader").get("/api/claims/?page_size=1&actor=nis").json()
    drills = story["claims"]["drills"]
    assert page["next"].endswith(f"?page_size=1&actor=nis&before={drills.stated_on}.{drills.pk}")


def test_actors_page_by_name_following_next(api_as, story):
    client, url, seen = api_as("reader"), "/api/actors/?page_size=2", []
    while url:
        page = client.get(url).json()
        seen += [a["slug"] for a in page["results"]]
        url = page["next"]
    assert seen == ["dmitry-peskov", "nis", "kremlin"]  # by name: D, N, T
