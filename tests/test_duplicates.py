"""Possible duplicates (claims/duplicates.py) on every path that creates: a claim that says
almost the same as one recorded is shown (form), refused unless asked (API) or reported by
line (import); a source for a page already recorded is refused; a similar title warned."""

import datetime

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from claims import duplicates, services
from claims.exports import COLUMNS
from claims.imports import import_claims
from claims.models import Citation, Claim, Source
from tests.factories import ActorFactory, SourceFactory

pytestmark = pytest.mark.django_db
CREATE = reverse("claims:claim-create")
DAY = datetime.date(2024, 10, 10)
HEADLINE = "North Korean troops are fake news, says Peskov"
TEXT = "Peskov described the reports of North Korean troops in Kursk as another fake."


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("HTTPS://Example.ORG/a/b/", "https://example.org/a/b"),
        ("https://example.org/a?utm_source=x&utm_medium=y&id=3", "https://example.org/a?id=3"),
        ("https://example.org/a#comments", "https://example.org/a"),
        ("https://example.org:443/a", "https://example.org/a"),
        ("https://example.org:8443/a", "https://example.org:8443/a"),
        ("https://example.org/A", "https://example.org/A"),
        ("http://example.org/a", "http://example.org/a"),
        ("", ""),
    ],
)
def test_normalize_url(url, key):
    assert duplicates.normalize_url(url) == key


@pytest.fixture
def kremlin():
    return ActorFactory(slug="kremlin", name="The Kremlin")


@pytest.fixture
def existing(kremlin):
    return services.create_claim(
        by=None, actor=kremlin, headline=HEADLINE, text=TEXT, stated_on=DAY
    )


def near_copy(**extra):
    data = {
        "actor": "Kremlin",
        "headline": "North Korean troops are fake news, Peskov says",
        "text": TEXT,
        "stated_on": DAY.isoformat(),
        "citations-TOTAL_FORMS": "0",
        "citations-INITIAL_FORMS": "0",
    }
    data.update(extra)
    return data


def test_similar_claims_finds_a_near_copy_and_not_an_unrelated_claim(existing, kremlin):
    found = duplicates.similar_claims(
        headline="North Korean troops are fake news, Peskov says",
        text=TEXT,
        actor=kremlin,
        stated_on=DAY,
    )
    assert [m.record.pk for m in found] == [existing.pk]
    assert (
        duplicates.similar_claims(
            headline="Grain deal extended by sixty days",
            text="The grain corridor stays open.",
            actor=kremlin,
            stated_on=DAY,
        )
        == []
    )


def test_another_actor_the_same_day_with_the_same_headline_is_found(existing):
    other = ActorFactory()
    found = duplicates.similar_claims(
        headline=HEADLINE, text="Other words.", actor=other, stated_on=DAY
    )
    assert [m.record.pk for m in found] == [existing.pk]


# Site form ----------------------------------------------------------------------------------


def test_the_form_stops_at_a_near_copy_and_links_to_it(analyst_client, existing):
    response = analyst_client.post(CREATE, near_copy())
    assert response.status_code == 400
    body = response.content.decode()
    assert "Possible duplicates" in body
    assert f'href="{existing.get_absolute_url()}"' in body
    assert 'name="save_anyway"' in body
    assert 'href="#possible-duplicates"' in body  # the error summary points at the list
    assert Claim.objects.count() == 1


def test_save_anyway_creates_the_claim(analyst_client, existing):
    response = analyst_client.post(CREATE, near_copy(save_anyway="1"))
    assert response.status_code == 302
    assert Claim.objects.count() == 2


def test_an_unrelated_claim_is_saved_at_once(analyst_client, existing):
    response = analyst_client.post(
        CREATE, near_copy(headline="Grain deal extended", text="The corridor stays open.")
    )
    assert response.status_code == 302
    assert Claim.objects.count() == 2


def test_the_claim_page_lists_similar_claims(analyst_client, existing, kremlin):
    copy = services.create_claim(
        by=None,
        actor=kremlin,
        headline="North Korean troops are fake news, Peskov says",
        text=TEXT,
        stated_on=DAY + datetime.timedelta(days=2),
    )
    body = analyst_client.get(existing.get_absolute_url()).content.decode()
    assert "Similar claims" in body and f'href="{copy.get_absolute_url()}"' in body
    body = analyst_client.get(copy.get_absolute_url()).content.decode()
    assert f'href="{existing.get_absolute_url()}"' in body


# API ----------------------------------------------------------------------------------------


def api_body(**extra):
    body = {
        "actor_slug": "Kremlin",
        "headline": "North Korean troops are fake news, Peskov says",
        "text": TEXT,
        "stated_on": DAY.isoformat(),
    }
    body.update(extra)
    return body


def test_api_refuses_a_near_copy_naming_possible_duplicates(admin, existing):
    api = APIClient()
    api.force_authenticate(admin)
    response = api.post("/api/claims/", api_body(), format="json")
    assert response.status_code == 400
    found = response.json()["possible_duplicates"]
    assert [d["id"] for d in found] == [existing.pk]
    assert found[0]["url"].endswith(existing.get_absolute_url())
    assert "save_anyway" in response.json()
    assert Claim.objects.count() == 1
    response = api.post("/api/claims/", api_body(save_anyway=True), format="json")
    assert response.status_code == 201, response.json()
    assert Claim.objects.count() == 2


def test_api_creates_a_new_source_with_the_claim(admin, kremlin):
    api = APIClient()
    api.force_authenticate(admin)
    new_source = {
        "title": "KCNA report",
        "url": "https://example.org/kcna",
        "kind": "news_report",
        "publisher": "KCNA",
        "published_on": "2024-10-09",
    }
    body = api_body(
        status="denied",
        status_rationale="Seen.",
        status_confidence="high",
        new_citations=[{"new_source": new_source, "role": "appearance", "quote": "fake"}],
    )
    response = api.post("/api/claims/", body, format="json")
    assert response.status_code == 201, response.json()
    source = Source.objects.get()
    assert (source.kind, source.publisher) == ("news_report", "KCNA")
    claim = Claim.objects.get()
    assert claim.status == "denied" and claim.citations.get().source == source
    # The same page again, spelt otherwise: refused naming the field, nothing written.
    again = dict(new_source, url="HTTPS://EXAMPLE.org/kcna/?utm_source=feed")
    body = api_body(
        headline="Something else entirely",
        text="Other words.",
        new_citations=[{"new_source": again}],
    )
    response = api.post("/api/claims/", body, format="json")
    assert response.status_code == 400
    assert "already has this URL" in str(response.json()["new_citations"])
    assert Claim.objects.count() == 1 and Source.objects.count() == 1


def test_api_refuses_a_source_for_a_page_already_recorded(admin):
    recorded = SourceFactory(url="https://example.org/page")
    api = APIClient()
    api.force_authenticate(admin)
    response = api.post(
        "/api/sources/",
        {"title": "Copy", "url": "https://EXAMPLE.org/page/#top", "kind": "other"},
        format="json",
    )
    assert response.status_code == 400
    assert recorded.get_absolute_url() in response.json()["url"][0]
    assert Source.objects.count() == 1


# Import -------------------------------------------------------------------------------------


def csv_file(*rows):
    return (",".join(COLUMNS) + "\n" + "".join(f"{row}\n" for row in rows)).encode()


def near_copy_row():
    headline = HEADLINE.replace("says Peskov", "Peskov says")
    return f',"{headline}","{TEXT}",kremlin,,{DAY},unverified,,,,,'


def test_import_reports_a_possible_duplicate_by_line_and_imports_it(existing):
    row = near_copy_row()
    other = ",Grain deal extended,The corridor stays open.,kremlin,,2024-10-11,unverified,,,,,"
    report = import_claims(csv_file(row, other), dry_run=True)
    assert report.ok, report.errors
    assert [(w.line, w.claim_ids) for w in report.warnings] == [(2, [existing.pk])]
    assert Claim.objects.count() == 1  # a dry run
    report = import_claims(csv_file(row, other))
    assert report.ok and report.created == 2 and len(report.warnings) == 1
    assert Claim.objects.count() == 3


def test_import_page_shows_the_warning_with_a_link(admin_client, existing):
    from django.core.files.uploadedfile import SimpleUploadedFile

    row = near_copy_row()
    upload = SimpleUploadedFile("c.csv", csv_file(row), content_type="text/csv")
    response = admin_client.post(reverse("claims:claim-import"), {"file": upload, "dry_run": "on"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "Possible duplicates" in body and f'href="{existing.get_absolute_url()}"' in body


def test_import_cites_the_source_recorded_under_another_spelling(kremlin):
    recorded = SourceFactory(url="https://example.org/page")
    row = ",New claim,Said.,kremlin,,2024-10-11,unverified,,,,https://EXAMPLE.org/page/?utm_x=1,"
    report = import_claims(csv_file(row))
    assert report.ok, report.errors
    assert Source.objects.count() == 1
    assert Claim.objects.get().citations.get().source == recorded


# Sources on the site ------------------------------------------------------------------------


def source_data(**extra):
    data = {"title": "KCNA confirms the deployment", "url": "", "kind": "news_report"}
    data.update(extra)
    return data


def test_source_form_refuses_a_page_already_recorded_with_a_link(analyst_client):
    recorded = SourceFactory(url="https://example.org/page")
    response = analyst_client.post(
        reverse("claims:source-create"), source_data(url="https://Example.org/page/#x")
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "already has this URL" in body and f'href="{recorded.get_absolute_url()}"' in body
    assert Source.objects.count() == 1


def test_a_similar_source_title_is_warned_not_refused(analyst_client):
    recorded = SourceFactory(title="KCNA confirms the deployment of troops")
    response = analyst_client.post(
        reverse("claims:source-create"),
        source_data(title="KCNA confirms the deployment of the troops"),
        follow=True,
    )
    assert response.status_code == 200
    assert Source.objects.count() == 2
    body = response.content.decode()
    assert "similar title" in body and f'href="{recorded.get_absolute_url()}"' in body


def test_claim_form_new_source_for_a_recorded_page_is_refused(analyst_client, kremlin):
    recorded = SourceFactory(url="https://example.org/page")
    data = near_copy(
        headline="Unrelated words here",
        **{
            "citations-TOTAL_FORMS": "1",
            "citations-0-new_source_title": "Copy",
            "citations-0-new_source_url": "https://example.org/page?utm_source=t",
        },
    )
    response = analyst_client.post(CREATE, data)
    assert response.status_code == 400
    assert f'href="{recorded.get_absolute_url()}"' in response.content.decode()
    assert not Claim.objects.exists() and Source.objects.count() == 1


def test_the_service_refuses_a_second_source_for_a_page(kremlin):
    SourceFactory(url="https://example.org/page")
    with pytest.raises(services.ValidationError):
        services.create_claim(
            by=None,
            actor=kremlin,
            headline="H",
            text="T",
            stated_on=DAY,
            citations=[
                services.CitationSpec(
                    new_source_title="Copy", new_source_url="https://example.org/page/"
                )
            ],
        )
    assert not Claim.objects.exists() and Source.objects.count() == 1
    assert Citation.objects.count() == 0
