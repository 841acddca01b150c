import pytest
from django.urls import reverse

from claims import services
from claims.models import Citation, Claim, Source
from tests.factories import SourceFactory
from tests.views.conftest import source_form_data

pytestmark = pytest.mark.django_db
LIST = reverse("claims:source-list")
CREATE = reverse("claims:source-create")


def test_source_list_shows_number_and_citation_count(reader_client, claim, source):
    response = reader_client.get(LIST)
    assert response.status_code == 200
    assert [(s, s.citation_count) for s in response.context["source_list"]] == [(source, 1)]


def test_source_list_finds_by_number(reader_client, source):
    SourceFactory()
    response = reader_client.get(f"{LIST}?q={source.pk}")
    assert list(response.context["source_list"]) == [source]


def test_source_list_finds_by_title_words(reader_client, source):
    SourceFactory(title="Something else")
    response = reader_client.get(LIST + "?q=peskov")
    assert list(response.context["source_list"]) == [source]


def test_empty_source_list_tells_an_analyst_how_to_add_one(analyst_client):
    response = analyst_client.get(LIST)
    assert b"No sources yet." in response.content
    assert CREATE.encode() in response.content


def test_source_page_lists_the_claims_citing_it(reader_client, claim, source):
    response = reader_client.get(source.get_absolute_url())
    assert response.status_code == 200
    assert [c.claim for c in response.context["page_obj"]] == [claim]
    assert f"?source={source.pk}".encode() in response.content


def test_source_page_title_is_the_source_title_and_lists_captures_once(reader_client, source):
    body = reader_client.get(source.get_absolute_url()).content.decode()
    assert f"<title>{source.title} · ClaimTracker</title>" in body
    assert body.count('id="captures-heading"') == 1


def test_source_page_without_citations_says_how_to_cite_it(reader_client, source):
    response = reader_client.get(source.get_absolute_url())
    assert b"No claim cites this source yet" in response.content


def test_analyst_creates_a_source(analyst_client, analyst):
    response = analyst_client.post(CREATE, source_form_data())
    source = Source.objects.get(title="KCNA confirms the deployment")
    assert response.status_code == 302 and response["Location"] == source.get_absolute_url()
    assert source.history.get().history_user == analyst


def test_source_url_without_scheme_gets_https(analyst_client):
    analyst_client.post(CREATE, source_form_data(url="example.org/kcna"))
    assert Source.objects.get().url == "https://example.org/kcna"


@pytest.mark.parametrize(
    "field", [("title", ""), ("url", "not a url"), ("published_on", "2025-02-30"), ("kind", "x")]
)
def test_bad_source_field_is_refused_and_kept(analyst_client, field):
    response = analyst_client.post(CREATE, source_form_data(**dict([field])))
    assert response.status_code == 400
    assert not Source.objects.exists()


def test_duplicate_url_is_refused(analyst_client, source):
    response = analyst_client.post(CREATE, source_form_data(url=source.url))
    assert response.status_code == 400
    assert Source.objects.count() == 1


def test_analyst_edits_a_source(analyst_client, source):
    url = reverse("claims:source-update", kwargs={"pk": source.pk})
    response = analyst_client.post(url, source_form_data(source, title="Renamed"))
    assert response.status_code == 302
    saved = Source.objects.get(pk=source.pk)
    assert (saved.title, saved.version) == ("Renamed", source.version + 1)


def test_stale_source_edit_is_409_and_keeps_the_input(analyst_client, admin, source):
    url = reverse("claims:source-update", kwargs={"pk": source.pk})
    stale = source_form_data(source, notes="My notes")
    first = Source.objects.get(pk=source.pk)
    first.title = "Their title"
    services.save_versioned(first, by=admin, version=source.version)
    response = analyst_client.post(url, stale)
    assert response.status_code == 409
    assert "Title: “Peskov news conference” → “Their title”" in response.content.decode()
    assert b"My notes</textarea>" in response.content
    assert Source.objects.get(pk=source.pk).notes == ""


def test_delete_page_names_the_citations_that_go(admin_client, claim, source):
    response = admin_client.get(reverse("claims:source-delete", kwargs={"pk": source.pk}))
    assert f"its citation in “{claim.headline}”".encode() in response.content


def test_admin_deletes_a_source_and_its_citations_but_not_the_claims(admin_client, claim, source):
    response = admin_client.post(reverse("claims:source-delete", kwargs={"pk": source.pk}))
    assert response.status_code == 302
    assert not Source.objects.exists() and not Citation.objects.exists()
    assert Claim.objects.filter(pk=claim.pk).exists()


@pytest.mark.parametrize("query", ["²", "١٢", "99999999999999999999"])
def test_source_search_for_a_non_ascii_or_huge_number_is_not_a_500(reader_client, source, query):
    response = reader_client.get(LIST, {"q": query})
    assert response.status_code == 200
    assert list(response.context["source_list"]) == []


def test_saving_a_source_again_after_a_conflict_keeps_their_title(analyst_client, admin, source):
    url = reverse("claims:source-update", kwargs={"pk": source.pk})
    stale = source_form_data(source, notes="My notes")
    first = Source.objects.get(pk=source.pk)
    first.title = "Their title"
    services.save_versioned(first, by=admin, version=source.version)
    refused = analyst_client.post(url, stale)
    assert refused.status_code == 409
    assert analyst_client.post(url, refused.context["form"].data).status_code == 302
    saved = Source.objects.get(pk=source.pk)
    assert (saved.title, saved.notes) == ("Their title", "My notes")


def test_stale_source_edit_says_so_once(analyst_client, admin, source):
    url = reverse("claims:source-update", kwargs={"pk": source.pk})
    first = Source.objects.get(pk=source.pk)
    first.title = "Their title"
    services.save_versioned(first, by=admin, version=source.version)
    response = analyst_client.post(url, source_form_data(source, notes="My notes"))
    assert response.status_code == 409
    assert response.content.decode().count("Someone else saved this record") == 1
