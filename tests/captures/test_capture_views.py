"""The source page's captures, the WARC download, "Capture again" and the two filters."""

import pytest
from django.urls import reverse

from claims import services
from claims.models import Capture, Source
from tests.captures.pageserver import QUOTE
from tests.factories import CitationFactory, SourceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def captured(capture_settings, page_server):
    """A source captured from the local page, cited once with its quote and once without."""
    source = SourceFactory(title="Ministry statement", url=page_server.url("/quote"))
    found = CitationFactory(source=source, quote=QUOTE, claim__headline="Quote is there")
    missing = CitationFactory(source=source, quote="Troops left", claim__headline="Quote missing")
    capture = services.request_capture(source=source)
    services.run_capture(capture_id=capture.pk)
    capture.refresh_from_db()
    return {"source": source, "capture": capture, "found": found, "missing": missing}


def test_source_page_shows_the_capture_hash_status_size_and_text(reader_client, captured):
    response = reader_client.get(captured["source"].get_absolute_url())
    content = response.content.decode()
    assert response.status_code == 200
    assert captured["capture"].sha256 in content
    assert f"{QUOTE}" in content and "found in the capture of" in content
    assert "&lt;script&gt;" not in content and "document.cookie" not in content


def test_captured_markup_is_shown_escaped(reader_client, captured):
    Capture.objects.filter(pk=captured["capture"].pk).update(text="<img src=x onerror=alert(1)>")
    response = reader_client.get(captured["source"].get_absolute_url())
    assert b"&lt;img src=x onerror=alert(1)&gt;" in response.content
    assert b"<img src=x" not in response.content


def test_a_failed_capture_says_why(reader_client, capture_settings):
    capture_settings.CAPTURE_ALLOW_PRIVATE_ADDRESSES = False
    source = SourceFactory(url="http://10.1.2.3/page")
    services.run_capture(capture_id=services.request_capture(source=source).pk)
    response = reader_client.get(source.get_absolute_url())
    assert "failed: 10.1.2.3 points to 10.1.2.3, a private" in response.content.decode()


def test_the_warc_downloads_as_an_attachment_never_as_a_page(reader_client, captured):
    capture = captured["capture"]
    url = reverse("claims:capture-download", args=[captured["source"].pk, capture.pk])
    response = reader_client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/warc"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == capture.warc.open("rb").read()


def test_a_capture_of_another_source_is_not_found(reader_client, captured):
    other = SourceFactory()
    url = reverse("claims:capture-download", args=[other.pk, captured["capture"].pk])
    assert reader_client.get(url).status_code == 404


def test_analyst_captures_again(analyst_client, captured):
    source = captured["source"]
    response = analyst_client.post(reverse("claims:source-capture", args=[source.pk]))
    assert response.status_code == 302
    assert source.captures.active().get().requested_by.username == "analyst"


def test_capture_again_twice_queues_one(analyst_client, captured):
    url = reverse("claims:source-capture", args=[captured["source"].pk])
    analyst_client.post(url)
    analyst_client.post(url)
    assert captured["source"].captures.active().count() == 1


def test_reader_cannot_capture_again(reader_client, captured):
    response = reader_client.post(reverse("claims:source-capture", args=[captured["source"].pk]))
    assert response.status_code == 403
    assert captured["source"].captures.count() == 1


def test_reader_sees_no_capture_button(reader_client, captured):
    response = reader_client.get(captured["source"].get_absolute_url())
    assert b"Capture again" not in response.content


def test_a_source_without_url_cannot_be_captured(analyst_client, capture_settings):
    source = services.create_record(Source(title="Leaflet"), by=None)
    response = analyst_client.post(reverse("claims:source-capture", args=[source.pk]))
    assert response.status_code == 302
    assert source.captures.count() == 0


def test_claim_list_filters_on_the_quote_check(reader_client, captured):
    response = reader_client.get(reverse("claims:claim-list"), {"quote_check": "not_found"})
    assert response.status_code == 200
    assert b"Quote missing" in response.content
    assert b"Quote is there" not in response.content


def test_claim_list_refuses_an_unknown_quote_check_value(reader_client, captured):
    response = reader_client.get(reverse("claims:claim-list"), {"quote_check": "maybe"})
    assert response.status_code == 400


def test_source_list_filters_on_the_link_state(reader_client, captured):
    broken = SourceFactory(title="Gone page", url="https://example.org/gone")
    Source.objects.filter(pk=broken.pk).update(link_state="broken")
    response = reader_client.get(reverse("claims:source-list"), {"link": "broken"})
    assert b"Gone page" in response.content
    assert b"Ministry statement" not in response.content


def test_claim_page_marks_the_quote_found(reader_client, captured):
    response = reader_client.get(captured["found"].claim.get_absolute_url())
    date = captured["capture"].finished_at.strftime("%Y-%m-%d")
    assert b"found in the capture of <time datetime=" in response.content
    assert date.encode() in response.content


@pytest.mark.parametrize("extra", [0, 5])
def test_source_page_queries_do_not_grow_with_captures(
    reader_client, captured, django_assert_num_queries, extra
):
    source = captured["source"]
    for _ in range(extra):
        Capture.objects.create(
            source=source,
            url=source.url,
            state="failed",
            failure="x",
            requested_at=captured["capture"].requested_at,
        )
    reader_client.get(source.get_absolute_url())  # warm the session and permission caches
    # 10 whatever the number of captures (the track record as evidence is one of them).
    with django_assert_num_queries(10):
        reader_client.get(source.get_absolute_url())
